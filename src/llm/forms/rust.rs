//! Rust's call forms: macros of a `ctinject` crate. The span is a guard
//! whose drop ends it (on return, `?` or panic), so it has no closing form.
//! ctinject has no Rust runtime crate yet.

use super::{braces, c_like_quote, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

pub static RUST: FallbackLanguage = FallbackLanguage {
    name: "rust",
    extensions: &["rs"],
    grammar: Some(|| tree_sitter_rust::LANGUAGE.into()),
    function_kinds: &["function_item"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: "let _ct_s = ::ctinject::span!(FILE, LINE, NAME, param1, param2);",
            place: "right after the `{` that opens a function's body (not a `const fn`); LINE is the `fn` line, NAME is Type::method or the function's name; then each parameter that is a plain name (none for a function without one)",
            pattern: concat!(
                r"let _ct_s = ::ctinject::span!\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(),
                r"(?:, ", ident!(), r")*\);"
            ),
        },
        CallForm {
            kind: FormKind::Var,
            template: "::ctinject::v!(FILE, LINE, VAR);",
            place: "right after the `;` of a `let` statement that binds the variable VAR; LINE is that statement's line",
            pattern: concat!(r"::ctinject::v!\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", ident!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "::ctinject::b!(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/else chain, or of each `match` arm written with a block; SITE is the line of the first `if` (or the `match`), ARM numbers them from 0",
            pattern: concat!(r"::ctinject::b!\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "::ctinject::l!(FILE, SITE);",
            place: "right after the `{` of a loop's body (loop, while, for); SITE is the loop's line",
            pattern: concat!(r"::ctinject::l!\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: c_like_quote,
    example: Example {
        file: "src/shop.rs",
        source: "struct Shop;\nimpl Shop {\n    fn twice(&self, n: i32) -> i32 {\n        let mut r = n * 2;\n        if r > 10 {\n            r = 10;\n        }\n        r\n    }\n}\n",
        name: "Shop::twice",
        param: "n",
        var: "r",
        // `let` bindings only: not the assignment in the `if`
        inserts: braces(3, false).split_at(3).0,
    },
    recognised: OnceLock::new(),
};
