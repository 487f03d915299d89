//! `ctinject check --since REF --trace FILE`: which changed functions the
//! tests ran, and which branch arms, from a trace written on the
//! instrumented change. (The Action's `trace` input: action.rs.)

use crate::util::*;
use serde_json::Value;
use std::path::Path;

/// A repository whose `feature` branch changes `cart.py`'s `add` (called by
/// the "tests") and adds `unused` (never called), with a nested helper in
/// `add`; the change instrumented into `copy/`.
fn changed_shop(py_main: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir_all(repo.join("shop")).unwrap();
    std::fs::write(repo.join("shop/__init__.py"), "").unwrap();
    std::fs::write(
        repo.join("shop/cart.py"),
        "def add(items, item):\n    items.append(item)\n    return len(items)\n\n\ndef keep(x):\n    return x\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "main"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        repo.join("shop/cart.py"),
        "def add(items, item):\n\n    def norm(v):\n        return v.strip() if isinstance(v, str) else v\n\n    if item is None:\n        return len(items)\n    elif item == '':\n        raise ValueError('empty')\n    else:\n        items.append(norm(item))\n    return len(items)\n\n\ndef keep(x):\n    return x\n\n\ndef unused(x):\n    return -x if x < 0 else x\n",
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "feature"]);
    ok(&ctinject(
        &repo,
        &["--since", "main", "--out", "../copy", "."],
    ));
    let o = run(clean_command("python3")
        .args(["-c", py_main])
        .current_dir(t.path().join("copy"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("CTINJECT_TRACE_FILE", t.path().join("trace.jsonl")));
    assert!(o.status.success(), "{}", describe(&o));
    t
}

fn check(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["check", "--since", "main", "--trace", "../trace.jsonl"];
    all.extend(args);
    ctinject(&dir.join("repo"), &all)
}

#[test]
fn check_reports_the_changed_functions_that_ran_and_their_arms() {
    if require_tool("python3").is_none() {
        return;
    }
    let t = changed_shop("from shop.cart import add\nadd([], ' a ')\nadd([], None)\n");
    let o = check(t.path(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let functions = json["functions"].as_array().unwrap();
    let by_name = |name: &str| {
        functions
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {json}"))
    };
    // norm is nested in add: its own function, called once
    assert_eq!(by_name("add")["status"], "executed");
    assert_eq!(by_name("add")["calls"], 2);
    assert_eq!(by_name("add.<locals>.norm")["calls"], 1);
    assert_eq!(by_name("unused")["status"], "not_executed");
    assert!(
        functions.iter().all(|f| f["name"] != "keep"),
        "keep did not change: {json}"
    );
    // add's if/elif/else: arms 0 (None) and 2 (else) ran, 1 ('') did not
    let arms: Vec<(i64, u64)> = by_name("add")["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["arm"].as_i64().unwrap(), a["taken"].as_u64().unwrap()))
        .collect();
    assert_eq!(arms, [(0, 1), (1, 0), (2, 1)]);
    // norm's conditional expression: the str arm ran
    let norm_arms: Vec<u64> = by_name("add.<locals>.norm")["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["taken"].as_u64().unwrap())
        .collect();
    assert_eq!(norm_arms, [1, 0]);
    assert_eq!(json["totals"]["functions"], 3);
    assert_eq!(json["totals"]["executed"], 2);
    assert_eq!(json["totals"]["percent"], 66.66);

    let human = stdout(&check(t.path(), &[]));
    assert!(
        human.contains("2 of 3 changed functions executed (66.66%)"),
        "{human}"
    );
    assert!(human.contains("shop/cart.py:19  unused"), "{human}");
    assert!(human.contains("shop/cart.py:6  add arm 1"), "{human}");

    // the gate, and GitHub annotations on the function that never ran
    let o = check(
        t.path(),
        &["--fail-under-executed", "70", "--format", "github"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let out = stdout(&o);
    assert!(
        out.contains("::warning file=shop/cart.py,line=19,") && out.contains("unused"),
        "{out}"
    );
    assert!(
        out.contains("::error title=ctinject executed coverage::"),
        "{out}"
    );
    let o = check(t.path(), &["--fail-under-executed", "66"]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

#[test]
fn check_refuses_a_missing_trace_and_an_instrumented_tree() {
    if require_tool("python3").is_none() {
        return;
    }
    let t = changed_shop("import shop.cart\n");
    // nothing ran: only a warning, and every function listed as not run
    let o = check(t.path(), &["--fail-under-executed", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        stdout(&o).contains("0 of 3 changed functions executed"),
        "{}",
        describe(&o)
    );

    let repo = t.path().join("repo");
    let o = ctinject(
        &repo,
        &["check", "--since", "main", "--trace", "nothing.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        stderr(&o).contains("cannot read the trace nothing.jsonl"),
        "{}",
        describe(&o)
    );

    // the instrumentation applied to the working tree
    ok(&ctinject(
        &repo,
        &["--since", "main", "--in-place", "--force", "."],
    ));
    let o = check(t.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("is instrumented"), "{}", describe(&o));

    // a report file of the user's is not replaced
    git(&repo, &["checkout", "-q", "--", "."]);
    std::fs::write(repo.join("notes.md"), "mine\n").unwrap();
    let o = check(t.path(), &["--report", "markdown=notes.md"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert_eq!(
        std::fs::read_to_string(repo.join("notes.md")).unwrap(),
        "mine\n"
    );
}
