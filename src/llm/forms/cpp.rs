//! C++'s call forms: functions of a `ctinject` namespace from a header that
//! a build includes with `-include ctinject.hpp`, so no line is added. The
//! span is an object whose destructor ends it (on return or exception), so
//! it has no closing form. ctinject has no C++ runtime yet.

use super::{braces, c_like_quote, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

pub static CPP: FallbackLanguage = FallbackLanguage {
    name: "cpp",
    extensions: &["cpp", "cc", "cxx", "hpp", "hh", "hxx"],
    grammar: Some(|| tree_sitter_cpp::LANGUAGE.into()),
    function_kinds: &["function_definition", "lambda_expression"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: "auto _ct_s = ::ctinject::span(FILE, LINE, NAME, param1, param2);",
            place: "right after the `{` that opens a function's body (not a `constexpr` function); LINE is the line of the function's name, NAME is Class::method or the function's name; then each named parameter (none for a function without one)",
            pattern: concat!(
                r"auto _ct_s = ::ctinject::span\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(),
                r"(?:, ", ident!(), r")*\);"
            ),
        },
        CallForm {
            kind: FormKind::Var,
            template: r#"::ctinject::v(FILE, LINE, "VAR", VAR);"#,
            place: "right after the `;` of a statement that declares or assigns the local variable VAR (not inside a `for (...)` header); LINE is that statement's line",
            pattern: concat!(r"::ctinject::v\((?P<file>", c_str!(), r#"), (?P<line>[0-9]+), ""#, ident!(), r#"", "#, ident!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "::ctinject::b(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/else chain, or the `:` of a switch case; SITE is the line of the first `if` (or the `switch`), ARM numbers them from 0",
            pattern: concat!(r"::ctinject::b\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "::ctinject::l(FILE, SITE);",
            place: "right after the `{` of a loop's body (for, range for, while, do); SITE is the loop's line",
            pattern: concat!(r"::ctinject::l\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: "::ctinject::x(FILE, LINE);",
            place: "right after the `{` of a catch block (the runtime reads the exception being handled); LINE is the catch's line",
            pattern: concat!(r"::ctinject::x\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: c_like_quote,
    example: Example {
        file: "src/shop.cpp",
        source: "struct Shop {\n    int twice(int n) {\n        int r = n * 2;\n        if (r > 10) {\n            r = 10;\n        }\n        return r;\n    }\n};\n",
        name: "Shop::twice",
        param: "n",
        var: "r",
        inserts: &braces(2, false),
    },
    recognised: OnceLock::new(),
};
