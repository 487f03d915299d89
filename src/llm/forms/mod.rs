//! The telemetry calls a language model may insert, per language without a
//! planner. The prompt shows each form's template and where it goes; an
//! answer's insert is accepted only when its text is exactly one of the
//! forms (the recogniser is built from the same table), so a model can
//! place calls but never write other code.

use crate::engine::PointKind;
use regex::Regex;
use std::sync::OnceLock;

// Pieces of the recognisers that several languages share: a double-quoted
// string literal with backslash escapes, and an identifier.
macro_rules! c_str {
    () => {
        r#""(?:[^"\\\r\n]|\\.)*""#
    };
}
macro_rules! ident {
    () => {
        r"[A-Za-z_][A-Za-z0-9_]*"
    };
}

mod c;
mod cpp;
mod csharp;
mod java;
mod kotlin;
mod lua;
mod php;
mod ruby;
mod rust;

pub use c::C;
pub use cpp::CPP;
pub use csharp::CSHARP;
pub use java::JAVA;
pub use kotlin::KOTLIN;
pub use lua::LUA;
pub use php::PHP;
pub use ruby::RUBY;
pub use rust::RUST;

/// What a form records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    /// Opens a span at the start of a function's body. In a language with
    /// scope guards (C++ and Rust destructors, C's cleanup attribute, Lua's
    /// `<close>`) it is the whole span; otherwise a `SpanClose` ends it.
    SpanOpen,
    /// Closes the span opened by `SpanOpen`, at the end of the same body.
    SpanClose,
    Var,
    Branch,
    Loop,
    Catch,
}

impl FormKind {
    /// The point a form counts as (`SpanClose` is part of its `SpanOpen`).
    pub fn point(self) -> Option<PointKind> {
        match self {
            FormKind::SpanOpen => Some(PointKind::Function),
            FormKind::SpanClose => None,
            FormKind::Var => Some(PointKind::Variable),
            FormKind::Branch => Some(PointKind::Branch),
            FormKind::Loop => Some(PointKind::Loop),
            FormKind::Catch => Some(PointKind::Exception),
        }
    }
}

/// One call form.
pub struct CallForm {
    pub kind: FormKind,
    /// As the prompt shows it: `FILE`, `LINE`, `SITE`, `ARM`, `NAME` and `VAR`
    /// stand for the parts the model fills in.
    pub template: &'static str,
    /// Where it goes, for the prompt.
    pub place: &'static str,
    /// The recogniser: the whole text must match. Named groups: `file` (the
    /// path literal), `line` (the line or site it names), `arm`.
    pub pattern: &'static str,
}

/// Where an example's insert goes: at column 1 of a line (right after the
/// end of the line before, which small models place best), one past the end
/// of a line (appended), or at its first character that is not a space.
#[derive(Clone, Copy)]
pub enum At {
    First(u32),
    End(u32),
    Start(u32),
}

/// A worked example for the prompt: a tiny function of the language, and
/// the plan for it, whose texts are the language's own forms filled in (a
/// test checks that every language's plan is accepted).
pub struct Example {
    pub file: &'static str,
    pub source: &'static str,
    /// NAME, unquoted.
    pub name: &'static str,
    /// The function's one parameter, and the local variable recorded.
    pub param: &'static str,
    pub var: &'static str,
    /// Where, which form (the first of that kind in the table), and the line
    /// (LINE or SITE) the call names; ARM is always 0.
    pub inserts: &'static [(At, FormKind, u32)],
}

/// Braces on the declaration's line `def`: the span opens at the start of
/// the next line, the local is set on `def + 1`, the `if` is on `def + 2`,
/// and `}` closes the function on `def + 6` (or, without a closing form, the
/// assignment in the `if` is recorded).
const fn braces(def: u32, close: bool) -> [(At, FormKind, u32); 4] {
    [
        (At::First(def + 1), FormKind::SpanOpen, def),
        (At::First(def + 2), FormKind::Var, def + 1),
        (At::First(def + 3), FormKind::Branch, def + 2),
        if close {
            (At::First(def + 6), FormKind::SpanClose, def)
        } else {
            (At::First(def + 4), FormKind::Var, def + 3)
        },
    ]
}

/// A language ctinject has no planner for.
pub struct FallbackLanguage {
    pub name: &'static str,
    pub extensions: &'static [&'static str],
    /// Its tree-sitter grammar, which a plan must not break. Without one, a
    /// plan is checked only by the configured check command, and a file is
    /// not sent unless there is one.
    pub grammar: Option<fn() -> tree_sitter::Language>,
    /// Node kinds of the functions a span belongs to (for the report's units).
    pub function_kinds: &'static [&'static str],
    pub forms: &'static [CallForm],
    /// The runtime the inserted calls call, when ctinject has one: its path
    /// relative to the folder [`FallbackLanguage::runtime_dir`] gives, and
    /// its text.
    pub runtime: Option<(&'static str, &'static str)>,
    /// Whether the runtime goes at the file's source root (Java's package
    /// layout) or at the root given to ctinject (a file the program loads
    /// by path: `ruby -r`, PHP's `auto_prepend_file`).
    pub runtime_beside_sources: bool,
    /// Quotes a path as a string literal of the language.
    pub quote: fn(&str) -> String,
    /// The prompt's worked example.
    pub example: Example,
    /// The forms' recognisers, built once from `forms`.
    pub recognised: OnceLock<Vec<Regex>>,
}

impl FallbackLanguage {
    /// The folder (relative to the root, `""` for the root) the runtime goes
    /// into for the file `rel` with text `source`: for Java, the file's
    /// source root, which its `package a.b;` declaration says
    /// (`src/main/java` for `src/main/java/a/b/C.java`), else the file's
    /// folder; for the others, the root.
    pub fn runtime_dir(&self, rel: &str, source: &str) -> String {
        if !self.runtime_beside_sources {
            return String::new();
        }
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        let package = source.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix("package ")?;
            Some(rest.split(';').next()?.trim().replace('.', "/"))
        });
        match package {
            Some(p) if !p.is_empty() => {
                if dir == p {
                    String::new()
                } else {
                    dir.strip_suffix(&format!("/{p}"))
                        .unwrap_or(dir)
                        .to_string()
                }
            }
            _ => dir.to_string(),
        }
    }

    /// The forms' recognisers, in table order.
    pub fn recognisers(&self) -> &[Regex] {
        self.recognised.get_or_init(|| {
            self.forms
                .iter()
                .map(|f| Regex::new(&format!("^(?:{})$", f.pattern)).expect("a valid form pattern"))
                .collect()
        })
    }
}

/// Every language the fallback knows.
pub fn all() -> &'static [&'static FallbackLanguage] {
    static ALL: [&FallbackLanguage; 9] =
        [&JAVA, &RUBY, &PHP, &CSHARP, &KOTLIN, &RUST, &C, &CPP, &LUA];
    &ALL
}

/// The fallback language of a path, by its extension.
pub fn for_path(path: &str) -> Option<&'static FallbackLanguage> {
    let ext = path.rsplit_once('.')?.1;
    all().iter().copied().find(|l| l.extensions.contains(&ext))
}

/// A string literal with `"` and `\` escaped (Java, C#, C, C++, Kotlin, PHP's `"..."`).
fn c_like_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_filled_in_is_recognised_as_its_own_form() {
        for lang in all() {
            let file = (lang.quote)("src/Shop.x");
            for (form, re) in lang.forms.iter().zip(lang.recognisers()) {
                let text = form
                    .template
                    .replace("FILE", &file)
                    .replace("LINE", "12")
                    .replace("SITE", "14")
                    .replace("ARM", "1")
                    .replace("NAME", &(lang.quote)("Shop.add"))
                    .replace("VAR", "total");
                assert!(
                    re.is_match(&text),
                    "{}: {:?} does not match its own form: {text}",
                    lang.name,
                    form.kind
                );
                let others: Vec<_> = lang
                    .recognisers()
                    .iter()
                    .zip(lang.forms)
                    .filter(|(r, f)| f.kind != form.kind && r.is_match(&text))
                    .map(|(_, f)| f.kind)
                    .collect();
                assert!(others.is_empty(), "{text} also matches {others:?}");
                // the template parses where it goes: checked by the runtimes' forms tests
            }
        }
    }

    #[test]
    fn strings_that_would_run_code_are_not_forms() {
        // Ruby interpolates "#{...}"; PHP interpolates double quotes
        let ruby = r#"CtInject.b("a.rb#{system('id')}", 3, 0); "#;
        assert!(!RUBY.recognisers().iter().any(|r| r.is_match(ruby)));
        assert!(RUBY
            .recognisers()
            .iter()
            .any(|r| r.is_match(r#"CtInject.b("a\#{x}.rb", 3, 0); "#)));
        let php = r#"\CtInject::b("a{$x}.php", 3, 0);"#;
        assert!(!PHP.recognisers().iter().any(|r| r.is_match(php)));
        assert_eq!((RUBY.quote)("a#b\"c"), r#""a\#b\"c""#);
        assert_eq!((PHP.quote)("it's"), r"'it\'s'");
    }

    #[test]
    fn other_code_is_not_a_form() {
        for text in [
            "System.exit(1);",
            "ctinject.CtInject.v(\"a.java\", 3, \"x\", x); System.exit(1);",
            "ctinject.CtInject.b(\"a.java\", 3, 0);\nint y = 2;",
            "ctinject.CtInject.v(\"a.java\", 3, \"x\", x.delete());",
            "ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(\"a.java\", 3, \"f\", \"a\", a.b()); try {",
            "}",
        ] {
            assert!(
                !JAVA.recognisers().iter().any(|r| r.is_match(text)),
                "accepted: {text}"
            );
        }
        assert_eq!(for_path("src/A.java").map(|l| l.name), Some("java"));
        let pkg = "// x\npackage com.shop;\nclass A {}\n";
        assert_eq!(
            JAVA.runtime_dir("src/main/java/com/shop/A.java", pkg),
            "src/main/java"
        );
        assert_eq!(JAVA.runtime_dir("com/shop/A.java", pkg), "");
        assert_eq!(JAVA.runtime_dir("lib/A.java", "class A {}"), "lib");
        assert_eq!(JAVA.runtime_dir("A.java", "class A {}"), "");
        assert!(for_path("a.txt").is_none());
    }
}
