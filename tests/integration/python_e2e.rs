//! End to end with python3: instrument the example, run original and copy,
//! compare their output byte for byte, and read the telemetry back.

use crate::util::*;
use serde_json::Value;
use std::process::Command;

fn python(dir: &std::path::Path, trace: Option<&std::path::Path>) -> std::process::Output {
    python_of("python3".as_ref(), dir, trace)
}

/// `main.py` in `dir` run by the interpreter `py`, with warnings as errors
/// and telemetry to `trace` when given.
fn python_of(
    py: &std::path::Path,
    dir: &std::path::Path,
    trace: Option<&std::path::Path>,
) -> std::process::Output {
    // Without the caller's CTINJECT_* (a CTINJECT_DISABLE would pass).
    let mut cmd = clean_command(py);
    cmd.args(["-W", "error", "main.py"])
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if let Some(t) = trace {
        cmd.env("CTINJECT_TRACE_FILE", t);
    }
    run(&mut cmd)
}

#[test]
fn inventory_example_behaves_the_same_and_explains_itself() {
    if require_tool("python3").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("inventory");
    copy_dir(&repo_dir().join("fixtures/python/inventory"), &src);
    ok(&ctinject(t.path(), &["inventory", "--out", "out"]));
    let out = t.path().join("out");

    let original = python(&src, None);
    assert!(original.status.success(), "{}", stderr(&original));
    let trace = t.path().join("trace.jsonl");
    let copy = python(&out, Some(&trace));
    assert_same_run(&copy, &original);
    // Telemetry off: the same run, and nothing written anywhere in the copy.
    let before = files_under(&out);
    assert_same_run(&python(&out, None), &original);
    assert_eq!(files_under(&out), before, "telemetry off wrote a file");

    let ev = read_events(&trace);
    assert!(
        ev.iter().all(|e| e["v"] == 1),
        "every event has the schema version"
    );
    let spans: Vec<&Value> = ev.iter().filter(|e| e["type"] == "span").collect();
    let span = |name: &str| span_named(&ev, name);
    // The span tree: main -> Stock.total; main -> gather_prices -> fetch_price.
    let main = span("main");
    assert_eq!(main["parent_id"], Value::Null);
    assert_eq!(main["file"], "main.py");
    assert_eq!(span("Stock.total")["parent_id"], main["span_id"]);
    assert_eq!(span("Stock.total")["trace_id"], main["trace_id"]);
    let gather = span("gather_prices");
    assert_eq!(gather["parent_id"], main["span_id"]);
    assert_eq!(gather["kind"], "coroutine");
    let fetches: Vec<&&Value> = spans
        .iter()
        .filter(|s| s["name"] == "fetch_price")
        .collect();
    assert_eq!(fetches.len(), 4);
    // Two awaited inside the async generator `prices`, two run as tasks by
    // asyncio.gather: each nests under the span that started it.
    let under = |name: &str| {
        let parents: Vec<&Value> = spans
            .iter()
            .filter(|s| s["name"] == name)
            .map(|s| &s["span_id"])
            .collect();
        fetches
            .iter()
            .filter(|f| parents.contains(&&f["parent_id"]))
            .count()
    };
    assert_eq!(
        (under("prices"), under("gather_prices")),
        (2, 2),
        "{fetches:?}"
    );
    assert_eq!(span("Stock.total")["return"], "12.25");
    assert_eq!(span("Item.from_pair")["args"]["pair"], "('kiwi', '1.25')");
    // An exception that escaped a span.
    let failed_take = spans
        .iter()
        .find(|s| s["name"] == "Stock.take" && s["status"] == "error")
        .unwrap();
    assert_eq!(
        failed_take["exception"]["type"],
        "inventory.core.OutOfStock"
    );
    // A variable, a branch, a loop count, a handled exception.
    let in_span = |e: &&Value, s: &Value| e["span_id"] == s["span_id"];
    let total = span("Stock.total");
    assert!(ev.iter().any(|e| e["type"] == "var"
        && in_span(&e, total)
        && e["name"] == "total"
        && e["value"] == "0.0"));
    let adds: Vec<&&Value> = spans.iter().filter(|s| s["name"] == "Stock.add").collect();
    assert!(ev.iter().any(|e| e["type"] == "branch"
        && e["line"] == 42
        && e["arm"] == 2
        && adds.iter().any(|s| in_span(&e, s))));
    let restock = span("restock_all");
    let loops: Vec<&Value> = ev
        .iter()
        .filter(|e| e["type"] == "loop" && in_span(e, restock))
        .collect();
    assert_eq!(loops.len(), 1, "{loops:?}");
    assert_eq!(loops[0]["iterations"], 5);
    assert!(ev.iter().any(|e| e["type"] == "exception"
        && e["line"] == 54
        && e["exception"]["type"] == "KeyError"));
}

#[test]
fn namespace_subpackages_and_scripts_both_reach_the_runtime() {
    // Regression: a folder without __init__.py got `from _ctinject import
    // Module`, which a namespace sub-package (imported as pkg.ns.mod) cannot
    // resolve; a script run from its folder needs exactly that.
    if require_tool("python3").is_none() {
        return;
    }
    let t = tree(&[
        ("src/app/__init__.py", "X = 1\n"),
        (
            "src/app/ns/mod.py",
            "def f(a):\n    b = a * 2\n    return b\n",
        ),
        (
            "src/tools/run.py",
            "import os\n\n\ndef main():\n    v = 3\n    print('script', v)\n\n\nmain()\n",
        ),
    ]);
    ok(&ctinject(t.path(), &["src", "--out", "out", "--no-cache"]));
    let out = t.path().join("out");
    let trace = t.path().join("trace.jsonl");
    let py = |args: &[&str]| {
        let o = run(Command::new("python3")
            .args(["-W", "error"])
            .args(args)
            .current_dir(&out)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("CTINJECT_TRACE_FILE", &trace));
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(py(&["-c", "import app.ns.mod as m; print(m.f(2))"]), "4\n");
    assert_eq!(py(&["tools/run.py"]), "script 3\n");
    let ev = read_events(&trace);
    for name in ["f", "main"] {
        assert!(
            ev.iter().any(|e| e["type"] == "span" && e["name"] == name),
            "no span {name}"
        );
    }
}

/// A file of more than a megabyte is validated in segments, in parallel: the
/// output must be what the whole-file path gives, function by function. The
/// same functions planned in a small file are the reference: each function
/// of the big file must come out exactly as it does there (the names and
/// line numbers in the inserted calls aside).
#[test]
fn a_large_file_is_instrumented_like_small_ones() {
    let Some(py) = require_tool("python3") else {
        return;
    };
    let unit = |i: usize| {
        format!(
            "# block {i}\n@staticmethod\ndef f{i}(a, b=2):\n    x = a + b  # sum\n    for k in range(b):\n        x += k\n    if x > 1:\n        return x\n    return [y for y in (a, b)]\n\n\nclass C{i}:\n    def m(self, v):\n        try:\n            return v.w\n        except AttributeError as e:\n            return e\n\n\n"
        )
    };
    let small: String = (0..2).map(unit).collect();
    let big: String = (0..2).cycle().take(4200).map(unit).collect();
    assert!(big.len() > 1 << 20);
    let t = tree(&[("small/m.py", &small), ("big/m.py", &big)]);
    let args = ["--no-cache", "-j", "2", "--format", "json"];
    let out_of = |name: &str| {
        let mut all = vec![name, "--out"];
        let dest = format!("{name}-out");
        all.push(&dest);
        all.extend(args);
        let r: serde_json::Value = serde_json::from_str(&ok(&ctinject(t.path(), &all))).unwrap();
        assert_eq!(r["totals"]["files_instrumented"], 1, "{r}");
        std::fs::read_to_string(t.path().join(format!("{name}-out/m.py"))).unwrap()
    };
    let (small_out, big_out) = (out_of("small"), out_of("big"));
    // Every line of the big output, with its line numbers taken out, is the
    // line of the small output it repeats.
    let norm = |s: &str| {
        let digits = regex::Regex::new(r"\d+").unwrap();
        s.lines()
            .map(|l| digits.replace_all(l, "N").into_owned())
            .collect::<Vec<_>>()
    };
    let (small_lines, big_lines) = (norm(&small_out), norm(&big_out));
    assert_eq!(big_lines.len(), big.lines().count());
    // The first line of each repetition aside: the small file's holds the
    // runtime binding.
    let period = small_lines.len();
    for (i, line) in big_lines.iter().enumerate() {
        if i % period != 0 {
            assert_eq!(line, &small_lines[i % period], "line {}", i + 1);
        }
    }
    let o = run(std::process::Command::new(py)
        .args(["-m", "py_compile"])
        .arg(t.path().join("big-out/m.py")));
    assert!(o.status.success(), "{}", describe(&o));
}

/// Methods of a class written without blank lines have no line for a span
/// wrapper of their own: they are wrapped after the class, on every
/// version. A function that reads its caller's frame must not get a
/// wrapper: its span comes from sys.monitoring on CPython 3.12 and later
/// (the report says so). Both run as the original on every version.
#[test]
fn methods_without_a_line_and_frame_readers_get_their_spans() {
    const SRC: &str = "\
import sys
class Money:
    def __init__(self, cents):
        self.cents = cents
    def add(self, other):
        return Money(self.cents + other.cents)
    def caller(self):
        return sys._getframe(1).f_code.co_name
def main():
    m = Money(5).add(Money(7))
    print(m.cents, m.caller())
main()
";
    let t = tree(&[("app/main.py", SRC)]);
    let report = ok(&ctinject(
        t.path(),
        &[
            "app",
            "--out",
            "out",
            "--format",
            "json",
            "--fail-under",
            "100",
        ],
    ));
    let report: Value = serde_json::from_str(&report).unwrap();
    let function = &report["totals"]["points"]["function"];
    assert_eq!(
        (&function["instrumentable"], &function["instrumented"]),
        (&Value::from(4), &Value::from(4)),
        "{report}"
    );
    assert_eq!(function["limited"], 1, "{report}");
    let limits: Vec<String> = report["files"][0]["functions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["limited"].as_array().cloned().unwrap_or_default())
        .map(|p| p["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(limits.len(), 1, "{report}");
    assert!(
        limits
            .iter()
            .all(|r| r.starts_with("span on CPython 3.12 and later only")),
        "{limits:?}"
    );

    let mut pythons: Vec<(String, std::path::PathBuf)> = Vec::new();
    if let Some(p) = require_tool("python3") {
        pythons.push(("python3".into(), p));
    }
    for v in ["3.12", "3.13"] {
        if let Some(p) = python_version(v) {
            pythons.push((v.into(), p));
        }
    }
    if !pythons.iter().any(|(v, _)| v != "python3") {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("python3.12 or python3.13 is required in CI (CI=true)");
        }
        eprintln!("\n*** SKIPPED in part: no python3.12 or python3.13 here; spans from sys.monitoring were not run ***\n");
    }
    for (label, py) in pythons {
        let run_in = |dir: &std::path::Path, trace| python_of(&py, dir, trace);
        let original = run_in(&t.path().join("app"), None);
        assert_eq!(
            stdout(&original),
            "12 main\n",
            "{label}: {}",
            stderr(&original)
        );
        let trace = t.path().join(format!("trace-{label}.jsonl"));
        let copy = run_in(&t.path().join("out"), Some(&trace));
        assert_eq!(
            stdout(&copy),
            stdout(&original),
            "{label}: {}",
            stderr(&copy)
        );
        assert_eq!(stderr(&copy), stderr(&original), "{label}");
        let version =
            run(clean_command(&py).args(["-c", "import sys; print(sys.version_info >= (3, 12))"]));
        let monitoring = stdout(&version).trim() == "True";
        let mut names: Vec<String> = read_events(&trace)
            .iter()
            .filter(|e| e["type"] == "span")
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        let mut expected = vec![
            "Money.__init__",
            "Money.__init__",
            "Money.__init__",
            "Money.add",
            "main",
        ];
        if monitoring {
            expected.push("Money.caller");
            expected.sort();
        }
        assert_eq!(names, expected, "{label}");
    }
}
