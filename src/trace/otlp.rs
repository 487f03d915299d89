//! A trace as OpenTelemetry spans: what `ctinject trace export` sends to an
//! OTLP receiver, with the mapping of docs/trace.md ("The mapping").
//!
//! Feed lines to an [`Encoder`]; each time a batch holds `batch_size`
//! spans it hands back an `ExportTraceServiceRequest`, and
//! [`Encoder::finish`] gives the last one. Spans are written when they
//! end, after the events that happened in them (docs/events.md), so the
//! encoder holds the events of the spans still open, and nothing else:
//! memory is bounded by the batch and by [`MAX_PENDING_EVENTS`], never by
//! the size of the trace. No I/O here.

use super::{span_id, Fields};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event as SpanEvent, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// Events kept per span, as the OpenTelemetry SDKs' default
/// `OTEL_SPAN_EVENT_COUNT_LIMIT`; more are counted in the span's
/// `droppedEventsCount`.
pub const MAX_EVENTS_PER_SPAN: usize = 128;

/// Events held for spans that have not ended yet, all spans together. A
/// trace cut short (a killed process) leaves events whose span never comes;
/// past this many, further ones are dropped and counted.
pub const MAX_PENDING_EVENTS: usize = 200_000;

/// What the resource of every exported span says, besides the process.
#[derive(Clone, Debug, Default)]
pub struct ResourceSettings {
    /// `service.name`; `unknown_service:<language>` when `None`.
    pub service_name: Option<String>,
    /// Further attributes (`OTEL_RESOURCE_ATTRIBUTES`), in order.
    pub attributes: Vec<(String, String)>,
}

/// What was read and what became of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub lines: u64,
    pub spans: u64,
    /// Point events attached to their span.
    pub events: u64,
    /// Point events over [`MAX_EVENTS_PER_SPAN`] or [`MAX_PENDING_EVENTS`].
    pub dropped_events: u64,
    /// Point events with no span (module-level code): OTLP span events need one.
    pub events_outside_spans: u64,
    /// Point events whose span never appeared in the trace.
    pub orphan_events: u64,
    /// `calls`, `vars`, `branches`, `loops`, `exceptions`, `truncated`:
    /// summaries that are not spans.
    pub summaries: u64,
    pub malformed: u64,
    pub first_malformed: Option<String>,
}

/// Which process and language a span came from: one `ResourceSpans` each.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Origin {
    pid: u64,
    language: &'static str,
}

/// Turns trace lines into OTLP export requests.
pub struct Encoder {
    resource: ResourceSettings,
    batch_size: usize,
    /// The events of spans not written yet, by process and span id.
    pending: HashMap<(u64, u64), Pending>,
    pending_events: usize,
    batch: BTreeMap<Origin, Vec<Span>>,
    batch_spans: usize,
    stats: Stats,
}

#[derive(Default)]
struct Pending {
    events: Vec<SpanEvent>,
    dropped: u32,
}

impl Encoder {
    pub fn new(resource: ResourceSettings, batch_size: usize) -> Self {
        Encoder {
            resource,
            batch_size: batch_size.max(1),
            pending: HashMap::new(),
            pending_events: 0,
            batch: BTreeMap::new(),
            batch_spans: 0,
            stats: Stats::default(),
        }
    }

    /// Reads one line; returns a request when the batch is full. `place`
    /// names the line (`trace.jsonl:12`) for the malformed-line warning.
    pub fn line(
        &mut self,
        line: &str,
        place: impl FnOnce() -> String,
    ) -> Option<ExportTraceServiceRequest> {
        let line = line.trim();
        if line.is_empty() {
            return None;
        }
        self.stats.lines += 1;
        let Some(event) = serde_json::from_str::<Map<String, Json>>(line)
            .ok()
            .filter(|e| e.get("type").is_some_and(Json::is_string))
        else {
            self.malformed(place);
            return None;
        };
        match event["type"].as_str().unwrap_or_default() {
            "span" => match self.span(&event, line) {
                Some(()) => {
                    if self.batch_spans >= self.batch_size {
                        return self.take_batch();
                    }
                }
                None => self.malformed(place),
            },
            kind @ ("var" | "branch" | "loop" | "exception") => self.point_event(kind, &event),
            _ => self.stats.summaries += 1,
        }
        None
    }

    /// The last batch (if any spans are left) and what was read.
    pub fn finish(mut self) -> (Option<ExportTraceServiceRequest>, Stats) {
        let last = self.take_batch();
        self.stats.orphan_events = self.pending.values().map(|p| p.events.len() as u64).sum();
        (last, self.stats)
    }

    /// What was read so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn malformed(&mut self, place: impl FnOnce() -> String) {
        self.stats.malformed += 1;
        if self.stats.first_malformed.is_none() {
            self.stats.first_malformed = Some(place());
        }
    }

    fn take_batch(&mut self) -> Option<ExportTraceServiceRequest> {
        if self.batch_spans == 0 {
            return None;
        }
        self.batch_spans = 0;
        let resource_spans = std::mem::take(&mut self.batch)
            .into_iter()
            .map(|(origin, spans)| ResourceSpans {
                resource: Some(self.resource_of(&origin)),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "ctinject".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            })
            .collect();
        Some(ExportTraceServiceRequest { resource_spans })
    }

    fn resource_of(&self, origin: &Origin) -> Resource {
        let service = self.resource.service_name.clone().unwrap_or_else(|| {
            format!(
                "unknown_service:{}",
                if origin.language == "nodejs" {
                    "node"
                } else {
                    origin.language
                }
            )
        });
        let mut attributes = vec![string("service.name", service)];
        for (key, value) in &self.resource.attributes {
            if key != "service.name" {
                attributes.push(string(key, value.clone()));
            }
        }
        attributes.extend([
            int("process.pid", origin.pid as i64),
            string("telemetry.sdk.name", "ctinject".into()),
            string("telemetry.sdk.language", origin.language.into()),
            string("telemetry.sdk.version", env!("CARGO_PKG_VERSION").into()),
        ]);
        Resource {
            attributes,
            ..Default::default()
        }
    }

    /// A `span` line: the span with the events held for it. `None` when it
    /// lacks what a span needs (ids, name, times).
    fn span(&mut self, e: &Map<String, Json>, line: &str) -> Option<()> {
        let trace_id = hex_bytes(e.get("trace_id")?.as_str()?, 16)?;
        let id_text = e.get("span_id")?.as_str()?;
        let id = span_id(id_text)?;
        let parent_span_id = match e.get("parent_id") {
            None | Some(Json::Null) => Vec::new(),
            Some(p) => hex_bytes(p.as_str()?, 8)?,
        };
        let name = e.get("name")?.as_str()?.to_string();
        let start = e.get("start_unix_ns")?.as_u64()?;
        let end = start.saturating_add(e.get("duration_ns")?.as_u64()?);
        let pid = e.get("pid").and_then(Json::as_u64).unwrap_or(0);

        let mut attributes = vec![string("code.function", name.clone())];
        if let Some(module) = text(e, "module") {
            attributes.push(string("code.namespace", module));
        }
        push_place(&mut attributes, e);
        if let Some(tid) = e.get("tid").and_then(Json::as_i64) {
            attributes.push(int("thread.id", tid));
        }
        if let Some(kind) = text(e, "kind") {
            attributes.push(string("ctinject.kind", kind));
        }
        // read again for the arguments in parameter order (a JSON map sorts them)
        // (and `suppressed` with its keys in the file's order, as the runtimes send it)
        #[derive(serde::Deserialize)]
        struct InOrder {
            args: Option<Fields>,
            suppressed: Option<Vec<Fields>>,
        }
        let in_order = serde_json::from_str(line).unwrap_or(InOrder {
            args: None,
            suppressed: None,
        });
        for (param, value) in in_order.args.iter().flat_map(|a| &a.0) {
            attributes.push(string(&format!("ctinject.args.{param}"), recorded(value)));
        }
        if let Some(value) = e.get("return").filter(|v| !v.is_null()) {
            attributes.push(string("ctinject.return", recorded(value)));
        }
        if let Some(suppressed) = in_order.suppressed {
            let text = serde_json::to_string(&suppressed).expect("JSON serializes");
            attributes.push(string("ctinject.suppressed", text));
        }
        if let Some(Json::Bool(true)) = e.get("goexit") {
            attributes.push(boolean("ctinject.goexit", true));
        }

        let pending = self.pending.remove(&(pid, id)).unwrap_or_default();
        self.pending_events -= pending.events.len();
        let mut events = pending.events;
        let mut status = None;
        if e.get("status").and_then(Json::as_str) == Some("error") {
            let exception = e.get("exception").and_then(Json::as_object);
            let kind = exception.and_then(|x| text(x, "type"));
            let message = exception.and_then(|x| text(x, "message"));
            let mut attributes = Vec::new();
            if let Some(kind) = &kind {
                attributes.push(string("exception.type", kind.clone()));
            }
            if let Some(message) = &message {
                attributes.push(string("exception.message", message.clone()));
            }
            attributes.push(boolean("exception.escaped", true));
            events.push(SpanEvent {
                time_unix_nano: end,
                name: "exception".into(),
                attributes,
                dropped_attributes_count: 0,
            });
            status = Some(Status {
                code: StatusCode::Error as i32,
                message: match (kind, message) {
                    (Some(k), Some(m)) => format!("{k}: {m}"),
                    (Some(k), None) => k,
                    (None, m) => m.unwrap_or_default(),
                },
            });
        }
        let span = Span {
            trace_id,
            span_id: id.to_be_bytes().to_vec(),
            parent_span_id,
            name,
            kind: SpanKind::Internal as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            attributes,
            events,
            dropped_events_count: pending.dropped,
            status,
            ..Default::default()
        };
        let origin = Origin {
            pid,
            language: language(e),
        };
        self.batch.entry(origin).or_default().push(span);
        self.batch_spans += 1;
        self.stats.spans += 1;
        Some(())
    }

    /// A `var`, `branch`, `loop` or `exception` line: held until its span ends.
    fn point_event(&mut self, kind: &str, e: &Map<String, Json>) {
        let Some(id) = e.get("span_id").and_then(Json::as_str).and_then(span_id) else {
            self.stats.events_outside_spans += 1;
            return;
        };
        let pid = e.get("pid").and_then(Json::as_u64).unwrap_or(0);
        if self.pending_events >= MAX_PENDING_EVENTS {
            self.stats.dropped_events += 1;
            return;
        }
        let pending = self.pending.entry((pid, id)).or_default();
        if pending.events.len() >= MAX_EVENTS_PER_SPAN {
            pending.dropped += 1;
            self.stats.dropped_events += 1;
            return;
        }
        let mut attributes = Vec::new();
        push_place(&mut attributes, e);
        let keys: &[&str] = match kind {
            "var" => &["name", "value"],
            "branch" => &["site", "arm"],
            "loop" => &["site", "kind", "iterations", "target", "last"],
            _ => &[],
        };
        for key in keys {
            if let Some(value) = attribute_value(e.get(*key)) {
                attributes.push(KeyValue {
                    key: format!("ctinject.{key}"),
                    value: Some(value),
                    ..Default::default()
                });
            }
        }
        if kind == "exception" {
            if let Some(x) = e.get("exception").and_then(Json::as_object) {
                for (key, attribute) in
                    [("type", "exception.type"), ("message", "exception.message")]
                {
                    if let Some(value) = text(x, key) {
                        attributes.push(string(attribute, value));
                    }
                }
            }
        }
        pending.events.push(SpanEvent {
            time_unix_nano: e.get("time_unix_ns").and_then(Json::as_u64).unwrap_or(0),
            name: kind.into(),
            attributes,
            dropped_attributes_count: 0,
        });
        self.pending_events += 1;
        self.stats.events += 1;
    }
}

/// The OpenTelemetry name (`telemetry.sdk.language`) of the runtime that
/// wrote an event: its `lang` key, absent for Python.
fn language(e: &Map<String, Json>) -> &'static str {
    match e.get("lang").and_then(Json::as_str) {
        Some("go") => "go",
        Some("javascript") => "nodejs",
        Some("java") => "java",
        Some("ruby") => "ruby",
        Some("php") => "php",
        Some(_) => "unknown",
        None => "python",
    }
}

/// `code.filepath` and `code.lineno`, from `file` and `line`.
fn push_place(attributes: &mut Vec<KeyValue>, e: &Map<String, Json>) {
    if let Some(file) = text(e, "file") {
        attributes.push(string("code.filepath", file));
    }
    if let Some(line) = e.get("line").and_then(Json::as_i64) {
        attributes.push(int("code.lineno", line));
    }
}

/// A string key's value; `None` when absent or null.
fn text(e: &Map<String, Json>, key: &str) -> Option<String> {
    e.get(key).and_then(Json::as_str).map(str::to_string)
}

/// A recorded value as text: runtimes write strings; anything else is kept
/// as its JSON.
fn recorded(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An event key as an attribute value: ints stay ints, strings strings.
fn attribute_value(value: Option<&Json>) -> Option<AnyValue> {
    let value = match value? {
        Json::Null => return None,
        Json::String(s) => Value::StringValue(s.clone()),
        Json::Bool(b) => Value::BoolValue(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::IntValue(i),
            None => Value::DoubleValue(n.as_f64()?),
        },
        other => Value::StringValue(other.to_string()),
    };
    Some(AnyValue { value: Some(value) })
}

fn hex_bytes(hex: &str, len: usize) -> Option<Vec<u8>> {
    if hex.len() != len * 2 || !hex.is_ascii() {
        return None;
    }
    (0..len)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn key_value(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn string(key: &str, value: String) -> KeyValue {
    key_value(key, Value::StringValue(value))
}

fn int(key: &str, value: i64) -> KeyValue {
    key_value(key, Value::IntValue(value))
}

fn boolean(key: &str, value: bool) -> KeyValue {
    key_value(key, Value::BoolValue(value))
}

/// `OTEL_RESOURCE_ATTRIBUTES` (and `OTEL_EXPORTER_OTLP_HEADERS`):
/// `key1=value1,key2=value2`, values percent-decoded. Pairs without `=` are
/// left out, as the OpenTelemetry SDKs do.
pub fn parse_key_values(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            (!key.is_empty()).then(|| (percent_decode(key), percent_decode(value.trim())))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = r#"{"v":1,"type":"span","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","parent_id":null,"name":"Cart.total","module":"shop.cart","file":"shop/cart.py","line":41,"kind":"function","start_unix_ns":1000,"duration_ns":500,"args":{"self":"<Cart>","discount":"0.1"},"return":"90.0","status":"ok","exception":null,"pid":42,"tid":7}"#;
    const CHILD: &str = r#"{"v":1,"type":"span","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"b7ad6b7169203331","parent_id":"00f067aa0ba902b7","name":"load","module":"shop.db","file":"shop/db.py","line":12,"kind":"coroutine","start_unix_ns":1100,"duration_ns":200,"args":{},"return":null,"status":"error","exception":{"type":"KeyError","message":"'cart:7'"},"pid":42,"tid":7}"#;
    const VAR: &str = r#"{"v":1,"type":"var","time_unix_ns":1150,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"b7ad6b7169203331","file":"shop/db.py","line":13,"name":"row","value":"None","pid":42,"tid":7}"#;
    const LOOP: &str = r#"{"v":1,"type":"loop","time_unix_ns":1400,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","file":"shop/cart.py","line":45,"site":45,"kind":"for","iterations":3,"target":"item","last":null,"pid":42,"tid":7}"#;

    fn attrs(list: &[KeyValue]) -> Vec<(String, String)> {
        list.iter()
            .map(|kv| {
                let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(Value::StringValue(s)) => s.clone(),
                    Some(Value::IntValue(i)) => format!("int {i}"),
                    Some(Value::BoolValue(b)) => format!("bool {b}"),
                    other => format!("{other:?}"),
                };
                (kv.key.clone(), v)
            })
            .collect()
    }

    fn encode(lines: &[&str], batch: usize) -> (Vec<ExportTraceServiceRequest>, Stats) {
        let mut encoder = Encoder::new(ResourceSettings::default(), batch);
        let mut requests: Vec<_> = lines
            .iter()
            .filter_map(|l| encoder.line(l, || "here".into()))
            .collect();
        let (last, stats) = encoder.finish();
        requests.extend(last);
        (requests, stats)
    }

    #[test]
    fn spans_carry_ids_times_attributes_and_their_events() {
        let (requests, stats) = encode(&[VAR, CHILD, LOOP, PARENT], 100);
        assert_eq!(requests.len(), 1);
        let rs = &requests[0].resource_spans;
        assert_eq!(rs.len(), 1);
        let resource = attrs(&rs[0].resource.as_ref().unwrap().attributes);
        assert!(resource.contains(&("service.name".into(), "unknown_service:python".into())));
        assert!(resource.contains(&("process.pid".into(), "int 42".into())));
        assert!(resource.contains(&("telemetry.sdk.name".into(), "ctinject".into())));
        let spans = &rs[0].scope_spans[0].spans;
        let (child, parent) = (&spans[0], &spans[1]);
        assert_eq!(child.parent_span_id, parent.span_id);
        assert_eq!(hex_bytes("b7ad6b7169203331", 8).unwrap(), child.span_id);
        assert!(parent.parent_span_id.is_empty());
        assert_eq!(
            (parent.start_time_unix_nano, parent.end_time_unix_nano),
            (1000, 1500)
        );
        assert_eq!(
            attrs(&parent.attributes),
            [
                ("code.function", "Cart.total"),
                ("code.namespace", "shop.cart"),
                ("code.filepath", "shop/cart.py"),
                ("code.lineno", "int 41"),
                ("thread.id", "int 7"),
                ("ctinject.kind", "function"),
                ("ctinject.args.self", "<Cart>"),
                ("ctinject.args.discount", "0.1"),
                ("ctinject.return", "90.0"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(
            parent.status.is_none(),
            "an ok span leaves the status unset"
        );
        // the loop event on the parent, the var and the exception on the child
        assert_eq!(parent.events.len(), 1);
        assert_eq!(
            attrs(&parent.events[0].attributes),
            [
                ("code.filepath", "shop/cart.py"),
                ("code.lineno", "int 45"),
                ("ctinject.site", "int 45"),
                ("ctinject.kind", "for"),
                ("ctinject.iterations", "int 3"),
                ("ctinject.target", "item"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let names: Vec<_> = child.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["var", "exception"]);
        assert_eq!(child.events[1].time_unix_nano, 1300);
        assert_eq!(
            child.status,
            Some(Status {
                code: StatusCode::Error as i32,
                message: "KeyError: 'cart:7'".into()
            })
        );
        assert_eq!((stats.spans, stats.events, stats.orphan_events), (2, 2, 0));
    }

    #[test]
    fn batches_hold_at_most_batch_size_spans_and_group_by_process() {
        let other_pid = PARENT.replace("\"pid\":42", "\"pid\":43");
        let (requests, _) = encode(&[CHILD, PARENT, &other_pid], 2);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].resource_spans[0].scope_spans[0].spans.len(), 2);
        let pid = |r: &ResourceSpans| attrs(&r.resource.as_ref().unwrap().attributes)[1].1.clone();
        assert_eq!(pid(&requests[1].resource_spans[0]), "int 43");
    }

    #[test]
    fn events_without_a_span_and_summaries_are_counted_not_sent() {
        let outside = VAR.replace("\"span_id\":\"b7ad6b7169203331\"", "\"span_id\":null");
        let calls = r#"{"v":1,"type":"calls","name":"f","file":"a.py","line":1,"omitted":3}"#;
        let (requests, stats) = encode(&[&outside, calls, "not json", VAR], 10);
        assert!(requests.is_empty());
        assert_eq!(stats.events_outside_spans, 1);
        assert_eq!(stats.summaries, 1);
        assert_eq!(stats.malformed, 1);
        assert_eq!(stats.first_malformed.as_deref(), Some("here"));
        assert_eq!(stats.orphan_events, 1, "the var's span never came");
    }

    #[test]
    fn events_over_the_per_span_limit_are_dropped_and_counted() {
        let mut lines = vec![VAR; MAX_EVENTS_PER_SPAN + 5];
        lines.push(CHILD);
        let (requests, stats) = encode(&lines, 10);
        let span = &requests[0].resource_spans[0].scope_spans[0].spans[0];
        // the kept events, plus the span's own exception
        assert_eq!(span.events.len(), MAX_EVENTS_PER_SPAN + 1);
        assert_eq!(span.dropped_events_count, 5);
        assert_eq!(stats.dropped_events, 5);
    }

    #[test]
    fn languages_name_the_resource() {
        let go = CHILD.replace("\"type\":\"span\"", "\"type\":\"span\",\"lang\":\"go\"");
        let js = PARENT.replace(
            "\"type\":\"span\"",
            "\"type\":\"span\",\"lang\":\"javascript\"",
        );
        let (requests, _) = encode(&[&go, &js], 10);
        let languages: Vec<_> = requests[0]
            .resource_spans
            .iter()
            .map(|r| attrs(&r.resource.as_ref().unwrap().attributes)[0].1.clone())
            .collect();
        assert_eq!(languages, ["unknown_service:go", "unknown_service:node"]);
    }

    #[test]
    fn key_values_are_split_and_percent_decoded() {
        assert_eq!(
            parse_key_values("service.name=shop, deployment.environment=prod%20eu,bad,=x"),
            [
                ("service.name".to_string(), "shop".to_string()),
                ("deployment.environment".to_string(), "prod eu".to_string())
            ]
        );
    }
}
