//! Every text the JavaScript planner inserts, written once: the planner
//! fills these forms, and `check_plan` accepts an insert only when it is
//! one of them. `F` in the comments is the file's path as a string literal.

use super::Dialect;
use crate::lang::kit::{Form, Forms, Hole, Join, Lexicon};
use std::sync::OnceLock;

use Hole::{Exact, Int, Str};

/// The runtime's path from the file, as a string literal: `"./_ctinject.cjs"`
/// or `"../../_ctinject.cjs"`.
const RUNTIME_PATH: &str = r#""(?:\./|(?:\.\./)+)_ctinject\.cjs""#;

/// The binding of a CommonJS file, first statement of the file: after a
/// directive (`; ` or a space first), or before the first statement
/// ([`REQUIRE_FIRST`]).
pub static REQUIRE: Form = Form::new(
    "const __ct = require({});",
    &[Exact(RUNTIME_PATH)],
    Join::Statement,
);
pub static REQUIRE_FIRST: Form = Form::new(
    "const __ct = require({}); ",
    &[Exact(RUNTIME_PATH)],
    Join::Exact,
);
/// The binding of an ES module (an import is hoisted and bound before any
/// code of the module runs, even in an import cycle): a namespace import,
/// which bundlers give the same object as Node does (a default import of a
/// CommonJS file marked `__esModule` would be its `default` export there).
pub static IMPORT: Form = Form::new(
    "import * as __ct from {};",
    &[Exact(RUNTIME_PATH)],
    Join::Statement,
);
pub static IMPORT_FIRST: Form = Form::new(
    "import * as __ct from {}; ",
    &[Exact(RUNTIME_PATH)],
    Join::Exact,
);
/// The runtime's path from a TypeScript file, spelled as the file spells
/// its own imports: `"./_ctinject"`, `"../_ctinject.js"`, `"./_ctinject.ts"`.
const TS_RUNTIME_PATH: &str = r#""(?:\./|(?:\.\./)+)_ctinject(?:\.js|\.ts)?""#;
/// The binding of a TypeScript module: a namespace import, which every
/// module setting compiles (a default import would need `esModuleInterop`).
pub static TS_IMPORT: Form = Form::new(
    "import * as __ct from {};",
    &[Exact(TS_RUNTIME_PATH)],
    Join::Statement,
);
pub static TS_IMPORT_FIRST: Form = Form::new(
    "import * as __ct from {}; ",
    &[Exact(TS_RUNTIME_PATH)],
    Join::Exact,
);
/// ... and of a TypeScript file written for CommonJS, where
/// `verbatimModuleSyntax` refuses ES imports.
pub static TS_REQUIRE: Form = Form::new(
    "import __ct = require({});",
    &[Exact(TS_RUNTIME_PATH)],
    Join::Statement,
);
pub static TS_REQUIRE_FIRST: Form = Form::new(
    "import __ct = require({}); ",
    &[Exact(TS_RUNTIME_PATH)],
    Join::Exact,
);
/// What a span reads its arguments from: `arguments`, or the parameters'
/// values (an arrow's, an async function's in TypeScript), or nothing.
const ARGUMENTS: &str =
    r"arguments|null|\[[A-Za-z_$][A-Za-z0-9_$]*(?:, [A-Za-z_$][A-Za-z0-9_$]*)*\]";
/// ... an arrow's (which has no `arguments` of its own).
const ARROW_ARGUMENTS: &str = r"null|\[[A-Za-z_$][A-Za-z0-9_$]*(?:, [A-Za-z_$][A-Za-z0-9_$]*)*\]";
/// The holes of a span's site: file, line, name, kind, parameter names,
/// and the arguments.
const ARROW_SITE: &[Hole] = &[Str, Int, Str, Str, Str, Exact(ARROW_ARGUMENTS)];

/// A span, opened after the body's `{` (and directives): file, line, name,
/// kind, parameter names, and the arguments (`arguments`, an array of the
/// parameters for an arrow, or `null`).
pub static OPEN: Form = Form::new(
    "const __ct_s = __ct.s({}, {}, {}, {}, {}, {}); try {",
    &[Str, Int, Str, Str, Str, Exact(ARGUMENTS)],
    Join::Statement,
);
/// The span's end, before the body's `}`.
pub static CLOSE: Form = Form::new(
    " } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } ",
    &[],
    Join::Exact,
);
/// An arrow's expression body, made a block on the same line.
pub static ARROW_OPEN: Form = Form::new(
    "{ const __ct_s = __ct.s({}, {}, {}, {}, {}, {}); try { return __ct.r(__ct_s, ",
    ARROW_SITE,
    Join::Exact,
);
pub static ARROW_CLOSE: Form = Form::new(
    "); } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }",
    &[],
    Join::Exact,
);
/// A function's return type, copied from its annotation (one line, no
/// comment): `check_plan` accepts only the text of a return type of the
/// source there.
pub const RETURN_TYPE: &str = r"[^\r\n]+";
/// In TypeScript, a function with a return type passes it to the return
/// helper (`return __ct.r<(T)>(__ct_s, X)`): inferred from X, the helper's
/// type can lose what the return type tells X's generic calls.
pub static RETURN_TYPED: Form =
    Form::new("__ct.r<({})>(__ct_s, ", &[Exact(RETURN_TYPE)], Join::Opener);
pub static PAREN_SEQ_OPEN_TYPED: Form = Form::new(
    "__ct.r<({})>(__ct_s, (",
    &[Exact(RETURN_TYPE)],
    Join::Opener,
);
pub static ARROW_OPEN_TYPED: Form = Form::new(
    "{ const __ct_s = __ct.s({}, {}, {}, {}, {}, {}); try { return __ct.r<({})>(__ct_s, ",
    &[
        Str,
        Int,
        Str,
        Str,
        Str,
        Exact(ARROW_ARGUMENTS),
        Exact(RETURN_TYPE),
    ],
    Join::Exact,
);
/// In TypeScript, an arrow whose body TypeScript may read as a type
/// predicate: a block, with the body returned as it is.
pub static ARROW_OPEN_BARE: Form = Form::new(
    "{ const __ct_s = __ct.s({}, {}, {}, {}, {}, {}); try { return ",
    ARROW_SITE,
    Join::Exact,
);
pub static ARROW_CLOSE_BARE: Form = Form::new(
    "; } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }",
    &[],
    Join::Exact,
);
/// `return X` -> `return __ct.r(__ct_s, X)`.
pub static RETURN: Form = Form::new("__ct.r(__ct_s, ", &[], Join::Opener);
/// `await X` -> `__ct.ar(__ct_s, await __ct.aw(__ct_s, X))`, and so for `yield`.
pub static RESUME: Form = Form::new("__ct.ar(__ct_s, ", &[], Join::Opener);
pub static SUSPEND: Form = Form::new("__ct.aw(__ct_s, ", &[], Join::Opener);
/// The close of a bare `yield`'s wrapper: `__ct.ar(__ct_s, yield __ct.aw(__ct_s))`
/// (what it yields is `undefined` either way).
pub static SUSPEND_NOTHING: Form = Form::new(" __ct.aw(__ct_s))", &[], Join::Exact);
/// In TypeScript, the resumption beside a `yield` whose value is unused,
/// which keeps that value out of a call: `yield __ct.aw(__ct_s, x), __ct.ar(__ct_s);`
/// (`yield __ct.aw(__ct_s), __ct.ar(__ct_s);` for a bare one).
pub static RESUME_BESIDE: Form = Form::new(", __ct.ar(__ct_s)", &[], Join::Exact);
pub static SUSPEND_NOTHING_BESIDE: Form =
    Form::new(" __ct.aw(__ct_s), __ct.ar(__ct_s)", &[], Join::Exact);
/// First in a `catch` or `finally` block of an async function or a
/// generator: a rejected `await` (or a throw into a `yield`) skips the
/// resumption, so the span becomes current again here.
pub static RESUME_HERE: Form = Form::new("__ct.ar(__ct_s);", &[], Join::Statement);
/// Before a `for await` and last in its body: the span put back around the
/// loop's own awaits (see `suspend_around_for_await`).
pub static SUSPEND_HERE: Form = Form::new("__ct.aw(__ct_s);", &[], Join::Statement);
/// A variable event after a statement (`;` first where the statement has none).
pub static V: Form = Form::new(
    "__ct.v({}, {}{});",
    &[Str, Int, Hole::Pairs],
    Join::Statement,
);
/// A branch arm taken, as a statement at the start of the arm.
pub static B: Form = Form::new("__ct.b({}, {}, {});", &[Str, Int, Int], Join::Statement);
/// A branch arm taken, in an expression: `(__ct.b(F, 3, 0), x)`.
pub static B_EXPR: Form = Form::new("(__ct.b({}, {}, {}), ", &[Str, Int, Int], Join::Opener);
/// A loop iteration, at the start of the loop's body.
pub static LI: Form = Form::new("__ct.li({}, {}, {});", &[Str, Int, Str], Join::Statement);
/// A catch handler entered, at the start of its block.
pub static C: Form = Form::new(
    "__ct.c({}, {}, {});",
    &[Str, Int, Hole::Name],
    Join::Statement,
);
pub static C_NONE: Form = Form::new("__ct.c({}, {});", &[Str, Int], Join::Statement);
/// Braces around an arm or a loop body that had none, with the arm's or
/// iteration's event first.
pub static BRACE_B: Form = Form::new("{ __ct.b({}, {}, {}); ", &[Str, Int, Int], Join::Opener);
pub static BRACE_LI: Form = Form::new("{ __ct.li({}, {}, {}); ", &[Str, Int, Str], Join::Opener);
pub static BRACE_CLOSE: Form = Form::new(" }", &[], Join::Exact);
/// The close of braces around a statement whose variables are recorded.
pub static V_BRACE_CLOSE: Form = Form::new(
    "__ct.v({}, {}{}); }",
    &[Str, Int, Hole::Pairs],
    Join::Statement,
);
/// The closing halves of the expression wrappers.
pub static PAREN: Form = Form::new(")", &[], Join::Exact);
pub static PAREN_SEQ_OPEN: Form = Form::new("__ct.r(__ct_s, (", &[], Join::Opener);
pub static PAREN2: Form = Form::new("))", &[], Join::Exact);

/// The bindings of each dialect.
static JS_BINDINGS: &[&Form] = &[&REQUIRE, &REQUIRE_FIRST, &IMPORT, &IMPORT_FIRST];
static TS_BINDINGS: &[&Form] = &[&TS_IMPORT, &TS_IMPORT_FIRST, &TS_REQUIRE, &TS_REQUIRE_FIRST];
/// The forms only TypeScript has (besides its bindings).
static TS_ONLY: &[&Form] = &[
    &RETURN_TYPED,
    &PAREN_SEQ_OPEN_TYPED,
    &ARROW_OPEN_TYPED,
    &ARROW_OPEN_BARE,
    &ARROW_CLOSE_BARE,
];

/// Every other form, which all dialects share.
static TABLE: &[&Form] = &[
    &OPEN,
    &CLOSE,
    &ARROW_OPEN,
    &ARROW_CLOSE,
    &RETURN,
    &RESUME,
    &SUSPEND,
    &SUSPEND_NOTHING,
    &RESUME_BESIDE,
    &SUSPEND_NOTHING_BESIDE,
    &RESUME_HERE,
    &SUSPEND_HERE,
    &V,
    &B,
    &B_EXPR,
    &LI,
    &C,
    &C_NONE,
    &BRACE_B,
    &BRACE_LI,
    &BRACE_CLOSE,
    &V_BRACE_CLOSE,
    &PAREN,
    &PAREN_SEQ_OPEN,
    &PAREN2,
];

/// JavaScript's strings (as `quote` writes them: JSON, which JavaScript
/// reads the same way), names (ASCII ones: the planner records no other),
/// line ends and indentation.
static LEXICON: Lexicon = Lexicon {
    string: r#""(?:[^"\\\r\n]|\\.)*""#,
    name: r"[A-Za-z_$][A-Za-z0-9_$]*",
    newline: r"(?:\r?\n)",
    indent: r"[ \t]*",
};

/// The recogniser of every form of `dialect`.
pub fn recogniser(dialect: Dialect) -> &'static Forms {
    static FORMS: [OnceLock<Forms>; 2] = [const { OnceLock::new() }; 2];
    let (i, own): (usize, &[&[&Form]]) = if dialect.is_typescript() {
        (1, &[TS_BINDINGS, TS_ONLY])
    } else {
        (0, &[JS_BINDINGS])
    };
    FORMS[i].get_or_init(|| {
        let table: Vec<&Form> = own
            .iter()
            .copied()
            .flatten()
            .chain(TABLE)
            .copied()
            .collect();
        Forms::new(&table, &LEXICON)
    })
}
