//! The planner kit: the machinery every language's planner shares, so that
//! each language module holds only what is its own (its grammar's node
//! kinds, its insert forms, where its runtime binding goes).
//!
//! * [`WordSet`] and [`Marks`]: words found in one pass over a file, then
//!   asked about by byte range (a binary search, not a scan per node);
//! * [`Base`]: the text's lines (CRLF-aware), the rows already taken by an
//!   insert, the parser's error ranges and the guards against inserting
//!   near them, the units with their points and inserts, and one cursor and
//!   node stack for the whole walk;
//! * [`check_positions`] and [`check_wrappers`]: the bounds, char-boundary,
//!   string-and-comment and wrapper-pairing checks of
//!   [`super::Language::check_plan`];
//! * [`attach_header`]: the runtime binding, or, where there is no place for
//!   one, every unit dropped with the reason.

use crate::engine::{error_ranges, FilePlan, Insert, Point, Slot, Unit, MODULE_UNIT};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Why a point whose inserts would touch a syntax error is left out.
pub const SKIP_SYNTAX_POINT: &str =
    "it lies where the parser found a syntax error in the input (an insert there could break the file)";

/// Why every point is left out when the runtime binding has no place.
pub const SKIP_NO_HEADER: &str = "no place for the runtime import";

/// Words looked for in every file, found in one pass over the text (a regex
/// of literals) rather than one pass per word: these scans run on every byte
/// of every file. No word of a set overlaps another, so taking matches
/// left to right misses none.
pub struct WordSet {
    words: &'static [&'static str],
    regex: OnceLock<regex::Regex>,
}

impl WordSet {
    pub const fn new(words: &'static [&'static str]) -> Self {
        WordSet {
            words,
            regex: OnceLock::new(),
        }
    }

    pub fn regex(&self) -> &regex::Regex {
        self.regex.get_or_init(|| {
            let alternatives: Vec<String> = self.words.iter().map(|w| regex::escape(w)).collect();
            regex::Regex::new(&alternatives.join("|")).expect("escaped literals compile")
        })
    }
}

/// Where some words occur in a file, found in one pass per word so that
/// "does this node's text contain one" costs a binary search, not a scan.
pub struct Marks(Vec<Range<usize>>);

impl Marks {
    pub fn find(src: &str, words: &WordSet) -> Marks {
        Marks(words.regex().find_iter(src).map(|m| m.range()).collect())
    }

    /// True when one of the words lies wholly inside `r`.
    pub fn any_within(&self, r: Range<usize>) -> bool {
        let first = self.0.partition_point(|m| m.start < r.start);
        self.0[first..]
            .iter()
            .take_while(|m| m.start < r.end)
            .any(|m| m.end <= r.end)
    }
}

/// The text of a node.
pub fn text<'s>(src: &'s str, n: Node) -> &'s str {
    &src[n.byte_range()]
}

/// The 1-based line a node starts on.
pub fn line_of(n: Node) -> u32 {
    n.start_position().row as u32 + 1
}

/// The last row a node occupies (a node ending at column 0 ends on the row before).
pub fn last_row(n: Node) -> usize {
    let end = n.end_position();
    if end.column == 0 && end.row > n.start_position().row {
        end.row - 1
    } else {
        end.row
    }
}

/// The named children of a node, comments left out.
pub fn named_children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// What every planner keeps while it walks one file.
pub struct Base<'a> {
    pub src: &'a str,
    /// Where the parser found errors (see [`error_ranges`]).
    pub errors: Vec<Range<usize>>,
    /// The byte offset at which each line starts.
    pub line_starts: Vec<usize>,
    /// Lines (0-based rows) already given to an insert of their own.
    pub claimed: HashSet<usize>,
    /// The module's unit first, then one per function, in source order.
    pub units: Vec<Unit>,
    /// Whether the file uses CRLF, for the lines the planner adds.
    pub crlf: bool,
    /// One cursor and one node stack for the whole walk: a cursor and a
    /// vector per visited node made planning cost a third of a parse.
    pub cursor: tree_sitter::TreeCursor<'a>,
    pub stack: Vec<Node<'a>>,
}

impl<'a> Base<'a> {
    pub fn new(src: &'a str, tree: &'a tree_sitter::Tree) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let lines = line_starts.len() as u32;
        Base {
            src,
            errors: error_ranges(tree),
            crlf: src.contains("\r\n"),
            cursor: tree.walk(),
            stack: Vec::new(),
            line_starts,
            claimed: HashSet::new(),
            units: vec![Unit {
                name: MODULE_UNIT.into(),
                lines: (1, lines),
                bytes: 0..src.len(),
                inserts: Vec::new(),
                points: Vec::new(),
                selected: true,
            }],
        }
    }

    /// The number of lines (a final newline does not start one of its own).
    pub fn rows(&self) -> usize {
        if self.src.ends_with('\n') {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
    }

    /// The text of a line, without its line end.
    pub fn line(&self, row: usize) -> &'a str {
        let start = self.line_starts[row];
        let end = self
            .line_starts
            .get(row + 1)
            .copied()
            .unwrap_or(self.src.len());
        self.src[start..end].trim_end_matches(['\n', '\r'])
    }

    /// True for a line that holds only white space, or a comment that
    /// starts with `comment`.
    pub fn blank_or_comment(&self, row: usize, comment: &str) -> bool {
        let t = self.line(row).trim_start_matches([' ', '\t', '\x0c']);
        t.is_empty() || t.starts_with(comment)
    }

    /// What precedes a node on its line.
    pub fn indent_of(&self, n: Node<'a>) -> &'a str {
        let start = self.line_starts[n.start_position().row];
        &self.src[start..n.start_byte()]
    }

    /// `line` as a new last line of the file, which moves no line (after a
    /// line end of its own when the file does not end with one).
    pub fn appended_line(&self, line: &str) -> String {
        let newline = if self.crlf { "\r\n" } else { "\n" };
        let lead = if self.src.ends_with('\n') {
            ""
        } else {
            newline
        };
        format!("{lead}{line}{newline}")
    }

    /// True when `r` overlaps a syntax error (an empty error, a MISSING
    /// node, counts as one byte).
    pub fn overlaps_error(&self, r: Range<usize>) -> bool {
        self.errors
            .iter()
            .any(|e| e.start < r.end && r.start < e.end.max(e.start + 1))
    }

    /// True when inserts spanning `first..=last` (a wrapper's two halves, or
    /// one insert) would touch a place the parser could not read, edges
    /// included. Validation cannot vouch for such inserts: a new error there
    /// maps back onto the old one and is excused.
    pub fn in_error(&self, first: usize, last: usize) -> bool {
        self.errors
            .iter()
            .any(|e| e.start <= last && first <= e.end)
    }

    /// [`Insert::wrap`], with a space before the opener when the node follows
    /// a word character (`is_word`) with none between: `while(x):` must
    /// become `while _ct.wt(..`, since `while_ct.wt(..` is a name.
    pub fn wrap(
        &self,
        range: Range<usize>,
        open: impl Into<String>,
        close: impl Into<String>,
        is_word: fn(char) -> bool,
    ) -> [Insert; 2] {
        let mut open = open.into();
        if self.src[..range.start]
            .chars()
            .next_back()
            .is_some_and(is_word)
        {
            open.insert(0, ' ');
        }
        Insert::wrap(range, open, close)
    }

    /// Records `point` in `unit`, with its inserts unless it is skipped; a
    /// point whose inserts touch a syntax error is skipped.
    pub fn push(
        &mut self,
        unit: usize,
        mut point: Point,
        inserts: impl IntoIterator<Item = Insert>,
    ) {
        let inserts: Vec<Insert> = inserts.into_iter().collect();
        let first = inserts.iter().map(|i| i.offset).min();
        let last = inserts.iter().map(|i| i.offset).max();
        if let (None, Some(first), Some(last)) = (&point.skipped, first, last) {
            if self.in_error(first, last) {
                point.skip(SKIP_SYNTAX_POINT);
            }
        }
        let unit = &mut self.units[unit];
        if point.skipped.is_none() {
            unit.inserts.extend(inserts);
        }
        unit.points.push(point);
    }

    /// Puts the named children of `n` on the shared stack and returns where
    /// they lie on it: the caller visits `stack[range]` (by index, since a
    /// visit pushes and pops above them) and then truncates the stack to
    /// `range.start`.
    pub fn push_children(&mut self, n: Node<'a>) -> Range<usize> {
        let start = self.stack.len();
        if n.child_count() == 0 {
            return start..start;
        }
        self.cursor.reset(n);
        if self.cursor.goto_first_child() {
            loop {
                let child = self.cursor.node();
                if child.is_named() {
                    self.stack.push(child);
                }
                if !self.cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        start..self.stack.len()
    }
}

/// A planner's walk over the tree, on the shared cursor and node stack of
/// its [`Base`]: each planner says how it visits a node, and visits the
/// children the same way.
pub trait Walk<'a> {
    /// What the walk knows where it is (the enclosing function, ...).
    type Scope;
    fn base(&mut self) -> &mut Base<'a>;
    fn visit(&mut self, n: Node<'a>, scope: &Self::Scope);
    /// Visits the named children of `n`: they go on the shared stack above
    /// whatever the callers put there, and the visits push and pop above
    /// them in turn.
    fn visit_children(&mut self, n: Node<'a>, scope: &Self::Scope) {
        let children = self.base().push_children(n);
        let start = children.start;
        for i in children {
            let child = self.base().stack[i];
            self.visit(child, scope);
        }
        self.base().stack.truncate(start);
    }
}

/// The plan of a walk: the units, and the runtime binding when any unit has
/// an insert; with no place for the binding, every unit is dropped with
/// [`SKIP_NO_HEADER`].
pub fn attach_header(units: Vec<Unit>, header: Option<(Insert, u32)>) -> FilePlan {
    let mut plan = FilePlan {
        header: Vec::new(),
        units,
        lines_moved: 0,
        file_skipped: None,
    };
    if plan.units.iter().any(|u| !u.inserts.is_empty()) {
        match header {
            Some((insert, moved)) => {
                plan.header.push(insert);
                plan.lines_moved = moved;
            }
            None => {
                for u in &mut plan.units {
                    u.drop_with_reason(SKIP_NO_HEADER);
                }
            }
        }
    }
    plan
}

/// Every insert of `plan` at a char boundary of `source`, none strictly
/// inside one of the `quiet` ranges (sorted: string literals and comments,
/// where a form's own quotes could turn into code), and each text accepted
/// by `check_text` (the language's forms).
pub fn check_positions(
    source: &str,
    plan: &FilePlan,
    quiet: &[Range<usize>],
    check_text: impl Fn(&str) -> Result<(), String>,
) -> Result<(), String> {
    let inserts = plan
        .header
        .iter()
        .chain(plan.units.iter().flat_map(|u| &u.inserts));
    for ins in inserts {
        if ins.offset > source.len() || !source.is_char_boundary(ins.offset) {
            return Err(format!(
                "an insert at byte {} is outside the source",
                ins.offset
            ));
        }
        let i = quiet.partition_point(|r| r.end <= ins.offset);
        if quiet.get(i).is_some_and(|r| r.start < ins.offset) {
            return Err(format!(
                "an insert at byte {} lies inside a string or a comment",
                ins.offset
            ));
        }
        check_text(&ins.text)?;
    }
    Ok(())
}

/// Each function's inserts lie in the function, on the line above it, or on
/// the blank and comment lines (comments start with `comment`) after it up
/// to the next statement, or at the end of the file; `elsewhere` accepts an
/// insert that the language puts elsewhere on purpose (given its unit).
pub fn check_units_stay_in_place(
    source: &str,
    plan: &FilePlan,
    comment: &str,
    elsewhere: impl Fn(&Unit, &Insert) -> bool,
) -> Result<(), String> {
    let line_start = |offset: usize| source[..offset].rfind('\n').map_or(0, |i| i + 1);
    for u in plan.units.iter().filter(|u| !u.is_module()) {
        if u.bytes.end > source.len() || u.bytes.start > u.bytes.end {
            return Err(format!("{} lies outside the source", u.name));
        }
        let from = line_start(u.bytes.start).saturating_sub(1);
        let from = line_start(from);
        // Up to the start of the next statement (after its indentation).
        let mut to = source.len();
        let mut line = source[u.bytes.end..]
            .find('\n')
            .map_or(source.len(), |i| u.bytes.end + i + 1);
        while line < source.len() {
            let end = source[line..]
                .find('\n')
                .map_or(source.len(), |i| line + i + 1);
            let t = source[line..end].trim_start_matches([' ', '\t', '\x0c']);
            if !(t.trim_end().is_empty() || t.starts_with(comment)) {
                to = end - t.len();
                break;
            }
            line = end;
        }
        if let Some(bad) = u.inserts.iter().find(|i| {
            (i.offset < from || (i.offset > to && i.offset != source.len())) && !elsewhere(u, i)
        }) {
            return Err(format!(
                "an insert of {} at byte {} lies outside it",
                u.name, bad.offset
            ));
        }
    }
    Ok(())
}

/// The id of a grammar's field, looked up once by the caller and kept:
/// `child_by_field_name` compares strings on every call.
pub fn field_id(grammar: &tree_sitter::Language, name: &str) -> u16 {
    grammar
        .field_id_for_name(name)
        .unwrap_or_else(|| panic!("the grammar has no field {name}"))
        .get()
}

/// Each wrapper's two halves pair up, within one unit (or the header).
pub fn check_wrappers(plan: &FilePlan) -> Result<(), String> {
    for inserts in std::iter::once(&plan.header).chain(plan.units.iter().map(|u| &u.inserts)) {
        let halves: Vec<(usize, Slot)> = inserts.iter().map(|i| (i.offset, i.slot)).collect();
        for ins in inserts {
            if let Slot::Open(neg_end) = ins.slot {
                let end = usize::try_from(-neg_end)
                    .map_err(|_| "a wrapper with a bad end".to_string())?;
                if !halves.contains(&(end, Slot::Close(-(ins.offset as i64)))) {
                    return Err(format!(
                        "a wrapper opened at byte {} is not closed where it says",
                        ins.offset
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A hole of an insert form (`{}` in its template): filled by the planner,
/// matched by the recogniser.
#[derive(Clone, Copy, Debug)]
pub enum Hole {
    /// A line, a site or an arm: an integer, maybe negative.
    Int,
    /// A string literal, as [`super::quote`] writes it.
    Str,
    /// A name of the language.
    Name,
    /// Name and value pairs, one or more: `, "x", x`.
    Pairs,
    /// Text that only this pattern (a regex) matches.
    Exact(&'static str),
}

/// What a form may have around it in an insert, besides itself.
#[derive(Clone, Copy, Debug)]
pub enum Join {
    /// Nothing: the insert is the form.
    Exact,
    /// A statement: `; ` or a line end before or after it (or a space
    /// after it, before the code it precedes), and indentation.
    Statement,
    /// On a line of its own: indentation before it.
    Line,
    /// The opening half of a wrapper: a space before it where it follows a
    /// word (see [`Base::wrap`]).
    Opener,
}

/// One insert form of a language: the planner's text and the recogniser's
/// pattern both come from it, so that each form is written once.
#[derive(Debug)]
pub struct Form {
    /// The text, with `{}` for each hole (a form never holds `{}` itself).
    pub template: &'static str,
    pub holes: &'static [Hole],
    pub join: Join,
}

impl Form {
    pub const fn new(template: &'static str, holes: &'static [Hole], join: Join) -> Self {
        Form {
            template,
            holes,
            join,
        }
    }

    /// The text with `args` in its holes, in order.
    pub fn fill(&self, args: &[&dyn std::fmt::Display]) -> String {
        debug_assert_eq!(args.len(), self.holes.len(), "{}", self.template);
        let mut out = String::with_capacity(self.template.len() + 16 * args.len());
        let mut parts = self.template.split("{}");
        out.push_str(parts.next().unwrap_or_default());
        for (part, arg) in parts.zip(args) {
            use std::fmt::Write as _;
            let _ = write!(out, "{arg}");
            out.push_str(part);
        }
        out
    }

    /// The form's text up to its first hole: what every text of it starts with.
    pub fn prefix(&self) -> &'static str {
        self.template.split("{}").next().unwrap_or_default()
    }

    /// The pattern of the form and its joins, with `lex`'s pieces in the holes.
    fn pattern(&self, lex: &Lexicon) -> String {
        let mut body = String::new();
        let mut parts = self.template.split("{}");
        body.push_str(&regex::escape(parts.next().unwrap_or_default()));
        for (part, hole) in parts.zip(self.holes) {
            let piece = match hole {
                Hole::Int => r"-?[0-9]+".to_string(),
                Hole::Str => lex.string.to_string(),
                Hole::Name => lex.name.to_string(),
                Hole::Pairs => format!("(?:, {}, {})+", lex.string, lex.name),
                Hole::Exact(p) => p.to_string(),
            };
            body.push_str(&format!("(?:{piece})"));
            body.push_str(&regex::escape(part));
        }
        let (nl, ws) = (lex.newline, lex.indent);
        match self.join {
            Join::Exact => body,
            Join::Statement => format!("(?:; |{nl})?{ws}{body}(?:; |{nl}| )?"),
            Join::Line => format!("{ws}{body}"),
            Join::Opener => format!(" ?{body}"),
        }
    }
}

/// The regexes of a language's lexical pieces that forms use.
pub struct Lexicon {
    /// A string literal as [`super::quote`] writes it.
    pub string: &'static str,
    /// A name.
    pub name: &'static str,
    /// A line end.
    pub newline: &'static str,
    /// Indentation.
    pub indent: &'static str,
}

/// The recogniser of a language's table of forms: an insert's text is
/// accepted when it is exactly one form, joined as the form allows.
pub struct Forms {
    set: regex::RegexSet,
}

impl Forms {
    pub fn new(table: &[&Form], lex: &Lexicon) -> Forms {
        let patterns = table.iter().map(|f| format!("^(?:{})$", f.pattern(lex)));
        Forms {
            set: regex::RegexSet::new(patterns).expect("the insert forms compile"),
        }
    }

    /// The index in the table of the form that `text` is.
    pub fn recognise(&self, text: &str) -> Result<usize, String> {
        self.set
            .matches(text)
            .iter()
            .next()
            .ok_or_else(|| format!("not a ctinject insert: {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static LEX: Lexicon = Lexicon {
        string: r#""(?:[^"\\\r\n]|\\.)*""#,
        name: r"[A-Za-z_][A-Za-z0-9_]*",
        newline: r"(?:\r?\n)",
        indent: r"[ \t]*",
    };
    static CALL: Form = Form::new("t.v({}{})", &[Hole::Int, Hole::Pairs], Join::Statement);
    static OPEN: Form = Form::new("t.w({}, {}, ", &[Hole::Int, Hole::Str], Join::Opener);
    static BIND: Form = Form::new("t = load({})", &[Hole::Exact(r#""rt""#)], Join::Exact);

    /// A form's filled text is recognised as that form, with the joins it
    /// allows and no others; texts that are not a form are refused.
    #[test]
    fn a_filled_form_is_recognised_and_nothing_else_is() {
        let forms = Forms::new(&[&CALL, &OPEN, &BIND], &LEX);
        let call = CALL.fill(&[&3, &", \"x\", x, \"y\", y"]);
        assert_eq!(call, "t.v(3, \"x\", x, \"y\", y)");
        for text in [
            call.clone(),
            format!("; {call}"),
            format!("{call}; "),
            format!("\n    {call}"),
        ] {
            assert_eq!(forms.recognise(&text), Ok(0), "{text:?}");
        }
        let open = OPEN.fill(&[&-1, &"\"a \\\" b\""]);
        assert_eq!(forms.recognise(&open), Ok(1));
        assert_eq!(forms.recognise(&format!(" {open}")), Ok(1));
        assert_eq!(forms.recognise(&BIND.fill(&[&"\"rt\""])), Ok(2));
        assert_eq!(OPEN.prefix(), "t.w(");
        for forged in [
            "t.v(3)".to_string(),                // no pairs
            "t.v(3, \"x\", x.y)".to_string(),    // not a name
            format!("; {open}"),                 // an opener is no statement
            "t = load(\"other\")".to_string(),   // not the exact text
            format!("{call}; os.system(\"x\")"), // more after the form
            "t.w(1, \"a\"), b\", ".to_string(),  // a string that closes early
        ] {
            assert!(forms.recognise(&forged).is_err(), "{forged:?}");
        }
    }
}
