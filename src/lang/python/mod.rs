//! Python: every point kind, on the lines where the code already is.
//!
//! Python has no line directive, so ctinject never adds a line in the middle
//! of a file (docs/principles.md, principle 2). Each point uses a same-line form:
//!
//! | point | form |
//! | --- | --- |
//! | runtime import | appended to the docstring / last `from __future__` line, or put before the first simple statement, or on a blank or comment line above the first statement, or, when that is a plain `def` whose signature takes no insert, on a blank line after it, before the next simple statement, or (the def being the whole module) on a line appended to the file; else on a new line (a line moved) |
//! | function span | `@d` -> `@_ct.deco(L, d)` on the decorator closest to the `def`; else `@_ct.fn(L)` on a blank or comment line just above the `def`; else `f = _ct.late(L, f)` before the next simple statement or on a blank line after the function; else at the end of the file (a late wrap may go past sibling definitions whose running does not name the function); for a method of a class without blank lines, `_ct.meth(C, L, "f")` after the class; else `_ct.at(L, "f")` after the binding, a span from `sys.monitoring` (CPython 3.12+ only, reported as limited) |
//! | lambda | `_ct.lam(L, lambda ...)` |
//! | variable | `x = 1; _ct.v(L, "x", x)`; walrus `_ct.vw(L, "y", y := f())`; with-as before the body's first simple statement, or else as one more with item `, _ct.vwith(L, "f", f)`; for targets in the loop event |
//! | branch | `if _ct.br(S, 0, test):`, `elif _ct.brx(S, 1, test, -1):`, `a if _ct.brx(S, 0, c, 1) else b`, `case P if _ct.case(S, k):` |
//! | loop | `for x in _ct.loop(S, "x", xs):`, `async for` with `aloop`, `while _ct.wt(S, test):` and `_ct.lb(S); break` |
//! | exception | `except E as e: _ct.ex(L); _ct.v(L, "e", e); body` or, when the body starts with a compound statement, `except _ct.exm(L, E, "e") as e:` (not for `except*`, whose types are evaluated before its subgroup is known) |
//!
//! The decorator-based span wrapper adds a stack frame (before CPython 3.12),
//! so functions that look at their caller's frame (`sys._getframe`,
//! `inspect.currentframe`, `f_back`) keep their original form and get their
//! span from `_ct.at` alone, on CPython 3.12+. The runtime corrects
//! `warnings.warn` stack levels for the wrapper frames.

use super::kit::{
    attach_header, check_positions, check_units_stay_in_place, check_wrappers, field_id, last_row,
    line_of, named_children, text, Base, Marks, Walk, WordSet, SKIP_SYNTAX_POINT,
};
use super::{Language, Layout, PlanContext, RuntimePlace};
use crate::engine::{FilePlan, Insert, Point, PointKind, Slot, Unit};
use crate::runtime;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;
use tree_sitter::Node;

mod forms;

pub struct Python;

/// Every instrumented module binds `_ct` with a text that holds one of
/// these; finding one means the file is ctinject's output already. The
/// others are the bindings that earlier versions wrote: their output is
/// recognised too.
static BINDING_MARKS: WordSet = WordSet::new(&[
    " or __import__(\"_ctinject\")).Module(",
    " else __import__(\"_ctinject\")).Module(",
    " import Module as _ct; _ct = _ct(",
]);

/// A character that continues a name (approximately: Python's names are
/// XID, which this over-approximates).
fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn has_lone_cr(src: &str) -> bool {
    src.match_indices('\r')
        .any(|(i, _)| src.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// True when the module's own code uses the name `_ct` (a variable, an
/// import alias, a parameter...), which every instrumented module binds to
/// the runtime: either would break the other. Names in other namespaces do
/// not count (see [`binds_in_module_scope`]).
fn uses_binding_name(src: &str, tree: &tree_sitter::Tree) -> bool {
    src.match_indices("_ct").any(|(i, name)| {
        let end = i + name.len();
        if src[..i].chars().next_back().is_some_and(is_word_char)
            || src[end..].chars().next().is_some_and(is_word_char)
        {
            return false;
        }
        let Some(n) = tree.root_node().descendant_for_byte_range(i, end) else {
            return false;
        };
        n.kind() == "identifier" && n.byte_range() == (i..end) && binds_in_module_scope(n)
    })
}

/// False for an identifier that names something in another namespace: an
/// attribute (`x._ct`), a keyword (`f(_ct=1)`, `case P(_ct=1)`), or a
/// module path that binds another name (`import a._ct`, `from _ct import
/// x`, `from m import _ct as q`).
fn binds_in_module_scope(n: Node) -> bool {
    let Some(p) = n.parent() else {
        return true;
    };
    match p.kind() {
        "attribute" => p.child_by_field_id(fields().attribute) != Some(n),
        "keyword_argument" => p.child_by_field_id(fields().name) != Some(n),
        "keyword_pattern" => p.named_child(0) != Some(n),
        "dotted_name" => {
            // `import _ct.x` binds `_ct`, `from m import _ct` too; a later
            // part, an aliased import or the module of a `from` does not.
            let first = p.named_child(0) == Some(n);
            let bound_as_is = p.parent().is_some_and(|g| match g.kind() {
                "import_statement" => true,
                "import_from_statement" => g.child_by_field_id(fields().module_name) != Some(p),
                _ => false,
            });
            first && bound_as_is
        }
        _ => true,
    }
}

/// Names that reveal a function looking at its caller's frame.
static FRAME_INSPECTION: WordSet = WordSet::new(&[
    "_getframe",
    "currentframe",
    "f_back",
    "inspect.stack",
    "getouterframes",
    // traceback's views of the current stack (pyparsing's Forward compares
    // `extract_stack(limit=2)[-2]` to find its caller's line).
    "extract_stack",
    "format_stack",
    "print_stack",
    "walk_stack",
]);

const SKIP_FRAME: &str = "it inspects its caller's frame (sys._getframe, inspect.currentframe, f_back or traceback.extract_stack); a span wrapper would change what it sees";
const SKIP_CODE_ASSIGNED: &str = "the module assigns the __code__ of a function of this name (`name.__code__ = ...`, as networkx's argmap does), which a span wrapper would take in the function's place";
const SKIP_NO_LINE: &str = "no free line above or below the def for the span wrapper (adding one would move the lines below)";
const LIMITED_NO_LINE: &str = "span on CPython 3.12 and later only (from sys.monitoring): no free line above or below the def for a span wrapper, which older versions need";
const LIMITED_FRAME: &str = "span on CPython 3.12 and later only (from sys.monitoring, which adds no frame): it inspects its caller's frame, which a span wrapper on older versions would change";
const LIMITED_CODE_ASSIGNED: &str = "span on CPython 3.12 and later only (from sys.monitoring, which leaves the function in place): the module assigns the __code__ of a function of this name, which a span wrapper on older versions would take";
const SKIP_SYNTAX: &str = "the function overlaps a syntax error in the input";
const SKIP_SYNTAX_LONE_CR: &str = "the file ends lines with a lone CR (classic Mac OS), which Python reads as line ends and the parser does not; convert it to LF or CRLF to instrument it";
const SKIP_BINDING_NAME: &str =
    "the module uses the name `_ct`, which ctinject's inserted code binds (rename it to instrument this file)";
const SKIP_LAMBDA_ATTRIBUTE: &str =
    "the code reads an attribute of the lambda itself (such as `(lambda: v).__closure__`), which a span wrapper would answer in its place";
const SKIP_OVERLOAD: &str =
    "an @overload stub never runs, and a wrapper would hide it from typing.get_overloads";

impl Language for Python {
    fn name(&self) -> &'static str {
        "python"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["py", "pyw"]
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_python::LANGUAGE.into()
    }
    fn is_instrumented(&self, source: &str) -> bool {
        BINDING_MARKS.regex().is_match(source)
    }
    fn cache_safe(&self, source: &str) -> bool {
        strings_and_comments(source).is_some()
    }

    /// In a package, the runtime sits in the topmost package folder inside the
    /// root and is imported relatively (one dot per level); elsewhere it sits
    /// next to the file and is imported by name.
    fn runtime_place(&self, rel: &str, layout: &dyn Layout) -> RuntimePlace {
        let module = runtime::PYTHON_FILE_NAME.trim_end_matches(".py");
        let parent_of = |d: &str| d.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        let is_package = |d: &str| {
            layout.is_file(&if d.is_empty() {
                "__init__.py".to_string()
            } else {
                format!("{d}/__init__.py")
            })
        };
        let dir = parent_of(rel);
        if !is_package(&dir) {
            return RuntimePlace {
                dir,
                reference: module.to_string(),
            };
        }
        let mut top = dir;
        let mut dots = 1;
        while !top.is_empty() && is_package(&parent_of(&top)) {
            top = parent_of(&top);
            dots += 1;
        }
        RuntimePlace {
            dir: top,
            reference: format!("{}{module}", ".".repeat(dots)),
        }
    }
    fn runtime(&self) -> &'static runtime::Spec {
        &runtime::PYTHON
    }
    /// A top-level statement starts at column 0 with nothing open: the
    /// indentation stack is empty and no bracket or string spans the line
    /// break before it.
    fn validates_in_segments(&self) -> bool {
        true
    }

    fn check_plan(&self, source: &str, plan: &FilePlan) -> Result<(), String> {
        // Text inside a string literal or a comment could turn the form's own
        // quotes into code: no insert may land strictly inside one.
        let quiet =
            strings_and_comments(source).ok_or("the positions of this file cannot be checked")?;
        check_positions(source, plan, &quiet, |text| self.check_insert(text))?;
        check_wrappers(plan)?;
        // A span registration follows the binding, at its place; a method
        // wrap follows the method's class.
        let elsewhere = |u: &Unit, i: &Insert| {
            // Past the definitions after it (see `next_statement_past_definitions`).
            let past = forms::recogniser()
                .recognise(&i.text)
                .is_ok_and(|f| forms::is(f, &forms::METH) || forms::is(f, &forms::LATE));
            if past {
                return i.offset >= u.bytes.end;
            }
            is_registration(&i.text)
                && plan
                    .header
                    .iter()
                    .any(|h| h.offset == i.offset && h.slot == i.slot)
        };
        check_units_stay_in_place(source, plan, "#", elsewhere)?;
        Ok(())
    }

    fn plan(&self, source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan {
        if self.is_instrumented(source) {
            return FilePlan::skipped(crate::engine::ALREADY_INSTRUMENTED);
        }
        let mut p = Planner::new(source, ctx, tree);
        let root = tree.root_node();
        let mut header = p.place_header(root);
        let scope = Scope::default();
        p.visit_children(root, &scope);
        // Bound after the first def, the binding is not there yet while that
        // def's signature runs: with an insert in the signature (a default
        // value's lambda or conditional), it goes on a line of its own above.
        if let Some(def) = p.after_first_def {
            // Up to the `:`: a blank line after it (the body's first line,
            // where a nested def's decorator goes) is the body, which runs later.
            let colon = def
                .children(&mut def.walk())
                .find(|c| c.kind() == ":")
                .map_or(def.end_byte(), |c| c.end_byte());
            let signature = def.start_byte()..colon;
            let runs_early = p
                .base
                .units
                .iter()
                .flat_map(|u| &u.inserts)
                .any(|i| signature.contains(&i.offset));
            if runs_early {
                let binding = binding(&ctx.runtime_ref, &ctx.rel_path);
                header = Some(p.header_on_a_new_line(def, binding));
                p.unregister_spans();
                // A late wrap that joined the binding's line (`; f =
                // _ct.late(..)`) now has that line to itself.
                if let Some(row) = p.header_row.take() {
                    let at = p.base.line_starts[row];
                    for i in p.base.units.iter_mut().flat_map(|u| &mut u.inserts) {
                        if i.offset == at
                            && i.text.starts_with("; ")
                            && i.text.contains(" = _ct.late(")
                        {
                            i.text.drain(..2);
                        }
                    }
                }
            }
        }
        let mut units = p.base.units;
        if units.iter().any(|u| !u.inserts.is_empty()) && uses_binding_name(source, tree) {
            for u in &mut units {
                u.drop_with_reason(SKIP_BINDING_NAME);
            }
        }
        // Python reads a lone CR (classic Mac OS) as a line end, in string
        // literals too; tree-sitter-python does not, so what it parsed is not
        // the file Python runs: nothing of it is instrumented.
        if has_lone_cr(source) {
            for u in &mut units {
                u.inserts.clear();
                for point in &mut u.points {
                    // The one reason, over what the misread parse suggested.
                    point.skip(SKIP_SYNTAX_LONE_CR);
                }
            }
        }
        attach_header(units, header)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Loop {
    While(u32),
    For,
}

/// Where the walk is: which unit owns new points, the qualified-name prefix,
/// and the enclosing loops of the current function.
#[derive(Clone, Default)]
struct Scope {
    unit: usize,
    qual: String,
    loops: Vec<Loop>,
}

struct Planner<'a> {
    /// The shared state: lines, claimed rows, errors, units, the walk.
    base: Base<'a>,
    ctx: &'a PlanContext,
    /// Where the frame-inspection markers and the words of
    /// [`EXPRESSION_POINT_WORDS`] occur: found once per file, not searched
    /// for again in every function body and expression.
    frame_marks: Marks,
    expression_marks: Marks,
    /// The module assigns some function's `__code__` (networkx's argmap
    /// compiles its wrappers lazily that way): a span wrapper in place of
    /// such a function would be the one to get the new code, and fail. The
    /// names whose `__code__` is assigned (`func` of `func.__code__ = ...`):
    /// functions of those names get no span.
    replaces_code: HashSet<&'a str>,
    /// The file's first statement, a `def`, when the runtime binding was
    /// put after it (see [`Planner::place_header`]).
    after_first_def: Option<Node<'a>>,
    /// The blank or comment line the binding took after that def: a
    /// module-level late wrap may share it (`_ct = ...; main = _ct.late(..)`).
    header_row: Option<usize>,
    /// Where a span registration (`_ct.at(...)`) can follow the binding on
    /// its line; None when the binding ends a line of its own.
    registration: Option<Registration>,
    /// The units whose span is a registration: (unit, def line, the reason
    /// it would be left out without one), undone if the binding moves.
    registered: Vec<(usize, u32, &'static str)>,
    /// For each class being walked (innermost last), its methods that have
    /// no line for a wrapper of their own: wrapped after the class instead
    /// (see [`Planner::wrap_methods_after`]).
    methods: Vec<Vec<Method<'a>>>,
    /// Blank or comment rows given to `_ct.meth(...)` statements, which
    /// several methods may share.
    method_rows: HashSet<usize>,
}

/// A method waiting for its class's end, to be wrapped after it.
struct Method<'a> {
    unit: usize,
    outer: Node<'a>,
    def: Node<'a>,
    name: &'a str,
    line: u32,
}

/// Where span registrations go: at the binding's offset and slot, after it.
#[derive(Clone, Copy)]
struct Registration {
    offset: usize,
    slot: Slot,
    /// The binding is a statement before others (`_ct = ...; x = 1`), so a
    /// registration is too (`_ct.at(3, "f"); `); else it follows the
    /// binding at the end of its line (`; _ct.at(3, "f")`).
    before: bool,
}

/// The grammar's field ids, looked up once: `child_by_field_name` compares
/// strings on every call.
struct Fields {
    module_name: u16,
    alias: u16,
    alternative: u16,
    attribute: u16,
    body: u16,
    condition: u16,
    definition: u16,
    guard: u16,
    left: u16,
    name: u16,
    object: u16,
    parameters: u16,
    right: u16,
    superclasses: u16,
    value: u16,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let grammar = Python.grammar();
        let id = |name: &str| field_id(&grammar, name);
        Fields {
            module_name: id("module_name"),
            alias: id("alias"),
            alternative: id("alternative"),
            attribute: id("attribute"),
            body: id("body"),
            condition: id("condition"),
            definition: id("definition"),
            guard: id("guard"),
            left: id("left"),
            name: id("name"),
            object: id("object"),
            parameters: id("parameters"),
            right: id("right"),
            superclasses: id("superclasses"),
            value: id("value"),
        }
    })
}

/// The words without which an expression or a simple statement cannot hold a
/// point of its own: a conditional expression (`else`), a walrus (`:=`), a
/// lambda. An over-approximation: they may also sit in names, strings or
/// comments, which only costs a walk.
static EXPRESSION_POINT_WORDS: WordSet = WordSet::new(&["else", ":=", "lambda"]);

/// Statements that may share a line with a statement put before them.
fn is_simple_statement(n: Node) -> bool {
    matches!(
        n.kind(),
        "expression_statement"
            | "return_statement"
            | "pass_statement"
            | "break_statement"
            | "continue_statement"
            | "raise_statement"
            | "assert_statement"
            | "delete_statement"
            | "import_statement"
            | "import_from_statement"
            | "print_statement"
            | "exec_statement"
            | "type_alias_statement"
    )
}

/// The names a target binds (attributes and subscripts are not variables).
fn target_names(src: &str, n: Node, out: &mut Vec<String>) {
    match n.kind() {
        "identifier" => {
            let name = text(src, n).to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        }
        "pattern_list"
        | "tuple_pattern"
        | "list_pattern"
        | "tuple"
        | "list"
        | "expression_list"
        | "parenthesized_expression"
        | "list_splat_pattern"
        | "list_splat"
        | "as_pattern_target" => {
            for c in named_children(n) {
                target_names(src, c, out);
            }
        }
        _ => {}
    }
}

/// The `A as x` of a with item, also when parenthesized alone: tree-sitter
/// reads `with (A as x):` as an item whose value is a parenthesized `A as x`
/// (a one-element tuple with a trailing comma).
fn as_pattern_of(item: Node) -> Option<Node> {
    let mut value = item.child_by_field_id(fields().value)?;
    // `(A as x)`, `(A as x,)` (a tuple) and either with a comment inside.
    while matches!(value.kind(), "parenthesized_expression" | "tuple") {
        let mut inner = named_children(value)
            .into_iter()
            .filter(|c| c.kind() != "comment");
        match (inner.next(), inner.next()) {
            (Some(only), None) => value = only,
            _ => return None,
        }
    }
    (value.kind() == "as_pattern").then_some(value)
}

impl<'a> Walk<'a> for Planner<'a> {
    type Scope = Scope;
    fn base(&mut self) -> &mut Base<'a> {
        &mut self.base
    }

    fn visit(&mut self, n: Node<'a>, scope: &Scope) {
        match n.kind() {
            "decorated_definition" => {
                let Some(def) = n.child_by_field_id(fields().definition) else {
                    return;
                };
                let mut c = n.walk();
                let decorators: Vec<Node<'a>> = n
                    .named_children(&mut c)
                    .filter(|d| d.kind() == "decorator")
                    .collect();
                for d in &decorators {
                    self.visit_children(*d, scope);
                }
                match def.kind() {
                    "function_definition" => {
                        self.function(n, def, decorators.last().copied(), scope)
                    }
                    "class_definition" => self.class(def, scope),
                    _ => self.visit(def, scope),
                }
            }
            "function_definition" => self.function(n, n, None, scope),
            "class_definition" => self.class(n, scope),
            // Annotations are not run (or not run as written): leave them alone.
            "type" | "interpolation" | "comment" => {}
            "expression_statement" => {
                self.assignment(n, scope);
                self.visit_children(n, scope);
            }
            "if_statement" => {
                self.if_statement(n, scope);
                self.visit_children(n, scope);
            }
            "conditional_expression" => {
                self.ternary(n, scope);
                self.visit_children(n, scope);
            }
            "while_statement" => self.while_statement(n, scope),
            "for_statement" => self.for_statement(n, scope),
            "try_statement" => {
                self.try_statement(n, scope);
                self.visit_children(n, scope);
            }
            "with_statement" => {
                self.with_statement(n, scope);
                self.visit_children(n, scope);
            }
            "match_statement" => {
                self.match_statement(n, scope);
                self.visit_children(n, scope);
            }
            "named_expression" => {
                self.walrus(n, scope);
                self.visit_children(n, scope);
            }
            "lambda" => {
                self.lambda(n, scope);
                self.visit_children(n, scope);
            }
            "break_statement" => {
                if let Some(Loop::While(site)) = scope.loops.last() {
                    let site = *site;
                    if self.base.in_error(n.start_byte(), n.start_byte()) {
                        return;
                    }
                    self.base.units[scope.unit].inserts.push(Insert::before(
                        n.start_byte(),
                        format!("{}; ", forms::LB.fill(&[&site])),
                    ));
                }
            }
            // Strings hold no points (interpolations are left alone above).
            "string" | "concatenated_string" => {}
            kind => {
                // Blocks and clauses hold statements: always go in. Anything
                // else here is an expression or a simple statement, whose only
                // points are conditional expressions, walruses and lambdas;
                // walking a subtree that cannot hold one was a third of the
                // planning time.
                let holds_statements =
                    matches!(kind, "module" | "block" | "ERROR") || kind.ends_with("_clause");
                if holds_statements || self.expression_marks.any_within(n.byte_range()) {
                    self.visit_children(n, scope)
                }
            }
        }
    }
}

impl<'a> Planner<'a> {
    fn new(src: &'a str, ctx: &'a PlanContext, tree: &'a tree_sitter::Tree) -> Self {
        Planner {
            base: Base::new(src, tree),
            ctx,
            frame_marks: Marks::find(src, &FRAME_INSPECTION),
            replaces_code: code_assigned_names(src),
            expression_marks: Marks::find(src, &EXPRESSION_POINT_WORDS),
            after_first_def: None,
            header_row: None,
            registration: None,
            registered: Vec::new(),
            methods: Vec::new(),
            method_rows: HashSet::new(),
        }
    }

    fn blank_or_comment(&self, row: usize) -> bool {
        self.base.blank_or_comment(row, "#")
    }

    /// The shebang and the encoding cookie must stay alone on their lines.
    fn reserved(&self, row: usize) -> bool {
        let t = self.base.line(row);
        (row == 0 && t.starts_with("#!"))
            || (row < 2 && t.trim_start().starts_with('#') && t.contains("coding"))
    }

    /// A blank or comment line that nobody has taken yet.
    fn free_row(&self, row: usize) -> bool {
        row < self.base.rows()
            && !self.base.claimed.contains(&row)
            && self.blank_or_comment(row)
            && !self.reserved(row)
    }

    /// [`Base::wrap`] with Python's word characters.
    fn wrap(
        &self,
        range: Range<usize>,
        open: impl Into<String>,
        close: impl Into<String>,
    ) -> [Insert; 2] {
        self.base.wrap(range, open, close, is_word_char)
    }

    /// [`Base::push`] into the scope's unit.
    fn push(&mut self, scope: &Scope, point: Point, inserts: impl IntoIterator<Item = Insert>) {
        self.base.push(scope.unit, point, inserts);
    }

    // ------------------------------------------------------------ header ---

    /// Where `_ct` gets bound: returns the insert and the number of lines it moves.
    /// The runtime binding's insert and the lines it moves; also notes where
    /// span registrations can follow it.
    fn place_header(&mut self, root: Node<'a>) -> Option<(Insert, u32)> {
        let header = self.place_binding(root)?;
        let ins = &header.0;
        self.registration = (!ins.text.ends_with('\n')).then(|| Registration {
            offset: ins.offset,
            slot: ins.slot,
            before: ins.text.ends_with("; "),
        });
        Some(header)
    }

    fn place_binding(&mut self, root: Node<'a>) -> Option<(Insert, u32)> {
        let binding = binding(&self.ctx.runtime_ref, &self.ctx.rel_path);
        let stmts = named_children(root);
        let first = *stmts.first()?;
        // The docstring and `from __future__` imports must stay first.
        let mut last_header = None;
        for (i, s) in stmts.iter().enumerate() {
            let is_doc = i == 0
                && s.kind() == "expression_statement"
                && s.named_child_count() == 1
                && matches!(
                    s.named_child(0).map(|c| c.kind()),
                    Some("string" | "concatenated_string")
                );
            if is_doc || s.kind() == "future_import_statement" {
                last_header = Some(*s);
            } else {
                break;
            }
        }
        if let Some(h) = last_header {
            if self.base.overlaps_error(h.byte_range()) {
                return None;
            }
            return Some((Insert::after(h.end_byte(), format!("; {binding}")), 0));
        }
        if self.base.overlaps_error(first.byte_range()) {
            return None;
        }
        if is_simple_statement(first) {
            return Some((
                Insert::before(first.start_byte(), format!("{binding}; ")),
                0,
            ));
        }
        let first_row = first.start_position().row;
        if let Some(row) = (0..first_row).rev().find(|&r| self.free_row(r)) {
            self.base.claimed.insert(row);
            return Some((Insert::before(self.base.line_starts[row], binding), 0));
        }
        // A plain `def` first: bind just after it, where no line moves. Only
        // its signature runs before that (its body runs when called), so it
        // must take no insert: [`Python::plan`] checks, with `after_first_def`.
        if first.kind() == "function_definition" {
            let next = stmts.get(1).copied();
            let end_row = last_row(first);
            let limit = next.map_or(self.base.rows(), |n| n.start_position().row);
            if let Some(row) = (end_row + 1..limit).find(|&r| self.free_row(r)) {
                self.base.claimed.insert(row);
                self.after_first_def = Some(first);
                self.header_row = Some(row);
                return Some((Insert::before(self.base.line_starts[row], binding), 0));
            }
            if let Some(n) = next
                .filter(|n| is_simple_statement(*n) && !self.base.overlaps_error(n.byte_range()))
            {
                self.after_first_def = Some(first);
                return Some((Insert::before(n.start_byte(), format!("{binding}; ")), 0));
            }
            // The def is the whole module (a script's one function, a test's
            // data file): nothing runs after it, so the binding can go on a
            // line appended to the file, before the def's late wrap.
            if stmts[1..].iter().all(|s| s.kind() == "comment") {
                self.after_first_def = Some(first);
                return Some((
                    Insert::after(self.base.src.len(), self.base.appended_line(&binding)),
                    0,
                ));
            }
        }
        Some(self.header_on_a_new_line(first, binding))
    }

    /// The binding on a line of its own above the first statement: every
    /// line below moves down by one (counted as "lines moved").
    fn header_on_a_new_line(&self, first: Node<'a>, binding: String) -> (Insert, u32) {
        let first_row = first.start_position().row;
        let newline = if self.base.line(first_row).len() + 1 < self.base.src.len()
            && self.base.src[self.base.line_starts[first_row]..].contains("\r\n")
        {
            "\r\n"
        } else {
            "\n"
        };
        (
            Insert::before(first.start_byte(), format!("{binding}{newline}")),
            1,
        )
    }

    // -------------------------------------------------------------- walk ---

    // --------------------------------------------------------- functions ---

    fn function(
        &mut self,
        outer: Node<'a>,
        def: Node<'a>,
        last_decorator: Option<Node<'a>>,
        scope: &Scope,
    ) {
        let name = def
            .child_by_field_id(fields().name)
            .map(|n| text(self.base.src, n))
            .unwrap_or("<unknown>");
        let qual = format!("{}{}", scope.qual, name);
        let line = line_of(def);
        let unit = self.base.units.len();
        self.base.units.push(Unit {
            name: qual.clone(),
            lines: (line_of(outer), last_row(outer) as u32 + 1),
            bytes: outer.byte_range(),
            inserts: Vec::new(),
            points: Vec::new(),
            selected: true,
        });
        let inner = Scope {
            unit,
            qual: format!("{qual}.<locals>."),
            loops: Vec::new(),
        };
        if self.base.overlaps_error(outer.byte_range()) {
            if self.ctx.wants(PointKind::Function) {
                self.base.units[unit].points.push(Point::skipped(
                    PointKind::Function,
                    line,
                    SKIP_SYNTAX,
                ));
            }
            return;
        }
        // Default values run in the enclosing scope; the body in the function's.
        if let Some(params) = def.child_by_field_id(fields().parameters) {
            for p in named_children(params) {
                if let Some(v) = p.child_by_field_id(fields().value) {
                    self.visit(v, scope);
                }
            }
        }
        if let Some(body) = def.child_by_field_id(fields().body) {
            self.visit_children(body, &inner);
        }
        // The span goes last, so that nested functions have taken their lines
        // first and late wraps come out innermost first.
        if self.ctx.wants(PointKind::Function) {
            let point = match self.place_span(outer, def, last_decorator, name, line) {
                Ok(inserts) => {
                    self.base.units[unit].inserts.extend(inserts);
                    Point::instrumented(PointKind::Function, line)
                }
                // A method of a class written without blank lines: after the
                // class, if there is a place (see `wrap_methods_after`).
                Err(SKIP_NO_LINE) if self.is_method_of_walked_class(outer) => {
                    self.methods
                        .last_mut()
                        .expect("a class is walked")
                        .push(Method {
                            unit,
                            outer,
                            def,
                            name,
                            line,
                        });
                    Point::skipped(PointKind::Function, line, SKIP_NO_LINE)
                }
                Err(reason) => match self.register_span(outer, def, name, line, reason) {
                    Some((insert, limit)) => {
                        self.base.units[unit].inserts.push(insert);
                        self.registered.push((unit, line, reason));
                        Point::limited(PointKind::Function, line, limit)
                    }
                    None => Point::skipped(PointKind::Function, line, reason),
                },
            };
            self.base.units[unit].points.insert(0, point);
        }
    }

    /// A span from `sys.monitoring` (CPython 3.12 and later) for a function
    /// that no wrapper form suits: `_ct.at(LINE, "name")` after the binding
    /// registers the code object of that name and first line, found among
    /// the module's code constants, and nothing else changes. Not for
    /// generators and coroutines, whose spans sys.monitoring cannot end in
    /// every case (see the runtime), nor for reasons other than `reason`s a
    /// wrapper alone has.
    fn register_span(
        &self,
        outer: Node<'a>,
        def: Node<'a>,
        name: &str,
        line: u32,
        reason: &'static str,
    ) -> Option<(Insert, &'static str)> {
        let limit = match reason {
            SKIP_NO_LINE => LIMITED_NO_LINE,
            SKIP_FRAME => LIMITED_FRAME,
            SKIP_CODE_ASSIGNED => LIMITED_CODE_ASSIGNED,
            _ => return None,
        };
        let at = self.registration?;
        if is_async(def) || yields(def) {
            return None;
        }
        // The code object's first line is its first decorator's.
        let first = line_of(outer);
        let name = quote(name);
        let call = if first == line {
            forms::AT.fill(&[&line, &name])
        } else {
            forms::AT_FIRST.fill(&[&line, &name, &first])
        };
        let text = if at.before {
            format!("{call}; ")
        } else {
            format!("; {call}")
        };
        let insert = Insert {
            offset: at.offset,
            slot: at.slot,
            text,
        };
        Some((insert, limit))
    }

    /// Takes back every span registration (the binding moved to a line of
    /// its own, which no registration can follow): those spans are left out
    /// for the reason they had.
    fn unregister_spans(&mut self) {
        for (unit, line, reason) in std::mem::take(&mut self.registered) {
            let u = &mut self.base.units[unit];
            u.inserts.retain(|i| !is_registration(&i.text));
            if let Some(p) = u
                .points
                .iter_mut()
                .find(|p| p.kind == PointKind::Function && p.line == line && p.limited.is_some())
            {
                p.skip(reason);
            }
        }
    }

    fn place_span(
        &mut self,
        outer: Node<'a>,
        def: Node<'a>,
        last_decorator: Option<Node<'a>>,
        name: &str,
        line: u32,
    ) -> Result<Vec<Insert>, &'static str> {
        let body = def
            .child_by_field_id(fields().body)
            .map_or(0..0, |b| b.byte_range());
        if self.frame_marks.any_within(body) {
            return Err(SKIP_FRAME);
        }
        if self.replaces_code.contains(name) {
            return Err(SKIP_CODE_ASSIGNED);
        }
        if outer.kind() == "decorated_definition" {
            let mut c = outer.walk();
            let overload = outer
                .named_children(&mut c)
                .filter(|d| d.kind() == "decorator")
                .any(|d| {
                    let t = text(self.base.src, d).trim_start_matches('@').trim();
                    t == "overload" || t.ends_with(".overload")
                });
            if overload {
                return Err(SKIP_OVERLOAD);
            }
        }
        // 1. Rewrite the decorator closest to the def: it must see our wrapper.
        if let Some(expr) = last_decorator.and_then(|d| named_children(d).into_iter().next()) {
            return Ok(self
                .wrap(
                    expr.byte_range(),
                    forms::DECO.fill(&[&line]),
                    forms::CLOSE.template,
                )
                .into());
        }
        let indent = self.base.indent_of(def);
        let def_row = def.start_position().row;
        // 2. A decorator on the blank or comment line just above.
        if def_row > 0 && self.free_row(def_row - 1) {
            self.base.claimed.insert(def_row - 1);
            return Ok(vec![Insert::before(
                self.base.line_starts[def_row - 1],
                format!("{indent}{}", forms::FN.fill(&[&line])),
            )]);
        }
        // 3. Wrap it right after the def: before the next simple statement
        // (past definitions whose running does not name it) ...
        let late = forms::LATE.fill(&[&name, &line, &name]);
        let next = self.next_statement_past_definitions(outer, name);
        let end_row = last_row(outer);
        if let Some(n) = next {
            if is_simple_statement(n)
                && n.start_position().row > end_row
                && !self.base.overlaps_error(n.byte_range())
            {
                return Ok(vec![Insert::before(n.start_byte(), format!("{late}; "))]);
            }
        }
        // ... or on a blank or comment line before the next statement ...
        // (Not the last method of a module-level class whose other methods
        // wait for a line after it: it joins them on that line, which takes
        // them all, where its own wrap would have taken the line alone.)
        let class = outer.parent().and_then(|b| b.parent());
        if self.is_method_of_walked_class(outer)
            && self.methods.last().is_some_and(|m| !m.is_empty())
            && class.is_some_and(|c| c.start_position().column == 0)
        {
            return Err(SKIP_NO_LINE);
        }
        let mut row = end_row + 1;
        while row < self.base.rows() && self.blank_or_comment(row) {
            if self.free_row(row) {
                self.base.claimed.insert(row);
                return Ok(vec![Insert::before(
                    self.base.line_starts[row],
                    format!("{indent}{late}"),
                )]);
            }
            // The binding's line, at module level: after it, on the same line
            // (`def main()` on line 1 and a blank line before `if __name__`).
            if self.header_row == Some(row) && indent.is_empty() {
                return Ok(vec![Insert::before(
                    self.base.line_starts[row],
                    format!("; {late}"),
                )]);
            }
            row += 1;
        }
        // ... or at the end of the file, which moves nothing.
        if row >= self.base.rows() {
            return Ok(vec![Insert::after(
                self.base.src.len(),
                self.base.appended_line(&format!("{indent}{late}")),
            )]);
        }
        Err(SKIP_NO_LINE)
    }

    fn class(&mut self, def: Node<'a>, scope: &Scope) {
        let name = def
            .child_by_field_id(fields().name)
            .map(|n| text(self.base.src, n))
            .unwrap_or("<unknown>");
        if let Some(sup) = def.child_by_field_id(fields().superclasses) {
            self.visit(sup, scope);
        }
        let inner = Scope {
            unit: scope.unit,
            qual: format!("{}{}.", scope.qual, name),
            loops: Vec::new(),
        };
        self.methods.push(Vec::new());
        if let Some(body) = def.child_by_field_id(fields().body) {
            self.visit_children(body, &inner);
        }
        let methods = self.methods.pop().unwrap_or_default();
        if !methods.is_empty() {
            self.wrap_methods_after(def, name, methods);
        }
    }

    /// True for a def directly in the body of the class being walked.
    fn is_method_of_walked_class(&self, outer: Node<'a>) -> bool {
        !self.methods.is_empty()
            && outer
                .parent()
                .filter(|b| b.kind() == "block")
                .and_then(|b| b.parent())
                .is_some_and(|c| c.kind() == "class_definition")
    }

    /// Methods with no line for a wrapper of their own, wrapped after their
    /// class by `_ct.meth(Class, LINE, "name")` (which works on every
    /// version): before the next simple statement after the class, or on a
    /// blank or comment line after a module-level class (several methods
    /// share it: `_ct.meth(...); _ct.meth(...); `), or at the end of the
    /// file. Where there is none, a span from sys.monitoring (`_ct.at`).
    fn wrap_methods_after(
        &mut self,
        class: Node<'a>,
        class_name: &'a str,
        methods: Vec<Method<'a>>,
    ) {
        let outer = class
            .parent()
            .filter(|p| p.kind() == "decorated_definition")
            .unwrap_or(class);
        // A private name is mangled in the class that holds it.
        let plain_name = !class_name.starts_with("__") && class_name != "<unknown>";
        let place = if plain_name {
            self.after_class(outer, class_name)
        } else {
            None
        };
        for m in methods {
            let point = match place {
                Some((offset, appended)) => {
                    let call = forms::METH.fill(&[&class_name, &m.line, &quote(m.name)]);
                    let insert = if appended {
                        // After every late wrap appended there (`Before`
                        // sorts after `After`): those may be indented in
                        // the class, which this line ends.
                        Insert::before(offset, self.base.appended_line(&call))
                    } else {
                        Insert::before(offset, format!("{call}; "))
                    };
                    self.base.units[m.unit].inserts.push(insert);
                    Point::instrumented(PointKind::Function, m.line)
                }
                None => match self.register_span(m.outer, m.def, m.name, m.line, SKIP_NO_LINE) {
                    Some((insert, limit)) => {
                        self.base.units[m.unit].inserts.push(insert);
                        self.registered.push((m.unit, m.line, SKIP_NO_LINE));
                        Point::limited(PointKind::Function, m.line, limit)
                    }
                    None => continue,
                },
            };
            self.base.units[m.unit].points[0] = point;
        }
    }

    /// The statement after `n`, past comments and past definitions whose
    /// running does not name `name` (its decorators, default values and
    /// annotations for a def; the whole of a class, whose body runs): a
    /// wrap there is the same as a wrap right after `n`, since nothing in
    /// between can reach what it wraps.
    fn next_statement_past_definitions(&self, n: Node<'a>, name: &str) -> Option<Node<'a>> {
        let names = |t: &str| {
            t.match_indices(name).any(|(i, _)| {
                !t[..i].chars().next_back().is_some_and(is_word_char)
                    && !t[i + name.len()..].chars().next().is_some_and(is_word_char)
            })
        };
        let runs_naming = |d: Node| {
            let def = match d.kind() {
                "decorated_definition" => d.child_by_field_id(fields().definition),
                _ => Some(d),
            };
            match def {
                // Up to its body: what runs when the def does.
                Some(def) if def.kind() == "function_definition" => {
                    let body = def
                        .child_by_field_id(fields().body)
                        .map_or(def.end_byte(), |b| b.start_byte());
                    names(&self.base.src[d.start_byte()..body])
                }
                _ => names(text(self.base.src, d)),
            }
        };
        let mut next = n.next_named_sibling();
        while let Some(s) = next.filter(|s| {
            s.kind() == "comment"
                || (matches!(
                    s.kind(),
                    "class_definition" | "function_definition" | "decorated_definition"
                ) && !runs_naming(*s))
        }) {
            next = s.next_named_sibling();
        }
        next
    }

    /// Where statements can follow a class: (offset, appended at the end of
    /// the file) or None.
    fn after_class(&mut self, outer: Node<'a>, class_name: &str) -> Option<(usize, bool)> {
        let next = self.next_statement_past_definitions(outer, class_name);
        let end_row = last_row(outer);
        if let Some(n) = next {
            if is_simple_statement(n)
                && n.start_position().row > end_row
                && !self.base.overlaps_error(n.byte_range())
            {
                return Some((n.start_byte(), false));
            }
        }
        if !self.base.indent_of(outer).is_empty() {
            return None;
        }
        let mut row = end_row + 1;
        while row < self.base.rows() && self.blank_or_comment(row) {
            if self.method_rows.contains(&row) || self.free_row(row) {
                self.base.claimed.insert(row);
                self.method_rows.insert(row);
                return Some((self.base.line_starts[row], false));
            }
            row += 1;
        }
        (row >= self.base.rows()).then_some((self.base.src.len(), true))
    }

    fn lambda(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Function) {
            return;
        }
        let line = line_of(n);
        // The wrapper adds a frame, as a span's does (see `place_span`).
        if self.frame_marks.any_within(n.byte_range()) {
            let point = Point::skipped(PointKind::Function, line, SKIP_FRAME);
            self.push(scope, point, []);
            return;
        }
        // typeguard makes a cell with `(lambda: value).__closure__[0]`.
        let mut outer = n;
        while let Some(p) = outer
            .parent()
            .filter(|p| p.kind() == "parenthesized_expression")
        {
            outer = p;
        }
        let attribute_read = outer.parent().is_some_and(|p| {
            p.kind() == "attribute" && p.child_by_field_id(fields().object) == Some(outer)
        });
        if attribute_read {
            let point = Point::skipped(PointKind::Function, line, SKIP_LAMBDA_ATTRIBUTE);
            self.push(scope, point, []);
            return;
        }
        let ins = self.wrap(
            n.byte_range(),
            forms::LAM.fill(&[&line]),
            forms::CLOSE.template,
        );
        self.push(scope, Point::instrumented(PointKind::Function, line), ins);
    }

    // --------------------------------------------------------- variables ---

    fn assignment(&mut self, stmt: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Variable) {
            return;
        }
        let Some(expr) = stmt.named_child(0) else {
            return;
        };
        let mut names = Vec::new();
        let mut cur = Some(expr);
        while let Some(a) =
            cur.filter(|a| matches!(a.kind(), "assignment" | "augmented_assignment"))
        {
            if a.child_by_field_id(fields().right).is_none() {
                break; // `x: int` binds nothing
            }
            if let Some(left) = a.child_by_field_id(fields().left) {
                target_names(self.base.src, left, &mut names);
            }
            cur = a.child_by_field_id(fields().right);
        }
        if names.is_empty() {
            return;
        }
        let line = line_of(stmt);
        let ins = Insert::after(
            stmt.end_byte(),
            format!("; {}", forms::V.fill(&[&line, &forms::pairs(&names)])),
        );
        self.push(scope, Point::instrumented(PointKind::Variable, line), [ins]);
    }

    fn walrus(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Variable) {
            return;
        }
        let Some(name) = n.child_by_field_id(fields().name) else {
            return;
        };
        let line = line_of(n);
        let open = forms::VW.fill(&[&line, &quote(text(self.base.src, name))]);
        self.push(
            scope,
            Point::instrumented(PointKind::Variable, line),
            self.wrap(n.byte_range(), open, forms::CLOSE.template),
        );
    }

    fn with_statement(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Variable) {
            return;
        }
        let mut names = Vec::new();
        let mut c = n.walk();
        for clause in n
            .named_children(&mut c)
            .filter(|c| c.kind() == "with_clause")
        {
            for item in named_children(clause) {
                if let Some(alias) =
                    as_pattern_of(item).and_then(|v| v.child_by_field_id(fields().alias))
                {
                    target_names(self.base.src, alias, &mut names);
                }
            }
        }
        if names.is_empty() {
            return;
        }
        let line = line_of(n);
        let first = n
            .child_by_field_id(fields().body)
            .and_then(|b| named_children(b).into_iter().next());
        let ins = match first.filter(|f| is_simple_statement(*f)) {
            Some(f) => Insert::before(
                f.start_byte(),
                format!("{}; ", forms::V.fill(&[&line, &forms::pairs(&names)])),
            ),
            // No simple statement to put it before: one more with item, a
            // context manager that records the names when it is entered,
            // after the items that bind them (`with A as x, _ct.vwith(...):`).
            None => {
                let last_item = n
                    .named_children(&mut c)
                    .filter(|c| c.kind() == "with_clause")
                    .flat_map(named_children)
                    .last()
                    .expect("a with-as has an item");
                let call = forms::VWITH.fill(&[&line, &forms::pairs(&names)]);
                // `with (A as a):` (one item in parentheses): inside them.
                let end = as_pattern_of(last_item).map_or(last_item.end_byte(), |a| a.end_byte());
                Insert::after(end, call)
            }
        };
        self.push(scope, Point::instrumented(PointKind::Variable, line), [ins]);
    }

    // ---------------------------------------------------------- branches ---

    fn if_statement(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let site = line_of(n);
        let mut conditions: Vec<Node<'a>> = n
            .child_by_field_id(fields().condition)
            .into_iter()
            .collect();
        let mut has_else = false;
        let mut c = n.walk();
        for alt in n.children_by_field_name("alternative", &mut c) {
            match alt.kind() {
                "elif_clause" => conditions.extend(alt.child_by_field_id(fields().condition)),
                "else_clause" => has_else = true,
                _ => {}
            }
        }
        let count = conditions.len();
        let other = if has_else { count as i64 } else { -1 };
        let mut inserts = Vec::new();
        for (arm, cond) in conditions.into_iter().enumerate() {
            if arm + 1 == count {
                inserts.extend(self.wrap(
                    cond.byte_range(),
                    forms::BRX.fill(&[&site, &arm]),
                    forms::CLOSE_ARM.fill(&[&other]),
                ));
            } else {
                inserts.extend(self.wrap(
                    cond.byte_range(),
                    forms::BR.fill(&[&site, &arm]),
                    forms::CLOSE.template,
                ));
            }
        }
        // an `if` without `else` writes no event when no condition holds
        let arms = (0..count as i64).chain(has_else.then_some(other));
        self.push(scope, Point::branch(site, site, arms), inserts);
    }

    fn ternary(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let parts = named_children(n);
        if parts.len() != 3 {
            return;
        }
        let site = line_of(n);
        let ins = self.wrap(
            parts[1].byte_range(),
            forms::BRX.fill(&[&site, &0]),
            forms::CLOSE_ARM.fill(&[&1]),
        );
        self.push(scope, Point::branch(site, site, [0, 1]), ins);
    }

    fn match_statement(&mut self, n: Node<'a>, scope: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let site = line_of(n);
        let Some(body) = n.child_by_field_id(fields().body) else {
            return;
        };
        let mut inserts = Vec::new();
        let mut arms = Vec::new();
        let cases: Vec<Node<'a>> = named_children(body)
            .into_iter()
            .filter(|c| c.kind() == "case_clause")
            .collect();
        for (arm, case) in cases.into_iter().enumerate() {
            arms.push(arm as i64);
            if let Some(guard) = case
                .child_by_field_id(fields().guard)
                .and_then(|g| named_children(g).into_iter().next())
            {
                inserts.extend(self.wrap(
                    guard.byte_range(),
                    forms::CASEG.fill(&[&site, &arm]),
                    forms::CLOSE.template,
                ));
            } else {
                let mut c = case.walk();
                let colon = case.children(&mut c).find(|t| t.kind() == ":");
                match colon {
                    Some(colon) => inserts.push(Insert::before(
                        colon.start_byte(),
                        forms::CASE.fill(&[&site, &arm]),
                    )),
                    None => return,
                }
            }
        }
        self.push(scope, Point::branch(site, site, arms), inserts);
    }

    // ------------------------------------------------------------- loops ---

    fn while_statement(&mut self, n: Node<'a>, scope: &Scope) {
        let site = line_of(n);
        let cond = n.child_by_field_id(fields().condition);
        let loops_on = self.ctx.wants(PointKind::Loop);
        if let (Some(cond), true) = (cond, loops_on) {
            let ins = self.wrap(
                cond.byte_range(),
                forms::WT.fill(&[&site]),
                forms::CLOSE.template,
            );
            self.push(scope, Point::instrumented(PointKind::Loop, site), ins);
            if self.ctx.wants(PointKind::Branch) {
                self.push(scope, Point::instrumented(PointKind::Branch, site), []);
            }
        }
        if let Some(cond) = cond {
            self.visit(cond, scope);
        }
        let mut body_scope = scope.clone();
        if loops_on {
            body_scope.loops.push(Loop::While(site));
        }
        if let Some(body) = n.child_by_field_id(fields().body) {
            self.visit_children(body, &body_scope);
        }
        if let Some(alt) = n.child_by_field_id(fields().alternative) {
            self.visit(alt, scope);
        }
    }

    fn for_statement(&mut self, n: Node<'a>, scope: &Scope) {
        let site = line_of(n);
        let left = n.child_by_field_id(fields().left);
        let right = n.child_by_field_id(fields().right);
        if let (Some(left), Some(right), true) = (left, right, self.ctx.wants(PointKind::Loop)) {
            let is_async = {
                let mut c = n.walk();
                let found = n.children(&mut c).any(|t| t.kind() == "async");
                found
            };
            // An unparenthesized tuple gets parentheses.
            let tuple = right.kind() == "expression_list";
            let (open, close) = match (is_async, tuple) {
                (false, false) => (&forms::LOOP, &forms::CLOSE),
                (true, false) => (&forms::ALOOP, &forms::CLOSE),
                (false, true) => (&forms::LOOP_TUPLE, &forms::CLOSE_TUPLE),
                (true, true) => (&forms::ALOOP_TUPLE, &forms::CLOSE_TUPLE),
            };
            let target = quote(text(self.base.src, left));
            let ins = self.wrap(
                right.byte_range(),
                open.fill(&[&site, &target]),
                close.template,
            );
            self.push(scope, Point::instrumented(PointKind::Loop, site), ins);
            let mut names = Vec::new();
            target_names(self.base.src, left, &mut names);
            if !names.is_empty() && self.ctx.wants(PointKind::Variable) {
                // The loop event carries the target's last value: the
                // variable point stands or falls with the loop point.
                let loop_skipped = self.base.units[scope.unit]
                    .points
                    .last()
                    .and_then(|p| p.skipped.clone());
                let point = Point {
                    skipped: loop_skipped,
                    ..Point::instrumented(PointKind::Variable, site)
                };
                self.push(scope, point, []);
            }
        }
        for part in [left, right].into_iter().flatten() {
            self.visit(part, scope);
        }
        let mut body_scope = scope.clone();
        body_scope.loops.push(Loop::For);
        if let Some(body) = n.child_by_field_id(fields().body) {
            self.visit_children(body, &body_scope);
        }
        if let Some(alt) = n.child_by_field_id(fields().alternative) {
            self.visit(alt, scope);
        }
    }

    // -------------------------------------------------------- exceptions ---

    fn try_statement(&mut self, n: Node<'a>, scope: &Scope) {
        let exceptions = self.ctx.wants(PointKind::Exception);
        let variables = self.ctx.wants(PointKind::Variable);
        if !exceptions && !variables {
            return;
        }
        let mut c = n.walk();
        let handlers: Vec<Node<'a>> = n
            .named_children(&mut c)
            .filter(|h| matches!(h.kind(), "except_clause" | "except_group_clause"))
            .collect();
        for h in handlers {
            let line = line_of(h);
            let value = h.child_by_field_id(fields().value);
            let is_star = h.kind() == "except_group_clause"
                || h.children(&mut h.walk()).any(|t| t.kind() == "*");
            // `except E as name`: a variable point, recorded with the exception.
            let name = value
                .filter(|v| v.kind() == "as_pattern" && variables)
                .and_then(|v| v.child_by_field_id(fields().alias))
                .and_then(|alias| {
                    let mut names = Vec::new();
                    target_names(self.base.src, alias, &mut names);
                    // Python allows one plain name there.
                    (names.len() == 1).then(|| names.remove(0))
                });
            let block = named_children(h)
                .into_iter()
                .rev()
                .find(|b| b.kind() == "block");
            let first = block.and_then(|b| named_children(b).into_iter().next());
            let point = |kind, r: Result<(), &str>| match r {
                Ok(()) => Point::instrumented(kind, line),
                Err(why) => Point::skipped(kind, line, why),
            };
            let (exception_point, variable_point) = (
                |r| point(PointKind::Exception, r),
                |r| point(PointKind::Variable, r),
            );
            match (first, value) {
                // Before the body's first statement: `_ct.ex(L); _ct.v(L, "e", e); body`.
                (Some(f), _) if is_simple_statement(f) => {
                    if exceptions {
                        let ins = Insert::before(
                            f.start_byte(),
                            format!("{}; ", forms::EX.fill(&[&line])),
                        );
                        self.push(scope, exception_point(Ok(())), [ins]);
                    }
                    if let Some(name) = &name {
                        let call =
                            forms::V.fill(&[&line, &forms::pairs(std::slice::from_ref(name))]);
                        let ins = Insert::before(f.start_byte(), format!("{call}; "));
                        self.push(scope, variable_point(Ok(())), [ins]);
                    }
                }
                // Around the types: `except _ct.exm(L, E, "e") as e:`; the
                // variable rides on the exception event's call.
                // Not `except*`: while it evaluates its types, the exception
                // being handled is not yet the subgroup it will bind.
                (_, Some(v)) if h.kind() == "except_clause" && !is_star && exceptions => {
                    let types = if v.kind() == "as_pattern" {
                        v.named_child(0)
                    } else {
                        Some(v)
                    };
                    let Some(t) = types else {
                        self.push(scope, exception_point(Err("no exception type to wrap")), []);
                        continue;
                    };
                    let close = match &name {
                        Some(name) => forms::CLOSE_NAME.fill(&[&quote(name)]),
                        None => forms::CLOSE.template.to_string(),
                    };
                    let wrapper = self.wrap(t.byte_range(), forms::EXM.fill(&[&line]), close);
                    // `push` skips the wrapper if it touches a syntax error;
                    // the variable it carries goes with it.
                    let carried = if self.base.in_error(t.start_byte(), t.end_byte()) {
                        Err(SKIP_SYNTAX_POINT)
                    } else {
                        Ok(())
                    };
                    self.push(scope, exception_point(Ok(())), wrapper);
                    if name.is_some() {
                        self.push(scope, variable_point(carried), []);
                    }
                }
                _ => {
                    let why = "the handler's body starts with a compound statement, and its except clause has no place for the event";
                    if exceptions {
                        self.push(scope, exception_point(Err(why)), []);
                    }
                    if name.is_some() {
                        self.push(scope, variable_point(Err(why)), []);
                    }
                }
            }
        }
    }
}

/// The names whose `__code__` attribute `src` assigns: `f` of
/// `f.__code__ = ...` and of `self.f.__code__ = ...`.
fn code_assigned_names(src: &str) -> HashSet<&str> {
    static CODE: WordSet = WordSet::new(&[".__code__"]);
    CODE.regex()
        .find_iter(src)
        .filter(|m| {
            let rest = src[m.end()..].trim_start_matches([' ', '\t']);
            rest.starts_with('=') && !rest.starts_with("==")
        })
        .filter_map(|m| {
            let before = &src[..m.start()];
            let name_start = before
                .char_indices()
                .rev()
                .take_while(|&(_, c)| is_word_char(c))
                .last()
                .map(|(i, _)| i)?;
            Some(&before[name_start..])
        })
        .collect()
}

/// A Python string literal of `s` in ASCII: non-ASCII characters as `\\u`/
/// `\\U` escapes, so that the inserted text is valid under any source
/// encoding a file declares (`# -*- coding: latin-1 -*-`, ascii, ...).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in super::quote(s).chars() {
        match c as u32 {
            0..=0x7f => out.push(c),
            n @ 0x80..=0xffff => out.push_str(&format!("\\u{n:04x}")),
            n => out.push_str(&format!("\\U{n:08x}")),
        }
    }
    out
}

/// The statement that binds `_ct`. The import is chosen when the module
/// runs: relative to its package when `__package__` is set (a module of a
/// regular package, `runtime_ref` with one dot per level; or of a namespace
/// package, imported by its dotted name), by name otherwise: a script run
/// with its folder on `sys.path`, which may also be a package's module run
/// as a script (`python tabulate/__init__.py`), where a relative import fails.
fn binding(runtime_ref: &str, rel_path: &str) -> String {
    let path = quote(rel_path);
    let name = runtime_ref.trim_start_matches('.');
    // Beside the module when `runtime_ref` has no dots of its own.
    let relative = quote(&format!(
        ".{}",
        runtime_ref.strip_prefix('.').unwrap_or(runtime_ref)
    ));
    forms::BINDING.fill(&[&relative, &quote(name), &path])
}

/// True for an `async def`.
fn is_async(def: Node) -> bool {
    let mut c = def.walk();
    let found = def.children(&mut c).any(|t| t.kind() == "async");
    found
}

/// True when the function's own body yields (a generator), not counting
/// the functions, lambdas and classes nested in it.
fn yields(def: Node) -> bool {
    let Some(body) = def.child_by_field_id(fields().body) else {
        return false;
    };
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "yield" => return true,
            "function_definition" | "lambda" | "class_definition" => continue,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// True for the text of a span registration (see `Planner::register_span`).
fn is_registration(text: &str) -> bool {
    text.trim_start_matches("; ")
        .starts_with(forms::AT.prefix())
}

/// Byte ranges of the string literals and comments of `src`, sorted; `None`
/// when the scan is unsure (an unterminated string, or quotes inside the
/// braces of an f-string, which Python 3.12 allows to nest): such files are
/// not cached.
fn strings_and_comments(src: &str) -> Option<Vec<Range<usize>>> {
    let b = src.as_bytes();
    let ident = |c: u8| c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80;
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
            out.push(i..end);
            i = end;
            continue;
        }
        // A string starts at a quote, or at up to three prefix letters
        // (r, b, u, f) that begin a token and are followed by a quote.
        let mut q = i;
        if ident(c) && !c.is_ascii_digit() {
            while q < b.len() && q - i < 3 && b"rRbBuUfF".contains(&b[q]) {
                q += 1;
            }
            if q == i || q == b.len() || (b[q] != b'"' && b[q] != b'\'') {
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                continue;
            }
        }
        if b[q] != b'"' && b[q] != b'\'' {
            i += 1;
            continue;
        }
        let quote = b[q];
        let fstring = src[i..q].contains(['f', 'F']);
        let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
        let mut k = q + if triple { 3 } else { 1 };
        let mut depth = 0;
        loop {
            let ch = *b.get(k)?;
            if ch == b'\\' {
                k += 2;
                continue;
            }
            if fstring && ch == b'{' {
                if depth == 0 && b.get(k + 1) == Some(&b'{') {
                    k += 2;
                } else {
                    depth += 1;
                    k += 1;
                }
                continue;
            }
            if fstring && ch == b'}' && depth > 0 {
                depth -= 1;
                k += 1;
                continue;
            }
            if depth > 0 && (ch == b'"' || ch == b'\'' || ch == b'#') {
                return None;
            }
            if ch == quote && depth == 0 {
                if !triple {
                    k += 1;
                    break;
                }
                if b.get(k + 1) == Some(&quote) && b.get(k + 2) == Some(&quote) {
                    k += 3;
                    break;
                }
            }
            if ch == b'\n' && !triple && depth == 0 {
                return None;
            }
            k += 1;
        }
        out.push(i..k);
        i = k;
    }
    Some(out)
}

impl Python {
    fn check_insert(&self, text: &str) -> Result<(), String> {
        let form = forms::recogniser().recognise(text)?;
        // A late wrap rebinds the function to a wrapper of itself, nothing else.
        if forms::is(form, &forms::LATE) {
            let statement = text.trim_matches(|c: char| c.is_whitespace() || c == ';');
            let rebinds_itself = statement
                .split_once(" = _ct.late(")
                .and_then(|(name, rest)| Some((name, rest.strip_suffix(')')?.rsplit_once(", ")?.1)))
                .is_some_and(|(name, wrapped)| name == wrapped);
            if !rebinds_itself {
                return Err(format!("a late wrap that rebinds another name: {text:?}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
