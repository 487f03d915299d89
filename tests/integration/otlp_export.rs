//! `ctinject trace export` against tests/otlp/receiver.py, a receiver built
//! on the official OTLP protobuf definitions (the `opentelemetry-proto`
//! package): what it decodes must be the trace's spans, in protobuf and in
//! JSON; and receivers that fail (503 then 200, 400, no answer, down) get
//! the retries and errors they should.

use crate::util::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The pins of tests/otlp/run-tests.sh that the receiver needs.
const RECEIVER_PINS: &[&str] = &["opentelemetry-proto==1.45.2"];

fn receiver_python() -> Option<PathBuf> {
    // made once for all the tests here, which run in parallel
    static VENV: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        require_tool("python3")?;
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("otlp-receiver-venv");
        Some(pinned_venv(&dir, RECEIVER_PINS, &[], &[]).join("python"))
    })
    .clone()
}

/// receiver.py with `options`, listening.
fn receiver(python: &Path, options: &[&str]) -> LocalServer {
    LocalServer::start(python, "tests/otlp/receiver.py", options)
}

fn export(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = clean_command(ctinject_bin());
    cmd.current_dir(cwd).args(["trace", "export"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// Every span the receiver decoded, by span id, with its resource's attributes.
fn decoded_spans(requests: &[Value]) -> HashMap<String, (Value, HashMap<String, Value>)> {
    let mut spans = HashMap::new();
    for r in requests {
        assert_eq!(
            r["error"],
            Value::Null,
            "the receiver could not decode: {r}"
        );
        for rs in r["request"]["resourceSpans"].as_array().unwrap() {
            let resource = attributes(&rs["resource"]["attributes"]);
            for ss in rs["scopeSpans"].as_array().unwrap() {
                assert_eq!(ss["scope"]["name"], "ctinject");
                for span in ss["spans"].as_array().unwrap() {
                    let id = span["spanId"].as_str().unwrap().to_string();
                    spans.insert(id, (span.clone(), resource.clone()));
                }
            }
        }
    }
    spans
}

/// OTLP attributes as a map of plain values (ints from their string form).
fn attributes(list: &Value) -> HashMap<String, Value> {
    list.as_array()
        .map(|l| l.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|kv| {
            let v = &kv["value"];
            let plain = if let Some(i) = v.get("intValue") {
                Value::from(i.as_str().unwrap().parse::<i64>().unwrap())
            } else if let Some(s) = v.get("stringValue") {
                s.clone()
            } else if let Some(b) = v.get("boolValue") {
                b.clone()
            } else {
                panic!("unexpected attribute value {kv}")
            };
            (kv["key"].as_str().unwrap().to_string(), plain)
        })
        .collect()
}

/// Each span of the trace arrived as it is in the file: ids, parent,
/// times, name, place, arguments, status, and its point events.
fn assert_trace_arrived(trace: &Path, requests: &[Value]) {
    let events = read_events(trace);
    let spans = decoded_spans(requests);
    let in_trace: Vec<&Value> = events.iter().filter(|e| e["type"] == "span").collect();
    assert_eq!(spans.len(), in_trace.len(), "every span once");
    for e in in_trace {
        let (span, resource) = &spans[e["span_id"].as_str().unwrap()];
        assert_eq!(span["traceId"], e["trace_id"]);
        match e["parent_id"].as_str() {
            Some(parent) => assert_eq!(span["parentSpanId"], parent),
            None => assert!(span.get("parentSpanId").is_none(), "{span}"),
        }
        assert_eq!(span["name"], e["name"]);
        assert_eq!(span["kind"], "SPAN_KIND_INTERNAL");
        let start = e["start_unix_ns"].as_u64().unwrap();
        assert_eq!(span["startTimeUnixNano"], start.to_string());
        assert_eq!(
            span["endTimeUnixNano"],
            (start + e["duration_ns"].as_u64().unwrap()).to_string()
        );
        let attrs = attributes(&span["attributes"]);
        assert_eq!(attrs["code.function"], e["name"]);
        assert_eq!(attrs["code.filepath"], e["file"]);
        assert_eq!(attrs["code.lineno"], e["line"]);
        assert_eq!(attrs["thread.id"], e["tid"]);
        for (param, value) in e["args"].as_object().unwrap() {
            assert_eq!(&attrs[&format!("ctinject.args.{param}")], value);
        }
        assert_eq!(resource["process.pid"], e["pid"]);
        assert_eq!(resource["telemetry.sdk.name"], "ctinject");
        assert_eq!(resource["telemetry.sdk.language"], "python");
        if e["status"] == "error" {
            assert_eq!(span["status"]["code"], "STATUS_CODE_ERROR");
            let last = span["events"].as_array().unwrap().last().unwrap();
            assert_eq!(last["name"], "exception");
            assert_eq!(
                attributes(&last["attributes"])["exception.type"],
                e["exception"]["type"]
            );
        } else {
            assert!(span.get("status").is_none(), "{span}");
        }
        // the point events written inside this span, in order
        let own: Vec<&Value> = events
            .iter()
            .filter(|p| p["span_id"] == e["span_id"] && p["type"] != "span")
            .filter(|p| {
                ["var", "branch", "loop", "exception"].contains(&p["type"].as_str().unwrap())
            })
            .collect();
        let got: Vec<&Value> = span["events"]
            .as_array()
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        let got: Vec<&Value> = got
            .into_iter()
            .filter(|g| !attributes(&g["attributes"]).contains_key("exception.escaped"))
            .collect();
        assert_eq!(got.len(), own.len(), "events of {}", e["name"]);
        for (g, p) in got.iter().zip(own) {
            assert_eq!(g["name"], p["type"]);
            assert_eq!(
                g["timeUnixNano"],
                p["time_unix_ns"].as_u64().unwrap().to_string()
            );
            let a = attributes(&g["attributes"]);
            assert_eq!(a["code.lineno"], p["line"]);
            if p["type"] == "var" {
                assert_eq!(a["ctinject.name"], p["name"]);
                assert_eq!(a["ctinject.value"], p["value"]);
            }
        }
    }
}

#[test]
fn the_example_trace_arrives_whole_as_protobuf_and_as_json() {
    let Some(python) = receiver_python() else {
        return;
    };
    let (t, trace) = inventory_trace();
    let trace_arg = trace.to_str().unwrap();
    for (protocol, content_type) in [
        ("http/protobuf", "application/x-protobuf"),
        ("http/json", "application/json"),
    ] {
        let receiver = receiver(&python, &[]);
        let o = export(
            t.path(),
            &[
                trace_arg,
                "--otlp",
                &receiver.url(),
                "--otlp-protocol",
                protocol,
            ],
            &[("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret")],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
        assert!(err.contains("exported "), "{err}");
        let requests = receiver.requests();
        assert!(!requests.is_empty());
        for r in &requests {
            assert_eq!(r["path"], "/v1/traces");
            assert_eq!(r["content_type"], content_type);
            assert_eq!(r["content_encoding"], "gzip");
            assert_eq!(r["headers"]["x-api-key"], "s=cret");
            assert_eq!(r["status"], 200);
        }
        assert_trace_arrived(&trace, &requests);
    }
}

#[test]
fn batches_environment_and_no_compression() {
    let Some(python) = receiver_python() else {
        return;
    };
    let (t, trace) = inventory_trace();
    let spans = read_events(&trace)
        .iter()
        .filter(|e| e["type"] == "span")
        .count();
    let receiver = receiver(&python, &[]);
    let base = format!("{}/otlp/", receiver.url());
    let o = export(
        t.path(),
        &[trace.to_str().unwrap(), "--batch-size", "3"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &base),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            ("OTEL_SERVICE_NAME", "inventory"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=ci,service.name=ignored",
            ),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let requests = receiver.requests();
    assert_eq!(requests.len(), spans.div_ceil(3));
    assert_eq!(requests[0]["path"], "/otlp/v1/traces");
    assert!(
        requests[0]["content_encoding"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "not gzipped: {}",
        requests[0]["content_encoding"]
    );
    let decoded = decoded_spans(&requests);
    let (_, resource) = decoded.values().next().unwrap();
    assert_eq!(resource["service.name"], "inventory");
    assert_eq!(resource["deployment.environment"], "ci");
    assert_trace_arrived(&trace, &requests);
}

#[test]
fn a_receiver_that_answers_503_then_200_gets_the_batch_again_after_retry_after() {
    let Some(python) = receiver_python() else {
        return;
    };
    let (t, trace) = inventory_trace();
    let receiver = receiver(&python, &["--responses", "503,200", "--retry-after", "1"]);
    let o = export(
        t.path(),
        &[trace.to_str().unwrap(), "--otlp", &receiver.url()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(stderr(&o).contains("1 retried"), "{}", stderr(&o));
    let requests = receiver.requests();
    let statuses: Vec<&Value> = requests.iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [503, 200]);
    assert_eq!(
        requests[0]["request"], requests[1]["request"],
        "the same batch again"
    );
    assert_trace_arrived(&trace, &requests[1..]);
}

#[test]
fn a_receiver_that_refuses_fails_the_export_with_its_answer() {
    let Some(python) = receiver_python() else {
        return;
    };
    let (t, trace) = inventory_trace();
    let receiver = receiver(&python, &["--responses", "400"]);
    let o = export(
        t.path(),
        &[trace.to_str().unwrap(), "--otlp", &receiver.url()],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = stderr(&o);
    assert!(err.contains("answered 400 Bad Request"), "{err}");
    assert_eq!(receiver.requests().len(), 1, "400 is not retried");
}

#[test]
fn a_receiver_that_never_answers_times_out_and_one_that_is_down_is_named() {
    let Some(python) = receiver_python() else {
        return;
    };
    let (t, trace) = inventory_trace();
    let receiver = receiver(&python, &["--hang"]);
    let o = export(
        t.path(),
        &[trace.to_str().unwrap(), "--otlp", &receiver.url()],
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "500")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        stderr(&o).contains("did not answer within 500ms"),
        "{}",
        stderr(&o)
    );
    assert_eq!(receiver.requests().len(), 1, "a timeout is not retried");

    // a port nothing listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let o = export(
        t.path(),
        &[trace.to_str().unwrap()],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &url)],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("cannot reach the OTLP receiver at {url}/v1/traces (OTEL_EXPORTER_OTLP_ENDPOINT gave it)")),
        "{err}"
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let t = tempfile::tempdir().unwrap();
    let o = export(
        t.path(),
        &["missing.jsonl", "--otlp", "http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read the trace missing.jsonl"),
        "{}",
        stderr(&o)
    );
    std::fs::write(t.path().join("notes.txt"), "hello\n").unwrap();
    let o = export(
        t.path(),
        &["notes.txt", "--otlp", "http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no trace events in notes.txt"),
        "{}",
        stderr(&o)
    );
    let o = export(t.path(), &["notes.txt", "--otlp", "localhost:4318"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("http://localhost:4318"),
        "{}",
        stderr(&o)
    );
    let o = export(
        t.path(),
        &["notes.txt"],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc"),
        "{}",
        stderr(&o)
    );
}
