//! What every planner's golden tests check on the way: the plan applied by
//! the engine (which takes back any unit whose inserts break the parse),
//! accepted by `check_plan`, stripped back to the original, with no line
//! moved, and recognised as instrumented when planned again.

use super::{Language, PlanContext};
use crate::engine::{error_ranges, instrument, lines_pushed_down, strip_inserts, FilePlan};

pub fn parse(lang: &dyn Language, src: &str) -> tree_sitter::Tree {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&lang.grammar()).unwrap();
    p.parse(src, None).unwrap()
}

/// Plans and applies `src` as `lang` in `ctx`: the text and the plan.
pub fn run(lang: &dyn Language, src: &str, ctx: &PlanContext) -> (String, FilePlan) {
    let tree = parse(lang, src);
    let plan = lang.plan(src, &tree, ctx);
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).unwrap();
    let out = instrument(src, plan, &error_ranges(&tree), &mut |t, _| {
        Some(error_ranges(&parser.parse(t, None)?))
    });
    assert_eq!(
        lang.check_plan(src, &out.plan),
        Ok(()),
        "check_plan refused its own plan"
    );
    let text = out.text.clone().unwrap_or_else(|| src.to_string());
    let all = out.plan.all_inserts();
    assert_eq!(
        strip_inserts(&text, &all).as_deref(),
        Some(src),
        "strip failed:\n{text}"
    );
    assert_eq!(lines_pushed_down(src, &all), 0, "a line moved:\n{text}");
    assert_eq!(text.lines().count(), src.lines().count());
    // Instrumenting the output again changes nothing.
    let again = lang.plan(&text, &parse(lang, &text), ctx);
    assert!(
        again.all_inserts().is_empty(),
        "instrumented twice:\n{text}"
    );
    (text, out.plan)
}
