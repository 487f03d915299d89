//! C#'s call forms: calls of a `CtInject` class in the global namespace,
//! written `global::` so that no `using` is added and no user name shadows
//! it. ctinject has no C# runtime yet.

use super::{c_like_quote, At, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

pub static CSHARP: FallbackLanguage = FallbackLanguage {
    name: "csharp",
    extensions: &["cs"],
    grammar: Some(|| tree_sitter_c_sharp::LANGUAGE.into()),
    function_kinds: &[
        "method_declaration",
        "constructor_declaration",
        "local_function_statement",
        "accessor_declaration",
    ],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: r#"var _ct_s = global::CtInject.Span(FILE, LINE, NAME, "param1", param1, "param2", param2); try {"#,
            place: "right after the `{` that opens the body of a method, constructor, local function or accessor that has no `yield` (C# allows no `yield return` in a try with a catch); LINE is the declaration's line, NAME is Class.Method; the pairs name and pass each parameter except `out` parameters",
            pattern: concat!(
                r"var _ct_s = global::CtInject\.Span\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(),
                r#"(?:, "@?"#, ident!(), r#"", @?"#, ident!(), r")*\); try \{"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: "} catch (global::System.Exception _ct_e) { _ct_s.Fail(_ct_e); throw; } finally { _ct_s.End(); }",
            place: "right before the `}` that closes the same body",
            pattern: r"\} catch \(global::System\.Exception _ct_e\) \{ _ct_s\.Fail\(_ct_e\); throw; \} finally \{ _ct_s\.End\(\); \}",
        },
        CallForm {
            kind: FormKind::Var,
            template: r#"global::CtInject.V(FILE, LINE, "VAR", VAR);"#,
            place: "right after the `;` of a statement that declares or assigns the local variable VAR (not inside a `for (...)` header); LINE is that statement's line",
            pattern: concat!(
                r"global::CtInject\.V\((?P<file>", c_str!(), r#"), (?P<line>[0-9]+), ""#, ident!(), r#"", @?"#, ident!(), r"\);"
            ),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "global::CtInject.B(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/else chain, or the `:` of a switch section; SITE is the line of the first `if` (or the `switch`), ARM numbers them from 0",
            pattern: concat!(r"global::CtInject\.B\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "global::CtInject.L(FILE, SITE);",
            place: "right after the `{` of a loop's body (for, foreach, while, do); SITE is the loop's line",
            pattern: concat!(r"global::CtInject\.L\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: "global::CtInject.X(FILE, LINE, VAR);",
            place: "right after the `{` of a catch block that names its exception VAR; LINE is the catch's line",
            pattern: concat!(r"global::CtInject\.X\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), @?", ident!(), r"\);"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: c_like_quote,
    example: Example {
        file: "src/Shop.cs",
        source: "class Shop\n{\n    int Twice(int n)\n    {\n        int r = n * 2;\n        if (r > 10)\n        {\n            r = 10;\n        }\n        return r;\n    }\n}\n",
        name: "Shop.Twice",
        param: "n",
        var: "r",
        inserts: &[
            (At::First(5), FormKind::SpanOpen, 3),
            (At::First(6), FormKind::Var, 5),
            (At::First(8), FormKind::Branch, 6),
            (At::First(11), FormKind::SpanClose, 3),
        ],
    },
    recognised: OnceLock::new(),
};
