//! Which files to instrument, and which files make up a complete copy.
//!
//! Instrumentation candidates honour `.gitignore` (through `ignore`) and the
//! include/exclude globs (through `globset`, relative to the root). A copy for
//! `--out` takes every file under the root instead, ignored ones too (a
//! runnable copy needs built artefacts), except `.git` and ctinject's own
//! folders.

use crate::lang::{self, Language};
pub use crate::select::{folder_of, Selection};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Folder names never copied nor instrumented.
pub const SKIPPED_DIRS: &[&str] = &[".git", ".ctinject", "__pycache__", NODE_MODULES];

/// Installed JavaScript packages: never instrumented; a copy links to them.
pub const NODE_MODULES: &str = "node_modules";

/// A file to instrument.
#[derive(Clone)]
pub struct Candidate {
    pub abs: PathBuf,
    /// Relative to the root, with `/`.
    pub rel: String,
    pub lang: &'static dyn Language,
    /// Set when the file is a symbolic link: it is reported, never planned
    /// through the link.
    pub link: Option<Link>,
}

/// Where a symbolic link to a source file leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// To a file below one of the PATHs (relative to the root): that file is
    /// instrumented as itself, and a copy's relative link reaches its
    /// instrumented copy.
    InTree(String),
    /// Anywhere else, or nowhere (a broken link): not instrumented.
    Outside(String),
}

/// What the symbolic link at `abs` leads to, given the PATHs (absolute).
pub fn link_of(root: &Path, paths: &[PathBuf], abs: &Path) -> Link {
    match std::fs::canonicalize(abs) {
        Ok(target) if paths.iter().any(|p| target.starts_with(p)) && target.is_file() => {
            Link::InTree(relative(root, &target).unwrap_or_else(|| target.display().to_string()))
        }
        Ok(target) => Link::Outside(target.display().to_string()),
        Err(_) => Link::Outside(match std::fs::read_link(abs) {
            Ok(t) => format!("{} (which does not exist)", t.display()),
            Err(_) => "a path that cannot be read".to_string(),
        }),
    }
}

/// `path` relative to `root`, with `/` (None when not below it).
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// The instrumentation candidates among `paths` (files or folders below `root`).
///
/// Walk errors (unreadable folders, broken links) are returned as
/// `(path, message)` so that the report can name them.
pub fn candidates(
    root: &Path,
    paths: &[PathBuf],
    selection: &Selection,
    runtime_names: &[&str],
) -> (Vec<Candidate>, Vec<(String, String)>) {
    let canonical_paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let (files, problems) = walk(root, paths, selection, runtime_names, |rel| {
        lang::for_path(rel).is_some()
    });
    let found = files
        .into_iter()
        .map(|(abs, rel, is_link)| Candidate {
            lang: lang::for_path(&rel).expect("kept by the walk"),
            link: is_link.then(|| link_of(root, &canonical_paths, &abs)),
            abs,
            rel,
        })
        .collect();
    (found, problems)
}

/// The files among `paths` in a language that only the language-model
/// fallback can instrument (`.java`, ...): absolute and relative paths.
/// Symbolic links are left out.
pub fn fallback_candidates(
    root: &Path,
    paths: &[PathBuf],
    selection: &Selection,
) -> Vec<(
    PathBuf,
    String,
    &'static crate::llm::forms::FallbackLanguage,
)> {
    let (files, _) = walk(root, paths, selection, &[], |rel| {
        crate::llm::forms::for_path(rel).is_some()
    });
    files
        .into_iter()
        .filter(|(_, _, is_link)| !is_link)
        .map(|(abs, rel, _)| {
            let lang = crate::llm::forms::for_path(&rel).expect("kept by the walk");
            (abs, rel, lang)
        })
        .collect()
}

/// A walked file: absolute path, path relative to the root, is a symlink.
type Walked = (PathBuf, String, bool);

/// Walks `paths` (gitignore rules, hidden and [`SKIPPED_DIRS`] folders left
/// out) for the files and symlinks that `selection` selects and `keep`
/// accepts, sorted by relative path, once each.
fn walk(
    root: &Path,
    paths: &[PathBuf],
    selection: &Selection,
    runtime_names: &[&str],
    keep: impl Fn(&str) -> bool,
) -> (Vec<Walked>, Vec<(String, String)>) {
    let mut found: Vec<Walked> = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let mut walk = ignore::WalkBuilder::new(path);
        walk.follow_links(false).sort_by_file_name(|a, b| a.cmp(b));
        walk.filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        });
        for entry in walk.build() {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let p = match &err {
                        ignore::Error::WithPath { path, .. } => path.display().to_string(),
                        _ => path.display().to_string(),
                    };
                    problems.push((p, err.to_string()));
                    continue;
                }
            };
            let is_link = entry.path_is_symlink();
            if !is_link && !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let abs = entry.into_path();
            let Some(rel) = relative(root, &abs) else {
                continue;
            };
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            if runtime_names.contains(&name) || !selection.selects(&rel) || !keep(&rel) {
                continue;
            }
            found.push((abs, rel, is_link));
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found.dedup_by(|a, b| a.1 == b.1);
    (found, problems)
}

/// The language of `rel` (relative to the root) when the walk of
/// [`candidates`] would have found it as a candidate: not hidden, not in a
/// hidden or skipped folder, not a runtime file, selected by the globs, of a
/// language ctinject knows. For files found some other way: a git change, the
/// files of a tree at a revision (the `--max-drop` baseline), which must be
/// counted exactly as the walk counts the working tree.
pub fn candidate_language(
    rel: &str,
    selection: &Selection,
    runtime_names: &[&str],
) -> Option<&'static dyn Language> {
    walk_would_find(rel, selection, runtime_names)
        .then(|| lang::for_path(rel))
        .flatten()
}

/// The fallback language of `rel` when a walk would have found it: as
/// [`candidate_language`], for the languages of the language-model fallback.
pub fn fallback_language(
    rel: &str,
    selection: &Selection,
) -> Option<&'static crate::llm::forms::FallbackLanguage> {
    walk_would_find(rel, selection, &[])
        .then(|| crate::llm::forms::for_path(rel))
        .flatten()
}

/// True when a walk would reach `rel`: not hidden, not in a hidden or
/// skipped folder, not a runtime file, selected by the globs.
fn walk_would_find(rel: &str, selection: &Selection, runtime_names: &[&str]) -> bool {
    let mut parts = rel.split('/');
    let Some(name) = parts.next_back() else {
        return false;
    };
    let hidden =
        name.starts_with('.') || parts.any(|d| d.starts_with('.') || SKIPPED_DIRS.contains(&d));
    !hidden && !runtime_names.contains(&name) && selection.selects(rel)
}

/// The instrumentation candidates among `changed` (absolute paths of the
/// files a git change names): no walk at all, so `--since` costs about what
/// git's own diff costs.
pub fn changed_candidates(
    root: &Path,
    paths: &[PathBuf],
    changed: impl Iterator<Item = PathBuf>,
    selection: &Selection,
    runtime_names: &[&str],
) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = changed
        .filter(|abs| paths.iter().any(|p| abs.starts_with(p)) && abs.is_file())
        .filter_map(|abs| {
            let rel = relative(root, &abs)?;
            let lang = candidate_language(&rel, selection, runtime_names)?;
            let link = abs.is_symlink().then(|| link_of(root, paths, &abs));
            Some(Candidate {
                abs,
                rel,
                lang,
                link,
            })
        })
        .collect();
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    found
}

/// Every file and symlink under `root` for a complete copy, relative, sorted.
/// `skip` holds absolute folders to leave out (the output folder itself).
/// A `node_modules` folder is listed as itself, not its files: the copy
/// links to it (see [`crate::emit`]), so that a JavaScript copy runs with
/// the packages it was installed with.
pub fn all_files(root: &Path, skip: &[PathBuf]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read folder {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read folder {}", dir.display()))?;
            let path = entry.path();
            let ty = entry
                .file_type()
                .with_context(|| format!("cannot stat {}", path.display()))?;
            if ty.is_dir() {
                let name = entry.file_name();
                if name == NODE_MODULES && !skip.iter().any(|s| s == &path) {
                    if let Some(rel) = relative(root, &path) {
                        out.push(rel);
                    }
                    continue;
                }
                if SKIPPED_DIRS.iter().any(|d| name == *d) || skip.iter().any(|s| s == &path) {
                    continue;
                }
                stack.push(path);
            } else if let Some(rel) = relative(root, &path) {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}
