//! `.ctinject.yml`: what to instrument and how the runtime records values.
//!
//! The file is found by walking up from the first PATH (or given with
//! `--config`). Unknown keys and bad values are errors that name the file,
//! the line and the key. `ctinject init` writes [`DEFAULT_CONFIG`], which
//! documents every key.

use crate::engine::PointKind;
use anyhow::{bail, Context, Result};
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
  # The trace file stops growing at about this many megabytes (10^6 bytes),
  # with a last "truncated" line; 0: no limit. A test suite that calls a
  # function millions of times would otherwise fill the disk.
  max_trace_mb: 1000

# Files larger than this many bytes are copied but not instrumented.
max_file_size: 2000000
"#;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(deserialize_with = "null_as_default")]
    pub include: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub exclude: Vec<String>,
    // `points:` with every key under it commented out is YAML's null: the
    // defaults, not an error.
    #[serde(deserialize_with = "null_as_default")]
    pub points: Points,
    #[serde(deserialize_with = "null_as_default")]
    pub values: Values,
    #[serde(deserialize_with = "null_as_default")]
    pub runtime: Runtime,
    pub max_file_size: u64,
}

fn null_as_default_patterns<'de, D>(d: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_else(|| Values::default().redact))
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
    pub cap: u32,
    // `redact:` with nothing under it: the default patterns, not none.
    #[serde(deserialize_with = "null_as_default_patterns")]
    pub redact: Vec<String>,
    pub repr: ReprMode,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    pub max_events_per_site: u32,
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
            max_trace_mb: 1000,
        }
    }
}

impl Config {
    /// Parses configuration text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Config> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_saphyr::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}", yaml_error_text(&e.to_string(), origin)))?;
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &Path) -> Result<()> {
        // Compiled as a run compiles them (anchors, `*` within a folder).
        for (key, globs) in [("include", &self.include), ("exclude", &self.exclude)] {
            for g in globs {
                crate::discover::Selection::new(std::slice::from_ref(g), &[]).with_context(
                    || format!("{}: key `{key}`: bad glob {g:?}", origin.display()),
                )?;
            }
        }
        // The runtime matches these with Python's `re`. A pattern it cannot
        // compile would redact nothing of what it was meant to: refuse it
        // here. Checked with the `regex` crate, whose syntax is Python's
        // minus lookaround and backreferences, which name patterns never need.
        for p in &self.values.redact {
            regex::Regex::new(&format!("(?i){p}")).map_err(|e| {
                let why = e.to_string();
                let why = why.lines().last().unwrap_or("").trim();
                anyhow::anyhow!(
                    "{}: key `values.redact`: bad pattern {p:?}: {why}",
                    origin.display()
                )
            })?;
        }
        if self.values.cap < 8 {
            bail!(
                "{}: key `values.cap`: must be at least 8 (got {})",
                origin.display(),
                self.values.cap
            );
        }
        if self.max_file_size == 0 {
            bail!(
                "{}: key `max_file_size`: must be positive",
                origin.display()
            );
        }
        Ok(())
    }

    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        Config::parse(&text, path)
    }

    /// Finds `.ctinject.yml` in `start` or a folder above it.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = std::fs::canonicalize(crate::discover::folder_of(start)).ok()?;
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
            "max_trace_bytes": u64::from(self.runtime.max_trace_mb) * 1_000_000,
        })
        .to_string()
    }
}

/// The YAML library's message, said for this file: the snippet names the
/// file instead of `<input>`, and library advice a user cannot act on goes.
fn yaml_error_text(message: &str, origin: &Path) -> String {
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
        .replace("invalid u64", "not a whole number of 0 or more");
    format!("{file}: {message}")
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

    /// The YAML library's snippet said `<input>`, the message began with a
    /// second "error:", a duplicate key came with advice about the library's
    /// options, and `points:` with every key commented out was an error.
    #[test]
    fn yaml_errors_speak_of_the_file_and_empty_sections_are_defaults() {
        let err = Config::parse("points:\n  loop: true\n  loop: false\n", Path::new("d.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("d.yml: line 3 column 3: duplicate"),
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

    #[test]
    fn bad_value_names_the_key() {
        let err = Config::parse("values:\n  cap: lots\n", Path::new("c.yml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.yml") && err.contains("line 2"), "{err}");
        let err = Config::parse("exclude: ['a/[']\n", Path::new("c.yml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("exclude") && err.contains("a/["), "{err}");
    }

    /// A redaction pattern Python's `re` cannot compile was dropped at run
    /// time without a word: the values it was meant to hide were recorded.
    #[test]
    fn bad_redaction_pattern_is_refused() {
        let err = Config::parse("values:\n  redact: ['pass(word']\n", Path::new("c.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.yml") && err.contains("values.redact") && err.contains("pass(word"),
            "{err}"
        );
        Config::parse(
            "values:\n  redact: ['^pin$', 'api_?key']\n",
            Path::new("c.yml"),
        )
        .unwrap();
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
