//! Splicing inserts into a text, and taking them out again.

use super::Insert;

/// Sorts inserts into output order: by offset, then by [`super::Slot`], then
/// by their order in the plan (a stable sort keeps that).
///
/// Wrappers of the very same range are opened in plan order (planners push
/// the outer one first) and closed in the reverse order, so they nest.
pub(crate) fn ordered(inserts: &[Insert]) -> Vec<&Insert> {
    let mut v: Vec<(usize, &Insert)> = inserts.iter().enumerate().collect();
    v.sort_by_key(|&(i, ins)| {
        let seq = match ins.slot {
            super::Slot::Close(_) => -(i as i64),
            _ => i as i64,
        };
        (ins.offset, ins.slot, seq)
    });
    v.into_iter().map(|(_, ins)| ins).collect()
}

/// Applies every insert to `source` in one pass, front to back.
///
/// Offsets are byte offsets of `source` and must fall on character
/// boundaries; planners take them from tree-sitter nodes, which do.
pub fn apply_inserts(source: &str, inserts: &[Insert]) -> String {
    let extra: usize = inserts.iter().map(|i| i.text.len()).sum();
    let mut out = String::with_capacity(source.len() + extra);
    let mut at = 0;
    for ins in ordered(inserts) {
        debug_assert!(ins.offset <= source.len() && source.is_char_boundary(ins.offset));
        out.push_str(&source[at..ins.offset]);
        out.push_str(&ins.text);
        at = ins.offset;
    }
    out.push_str(&source[at..]);
    out
}

/// Removes the inserted text again: the inverse of [`apply_inserts`], used to
/// check principle 1 (every original byte kept, in order).
pub fn strip_inserts(instrumented: &str, inserts: &[Insert]) -> Option<String> {
    let mut out = String::with_capacity(instrumented.len());
    let mut at = 0; // position in `instrumented`
    let mut orig_at = 0; // position in the original
    for ins in ordered(inserts) {
        let keep = ins.offset.checked_sub(orig_at)?;
        out.push_str(instrumented.get(at..at + keep)?);
        at += keep;
        orig_at = ins.offset;
        if instrumented.get(at..at + ins.text.len())? != ins.text {
            return None;
        }
        at += ins.text.len();
    }
    out.push_str(instrumented.get(at..)?);
    Some(out)
}

/// How far the inserts push the source's last line down: the line ends they
/// put before the end of its text. Lines appended after it move nothing.
pub fn lines_pushed_down(source: &str, inserts: &[Insert]) -> usize {
    let text_end = source.trim_end_matches(['\n', '\r']).len();
    inserts
        .iter()
        .filter(|i| i.offset < text_end)
        .map(|i| i.text.matches('\n').count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_then_strip_gives_the_original_back() {
        let src = "a = 1\nb = 2\n";
        let ins = vec![
            Insert::after(5, "; v(a)"),
            Insert::before(6, "p; "),
            Insert::after(11, "; v(b)"),
        ];
        let out = apply_inserts(src, &ins);
        assert_eq!(out, "a = 1; v(a)\np; b = 2; v(b)\n");
        assert_eq!(strip_inserts(&out, &ins).as_deref(), Some(src));
    }

    #[test]
    fn only_line_ends_before_the_last_line_push_lines_down() {
        let above = Insert::before(0, "x\n");
        let same_line = Insert::after(3, "; z");
        assert_eq!(lines_pushed_down("a\nb\n", &[above, same_line]), 1);
        // Appended, at the end or before the last line end: nothing moves.
        assert_eq!(lines_pushed_down("a\nb\n", &[Insert::after(4, "y\n")]), 0);
        assert_eq!(lines_pushed_down("a\nb\n", &[Insert::after(3, "\ny")]), 0);
        // Without a final line end, the last line still counts.
        assert_eq!(lines_pushed_down("a\nb", &[Insert::before(2, "x\n")]), 1);
        assert_eq!(lines_pushed_down("a\nb", &[Insert::after(3, "\ny\n")]), 0);
    }

    #[test]
    fn strip_refuses_text_that_does_not_hold_the_inserts() {
        let ins = vec![Insert::after(1, "X")];
        assert_eq!(strip_inserts("ab", &ins), None);
    }
}
