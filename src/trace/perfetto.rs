//! `ctinject trace perfetto`: a trace as a timeline, in the Chrome
//! trace-event JSON format that [ui.perfetto.dev](https://ui.perfetto.dev)
//! (Open trace file) and `chrome://tracing` (Load) open.
//!
//! The output is one JSON object, `{"traceEvents":[...],"displayTimeUnit":"ns"}`,
//! one event a line:
//!
//! - a track per process and per thread, named by metadata events
//!   (`"ph":"M"`, `process_name` = `pid 4242`, `thread_name` = `thread
//!   140245`; a Go trace's `tid` is a goroutine group, not a thread, see
//!   docs/events.md, so its tracks are `goroutine group 3`);
//! - a slice per call (`span` event): a complete event (`"ph":"X"`) on the
//!   track of its process and thread, its start `ts` and duration `dur` in
//!   microseconds, the call's details (file, line, arguments, return
//!   value, exception, ids) in `args`, which Perfetto shows when the slice
//!   is selected. Calls of generators, coroutines and async functions are
//!   the exception: they are suspended and resumed, so they overlap other
//!   calls of their thread without nesting, and a track of nested slices
//!   cannot hold them. They become async slices (`"ph":"b"` and `"ph":"e"`,
//!   one id per call), which Perfetto draws on tracks of their own under
//!   the process, one per function name;
//! - an instant (`"ph":"i"`) per point event (`var`, `branch`, `loop`,
//!   `exception`) on its thread's track, named after what happened
//!   (`total = 3.5`, `branch shop/cart.py:44 arm 1`, `loop shop/cart.py:45
//!   ×3`, `except ValueError`), with the event's keys as `args`.
//!
//! The summaries of what was not written (`calls`, `vars`, `branches`,
//! `loops`, `exceptions`) and `truncated` have no place on a timeline: they
//! are counted as skipped (`ctinject trace summary` reads them).
//!
//! # Exact times
//!
//! The format's times are microseconds, and viewers read them as `f64`.
//! A Unix time in nanoseconds (about 1.7e18) does not fit a double's 53
//! bits, and slices rounded independently can end after their parent on
//! the same track, which Perfetto rejects. So every time is written
//! relative to the earliest time of the whole input, from integer
//! nanoseconds with exactly three decimals (`1234.567`): a parser that
//! reads it as a double and multiplies by 1000 gets the nanoseconds back
//! exactly (for traces shorter than about a hundred days), and a child
//! that ends with its parent in the trace ends with it in the viewer.
//!
//! Finding the earliest time takes a pass over the input before the one
//! that writes. The caller reads the input twice: [`Converter::scan`] every
//! line, then [`Converter::write`] every line, then [`Converter::finish`].
//! No I/O here: the caller reads the files and gives the output. Nothing
//! per event is kept: the memory is that of the process and thread ids.
//!
//! ```
//! use ctinject::trace::perfetto::Converter;
//! let trace = r#"{"v":1,"type":"span","span_id":"0000000000000001","parent_id":null,"name":"main","module":"m","file":"m.py","line":1,"kind":"function","start_unix_ns":1000,"duration_ns":5000,"args":{},"return":"None","status":"ok","exception":null,"pid":7,"tid":1}"#;
//! let mut c = Converter::default();
//! for line in trace.lines() {
//!     c.scan(line);
//! }
//! let mut out = Vec::new();
//! for (n, line) in trace.lines().enumerate() {
//!     c.write(line, || format!("trace.jsonl:{}", n + 1), &mut out).unwrap();
//! }
//! let stats = c.finish(&mut out).unwrap();
//! assert_eq!(stats.spans, 1);
//! let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(json["traceEvents"][2]["dur"], 5.0);
//! ```

use super::Fields;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Write};

/// The opening of every file this writes: it says whose the file is (the
/// format keeps `otherData` as the trace's metadata), so that a later run
/// may write over it (src/outputs.rs).
pub const MARK: &str = concat!(
    "{\"otherData\":{\"generator\":\"ctinject trace perfetto\",\"ctinject_version\":\"",
    env!("CARGO_PKG_VERSION"),
    "\"},"
);

/// Converts trace lines to the trace-event format; see the module doc.
#[derive(Default)]
pub struct Converter {
    /// The earliest time found by [`Converter::scan`].
    earliest: Option<u64>,
    /// Times are written relative to this; fixed at the first write.
    origin: Option<u64>,
    /// Every (pid, tid) that [`Converter::scan`] saw, to choose the ids.
    scanned: BTreeSet<(u64, u64)>,
    ids: Option<Ids>,
    /// Processes and threads whose names are written.
    named_processes: HashSet<u64>,
    named_threads: HashSet<(u64, u64)>,
    /// The opening of the output is written.
    started: bool,
    /// Events written so far (for the commas).
    written: u64,
    stats: Stats,
}

/// What [`Converter::finish`] reports: what became of the lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Calls written as slices.
    pub spans: u64,
    /// Point events written as instants.
    pub instants: u64,
    /// Events with no place on a timeline (`calls`, `vars`, ...,
    /// `truncated`, and types this version does not know).
    pub skipped: u64,
    /// Lines that are not events (not JSON, or an event without the keys
    /// it needs, such as a span without `start_unix_ns`). Blank lines are
    /// not counted.
    pub malformed: u64,
    /// The first malformed line (its origin, as the caller named it) and why.
    pub first_malformed: Option<String>,
}

/// The keys of a line that the first pass reads.
#[derive(Deserialize)]
struct Times {
    #[serde(rename = "type")]
    kind: Option<String>,
    start_unix_ns: Option<u64>,
    time_unix_ns: Option<u64>,
    pid: Option<u64>,
    tid: Option<u64>,
}

/// A line, as the second pass reads it.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Span(Box<SpanLine>),
    Var(Point),
    Branch(Point),
    Loop(Point),
    Exception(Point),
    #[serde(other)]
    Other,
}

/// A `span` event. The required keys are those `summary` requires, and
/// the start.
#[derive(Deserialize)]
struct SpanLine {
    span_id: String,
    parent_id: Option<String>,
    name: String,
    #[serde(default)]
    module: Option<String>,
    file: String,
    line: u64,
    #[serde(default)]
    kind: Option<String>,
    start_unix_ns: u64,
    duration_ns: u64,
    #[serde(default)]
    args: Option<Fields>,
    #[serde(rename = "return", default)]
    return_value: Value,
    #[serde(default)]
    status: String,
    #[serde(default)]
    exception: Option<Fields>,
    #[serde(default)]
    lang: Option<String>,
    pid: Option<u64>,
    tid: Option<u64>,
    #[serde(default)]
    goexit: Option<bool>,
}

/// A point event: its time and track, and every other key in order.
#[derive(Deserialize)]
#[serde(try_from = "Fields")]
struct Point {
    time_unix_ns: u64,
    lang: Option<String>,
    pid: Option<u64>,
    tid: Option<u64>,
    /// The keys but `v`, `lang`, `pid` and `tid`, in the event's order.
    fields: Fields,
}

impl TryFrom<Fields> for Point {
    type Error = String;
    fn try_from(mut all: Fields) -> Result<Point, String> {
        let time_unix_ns =
            (all.get("time_unix_ns").and_then(Value::as_u64)).ok_or("no integer time_unix_ns")?;
        let lang = all.get("lang").and_then(Value::as_str).map(str::to_owned);
        let pid = all.get("pid").and_then(Value::as_u64);
        let tid = all.get("tid").and_then(Value::as_u64);
        all.0
            .retain(|(k, _)| !matches!(k.as_str(), "v" | "lang" | "pid" | "tid"));
        Ok(Point {
            time_unix_ns,
            lang,
            pid,
            tid,
            fields: all,
        })
    }
}

/// A slice's `args`: what Perfetto shows of a selected call.
#[derive(Serialize)]
struct SpanArgs<'a> {
    file: &'a str,
    line: u64,
    module: &'a Option<String>,
    kind: &'a Option<String>,
    args: &'a Option<Fields>,
    #[serde(rename = "return")]
    return_value: &'a Value,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: &'a Option<Fields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goexit: Option<bool>,
    span_id: &'a str,
    parent_id: &'a Option<String>,
    start_unix_ns: u64,
    duration_ns: u64,
}

/// The ids the output uses for processes and threads. Viewers read them
/// as 32-bit integers, and a Python thread id (`threading.get_ident()`,
/// an address on Linux) does not fit: such an id gets a number of its own
/// (from 2^30 up, one no id of that process uses), and the track's name
/// keeps the real one.
#[derive(Default)]
struct Ids {
    pids: HashMap<u64, u64>,
    tids: HashMap<(u64, u64), u64>,
    /// Per output pid, the tids in use.
    used_tids: HashMap<u64, HashSet<u64>>,
    used_pids: HashSet<u64>,
}

/// The largest id written as it is.
const MAX_ID: u64 = i32::MAX as u64;
/// The first number given to an id that does not fit.
const FIRST_SYNTHETIC_ID: u64 = 1 << 30;

impl Ids {
    /// The ids of every (pid, tid) pair scanned: those that fit first, so
    /// that the numbers given to the others avoid them.
    fn new(pairs: &BTreeSet<(u64, u64)>) -> Ids {
        let mut ids = Ids::default();
        for &(pid, tid) in pairs.iter().filter(|(p, t)| *p <= MAX_ID && *t <= MAX_ID) {
            ids.track(pid, tid);
        }
        for &(pid, tid) in pairs {
            ids.track(pid, tid);
        }
        ids
    }

    fn pid(&mut self, pid: u64) -> u64 {
        if let Some(&p) = self.pids.get(&pid) {
            return p;
        }
        let p = fresh(pid, &self.used_pids);
        self.used_pids.insert(p);
        self.pids.insert(pid, p);
        p
    }

    /// The output (pid, tid) of a track.
    fn track(&mut self, pid: u64, tid: u64) -> (u64, u64) {
        let p = self.pid(pid);
        if let Some(&t) = self.tids.get(&(pid, tid)) {
            return (p, t);
        }
        let used = self.used_tids.entry(p).or_default();
        let t = fresh(tid, used);
        used.insert(t);
        self.tids.insert((pid, tid), t);
        (p, t)
    }
}

/// `id` if it fits and is free, else the first free synthetic number.
fn fresh(id: u64, used: &HashSet<u64>) -> u64 {
    if id <= MAX_ID && !used.contains(&id) {
        return id;
    }
    (FIRST_SYNTHETIC_ID..)
        .find(|n| !used.contains(n))
        .expect("a free id")
}

/// Whether calls of this `kind` can be suspended and resumed (Python's
/// generators and coroutines, JavaScript's generators and async
/// functions), so that they need not nest with their thread's other calls.
fn suspends(kind: Option<&str>) -> bool {
    matches!(
        kind,
        Some("generator" | "coroutine" | "async_generator" | "async")
    )
}

/// Nanoseconds as microseconds with three decimals: `1234567` ->
/// `1234.567`, `-5` -> `-0.005`.
fn micros(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

/// A JSON value as text in a name: a string as it is, anything else as JSON.
fn as_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".into(),
    }
}

fn json(out: &mut impl Write, v: &(impl Serialize + ?Sized)) -> io::Result<()> {
    serde_json::to_writer(out, v).map_err(io::Error::from)
}

impl Converter {
    /// True once [`Converter::scan`] has seen an event with a time.
    pub fn has_events(&self) -> bool {
        self.earliest.is_some()
    }

    /// The first pass: reads a line for its time (and its process and
    /// thread). Call it for every line before the first [`Converter::write`];
    /// malformed lines are ignored here and counted by `write`.
    pub fn scan(&mut self, text: &str) {
        debug_assert!(!self.started, "scan every line before the first write");
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let Ok(t) = serde_json::from_str::<Times>(text) else {
            return;
        };
        let time = match t.kind.as_deref() {
            Some("span") => t.start_unix_ns,
            Some("var" | "branch" | "loop" | "exception") => t.time_unix_ns,
            _ => None,
        };
        if let Some(time) = time {
            self.earliest = Some(self.earliest.map_or(time, |e| e.min(time)));
            self.scanned
                .insert((t.pid.unwrap_or(0), t.tid.unwrap_or(0)));
        }
    }

    /// The second pass: writes the event of a line to `out` (after the
    /// opening of the output, at the first call). `origin` (as
    /// `trace.jsonl:12`) names the line if it is the first malformed one.
    ///
    /// Without a first pass, times are relative to the first event
    /// written, and earlier ones are negative (still exact, and valid).
    pub fn write(
        &mut self,
        text: &str,
        origin: impl FnOnce() -> String,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let line = match serde_json::from_str::<Line>(text) {
            Ok(l) => l,
            Err(e) => {
                self.stats.malformed += 1;
                self.stats
                    .first_malformed
                    .get_or_insert_with(|| format!("{}: {e}", origin()));
                return Ok(());
            }
        };
        match line {
            Line::Span(s) => self.span(&s, out),
            Line::Var(p) => self.instant(
                &p,
                format!("{} = {}", text_of(&p, "name"), text_of(&p, "value")),
                out,
            ),
            Line::Branch(p) => {
                let name = format!(
                    "branch {}:{} arm {}",
                    text_of(&p, "file"),
                    text_of(&p, "line"),
                    text_of(&p, "arm")
                );
                self.instant(&p, name, out)
            }
            Line::Loop(p) => {
                let name = format!(
                    "loop {}:{} ×{}",
                    text_of(&p, "file"),
                    text_of(&p, "line"),
                    text_of(&p, "iterations")
                );
                self.instant(&p, name, out)
            }
            Line::Exception(p) => {
                let kind = p.fields.get("exception").and_then(|e| e.get("type"));
                self.instant(&p, format!("except {}", as_text(kind)), out)
            }
            Line::Other => {
                self.stats.skipped += 1;
                Ok(())
            }
        }
    }

    /// Ends the output (writing its opening too if no line was written)
    /// and says what became of the lines.
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<Stats> {
        self.start(out)?;
        out.write_all(b"\n],\"displayTimeUnit\":\"ns\"}\n")?;
        Ok(self.stats)
    }

    fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.ids = Some(Ids::new(&self.scanned));
            self.scanned = BTreeSet::new();
            out.write_all(MARK.as_bytes())?;
            out.write_all(b"\"traceEvents\":[")?;
        }
        Ok(())
    }

    /// Starts an event: the comma before it, if it is not the first.
    fn next_event(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        self.written += 1;
        Ok(())
    }

    /// A time relative to the origin, in microseconds.
    fn ts(&mut self, unix_ns: u64) -> String {
        let origin = *self.origin.get_or_insert(self.earliest.unwrap_or(unix_ns));
        micros(unix_ns as i128 - origin as i128)
    }

    /// The output ids of a track, its process's and thread's names written
    /// before its first event.
    fn track(
        &mut self,
        pid: Option<u64>,
        tid: Option<u64>,
        lang: Option<&str>,
        out: &mut impl Write,
    ) -> io::Result<(u64, u64)> {
        self.start(out)?;
        let (pid, tid) = (pid.unwrap_or(0), tid.unwrap_or(0));
        let (p, t) = self.ids.get_or_insert_with(Ids::default).track(pid, tid);
        if self.named_processes.insert(pid) {
            let name = match lang {
                Some(lang @ ("go" | "javascript")) => format!("pid {pid} ({lang})"),
                _ => format!("pid {pid}"),
            };
            self.next_event(out)?;
            write!(
                out,
                "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{p},\"tid\":0,\"args\":{{\"name\":"
            )?;
            json(out, &name)?;
            out.write_all(b"}}")?;
        }
        if self.named_threads.insert((pid, tid)) {
            let name = match (lang, tid) {
                (Some("go"), 0) => "outside goroutine spans".to_string(),
                (Some("go"), _) => format!("goroutine group {tid}"),
                (Some("javascript"), 0) => "main thread".to_string(),
                (Some("javascript"), _) => format!("worker thread {tid}"),
                _ => format!("thread {tid}"),
            };
            self.next_event(out)?;
            write!(
                out,
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{p},\"tid\":{t},\"args\":{{\"name\":"
            )?;
            json(out, &name)?;
            out.write_all(b"}}")?;
        }
        Ok((p, t))
    }

    fn span(&mut self, s: &SpanLine, out: &mut impl Write) -> io::Result<()> {
        let (pid, tid) = self.track(s.pid, s.tid, s.lang.as_deref(), out)?;
        let ts = self.ts(s.start_unix_ns);
        let args = SpanArgs {
            file: &s.file,
            line: s.line,
            module: &s.module,
            kind: &s.kind,
            args: &s.args,
            return_value: &s.return_value,
            status: &s.status,
            exception: &s.exception,
            goexit: s.goexit,
            span_id: &s.span_id,
            parent_id: &s.parent_id,
            start_unix_ns: s.start_unix_ns,
            duration_ns: s.duration_ns,
        };
        self.next_event(out)?;
        out.write_all(b"{\"name\":")?;
        json(out, &s.name)?;
        if suspends(s.kind.as_deref()) {
            // An async slice: a begin and an end with the call's id.
            let id = format!("0x{}", s.span_id);
            let end = self.ts(s.start_unix_ns.saturating_add(s.duration_ns));
            write!(out, ",\"cat\":\"function\",\"ph\":\"b\",\"id\":")?;
            json(out, &id)?;
            write!(out, ",\"ts\":{ts},\"pid\":{pid},\"tid\":{tid},\"args\":")?;
            json(out, &args)?;
            out.write_all(b"}")?;
            self.next_event(out)?;
            out.write_all(b"{\"name\":")?;
            json(out, &s.name)?;
            write!(out, ",\"cat\":\"function\",\"ph\":\"e\",\"id\":")?;
            json(out, &id)?;
            write!(out, ",\"ts\":{end},\"pid\":{pid},\"tid\":{tid}}}")?;
        } else {
            let dur = micros(s.duration_ns as i128);
            write!(
                out,
                ",\"cat\":\"function\",\"ph\":\"X\",\"ts\":{ts},\"dur\":{dur},\"pid\":{pid},\"tid\":{tid},\"args\":"
            )?;
            json(out, &args)?;
            out.write_all(b"}")?;
        }
        self.stats.spans += 1;
        Ok(())
    }

    fn instant(&mut self, p: &Point, name: String, out: &mut impl Write) -> io::Result<()> {
        let (pid, tid) = self.track(p.pid, p.tid, p.lang.as_deref(), out)?;
        let ts = self.ts(p.time_unix_ns);
        self.next_event(out)?;
        out.write_all(b"{\"name\":")?;
        json(out, &name)?;
        write!(
            out,
            ",\"cat\":\"event\",\"ph\":\"i\",\"s\":\"t\",\"ts\":{ts},\"pid\":{pid},\"tid\":{tid},\"args\":"
        )?;
        json(out, &p.fields)?;
        out.write_all(b"}")?;
        self.stats.instants += 1;
        Ok(())
    }
}

/// A key of a point event as text in its name.
fn text_of(p: &Point, key: &str) -> String {
    as_text(p.fields.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative times below are offsets from this.
    const T0: u64 = 1_732_300_000_123_456_789;

    #[allow(clippy::too_many_arguments)]
    fn span(
        id: u64,
        parent: Option<u64>,
        name: &str,
        kind: &str,
        start: u64,
        dur: u64,
        pid: u64,
        tid: u64,
    ) -> String {
        let parent = parent.map_or("null".to_string(), |p| format!("\"{p:016x}\""));
        format!(
            r#"{{"v":1,"type":"span","trace_id":"t","span_id":"{id:016x}","parent_id":{parent},"name":"{name}","module":"m","file":"m.py","line":3,"kind":"{kind}","start_unix_ns":{},"duration_ns":{dur},"args":{{"b":"2","a":"1"}},"return":"None","status":"ok","exception":null,"pid":{pid},"tid":{tid}}}"#,
            T0 + start
        )
    }

    fn convert(lines: &[String]) -> (Value, Stats, String) {
        let mut c = Converter::default();
        for l in lines {
            c.scan(l);
        }
        let mut out = Vec::new();
        for (n, l) in lines.iter().enumerate() {
            c.write(l, || format!("t:{}", n + 1), &mut out).unwrap();
        }
        let stats = c.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let json: Value = serde_json::from_str(&text).expect("valid JSON");
        (json, stats, text)
    }

    fn events<'a>(json: &'a Value, ph: &str) -> Vec<&'a Value> {
        (json["traceEvents"].as_array().unwrap().iter())
            .filter(|e| e["ph"] == ph)
            .collect()
    }

    /// A time as a viewer reads it: a double, times 1000, rounded.
    fn ns(v: &Value) -> i64 {
        (v.as_f64().unwrap() * 1000.0).round() as i64
    }

    const BIG_TID: u64 = 140_245_123_456_768;

    fn sample() -> Vec<String> {
        let go_var = format!(
            r#"{{"v":1,"type":"var","lang":"go","time_unix_ns":{},"trace_id":null,"span_id":null,"file":"main.go","line":9,"name":"n","value":"3","pid":99,"tid":1}}"#,
            T0 + 7
        );
        let go_span = r#"{"v":1,"type":"span","lang":"go","trace_id":"t","span_id":"00000000000000aa","parent_id":null,"name":"(*Cart).Add","module":"shop","file":"cart.go","line":4,"kind":"function","start_unix_ns":TIME,"duration_ns":10,"args":{"c":"&shop.Cart{}"},"return":null,"status":"error","exception":{"type":"panic","message":null},"pid":99,"tid":1}"#
            .replace("TIME", &(T0 + 5).to_string());
        vec![
            // pid 7, thread 1: main [1001, 4000) > child [3499, 4000): the
            // ends are equal; their rounding must not part them
            format!(
                r#"{{"v":1,"type":"branch","time_unix_ns":{},"trace_id":"t","span_id":"0000000000000002","file":"m.py","line":44,"site":44,"arm":1,"pid":7,"tid":1}}"#,
                T0 + 3_600
            ),
            span(2, Some(1), "child", "function", 3_499, 501, 7, 1),
            span(1, None, "main", "function", 1_001, 2_999, 7, 1),
            // pid 7, another thread (an id too big for 32 bits)
            span(
                3, None, "worker", "function", 2_000_000, 1_234_567, 7, BIG_TID,
            ),
            format!(
                r#"{{"v":1,"type":"exception","time_unix_ns":{},"trace_id":null,"span_id":null,"file":"m.py","line":8,"exception":{{"type":"ValueError","message":"bad"}},"pid":7,"tid":{BIG_TID}}}"#,
                T0 + 2_000_001
            ),
            // the earliest event, in pid 8
            format!(
                r#"{{"v":1,"type":"loop","time_unix_ns":{T0},"trace_id":null,"span_id":null,"file":"k.py","line":45,"site":45,"kind":"for","iterations":3,"target":"x","last":"2","pid":8,"tid":1}}"#
            ),
            span(4, None, "gen", "generator", 10, 100_000, 8, 1),
            go_var,
            go_span,
            r#"{"v":1,"type":"calls","name":"f","file":"m.py","line":1,"omitted":4,"pid":7}"#
                .into(),
            r#"{"v":1,"type":"truncated","time_unix_ns":1,"limit_bytes":10,"pid":7}"#.into(),
            "".into(),
            "not json".into(),
            r#"{"type":"span","name":"no id"}"#.into(),
        ]
    }

    #[test]
    fn spans_become_slices_and_point_events_instants() {
        let (json, stats, text) = convert(&sample());
        assert_eq!(
            stats,
            Stats {
                spans: 5,
                instants: 4,
                skipped: 2,
                malformed: 2,
                first_malformed: stats.first_malformed.clone(),
            }
        );
        assert!(stats
            .first_malformed
            .as_deref()
            .unwrap()
            .starts_with("t:13: "));
        assert_eq!(json["displayTimeUnit"], "ns");
        assert!(text.contains(r#""ts":1.001,"dur":2.999,"#), "{text}");

        let x = events(&json, "X");
        let by_name = |n: &str| *x.iter().find(|e| e["name"] == n).unwrap();
        let (main, child) = (by_name("main"), by_name("child"));
        assert_eq!((ns(&main["ts"]), ns(&main["dur"])), (1_001, 2_999));
        assert_eq!((ns(&child["ts"]), ns(&child["dur"])), (3_499, 501));
        assert!(ns(&child["ts"]) >= ns(&main["ts"]));
        assert_eq!(
            ns(&child["ts"]) + ns(&child["dur"]),
            ns(&main["ts"]) + ns(&main["dur"])
        );
        assert_eq!(
            (&main["pid"], &main["tid"], &main["cat"]),
            (&7.into(), &1.into(), &"function".into())
        );
        let args = &main["args"];
        assert_eq!(args["file"], "m.py");
        assert_eq!(args["line"], 3);
        assert_eq!(args["module"], "m");
        assert_eq!(args["kind"], "function");
        assert_eq!(args["return"], "None");
        assert_eq!(args["status"], "ok");
        assert_eq!(args["span_id"], "0000000000000001");
        assert_eq!(args["parent_id"], Value::Null);
        assert!(args.get("exception").is_none(), "no exception: no key");
        assert_eq!(child["args"]["parent_id"], "0000000000000001");
        // the recorded arguments keep their order
        assert!(text.contains(r#""args":{"b":"2","a":"1"}"#), "{text}");

        // the big thread id has a number of its own; its name keeps it
        let worker = by_name("worker");
        assert_eq!(worker["tid"], FIRST_SYNTHETIC_ID);
        assert_eq!(
            (ns(&worker["ts"]), ns(&worker["dur"])),
            (2_000_000, 1_234_567)
        );

        let go = by_name("(*Cart).Add");
        assert_eq!((&go["pid"], &go["tid"]), (&99.into(), &1.into()));
        assert_eq!(go["args"]["exception"]["type"], "panic");

        // a generator is an async slice: a begin and an end, one id
        let (b, e) = (events(&json, "b"), events(&json, "e"));
        assert_eq!((b.len(), e.len()), (1, 1));
        assert_eq!((&b[0]["name"], &b[0]["id"]), (&"gen".into(), &e[0]["id"]));
        assert_eq!((ns(&b[0]["ts"]), ns(&e[0]["ts"])), (10, 100_010));
        assert_eq!(b[0]["args"]["kind"], "generator");

        let instants = events(&json, "i");
        let names: Vec<&str> = instants
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "branch m.py:44 arm 1",
                "except ValueError",
                "loop k.py:45 ×3",
                "n = 3"
            ]
        );
        assert!(instants.iter().all(|e| e["s"] == "t"));
        assert_eq!(
            ns(&instants[2]["ts"]),
            0,
            "the earliest event is the origin"
        );
        assert_eq!(instants[1]["tid"], FIRST_SYNTHETIC_ID);
        assert_eq!(instants[0]["args"]["site"], 44);
        assert_eq!(instants[1]["args"]["exception"]["message"], "bad");
        assert!(instants[0]["args"].get("pid").is_none());

        // one name per process and per track, before the track's first event
        let meta: Vec<(String, u64, u64, String)> = events(&json, "M")
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["pid"].as_u64().unwrap(),
                    e["tid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let m = |a: &str, p, t, n: &str| (a.to_string(), p, t, n.to_string());
        assert_eq!(
            meta,
            [
                m("process_name", 7, 0, "pid 7"),
                m("thread_name", 7, 1, "thread 1"),
                m(
                    "thread_name",
                    7,
                    FIRST_SYNTHETIC_ID,
                    &format!("thread {BIG_TID}")
                ),
                m("process_name", 8, 0, "pid 8"),
                m("thread_name", 8, 1, "thread 1"),
                m("process_name", 99, 0, "pid 99 (go)"),
                m("thread_name", 99, 1, "goroutine group 1"),
            ]
        );
        let all = json["traceEvents"].as_array().unwrap();
        let first_on = |pid: u64, tid: u64| {
            all.iter()
                .position(|e| e["pid"] == pid && e["tid"] == tid)
                .unwrap()
        };
        assert_eq!(all[first_on(7, 1)]["name"], "thread_name");
        assert_eq!(all[first_on(99, 1)]["name"], "thread_name");
    }

    #[test]
    fn output_is_deterministic() {
        let (_, _, a) = convert(&sample());
        let (_, _, b) = convert(&sample());
        assert_eq!(a, b);
    }

    #[test]
    fn nesting_survives_the_conversion_at_every_offset() {
        // A parent and a child that ends with it, at offsets whose
        // microseconds are not exact doubles, and far from the origin.
        let mut lines = vec![span(1, None, "origin", "function", 0, 1, 1, 1)];
        let mut id = 2;
        for base in [1u64, 999, 123_456_789_012, 86_400_000_000_000_u64 + 7] {
            for k in 0..50u64 {
                let start = base + k * 1_000_003;
                let (pd, cs) = (999_999 + k, 333 + 7 * k);
                lines.push(span(
                    id + 1,
                    Some(id),
                    "c",
                    "function",
                    start + cs,
                    pd - cs,
                    1,
                    1,
                ));
                lines.push(span(id, None, "p", "function", start, pd, 1, 1));
                id += 2;
            }
        }
        let (json, stats, _) = convert(&lines);
        assert_eq!(stats.spans, lines.len() as u64);
        let x = events(&json, "X");
        for pair in x[1..].chunks(2) {
            let (c, p) = (pair[0], pair[1]);
            let (cs, ce) = (ns(&c["ts"]), ns(&c["ts"]) + ns(&c["dur"]));
            let (ps, pe) = (ns(&p["ts"]), ns(&p["ts"]) + ns(&p["dur"]));
            assert!(cs >= ps && ce == pe, "{c} in {p}");
        }
    }

    #[test]
    fn times_are_exact_decimals() {
        assert_eq!(micros(0), "0.000");
        assert_eq!(micros(1), "0.001");
        assert_eq!(micros(1_234_567), "1234.567");
        assert_eq!(micros(-5), "-0.005");
        assert_eq!(micros(-1_000), "-1.000");
    }

    #[test]
    fn empty_input_is_an_empty_trace() {
        let (json, stats, _) = convert(&[]);
        assert_eq!(json["traceEvents"], Value::Array(vec![]));
        assert_eq!(stats, Stats::default());
    }

    #[test]
    fn without_a_first_pass_times_are_relative_to_the_first_event() {
        let mut c = Converter::default();
        let mut out = Vec::new();
        for l in [
            span(1, None, "late", "function", 100, 5, 1, 1),
            span(2, None, "early", "function", 40, 5, 1, 1),
        ] {
            c.write(&l, String::new, &mut out).unwrap();
        }
        c.finish(&mut out).unwrap();
        let json: Value = serde_json::from_slice(&out).unwrap();
        let x = events(&json, "X");
        assert_eq!((ns(&x[0]["ts"]), ns(&x[1]["ts"])), (0, -60));
    }
}
