//! Ruby's call forms.

use super::{At, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

/// A Ruby string literal: double quotes, `"`, `\` and `#` escaped (an
/// unescaped `#{...}` would run code, so the recognisers refuse it).
fn ruby_quote(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('#', "\\#")
    )
}

// Ruby: a double-quoted string without interpolation (`#{`, `#@`, `#$`
// unescaped); a local variable.
macro_rules! rb_str {
    () => {
        r#""(?:[^"\\#\r\n]|\\.|#[^{@$"\\\r\n])*#?""#
    };
}
macro_rules! rb_var {
    () => {
        r"[a-z_][A-Za-z0-9_]*"
    };
}

/// Ruby: calls of `CtInject` (src/runtime/ruby/ctinject.rb), which the
/// program loads with `ruby -r`.
pub static RUBY: FallbackLanguage = FallbackLanguage {
    name: "ruby",
    extensions: &["rb"],
    grammar: Some(|| tree_sitter_ruby::LANGUAGE.into()),
    function_kinds: &["method", "singleton_method"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: r#"; _ct_s = CtInject.span(FILE, LINE, NAME, "param1", param1, "param2", param2); begin"#,
            place: "appended to a `def` line, after its parameter list (not to an endless `def x = ...`); NAME is Class#method (Class.method for a singleton method); the pairs name and pass each parameter",
            pattern: concat!(
                r"; _ct_s = CtInject\.span\((?P<file>", rb_str!(), r"), (?P<line>[0-9]+), ", rb_str!(),
                r#"(?:, "[a-z_][A-Za-z0-9_]*", "#, rb_var!(), r")*\); begin"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: "rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; ",
            place: "right before the `end` keyword that closes the same def, at its column",
            pattern: r"rescue Exception => _ct_e; _ct_s\.fail\(_ct_e\); raise; ensure; _ct_s\.finish; end; ?",
        },
        CallForm {
            kind: FormKind::SpanOpen,
            template: r#"; _ct_s = CtInject.span(FILE, LINE, NAME, "param1", param1); begin; begin"#,
            place: "instead of the first span form, for a def that has its own def-level rescue, else or ensure clauses; close it with the next form",
            pattern: concat!(
                r"; _ct_s = CtInject\.span\((?P<file>", rb_str!(), r"), (?P<line>[0-9]+), ", rb_str!(),
                r#"(?:, "[a-z_][A-Za-z0-9_]*", "#, rb_var!(), r")*\); begin; begin"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: "end; rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; ",
            place: "right before the `end` that closes a def opened with the previous form, at its column",
            pattern: r"end; rescue Exception => _ct_e; _ct_s\.fail\(_ct_e\); raise; ensure; _ct_s\.finish; end; ?",
        },
        CallForm {
            kind: FormKind::Var,
            template: "CtInject.v(FILE, LINE, \"VAR\", VAR); ",
            place: "at the start of the first statement after one that assigns the local variable VAR (LINE is the assignment's line); or, with a `; ` before it and none after, appended to the assignment's line before any comment",
            pattern: concat!(
                r"(?:; )?CtInject\.v\((?P<file>", rb_str!(), r#"), (?P<line>[0-9]+), "[a-z_][A-Za-z0-9_]*", "#, rb_var!(), r"\);? ?"
            ),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "CtInject.b(FILE, SITE, ARM); ",
            place: "at the start of the first statement of each body of an if/elsif/else or case/when (in); SITE is the line of the `if` (or `case`), ARM numbers the bodies from 0",
            pattern: concat!(r"CtInject\.b\((?P<file>", rb_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\); ?"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "CtInject.l(FILE, SITE); ",
            place: "at the start of the first statement of a loop's body (while, until, for, or a block given to each, times, map, ...); SITE is the loop's line",
            pattern: concat!(r"CtInject\.l\((?P<file>", rb_str!(), r"), (?P<line>[0-9]+)\); ?"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: "CtInject.x(FILE, LINE, VAR); ",
            place: "at the start of the first statement of a `rescue ... => VAR` body; LINE is the rescue's line",
            pattern: concat!(r"CtInject\.x\((?P<file>", rb_str!(), r"), (?P<line>[0-9]+), ", rb_var!(), r"\); ?"),
        },
    ],
    runtime: Some(("ctinject.rb", include_str!("../../runtime/ruby/ctinject.rb"))),
    runtime_beside_sources: false,
    quote: ruby_quote,
    example: Example {
        file: "lib/shop.rb",
        source: "class Shop\n  def twice(n)\n    r = n * 2\n    if r > 10\n      r = 10\n    end\n    r\n  end\nend\n",
        name: "Shop#twice",
        param: "n",
        var: "r",
        inserts: &[
            (At::End(2), FormKind::SpanOpen, 2),
            (At::First(4), FormKind::Var, 3),
            (At::First(5), FormKind::Branch, 4),
            (At::Start(8), FormKind::SpanClose, 2),
        ],
    },
    recognised: OnceLock::new(),
};
