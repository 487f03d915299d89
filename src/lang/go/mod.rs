//! Go: every point kind on the lines where the code already is, as
//! `go tool cover` puts its counters (after a `{`, after a case's `:`,
//! joined with `;`), so no line moves and no `//line` directive is needed.
//!
//! | point | form |
//! | --- | --- |
//! | runtime binding | `package p; import _ct "IMPORT/_ctinject"` on the package line, and `; var _ = _ct.On` after the last import declaration (it keeps the import used) |
//! | function span | first in the body: `_ct_s := _ct.S(F, L, "name", "pkg"); if _ct_s != nil { _ct.A(_ct_s, "a", &a) }; defer _ct.E1(_ct_s, &_ct_r0);` with unnamed results named (`(_ct_r0 int)`); a function literal opens with `_ct.SL(_ct_s, ...)`, its enclosing span as a parent hint |
//! | variable | `x, err := f(); if _ct_s != nil { _ct.V(_ct_s, L, "x", &x); _ct.V(_ct_s, L, "err", &err) }` after `:=`, `=`, `op=`, `++`, `--`; range keys and values first in the loop body |
//! | branch | `_ct_s.B(S, arm);` first in each `if`/`else` block, after each `case`'s `:` (expression and type switches, `select`) |
//! | loop | `_ct_s.L(S, "range");` first in the body, counted per span |
//! | `recover()` | `_ct.Rec(_ct_s, L, recover())`: the value is recorded and returned as it is |
//!
//! The only declaration inserted is `_ct_s`, first in a body and before any
//! label, so no `goto` jumps over it and the deferred end always uses it.
//! Panics are never recovered nor re-raised: the runtime tells a panic from
//! a return by who runs the deferred end.

use super::kit::{
    attach_header, check_positions, check_units_stay_in_place, check_wrappers, field_id, last_row,
    line_of, text, Base, Walk, WordSet,
};
use super::{quote, Language, Layout, PlanContext, RuntimePlace};
use crate::engine::{FilePlan, Insert, Point, PointKind, Unit};
use crate::runtime;
use std::ops::Range;
use std::sync::OnceLock;
use tree_sitter::Node;

mod forms;
#[cfg(test)]
mod tests;

/// `.go` files.
pub struct Go;

/// The folder, at the root given to ctinject, that holds the runtime
/// package. Its leading `_` hides it from `./...`, `go list`, `go vet ./...`
/// and `go test ./...`: the packages a user's commands see stay the same.
pub const RUNTIME_DIR: &str = "_ctinject";

/// An instrumented file imports the runtime as `_ct`.
static BINDING_MARKS: WordSet = WordSet::new(&["import _ct \""]);

const SKIP_TEST_FILE: &str = "a test file (`_test.go`): tests are run, not instrumented";
const SKIP_TESTDATA: &str = "in a `testdata` folder: the go command builds nothing there, and tests read its files as they are";
const SKIP_VENDOR: &str =
    "a vendored dependency (`vendor/`): instrument its own module to trace it";
const SKIP_CGO: &str =
    "a cgo file (`import \"C\"`): cgo rewrites it, and inserted code would be rewritten too";
const SKIP_GENERATED: &str =
    "a generated file (`// Code generated ... DO NOT EDIT.`): instrument its generator's input instead";
const SKIP_RESERVED: &str = "the file uses a name that starts with `_ct`, which ctinject's inserted code binds (rename it to instrument this file)";
const SKIP_NO_IMPORT_PATH: &str = "no import path for the runtime package: the folder is neither in a module (no go.mod above it) nor under GOPATH/src";
const SKIP_NO_BODY: &str = "it has no body (implemented in assembly or linked in)";
const SKIP_BLANK: &str = "a function named `_` is never called";
const SKIP_DIRECTIVE: &str = "a `//go:` directive (`nosplit`, `systemstack`, `nowritebarrier`, `uintptrescapes`, ...) limits what its body may do: a deferred call or a new stack frame could break it";
const SKIP_RESULTS: &str = "it has more than 8 results";
const SKIP_NO_HANDLE: &str =
    "its function has no span to record it in (the function is left alone)";
const SKIP_FUNC_VALUE: &str = "the value is a function literal: recording its variable by address would stop Go from calling the literal directly (its arguments would escape to the heap), and a function value shows only as an address";
const SKIP_DEFERRED_RECOVER: &str =
    "`recover` itself is the deferred (or `go`) call: wrapping it would call it too early";
const SKIP_OWN_RECOVER: &str = "the file declares a `recover` of its own";

impl Language for Go {
    fn name(&self) -> &'static str {
        "go"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["go"]
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_go::LANGUAGE.into()
    }
    fn is_instrumented(&self, source: &str) -> bool {
        BINDING_MARKS.regex().is_match(source)
    }
    fn runtime_place(&self, _rel: &str, layout: &dyn Layout) -> RuntimePlace {
        RuntimePlace {
            dir: RUNTIME_DIR.into(),
            reference: import_root(layout).unwrap_or_default(),
        }
    }
    fn runtime(&self) -> &'static runtime::Spec {
        &runtime::GO
    }
    fn check_plan(&self, source: &str, plan: &FilePlan) -> Result<(), String> {
        let quiet = quiet_ranges(source)?;
        let forms = forms::recogniser();
        check_positions(source, plan, &quiet, |text| {
            forms.recognise(text).map(|_| ())
        })?;
        check_wrappers(plan)?;
        check_units_stay_in_place(source, plan, "//", |_, _| false)
    }
    fn plan(&self, source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan {
        plan(source, tree, ctx)
    }
}

/// The import path of the root given to ctinject, where its runtime
/// package goes: the module path of the nearest `go.mod` at or above the
/// root, plus the folders from there; or, in GOPATH mode
/// (`GO111MODULE=off`, or no `go.mod`), the root's path below a GOPATH
/// entry's `src`.
pub fn import_root(layout: &dyn Layout) -> Option<String> {
    let root = layout.root_dir()?;
    let gopath_mode = layout.env("GO111MODULE").as_deref() == Some("off");
    if !gopath_mode {
        for (up, dir) in root.ancestors().enumerate() {
            let manifest = format!("{}go.mod", "../".repeat(up));
            let Some(text) = layout.read(&manifest) else {
                continue;
            };
            let module = module_path(&text)?;
            let below = root.strip_prefix(dir).ok()?;
            let mut path = module.to_string();
            for part in below.components() {
                path.push('/');
                path.push_str(part.as_os_str().to_str()?);
            }
            return Some(path);
        }
    }
    let gopath = layout
        .env("GOPATH")
        .filter(|g| !g.is_empty())
        .or_else(|| layout.env("HOME").map(|h| format!("{h}/go")))?;
    std::env::split_paths(&gopath).find_map(|entry| {
        let entry = layout.canonical(&entry);
        let below = root.strip_prefix(entry.join("src")).ok()?;
        let parts: Option<Vec<&str>> = below.components().map(|c| c.as_os_str().to_str()).collect();
        let parts = parts?;
        (!parts.is_empty()).then(|| parts.join("/"))
    })
}

/// The module path of a `go.mod`: its `module` line, unquoted.
fn module_path(go_mod: &str) -> Option<&str> {
    go_mod.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"']) {
            return None;
        }
        let rest = rest.split("//").next()?.trim();
        let path = rest.trim_matches(['"', '`']);
        (!path.is_empty()).then_some(path)
    })
}

/// The string, rune and comment ranges of `source`, sorted: an insert
/// strictly inside one could turn a form's quotes into code.
fn quiet_ranges(source: &str) -> Result<Vec<Range<usize>>, String> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&Go.grammar())
        .map_err(|e| e.to_string())?;
    let tree = parser
        .parse(source, None)
        .ok_or("the parser gave up on the source")?;
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "interpreted_string_literal" | "raw_string_literal" | "rune_literal" | "comment" => {
                out.push(n.byte_range())
            }
            _ => {
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
    }
    out.sort_by_key(|r| r.start);
    Ok(out)
}

/// The names the inserted code binds (`_ct`, `_ct_s`, `_ct_r0`, ...): a file
/// that uses any identifier starting with `_ct` is left alone.
fn uses_reserved_name(src: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"(?:^|[^\p{L}\p{Nd}_])_ct").expect("a valid regex"))
        .is_match(src)
}

/// Go's convention for generated files: a line `// Code generated ... DO NOT
/// EDIT.` before the package clause.
fn is_generated(head: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?m)^// Code generated .* DO NOT EDIT\.\r?$").expect("a valid regex")
    })
    .is_match(head)
}

/// True when the file declares a `recover` of its own (so a `recover()`
/// call there may not be the builtin).
fn declares_recover(src: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?m)\bfunc\s+recover\b|\brecover\s*(?:,[^=\n]*)?:?=[^=]|\bvar\s+recover\b",
        )
        .expect("a valid regex")
    })
    .is_match(src)
}

struct Fields {
    name: u16,
    parameters: u16,
    receiver: u16,
    result: u16,
    body: u16,
    type_: u16,
    initializer: u16,
    consequence: u16,
    alternative: u16,
    update: u16,
    alias: u16,
    left: u16,
    right: u16,
    communication: u16,
    function: u16,
    arguments: u16,
    path: u16,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let g = Go.grammar();
        let f = |name| field_id(&g, name);
        Fields {
            name: f("name"),
            parameters: f("parameters"),
            receiver: f("receiver"),
            result: f("result"),
            body: f("body"),
            type_: f("type"),
            initializer: f("initializer"),
            consequence: f("consequence"),
            alternative: f("alternative"),
            update: f("update"),
            alias: f("alias"),
            left: f("left"),
            right: f("right"),
            communication: f("communication"),
            function: f("function"),
            arguments: f("arguments"),
            path: f("path"),
        }
    })
}

fn plan(source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan {
    let file_name = ctx.rel_path.rsplit('/').next().unwrap_or(&ctx.rel_path);
    if file_name.ends_with("_test.go") {
        return FilePlan::skipped(SKIP_TEST_FILE);
    }
    let folders = ctx.rel_path.split('/').rev().skip(1);
    for folder in folders {
        match folder {
            "testdata" => return FilePlan::skipped(SKIP_TESTDATA),
            "vendor" => return FilePlan::skipped(SKIP_VENDOR),
            _ => {}
        }
    }
    if BINDING_MARKS.regex().is_match(source) {
        return FilePlan::skipped(crate::engine::ALREADY_INSTRUMENTED);
    }
    let root = tree.root_node();
    let f = fields();
    let mut package = None;
    let mut last_import = None;
    let mut cgo = false;
    let mut c = root.walk();
    for n in root.children(&mut c) {
        match n.kind() {
            "package_clause" if package.is_none() => package = Some(n),
            "import_declaration" => {
                last_import = Some(n);
                cgo |= imports_c(source, n, f);
            }
            _ => {}
        }
    }
    let Some(package) = package else {
        return FilePlan::skipped("no package clause");
    };
    if cgo {
        return FilePlan::skipped(SKIP_CGO);
    }
    if is_generated(&source[..package.start_byte()]) {
        return FilePlan::skipped(SKIP_GENERATED);
    }
    if ctx.runtime_ref.is_empty() {
        return FilePlan::skipped(SKIP_NO_IMPORT_PATH);
    }
    let dir = ctx.rel_path.rsplit_once('/').map_or("", |(d, _)| d);
    let module = if dir.is_empty() {
        ctx.runtime_ref.clone()
    } else {
        format!("{}/{dir}", ctx.runtime_ref)
    };
    let mut p = Planner {
        base: Base::new(source, tree),
        ctx,
        f,
        file: quote(&ctx.rel_path),
        module: quote(&module),
        own_recover: declares_recover(source),
        literal_counts: vec![0],
    };
    p.visit_children(root, &Scope::default());
    let path = quote(&format!("{}/{RUNTIME_DIR}", ctx.runtime_ref));
    let end = package.end_byte();
    let header = if p.base.in_error(end, end) {
        None
    } else if let Some(last) = last_import {
        Some(Insert::after(end, forms::IMPORT.fill(&[&path])))
            .filter(|_| !p.base.in_error(last.end_byte(), last.end_byte()))
    } else {
        Some(Insert::after(
            end,
            forms::IMPORT_AND_SENTINEL.fill(&[&path]),
        ))
    };
    let mut units = p.base.units;
    if units.iter().any(|u| !u.inserts.is_empty()) && uses_reserved_name(source) {
        for u in &mut units {
            u.drop_with_reason(SKIP_RESERVED);
        }
    }
    let mut plan = attach_header(units, header.map(|h| (h, 0)));
    if let (Some(last), false) = (last_import, plan.header.is_empty()) {
        plan.header
            .push(Insert::after(last.end_byte(), forms::SENTINEL.fill(&[])));
    }
    plan
}

/// True for `import "C"` (alone or in a group).
fn imports_c(src: &str, decl: Node, f: &Fields) -> bool {
    let mut stack = vec![decl];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            if let Some(path) = n.child_by_field_id(f.path) {
                if matches!(text(src, path), "\"C\"" | "`C`") {
                    return true;
                }
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// What is known where the walk is.
#[derive(Clone, Default)]
struct Scope {
    unit: usize,
    /// The enclosing function's name (for its literals' names), empty at
    /// the package level.
    name: String,
    /// Whether `_ct_s` is declared here, and as what.
    handle: Handle,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Handle {
    /// No `_ct_s`: events cannot be recorded.
    #[default]
    None,
    /// The function's span.
    Span,
    /// A handle without a span ([`forms::HANDLE`]).
    Points,
}

struct Planner<'a> {
    base: Base<'a>,
    ctx: &'a PlanContext,
    f: &'static Fields,
    /// The file's path as a string literal, for every event.
    file: String,
    /// The package's import path as a string literal, for every span.
    module: String,
    own_recover: bool,
    /// Function literals seen so far in each enclosing function, for their
    /// names (`F.func1`, `F.func1.1`, as Go names them).
    literal_counts: Vec<u32>,
}

/// The kinds of statement after which a variable event goes.
fn sets_variables(kind: &str) -> bool {
    matches!(
        kind,
        "short_var_declaration" | "assignment_statement" | "inc_statement" | "dec_statement"
    )
}

/// `//go:` directives under which a function may not get a deferred call
/// or a larger frame.
fn is_limiting_directive(line: &str) -> bool {
    const LIMITING: &[&str] = &[
        "//go:nosplit",
        "//go:systemstack",
        "//go:nowritebarrier",
        "//go:nowritebarrierrec",
        "//go:yeswritebarrierrec",
        "//go:uintptrescapes",
        "//go:uintptrkeepalive",
        "//go:norace",
        "//go:nocheckptr",
    ];
    let line = line.trim();
    LIMITING
        .iter()
        .any(|d| line == *d || line.starts_with(&format!("{d} ")))
}

impl<'a> Walk<'a> for Planner<'a> {
    type Scope = Scope;
    fn base(&mut self) -> &mut Base<'a> {
        &mut self.base
    }

    fn visit(&mut self, n: Node<'a>, sc: &Scope) {
        match n.kind() {
            "function_declaration" | "method_declaration" | "func_literal" => {
                return self.function(n, sc)
            }
            "if_statement" => self.if_chain(n, sc),
            "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
                self.cases(n, sc)
            }
            "for_statement" => self.loop_body(n, sc),
            "statement_list" => self.statements(n, sc),
            "call_expression" => self.recover_call(n, sc),
            _ => {}
        }
        self.visit_children(n, sc);
    }
}

impl<'a> Planner<'a> {
    fn src(&self) -> &'a str {
        self.base.src
    }

    /// A function, method or function literal: its span, then its body.
    fn function(&mut self, n: Node<'a>, sc: &Scope) {
        let f = self.f;
        let src = self.src();
        let literal = n.kind() == "func_literal";
        let name = if literal {
            let depth = self.literal_counts.len();
            let count = self
                .literal_counts
                .last_mut()
                .expect("a count per function");
            *count += 1;
            match (sc.name.as_str(), depth) {
                ("", _) => format!("glob..func{count}"),
                (outer, 2) => format!("{outer}.func{count}"),
                (outer, _) => format!("{outer}.{count}"),
            }
        } else {
            let own = n
                .child_by_field_id(f.name)
                .map_or("", |x| text(src, x))
                .to_string();
            match n.child_by_field_id(f.receiver) {
                Some(r) => format!("{}.{own}", receiver_name(src, r, f)),
                None => own,
            }
        };
        // A literal inside a function is part of that function's unit, so
        // that the two are taken back together.
        let unit = if literal && sc.unit != 0 {
            sc.unit
        } else {
            self.base.units.push(Unit {
                name: name.clone(),
                lines: (line_of(n), last_row(n) as u32 + 1),
                bytes: n.byte_range(),
                inserts: Vec::new(),
                points: Vec::new(),
                selected: true,
            });
            self.base.units.len() - 1
        };
        let line = line_of(n);
        let mut inner = Scope {
            unit,
            name: name.clone(),
            handle: Handle::None,
        };
        let Some(body) = n.child_by_field_id(f.body) else {
            if self.ctx.wants(PointKind::Function) {
                let point = Point::skipped(PointKind::Function, line, SKIP_NO_BODY);
                self.base.push(unit, point, []);
            }
            return;
        };
        let open = body.start_byte() + 1;
        let skip = if !literal && name.rsplit('.').next() == Some("_") {
            Some(SKIP_BLANK)
        } else if !literal && self.has_limiting_directive(n) {
            Some(SKIP_DIRECTIVE)
        } else {
            None
        };
        if self.ctx.wants(PointKind::Function) {
            let mut point = Point::instrumented(PointKind::Function, line);
            let mut inserts = Vec::new();
            match (skip, self.results(n)) {
                (Some(reason), _) => point.skip(reason),
                (None, None) => point.skip(SKIP_RESULTS),
                (None, Some((renames, pointers))) => {
                    let args = self.arguments(n);
                    let count = pointers.len();
                    let pointers: String = pointers.iter().map(|p| format!(", {p}")).collect();
                    let form = if literal && sc.handle != Handle::None {
                        &forms::LITERAL_SPAN
                    } else {
                        &forms::SPAN
                    };
                    inserts = renames;
                    inserts.push(Insert::after(
                        open,
                        form.fill(&[
                            &self.file,
                            &line,
                            &quote(&name),
                            &self.module,
                            &args,
                            &count,
                            &pointers,
                        ]),
                    ));
                }
            }
            let opened = point.skipped.is_none();
            let before = self.base.units[unit].inserts.len();
            self.base.push(unit, point, inserts);
            if opened && self.base.units[unit].inserts.len() > before {
                inner.handle = Handle::Span;
            }
        } else if skip.is_none() && !self.base.in_error(open, open) {
            inner.handle = Handle::Points;
        }
        let before = self.base.units[unit].inserts.len();
        self.literal_counts.push(0);
        self.visit_children(body, &inner);
        self.literal_counts.pop();
        if inner.handle == Handle::Points && self.base.units[unit].inserts.len() > before {
            let handle = Insert::after(open, forms::HANDLE.fill(&[&self.file]));
            // First at its offset: the handle is declared before it is used.
            self.base.units[unit].inserts.insert(before, handle);
        }
    }

    /// True when a `//go:` directive that limits the body is among the
    /// comment lines right above the function.
    fn has_limiting_directive(&self, n: Node<'a>) -> bool {
        let mut row = n.start_position().row;
        while row > 0 {
            row -= 1;
            let line = self.base.line(row);
            if !line.trim_start().starts_with("//") {
                break;
            }
            if is_limiting_directive(line) {
                return true;
            }
        }
        false
    }

    /// The inserts that name unnamed and blank results, and what the span's
    /// end reads each result from (`&name`); `None` for more than the
    /// runtime's 8.
    fn results(&self, n: Node<'a>) -> Option<(Vec<Insert>, Vec<String>)> {
        let src = self.src();
        let Some(result) = n.child_by_field_id(self.f.result) else {
            return Some((Vec::new(), Vec::new()));
        };
        let mut renames = Vec::new();
        let mut pointers = Vec::new();
        if result.kind() != "parameter_list" {
            // A single unnamed result: `int` becomes `(_ct_r0 int)`.
            renames.extend(Insert::wrap(
                result.byte_range(),
                forms::RESULT_OPEN.fill(&[]),
                forms::CLOSE_PAREN.fill(&[]),
            ));
            pointers.push("&_ct_r0".to_string());
            return Some((renames, pointers));
        }
        let mut c = result.walk();
        for decl in result.named_children(&mut c) {
            if decl.kind() != "parameter_declaration" {
                continue;
            }
            let mut names = Vec::new();
            let mut cc = decl.walk();
            names.extend(decl.children_by_field_name("name", &mut cc));
            if names.is_empty() {
                let i = pointers.len();
                renames.push(Insert::before(
                    decl.start_byte(),
                    forms::RESULT_NAME.fill(&[&i]),
                ));
                pointers.push(format!("&_ct_r{i}"));
            }
            for name in names {
                let i = pointers.len();
                if text(src, name) == "_" {
                    // `_` becomes `_ct_r1_`: a blank result can be neither
                    // read nor set by the body, so a name it cannot use
                    // changes nothing, and the end can point to it.
                    renames.push(Insert::before(
                        name.start_byte(),
                        forms::BLANK_RESULT_NAME.fill(&[&i]),
                    ));
                    pointers.push(format!("&_ct_r{i}_"));
                } else {
                    pointers.push(format!("&{}", text(src, name)));
                }
            }
        }
        (pointers.len() <= 8).then_some((renames, pointers))
    }

    /// The calls that record a span's arguments (see `ARG_CALLS` in the
    /// forms): the receiver's and the parameters' (blank and unnamed ones
    /// left out).
    fn arguments(&self, n: Node<'a>) -> String {
        let src = self.src();
        let mut calls = Vec::new();
        let lists = [self.f.receiver, self.f.parameters]
            .into_iter()
            .filter_map(|field| n.child_by_field_id(field));
        for list in lists {
            let mut c = list.walk();
            for decl in list.named_children(&mut c) {
                let mut cc = decl.walk();
                for name in decl.children_by_field_name("name", &mut cc) {
                    let name = text(src, name);
                    if name != "_" {
                        calls.push(format!("_ct.A(_ct_s, {}, &{name})", quote(name)));
                    }
                }
            }
        }
        if calls.is_empty() {
            return String::new();
        }
        format!("if _ct_s != nil {{ {} }}; ", calls.join("; "))
    }

    /// Pushes an event point, with its inserts, where `_ct_s` is declared.
    fn push_event(&mut self, sc: &Scope, kind: PointKind, line: u32, inserts: Vec<Insert>) {
        self.push_point(sc, Point::instrumented(kind, line), inserts);
    }

    fn push_point(&mut self, sc: &Scope, mut point: Point, inserts: Vec<Insert>) {
        if !self.ctx.wants(point.kind) {
            return;
        }
        if sc.handle == Handle::None {
            point.skip(SKIP_NO_HANDLE);
        }
        self.base.push(sc.unit, point, inserts);
    }

    /// An `if` and its `else if`s: one branch point, named by the first
    /// `if`'s line, with an arm per block. Variables an `if` declares in
    /// its initializer are recorded first in each block they are seen in.
    fn if_chain(&mut self, n: Node<'a>, sc: &Scope) {
        let f = self.f;
        if let Some(parent) = n.parent() {
            if parent.kind() == "if_statement" && parent.child_by_field_id(f.alternative) == Some(n)
            {
                return; // an `else if`: part of its chain
            }
        }
        let site = line_of(n);
        let mut ifs: Vec<Node<'a>> = Vec::new();
        let mut blocks: Vec<Node<'a>> = Vec::new();
        let mut at = Some(n);
        while let Some(stmt) = at {
            at = None;
            ifs.push(stmt);
            if let Some(block) = stmt.child_by_field_id(f.consequence) {
                blocks.push(block);
            }
            match stmt.child_by_field_id(f.alternative) {
                Some(alt) if alt.kind() == "if_statement" => at = Some(alt),
                Some(block) => blocks.push(block),
                None => {}
            }
        }
        for (arm, block) in blocks.iter().enumerate() {
            let insert = Insert::after(block.start_byte() + 1, forms::BRANCH.fill(&[&site, &arm]));
            self.push_point(sc, Point::branch(site, site, [arm as i64]), vec![insert]);
        }
        for stmt in ifs {
            let Some(init) = stmt.child_by_field_id(f.initializer) else {
                continue;
            };
            // In scope: the blocks from this `if`'s own consequence on.
            let first = stmt
                .child_by_field_id(f.consequence)
                .and_then(|c| blocks.iter().position(|b| b.id() == c.id()))
                .unwrap_or(blocks.len());
            let ats: Vec<usize> = blocks[first..].iter().map(|b| b.start_byte() + 1).collect();
            self.scoped_vars(sc, &[init], &ats);
        }
    }

    /// Variables set where Go has no place for a statement after them (an
    /// `if`, `switch` or `for` statement's initializer or post statement, a
    /// type switch's `x :=`, a range clause, a `select` case's receive):
    /// recorded first in each block or case at `ats`, where they are in
    /// scope. One point per setter; the first one holds the inserts.
    fn scoped_vars(&mut self, sc: &Scope, setters: &[Node<'a>], ats: &[usize]) {
        let mut names: Vec<&'a str> = Vec::new();
        let mut lines = Vec::new();
        for setter in setters {
            let targets = self.targets(*setter);
            if targets.is_empty() {
                continue;
            }
            lines.push(line_of(*setter));
            for t in targets {
                if !names.contains(&t) {
                    names.push(t);
                }
            }
        }
        let Some(&line) = lines.first() else { return };
        if ats.is_empty() {
            return;
        }
        let text = forms::VARS_FIRST.fill(&[&var_calls(line, &names)]);
        let inserts = ats
            .iter()
            .map(|&at| Insert::after(at, text.clone()))
            .collect();
        self.push_event(sc, PointKind::Variable, line, inserts);
        for &other in &lines[1..] {
            self.push_event(sc, PointKind::Variable, other, Vec::new());
        }
    }

    /// The cases of a switch, type switch or select: an arm each, after its
    /// `:`; then the variables of a `select` case's receive, and of the
    /// switch's initializer and a type switch's `x :=` in every case.
    fn cases(&mut self, n: Node<'a>, sc: &Scope) {
        let site = line_of(n);
        let mut c = n.walk();
        let cases: Vec<Node<'a>> = n
            .named_children(&mut c)
            .filter(|k| {
                matches!(
                    k.kind(),
                    "expression_case" | "default_case" | "type_case" | "communication_case"
                )
            })
            .collect();
        let mut colons = Vec::new();
        for (arm, case) in cases.into_iter().enumerate() {
            let mut cc = case.walk();
            let colon = case.children(&mut cc).find(|t| t.kind() == ":");
            let Some(colon) = colon else { continue };
            let at = colon.end_byte();
            colons.push(at);
            let insert = Insert::after(at, forms::BRANCH.fill(&[&site, &arm]));
            self.push_point(sc, Point::branch(site, site, [arm as i64]), vec![insert]);
            let received = case
                .child_by_field_id(self.f.communication)
                .filter(|r| r.kind() == "receive_statement");
            if let Some(recv) = received {
                self.scoped_vars(sc, &[recv], &[at]);
            }
        }
        let setters: Vec<Node<'a>> = [self.f.initializer, self.f.alias]
            .into_iter()
            .filter_map(|field| n.child_by_field_id(field))
            .collect();
        self.scoped_vars(sc, &setters, &colons);
    }

    /// A `for` loop: its iteration first in the body, then the variables of
    /// its header (a range clause's keys and values; a three-clause loop's
    /// variables, as its initializer and each post statement left them).
    fn loop_body(&mut self, n: Node<'a>, sc: &Scope) {
        let Some(body) = n.child_by_field_id(self.f.body) else {
            return;
        };
        let mut c = n.walk();
        let header = n
            .named_children(&mut c)
            .find(|k| k.id() != body.id() && k.kind() != "comment");
        let kind = match header.map(|h| h.kind()) {
            None => "forever",
            Some("for_clause") => "for",
            Some("range_clause") => "range",
            Some(_) => "while",
        };
        let site = line_of(n);
        let at = body.start_byte() + 1;
        let insert = Insert::after(at, forms::LOOP.fill(&[&site, &quote(kind)]));
        self.push_event(sc, PointKind::Loop, site, vec![insert]);
        let setters: Vec<Node<'a>> = match header {
            Some(h) if h.kind() == "range_clause" => vec![h],
            Some(h) if h.kind() == "for_clause" => [self.f.initializer, self.f.update]
                .into_iter()
                .filter_map(|field| h.child_by_field_id(field))
                .collect(),
            _ => Vec::new(),
        };
        self.scoped_vars(sc, &setters, &[at]);
    }

    /// Statements that set variables get an event after them.
    fn statements(&mut self, n: Node<'a>, sc: &Scope) {
        let mut c = n.walk();
        let stmts: Vec<Node<'a>> = n.named_children(&mut c).collect();
        for stmt in stmts {
            let inner = if stmt.kind() == "labeled_statement" {
                let mut cc = stmt.walk();
                let found = stmt
                    .named_children(&mut cc)
                    .find(|k| k.kind() != "label_name" && k.kind() != "comment");
                match found {
                    Some(s) => s,
                    None => continue,
                }
            } else {
                stmt
            };
            if !sets_variables(inner.kind()) {
                continue;
            }
            let targets = self.targets(inner);
            if targets.is_empty() {
                continue;
            }
            let line = line_of(inner);
            if self.assigns_func_literal(inner) {
                if self.ctx.wants(PointKind::Variable) {
                    let point = Point::skipped(PointKind::Variable, line, SKIP_FUNC_VALUE);
                    self.base.push(sc.unit, point, []);
                }
                continue;
            }
            let insert = Insert::after(
                inner.end_byte(),
                forms::VARS_AFTER.fill(&[&var_calls(line, &targets)]),
            );
            self.push_event(sc, PointKind::Variable, line, vec![insert]);
        }
    }

    /// True when a value the statement assigns is a function literal
    /// (`str := func(s string) { ... }`).
    fn assigns_func_literal(&self, stmt: Node<'a>) -> bool {
        let Some(right) = stmt.child_by_field_id(self.f.right) else {
            return false;
        };
        let mut c = right.walk();
        let found = right
            .named_children(&mut c)
            .any(|e| e.kind() == "func_literal");
        found || right.kind() == "func_literal"
    }

    /// The names a statement sets that an event can read again without
    /// calling anything: identifiers (not `_`) and selectors of them
    /// (`s.f`).
    fn targets(&self, stmt: Node<'a>) -> Vec<&'a str> {
        let src = self.src();
        let left = match stmt.kind() {
            "inc_statement" | "dec_statement" => stmt.named_child(0),
            // A type switch's `x :=`.
            "expression_list" => Some(stmt),
            _ => stmt.child_by_field_id(self.f.left),
        };
        let Some(left) = left else { return Vec::new() };
        let exprs: Vec<Node<'a>> = if left.kind() == "expression_list" {
            let mut c = left.walk();
            left.named_children(&mut c).collect()
        } else {
            vec![left]
        };
        let mut out: Vec<&'a str> = Vec::new();
        for e in exprs {
            if is_plain_name(e) {
                let t = text(src, e);
                if t != "_" && !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// `recover()` records what it returns.
    fn recover_call(&mut self, n: Node<'a>, sc: &Scope) {
        let f = self.f;
        let is_recover = n
            .child_by_field_id(f.function)
            .is_some_and(|x| x.kind() == "identifier" && text(self.src(), x) == "recover")
            && n.child_by_field_id(f.arguments)
                .is_some_and(|a| a.named_child_count() == 0);
        if !is_recover || !self.ctx.wants(PointKind::Exception) {
            return;
        }
        let line = line_of(n);
        let mut point = Point::instrumented(PointKind::Exception, line);
        let direct = n
            .parent()
            .is_some_and(|p| matches!(p.kind(), "defer_statement" | "go_statement"));
        if self.own_recover {
            point.skip(SKIP_OWN_RECOVER);
        } else if direct {
            point.skip(SKIP_DEFERRED_RECOVER);
        }
        let handle = if sc.handle == Handle::None {
            "nil"
        } else {
            "_ct_s"
        };
        let inserts = self.base.wrap(
            n.byte_range(),
            forms::RECOVER_OPEN.fill(&[&handle, &line]),
            forms::CLOSE_PAREN.fill(&[]),
            |c| c == '_' || c.is_alphanumeric(),
        );
        self.base.push(sc.unit, point, inserts);
    }
}

/// An identifier, or a selector of identifiers (`s.f`, `a.b.c`).
fn is_plain_name(e: Node) -> bool {
    match e.kind() {
        "identifier" => true,
        "selector_expression" => {
            let mut c = e.walk();
            let parts: Vec<Node> = e.named_children(&mut c).collect();
            parts.len() == 2 && parts[1].kind() == "field_identifier" && is_plain_name(parts[0])
        }
        _ => false,
    }
}

/// `_ct.V(_ct_s, 12, "x", &x); _ct.V(_ct_s, 12, "s.f", &s.f)`: one call
/// (and one event) per variable, each value by pointer (see `ARG_CALLS` in
/// the forms).
fn var_calls(line: u32, names: &[&str]) -> String {
    let calls: Vec<String> = names
        .iter()
        .map(|n| format!("_ct.V(_ct_s, {line}, {}, &{n})", quote(n)))
        .collect();
    calls.join("; ")
}

/// A method's receiver type as Go names it in stack traces: `T`, `(*T)`,
/// `(*T[...])` for a generic one.
fn receiver_name(src: &str, receiver: Node, f: &Fields) -> String {
    let mut c = receiver.walk();
    let decl = receiver
        .named_children(&mut c)
        .find(|d| d.kind() == "parameter_declaration");
    let Some(ty) = decl.and_then(|d| d.child_by_field_id(f.type_)) else {
        return "?".into();
    };
    let (pointer, ty) = if ty.kind() == "pointer_type" {
        (true, ty.named_child(0).unwrap_or(ty))
    } else {
        (false, ty)
    };
    let base = if ty.kind() == "generic_type" {
        let name = ty.child_by_field_id(f.type_).map_or("?", |t| text(src, t));
        format!("{name}[...]")
    } else {
        text(src, ty).to_string()
    };
    if pointer {
        format!("(*{base})")
    } else {
        base
    }
}
