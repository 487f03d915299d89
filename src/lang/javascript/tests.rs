//! Golden tests on strings: each case is the input and the exact output.

use super::*;

fn ctx(system: &str) -> PlanContext {
    PlanContext {
        rel_path: "m.js".into(),
        runtime_ref: format!("{system}|./_ctinject.cjs"),
        kinds: PointKind::ALL.into_iter().collect(),
    }
}

fn parse(src: &str) -> tree_sitter::Tree {
    crate::lang::test_support::parse(&JavaScript, src)
}

/// Plans and applies with the engine, checking the principles on the way.
fn run(src: &str, system: &str) -> (String, FilePlan) {
    crate::lang::test_support::run(&JavaScript, src, &ctx(system))
}

fn cjs(src: &str) -> String {
    let (text, plan) = run(src, "cjs");
    let dropped: Vec<_> = plan
        .units
        .iter()
        .flat_map(|u| &u.points)
        .filter_map(|p| p.skipped.clone())
        .collect();
    assert!(dropped.is_empty(), "points skipped: {dropped:?}\n{text}");
    text
}

const REQ: &str = "const __ct = require(\"./_ctinject.cjs\");";
const OPEN: &str = "const __ct_s = __ct.s(";
const CLOSE: &str =
    " } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } ";

#[test]
fn a_function_declaration_gets_its_span_inside_its_body() {
    let src = "function add(a, b = 1, ...rest) {\n  return a + b;\n}\n";
    assert_eq!(
        cjs(src),
        format!(
            "{REQ} function add(a, b = 1, ...rest) {{ {OPEN}\"m.js\", 1, \"add\", \"function\", \"a,b,...rest\", arguments); try {{\n  return __ct.r(__ct_s, a + b);\n{CLOSE}}}\n"
        )
    );
}

#[test]
fn an_arrow_expression_body_becomes_a_block_on_its_line() {
    let src = "const inc = (x) => x + 1;\n";
    assert_eq!(
        cjs(src),
        format!(
            "{REQ} const inc = (x) => {{ {OPEN}\"m.js\", 1, \"inc\", \"arrow\", \"x\", [x]); try {{ return __ct.r(__ct_s, x + 1); }} catch (__ct_e) {{ __ct.x(__ct_s, __ct_e); throw __ct_e; }} finally {{ __ct.e(__ct_s); }} }}; __ct.v(\"m.js\", 1, \"inc\", inc);\n"
        )
    );
}

#[test]
fn the_binding_follows_a_shebang_and_the_directive_prologue() {
    let src = "#!/usr/bin/env node\n'use strict'\n// c\nlet x = 1\n";
    assert_eq!(
        cjs(src),
        format!("#!/usr/bin/env node\n'use strict'; {REQ}\n// c\nlet x = 1; __ct.v(\"m.js\", 4, \"x\", x);\n")
    );
    // A function's own directives stay first too.
    let src = "function f() {\n  'use strict';\n  return 1\n}\n";
    let out = cjs(src);
    assert!(out.contains("'use strict'; const __ct_s"), "{out}");
}

#[test]
fn an_es_module_imports_the_runtime() {
    let (out, _) = run("import fs from 'fs';\nexport const x = 1;\n", "auto");
    assert_eq!(
        out,
        "import * as __ct from \"./_ctinject.cjs\"; import fs from 'fs';\nexport const x = 1; __ct.v(\"m.js\", 2, \"x\", x);\n"
    );
    // Without import or export, an undecided .js file is CommonJS.
    let (out, _) = run("let y = 2;\n", "auto");
    assert!(out.starts_with(REQ), "{out}");
    let (out, _) = run("let y = 2;\n", "esm");
    assert!(out.starts_with("import * as __ct from"), "{out}");
}

#[test]
fn branches_get_their_arm_first_and_braces_where_they_had_none() {
    let src = "function f(a) {\n  if (a) return 1;\n  else if (a === 0) { a++ }\n  return a ? 2 : 3;\n}\n";
    let out = cjs(src);
    assert!(
        out.contains("if (a) { __ct.b(\"m.js\", 2, 0); return __ct.r(__ct_s, 1); }"),
        "{out}"
    );
    assert!(
        out.contains("else { __ct.b(\"m.js\", 2, 1); if (a === 0) { __ct.b(\"m.js\", 3, 0); a++; __ct.v(\"m.js\", 3, \"a\", a); } }"),
        "{out}"
    );
    assert!(
        out.contains(
            "return __ct.r(__ct_s, a ? (__ct.b(\"m.js\", 4, 0), 2) : (__ct.b(\"m.js\", 4, 1), 3));"
        ),
        "{out}"
    );
}

#[test]
fn switch_cases_and_logical_operands_are_branches() {
    let src = "switch (k) {\n  case 1: x = a && b; break\n  default:\n    y = c ?? d\n}\n";
    let out = cjs(src);
    assert!(out.contains("case 1: __ct.b(\"m.js\", 1, 0); x = a && (__ct.b(\"m.js\", 2, 0), b); __ct.v(\"m.js\", 2, \"x\", x); break"), "{out}");
    assert!(out.contains("default: __ct.b(\"m.js\", 1, 1);"), "{out}");
    assert!(
        out.contains("y = c ?? (__ct.b(\"m.js\", 4, 0), d); __ct.v(\"m.js\", 4, \"y\", y);\n}"),
        "{out}"
    );
}

#[test]
fn loops_count_iterations_first_in_their_body() {
    let src = "for (let i = 0; i < 3; i++) sum += i;\nfor await (const x of xs) {}\nwhile (n--) {}\ndo n++; while (n < 3)\n";
    let out = cjs(src);
    // The body's own variable event goes inside the braces, after it.
    assert!(out.contains("for (let i = 0; i < 3; i++) { __ct.li(\"m.js\", 1, \"for\"); sum += i; __ct.v(\"m.js\", 1, \"sum\", sum); }"), "{out}");
    assert!(
        out.contains("for await (const x of xs) { __ct.li(\"m.js\", 2, \"for_await\");}"),
        "{out}"
    );
    assert!(
        out.contains("while (n--) { __ct.li(\"m.js\", 3, \"while\");}"),
        "{out}"
    );
    assert!(out.contains("do { __ct.li(\"m.js\", 4, \"do\"); n++; __ct.v(\"m.js\", 4, \"n\", n); } while (n < 3)"), "{out}");
    // Without loop points there are no braces to hold the event: reported.
    let src = "while (x) y = 1;\n";
    let tree = parse(src);
    let mut c = ctx("cjs");
    c.kinds.remove(&PointKind::Loop);
    let plan = JavaScript.plan(src, &tree, &c);
    let skipped: Vec<_> = plan
        .units
        .iter()
        .flat_map(|u| &u.points)
        .filter_map(|p| p.skipped.as_deref())
        .collect();
    assert_eq!(skipped, [SKIP_UNBRACED]);
}

#[test]
fn a_catch_handler_records_what_it_caught() {
    let src = "try { f() } catch (err) { g(err) }\ntry {} catch { }\n";
    let out = cjs(src);
    assert!(
        out.contains("catch (err) { __ct.c(\"m.js\", 1, err); g(err) }"),
        "{out}"
    );
    assert!(out.contains("catch { __ct.c(\"m.js\", 2); }"), "{out}");
}

#[test]
fn awaits_and_yields_suspend_the_span() {
    let src = "async function f() { const r = await g(); return r }\nfunction* h() { yield 1; yield; const y = yield* k() }\n";
    let out = cjs(src);
    assert!(
        out.contains("const r = __ct.ar(__ct_s, await __ct.aw(__ct_s, g()));"),
        "{out}"
    );
    assert!(out.contains("\"async\", \"\", arguments)"), "{out}");
    assert!(
        out.contains("__ct.ar(__ct_s, yield __ct.aw(__ct_s, 1));"),
        "{out}"
    );
    assert!(
        out.contains("__ct.ar(__ct_s, yield __ct.aw(__ct_s));"),
        "{out}"
    );
    assert!(
        out.contains("__ct.ar(__ct_s, yield* __ct.aw(__ct_s, k()))"),
        "{out}"
    );
    // A for-await's own waits, at its head, put the span back too.
    let out = cjs("async function f(xs) {\n  for await (const x of xs) { g(x) }\n}\n");
    assert!(
        out.contains("__ct.aw(__ct_s); for await (const x of xs) { __ct.li(\"m.js\", 2, \"for_await\"); __ct.ar(__ct_s); g(x) ; __ct.aw(__ct_s); } __ct.ar(__ct_s);"),
        "{out}"
    );
    // A rejected await skips its resumption: catch and finally resume the span.
    let out = cjs("async function f() { try { await g() } catch (e) { h(e) } finally { k() } }\nfunction p() { try { q() } catch { } }\n");
    assert!(
        out.contains("catch (e) { __ct.ar(__ct_s); __ct.c("),
        "{out}"
    );
    assert!(out.contains("finally { __ct.ar(__ct_s); k() }"), "{out}");
    assert!(
        out.contains("catch { __ct.c(\"m.js\", 2); }"),
        "not in a plain function:\n{out}"
    );
}

#[test]
fn methods_are_named_by_their_class_and_keep_their_kind() {
    let src = "class A extends B {\n  constructor(x) { super(x); this.x = x }\n  get v() { return this.x }\n  static async *gen() {}\n  #p() {}\n  f = () => 1;\n  static { init() }\n}\n";
    let out = cjs(src);
    for (name, kind) in [
        ("A.constructor", "constructor"),
        ("A.v", "getter"),
        ("A.gen", "async_generator"),
        ("A.#p", "method"),
        ("A.f", "arrow"),
        ("A.<static>", "static_block"),
    ] {
        assert!(
            out.contains(&format!("\"{name}\", \"{kind}\"")),
            "{name} {kind}:\n{out}"
        );
    }
    // A static block has no arguments; an arrow with no parameters reads none.
    assert!(
        out.contains("\"A.<static>\", \"static_block\", \"\", null)"),
        "{out}"
    );
    assert!(out.contains("\"A.f\", \"arrow\", \"\", null)"), "{out}");
}

#[test]
fn a_trailing_comment_of_a_statement_without_semicolon_stays_last() {
    let src = "let a = 1 // one\nb = 2 /* two */\n";
    let out = cjs(src);
    assert_eq!(
        out,
        format!("{REQ} let a = 1; __ct.v(\"m.js\", 1, \"a\", a); // one\nb = 2; __ct.v(\"m.js\", 2, \"b\", b); /* two */\n")
    );
}

#[test]
fn destructuring_records_every_bound_name() {
    let out = cjs("const { a, b: [c, ...d], e = 1 } = o;\n");
    assert!(
        out.contains("__ct.v(\"m.js\", 1, \"a\", a, \"c\", c, \"d\", d, \"e\", e);"),
        "{out}"
    );
}

#[test]
fn a_function_declared_in_its_body_under_a_var_name_keeps_no_span() {
    // `var a; function a() {}` is legal in a function body and an early
    // error in the `try` block a span would put them in.
    let (out, plan) = run(
        "function f() { var a = 1; function a() {} return a }\n",
        "cjs",
    );
    assert!(!out.contains("\"f\", \"function\""), "{out}");
    let reasons: Vec<_> = plan
        .units
        .iter()
        .flat_map(|u| &u.points)
        .filter_map(|p| p.skipped.as_deref())
        .collect();
    assert_eq!(reasons, [SKIP_BLOCK_FUNCTION]);
}

#[test]
fn a_file_using_the_reserved_names_is_left_alone() {
    let (out, plan) = run("let __ct = 1;\nfunction f() { return 2 }\n", "cjs");
    assert_eq!(out, "let __ct = 1;\nfunction f() { return 2 }\n");
    assert!(plan
        .units
        .iter()
        .flat_map(|u| &u.points)
        .all(|p| p.skipped.as_deref() == Some(SKIP_RESERVED)));
    // A longer name is the user's own.
    assert!(cjs("let __ctx = 1;\n").contains("__ct.v("));
}

#[test]
fn a_syntax_error_leaves_its_function_alone_and_the_rest_instrumented() {
    let (out, plan) = run(
        "function ok() { return 1 }\nfunction bad() { let = ; }\n",
        "cjs",
    );
    assert!(out.contains("\"ok\", \"function\""), "{out}");
    assert!(!out.contains("\"bad\""), "{out}");
    assert!(plan
        .units
        .iter()
        .flat_map(|u| &u.points)
        .any(|p| p.skipped.is_some()));
}

#[test]
fn check_plan_refuses_forged_inserts() {
    let src = "function f(a) { return a }\n";
    let tree = parse(src);
    let plan = JavaScript.plan(src, &tree, &ctx("cjs"));
    assert_eq!(JavaScript.check_plan(src, &plan), Ok(()));
    let forge = |text: &str, offset: usize| {
        let mut p = plan.clone();
        p.units[1].inserts.push(Insert::before(offset, text));
        JavaScript.check_plan(src, &p)
    };
    assert!(forge("require('child_process').exec('x');", 16).is_err());
    assert!(forge("__ct.b(\"m.js\", 1, 0); evil();", 16).is_err());
    // A form, but inside the function's string... there is none: inside its name.
    assert!(forge(" __ct.b(\"m.js\", 1, 0);", 12).is_ok());
    let src2 = "f('a b')\n";
    let mut p = JavaScript.plan(src2, &parse(src2), &ctx("cjs"));
    p.units[0]
        .inserts
        .push(Insert::before(4, " __ct.b(\"m.js\", 1, 0);"));
    assert!(JavaScript
        .check_plan(src2, &p)
        .unwrap_err()
        .contains("string"));
}

#[test]
fn runtime_place_follows_node_module_rules() {
    use std::collections::BTreeMap;
    struct Files(BTreeMap<&'static str, &'static str>);
    impl Layout for Files {
        fn is_file(&self, rel: &str) -> bool {
            self.0.contains_key(rel)
        }
        fn read(&self, rel: &str) -> Option<String> {
            self.0.get(rel).map(|s| s.to_string())
        }
    }
    let files = Files(BTreeMap::from([
        ("package.json", r#"{"type": "module"}"#),
        ("lib/package.json", r#"{"name": "x"}"#),
    ]));
    let place = |rel| JavaScript.runtime_place(rel, &files).reference;
    assert_eq!(place("a.js"), "esm|./_ctinject.cjs");
    assert_eq!(place("src/deep/a.js"), "esm|../../_ctinject.cjs");
    assert_eq!(place("lib/a.js"), "auto|../_ctinject.cjs");
    assert_eq!(place("lib/a.mjs"), "esm|../_ctinject.cjs");
    assert_eq!(place("a.cjs"), "cjs|./_ctinject.cjs");
}
