//! Every text the Python planner inserts, written once: the planner fills
//! these forms, and `check_plan` accepts an insert only when it is one of
//! them (see the table at the top of the module for where each goes).

use crate::lang::kit::{Form, Forms, Hole, Join, Lexicon};
use std::sync::OnceLock;

use Hole::{Exact, Int, Name, Pairs, Str};
use Join::{Line, Opener, Statement};

/// The runtime binding: the relative import (one dot per package level),
/// else the runtime this process has loaded already (code of the module run
/// where it has no package, as a generator that copies its own source into
/// the code it makes and runs it with `exec`), else the import by name; and
/// the file's path (see `binding`). The runtime's registry name is the
/// runtime's `_REGISTRY` (a test checks that they agree).
pub static BINDING: Form = Form::new(
    "_ct = (__import__(\"importlib\").import_module({}, __package__ or __spec__.parent) if __package__ or __spec__ and __spec__.parent else __import__(\"sys\").modules.get(\"__ctinject_runtime_v2__\") or __import__({})).Module({})",
    &[Exact(r#""\.+_ctinject""#), Exact(r#""_ctinject""#), Str],
    Statement,
);
pub static FN: Form = Form::new("@_ct.fn({})", &[Int], Line);
pub static DECO: Form = Form::new("_ct.deco({}, ", &[Int], Opener);
pub static LATE: Form = Form::new("{} = _ct.late({}, {})", &[Name, Int, Name], Statement);
/// After a class, for a method that had no line for a wrapper of its own.
pub static METH: Form = Form::new("_ct.meth({}, {}, {})", &[Name, Int, Str], Statement);
pub static AT: Form = Form::new("_ct.at({}, {})", &[Int, Str], Statement);
pub static AT_FIRST: Form = Form::new("_ct.at({}, {}, {})", &[Int, Str, Int], Statement);
pub static LAM: Form = Form::new("_ct.lam({}, ", &[Int], Opener);
pub static V: Form = Form::new("_ct.v({}{})", &[Int, Pairs], Statement);
pub static VW: Form = Form::new("_ct.vw({}, {}, ", &[Int, Str], Opener);
pub static VWITH: Form = Form::new(", _ct.vwith({}{})", &[Int, Pairs], Join::Exact);
pub static BR: Form = Form::new("_ct.br({}, {}, ", &[Int, Int], Opener);
pub static BRX: Form = Form::new("_ct.brx({}, {}, ", &[Int, Int], Opener);
pub static CASE: Form = Form::new(" if _ct.case({}, {})", &[Int, Int], Join::Exact);
pub static CASEG: Form = Form::new("_ct.caseg({}, {}, ", &[Int, Int], Opener);
pub static WT: Form = Form::new("_ct.wt({}, ", &[Int], Opener);
pub static LB: Form = Form::new("_ct.lb({})", &[Int], Statement);
pub static LOOP: Form = Form::new("_ct.loop({}, {}, ", &[Int, Str], Opener);
pub static ALOOP: Form = Form::new("_ct.aloop({}, {}, ", &[Int, Str], Opener);
/// Around an unparenthesized tuple: `for x in _ct.loop(3, "x", (a, b)):`.
pub static LOOP_TUPLE: Form = Form::new("_ct.loop({}, {}, (", &[Int, Str], Opener);
pub static ALOOP_TUPLE: Form = Form::new("_ct.aloop({}, {}, (", &[Int, Str], Opener);
pub static EX: Form = Form::new("_ct.ex({})", &[Int], Statement);
pub static EXM: Form = Form::new("_ct.exm({}, ", &[Int], Opener);
/// The closing halves of the wrappers.
pub static CLOSE: Form = Form::new(")", &[], Join::Exact);
pub static CLOSE_TUPLE: Form = Form::new("))", &[], Join::Exact);
pub static CLOSE_ARM: Form = Form::new(", {})", &[Int], Join::Exact);
pub static CLOSE_NAME: Form = Form::new(", {})", &[Str], Join::Exact);

static TABLE: &[&Form] = &[
    &BINDING,
    &FN,
    &DECO,
    &LATE,
    &METH,
    &AT,
    &AT_FIRST,
    &LAM,
    &V,
    &VW,
    &VWITH,
    &BR,
    &BRX,
    &CASE,
    &CASEG,
    &WT,
    &LB,
    &LOOP,
    &ALOOP,
    &LOOP_TUPLE,
    &ALOOP_TUPLE,
    &EX,
    &EXM,
    &CLOSE,
    &CLOSE_TUPLE,
    &CLOSE_ARM,
    &CLOSE_NAME,
];

/// Python's strings (as `quote` writes them), names (XID), line ends and
/// indentation.
static LEXICON: Lexicon = Lexicon {
    string: r#""(?:[^"\\\r\n]|\\.)*""#,
    name: r"[\p{XID_Start}_][\p{XID_Continue}]*",
    newline: r"(?:\r?\n)",
    indent: r"[ \t\x0c]*",
};

/// The recogniser of every form.
pub fn recogniser() -> &'static Forms {
    static FORMS: OnceLock<Forms> = OnceLock::new();
    FORMS.get_or_init(|| Forms::new(TABLE, &LEXICON))
}

/// True when the form at `index` of the recogniser's table is `form`.
pub fn is(index: usize, form: &Form) -> bool {
    TABLE.get(index).is_some_and(|f| std::ptr::eq(*f, form))
}

/// `, "x", x` for each name: the pairs of [`V`] and [`VWITH`].
pub fn pairs(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!(", {}, {n}", super::quote(n)))
        .collect()
}
