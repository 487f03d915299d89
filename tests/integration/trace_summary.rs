//! `ctinject trace summary` on a real trace: the inventory example's
//! instrumented copy, run with telemetry on.

use crate::util::*;
use serde_json::Value;

#[test]
fn summary_of_the_inventory_example_shows_its_tree_errors_and_loops() {
    if require_tool("python3").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_dir().join("fixtures/python/inventory"),
        &t.path().join("inventory"),
    );
    ok(&ctinject(t.path(), &["inventory", "--out", "out"]));
    let trace = t.path().join("trace.jsonl");
    let o = run(clean_command("python3")
        .arg("main.py")
        .current_dir(t.path().join("out"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("CTINJECT_TRACE_FILE", &trace));
    assert!(o.status.success(), "{}", stderr(&o));

    let trace_arg = trace.to_str().unwrap();
    let json: Value = serde_json::from_str(&ok(&ctinject(
        t.path(),
        &["trace", "summary", trace_arg, "--format", "json"],
    )))
    .unwrap();
    // main -> gather_prices -> fetch_price (two, run as tasks)
    let tree = json["call_tree"].as_array().unwrap();
    let main = tree
        .iter()
        .find(|n| n["name"] == "main")
        .expect("main at the top");
    let child = |n: &Value, name: &str| -> Value {
        n["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} under {}", n["name"]))
    };
    let gather = child(main, "gather_prices");
    assert_eq!(child(&gather, "fetch_price")["calls"], 2);
    let total = main["total_ns"].as_u64().unwrap();
    let self_ns = main["self_ns"].as_u64().unwrap();
    assert!(self_ns < total && total > 0, "{main}");
    // the failed Stock.take, with its exception and the original file:line
    let errors = json["errors"].as_array().unwrap();
    let take = errors
        .iter()
        .find(|e| e["name"] == "Stock.take")
        .expect("Stock.take failed");
    assert_eq!(take["exception"], "inventory.core.OutOfStock");
    assert_eq!(take["file"], "inventory/core.py");
    assert!(!json["loops"].as_array().unwrap().is_empty());
    assert!(!json["branches"].as_array().unwrap().is_empty());

    let human = ok(&ctinject(t.path(), &["trace", "summary", trace_arg]));
    for want in [
        "Call tree",
        "Slowest functions",
        "Most frequent functions",
        "Errors (",
        "Stock.take  inventory/core.py:",
        "OutOfStock",
    ] {
        assert!(human.contains(want), "no {want:?} in\n{human}");
    }
}

#[test]
fn summary_refuses_a_missing_file_and_a_file_without_events() {
    let t = tree(&[("notes.txt", "hello\nworld\n")]);
    let o = ctinject(t.path(), &["trace", "summary", "missing.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        stderr(&o).contains("cannot read the trace missing.jsonl"),
        "{}",
        describe(&o)
    );
    let o = ctinject(t.path(), &["trace", "summary", "notes.txt"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("not trace events"), "{}", describe(&o));
    assert!(
        stderr(&o).contains("no trace events in notes.txt"),
        "{}",
        describe(&o)
    );
}
