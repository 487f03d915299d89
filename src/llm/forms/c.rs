//! C's call forms: macros of a `ctinject.h` that a build includes with
//! `-include ctinject.h`, so no line is added. The span macro declares a
//! variable with the cleanup attribute (GCC, Clang), which ends the span
//! on every return, so it has no closing form. ctinject has no C runtime
//! yet.

use super::{braces, c_like_quote, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

pub static C: FallbackLanguage = FallbackLanguage {
    name: "c",
    extensions: &["c"],
    grammar: Some(|| tree_sitter_c::LANGUAGE.into()),
    function_kinds: &["function_definition"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: "CTINJECT_SPAN(FILE, LINE, NAME);",
            place: "right after the `{` that opens a function's body; LINE is the line of the function's name, NAME the function's name",
            pattern: concat!(r"CTINJECT_SPAN\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Var,
            template: r#"CTINJECT_V(FILE, LINE, "VAR", VAR);"#,
            place: "right after the `;` of a statement that declares or assigns the local variable VAR of a number or pointer type (not inside a `for (...)` header, and not before a declaration in C89 code); LINE is that statement's line",
            pattern: concat!(r"CTINJECT_V\((?P<file>", c_str!(), r#"), (?P<line>[0-9]+), ""#, ident!(), r#"", "#, ident!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "CTINJECT_B(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/else chain, or the `:` of a switch case; SITE is the line of the first `if` (or the `switch`), ARM numbers them from 0",
            pattern: concat!(r"CTINJECT_B\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "CTINJECT_L(FILE, SITE);",
            place: "right after the `{` of a loop's body (for, while, do); SITE is the loop's line",
            pattern: concat!(r"CTINJECT_L\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: c_like_quote,
    example: Example {
        file: "src/shop.c",
        source: "int twice(int n) {\n    int r = n * 2;\n    if (r > 10) {\n        r = 10;\n    }\n    return r;\n}\n",
        name: "twice",
        param: "n",
        var: "r",
        inserts: &braces(1, false),
    },
    recognised: OnceLock::new(),
};
