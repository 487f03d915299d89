//! Files ctinject writes outside its own folders (`--patch`, `--report`,
//! `--write-baseline`) never replace something of the user's: an input is
//! never written, another file only when it is ctinject's own earlier output
//! of the same kind, or with `--force`.

use crate::util::*;
use std::path::Path;

const MODELS: &str =
    "def total(items):\n    s = 0\n    for i in items:\n        s += i\n    return s\n";

/// A repository on a branch with one changed, uncommitted function.
fn shop() -> Option<tempfile::TempDir> {
    require_tool("git")?;
    let r = git_repo(&[("shop/models.py", MODELS), ("shop/__init__.py", "")]);
    git(r.path(), &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        r.path().join("shop/models.py"),
        MODELS.replace("s = 0", "s = 1"),
    )
    .unwrap();
    Some(r)
}

/// The arguments that write `file` with `flag` (`--patch`, `--report
/// json=`, ... `--write-baseline`).
fn writing(flag: &str, file: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["--since".into(), "main".into()];
    if flag != "--patch" {
        args.push("--dry-run".into());
    }
    match flag.strip_prefix("--report ") {
        Some(format) => args.extend(["--report".into(), format!("{format}{file}")]),
        None => args.extend([flag.to_string(), file.to_string()]),
    }
    args
}

fn run_with(dir: &Path, args: &[String], force: bool) -> std::process::Output {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    if force {
        all.push("--force");
    }
    ctinject(dir, &all)
}

const FLAGS: [&str; 6] = [
    "--patch",
    "--report json=",
    "--report markdown=",
    "--report human=",
    "--report github=",
    "--write-baseline",
];

/// The reported bug: `--patch shop/models.py` turned the source file into a
/// patch and its uncommitted edit was gone.
#[test]
fn patch_over_a_changed_source_file_is_refused_and_the_edit_kept() {
    let Some(r) = shop() else { return };
    let p = r.path();
    let before = std::fs::read_to_string(p.join("shop/models.py")).unwrap();
    for force in [false, true] {
        let o = run_with(p, &writing("--patch", "shop/models.py"), force);
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        assert!(
            stderr(&o).contains("shop/models.py") && stderr(&o).contains("instruments or reads"),
            "{}",
            describe(&o)
        );
        assert_eq!(
            std::fs::read_to_string(p.join("shop/models.py")).unwrap(),
            before
        );
    }
}

#[test]
fn no_flag_writes_over_a_source_file_even_with_force() {
    let Some(r) = shop() else { return };
    let p = r.path();
    let before = std::fs::read_to_string(p.join("shop/models.py")).unwrap();
    for flag in FLAGS {
        for force in [false, true] {
            let o = run_with(p, &writing(flag, "shop/models.py"), force);
            assert_eq!(o.status.code(), Some(2), "{flag} {}", describe(&o));
            assert!(stderr(&o).contains("shop/models.py"), "{}", describe(&o));
            assert_eq!(
                std::fs::read_to_string(p.join("shop/models.py")).unwrap(),
                before,
                "{flag}"
            );
        }
    }
}

#[test]
fn an_untracked_file_is_kept_unless_forced() {
    let Some(r) = shop() else { return };
    let p = r.path();
    for flag in FLAGS {
        std::fs::write(p.join("notes.txt"), "my notes\n").unwrap();
        let o = run_with(p, &writing(flag, "notes.txt"), false);
        assert_eq!(o.status.code(), Some(2), "{flag} {}", describe(&o));
        assert!(
            stderr(&o).contains("notes.txt") && stderr(&o).contains("--force"),
            "{}",
            describe(&o)
        );
        assert_eq!(
            std::fs::read_to_string(p.join("notes.txt")).unwrap(),
            "my notes\n"
        );
        ok(&run_with(p, &writing(flag, "notes.txt"), true));
        let written = std::fs::read_to_string(p.join("notes.txt")).unwrap();
        assert_ne!(written, "my notes\n", "{flag}");
        // What --force wrote is ctinject's own now: no --force needed again.
        ok(&run_with(p, &writing(flag, "notes.txt"), false));
    }
}

#[test]
fn a_folder_is_refused() {
    let Some(r) = shop() else { return };
    let p = r.path();
    std::fs::create_dir(p.join("dir")).unwrap();
    for flag in FLAGS {
        for force in [false, true] {
            let o = run_with(p, &writing(flag, "dir"), force);
            assert_eq!(o.status.code(), Some(2), "{flag} {}", describe(&o));
            assert!(stderr(&o).contains("is a folder"), "{}", describe(&o));
        }
    }
    assert!(p.join("dir").is_dir());
}

#[test]
fn a_previous_output_of_the_same_kind_is_replaced_and_of_another_kind_kept() {
    let Some(r) = shop() else { return };
    let p = r.path();
    for flag in FLAGS {
        let name = format!("out-{}", flag.replace([' ', '=', '-'], ""));
        ok(&run_with(p, &writing(flag, &name), false));
        let first = std::fs::read_to_string(p.join(&name)).unwrap();
        assert!(!first.is_empty(), "{flag}");
        // The change changes, the output follows it.
        std::fs::write(p.join("shop/models.py"), MODELS.replace("s = 0", "s = 2")).unwrap();
        ok(&run_with(p, &writing(flag, &name), false));
    }
    // A patch is not a report, a report not a baseline, a baseline not a patch.
    for (flag, other) in [
        ("--patch", "out-reportjson"),
        ("--write-baseline", "out-reportjson"),
        ("--report json=", "out-patch"),
        ("--report json=", "out-writebaseline"),
        ("--patch", "out-writebaseline"),
    ] {
        let before = std::fs::read_to_string(p.join(other)).unwrap();
        let o = run_with(p, &writing(flag, other), false);
        assert_eq!(o.status.code(), Some(2), "{flag} {other}: {}", describe(&o));
        assert_eq!(std::fs::read_to_string(p.join(other)).unwrap(), before);
    }
    // A report may replace a report of another format.
    ok(&run_with(
        p,
        &writing("--report markdown=", "out-reportjson"),
        false,
    ));
}

#[test]
fn the_patch_mark_does_not_stop_git_apply() {
    let Some(r) = shop() else { return };
    let p = r.path();
    ok(&run_with(p, &writing("--patch", "../ct.patch"), false));
    let patch = std::fs::read_to_string(p.join("../ct.patch")).unwrap();
    assert!(patch.starts_with("# ctinject patch"), "{patch}");
    git(p, &["apply", "--check", "../ct.patch"]);
    std::fs::remove_file(p.join("../ct.patch")).unwrap();
}

#[test]
fn inputs_and_two_outputs_on_one_file_are_refused() {
    let Some(r) = shop() else { return };
    let p = r.path();
    std::fs::write(p.join(".ctinject.yml"), "").unwrap();
    let o = ctinject(p, &["--dry-run", "--report", "json=.ctinject.yml"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains(".ctinject.yml"), "{}", describe(&o));
    assert_eq!(
        std::fs::read_to_string(p.join(".ctinject.yml")).unwrap(),
        ""
    );

    let o = ctinject(
        p,
        &[
            "--dry-run",
            "--report",
            "json=r.out",
            "--report",
            "markdown=r.out",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("same file"), "{}", describe(&o));
    assert!(!p.join("r.out").exists());
}
