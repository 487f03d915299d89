//! The plan cache through the command line: hits on a warm run, corrupt and
//! tampered entries dropped and rebuilt, processes sharing one cache, and the
//! `ctinject cache` commands.

use crate::util::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SRC: &[(&str, &str)] = &[
    ("p/pkg/__init__.py", ""),
    (
        "p/pkg/a.py",
        "import os\n\n\ndef f(a):\n    b = a + 1\n    return b\n",
    ),
    (
        "p/pkg/b.py",
        "def g(x):\n    if x:\n        return 1\n    return 2\n",
    ),
];

fn report(dir: &Path, args: &[&str]) -> (Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let o = ctinject(dir, &all);
    (serde_json::from_str(&ok(&o)).unwrap(), stderr(&o))
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for fan in std::fs::read_dir(cache.join("v1")).unwrap().flatten() {
        for e in std::fs::read_dir(fan.path()).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "plan") {
                v.push(e.path());
            }
        }
    }
    v.sort();
    v
}

/// The patch ctinject makes without any cache: the reference output.
fn reference(dir: &Path) -> String {
    ok(&ctinject(dir, &["p", "--no-cache", "--patch", "-"]))
}

#[test]
fn warm_run_hits_and_gives_the_same_output() {
    let t = tree(SRC);
    let want = reference(t.path());
    let (cold, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    assert_eq!(
        (
            cold["cache"]["hits"].as_u64(),
            cold["cache"]["misses"].as_u64()
        ),
        (Some(0), Some(3))
    );
    let (warm, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    assert_eq!(
        (
            warm["cache"]["hits"].as_u64(),
            warm["cache"]["misses"].as_u64()
        ),
        (Some(3), Some(0))
    );
    assert_eq!(warm["totals"], cold["totals"]);
    assert_eq!(
        ok(&ctinject(
            t.path(),
            &["p", "--cache-dir", "c", "--patch", "-"]
        )),
        want
    );
    // A changed file misses; the others still hit.
    std::fs::write(t.path().join("p/pkg/b.py"), "def g(x):\n    return 3\n").unwrap();
    let (r, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    assert_eq!(
        (r["cache"]["hits"].as_u64(), r["cache"]["misses"].as_u64()),
        (Some(2), Some(1))
    );
}

/// The cache key hashed the whole configuration, so editing a redaction
/// pattern or the value cap (which only the runtime files carry) threw away
/// every cached plan; turning a point kind off must still miss.
#[test]
fn only_the_point_kinds_of_the_configuration_key_the_cache() {
    let t = tree(SRC);
    let config = |extra: &str| {
        let text = format!("values:\n  cap: 50\n  redact: [\"pin\"]\n{extra}");
        std::fs::write(t.path().join("p/.ctinject.yml"), text).unwrap();
    };
    let hits_misses = |r: &Value| (r["cache"]["hits"].as_u64(), r["cache"]["misses"].as_u64());
    report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    config("");
    let out = t.path().join("out");
    let (r, _) = report(t.path(), &["p", "--out", "out", "--cache-dir", "c"]);
    assert_eq!(hits_misses(&r), (Some(3), Some(0)), "{r}");
    let runtime = std::fs::read_to_string(out.join("pkg/_ctinject_runtime.py.txt")).unwrap();
    assert!(
        runtime.contains(r#"\"value_cap\":50"#) && runtime.contains(r#"\"pin\""#),
        "the new options did not reach the runtime"
    );
    config("points:\n  loop: false\n");
    let (r, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    assert_eq!(hits_misses(&r), (Some(0), Some(3)), "{r}");
}

/// A file whose insert positions check_plan cannot verify on load (quotes
/// nested in f-string braces) is planned every time and never cached.
#[test]
fn files_that_cannot_be_checked_on_load_are_never_cached() {
    let t = tree(&[
        ("p/safe.py", "def f(a):\n    b = a + 1\n    return b\n"),
        ("p/nested.py", "d = {}\nx = f\"{d[\"k\"]}\"\n"),
    ]);
    for run in 0..2 {
        let (r, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
        let (hits, misses) = (r["cache"]["hits"].as_u64(), r["cache"]["misses"].as_u64());
        assert_eq!((hits, misses), (Some(run), Some(2 - run)), "run {run}: {r}");
    }
    assert_eq!(entries(&t.path().join("c")).len(), 1);
}

#[test]
fn corrupt_entries_are_dropped_and_rebuilt() {
    let t = tree(SRC);
    let want = reference(t.path());
    let cache = t.path().join("c");
    report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    for e in entries(&cache) {
        let mut bytes = std::fs::read(&e).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x20;
        std::fs::write(&e, bytes).unwrap();
    }
    let o = ctinject(t.path(), &["p", "--cache-dir", "c", "--patch", "-"]);
    assert_eq!(ok(&o), want, "output after rebuilding differs");
    assert!(
        stderr(&o).contains("cache entry dropped and rebuilt"),
        "{}",
        stderr(&o)
    );
    // Rebuilt entries hit again.
    let (r, _) = report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    assert_eq!(r["cache"]["hits"].as_u64(), Some(3));
}

#[test]
fn tampered_entries_with_a_valid_checksum_are_never_applied() {
    use sha2::{Digest, Sha256};
    let t = tree(SRC);
    let want = reference(t.path());
    let cache = t.path().join("c");
    report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    let mut tampered = 0;
    for e in entries(&cache) {
        let text = std::fs::read_to_string(&e).unwrap();
        let (_, payload) = text.split_once('\n').unwrap();
        let mut v: Value = serde_json::from_str(payload).unwrap();
        let Some(ins) = v["plan"]["units"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find_map(|u| u["inserts"].as_array_mut().filter(|i| !i.is_empty()))
        else {
            continue;
        };
        ins[0]["text"] = Value::from("; __import__('os').system('echo pwned')");
        let payload = serde_json::to_string(&v).unwrap();
        let sum = format!("{:x}", Sha256::digest(payload.as_bytes()));
        std::fs::write(&e, format!("ctinject-cache-plan 1 {sum}\n{payload}")).unwrap();
        tampered += 1;
    }
    assert!(tampered >= 2);
    let o = ctinject(t.path(), &["p", "--cache-dir", "c", "--patch", "-"]);
    let out = ok(&o);
    assert!(!out.contains("pwned"));
    assert_eq!(out, want);
    assert!(
        stderr(&o).contains("not a ctinject insert"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn two_processes_sharing_a_cache_produce_correct_output() {
    let t = tree(SRC);
    let want = reference(t.path());
    for round in 0..3 {
        let spawn = |out: &str| {
            Command::new(ctinject_bin())
                .args(["p", "--cache-dir", "c", "--patch", out, "-q"])
                .current_dir(t.path())
                .spawn()
                .unwrap()
        };
        let (a, b) = (format!("a{round}.patch"), format!("b{round}.patch"));
        let (mut pa, mut pb) = (spawn(&a), spawn(&b));
        assert!(pa.wait().unwrap().success() && pb.wait().unwrap().success());
        for f in [a, b] {
            assert_eq!(
                std::fs::read_to_string(t.path().join(&f)).unwrap(),
                want,
                "{f}"
            );
        }
    }
    let v = ok(&ctinject(
        t.path(),
        &["cache", "verify", "--cache-dir", "c"],
    ));
    assert!(v.contains("checked 3 entries, 0 bad"), "{v}");
}

#[test]
fn cache_commands() {
    let t = tree(SRC);
    report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    let s = ok(&ctinject(t.path(), &["cache", "stats", "--cache-dir", "c"]));
    assert!(s.contains("entries: 3"), "{s}");
    let bad = &entries(&t.path().join("c"))[0];
    std::fs::write(bad, "garbage").unwrap();
    let o = ctinject(t.path(), &["cache", "verify", "--cache-dir", "c"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("checked 3 entries, 1 bad"),
        "{}",
        stdout(&o)
    );
    let o = ctinject(t.path(), &["cache", "prune", "--cache-dir", "c"]);
    assert_eq!(o.status.code(), Some(2));
    let p = ok(&ctinject(
        t.path(),
        &["cache", "prune", "--max-size", "0", "--cache-dir", "c"],
    ));
    assert!(p.contains("kept 0"), "{p}");
    report(t.path(), &["p", "--dry-run", "--cache-dir", "c"]);
    // An age spelled out and a size in powers of 1024: the entries, just
    // used and a few KiB, stay.
    let p = ok(&ctinject(
        t.path(),
        &[
            "cache",
            "prune",
            "--older-than",
            "7 days",
            "--max-size",
            "1.5MiB",
            "--cache-dir",
            "c",
        ],
    ));
    assert!(p.contains("kept 3"), "{p}");
    let c = ok(&ctinject(t.path(), &["cache", "clear", "--cache-dir", "c"]));
    assert!(c.contains("removed 3"), "{c}");
    // Values it cannot read are usage errors that name the flag and the value.
    for (flag, value) in [
        ("--older-than", "7"),
        ("--older-than", "soon"),
        ("--max-size", "2X"),
        ("--max-size", "-1"),
    ] {
        let o = ctinject(
            t.path(),
            &["cache", "prune", flag, value, "--cache-dir", "c"],
        );
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        let e = stderr(&o);
        assert!(e.contains(flag) && e.contains(value), "{flag} {value}: {e}");
    }
}

/// The `--max-drop` baseline planned the merge-base's files with the working
/// tree's package layout: a folder that became a package since then gave its
/// files the wrong runtime import, so those plans served no later run at
/// that commit.
#[test]
fn merge_base_plans_use_the_packages_of_the_merge_base() {
    if require_tool("git").is_none() {
        return;
    }
    let r = git_repo(&[("lib/m.py", "def f(a):\n    b = a + 1\n    return b\n")]);
    let p = r.path();
    // A cache of its own, outside the repository, gone even if this fails.
    let side = tempfile::tempdir().unwrap();
    let cache_arg = side.path().to_str().unwrap();
    git(p, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(p.join("lib/__init__.py"), "").unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "lib becomes a package"]);
    let (gated, _) = report(
        p,
        &[
            "--since",
            "main",
            "--max-drop",
            "0",
            "--dry-run",
            "--cache-dir",
            cache_arg,
        ],
    );
    assert_eq!(gated["gate"]["baseline"]["source"], "merge-base", "{gated}");
    git(p, &["checkout", "-q", "main"]);
    let (at_main, _) = report(p, &["--dry-run", "--cache-dir", cache_arg]);
    assert_eq!(
        (&at_main["cache"]["hits"], &at_main["cache"]["misses"]),
        (&Value::from(1), &Value::from(0)),
        "{at_main}"
    );
}
