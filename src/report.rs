//! What a run did: per file, per function and per point kind, with the reason
//! for every point left out (principle 7: coverage is honest).
//!
//! The JSON form is versioned ([`SCHEMA_VERSION`]) and documented in
//! `docs/report.md`; the human form is a short summary.

use crate::engine::{FilePlan, PointKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Version of the JSON report's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened to one file.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Instrumented: at least one point inserted.
    Instrumented,
    /// Parsed and planned, but nothing was inserted.
    Unchanged,
    /// Not instrumented, for the reason given (binary, too large, ...).
    Skipped,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Relative to the repository root (or the instrumented root), with `/`.
    pub path: String,
    pub language: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub lines_moved: u32,
    pub points: KindCounts,
    pub functions: Vec<FunctionReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunctionReport {
    pub name: String,
    pub lines: (u32, u32),
    pub points: KindCounts,
    /// Every point left out, with its reason.
    pub skipped: Vec<SkippedPoint>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SkippedPoint {
    pub kind: PointKind,
    pub line: u32,
    pub reason: String,
}

/// Instrumentable and instrumented points, per kind.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct KindCounts(pub BTreeMap<PointKind, Count>);

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Count {
    pub instrumentable: u64,
    pub instrumented: u64,
}

impl Count {
    pub fn skipped(&self) -> u64 {
        self.instrumentable - self.instrumented
    }
}

impl KindCounts {
    pub fn add(&mut self, kind: PointKind, instrumented: bool) {
        let c = self.0.entry(kind).or_default();
        c.instrumentable += 1;
        c.instrumented += instrumented as u64;
    }
    pub fn merge(&mut self, other: &KindCounts) {
        for (k, c) in &other.0 {
            let e = self.0.entry(*k).or_default();
            e.instrumentable += c.instrumentable;
            e.instrumented += c.instrumented;
        }
    }
    pub fn total(&self) -> Count {
        self.0.values().fold(Count::default(), |a, c| Count {
            instrumentable: a.instrumentable + c.instrumentable,
            instrumented: a.instrumented + c.instrumented,
        })
    }
}

impl FileReport {
    /// The report of a planned (and validated) file.
    pub fn from_plan(path: String, language: &str, plan: &FilePlan, changed: bool) -> Self {
        let mut points = KindCounts::default();
        let functions: Vec<FunctionReport> = plan
            .units
            .iter()
            .filter(|u| u.selected)
            .map(|u| {
                let mut counts = KindCounts::default();
                let mut skipped = Vec::new();
                for p in &u.points {
                    counts.add(p.kind, p.skipped.is_none());
                    if let Some(r) = &p.skipped {
                        skipped.push(SkippedPoint {
                            kind: p.kind,
                            line: p.line,
                            reason: r.clone(),
                        });
                    }
                }
                points.merge(&counts);
                FunctionReport {
                    name: u.name.clone(),
                    lines: u.lines,
                    points: counts,
                    skipped,
                }
            })
            .filter(|f| !f.points.0.is_empty() || f.name != "<module>")
            .collect();
        let (status, reason) = match (&plan.file_skipped, changed) {
            (Some(r), _) => (FileStatus::Skipped, Some(r.clone())),
            (None, true) => (FileStatus::Instrumented, None),
            (None, false) => (FileStatus::Unchanged, None),
        };
        FileReport {
            path,
            language: language.to_string(),
            status,
            reason,
            lines_moved: plan.lines_moved,
            points,
            functions,
        }
    }

    /// A file that was not planned at all.
    pub fn skipped(path: String, language: &str, reason: String) -> Self {
        FileReport {
            path,
            language: language.to_string(),
            status: FileStatus::Skipped,
            reason: Some(reason),
            lines_moved: 0,
            points: KindCounts::default(),
            functions: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub files: u64,
    pub files_instrumented: u64,
    pub files_skipped: u64,
    pub functions: u64,
    pub points: KindCounts,
    pub lines_moved: u64,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub ctinject_version: &'static str,
    /// Where the output went (`--out`, `--patch`, in place, or nothing).
    pub output: Output,
    pub totals: Totals,
    pub files: Vec<FileReport>,
    /// Runtime files added to the output, relative paths.
    pub runtime_files: Vec<String>,
    /// Plan cache traffic (absent with --no-cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheReport>,
    pub elapsed_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CacheReport {
    pub hits: u64,
    pub misses: u64,
    /// Entries that failed a check on load (dropped and rebuilt).
    pub rejected: u64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    Dir { path: String },
    Patch { path: String },
    InPlace,
    DryRun,
}

impl Report {
    pub fn new(
        files: Vec<FileReport>,
        output: Output,
        runtime_files: Vec<String>,
        elapsed_ms: u64,
    ) -> Self {
        let mut points = KindCounts::default();
        for f in &files {
            points.merge(&f.points);
        }
        let totals = Totals {
            files: files.len() as u64,
            files_instrumented: files
                .iter()
                .filter(|f| f.status == FileStatus::Instrumented)
                .count() as u64,
            files_skipped: files
                .iter()
                .filter(|f| f.status == FileStatus::Skipped)
                .count() as u64,
            functions: files
                .iter()
                .flat_map(|f| &f.functions)
                .filter(|f| f.name != "<module>")
                .count() as u64,
            points,
            lines_moved: files.iter().map(|f| f.lines_moved as u64).sum(),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            ctinject_version: env!("CARGO_PKG_VERSION"),
            output,
            totals,
            files,
            runtime_files,
            cache: None,
            elapsed_ms,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report always serializes") + "\n"
    }

    /// The human summary; `verbose` adds every skipped point with its reason.
    pub fn to_human(&self, verbose: bool) -> String {
        let t = &self.totals;
        let mut s = String::new();
        let where_ = match &self.output {
            Output::Dir { path } => format!("wrote {path}"),
            Output::Patch { path } => format!("wrote patch {path}"),
            Output::InPlace => "rewrote files in place".to_string(),
            Output::DryRun => "dry run: nothing written".to_string(),
        };
        let _ = writeln!(
            s,
            "ctinject: {} files ({} instrumented, {} skipped), {} functions, {:.2}s; {where_}",
            t.files,
            t.files_instrumented,
            t.files_skipped,
            t.functions,
            self.elapsed_ms as f64 / 1000.0
        );
        let total = t.points.total();
        let _ = writeln!(
            s,
            "points: {} of {} instrumented ({})",
            total.instrumented,
            total.instrumentable,
            percent(total)
        );
        for kind in PointKind::ALL {
            if let Some(c) = t.points.0.get(&kind) {
                let _ = writeln!(
                    s,
                    "  {:<10} {:>7} of {:>7}  {:>7}  skipped {}",
                    kind.as_str(),
                    c.instrumented,
                    c.instrumentable,
                    percent(*c),
                    c.skipped()
                );
            }
        }
        let _ = writeln!(s, "lines moved: {}", t.lines_moved);
        if let Some(c) = &self.cache {
            let _ = writeln!(
                s,
                "cache: {} hits, {} misses, {} rejected",
                c.hits, c.misses, c.rejected
            );
        }
        // Reasons, most frequent first, so the summary says what to look at.
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for f in &self.files {
            if let Some(r) = &f.reason {
                *reasons.entry(format!("file: {r}")).or_default() += 1;
            }
            for func in &f.functions {
                for p in &func.skipped {
                    *reasons
                        .entry(format!("{}: {}", p.kind.as_str(), p.reason))
                        .or_default() += 1;
                }
            }
        }
        if !reasons.is_empty() {
            let mut v: Vec<_> = reasons.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let _ = writeln!(s, "skipped, by reason:");
            for (r, n) in v {
                let _ = writeln!(s, "  {n:>6}  {r}");
            }
        }
        if verbose {
            for f in &self.files {
                if let Some(r) = &f.reason {
                    let _ = writeln!(s, "{}: skipped: {r}", f.path);
                }
                for func in &f.functions {
                    for p in &func.skipped {
                        let _ = writeln!(
                            s,
                            "{}:{}: {} {} skipped: {}",
                            f.path,
                            p.line,
                            func.name,
                            p.kind.as_str(),
                            p.reason
                        );
                    }
                }
            }
        }
        s
    }
}

fn percent(c: Count) -> String {
    if c.instrumentable == 0 {
        "n/a".into()
    } else {
        format!(
            "{:.1}%",
            100.0 * c.instrumented as f64 / c.instrumentable as f64
        )
    }
}
