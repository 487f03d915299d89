//! End to end with node: instrument the JavaScript example (CommonJS and an
//! ES module), run original and copy, compare their output byte for byte,
//! and read the telemetry back.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

fn node(dir: &Path, trace: Option<&Path>) -> std::process::Output {
    let mut cmd = clean_command("node");
    cmd.arg("main.js").current_dir(dir);
    if let Some(t) = trace {
        cmd.env("CTINJECT_TRACE_FILE", t);
    }
    run(&mut cmd)
}

#[test]
fn shop_example_behaves_the_same_and_explains_itself() {
    if require_tool("node").is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("shop");
    copy_dir(&repo_dir().join("fixtures/javascript/shop"), &src);
    // Installed packages are never instrumented; the copy links to them.
    let pkg = src.join("node_modules/pad");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("index.js"), "module.exports = (s) => ' ' + s\n").unwrap();
    ok(&ctinject(t.path(), &["shop", "--out", "out"]));
    let out = t.path().join("out");
    let link = out.join("node_modules");
    assert!(link.is_symlink(), "node_modules is linked, not copied");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::fs::canonicalize(src.join("node_modules")).unwrap()
    );
    assert!(!std::fs::read_to_string(link.join("pad/index.js"))
        .unwrap()
        .contains("__ct"));
    let cart = std::fs::read_to_string(out.join("lib/cart.js")).unwrap();
    assert!(cart.contains("require(\"../_ctinject.cjs\")"), "{cart}");
    let pay = std::fs::read_to_string(out.join("lib/pay.mjs")).unwrap();
    assert!(
        pay.contains("import * as __ct from \"../_ctinject.cjs\""),
        "{pay}"
    );

    let original = node(&src, None);
    assert!(original.status.success(), "{}", stderr(&original));
    let trace = t.path().join("trace.jsonl");
    assert_same_run(&node(&out, Some(&trace)), &original);
    // Telemetry off: the same run, and nothing written in the copy.
    let before = files_under(&out);
    assert_same_run(&node(&out, None), &original);
    assert_eq!(files_under(&out), before, "telemetry off wrote a file");

    let ev = read_events(&trace);
    assert!(
        ev.iter().all(|e| e["v"] == 1 && e["lang"] == "javascript"),
        "{ev:?}"
    );
    let spans: Vec<&Value> = ev.iter().filter(|e| e["type"] == "span").collect();
    let span = |name: &str| span_named(&ev, name);
    let main = span("main");
    assert_eq!(main["parent_id"], Value::Null);
    assert_eq!(main["kind"], "async");
    assert_eq!(main["file"], "main.js");
    // Called after main's first await, Cart.add still nests under main.
    let add = span("Cart.add");
    assert_eq!(add["parent_id"], main["span_id"]);
    assert_eq!(add["trace_id"], main["trace_id"]);
    assert_eq!(add["args"]["name"], "'apple'");
    assert_eq!(add["return"], "1");
    let refused = spans
        .iter()
        .find(|s| s["name"] == "Cart.add" && s["status"] == "error")
        .expect("the refused add failed");
    assert_eq!(refused["exception"]["type"], "RangeError");
    // Two charges run at once, interleaved by their awaits: each is main's child.
    let charges: Vec<&&Value> = spans.iter().filter(|s| s["name"] == "charge").collect();
    assert_eq!(charges.len(), 4, "{charges:?}");
    let from_main = charges
        .iter()
        .filter(|c| c["parent_id"] == main["span_id"])
        .count();
    assert_eq!(from_main, 2, "{charges:?}");
    // The two others run inside the async generator's steps.
    let receipts = span("receipts");
    assert_eq!(receipts["kind"], "async_generator");
    assert!(
        charges
            .iter()
            .filter(|c| c["parent_id"] == receipts["span_id"])
            .count()
            == 2
    );
    assert_eq!(span("Cart.total")["kind"], "getter");
    assert_eq!(span("Cart.lines")["kind"], "generator");
    assert_eq!(span("describe")["kind"], "arrow");
    // A variable, a switch case, a loop count, a caught exception.
    let of_type = |t: &'static str| ev.iter().filter(move |e| e["type"] == t);
    assert!(of_type("var").any(|e| e["name"] == "sum" && e["file"] == "lib/cart.js"));
    assert!(
        of_type("branch").any(|e| e["file"] == "lib/cart.js" && e["line"] == 32 && e["arm"] == 0)
    );
    assert!(of_type("loop").any(|e| e["file"] == "main.js" && e["iterations"] == 2));
    assert!(of_type("exception").any(|e| e["file"] == "main.js" && e["line"] == 12));
}
