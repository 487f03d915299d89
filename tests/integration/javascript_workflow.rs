//! The git-aware workflow on JavaScript files: `--since` selects the
//! changed function only, `--patch` gives a patch that git applies, the plan
//! cache hits on a warm run with the same output, the gate counts JS
//! points, and the reports name them.

use crate::util::*;
use std::path::Path;

const LIB: &str = "'use strict'\n\nfunction one(x) {\n  const y = x + 1\n  return y\n}\n\nconst two = (x) => x * 2\n\nmodule.exports = { one, two }\n";
const ESM: &str =
    "export async function load(p) {\n  const r = await fetch(p)\n  return r.ok ? r : null\n}\n";

fn repo() -> Option<tempfile::TempDir> {
    require_tool("git")?;
    let r = git_repo(&[
        ("lib/a.js", LIB),
        ("lib/b.mjs", ESM),
        ("package.json", "{\"name\": \"p\"}\n"),
    ]);
    git(r.path(), &["checkout", "-q", "-b", "feature"]);
    Some(r)
}

#[test]
fn since_patch_cache_and_gate_work_on_javascript() {
    let Some(r) = repo() else { return };
    let p = r.path();
    let t = tempfile::tempdir().unwrap();
    let at = |name: &str| t.path().join(name).display().to_string();
    std::fs::write(p.join("lib/a.js"), LIB.replace("x * 2", "x * 3")).unwrap();
    // --since: only the arrow that changed.
    let (_, rep) = json_report(p, &["--since", "main", "--dry-run", "--no-cache"]);
    assert_eq!(report_functions(&rep), ["lib/a.js:two"], "{rep}");
    // --patch: git applies it to the working tree, and the result keeps
    // every original line where it was.
    ok(&ctinject(
        p,
        &["--since", "main", "--patch", &at("js.patch"), "--no-cache"],
    ));
    git(p, &["apply", "--check", &at("js.patch")]);
    let patch = std::fs::read_to_string(at("js.patch")).unwrap();
    assert!(
        patch.contains("__ct.s(\"lib/a.js\", 8, \"two\", \"arrow\""),
        "{patch}"
    );
    assert!(
        patch.contains("_ctinject.cjs"),
        "the runtime is in the patch:\n{patch}"
    );
    // The gate counts JavaScript points: the changed arrow is fully covered.
    let (code, rep) = json_report(
        p,
        &[
            "--since",
            "main",
            "--dry-run",
            "--no-cache",
            "--fail-under",
            "100",
        ],
    );
    assert_eq!(
        (code, rep["gate"]["status"].as_str()),
        (0, Some("pass")),
        "{rep}"
    );
    // A whole run: cold, then warm from the cache, same bytes.
    let (o1, o2, c) = (at("o1"), at("o2"), at("c"));
    let (_, cold) = json_report(p, &[".", "--out", &o1, "--cache-dir", &c]);
    assert_eq!(cold["cache"]["hits"].as_u64(), Some(0), "{cold}");
    let (_, warm) = json_report(p, &[".", "--out", &o2, "--cache-dir", &c]);
    assert_eq!(warm["cache"]["hits"].as_u64(), Some(2), "{warm}");
    for f in ["lib/a.js", "lib/b.mjs", "_ctinject.cjs"] {
        let a = std::fs::read(Path::new(&o1).join(f)).unwrap();
        let b = std::fs::read(Path::new(&o2).join(f)).unwrap();
        assert_eq!(a, b, "{f} differs between a cold and a warm run");
    }
    let esm = std::fs::read_to_string(Path::new(&o1).join("lib/b.mjs")).unwrap();
    assert!(
        esm.starts_with("import * as __ct from \"../_ctinject.cjs\"; export async"),
        "{esm}"
    );
    // Every point kind of both files, counted.
    let totals = &warm["totals"]["points"];
    for (kind, n) in [("function", 3), ("variable", 3), ("branch", 2)] {
        assert_eq!(
            totals[kind]["instrumented"].as_u64(),
            Some(n),
            "{kind}: {totals}"
        );
    }
}
