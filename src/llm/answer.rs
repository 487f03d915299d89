//! A model's answer, read defensively and checked: only then does it become
//! a plan. What is checked, in order (the first failure is the reason fed
//! back to the model, and, after the last attempt, the file's skip reason):
//!
//! 1. the answer is a JSON object `{"inserts": [{"line", "column", "text"}]}`
//!    (also when wrapped in a Markdown fence or prose);
//! 2. each insert is at a place of the original (1-based line, 1-based
//!    column in characters, up to one past the line's end), its text holds no
//!    line break (lines never move) and does not run into a word beside it,
//!    and it is exactly one of the language's call forms ([`super::forms`]),
//!    naming this file and a line of it;
//! 3. spans opened and closed pair up (where the language closes its spans
//!    with a form, not a scope guard);
//! 4. the instrumented text parses with the language's grammar with no
//!    `ERROR` or `MISSING` node that the original does not have (a language
//!    without a grammar is left to its check command, which the driver
//!    requires).
//!
//! Inserts only: no byte of the original is removed or changed, by
//! construction (an insert has no length).

use super::forms::{FallbackLanguage, FormKind};
use crate::engine::{
    apply_inserts, error_ranges, Arms, FilePlan, Insert, Point, Unit, MODULE_UNIT,
};
use serde::Deserialize;

/// One insert as the model proposes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Proposed {
    pub line: u32,
    pub column: u32,
    pub text: String,
}

#[derive(Deserialize)]
struct Answer {
    inserts: Vec<Proposed>,
}

/// The inserts of an answer's text. Models wrap JSON in fences or prose, so
/// the first `{` to the last `}` is tried when the whole is not JSON.
pub fn parse(text: &str) -> Result<Vec<Proposed>, String> {
    let whole = serde_json::from_str::<Answer>(text.trim());
    let answer = match whole {
        Ok(a) => a,
        Err(e) => {
            let inner = text
                .find('{')
                .zip(text.rfind('}'))
                .filter(|(a, b)| a < b)
                .map(|(a, b)| &text[a..=b]);
            match inner.map(serde_json::from_str::<Answer>) {
                Some(Ok(a)) => a,
                _ => {
                    return Err(format!(
                        "the answer is not the JSON object asked for ({{\"inserts\": [{{\"line\", \"column\", \"text\"}}]}}): {e}"
                    ))
                }
            }
        }
    };
    Ok(answer.inserts)
}

/// An accepted insert, its form, and the line (and arm) it names.
type Checked = (Insert, FormKind, Option<(u32, Option<i64>)>);

/// Checks proposed inserts against `source` (see the module documentation)
/// and makes them a plan: one unit per function that holds inserts (by the
/// grammar's function nodes), the rest in the module unit.
pub fn accept(
    lang: &FallbackLanguage,
    source: &str,
    rel_path: &str,
    proposed: &[Proposed],
) -> Result<FilePlan, String> {
    if proposed.is_empty() {
        return Err("the answer has no inserts".into());
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let lines = line_starts.len() as u32;
    let quoted = (lang.quote)(rel_path);
    let mut accepted: Vec<Checked> = Vec::new();
    let mut opened = 0i64;
    // In the order of the file, so that spans pair up by where they are,
    // whatever order the answer lists them in; a message names an insert
    // by its place in the answer.
    let mut order: Vec<usize> = (0..proposed.len()).collect();
    order.sort_by_key(|&i| (proposed[i].line, proposed[i].column));
    for n in order {
        let p = &proposed[n];
        let which = format!("insert {} (line {}, column {})", n + 1, p.line, p.column);
        if p.text.contains(['\n', '\r']) {
            return Err(format!(
                "{which}: its text holds a line break (lines must not move)"
            ));
        }
        let Some(&start) = line_starts.get(p.line.wrapping_sub(1) as usize) else {
            return Err(format!("{which}: the file has {lines} lines"));
        };
        let end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_text = source[start..end].trim_end_matches('\r');
        let chars = line_text.chars().count() as u32;
        if p.column == 0 || p.column > chars + 1 {
            return Err(format!("{which}: line {} has {chars} characters", p.line));
        }
        let offset = start
            + line_text
                .char_indices()
                .nth(p.column as usize - 1)
                .map_or(line_text.len(), |(i, _)| i);
        // Glued to a word, a call would become part of it: `return s` and
        // `ctinject.v(...)` make `return sctinject.v(...)`, which may even parse.
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if (word(source[..offset].chars().next_back()) && word(p.text.chars().next()))
            || (word(source[offset..].chars().next()) && word(p.text.chars().next_back()))
        {
            return Err(format!(
                "{which}: it would run into the word beside it (insert between tokens)"
            ));
        }
        let found = lang
            .forms
            .iter()
            .zip(lang.recognisers())
            .find_map(|(form, re)| re.captures(&p.text).map(|c| (form.kind, c)));
        let Some((kind, caps)) = found else {
            return Err(format!(
                "{which}: {:?} is not one of the call forms (copy a form exactly, filling in only its placeholders)",
                p.text
            ));
        };
        if let Some(file) = caps.name("file") {
            if file.as_str() != quoted {
                return Err(format!(
                    "{which}: the file is named {}, not {}",
                    quoted,
                    file.as_str()
                ));
            }
        }
        let named_line = match caps.name("line") {
            Some(l) => {
                let l: u32 = l
                    .as_str()
                    .parse()
                    .map_err(|_| format!("{which}: bad line"))?;
                if l == 0 || l > lines {
                    return Err(format!("{which}: line {l} is not a line of the file"));
                }
                let arm = caps.name("arm").and_then(|a| a.as_str().parse().ok());
                Some((l, arm))
            }
            None => None,
        };
        match kind {
            FormKind::SpanOpen => opened += 1,
            FormKind::SpanClose => {
                opened -= 1;
                if opened < 0 {
                    return Err(format!(
                        "{which}: closes a span that no insert before it opened"
                    ));
                }
            }
            _ => {}
        }
        accepted.push((Insert::before(offset, p.text.clone()), kind, named_line));
    }
    // Languages whose span is a scope guard have no closing form to pair.
    let closes = lang.forms.iter().any(|f| f.kind == FormKind::SpanClose);
    if closes && opened != 0 {
        return Err(format!("{opened} span(s) opened and never closed"));
    }
    let inserts: Vec<Insert> = accepted.iter().map(|(i, ..)| i.clone()).collect();
    let functions = match lang.grammar {
        Some(grammar) => check_grammar(lang, grammar(), source, &inserts)?,
        // Checked only by the check command, which the driver requires.
        None => Vec::new(),
    };

    // Units: the innermost function around each insert.
    let mut units: Vec<Unit> = Vec::new();
    for (insert, kind, named) in accepted {
        let inner = functions
            .iter()
            .filter(|f| f.0 <= insert.offset && insert.offset <= f.1)
            .min_by_key(|f| f.1 - f.0);
        let (name, lines_of, bytes) = match inner {
            Some(f) => (f.4.clone(), (f.2, f.3), f.0..f.1),
            None => (MODULE_UNIT.to_string(), (1, lines), 0..source.len()),
        };
        let at = match units
            .iter()
            .position(|u| u.name == name && u.bytes == bytes)
        {
            Some(i) => i,
            None => {
                units.push(Unit {
                    name,
                    lines: lines_of,
                    bytes,
                    inserts: Vec::new(),
                    points: Vec::new(),
                    selected: true,
                });
                units.len() - 1
            }
        };
        let unit = &mut units[at];
        if let (Some(point), Some((line, arm))) = (kind.point(), named) {
            unit.points.push(match (point, arm) {
                (crate::engine::PointKind::Branch, Some(arm)) => Point {
                    arms: Some(Arms {
                        site: line,
                        arms: vec![arm],
                    }),
                    ..Point::instrumented(point, line)
                },
                _ => Point::instrumented(point, line),
            });
        }
        unit.inserts.push(insert);
    }
    Ok(FilePlan {
        header: Vec::new(),
        units,
        lines_moved: 0,
        file_skipped: None,
    })
}

/// Parses the instrumented text with the language's grammar and refuses it
/// when it has a syntax error that the original does not; returns the
/// original's functions.
fn check_grammar(
    lang: &FallbackLanguage,
    grammar: tree_sitter::Language,
    source: &str,
    inserts: &[Insert],
) -> Result<Vec<Function>, String> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&grammar)
        .map_err(|e| format!("the {} grammar: {e}", lang.name))?;
    let original = parser
        .parse(source, None)
        .ok_or("the grammar gave up on the original")?;
    let text = apply_inserts(source, inserts);
    let candidate = parser
        .parse(&text, None)
        .ok_or("the grammar gave up on the result")?;
    let (before, after) = (error_ranges(&original), error_ranges(&candidate));
    if after.len() > before.len() {
        let at = after
            .iter()
            .find(|r| !before.contains(r))
            .or(after.first())
            .map(|r| text[..r.start].matches('\n').count() + 1)
            .unwrap_or(1);
        return Err(format!(
            "the result does not parse as {}: a syntax error at line {at} of the instrumented text",
            lang.name
        ));
    }
    let mut functions = Vec::new();
    collect_functions(
        original.root_node(),
        source,
        lang.function_kinds,
        &mut functions,
    );
    Ok(functions)
}

/// Checks a stored plan (a cache entry) as a fresh answer is checked: its
/// inserts, read back as lines and columns, must be accepted again and give
/// the same plan. The cache holds data, never code to run.
pub fn recheck(
    lang: &FallbackLanguage,
    source: &str,
    rel_path: &str,
    plan: &FilePlan,
) -> Result<(), String> {
    let mut inserts = plan.all_inserts();
    inserts.sort_by_key(|i| i.offset);
    let mut proposed = Vec::with_capacity(inserts.len());
    for i in &inserts {
        if i.offset > source.len() || !source.is_char_boundary(i.offset) {
            return Err(format!(
                "an insert at byte {} is not a place of the file",
                i.offset
            ));
        }
        let before = &source[..i.offset];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        proposed.push(Proposed {
            line: before.matches('\n').count() as u32 + 1,
            column: source[line_start..i.offset].chars().count() as u32 + 1,
            text: i.text.clone(),
        });
    }
    let again = accept(lang, source, rel_path, &proposed)?;
    let mut expected = again.all_inserts();
    expected.sort_by_key(|i| i.offset);
    if expected != inserts {
        return Err("the stored inserts differ from what they check out as".into());
    }
    Ok(())
}

/// A function of the original: start and end byte, first and last line, name.
type Function = (usize, usize, u32, u32, String);

/// The node that names a function: its `name`, or for C and C++ the
/// innermost of its nested `declarator`s (`add` in `int *add(int a)`,
/// `Shop::add` in `int Shop::add(int a)`).
fn function_name(node: tree_sitter::Node) -> Option<tree_sitter::Node> {
    if let Some(name) = node.child_by_field_name("name") {
        return Some(name);
    }
    let mut at = node.child_by_field_name("declarator")?;
    while let Some(inner) = at.child_by_field_name("declarator") {
        at = inner;
    }
    Some(at)
}

/// Every function node: its bytes, lines and name (`Class.method` where a
/// class holds it).
fn collect_functions(
    node: tree_sitter::Node,
    source: &str,
    kinds: &[&str],
    out: &mut Vec<Function>,
) {
    if kinds.contains(&node.kind()) {
        let name = function_name(node)
            .map(|n| source[n.byte_range()].to_string())
            .unwrap_or_else(|| node.kind().to_string());
        let mut owner = node.parent();
        let mut qualified = name;
        while let Some(p) = owner {
            if p.kind().contains("class")
                || p.kind().contains("interface")
                || p.kind().contains("enum")
                || p.kind().contains("struct")
                || p.kind() == "object_declaration"
                || p.kind() == "impl_item"
            {
                // Rust's `impl T` names its type in `type`.
                let named = p
                    .child_by_field_name("name")
                    .or_else(|| p.child_by_field_name("type"));
                if let Some(n) = named {
                    qualified = format!("{}.{qualified}", &source[n.byte_range()]);
                }
            }
            owner = p.parent();
        }
        out.push((
            node.start_byte(),
            node.end_byte(),
            node.start_position().row as u32 + 1,
            node.end_position().row as u32 + 1,
            qualified,
        ));
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_functions(child, source, kinds, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::forms::JAVA;

    const SHOP: &str = "class Shop {\n    int add(int a, int b) {\n        int s = a + b;\n        if (s > 10) {\n            return 10;\n        }\n        return s;\n    }\n}\n";

    fn ins(line: u32, column: u32, text: &str) -> Proposed {
        Proposed {
            line,
            column,
            text: text.to_string(),
        }
    }

    fn good() -> Vec<Proposed> {
        vec![
            ins(2, 28, r#"ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("Shop.java", 2, "Shop.add", "a", a, "b", b); try {"#),
            ins(3, 23, r#"ctinject.CtInject.v("Shop.java", 3, "s", s);"#),
            ins(4, 22, r#"ctinject.CtInject.b("Shop.java", 4, 0);"#),
            ins(8, 5, "} catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }"),
        ]
    }

    #[test]
    fn a_good_answer_becomes_a_plan_that_keeps_every_line() {
        let answer = format!(
            "Here is the plan:\n```json\n{}\n```",
            serde_json::json!({"inserts": good().iter().map(|p| serde_json::json!({"line": p.line, "column": p.column, "text": p.text})).collect::<Vec<_>>()})
        );
        let proposed = parse(&answer).unwrap();
        let plan = accept(&JAVA, SHOP, "Shop.java", &proposed).unwrap();
        // listed in another order: paired by place, the same plan
        let mut reversed = proposed.clone();
        reversed.reverse();
        assert_eq!(accept(&JAVA, SHOP, "Shop.java", &reversed).unwrap(), plan);
        let text = plan.apply(SHOP).unwrap();
        assert_eq!(text.lines().count(), SHOP.lines().count());
        assert!(
            text.contains("int s = a + b;ctinject.CtInject.v("),
            "{text}"
        );
        assert_eq!(plan.units.len(), 1);
        let unit = &plan.units[0];
        assert_eq!((unit.name.as_str(), unit.lines), ("Shop.add", (2, 8)));
        let kinds: Vec<_> = unit.points.iter().map(|p| (p.kind, p.line)).collect();
        use crate::engine::PointKind::*;
        assert_eq!(kinds, [(Function, 2), (Variable, 3), (Branch, 4)]);
        assert_eq!(unit.points[2].arms.as_ref().unwrap().arms, [0]);
        // every original byte is still there, in order
        assert_eq!(
            crate::engine::strip_inserts(&text, &plan.all_inserts()).as_deref(),
            Some(SHOP)
        );
    }

    #[test]
    fn answers_that_are_not_plans_are_refused_with_a_reason() {
        let refuse =
            |proposed: Vec<Proposed>| accept(&JAVA, SHOP, "Shop.java", &proposed).unwrap_err();
        // not a form: code of its own
        let mut p = good();
        p[1].text = "System.exit(0);".into();
        assert!(refuse(p).contains("not one of the call forms"));
        // a line break
        let mut p = good();
        p[1].text = "ctinject.CtInject.v(\"Shop.java\", 3, \"s\", s);\n".into();
        assert!(refuse(p).contains("line break"));
        // another file's name
        let mut p = good();
        p[2].text = r#"ctinject.CtInject.b("Other.java", 4, 0);"#.into();
        assert!(refuse(p).contains("not \"Other.java\""));
        // outside the file
        let mut p = good();
        p[1].line = 40;
        assert!(refuse(p).contains("the file has 10 lines"));
        let mut p = good();
        p[1].column = 99;
        assert!(refuse(p).contains("characters"));
        // a span never closed
        let mut p = good();
        p.pop();
        assert!(refuse(p).contains("never closed"));
        // closed above where it opens
        let mut p = good();
        let close = p.pop().unwrap();
        p[0].line = close.line;
        p.push(Proposed { line: 2, ..close });
        assert!(refuse(p).contains("closes a span that no insert before it opened"));
        // a form in the wrong place: a syntax error
        let mut p = good();
        p[1].column = 13;
        assert!(refuse(p).contains("does not parse as java"));
        assert!(refuse(Vec::new()).contains("no inserts"));
        assert!(parse("I cannot help with that")
            .unwrap_err()
            .contains("not the JSON object"));
    }

    #[test]
    fn ruby_and_php_plans_are_checked_with_their_grammars() {
        use crate::llm::forms::{PHP, RUBY};
        let rb = "class Shop\n  def add(a, b)\n    s = a + b\n    s\n  end\nend\n";
        let good = vec![
            ins(
                2,
                16,
                r#"; _ct_s = CtInject.span("shop.rb", 2, "Shop#add", "a", a, "b", b); begin"#,
            ),
            ins(4, 5, r#"CtInject.v("shop.rb", 3, "s", s); "#),
            ins(
                5,
                3,
                "rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; ",
            ),
        ];
        let plan = accept(&RUBY, rb, "shop.rb", &good).unwrap();
        assert_eq!(plan.units[0].name, "Shop.add");
        assert_eq!(plan.apply(rb).unwrap().lines().count(), rb.lines().count());
        // the span closed in the wrong place: Ruby's grammar refuses it
        let mut bad = good.clone();
        bad[2].line = 6;
        assert!(accept(&RUBY, rb, "shop.rb", &bad).is_err());

        let php = "<?php\nfunction add($a, $b) {\n    $s = $a + $b;\n    return $s;\n}\n";
        let good = vec![
            ins(
                2,
                23,
                r"$_ct_s = \CtInject::span('shop.php', 2, 'add', ['a' => $a, 'b' => $b]); try {",
            ),
            ins(3, 18, r"\CtInject::v('shop.php', 3, 's', $s);"),
            ins(
                5,
                1,
                r"} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); }",
            ),
        ];
        let plan = accept(&PHP, php, "shop.php", &good).unwrap();
        assert_eq!(plan.units[0].name, "add");
        let mut bad = good;
        bad[1].column = 6;
        assert!(accept(&PHP, php, "shop.php", &bad)
            .unwrap_err()
            .contains("does not parse as php"));
    }

    /// The 1-based column just after the first `pat` on `line` of `src`.
    fn after(src: &str, line: u32, pat: &str) -> u32 {
        let text = src.lines().nth(line as usize - 1).unwrap();
        (text[..text.find(pat).unwrap() + pat.len()].chars().count() + 1) as u32
    }

    #[test]
    fn every_grammar_checks_its_languages_plans() {
        use crate::llm::forms::{C, CPP, CSHARP, KOTLIN, RUST};
        // (language, file, source, a good plan, its first unit, which insert
        // to move and where to, so that the grammar refuses it)
        type Case = (
            &'static FallbackLanguage,
            &'static str,
            &'static str,
            Vec<(u32, &'static str, &'static str)>,
            &'static str,
            (usize, u32, &'static str),
        );
        let cases: Vec<Case> = vec![
            (
                &CSHARP,
                "shop.cs",
                "class Shop {\n    int Add(int a, int b) {\n        int s = a + b;\n        if (s > 10) {\n            return 10;\n        }\n        return s;\n    }\n}\n",
                vec![
                    (2, "{", r#"var _ct_s = global::CtInject.Span("shop.cs", 2, "Shop.Add", "a", a, "b", b); try {"#),
                    (3, ";", r#"global::CtInject.V("shop.cs", 3, "s", s);"#),
                    (4, "{", r#"global::CtInject.B("shop.cs", 4, 0);"#),
                    (8, "    ", "} catch (global::System.Exception _ct_e) { _ct_s.Fail(_ct_e); throw; } finally { _ct_s.End(); }"),
                ],
                "Shop.Add",
                (2, 4, "if "),
            ),
            (
                &KOTLIN,
                "shop.kt",
                "class Shop {\n    fun add(a: Int, b: Int): Int {\n        val s = a + b\n        if (s > 10) {\n            return 10\n        }\n        return s\n    }\n}\n",
                vec![
                    (2, "{", r#"val _ct_s = ctinject.CtInject.span("shop.kt", 2, "Shop.add", "a", a, "b", b); try {"#),
                    (4, "        ", r#"ctinject.CtInject.v("shop.kt", 3, "s", s); "#),
                    (4, "{", r#"ctinject.CtInject.b("shop.kt", 4, 0); "#),
                    (8, "    ", "} catch (_ct_t: Throwable) { _ct_s.fail(_ct_t); throw _ct_t } finally { _ct_s.end() }"),
                ],
                "Shop.add",
                (2, 4, "("),
            ),
            (
                &RUST,
                "shop.rs",
                "struct Shop;\nimpl Shop {\n    fn add(&self, a: i32, b: i32) -> i32 {\n        let s = a + b;\n        if s > 10 {\n            return 10;\n        }\n        s\n    }\n}\n",
                vec![
                    (3, "{", r#"let _ct_s = ::ctinject::span!("shop.rs", 3, "Shop::add", a, b);"#),
                    (4, ";", r#"::ctinject::v!("shop.rs", 4, s);"#),
                    (5, "{", r#"::ctinject::b!("shop.rs", 5, 0);"#),
                ],
                "Shop.add",
                (2, 5, "if "),
            ),
            (
                &C,
                "shop.c",
                "static int add(int a, int b) {\n    int s = a + b;\n    while (s > 10) {\n        s -= 10;\n    }\n    return s;\n}\n",
                vec![
                    (1, "{", r#"CTINJECT_SPAN("shop.c", 1, "add");"#),
                    (2, ";", r#"CTINJECT_V("shop.c", 2, "s", s);"#),
                    (3, "{", r#"CTINJECT_L("shop.c", 3);"#),
                ],
                "add",
                (2, 3, "while "),
            ),
            (
                &CPP,
                "shop.cpp",
                "class Shop {\n  public:\n    int add(int a, int b) {\n        int s = a + b;\n        try { s += 1; } catch (...) {\n        }\n        return s;\n    }\n};\n",
                vec![
                    (3, "{", r#"auto _ct_s = ::ctinject::span("shop.cpp", 3, "Shop::add", a, b);"#),
                    (4, ";", r#"::ctinject::v("shop.cpp", 4, "s", s);"#),
                    (5, "(...) {", r#"::ctinject::x("shop.cpp", 5);"#),
                ],
                "Shop.add",
                (2, 5, "catch "),
            ),
        ];
        for (lang, file, src, plan, unit, (moved, line, to)) in cases {
            let good: Vec<Proposed> = plan
                .iter()
                .map(|&(line, pat, text)| ins(line, after(src, line, pat), text))
                .collect();
            let accepted =
                accept(lang, src, file, &good).unwrap_or_else(|e| panic!("{}: {e}", lang.name));
            assert_eq!(accepted.units[0].name, unit, "{}", lang.name);
            assert_eq!(
                accepted.apply(src).unwrap().lines().count(),
                src.lines().count()
            );
            let mut bad = good.clone();
            bad[moved].line = line;
            bad[moved].column = after(src, line, to);
            let refused = match accept(lang, src, file, &bad) {
                Ok(p) => panic!("{}: accepted {:?}", lang.name, p.apply(src)),
                Err(e) => e,
            };
            assert!(
                refused.contains(&format!("does not parse as {}", lang.name)),
                "{}: {refused}",
                lang.name
            );
        }
    }

    #[test]
    fn a_language_without_a_grammar_is_left_to_its_check_command() {
        use crate::llm::forms::LUA;
        let src =
            "local M = {}\nfunction M.add(a, b)\n  local s = a + b\n  return s\nend\nreturn M\n";
        let span = r#"local _ct_s <close> = ctinject.span("shop.lua", 2, "M.add", a, b); "#;
        let var = r#"ctinject.v("shop.lua", 3, "s", s); "#;
        let good = vec![ins(2, after(src, 2, ")"), span), ins(4, 3, var)];
        let plan = accept(&LUA, src, "shop.lua", &good).unwrap();
        assert!(plan.units.iter().all(|u| u.is_module()));
        assert_eq!(plan.units[0].points.len(), 2);
        // after the `return`: invalid Lua, which only `luac -p` can tell
        let after_return = vec![ins(2, after(src, 2, ")"), span), ins(5, 1, var)];
        assert!(accept(&LUA, src, "shop.lua", &after_return).is_ok());
        // glued to `s`: `return sctinject.v(...)` would parse, and call something else
        let glued = vec![ins(4, 11, var)];
        assert!(accept(&LUA, src, "shop.lua", &glued)
            .unwrap_err()
            .contains("run into the word beside it"));
        // the forms are still enforced
        let other = vec![ins(4, 3, "os.exit(1); ")];
        assert!(accept(&LUA, src, "shop.lua", &other)
            .unwrap_err()
            .contains("not one of the call forms"));
    }
}
