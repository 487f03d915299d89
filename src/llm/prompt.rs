//! What a model is asked. The prompt is part of every cached plan's key
//! ([`PROMPT_VERSION`]): change the text, bump the version.

use super::forms::{FallbackLanguage, FormKind};
use std::fmt::Write as _;

/// Bump whenever the prompt's text or the answer's shape changes.
pub const PROMPT_VERSION: u32 = 2;

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
    }
    s.push_str(
        "\nThe runtime writes each call as a JSON event: span (a call, with its arguments, duration and exception), var (a variable's value), branch (an arm taken), loop (iterations), exception (a catch entered).\n",
    );
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
    for (n, line) in source.lines().enumerate() {
        let _ = writeln!(s, "{}|{}", n + 1, line);
    }
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
}
