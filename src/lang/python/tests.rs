//! Golden tests on strings: each case is the input and the exact output.

use super::*;
use crate::engine::{error_ranges, instrument, lines_pushed_down, strip_inserts, FilePlan};

fn ctx() -> PlanContext {
    PlanContext {
        rel_path: "m.py".into(),
        runtime_ref: "._ctinject".into(),
        kinds: PointKind::ALL.into_iter().collect(),
    }
}

fn parse(src: &str) -> tree_sitter::Tree {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&Python.grammar()).unwrap();
    p.parse(src, None).unwrap()
}

/// Plans and applies; checks the engine's invariants on the way.
pub(crate) fn run_plan(src: &str) -> (String, FilePlan) {
    let tree = parse(src);
    let plan = Python.plan(src, &tree, &ctx());
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&Python.grammar()).unwrap();
    let out = instrument(src, plan, &error_ranges(&tree), &mut |t, ins| {
        // The incremental re-parse must see exactly what a full parse sees.
        let mut old = tree.clone();
        crate::engine::edit_tree(&mut old, src, ins);
        let incremental = parser.parse(t, Some(&old))?;
        let full = parser.parse(t, None)?;
        assert_eq!(
            incremental.root_node().to_sexp(),
            full.root_node().to_sexp(),
            "for:\n{t}"
        );
        let errors = error_ranges(&incremental);
        // Large files are validated in segments: on a file the original of
        // which parses, the segments must find an error exactly when the
        // whole does.
        if tree.root_node().has_error() {
            return Some(errors);
        }
        let segments = crate::engine::candidate_segments(
            &crate::engine::segment_bounds(&tree, src),
            ins,
            t.len(),
        );
        let segmented = segments.iter().any(|r| {
            parser
                .parse(&t[r.clone()], None)
                .is_none_or(|t| t.root_node().has_error())
        });
        assert_eq!(
            segmented,
            !errors.is_empty(),
            "segments {segments:?} of:\n{t}"
        );
        Some(errors)
    });
    // What the planner makes passes the check a cache entry must pass.
    assert_eq!(
        Python.check_plan(src, &out.plan),
        Ok(()),
        "check_plan refused the planner's own plan"
    );
    let text = out.text.unwrap_or_else(|| src.to_string());
    // Principle 1: the inserts come out again and give the original back.
    let mut all = out.plan.header.clone();
    for u in &out.plan.units {
        all.extend(u.inserts.iter().cloned());
    }
    assert_eq!(
        strip_inserts(&text, &all).as_deref(),
        Some(src),
        "strip failed for:\n{text}"
    );
    // Principle 2: lines stay put, but for what the plan counts as moved.
    assert_eq!(
        lines_pushed_down(src, &all),
        out.plan.lines_moved as usize,
        "lines moved, but not as counted:\n{text}"
    );
    (text, out.plan)
}

fn instrumented(src: &str) -> String {
    run_plan(src).0
}

fn skipped(plan: &FilePlan) -> Vec<(PointKind, u32, String)> {
    plan.units
        .iter()
        .flat_map(|u| u.points.iter())
        .filter_map(|p| p.skipped.clone().map(|r| (p.kind, p.line, r)))
        .collect()
}

/// The points instrumented with a limit, with the limit.
fn limited(plan: &FilePlan) -> Vec<(PointKind, u32, String)> {
    plan.units
        .iter()
        .flat_map(|u| u.points.iter())
        .filter_map(|p| p.limited.clone().map(|r| (p.kind, p.line, r)))
        .collect()
}

const IMPORT: &str = "_ct = (__import__(\"importlib\").import_module(\"._ctinject\", __package__ or __spec__.parent) if __package__ or __spec__ and __spec__.parent else __import__(\"sys\").modules.get(\"__ctinject_runtime_v2__\") or __import__(\"_ctinject\")).Module(\"m.py\")";

/// Asserts the instrumented text, given with `IMPORT` standing for the binding.
fn check(src: &str, expected: &str) {
    assert_eq!(instrumented(src), expected.replace("IMPORT", IMPORT));
}

#[test]
fn import_goes_after_the_docstring_and_future_imports() {
    check(
        "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nx = 1\n",
        "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations; IMPORT\nx = 1; _ct.v(3, \"x\", x)\n",
    );
}

#[test]
fn import_goes_before_a_first_simple_statement() {
    check(
        "import os\nx = 1\n",
        "IMPORT; import os\nx = 1; _ct.v(2, \"x\", x)\n",
    );
}

#[test]
fn import_takes_a_comment_line_above_a_compound_first_statement_but_not_the_cookie() {
    check(
        "# -*- coding: utf-8 -*-\n# licence\nif a:\n    b = 1\n",
        "# -*- coding: utf-8 -*-\nIMPORT# licence\nif _ct.brx(3, 0, a, -1):\n    b = 1; _ct.v(4, \"b\", b)\n",
    );
}

#[test]
fn import_moves_one_line_only_when_nothing_else_fits() {
    let (out, plan) = run_plan("if a:\n    b = 1\n");
    assert_eq!(plan.lines_moved, 1);
    assert!(out.starts_with(&format!("{IMPORT}\nif _ct.brx(1, 0, a, -1):")));
}

#[test]
fn file_without_points_is_left_alone() {
    let (out, plan) = run_plan("import os\n# nothing to see\n");
    assert_eq!(out, "import os\n# nothing to see\n");
    assert!(plan.header.is_empty());
}

#[test]
fn span_uses_the_blank_line_above_the_def() {
    check(
        "import os\n\ndef f(a):\n    return a\n",
        "IMPORT; import os\n@_ct.fn(3)\ndef f(a):\n    return a\n",
    );
}

#[test]
fn span_uses_a_comment_line_above_the_def() {
    check(
        "import os\nclass A:\n    # the method\n    def m(self):\n        pass\n",
        "IMPORT; import os\nclass A:\n    @_ct.fn(4)    # the method\n    def m(self):\n        pass\n",
    );
}

#[test]
fn span_wraps_the_decorator_closest_to_the_def() {
    check(
        "import os\n@cache\n@staticmethod  # why\ndef f():\n    pass\n",
        "IMPORT; import os\n@cache\n@_ct.deco(4, staticmethod)  # why\ndef f():\n    pass\n",
    );
}

#[test]
fn span_falls_back_to_a_late_wrap_before_the_next_statement() {
    check(
        "import os\ndef outer():\n    def inner():\n        return 1\n    return inner\n",
        "IMPORT; import os\ndef outer():\n    def inner():\n        return 1\n    inner = _ct.late(3, inner); return inner\nouter = _ct.late(2, outer)\n",
    );
}

#[test]
fn late_wraps_come_out_innermost_first_at_the_end_of_the_file() {
    check(
        "import os\nclass A:\n    def m(self):\n        pass",
        "IMPORT; import os\nclass A:\n    def m(self):\n        pass\n    m = _ct.late(3, m)\n",
    );
}

#[test]
fn methods_without_blank_lines_chain_late_wraps() {
    check(
        "import os\nclass A:\n    def a(self): pass\n\n    def b(self): pass\n\nx = 1\n",
        "IMPORT; import os\nclass A:\n    def a(self): pass\n    a = _ct.late(3, a)\n    def b(self): pass\n    b = _ct.late(5, b)\nx = 1; _ct.v(7, \"x\", x)\n",
    );
}

/// Its span comes from sys.monitoring alone (CPython 3.12+), which adds no
/// frame: a registration after the binding, and the function untouched.
#[test]
fn function_that_inspects_its_caller_keeps_its_form() {
    check(
        "import sys\n\ndef f():\n    return sys._getframe(1)\n",
        "IMPORT; _ct.at(3, \"f\"); import sys\n\ndef f():\n    return sys._getframe(1)\n",
    );
    let (_, plan) = run_plan("import sys\n\ndef f():\n    return sys._getframe(1)\n");
    assert!(skipped(&plan).is_empty());
    assert_eq!(
        limited(&plan),
        vec![(PointKind::Function, 3, LIMITED_FRAME.to_string())]
    );
    // pyparsing's Forward.__lshift__ and __or__ compare the caller's line
    // from traceback.extract_stack: wrapped, both saw the wrapper's line.
    let src = "import traceback\nclass Fwd:\n    def __lshift__(self, other):\n        self.line = traceback.extract_stack(limit=2)[-2]\n        return self\n";
    let (out, plan) = run_plan(src);
    assert!(
        !out.contains("_ct.late") && !out.contains("_ct.fn"),
        "{out}"
    );
    assert!(out.contains("_ct.at(3, \"__lshift__\")"), "{out}");
    assert_eq!(
        limited(&plan),
        vec![(PointKind::Function, 3, LIMITED_FRAME.to_string())]
    );
}

/// A lambda's wrapper adds a frame too: `lambda: sys._getframe(1)` named the
/// wrapper instead of its caller.
#[test]
fn lambda_that_inspects_its_caller_keeps_its_form() {
    let src = "import sys\nget_caller = lambda: sys._getframe(1).f_code.co_name\n";
    let (out, plan) = run_plan(src);
    assert!(!out.contains("_ct.lam"), "{out}");
    assert_eq!(
        skipped(&plan),
        vec![(PointKind::Function, 2, SKIP_FRAME.to_string())]
    );
}

/// typeguard's `make_cell` returns `(lambda: value).__closure__[0]`: with the
/// lambda wrapped, that was the wrapper's first cell, a runtime object.
#[test]
fn lambda_whose_attributes_are_read_keeps_its_form() {
    let src = "def make_cell(value):\n    return (lambda: value).__closure__[0]\n\n\nk = ((lambda: 1)).__code__\n";
    let (out, plan) = run_plan(src);
    assert!(!out.contains("_ct.lam"), "{out}");
    assert_eq!(
        skipped(&plan),
        vec![
            // The module's own lambda first, then make_cell's.
            (PointKind::Function, 5, SKIP_LAMBDA_ATTRIBUTE.to_string()),
            (PointKind::Function, 2, SKIP_LAMBDA_ATTRIBUTE.to_string())
        ]
    );
    // Called at once, or with attributes of what it returns read: wrapped.
    let out = instrumented("x = (lambda: 1)()\ny = (lambda: v)().real\n");
    assert_eq!(out.matches("_ct.lam(").count(), 2, "{out}");
}

/// tree-sitter misreads `for j in *[3], 2:` (valid Python) as an error. A
/// loop wrapper around it was put half inside the error, the new error mapped
/// back onto the old one and was excused, and the output did not compile.
#[test]
fn points_touching_a_syntax_error_of_the_input_are_skipped() {
    let src = "x = 0\nfor j in *[3], 2:\n    x += j\nfor i in *[1], *[2]:\n    x += i\n";
    let tree = parse(src);
    let errors = error_ranges(&tree);
    assert!(!errors.is_empty(), "the grammar now reads this line");
    let plan = Python.plan(src, &tree, &ctx());
    let touching = |i: &Insert| {
        errors
            .iter()
            .any(|e| e.start <= i.offset && i.offset <= e.end)
    };
    let inserts: Vec<&Insert> = plan.units.iter().flat_map(|u| &u.inserts).collect();
    assert!(!inserts.iter().any(|i| touching(i)), "{inserts:?}");
    let skipped = skipped(&plan);
    for kind in [PointKind::Loop, PointKind::Variable] {
        assert!(
            skipped.contains(&(kind, 2, SKIP_SYNTAX_POINT.to_string())),
            "{skipped:?}"
        );
    }
    run_plan(src);
}

#[test]
fn function_with_no_free_line_is_reported_skipped() {
    let (_, plan) = run_plan("import os\ndef f(): pass\nx = [\n 1]\n");
    // `x = [` is a simple statement: the late wrap goes before it.
    assert!(skipped(&plan).is_empty());
    // No place for a wrapper: a registration for sys.monitoring, with the
    // limit said; and the decorated function's code starts at its decorator.
    let src = "import os\nclass A:\n    def f(self): pass\n    @property\n    def g(self): return sys._getframe()\nif x:\n    pass\n";
    let (out, plan) = run_plan(src);
    assert!(skipped(&plan).is_empty(), "{out}");
    assert!(
        out.starts_with(&format!(
            "{IMPORT}; _ct.at(3, \"f\"); _ct.at(5, \"g\", 4); import os\n"
        )),
        "{out}"
    );
    assert_eq!(
        limited(&plan),
        vec![
            (PointKind::Function, 3, LIMITED_NO_LINE.to_string()),
            (PointKind::Function, 5, LIMITED_FRAME.to_string())
        ]
    );
    // Generators and coroutines: sys.monitoring cannot end every span of
    // theirs, so no registration.
    for def in ["def f(self): yield 1", "async def f(self): pass"] {
        let src = format!("import os\nclass A:\n    {def}\nif x:\n    pass\n");
        let (out, plan) = run_plan(&src);
        assert!(!out.contains("_ct.at("), "{out}");
        assert_eq!(
            skipped(&plan),
            vec![(PointKind::Function, 3, SKIP_NO_LINE.to_string())]
        );
    }
    // A nested function's yield is its own.
    let src = "import os\nclass A:\n    def f(self):\n        def g(): yield 1\n        return g\nif x:\n    pass\n";
    assert!(instrumented(src).contains("_ct.at(3, \"f\")"));
}

/// After a docstring the registration follows the binding at the end of
/// its line; with the binding on a line of its own (a line moved), no
/// registration can follow it, and the function is left out as before.
#[test]
fn span_registrations_follow_the_binding_or_are_taken_back() {
    check(
        "\"\"\"Doc.\"\"\"\nclass A:\n    def f(self): pass\nif x:\n    pass\n",
        "\"\"\"Doc.\"\"\"; IMPORT; _ct.at(3, \"f\")\nclass A:\n    def f(self): pass\nif _ct.brx(4, 0, x, -1):\n    pass\n",
    );
    let src = "class A:\n    def f(self): pass\nif x:\n    pass\n";
    let (out, plan) = run_plan(src);
    assert!(out.starts_with(&format!("{IMPORT}\nclass A")), "{out}");
    assert!(!out.contains("_ct.at("), "{out}");
    assert_eq!(
        skipped(&plan),
        vec![(PointKind::Function, 2, SKIP_NO_LINE.to_string())]
    );
    // The binding moves below the first def when that def's signature takes
    // an insert: registrations made before that are taken back.
    let src = "def f(a=lambda: 1):\n    pass\nclass A:\n    def g(self): pass\nif x:\n    pass\n";
    let (out, plan) = run_plan(src);
    assert!(!out.contains("_ct.at("), "{out}");
    assert!(
        skipped(&plan).contains(&(PointKind::Function, 4, SKIP_NO_LINE.to_string())),
        "{out}"
    );
    assert!(limited(&plan).is_empty());
}

#[test]
fn variables_of_every_assignment_form() {
    check(
        "x = y = 1\na, (b, *c) = t\nd: int = 2\ne: int\nf += 1\ng.h = 3\nk[0] = 4\n",
        "IMPORT; x = y = 1; _ct.v(1, \"x\", x, \"y\", y)\na, (b, *c) = t; _ct.v(2, \"a\", a, \"b\", b, \"c\", c)\nd: int = 2; _ct.v(3, \"d\", d)\ne: int\nf += 1; _ct.v(5, \"f\", f)\ng.h = 3\nk[0] = 4\n",
    );
}

#[test]
fn walrus_is_wrapped_in_place() {
    check(
        "if (n := len(a)) > 1:\n    pass\n",
        "IMPORT\nif _ct.brx(1, 0, (_ct.vw(1, \"n\", n := len(a))) > 1, -1):\n    pass\n",
    );
}

#[test]
fn unparenthesized_walrus_condition_nests_inside_the_branch_call() {
    // Regression: both wrappers cover the same bytes; the closing texts came
    // out in the wrong order (`_ct.brx(1, 0, _ct.vw(1, "m", m := f(), -1))`).
    check(
        "if m := f():\n    pass\n",
        "IMPORT\nif _ct.brx(1, 0, _ct.vw(1, \"m\", m := f()), -1):\n    pass\n",
    );
}

#[test]
fn if_elif_else_arms() {
    check(
        "x = 0\nif a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
        "IMPORT; x = 0; _ct.v(1, \"x\", x)\nif _ct.br(2, 0, a):\n    pass\nelif _ct.brx(2, 1, b, 2):\n    pass\nelse:\n    pass\n",
    );
}

#[test]
fn ternary_and_lambda() {
    check(
        "f = lambda x: x if x else 0\n",
        "IMPORT; f = _ct.lam(1, lambda x: x if _ct.brx(1, 0, x, 1) else 0); _ct.v(1, \"f\", f)\n",
    );
}

#[test]
fn match_cases_with_and_without_guards() {
    check(
        "x = 0\nmatch p:\n    case [a, b] if a > b:\n        pass\n    case _:\n        pass\n",
        "IMPORT; x = 0; _ct.v(1, \"x\", x)\nmatch p:\n    case [a, b] if _ct.caseg(2, 0, a > b):\n        pass\n    case _ if _ct.case(2, 1):\n        pass\n",
    );
}

#[test]
fn loops_for_async_for_while_and_break() {
    check(
        "x = 0\nfor i in 1, 2:\n    while i:\n        if i: break\n        for j in k: break\n",
        "IMPORT; x = 0; _ct.v(1, \"x\", x)\nfor i in _ct.loop(2, \"i\", (1, 2)):\n    while _ct.wt(3, i):\n        if _ct.brx(4, 0, i, -1): _ct.lb(3); break\n        for j in _ct.loop(5, \"j\", k): break\n",
    );
    check(
        "async def f():\n    async for x in y: pass\n",
        "async def f():\n    async for x in _ct.aloop(2, \"x\", y): pass\nIMPORT\nf = _ct.late(1, f)\n",
    );
}

#[test]
fn while_else_break_belongs_to_the_outer_loop() {
    let out =
        instrumented("x = 0\nwhile a:\n    while b:\n        pass\n    else:\n        break\n");
    assert!(out.contains("        _ct.lb(2); break"), "{out}");
}

#[test]
fn except_handlers_simple_body_and_compound_body() {
    check(
        "x = 0\ntry:\n    pass\nexcept (A, B) as e:\n    if e:\n        pass\nexcept C:\n    raise\n",
        "IMPORT; x = 0; _ct.v(1, \"x\", x)\ntry:\n    pass\nexcept _ct.exm(4, (A, B), \"e\") as e:\n    if _ct.brx(5, 0, e, -1):\n        pass\nexcept C:\n    _ct.ex(7); raise\n",
    );
}

/// `except E as err` counted a variable point as instrumented, but nothing
/// recorded `err`: the exception event was taken for it.
#[test]
fn except_as_names_get_a_variable_event() {
    check(
        "try:\n    pass\nexcept C as err:\n    raise\n",
        "IMPORT\ntry:\n    pass\nexcept C as err:\n    _ct.ex(3); _ct.v(3, \"err\", err); raise\n",
    );
    // Exceptions off, variables on: the variable alone.
    let src = "try:\n    pass\nexcept C as err:\n    raise\n";
    let tree = parse(src);
    let mut only_variables = ctx();
    only_variables.kinds = [PointKind::Variable].into();
    let plan = Python.plan(src, &tree, &only_variables);
    let texts: Vec<&str> = plan.units[0]
        .inserts
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(texts, ["_ct.v(3, \"err\", err); "]);
    // except* with a compound body has no place for either.
    let (_, plan) = run_plan("try:\n    pass\nexcept* C as eg:\n    if eg:\n        pass\n");
    let kinds: Vec<PointKind> = skipped(&plan).iter().map(|(k, _, _)| *k).collect();
    assert_eq!(kinds, [PointKind::Exception, PointKind::Variable]);
}

#[test]
fn with_as_variables_before_the_first_simple_statement() {
    check(
        "with open(p) as f, lock:\n    data = f.read()\n",
        "IMPORT\nwith open(p) as f, lock:\n    _ct.v(1, \"f\", f); data = f.read(); _ct.v(2, \"data\", data)\n",
    );
}

#[test]
fn one_line_compound_statements_and_semicolons() {
    check(
        "x = 1; y = 2\nif x: z = 3; w = 4\n",
        "IMPORT; x = 1; _ct.v(1, \"x\", x); y = 2; _ct.v(1, \"y\", y)\nif _ct.brx(2, 0, x, -1): z = 3; _ct.v(2, \"z\", z); w = 4; _ct.v(2, \"w\", w)\n",
    );
}

#[test]
fn continuation_lines_tabs_and_crlf_keep_their_lines() {
    check(
        "x = 1 + \\\n    2\ny = (3,\n     4)\n",
        "IMPORT; x = 1 + \\\n    2; _ct.v(1, \"x\", x)\ny = (3,\n     4); _ct.v(3, \"y\", y)\n",
    );
    check(
        "import os\r\n\r\ndef f():\r\n\tx = 1\r\n",
        "IMPORT; import os\r\n@_ct.fn(3)\r\ndef f():\r\n\tx = 1; _ct.v(4, \"x\", x)\r\n",
    );
}

#[test]
fn syntax_errors_skip_the_function_that_holds_them() {
    let (out, plan) = run_plan("import os\n\ndef bad():\n    x = = 1\n\ndef good():\n    y = 2\n");
    assert!(out.contains("_ct.v(7, \"y\", y)"), "{out}");
    assert!(!out.contains("_ct.v(4"), "{out}");
    assert!(skipped(&plan)
        .iter()
        .any(|(k, l, r)| *k == PointKind::Function && *l == 3 && r == SKIP_SYNTAX));
}

#[test]
fn fstring_expressions_are_left_alone() {
    check(
        "x = f\"{a if b else c}\"\n",
        "IMPORT; x = f\"{a if b else c}\"; _ct.v(1, \"x\", x)\n",
    );
}

#[test]
fn global_and_nonlocal_are_never_preceded() {
    let out =
        instrumented("import os\n\ndef f():\n    with a as b:\n        global g\n        g = b\n");
    assert!(out.contains("        global g\n"), "{out}");
}

#[test]
fn output_is_recognised_and_left_alone() {
    let once = instrumented("import os\n\ndef f(a):\n    x = a\n    return x\n");
    let (twice, plan) = run_plan(&once);
    assert_eq!(twice, once);
    assert_eq!(
        plan.file_skipped.as_deref(),
        Some("already instrumented by ctinject")
    );
    // Output of earlier versions, which bound `_ct` in packages with a
    // relative `from` import, too.
    let earlier = "from ._ctinject import Module as _ct; _ct = _ct(\"m.py\"); import os\n";
    assert_eq!(
        run_plan(earlier).1.file_skipped.as_deref(),
        Some("already instrumented by ctinject")
    );
}

#[test]
fn qualified_names_follow_python() {
    let (_, plan) = run_plan("class A:\n    def m(self):\n        def inner():\n            pass\n        class B:\n            def n(self): pass\n");
    let names: Vec<&str> = plan.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["<module>", "A.m", "A.m.<locals>.inner", "A.m.<locals>.B.n"]
    );
}

#[test]
fn check_plan_refuses_tampered_inserts() {
    let src = "import os\n\ndef f(a):\n    b = a\n    return b\n\n\nx = 1\n";
    let (_, plan) = run_plan(src);
    assert_eq!(Python.check_plan(src, &plan), Ok(()));
    let tamper = |edit: &dyn Fn(&mut FilePlan)| {
        let mut p = plan.clone();
        edit(&mut p);
        Python.check_plan(src, &p)
    };
    let f = plan.units.iter().position(|u| u.name == "f").unwrap();
    // Code that is not telemetry.
    let err = tamper(&|p| p.units[f].inserts[0].text = "; __import__('os').system('id')".into())
        .unwrap_err();
    assert!(err.contains("not a ctinject insert"), "{err}");
    // A late wrap that rebinds something else.
    assert!(tamper(&|p| p.units[f].inserts[0].text = "f = _ct.late(3, g); ".into()).is_err());
    // An insert moved out of its function, or out of the file.
    assert!(tamper(&|p| p.units[f].inserts[0].offset = src.find("x = 1").unwrap() + 3).is_err());
    assert!(tamper(&|p| p.units[f].inserts[0].offset = src.len() + 5).is_err());
    // A quoted name that tries to close its string.
    assert!(tamper(
        &|p| p.units[f].inserts[1].text = "; _ct.v(4, \"b\"), os.system(\"x\", b)".into()
    )
    .is_err());
    // A binding that imports another module than the runtime.
    let binding = &plan.header[0].text;
    assert!(binding.contains("__import__(\"_ctinject\")"), "{binding}");
    let evil = binding.replace("__import__(\"_ctinject\")", "__import__(\"evil\")");
    assert!(tamper(&|p| p.header[0].text = evil.clone()).is_err());
    let relative = binding.replace("\"._ctinject\"", "\".evil\"");
    assert!(tamper(&|p| p.header[0].text = relative.clone()).is_err());
}

#[test]
fn outside_a_package_the_import_is_chosen_at_run_time() {
    let src = "x = 1\n";
    let ctx = PlanContext {
        runtime_ref: "_ctinject".into(),
        ..ctx()
    };
    let tree = parse(src);
    let plan = Python.plan(src, &tree, &ctx);
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&Python.grammar()).unwrap();
    let out = instrument(src, plan, &[], &mut |t, _| {
        parser.parse(t, None).map(|t| error_ranges(&t))
    });
    let text = out.text.unwrap();
    assert_eq!(
        text,
        "_ct = (__import__(\"importlib\").import_module(\"._ctinject\", __package__ or __spec__.parent) if __package__ or __spec__ and __spec__.parent else __import__(\"sys\").modules.get(\"__ctinject_runtime_v2__\") or __import__(\"_ctinject\")).Module(\"m.py\"); x = 1; _ct.v(1, \"x\", x)\n"
    );
    assert_eq!(Python.check_plan(src, &out.plan), Ok(()));
    let again = Python.plan(&text, &parse(&text), &ctx);
    assert_eq!(
        again.file_skipped.as_deref(),
        Some("already instrumented by ctinject")
    );
}

#[test]
fn check_plan_refuses_form_valid_inserts_inside_strings_comments_or_unpaired() {
    // Regression (review): a form-valid insert placed inside a string literal
    // closed the user's string with its own quote and made the rest code.
    let src =
        "import os\n\n\ndef greet(name):\n    msg = \"hello \" + name  # say hi\n    return msg\n";
    let (_, plan) = run_plan(src);
    let g = plan.units.iter().position(|u| u.name == "greet").unwrap();
    let tamper = |offset: usize, text: &str| {
        let mut p = plan.clone();
        p.units[g].inserts.push(Insert::before(offset, text));
        Python.check_plan(src, &p)
    };
    let in_string = src.find("hello ").unwrap() + 1;
    let err = tamper(
        in_string,
        "_ct.vw(1, \" + str(__import__('os').system('id')) + \", ",
    )
    .unwrap_err();
    assert!(err.contains("inside a string or a comment"), "{err}");
    let in_comment = src.find("say hi").unwrap();
    assert!(tamper(in_comment, "_ct.ex(5); ")
        .unwrap_err()
        .contains("inside a string or a comment"));
    // The module unit is checked too.
    let mut p = plan.clone();
    p.units[0]
        .inserts
        .push(Insert::before(in_string, "_ct.ex(1); "));
    assert!(Python.check_plan(src, &p).is_err());
    // An open half without its close.
    let mut p = plan.clone();
    let at = src.find("name  #").unwrap();
    p.units[g]
        .inserts
        .push(Insert::wrap(at..at + 4, "_ct.wt(5, ", ")")[0].clone());
    assert!(Python
        .check_plan(src, &p)
        .unwrap_err()
        .contains("not closed"));
}

#[test]
fn strings_and_comments_are_found_or_the_file_is_not_cached() {
    let src = "a = 'x' + \"y\" # c\nb = rb'\\'' + f\"{a}{{}}\" + '''t\n'''\n";
    let ranges = strings_and_comments(src).unwrap();
    let texts: Vec<&str> = ranges.iter().map(|r| &src[r.clone()]).collect();
    assert_eq!(
        texts,
        [
            "'x'",
            "\"y\"",
            "# c",
            "rb'\\''",
            "f\"{a}{{}}\"",
            "'''t\n'''"
        ]
    );
    // Quotes nested in f-string braces (Python 3.12): unsure, so not cached.
    assert!(!Python.cache_safe("x = f\"{d[\"k\"]}\"\n"));
    assert!(!Python.cache_safe("x = 'unterminated\n"));
    assert!(Python.cache_safe(src));
}

#[test]
fn overload_stubs_keep_their_form() {
    // Regression (review): wrapped @overload stubs all shared one code
    // object, so typing.get_overloads saw one of them.
    let (out, plan) = run_plan("import typing\n@typing.overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n\ndef f(x):\n    return x\n");
    assert!(
        out.contains("@typing.overload\ndef f(x: int)") && out.contains("@overload\ndef f(x: str)"),
        "{out}"
    );
    assert!(out.contains("@_ct.fn(7)\ndef f(x):"), "{out}");
    let reasons: Vec<String> = skipped(&plan).into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(reasons, [SKIP_OVERLOAD, SKIP_OVERLOAD]);
}

#[test]
fn inserted_strings_are_ascii_whatever_the_names() {
    // Regression (review): a file declaring `coding: ascii` broke on a
    // non-ASCII path in the inserted import.
    let src = "# -*- coding: ascii -*-\nx = 1\n";
    let ctx = PlanContext {
        rel_path: "caf\u{e9}/\u{65e5}\u{1f600}.py".into(),
        ..ctx()
    };
    let tree = parse(src);
    let plan = Python.plan(src, &tree, &ctx);
    let text = crate::engine::apply_inserts(src, &plan.header);
    assert!(text.is_ascii(), "{text}");
    assert!(
        text.contains(r#".Module("caf\u00e9/\u65e5\U0001f600.py")"#),
        "{text}"
    );
}

/// difflib, test.support and test_tempfile: `while(x):` became `while_ct.wt(`,
/// a syntax error that validation caught, so whole functions went
/// uninstrumented.
#[test]
fn node_glued_to_a_keyword_gets_a_space_before_its_wrapper() {
    check(
        "while(a):\n    pass\nif(a):\n    pass\nelif(b):\n    pass\nfor x in(y):\n    pass\nz = 1 if(a)else 2\ntry:\n    pass\nexcept(E):\n    if e:\n        pass\n",
        "IMPORT\nwhile _ct.wt(1, (a)):\n    pass\nif _ct.br(3, 0, (a)):\n    pass\nelif _ct.brx(3, 1, (b), -1):\n    pass\nfor x in _ct.loop(7, \"x\", (y)):\n    pass\nz = 1 if _ct.brx(9, 0, (a), 1)else 2; _ct.v(9, \"z\", z)\ntry:\n    pass\nexcept _ct.exm(12, (E)):\n    if _ct.brx(13, 0, e, -1):\n        pass\n",
    );
}

#[test]
fn runtime_goes_to_the_topmost_package() {
    let mut files: std::collections::BTreeSet<String> = ["pkg/__init__.py", "pkg/sub/__init__.py"]
        .map(String::from)
        .into();
    let place = |files: &std::collections::BTreeSet<String>, rel: &str| {
        let p = Python.runtime_place(rel, files);
        (p.dir, p.reference)
    };
    assert_eq!(
        place(&files, "pkg/sub/m.py"),
        ("pkg".into(), ".._ctinject".into())
    );
    assert_eq!(
        place(&files, "pkg/m.py"),
        ("pkg".into(), "._ctinject".into())
    );
    assert_eq!(
        place(&files, "scripts/s.py"),
        ("scripts".into(), "_ctinject".into())
    );
    assert_eq!(place(&files, "top.py"), ("".into(), "_ctinject".into()));
    // The root itself a package (as `ctinject src/pkg`):
    files.insert("__init__.py".into());
    assert_eq!(
        place(&files, "pkg/sub/m.py"),
        ("".into(), "..._ctinject".into())
    );
}

#[test]
fn with_as_before_a_compound_body_becomes_one_more_item() {
    check(
        "with open(p) as f:\n    if f:\n        pass\n",
        "IMPORT\nwith open(p) as f, _ct.vwith(1, \"f\", f):\n    if _ct.brx(2, 0, f, -1):\n        pass\n",
    );
    // Parenthesized items (3.9+), a trailing comma, several names.
    check(
        "with (\n    a() as (x, y),\n    b() as z,\n):\n    for i in z:\n        pass\n",
        "IMPORT\nwith (\n    a() as (x, y),\n    b() as z, _ct.vwith(1, \"x\", x, \"y\", y, \"z\", z),\n):\n    for i in _ct.loop(5, \"i\", z):\n        pass\n",
    );
    // Alone with a trailing comma (a tuple to tree-sitter) or a comment.
    check(
        "with (cm(1) as x,):\n    if x:\n        pass\nwith (\n    cm(2) as y  # note\n):\n    if y:\n        pass\n",
        "IMPORT\nwith (cm(1) as x, _ct.vwith(1, \"x\", x),):\n    if _ct.brx(2, 0, x, -1):\n        pass\nwith (\n    cm(2) as y, _ct.vwith(4, \"y\", y)  # note\n):\n    if _ct.brx(7, 0, y, -1):\n        pass\n",
    );
    // One item alone in parentheses: read as a parenthesized `A as x`.
    check(
        "with (open(p) as f):\n    x = f\nwith (open(p) as g):\n    if g:\n        pass\n",
        "IMPORT\nwith (open(p) as f):\n    _ct.v(1, \"f\", f); x = f; _ct.v(2, \"x\", x)\nwith (open(p) as g, _ct.vwith(3, \"g\", g)):\n    if _ct.brx(4, 0, g, -1):\n        pass\n",
    );
    let out = instrumented("async def f():\n    async with l as m:\n        global g\n");
    assert!(
        out.contains("    async with l as m, _ct.vwith(2, \"m\", m):\n        global g\n"),
        "{out}"
    );
}

/// `import ctypes as _ct` (or any other use of the name) was shadowed by the
/// runtime binding, or shadowed it: the instrumented module crashed with
/// "module 'ctypes' has no attribute 'fn'".
#[test]
fn a_module_that_uses_the_name_ct_is_left_alone() {
    for src in [
        "import ctypes as _ct\n\ndef f(x):\n    return _ct.c_int(x)\n",
        "import os\n\ndef g():\n    _ct = 5\n    return _ct\n",
        "import os\n\ndef h(_ct):\n    return 1\n",
    ] {
        let (out, plan) = run_plan(src);
        assert_eq!(out, src);
        assert!(
            skipped(&plan)
                .iter()
                .any(|(_, _, r)| r == SKIP_BINDING_NAME),
            "{src}"
        );
    }
    // Attribute and keyword names are other namespaces; `_ctx` another name.
    let out = instrumented("import os\n\ndef k(o):\n    o._ct = f(_ct=1, _ctx=2)\n");
    assert!(out.contains("@_ct.fn(3)"), "{out}");
    // Module paths that bind another name.
    for src in [
        "import a._ct\n\ndef k():\n    x = 1\n",
        "from m import _ct as q\n\ndef k():\n    x = 1\n",
        "from _ct import q\n\ndef k():\n    x = 1\n",
        "import os\n\ndef k(p):\n    match p:\n        case P(_ct=1):\n            pass\n",
    ] {
        assert!(instrumented(src).contains("@_ct.fn(3)"), "{src}");
    }
    // ... and those that bind `_ct` itself.
    for src in [
        "import _ct.x\n\ndef k():\n    x = 1\n",
        "from m import _ct\n\ndef k():\n    x = 1\n",
    ] {
        assert_eq!(instrumented(src), src);
    }
}

/// A file with classic Mac OS line ends (a lone CR) runs under Python, but
/// tree-sitter sees a syntax error; the reason said only "syntax error".
#[test]
fn lone_cr_line_ends_are_named_in_the_reason() {
    let (out, plan) = run_plan("def k(a):\r    b = a\r    return b\rprint(k(7))\r");
    assert!(!out.contains("_ct"), "{out}");
    assert!(
        skipped(&plan)
            .iter()
            .any(|(_, _, r)| r == SKIP_SYNTAX_LONE_CR),
        "{:?}",
        skipped(&plan)
    );
    // Only part of this one reads as an error, and `g` was instrumented
    // from a parse that is not the file Python runs: none of it is.
    let src = "import os\r\rdef f(a):\r    if a:\r        return 1\r    return 2\r\rdef g():\r    x = 1\r";
    let (out, plan) = run_plan(src);
    assert_eq!(out, src);
    assert!(skipped(&plan)
        .iter()
        .any(|(_, _, r)| r == SKIP_SYNTAX_LONE_CR));
}

/// A file that starts with a `def` on its first line (toolz's utils.py) got
/// the runtime binding on a new line above it, moving every line down.
#[test]
fn a_def_on_the_first_line_is_bound_after_without_moving_lines() {
    let (out, plan) = run_plan("def f(a):\n    return a\n\n\nx = f(1)\n");
    assert_eq!(
        out,
        "def f(a):\n    return a\nIMPORT\n\nf = _ct.late(1, f); x = f(1); _ct.v(5, \"x\", x)\n"
            .replace("IMPORT", IMPORT)
    );
    assert_eq!(plan.lines_moved, 0);
    let (out, plan) = run_plan("def f(a):\n    return a\nx = f(1)\n");
    assert!(
        out.contains(&format!("{IMPORT}; f = _ct.late(1, f); x = f(1)")),
        "{out}"
    );
    assert_eq!(plan.lines_moved, 0);
    // The script shape: the binding and the wrap share the blank line.
    check(
        "def main():\n    print(1)\n\nif __name__ == \"__main__\":\n    main()\n",
        "def main():\n    print(1)\nIMPORT; main = _ct.late(1, main)\nif _ct.brx(4, 0, __name__ == \"__main__\", -1):\n    main()\n",
    );
    // The signature runs before the binding: with an insert there, the
    // binding goes above after all.
    let (out, plan) = run_plan("def f(a, k=lambda x: x):\n    return a\n\n\nx = 1\n");
    assert!(
        out.starts_with(&format!("{IMPORT}\ndef f(a, k=_ct.lam(1, ")),
        "{out}"
    );
    assert_eq!(plan.lines_moved, 1);
}

/// A file that is one `def` (a script's function, test data such as the
/// standard library's circular_imports/util.py) had no line after the def
/// for the binding, which went above it and moved every line.
#[test]
fn a_module_that_is_one_def_is_bound_on_an_appended_line() {
    check(
        "def util():\n    pass\n",
        "def util():\n    pass\nIMPORT\nutil = _ct.late(1, util)\n",
    );
    // No line end at the end of the file: each appended line brings one.
    check(
        "def f(name):\n    if name:\n        return 1",
        "def f(name):\n    if _ct.brx(2, 0, name, -1):\n        return 1\nIMPORT\n\nf = _ct.late(1, f)\n",
    );
    // A comment line after the def takes the binding (and the wrap).
    check(
        "def f():\n    pass\n# end\n",
        "def f():\n    pass\nIMPORT; f = _ct.late(1, f)# end\n",
    );
    // CRLF files get CRLF lines.
    check(
        "def f():\r\n    pass\r\n",
        "def f():\r\n    pass\r\nIMPORT\r\nf = _ct.late(1, f)\r\n",
    );
    // Anything else at module level runs after the def and may call it:
    // the binding must come before that.
    let (out, plan) = run_plan("def f():\n    pass\nclass A:\n    x = f()\n");
    assert!(out.starts_with(&format!("{IMPORT}\ndef f")), "{out}");
    assert_eq!(plan.lines_moved, 1);
}

/// networkx's argmap makes `def func(...)` and later sets
/// `func.__code__ = compiled.__code__`: with `func` wrapped, the wrapper got
/// the new code and the call failed ("requires a code object with 11 free
/// vars"). A module that assigns `__code__` keeps its functions' form.
#[test]
fn a_module_that_assigns_code_objects_keeps_its_functions() {
    let src = "import os\n\ndef make():\n    def func(*a):\n        return lazy(func)(*a)\n    return func\n\ndef lazy(func):\n    func.__code__ = compile_it().__code__\n    x = func.__code__ == None\n    return func\n";
    let (out, plan) = run_plan(src);
    assert!(out.contains("_ct.v(10, \"x\", x)"), "{out}");
    // Only the function of the name whose code is replaced goes without a
    // span (the rule was once the whole module's: 4% of the stdlib's
    // functions lost their spans to it).
    // (It keeps its form: its span comes from sys.monitoring alone.)
    let code_limits: Vec<u32> = limited(&plan)
        .iter()
        .filter(|(k, _, r)| *k == PointKind::Function && r == LIMITED_CODE_ASSIGNED)
        .map(|(_, line, _)| *line)
        .collect();
    assert_eq!(code_limits, [4], "{out}");
    assert!(!out.contains("func = _ct.late"), "{out}");
    assert!(
        out.contains("@_ct.fn(3)") && out.contains("@_ct.fn(8)"),
        "{out}"
    );
    // Comparing is not assigning.
    assert!(
        instrumented("import os\n\ndef f(g):\n    return g.__code__ == 1\n").contains("@_ct.fn(3)")
    );
}

/// Methods of a class written without blank lines are wrapped after the
/// class, which works on every CPython: on a blank line after a module-level
/// class (shared by all of them, the last method included), and before the
/// next simple statement past definitions that do not name the class.
#[test]
fn methods_without_a_line_are_wrapped_after_their_class() {
    check(
        "import os\nclass A:\n    def a(self): pass\n    def __b(self): pass\n\ndef f(): pass\n",
        "IMPORT; import os\nclass A:\n    def a(self): pass\n    def __b(self): pass\n_ct.meth(A, 3, \"a\"); _ct.meth(A, 4, \"__b\"); \ndef f(): pass\nf = _ct.late(6, f)\n",
    );
    let (out, plan) = run_plan(
        "def t():\n    class C:\n        def m(self): pass\n    class D(object):\n        def n(self): pass\n    x = C().m()\n",
    );
    assert!(
        out.contains("    _ct.meth(C, 3, \"m\"); _ct.meth(D, 5, \"n\"); x = C().m()"),
        "{out}"
    );
    assert!(
        skipped(&plan).is_empty() && limited(&plan).is_empty(),
        "{out}"
    );
    // A class that names the first one runs its body in between: no wrap
    // past it, and the first class's method gets its span from
    // sys.monitoring instead.
    let (out, plan) = run_plan(
        "import os\ndef t():\n    class C:\n        def m(self): pass\n    class D(C):\n        def n(self): pass\n    x = 1\n",
    );
    assert!(!out.contains("_ct.meth(C"), "{out}");
    assert!(out.contains("_ct.meth(D, 6, \"n\"); x = 1"), "{out}");
    assert_eq!(
        limited(&plan),
        vec![(PointKind::Function, 4, LIMITED_NO_LINE.to_string())]
    );
}

/// A late wrap goes past sibling definitions whose running (decorators,
/// defaults, annotations) does not name the function: their bodies may
/// call it, but only later, after the wrap.
#[test]
fn late_wraps_go_past_definitions_that_do_not_run_the_function() {
    let (out, plan) = run_plan(
        "import os\ndef outer():\n    def a(): pass\n    def b(): return a()\n    def c(y=a): pass\n    return b\n",
    );
    assert!(
        out.contains("    b = _ct.late(4, b); c = _ct.late(5, c); return b"),
        "{out}"
    );
    // `a` is a default value of `c`: c's def runs it, so no wrap past it.
    assert!(!out.contains("a = _ct.late"), "{out}");
    assert_eq!(
        limited(&plan),
        vec![(PointKind::Function, 3, LIMITED_NO_LINE.to_string())]
    );
}

/// A file that starts with a def holding a nested def: the nested def's
/// decorator on the blank line after the `:` is the body, not the
/// signature, so the binding stays below the first def (no line moves) and
/// the outer def keeps its span.
#[test]
fn nested_def_decorator_after_the_colon_keeps_the_binding_below_the_first_def() {
    let src = "def add(items):\n\n    def norm(v):\n        return v\n    return 3\n\n\ndef keep(x):\n    return x\n";
    let (text, plan) = run_plan(src);
    assert_eq!(plan.lines_moved, 0, "{text}");
    assert!(skipped(&plan).is_empty(), "{:?}\n{text}", skipped(&plan));
    check(
        src,
        "def add(items):\n    @_ct.fn(3)\n    def norm(v):\n        return v\n    return 3\nIMPORT; add = _ct.late(1, add)\n@_ct.fn(8)\ndef keep(x):\n    return x\n",
    );
}

/// The binding moved above a first def whose signature takes an insert: a
/// late wrap that had joined the binding's line keeps that line, alone,
/// instead of a `; ` that no longer follows anything (a syntax error that
/// cost the def its span).
#[test]
fn late_wrap_on_the_binding_line_survives_the_binding_moving_up() {
    let src = "def add(f=lambda: 1):\n    return f()\n\nif __name__ == \"__main__\":\n    add()\n";
    let (text, plan) = run_plan(src);
    assert!(skipped(&plan).is_empty(), "{:?}\n{text}", skipped(&plan));
    assert_eq!(plan.lines_moved, 1, "{text}");
    assert!(text.contains("\nadd = _ct.late(1, add)\nif"), "{text}");
}

#[test]
fn the_binding_falls_back_to_the_name_the_runtime_registers_under() {
    let runtime = include_str!("../../runtime/python/_ctinject_runtime.py");
    let shim = include_str!("../../runtime/python/_ctinject.py");
    let line = runtime
        .lines()
        .find(|l| l.starts_with("_REGISTRY = \""))
        .expect("the runtime names its registry");
    let name = line.trim_start_matches("_REGISTRY = ").trim();
    assert!(
        super::forms::BINDING
            .template
            .contains(&format!("modules.get({name})")),
        "{name}"
    );
    assert!(shim.contains(&format!("_name = {name}")), "{name}");
}
