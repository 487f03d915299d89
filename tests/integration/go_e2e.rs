//! Go end to end with Debian's go: the fixture module
//! (`fixtures/go/shapes`) is instrumented; `go vet` reports the same on the
//! copy as on the original, its tests (an Example test among them, which
//! compares standard output) pass, the program prints the same and explains
//! itself, and a crash exits and prints as the original's does.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn fixture() -> std::path::PathBuf {
    repo_dir().join("fixtures/go/shapes")
}

/// `go` in `dir`, in module mode, with a build cache of the test's own.
fn go(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    run(clean_command("go")
        .args(args)
        .current_dir(dir)
        .env("GO111MODULE", "on")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOCACHE", cache)
        .env_remove("CTINJECT_TRACE_FILE"))
}

/// `go vet`'s report as a sorted set of `file:line: message` (columns move
/// where text was inserted before them).
fn vet_report(o: &Output) -> Vec<String> {
    let re = regex::Regex::new(r"^(?:\./)?([^:\s]+\.go):(\d+):\d+:").unwrap();
    let mut lines: Vec<String> = stderr(o)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| re.replace(l, "$1:$2:").into_owned())
        .collect();
    lines.sort();
    lines
}

/// A traceback with what differs between builds taken out: addresses,
/// offsets, goroutine numbers, the arguments' values (a function with a
/// span is not inlined, so its frame shows them where the original's
/// showed `...`), and the folder.
fn traceback(text: &str, root: &Path) -> String {
    let text = text.replace(&root.display().to_string(), "ROOT");
    let re = regex::Regex::new(r"\(0x[0-9a-f, ?x.]*\)|\(\.\.\.\)|goroutine \d+").unwrap();
    let offsets = regex::Regex::new(r" \+0x[0-9a-f]+").unwrap();
    offsets
        .replace_all(&re.replace_all(&text, "_"), "")
        .into_owned()
}

#[test]
fn the_fixture_module_vets_tests_runs_and_crashes_as_the_original_and_explains_itself() {
    if require_tool("go").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (orig, copy, cache) = (
        tmp.path().join("orig"),
        tmp.path().join("copy"),
        tmp.path().join("cache"),
    );
    copy_dir(&fixture(), &orig);
    let out = ctinject(
        tmp.path(),
        &["orig", "--out", "copy", "--report", "json=report.json"],
    );
    ok(&out);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("report.json")).unwrap())
            .unwrap();
    let text = |rel: &str| std::fs::read_to_string(copy.join(rel)).unwrap();
    // The runtime package, at the root, imported by its module path.
    assert!(copy.join("_ctinject/ctinject_runtime.go").is_file());
    assert!(text("shapes.go").starts_with("// Package shapes"));
    assert!(
        text("shapes.go").contains("package shapes; import _ct \"example.com/shapes/_ctinject\"\n")
    );
    // Left alone: tests, generated files, a file excluded from every build
    // keeps its constraint (it is instrumented, and stays excluded).
    for rel in ["shapes_test.go", "zz_generated.go"] {
        assert_eq!(
            text(rel),
            std::fs::read_to_string(orig.join(rel)).unwrap(),
            "{rel}"
        );
    }
    assert!(text("ignored.go").starts_with("//go:build ignore\n"));
    let functions = report_functions(&report);
    assert!(
        functions.iter().any(|f| f.contains("(*Stack[...]).Push")),
        "{functions:?}"
    );

    // go vet: the same report.
    let vet_orig = go(&orig, &cache, &["vet", "./..."]);
    let vet_copy = go(&copy, &cache, &["vet", "./..."]);
    assert_eq!(
        vet_report(&vet_copy),
        vet_report(&vet_orig),
        "{}",
        describe(&vet_copy)
    );
    assert!(vet_orig.status.success(), "{}", describe(&vet_orig));

    // go test: the same tests pass, the Example's output included, with
    // telemetry off and on.
    let trace = tmp.path().join("trace.jsonl");
    ok(&go(&copy, &cache, &["test", "-count=1", "./..."]));
    let mut cmd = clean_command("go");
    cmd.args(["test", "-count=1", "-v", "./..."])
        .current_dir(&copy)
        .env("GO111MODULE", "on")
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", &cache)
        .env("CTINJECT_TRACE_FILE", &trace);
    let tested = ok(&run(&mut cmd));
    assert!(tested.contains("--- PASS: ExampleMap"), "{tested}");
    let events = read_events(&trace);
    assert!(events.iter().all(|e| e["lang"] == "go"));
    let _ = std::fs::remove_file(&trace);

    // The program: the same output, and its telemetry.
    for root in [&orig, &copy] {
        ok(&go(
            root,
            &cache,
            &["build", "-o", "shapes.bin", "./cmd/shapes"],
        ));
    }
    let plain = run(&mut Command::new(orig.join("shapes.bin")));
    let mut cmd = Command::new(copy.join("shapes.bin"));
    cmd.env("CTINJECT_TRACE_FILE", &trace);
    let traced = run(&mut cmd);
    assert_same_run(&traced, &plain);
    let events = read_events(&trace);
    let spans: Vec<&Value> = events.iter().filter(|e| e["type"] == "span").collect();
    let push = span_named(&events, "(*Stack[...]).Push");
    assert_eq!(push["module"], "example.com/shapes");
    assert_eq!(push["file"], "shapes.go");
    assert!(
        push["args"]["items"].as_str().unwrap().contains("1, 2, 3"),
        "{push}"
    );
    let pop = span_named(&events, "(*Stack[...]).Pop");
    assert_eq!(pop["return"], "(3, true)", "{pop}");
    let late = span_named(&events, "Late");
    assert_eq!(late["return"], "42", "a result set by a defer is read last");
    let div = span_named(&events, "SafeDiv");
    assert_eq!(div["status"], "ok", "SafeDiv recovers its own panic: {div}");
    assert!(
        div["return"].as_str().unwrap().contains("division by zero"),
        "{div}"
    );
    let deref = span_named(&events, "Deref");
    assert_eq!(deref["status"], "error", "{deref}");
    // A goroutine's literal has the span that started it as its parent.
    let fan = span_named(&events, "Fan");
    let worker = span_named(&events, "Fan.func1");
    assert_eq!(worker["parent_id"], fan["span_id"]);
    let kinds = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    for t in ["var", "branch", "loop", "exception"] {
        assert!(kinds(t) > 0, "no {t} event in {events:?}");
    }
    assert!(spans.len() > 20, "{}", spans.len());

    // A crash: the same exit status and traceback.
    let plain = run(Command::new(orig.join("shapes.bin")).arg("crash"));
    let mut cmd = Command::new(copy.join("shapes.bin"));
    cmd.arg("crash").env("CTINJECT_TRACE_FILE", &trace);
    let crashed = run(&mut cmd);
    assert_eq!(crashed.status.code(), Some(2));
    assert_eq!(plain.status.code(), Some(2));
    assert_eq!(stdout(&crashed), stdout(&plain));
    assert_eq!(
        traceback(&stderr(&crashed), &copy),
        traceback(&stderr(&plain), &orig)
    );
    let events = read_events(&trace);
    let must = events
        .iter()
        .rev()
        .find(|e| e["name"] == "MustPositive")
        .expect("the crashing call's span");
    assert_eq!(must["status"], "error");
}

const GO_LIB: &str = "package w\n\n// One adds one.\nfunc One(x int) int {\n\ty := x + 1\n\treturn y\n}\n\n// Two doubles.\nfunc Two(x int) int {\n\tif x > 0 {\n\t\treturn x * 2\n\t}\n\treturn 0\n}\n";

/// The git-aware workflow on Go files: `--since` selects the changed
/// function only, `--patch` gives a patch that git applies and that builds,
/// the plan cache hits on a warm run with the same output, and the gate
/// counts Go points.
#[test]
fn since_patch_cache_and_gate_work_on_go() {
    if require_tool("git").is_none() || require_tool("go").is_none() {
        return;
    }
    let r = git_repo(&[
        ("go.mod", "module example.com/w\n\ngo 1.19\n"),
        ("w.go", GO_LIB),
    ]);
    let p = r.path();
    git(p, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(p.join("w.go"), GO_LIB.replace("x * 2", "x * 3")).unwrap();
    let t = tempfile::tempdir().unwrap();
    let at = |name: &str| t.path().join(name).display().to_string();
    let json = |args: &[&str]| json_report(p, args);
    let (_, rep) = json(&["--since", "main", "--dry-run", "--no-cache"]);
    assert_eq!(report_functions(&rep), ["w.go:Two"], "{rep}");
    ok(&ctinject(
        p,
        &["--since", "main", "--patch", &at("go.patch"), "--no-cache"],
    ));
    let patch = std::fs::read_to_string(at("go.patch")).unwrap();
    assert!(
        patch.contains("_ct.S(\"w.go\", 10, \"Two\", \"example.com/w\")"),
        "{patch}"
    );
    assert!(!patch.contains("\"One\""), "{patch}");
    assert!(patch.contains("_ctinject/ctinject_runtime.go"), "{patch}");
    // Applied to the working tree, it builds and vets.
    git(p, &["apply", &at("go.patch")]);
    let cache = t.path().join("gocache");
    ok(&go(p, &cache, &["vet", "./..."]));
    git(p, &["apply", "-R", &at("go.patch")]);
    // The gate: the changed function is fully covered.
    let (code, rep) = json(&[
        "--since",
        "main",
        "--dry-run",
        "--no-cache",
        "--fail-under",
        "100",
    ]);
    assert_eq!(
        (code, rep["gate"]["status"].as_str()),
        (0, Some("pass")),
        "{rep}"
    );
    // Cold, then warm from the cache: the same bytes.
    let (o1, o2, c) = (at("o1"), at("o2"), at("c"));
    let (_, cold) = json(&[".", "--out", &o1, "--cache-dir", &c]);
    assert_eq!(cold["cache"]["hits"].as_u64(), Some(0), "{cold}");
    let (_, warm) = json(&[".", "--out", &o2, "--cache-dir", &c]);
    assert_eq!(warm["cache"]["hits"].as_u64(), Some(1), "{warm}");
    for f in ["w.go", "_ctinject/ctinject_runtime.go"] {
        let a = std::fs::read(Path::new(&o1).join(f)).unwrap();
        let b = std::fs::read(Path::new(&o2).join(f)).unwrap();
        assert_eq!(a, b, "{f} differs between a cold and a warm run");
    }
    let totals = &warm["totals"]["points"];
    for (kind, n) in [("function", 2), ("variable", 1), ("branch", 1)] {
        assert_eq!(
            totals[kind]["instrumented"].as_u64(),
            Some(n),
            "{kind}: {totals}"
        );
    }
}
