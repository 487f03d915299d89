//! `--since`, `--staged`, `--include-untracked`, `--diff-file`: scenarios in
//! temporary git repositories, checked through the command line.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

const A: &str = "import os\n\n\ndef one(x):\n    y = x + 1\n    return y\n\n\ndef two(x):\n    z = x * 2\n    return z\n";

/// The functions instrumented by a dry run with `args`, as "path:name".
fn changed(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--dry-run", "--format", "json"];
    all.extend(args);
    let r: Value = serde_json::from_str(&ok(&ctinject(dir, &all))).unwrap();
    report_functions(&r)
}

fn repo() -> Option<tempfile::TempDir> {
    require_tool("git")?;
    let r = git_repo(&[("pkg/a.py", A), ("pkg/b.py", "def b():\n    return 1\n")]);
    git(r.path(), &["checkout", "-q", "-b", "feature"]);
    Some(r)
}

#[test]
fn edit_one_function_selects_only_it_and_leaves_every_other_byte() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/a.py"), A.replace("x * 2", "x * 3")).unwrap();
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/a.py:two"]);
    ok(&ctinject(p, &["--since", "main", "--out", "../out"]));
    let out = std::fs::read_to_string(p.join("../out/pkg/a.py")).unwrap();
    let untouched = "def one(x):\n    y = x + 1\n    return y\n";
    assert!(out.contains(untouched), "{out}");
    assert!(out.contains("z = x * 3; _ct.v(10, \"z\", z)"), "{out}");
    assert!(
        p.join("../out/pkg/_ctinject.py").exists(),
        "runtime files are still added"
    );
    assert_eq!(
        std::fs::read_to_string(p.join("../out/pkg/b.py")).unwrap(),
        "def b():\n    return 1\n"
    );
    std::fs::remove_dir_all(p.join("../out")).unwrap();
}

#[test]
fn new_renamed_deleted_files() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/new.py"), "def fresh():\n    return 2\n").unwrap();
    git(p, &["add", "pkg/new.py"]);
    git(p, &["mv", "pkg/b.py", "pkg/moved.py"]);
    git(p, &["commit", "-qm", "add, move"]);
    // A new file: all of it; a pure rename: nothing.
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/new.py:fresh"]);
    // Rename plus edit: only the edited function, under the new path.
    std::fs::write(p.join("pkg/moved.py"), "def b():\n    return 3\n").unwrap();
    assert_eq!(
        changed(p, &["--since", "main"]),
        ["pkg/moved.py:b", "pkg/new.py:fresh"]
    );
    // Deleted: nothing.
    std::fs::remove_file(p.join("pkg/new.py")).unwrap();
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/moved.py:b"]);
}

#[test]
fn staged_unstaged_and_untracked() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/a.py"), A.replace("x + 1", "x + 5")).unwrap();
    git(p, &["add", "pkg/a.py"]);
    std::fs::write(
        p.join("pkg/a.py"),
        A.replace("x + 1", "x + 5").replace("x * 2", "x * 5"),
    )
    .unwrap();
    std::fs::write(p.join("pkg/loose.py"), "def loose():\n    return 0\n").unwrap();
    assert_eq!(changed(p, &["--staged"]), ["pkg/a.py:one"]);
    assert_eq!(
        changed(p, &["--since", "main"]),
        ["pkg/a.py:one", "pkg/a.py:two"]
    );
    assert_eq!(
        changed(p, &["--since", "main", "--include-untracked"]),
        ["pkg/a.py:one", "pkg/a.py:two", "pkg/loose.py:loose"]
    );
}

#[test]
fn merge_base_ignores_what_main_did_after_the_branch() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/a.py"), A.replace("x * 2", "x * 4")).unwrap();
    git(p, &["commit", "-qam", "feature edit"]);
    git(p, &["checkout", "-q", "main"]);
    std::fs::write(p.join("pkg/b.py"), "def b():\n    return 9\n").unwrap();
    git(p, &["commit", "-qam", "main moves on"]);
    git(p, &["checkout", "-q", "feature"]);
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/a.py:two"]);
    // A detached HEAD works too.
    git(p, &["checkout", "-q", "--detach"]);
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/a.py:two"]);
}

#[test]
fn diff_file_and_patch_that_git_applies() {
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/a.py"), A.replace("x + 1", "x + 7")).unwrap();
    let diff = git(p, &["diff", "main"]);
    std::fs::write(p.join("../change.diff"), diff).unwrap();
    assert_eq!(
        changed(p, &["--diff-file", "../change.diff"]),
        ["pkg/a.py:one"]
    );
    ok(&ctinject(p, &["--since", "main", "--patch", "../ct.patch"]));
    git(p, &["apply", "--check", "../ct.patch"]);
    for f in ["../change.diff", "../ct.patch"] {
        std::fs::remove_file(p.join(f)).unwrap();
    }
}

#[test]
fn errors_name_the_fix() {
    let Some(r) = repo() else { return };
    let p = r.path();
    let o = ctinject(p, &["--since", "no-such-ref", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-ref"), "{}", stderr(&o));
    // Not a repository.
    let t = tree(&[("a.py", "x = 1\n")]);
    let o = ctinject(t.path(), &["--since", "main", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not inside a git repository"),
        "{}",
        stderr(&o)
    );
    // A shallow clone that lacks the merge-base.
    std::fs::write(p.join("pkg/a.py"), A.replace("x * 2", "x * 8")).unwrap();
    git(p, &["commit", "-qam", "one more"]);
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", p.display());
    git(
        clone.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            "c",
        ],
    );
    let o = ctinject(
        &clone.path().join("c"),
        &["--since", "origin/main", "--dry-run"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("fetch-depth: 0"), "{}", stderr(&o));
}

#[test]
fn a_function_that_only_lost_a_line_is_selected() {
    // Regression (review): deletions did not count, so the gate said
    // "nothing to check" for a function that lost a line.
    let Some(r) = repo() else { return };
    let p = r.path();
    std::fs::write(p.join("pkg/a.py"), A.replace("    y = x + 1\n", "")).unwrap();
    assert_eq!(changed(p, &["--since", "main"]), ["pkg/a.py:one"]);
}
