//! Which files to instrument, and which files make up a complete copy.
//!
//! Instrumentation candidates honour `.gitignore` (through `ignore`) and the
//! include/exclude globs (through `globset`, relative to the root). A copy for
//! `--out` takes every file under the root instead, ignored ones too (a
//! runnable copy needs built artefacts), except `.git` and ctinject's own
//! folders.

use crate::lang::{self, Language};
use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Folder names never copied nor instrumented.
pub const SKIPPED_DIRS: &[&str] = &[".git", ".ctinject", "__pycache__"];

/// Include/exclude globs, matched against paths relative to the root.
///
/// As in `.gitignore`: a glob that matches a folder matches everything in it
/// (`--exclude tests`, `--include src/pkg`); a glob without a `/` matches a
/// file or folder name at any depth, unless a leading `/` (or `./`) anchors
/// it at the root; `*` stays within a folder and `**` crosses folders; a
/// trailing `/` is dropped. Each include glob remembers whether it matched
/// anything, so that one that matched nothing (a typo, a path relative to the
/// wrong folder) can be pointed out.
pub struct Selection {
    include: Option<Globs>,
    exclude: Globs,
}

struct Globs {
    set: GlobSet,
    /// The pattern (index into `patterns`) of each glob of the set.
    owner: Vec<usize>,
    patterns: Vec<String>,
    /// Whether each pattern has matched a path (include globs only; empty
    /// for exclude globs, which then stop at the first match).
    used: Vec<AtomicBool>,
}

impl Globs {
    fn new(globs: &[String], what: &str, track_use: bool) -> Result<Self> {
        let mut b = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, g) in globs.iter().enumerate() {
            let bad = || format!("bad {what} glob {g:?}");
            // `*` stops at `/`; only `**` crosses folders.
            let glob = |text: &str| {
                GlobBuilder::new(text)
                    .literal_separator(true)
                    .build()
                    .with_context(bad)
            };
            let trimmed = g.strip_suffix('/').unwrap_or(g);
            // A leading `/` or `./` anchors the glob at the root.
            let anchored = trimmed
                .strip_prefix('/')
                .or_else(|| trimmed.strip_prefix("./"));
            let trimmed = anchored.unwrap_or(trimmed);
            b.add(glob(trimmed)?);
            owner.push(i);
            if anchored.is_none() && !trimmed.contains('/') {
                b.add(glob(&format!("**/{trimmed}"))?);
                owner.push(i);
            }
        }
        Ok(Globs {
            set: b.build()?,
            owner,
            patterns: globs.to_vec(),
            used: globs
                .iter()
                .filter(|_| track_use)
                .map(|_| AtomicBool::new(false))
                .collect(),
        })
    }

    /// True when a glob matches `rel` or one of the folders above it.
    fn is_match(&self, rel: &str) -> bool {
        let folders = rel.match_indices('/').map(|(i, _)| &rel[..i]);
        let mut paths = std::iter::once(rel).chain(folders);
        if self.used.is_empty() {
            return paths.any(|p| self.set.is_match(p));
        }
        // Every glob that matches is marked, not only the first.
        let mut matched = false;
        for path in paths {
            for i in self.set.matches(path) {
                self.used[self.owner[i]].store(true, Ordering::Relaxed);
                matched = true;
            }
        }
        matched
    }

    fn unused(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !used.load(Ordering::Relaxed))
            .map(|(p, _)| p.as_str())
    }
}

impl Selection {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self> {
        Ok(Selection {
            include: if include.is_empty() {
                None
            } else {
                Some(Globs::new(include, "--include", true)?)
            },
            exclude: Globs::new(exclude, "--exclude", false)?,
        })
    }

    /// True when the file at `rel` (relative to the root, with `/`) is to be instrumented.
    pub fn selects(&self, rel: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(rel)) && !self.exclude.is_match(rel)
    }

    /// The include globs that have matched no path so far. (An exclude glob
    /// that matched nothing is common and harmless: it may name a folder
    /// that `.gitignore` already keeps out of the walk.)
    pub fn unused_includes(&self) -> Vec<String> {
        self.include
            .iter()
            .flat_map(|g| g.unused())
            .map(str::to_string)
            .collect()
    }
}

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

/// The folder to look around from for `path`: itself, or for a file the
/// folder holding it (`.` for a bare file name, whose parent is empty).
pub fn folder_of(path: &Path) -> &Path {
    if path.is_file() {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    } else {
        path
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
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let canonical_paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
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
            if runtime_names.contains(&name) || !selection.selects(&rel) {
                continue;
            }
            if let Some(lang) = lang::for_path(&rel) {
                let link = is_link.then(|| link_of(root, &canonical_paths, &abs));
                found.push(Candidate {
                    abs,
                    rel,
                    lang,
                    link,
                });
            }
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    found.dedup_by(|a, b| a.rel == b.rel);
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
    let mut parts = rel.split('/');
    let name = parts.next_back()?;
    let hidden =
        name.starts_with('.') || parts.any(|d| d.starts_with('.') || SKIPPED_DIRS.contains(&d));
    if hidden || runtime_names.contains(&name) || !selection.selects(rel) {
        return None;
    }
    lang::for_path(rel)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_without_a_slash_match_at_any_depth() {
        let s = Selection::new(&[], &["test_*.py".into(), "tests/**".into()]).unwrap();
        assert!(!s.selects("pkg/test_x.py"));
        assert!(!s.selects("tests/a/b.py"));
        assert!(s.selects("pkg/x.py"));
        let s = Selection::new(&["pkg/**".into()], &[]).unwrap();
        assert!(s.selects("pkg/a.py"));
        assert!(!s.selects("other/a.py"));
    }

    /// `--exclude tests` and `--exclude tests/` instrumented tests/test_x.py,
    /// and `--include ./src/**` matched nothing, without a word.
    #[test]
    fn globs_match_folders_like_gitignore_and_report_what_matched_nothing() {
        let globs = |v: &[&str]| v.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        for exclude in ["tests", "tests/", "**/tests"] {
            let s = Selection::new(&[], &globs(&[exclude])).unwrap();
            assert!(!s.selects("tests/test_x.py"), "{exclude}");
            assert!(!s.selects("pkg/tests/deep/t.py"), "{exclude}");
            assert!(s.selects("pkg/testsuite.py"), "{exclude}");
        }
        let s = Selection::new(
            &globs(&["./src/**", "src/pkg", "nowhere/**"]),
            &globs(&["*.pyi"]),
        )
        .unwrap();
        assert!(s.selects("src/a.py"));
        assert!(s.selects("src/pkg/deep/b.py"));
        assert!(!s.selects("other/a.py"));
        assert_eq!(s.unused_includes(), ["nowhere/**"]);
    }

    #[test]
    fn bad_glob_is_an_error_naming_it() {
        let err = Selection::new(&[], &["a/[".into()])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("a/["), "{err}");
    }
}
