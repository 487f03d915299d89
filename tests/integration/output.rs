//! Where the output goes: --out, --patch, --in-place, the default location.

use crate::util::*;

const MOD: &str = "\"\"\"Doc.\"\"\"\n\n\ndef f(a):\n    b = a + 1\n    return b\n";

#[test]
fn out_is_a_complete_copy_with_the_runtime_inside() {
    let t = tree(&[
        ("proj/pkg/__init__.py", ""),
        ("proj/pkg/m.py", MOD),
        ("proj/pkg/tests/test_m.py", "def test(): pass\n"),
        ("proj/data.txt", "hello\n"),
        ("proj/tool.py", "x = 1\n"),
    ]);
    let out = t.path().join("out");
    ok(&ctinject(
        t.path(),
        &["proj", "--out", "out", "--exclude", "pkg/tests/**"],
    ));
    assert_eq!(
        files_under(&out),
        [
            "_ctinject.py",
            "_ctinject_runtime.py.txt",
            "data.txt",
            "pkg/__init__.py",
            "pkg/_ctinject.py",
            "pkg/_ctinject_runtime.py.txt",
            "pkg/m.py",
            "pkg/tests/test_m.py",
            "tool.py"
        ]
    );
    // Excluded and data files are copied unchanged.
    assert_eq!(
        std::fs::read_to_string(out.join("pkg/tests/test_m.py")).unwrap(),
        "def test(): pass\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("data.txt")).unwrap(),
        "hello\n"
    );
    let m = std::fs::read_to_string(out.join("pkg/m.py")).unwrap();
    assert!(
        m.starts_with(
            "\"\"\"Doc.\"\"\"; _ct = (__import__(\"importlib\").import_module(\"._ctinject\", __package__ or __spec__.parent) if __package__ or __spec__ and __spec__.parent else __import__(\"sys\").modules.get(\"__ctinject_runtime_v2__\") or __import__(\"_ctinject\")).Module(\"pkg/m.py\")\n"
        ),
        "{m}"
    );
    assert_eq!(m.lines().count(), MOD.lines().count());
}

/// `--out` copied the whole folder the PATHs share: two sibling projects
/// pulled in every other folder beside them (a `target/` of gigabytes), and
/// a script in the home folder would have copied the home folder.
#[test]
fn out_copies_the_paths_not_their_neighbours() {
    let t = tree(&[
        ("w/a/m.py", MOD),
        ("w/b/n.py", MOD),
        ("w/big/blob.bin", "not asked for\n"),
        ("w/notes.txt", "not asked for\n"),
        ("w/s.py", MOD),
    ]);
    ok(&ctinject(t.path(), &["w/a", "w/b/n.py", "--out", "o1"]));
    assert_eq!(
        files_under(&t.path().join("o1")),
        [
            "a/_ctinject.py",
            "a/_ctinject_runtime.py.txt",
            "a/m.py",
            "b/_ctinject.py",
            "b/_ctinject_runtime.py.txt",
            "b/n.py"
        ]
    );
    ok(&ctinject(t.path(), &["w/s.py", "--out", "o2"]));
    assert_eq!(
        files_under(&t.path().join("o2")),
        ["_ctinject.py", "_ctinject_runtime.py.txt", "s.py"]
    );
    // Beside the PATHs (not inside one) is a fine place for the copy.
    ok(&ctinject(t.path(), &["w/a", "w/b", "--out", "w/o3"]));
    assert!(t.path().join("w/o3/a/m.py").is_file());
}

#[test]
fn out_refuses_a_non_empty_folder_and_a_folder_inside_path() {
    let t = tree(&[("p/a.py", "x = 1\n"), ("full/keep.txt", "mine\n")]);
    let o = ctinject(t.path(), &["p", "--out", "full"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists and is not empty"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("full/keep.txt")).unwrap(),
        "mine\n"
    );
    let o = ctinject(t.path(), &["p", "--out", "p/inner"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("inside"), "{}", stderr(&o));
    assert!(!t.path().join("p/inner").exists());
    // Below a file: the message said "cannot create ...: File exists".
    let o = ctinject(t.path(), &["p", "--out", "full/keep.txt/sub"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("keep.txt is a file, not a folder"),
        "{}",
        stderr(&o)
    );
    // An empty folder is fine.
    std::fs::create_dir(t.path().join("empty")).unwrap();
    ok(&ctinject(t.path(), &["p", "--out", "empty"]));
    assert!(t.path().join("empty/a.py").exists());
}

#[test]
fn running_on_the_output_changes_nothing() {
    let t = tree(&[
        ("p/pkg/__init__.py", ""),
        ("p/pkg/m.py", MOD),
        ("p/s.py", "import os\nx = 1\n"),
    ]);
    ok(&ctinject(t.path(), &["p", "--out", "o1"]));
    ok(&ctinject(t.path(), &["o1", "--out", "o2"]));
    for f in files_under(&t.path().join("o1")) {
        let a = std::fs::read(t.path().join("o1").join(&f)).unwrap();
        let b = std::fs::read(t.path().join("o2").join(&f)).unwrap();
        assert_eq!(a, b, "{f} changed on the second run");
    }
    assert_eq!(
        files_under(&t.path().join("o1")),
        files_under(&t.path().join("o2"))
    );
}

/// The runtime was `_ctinject_runtime.py` until TEMPLATE_VERSION 5: one left
/// in the tree by an earlier `--in-place` or patch is not the user's code.
#[test]
fn a_runtime_an_earlier_version_left_is_not_instrumented() {
    let old = "# _ctinject_runtime.py: the ctinject telemetry runtime for Python.\n\
               def Module(file):\n    x = 1\n    return x\n";
    let t = tree(&[
        ("p/pkg/__init__.py", ""),
        ("p/pkg/m.py", MOD),
        ("p/pkg/_ctinject_runtime.py", old),
    ]);
    ok(&ctinject(t.path(), &["p", "--out", "o"]));
    let o = t.path().join("o/pkg");
    assert_eq!(
        std::fs::read_to_string(o.join("_ctinject_runtime.py")).unwrap(),
        old
    );
    assert!(std::fs::read_to_string(o.join("m.py"))
        .unwrap()
        .contains("_ct.fn("));
}

#[test]
fn output_is_deterministic() {
    let t = tree(&[
        ("p/pkg/__init__.py", ""),
        ("p/pkg/m.py", MOD),
        ("p/pkg/n.py", "y = [i for i in range(3)]\n"),
    ]);
    ok(&ctinject(t.path(), &["p", "--patch", "a.patch", "-j", "1"]));
    ok(&ctinject(t.path(), &["p", "--patch", "b.patch", "-j", "4"]));
    let a = std::fs::read(t.path().join("a.patch")).unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, std::fs::read(t.path().join("b.patch")).unwrap());
}

#[test]
fn patch_applies_with_git_and_reverts() {
    if require_tool("git").is_none() {
        return;
    }
    let repo = git_repo(&[
        ("src/pkg/__init__.py", ""),
        ("src/pkg/m.py", MOD),
        ("src/pkg/dir with space/__init__.py", ""),
        ("src/pkg/dir with space/caf\u{e9}.py", "x = 1\n"),
        ("src/no_newline.py", "y = 2"),
    ]);
    let p = repo.path();
    ok(&ctinject(p, &["src", "--patch", "ct.patch"]));
    let patch = std::fs::read_to_string(p.join("ct.patch")).unwrap();
    assert!(patch.contains("+++ b/src/pkg/_ctinject.py"), "{patch}");
    git(p, &["apply", "--check", "ct.patch"]);
    git(p, &["apply", "ct.patch"]);
    let m = std::fs::read_to_string(p.join("src/pkg/m.py")).unwrap();
    assert!(m.contains("_ct.v(5, \"b\", b)"), "{m}");
    assert!(p.join("src/_ctinject.py").exists());
    git(p, &["apply", "-R", "ct.patch"]);
    let status = git(p, &["status", "--porcelain"]);
    assert_eq!(
        status.trim(),
        "?? ct.patch",
        "the tree is back to the commit"
    );
}

#[test]
fn in_place_refuses_uncommitted_files_unless_forced() {
    if require_tool("git").is_none() {
        return;
    }
    let repo = git_repo(&[("a.py", "x = 1\n"), ("b.py", "y = 2\n")]);
    let p = repo.path();
    std::fs::write(p.join("b.py"), "y = 3\n").unwrap();
    let o = ctinject(p, &[".", "--in-place"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("b.py"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(p.join("a.py")).unwrap(),
        "x = 1\n",
        "nothing written when refusing"
    );
    ok(&ctinject(p, &[".", "--in-place", "--force"]));
    assert!(std::fs::read_to_string(p.join("b.py"))
        .unwrap()
        .contains("_ct.v(1, \"y\", y)"));
    assert!(p.join("_ctinject.py").exists());
}

#[test]
fn default_output_goes_to_a_self_ignoring_folder() {
    if require_tool("git").is_none() {
        return;
    }
    let repo = git_repo(&[("src/a.py", "x = 1\n")]);
    let p = repo.path();
    ok(&ctinject(&p.join("src"), &[]));
    assert!(p.join(".ctinject/out/a.py").exists());
    let status = git(p, &["status", "--porcelain"]);
    assert_eq!(status, "", "the default output shows in git status");
    // A second run replaces it.
    std::fs::write(p.join("src/a.py"), "x = 2\n").unwrap();
    ok(&ctinject(&p.join("src"), &[]));
    assert!(std::fs::read_to_string(p.join(".ctinject/out/a.py"))
        .unwrap()
        .contains("x = 2"));
}

#[test]
fn default_output_in_a_cargo_workspace_goes_under_the_target_dir() {
    if require_tool("git").is_none() || require_tool("cargo").is_none() {
        return;
    }
    let repo = git_repo(&[
        (
            "Cargo.toml",
            "[package]\nname = \"ws\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("src/lib.rs", ""),
        ("py/a.py", "x = 1\n"),
    ]);
    let p = repo.path();
    ok(&ctinject(&p.join("py"), &[]));
    assert!(
        p.join("target/ctinject/out/a.py").exists(),
        "not under target/ctinject"
    );
    assert!(!p.join(".ctinject").exists());
}

#[test]
fn patch_updates_an_older_runtime_left_by_an_earlier_run() {
    // Regression (review): --patch assumed an existing runtime file was
    // identical, so a new configuration (redaction, caps) never reached it.
    let t = tree(&[
        ("p/a.py", "x = 1\n"),
        ("p/.ctinject.yml", "values: {cap: 50}\n"),
    ]);
    let p = t.path().join("p");
    ok(&ctinject(&p, &[".", "--in-place", "--force", "--no-cache"]));
    std::fs::write(p.join("b.py"), "y = 2\n").unwrap();
    std::fs::write(p.join(".ctinject.yml"), "values: {cap: 60}\n").unwrap();
    ok(&ctinject(
        &p,
        &[".", "--patch", "../ct.patch", "--no-cache"],
    ));
    let patch = std::fs::read_to_string(t.path().join("ct.patch")).unwrap();
    assert!(
        patch.contains("--- a/_ctinject_runtime.py.txt\n+++ b/_ctinject_runtime.py.txt"),
        "{patch}"
    );
    assert!(patch.contains("\\\"value_cap\\\":60"), "{patch}");
    assert!(
        !patch.contains("new file mode 100644\n--- /dev/null\n+++ b/_ctinject_runtime.py.txt"),
        "{patch}"
    );
}

/// A killed run left its staging folder (a whole copy) and temporary files
/// beside the output for good; the next run removes those of dead
/// processes, and nothing else. (Linux: the test relies on `/proc` and on
/// process ids staying below 2^22.)
#[cfg(target_os = "linux")]
#[test]
fn leftovers_of_a_killed_run_are_removed_by_the_next() {
    let t = tree(&[("p/m.py", MOD)]);
    // No process has this id: the kernel's limit is below it.
    let dead = "4194999";
    let staging = t.path().join(format!(".out.ctinject-staging-{dead}"));
    let tmp = t.path().join(format!(".r.json.ctinject-{dead}.tmp"));
    // Process 1 is alive: its staging folder may be in use.
    let alive = t.path().join(".out.ctinject-staging-1");
    let user = t.path().join(".out.ctinject-staging-notes");
    for d in [&staging, &alive, &user] {
        std::fs::create_dir_all(d.join("pkg")).unwrap();
        std::fs::write(d.join("pkg/m.py"), "x = 1\n").unwrap();
    }
    std::fs::write(&tmp, "{").unwrap();
    ok(&ctinject(
        t.path(),
        &["p", "--out", "out", "--report", "json=r.json"],
    ));
    assert!(!staging.exists() && !tmp.exists());
    assert!(alive.exists() && user.exists());
    assert!(t.path().join("out/m.py").exists() && t.path().join("r.json").exists());
}

/// A symbolic link to a `.py` file was passed over without a word. Now a
/// link into the tree is reported with a note (its target is instrumented
/// as itself, and the copy's link reaches the instrumented copy, even when
/// the original link was absolute); a link out of the tree, or a broken one,
/// is skipped with the reason.
#[cfg(unix)]
#[test]
fn symbolic_links_to_python_files_are_reported() {
    use std::os::unix::fs::symlink;
    let t = tree(&[("p/real/b.py", MOD), ("elsewhere/x.py", MOD)]);
    let p = t.path().join("p");
    symlink("real/b.py", p.join("rel.py")).unwrap();
    symlink(p.join("real/b.py"), p.join("abs.py")).unwrap();
    symlink("../elsewhere/x.py", p.join("out.py")).unwrap();
    symlink("nothing.py", p.join("broken.py")).unwrap();
    let json = ok(&ctinject(
        t.path(),
        &["p", "--out", "copy", "--format", "json", "--no-cache"],
    ));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    let file = |name: &str| {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .unwrap_or_else(|| panic!("{name} not in {json}"))
            .clone()
    };
    for name in ["rel.py", "abs.py"] {
        let f = file(name);
        assert_eq!(f["status"], "unchanged", "{f}");
        assert!(
            f["note"]
                .as_str()
                .unwrap()
                .contains("symbolic link to real/b.py, which is instrumented as itself"),
            "{f}"
        );
    }
    assert_eq!(file("real/b.py")["status"], "instrumented");
    let out = file("out.py");
    assert_eq!(out["status"], "skipped");
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("outside the folders"),
        "{out}"
    );
    let broken = file("broken.py");
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{broken}"
    );
    // Two skipped files, one point each.
    assert_eq!(
        r["totals"]["points"]["function"]["instrumentable"]
            .as_u64()
            .unwrap()
            - r["totals"]["points"]["function"]["instrumented"]
                .as_u64()
                .unwrap(),
        2,
        "{json}"
    );
    // Both links of the copy reach the instrumented copy.
    let copy = t.path().join("copy");
    let instrumented = std::fs::read_to_string(copy.join("real/b.py")).unwrap();
    assert_ne!(instrumented, MOD);
    for name in ["rel.py", "abs.py"] {
        assert!(std::fs::read_link(copy.join(name)).unwrap().is_relative());
        assert_eq!(
            std::fs::read_to_string(copy.join(name)).unwrap(),
            instrumented
        );
    }
}
