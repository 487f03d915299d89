//! `ctinject trace flamegraph`: the call tree of a trace as a flame graph,
//! an SVG that a browser opens (click a frame to zoom into it, Ctrl-F to
//! search, hover for the figures).
//!
//! Each frame is a function at one place in the call tree (`name
//! (file:line)`), stacked on the frame of its caller; its width is the
//! time spent in it and in the instrumented functions it called, summed
//! over its calls on that path. Frames are not in time order: callers'
//! frames merge and siblings are sorted by name, so the widest paths are
//! where the time went. (A timeline of the calls is `ctinject trace
//! perfetto`.)
//!
//! The graph is drawn from the merged call tree of a [`Summary`]
//! ([`super::summary::Builder::finish`]): each node adds its self time
//! (its time minus that of the calls it made) to the path from its root,
//! the "folded stacks" that [`inferno`] draws (`main (app.py:3);load
//! (db.py:12) 48211`, [`folded`]). The width of a frame is thus the sum
//! of the self times below it, which is its total time when calls nest
//! in time; a call whose children ran concurrently with it or outlived
//! it (tasks, goroutines, callbacks whose parent is the span that started
//! them) has no self time, and its frame is as wide as those children.
//!
//! Not drawn: the calls over the span cap (`runtime.max_spans_per_function`:
//! counted by the `calls` events, not written), whose time the graph does
//! not hold; the calls made inside them are drawn as roots, since their
//! parent was not written. The subtitle says how many there were.

use super::summary::{Summary, TreeNode};
use anyhow::{bail, Result};
use inferno::flamegraph::color::{BasicPalette, Palette};
use inferno::flamegraph::{from_lines, Options};
use std::io::Write;

/// A comment in every SVG this draws: it says whose the file is, so that a
/// later run may write over it (src/outputs.rs).
pub const MARK: &str = "<!-- ctinject flame graph -->";

/// The call tree as folded stacks, one line per node with self time: the
/// labels of the path from its root, joined by `;`, then its self time in
/// nanoseconds. Lines come in the tree's order (depth first, children by
/// total time), which [`render`] does not need.
pub fn folded(summary: &Summary) -> Vec<String> {
    let mut lines = Vec::new();
    let mut path: Vec<String> = Vec::new();
    // depth first without recursion: call chains can be deep
    let mut stack: Vec<(&TreeNode, usize)> =
        summary.call_tree.iter().rev().map(|n| (n, 0)).collect();
    while let Some((node, depth)) = stack.pop() {
        path.truncate(depth);
        path.push(label(node));
        if node.self_ns > 0 {
            lines.push(format!("{} {}", path.join(";"), node.self_ns));
        }
        stack.extend(node.children.iter().rev().map(|c| (c, depth + 1)));
    }
    lines
}

/// A frame's label: `name (file:line)`, with the `;` that separates
/// frames (and any line break) replaced.
fn label(node: &TreeNode) -> String {
    format!("{} ({}:{})", node.name, node.file, node.line).replace([';', '\n', '\r'], ",")
}

/// Draws the flame graph of the summary's call tree as an SVG, titled
/// `title`, times in nanoseconds.
///
/// Times are shown as integer nanoseconds (`1,234,567 ns`): inferno
/// rounds each frame's figure to an integer of its unit, so microseconds
/// would show the many calls under a microsecond as `0 µs`.
///
/// The colours depend on the function's label only (no random colours),
/// so the same trace gives the same bytes.
///
/// A summary without calls (no `span` events), or whose calls all took
/// no measurable time, is an error: there is nothing to draw.
pub fn render(summary: &Summary, title: &str, out: &mut impl Write) -> Result<()> {
    if summary.call_tree.is_empty() {
        bail!(
            "no calls to draw: the trace has no span events (spans are written when instrumented functions return)"
        );
    }
    let lines = folded(summary);
    if lines.is_empty() {
        bail!("no time to draw: every call in the trace took 0 ns");
    }
    let mut options = Options::default();
    options.title = title.to_string();
    options.subtitle = subtitle(summary);
    options.count_name = "ns".to_string();
    options.colors = Palette::Basic(BasicPalette::Hot);
    options.deterministic = true;
    let mut svg = Vec::new();
    from_lines(&mut options, lines.iter().map(String::as_str), &mut svg)?;
    // the mark goes right after the XML declaration, which must come first
    let split = svg.windows(2).position(|w| w == b"?>").map_or(0, |n| n + 2);
    out.write_all(&svg[..split])?;
    out.write_all(MARK.as_bytes())?;
    out.write_all(&svg[split..])?;
    Ok(())
}

/// What the graph does not show, if anything.
fn subtitle(summary: &Summary) -> Option<String> {
    let mut notes = Vec::new();
    let capped: Vec<u64> = (summary.functions.iter())
        .map(|f| f.omitted_calls)
        .filter(|&n| n > 0)
        .collect();
    if !capped.is_empty() {
        let calls: u64 = capped.iter().sum();
        notes.push(format!(
            "not drawn: {calls} call{} over the span cap, of {} function{} (calls made inside them are drawn as roots)",
            if calls == 1 { "" } else { "s" },
            capped.len(),
            if capped.len() == 1 { "" } else { "s" },
        ));
    }
    if summary.truncated > 0 {
        notes.push(format!(
            "incomplete: {} process{} stopped writing at the trace size limit",
            summary.truncated,
            if summary.truncated == 1 { "" } else { "es" }
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::summary::Builder;

    fn span(id: u64, parent: Option<u64>, name: &str, line: u64, ns: u64) -> String {
        let parent = parent.map_or("null".to_string(), |p| format!("\"{p:016x}\""));
        let name = serde_json::to_string(name).unwrap();
        format!(
            r#"{{"v":1,"type":"span","trace_id":"t","span_id":"{id:016x}","parent_id":{parent},"name":{name},"module":"m","file":"m.py","line":{line},"kind":"function","start_unix_ns":1,"duration_ns":{ns},"args":{{}},"return":null,"status":"ok","exception":null,"pid":7,"tid":1}}"#
        )
    }

    fn summarize(lines: &[String]) -> Summary {
        let mut b = Builder::default();
        for (i, l) in lines.iter().enumerate() {
            b.line(l, || format!("t:{}", i + 1));
        }
        b.finish()
    }

    fn sample() -> Vec<String> {
        // main(100) -> a(30) -> b(10); main -> a(20); b(5) at top level;
        // f(100) -> f(60) -> f(10); g(7) -> h(7): g has no self time
        vec![
            span(3, Some(2), "b", 2, 10),
            span(2, Some(1), "a", 1, 30),
            span(4, Some(1), "a", 1, 20),
            span(1, None, "main", 4, 100),
            span(5, None, "b", 2, 5),
            span(13, Some(12), "f", 9, 10),
            span(12, Some(11), "f", 9, 60),
            span(11, None, "f", 9, 100),
            span(22, Some(21), "h;x", 6, 7),
            span(21, None, "g", 5, 7),
        ]
    }

    #[test]
    fn folded_stacks_have_merged_paths_and_self_times() {
        assert_eq!(
            folded(&summarize(&sample())),
            [
                "f (m.py:9) 40",
                "f (m.py:9);f (m.py:9) 50",
                "f (m.py:9);f (m.py:9);f (m.py:9) 10",
                "main (m.py:4) 50",
                "main (m.py:4);a (m.py:1) 40",
                "main (m.py:4);a (m.py:1);b (m.py:2) 10",
                "g (m.py:5);h,x (m.py:6) 7",
                "b (m.py:2) 5",
            ]
        );
    }

    fn svg(summary: &Summary, title: &str) -> String {
        let mut out = Vec::new();
        render(summary, title, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn render_draws_the_frames_with_a_title() {
        let s = summarize(&sample());
        let svg = svg(&s, "trace.jsonl");
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains("trace.jsonl"), "{svg}");
        for frame in ["main (m.py:4)", "a (m.py:1)", "b (m.py:2)", "h,x (m.py:6)"] {
            assert!(svg.contains(frame), "{frame} in {svg}");
        }
        assert!(svg.contains("(100 ns,"), "main's width, in ns: {svg}");
        assert!(!svg.contains("not drawn"), "{svg}");
    }

    #[test]
    fn render_is_deterministic() {
        let s = summarize(&sample());
        assert_eq!(svg(&s, "t"), svg(&s, "t"));
    }

    #[test]
    fn the_subtitle_says_what_is_not_drawn() {
        let mut lines = sample();
        lines.push(r#"{"v":1,"type":"calls","name":"a","module":"m","file":"m.py","line":1,"kind":"function","recorded":2,"omitted":10,"omitted_duration_ns":40,"omitted_max_duration_ns":9,"pid":7}"#.into());
        lines.push(r#"{"v":1,"type":"calls","name":"b","module":"m","file":"m.py","line":2,"kind":"function","recorded":2,"omitted":3,"omitted_duration_ns":4,"omitted_max_duration_ns":2,"pid":7}"#.into());
        lines
            .push(r#"{"v":1,"type":"truncated","time_unix_ns":1,"limit_bytes":10,"pid":7}"#.into());
        let svg = svg(&summarize(&lines), "t");
        assert!(
            svg.contains("not drawn: 13 calls over the span cap, of 2 functions"),
            "{svg}"
        );
        assert!(svg.contains("incomplete: 1 process stopped"), "{svg}");
    }

    #[test]
    fn nothing_to_draw_is_an_error() {
        let empty = summarize(&[r#"{"v":1,"type":"var","name":"x"}"#.to_string()]);
        let err = render(&empty, "t", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("no span events"), "{err}");
        let instant = summarize(&[span(1, None, "f", 1, 0)]);
        let err = render(&instant, "t", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("took 0 ns"), "{err}");
    }
}
