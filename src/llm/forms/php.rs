//! PHP's call forms.

use super::{braces, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

/// A PHP string literal: single quotes, which interpolate nothing.
fn php_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}
// PHP: a single-quoted string; a variable.
macro_rules! php_str {
    () => {
        r"'(?:[^'\\\r\n]|\\.)*'"
    };
}
macro_rules! php_name {
    () => {
        r"[A-Za-z_][A-Za-z0-9_]*"
    };
}

/// PHP: calls of the class `\CtInject` (src/runtime/php/ctinject.php), which
/// the program loads with `auto_prepend_file` or its bootstrap.
pub static PHP: FallbackLanguage = FallbackLanguage {
    name: "php",
    extensions: &["php"],
    grammar: Some(|| tree_sitter_php::LANGUAGE_PHP.into()),
    function_kinds: &["function_definition", "method_declaration"],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: r"$_ct_s = \CtInject::span(FILE, LINE, NAME, ['param1' => $param1, 'param2' => $param2]); try {",
            place: "right after the `{` that opens a function's or method's body (not an arrow function); NAME is Class::method or the function's name; the array names and passes each parameter (leave it out for none)",
            pattern: concat!(
                r"\$_ct_s = \\CtInject::span\((?P<file>", php_str!(), r"), (?P<line>[0-9]+), ", php_str!(),
                r"(?:, \[(?:'", php_name!(), r"' => \$", php_name!(), r"(?:, '", php_name!(), r"' => \$", php_name!(), r")*)?\])?\); try \{"
            ),
        },
        CallForm {
            kind: FormKind::SpanClose,
            template: r"} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); }",
            place: "right before the `}` that closes the same body",
            pattern: r"\} catch \(\\Throwable \$_ct_t\) \{ \$_ct_s->fail\(\$_ct_t\); throw \$_ct_t; \} finally \{ \$_ct_s->end\(\); \}",
        },
        CallForm {
            kind: FormKind::Var,
            template: r"\CtInject::v(FILE, LINE, 'VAR', $VAR);",
            place: "right after the `;` of a statement that sets $VAR; LINE is that statement's line",
            pattern: concat!(r"\\CtInject::v\((?P<file>", php_str!(), r"), (?P<line>[0-9]+), '", php_name!(), r"', \$", php_name!(), r"\);"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: r"\CtInject::b(FILE, SITE, ARM);",
            place: "right after the `{` of each block of an if/elseif/else chain, or the `:` of a switch case; SITE is the line of the `if` (or `switch`), ARM numbers them from 0",
            pattern: concat!(r"\\CtInject::b\((?P<file>", php_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: r"\CtInject::l(FILE, SITE);",
            place: "right after the `{` of a loop's body (for, foreach, while, do); SITE is the loop's line",
            pattern: concat!(r"\\CtInject::l\((?P<file>", php_str!(), r"), (?P<line>[0-9]+)\);"),
        },
        CallForm {
            kind: FormKind::Catch,
            template: r"\CtInject::x(FILE, LINE, $VAR);",
            place: "right after the `{` of a catch block; $VAR is the caught exception, LINE the catch's line",
            pattern: concat!(r"\\CtInject::x\((?P<file>", php_str!(), r"), (?P<line>[0-9]+), \$", php_name!(), r"\);"),
        },
    ],
    runtime: Some(("ctinject.php", include_str!("../../runtime/php/ctinject.php"))),
    runtime_beside_sources: false,
    quote: php_quote,
    example: Example {
        file: "src/Shop.php",
        source: "<?php\nclass Shop {\n    function twice($n) {\n        $r = $n * 2;\n        if ($r > 10) {\n            $r = 10;\n        }\n        return $r;\n    }\n}\n",
        name: "Shop::twice",
        param: "n",
        var: "r",
        inserts: &braces(3, true),
    },
    recognised: OnceLock::new(),
};
