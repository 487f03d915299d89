//! The properties every language's planner must hold over a large real
//! corpus, checked file by file: removing the inserted text gives the
//! original back byte for byte; instrumenting the output changes nothing;
//! two runs give the same bytes; `check_plan` accepts the planner's own
//! plan; no line moves; and on code that parses, validation never has to
//! take a function back.

use ctinject::engine::{
    error_ranges, instrument, lines_pushed_down, strip_inserts, PointKind, TAKEN_BACK,
};
use ctinject::lang::{Language, PlanContext};
use std::path::{Path, PathBuf};

/// What checking a corpus found, and the instrumented copies it wrote.
pub struct Checked {
    pub problems: Vec<String>,
    pub files: usize,
    pub instrumented: usize,
    /// Files with nothing to instrument: skipped whole, with a reason
    /// (tests, generated files, ...), or without any point (types only).
    pub nothing_to_do: usize,
    /// The originals that were instrumented, and their copies (same order).
    pub originals: Vec<PathBuf>,
    pub copies: Vec<PathBuf>,
}

impl Checked {
    /// Compiles (or parses) the originals and the copies with `refused`,
    /// which lists the files it refuses, a `path\treason` line each: a copy
    /// refused whose original under `root` was not is a problem, said as
    /// "`who` refuses the instrumented ...". `out` is where the copies are.
    pub fn no_new_refusals(
        &mut self,
        root: &Path,
        out: &Path,
        who: &str,
        refused: impl Fn(&[PathBuf]) -> Vec<String>,
    ) {
        let before: Vec<String> = refused(&self.originals)
            .into_iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        for line in refused(&self.copies) {
            let copy = line.split('\t').next().unwrap();
            let rel = Path::new(copy).strip_prefix(out).unwrap();
            if !before.contains(&root.join(rel).display().to_string()) {
                self.problems
                    .push(format!("{who} refuses the instrumented {line}"));
            }
        }
    }

    /// Fails unless more than 80% of the files of `corpus` that have
    /// something to instrument were instrumented.
    #[track_caller]
    pub fn assert_mostly_instrumented(&self, corpus: &str) {
        let files = self.files - self.nothing_to_do;
        assert!(
            self.instrumented * 10 > files * 8,
            "{corpus}: only {} of {files} files instrumented ({} of {} had nothing to instrument)",
            self.instrumented,
            self.nothing_to_do,
            self.files
        );
        eprintln!(
            "{corpus}: {} of {files} files instrumented ({} of {} had nothing to instrument)",
            self.instrumented, self.nothing_to_do, self.files
        );
    }

    /// Fails with the first problems, if there are any.
    #[track_caller]
    pub fn assert_no_problems(&self) {
        assert!(
            self.problems.is_empty(),
            "{} problems:\n{}",
            self.problems.len(),
            self.problems
                .iter()
                .take(30)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Every file under `dir` whose name ends with one of `extensions`
/// (not entering symbolic links), sorted.
pub fn files_with(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let ty = e.file_type().unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if ty.is_dir() && !ty.is_symlink() {
                walk(&p, extensions, out);
            } else if ty.is_file() && extensions.iter().any(|x| name.ends_with(x)) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, extensions, &mut out);
    out.sort();
    out
}

/// Plans and instruments each of `files` (under `root`) as `lang`, with
/// the runtime reference `runtime_ref` gives for its path relative to
/// `root`, writing the instrumented copies under `out`.
pub fn check(
    lang: &dyn Language,
    root: &Path,
    files: &[PathBuf],
    runtime_ref: impl Fn(&str) -> String,
    out: &Path,
) -> Checked {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).unwrap();
    let mut c = Checked {
        problems: Vec::new(),
        files: files.len(),
        instrumented: 0,
        nothing_to_do: 0,
        originals: Vec::new(),
        copies: Vec::new(),
    };
    for path in files {
        let Ok(body) = std::fs::read_to_string(path) else {
            continue;
        };
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let ctx = PlanContext {
            rel_path: rel.clone(),
            runtime_ref: runtime_ref(&rel),
            kinds: PointKind::ALL.into_iter().collect(),
        };
        let mut once = || {
            let tree = parser.parse(&body, None).unwrap();
            let plan = lang.plan(&body, &tree, &ctx);
            let errors = error_ranges(&tree);
            let done = instrument(&body, plan, &errors, &mut |t, _| {
                parser.parse(t, None).map(|t| error_ranges(&t))
            });
            (done, errors.is_empty())
        };
        let (a, clean) = once();
        if a.plan.file_skipped.is_some() || a.plan.units.iter().all(|u| u.points.is_empty()) {
            c.nothing_to_do += 1;
        }
        let (b, _) = once();
        if a.text != b.text {
            c.problems.push(format!("{rel}: not deterministic"));
        }
        let taken_back = |r: Option<&str>| r.is_some_and(|r| TAKEN_BACK.contains(&r));
        if clean {
            for u in &a.plan.units {
                if u.points.iter().any(|p| taken_back(p.skipped.as_deref())) {
                    c.problems.push(format!(
                        "{rel}: {}: the plan produced a syntax error",
                        u.name
                    ));
                }
            }
        }
        if let Err(e) = lang.check_plan(&body, &a.plan) {
            c.problems
                .push(format!("{rel}: check_plan refused the planner's plan: {e}"));
        }
        let Some(new) = a.text else { continue };
        c.instrumented += 1;
        let inserts = a.plan.all_inserts();
        if strip_inserts(&new, &inserts).as_deref() != Some(body.as_str()) {
            c.problems.push(format!(
                "{rel}: stripping the inserts does not give the original"
            ));
        }
        if lines_pushed_down(&body, &inserts) != 0 || new.lines().count() != body.lines().count() {
            c.problems.push(format!("{rel}: a line moved"));
        }
        let tree = parser.parse(&new, None).unwrap();
        if !lang
            .plan(&new, &tree, &ctx)
            .file_skipped
            .is_some_and(|r| r.contains("already instrumented"))
        {
            c.problems
                .push(format!("{rel}: output not recognised as instrumented"));
        }
        let dest = out.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, &new).unwrap();
        c.originals.push(path.clone());
        c.copies.push(dest);
    }
    c
}
