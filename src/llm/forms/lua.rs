//! Lua 5.4's call forms: functions of a `ctinject` module that the program
//! loads with `lua -l ctinject`. The span is a to-be-closed variable, which
//! Lua closes on every exit from the function, errors included, so it has
//! no closing form.
//!
//! ctinject carries no Lua grammar: a plan is checked only by the
//! configured check command (`luac -p {file}`), and Lua files are not sent
//! without one. ctinject has no Lua runtime yet.

use super::{c_like_quote, At, CallForm, Example, FallbackLanguage, FormKind};
use std::sync::OnceLock;

pub static LUA: FallbackLanguage = FallbackLanguage {
    name: "lua",
    extensions: &["lua"],
    grammar: None,
    function_kinds: &[],
    forms: &[
        CallForm {
            kind: FormKind::SpanOpen,
            template: "local _ct_s <close> = ctinject.span(FILE, LINE, NAME, param1, param2); ",
            place: "at the start of a function's body: right after the `)` that closes its parameter list, before any statement; LINE is the `function` line, NAME its name (Module.name or Class:method); then each named parameter",
            pattern: concat!(
                r"local _ct_s <close> = ctinject\.span\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), ", c_str!(),
                r"(?:, ", ident!(), r")*\); ?"
            ),
        },
        CallForm {
            kind: FormKind::Var,
            template: r#"ctinject.v(FILE, LINE, "VAR", VAR); "#,
            place: "at the start of the first statement after one that assigns the local VAR (never after a `return`, which must stay last in its block); LINE is the assignment's line",
            pattern: concat!(r"ctinject\.v\((?P<file>", c_str!(), r#"), (?P<line>[0-9]+), ""#, ident!(), r#"", "#, ident!(), r"\); ?"),
        },
        CallForm {
            kind: FormKind::Branch,
            template: "ctinject.b(FILE, SITE, ARM); ",
            place: "right after the `then` or `else` that opens each body of an if/elseif/else; SITE is the line of the `if`, ARM numbers the bodies from 0",
            pattern: concat!(r"ctinject\.b\((?P<file>", c_str!(), r"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\); ?"),
        },
        CallForm {
            kind: FormKind::Loop,
            template: "ctinject.l(FILE, SITE); ",
            place: "right after the `do` of a `for` or `while` loop, or the `repeat` of a repeat loop; SITE is the loop's line",
            pattern: concat!(r"ctinject\.l\((?P<file>", c_str!(), r"), (?P<line>[0-9]+)\); ?"),
        },
    ],
    runtime: None,
    runtime_beside_sources: false,
    quote: c_like_quote,
    example: Example {
        file: "src/shop.lua",
        source: "local Shop = {}\nfunction Shop.twice(n)\n  local r = n * 2\n  if r > 10 then\n    r = 10\n  end\n  return r\nend\nreturn Shop\n",
        name: "Shop.twice",
        param: "n",
        var: "r",
        inserts: &[
            (At::First(3), FormKind::SpanOpen, 2),
            (At::First(4), FormKind::Var, 3),
            (At::First(5), FormKind::Branch, 4),
            (At::First(6), FormKind::Var, 5),
        ],
    },
    recognised: OnceLock::new(),
};
