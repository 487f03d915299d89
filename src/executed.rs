//! Executed coverage of a change (`ctinject check --since REF --trace
//! FILE`): which of the changed functions the tests actually ran, and
//! which arms of their branches, read from the trace that the tests wrote
//! on the instrumented copy. diff-cover's question, answered per function
//! and per branch arm from ctinject's own telemetry.
//!
//! Feed the trace's lines to a [`Seen`]; [`evaluate`] then matches what it
//! saw with the change's functions (a [`Report`] of the `--since` run). A
//! function ran when a span (or a `calls` summary of omitted calls) names
//! a line inside it; an arm ran when a `branch` event (or a `branches`
//! summary) names its file, site and arm. No I/O here.

use crate::engine::MODULE_UNIT;
use crate::report::{
    gh_data, gh_property, md_cell, md_code, Report, ANNOTATIONS_PER_LEVEL, SKIPPED_FILE_UNIT,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What a trace shows ran: the lines that spans name and the branch arms
/// taken, per file; a few words per distinct place, whatever the size of
/// the trace.
#[derive(Default)]
pub struct Seen {
    /// file -> function line -> calls
    calls: BTreeMap<String, BTreeMap<u64, u64>>,
    /// file -> (site, arm) -> times taken
    arms: BTreeMap<String, BTreeMap<(u64, i64), u64>>,
    pub events: u64,
    pub malformed: u64,
    pub first_malformed: Option<String>,
}

/// The keys of an event that say what ran.
#[derive(Deserialize)]
struct Ran {
    #[serde(rename = "type")]
    kind: String,
    file: Option<String>,
    line: Option<u64>,
    site: Option<u64>,
    arm: Option<i64>,
    #[serde(default)]
    omitted: u64,
}

impl Seen {
    /// Reads one line of a trace; `place` names it for the malformed-line warning.
    pub fn line(&mut self, line: &str, place: impl FnOnce() -> String) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        let Ok(ran) = serde_json::from_str::<Ran>(line) else {
            self.malformed += 1;
            if self.first_malformed.is_none() {
                self.first_malformed = Some(place());
            }
            return;
        };
        self.events += 1;
        let Some(file) = ran.file else { return };
        match (ran.kind.as_str(), ran.line, ran.site, ran.arm) {
            ("span", Some(line), ..) => {
                *self.calls.entry(file).or_default().entry(line).or_default() += 1;
            }
            ("calls", Some(line), ..) => {
                *self.calls.entry(file).or_default().entry(line).or_default() += ran.omitted;
            }
            ("branch", _, Some(site), Some(arm)) => {
                *self
                    .arms
                    .entry(file)
                    .or_default()
                    .entry((site, arm))
                    .or_default() += 1;
            }
            ("branches", _, Some(site), Some(arm)) => {
                *self
                    .arms
                    .entry(file)
                    .or_default()
                    .entry((site, arm))
                    .or_default() += ran.omitted;
            }
            _ => {}
        }
    }

    /// Every file the trace names.
    fn files(&self) -> BTreeSet<&str> {
        (self.calls.keys().chain(self.arms.keys()))
            .map(String::as_str)
            .collect()
    }
}

/// The trace's files (of `traced`) that stand for `path` of the report: the
/// same path, or (a trace written from another root) one that ends with it
/// or that it ends with, at a `/`.
fn files_for<'a>(traced: &BTreeSet<&'a str>, path: &str) -> Vec<&'a str> {
    if let Some(same) = traced.get(path) {
        return vec![same];
    }
    let at_slash = |longer: &str, shorter: &str| {
        longer
            .strip_suffix(shorter)
            .is_some_and(|r| r.ends_with('/'))
    };
    (traced.iter().copied())
        .filter(|k| at_slash(k, path) || at_slash(path, k))
        .collect()
}

/// A changed function and whether it ran.
#[derive(Debug, Serialize)]
pub struct FunctionRun {
    pub file: String,
    pub name: String,
    pub line: u32,
    /// `executed`, `not_executed`, or `unknown` (no event of it, and its
    /// span could not be instrumented, or only for some runtimes).
    pub status: RunStatus,
    pub calls: u64,
    pub arms: Vec<ArmRun>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Executed,
    NotExecuted,
    Unknown,
}

/// A branch arm of a changed function: the site (line) and arm as the
/// events number them (docs/events.md), and how often it ran.
#[derive(Debug, Serialize)]
pub struct ArmRun {
    pub site: u64,
    pub arm: i64,
    pub taken: u64,
}

/// Executed coverage of a change.
#[derive(Debug, Serialize)]
pub struct Executed {
    pub schema_version: u32,
    pub ctinject_version: &'static str,
    pub functions: Vec<FunctionRun>,
    pub totals: Totals,
    /// What the gate decided, when `--fail-under-executed` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub functions: u64,
    pub executed: u64,
    pub unknown: u64,
    /// Executed over measurable (not unknown) functions; `None` for none.
    pub percent: Option<f64>,
    pub arms: u64,
    pub arms_taken: u64,
    pub arms_percent: Option<f64>,
    /// Events read from the traces.
    pub trace_events: u64,
}

#[derive(Debug, Serialize)]
pub struct Gate {
    pub fail_under: f64,
    pub passed: bool,
}

/// Matches the change's functions (those of `report`) with what the trace
/// showed ran.
pub fn evaluate(report: &Report, seen: &Seen) -> Executed {
    let mut functions = Vec::new();
    let traced = seen.files();
    for file in &report.files {
        let sources = files_for(&traced, &file.path);
        let changed: Vec<_> = file
            .functions
            .iter()
            .filter(|f| f.name != MODULE_UNIT && f.name != SKIPPED_FILE_UNIT)
            .collect();
        for f in &changed {
            // The spans inside this function and not inside a smaller
            // changed function nested in it.
            let innermost = |line: u64| {
                changed
                    .iter()
                    .filter(|g| (g.lines.0 as u64..=g.lines.1 as u64).contains(&line))
                    .min_by_key(|g| g.lines.1 - g.lines.0)
                    .is_some_and(|g| std::ptr::eq(*g, *f))
            };
            let calls: u64 = sources
                .iter()
                .filter_map(|s| seen.calls.get(*s))
                .flat_map(|lines| lines.iter())
                .filter(|(line, _)| innermost(**line))
                .map(|(_, n)| n)
                .sum();
            // A span that could not be instrumented, or only in a form
            // that some runtimes take (a Python span from sys.monitoring,
            // CPython 3.12+), cannot tell "not run" from "not recorded".
            let span_sure = !(f.skipped.iter().chain(&f.limited))
                .any(|p| p.kind == crate::engine::PointKind::Function);
            let arms: Vec<ArmRun> = f
                .arms
                .iter()
                .flat_map(|a| a.arms.iter().map(move |&arm| (a.site as u64, arm)))
                .map(|(site, arm)| ArmRun {
                    site,
                    arm,
                    taken: sources
                        .iter()
                        .filter_map(|s| seen.arms.get(*s)?.get(&(site, arm)))
                        .sum(),
                })
                .collect();
            let status = if calls > 0 || arms.iter().any(|a| a.taken > 0) {
                RunStatus::Executed
            } else if span_sure {
                RunStatus::NotExecuted
            } else {
                RunStatus::Unknown
            };
            functions.push(FunctionRun {
                file: file.path.clone(),
                name: f.name.clone(),
                line: f.lines.0,
                status,
                calls,
                arms,
            });
        }
    }
    let count = |s: RunStatus| functions.iter().filter(|f| f.status == s).count() as u64;
    let (executed, unknown) = (count(RunStatus::Executed), count(RunStatus::Unknown));
    let all_arms = functions.iter().flat_map(|f| &f.arms);
    let arms = all_arms.clone().count() as u64;
    let arms_taken = all_arms.filter(|a| a.taken > 0).count() as u64;
    let percent =
        |n: u64, of: u64| (of > 0).then(|| (n as f64 * 10000.0 / of as f64).floor() / 100.0);
    let measurable = functions.len() as u64 - unknown;
    Executed {
        schema_version: 1,
        ctinject_version: env!("CARGO_PKG_VERSION"),
        totals: Totals {
            functions: functions.len() as u64,
            executed,
            unknown,
            percent: percent(executed, measurable),
            arms,
            arms_taken,
            arms_percent: percent(arms_taken, arms),
            trace_events: seen.events,
        },
        functions,
        gate: None,
    }
}

impl Executed {
    /// Applies `--fail-under-executed PCT`: fails when the executed share of
    /// the measurable changed functions is under PCT. No changed function
    /// passes (nothing to check).
    pub fn gate(&mut self, fail_under: f64) {
        let passed = self.totals.percent.is_none_or(|p| p >= fail_under);
        self.gate = Some(Gate { fail_under, passed });
    }

    pub fn exit_code(&self) -> i32 {
        match &self.gate {
            Some(g) if !g.passed => 1,
            _ => 0,
        }
    }

    fn not_executed(&self) -> impl Iterator<Item = &FunctionRun> {
        self.functions
            .iter()
            .filter(|f| f.status == RunStatus::NotExecuted)
    }

    /// One line: `5 of 6 changed functions executed (83.33%), 7 of 10 branch arms`.
    pub fn headline(&self) -> String {
        let t = &self.totals;
        if t.functions == 0 {
            return "no changed function: nothing to check".into();
        }
        let pct = |p: Option<f64>| p.map_or("n/a".to_string(), |p| format!("{p:.2}%"));
        let mut s = format!(
            "{} of {} changed functions executed ({})",
            t.executed,
            t.functions - t.unknown,
            pct(t.percent)
        );
        if t.unknown > 0 {
            let _ = write!(s, ", {} not measurable", t.unknown);
        }
        if t.arms > 0 {
            let _ = write!(
                s,
                "; {} of {} branch arms taken ({})",
                t.arms_taken,
                t.arms,
                pct(t.arms_percent)
            );
        }
        s
    }

    fn verdict(&self) -> Option<String> {
        let g = self.gate.as_ref()?;
        Some(format!(
            "executed-coverage gate {}: {} (--fail-under-executed {})",
            if g.passed { "passed" } else { "FAILED" },
            self.totals
                .percent
                .map_or("nothing to check".to_string(), |p| format!("{p:.2}%")),
            g.fail_under
        ))
    }

    pub fn to_human(&self) -> String {
        let mut s = format!("ctinject check: {}\n", self.headline());
        let missing: Vec<_> = self.not_executed().collect();
        if !missing.is_empty() {
            s.push_str("not executed by the tests:\n");
            for f in missing {
                let _ = writeln!(s, "  {}:{}  {}", f.file, f.line, f.name);
            }
        }
        let unknown: Vec<_> = (self.functions.iter())
            .filter(|f| f.status == RunStatus::Unknown)
            .collect();
        if !unknown.is_empty() {
            s.push_str(
                "not measurable (no span could be instrumented; see the instrumentation report):\n",
            );
            for f in unknown {
                let _ = writeln!(s, "  {}:{}  {}", f.file, f.line, f.name);
            }
        }
        let untaken: Vec<String> = self
            .functions
            .iter()
            .filter(|f| f.status == RunStatus::Executed)
            .flat_map(|f| {
                f.arms
                    .iter()
                    .filter(|a| a.taken == 0)
                    .map(move |a| format!("  {}:{}  {} arm {}", f.file, a.site, f.name, a.arm))
            })
            .collect();
        if !untaken.is_empty() {
            s.push_str("branch arms never taken in executed functions:\n");
            for line in untaken {
                s.push_str(&line);
                s.push('\n');
            }
        }
        if let Some(v) = self.verdict() {
            s.push_str(&v);
            s.push('\n');
        }
        s
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializable") + "\n"
    }

    /// GitHub workflow commands: a warning on each changed function the
    /// tests did not run (at most [`ANNOTATIONS_PER_LEVEL`]), and the verdict.
    pub fn to_github(&self) -> String {
        let mut out = String::from(crate::outputs::GITHUB_MARK);
        let missing: Vec<_> = self.not_executed().collect();
        for f in missing.iter().take(ANNOTATIONS_PER_LEVEL) {
            let _ = writeln!(
                out,
                "::warning file={},line={},title={}::{}",
                gh_property(&f.file),
                f.line,
                gh_property("ctinject: changed function not executed"),
                gh_data(&format!(
                    "{} changed, and the tests never called it",
                    f.name
                ))
            );
        }
        if missing.len() > ANNOTATIONS_PER_LEVEL {
            let _ = writeln!(
                out,
                "::warning title=ctinject::{} more changed functions not executed (see the step summary)",
                missing.len() - ANNOTATIONS_PER_LEVEL
            );
        }
        let level = match &self.gate {
            Some(g) if !g.passed => "error",
            _ => "notice",
        };
        let text = self.verdict().unwrap_or_else(|| self.headline());
        let _ = writeln!(
            out,
            "::{level} title=ctinject executed coverage::{}",
            gh_data(&text)
        );
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "{}## ctinject: executed coverage of the change\n\n",
            crate::outputs::MARKDOWN_MARK
        );
        if let Some(g) = &self.gate {
            let icon = if g.passed { "✅" } else { "❌" };
            let _ = writeln!(
                s,
                "{icon} **{}**\n",
                md_cell(&self.verdict().unwrap_or_default())
            );
        }
        let _ = writeln!(s, "{}\n", md_cell(&self.headline()));
        if self.functions.is_empty() {
            return s;
        }
        s.push_str("| function | file | ran | calls | branch arms taken |\n| --- | --- | --- | ---: | --- |\n");
        for f in &self.functions {
            let ran = match f.status {
                RunStatus::Executed => "✅",
                RunStatus::NotExecuted => "❌",
                RunStatus::Unknown => "n/a",
            };
            let arms = if f.arms.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{} of {}",
                    f.arms.iter().filter(|a| a.taken > 0).count(),
                    f.arms.len()
                )
            };
            let _ = writeln!(
                s,
                "| {} | {}:{} | {ran} | {} | {arms} |",
                md_code(&f.name),
                md_cell(&f.file),
                f.line,
                f.calls
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_files_match_the_report_path_exactly_or_by_its_end_at_a_slash() {
        let traced: BTreeSet<&str> = ["shop/cart.py", "copy/shop/cart.py", "xshop/cart.py"].into();
        assert_eq!(
            files_for(&traced, "shop/cart.py"),
            ["shop/cart.py"],
            "exact wins"
        );
        let other_root: BTreeSet<&str> = ["copy/shop/cart.py", "xshop/cart.py"].into();
        assert_eq!(
            files_for(&other_root, "shop/cart.py"),
            ["copy/shop/cart.py"]
        );
        let shorter: BTreeSet<&str> = ["cart.py"].into();
        assert_eq!(files_for(&shorter, "src/cart.py"), ["cart.py"]);
        assert!(files_for(&other_root, "art.py").is_empty());
    }
}
