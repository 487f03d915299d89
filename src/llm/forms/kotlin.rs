//! Kotlin's call forms: calls of `ctinject.CtInject` by its full name, so
//! that no import is added. ctinject has no Kotlin runtime yet.

use super::{c_like_quote, At, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

// A Kotlin string literal without templates (`$x` and `${...}` run code).
macro_rules! kt_str {
    () => {
        r#""(?:[^"\\$\r\n]|\\.)*""#
    };
}

/// A Kotlin string literal: `"`, `\` and `$` escaped.
fn kotlin_quote(s: &str) -> String {
    c_like_quote(s).replace('$', "\\$")
}

pub static KOTLIN: FallbackLanguage = FallbackLanguage {
    name: "kotlin",
    extensions: &["kt"],
    grammar: Some(|| tree_sitter_kotlin_ng::LANGUAGE.into()),
    function_kinds: &["function_declaration", "secondary_constructor", "anonymous_initializer"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: r#"val _ct_s = ctinject.CtInject.span(FILE, LINE, NAME, "param1", param1, "param2", param2); try {"#,
            place: "right after the `{` that opens a function's block body (not an expression body `= ...`) or a secondary constructor's; LINE is the declaration's line, NAME is Class.function; the pairs name and pass each parameter",
            pattern: concat!(
                r"val _ct_s = ctinject\.CtInject\.span\((?P<file>", kt_str!(), r"), (?P<line>[0-9]+), ", kt_str!(),
                r#"(?:, ""#, ident!(), r#"", "#, ident!(), r")*\); try \{"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: "} catch (_ct_t: Throwable) { _ct_s.fail(_ct_t); throw _ct_t } finally { _ct_s.end() }",
            place: "right before the `}` that closes the same body",
            pattern: r"\} catch \(_ct_t: Throwable\) \{ _ct_s\.fail\(_ct_t\); throw _ct_t \} finally \{ _ct_s\.end\(\) \}",
        },
        CallForm {
            kind: FormKind::Var,
            template: r#"ctinject.CtInject.v(FILE, LINE, "VAR", VAR); "#,
            place: "at the start of the first statement after one that declares or assigns the local VAR (LINE is that statement's line); or, with a `; ` before it and none after, appended to the statement's line before any comment",
            pattern: concat!(
                r"(?:; )?ctinject\.CtInject\.v\((?P<file>", kt_str!(), r#"), (?P<line>[0-9]+), ""#, ident!(), r#"", "#, ident!(), r"\);? ?"
            ),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "ctinject.CtInject.b(FILE, SITE, ARM); ",
            place: "right after the `{` of each block of an if/else chain or of a `when` branch written with a block; SITE is the line of the first `if` (or the `when`), ARM numbers them from 0",
            pattern: concat!(r"ctinject\.CtInject\.b\((?P<file>", kt_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\); ?"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "ctinject.CtInject.l(FILE, SITE); ",
            place: "right after the `{` of a loop's body (for, while, do) or of a lambda given to forEach, map, repeat, ...; SITE is the loop's line",
            pattern: concat!(r"ctinject\.CtInject\.l\((?P<file>", kt_str!(), r"), (?P<line>[0-9]+)\); ?"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: "ctinject.CtInject.x(FILE, LINE, VAR); ",
            place: "right after the `{` of a catch block; VAR is the caught exception's name, LINE the catch's line",
            pattern: concat!(r"ctinject\.CtInject\.x\((?P<file>", kt_str!(), r"), (?P<line>[0-9]+), ", ident!(), r"\); ?"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: kotlin_quote,
    example: Example {
        file: "src/Shop.kt",
        source: "class Shop {\n    fun twice(n: Int): Int {\n        var r = n * 2\n        if (r > 10) {\n            r = 10\n        }\n        return r\n    }\n}\n",
        name: "Shop.twice",
        param: "n",
        var: "r",
        inserts: &[
            (At::First(3), FormKind::SpanOpen, 2),
            (At::First(4), FormKind::Var, 3),
            (At::First(5), FormKind::Branch, 4),
            (At::First(8), FormKind::SpanClose, 2),
        ],
    },
    recognised: OnceLock::new(),
};
