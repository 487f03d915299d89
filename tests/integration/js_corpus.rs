//! Properties over a large real JavaScript corpus: npm's own code and its
//! bundled dependencies (about 1,100 files, CommonJS and ES modules), found
//! beside the node on this machine: the properties of
//! [`crate::properties`], and V8 compiles every instrumented file that it
//! compiled before.

use crate::properties;
use crate::util::*;
use ctinject::lang::javascript::JavaScript;
use std::path::{Path, PathBuf};
use std::process::Command;

fn npm_dir() -> Option<PathBuf> {
    require_tool("node")?;
    require_tool("npm")?;
    let o = run(Command::new("npm").args(["root", "-g"]));
    assert!(o.status.success(), "npm root -g: {}", describe(&o));
    let dir = PathBuf::from(stdout(&o).trim()).join("npm");
    assert!(
        dir.is_dir(),
        "npm's own folder {} is missing",
        dir.display()
    );
    Some(dir)
}

/// Compiles each file of `list` (one path per line) as Node would load it,
/// without running it, and prints the ones V8 refuses.
const COMPILE_ALL: &str = r#"
const fs = require('fs'), vm = require('vm');
for (const f of fs.readFileSync(process.argv[1], 'utf8').split('\n').filter(Boolean)) {
  const src = fs.readFileSync(f, 'utf8');
  const esm = f.endsWith('.mjs') || /^\s*(import|export)\b/m.test(src) && !f.endsWith('.cjs');
  try {
    if (esm) new vm.SourceTextModule(src, { identifier: f });
    else vm.compileFunction(src.replace(/^#!.*/, ''), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: f });
  } catch (e) {
    console.log(f + '\t' + String(e && e.message).split('\n')[0]);
  }
}
"#;

fn refused_by_v8(files: &[PathBuf], scratch: &Path) -> Vec<String> {
    let list = scratch.join(format!("list-{}.txt", files.len()));
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    let o = run(Command::new("node")
        .args([
            "--experimental-vm-modules",
            "--no-warnings",
            "-e",
            COMPILE_ALL,
        ])
        .arg(&list));
    assert!(o.status.success(), "node: {}", describe(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn npm_round_trips_is_idempotent_deterministic_and_still_compiles() {
    let Some(dir) = npm_dir() else { return };
    let files = properties::files_with(&dir, &[".js", ".cjs", ".mjs"]);
    assert!(
        files.len() > 300,
        "only {} files under {}",
        files.len(),
        dir.display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    // Each file as a module of its own kind, the runtime beside it.
    let runtime_ref = |rel: &str| {
        let system = if rel.ends_with(".mjs") {
            "esm"
        } else if rel.ends_with(".cjs") {
            "cjs"
        } else {
            "auto"
        };
        format!("{system}|./_ctinject.cjs")
    };
    let mut c = properties::check(&JavaScript, &dir, &files, runtime_ref, out_dir.path());
    // What V8 compiled before, it compiles after.
    let scratch = tempfile::tempdir().unwrap();
    c.no_new_refusals(&dir, out_dir.path(), "V8", |files| {
        refused_by_v8(files, scratch.path())
    });
    c.assert_no_problems();
    c.assert_mostly_instrumented("npm");
}
