//! What a model is asked. The prompt is part of every cached plan's key
//! ([`PROMPT_VERSION`]): change the text, bump the version.

use super::forms::{At, Example, FallbackLanguage, FormKind};
use std::fmt::Write as _;

/// Bump whenever the prompt's text or the answer's shape changes.
pub const PROMPT_VERSION: u32 = 3;

/// The system message: the rules and the call forms of the language.
pub fn system(lang: &FallbackLanguage, rel_path: &str) -> String {
    let mut s = format!(
        "You instrument {name} source code with telemetry calls. You never change the code: you only say where to insert calls, each one of the call forms below, filled in.\n\
         \n\
         Answer with a JSON object {{\"inserts\": [{{\"line\": L, \"column\": C, \"text\": T}}]}}: T goes before the character at line L, column C of the original file (both 1-based, columns counted in characters; a column one past the end of a line appends to it). T must be exactly one form with its placeholders filled in, on one line, with nothing added: no other code, no line break. FILE is always {file}. Lines are the original's.\n\
         \n\
         {what} The result must compile: each call goes where a statement may{closing}.\n\
         \n\
         The call forms:\n",
        name = lang.name,
        file = (lang.quote)(rel_path),
        what = what_to_record(lang),
        closing = if closes(lang) { ", and every span opened is closed in the same body" } else { "" },
    );
    for form in lang.forms {
        let _ = writeln!(s, "- {}\n  where: {}", form.template, form.place);
        if form.kind == FormKind::SpanOpen && form.template.contains("param1") {
            let _ = writeln!(
                s,
                "- {}\n  where: the same, for a function without parameters (nothing in place of them)",
                cut_params(form.template, None)
            );
        }
    }
    s.push_str(
        "\nThe runtime writes each call as a JSON event: span (a call, with its arguments, duration and exception), var (a variable's value), branch (an arm taken), loop (iterations), exception (a catch entered).\n",
    );
    s.push_str(&example_text(lang, &lang.example));
    s
}

/// A span's parameters (`"param1", param1, "param2", param2`,
/// `['param1' => $param1, ...]`, `param1, param2`) cut to one, named `param`,
/// or, without one, cut out with what encloses them.
fn cut_params(template: &str, param: Option<&str>) -> String {
    let mut t = template.to_string();
    let first = param.map_or("param1", |_| "param2");
    if let (Some(from), Some(last)) = (t.find(first), t.rfind("param2")) {
        let cut = t[..from].rfind(", ").unwrap_or(from);
        let mut end = last + "param2".len();
        if param.is_none() {
            // the closing `]` of PHP's array
            end += t[end..].len() - t[end..].trim_start_matches([']', '\'']).len();
        }
        t.replace_range(cut..end, "");
    }
    t.replace("param1", param.unwrap_or(""))
}

/// A form's template filled in for the example, its span's parameters cut
/// by [`cut_params`].
fn fill(
    template: &str,
    lang: &FallbackLanguage,
    e: &Example,
    line: u32,
    param: Option<&str>,
) -> String {
    cut_params(template, param)
        .replace("FILE", &(lang.quote)(e.file))
        .replace("LINE", &line.to_string())
        .replace("SITE", &line.to_string())
        .replace("ARM", "0")
        .replace(
            "NAME",
            &(lang.quote)(if param.is_some() { e.name } else { "Shop.none" }),
        )
        .replace("VAR", e.var)
}

/// The example's inserts: line, column, text.
fn example_inserts(lang: &FallbackLanguage, e: &Example) -> Vec<(u32, u32, String)> {
    let lines: Vec<&str> = e.source.lines().collect();
    e.inserts
        .iter()
        .filter_map(|&(at, kind, named)| {
            let form = lang.forms.iter().find(|f| f.kind == kind)?;
            let (line, column) = match at {
                At::First(l) => (l, 1),
                At::End(l) => (l, lines[l as usize - 1].chars().count() as u32 + 1),
                At::Start(l) => {
                    let text = lines[l as usize - 1];
                    let blank = text.chars().take_while(|c| c.is_whitespace()).count();
                    (l, blank as u32 + 1)
                }
            };
            Some((
                line,
                column,
                fill(form.template, lang, e, named, Some(e.param)),
            ))
        })
        .collect()
}

fn example_text(lang: &FallbackLanguage, e: &Example) -> String {
    let mut s = format!(
        "\nAn example. For a file {file} that reads\n\n{listing}\nthe answer is\n\n",
        file = e.file,
        listing = numbered(e.source),
    );
    let inserts = example_inserts(lang, e);
    let items: Vec<String> = inserts
        .iter()
        .map(|(line, column, text)| {
            format!(
                "{{\"line\": {line}, \"column\": {column}, \"text\": {}}}",
                serde_json::Value::String(text.clone())
            )
        })
        .collect();
    let _ = writeln!(s, "{{\"inserts\": [{}]}}\n", items.join(", "));
    let lines: Vec<&str> = e.source.lines().collect();
    for (line, column, _) in &inserts {
        let text = lines[*line as usize - 1];
        let len = text.chars().count() as u32;
        if *column == 1 && *line > 1 {
            let _ = writeln!(
                s,
                "Column 1 of line {line} is the start of line {line}, right after the end of line {}: `{}`.",
                line - 1,
                lines[*line as usize - 2].trim()
            );
        } else if *column > len {
            let _ = writeln!(
                s,
                "Line {line} has {len} characters, so column {column} appends to it."
            );
        } else {
            let rest: String = text.chars().skip(*column as usize - 1).collect();
            let _ = writeln!(
                s,
                "Column {column} of line {line} is where `{}` starts.",
                rest.trim_end()
            );
        }
    }
    if let Some(open) = lang.forms.iter().find(|f| f.kind == FormKind::SpanOpen) {
        let _ = writeln!(
            s,
            "A function without parameters declared on line 12 opens its span with {}, with nothing in place of the parameters.",
            fill(open.template, lang, e, 12, None)
        );
    }
    let _ = writeln!(
        s,
        "Your file is another: take its lines, names, parameters and FILE, and instrument every function in it."
    );
    s
}

/// Each line prefixed with its number and `|`.
fn numbered(source: &str) -> String {
    let mut s = String::new();
    for (n, line) in source.lines().enumerate() {
        let _ = writeln!(s, "{}|{}", n + 1, line);
    }
    s
}

fn closes(lang: &FallbackLanguage) -> bool {
    lang.forms.iter().any(|f| f.kind == FormKind::SpanClose)
}

/// The sentence that asks for every point kind the language has forms for.
fn what_to_record(lang: &FallbackLanguage) -> String {
    let has = |kind| lang.forms.iter().any(|f| f.kind == kind);
    let mut also = Vec::new();
    for (kind, what) in [
        (FormKind::Var, "local variables as they are set"),
        (FormKind::Branch, "the arms of if/else and switch"),
        (FormKind::Loop, "the iterations of loops"),
        (FormKind::Catch, "every catch"),
    ] {
        if has(kind) {
            also.push(what);
        }
    }
    let span = if closes(lang) {
        "open a span at the start of its body and close it at the end"
    } else {
        "open a span at the start of its body (it ends by itself when the function returns)"
    };
    let mut s = format!("Instrument every function, method and constructor: {span}");
    if let Some((last, first)) = also.split_last() {
        s.push_str("; record ");
        if !first.is_empty() {
            s.push_str(&first.join(", "));
            s.push_str(" and ");
        }
        s.push_str(last);
    }
    s.push('.');
    s
}

/// The user message: the file with numbered lines, and what was wrong with
/// the previous answer, if any.
pub fn user(source: &str, rel_path: &str, previous_error: Option<&str>) -> String {
    let mut s = format!("The file {rel_path}, each line prefixed with its number and `|`:\n\n");
    s.push_str(&numbered(source));
    if let Some(error) = previous_error {
        let _ = write!(
            s,
            "\nYour previous answer was refused: {error}\nAnswer again, with that corrected.\n"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::forms::JAVA;

    #[test]
    fn the_prompt_gives_every_form_the_file_and_the_previous_error() {
        let sys = system(&JAVA, "src/Shop.java");
        for form in JAVA.forms {
            assert!(sys.contains(form.template), "{}", form.template);
        }
        assert!(sys.contains("FILE is always \"src/Shop.java\""));
        let user = user(
            "class A {\n}\n",
            "src/Shop.java",
            Some("insert 2: not a form"),
        );
        assert!(user.contains("1|class A {\n2|}\n"));
        assert!(user.ends_with("Your previous answer was refused: insert 2: not a form\nAnswer again, with that corrected.\n"));
    }

    #[test]
    fn every_languages_example_plan_is_accepted() {
        for lang in crate::llm::forms::all() {
            let e = &lang.example;
            let inserts = example_inserts(lang, e);
            assert_eq!(inserts.len(), e.inserts.len(), "{}", lang.name);
            let proposed: Vec<crate::llm::answer::Proposed> = inserts
                .iter()
                .map(|(line, column, text)| crate::llm::answer::Proposed {
                    line: *line,
                    column: *column,
                    text: text.clone(),
                })
                .collect();
            if let Err(e) = crate::llm::answer::accept(lang, e.source, e.file, &proposed) {
                panic!("{}: {e}\n{inserts:#?}", lang.name);
            }
            let sys = system(lang, "src/Other.x");
            let first = serde_json::Value::String(inserts[0].2.clone()).to_string();
            assert!(sys.contains(&first), "{}", lang.name);
            assert!(
                inserts.iter().all(|i| !i.2.contains("param")),
                "{}",
                lang.name
            );
            let open = lang
                .forms
                .iter()
                .position(|f| f.kind == FormKind::SpanOpen)
                .unwrap();
            let none = fill(lang.forms[open].template, lang, e, 12, None);
            assert!(
                lang.recognisers()[open].is_match(&none),
                "{}: {none}",
                lang.name
            );
            assert!(sys.contains(&none), "{}", lang.name);
        }
    }
}
