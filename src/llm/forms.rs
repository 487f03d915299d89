//! The telemetry calls a language model may insert, per language without a
//! planner. The prompt shows each form's template and where it goes; an
//! answer's insert is accepted only when its text is exactly one of the
//! forms (the recogniser is built from the same table), so a model can
//! place calls but never write other code.

use crate::engine::PointKind;
use regex::Regex;
use std::sync::OnceLock;

/// What a form records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    /// Opens a span at the start of a function's body.
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

/// A language ctinject has no planner for.
pub struct FallbackLanguage {
    pub name: &'static str,
    pub extensions: &'static [&'static str],
    /// Its tree-sitter grammar, which a plan must not break.
    pub grammar: fn() -> tree_sitter::Language,
    /// Node kinds of the functions a span belongs to (for the report's units).
    pub function_kinds: &'static [&'static str],
    pub forms: &'static [CallForm],
    /// The runtime the inserted calls call, when ctinject has one: its path
    /// relative to the source root of the file that calls it
    /// ([`FallbackLanguage::runtime_dir`]), and its text.
    pub runtime: Option<(&'static str, &'static str)>,
    /// Quotes a path as a string literal of the language.
    pub quote: fn(&str) -> String,
}

impl FallbackLanguage {
    /// The folder (relative to the root, `""` for the root) the runtime goes
    /// into for the file `rel` with text `source`: the file's source root,
    /// which its `package a.b;` declaration says (`src/main/java` for
    /// `src/main/java/a/b/C.java`), else the file's folder.
    pub fn runtime_dir(&self, rel: &str, source: &str) -> String {
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
    pub fn recognisers(&self) -> &'static [Regex] {
        static JAVA: OnceLock<Vec<Regex>> = OnceLock::new();
        let cell = match self.name {
            "java" => &JAVA,
            other => unreachable!("no recognisers for {other}"),
        };
        cell.get_or_init(|| {
            self.forms
                .iter()
                .map(|f| Regex::new(&format!("^(?:{})$", f.pattern)).expect("a valid form pattern"))
                .collect()
        })
    }
}

/// Every language the fallback knows.
pub fn all() -> &'static [&'static FallbackLanguage] {
    static ALL: [&FallbackLanguage; 1] = [&JAVA];
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

macro_rules! java_forms {
    () => {
        &[
            CallForm {
                kind: FormKind::SpanOpen,
                template: r#"ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(FILE, LINE, NAME, "param1", param1, "param2", param2); try {"#,
                place: "right after the `{` that opens a method's or constructor's body (in a constructor, after its `this(...)` or `super(...)` call); LINE is the line of the declaration, NAME the method's name as Class.method; the pairs name and pass each parameter (none for a method without parameters)",
                pattern: concat!(
                    r#"ctinject\.CtInject\.Span _ct_s = ctinject\.CtInject\.span\((?P<file>"(?:[^"\\\r\n]|\\.)*"), (?P<line>[0-9]+), "(?:[^"\\\r\n]|\\.)*""#,
                    r#"(?:, "[A-Za-z_$][A-Za-z0-9_$]*", [A-Za-z_$][A-Za-z0-9_$]*)*\); try \{"#
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
                pattern: r#"ctinject\.CtInject\.v\((?P<file>"(?:[^"\\\r\n]|\\.)*"), (?P<line>[0-9]+), "(?P<var>[A-Za-z_$][A-Za-z0-9_$]*)", (?P<var2>[A-Za-z_$][A-Za-z0-9_$]*)\);"#,
            },
            CallForm {
                kind: FormKind::Branch,
                template: "ctinject.CtInject.b(FILE, SITE, ARM);",
                place: "right after the `{` of each block of an if/else chain or of a switch case written with a block; SITE is the line of the first `if` (or the `switch`), ARM numbers the blocks from 0 in source order",
                pattern: r#"ctinject\.CtInject\.b\((?P<file>"(?:[^"\\\r\n]|\\.)*"), (?P<line>[0-9]+), (?P<arm>[0-9]+)\);"#,
            },
            CallForm {
                kind: FormKind::Loop,
                template: "ctinject.CtInject.l(FILE, SITE);",
                place: "right after the `{` of a loop's body (for, enhanced for, while, do); SITE is the loop's line",
                pattern: r#"ctinject\.CtInject\.l\((?P<file>"(?:[^"\\\r\n]|\\.)*"), (?P<line>[0-9]+)\);"#,
            },
            CallForm {
                kind: FormKind::Catch,
                template: "ctinject.CtInject.x(FILE, LINE, VAR);",
                place: "right after the `{` of a catch block; VAR is the caught exception's name, LINE the catch's line",
                pattern: r#"ctinject\.CtInject\.x\((?P<file>"(?:[^"\\\r\n]|\\.)*"), (?P<line>[0-9]+), [A-Za-z_$][A-Za-z0-9_$]*\);"#,
            },
        ]
    };
}

/// Java: calls of `ctinject.CtInject` (src/runtime/java), by its full name,
/// so that no import is added.
pub static JAVA: FallbackLanguage = FallbackLanguage {
    name: "java",
    extensions: &["java"],
    grammar: || tree_sitter_java::LANGUAGE.into(),
    function_kinds: &["method_declaration", "constructor_declaration"],
    forms: java_forms!(),
    runtime: Some((
        "ctinject/CtInject.java",
        include_str!("../runtime/java/ctinject/CtInject.java"),
    )),
    quote: c_like_quote,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_filled_in_is_recognised_as_its_own_form() {
        let file = (JAVA.quote)("src/Shop.java");
        for (form, re) in JAVA.forms.iter().zip(JAVA.recognisers()) {
            let text = form
                .template
                .replace("FILE", &file)
                .replace("LINE", "12")
                .replace("SITE", "14")
                .replace("ARM", "1")
                .replace("NAME", "\"Shop.add\"")
                .replace("VAR", "total");
            assert!(
                re.is_match(&text),
                "{:?} does not match its own form: {text}",
                form.kind
            );
            let others: Vec<_> = JAVA
                .recognisers()
                .iter()
                .zip(JAVA.forms)
                .filter(|(r, f)| f.kind != form.kind && r.is_match(&text))
                .map(|(_, f)| f.kind)
                .collect();
            assert!(others.is_empty(), "{text} also matches {others:?}");
        }
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
        assert!(for_path("a.rb").is_none());
    }
}
