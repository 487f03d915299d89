//! Properties over a large real corpus, the Python standard library of the
//! python3 on this machine (about 1,800 files): for every file, removing the
//! inserted text gives the original back byte for byte; instrumenting the
//! output changes nothing; two runs give the same bytes; every file that
//! Python compiles still compiles after instrumentation; no line moves
//! except where the report says so; and no plan for code that parses needs
//! validation to take a function back.

use crate::util::*;
use ctinject::engine::{
    candidate_segments, edit_tree, error_ranges, instrument, lines_pushed_down, segment_bounds,
    split_bom, strip_inserts, PointKind, TAKEN_BACK,
};
use ctinject::lang::{python::Python, Language, PlanContext};
use std::path::PathBuf;
use std::process::Command;

fn stdlib_dir() -> Option<PathBuf> {
    require_tool("python3")?;
    let o = run(Command::new("python3").args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
    ]));
    assert!(o.status.success(), "python3 sysconfig: {}", describe(&o));
    let dir = PathBuf::from(stdout(&o).trim());
    assert!(
        dir.is_dir(),
        "python3's stdlib {} is not a folder",
        dir.display()
    );
    Some(dir)
}

fn python_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let ty = e.file_type().unwrap();
        if ty.is_dir()
            && !ty.is_symlink()
            && e.file_name() != "site-packages"
            && e.file_name() != "__pycache__"
        {
            python_files(&p, out);
        } else if ty.is_file() && p.extension().is_some_and(|x| x == "py") {
            out.push(p);
        }
    }
}

#[test]
fn stdlib_round_trips_is_idempotent_deterministic_and_still_compiles() {
    let Some(dir) = stdlib_dir() else { return };
    let mut files = Vec::new();
    python_files(&dir, &mut files);
    files.sort();
    assert!(
        files.len() > 500,
        "only {} files under {}",
        files.len(),
        dir.display()
    );
    let ctx = PlanContext {
        rel_path: "m.py".into(),
        runtime_ref: "._ctinject".into(),
        kinds: PointKind::ALL.into_iter().collect(),
    };
    let out_dir = tempfile::tempdir().unwrap();
    let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(4)).collect();
    let results: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let ctx = &ctx;
                let out_dir = out_dir.path();
                let dir = &dir;
                s.spawn(move || {
                    let mut parser = tree_sitter::Parser::new();
                    parser.set_language(&Python.grammar()).unwrap();
                    let (mut instrumented, mut moved, mut problems) = (0, 0, Vec::new());
                    for path in chunk.iter() {
                        let Ok(text) = std::fs::read_to_string(path) else {
                            continue;
                        };
                        let (bom, body) = split_bom(&text);
                        let once = |parser: &mut tree_sitter::Parser| {
                            let tree = parser.parse(body, None).unwrap();
                            let plan = Python.plan(body, &tree, ctx);
                            let errors = error_ranges(&tree);
                            let done = instrument(body, plan, &errors, &mut |t, ins| {
                                let mut old = tree.clone();
                                edit_tree(&mut old, body, ins);
                                parser.parse(t, Some(&old)).map(|t| error_ranges(&t))
                            });
                            (done, errors.is_empty())
                        };
                        let (a, clean) = once(&mut parser);
                        let (b, _) = once(&mut parser);
                        let rel = path.strip_prefix(dir).unwrap().display().to_string();
                        // Validation is a safety net: on code that parses, the
                        // planner itself must never propose a syntax error.
                        let taken_back =
                            |r: Option<&str>| r.is_some_and(|r| TAKEN_BACK.contains(&r));
                        if clean {
                            if taken_back(a.plan.file_skipped.as_deref()) {
                                problems.push(format!(
                                    "{rel}: the runtime import produced a syntax error"
                                ));
                            }
                            for u in &a.plan.units {
                                if u.points.iter().any(|p| taken_back(p.skipped.as_deref())) {
                                    problems.push(format!(
                                        "{rel}: {}: the plan produced a syntax error",
                                        u.name
                                    ));
                                }
                            }
                        }
                        if a.text != b.text {
                            problems.push(format!("{rel}: not deterministic"));
                        }
                        if !Python.cache_safe(body) {
                            // Not cached, so never checked on load.
                        } else if let Err(e) = Python.check_plan(body, &a.plan) {
                            problems
                                .push(format!("{rel}: check_plan refused the planner's plan: {e}"));
                        }
                        let Some(new) = a.text else { continue };
                        let inserts = a.plan.all_inserts();
                        // A large file is validated in segments: on every
                        // file that parses, its segments must parse as the
                        // whole instrumented text does (cleanly).
                        if clean {
                            let tree = parser.parse(body, None).unwrap();
                            let segments = candidate_segments(
                                &segment_bounds(&tree, body),
                                &inserts,
                                new.len(),
                            );
                            for r in segments {
                                let seg = parser.parse(&new[r.clone()], None).unwrap();
                                if seg.root_node().has_error() {
                                    problems.push(format!(
                                        "{rel}: segment {r:?} has a syntax error the whole has not:\n{}",
                                        &new[r.clone()]
                                    ));
                                    break;
                                }
                            }
                        }
                        instrumented += 1;
                        moved += a.plan.lines_moved as usize;
                        if strip_inserts(&new, &inserts).as_deref() != Some(body) {
                            problems.push(format!(
                                "{rel}: stripping the inserts does not give the original"
                            ));
                        }
                        if lines_pushed_down(body, &inserts) != a.plan.lines_moved as usize {
                            problems.push(format!("{rel}: lines moved but not reported"));
                        }
                        let tree = parser.parse(&new, None).unwrap();
                        if !Python
                            .plan(&new, &tree, ctx)
                            .file_skipped
                            .is_some_and(|r| r.contains("already instrumented"))
                        {
                            problems.push(format!("{rel}: output not recognised as instrumented"));
                        }
                        let dest = out_dir.join(&rel);
                        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                        std::fs::write(dest, format!("{bom}{new}")).unwrap();
                    }
                    (instrumented, moved, problems)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let instrumented: usize = results.iter().map(|r| r.0).sum();
    let moved: usize = results.iter().map(|r| r.1).sum();
    let problems: Vec<&String> = results.iter().flat_map(|r| &r.2).collect();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .take(30)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        instrumented * 10 > files.len() * 9,
        "only {instrumented} of {} files instrumented",
        files.len()
    );
    eprintln!(
        "stdlib: {instrumented} of {} files instrumented, {moved} lines moved",
        files.len()
    );

    // Python itself is the judge of validity: every instrumented file that
    // compiled before must compile now.
    let script = r#"
import os, sys, warnings
warnings.simplefilter("ignore")
stdlib, out = sys.argv[1], sys.argv[2]
bad = []
for base, dirs, files in os.walk(out):
    for f in files:
        new_path = os.path.join(base, f)
        rel = os.path.relpath(new_path, out)
        try:
            compile(open(os.path.join(stdlib, rel), "rb").read(), rel, "exec")
        except (SyntaxError, ValueError):
            continue
        try:
            compile(open(new_path, "rb").read(), rel, "exec")
        except (SyntaxError, ValueError) as e:
            bad.append(f"{rel}: {e}")
print(len(bad))
print("\n".join(bad[:30]))
"#;
    let o = run(Command::new("python3")
        .args(["-c", script])
        .arg(&dir)
        .arg(out_dir.path()));
    let text = ok(&o);
    assert_eq!(
        text.lines().next(),
        Some("0"),
        "instrumented files that no longer compile:\n{text}"
    );
}
