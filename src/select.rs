//! Which paths a run selects: the include and exclude globs, and the folder
//! a path is looked around from. Apart from discovery, so that the
//! configuration can check its globs without depending on the languages.

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

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
