//! Golden tests on strings: each case is the input and the exact output.

use super::*;
use crate::engine::PointKind;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn ctx_with(rel: &str, kinds: &[PointKind]) -> PlanContext {
    PlanContext {
        rel_path: rel.into(),
        runtime_ref: "example.com/m".into(),
        kinds: kinds.iter().copied().collect(),
    }
}

fn ctx(rel: &str) -> PlanContext {
    ctx_with(rel, &PointKind::ALL)
}

fn parse(src: &str) -> tree_sitter::Tree {
    crate::lang::test_support::parse(&Go, src)
}

/// Plans and applies with the engine, checking the principles on the way.
fn run(src: &str) -> (String, FilePlan) {
    crate::lang::test_support::run(&Go, src, &ctx("a.go"))
}

fn skipped(plan: &FilePlan) -> Vec<String> {
    plan.units
        .iter()
        .flat_map(|u| &u.points)
        .filter_map(|p| p.skipped.clone())
        .collect()
}

/// The instrumented text, every point instrumented.
fn go(src: &str) -> String {
    let (text, plan) = run(src);
    assert!(skipped(&plan).is_empty(), "{:?}\n{text}", skipped(&plan));
    text
}

const IMPORT: &str = "; import _ct \"example.com/m/_ctinject\"";
const SENTINEL: &str = "; var _ = _ct.On";

fn span(line: u32, name: &str, args: &[&str], results: &str) -> String {
    let n = results.matches(", ").count();
    let args: Vec<String> = args
        .iter()
        .map(|a| format!("_ct.A(_ct_s, \"{a}\", &{a})"))
        .collect();
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("if _ct_s != nil {{ {} }}; ", args.join("; "))
    };
    format!(
        " _ct_s := _ct.S(\"a.go\", {line}, \"{name}\", \"example.com/m\"); {args}defer _ct.E{n}(_ct_s{results});"
    )
}

#[test]
fn a_function_gets_its_span_first_in_its_body_with_unnamed_results_named() {
    let src = "package m\n\nfunc Div(a, b int) (int, error) {\n\treturn a / b, nil\n}\n";
    let open = span(3, "Div", &["a", "b"], ", &_ct_r0, &_ct_r1");
    assert_eq!(
        go(src),
        format!("package m{IMPORT}{SENTINEL}\n\nfunc Div(a, b int) (_ct_r0 int, _ct_r1 error) {{{open}\n\treturn a / b, nil\n}}\n")
    );
}

#[test]
fn a_single_result_is_named_in_parentheses_and_named_results_are_read_as_they_are() {
    let src = "package m\n\nimport \"fmt\"\n\nfunc F() int { return 1 }\n\nfunc G() (n int, _ error) { n = 2; fmt.Println(); return }\n";
    let f = span(5, "F", &[], ", &_ct_r0");
    let g = span(7, "G", &[], ", &n, &_ct_r1_");
    assert_eq!(
        go(src),
        format!("package m{IMPORT}\n\nimport \"fmt\"{SENTINEL}\n\nfunc F() (_ct_r0 int) {{{f} return 1 }}\n\nfunc G() (n int, _ct_r1_ error) {{{g} n = 2; if _ct_s != nil {{ _ct.V(_ct_s, 7, \"n\", &n) }}; fmt.Println(); return }}\n")
    );
}

#[test]
fn methods_are_named_as_go_names_them_and_record_their_receiver() {
    let src =
        "package m\n\nfunc (r *T[K, V]) Get(k K) {}\n\nfunc (t T) Len() {}\n\nfunc (T) Nop() {}\n";
    let out = go(src);
    assert!(
        out.contains(&span(3, "(*T[...]).Get", &["r", "k"], "")),
        "{out}"
    );
    assert!(out.contains(&span(5, "T.Len", &["t"], "")), "{out}");
    assert!(out.contains(&span(7, "T.Nop", &[], "")), "{out}");
}

#[test]
fn function_literals_are_named_like_go_and_take_the_enclosing_span_as_parent() {
    let src = "package m\n\nvar h = func() {}\n\nfunc F() {\n\tgo func() {\n\t\tdefer func() {}()\n\t}()\n\tg := func() {}\n\tg()\n}\n";
    let (out, plan) = run(src);
    assert_eq!(skipped(&plan), [SKIP_FUNC_VALUE], "g := func() {{}}");
    assert!(
        out.contains("var h = func() { _ct_s := _ct.S(\"a.go\", 3, \"glob..func1\""),
        "{out}"
    );
    assert!(
        out.contains("go func() { _ct_s := _ct.SL(_ct_s, \"a.go\", 6, \"F.func1\""),
        "{out}"
    );
    assert!(
        out.contains("defer func() { _ct_s := _ct.SL(_ct_s, \"a.go\", 7, \"F.func1.1\""),
        "{out}"
    );
    assert!(
        out.contains("g := func() { _ct_s := _ct.SL(_ct_s, \"a.go\", 9, \"F.func2\""),
        "{out}"
    );
    // The literals of a function are part of its unit; a package-level one has its own.
    let names: Vec<&str> = plan.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["<module>", "glob..func1", "F"]);
}

#[test]
fn branches_loops_and_variables_go_after_braces_colons_and_statements() {
    let src = "package m

func F(xs []int, c chan int) {
\ttotal := 0
\tfor i, x := range xs {
\t\ttotal += x * i
\t}
\tfor total < 10 {
\t\ttotal++
\t}
\tif total > 3 {
\t} else if total > 2 {
\t} else {
\t}
\tswitch total {
\tcase 1, 2:
\t\tfallthrough
\tdefault:
\t}
\tselect {
\tcase v, ok := <-c:
\t\t_ = v && ok
\tcase c <- 1:
\t}
L:
\tfor {
\t\tbreak L
\t}
}
";
    let out = go(src);
    let expected = [
        "\ttotal := 0; if _ct_s != nil { _ct.V(_ct_s, 4, \"total\", &total) }\n",
        "\tfor i, x := range xs { _ct_s.L(5, \"range\"); if _ct_s != nil { _ct.V(_ct_s, 5, \"i\", &i); _ct.V(_ct_s, 5, \"x\", &x) };\n",
        "\t\ttotal += x * i; if _ct_s != nil { _ct.V(_ct_s, 6, \"total\", &total) }\n",
        "\tfor total < 10 { _ct_s.L(8, \"while\");\n",
        "\t\ttotal++; if _ct_s != nil { _ct.V(_ct_s, 9, \"total\", &total) }\n",
        "\tif total > 3 { _ct_s.B(11, 0);\n\t} else if total > 2 { _ct_s.B(11, 1);\n\t} else { _ct_s.B(11, 2);\n",
        "\tcase 1, 2: _ct_s.B(15, 0);\n\t\tfallthrough\n\tdefault: _ct_s.B(15, 1);\n",
        "\tcase v, ok := <-c: _ct_s.B(20, 0); if _ct_s != nil { _ct.V(_ct_s, 21, \"v\", &v); _ct.V(_ct_s, 21, \"ok\", &ok) };\n",
        "\tcase c <- 1: _ct_s.B(20, 1);\n",
        // Nothing between a label and its statement.
        "L:\n\tfor { _ct_s.L(26, \"forever\");\n",
    ];
    for e in expected {
        assert!(out.contains(e), "{e:?} not in\n{out}");
    }
}

#[test]
fn recover_records_what_it_returns_and_a_deferred_recover_is_left_alone() {
    let src = "package m\n\nfunc F() {\n\tdefer func() { _ = recover() }()\n\tdefer recover()\n}\n";
    let (out, plan) = run(src);
    assert!(
        out.contains("_ = _ct.Rec(_ct_s, 4, recover()) }()"),
        "{out}"
    );
    assert!(out.contains("\tdefer recover()\n"), "{out}");
    assert_eq!(skipped(&plan), [SKIP_DEFERRED_RECOVER]);
}

#[test]
fn variables_of_initializers_and_headers_are_recorded_first_where_they_are_in_scope() {
    let src = "package m

func F(v interface{}) {
\tif x := 1; x > 0 {
\t} else if y := 2; y > x {
\t} else {
\t}
\tfor i := 0; i < 2; i++ {
\t}
\tswitch t := v.(type) {
\tcase int:
\t\t_ = t
\tdefault:
\t}
}
";
    let out = go(src);
    let expected = [
        "if x := 1; x > 0 { _ct_s.B(4, 0); if _ct_s != nil { _ct.V(_ct_s, 4, \"x\", &x) };\n",
        "} else if y := 2; y > x { _ct_s.B(4, 1); if _ct_s != nil { _ct.V(_ct_s, 4, \"x\", &x) }; if _ct_s != nil { _ct.V(_ct_s, 5, \"y\", &y) };\n",
        "} else { _ct_s.B(4, 2); if _ct_s != nil { _ct.V(_ct_s, 4, \"x\", &x) }; if _ct_s != nil { _ct.V(_ct_s, 5, \"y\", &y) };\n",
        "for i := 0; i < 2; i++ { _ct_s.L(8, \"for\"); if _ct_s != nil { _ct.V(_ct_s, 8, \"i\", &i) };\n",
        "case int: _ct_s.B(10, 0); if _ct_s != nil { _ct.V(_ct_s, 10, \"t\", &t) };\n",
        "default: _ct_s.B(10, 1); if _ct_s != nil { _ct.V(_ct_s, 10, \"t\", &t) };\n",
    ];
    for e in expected {
        assert!(out.contains(e), "{e:?} not in\n{out}");
    }
}

#[test]
fn without_spans_a_function_with_events_declares_a_handle() {
    let src = "package m\n\nfunc F() {\n\tx := 1\n\t_ = x\n}\n\nfunc G() {}\n";
    let c = ctx_with("a.go", &[PointKind::Variable]);
    let (out, _) = crate::lang::test_support::run(&Go, src, &c);
    assert_eq!(
        out,
        format!("package m{IMPORT}{SENTINEL}\n\nfunc F() {{ _ct_s := _ct.P(\"a.go\"); _ = _ct_s;\n\tx := 1; if _ct_s != nil {{ _ct.V(_ct_s, 4, \"x\", &x) }}\n\t_ = x\n}}\n\nfunc G() {{}}\n")
    );
}

#[test]
fn files_that_must_stay_as_they_are_are_skipped_with_a_reason() {
    let plan_of = |rel: &str, src: &str| Go.plan(src, &parse(src), &ctx(rel));
    let body = "package m\n\nfunc F() {}\n";
    assert_eq!(
        plan_of("a_test.go", body).file_skipped.as_deref(),
        Some(SKIP_TEST_FILE)
    );
    for (rel, reason) in [
        ("testdata/x/a.go", SKIP_TESTDATA),
        ("pkg/vendor/github.com/x/a.go", SKIP_VENDOR),
    ] {
        assert_eq!(plan_of(rel, body).file_skipped.as_deref(), Some(reason));
    }
    assert_eq!(plan_of("testdata.go", body).file_skipped, None);
    let cgo = "package m\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc F() {}\n";
    assert_eq!(plan_of("a.go", cgo).file_skipped.as_deref(), Some(SKIP_CGO));
    let generated = "// Code generated by stringer; DO NOT EDIT.\n\npackage m\n\nfunc F() {}\n";
    assert_eq!(
        plan_of("a.go", generated).file_skipped.as_deref(),
        Some(SKIP_GENERATED)
    );
    let mut c = ctx("a.go");
    c.runtime_ref.clear();
    assert_eq!(
        Go.plan(body, &parse(body), &c).file_skipped.as_deref(),
        Some(SKIP_NO_IMPORT_PATH)
    );
    let reserved = "package m\n\nfunc F() { _ct_x := 1; _ = _ct_x }\n";
    let plan = plan_of("a.go", reserved);
    assert!(plan.all_inserts().is_empty());
    assert!(skipped(&plan).iter().all(|r| r == SKIP_RESERVED));
}

#[test]
fn functions_without_a_body_named_blank_or_under_a_limiting_directive_get_no_span() {
    let src = "package m\n\nfunc asm(x int) int\n\nfunc _() {}\n\n//go:nosplit\nfunc fast() {}\n\n//go:noinline\nfunc slow() {}\n";
    let (out, plan) = run(src);
    assert_eq!(skipped(&plan), [SKIP_NO_BODY, SKIP_BLANK, SKIP_DIRECTIVE]);
    assert!(out.contains("//go:nosplit\nfunc fast() {}\n"), "{out}");
    assert!(out.contains("//go:noinline\nfunc slow() {"), "{out}");
}

#[test]
fn a_trailing_directive_and_crlf_lines_are_kept() {
    let src =
        "package m\r\n\r\nimport \"os\"\r\n\r\nfunc F() { os.Exit(1) }\r\n\r\n//go:noinline\r\n";
    let out = go(src);
    assert!(out.starts_with(&format!(
        "package m{IMPORT}\r\n\r\nimport \"os\"{SENTINEL}\r\n"
    )));
    assert!(out.ends_with("\r\n\r\n//go:noinline\r\n"));
}

#[test]
fn check_plan_refuses_forged_inserts() {
    let src = "package m\n\nfunc F(s string) { println(s) }\n";
    let plan = Go.plan(src, &parse(src), &ctx("a.go"));
    assert_eq!(Go.check_plan(src, &plan), Ok(()));
    let forge = |text: &str, at: usize| {
        let mut p = plan.clone();
        p.units[1].inserts.push(Insert::after(at, text));
        Go.check_plan(src, &p)
    };
    let brace = src.find('{').unwrap() + 1;
    assert!(forge(" os.RemoveAll(\"/\");", brace).is_err());
    assert!(forge(" _ct_s.B(3, 0); os.Exit(1);", brace).is_err());
    assert!(forge(" _ct_s.B(3, 0);", brace).is_ok());
    // A form inside a string literal is refused.
    let src2 = "package m\n\nfunc F() { println(\"a b\") }\n";
    let mut p = Go.plan(src2, &parse(src2), &ctx("a.go"));
    p.units[1].inserts.push(Insert::after(
        src2.find("a b").unwrap() + 1,
        " _ct_s.B(3, 0);",
    ));
    assert!(Go.check_plan(src2, &p).unwrap_err().contains("string"));
}

#[test]
fn the_import_path_comes_from_go_mod_or_from_gopath() {
    struct Disk {
        root: PathBuf,
        files: BTreeMap<&'static str, &'static str>,
        env: BTreeMap<&'static str, &'static str>,
    }
    impl Layout for Disk {
        fn is_file(&self, rel: &str) -> bool {
            self.files.contains_key(rel)
        }
        fn read(&self, rel: &str) -> Option<String> {
            self.files.get(rel).map(|s| s.to_string())
        }
        fn root_dir(&self) -> Option<PathBuf> {
            Some(self.root.clone())
        }
        fn env(&self, name: &str) -> Option<String> {
            self.env.get(name).map(|s| s.to_string())
        }
    }
    let mut disk = Disk {
        root: PathBuf::from("/w/gopath/src/github.com/a/b/sub"),
        files: BTreeMap::from([(
            "../go.mod",
            "// x\nmodule github.com/a/b/v2 // the module\n\ngo 1.19\n",
        )]),
        env: BTreeMap::from([("GOPATH", "/nowhere:/w/gopath")]),
    };
    let place = |d: &Disk| Go.runtime_place("x/a.go", d);
    assert_eq!(
        place(&disk),
        RuntimePlace {
            dir: "_ctinject".into(),
            reference: "github.com/a/b/v2/sub".into()
        }
    );
    // GOPATH mode ignores go.mod.
    disk.env.insert("GO111MODULE", "off");
    assert_eq!(place(&disk).reference, "github.com/a/b/sub");
    disk.env.remove("GO111MODULE");
    disk.files.clear();
    assert_eq!(place(&disk).reference, "github.com/a/b/sub");
    disk.root = PathBuf::from("/elsewhere/b");
    assert_eq!(place(&disk).reference, "");
    assert_eq!(module_path("module \"x.org/y\"\n"), Some("x.org/y"));
    assert_eq!(module_path("modules x\n"), None);
}
