//! What a run did: per file, per function and per point kind, with the reason
//! for every point left out (principle 7: coverage is honest).
//!
//! The JSON form is versioned ([`SCHEMA_VERSION`]) and documented in
//! `docs/report.md`; the human form is a short summary.

pub use crate::coverage::{Count, KindCounts};
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
    /// Something to know about a file that was not skipped (a symbolic link
    /// whose target is instrumented as itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// Why the points left out are waived (set by [`FileReport::waive`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
    /// Points instrumented with a form that works only where its reason
    /// says (a Python span on CPython 3.12 and later only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limited: Vec<SkippedPoint>,
    /// The branch events of its instrumented branch points, for
    /// `ctinject check --trace` (not in the JSON report).
    #[serde(skip)]
    pub arms: Vec<crate::engine::Arms>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SkippedPoint {
    pub kind: PointKind,
    pub line: u32,
    pub reason: String,
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
                let mut limited = Vec::new();
                let mut arms = Vec::new();
                for p in &u.points {
                    if let (None, Some(a)) = (&p.skipped, &p.arms) {
                        arms.push(a.clone());
                    }
                    counts.add(p.kind, p.skipped.is_none());
                    let note = |reason: &String| SkippedPoint {
                        kind: p.kind,
                        line: p.line,
                        reason: reason.clone(),
                    };
                    if let Some(r) = &p.skipped {
                        skipped.push(note(r));
                    } else if let Some(r) = &p.limited {
                        counts.0.entry(p.kind).or_default().limited += 1;
                        limited.push(note(r));
                    }
                }
                points.merge(&counts);
                FunctionReport {
                    name: u.name.clone(),
                    lines: u.lines,
                    points: counts,
                    skipped,
                    waived: None,
                    limited,
                    arms,
                }
            })
            .filter(|f| !f.points.0.is_empty() || f.name != crate::engine::MODULE_UNIT)
            .collect();
        let (status, reason) = match (&plan.file_skipped, changed) {
            // Left alone before any point was counted (already
            // instrumented): still one point left out.
            (Some(r), _) if points.0.is_empty() => {
                return FileReport::skipped(path, language, r.clone())
            }
            (Some(r), _) => (FileStatus::Skipped, Some(r.clone())),
            (None, true) => (FileStatus::Instrumented, None),
            (None, false) => (FileStatus::Unchanged, None),
        };
        FileReport {
            path,
            language: language.to_string(),
            status,
            reason,
            note: None,
            // Only a file that is written can move a line.
            lines_moved: if changed { plan.lines_moved } else { 0 },
            points,
            functions,
        }
    }

    /// A file out of scope, listed with why and not counted: one in a
    /// language that only the language-model fallback can instrument, while
    /// the user has not asked for it.
    pub fn left_out(path: String, language: &str, reason: String) -> Self {
        FileReport {
            path,
            language: language.to_string(),
            status: FileStatus::Skipped,
            functions: Vec::new(),
            reason: Some(reason),
            note: None,
            lines_moved: 0,
            points: KindCounts::default(),
        }
    }

    /// A file that was not planned at all (too large, binary, unreadable,
    /// already instrumented, ...): it counts as one function point that
    /// could not be instrumented, so that a file left out never reads as
    /// nothing to check (principle 7).
    pub fn skipped(path: String, language: &str, reason: String) -> Self {
        let mut points = KindCounts::default();
        points.add(PointKind::Function, false);
        FileReport {
            path,
            language: language.to_string(),
            status: FileStatus::Skipped,
            functions: vec![FunctionReport {
                name: SKIPPED_FILE_UNIT.to_string(),
                lines: (1, 1),
                points: points.clone(),
                skipped: vec![SkippedPoint {
                    kind: PointKind::Function,
                    line: 1,
                    reason: reason.clone(),
                }],
                waived: None,
                limited: Vec::new(),
                arms: Vec::new(),
            }],
            reason: Some(reason),
            note: None,
            lines_moved: 0,
            points,
        }
    }

    /// Waives the points left out of each function for which `why` gives a
    /// reason; the file's counts follow.
    pub fn waive(&mut self, why: impl Fn(&FunctionReport) -> Option<String>) {
        let mut any = false;
        for f in &mut self.functions {
            if f.skipped.is_empty() || f.waived.is_some() {
                continue;
            }
            if let Some(reason) = why(f) {
                f.points.waive_skipped();
                f.waived = Some(reason);
                any = true;
            }
        }
        if any {
            self.points = KindCounts::default();
            for f in &self.functions {
                self.points.merge(&f.points);
            }
        }
    }

    /// A file left as it is for a reason that costs no coverage.
    pub fn noted(path: String, language: &str, note: String) -> Self {
        FileReport {
            path,
            language: language.to_string(),
            status: FileStatus::Unchanged,
            reason: None,
            note: Some(note),
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
    /// Planned with nothing to insert (the three add up to `files`).
    pub files_unchanged: u64,
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
    /// The coverage gate's verdict (when --fail-under or --max-drop asked for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<crate::gate::Gate>,
    /// Plan cache traffic (absent with --no-cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheReport>,
    pub elapsed_ms: u64,
    /// The commits a git selection compared, for the gate (not in the JSON).
    #[serde(skip)]
    pub compared: Compared,
    /// The language-model fallback: what was sent where, and the cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::fallback::LlmReport>,
    /// Only the changed functions were selected (`--since`, `--staged`,
    /// `--diff-file`): the human report lists them.
    #[serde(skip)]
    pub change_only: bool,
}

/// The two ends of a git selection, as hex commit ids.
#[derive(Clone, Debug, Default)]
pub struct Compared {
    /// The merge-base with `--since`, else HEAD; None for `--diff-file`.
    pub base: Option<String>,
    /// `--to`; None when the files were read from the disk.
    pub to: Option<String>,
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
            files_unchanged: files
                .iter()
                .filter(|f| f.status == FileStatus::Unchanged)
                .count() as u64,
            functions: files
                .iter()
                .flat_map(|f| &f.functions)
                // Not `<module>`, `<file>` and the like: code, not functions.
                .filter(|f| !f.name.starts_with('<'))
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
            gate: None,
            cache: None,
            elapsed_ms,
            compared: Compared::default(),
            change_only: false,
            llm: None,
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
            "ctinject: {} ({} instrumented, {} skipped, {} unchanged), {}, {:.2}s; {where_}",
            plural(t.files, "file"),
            t.files_instrumented,
            t.files_skipped,
            t.files_unchanged,
            plural(t.functions, "function"),
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
        if total.limited > 0 {
            self.limited_human(&mut s, total.limited, verbose);
        }
        let waived: Vec<(&str, &FunctionReport)> = self
            .files
            .iter()
            .flat_map(|f| f.functions.iter().map(move |func| (f.path.as_str(), func)))
            .filter(|(_, func)| func.waived.is_some())
            .collect();
        if !waived.is_empty() {
            let _ = writeln!(
                s,
                "waived: {} in {} (left out of coverage, not counted as covered){}",
                plural(total.waived, "point"),
                plural(waived.len() as u64, "function"),
                if verbose { "" } else { "; -v lists them" }
            );
            if verbose {
                for (path, func) in &waived {
                    let _ = writeln!(
                        s,
                        "  {path}:{}: {} waived by {}",
                        func.lines.0,
                        func.name,
                        func.waived.as_deref().unwrap_or_default()
                    );
                }
            }
        }
        let _ = writeln!(s, "lines moved: {}", t.lines_moved);
        if self.change_only {
            self.changed_functions_human(&mut s);
        }
        if let Some(c) = &self.cache {
            let _ = writeln!(
                s,
                "cache: {} hits, {} misses, {} rejected",
                c.hits, c.misses, c.rejected
            );
        }
        if let Some(l) = &self.llm {
            let accepted = l.sent.iter().filter(|f| f.accepted).count();
            let _ = writeln!(
                s,
                "language model: {} sent to {} ({}), {} accepted; {} from the cache (no request); ${:.4}{}{}",
                plural(l.sent.len() as u64, "file"),
                l.provider,
                l.models.join(", "),
                accepted,
                l.cached.len(),
                l.cost,
                if l.cost_incomplete { " and more (a model has no price)" } else { "" },
                l.budget.map(|b| format!(" of a ${b:.2} budget")).unwrap_or_default()
            );
            for f in &l.sent {
                let _ = writeln!(
                    s,
                    "  {}  {}  {} attempt{}  ${:.4}{}",
                    f.file,
                    f.models.join(", "),
                    f.attempts,
                    if f.attempts == 1 { "" } else { "s" },
                    f.cost,
                    if f.accepted { "" } else { "  refused" }
                );
            }
            if !l.not_sent.is_empty() {
                let _ = writeln!(
                    s,
                    "  not sent (the budget was spent): {}",
                    l.not_sent.join(", ")
                );
            }
        }
        if let Some(g) = &self.gate {
            let _ = writeln!(s, "{}", g.summary());
        }
        // Reasons, most frequent first, so the summary says what to look at.
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for m in self.missed() {
            let kind = m.point.map_or("file", |(_, p)| p.kind.as_str());
            *reasons.entry(format!("{kind}: {}", m.reason)).or_default() += 1;
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
                if let Some(note) = &f.note {
                    let _ = writeln!(s, "{}: {note}", f.path);
                }
            }
            for m in self.missed() {
                let _ = match m.point {
                    None => writeln!(s, "{}: skipped: {}", m.path, m.reason),
                    Some((func, p)) => writeln!(
                        s,
                        "{}:{}: {func} {} skipped: {}",
                        m.path,
                        p.line,
                        p.kind.as_str(),
                        m.reason
                    ),
                };
            }
        }
        s
    }
}

impl Report {
    /// The points instrumented with a limit: how many, and why, by reason
    /// (each one with `verbose`).
    fn limited_human(&self, s: &mut String, count: u64, verbose: bool) {
        let limited = || {
            self.files.iter().flat_map(|f| {
                f.functions
                    .iter()
                    .flat_map(move |func| func.limited.iter().map(move |p| (f, func, p)))
            })
        };
        let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, _, p) in limited() {
            *reasons.entry(p.reason.as_str()).or_default() += 1;
        }
        let _ = writeln!(
            s,
            "instrumented with a limit: {} (counted as instrumented){}",
            plural(count, "point"),
            if verbose { "" } else { "; -v lists them" }
        );
        let mut v: Vec<_> = reasons.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (r, n) in v {
            let _ = writeln!(s, "  {n:>6}  {r}");
        }
        if verbose {
            for (f, func, p) in limited() {
                let _ = writeln!(
                    s,
                    "  {}:{}: {} {}: {}",
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

/// Rows of the human report's list of changed functions.
const HUMAN_FUNCTION_ROWS: usize = 50;

impl Report {
    /// The changed functions of a git selection, each with its coverage.
    fn changed_functions_human(&self, s: &mut String) {
        let rows: Vec<(String, &FunctionReport)> = self
            .files
            .iter()
            .flat_map(|f| {
                f.functions
                    .iter()
                    .map(move |func| (format!("{}:{}", f.path, func.lines.0), func))
            })
            .collect();
        let _ = writeln!(s, "changed functions: {}", rows.len());
        let width = rows
            .iter()
            .take(HUMAN_FUNCTION_ROWS)
            .map(|(at, func)| at.len() + func.name.len())
            .max()
            .unwrap_or(0);
        for (at, func) in rows.iter().take(HUMAN_FUNCTION_ROWS) {
            let c = func.points.total();
            let _ = writeln!(
                s,
                "  {at}  {name:<pad$}  {} of {} ({})",
                c.instrumented,
                c.instrumentable,
                percent(c),
                name = func.name,
                pad = width - at.len(),
            );
        }
        if rows.len() > HUMAN_FUNCTION_ROWS {
            let _ = writeln!(
                s,
                "  ... and {} more (--format json lists them all)",
                rows.len() - HUMAN_FUNCTION_ROWS
            );
        }
    }
}

/// The pseudo-function that carries the skipped point of a file that was
/// not planned at all (so that it counts against coverage).
pub const SKIPPED_FILE_UNIT: &str = "<file>";

/// One thing that was not instrumented: a whole file (`point` None) or a
/// point of a function, as every format lists them.
pub struct Missed<'a> {
    pub path: &'a str,
    pub point: Option<(&'a str, &'a SkippedPoint)>,
    pub reason: &'a str,
}

impl Report {
    /// Everything not instrumented, once each: a changed file that could not
    /// be read is listed as the file, not again as its pseudo-function.
    pub fn missed(&self) -> impl Iterator<Item = Missed<'_>> {
        self.files.iter().flat_map(|f| {
            let file = f.reason.as_deref().map(|reason| Missed {
                path: &f.path,
                point: None,
                reason,
            });
            let points = f
                .functions
                .iter()
                .filter(move |func| !(func.name == SKIPPED_FILE_UNIT && f.reason.is_some()))
                .filter(|func| func.waived.is_none())
                .flat_map(move |func| {
                    func.skipped.iter().map(move |p| Missed {
                        path: &f.path,
                        point: Some((func.name.as_str(), p)),
                        reason: &p.reason,
                    })
                });
            file.into_iter().chain(points)
        })
    }
}

/// Annotations kept per level; the rest are counted in one more line.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;
/// Rows of the Markdown tables before the rest are summed up (keeps the
/// summary well under GitHub's 1 MiB limit).
const MARKDOWN_ROWS: usize = 300;

/// `1 file`, `2 files`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Escapes the message of a GitHub workflow command.
pub(crate) fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property (file=, title=) of a GitHub workflow command.
pub(crate) fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes text for a Markdown table cell.
pub(crate) fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
}

/// Code in a Markdown table cell: a code span (where entities are not
/// decoded, so only `|` is escaped), or plain escaped text when the code
/// holds a backtick.
pub(crate) fn md_code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        md_cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

impl Report {
    /// GitHub workflow commands: an error for each point of a changed
    /// function that could not be instrumented, and the verdict; at most
    /// [`ANNOTATIONS_PER_LEVEL`] errors, then a count of the rest.
    pub fn to_github(&self) -> String {
        let errors: Vec<String> = self
            .missed()
            .map(|m| match m.point {
                None => format!(
                    "::error file={},title={}::{}",
                    gh_property(m.path),
                    gh_property("ctinject: file not instrumented"),
                    gh_data(m.reason)
                ),
                Some((func, p)) => format!(
                    "::error file={},line={},title={}::{}",
                    gh_property(m.path),
                    p.line,
                    gh_property(&format!(
                        "ctinject: {} point of {func} not instrumented",
                        p.kind.as_str()
                    )),
                    gh_data(m.reason)
                ),
            })
            .collect();
        let mut out = String::from(crate::outputs::GITHUB_MARK);
        let total = errors.len();
        for e in errors.into_iter().take(ANNOTATIONS_PER_LEVEL) {
            out.push_str(&e);
            out.push('\n');
        }
        if total > ANNOTATIONS_PER_LEVEL {
            out.push_str(&format!(
                "::error title=ctinject::{} more points not instrumented (see the step summary or the JSON report)\n",
                total - ANNOTATIONS_PER_LEVEL
            ));
        }
        if let Some(g) = &self.gate {
            let failing = g.status == crate::gate::Status::Fail && !g.informational;
            let level = if failing { "error" } else { "notice" };
            out.push_str(&format!(
                "::{level} title=ctinject gate::{}\n",
                gh_data(&g.summary())
            ));
        }
        out
    }

    /// Markdown for a GitHub step summary or a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut s = format!("{}## ctinject\n\n", crate::outputs::MARKDOWN_MARK);
        if let Some(g) = &self.gate {
            let icon = match (g.status, g.informational) {
                (crate::gate::Status::Fail, false) => "❌",
                (crate::gate::Status::Fail, true) => "⚠️",
                _ => "✅",
            };
            let _ = writeln!(s, "{icon} **{}**\n", md_cell(&g.summary()));
        }
        let t = &self.totals;
        let total = t.points.total();
        let _ = writeln!(
            s,
            "{} functions in {} files; points instrumented: {} of {} ({}); lines moved: {}.\n",
            t.functions,
            t.files,
            total.instrumented,
            total.instrumentable,
            percent(total),
            t.lines_moved
        );
        if total.limited > 0 {
            let _ = writeln!(
                s,
                "{} of them with a limit (a Python span on CPython 3.12 and later only; see the JSON report).\n",
                plural(total.limited, "point")
            );
        }
        let _ = writeln!(
            s,
            "| kind | instrumented | of | coverage |\n| --- | ---: | ---: | ---: |"
        );
        for (k, c) in &t.points.0 {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                k.as_str(),
                c.instrumented,
                c.instrumentable,
                percent(*c)
            );
        }
        let funcs: Vec<(&FileReport, &FunctionReport)> = self
            .files
            .iter()
            .flat_map(|f| f.functions.iter().map(move |u| (f, u)))
            .collect();
        if !funcs.is_empty() {
            let _ = writeln!(s, "\n### Functions\n\n| file | function | lines | coverage |\n| --- | --- | --- | ---: |");
            for (f, u) in funcs.iter().take(MARKDOWN_ROWS) {
                let c = u.points.total();
                let _ = writeln!(
                    s,
                    "| {} | {} | {}-{} | {} ({}/{}) |",
                    md_code(&f.path),
                    md_code(&u.name),
                    u.lines.0,
                    u.lines.1,
                    percent(c),
                    c.instrumented,
                    c.instrumentable
                );
            }
            if funcs.len() > MARKDOWN_ROWS {
                let _ = writeln!(
                    s,
                    "\n…and {} more functions (see the JSON report).",
                    funcs.len() - MARKDOWN_ROWS
                );
            }
        }
        let skipped: Vec<String> = self
            .missed()
            .map(|m| match m.point {
                None => format!("| {} | | file | {} |", md_code(m.path), md_cell(m.reason)),
                Some((func, p)) => format!(
                    "| {} | {} | {} | {} |",
                    md_code(&format!("{}:{}", m.path, p.line)),
                    md_code(func),
                    p.kind.as_str(),
                    md_cell(m.reason)
                ),
            })
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(s, "\n### Not instrumented\n\n| where | function | kind | reason |\n| --- | --- | --- | --- |");
            for row in skipped.iter().take(MARKDOWN_ROWS) {
                let _ = writeln!(s, "{row}");
            }
            if skipped.len() > MARKDOWN_ROWS {
                let _ = writeln!(
                    s,
                    "\n…and {} more (see the JSON report).",
                    skipped.len() - MARKDOWN_ROWS
                );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{FilePlan, Point, PointKind, Unit};

    fn report_with_skips(n: usize) -> Report {
        let unit = Unit {
            name: "f,x:y".into(),
            lines: (3, 9),
            bytes: 0..1,
            inserts: Vec::new(),
            points: (0..n)
                .map(|i| Point::skipped(PointKind::Variable, 4 + i as u32, "why\n100%"))
                .collect(),
            selected: true,
        };
        let plan = FilePlan {
            units: vec![unit],
            ..Default::default()
        };
        let f = FileReport::from_plan("dir,a/b:c.py".into(), "python", &plan, false);
        Report::new(vec![f], Output::DryRun, Vec::new(), 1)
    }

    #[test]
    fn github_annotations_are_escaped_and_capped() {
        let gh = report_with_skips(13).to_github();
        // The first line marks the file as ctinject's (a debug-only command).
        let lines: Vec<&str> = gh.lines().skip(1).collect();
        assert_eq!(
            gh.lines().next(),
            Some(crate::outputs::GITHUB_MARK.trim_end())
        );
        assert_eq!(lines.len(), ANNOTATIONS_PER_LEVEL + 1, "{gh}");
        assert_eq!(
            lines[0],
            "::error file=dir%2Ca/b%3Ac.py,line=4,title=ctinject%3A variable point of f%2Cx%3Ay not instrumented::why%0A100%25"
        );
        assert_eq!(
            lines[10],
            "::error title=ctinject::3 more points not instrumented (see the step summary or the JSON report)"
        );
    }

    #[test]
    fn markdown_lists_functions_and_skipped_points_within_limits() {
        let md = report_with_skips(2).to_markdown();
        assert!(
            md.contains("| `dir,a/b:c.py` | `f,x:y` | 3-9 | 0.0% (0/2) |"),
            "{md}"
        );
        assert!(
            md.contains("| `dir,a/b:c.py:4` | `f,x:y` | variable | why 100% |"),
            "{md}"
        );
        let big = report_with_skips(5000).to_markdown();
        assert!(
            big.len() < 1024 * 1024 && big.contains("…and 4700 more"),
            "{}",
            big.len()
        );
    }
}
