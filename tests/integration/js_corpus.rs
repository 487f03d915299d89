//! Properties over a large real JavaScript corpus: npm's own code and its
//! bundled dependencies (about 1,100 files, CommonJS and ES modules), found
//! beside the node on this machine. For every file: removing the inserted
//! text gives the original back byte for byte; instrumenting the output
//! changes nothing; two runs give the same bytes; `check_plan` accepts the
//! planner's own plan; no line moves; no plan for code that parses needs
//! validation to take a function back; and V8 compiles every instrumented
//! file that it compiled before.

use crate::util::*;
use ctinject::engine::{
    error_ranges, instrument, lines_pushed_down, strip_inserts, PointKind, TAKEN_BACK,
};
use ctinject::lang::{javascript::JavaScript, Language, PlanContext};
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

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let ty = e.file_type().unwrap();
        if ty.is_dir() && !ty.is_symlink() {
            js_files(&p, out);
        } else if ty.is_file()
            && p.extension()
                .is_some_and(|x| x == "js" || x == "cjs" || x == "mjs")
        {
            out.push(p);
        }
    }
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
    let mut files = Vec::new();
    js_files(&dir, &mut files);
    files.sort();
    assert!(
        files.len() > 300,
        "only {} files under {}",
        files.len(),
        dir.display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&JavaScript.grammar()).unwrap();
    let mut problems = Vec::new();
    let (mut instrumented, mut originals, mut copies) = (0, Vec::new(), Vec::new());
    for path in &files {
        let Ok(body) = std::fs::read_to_string(path) else {
            continue;
        };
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        // Each file as a module of its own kind, the runtime beside it.
        let system = if rel.ends_with(".mjs") {
            "esm"
        } else if rel.ends_with(".cjs") {
            "cjs"
        } else {
            "auto"
        };
        let ctx = PlanContext {
            rel_path: rel.clone(),
            runtime_ref: format!("{system}|./_ctinject.cjs"),
            kinds: PointKind::ALL.into_iter().collect(),
        };
        let mut once = || {
            let tree = parser.parse(&body, None).unwrap();
            let plan = JavaScript.plan(&body, &tree, &ctx);
            let errors = error_ranges(&tree);
            let done = instrument(&body, plan, &errors, &mut |t, _| {
                parser.parse(t, None).map(|t| error_ranges(&t))
            });
            (done, errors.is_empty())
        };
        let (a, clean) = once();
        let (b, _) = once();
        if a.text != b.text {
            problems.push(format!("{rel}: not deterministic"));
        }
        let taken_back = |r: Option<&str>| r.is_some_and(|r| TAKEN_BACK.contains(&r));
        if clean {
            for u in &a.plan.units {
                if u.points.iter().any(|p| taken_back(p.skipped.as_deref())) {
                    problems.push(format!(
                        "{rel}: {}: the plan produced a syntax error",
                        u.name
                    ));
                }
            }
        }
        if let Err(e) = JavaScript.check_plan(&body, &a.plan) {
            problems.push(format!("{rel}: check_plan refused the planner's plan: {e}"));
        }
        let Some(new) = a.text else { continue };
        instrumented += 1;
        let inserts = a.plan.all_inserts();
        if strip_inserts(&new, &inserts).as_deref() != Some(body.as_str()) {
            problems.push(format!(
                "{rel}: stripping the inserts does not give the original"
            ));
        }
        if lines_pushed_down(&body, &inserts) != 0 || new.lines().count() != body.lines().count() {
            problems.push(format!("{rel}: a line moved"));
        }
        let tree = parser.parse(&new, None).unwrap();
        if !JavaScript
            .plan(&new, &tree, &ctx)
            .file_skipped
            .is_some_and(|r| r.contains("already instrumented"))
        {
            problems.push(format!("{rel}: output not recognised as instrumented"));
        }
        let dest = out_dir.path().join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, &new).unwrap();
        originals.push(path.clone());
        copies.push(dest);
    }
    // What V8 compiled before, it compiles after.
    let scratch = tempfile::tempdir().unwrap();
    let before: Vec<String> = refused_by_v8(&originals, scratch.path())
        .into_iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    for line in refused_by_v8(&copies, scratch.path()) {
        let copy = line.split('\t').next().unwrap();
        let rel = Path::new(copy).strip_prefix(out_dir.path()).unwrap();
        let original = dir.join(rel).display().to_string();
        if !before.contains(&original) {
            problems.push(format!("V8 refuses the instrumented {line}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        instrumented * 10 > files.len() * 8,
        "only {instrumented} of {} files instrumented",
        files.len()
    );
    eprintln!("npm: {instrumented} of {} files instrumented", files.len());
}
