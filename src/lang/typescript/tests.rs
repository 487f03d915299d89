//! Golden tests on strings: TypeScript's own shapes, its binding, and what
//! it leaves alone. (What JavaScript and TypeScript share is tested in
//! `javascript/tests.rs`; that the output type-checks as the original did
//! is tested with the real `tsc` in the integration tests.)

use super::*;
use crate::engine::PointKind;
use std::collections::BTreeSet;

fn ctx(rel: &str, system: &str) -> PlanContext {
    let place = runtime_place(rel, &BTreeSet::new());
    let path = place.reference.split_once('|').unwrap().1;
    PlanContext {
        rel_path: rel.into(),
        runtime_ref: format!("{system}|{path}"),
        kinds: PointKind::ALL.into_iter().collect(),
    }
}

/// Plans `src` as the file `rel` and applies the plan, checking the
/// principles on the way: the text and the plan.
fn run_as(lang: &dyn Language, rel: &str, system: &str, src: &str) -> (String, FilePlan) {
    crate::lang::test_support::run(lang, src, &ctx(rel, system))
}

fn ts(src: &str) -> (String, FilePlan) {
    run_as(&TypeScript, "m.ts", "auto", src)
}

/// The reasons of the points left out.
fn skips(plan: &FilePlan) -> Vec<String> {
    plan.units
        .iter()
        .flat_map(|u| &u.points)
        .filter_map(|p| p.skipped.clone())
        .collect()
}

const CLOSE: &str =
    " } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } ";

#[test]
fn a_typed_function_gets_its_span_and_its_parameters_without_this() {
    let src = "export function f(this: Window, a: number, b?: string, c = 2, ...rest: number[]): number {\n  return a;\n}\n";
    let (out, plan) = ts(src);
    assert_eq!(
        out,
        format!("import * as __ct from \"./_ctinject\"; export function f(this: Window, a: number, b?: string, c = 2, ...rest: number[]): number {{ const __ct_s = __ct.s(\"m.ts\", 1, \"f\", \"function\", \"a,b,c,...rest\", arguments); try {{\n  return __ct.r(__ct_s, a);\n{CLOSE}}}\n")
    );
    assert!(skips(&plan).is_empty());
}

#[test]
fn the_binding_is_spelled_as_the_file_spells_its_imports() {
    let body = "\nexport const x = 1;\n";
    for (imports, rel, system, binding) in [
        (
            "import { a } from \"./a\";",
            "m.ts",
            "auto",
            "import * as __ct from \"./_ctinject\";",
        ),
        (
            "import { a } from \"../a.js\";",
            "src/m.ts",
            "auto",
            "import * as __ct from \"./_ctinject.js\";",
        ),
        (
            "import type { A } from \"./a.ts\";",
            "src/x/m.ts",
            "auto",
            "import * as __ct from \"../_ctinject.ts\";",
        ),
        // No relative import: an ES module's needs an extension, a CommonJS one's none.
        (
            "import fs from \"fs\";",
            "m.mts",
            "esm",
            "import * as __ct from \"./_ctinject.js\";",
        ),
        (
            "import fs from \"fs\";",
            "m.ts",
            "auto",
            "import * as __ct from \"./_ctinject\";",
        ),
        // Written for CommonJS (what verbatimModuleSyntax asks of it).
        (
            "import fs = require(\"fs\");",
            "m.ts",
            "auto",
            "import __ct = require(\"./_ctinject\");",
        ),
        (
            "import fs from \"fs\";",
            "m.cts",
            "cjs",
            "import __ct = require(\"./_ctinject\");",
        ),
    ] {
        let src = format!("{imports}{body}");
        let (out, _) = run_as(&TypeScript, rel, system, &src);
        assert_eq!(
            out.lines().next().unwrap(),
            format!("{binding} {imports}"),
            "{rel}: {src}"
        );
    }
    // `export =` makes it a CommonJS file too.
    let (out, _) = ts("function f(): number { return 1; }\nexport = f;\n");
    assert!(
        out.starts_with("import __ct = require(\"./_ctinject\"); function f()"),
        "{out}"
    );
}

#[test]
fn a_script_stays_a_script() {
    // No import or export: its top-level names are global to the program,
    // and an import would make them module-local.
    let src = "function helper(a: number): number {\n  return a + 1;\n}\n";
    let (out, plan) = ts(src);
    assert_eq!(out, src);
    assert!(!skips(&plan).is_empty());
    assert!(
        skips(&plan).iter().all(|r| r.contains("script")),
        "{:?}",
        skips(&plan)
    );
    // A .mts or .cts file is a module whatever it holds.
    let (out, _) = run_as(&TypeScript, "m.mts", "esm", src);
    assert!(
        out.starts_with("import * as __ct from \"./_ctinject.js\"; function helper"),
        "{out}"
    );
}

#[test]
fn the_runtime_goes_into_the_top_level_folder() {
    let place = |rel: &str| runtime_place(rel, &BTreeSet::new());
    assert_eq!(place("m.ts").dir, "");
    assert_eq!(place("m.ts").reference, "auto|./_ctinject");
    assert_eq!(place("src/m.ts").dir, "src");
    assert_eq!(place("src/m.ts").reference, "auto|./_ctinject");
    assert_eq!(place("src/a/b/m.tsx").reference, "auto|../../_ctinject");
    assert_eq!(place("src/m.mts").reference, "esm|./_ctinject");
}

#[test]
fn shapes_without_code_are_left_alone() {
    let src = "export function over(a: number): number;
export function over(a: string): string;
export function over(a: any): any { return a; }
declare function ambient(): void;
declare namespace N { function k(): void; }
declare module \"m\" { export const v: number; }
export abstract class A {
  abstract m(): void;
  declare d: number;
  x!: number;
  opt?(): void;
}
interface I { f(): void; g: () => number }
type T = (x: number) => string;
enum E { A = 1 << 2, B = A ? 1 : 2 }
";
    let (out, plan) = ts(src);
    let units: Vec<&str> = plan.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(units, ["<module>", "over"], "{out}");
    assert!(skips(&plan).is_empty(), "{:?}", skips(&plan));
    // Only the implementation of `over` changed.
    let changed: Vec<&str> = out
        .lines()
        .zip(src.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a)
        .collect();
    assert_eq!(changed.len(), 2, "{out}");
    assert!(
        changed[1].contains("function over(a: any): any { const __ct_s"),
        "{out}"
    );
}

#[test]
fn a_derived_constructor_opens_its_span_after_super() {
    let src = "import { B } from \"./b\";
export class C extends B {
  n = 1;
  constructor(private readonly k: number, public m = 2) {
    super(k);
    this.n = k;
  }
}
";
    let (out, _) = ts(src);
    assert!(
        out.contains("    super(k); const __ct_s = __ct.s(\"m.ts\", 4, \"C.constructor\", \"constructor\", \"k,m\", arguments); try {\n    this.n = k;\n"),
        "{out}"
    );
}

#[test]
fn using_declarations_leave_their_function_alone() {
    // The grammar reads `using x = ...` as an assignment to `x`.
    let src = "export function f(): number {
  using res = open();
  return 1;
}
export function g(): number {
  return 2;
}
";
    let (out, plan) = ts(src);
    let f = plan.units.iter().find(|u| u.name == "f").unwrap();
    assert!(
        f.inserts.is_empty()
            && f.points
                .iter()
                .all(|p| p.skipped.as_deref().is_some_and(|r| r.contains("using"))),
        "{out}"
    );
    assert!(out.contains("function g(): number { const __ct_s"), "{out}");
}

#[test]
fn syntax_the_grammar_cannot_read_leaves_its_function_alone() {
    let src = "export function f<in out T>(x: T): T {
  return x;
}
export class K {
  static accessor a = () => 1;
  m(): number { return 1; }
}
export function g(): number {
  return 2;
}
";
    let (out, plan) = ts(src);
    let reasons = skips(&plan);
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| r.contains("TypeScript grammar")),
        "{reasons:?}"
    );
    assert!(!out.contains("\"f\""), "{out}");
    assert!(out.contains("\"K.m\"") && out.contains("\"g\""), "{out}");
}

#[test]
fn declaration_files_are_skipped() {
    for rel in ["a.d.ts", "src/a.d.mts", "a.d.cts"] {
        let (out, plan) = run_as(
            &TypeScript,
            rel,
            "auto",
            "export declare function f(): void;\n",
        );
        assert!(out.starts_with("export declare"));
        assert!(
            plan.file_skipped
                .as_deref()
                .is_some_and(|r| r.contains("declaration file")),
            "{rel}"
        );
    }
}

#[test]
fn tsx_components_get_spans_and_branches() {
    let src = "import { h } from \"./h\";
export function List(props: { items: string[] }): JSX.Element {
  return <ul>{props.items.length > 0 ? props.items.map((i) => <li>{i}</li>) : <li>none</li>}</ul>;
}
";
    let (out, plan) = run_as(&Tsx, "view.tsx", "auto", src);
    assert!(skips(&plan).is_empty(), "{:?}", skips(&plan));
    assert!(
        out.contains("? (__ct.b(\"view.tsx\", 3, 0), props.items.map("),
        "{out}"
    );
    assert!(out.contains("(i) => { const __ct_s = __ct.s(\"view.tsx\", 3, \"List.<locals>.<anonymous>\", \"arrow\", \"i\", [i]); try { return __ct.r(__ct_s, <li>{i}</li>);"), "{out}");
}

#[test]
fn a_plan_with_the_other_dialects_binding_is_refused() {
    let src = "import { a } from \"./a\";\nexport const x = a;\n";
    let (_, mut plan) = ts(src);
    plan.header[0].text = "import __ct from \"./_ctinject.cjs\"; ".into();
    assert!(TypeScript.check_plan(src, &plan).is_err());
    let (_, mut plan) = ts(src);
    plan.header[0].text = "import * as __ct from \"./evil\"; ".into();
    assert!(TypeScript.check_plan(src, &plan).is_err());
}

#[test]
fn a_yield_keeps_its_type() {
    // Unused: resumed beside it, not around it.
    let src = "export function* g() {\n  yield 1;\n  yield;\n}\n";
    let (out, _) = ts(src);
    assert!(out.contains("  yield __ct.aw(__ct_s, 1), __ct.ar(__ct_s);\n  yield __ct.aw(__ct_s), __ct.ar(__ct_s);\n"), "{out}");
    // The whole body of an arm: the braces the branch adds would close
    // before a resumption beside it, so it goes around.
    let (out, _) = ts("export function* g(c: boolean) {\n  if (c) yield* h()\n}\n");
    assert!(
        out.contains(
            "if (c) { __ct.b(\"m.ts\", 2, 0); __ct.ar(__ct_s, yield* __ct.aw(__ct_s, h())) }"
        ),
        "{out}"
    );
    // Used, in a generator with a return type: it has its type from there.
    let src = "export function* g(): Generator<number, void, string> {\n  const s = yield 1;\n}\n";
    let (out, _) = ts(src);
    assert!(
        out.contains("const s = __ct.ar(__ct_s, yield __ct.aw(__ct_s, 1));"),
        "{out}"
    );
    // Used, without one: its type comes from where it stands, which a call
    // would hide; the generator is left alone.
    let src = "export function* g() {\n  const s = (yield 1) as string;\n}\n";
    let (out, plan) = ts(src);
    assert!(!out.contains("__ct_s"), "{out}");
    assert!(
        skips(&plan).iter().any(|r| r.contains("TS7057")),
        "{:?}",
        skips(&plan)
    );
}

#[test]
fn a_returned_function_gets_the_declared_return_type_through_the_helper() {
    // Inferred from the value alone, the helper's type would lose what the
    // return type tells `operate`'s callback (rxjs's `take`).
    let src = "export function take<T>(n: number): Op<T> {\n  return n > 0 ? operate((a) => a) : empty;\n}\nexport function plain(): number {\n  return 1;\n}\nexport const f = (x: number): Fn => (y) => x + y;\n";
    let (out, plan) = ts(src);
    assert!(
        out.contains("return __ct.r<(Op<T>)>(__ct_s, n > 0 ?"),
        "{out}"
    );
    assert!(out.contains("return __ct.r(__ct_s, 1);"), "{out}");
    assert!(
        out.contains("try { return __ct.r<(Fn)>(__ct_s, (y) => {"),
        "{out}"
    );
    // check_plan accepts only return types of the source.
    let mut forged = plan.clone();
    for u in &mut forged.units {
        for i in &mut u.inserts {
            i.text = i.text.replace("<(Op<T>)>", "<(Op<T>)>(0) + evil(), x<(T)>");
        }
    }
    assert!(TypeScript.check_plan(src, &forged).is_err());
}

#[test]
fn a_misread_non_null_assertion_leaves_its_function_alone() {
    // The grammar reads `a || !b!(c)` as `(a || !b)!(c)`.
    let src = "export function f(a: boolean, b?: (c: number) => boolean): boolean {\n  return a || !b!(1);\n}\nexport function g(x?: number): number {\n  return x!;\n}\n";
    let (out, plan) = ts(src);
    assert!(!out.contains("\"f\""), "{out}");
    assert!(
        skips(&plan).iter().all(|r| r.contains("non-null")),
        "{:?}",
        skips(&plan)
    );
    assert!(out.contains("return __ct.r(__ct_s, x!);"), "{out}");
}

#[test]
fn an_arrow_with_a_tagged_template_with_type_arguments_is_left_alone() {
    // The grammar reads `(k) => sql<Row>`...`.pipe(f)` as an arrow `(k) =>
    // sql<Row>` called with the template: a span would end before `.pipe`.
    let src = "export const get = (key: string) =>\n  sql<Row>`SELECT ${key}`.pipe(f);\n";
    let (out, plan) = ts(src);
    assert!(!out.contains("__ct_s"), "{out}");
    assert!(
        skips(&plan).iter().any(|r| r.contains("tagged template")),
        "{:?}",
        skips(&plan)
    );
}

#[test]
fn what_es5_refuses_is_left_out() {
    // A function declared in the span's `try` block (TS1252 for ES5).
    let src = "export function f(): number {\n  function inner(): number { return 1; }\n  return inner();\n}\n";
    let (out, plan) = ts(src);
    assert!(!out.contains("\"f\", \"function\""), "{out}");
    assert!(
        skips(&plan).iter().any(|r| r.contains("TS1252")),
        "{:?}",
        skips(&plan)
    );
    assert!(out.contains("\"f.<locals>.inner\""), "{out}");
    // `arguments` in an async function (TS2522): the parameters' values.
    let (out, _) =
        ts("export async function g(a: number, b: string): Promise<void> {\n  await a;\n}\n");
    assert!(out.contains("\"g\", \"async\", \"a,b\", [a, b]);"), "{out}");
}

#[test]
fn what_typescript_infers_stays_inferable() {
    // A callback TypeScript reads as a type predicate keeps its return as
    // it is (inside the helper it would be none).
    let src = "export function f(xs: (string | undefined)[]): string[] {\n  return xs.filter((x) => x !== undefined);\n}\n";
    let (out, _) = ts(src);
    assert!(out.contains("(x) => { const __ct_s = __ct.s(\"m.ts\", 2, \"f.<locals>.<anonymous>\", \"arrow\", \"x\", [x]); try { return x !== undefined; } catch"), "{out}");
    // ... but a value that is no predicate's goes through it.
    let (out, _) = ts("export const g = (x: number) => x + 1;\n");
    assert!(out.contains("return __ct.r(__ct_s, x + 1);"), "{out}");
    // `[]` without a type is not read before it evolves (TS7005).
    let (out, _) = ts("export function h(): number[] {\n  const out = [];\n  const typed: number[] = [];\n  out.push(1);\n  return typed.concat(out);\n}\n");
    assert!(!out.contains("\"out\", out"), "{out}");
    assert!(out.contains("\"typed\", typed"), "{out}");
}
