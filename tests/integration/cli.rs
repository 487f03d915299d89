//! The command line: help, usage errors, exit codes, configuration.

use crate::util::*;
use std::process::Command;

#[test]
fn help_teaches_the_main_uses() {
    let out = ok(&ctinject(&repo_dir(), &["--help"]));
    for needle in [
        "--out <DIR>",
        "--patch <FILE>",
        "--in-place",
        "--dry-run",
        "CTINJECT_TRACE_FILE",
        "Exit codes",
    ] {
        assert!(out.contains(needle), "--help lacks {needle}:\n{out}");
    }
}

#[test]
fn cargo_subcommand_reads_as_cargo_ctinject() {
    // Cargo runs `cargo-ctinject ctinject ARGS`.
    let o = run(Command::new(cargo_ctinject_bin()).args(["ctinject", "--help"]));
    let out = ok(&o);
    assert!(out.contains("Usage: cargo ctinject"), "{out}");
    // And behaves as ctinject: a dry run over a tree.
    let t = tree(&[("a.py", "x = 1\n")]);
    let o = run(Command::new(cargo_ctinject_bin())
        .args(["ctinject", "--dry-run", "--format", "json"])
        .current_dir(t.path()));
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(report["totals"]["files_instrumented"], 1);
}

#[test]
fn usage_errors_exit_2() {
    let t = tree(&[("a.py", "x = 1\n")]);
    // Each with what its message must name.
    for (args, named) in [
        (&["--out", "x", "--patch", "y"][..], "--patch"),
        (&["--no-such-flag"], "--no-such-flag"),
        (&["--format", "yaml"], "'yaml'"),
        (&["--force"], "--force"),
        // Flags that mean nothing alone were accepted and ignored.
        (
            &["--force", "--dry-run"],
            "--force only goes with --in-place",
        ),
        (
            &["--informational", "--dry-run"],
            "--informational only goes with a gate",
        ),
        (
            &["--include-untracked", "--dry-run"],
            "--include-untracked only goes with --since",
        ),
        (&["-j", "0", "--dry-run"], "0 threads would do nothing"),
    ] {
        let o = ctinject(t.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(named),
            "{args:?} does not say {named:?}: {}",
            stderr(&o)
        );
    }
    let o = ctinject(t.path(), &["missing/path", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing/path: no such file or folder"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let t = tree(&[("a.py", "x = 1\n")]);
    ok(&ctinject(t.path(), &["init"]));
    let text = std::fs::read_to_string(t.path().join(".ctinject.yml")).unwrap();
    assert!(text.contains("points:") && text.contains("redact:"));
    // The written config is found and loads (a bad one exits 2).
    ok(&ctinject(t.path(), &["--dry-run"]));
    let o = ctinject(t.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exists already"));
}

#[test]
fn bad_config_names_file_line_and_key() {
    let t = tree(&[
        ("src/a.py", "x = 1\n"),
        (".ctinject.yml", "exclude: []\npoints:\n  functoin: false\n"),
    ]);
    let o = ctinject(t.path(), &["src", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(".ctinject.yml") && err.contains("functoin") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn config_turns_point_kinds_off_and_excludes_files() {
    let t = tree(&[
        ("a.py", "x = 1\nif x:\n    y = 2\n"),
        ("skip_me.py", "z = 3\n"),
        (
            "cfg.yml",
            "exclude: ['skip_*.py']\npoints: {variable: false}\n",
        ),
    ]);
    let o = ctinject(
        t.path(),
        &[".", "--dry-run", "--format", "json", "--config", "cfg.yml"],
    );
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["a.py"]);
    let points = &report["totals"]["points"];
    assert!(points.get("variable").is_none(), "{points}");
    assert_eq!(points["branch"]["instrumented"], 1);
}

/// `ctinject m.py`: the parent of a bare file name is empty, the search for
/// `.ctinject.yml` gave up, and the configuration was silently not applied.
#[test]
fn config_is_found_from_a_bare_file_name() {
    let t = tree(&[
        ("m.py", "x = 1\nif x:\n    y = 2\n"),
        ("sub/n.py", "x = 1\n"),
        (".ctinject.yml", "points: {variable: false}\n"),
    ]);
    for path in ["m.py", "./m.py", ".", "sub/n.py", "sub"] {
        let o = ctinject(t.path(), &[path, "--dry-run", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
        let points = &report["totals"]["points"];
        assert!(points.get("variable").is_none(), "{path}: {points}");
    }
}

/// `--include ./src/**` from the wrong folder instrumented nothing and said
/// nothing; `-q` ("nothing but errors") still printed warnings.
#[test]
fn an_include_glob_that_matches_nothing_is_named_unless_quiet() {
    let t = tree(&[("src/a.py", "x = 1\n"), ("tests/test_a.py", "y = 2\n")]);
    let o = ctinject(
        t.path(),
        &["--dry-run", "--include", "pkg/**", "--exclude", "tests"],
    );
    ok(&o);
    assert!(
        stderr(&o).contains("the include glob \"pkg/**\" matched no file"),
        "{}",
        stderr(&o)
    );
    let o = ctinject(
        t.path(),
        &["--dry-run", "-q", "--include", "pkg/**", "--format", "json"],
    );
    assert_eq!(stderr(&o), "", "-q printed something");
    // A folder name excludes the folder: only src/a.py is instrumented.
    let o = ctinject(
        t.path(),
        &["--dry-run", "--exclude", "tests", "--format", "json"],
    );
    let r: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/a.py"], "{r}");
}
