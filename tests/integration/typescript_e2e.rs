//! TypeScript end to end with the real compiler (`tsc`, pinned by
//! `ci/node-tools`): the example project is instrumented, `tsc` reports the
//! same diagnostics on the copy as on the original under several
//! tsconfigs, and the compiled copy runs as the original does and explains
//! itself.
//!
//! Diagnostics are compared as sets of (file, line, code, message): columns
//! move where text was inserted before them on a line, and a mismatch in a
//! returned ternary is reported once for the wrapped value where the
//! original reports it per arm.

use crate::util::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// A project setting to check under: compiler options over the base ones,
/// and the package's `"type"`.
struct Variant {
    name: &'static str,
    options: Value,
    package_type: Option<&'static str>,
    /// Whether to emit and run the program (a no-emit setting only checks).
    run: bool,
}

fn variants() -> Vec<Variant> {
    let strictest = json!({
        "module": "nodenext",
        "strict": true,
        "exactOptionalPropertyTypes": true,
        "noUncheckedIndexedAccess": true,
        "noImplicitOverride": true,
        "noImplicitReturns": true,
        "noUnusedLocals": true,
        "noUnusedParameters": true,
        "allowUnreachableCode": false,
        "allowUnusedLabels": false,
        "noFallthroughCasesInSwitch": true,
        "noPropertyAccessFromIndexSignature": true,
        "useUnknownInCatchVariables": true,
        "isolatedModules": true
    });
    let mut esm = strictest.clone();
    esm["verbatimModuleSyntax"] = json!(true);
    vec![
        Variant {
            name: "strictest, CommonJS by package",
            options: strictest,
            package_type: None,
            run: true,
        },
        Variant {
            name: "strictest, ES modules with verbatimModuleSyntax",
            options: esm,
            package_type: Some("module"),
            run: true,
        },
        Variant {
            name: "commonjs with isolatedDeclarations",
            options: json!({
                "module": "commonjs",
                "moduleResolution": "node10",
                "strict": true,
                "declaration": true,
                "isolatedDeclarations": true
            }),
            package_type: None,
            run: true,
        },
        Variant {
            name: "loose, es2017",
            options: json!({
                "module": "commonjs",
                "target": "es2017",
                "strict": false,
                "esModuleInterop": true
            }),
            package_type: None,
            run: true,
        },
        Variant {
            name: "bundler, no emit",
            options: json!({
                "module": "preserve",
                "moduleResolution": "bundler",
                "strict": true,
                "noEmit": true
            }),
            package_type: None,
            run: false,
        },
    ]
}

/// Writes `variant`'s tsconfig.json and package.json into `dir`.
fn configure(dir: &Path, name: &str, variant: &Variant) {
    let mut options = json!({
        "target": "es2022",
        "outDir": "dist",
        "rootDir": "src",
        "lib": ["es2022"],
        "types": [],
        "jsx": "react",
        "jsxFactory": "h"
    });
    for (k, v) in variant.options.as_object().unwrap() {
        options[k] = v.clone();
    }
    let config = json!({ "compilerOptions": options, "include": ["src"] });
    std::fs::write(dir.join("tsconfig.json"), config.to_string()).unwrap();
    let mut package = json!({ "name": name, "private": true });
    if let Some(t) = variant.package_type {
        package["type"] = json!(t);
    }
    std::fs::write(dir.join("package.json"), package.to_string()).unwrap();
}

/// `tsc ARGS` in `dir`: its diagnostics as (file, line, code and message),
/// a message's continuation lines joined to it.
pub fn diagnostics(tsc: &Path, dir: &Path, args: &[&str]) -> BTreeSet<String> {
    let o = run(clean_command(tsc)
        .args(args)
        .args(["--pretty", "false"])
        .current_dir(dir));
    let re = regex::Regex::new(r"^(.+)\((\d+),\d+\): (error|warning) (TS\d+: .*)$").unwrap();
    let mut out: Vec<String> = Vec::new();
    for line in stdout(&o).lines() {
        match re.captures(line) {
            Some(c) => out.push(format!("{}:{}: {}", &c[1], &c[2], &c[4])),
            None => match out.last_mut() {
                Some(last) => last.push_str(line),
                None => panic!("tsc said: {}", describe(&o)),
            },
        }
    }
    out.into_iter().collect()
}

fn node(dir: &Path, trace: Option<&Path>) -> std::process::Output {
    let mut cmd = clean_command("node");
    cmd.arg("dist/main.js").current_dir(dir);
    if let Some(t) = trace {
        cmd.env("CTINJECT_TRACE_FILE", t);
    }
    run(&mut cmd)
}

/// `tsc` on the original says nothing (the fixture compiles) and says the
/// same on the instrumented copy, under the setting named `setting`.
#[track_caller]
fn type_checks_the_same(tsc: &Path, orig: &Path, instr: &Path, setting: &str) {
    let before = diagnostics(tsc, orig, &["-p", "."]);
    assert_eq!(before, BTreeSet::new(), "{setting}: the fixture itself");
    let after = diagnostics(tsc, instr, &["-p", "."]);
    assert_eq!(after, before, "{setting}: tsc on the copy");
}

/// Runs the compiled original and copy (the copy with telemetry to a file
/// in `t`, then without): the same runs. Gives the original's run and the
/// copy's events.
#[track_caller]
fn runs_the_same(t: &Path, orig: &Path, instr: &Path) -> (std::process::Output, Vec<Value>) {
    let original = node(orig, None);
    assert!(original.status.success(), "{}", describe(&original));
    let trace = t.join("trace.jsonl");
    assert_same_run(&node(instr, Some(&trace)), &original);
    assert_same_run(&node(instr, None), &original);
    (original, read_events(&trace))
}

/// Instruments a copy of the fixture project `fixture` set up as `variant`:
/// the original's folder and the instrumented copy's.
fn instrument(
    t: &Path,
    fixture: &str,
    variant: &Variant,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let src = t.join("orig");
    copy_dir(&repo_dir().join("fixtures/typescript").join(fixture), &src);
    configure(&src, fixture, variant);
    ok(&ctinject(t, &["orig", "--out", "instr", "--no-cache"]));
    (src, t.join("instr"))
}

#[test]
fn the_example_type_checks_runs_and_explains_itself_under_every_setting() {
    let Some(tsc) = tsc() else { return };
    for variant in variants() {
        let t = tempfile::tempdir().unwrap();
        let (orig, instr) = instrument(t.path(), "shapes", &variant);
        let main = std::fs::read_to_string(instr.join("src/main.ts")).unwrap();
        let work = std::fs::read_to_string(instr.join("src/geo/work.ts")).unwrap();
        // main.ts spells its imports with `.js`; work.ts has none, and
        // gets one only where an ES module needs it.
        assert!(
            main.starts_with("import * as __ct from \"./_ctinject.js\";"),
            "{main}"
        );
        let ext = if variant.package_type == Some("module") {
            ".js"
        } else {
            ""
        };
        let work_binding = format!("import * as __ct from \"../_ctinject{ext}\";");
        assert!(work.contains(&work_binding), "{}: {work}", variant.name);
        assert!(instr.join("src/_ctinject.ts").is_file());

        type_checks_the_same(&tsc, &orig, &instr, variant.name);
        if variant.run {
            let (_, ev) = runs_the_same(t.path(), &orig, &instr);
            check_events(&ev, variant.name);
        }
    }
}

/// What the example's run must have recorded.
fn check_events(ev: &[Value], variant: &str) {
    let span = |name: &str| span_named(ev, name);
    let main = span("main");
    assert_eq!(main["file"], "src/main.ts", "{variant}");
    assert_eq!(main["kind"], "async");
    // Called after main's awaits, still under main.
    let total = span("total");
    assert_eq!(total["parent_id"], main["span_id"], "{variant}");
    assert_eq!(total["return"], "6");
    let area = span("Square.area");
    assert_eq!(area["kind"], "method");
    let ctor = span("Square.constructor");
    assert_eq!(ctor["args"]["side"], "4", "{variant}: {ctor}");
    let fail = span("fail");
    assert_eq!(fail["status"], "error");
    let label = ev
        .iter()
        .find(|s| s["type"] == "span" && s["name"] == "Figure.label" && s["kind"] == "setter");
    assert!(label.is_some(), "{variant}: no setter span");
    let count = |kind: &str| ev.iter().filter(|e| e["type"] == kind).count();
    for kind in ["var", "branch", "loop", "exception"] {
        assert!(count(kind) > 0, "{variant}: no {kind} event");
    }
    // A method with a standard decorator keeps it, and gets its span.
    assert_eq!(span("Greeter.greet")["args"]["name"], "'a'");
    let tsx = span("List");
    assert_eq!(tsx["file"], "src/view.tsx");
}

#[test]
fn legacy_decorators_keep_working() {
    let Some(tsc) = tsc() else { return };
    let mut variant = variants().remove(0);
    variant.options["experimentalDecorators"] = json!(true);
    let t = tempfile::tempdir().unwrap();
    let (orig, instr) = instrument(t.path(), "legacy", &variant);
    type_checks_the_same(&tsc, &orig, &instr, "experimentalDecorators");
    let (original, ev) = runs_the_same(t.path(), &orig, &instr);
    assert!(
        stdout(&original).contains("call scale(2)"),
        "{}",
        stdout(&original)
    );
    let scale = span_named(&ev, "Service.scale");
    assert_eq!(scale["args"]["value"], "2");
    assert_eq!(scale["return"], "6");
}

#[test]
fn commonjs_with_verbatim_module_syntax_gets_a_commonjs_runtime() {
    // Files written for CommonJS bind `import __ct = require(...)`, and a
    // runtime with `export =`: verbatimModuleSyntax refuses ES module syntax
    // in a CommonJS module.
    let Some(tsc) = tsc() else { return };
    let variant = Variant {
        name: "commonjs, verbatimModuleSyntax",
        options: json!({ "module": "commonjs", "strict": true, "verbatimModuleSyntax": true }),
        package_type: None,
        run: true,
    };
    let t = tempfile::tempdir().unwrap();
    let (orig, instr) = instrument(t.path(), "commonjs", &variant);
    let main = std::fs::read_to_string(instr.join("src/main.ts")).unwrap();
    assert!(
        main.starts_with("import __ct = require(\"./_ctinject\");"),
        "{main}"
    );
    let runtime = std::fs::read_to_string(instr.join("src/_ctinject.ts")).unwrap();
    assert!(runtime.contains("\nexport = exported;\n") && !runtime.contains("\nexport const "));
    type_checks_the_same(&tsc, &orig, &instr, variant.name);
    let (_, ev) = runs_the_same(t.path(), &orig, &instr);
    let add = span_named(&ev, "Counter.add");
    assert_eq!(add["args"]["word"], "'a'");
}

#[test]
fn a_folder_with_both_kinds_of_file_gets_the_es_module_runtime() {
    // Without verbatimModuleSyntax a CommonJS project may mix the two
    // styles; the ES module syntax runtime serves both (`export =` would
    // refuse the namespace import), and a folder of one style gets its own.
    let cjs = "import fs = require(\"fs\");\nexport function f(): number {\n  return fs.constants.F_OK;\n}\n";
    let esm = "import { f } from \"./a\";\nexport function g(): number {\n  return f();\n}\n";
    let t = tree(&[
        ("p/mixed/a.ts", cjs),
        ("p/mixed/b.ts", esm),
        ("p/plain/a.ts", cjs),
    ]);
    ok(&ctinject(
        t.path(),
        &["p", "--out", "out", "--no-cache", "-q"],
    ));
    let runtime = |dir: &str| {
        std::fs::read_to_string(t.path().join("out").join(dir).join("_ctinject.ts")).unwrap()
    };
    let is_commonjs = |text: &str| text.contains("\nexport = exported;\n");
    assert!(
        !is_commonjs(&runtime("mixed")),
        "mixed: the ES module syntax runtime"
    );
    assert!(
        is_commonjs(&runtime("plain")),
        "only CommonJS files: export ="
    );
}

#[test]
fn type_errors_stay_the_same_errors_on_the_same_lines() {
    let Some(tsc) = tsc() else { return };
    let variant = &variants()[0];
    let t = tempfile::tempdir().unwrap();
    let (orig, instr) = instrument(t.path(), "broken", variant);
    let before = diagnostics(&tsc, &orig, &["-p", "."]);
    assert!(before.len() >= 8, "the fixture's errors: {before:?}");
    assert_eq!(diagnostics(&tsc, &instr, &["-p", "."]), before);
}
