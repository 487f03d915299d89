//! The language-independent engine: plans, applying them, and validating the
//! result. Nothing here does I/O, so every step can be tested on strings.
//!
//! A [`FilePlan`] is plain data. Each instrumentable *unit* (a function, or the
//! module-level code) owns a list of [`Insert`]s: text to insert at a byte
//! offset of the original source. Inserts never remove or change original
//! bytes, so removing the inserted text gives the original back (principle 1
//! of docs/principles.md), and the plan of one unit can be dropped without touching
//! the others.
//!
//! [`instrument`] applies every insert of a file in one pass, re-parses the
//! result with the same grammar, and drops (puts back to the original text)
//! every unit whose inserts introduced an `ERROR` or `MISSING` node. A broken
//! file is never produced: if the header (the runtime import every unit
//! depends on) cannot be placed cleanly, the file comes back unchanged.

mod apply;

pub use apply::{apply_inserts, lines_pushed_down, strip_inserts};

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Where, relative to other inserts at the same byte offset, an insert goes.
///
/// At one offset the output holds, in order: the closing halves of wrappers
/// that end there (innermost first), text appended after a node, text put
/// before a node, and the opening halves of wrappers that start there
/// (outermost first). That order keeps `f(g(x))`-style nesting balanced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Slot {
    /// The closing text of a wrapper; the key is the wrapped node's start
    /// (negated), so that inner wrappers close first.
    Close(i64),
    /// Text after a node (`; _ct.v(...)`).
    After,
    /// Text before a node (`_ct.ex(3); `).
    Before,
    /// The opening text of a wrapper; the key is the wrapped node's end
    /// (negated), so that outer wrappers open first.
    Open(i64),
}

/// One piece of text to insert into the original source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insert {
    /// Byte offset in the original text (with any BOM removed).
    pub offset: usize,
    pub slot: Slot,
    pub text: String,
}

impl Insert {
    pub fn before(offset: usize, text: impl Into<String>) -> Self {
        Insert {
            offset,
            slot: Slot::Before,
            text: text.into(),
        }
    }
    pub fn after(offset: usize, text: impl Into<String>) -> Self {
        Insert {
            offset,
            slot: Slot::After,
            text: text.into(),
        }
    }
    /// The two halves of a wrapper around `range`: `open` before it, `close` after it.
    pub fn wrap(
        range: Range<usize>,
        open: impl Into<String>,
        close: impl Into<String>,
    ) -> [Self; 2] {
        [
            Insert {
                offset: range.start,
                slot: Slot::Open(-(range.end as i64)),
                text: open.into(),
            },
            Insert {
                offset: range.end,
                slot: Slot::Close(-(range.start as i64)),
                text: close.into(),
            },
        ]
    }
}

/// The kinds of instrumentation point (docs/principles.md, "Instrumentation points").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointKind {
    Function,
    Variable,
    Branch,
    Loop,
    Exception,
}

impl PointKind {
    pub const ALL: [PointKind; 5] = [
        PointKind::Function,
        PointKind::Variable,
        PointKind::Branch,
        PointKind::Loop,
        PointKind::Exception,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Function => "function",
            PointKind::Variable => "variable",
            PointKind::Branch => "branch",
            PointKind::Loop => "loop",
            PointKind::Exception => "exception",
        }
    }
}

/// One instrumentable point and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub kind: PointKind,
    /// 1-based line in the original file.
    pub line: u32,
    /// `None` when instrumented; otherwise why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// For a point instrumented with a form that works only where the
    /// language's runtime allows it (a Python span from `sys.monitoring`,
    /// CPython 3.12 and later): where it works, and why this form. Counted
    /// as instrumented, and the report says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited: Option<String>,
    /// For a branch point: the branch events it stands for, which say
    /// whether it ran (`ctinject check --trace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arms: Option<Arms>,
}

/// The branch events a branch point's inserts write: `site` is the line
/// they name (the `if`, `switch` or conditional expression), `arms` the arm
/// numbers. An `if` without `else` has no arm for "no condition held": no
/// event says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arms {
    pub site: u32,
    pub arms: Vec<i64>,
}

impl Point {
    pub fn instrumented(kind: PointKind, line: u32) -> Self {
        Point {
            kind,
            line,
            skipped: None,
            limited: None,
            arms: None,
        }
    }
    /// An instrumented branch point at `line` whose events name `site` and `arms`.
    pub fn branch(line: u32, site: u32, arms: impl IntoIterator<Item = i64>) -> Self {
        Point {
            arms: Some(Arms {
                site,
                arms: arms.into_iter().collect(),
            }),
            ..Point::instrumented(PointKind::Branch, line)
        }
    }
    /// Instrumented, with a form that works only where `limit` says.
    pub fn limited(kind: PointKind, line: u32, limit: impl Into<String>) -> Self {
        Point {
            kind,
            line,
            skipped: None,
            limited: Some(limit.into()),
            arms: None,
        }
    }
    /// Leaves the point out after all, for `reason`.
    pub fn skip(&mut self, reason: impl Into<String>) {
        self.skipped = Some(reason.into());
        self.limited = None;
    }
    pub fn skipped(kind: PointKind, line: u32, reason: impl Into<String>) -> Self {
        Point {
            kind,
            line,
            skipped: Some(reason.into()),
            limited: None,
            arms: None,
        }
    }
}

/// A function (or the module-level code) and its part of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Qualified name (`Class.method`, `outer.<locals>.inner`, `<module>`).
    pub name: String,
    /// First and last line (1-based, decorators included).
    pub lines: (u32, u32),
    /// Byte range in the original text.
    pub bytes: Range<usize>,
    pub inserts: Vec<Insert>,
    pub points: Vec<Point>,
    /// False when a selection (`--since`) left the unit out: its inserts are
    /// dropped and its points are not counted.
    #[serde(default = "yes")]
    pub selected: bool,
}

fn yes() -> bool {
    true
}

/// The name of the unit that holds a file's module-level code.
pub const MODULE_UNIT: &str = "<module>";

/// Why a file that is ctinject's own output is left alone.
pub const ALREADY_INSTRUMENTED: &str = "already instrumented by ctinject";

/// The reasons validation gives when it takes inserts back (the whole file
/// for the runtime import, one unit, or every unit). On code that parses,
/// each one is a planner bug: the standard-library test looks for them.
pub const TAKEN_BACK_IMPORT: &str = "the runtime import could not be placed without a syntax error";
pub const TAKEN_BACK_UNIT: &str = "instrumenting it produced a syntax error (left as it was)";
pub const TAKEN_BACK_FILE: &str = "instrumenting the file produced a syntax error (left as it was)";
pub const TAKEN_BACK: [&str; 3] = [TAKEN_BACK_IMPORT, TAKEN_BACK_UNIT, TAKEN_BACK_FILE];

impl Unit {
    /// True for module-level code (as opposed to a function).
    pub fn is_module(&self) -> bool {
        self.name == MODULE_UNIT
    }

    /// Marks every point of the unit skipped and forgets its inserts.
    pub fn drop_with_reason(&mut self, reason: &str) {
        self.inserts.clear();
        for p in &mut self.points {
            if p.skipped.is_none() {
                p.skip(reason);
            }
        }
    }
}

/// Everything a language planner decided for one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePlan {
    /// Inserts every unit depends on (the runtime import).
    pub header: Vec<Insert>,
    pub units: Vec<Unit>,
    /// Original lines pushed down by the header, when no same-line form existed.
    pub lines_moved: u32,
    /// Set when the whole file was left alone (already instrumented, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_skipped: Option<String>,
}

impl FilePlan {
    pub fn skipped(reason: impl Into<String>) -> Self {
        FilePlan {
            file_skipped: Some(reason.into()),
            ..Default::default()
        }
    }
    /// Keeps only the units for which `keep` is true (`--since`): the others
    /// lose their inserts and are no longer counted.
    pub fn select(&mut self, keep: impl Fn(&Unit) -> bool) {
        for u in &mut self.units {
            if !keep(u) {
                u.selected = false;
                u.inserts.clear();
            }
        }
    }

    /// The instrumented text of `source` under this plan (None: nothing to insert).
    pub fn apply(&self, source: &str) -> Option<String> {
        self.has_inserts()
            .then(|| apply_inserts(source, &self.all_inserts()))
    }

    fn has_inserts(&self) -> bool {
        self.units.iter().any(|u| !u.inserts.is_empty())
    }
    /// The header's inserts and every unit's, in that order.
    pub fn all_inserts(&self) -> Vec<Insert> {
        let mut v: Vec<Insert> = self.header.clone();
        for u in &self.units {
            v.extend(u.inserts.iter().cloned());
        }
        v
    }
}

/// The result of instrumenting one file.
#[derive(Clone, Debug)]
pub struct Instrumented {
    /// The new text, or `None` when nothing was inserted.
    pub text: Option<String>,
    pub plan: FilePlan,
}

/// Byte order mark, kept in front of the output and hidden from the parser.
const BOM: &str = "\u{feff}";

/// Splits a leading BOM off `source`.
pub fn split_bom(source: &str) -> (&str, &str) {
    match source.strip_prefix(BOM) {
        Some(rest) => (BOM, rest),
        None => ("", source),
    }
}

/// Ranges of `ERROR` and `MISSING` nodes in a tree.
pub fn error_ranges(tree: &tree_sitter::Tree) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if !tree.root_node().has_error() {
        return out;
    }
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            out.push(node.byte_range());
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Parses a candidate text (the original with the given inserts applied) and
/// gives its syntax errors, as [`error_ranges`] finds them (None: the parser
/// gave up). Callers that still hold the original's tree re-parse
/// incrementally (see [`edit_tree`]); the inserts say what changed. A large
/// file may be parsed in segments (see [`segment_errors`]).
pub type Reparse<'a> = dyn FnMut(&str, &[Insert]) -> Option<Vec<Range<usize>>> + 'a;

/// Where a file may be cut into segments that parse as they do in the whole
/// file: before each top-level statement that starts on a line after the
/// one the statement before it ends on, at the start of the line after
/// that end (so that blank lines and comments between go with the next
/// statement, as do inserts put on them). For languages whose top-level
/// statements parse independently of one another (Python); a file with a
/// syntax error is validated whole.
pub fn segment_bounds(tree: &tree_sitter::Tree, source: &str) -> Vec<usize> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut bounds = Vec::new();
    let mut previous_end: Option<usize> = None;
    // Comments are extras: they go with the statement after them, as do the
    // inserts on their lines (a decorator put on a comment line above a def).
    for child in root.children(&mut cursor).filter(|c| !c.is_extra()) {
        if let Some(end) = previous_end {
            let next_line = source[end..].find('\n').map(|i| end + i + 1);
            if let Some(b) = next_line.filter(|&b| b <= child.start_byte()) {
                bounds.push(b);
            }
        }
        previous_end = Some(child.end_byte());
    }
    bounds
}

/// The segments of a candidate text: the original's `bounds` (see
/// [`segment_bounds`]) moved by `inserts`, which go with the segment that
/// follows when they sit on a bound.
pub fn candidate_segments(bounds: &[usize], inserts: &[Insert], len: usize) -> Vec<Range<usize>> {
    let mut offsets: Vec<(usize, usize)> =
        inserts.iter().map(|i| (i.offset, i.text.len())).collect();
    offsets.sort_unstable();
    let mut shift = 0;
    let mut k = 0;
    let mut starts = vec![0];
    for &b in bounds {
        while k < offsets.len() && offsets[k].0 < b {
            shift += offsets[k].1;
            k += 1;
        }
        starts.push(b + shift);
    }
    starts.push(len);
    starts
        .windows(2)
        .map(|w| w[0]..w[1])
        .filter(|r| !r.is_empty())
        .collect()
}

/// Tells `tree` (the original's) about every insert, so that
/// `parser.parse(candidate, Some(&tree))` re-parses only around them.
pub fn edit_tree(tree: &mut tree_sitter::Tree, source: &str, inserts: &[Insert]) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let point = |offset: usize| {
        let row = line_starts.partition_point(|&s| s <= offset) - 1;
        tree_sitter::Point::new(row, offset - line_starts[row])
    };
    // Back to front: each edit leaves the offsets before it valid.
    for ins in apply::ordered(inserts).into_iter().rev() {
        let start = point(ins.offset);
        let end = match ins.text.rfind('\n') {
            None => tree_sitter::Point::new(start.row, start.column + ins.text.len()),
            Some(last) => tree_sitter::Point::new(
                start.row + ins.text.matches('\n').count(),
                ins.text.len() - last - 1,
            ),
        };
        tree.edit(&tree_sitter::InputEdit {
            start_byte: ins.offset,
            old_end_byte: ins.offset,
            new_end_byte: ins.offset + ins.text.len(),
            start_position: start,
            old_end_position: start,
            new_end_position: end,
        });
    }
}

/// Maps a byte offset of the instrumented text back to the original: text
/// inside an insert maps to the insert's offset.
fn map_back(sorted: &[&Insert], mut pos: usize) -> usize {
    let mut shift = 0;
    for ins in sorted {
        let start = ins.offset + shift;
        if pos < start {
            break;
        }
        if pos < start + ins.text.len() {
            return ins.offset;
        }
        shift += ins.text.len();
    }
    pos = pos.saturating_sub(shift);
    pos
}

/// True when `candidate` (the original plus `inserts`) has a syntax error that
/// the original did not have at that place.
fn adds_errors(
    candidate: &str,
    inserts: &[Insert],
    original_errors: &[Range<usize>],
    parse: &mut Reparse,
) -> bool {
    let Some(errors) = parse(candidate, inserts) else {
        return true;
    };
    if errors.is_empty() {
        return false;
    }
    let sorted = apply::ordered(inserts);
    // An error is the original's own when it lies on one of the original's
    // errors that no insert went into: an insert inside an error the parser
    // could not read is not vouched for, whatever the parse says.
    let untouched: Vec<&Range<usize>> = original_errors
        .iter()
        .filter(|o| {
            !sorted
                .iter()
                .any(|i| o.start <= i.offset && i.offset <= o.end)
        })
        .collect();
    errors.iter().any(|e| {
        let (s, t) = (map_back(&sorted, e.start), map_back(&sorted, e.end));
        !untouched.iter().any(|o| s <= o.end && o.start <= t)
    })
}

/// Applies `plan` to `source` (BOM already split off), validates the result
/// with `parse`, and drops the units that broke it.
///
/// `original_errors` are the syntax errors of `source` itself (see
/// [`error_ranges`]): errors there are not blamed on the inserts. `parse`
/// re-parses a candidate text; it is a parameter so that the engine stays free
/// of parser state (callers reuse one parser per thread).
pub fn instrument(
    source: &str,
    mut plan: FilePlan,
    original_errors: &[Range<usize>],
    parse: &mut Reparse,
) -> Instrumented {
    if plan.file_skipped.is_some() || !plan.has_inserts() {
        return Instrumented { text: None, plan };
    }
    // The common case, everything valid, applies and re-parses once.
    let all = plan.all_inserts();
    let text = apply_inserts(source, &all);
    if !adds_errors(&text, &all, original_errors, parse) {
        return Instrumented {
            text: Some(text),
            plan,
        };
    }
    let mut broken = |inserts: &[Insert]| {
        let text = apply_inserts(source, inserts);
        adds_errors(&text, inserts, original_errors, parse)
    };
    // Some insert broke the file: find the guilty units one by one, the
    // header alone, then the header plus each unit.
    if broken(&plan.header) {
        plan.header.clear();
        for u in &mut plan.units {
            u.drop_with_reason(TAKEN_BACK_IMPORT);
        }
        plan.file_skipped = Some(TAKEN_BACK_IMPORT.into());
        return Instrumented { text: None, plan };
    }
    // Halves of the units are tried, and halves of a half that breaks it,
    // down to one unit: a file with a few guilty units among many costs a
    // few parses per guilty unit, not one per unit.
    let with_inserts: Vec<usize> = (0..plan.units.len())
        .filter(|&i| !plan.units[i].inserts.is_empty())
        .collect();
    let mut groups = vec![with_inserts.as_slice()];
    // (The whole set is known to break the file.)
    let mut known_broken = true;
    while let Some(group) = groups.pop() {
        let is_broken = known_broken || {
            let mut candidate = plan.header.clone();
            for &i in group {
                candidate.extend(plan.units[i].inserts.iter().cloned());
            }
            broken(&candidate)
        };
        known_broken = false;
        match (is_broken, group) {
            (false, _) | (_, []) => {}
            (true, [i]) => plan.units[*i].drop_with_reason(TAKEN_BACK_UNIT),
            (true, _) => {
                let (a, b) = group.split_at(group.len() / 2);
                groups.extend([b, a]);
            }
        }
    }
    if plan.has_inserts() && broken(&plan.all_inserts()) {
        // The units are fine alone but not together: keep none of them.
        for u in &mut plan.units {
            u.drop_with_reason(TAKEN_BACK_FILE);
        }
    }
    if !plan.has_inserts() {
        // Nothing uses the runtime: no import either (as `FilePlan::apply`).
        plan.header.clear();
        return Instrumented { text: None, plan };
    }
    let text = apply_inserts(source, &plan.all_inserts());
    Instrumented {
        text: Some(text),
        plan,
    }
}

/// What part of a file a run instruments.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    /// All of it (no git selection).
    Whole,
    /// All of a file new under a git selection: its code is all changed.
    New,
    /// The functions that a changed line falls in: the argument tells
    /// whether one does between two 1-based lines, inclusive.
    Changed(&'a dyn Fn(u32, u32) -> bool),
}

/// Selects the part of `plan` that a run instruments, and adds a unit with
/// one point left out for each syntax error that no selected function holds
/// (a function the error swallowed, or module code): under a git selection
/// only for changed code (a change never counts as nothing to check because
/// it does not parse), in a whole-file run for every one, so that a broken
/// file never reads as fully covered.
pub fn select_part(
    plan: &mut FilePlan,
    tree: &tree_sitter::Tree,
    errors: &[Range<usize>],
    part: Part,
) {
    if let Part::Changed(touches) = part {
        // Decorators included: a unit's lines start at its first one.
        plan.select(|u| !u.is_module() && touches(u.lines.0, u.lines.1));
    }
    let root = tree.root_node();
    for e in errors {
        let Some(node) = root.descendant_for_byte_range(e.start, e.end) else {
            continue;
        };
        let (first, last) = (
            node.start_position().row as u32 + 1,
            node.end_position().row as u32 + 1,
        );
        let held = plan
            .units
            .iter()
            .any(|u| u.selected && !u.is_module() && u.lines.0 <= first && last <= u.lines.1);
        let (name, reason) = match part {
            Part::Whole => (
                "<code with a syntax error>",
                "code with a syntax error outside any function: it cannot be instrumented",
            ),
            Part::New | Part::Changed(_) => (
                "<changed code>",
                "changed code with a syntax error: it cannot be instrumented",
            ),
        };
        let unchanged = match part {
            Part::Changed(touches) => !touches(first, last),
            Part::Whole | Part::New => false,
        };
        if held || unchanged {
            continue;
        }
        plan.units.push(Unit {
            name: name.into(),
            lines: (first, last),
            bytes: e.clone(),
            inserts: Vec::new(),
            points: vec![Point::skipped(PointKind::Function, first, reason)],
            selected: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_back_sends_inserted_text_to_its_offset() {
        let ins = [Insert::after(1, "XY"), Insert::after(3, "Z")];
        let mut sorted: Vec<&Insert> = ins.iter().collect();
        sorted.sort_by_key(|i| i.offset);
        // "a" "XY" "bc" "Z" "d"
        assert_eq!(map_back(&sorted, 0), 0);
        assert_eq!(map_back(&sorted, 2), 1);
        assert_eq!(map_back(&sorted, 3), 1);
        assert_eq!(map_back(&sorted, 4), 2);
        assert_eq!(map_back(&sorted, 6), 3);
        assert_eq!(map_back(&sorted, 7), 4);
    }

    #[test]
    fn wrap_orders_nested_wrappers() {
        let src = "x";
        let mut ins = Vec::new();
        ins.extend(Insert::wrap(0..1, "f(", ")"));
        ins.extend(Insert::wrap(0..1, "g(", ")"));
        ins.push(Insert::after(1, "; a"));
        ins.push(Insert::before(0, "b; "));
        // Both wrappers span the same bytes: the first pushed is the outer one.
        assert_eq!(apply_inserts(src, &ins), "b; f(g(x)); a");
        let mut three = Vec::new();
        for name in ["f", "g", "h"] {
            three.extend(Insert::wrap(0..1, format!("{name}("), format!(", {name})")));
        }
        assert_eq!(apply_inserts(src, &three), "f(g(h(x, h), g), f)");
    }

    /// The part a run instruments: the changed functions only, and a point
    /// left out for a syntax error no selected function holds, under a
    /// selection only where the change touches it.
    #[test]
    fn select_part_keeps_the_changed_functions_and_counts_unparsed_code() {
        let src = "def f():\n    return 1\n\ndef g():\n    return 2\n\nx = (1 +\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let errors = error_ranges(&tree);
        assert!(!errors.is_empty());
        let unit = |name: &str, lines: (u32, u32)| Unit {
            name: name.into(),
            lines,
            bytes: 0..0,
            inserts: vec![Insert::before(0, "z; ")],
            points: vec![Point::instrumented(PointKind::Function, lines.0)],
            selected: true,
        };
        let plan = || FilePlan {
            units: vec![
                unit(MODULE_UNIT, (1, 7)),
                unit("f", (1, 2)),
                unit("g", (4, 5)),
            ],
            ..Default::default()
        };
        let summary = |p: &FilePlan| -> Vec<(String, bool)> {
            p.units
                .iter()
                .map(|u| (u.name.clone(), u.selected))
                .collect()
        };
        let names = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
        };

        let mut whole = plan();
        select_part(&mut whole, &tree, &errors, Part::Whole);
        assert_eq!(
            summary(&whole),
            names(&[
                (MODULE_UNIT, true),
                ("f", true),
                ("g", true),
                ("<code with a syntax error>", true)
            ])
        );
        let mut new = plan();
        select_part(&mut new, &tree, &errors, Part::New);
        assert_eq!(summary(&new)[3].0, "<changed code>");

        // Line 4 changed: g only; the error on line 7 is not changed code.
        let only_g = |a: u32, b: u32| a <= 4 && 4 <= b;
        let mut changed = plan();
        select_part(&mut changed, &tree, &errors, Part::Changed(&only_g));
        assert_eq!(
            summary(&changed),
            names(&[(MODULE_UNIT, false), ("f", false), ("g", true)])
        );
        assert!(changed.units[1].inserts.is_empty());
        // Line 7 changed: its error counts as changed code left out.
        let seventh = |a: u32, b: u32| a <= 7 && 7 <= b;
        let mut broken = plan();
        select_part(&mut broken, &tree, &errors, Part::Changed(&seventh));
        let last = broken.units.last().unwrap();
        assert_eq!((last.name.as_str(), last.lines.0), ("<changed code>", 7));
        assert!(last.points[0].skipped.is_some());
    }

    /// An insert inside a region the parser could not read: whatever error
    /// the result has there maps back onto the original's and was excused.
    #[test]
    fn an_insert_inside_an_error_of_the_original_is_not_excused() {
        let src = "x = (1 +\ny = 2\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let errors = error_ranges(&parser.parse(src, None).unwrap());
        let inside = errors.first().expect("the source has an error").start;
        let unit = |offset: usize| Unit {
            name: MODULE_UNIT.into(),
            lines: (1, 2),
            bytes: 0..src.len(),
            inserts: vec![Insert::before(offset, "z; ")],
            points: vec![Point::instrumented(PointKind::Variable, 1)],
            selected: true,
        };
        let plan = |offset| FilePlan {
            units: vec![unit(offset)],
            ..Default::default()
        };
        let out = instrument(src, plan(inside), &errors, &mut |t, _| {
            parser.parse(t, None).map(|t| error_ranges(&t))
        });
        assert_eq!(out.text, None);
        assert!(out.plan.units[0].points[0]
            .skipped
            .as_deref()
            .is_some_and(|r| r.contains("syntax error")));
    }

    #[test]
    fn split_bom_keeps_the_mark_out_of_the_text() {
        assert_eq!(split_bom("\u{feff}x = 1"), ("\u{feff}", "x = 1"));
        assert_eq!(split_bom("x = 1"), ("", "x = 1"));
    }
}
