//! The files ctinject writes outside its own folders: the patch
//! (`--patch`), reports (`--report FORMAT=FILE`), the baseline
//! (`--write-baseline`), and the pictures of a trace (`ctinject trace
//! perfetto -o`, `ctinject trace flamegraph -o`).
//!
//! Nothing of the user's is lost (principle 8). Each such file is checked
//! before the run does any work, and refused when:
//!
//! - it is one of the files the run instruments or reads (a source file
//!   under PATH, the configuration, the baseline, the diff file): never
//!   written, whatever the flags;
//! - it is a folder;
//! - it exists, is not empty, and is not recognisably ctinject's own earlier
//!   output of the same kind: written only with `--force`.
//!
//! Every such file carries a mark that says it is ctinject's (the JSON
//! reports and baselines their `schema_version` and `ctinject_version`, a
//! Perfetto trace its `otherData`, the others a first line or, for a flame
//! graph, a comment after the XML declaration), and is written atomically.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// What kind of output a file is; a file may be replaced only by output of
/// its own kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    Patch,
    /// A report in any format (a later run may change the format).
    Report,
    Baseline,
    /// `ctinject trace perfetto -o`.
    Perfetto,
    /// `ctinject trace flamegraph -o`.
    FlameGraph,
}

impl OutputKind {
    fn noun(self) -> &'static str {
        match self {
            OutputKind::Patch => "ctinject patch",
            OutputKind::Report => "ctinject report",
            OutputKind::Baseline => "ctinject baseline",
            OutputKind::Perfetto => "ctinject Perfetto trace",
            OutputKind::FlameGraph => "ctinject flame graph",
        }
    }
}

/// The first line of every patch: `git apply` and `patch` skip text before
/// the first diff header.
pub const PATCH_MARK: &str =
    "# ctinject patch: `git apply FILE` at the top of the repository applies it, `git apply -R FILE` reverts it.\n";
/// The first line of a Markdown report (a comment: it does not render).
pub const MARKDOWN_MARK: &str = "<!-- ctinject report -->\n";
/// The first line of a GitHub-annotations report (shown only in debug logs).
pub const GITHUB_MARK: &str = "::debug::ctinject report\n";

/// One file a run is asked to write.
#[derive(Clone, Debug)]
pub struct OutputFile {
    /// The flag as the user gave it, for messages: `--patch`, `--report json=`.
    pub flag: String,
    pub path: PathBuf,
    pub kind: OutputKind,
}

/// What a run reads, and must therefore never write.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The PATHs given: files below them that a language claims are sources.
    pub paths: Vec<PathBuf>,
    /// Other files read: the configuration, the baseline, the diff file.
    pub files: Vec<PathBuf>,
}

/// True when `text` is ctinject's own output of `kind`, so that writing
/// over it loses nothing.
pub fn is_own(kind: OutputKind, text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Marked {
        schema_version: u32,
        ctinject_version: String,
        /// A baseline has `project` and `points`; a report has `totals`.
        project: Option<serde::de::IgnoredAny>,
        totals: Option<serde::de::IgnoredAny>,
    }
    let json = || serde_json::from_str::<Marked>(text).ok();
    match kind {
        OutputKind::Patch => text.starts_with(PATCH_MARK),
        OutputKind::Baseline => json().is_some_and(|m| m.project.is_some()),
        OutputKind::Perfetto => text.starts_with(crate::trace::perfetto::MARK),
        OutputKind::FlameGraph => {
            text.starts_with("<?xml") && {
                let head = text
                    .get(..text.find("?>").map_or(0, |n| n + 2) + 100)
                    .unwrap_or(text);
                head.contains(crate::trace::flamegraph::MARK)
            }
        }
        OutputKind::Report => {
            text.starts_with(MARKDOWN_MARK)
                || text.starts_with(GITHUB_MARK)
                || is_human_report(text)
                || json().is_some_and(|m| {
                    m.totals.is_some() && m.schema_version > 0 && !m.ctinject_version.is_empty()
                })
        }
    }
}

/// The human report's first line: `ctinject: 3 files (...`.
fn is_human_report(text: &str) -> bool {
    if text.starts_with("ctinject check: ") {
        return true;
    }
    let Some(rest) = text.strip_prefix("ctinject: ") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (rest[digits..].starts_with(" files (") || rest[digits..].starts_with(" file ("))
}

/// Refuses, before any work is done, every output file that would overwrite
/// something of the user's (see the module documentation). `force` lets an
/// existing file that is not ctinject's be replaced; it never lets an input
/// be.
pub fn check(outputs: &[OutputFile], inputs: &Inputs, force: bool) -> Result<()> {
    let input_paths: Vec<PathBuf> = inputs.paths.iter().filter_map(|p| resolved(p)).collect();
    let input_files: Vec<PathBuf> = inputs.files.iter().filter_map(|p| resolved(p)).collect();
    let mut seen: Vec<(PathBuf, &OutputFile)> = Vec::new();
    for out in outputs {
        let shown = format!("{}{}", out.flag, out.path.display());
        let Some(abs) = resolved(&out.path) else {
            bail!("{shown}: not a usable file path");
        };
        if let Some((_, earlier)) = seen.iter().find(|(p, _)| *p == abs) {
            bail!(
                "{shown}: {earlier}{} names the same file; give each output a file of its own",
                earlier.path.display(),
                earlier = earlier.flag
            );
        }
        let is_input = input_files.contains(&abs)
            || input_paths.iter().any(|p| {
                *p == abs
                    || (abs.starts_with(p)
                        && crate::lang::for_path(&abs.to_string_lossy()).is_some())
            });
        if is_input {
            bail!(
                "{shown}: refusing to write over {}: it is one of the files this run instruments or reads (choose another file; --force does not change this)",
                out.path.display()
            );
        }
        match std::fs::metadata(&abs) {
            Ok(meta) if meta.is_dir() => {
                bail!(
                    "{shown}: {} is a folder; give a file name",
                    out.path.display()
                )
            }
            Ok(meta) if !force && meta.len() > 0 => {
                let text = std::fs::read(&abs).unwrap_or_default();
                if !is_own(out.kind, &String::from_utf8_lossy(&text)) {
                    bail!(
                        "{shown}: refusing to write over {}: it exists and is not a {} (remove it, choose another file, or add --force)",
                        out.path.display(),
                        out.kind.noun()
                    );
                }
            }
            _ => {}
        }
        seen.push((abs, out));
    }
    Ok(())
}

/// `path` made absolute with its symbolic links resolved, whether or not it
/// exists (the part that does not exist is taken as written).
fn resolved(path: &Path) -> Option<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
    let mut out = std::fs::canonicalize(existing).ok()?;
    for r in rest.iter().rev() {
        out.push(r);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_outputs_are_recognised_by_kind() {
        let patch = format!("{PATCH_MARK}diff --git a/x.py b/x.py\n");
        assert!(is_own(OutputKind::Patch, &patch));
        assert!(!is_own(OutputKind::Patch, "diff --git a/x.py b/x.py\n"));
        assert!(!is_own(OutputKind::Report, &patch));

        let report = r#"{"schema_version": 1, "ctinject_version": "0.1.0", "totals": {}}"#;
        let baseline =
            r#"{"schema_version": 1, "ctinject_version": "0.1.0", "project": {}, "points": {}}"#;
        assert!(is_own(OutputKind::Report, report));
        assert!(!is_own(OutputKind::Baseline, report));
        assert!(is_own(OutputKind::Baseline, baseline));
        assert!(!is_own(OutputKind::Report, baseline));
        assert!(!is_own(OutputKind::Report, r#"{"schema_version": 1}"#));

        for own in [
            "ctinject: 4 files (3 instrumented, 0 skipped, 1 unchanged), 2 functions",
            "ctinject: 1 file (1 instrumented, 0 skipped), 1 function",
            &format!("{MARKDOWN_MARK}## ctinject\n"),
            &format!("{GITHUB_MARK}::error file=a.py::x\n"),
        ] {
            assert!(is_own(OutputKind::Report, own), "{own}");
        }
        for other in [
            "ctinject: notes",
            "## ctinject\n",
            "def f():\n    pass\n",
            "",
        ] {
            assert!(!is_own(OutputKind::Report, other), "{other}");
        }
    }
}
