//! The coverage gate: fail a change whose instrumentation coverage is too low,
//! or a project whose coverage fell too far against a baseline.
//!
//! Coverage is instrumented points over instrumentable points (docs/report.md;
//! principle 7 of docs/principles.md). The *change* is what `--since` selects: the
//! changed functions, plus any changed code that could not be parsed or read
//! (it counts against coverage; it never counts as nothing to check). The
//! *project* is every file under PATH. The baseline is a file written by
//! `--write-baseline`, or the project's score at the merge-base, computed
//! from git trees without a checkout.
//!
//! Verdicts: no changed function means pass, saying there was nothing to
//! check; `--informational` reports without failing. Exit codes: 0 pass, 1
//! gate failed, 2 error.

use crate::coverage::{Count, KindCounts};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the baseline file's schema.
pub const BASELINE_SCHEMA: u32 = 1;

/// What the user asked the gate to check.
#[derive(Clone, Debug, Default)]
pub struct GateOptions {
    pub fail_under: Option<f64>,
    pub max_drop: Option<f64>,
    pub informational: bool,
}

impl GateOptions {
    pub fn active(&self) -> bool {
        self.fail_under.is_some() || self.max_drop.is_some()
    }
}

/// A coverage figure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub instrumentable: u64,
    pub instrumented: u64,
    /// `None` when there is nothing to instrument.
    pub percent: Option<f64>,
}

impl From<Count> for Coverage {
    fn from(c: Count) -> Self {
        Coverage {
            instrumentable: c.instrumentable,
            instrumented: c.instrumented,
            percent: exact_percent(c).map(round2),
        }
    }
}

/// The unrounded percentage, which the gate compares: rounded, 39,999 of
/// 40,000 points read 100.00 and passed `--fail-under 100`. Equal ratios give
/// equal values (`100 * n` is exact and the division correctly rounded).
fn exact_percent(c: Count) -> Option<f64> {
    (c.instrumentable > 0).then(|| 100.0 * c.instrumented as f64 / c.instrumentable as f64)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A percentage for a failure message: up to four decimals, so that a
/// figure just under a threshold does not read as the threshold.
fn percent_text(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn serialize_round2<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round2(*x))
}

/// Where the baseline came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineRef {
    /// Unrounded; reports show it rounded to two decimals.
    #[serde(serialize_with = "serialize_round2")]
    pub percent: f64,
    /// `file` or `merge-base`.
    pub source: String,
    /// What the percentage comes from: the gate compares counts.
    #[serde(skip)]
    pub counts: Count,
}

impl BaselineRef {
    /// The baseline of these counts; None when they hold no points.
    pub fn from_counts(c: Count, source: &str) -> Option<BaselineRef> {
        exact_percent(c).map(|percent| BaselineRef {
            percent,
            source: source.into(),
            counts: c,
        })
    }
}

/// True when coverage fell from `before` to `now` by more than `max`
/// percentage points. Compared on the counts: the difference of two
/// percentages in floating point is off in the last bits, and a drop of
/// exactly `max` (103 -> 100 of 1000 points against 0.3) read as more.
/// `100 (b_i n_t - n_i b_t) > max b_t n_t`, the left side an exact integer.
fn fell_more_than(before: Count, now: Count, max: f64) -> bool {
    let (bi, bt) = (before.instrumented as i128, before.instrumentable as i128);
    let (ni, nt) = (now.instrumented as i128, now.instrumentable as i128);
    (100 * (bi * nt - ni * bt)) as f64 > max * (bt * nt) as f64
}

/// The baseline file (`--write-baseline`, `--baseline`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub schema_version: u32,
    pub ctinject_version: String,
    pub project: Coverage,
    pub points: KindCounts,
}

impl BaselineFile {
    pub fn new(points: &KindCounts) -> Self {
        BaselineFile {
            schema_version: BASELINE_SCHEMA,
            ctinject_version: env!("CARGO_PKG_VERSION").to_string(),
            project: points.total().into(),
            points: points.clone(),
        }
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        let b: BaselineFile = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a ctinject baseline file", path.display()))?;
        if b.schema_version != BASELINE_SCHEMA {
            bail!(
                "{}: baseline schema {} is not supported (this ctinject writes {BASELINE_SCHEMA}); write it again with --write-baseline",
                path.display(),
                b.schema_version
            );
        }
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a baseline serializes") + "\n"
    }
}

/// The verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NothingToCheck,
}

/// The gate's result, as it appears in the JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    pub status: Status,
    pub informational: bool,
    pub changed_functions: u64,
    pub change: Coverage,
    pub project: Option<Coverage>,
    pub baseline: Option<BaselineRef>,
    pub fail_under: Option<f64>,
    pub max_drop: Option<f64>,
    /// Why it failed (empty when it passed).
    pub failures: Vec<String>,
}

impl Gate {
    /// The exit code the gate asks for.
    pub fn exit_code(&self) -> i32 {
        if self.status == Status::Fail && !self.informational {
            1
        } else {
            0
        }
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        let pct = |c: &Coverage| c.percent.map_or("n/a".to_string(), |p| format!("{p:.2}%"));
        let mut s = match self.status {
            Status::NothingToCheck => {
                "gate: pass (nothing to check: no changed function)".to_string()
            }
            Status::Pass => format!("gate: pass; change coverage {}", pct(&self.change)),
            Status::Fail => format!("gate: FAIL; {}", self.failures.join("; ")),
        };
        if let (Some(p), Some(b)) = (&self.project, &self.baseline) {
            s.push_str(&format!(
                "; project {} (baseline {:.2}% from {})",
                pct(p),
                b.percent,
                b.source
            ));
        }
        if self.informational && self.status == Status::Fail {
            s.push_str(" [informational: not failing]");
        }
        s
    }
}

/// Judges a change. `change` counts the points of the changed code;
/// `project` and `baseline` are given when `--max-drop` asked for them.
pub fn evaluate(
    opts: &GateOptions,
    changed_functions: u64,
    change: Count,
    project: Option<Count>,
    baseline: Option<BaselineRef>,
) -> Gate {
    let change_percent = exact_percent(change);
    let project_percent = project.and_then(exact_percent);
    let project_counts = project;
    let change: Coverage = change.into();
    let project: Option<Coverage> = project.map(Into::into);
    let mut failures = Vec::new();
    // Nothing to check only when nothing at all changed that can hold points:
    // changed code that could not be read or parsed counts (as skipped points).
    let nothing = change.instrumentable == 0;
    if !nothing {
        if let (Some(min), Some(p)) = (opts.fail_under, change_percent) {
            if p < min {
                failures.push(format!(
                    "change coverage {}% is under --fail-under {min}%",
                    percent_text(p)
                ));
            }
        }
    }
    if let (Some(max), Some(p), Some(b), Some(now)) =
        (opts.max_drop, project_percent, &baseline, project_counts)
    {
        if fell_more_than(b.counts, now, max) {
            let drop = b.percent - p;
            failures.push(format!(
                "project coverage fell {} points ({}% -> {}%), more than --max-drop {max}",
                percent_text(drop),
                percent_text(b.percent),
                percent_text(p)
            ));
        }
    }
    let status = if !failures.is_empty() {
        Status::Fail
    } else if nothing {
        Status::NothingToCheck
    } else {
        Status::Pass
    };
    Gate {
        status,
        informational: opts.informational,
        changed_functions,
        change,
        project,
        baseline,
        fail_under: opts.fail_under,
        max_drop: opts.max_drop,
        failures,
    }
}

/// Parses a percentage (`90`, `97.5`, `90%`) in 0..=100.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage (a number from 0 to 100)"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s:?} is not between 0 and 100"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(instrumentable: u64, instrumented: u64) -> Count {
        Count {
            instrumentable,
            instrumented,
            ..Count::default()
        }
    }

    #[test]
    fn fail_under_applies_to_the_change() {
        let opts = GateOptions {
            fail_under: Some(90.0),
            ..Default::default()
        };
        let g = evaluate(&opts, 2, count(10, 9), None, None);
        assert_eq!((g.status, g.exit_code()), (Status::Pass, 0));
        let g = evaluate(&opts, 2, count(10, 8), None, None);
        assert_eq!((g.status, g.exit_code()), (Status::Fail, 1));
        assert!(
            g.failures[0].contains("80% is under --fail-under 90%"),
            "{:?}",
            g.failures
        );
        let g = evaluate(
            &GateOptions {
                informational: true,
                ..opts
            },
            2,
            count(10, 8),
            None,
            None,
        );
        assert_eq!((g.status, g.exit_code()), (Status::Fail, 0));
    }

    #[test]
    fn nothing_changed_passes_saying_so() {
        let opts = GateOptions {
            fail_under: Some(100.0),
            ..Default::default()
        };
        let g = evaluate(&opts, 0, count(0, 0), None, None);
        assert_eq!(g.status, Status::NothingToCheck);
        assert!(g.summary().contains("nothing to check"));
    }

    #[test]
    fn max_drop_compares_the_project_with_the_baseline() {
        let opts = GateOptions {
            max_drop: Some(1.0),
            ..Default::default()
        };
        let base = || BaselineRef::from_counts(count(100, 95), "file");
        let g = evaluate(&opts, 1, count(4, 4), Some(count(1000, 945)), base());
        assert_eq!(g.status, Status::Pass, "{:?}", g.failures);
        let g = evaluate(&opts, 1, count(4, 4), Some(count(1000, 930)), base());
        assert_eq!(g.status, Status::Fail);
        assert!(
            g.failures[0].contains("fell 2 points (95% -> 93%)"),
            "{:?}",
            g.failures
        );
        // A drop of exactly --max-drop passes, also where the difference of
        // the two percentages is off in its last bits (10.3 - 10.0 > 0.3).
        let g = evaluate(&opts, 1, count(4, 4), Some(count(100, 94)), base());
        assert_eq!(g.status, Status::Pass, "{:?}", g.failures);
        let tight = GateOptions {
            max_drop: Some(0.3),
            ..Default::default()
        };
        let before = BaselineRef::from_counts(count(1000, 103), "file");
        let g = evaluate(
            &tight,
            1,
            count(4, 4),
            Some(count(1000, 100)),
            before.clone(),
        );
        assert_eq!(g.status, Status::Pass, "{:?}", g.failures);
        let g = evaluate(&tight, 1, count(4, 4), Some(count(1000, 99)), before);
        assert_eq!(g.status, Status::Fail);
    }

    /// 39,999 of 40,000 points rounded to 100.00 and passed --fail-under 100;
    /// a fall smaller than the rounding passed --max-drop 0.
    #[test]
    fn gate_compares_unrounded_percentages() {
        let under = GateOptions {
            fail_under: Some(100.0),
            ..Default::default()
        };
        let g = evaluate(&under, 1, count(40_000, 39_999), None, None);
        assert_eq!(g.status, Status::Fail);
        assert!(
            g.failures[0].contains("99.9975% is under --fail-under 100%"),
            "{:?}",
            g.failures
        );
        let drop = GateOptions {
            max_drop: Some(0.0),
            ..Default::default()
        };
        let base = BaselineRef::from_counts(count(10, 10), "file");
        let g = evaluate(&drop, 1, count(1, 1), Some(count(40_000, 39_999)), base);
        assert_eq!(g.status, Status::Fail, "{:?}", g.failures);
        // Equal ratios are equal: no fall.
        let base = BaselineRef::from_counts(count(3, 1), "file");
        let g = evaluate(&drop, 1, count(1, 1), Some(count(300, 100)), base);
        assert_eq!(g.status, Status::Pass, "{:?}", g.failures);
        // Reports show the baseline rounded.
        let shown = serde_json::to_value(BaselineRef::from_counts(count(3, 2), "file")).unwrap();
        assert_eq!(shown["percent"], 66.67);
    }

    #[test]
    fn percentages_parse_strictly() {
        assert_eq!(parse_percent("97.5"), Ok(97.5));
        assert_eq!(parse_percent("90%"), Ok(90.0));
        assert!(parse_percent("abc").is_err());
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("-1").is_err());
    }

    #[test]
    fn baseline_file_round_trips_and_refuses_other_schemas() {
        let mut points = KindCounts::default();
        points.add(crate::engine::PointKind::Function, true);
        points.add(crate::engine::PointKind::Function, false);
        let b = BaselineFile::new(&points);
        assert_eq!(b.project.percent, Some(50.0));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        std::fs::write(&p, b.to_json()).unwrap();
        assert_eq!(BaselineFile::load(&p).unwrap().project, b.project);
        std::fs::write(
            &p,
            b.to_json()
                .replace("\"schema_version\": 1", "\"schema_version\": 9"),
        )
        .unwrap();
        assert!(BaselineFile::load(&p)
            .unwrap_err()
            .to_string()
            .contains("schema 9"));
    }
}
