//! Properties over real TypeScript: the sources that rxjs (classes and
//! operators, 250 files), zod (type-level heavy, 330 files) and effect
//! (generators, 620 files, 25 MB) ship in their npm packages, installed by
//! `ci/node-tools corpus`: the properties
//! of [`crate::properties`]; TypeScript's own parser finds no syntax error
//! in an instrumented file whose original it parsed cleanly; and rxjs's own
//! tsconfig type-checks the instrumented sources as it does the originals.

use crate::properties;
use crate::typescript_e2e::diagnostics;
use crate::util::*;
use ctinject::lang::typescript::{Tsx, TypeScript};
use ctinject::lang::Language;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints each file of `list` (one path per line) in which TypeScript's
/// parser finds a syntax error, with the first one.
const PARSE_ALL: &str = r#"
const fs = require('fs'), ts = require(process.argv[2]);
for (const f of fs.readFileSync(process.argv[1], 'utf8').split('\n').filter(Boolean)) {
  const kind = f.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, false, kind);
  if (sf.parseDiagnostics.length) {
    console.log(f + '\t' + ts.flattenDiagnosticMessageText(sf.parseDiagnostics[0].messageText, ' '));
  }
}
"#;

fn refused_by_typescript(tsc: &Path, files: &[PathBuf], scratch: &Path) -> Vec<String> {
    let list = scratch.join(format!("list-{}.txt", files.len()));
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    // tsc is node_modules/.bin/tsc: the package is node_modules/typescript.
    let package = tsc.parent().unwrap().parent().unwrap().join("typescript");
    let o = run(Command::new("node")
        .args(["-e", PARSE_ALL])
        .arg(&list)
        .arg(&package));
    assert!(o.status.success(), "node: {}", describe(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn rxjs_zod_and_effect_round_trip_are_idempotent_deterministic_and_still_parse() {
    let (Some(corpus), Some(tsc)) = (node_tools("corpus"), tsc()) else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    for package in ["rxjs", "zod", "effect"] {
        let dir = corpus.join("node_modules").join(package).join("src");
        let files: Vec<PathBuf> = properties::files_with(&dir, &[".ts", ".tsx", ".mts", ".cts"]);
        assert!(
            files.len() > 200,
            "only {} files under {}",
            files.len(),
            dir.display()
        );
        let runtime_ref = |rel: &str| {
            let lang: &dyn Language = if rel.ends_with(".tsx") {
                &Tsx
            } else {
                &TypeScript
            };
            lang.runtime_place(rel, &std::collections::BTreeSet::new())
                .reference
        };
        let out = out_dir.path().join(package);
        let mut c = properties::check(&TypeScript, &dir, &files, runtime_ref, &out);
        c.no_new_refusals(&dir, &out, "TypeScript's parser", |files| {
            refused_by_typescript(&tsc, files, scratch.path())
        });
        c.assert_no_problems();
        c.assert_mostly_instrumented(package);
    }
}

#[test]
fn rxjs_type_checks_the_same_instrumented() {
    let (Some(corpus), Some(tsc)) = (node_tools("corpus"), tsc()) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let orig = t.path().join("orig");
    copy_dir(&corpus.join("node_modules/rxjs"), &orig);
    ok(&ctinject(
        t.path(),
        &["orig/src", "--out", "instr/src", "--no-cache", "-q"],
    ));
    let instr = t.path().join("instr");
    // The project's settings beside the copy: its tsconfig.json extends
    // the root one, whose paths map `rxjs` to `./src`.
    std::fs::copy(orig.join("tsconfig.json"), instr.join("tsconfig.json")).unwrap();
    let project = ["-p", "src/tsconfig.cjs.json", "--noEmit"];
    let before = diagnostics(&tsc, &orig, &project);
    assert_eq!(before.len(), 0, "rxjs itself: {before:?}");
    assert_eq!(diagnostics(&tsc, &instr, &project), before);
}
