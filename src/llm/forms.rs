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
    /// relative to the folder [`FallbackLanguage::runtime_dir`] gives, and
    /// its text.
    pub runtime: Option<(&'static str, &'static str)>,
    /// Whether the runtime goes at the file's source root (Java's package
    /// layout) or at the root given to ctinject (a file the program loads
    /// by path: `ruby -r`, PHP's `auto_prepend_file`).
    pub runtime_beside_sources: bool,
    /// Quotes a path as a string literal of the language.
    pub quote: fn(&str) -> String,
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
    static ALL: [&FallbackLanguage; 3] = [&JAVA, &RUBY, &PHP];
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
    runtime_beside_sources: true,
    quote: c_like_quote,
    recognised: OnceLock::new(),
};

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

/// A PHP string literal: single quotes, which interpolate nothing.
fn php_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
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
    grammar: || tree_sitter_ruby::LANGUAGE.into(),
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
    runtime: Some(("ctinject.rb", include_str!("../runtime/ruby/ctinject.rb"))),
    runtime_beside_sources: false,
    quote: ruby_quote,
    recognised: OnceLock::new(),
};

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
    grammar: || tree_sitter_php::LANGUAGE_PHP.into(),
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
    runtime: Some(("ctinject.php", include_str!("../runtime/php/ctinject.php"))),
    runtime_beside_sources: false,
    quote: php_quote,
    recognised: OnceLock::new(),
};

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
