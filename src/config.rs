//! `.ctinject.yml`: what to instrument and how the runtime records values.
//!
//! The file is found by walking up from the first PATH (or given with
//! `--config`). Unknown keys and bad values are errors that name the file,
//! the line and the key. `ctinject init` writes [`DEFAULT_CONFIG`], which
//! documents every key.

use crate::engine::PointKind;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The configuration file's name.
pub const FILE_NAME: &str = ".ctinject.yml";

/// What `ctinject init` writes: every key, with its default and what it does.
pub const DEFAULT_CONFIG: &str = r#"# ctinject configuration (https://github.com/ctinject/ctinject/blob/main/docs/config.md)
# Globs are relative to the PATH given to ctinject and read as in .gitignore:
# `**` crosses folders, a name without `/` matches at any depth, and a folder
# matches everything in it (`tests`, `src/pkg`).

# Only files matching one of these are instrumented (empty: every file of a
# known language). Files left out are still copied to --out unchanged.
include: []

# Files matching one of these are not instrumented (they are still copied).
exclude: []

# The kinds of instrumentation point. A kind turned off is neither inserted
# nor counted in coverage.
points:
  function: true   # spans: arguments, return value, duration, exception
  variable: true   # assignments, walrus, with-as, except-as, for targets
  branch: true     # if/elif/else, match/case, conditional expressions, while tests
  loop: true       # iterations per loop execution (aggregated)
  exception: true  # exception handlers entered

# How the runtime records values.
values:
  # Longest recorded value, in characters.
  cap: 200
  # Names matching one of these (case-insensitive regular expressions) are
  # recorded as "[REDACTED]".
  redact: ["passw", "secret", "token", "api_?key", "auth", "credential", "private_?key", "session", "cookie"]
  # safe: repr() only of builtin values (numbers, strings, containers of
  # them); other objects are shown as <module.Class object> without running
  # their code. full: call repr() on everything (guarded).
  repr: safe

runtime:
  # Variable and branch events kept per site and span; the rest are counted.
  max_events_per_site: 16
  # Variable, branch, loop and exception events kept per site and process;
  # later ones are counted (a variable's with its last value) in one "vars",
  # "branches", "loops" or "exceptions" event per site at exit. 0: every event.
  max_events_per_site_per_process: 200
  # Calls of one function recorded in full, per process; later calls are
  # counted (a "calls" event per function at exit), and written in full only
  # when they fail. 0: every call.
  max_spans_per_function: 200
  # Of those later calls, the failing ones written in full per function and
  # process; the rest are counted by exception type in its "calls" event.
  # 0: every failing call.
  max_failures_per_function: 100
  # The slowest of the calls not recorded in full, kept per function (with
  # their arguments and return value) in its "calls" event.
  slowest_calls: 5
  # Python on CPython 3.12+: of the calls not recorded in full, how many per
  # function and process are timed (their durations and the slowest); later
  # ones are only counted, for less than half their cost. 0: every one.
  max_timed_calls_per_function: 10000
  # The trace file stops growing at about this many megabytes (10^6 bytes),
  # with a last "truncated" line; 0: no limit. A test suite that calls a
  # function millions of times would otherwise fill the disk.
  max_trace_mb: 1000

# Files larger than this many bytes are copied but not instrumented.
max_file_size: 2000000

# Functions whose points that cannot be instrumented are waived: shown in the
# report as waived, left out of coverage and the gate, never counted as
# covered. Each entry is PATH::FUNCTION, both globs: PATH as the report shows
# it (relative to the top of the repository), FUNCTION the qualified name
# (`Cart.total`). A `# ctinject: waive REASON` comment on a function's `def`
# line (or a decorator line) does the same for that function.
waive: []

# The language-model fallback for languages without a planner (Java): off
# unless enabled here or with --llm, and a provider is named here or by
# LLM_PROVIDER (the LLM_* variables win; keys come from OPENAI_API_KEY or
# ANTHROPIC_API_KEY only). docs/llm.md says what is sent and when.
llm:
  enabled: false
  # provider: openai          # openai (or a compatible server), anthropic, ollama
  # model: gpt-4o-mini         # several, separated by commas, are used in turn
  # base_url: https://api.openai.com/v1
  # timeout: 120               # seconds per request
  # jobs: 12                   # requests at once
  # budget: 1.00               # dollars; no new request once spent
  prices: {}                   # model: {input: USD, output: USD} per million tokens
  # A command that checks each instrumented file ({file}, {dir}, {root},
  # {project}: docs/llm.md);
  # a failure refuses the plan and is fed back to the model.
  check: {}
  #   java: "javac -d {root}/classes {file} {root}/ctinject/CtInject.java"
  # The languages --llm sends (default: all of java, ruby, php, csharp,
  # kotlin, rust, c, cpp, lua):
  # languages: [java]
"#;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(deserialize_with = "globs")]
    pub include: Vec<String>,
    #[serde(deserialize_with = "globs")]
    pub exclude: Vec<String>,
    // `points:` with every key under it commented out is YAML's null: the
    // defaults, not an error.
    #[serde(deserialize_with = "null_as_default")]
    pub points: Points,
    #[serde(deserialize_with = "null_as_default")]
    pub values: Values,
    #[serde(deserialize_with = "null_as_default")]
    pub runtime: Runtime,
    #[serde(deserialize_with = "file_size")]
    pub max_file_size: u64,
    #[serde(deserialize_with = "waivers")]
    pub waive: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub llm: Llm,
}

/// The language-model fallback (docs/llm.md). The environment's `LLM_*`
/// variables win over these; keys are read from the environment only.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Llm {
    /// As `--llm`: send files in languages without a planner.
    pub enabled: bool,
    pub provider: Option<String>,
    /// One model, or several separated by commas, used in turn.
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Seconds per request.
    pub timeout: Option<f64>,
    /// Requests at once.
    pub jobs: Option<u32>,
    /// Dollars, as `--budget`.
    pub budget: Option<f64>,
    /// Dollars per million tokens, by model: `{input, output}`.
    pub prices: std::collections::BTreeMap<String, LlmPrice>,
    /// A command that checks an instrumented file, by language (`java:
    /// "javac -d {dir}/classes {file}"`): `{file}` is the instrumented file,
    /// `{dir}` the folder that holds it, `{root}` the root of the folder
    /// that holds it and the runtime, `{project}` the project's own root;
    /// a failure refuses the plan, with the command's output
    /// as the reason the model is given.
    #[serde(deserialize_with = "check_commands")]
    pub check: std::collections::BTreeMap<String, String>,
    /// The languages `--llm` sends (None: every fallback language); files
    /// of the others are listed, out of coverage, as without `--llm`.
    #[serde(
        deserialize_with = "fallback_languages",
        skip_serializing_if = "Option::is_none"
    )]
    pub languages: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LlmPrice {
    pub input: f64,
    pub output: f64,
}

// Values are checked as they are read, so that an error carries the line of
// the value (and, through serde_path_to_error, its key).

/// A whole number from `min` to `max`; the message gives that range
/// whatever the value was (a string, a negative number, a float).
fn whole_number<'de, D>(d: D, min: u64, max: u64) -> Result<u64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Whole(u64, u64);
    impl Whole {
        fn refuse<E: serde::de::Error>(&self, got: std::fmt::Arguments) -> E {
            E::custom(format!(
                "must be a whole number from {} to {} (got {got})",
                self.0, self.1
            ))
        }
    }
    impl serde::de::Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a whole number from {} to {}", self.0, self.1)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
            if (self.0..=self.1).contains(&n) {
                Ok(n)
            } else {
                Err(self.refuse(format_args!("{n}")))
            }
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
            match u64::try_from(n) {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(self.refuse(format_args!("{n}"))),
            }
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<u64, E> {
            Err(self.refuse(format_args!("{n}")))
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<u64, E> {
            Err(self.refuse(format_args!("{b}")))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<u64, E> {
            Err(self.refuse(format_args!("{s:?}")))
        }
    }
    d.deserialize_any(Whole(min, max))
}

fn value_cap<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    whole_number(d, 8, u32::MAX.into()).map(|n| n as u32)
}

fn any_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    whole_number(d, 0, u32::MAX.into()).map(|n| n as u32)
}

fn file_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    whole_number(d, 1, u64::MAX)
}

/// A string that `check` accepts, refused where it stands in the file.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Checked<const KIND: u8>(String);

const GLOB: u8 = 0;
const PATTERN: u8 = 1;
const WAIVER: u8 = 2;
const FALLBACK_LANGUAGE: u8 = 3;

impl<'de, const KIND: u8> Deserialize<'de> for Checked<KIND> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let checked = match KIND {
            GLOB => check_glob(&s),
            WAIVER => Waivers::new(std::slice::from_ref(&s)).map(drop),
            FALLBACK_LANGUAGE => check_fallback_language(&s),
            _ => check_pattern(&s),
        };
        checked.map_err(serde::de::Error::custom)?;
        Ok(Checked(s))
    }
}

/// A language of the language-model fallback, by its name.
fn check_fallback_language(name: &str) -> Result<(), String> {
    let all = crate::llm::forms::all();
    if all.iter().any(|l| l.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = all.iter().map(|l| l.name).collect();
    Err(format!(
        "unknown language {name:?}: the fallback's languages are {}",
        names.join(", ")
    ))
}

/// `llm.languages`: fallback language names.
fn fallback_languages<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let names = Option::<Vec<Checked<FALLBACK_LANGUAGE>>>::deserialize(d)?;
    Ok(names.map(|v| v.into_iter().map(|n| n.0).collect()))
}

/// `llm.check`: a command per fallback language, by name.
fn check_commands<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    let map =
        Option::<std::collections::BTreeMap<Checked<FALLBACK_LANGUAGE>, String>>::deserialize(d)?;
    Ok(map
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.0, v))
        .collect())
}

/// Compiled as a run compiles them (anchors, `*` within a folder).
fn check_glob(g: &str) -> Result<(), String> {
    crate::select::Selection::new(&[g.to_string()], &[])
        .map(drop)
        .map_err(|e| format!("bad glob {g:?}: {}", e.root_cause()))
}

/// The runtime matches these with Python's `re`. A pattern it cannot compile
/// would redact nothing of what it was meant to: refuse it here. Checked
/// with the `regex` crate, whose syntax is Python's minus lookaround and
/// backreferences, which name patterns never need.
fn check_pattern(p: &str) -> Result<(), String> {
    regex::Regex::new(&format!("(?i){p}"))
        .map(drop)
        .map_err(|e| {
            let why = e.to_string();
            let why = why.lines().last().unwrap_or("").trim();
            let why = why.strip_prefix("error: ").unwrap_or(why);
            format!("bad pattern {p:?}: {why}")
        })
}

fn globs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let globs = Option::<Vec<Checked<GLOB>>>::deserialize(d)?.unwrap_or_default();
    Ok(globs.into_iter().map(|g| g.0).collect())
}

fn waivers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let waivers = Option::<Vec<Checked<WAIVER>>>::deserialize(d)?.unwrap_or_default();
    Ok(waivers.into_iter().map(|w| w.0).collect())
}

/// The configuration's `waive` entries, compiled: `PATH::FUNCTION`, both
/// globs (`*` does not cross `/` in PATH).
pub struct Waivers(Vec<(String, globset::GlobMatcher, globset::GlobMatcher)>);

impl Waivers {
    pub fn new(entries: &[String]) -> Result<Waivers, String> {
        let glob = |g: &str, literal_separator| {
            globset::GlobBuilder::new(g)
                .literal_separator(literal_separator)
                .build()
                .map(|g| g.compile_matcher())
                .map_err(|e| format!("bad waiver {g:?}: {e}"))
        };
        let mut out = Vec::new();
        for e in entries {
            let Some((path, function)) = e.rsplit_once("::") else {
                return Err(format!(
                    "bad waiver {e:?}: expected PATH::FUNCTION, as src/shop/cart.py::Cart.total"
                ));
            };
            if path.is_empty() || function.is_empty() {
                return Err(format!(
                    "bad waiver {e:?}: PATH and FUNCTION may not be empty"
                ));
            }
            out.push((e.clone(), glob(path, true)?, glob(function, false)?));
        }
        Ok(Waivers(out))
    }

    /// The entry that waives `function` of the file at `path`, if any.
    pub fn find(&self, path: &str, function: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, p, f)| p.is_match(path) && f.is_match(function))
            .map(|(e, _, _)| e.as_str())
    }
}

fn redact_patterns<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<Vec<Checked<PATTERN>>>::deserialize(d)? {
        Some(v) => v.into_iter().map(|p| p.0).collect(),
        None => Values::default().redact,
    })
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Points {
    pub function: bool,
    pub variable: bool,
    pub branch: bool,
    #[serde(rename = "loop")]
    pub loops: bool,
    pub exception: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReprMode {
    Safe,
    Full,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Values {
    #[serde(deserialize_with = "value_cap")]
    pub cap: u32,
    // `redact:` with nothing under it: the default patterns, not none.
    #[serde(deserialize_with = "redact_patterns")]
    pub redact: Vec<String>,
    pub repr: ReprMode,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    #[serde(deserialize_with = "any_u32")]
    pub max_events_per_site: u32,
    #[serde(deserialize_with = "any_u32")]
    pub max_events_per_site_per_process: u32,
    #[serde(deserialize_with = "any_u32")]
    pub max_spans_per_function: u32,
    #[serde(deserialize_with = "any_u32")]
    pub max_failures_per_function: u32,
    #[serde(deserialize_with = "any_u32")]
    pub slowest_calls: u32,
    #[serde(deserialize_with = "any_u32")]
    pub max_timed_calls_per_function: u32,
    #[serde(deserialize_with = "any_u32")]
    pub max_trace_mb: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            include: Vec::new(),
            exclude: Vec::new(),
            points: Points::default(),
            values: Values::default(),
            runtime: Runtime::default(),
            max_file_size: 2_000_000,
            waive: Vec::new(),
            llm: Llm::default(),
        }
    }
}

impl Default for Points {
    fn default() -> Self {
        Points {
            function: true,
            variable: true,
            branch: true,
            loops: true,
            exception: true,
        }
    }
}

impl Default for Values {
    fn default() -> Self {
        Values {
            cap: 200,
            redact: [
                "passw",
                "secret",
                "token",
                "api_?key",
                "auth",
                "credential",
                "private_?key",
                "session",
                "cookie",
            ]
            .map(String::from)
            .to_vec(),
            repr: ReprMode::Safe,
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            max_events_per_site: 16,
            max_events_per_site_per_process: 200,
            max_spans_per_function: 200,
            max_failures_per_function: 100,
            slowest_calls: 5,
            max_timed_calls_per_function: 10_000,
            max_trace_mb: 1000,
        }
    }
}

impl Config {
    /// Parses configuration text; `origin` names the file in errors, which
    /// give the line and the key.
    pub fn parse(text: &str, origin: &Path) -> Result<Config> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let mut key = String::new();
        serde_saphyr::with_deserializer_from_str(text, |d| {
            serde_path_to_error::deserialize(d).map_err(|e| {
                key = e.path().to_string();
                e.into_inner()
            })
        })
        .map_err(|e| anyhow::anyhow!("{}", yaml_error_text(&e.to_string(), &key, origin)))
    }

    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        Config::parse(&text, path)
    }

    /// Finds `.ctinject.yml` in `start` or a folder above it.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = std::fs::canonicalize(crate::select::folder_of(start)).ok()?;
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// The point kinds turned on.
    pub fn kinds(&self) -> BTreeSet<PointKind> {
        let p = &self.points;
        [
            (PointKind::Function, p.function),
            (PointKind::Variable, p.variable),
            (PointKind::Branch, p.branch),
            (PointKind::Loop, p.loops),
            (PointKind::Exception, p.exception),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect()
    }

    /// The settings the runtime reads, as JSON (part of what the output depends on).
    pub fn runtime_json(&self) -> String {
        serde_json::json!({
            "value_cap": self.values.cap,
            "redact": self.values.redact,
            "repr": self.values.repr,
            "max_events_per_site": self.runtime.max_events_per_site,
            "max_events_per_site_per_process": self.runtime.max_events_per_site_per_process,
            "max_spans_per_function": self.runtime.max_spans_per_function,
            "max_failures_per_function": self.runtime.max_failures_per_function,
            "slowest_calls": self.runtime.slowest_calls,
            "max_timed_calls_per_function": self.runtime.max_timed_calls_per_function,
            "max_trace_bytes": u64::from(self.runtime.max_trace_mb) * 1_000_000,
            // telemetry.sdk.version of the spans a runtime exports
            "ctinject_version": env!("CARGO_PKG_VERSION"),
        })
        .to_string()
    }
}

/// The YAML library's message, said for this file: the snippet names the
/// file instead of `<input>`, and library advice a user cannot act on goes.
fn yaml_error_text(message: &str, key: &str, origin: &Path) -> String {
    let file = origin.display().to_string();
    let message = message
        .trim_end()
        .strip_prefix("error: ")
        .unwrap_or(message.trim_end())
        .replace("<input>", &file)
        .replace(
            ", set DuplicateKeyPolicy in Options if acceptable",
            " (each key may appear once)",
        )
        .replace("invalid u32", "not a whole number from 0 to 4294967295")
        .replace("invalid u64", "not a whole number of 0 or more")
        .replace("invalid boolean", "must be true or false");
    // `.` is the top level, `?` a key not read yet (a duplicate): the
    // message names it.
    let key = key.trim_end_matches(".?");
    if key.is_empty() || key == "." || key == "?" {
        format!("{file}: {message}")
    } else {
        format!("{file}: key `{key}`: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_text_parses_to_the_defaults() {
        let c = Config::parse(DEFAULT_CONFIG, Path::new("x.yml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = Config::parse(
            "points:\n  function: true\n  brnch: false\n",
            Path::new("cfg/.ctinject.yml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cfg/.ctinject.yml"), "{err}");
        assert!(err.contains("brnch"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn fallback_language_names_are_checked_where_they_stand() {
        let c = Config::parse(
            "llm:\n  languages: [java, lua]\n  check:\n    lua: luac5.4 -p {file}\n",
            Path::new("a.yml"),
        )
        .unwrap();
        assert_eq!(c.llm.languages, Some(vec!["java".into(), "lua".into()]));
        assert_eq!(c.llm.check["lua"], "luac5.4 -p {file}");
        for (yaml, line) in [
            ("llm:\n  languages: [java, cobol]\n", "line 2"),
            ("llm:\n  check:\n    jvaa: javac {file}\n", "line 3"),
        ] {
            let err = Config::parse(yaml, Path::new("b.yml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("unknown language"), "{err}");
            assert!(err.contains("java, ruby, php, csharp"), "{err}");
            assert!(err.contains(line), "{err}");
        }
    }

    /// The YAML library's snippet said `<input>`, the message began with a
    /// second "error:", a duplicate key came with advice about the library's
    /// options, and `points:` with every key commented out was an error.
    #[test]
    fn yaml_errors_speak_of_the_file_and_empty_sections_are_defaults() {
        let err = Config::parse("points:\n  loop: true\n  loop: false\n", Path::new("d.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("d.yml: key `points`: line 3 column 3: duplicate"),
            "{err}"
        );
        assert!(err.contains("--> d.yml:3:3"), "{err}");
        assert!(
            !err.contains("<input>") && !err.contains("DuplicateKeyPolicy"),
            "{err}"
        );
        let c = Config::parse("points:\nvalues:\ninclude:\n", Path::new("e.yml")).unwrap();
        assert_eq!(c, Config::default());
        let c = Config::parse("values:\n  redact:\n", Path::new("f.yml")).unwrap();
        assert_eq!(c.values.redact, Values::default().redact);
    }

    fn error(yaml: &str) -> String {
        Config::parse(yaml, Path::new("c.yml"))
            .unwrap_err()
            .to_string()
    }

    /// Every configuration error names the file, the line and the key; a
    /// bad number gives the real range (`cap` had no line, and its message
    /// allowed 0 when the minimum is 8). A redaction pattern Python's `re`
    /// cannot compile was once dropped at run time without a word.
    #[test]
    fn every_error_names_file_line_and_key_and_the_real_range() {
        for (yaml, key, line, what) in [
            (
                "values:\n  repr: safe\n  cap: 3\n",
                "values.cap",
                3,
                "from 8 to 4294967295 (got 3)",
            ),
            (
                "values: {cap: lots}\n",
                "values.cap",
                1,
                "from 8 to 4294967295 (got \"lots\")",
            ),
            (
                "runtime:\n  max_trace_mb: -1\n",
                "runtime.max_trace_mb",
                2,
                "from 0 to 4294967295 (got -1)",
            ),
            (
                "runtime:\n  max_events_per_site: 1.5\n",
                "runtime.max_events_per_site",
                2,
                "(got 1.5)",
            ),
            (
                "max_file_size: 0\n",
                "max_file_size",
                1,
                "from 1 to 18446744073709551615 (got 0)",
            ),
            (
                "exclude:\n  - ok/**\n  - 'a/['\n",
                "exclude[1]",
                3,
                "bad glob \"a/[\"",
            ),
            (
                "include: ['a/[']\n",
                "include[0]",
                1,
                "unclosed character class",
            ),
            (
                "values:\n  redact: [x, 'pass(word']\n",
                "values.redact[1]",
                2,
                "bad pattern \"pass(word\": unclosed group",
            ),
            (
                "points:\n  function: true\n  brnch: false\n",
                "points.brnch",
                3,
                "unknown field `brnch`",
            ),
            (
                "points:\n  function: please\n",
                "points.function",
                2,
                "must be true or false",
            ),
            (
                "values:\n  repr: fancy\n",
                "values.repr",
                2,
                "unknown variant `fancy`",
            ),
            (
                "points:\n  loop: true\n  loop: false\n",
                "points",
                3,
                "duplicate",
            ),
        ] {
            let err = error(yaml);
            assert!(
                err.starts_with(&format!("c.yml: key `{key}`: line {line} column "))
                    && err.contains(what),
                "{yaml:?} gave:\n{err}"
            );
        }
    }

    #[test]
    fn good_numbers_and_patterns_are_read() {
        let c = Config::parse(
            "values:\n  cap: 8\n  redact: ['^pin$', 'api_?key']\nruntime: {max_trace_mb: 0}\nmax_file_size: 1\n",
            Path::new("c.yml"),
        )
        .unwrap();
        assert_eq!(
            (c.values.cap, c.runtime.max_trace_mb, c.max_file_size),
            (8, 0, 1)
        );
        assert_eq!(c.values.redact, ["^pin$", "api_?key"]);
        let c = Config::parse(
            "runtime:\n  max_events_per_site_per_process: 0\n  slowest_calls: 9\n  \
             max_failures_per_function: 3\n  max_timed_calls_per_function: 7\n",
            Path::new("c.yml"),
        )
        .unwrap();
        assert_eq!(
            (
                c.runtime.max_events_per_site_per_process,
                c.runtime.slowest_calls,
                c.runtime.max_failures_per_function,
                c.runtime.max_timed_calls_per_function
            ),
            (0, 9, 3, 7)
        );
        let json = c.runtime_json();
        assert!(
            json.contains(r#""max_events_per_site_per_process":0"#)
                && json.contains(r#""slowest_calls":9"#)
                && json.contains(r#""max_failures_per_function":3"#)
                && json.contains(r#""max_timed_calls_per_function":7"#),
            "{json}"
        );
    }

    #[test]
    fn kinds_follow_the_points_section() {
        let c = Config::parse(
            "points: {loop: false, variable: false}\n",
            Path::new("c.yml"),
        )
        .unwrap();
        let kinds: Vec<_> = c.kinds().into_iter().collect();
        assert_eq!(
            kinds,
            [PointKind::Function, PointKind::Branch, PointKind::Exception]
        );
    }
}
