//! What to do with a trace: the JSON-lines events that the runtimes write
//! (docs/events.md), read back. [`summary`] turns them into what a person
//! reads in a terminal. No I/O here: the CLI feeds lines in.

pub mod flamegraph;
pub mod otlp;
pub mod perfetto;
pub mod summary;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// The events a summary reads; every other type (`var`, `vars`, ...) is
/// [`Event::Other`]. Keys a summary does not need are ignored, so events
/// of any runtime (Python, JavaScript, TypeScript, Go) read alike.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Span(Span),
    Calls(Calls),
    Branch(Branch),
    Branches(Branches),
    Loop(Loop),
    Loops(Loops),
    Truncated {},
    #[serde(other)]
    Other,
}

/// A function call (`"type":"span"`).
#[derive(Debug, Deserialize)]
pub struct Span {
    pub span_id: String,
    pub parent_id: Option<String>,
    #[serde(flatten)]
    pub function: Function,
    pub duration_ns: u64,
    #[serde(default)]
    pub status: String,
    pub exception: Option<Exception>,
    pub pid: Option<u64>,
}

/// Which function: its name, module, and where it is in the original.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Function {
    pub name: String,
    #[serde(default)]
    pub module: Option<String>,
    pub file: String,
    pub line: u64,
}

/// What a failed call raised (or panicked with).
#[derive(Debug, Deserialize)]
pub struct Exception {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub message: Option<String>,
}

/// The calls of a function that were not written (over the span cap).
#[derive(Debug, Deserialize)]
pub struct Calls {
    #[serde(flatten)]
    pub function: Function,
    #[serde(default)]
    pub omitted: u64,
    /// Of those, the calls only counted, not timed (Python's
    /// `runtime.max_timed_calls_per_function`): the duration covers the others.
    #[serde(default)]
    pub omitted_untimed: u64,
    #[serde(default)]
    pub omitted_duration_ns: u64,
    #[serde(default)]
    pub omitted_max_duration_ns: u64,
    /// The omitted calls that failed, by exception type (every runtime
    /// writes these beside their total, `omitted_failed`).
    #[serde(default)]
    pub omitted_exceptions: std::collections::BTreeMap<String, u64>,
}

/// One branch arm taken.
#[derive(Debug, Deserialize)]
pub struct Branch {
    pub file: String,
    pub site: u64,
    pub arm: i64,
}

/// Branch arms taken but not written (over the per-site cap).
#[derive(Debug, Deserialize)]
pub struct Branches {
    pub file: String,
    pub site: u64,
    pub arm: i64,
    #[serde(default)]
    pub omitted: u64,
}

/// One run of a loop.
#[derive(Debug, Deserialize)]
pub struct Loop {
    pub file: String,
    pub site: u64,
    #[serde(default)]
    pub kind: String,
    pub iterations: u64,
}

/// Runs of a loop that were not written (over the per-site cap).
#[derive(Debug, Deserialize)]
pub struct Loops {
    pub file: String,
    pub site: u64,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub omitted: u64,
    #[serde(default)]
    pub omitted_iterations: u64,
    #[serde(default)]
    pub omitted_max_iterations: u64,
}

/// A span id (16 hex digits) as a number; `None` for anything else.
pub fn span_id(hex: &str) -> Option<u64> {
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// A JSON object with its keys in their order (a recorded call's
/// arguments are in parameter order).
#[derive(Default)]
pub struct Fields(pub Vec<(String, Value)>);

impl Fields {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    v.push(entry);
                }
                Ok(Fields(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
