//! Every text the Go planner inserts, written once: the planner fills these
//! forms, and `check_plan` accepts an insert only when it is one of them.
//! Every form sits on a line that is already there, joined with `;` as
//! `go tool cover` joins its counters: no line break is ever added.

use crate::lang::kit::{Form, Forms, Hole, Join, Lexicon};
use std::sync::OnceLock;

use Hole::{Exact, Int, Str};

/// The runtime package's import path, as a string literal:
/// `"example.com/m/_ctinject"`.
const RUNTIME_PATH: &str = r#""[^"\\\r\n]*/_ctinject""#;
/// A Go identifier.
const NAME: &str = r"[\p{L}_][\p{L}\p{Nd}_]*";

/// The import, after the `package` clause (as cover imports `sync/atomic`).
pub static IMPORT: Form = Form::new("; import _ct {}", &[Exact(RUNTIME_PATH)], Join::Exact);
/// ... with the sentinel that keeps the import used, where the file has no
/// import of its own.
pub static IMPORT_AND_SENTINEL: Form = Form::new(
    "; import _ct {}; var _ = _ct.On",
    &[Exact(RUNTIME_PATH)],
    Join::Exact,
);
/// The sentinel after the file's last import declaration (Go allows no
/// declaration before an import, and a new last line would break a file
/// that ends with a `//go:` directive).
pub static SENTINEL: Form = Form::new("; var _ = _ct.On", &[], Join::Exact);

/// The arguments recorded after a span opens, one call each, or nothing:
/// `if _ct_s != nil { _ct.A(_ct_s, "a", &a); _ct.A(_ct_s, "b", &b) }; `.
/// Values go by pointer to generic functions that format them in place:
/// boxing them into `interface{}` would make what they point to escape
/// to the heap, on every call, telemetry on or off.
const ARG_CALLS: &str = r#"(?:if _ct_s != nil \{ _ct\.A\(_ct_s, "[\p{L}_][\p{L}\p{Nd}_]*", &[\p{L}_][\p{L}\p{Nd}_]*\)(?:; _ct\.A\(_ct_s, "[\p{L}_][\p{L}\p{Nd}_]*", &[\p{L}_][\p{L}\p{Nd}_]*\))* \}; )?"#;
/// How many results the span's end reads.
const RESULT_COUNT: &str = "[0-8]";
/// Pointers to the results: `, &_ct_r0, &err`.
const RESULT_POINTERS: &str = r"(?:, &[\p{L}_][\p{L}\p{Nd}_]*)*";

/// The holes of a span: file, line, name, package, the arguments' calls,
/// the number of results and the pointers to them.
const SPAN_HOLES: &[Hole] = &[
    Str,
    Int,
    Str,
    Str,
    Exact(ARG_CALLS),
    Exact(RESULT_COUNT),
    Exact(RESULT_POINTERS),
];

/// A function's span, first in its body after the `{`: opened, its
/// arguments recorded, and its end deferred first, so that it runs after
/// every defer of the function and reads the results as they are returned.
/// The end is a direct call (`defer _ct.E2(_ct_s, &_ct_r0, &err)`), never a
/// closure: a new function literal would renumber the function's own
/// literals (`F.func1`), which stack traces show.
pub static SPAN: Form = Form::new(
    " _ct_s := _ct.S({}, {}, {}, {}); {}defer _ct.E{}(_ct_s{});",
    SPAN_HOLES,
    Join::Exact,
);
/// ... of a function literal inside an instrumented function: the enclosing
/// span is the parent when the literal runs on a goroutine of its own.
pub static LITERAL_SPAN: Form = Form::new(
    " _ct_s := _ct.SL(_ct_s, {}, {}, {}, {}); {}defer _ct.E{}(_ct_s{});",
    SPAN_HOLES,
    Join::Exact,
);
/// The handle of a function whose span is not wanted, for its events.
pub static HANDLE: Form = Form::new(" _ct_s := _ct.P({}); _ = _ct_s;", &[Str], Join::Exact);

/// A name for an unnamed result, before its type (`(int, error)` becomes
/// `(_ct_r0 int, _ct_r1 error)`): result names are not part of a
/// function's type.
pub static RESULT_NAME: Form = Form::new("_ct_r{} ", &[Exact("[0-9]")], Join::Exact);
/// A blank result's name, before its `_`: `_` becomes `_ct_r1_`.
pub static BLANK_RESULT_NAME: Form = Form::new("_ct_r{}", &[Exact("[0-9]")], Join::Exact);
/// A single unnamed result, named in parentheses: `int` becomes `(_ct_r0 int)`.
pub static RESULT_OPEN: Form = Form::new("(_ct_r0 ", &[], Join::Exact);
pub static CLOSE_PAREN: Form = Form::new(")", &[], Join::Exact);

/// Variables recorded, one call (and one event) each:
/// `_ct.V(_ct_s, 12, "x", &x); _ct.V(_ct_s, 12, "s.f", &s.f)`, by pointer
/// as the arguments are.
const VAR_CALLS: &str = r#"_ct\.V\(_ct_s, -?[0-9]+, "[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)*", &[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)*\)(?:; _ct\.V\(_ct_s, -?[0-9]+, "[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)*", &[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)*\))*"#;
/// Variables after the statement that set them (an expression statement:
/// nothing is declared, so no `goto` can jump over it).
pub static VARS_AFTER: Form =
    Form::new("; if _ct_s != nil { {} }", &[Exact(VAR_CALLS)], Join::Exact);
/// ... first in a block or a case (a range loop's keys and values, a
/// `select` case's received values).
pub static VARS_FIRST: Form =
    Form::new(" if _ct_s != nil { {} };", &[Exact(VAR_CALLS)], Join::Exact);
/// A branch arm taken: first in the arm's block, or after a case's `:`.
pub static BRANCH: Form = Form::new(" _ct_s.B({}, {});", &[Int, Int], Join::Exact);
/// A loop's iteration, first in its body.
pub static LOOP: Form = Form::new(
    " _ct_s.L({}, {});",
    &[Int, Exact(r#""(?:for|while|forever|range)""#)],
    Join::Exact,
);
/// `recover()` -> `_ct.Rec(_ct_s, L, recover())`: still called by the
/// deferred function itself, so it still stops the panic.
pub static RECOVER_OPEN: Form =
    Form::new("_ct.Rec({}, {}, ", &[Exact("_ct_s|nil"), Int], Join::Opener);

/// Every form, for the recogniser.
static TABLE: &[&Form] = &[
    &IMPORT,
    &IMPORT_AND_SENTINEL,
    &SENTINEL,
    &SPAN,
    &LITERAL_SPAN,
    &HANDLE,
    &RESULT_NAME,
    &BLANK_RESULT_NAME,
    &RESULT_OPEN,
    &CLOSE_PAREN,
    &VARS_AFTER,
    &VARS_FIRST,
    &BRANCH,
    &LOOP,
    &RECOVER_OPEN,
];

static LEXICON: Lexicon = Lexicon {
    string: r#""(?:[^"\\\r\n]|\\.)*""#,
    name: NAME,
    newline: r"(?:\r?\n)",
    indent: r"[ \t]*",
};

pub fn recogniser() -> &'static Forms {
    static FORMS: OnceLock<Forms> = OnceLock::new();
    FORMS.get_or_init(|| Forms::new(TABLE, &LEXICON))
}
