//! The coverage gate on fixture repositories: pass, --fail-under, a drop
//! against a baseline file, a drop against the merge-base, nothing changed,
//! --informational, unparseable changes, and the report files.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

const GOOD: &str = "def good(x):\n    y = x + 1\n    return y\n";
/// A generator that reads its caller's frame: a wrapper would change what
/// it sees, and sys.monitoring cannot end every span of a generator, so it
/// gets no span on any version.
const FRAMES: &str = "import sys\n\n\ndef peek():\n    yield sys._getframe(1)\n";

fn repo() -> Option<tempfile::TempDir> {
    require_tool("git")?;
    let r = git_repo(&[
        ("src/good.py", GOOD),
        ("src/other.py", "def other():\n    return 1\n"),
    ]);
    git(r.path(), &["checkout", "-q", "-b", "feature"]);
    Some(r)
}

/// Runs ctinject with `args` plus a JSON report; returns (exit code, gate).
fn gate(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--dry-run", "--format", "json", "--no-cache"]);
    let o = ctinject(dir, &all);
    let code = o.status.code().unwrap();
    assert!(code == 0 || code == 1, "exit {code}: {}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (code, r["gate"].clone())
}

#[test]
fn pass_and_fail_under() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    let (code, g) = gate(p, &["--since", "main", "--fail-under", "100"]);
    assert_eq!((code, g["status"].as_str()), (0, Some("pass")), "{g}");
    assert_eq!(g["change"]["percent"], 100.0);
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    git(p, &["add", "src/frames.py"]);
    let (code, g) = gate(p, &["--since", "main", "--fail-under", "90"]);
    assert_eq!((code, g["status"].as_str()), (1, Some("fail")), "{g}");
    assert!(
        g["failures"][0]
            .as_str()
            .unwrap()
            .contains("under --fail-under 90"),
        "{g}"
    );
    // Informational: the same verdict, exit 0.
    let (code, g) = gate(
        p,
        &["--since", "main", "--fail-under", "90", "--informational"],
    );
    assert_eq!(
        (code, g["status"].as_str(), g["informational"].as_bool()),
        (0, Some("fail"), Some(true))
    );
}

#[test]
fn nothing_changed_passes_saying_so() {
    let Some(r) = repo() else { return };
    let (code, g) = gate(r.path(), &["--since", "main", "--fail-under", "100"]);
    assert_eq!(
        (code, g["status"].as_str()),
        (0, Some("nothing_to_check")),
        "{g}"
    );
    let o = ctinject(
        r.path(),
        &[
            "--since",
            "main",
            "--fail-under",
            "100",
            "--dry-run",
            "--no-cache",
        ],
    );
    assert!(stdout(&o).contains("nothing to check"), "{}", describe(&o));
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

#[test]
fn an_unparseable_change_counts_against_coverage() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/good.py"), format!("{GOOD}\nx = = 1\n")).unwrap();
    let (code, g) = gate(p, &["--since", "main", "--fail-under", "50"]);
    assert_eq!((code, g["status"].as_str()), (1, Some("fail")), "{g}");
    assert_eq!(g["change"]["instrumentable"], 1);
    // A changed file that cannot be read as text counts too.
    std::fs::write(p.join("src/good.py"), GOOD).unwrap();
    std::fs::write(p.join("src/latin.py"), b"s = '\xe9'\n").unwrap();
    git(p, &["add", "src/latin.py"]);
    let (code, g) = gate(p, &["--since", "main", "--fail-under", "50"]);
    assert_eq!(
        (code, g["change"]["instrumentable"].as_u64()),
        (1, Some(1)),
        "{g}"
    );
    // Listed once in every format: it was listed as the file and again as
    // its pseudo-function (two annotations, two table rows).
    for format in ["github", "markdown", "human"] {
        let o = ctinject(
            p,
            &[
                "--since",
                "main",
                "--dry-run",
                "--no-cache",
                "--format",
                format,
            ],
        );
        let out = format!("{}{}", stdout(&o), stderr(&o));
        let listed = out
            .lines()
            .filter(|l| l.contains("not valid UTF-8"))
            .count();
        assert_eq!(listed, 1, "{format}:\n{out}");
    }
}

/// The merge-base baseline read every file of the git tree, hidden folders
/// included, while the project figure came from the walk, which skips them:
/// with nothing but an edit to a fully covered function, `--max-drop 0`
/// reported a fall in coverage.
#[test]
fn merge_base_baseline_counts_the_files_the_walk_counts() {
    let Some(r) = repo() else { return };
    let p = r.path();
    git(p, &["checkout", "-q", "main"]);
    // Skipped points in the project, many instrumentable ones out of sight.
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    std::fs::create_dir_all(p.join(".tools")).unwrap();
    std::fs::write(p.join(".tools/gen.py"), GOOD.repeat(20)).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "frames and tools"]);
    git(p, &["checkout", "-q", "-b", "edit"]);
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    let (code, g) = gate(p, &["--since", "main", "--max-drop", "0"]);
    let (base, now) = (
        g["baseline"]["percent"].as_f64(),
        g["project"]["percent"].as_f64(),
    );
    assert!(base.is_some_and(|b| b < 100.0), "{g}");
    assert_eq!((code, base), (0, now), "{g}");
}

#[test]
fn drop_against_a_baseline_file_and_against_the_merge_base() {
    let Some(r) = repo() else { return };
    let p = r.path();
    // On main: a baseline of 100%.
    git(p, &["checkout", "-q", "main"]);
    ok(&ctinject(
        p,
        &[
            "src",
            "--dry-run",
            "--no-cache",
            "--write-baseline",
            "../base.json",
        ],
    ));
    let base: Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("../base.json")).unwrap()).unwrap();
    assert_eq!(base["project"]["percent"], 100.0);
    git(p, &["checkout", "-q", "feature"]);
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    git(p, &["add", "src/frames.py"]);
    let (code, g) = gate(
        p,
        &[
            "src",
            "--since",
            "main",
            "--max-drop",
            "5",
            "--baseline",
            "../base.json",
        ],
    );
    assert_eq!(
        (code, g["baseline"]["source"].as_str()),
        (1, Some("file")),
        "{g}"
    );
    assert!(
        g["failures"][0]
            .as_str()
            .unwrap()
            .contains("more than --max-drop 5"),
        "{g}"
    );
    let (code, _) = gate(
        p,
        &[
            "src",
            "--since",
            "main",
            "--max-drop",
            "50",
            "--baseline",
            "../base.json",
        ],
    );
    assert_eq!(code, 0);
    // Without a file: the project at the merge-base, read from git trees.
    let (code, g) = gate(p, &["src", "--since", "main", "--max-drop", "5"]);
    assert_eq!(
        (
            code,
            g["baseline"]["source"].as_str(),
            g["baseline"]["percent"].as_f64()
        ),
        (1, Some("merge-base"), Some(100.0)),
        "{g}"
    );
    std::fs::remove_file(p.join("../base.json")).unwrap();
    // --max-drop with neither a baseline nor --since is a usage error.
    let o = ctinject(p, &["src", "--dry-run", "--max-drop", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs a baseline"), "{}", stderr(&o));
}

#[test]
fn reports_go_to_files_in_every_format() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    git(p, &["add", "src/frames.py"]);
    let dir = tempfile::tempdir().unwrap();
    let f = |n: &str| dir.path().join(n).display().to_string();
    let o = ctinject(
        p,
        &[
            "--since",
            "main",
            "--dry-run",
            "--no-cache",
            "--fail-under",
            "90",
            "--report",
            &format!("json={}", f("r.json")),
            "--report",
            &format!("markdown={}", f("r.md")),
            "--report",
            &format!("github={}", f("r.txt")),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(f("r.json")).unwrap()).unwrap();
    assert_eq!(json["gate"]["status"], "fail");
    let md = std::fs::read_to_string(f("r.md")).unwrap();
    assert!(
        md.contains("| `src/frames.py` | `peek` |") && md.contains("### Not instrumented"),
        "{md}"
    );
    let gh = std::fs::read_to_string(f("r.txt")).unwrap();
    assert!(
        gh.starts_with(
            "::debug::ctinject report\n::error file=src/frames.py,line=4,title=ctinject%3A function point of peek"
        ),
        "{gh}"
    );
    let o = ctinject(p, &["--dry-run", "--report", "yaml=x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format"), "{}", stderr(&o));
}

/// `--since main --to feature` (the pre-push hook's range) read the changed
/// files from the disk: with main checked out, the gate judged main's files
/// against feature's changed lines and passed a push that lowered coverage.
#[test]
fn the_to_commit_is_gated_not_the_working_tree() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "frames"]);
    git(p, &["checkout", "-q", "main"]);
    let (code, g) = gate(
        p,
        &[
            "--since",
            "main",
            "--to",
            "feature",
            "--max-drop",
            "0",
            "--fail-under",
            "100",
        ],
    );
    assert_eq!(code, 1, "{g}");
    let percent = |k: &str| g[k]["percent"].as_f64().unwrap();
    assert!(percent("change") < 100.0, "{g}");
    assert!(percent("project") < percent("baseline"), "{g}");
    // Writing a copy of a commit that is not checked out is refused.
    let o = ctinject(p, &["--since", "main", "--to", "feature", "--no-cache"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("--to reads the changed files from that commit"));
}

/// A changed file whose only changed function cannot be instrumented is not
/// written, yet its report said "lines moved: 1": the runtime import its
/// unchanged functions would have needed.
#[test]
fn a_file_that_is_not_written_moves_no_line() {
    let Some(r) = repo() else { return };
    let p = r.path();
    let file = |n: u32| {
        format!("def peek():\n    yield sys._getframe({n})\n\n\ndef other():\n    y = 1\n")
    };
    git(p, &["checkout", "-q", "main"]);
    std::fs::write(p.join("src/frames.py"), file(1)).unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "frames"]);
    git(p, &["checkout", "-q", "-b", "peek"]);
    std::fs::write(p.join("src/frames.py"), file(2)).unwrap();
    let o = ctinject(
        p,
        &[
            "--since",
            "main",
            "--dry-run",
            "--no-cache",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&ok(&o)).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{report}");
    assert_eq!(
        (&files[0]["path"], &files[0]["status"]),
        (&Value::from("src/frames.py"), &Value::from("unchanged")),
        "{report}"
    );
    assert_eq!(report["totals"]["lines_moved"], 0, "{report}");
}

/// `--to` with `--patch` compared the runtime files with the disk: with a
/// copy already there (from an earlier patch applied to the checkout), the
/// patch for the commit left them out, and the commit did not import.
#[test]
fn a_patch_for_another_commit_brings_the_runtime_that_commit_lacks() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    git(p, &["commit", "-qam", "edit"]);
    git(p, &["checkout", "-q", "main"]);
    // The first patch and the worktree live outside the repository, gone
    // even if this fails.
    let side = tempfile::tempdir().unwrap();
    let first = side.path().join("m.patch");
    ok(&ctinject(
        p,
        &["src", "--no-cache", "--patch", first.to_str().unwrap()],
    ));
    git(p, &["apply", first.to_str().unwrap()]);
    let runtime = ["src/_ctinject.py", "src/_ctinject_runtime.py.txt"];
    assert!(runtime.iter().all(|f| p.join(f).is_file()));
    let o = ctinject(
        p,
        &[
            "--since",
            "main",
            "--to",
            "feature",
            "--no-cache",
            "--patch",
            "-",
        ],
    );
    let patch = ok(&o);
    for f in runtime {
        assert!(
            patch.contains(&format!("+++ b/{f}")),
            "{f} missing:\n{patch}"
        );
    }
    // It applies to a checkout of feature, runtime included.
    let wt = side.path().join("wt");
    git(
        p,
        &["worktree", "add", "-q", wt.to_str().unwrap(), "feature"],
    );
    std::fs::write(wt.join("p2.patch"), &patch).unwrap();
    git(&wt, &["apply", "p2.patch"]);
    assert!(runtime.iter().all(|f| wt.join(f).is_file()));
}

/// A file over `max_file_size` was left out and counted nothing: a dry run
/// with `--fail-under 95` passed with "0 of 0 (n/a)".
#[test]
fn a_file_too_large_to_instrument_counts_against_the_gate() {
    let big = GOOD.repeat(20);
    let t = tree(&[
        ("p/.ctinject.yml", "max_file_size: 100\n"),
        ("p/big.py", &big),
    ]);
    let (code, g) = gate(&t.path().join("p"), &["--fail-under", "95"]);
    assert_eq!((code, g["status"].as_str()), (1, Some("fail")), "{g}");
    assert_eq!(g["change"]["instrumentable"], 1, "{g}");
    let o = ctinject(&t.path().join("p"), &["--dry-run", "--no-cache"]);
    assert!(
        stdout(&o).contains("points: 0 of 1 instrumented")
            && stdout(&o).contains("file: larger than max_file_size"),
        "{}",
        describe(&o)
    );
}

/// A tree that is all ctinject's own output passed a gate as "nothing to
/// check".
#[test]
fn a_tree_of_ctinject_output_is_not_nothing_to_check() {
    let t = tree(&[("p/pkg/__init__.py", ""), ("p/pkg/m.py", GOOD)]);
    ok(&ctinject(t.path(), &["p", "--out", "out", "--no-cache"]));
    let (code, g) = gate(&t.path().join("out"), &["--fail-under", "95"]);
    assert_eq!((code, g["status"].as_str()), (1, Some("fail")), "{g}");
    assert_eq!(g["change"]["instrumented"], 0, "{g}");
}

/// `-q` printed nothing at all when the gate failed: exit 1 with no word why.
#[test]
fn quiet_still_says_why_the_gate_failed() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    git(p, &["add", "src/frames.py"]);
    let o = ctinject(
        p,
        &["--since", "main", "--dry-run", "-q", "--fail-under", "90"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{}", describe(&o));
    assert!(
        lines[0].starts_with("ctinject: gate: FAIL; change coverage")
            && lines[0].contains("under --fail-under 90"),
        "{}",
        describe(&o)
    );
    // A passing gate stays silent.
    std::fs::remove_file(p.join("src/frames.py")).unwrap();
    git(p, &["add", "-A"]);
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    let o = ctinject(
        p,
        &["--since", "main", "--dry-run", "-q", "--fail-under", "90"],
    );
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
}

/// The human report of a `--since` run names the changed functions, each
/// with its coverage; its file counts add up.
#[test]
fn human_report_of_a_change_lists_the_changed_functions() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    git(p, &["add", "src/frames.py"]);
    let o = ctinject(p, &["--since", "main", "--dry-run", "--no-cache"]);
    let out = ok(&o);
    assert!(
        out.starts_with("ctinject: 2 files (1 instrumented, 0 skipped, 1 unchanged), 2 functions,"),
        "{out}"
    );
    assert!(out.contains("changed functions: 2\n"), "{out}");
    assert!(
        out.contains("  src/frames.py:4  peek  ") && out.contains("src/good.py:1  good  "),
        "{out}"
    );
    assert!(out.contains("  peek  0 of 1 (0.0%)\n"), "{out}");
    assert!(out.contains("  good    2 of 2 (100.0%)\n"), "{out}");
    // A whole-project run does not list every function.
    let out = ok(&ctinject(p, &["--dry-run", "--no-cache", "src/good.py"]));
    assert!(
        out.starts_with("ctinject: 1 file (1 instrumented, 0 skipped, 0 unchanged), 1 function,"),
        "{out}"
    );
    assert!(!out.contains("changed functions"), "{out}");
}

/// A function that cannot be instrumented failed the pre-commit hook on
/// every commit, with no way through. The hook now has a threshold, and a
/// function can be waived by a comment or by the configuration: counted as
/// waived, never as covered.
#[test]
fn the_hook_has_a_threshold_and_waivers() {
    let Some(r) = repo() else { return };
    let p = r.path();
    let hook = |args: &[&str]| {
        let mut all = vec!["hook"];
        all.extend(args);
        ctinject(p, &all)
    };
    std::fs::write(p.join("src/frames.py"), FRAMES).unwrap();
    std::fs::write(p.join("src/good.py"), GOOD.replace("x + 1", "x + 2")).unwrap();
    git(p, &["add", "-A"]);
    // peek's one point cannot be instrumented: 2 of 3 points, 66.7%.
    let o = hook(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        stdout(&o).contains("under --fail-under 100%") && stdout(&o).contains("ctinject: waive"),
        "{}",
        describe(&o)
    );
    ok(&hook(&["--fail-under", "60"]));
    assert_eq!(hook(&["--fail-under", "70"]).status.code(), Some(1));

    // A comment on the def line waives it.
    let waived = FRAMES.replace(
        "def peek():",
        "def peek():  # ctinject: waive reads its caller",
    );
    std::fs::write(p.join("src/frames.py"), &waived).unwrap();
    git(p, &["add", "-A"]);
    let out = ok(&hook(&[]));
    assert!(
        out.contains("waived: 1 point in 1 function")
            && out
                .contains("src/frames.py:4: peek waived by a comment on line 4: reads its caller")
            && out.contains("points: 2 of 2 instrumented"),
        "{out}"
    );
    // The JSON report counts it as waived, not instrumented, and the main
    // command's gate leaves it out too.
    let (code, g) = gate(p, &["--staged", "--fail-under", "100"]);
    assert_eq!(
        (code, g["change"]["instrumentable"].as_u64()),
        (0, Some(2)),
        "{g}"
    );

    // Or an entry of the configuration.
    std::fs::write(p.join("src/frames.py"), FRAMES.replace("(1)", "(2)")).unwrap();
    std::fs::write(p.join(".ctinject.yml"), "waive: ['src/*.py::pe*']\n").unwrap();
    git(p, &["add", "-A"]);
    let out = ok(&hook(&[]));
    assert!(
        out.contains("peek waived by the configuration's waive entry \"src/*.py::pe*\""),
        "{out}"
    );
    std::fs::write(p.join(".ctinject.yml"), "waive: ['src/frames.py']\n").unwrap();
    let o = hook(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("key `waive[0]`") && stderr(&o).contains("PATH::FUNCTION"));
}
