//! `ctinject trace summary`: a trace's call tree (counts, total and self
//! time), its slowest and most frequent functions, every error with where
//! it happened, loop counts and the branch arms taken.
//!
//! Feed lines to a [`Builder`], then [`Builder::finish`]. Spans are written
//! when they end, so children come before their parents: the tree is built
//! at the end, from every span's id, parent and duration (a few words per
//! span are kept, not the events).

use super::{span_id, Event, Function};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Reads events, one line at a time.
#[derive(Default)]
pub struct Builder {
    functions: Vec<Function>,
    function_index: HashMap<Function, u32>,
    spans: Vec<SpanRecord>,
    /// function, exception type, message -> count
    errors: BTreeMap<(u32, String, String), u64>,
    omitted: HashMap<u32, Omitted>,
    loops: BTreeMap<(String, u64), LoopStat>,
    branches: BTreeMap<(String, u64), BTreeMap<i64, u64>>,
    processes: BTreeSet<u64>,
    events: u64,
    malformed: u64,
    first_malformed: Option<String>,
    truncated: u64,
}

struct SpanRecord {
    id: Option<u64>,
    parent: Option<u64>,
    function: u32,
    duration_ns: u64,
}

#[derive(Default)]
struct Omitted {
    calls: u64,
    untimed: u64,
    duration_ns: u64,
    max_ns: u64,
}

/// The summary, as `--format json` prints it.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub events: u64,
    pub spans: u64,
    pub processes: usize,
    /// Lines that are not events (not JSON, or not an object with a type).
    pub malformed_lines: u64,
    /// `truncated` events: a process stopped writing at the size limit.
    pub truncated: u64,
    /// Calls nested as they ran, merged by path; children by total time.
    pub call_tree: Vec<TreeNode>,
    /// Every function, by total time (slowest first).
    pub functions: Vec<FunctionStat>,
    pub errors: Vec<ErrorStat>,
    pub loops: Vec<LoopStat>,
    pub branches: Vec<BranchStat>,
}

#[derive(Debug, Serialize)]
pub struct TreeNode {
    pub name: String,
    pub file: String,
    pub line: u64,
    pub calls: u64,
    pub total_ns: u64,
    pub self_ns: u64,
    pub children: Vec<TreeNode>,
}

#[derive(Debug, Serialize, Clone)]
pub struct FunctionStat {
    pub name: String,
    pub module: Option<String>,
    pub file: String,
    pub line: u64,
    /// Every call: written ones and omitted ones (over the span cap).
    pub calls: u64,
    pub omitted_calls: u64,
    /// Omitted calls only counted, not timed: not in `total_ns` nor `max_ns`.
    pub untimed_calls: u64,
    pub errors: u64,
    /// Time in the function, recursive calls counted once (the outermost),
    /// omitted calls included (but the untimed ones).
    pub total_ns: u64,
    /// Time in the function itself, not in the instrumented functions it
    /// called (written calls only).
    pub self_ns: u64,
    pub max_ns: u64,
}

#[derive(Debug, Serialize)]
pub struct ErrorStat {
    pub name: String,
    pub file: String,
    pub line: u64,
    pub exception: String,
    pub message: Option<String>,
    pub count: u64,
}

#[derive(Debug, Serialize, Clone, Default)]
pub struct LoopStat {
    pub file: String,
    pub line: u64,
    pub kind: String,
    pub runs: u64,
    pub iterations: u64,
    pub max_iterations: u64,
}

#[derive(Debug, Serialize)]
pub struct BranchStat {
    pub file: String,
    pub line: u64,
    /// Arm number and how many times it was taken, arm order.
    pub arms: Vec<(i64, u64)>,
}

impl Builder {
    /// Reads one line; `origin` (as `trace.jsonl:12`) names it in the
    /// warning about the first malformed line.
    pub fn line(&mut self, text: &str, origin: impl FnOnce() -> String) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let event = match serde_json::from_str::<Event>(text) {
            Ok(e) => e,
            Err(e) => {
                self.malformed += 1;
                self.first_malformed
                    .get_or_insert_with(|| format!("{}: {e}", origin()));
                return;
            }
        };
        self.events += 1;
        match event {
            Event::Span(s) => {
                if let Some(pid) = s.pid {
                    self.processes.insert(pid);
                }
                let function = self.function(s.function);
                if s.status == "error" {
                    let (kind, message) = s.exception.map_or((None, None), |e| (e.kind, e.message));
                    let key = (
                        function,
                        kind.unwrap_or_else(|| "?".into()),
                        message.unwrap_or_default(),
                    );
                    *self.errors.entry(key).or_default() += 1;
                }
                self.spans.push(SpanRecord {
                    id: span_id(&s.span_id),
                    parent: s.parent_id.as_deref().and_then(span_id),
                    function,
                    duration_ns: s.duration_ns,
                });
            }
            Event::Calls(c) => {
                let function = self.function(c.function);
                let o = self.omitted.entry(function).or_default();
                o.calls += c.omitted;
                o.untimed += c.omitted_untimed;
                o.duration_ns += c.omitted_duration_ns;
                o.max_ns = o.max_ns.max(c.omitted_max_duration_ns);
                for (kind, n) in c.omitted_exceptions {
                    *self
                        .errors
                        .entry((function, kind, String::new()))
                        .or_default() += n;
                }
            }
            Event::Branch(b) => *self.arm(b.file, b.site, b.arm) += 1,
            Event::Branches(b) => *self.arm(b.file, b.site, b.arm) += b.omitted,
            Event::Loop(l) => {
                let s = self.loop_stat(l.file, l.site, l.kind);
                s.runs += 1;
                s.iterations += l.iterations;
                s.max_iterations = s.max_iterations.max(l.iterations);
            }
            Event::Loops(l) => {
                let s = self.loop_stat(l.file, l.site, l.kind);
                s.runs += l.omitted;
                s.iterations += l.omitted_iterations;
                s.max_iterations = s.max_iterations.max(l.omitted_max_iterations);
            }
            Event::Truncated {} => self.truncated += 1,
            Event::Other => {}
        }
    }

    /// The first malformed line and why, if any.
    pub fn first_malformed(&self) -> Option<&str> {
        self.first_malformed.as_deref()
    }

    fn function(&mut self, f: Function) -> u32 {
        if let Some(&i) = self.function_index.get(&f) {
            return i;
        }
        let i = self.functions.len() as u32;
        self.function_index.insert(f.clone(), i);
        self.functions.push(f);
        i
    }

    fn arm(&mut self, file: String, site: u64, arm: i64) -> &mut u64 {
        self.branches
            .entry((file, site))
            .or_default()
            .entry(arm)
            .or_default()
    }

    fn loop_stat(&mut self, file: String, line: u64, kind: String) -> &mut LoopStat {
        self.loops
            .entry((file.clone(), line))
            .or_insert_with(|| LoopStat {
                file,
                line,
                kind,
                ..LoopStat::default()
            })
    }

    /// The summary of every line read.
    pub fn finish(self) -> Summary {
        let n = self.spans.len();
        let by_id: HashMap<u64, usize> = (self.spans.iter().enumerate())
            .filter_map(|(i, s)| s.id.map(|id| (id, i)))
            .collect();
        let parent_of = |s: &SpanRecord| s.parent.and_then(|p| by_id.get(&p).copied());
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        let mut child_ns = vec![0u64; n];
        for (i, s) in self.spans.iter().enumerate() {
            match parent_of(s) {
                // a span that names itself as parent would loop forever
                Some(p) if p != i => {
                    children[p].push(i);
                    child_ns[p] += s.duration_ns;
                }
                _ => roots.push(i),
            }
        }
        let self_ns = |i: usize| self.spans[i].duration_ns.saturating_sub(child_ns[i]);

        // per function: calls, errors, outermost time, self time, max
        let mut stats: Vec<FunctionStat> = (self.functions.iter())
            .map(|f| FunctionStat {
                name: f.name.clone(),
                module: f.module.clone(),
                file: f.file.clone(),
                line: f.line,
                calls: 0,
                omitted_calls: 0,
                untimed_calls: 0,
                errors: 0,
                total_ns: 0,
                self_ns: 0,
                max_ns: 0,
            })
            .collect();
        for ((f, _, _), count) in &self.errors {
            stats[*f as usize].errors += count;
        }
        for (&f, o) in &self.omitted {
            let s = &mut stats[f as usize];
            s.calls += o.calls;
            s.omitted_calls += o.calls;
            s.untimed_calls += o.untimed;
            s.total_ns += o.duration_ns;
            s.max_ns = s.max_ns.max(o.max_ns);
        }

        // Walk every tree depth first (no recursion: call chains can be
        // deep), merging paths into nodes and counting a recursive
        // function's time once, at its outermost call.
        let mut nodes: Vec<Node> = Vec::new();
        let mut top: BTreeMap<u32, usize> = BTreeMap::new();
        let mut active = vec![0u32; self.functions.len()];
        let mut visited = vec![false; n];
        enum Step {
            Enter(usize, Option<usize>),
            Leave(usize),
        }
        let mut stack: Vec<Step> = roots.iter().rev().map(|&r| Step::Enter(r, None)).collect();
        while let Some(step) = stack.pop() {
            match step {
                Step::Enter(i, parent_node) => {
                    if std::mem::replace(&mut visited[i], true) {
                        continue; // (a parent cycle among forged ids)
                    }
                    let s = &self.spans[i];
                    let f = s.function;
                    let next = nodes.len();
                    let siblings = match parent_node {
                        Some(p) => &mut nodes[p].children,
                        None => &mut top,
                    };
                    let node = *siblings.entry(f).or_insert(next);
                    if node == next {
                        nodes.push(Node::new(f));
                    }
                    let own = self_ns(i);
                    let nd = &mut nodes[node];
                    nd.calls += 1;
                    nd.total_ns += s.duration_ns;
                    nd.self_ns += own;
                    let st = &mut stats[f as usize];
                    st.calls += 1;
                    st.self_ns += own;
                    st.max_ns = st.max_ns.max(s.duration_ns);
                    if active[f as usize] == 0 {
                        st.total_ns += s.duration_ns;
                    }
                    active[f as usize] += 1;
                    stack.push(Step::Leave(i));
                    for &c in children[i].iter().rev() {
                        stack.push(Step::Enter(c, Some(node)));
                    }
                }
                Step::Leave(i) => active[self.spans[i].function as usize] -= 1,
            }
        }
        let call_tree = tree(&nodes, &top, &self.functions);

        let mut functions = stats;
        functions.retain(|f| f.calls > 0);
        functions.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(b.calls.cmp(&a.calls)));
        let mut errors: Vec<ErrorStat> = (self.errors.into_iter())
            .map(|((f, exception, message), count)| {
                let f = &self.functions[f as usize];
                ErrorStat {
                    name: f.name.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    exception,
                    message: (!message.is_empty()).then_some(message),
                    count,
                }
            })
            .collect();
        errors.sort_by_key(|e| std::cmp::Reverse(e.count));
        Summary {
            events: self.events,
            spans: n as u64,
            processes: self.processes.len(),
            malformed_lines: self.malformed,
            truncated: self.truncated,
            call_tree,
            functions,
            errors,
            loops: self.loops.into_values().collect(),
            branches: (self.branches.into_iter())
                .map(|((file, line), arms)| BranchStat {
                    file,
                    line,
                    arms: arms.into_iter().collect(),
                })
                .collect(),
        }
    }
}

struct Node {
    function: u32,
    calls: u64,
    total_ns: u64,
    self_ns: u64,
    children: BTreeMap<u32, usize>,
}

impl Node {
    fn new(function: u32) -> Node {
        Node {
            function,
            calls: 0,
            total_ns: 0,
            self_ns: 0,
            children: BTreeMap::new(),
        }
    }
}

/// The merged nodes as a tree, each level by total time (then name).
fn tree(nodes: &[Node], level: &BTreeMap<u32, usize>, functions: &[Function]) -> Vec<TreeNode> {
    // Built bottom-up without recursion: post-order over the arena.
    let mut built: Vec<Option<TreeNode>> = (0..nodes.len()).map(|_| None).collect();
    let mut stack: Vec<(usize, bool)> = level.values().map(|&n| (n, false)).collect();
    while let Some((i, expanded)) = stack.pop() {
        if !expanded {
            stack.push((i, true));
            stack.extend(nodes[i].children.values().map(|&c| (c, false)));
            continue;
        }
        let nd = &nodes[i];
        let f = &functions[nd.function as usize];
        let children = sorted(
            nd.children
                .values()
                .filter_map(|&c| built[c].take())
                .collect(),
        );
        built[i] = Some(TreeNode {
            name: f.name.clone(),
            file: f.file.clone(),
            line: f.line,
            calls: nd.calls,
            total_ns: nd.total_ns,
            self_ns: nd.self_ns,
            children,
        });
    }
    sorted(level.values().filter_map(|&n| built[n].take()).collect())
}

fn sorted(mut v: Vec<TreeNode>) -> Vec<TreeNode> {
    v.sort_by(|a, b| {
        b.total_ns
            .cmp(&a.total_ns)
            .then_with(|| a.name.cmp(&b.name))
    });
    v
}

/// How much of the summary the human form shows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows per table, children per tree node.
    pub top: usize,
    /// Levels of the call tree.
    pub depth: usize,
}

/// The summary for a terminal.
pub fn render_human(s: &Summary, limits: Limits) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} events, {} spans, {} process{}",
        s.events,
        s.spans,
        s.processes,
        if s.processes == 1 { "" } else { "es" }
    );
    if s.truncated > 0 {
        let _ = writeln!(
            out,
            "warning: {} process(es) stopped at the trace size limit: the trace is incomplete",
            s.truncated
        );
    }
    section(&mut out, "Call tree (calls, total, self)");
    let mut stack: Vec<Row> = Vec::new();
    push_level(&mut stack, &s.call_tree, 0, limits.top);
    while let Some(row) = stack.pop() {
        match row {
            Row::Node(node, depth) => {
                let _ = writeln!(
                    out,
                    "{:indent$}{}  {}:{}  {}×  {}  {}",
                    "",
                    node.name,
                    node.file,
                    node.line,
                    node.calls,
                    duration(node.total_ns),
                    duration(node.self_ns),
                    indent = 2 + 2 * depth
                );
                if depth + 1 < limits.depth {
                    push_level(&mut stack, &node.children, depth + 1, limits.top);
                } else if !node.children.is_empty() {
                    let _ = writeln!(
                        out,
                        "{:indent$}… deeper calls (--depth)",
                        "",
                        indent = 4 + 2 * depth
                    );
                }
            }
            Row::More(n, depth) => {
                let _ = writeln!(
                    out,
                    "{:indent$}… {n} more (--top)",
                    "",
                    indent = 2 + 2 * depth
                );
            }
        }
    }

    section(
        &mut out,
        "Slowest functions (total time, recursion counted once)",
    );
    function_table(&mut out, s.functions.iter().take(limits.top));
    section(&mut out, "Most frequent functions");
    let mut frequent: Vec<&FunctionStat> = s.functions.iter().collect();
    frequent.sort_by(|a, b| b.calls.cmp(&a.calls).then(b.total_ns.cmp(&a.total_ns)));
    function_table(&mut out, frequent.into_iter().take(limits.top));

    section(
        &mut out,
        &format!("Errors ({})", s.errors.iter().map(|e| e.count).sum::<u64>()),
    );
    for e in s.errors.iter().take(limits.top) {
        let message = e
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}×  {}  {}:{}  {}{}",
            e.count, e.name, e.file, e.line, e.exception, message
        );
    }
    more(&mut out, s.errors.len(), limits.top);
    section(
        &mut out,
        "Loops by iterations (runs, iterations, most in one run)",
    );
    let mut loops: Vec<&LoopStat> = s.loops.iter().collect();
    loops.sort_by(|a, b| b.iterations.cmp(&a.iterations).then(b.runs.cmp(&a.runs)));
    for l in loops.iter().take(limits.top) {
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}  {}  {}",
            l.file, l.line, l.kind, l.runs, l.iterations, l.max_iterations
        );
    }
    more(&mut out, s.loops.len(), limits.top);
    section(
        &mut out,
        "Branch arms taken (arm×count), busiest sites first",
    );
    let mut branches: Vec<&BranchStat> = s.branches.iter().collect();
    branches.sort_by_key(|b| std::cmp::Reverse(b.arms.iter().map(|a| a.1).sum::<u64>()));
    for b in branches.iter().take(limits.top) {
        let arms: Vec<String> = b.arms.iter().map(|(a, n)| format!("{a}×{n}")).collect();
        let _ = writeln!(out, "  {}:{}  {}", b.file, b.line, arms.join("  "));
    }
    more(&mut out, s.branches.len(), limits.top);
    out
}

fn more(out: &mut String, len: usize, top: usize) {
    if len == 0 {
        let _ = writeln!(out, "  none");
    } else if len > top {
        let _ = writeln!(
            out,
            "  … {} more (--top, or --format json for all)",
            len - top
        );
    }
}

/// A line of the printed call tree.
enum Row<'a> {
    Node(&'a TreeNode, usize),
    /// this many siblings not shown
    More(usize, usize),
}

/// Pushes a level's first `top` nodes so that they pop in order, then a
/// note of the rest.
fn push_level<'a>(stack: &mut Vec<Row<'a>>, level: &'a [TreeNode], depth: usize, top: usize) {
    if level.len() > top {
        stack.push(Row::More(level.len() - top, depth));
    }
    stack.extend(level.iter().take(top).rev().map(|n| Row::Node(n, depth)));
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

fn function_table<'a>(out: &mut String, rows: impl Iterator<Item = &'a FunctionStat>) {
    for f in rows {
        let mut notes = String::new();
        if f.errors > 0 {
            let _ = write!(notes, "  {} failed", f.errors);
        }
        if f.untimed_calls > 0 {
            let _ = write!(notes, "  ({} untimed)", f.untimed_calls);
        }
        let _ = writeln!(
            out,
            "  {}  {}:{}  {}×  total {}  self {}  max {}{}",
            f.name,
            f.file,
            f.line,
            f.calls,
            duration(f.total_ns),
            duration(f.self_ns),
            duration(f.max_ns),
            notes
        );
    }
}

/// 1234 -> "1.2 µs": three significant digits at most.
pub fn duration(ns: u64) -> String {
    let (value, unit) = match ns {
        0..=999 => return format!("{ns} ns"),
        1_000..=999_999 => (ns as f64 / 1e3, "µs"),
        1_000_000..=999_999_999 => (ns as f64 / 1e6, "ms"),
        _ => (ns as f64 / 1e9, "s"),
    };
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: u64, parent: Option<u64>, name: &str, ns: u64) -> String {
        let parent = parent.map_or("null".to_string(), |p| format!("\"{p:016x}\""));
        format!(
            r#"{{"v":1,"type":"span","trace_id":"t","span_id":"{id:016x}","parent_id":{parent},"name":"{name}","module":"m","file":"m.py","line":{},"kind":"function","duration_ns":{ns},"status":"ok","exception":null,"pid":7}}"#,
            name.len()
        )
    }

    fn summarize(lines: &[String]) -> Summary {
        let mut b = Builder::default();
        for (i, l) in lines.iter().enumerate() {
            b.line(l, || format!("t:{}", i + 1));
        }
        b.finish()
    }

    #[test]
    fn children_written_before_parents_nest_and_merge_by_path() {
        // main(100) -> a(30) -> b(10); main -> a(20); b(5) at top level
        let s = summarize(&[
            span(3, Some(2), "b", 10),
            span(2, Some(1), "a", 30),
            span(4, Some(1), "a", 20),
            span(1, None, "main", 100),
            span(5, None, "b", 5),
        ]);
        assert_eq!(s.spans, 5);
        let main = &s.call_tree[0];
        assert_eq!(
            (main.name.as_str(), main.calls, main.total_ns, main.self_ns),
            ("main", 1, 100, 50)
        );
        let a = &main.children[0];
        assert_eq!(
            (a.name.as_str(), a.calls, a.total_ns, a.self_ns),
            ("a", 2, 50, 40)
        );
        assert_eq!(
            (a.children[0].name.as_str(), a.children[0].total_ns),
            ("b", 10)
        );
        let b = &s.call_tree[1];
        assert_eq!((b.name.as_str(), b.calls, b.total_ns), ("b", 1, 5));
        let stat = |n: &str| s.functions.iter().find(|f| f.name == n).unwrap().clone();
        assert_eq!(
            (stat("b").calls, stat("b").total_ns, stat("b").max_ns),
            (2, 15, 10)
        );
        assert_eq!(s.functions[0].name, "main", "slowest first");
    }

    #[test]
    fn recursion_counts_its_time_once() {
        // f(100) -> f(60) -> f(10)
        let s = summarize(&[
            span(3, Some(2), "f", 10),
            span(2, Some(1), "f", 60),
            span(1, None, "f", 100),
        ]);
        let f = &s.functions[0];
        assert_eq!((f.calls, f.total_ns, f.self_ns), (3, 100, 100));
        assert_eq!(s.call_tree[0].children[0].children[0].total_ns, 10);
    }

    #[test]
    fn omitted_calls_errors_loops_and_branches_are_counted() {
        let lines = vec![
            span(1, None, "f", 100),
            r#"{"v":1,"type":"span","span_id":"0000000000000002","parent_id":null,"name":"g","module":"m","file":"m.py","line":9,"duration_ns":4,"status":"error","exception":{"type":"KeyError","message":"'k'"},"pid":7}"#.to_string(),
            r#"{"v":1,"type":"calls","name":"g","module":"m","file":"m.py","line":9,"kind":"function","recorded":1,"omitted":10,"omitted_untimed":3,"omitted_duration_ns":40,"omitted_max_duration_ns":9,"omitted_failed":2,"omitted_exceptions":{"ValueError":2},"slowest":[],"pid":7}"#.to_string(),
            r#"{"v":1,"type":"loop","file":"m.py","line":3,"site":3,"kind":"for","iterations":4}"#.to_string(),
            r#"{"v":1,"type":"loop","file":"m.py","line":3,"site":3,"kind":"for","iterations":6}"#.to_string(),
            r#"{"v":1,"type":"loops","file":"m.py","line":3,"site":3,"kind":"for","recorded":2,"omitted":5,"omitted_iterations":50,"omitted_max_iterations":12}"#.to_string(),
            r#"{"v":1,"type":"branch","file":"m.py","line":5,"site":5,"arm":1}"#.to_string(),
            r#"{"v":1,"type":"branch","file":"m.py","line":5,"site":5,"arm":0}"#.to_string(),
            r#"{"v":1,"type":"branches","file":"m.py","line":5,"site":5,"arm":1,"recorded":1,"omitted":7}"#.to_string(),
            r#"{"v":1,"type":"var","file":"m.py","line":6,"name":"x","value":"1"}"#.to_string(),
            "not json".to_string(),
            r#"{"type":"span","name":"no id"}"#.to_string(),
        ];
        let s = summarize(&lines);
        assert_eq!((s.events, s.malformed_lines, s.processes), (10, 2, 1));
        let g = s.functions.iter().find(|f| f.name == "g").unwrap();
        assert_eq!(
            (
                g.calls,
                g.omitted_calls,
                g.untimed_calls,
                g.errors,
                g.total_ns,
                g.max_ns
            ),
            (11, 10, 3, 3, 44, 9)
        );
        let errors: Vec<(&str, u64)> = s
            .errors
            .iter()
            .map(|e| (e.exception.as_str(), e.count))
            .collect();
        assert_eq!(errors, [("ValueError", 2), ("KeyError", 1)]);
        assert_eq!(s.errors[1].message.as_deref(), Some("'k'"));
        let l = &s.loops[0];
        assert_eq!((l.runs, l.iterations, l.max_iterations), (7, 60, 12));
        assert_eq!(s.branches[0].arms, [(0, 1), (1, 8)]);
        let text = render_human(&s, Limits { top: 10, depth: 8 });
        assert!(text.contains("1×  g  m.py:9  KeyError: 'k'"), "{text}");
        assert!(text.contains("m.py:5  0×1  1×8"), "{text}");
        assert!(text.contains("  3 failed  (3 untimed)"), "{text}");
    }

    #[test]
    fn human_output_shows_top_and_depth_limits() {
        let mut lines: Vec<String> = (2..=5)
            .map(|i| span(i, Some(1), &"c".repeat(i as usize), i))
            .collect();
        lines.push(span(6, Some(5), "deep", 1));
        lines.push(span(1, None, "main", 100));
        let s = summarize(&lines);
        let text = render_human(&s, Limits { top: 2, depth: 2 });
        assert!(text.contains("    ccccc  m.py:5"), "{text}");
        assert!(text.contains("… 2 more (--top)"), "{text}");
        assert!(text.contains("… deeper calls (--depth)"), "{text}");
        assert!(!text.contains("deep  m.py"), "{text}");
    }

    #[test]
    fn a_span_that_is_its_own_parent_is_a_root() {
        let s = summarize(&[span(1, Some(1), "f", 5)]);
        assert_eq!((s.call_tree.len(), s.call_tree[0].calls), (1, 1));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(999), "999 ns");
        assert_eq!(duration(1_234), "1.23 µs");
        assert_eq!(duration(45_600_000), "45.6 ms");
        assert_eq!(duration(123_000_000_000), "123 s");
    }
}
