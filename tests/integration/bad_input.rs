//! Bad input: each case gets a clear message naming the file, nothing
//! crashes, and nothing is left half-written.

use crate::util::*;

fn report(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&ok(&ctinject(dir, &all))).unwrap()
}

fn file<'a>(r: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {r}"))
}

#[test]
fn unreadable_kinds_of_file_are_skipped_with_reasons_and_copied_unchanged() {
    let t = tree(&[
        ("p/ok.py", "x = 1\n"),
        ("p/empty.py", ""),
        ("p/big.py", &"y = 1\n".repeat(400_000)),
    ]);
    let p = t.path().join("p");
    std::fs::write(p.join("latin1.py"), b"s = '\xe9'\n").unwrap();
    std::fs::write(p.join("nul.py"), b"x = 1\0\n").unwrap();
    let r = report(t.path(), &["p", "--out", "out"]);
    assert!(file(&r, "latin1.py")["reason"]
        .as_str()
        .unwrap()
        .contains("not valid UTF-8"));
    assert!(file(&r, "nul.py")["reason"]
        .as_str()
        .unwrap()
        .contains("binary"));
    assert!(file(&r, "big.py")["reason"]
        .as_str()
        .unwrap()
        .contains("larger than max_file_size"));
    assert_eq!(file(&r, "empty.py")["status"], "unchanged");
    assert_eq!(file(&r, "ok.py")["status"], "instrumented");
    for name in ["latin1.py", "nul.py", "big.py", "empty.py"] {
        assert_eq!(
            std::fs::read(p.join(name)).unwrap(),
            std::fs::read(t.path().join("out").join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn syntax_errors_skip_only_the_functions_they_touch() {
    let src = "import os\n\ndef broken():\n    x = = 1\n\ndef fine():\n    y = 2\n";
    let t = tree(&[("p/m.py", src)]);
    let r = report(t.path(), &["p", "--out", "out"]);
    let f = file(&r, "m.py");
    let broken = f["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "broken")
        .unwrap();
    assert!(
        broken["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("syntax error"),
        "{broken}"
    );
    let out = std::fs::read_to_string(t.path().join("out/m.py")).unwrap();
    assert!(out.contains("y = 2; _ct.v(7, \"y\", y)"), "{out}");
    assert!(out.contains("    x = = 1\n"), "{out}");
}

/// A syntax error that swallowed a whole function (`def bad(x:`) left no
/// function to skip: a whole-project run reported 0 functions, nothing
/// skipped, and `--fail-under 100` passed with "nothing to check".
#[test]
fn syntax_errors_outside_any_function_count_in_a_whole_project_run() {
    let t = tree(&[
        ("p/a.py", "def bad(x:\n    y = x\n    return y\n"),
        ("p/b.py", "import os\n\n\ndef ok():\n    return 1\n"),
    ]);
    let o = ctinject(
        t.path(),
        &["p", "--dry-run", "--fail-under", "100", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let unit = &file(&r, "a.py")["functions"][0];
    assert_eq!(unit["name"], "<code with a syntax error>", "{r}");
    assert!(unit["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("syntax error"));
    // Code, not a function: only `ok` is counted as one.
    assert_eq!(r["totals"]["functions"], 1, "{r}");
}

#[test]
fn names_with_spaces_and_non_ascii_work() {
    let t = tree(&[("my proj/sub dir/caf\u{e9} \u{65e5}.py", "x = 1\n")]);
    let r = report(t.path(), &["my proj", "--out", "out dir"]);
    assert_eq!(
        file(&r, "sub dir/caf\u{e9} \u{65e5}.py")["status"],
        "instrumented"
    );
    let out =
        std::fs::read_to_string(t.path().join("out dir/sub dir/caf\u{e9} \u{65e5}.py")).unwrap();
    assert!(
        // The inserted path is ASCII (escaped), valid under any declared encoding.
        out.contains(r#"("sub dir/caf\u00e9 \u65e5.py")"#),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_and_links_are_copied_as_links() {
    let t = tree(&[("p/a.py", "x = 1\n")]);
    let p = t.path().join("p");
    std::os::unix::fs::symlink("..", p.join("loop")).unwrap();
    std::os::unix::fs::symlink("a.py", p.join("alias.py")).unwrap();
    let r = report(t.path(), &["p", "--out", "out"]);
    // The link is reported (its target is planned once, as itself), not
    // followed; the loop is not a file.
    assert_eq!(r["totals"]["files"], 2, "{r}");
    assert_eq!(r["totals"]["files_instrumented"], 1, "{r}");
    assert_eq!(file(&r, "alias.py")["status"], "unchanged");
    let link = std::fs::read_link(t.path().join("out/loop")).unwrap();
    assert_eq!(link, std::path::PathBuf::from(".."));
    let alias = std::fs::read_link(t.path().join("out/alias.py")).unwrap();
    assert_eq!(alias, std::path::PathBuf::from("a.py"));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let t = tree(&[("p/a.py", "x = 1\n"), ("p/secret.py", "y = 2\n")]);
    let secret = t.path().join("p/secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        eprintln!(
            "*** SKIPPED unreadable_file_is_named: running as root, every file is readable ***"
        );
        return;
    }
    let r = report(t.path(), &["p", "--dry-run"]);
    assert!(file(&r, "secret.py")["reason"]
        .as_str()
        .unwrap()
        .contains("cannot read"));
    // A copy cannot be complete without it: a clear error, no half-written output.
    let o = ctinject(t.path(), &["p", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("secret.py"), "{}", stderr(&o));
    assert!(!t.path().join("out").exists());
}
