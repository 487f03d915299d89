//! JavaScript and JSX: every point kind, on the lines where the code
//! already is (no line break is ever inserted, so no line moves).
//!
//! | point | form |
//! | --- | --- |
//! | runtime binding | `const __ct = require("./_ctinject.cjs");` (CommonJS) or `import * as __ct from "./_ctinject.cjs";` (ES module), before the first statement, after a shebang and the directive prologue |
//! | function span | inside the body, so the function stays what it is (its `this`, `arguments`, `new.target`, `super`, `.length`, `.name` and kind): `{ const __ct_s = __ct.s(F, L, "name", "kind", "a,b", arguments); try { ... } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }`; `return x` -> `return __ct.r(__ct_s, x)`; an arrow's expression body becomes a block on its line; `await x` -> `__ct.ar(__ct_s, await __ct.aw(__ct_s, x))` (and so `yield`), so that a span is never current while its function is suspended; in an async function or generator, `__ct.ar(__ct_s);` first in each `catch` and `finally` block (a rejected `await` skips its resumption), and `__ct.aw(__ct_s);` / `__ct.ar(__ct_s);` around a braced `for await` and its passes |
//! | variable | `let x = 1; __ct.v(F, L, "x", x);` after a declaration or an assignment statement (`;` first where the statement has none) |
//! | branch | `__ct.b(F, S, arm);` first in an `if`/`else` arm or a `switch` case (an arm without braces gets them, on its line); `c ? (__ct.b(F, S, 0), a) : (__ct.b(F, S, 1), b)`; `a && (__ct.b(F, S, 0), b)` for `&&`, `\|\|` and `??` |
//! | loop | `__ct.li(F, S, "for");` first in the body of every loop, counted per span |
//! | exception | `catch (e) { __ct.c(F, L, e); ...` |

use super::kit::{
    attach_header, check_positions, check_units_stay_in_place, check_wrappers, field_id, last_row,
    line_of, text, Base, Form, Walk, WordSet,
};
use super::{quote, Language, Layout, PlanContext, RuntimePlace};
use crate::engine::{FilePlan, Insert, Point, PointKind, Unit};
use crate::runtime;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;
use tree_sitter::Node;

mod forms;
#[cfg(test)]
mod tests;

pub struct JavaScript;

/// An instrumented file binds the runtime with one of these texts.
/// (`import __ct from` is how ctinject 2 and older bound it.)
static BINDING_MARKS: WordSet = WordSet::new(&[
    "const __ct = require(\"",
    "import * as __ct from \"",
    "import __ct from \"",
]);
/// ... and an instrumented TypeScript file with one of these.
static TS_BINDING_MARKS: WordSet =
    WordSet::new(&["import * as __ct from \"", "import __ct = require(\""]);

/// The names the inserted code binds (`__ct`, `__ct_s`, `__ct_e`): a file
/// that uses one is left alone.
fn uses_reserved_name(src: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?:^|[^A-Za-z0-9_$])__ct(?:_s|_e)?(?:[^A-Za-z0-9_$]|$)")
            .expect("a valid regex")
    })
    .is_match(src)
}

const SKIP_RESERVED: &str =
    "the file uses a name that starts with `__ct`, which ctinject's inserted code binds (rename it to instrument this file)";
const SKIP_BLOCK_FUNCTION: &str = "a function declared at the top of its body has the name of a `var` or of another function declaration, which the span's `try` block would turn into a syntax error";
const SKIP_DECLARATION_FILE: &str = "a declaration file (.d.ts): it holds types, no code that runs";
const SKIP_USING: &str = "it declares a `using` or `await using` variable, which the crates.io TypeScript grammar reads as an assignment";
const SKIP_TS_SYNTAX: &str = "the TypeScript grammar cannot read part of it: a syntax error, or syntax that the crates.io grammar does not know (variance annotations `in`/`out`, `export type * from`, `static accessor`, `export default abstract class`, generic call signatures on lines of their own without `;`)";
const SKIP_UNTYPED_YIELD: &str = "a generator without a return type uses the value of a `yield`, whose type would be lost in the span's resumption call (TS7057); give the generator a return type to instrument it";
const SKIP_ES5_BLOCK_FUNCTION: &str = "it declares a function at the top of its body, which the span's `try` block would put inside a block: TypeScript refuses that when it compiles for ES5 (TS1252)";
const SKIP_NON_NULL: &str = "the TypeScript grammar reads a non-null assertion after an operator's operand wrong (`a || !b!(c)` as `(a || !b)!(c)`)";
const SKIP_ARROW_CALLEE: &str = "the TypeScript grammar reads an arrow whose body is a tagged template with type arguments wrong (``(k) => sql<Row>`...`.pipe(f)`` as ``((k) => sql<Row>)`...`.pipe(f)``)";
const SKIP_SCRIPT: &str = "a TypeScript file without `import` or `export` is a script: importing the runtime would make it a module, and its top-level names would stop being global";
const SKIP_UNBRACED: &str =
    "the statement is the whole body of an `if`, `else` or loop written without braces";

/// How a file's module system was decided (see [`JavaScript::runtime_place`]):
/// the part of [`PlanContext::runtime_ref`] before `|`.
const CJS: &str = "cjs";
const ESM: &str = "esm";
/// A `.js` file whose package does not say: CommonJS for Node unless the file
/// has `import` or `export` statements (Node's syntax detection); an import
/// added to a CommonJS file would make it an ES module.
const AUTO: &str = "auto";

/// The grammars that share this planner: JavaScript (with JSX), and
/// TypeScript and TSX (see [`super::typescript`]). They differ in how a
/// file binds the runtime, and TypeScript has shapes that hold no code to
/// run (types, overloads, ambient declarations) and a type checker that the
/// inserted code must satisfy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    JavaScript,
    TypeScript,
    Tsx,
}

impl Dialect {
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Dialect::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Dialect::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Dialect::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }

    pub fn is_typescript(self) -> bool {
        self != Dialect::JavaScript
    }
}

impl Language for JavaScript {
    fn name(&self) -> &'static str {
        "javascript"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["js", "mjs", "cjs", "jsx"]
    }
    fn grammar(&self) -> tree_sitter::Language {
        Dialect::JavaScript.grammar()
    }
    fn is_instrumented(&self, source: &str) -> bool {
        is_instrumented(Dialect::JavaScript, source)
    }
    fn runtime_place(&self, rel: &str, layout: &dyn Layout) -> RuntimePlace {
        let path = format!("{}{}", up_from(rel), runtime::JAVASCRIPT_FILE_NAME);
        RuntimePlace {
            dir: String::new(),
            reference: format!("{}|{path}", module_system(rel, layout)),
        }
    }
    fn runtime(&self) -> &'static runtime::Spec {
        &runtime::JAVASCRIPT
    }
    fn check_plan(&self, source: &str, plan: &FilePlan) -> Result<(), String> {
        check_plan(Dialect::JavaScript, source, plan)
    }
    fn plan(&self, source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan {
        plan(Dialect::JavaScript, source, tree, ctx)
    }
}

/// True when `source` binds the runtime as the dialect's files do.
pub(crate) fn is_instrumented(dialect: Dialect, source: &str) -> bool {
    let marks = if dialect.is_typescript() {
        &TS_BINDING_MARKS
    } else {
        &BINDING_MARKS
    };
    marks.regex().is_match(source)
}

/// The relative path from the folder of the file at `rel` up to the root:
/// `./`, `../`, `../../`, ...
pub(crate) fn up_from(rel: &str) -> String {
    match rel.matches('/').count() {
        0 => "./".to_string(),
        depth => "../".repeat(depth),
    }
}

/// True when an instrumented TypeScript file binds the runtime with
/// `import __ct = require(...)`, as a file written for CommonJS does.
pub(crate) fn binds_with_require(instrumented: &str) -> bool {
    instrumented.contains(forms::TS_REQUIRE.prefix())
}

/// How Node runs the file at `rel`: `esm`, `cjs`, or `auto` when it is a
/// `.js` (or `.ts`) file whose package does not say.
pub(crate) fn module_system(rel: &str, layout: &dyn Layout) -> &'static str {
    match rel.rsplit_once('.').map(|(_, e)| e) {
        Some("mjs" | "mts") => ESM,
        Some("cjs" | "cts") => CJS,
        _ => match package_type(rel, layout).as_deref() {
            Some("module") => ESM,
            Some("commonjs") => CJS,
            _ => AUTO,
        },
    }
}

pub(crate) fn check_plan(dialect: Dialect, source: &str, plan: &FilePlan) -> Result<(), String> {
    let scan = scan(dialect, source)?;
    let forms = forms::recogniser(dialect);
    check_positions(source, plan, &scan.quiet, |text| {
        forms.recognise(text)?;
        match typed_return_in(text) {
            Some(ty) if !scan.return_types.contains(ty) => {
                Err(format!("not a return type of the source: {ty:?}"))
            }
            _ => Ok(()),
        }
    })?;
    check_wrappers(plan)?;
    check_units_stay_in_place(source, plan, "//", |_, _| false)
}

pub(crate) fn plan(
    dialect: Dialect,
    source: &str,
    tree: &tree_sitter::Tree,
    ctx: &PlanContext,
) -> FilePlan {
    if is_instrumented(dialect, source) {
        return FilePlan::skipped(crate::engine::ALREADY_INSTRUMENTED);
    }
    if dialect.is_typescript() && is_declaration_file(&ctx.rel_path) {
        return FilePlan::skipped(SKIP_DECLARATION_FILE);
    }
    let root = tree.root_node();
    let (system, path) = ctx
        .runtime_ref
        .split_once('|')
        .unwrap_or((AUTO, ctx.runtime_ref.as_str()));
    let mut p = Planner {
        base: Base::new(source, tree),
        ctx,
        dialect,
        file: quote(&ctx.rel_path),
        f: fields(dialect),
        braced: HashSet::new(),
        misread: Vec::new(),
    };
    p.visit_children(root, &Scope::default());
    let header = if dialect.is_typescript() {
        p.ts_header(root, system, path)
    } else {
        let esm = match system {
            ESM => true,
            CJS => false,
            _ => has_module_syntax(root),
        };
        Ok(p.header(root, esm, path))
    };
    let mut unreadable = std::mem::take(&mut p.misread);
    if dialect.is_typescript() {
        // Valid TypeScript that the grammar cannot read, or a real syntax
        // error: either way the tree around it may be wrong.
        unreadable.extend(p.base.errors.iter().map(|e| (e.start, SKIP_TS_SYNTAX)));
    }
    let mut units = p.base.units;
    for (at, reason) in unreadable {
        // The innermost unit that holds it (the module's unit holds all).
        if let Some(u) = units.iter_mut().rev().find(|u| u.bytes.contains(&at)) {
            u.drop_with_reason(reason);
        }
    }
    if units.iter().any(|u| !u.inserts.is_empty()) && uses_reserved_name(source) {
        for u in &mut units {
            u.drop_with_reason(SKIP_RESERVED);
        }
    }
    let header = header.unwrap_or_else(|reason| {
        // No place for the binding (a script): every point says why.
        for u in &mut units {
            u.drop_with_reason(reason);
        }
        None
    });
    attach_header(units, header)
}

/// `.d.ts`, `.d.mts` and `.d.cts` files, and TypeScript 5's declarations of
/// other files (`styles.d.css.ts`): declarations only.
fn is_declaration_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.ends_with(".d.mts")
        || name.ends_with(".d.cts")
        || (name.contains(".d.") && name.ends_with(".ts"))
}

/// The `"type"` of the nearest `package.json` above `rel`, as Node reads it:
/// in the folders being instrumented, then above them (`src/` of a package
/// whose `package.json` is beside it, say).
fn package_type(rel: &str, layout: &dyn Layout) -> Option<String> {
    /// How far above the root to look.
    const ABOVE: usize = 8;
    let mut dirs: Vec<String> = Vec::new();
    let mut dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        dirs.push(dir.to_string());
        if dir.is_empty() {
            break;
        }
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
    dirs.extend((1..=ABOVE).map(|up| "../".repeat(up).trim_end_matches('/').to_string()));
    for dir in dirs {
        let manifest = if dir.is_empty() {
            "package.json".to_string()
        } else {
            format!("{dir}/package.json")
        };
        if let Some(text) = layout.read(&manifest) {
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            return json.get("type")?.as_str().map(str::to_string);
        }
    }
    None
}

/// True when the program has an `import` or `export` statement.
fn has_module_syntax(root: Node) -> bool {
    let mut c = root.walk();
    let found = root
        .named_children(&mut c)
        .any(|n| matches!(n.kind(), "import_statement" | "export_statement"));
    found
}

/// What `check_plan` reads from a parse of the source.
struct Scan<'s> {
    /// The string, template (outside its substitutions), regex and comment
    /// ranges, sorted: an insert strictly inside one could turn the form's
    /// quotes into code.
    quiet: Vec<Range<usize>>,
    /// The texts of the functions' declared return types (TypeScript), the
    /// only ones a [`forms::RETURN_TYPED`] insert may hold.
    return_types: HashSet<&'s str>,
}

fn scan(dialect: Dialect, source: &str) -> Result<Scan<'_>, String> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&dialect.grammar())
        .map_err(|e| e.to_string())?;
    let tree = parser
        .parse(source, None)
        .ok_or("the parser gave up on the source")?;
    let mut out = Vec::new();
    let mut return_types = HashSet::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "string" | "regex" | "comment" | "jsx_text" => out.push(n.byte_range()),
            "template_string" => {
                // The text between substitutions.
                let mut from = n.start_byte();
                let mut c = n.walk();
                for s in n.named_children(&mut c) {
                    if s.kind() == "template_substitution" {
                        out.push(from..s.start_byte() + 2);
                        stack.push(s);
                        from = s.end_byte() - 1;
                    }
                }
                out.push(from..n.end_byte());
            }
            _ => {
                if n.kind() == "type_annotation"
                    && n.parent()
                        .and_then(|p| p.child_by_field_name("return_type"))
                        == Some(n)
                {
                    if let Some(ty) = n.named_child(0) {
                        return_types.insert(text(source, ty));
                    }
                }
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
    }
    out.sort_by_key(|r| r.start);
    Ok(Scan {
        quiet: out,
        return_types,
    })
}

/// The return type a typed return helper in `text` names, if it has one
/// (`__ct.r<(T)>(__ct_s, `).
fn typed_return_in(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("__ct.r<(")?;
    rest.rsplit_once(")>(__ct_s, ").map(|(ty, _)| ty)
}

struct Fields {
    alternative: u16,
    argument: u16,
    body: u16,
    consequence: u16,
    key: u16,
    left: u16,
    name: u16,
    operator: u16,
    parameter: u16,
    parameters: u16,
    pattern: Option<u16>,
    /// A JavaScript class field's name (TypeScript's is its `name`).
    property: Option<u16>,
    right: u16,
    value: u16,
}

fn fields(dialect: Dialect) -> &'static Fields {
    static FIELDS: [OnceLock<Fields>; 3] = [const { OnceLock::new() }; 3];
    FIELDS[dialect as usize].get_or_init(|| {
        let grammar = dialect.grammar();
        let id = |name: &str| field_id(&grammar, name);
        Fields {
            alternative: id("alternative"),
            argument: id("argument"),
            body: id("body"),
            consequence: id("consequence"),
            key: id("key"),
            left: id("left"),
            name: id("name"),
            operator: id("operator"),
            parameter: id("parameter"),
            parameters: id("parameters"),
            // A TypeScript parameter's name or pattern.
            pattern: grammar.field_id_for_name("pattern").map(|f| f.get()),
            property: grammar.field_id_for_name("property").map(|f| f.get()),
            right: id("right"),
            value: id("value"),
        }
    })
}

/// What the function being walked is, for the inserts that name its span.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Span {
    /// Module code, or a function without a span: nothing names `__ct_s`.
    #[default]
    None,
    /// A function with a span; `await` and `yield` suspend it when they are its own.
    Open {
        is_async: bool,
        is_generator: bool,
        /// A TypeScript generator without a return type, where a `yield`
        /// whose value is used takes its type from where it stands (see
        /// [`SKIP_UNTYPED_YIELD`]).
        untyped_yield: bool,
        /// Where the text of its return type is, for [`forms::RETURN_TYPED`].
        return_type: Option<(usize, usize)>,
        /// Its `return` is left as it is (see `may_infer_predicate`).
        bare_return: bool,
    },
}

#[derive(Clone, Default)]
struct Scope {
    unit: usize,
    /// The qualified-name prefix: `outer.<locals>.`, `Class.`.
    qual: String,
    span: Span,
}

struct Planner<'a> {
    base: Base<'a>,
    ctx: &'a PlanContext,
    dialect: Dialect,
    /// The file's path as a string literal, for every event.
    file: String,
    f: &'static Fields,
    /// Statements (by start) whose variable event went into braces that an
    /// arm or a loop added around them.
    braced: HashSet<usize>,
    /// Where code starts that the TypeScript grammar reads wrong (with no
    /// error node), or that [`SKIP_UNTYPED_YIELD`] leaves alone, and why:
    /// its function is left alone.
    misread: Vec<(usize, &'static str)>,
}

fn is_word_char(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphanumeric()
}

fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "generator_function"
            | "generator_function_declaration"
            | "arrow_function"
            | "method_definition"
            | "class_static_block"
    )
}

/// True for a node that holds a list of statements (where a statement may be added).
fn is_statement_list(kind: &str) -> bool {
    matches!(
        kind,
        "program" | "statement_block" | "switch_case" | "switch_default"
    )
}

impl<'a> Walk<'a> for Planner<'a> {
    type Scope = Scope;
    fn base(&mut self) -> &mut Base<'a> {
        &mut self.base
    }

    fn visit(&mut self, n: Node<'a>, sc: &Scope) {
        let kind = n.kind();
        if kind == "arrow_function" && self.dialect.is_typescript() && is_callee(n) {
            self.misread.push((n.start_byte(), SKIP_ARROW_CALLEE));
        }
        if is_function(kind) {
            return self.function(n, sc);
        }
        match kind {
            // TypeScript's shapes that hold no code to run.
            "ambient_declaration"
            | "interface_declaration"
            | "type_alias_declaration"
            | "enum_declaration"
            | "function_signature"
            | "method_signature"
            | "abstract_method_signature"
                if self.dialect.is_typescript() =>
            {
                return
            }
            "assignment_expression" if self.dialect.is_typescript() && is_using(n) => {
                self.misread.push((n.start_byte(), SKIP_USING));
            }
            "non_null_expression" if misread_non_null(n) => {
                self.misread.push((n.start_byte(), SKIP_NON_NULL));
            }
            "class_declaration" | "class" | "abstract_class_declaration" => {
                let name = n
                    .child_by_field_id(self.f.name)
                    .map(|x| text(self.src(), x).to_string())
                    .or_else(|| self.inferred_name(n))
                    .unwrap_or_else(|| "<anonymous>".into());
                let inner = Scope {
                    qual: format!("{}{name}.", sc.qual),
                    ..sc.clone()
                };
                return self.visit_children(n, &inner);
            }
            "if_statement" => self.if_arms(n, sc),
            "switch_statement" => self.switch_cases(n, sc),
            "ternary_expression" => self.ternary(n, sc),
            "binary_expression" => self.logical(n, sc),
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                self.loop_body(n, sc);
                self.suspend_around_for_await(n, sc);
            }
            "catch_clause" => {
                self.resume_in(n, sc);
                self.catch(n, sc);
            }
            "finally_clause" => self.resume_in(n, sc),
            "lexical_declaration" | "variable_declaration" | "expression_statement" => {
                self.variables(n, sc)
            }
            "return_statement" => self.return_value(n, sc),
            "await_expression" | "yield_expression" => self.suspension(n, sc),
            _ => {}
        }
        self.visit_children(n, sc);
    }
}

impl<'a> Planner<'a> {
    fn src(&self) -> &'a str {
        self.base.src
    }

    /// The name a function or class gets from where it is defined.
    fn inferred_name(&self, n: Node<'a>) -> Option<String> {
        let p = n.parent()?;
        let f = self.f;
        let name = match p.kind() {
            "variable_declarator" => p.child_by_field_id(f.name)?,
            "assignment_expression" => p.child_by_field_id(f.left)?,
            "pair" => p.child_by_field_id(f.key)?,
            "field_definition" => p.child_by_field_id(f.property?)?,
            "public_field_definition" => p.child_by_field_id(f.name)?,
            "export_statement" => return Some("default".into()),
            _ => return None,
        };
        let t = text(self.src(), name);
        (t.len() <= 80 && !t.contains('\n')).then(|| t.trim_matches(['"', '\'']).to_string())
    }

    fn function(&mut self, n: Node<'a>, sc: &Scope) {
        let f = self.f;
        let src = self.src();
        let kind = n.kind();
        let mut is_async = false;
        let mut is_generator = kind.starts_with("generator");
        let mut accessor = None;
        let mut is_static = false;
        let mut c = n.walk();
        for t in n.children(&mut c) {
            match t.kind() {
                "async" => is_async = true,
                "*" => is_generator = true,
                "get" => accessor = Some("getter"),
                "set" => accessor = Some("setter"),
                "static" => is_static = true,
                _ => {}
            }
            if t.is_named() && t.kind() != "decorator" {
                break;
            }
        }
        let own_name = match kind {
            "class_static_block" => Some("<static>".to_string()),
            _ => n
                .child_by_field_id(f.name)
                .map(|x| text(src, x).trim_matches(['"', '\'']).to_string()),
        };
        let name = own_name
            .or_else(|| self.inferred_name(n))
            .unwrap_or_else(|| "<anonymous>".into());
        let qual = format!("{}{name}", sc.qual);
        let span_kind = match kind {
            "class_static_block" => "static_block",
            "method_definition" if name == "constructor" && !is_static => "constructor",
            "method_definition" => accessor.unwrap_or(match (is_async, is_generator) {
                (true, true) => "async_generator",
                (true, false) => "async",
                (false, true) => "generator",
                _ => "method",
            }),
            _ => match (is_async, is_generator, kind == "arrow_function") {
                (true, true, _) => "async_generator",
                (true, false, _) => "async",
                (false, true, _) => "generator",
                (false, false, true) => "arrow",
                _ => "function",
            },
        };
        let unit = self.base.units.len();
        self.base.units.push(Unit {
            name: qual.clone(),
            lines: (line_of(n), last_row(n) as u32 + 1),
            bytes: n.byte_range(),
            inserts: Vec::new(),
            points: Vec::new(),
            selected: true,
        });
        let mut inner = Scope {
            unit,
            qual: format!("{qual}.<locals>."),
            span: Span::None,
        };
        let wanted = self.ctx.wants(PointKind::Function);
        let body = n.child_by_field_id(f.body);
        if let (true, Some(body)) = (wanted, body) {
            let line = line_of(n);
            let mut point = Point::instrumented(PointKind::Function, line);
            // TypeScript refuses `arguments` in an async function when it
            // compiles for ES5 (TS2522): the parameters' values go instead.
            let by_value = kind == "arrow_function" || (is_async && self.dialect.is_typescript());
            let (params, args) = self.parameters(n, kind, by_value);
            let return_type = self.typed_return(n, is_async || is_generator);
            let bare_return = self.may_infer_predicate(n, body);
            let site = [
                &self.file as &dyn std::fmt::Display,
                &line,
                &quote(&qual),
                &quote(span_kind),
                &quote(&params),
                &args,
            ];
            let inserts: Vec<Insert> = if body.kind() == "statement_block" {
                if block_scope_conflict(src, body) {
                    point.skip(SKIP_BLOCK_FUNCTION);
                } else if self.dialect.is_typescript() && declares_function(body) {
                    point.skip(SKIP_ES5_BLOCK_FUNCTION);
                }
                let (at, lead) = match self.root_super_call(body, span_kind) {
                    Some(call) => (statement_end(call), self.lead_after(call)),
                    None => self.after_directives(body),
                };
                vec![
                    Insert::after(at, format!("{lead}{}", forms::OPEN.fill(&site))),
                    Insert::before(closing_brace(body), forms::CLOSE.fill(&[])),
                ]
            } else {
                let (open, close) = match return_type.filter(|_| holds_function(body)) {
                    _ if bare_return => {
                        (forms::ARROW_OPEN_BARE.fill(&site), &forms::ARROW_CLOSE_BARE)
                    }
                    Some((from, to)) => {
                        let ty = &src[from..to];
                        let typed: Vec<&dyn std::fmt::Display> =
                            site.iter().copied().chain([&ty as _]).collect();
                        (forms::ARROW_OPEN_TYPED.fill(&typed), &forms::ARROW_CLOSE)
                    }
                    None => (forms::ARROW_OPEN.fill(&site), &forms::ARROW_CLOSE),
                };
                Insert::wrap(body.byte_range(), open, close.fill(&[])).into()
            };
            let opened = point.skipped.is_none();
            self.base.push(unit, point, inserts);
            // A point skipped for a syntax error inserts nothing either.
            if opened && !self.base.units[unit].inserts.is_empty() {
                inner.span = Span::Open {
                    is_async,
                    is_generator,
                    untyped_yield: self.dialect.is_typescript()
                        && n.child_by_field_name("return_type").is_none()
                        // A generator passed as an argument takes its
                        // type from the parameter (`Effect.gen(function* ...)`).
                        && n.parent().is_none_or(|p| p.kind() != "arguments"),
                    return_type,
                    bare_return,
                };
            }
        }
        self.visit_children(n, &inner);
    }

    /// The parameter names (`a,b,...rest`, with "" for a pattern) and what
    /// the span reads their values from: `arguments`, or for an arrow an
    /// array of its parameters (`null` when one is a pattern).
    fn parameters(&self, n: Node<'a>, kind: &str, by_value: bool) -> (String, String) {
        let src = self.src();
        let mut names = Vec::new();
        let mut simple = true;
        if let Some(p) = n.child_by_field_id(self.f.parameter) {
            names.push(text(src, p).to_string()); // `x => ...`
        } else if let Some(ps) = n.child_by_field_id(self.f.parameters) {
            let mut c = ps.walk();
            for p in ps.named_children(&mut c) {
                // A TypeScript parameter holds its name or pattern (and a
                // type, modifiers, a default); `this: T` is no parameter.
                let p = match (p.kind(), self.f.pattern) {
                    ("required_parameter" | "optional_parameter", Some(pattern)) => {
                        match p.child_by_field_id(pattern) {
                            Some(x) if x.kind() == "this" => continue,
                            Some(x) => x,
                            None => continue,
                        }
                    }
                    _ => p,
                };
                let (name, rest) = match p.kind() {
                    "identifier" => (Some(p), ""),
                    "assignment_pattern" => (p.child_by_field_id(self.f.left), ""),
                    "rest_pattern" => (p.named_child(0), "..."),
                    "comment" => continue,
                    _ => (None, ""),
                };
                match name.filter(|x| x.kind() == "identifier") {
                    Some(x) => names.push(format!("{rest}{}", text(src, x))),
                    None => {
                        simple = false;
                        names.push(String::new());
                    }
                }
            }
        }
        let ascii = names.iter().all(|n| {
            n.trim_start_matches('.')
                .chars()
                .all(|c| is_word_char(c) && c.is_ascii())
        });
        let args = match kind {
            "class_static_block" => "null".to_string(),
            _ if by_value && simple && ascii && !names.is_empty() => format!(
                "[{}]",
                names
                    .iter()
                    .map(|n| n.trim_start_matches('.'))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ if by_value => "null".to_string(),
            _ => "arguments".to_string(),
        };
        (names.join(","), args)
    }

    /// In TypeScript, a derived class's constructor whose `super(...)` call
    /// is a statement of its body: the span opens after that statement,
    /// since TypeScript wants the call at the body's top level (TS2401,
    /// when the class has parameter properties or initialised fields).
    fn root_super_call(&self, body: Node<'a>, span_kind: &str) -> Option<Node<'a>> {
        if !self.dialect.is_typescript() || span_kind != "constructor" {
            return None;
        }
        let mut c = body.walk();
        let found = body.named_children(&mut c).find(|s| {
            s.kind() == "expression_statement"
                && s.named_child(0).is_some_and(|call| {
                    call.kind() == "call_expression"
                        && call
                            .child_by_field_name("function")
                            .is_some_and(|f| f.kind() == "super")
                })
        });
        found
    }

    /// What goes before a statement added after `s`: `; ` when `s` ends
    /// without one.
    fn lead_after(&self, s: Node<'a>) -> &'static str {
        if ends_with_semicolon(self.src(), s) {
            " "
        } else {
            "; "
        }
    }

    /// In TypeScript, where the text of a function's declared return type
    /// is, when its `return`s can pass it on ([`forms::RETURN_TYPED`]): a
    /// plain type (not a type predicate or `asserts`) on one line, without
    /// a comment, of a function that is neither async nor a generator
    /// (whose `return`s do not have the declared type).
    fn typed_return(&self, n: Node<'a>, suspends: bool) -> Option<(usize, usize)> {
        if !self.dialect.is_typescript() || suspends {
            return None;
        }
        let annotation = n.child_by_field_name("return_type")?;
        if annotation.kind() != "type_annotation" {
            return None;
        }
        let ty = annotation.named_children(&mut annotation.walk()).next()?;
        let t = text(self.src(), ty);
        let plain = !t.contains(['\n', '\r']) && !t.contains("//") && !t.contains("/*");
        plain.then(|| (ty.start_byte(), ty.end_byte()))
    }

    /// In TypeScript, true for a function whose one `return` TypeScript
    /// may read as a type predicate of a parameter (TypeScript 5.5 infers
    /// `(x) => x !== undefined` as `x is T`, which `filter` then keeps): a
    /// function without a return type, with parameters, with one returned
    /// value, which is a negation, a comparison, `instanceof`, `in`, `&&`
    /// or `||` (or, for a function passed as an argument, a call, which may
    /// be a type guard's). That value is returned as it is, unrecorded:
    /// inside the return helper it would be no predicate.
    fn may_infer_predicate(&self, n: Node<'a>, body: Node<'a>) -> bool {
        let has_parameters = n.child_by_field_id(self.f.parameter).is_some()
            || n.child_by_field_id(self.f.parameters)
                .is_some_and(|p| p.named_child_count() > 0);
        if !self.dialect.is_typescript()
            || n.child_by_field_name("return_type").is_some()
            || !has_parameters
        {
            return false;
        }
        let value = if body.kind() == "statement_block" {
            let mut returns = Vec::new();
            returns_of(body, &mut returns);
            match returns.as_slice() {
                [r] => match r
                    .named_children(&mut r.walk())
                    .find(|c| c.kind() != "comment")
                {
                    Some(v) => v,
                    None => return false,
                },
                _ => return false,
            }
        } else {
            body
        };
        let mut v = value;
        while v.kind() == "parenthesized_expression" {
            match v.named_child(0) {
                Some(inner) => v = inner,
                None => return false,
            }
        }
        let operator = v.child_by_field_id(self.f.operator).map(|o| o.kind());
        match v.kind() {
            "unary_expression" => operator == Some("!"),
            "binary_expression" => matches!(
                operator,
                Some(
                    "==="
                        | "!=="
                        | "=="
                        | "!="
                        | "<"
                        | "<="
                        | ">"
                        | ">="
                        | "instanceof"
                        | "in"
                        | "&&"
                        | "||"
                )
            ),
            "call_expression" => n.parent().is_some_and(|p| p.kind() == "arguments"),
            _ => false,
        }
    }

    /// Where a span opens in a body: after its `{`, or after its directive
    /// prologue (`"use strict";`), with what goes first (`; ` after a
    /// directive without one).
    fn after_directives(&self, body: Node<'a>) -> (usize, &'static str) {
        let mut at = body.start_byte() + 1;
        let mut lead = " ";
        let mut c = body.walk();
        for s in body.named_children(&mut c) {
            if s.kind() == "comment" {
                continue;
            }
            if s.kind() != "expression_statement" || !is_directive(s) {
                break;
            }
            at = statement_end(s);
            lead = if ends_with_semicolon(self.src(), s) {
                " "
            } else {
                "; "
            };
        }
        (at, lead)
    }

    /// The runtime binding, before the program's first statement (after a
    /// shebang and the directive prologue).
    fn header(&self, root: Node<'a>, esm: bool, path: &str) -> Option<(Insert, u32)> {
        let forms = if esm {
            (&forms::IMPORT, &forms::IMPORT_FIRST)
        } else {
            (&forms::REQUIRE, &forms::REQUIRE_FIRST)
        };
        self.binding(root, forms, path)
    }

    /// A TypeScript file's binding: `import * as __ct from "..."`, or
    /// `import __ct = require("...")` in a file written for CommonJS (a
    /// `.cts` file, or one with `import x = require` or `export =`, which is
    /// what `verbatimModuleSyntax` asks of CommonJS), with the runtime's
    /// path spelled as the file spells its own relative imports (`.js`,
    /// `.ts`, or no extension). A script (no `import` or `export`) is not
    /// made a module: it gets no binding.
    fn ts_header(
        &self,
        root: Node<'a>,
        system: &str,
        path: &str,
    ) -> Result<Option<(Insert, u32)>, &'static str> {
        let src = self.src();
        let ext = self.ctx.rel_path.rsplit_once('.').map_or("", |(_, e)| e);
        let (mut module, mut commonjs) = (matches!(ext, "mts" | "cts"), ext == "cts");
        let mut spelled: Option<&str> = None;
        let mut c = root.walk();
        for s in root.named_children(&mut c) {
            if !matches!(s.kind(), "import_statement" | "export_statement") {
                continue;
            }
            module = true;
            let mut source = s.child_by_field_name("source");
            let mut cc = s.walk();
            for t in s.children(&mut cc) {
                match t.kind() {
                    "import_require_clause" => {
                        commonjs = true;
                        source = t.child_by_field_name("source");
                    }
                    "=" => commonjs = true, // `export = x`
                    _ => {}
                }
            }
            let spec = source.map_or("", |x| text(src, x).trim_matches(['"', '\'']));
            if spelled.is_none() && (spec.starts_with("./") || spec.starts_with("../")) {
                spelled = import_extension(spec);
            }
        }
        if !module {
            return Err(SKIP_SCRIPT);
        }
        let ext = spelled.unwrap_or(if system == ESM { ".js" } else { "" });
        let forms = if commonjs {
            (&forms::TS_REQUIRE, &forms::TS_REQUIRE_FIRST)
        } else {
            (&forms::TS_IMPORT, &forms::TS_IMPORT_FIRST)
        };
        Ok(self.binding(root, forms, &format!("{path}{ext}")))
    }

    /// The binding `forms.0` of the runtime at `path`, before the program's
    /// first statement (after a shebang and the directive prologue), or
    /// `forms.1` where nothing comes before it.
    fn binding(
        &self,
        root: Node<'a>,
        (form, first): (&Form, &Form),
        path: &str,
    ) -> Option<(Insert, u32)> {
        let path = quote(path);
        let text = form.fill(&[&path]);
        let src = self.src();
        let after_directive = |d: Node| {
            let lead = if ends_with_semicolon(src, d) {
                " "
            } else {
                "; "
            };
            Insert::after(statement_end(d), format!("{lead}{text}"))
        };
        let mut c = root.walk();
        let mut directive: Option<Node> = None;
        for s in root.named_children(&mut c) {
            match s.kind() {
                "comment" | "hash_bang_line" => continue,
                "expression_statement" if is_directive(s) => directive = Some(s),
                _ => {
                    let at = match directive {
                        Some(d) => after_directive(d),
                        None => Insert::before(s.start_byte(), first.fill(&[&path])),
                    };
                    return Some((at, 0));
                }
            }
        }
        directive.map(|d| (after_directive(d), 0))
    }

    // ------------------------------------------------------------ branches

    /// A point whose event goes first in a block: after the block's `{`
    /// (`event`), or, for a body written without braces, in braces added
    /// around it (`brace_open`, which holds the same event). The body's own
    /// variable event then goes last inside the braces, and its point is
    /// recorded here, instrumented as the braces are.
    fn push_first_in(
        &mut self,
        unit: usize,
        point: Point,
        body: Node<'a>,
        event: String,
        brace_open: String,
    ) {
        if body.kind() == "statement_block" {
            let ins = Insert::after(body.start_byte() + 1, format!(" {event}"));
            return self.base.push(unit, point, [ins]);
        }
        let var = self.var_event(body);
        let close = match &var {
            Some(v) => format!("{v} }}"),
            None => forms::BRACE_CLOSE.fill(&[]),
        };
        let range = body.start_byte()..statement_end(body);
        self.base
            .push(unit, point, Insert::wrap(range, brace_open, close));
        if var.is_some() {
            self.braced.insert(body.start_byte());
            let braced = self.base.units[unit]
                .points
                .last()
                .is_some_and(|p| p.skipped.is_none());
            let mut point = Point::instrumented(PointKind::Variable, line_of(body));
            if !braced {
                point.skip(super::kit::SKIP_SYNTAX_POINT);
            }
            self.base.units[unit].points.push(point);
        }
    }

    /// An `if`'s or `else`'s arm: its branch event first in it.
    fn push_arm(&mut self, unit: usize, line: u32, body: Node<'a>, site: u32, arm: usize) {
        let args = [&self.file as &dyn std::fmt::Display, &site, &arm];
        let point = Point::branch(line, site, [arm as i64]);
        self.push_first_in(
            unit,
            point,
            body,
            forms::B.fill(&args),
            forms::BRACE_B.fill(&args),
        );
    }

    fn if_arms(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let site = line_of(n);
        if let Some(then) = n.child_by_field_id(self.f.consequence) {
            self.push_arm(sc.unit, site, then, site, 0);
        }
        if let Some(alt) = n.child_by_field_id(self.f.alternative) {
            if let Some(body) = alt
                .named_children(&mut alt.walk())
                .find(|c| c.kind() != "comment")
            {
                self.push_arm(sc.unit, line_of(alt), body, site, 1);
            }
        }
    }

    fn switch_cases(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let site = line_of(n);
        let Some(body) = n.child_by_field_id(self.f.body) else {
            return;
        };
        let mut c = body.walk();
        let cases: Vec<Node> = body
            .named_children(&mut c)
            .filter(|x| matches!(x.kind(), "switch_case" | "switch_default"))
            .collect();
        for (arm, case) in cases.into_iter().enumerate() {
            let mut cc = case.walk();
            let colon = case.children(&mut cc).find(|t| t.kind() == ":");
            if let Some(colon) = colon {
                let ins = Insert::after(
                    colon.end_byte(),
                    format!(" {}", forms::B.fill(&[&self.file, &site, &arm])),
                );
                self.base.push(
                    sc.unit,
                    Point::branch(line_of(case), site, [arm as i64]),
                    [ins],
                );
            }
        }
    }

    fn expression_arm(&self, e: Node<'a>, site: u32, arm: usize) -> [Insert; 2] {
        self.base.wrap(
            e.byte_range(),
            forms::B_EXPR.fill(&[&self.file, &site, &arm]),
            forms::PAREN.fill(&[]),
            is_word_char,
        )
    }

    fn ternary(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let site = line_of(n);
        for (arm, field) in [self.f.consequence, self.f.alternative]
            .into_iter()
            .enumerate()
        {
            if let Some(e) = n.child_by_field_id(field) {
                let inserts = self.expression_arm(e, site, arm);
                self.base.push(
                    sc.unit,
                    Point::branch(line_of(e), site, [arm as i64]),
                    inserts,
                );
            }
        }
    }

    fn logical(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Branch) {
            return;
        }
        let op = n.child_by_field_id(self.f.operator).map(|o| o.kind());
        if !matches!(op, Some("&&" | "||" | "??")) {
            return;
        }
        if let Some(right) = n.child_by_field_id(self.f.right) {
            let site = line_of(n);
            let inserts = self.expression_arm(right, site, 0);
            self.base
                .push(sc.unit, Point::branch(line_of(right), site, [0]), inserts);
        }
    }

    // ------------------------------------------------------------ loops

    fn loop_body(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Loop) {
            return;
        }
        let Some(body) = n.child_by_field_id(self.f.body) else {
            return;
        };
        let kind = match n.kind() {
            "for_statement" => "for",
            "while_statement" => "while",
            "do_statement" => "do",
            _ => {
                let mut c = n.walk();
                let tokens: Vec<&str> = n.children(&mut c).map(|t| t.kind()).collect();
                if tokens.contains(&"await") {
                    "for_await"
                } else if tokens.contains(&"of") {
                    "for_of"
                } else {
                    "for_in"
                }
            }
        };
        let site = line_of(n);
        let args = [&self.file as &dyn std::fmt::Display, &site, &quote(kind)];
        let point = Point::instrumented(PointKind::Loop, site);
        let (event, brace_open) = (forms::LI.fill(&args), forms::BRACE_LI.fill(&args));
        self.push_first_in(sc.unit, point, body, event, brace_open);
    }

    /// A `for await` of an async function with a span awaits at its head,
    /// where no `await` of the source is: the span is put back before the
    /// loop and at the end of each pass (`__ct.aw(__ct_s);`), and made
    /// current again first in each pass and after the loop. (A `continue`
    /// skips the end of the pass: that one wait keeps the span current.)
    fn suspend_around_for_await(&mut self, n: Node<'a>, sc: &Scope) {
        if !matches!(sc.span, Span::Open { is_async: true, .. }) || n.kind() != "for_in_statement" {
            return;
        }
        let mut c = n.walk();
        let is_await = n.children(&mut c).any(|t| t.kind() == "await");
        let Some(body) = n.child_by_field_id(self.f.body) else {
            return;
        };
        // The loop with its labels, in a list of statements.
        let mut stmt = n;
        while let Some(p) = stmt.parent().filter(|p| p.kind() == "labeled_statement") {
            stmt = p;
        }
        let in_list = stmt.parent().is_some_and(|p| is_statement_list(p.kind()));
        if !is_await || !in_list || body.kind() != "statement_block" {
            return;
        }
        let suspend = forms::SUSPEND_HERE.fill(&[]);
        let resume = forms::RESUME_HERE.fill(&[]);
        let inserts = [
            Insert::before(stmt.start_byte(), format!("{suspend} ")),
            Insert::after(body.start_byte() + 1, format!(" {resume}")),
            // (`; ` first: the pass's last statement may end without one)
            Insert::before(closing_brace(body), format!("; {suspend} ")),
            Insert::after(stmt.end_byte(), format!(" {resume}")),
        ];
        if !self.base.in_error(stmt.start_byte(), stmt.end_byte()) {
            self.base.units[sc.unit].inserts.extend(inserts);
        }
    }

    // ------------------------------------------------------------ exceptions

    fn catch(&mut self, n: Node<'a>, sc: &Scope) {
        if !self.ctx.wants(PointKind::Exception) {
            return;
        }
        let Some(body) = n.child_by_field_id(self.f.body) else {
            return;
        };
        let line = line_of(n);
        let param = n
            .child_by_field_id(self.f.parameter)
            .filter(|p| p.kind() == "identifier")
            .map(|p| text(self.src(), p))
            .filter(|p| p.chars().all(|c| is_word_char(c) && c.is_ascii()));
        let event = match param {
            Some(p) => forms::C.fill(&[&self.file, &line, &p]),
            None => forms::C_NONE.fill(&[&self.file, &line]),
        };
        let ins = Insert::after(body.start_byte() + 1, format!(" {event}"));
        self.base.push(
            sc.unit,
            Point::instrumented(PointKind::Exception, line),
            [ins],
        );
    }

    /// `__ct.ar(__ct_s);` first in a `catch` or `finally` block of a
    /// function whose span an `await` or `yield` suspends (see
    /// [`forms::RESUME_HERE`]).
    fn resume_in(&mut self, n: Node<'a>, sc: &Scope) {
        let suspends = matches!(sc.span, Span::Open { is_async, is_generator, .. } if is_async || is_generator);
        if let (true, Some(body)) = (suspends, n.child_by_field_id(self.f.body)) {
            let ins = Insert::after(
                body.start_byte() + 1,
                format!(" {}", forms::RESUME_HERE.fill(&[])),
            );
            self.base.units[sc.unit].inserts.push(ins);
        }
    }

    // ------------------------------------------------------------ variables

    /// A declaration or an assignment statement: its variables after it.
    /// The variables a declaration or an assignment statement sets, as the
    /// event to append to it (with `; ` first where it has none), or None.
    fn var_event(&self, n: Node<'a>) -> Option<String> {
        if !self.ctx.wants(PointKind::Variable)
            || !matches!(
                n.kind(),
                "lexical_declaration" | "variable_declaration" | "expression_statement"
            )
        {
            return None;
        }
        let mut names = Vec::new();
        let src = self.src();
        if n.kind() == "expression_statement" {
            let e = n.named_child(0)?;
            let exprs: Vec<Node> = if e.kind() == "sequence_expression" {
                let mut c = e.walk();
                e.named_children(&mut c).collect()
            } else {
                vec![e]
            };
            for e in exprs {
                let target = match e.kind() {
                    "assignment_expression" | "augmented_assignment_expression" => {
                        e.child_by_field_id(self.f.left)
                    }
                    "update_expression" => e.child_by_field_id(self.f.argument),
                    _ => None,
                };
                if let Some(t) = target {
                    bound_names(src, t, &mut names);
                }
            }
        } else {
            let mut c = n.walk();
            for d in n.named_children(&mut c) {
                let Some(value) = d.child_by_field_id(self.f.value) else {
                    continue;
                };
                // In TypeScript, `let a = []` (or `= null`) without a type
                // has a type that evolves with what is assigned next; read
                // before that, it is an implicit `any` (TS7005).
                let evolving = self.dialect.is_typescript()
                    && d.child_by_field_name("type").is_none()
                    && (matches!(value.kind(), "null" | "undefined")
                        || (value.kind() == "array" && value.named_child_count() == 0));
                if d.kind() == "variable_declarator" && !evolving {
                    if let Some(name) = d.child_by_field_id(self.f.name) {
                        bound_names(src, name, &mut names);
                    }
                }
            }
        }
        names.retain(|n| n.chars().all(|c| is_word_char(c) && c.is_ascii()) && n != "undefined");
        if names.is_empty() {
            return None;
        }
        let pairs: String = names
            .iter()
            .map(|n| format!(", {}, {n}", quote(n)))
            .collect();
        let lead = if ends_with_semicolon(self.src(), n) {
            " "
        } else {
            "; "
        };
        Some(format!(
            "{lead}{}",
            forms::V.fill(&[&self.file, &line_of(n), &pairs])
        ))
    }

    /// A declaration or an assignment statement: its variables after it.
    fn variables(&mut self, n: Node<'a>, sc: &Scope) {
        if self.braced.contains(&n.start_byte()) {
            return; // its event is in the braces an arm or loop added around it
        }
        let Some(event) = self.var_event(n) else {
            return;
        };
        let line = line_of(n);
        // The statement's place: in a list of statements, or the whole body
        // of an arm or loop (whose braces, added by the branch or loop, would
        // close before it), or the declaration of an `export`.
        let holder = match n.parent() {
            Some(p) if p.kind() == "export_statement" => p,
            _ => n,
        };
        let parent = holder.parent();
        let in_list = parent.is_some_and(|p| is_statement_list(p.kind()));
        let mut point = Point::instrumented(PointKind::Variable, line);
        if !in_list {
            let is_body = parent.is_some_and(|p| p.child_by_field_id(self.f.body) == Some(holder))
                || parent.is_some_and(|p| matches!(p.kind(), "if_statement" | "else_clause"));
            if !is_body {
                return; // a loop's own head (`for (let i = 0; ...)`): not a statement
            }
            point.skip(SKIP_UNBRACED);
        }
        let ins = Insert::after(statement_end(holder), event);
        self.base.push(sc.unit, point, [ins]);
    }

    // ------------------------------------------------------------ spans

    fn return_value(&mut self, n: Node<'a>, sc: &Scope) {
        if matches!(
            sc.span,
            Span::None
                | Span::Open {
                    bare_return: true,
                    ..
                }
        ) {
            return;
        }
        let Some(value) = n
            .named_children(&mut n.walk())
            .find(|c| c.kind() != "comment")
        else {
            return;
        };
        // Only a value with a function in it needs the return type passed
        // on (the function's parameters take their types from it); any
        // other keeps the plain helper, whose mismatches tsc reports as the
        // original's (TS2322, where a typed helper's would be TS2345).
        let return_type = match sc.span {
            Span::Open {
                return_type: Some((from, to)),
                ..
            } if holds_function(value) => Some(&self.src()[from..to]),
            _ => None,
        };
        let inserts = match (value.kind() == "sequence_expression", return_type) {
            (true, None) => Insert::wrap(
                value.byte_range(),
                forms::PAREN_SEQ_OPEN.fill(&[]),
                forms::PAREN2.fill(&[]),
            ),
            (true, Some(t)) => Insert::wrap(
                value.byte_range(),
                forms::PAREN_SEQ_OPEN_TYPED.fill(&[&t]),
                forms::PAREN2.fill(&[]),
            ),
            (false, t) => {
                let open = match t {
                    Some(t) => forms::RETURN_TYPED.fill(&[&t]),
                    None => forms::RETURN.fill(&[]),
                };
                self.base.wrap(
                    value.byte_range(),
                    open,
                    forms::PAREN.fill(&[]),
                    is_word_char,
                )
            }
        };
        self.base.units[sc.unit].inserts.extend(inserts);
    }

    fn suspension(&mut self, n: Node<'a>, sc: &Scope) {
        let Span::Open {
            is_async,
            is_generator,
            untyped_yield,
            ..
        } = sc.span
        else {
            return;
        };
        let is_yield = n.kind() == "yield_expression";
        if !(if is_yield { is_generator } else { is_async }) {
            return;
        }
        let operand = n
            .named_children(&mut n.walk())
            .find(|c| c.kind() != "comment");
        let suspend = operand.map(|x| {
            Insert::wrap(
                x.byte_range(),
                forms::SUSPEND.fill(&[]),
                forms::PAREN.fill(&[]),
            )
        });
        let unit = &mut self.base.units[sc.unit].inserts;
        // In TypeScript a `yield` whose value goes into a call has no type
        // of its own (TS7057 in a generator without a return type), so
        // one whose value is unused is resumed beside it:
        // `yield __ct.aw(__ct_s, x), __ct.ar(__ct_s);`.
        // (In a list of statements: an arm or loop body without braces
        // gets braces that would close before the resumption.)
        let unused = n.parent().is_some_and(|p| {
            p.kind() == "expression_statement"
                && p.parent().is_some_and(|l| is_statement_list(l.kind()))
        });
        if is_yield && self.dialect.is_typescript() && unused {
            let resume = match operand {
                Some(_) => forms::RESUME_BESIDE.fill(&[]),
                None => forms::SUSPEND_NOTHING_BESIDE.fill(&[]),
            };
            unit.extend(suspend.into_iter().flatten());
            unit.push(Insert::after(n.end_byte(), resume));
            return;
        }
        // (A `yield*` has the type of what it delegates to.)
        let delegates = n.children(&mut n.walk()).any(|t| t.kind() == "*");
        if is_yield && untyped_yield && !delegates {
            self.misread.push((n.start_byte(), SKIP_UNTYPED_YIELD));
            return;
        }
        let close = match operand {
            Some(_) => forms::PAREN.fill(&[]),
            None => forms::SUSPEND_NOTHING.fill(&[]), // a bare `yield`
        };
        let mut inserts: Vec<Insert> = self
            .base
            .wrap(n.byte_range(), forms::RESUME.fill(&[]), close, is_word_char)
            .into();
        inserts.extend(suspend.into_iter().flatten());
        self.base.units[sc.unit].inserts.extend(inserts);
    }
}

/// Where a statement's code ends: past its `;`, before a comment that
/// tree-sitter counts in a statement without one.
fn statement_end(n: Node) -> usize {
    let mut end = n;
    while let Some(last) = last_child(end) {
        if last.kind() == "comment" {
            let mut prev = last.prev_sibling();
            while let Some(p) = prev.filter(|p| p.kind() == "comment") {
                prev = p.prev_sibling();
            }
            match prev {
                Some(p) => return statement_end(p),
                None => return end.start_byte(),
            }
        }
        if last.end_byte() != end.end_byte() {
            break;
        }
        end = last;
    }
    n.end_byte()
}

/// Where a block's `}` is: a comment after it on its line can belong to
/// the block in tree-sitter's tree (`} // note`).
fn closing_brace(block: Node) -> usize {
    let mut c = block.walk();
    let brace = block.children(&mut c).filter(|t| t.kind() == "}").last();
    brace.map_or(block.end_byte() - 1, |b| b.start_byte())
}

fn last_child(n: Node) -> Option<Node> {
    n.child(n.child_count().checked_sub(1)?)
}

/// True when the statement's code ends with its `;` (a missing one has no text).
fn ends_with_semicolon(src: &str, n: Node) -> bool {
    src[..statement_end(n)].ends_with(';')
}

/// How a relative import spells its extension: `.js` for a JavaScript
/// one (which TypeScript resolves to the `.ts` file), `.ts` for a
/// TypeScript one, "" for none; None when it says nothing (a `.json`).
fn import_extension(spec: &str) -> Option<&'static str> {
    let last = spec.rsplit('/').next().unwrap_or(spec);
    match last.rsplit_once('.').map(|(_, e)| e) {
        Some("js" | "jsx" | "mjs" | "cjs") => Some(".js"),
        Some("ts" | "tsx" | "mts" | "cts") => Some(".ts"),
        Some("json" | "css" | "svg" | "wasm" | "node") => None,
        _ => Some(""),
    }
}

/// A non-null assertion whose operand is an operator's expression: `x!`
/// binds tighter than any operator, so the grammar has read `!b!(c)` as
/// `(!b)!(c)` (a valid one would have parentheses).
fn misread_non_null(n: Node) -> bool {
    n.named_child(0).is_some_and(|x| {
        matches!(
            x.kind(),
            "unary_expression"
                | "binary_expression"
                | "ternary_expression"
                | "assignment_expression"
                | "augmented_assignment_expression"
                | "await_expression"
                | "yield_expression"
                | "arrow_function"
                | "as_expression"
                | "satisfies_expression"
                | "update_expression"
                | "sequence_expression"
        )
    })
}

/// True when an arrow function is what a call, a tagged template, a member
/// access or an index applies to, which it can only be in parentheses: the
/// grammar has cut a tagged template with type arguments out of its body.
fn is_callee(arrow: Node) -> bool {
    arrow.parent().is_some_and(|p| {
        matches!(
            p.kind(),
            "call_expression" | "member_expression" | "subscript_expression"
        ) && p.child(0) == Some(arrow)
    })
}

/// `using x = ...` (and so `await using`), which the TypeScript grammar
/// reads as an assignment with a `using` token first.
fn is_using(n: Node) -> bool {
    n.child(0).is_some_and(|t| t.kind() == "using")
}

/// A statement of a directive prologue: a string alone (`"use strict";`).
fn is_directive(s: Node) -> bool {
    s.named_child(0).map(|x| x.kind()) == Some("string")
        && s.named_children(&mut s.walk())
            .filter(|x| x.kind() != "comment")
            .count()
            == 1
}

/// The variables a target or pattern binds.
fn bound_names(src: &str, n: Node, out: &mut Vec<String>) {
    match n.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.push(text(src, n).to_string())
        }
        "array_pattern" | "object_pattern" | "rest_pattern" | "parenthesized_expression" => {
            let mut c = n.walk();
            for x in n.named_children(&mut c) {
                bound_names(src, x, out);
            }
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(l) = n.child_by_field_name("left") {
                bound_names(src, l, out);
            }
        }
        "pair_pattern" => {
            if let Some(v) = n.child_by_field_name("value") {
                bound_names(src, v, out);
            }
        }
        _ => {}
    }
}

/// True when wrapping `body`'s statements in a `try` block would make a
/// syntax error: a function declared at its top level shares its name with
/// a `var` of the function or with another such declaration (legal in a
/// function body, an early error in a block).
fn block_scope_conflict(src: &str, body: Node) -> bool {
    let mut declared = HashSet::new();
    let mut c = body.walk();
    for s in body.named_children(&mut c) {
        if matches!(
            s.kind(),
            "function_declaration" | "generator_function_declaration"
        ) {
            if let Some(name) = s.child_by_field_name("name") {
                if !declared.insert(text(src, name)) {
                    return true;
                }
            }
        }
    }
    if declared.is_empty() {
        return false;
    }
    let mut vars = Vec::new();
    var_names(src, body, &mut vars);
    vars.iter().any(|v| declared.contains(v.as_str()))
}

/// The `return` statements of a function body, not those of the functions in it.
fn returns_of<'t>(n: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut c = n.walk();
    for x in n.named_children(&mut c) {
        if x.kind() == "return_statement" {
            out.push(x);
        } else if !is_function(x.kind()) && x.kind() != "class_body" {
            returns_of(x, out);
        }
    }
}

/// True when `n` is or holds a function expression (an arrow, say).
fn holds_function(n: Node) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if matches!(
            x.kind(),
            "arrow_function" | "function_expression" | "generator_function"
        ) {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// True when a statement of `body` declares a function.
fn declares_function(body: Node) -> bool {
    let mut c = body.walk();
    let found = body.named_children(&mut c).any(|s| {
        matches!(
            s.kind(),
            "function_declaration" | "generator_function_declaration"
        )
    });
    found
}

/// The names `var` declares in `n`, not entering nested functions.
fn var_names(src: &str, n: Node, out: &mut Vec<String>) {
    let mut c = n.walk();
    for x in n.named_children(&mut c) {
        if is_function(x.kind()) || x.kind() == "class_body" {
            continue;
        }
        if x.kind() == "variable_declaration" {
            let mut cc = x.walk();
            for d in x.named_children(&mut cc) {
                if let Some(name) = d.child_by_field_name("name") {
                    bound_names(src, name, out);
                }
            }
        } else if x.kind() == "for_in_statement"
            && x.child_by_field_name("kind")
                .is_some_and(|k| k.kind() == "var")
        {
            if let Some(l) = x.child_by_field_name("left") {
                bound_names(src, l, out);
            }
        }
        var_names(src, x, out);
    }
}
