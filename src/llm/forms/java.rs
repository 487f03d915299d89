//! Java's call forms.

use super::{braces, c_like_quote, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

// A Java identifier (`$` is a letter in Java).
macro_rules! java_ident {
    () => {
        r"[A-Za-z_$][A-Za-z0-9_$]*"
    };
}

/// Java: calls of `ctinject.CtInject` (src/runtime/java), by its full name,
/// so that no import is added.
pub static JAVA: FallbackLanguage = FallbackLanguage {
    name: "java",
    extensions: &["java"],
    grammar: Some(|| tree_sitter_java::LANGUAGE.into()),
    function_kinds: &["method_declaration", "constructor_declaration"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: r#"ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(FILE, LINE, NAME, "param1", param1, "param2", param2); try {"#,
            place: "right after the `{` that opens a method's or constructor's body (in a constructor, after its `this(...)` or `super(...)` call); LINE is the line of the declaration, NAME the method's name as Class.method; the pairs name and pass each parameter (none for a method without parameters)",
            pattern: concat!(
                r"ctinject\.CtInject\.Span _ct_s = ctinject\.CtInject\.span\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(),
                r#"(?:, ""#, java_ident!(), r#"", "#, java_ident!(), r")*\); try \{"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: "} catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }",
            place: "right before the `}` that closes the same body (one for each span opened)",
            pattern: r"\} catch \(Throwable _ct_t\) \{ _ct_s\.fail\(_ct_t\); throw _ct_t; \} finally \{ _ct_s\.end\(\); \}",
        },
        CallForm {
            kind: FormKind::Var,
            template: "ctinject.CtInject.v(FILE, LINE, \"VAR\", VAR);",
            place: "right after the `;` of a statement that declares or assigns the local variable VAR, on the same line; LINE is that statement's line",
            pattern: concat!(r"ctinject\.CtInject\.v\((?P<file>", c_str!(), r#"), (?P<line>[0-9]+), ""#, java_ident!(), r#"", "#, java_ident!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "ctinject.CtInject.b(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/else chain or of a switch case written with a block; SITE is the line of the first `if` (or the `switch`), ARM numbers the blocks from 0 in source order",
            pattern: concat!(r"ctinject\.CtInject\.b\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "ctinject.CtInject.l(FILE, SITE);",
            place: "right after the `{` of a loop's body (for, enhanced for, while, do); SITE is the loop's line",
            pattern: concat!(r"ctinject\.CtInject\.l\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: "ctinject.CtInject.x(FILE, LINE, VAR);",
            place: "right after the `{` of a catch block; VAR is the caught exception's name, LINE the catch's line",
            pattern: concat!(r"ctinject\.CtInject\.x\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", java_ident!(), r"\);"),
        },
    ],
    runtime: Some((
        "ctinject/CtInject.java",
        include_str!("../../runtime/java/ctinject/CtInject.java"),
    )),
    runtime_beside_sources: true,
    quote: c_like_quote,
    example: Example {
        file: "src/Shop.java",
        source: "class Shop {\n    int twice(int n) {\n        int r = n * 2;\n        if (r > 10) {\n            r = 10;\n        }\n        return r;\n    }\n}\n",
        name: "Shop.twice",
        param: "n",
        var: "r",
        inserts: &braces(2, true),
    },
    recognised: OnceLock::new(),
};
