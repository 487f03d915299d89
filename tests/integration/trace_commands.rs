//! `ctinject trace summary`, `perfetto` and `flamegraph` on a real trace:
//! the inventory example's instrumented copy, run with telemetry on.
//! (`trace export` has otlp_export.rs.)

use crate::util::*;
use serde_json::Value;

#[test]
fn summary_of_the_inventory_example_shows_its_tree_errors_and_loops() {
    if require_tool("python3").is_none() {
        return;
    }
    let (t, trace) = inventory_trace();

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

#[test]
fn perfetto_writes_a_slice_per_call_nested_as_they_ran() {
    if require_tool("python3").is_none() {
        return;
    }
    let (t, trace) = inventory_trace();
    let trace_arg = trace.to_str().unwrap();
    let o = ctinject(
        t.path(),
        &["trace", "perfetto", trace_arg, "-o", "timeline.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("timeline.json")).unwrap())
            .unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let spans: Vec<Value> = read_events(&trace)
        .into_iter()
        .filter(|e| e["type"] == "span")
        .collect();
    // a complete slice per plain call; an async begin and end per coroutine call
    let slices: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    let begins = events.iter().filter(|e| e["ph"] == "b").count();
    assert_eq!(slices.len() + begins, spans.len());
    assert!(begins > 0, "the example's fetch_price is a coroutine");
    assert_eq!(begins, events.iter().filter(|e| e["ph"] == "e").count());
    // each slice inside its parent's slice (the same track: a plain caller)
    let by_id: std::collections::HashMap<&str, &Value> = slices
        .iter()
        .map(|s| (s["args"]["span_id"].as_str().unwrap(), *s))
        .collect();
    let mut nested = 0;
    for s in &slices {
        let Some(parent) = s["args"]["parent_id"].as_str().and_then(|p| by_id.get(p)) else {
            continue;
        };
        let (ts, dur) = (s["ts"].as_f64().unwrap(), s["dur"].as_f64().unwrap());
        let (pts, pdur) = (
            parent["ts"].as_f64().unwrap(),
            parent["dur"].as_f64().unwrap(),
        );
        assert!(ts >= pts && ts + dur <= pts + pdur, "{s} outside {parent}");
        assert_eq!(
            (s["pid"].clone(), s["tid"].clone()),
            (parent["pid"].clone(), parent["tid"].clone())
        );
        nested += 1;
    }
    assert!(nested > 10, "only {nested} nested slices");
    let take = slices
        .iter()
        .find(|s| s["name"] == "Stock.take" && s["args"]["status"] == "error");
    assert!(take.is_some(), "the failing Stock.take with its status");
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["name"] == "thread_name"));
    assert!(
        events.iter().any(|e| e["ph"] == "i"),
        "point events as instants"
    );

    // standard input cannot be read twice
    let o = ctinject(t.path(), &["trace", "perfetto", "-", "-o", "stdin.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(stderr(&o).contains("not -"), "{}", describe(&o));
}

#[test]
fn flamegraph_draws_the_call_tree_with_inferno() {
    if require_tool("python3").is_none() {
        return;
    }
    let (t, trace) = inventory_trace();
    let trace_arg = trace.to_str().unwrap();
    let o = ctinject(
        t.path(),
        &[
            "trace",
            "flamegraph",
            trace_arg,
            "-o",
            "flame.svg",
            "--title",
            "inventory",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let svg = std::fs::read_to_string(t.path().join("flame.svg")).unwrap();
    assert!(svg.starts_with("<?xml"));
    for want in [
        "inventory",
        "main (main.py:",
        "gather_prices (inventory/core.py:",
        "fetch_price (",
    ] {
        assert!(svg.contains(want), "no {want:?} in the SVG");
    }
}

#[test]
fn picture_outputs_never_overwrite_what_is_not_their_own() {
    if require_tool("python3").is_none() {
        return;
    }
    let (t, trace) = inventory_trace();
    let trace_arg = trace.to_str().unwrap();
    std::fs::write(t.path().join("notes.json"), "my notes\n").unwrap();
    std::fs::create_dir(t.path().join("folder")).unwrap();
    for (command, own) in [("perfetto", "timeline.json"), ("flamegraph", "flame.svg")] {
        // an untracked file of the user's, a folder, the trace being read
        for target in ["notes.json", "folder", trace_arg] {
            let o = ctinject(t.path(), &["trace", command, trace_arg, "-o", target]);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{command} -o {target}: {}",
                describe(&o)
            );
            assert!(stderr(&o).contains("-o "), "{}", describe(&o));
        }
        assert_eq!(
            std::fs::read_to_string(t.path().join("notes.json")).unwrap(),
            "my notes\n"
        );
        assert!(read_events(&trace).len() > 10, "the trace is intact");
        // --force for the user's file, never for the trace
        let o = ctinject(
            t.path(),
            &["trace", command, trace_arg, "-o", trace_arg, "--force"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        // its own earlier output is replaced; the other picture's is not its own
        ok(&ctinject(
            t.path(),
            &["trace", command, trace_arg, "-o", own],
        ));
        ok(&ctinject(
            t.path(),
            &["trace", command, trace_arg, "-o", own],
        ));
        let other = if command == "perfetto" {
            "flamegraph"
        } else {
            "perfetto"
        };
        let o = ctinject(t.path(), &["trace", other, trace_arg, "-o", own]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{other} over {own}: {}",
            describe(&o)
        );
    }
    ok(&ctinject(
        t.path(),
        &[
            "trace",
            "perfetto",
            trace_arg,
            "-o",
            "notes.json",
            "--force",
        ],
    ));
}
