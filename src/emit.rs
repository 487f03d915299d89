//! Writing the output: a complete copy, a patch, or the files in place.
//!
//! Nothing of the user's is lost (principle 8): a copy is built in a staging
//! folder and renamed into place only when complete; in-place rewrites are
//! atomic per file (temporary file + rename) and refuse files with
//! uncommitted changes unless forced.

use crate::discover;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An instrumented file: the text that was read and planned, and the new one.
/// The patch is made from `original` (never from a second read of the file,
/// which might have changed meanwhile).
#[derive(Clone, Debug)]
pub struct Rewrite {
    pub original: String,
    pub new: String,
}

/// Marks a folder as ctinject's default output, so that a later run may replace it.
const OUTPUT_MARK: &str = ".ctinject-output";

/// The default output folder: inside a Cargo workspace (a `Cargo.toml` in
/// the root or a folder above it, up to the repository top), `ctinject/out`
/// under Cargo's target directory (asked of `cargo metadata`); otherwise
/// `.ctinject/out` at the top of the repository (or of the instrumented root
/// outside a repository). `.ctinject/` holds a `.gitignore` of `*`, so it
/// never shows in `git status`.
pub fn default_out_dir(base: &Path, root: &Path) -> PathBuf {
    // `cargo metadata` is a process of its own; a run with a gate asks for
    // the same answer up to four times (cache folder and output, twice).
    type Known = std::sync::Mutex<BTreeMap<(PathBuf, PathBuf), PathBuf>>;
    static KNOWN: std::sync::OnceLock<Known> = std::sync::OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    let key = (base.to_path_buf(), root.to_path_buf());
    if let Some(dir) = known.lock().expect("not poisoned").get(&key) {
        return dir.clone();
    }
    let dir = find_default_out_dir(base, root);
    known.lock().expect("not poisoned").insert(key, dir.clone());
    dir
}

fn find_default_out_dir(base: &Path, root: &Path) -> PathBuf {
    let in_cargo = root
        .ancestors()
        .take_while(|d| d.starts_with(base))
        .any(|d| d.join("Cargo.toml").is_file());
    if in_cargo {
        let meta = cargo_metadata::MetadataCommand::new()
            .current_dir(root)
            .no_deps()
            .exec();
        if let Ok(meta) = meta {
            return meta
                .target_directory
                .into_std_path_buf()
                .join("ctinject")
                .join("out");
        }
    }
    base.join(".ctinject").join("out")
}

/// Gives ctinject's own `.ctinject/` folder a `.gitignore` of `*`, so that
/// neither output nor cache ever shows in `git status` (best effort).
pub fn ignore_itself(top: &Path) {
    if top.file_name().is_some_and(|n| n == ".ctinject") && !top.join(".gitignore").exists() {
        let _ = std::fs::create_dir_all(top);
        let _ = std::fs::write(top.join(".gitignore"), "# ctinject's output and cache\n*\n");
    }
}

/// `path` made absolute without requiring it to exist (its nearest existing
/// ancestor is canonicalized).
fn absolute(path: &Path) -> Result<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().context("bad output path")?.to_owned());
        existing = existing.parent().context("bad output path")?;
    }
    let mut out = std::fs::canonicalize(existing)?;
    for r in rest.iter().rev() {
        out.push(r);
    }
    Ok(out)
}

/// Refuses an `--out` folder that exists and is not empty, lies inside a
/// folder PATH (which is being copied), or lies below a file.
pub fn check_out_dir(paths: &[PathBuf], out: &Path) -> Result<()> {
    let abs = absolute(out)?;
    if let Some(copied) = paths.iter().find(|p| p.is_dir() && abs.starts_with(p)) {
        bail!(
            "--out {}: the folder is inside {}, which is being copied; choose a folder outside it",
            out.display(),
            copied.display()
        );
    }
    // The nearest part of the path that exists must be a folder.
    if let Some(file) = abs
        .ancestors()
        .skip(1)
        .find(|a| a.exists())
        .filter(|a| !a.is_dir())
    {
        bail!(
            "--out {}: {} is a file, not a folder",
            out.display(),
            file.display()
        );
    }
    if abs.exists() {
        if !abs.is_dir() {
            bail!("--out {}: exists and is not a folder", out.display());
        }
        if std::fs::read_dir(&abs)?.next().is_some() {
            bail!(
                "--out {}: exists and is not empty; choose a new folder (ctinject never writes over files)",
                out.display()
            );
        }
    }
    Ok(())
}

/// Removes what killed runs left in `dir`: staging folders
/// (`.NAME.ctinject-staging-PID`) and temporary files
/// (`.NAME.ctinject-PID.tmp`) whose process is gone. Where processes cannot
/// be asked after (no `/proc`), only those older than a day go. Best effort:
/// what cannot be removed stays.
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let proc_fs = Path::new("/proc/self").exists();
    let me = std::process::id().to_string();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().filter(|n| n.starts_with('.')).and_then(|n| {
            n.rsplit_once(".ctinject-staging-")
                .map(|(_, pid)| pid)
                .or_else(|| {
                    n.strip_suffix(".tmp")?
                        .rsplit_once(".ctinject-")
                        .map(|(_, pid)| pid)
                })
        }) else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let gone = if proc_fs {
            !Path::new("/proc").join(pid).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 24 * 3600)
        };
        if gone {
            let path = e.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so
/// that the file is either the old one or the new one, never half-written.
pub fn atomic_write(path: &Path, bytes: &[u8], like: Option<&Path>) -> Result<()> {
    atomic_write_with(path, like, |out| Ok(out.write_all(bytes)?))
}

/// [`atomic_write`] for output made piece by piece: `write` fills the
/// temporary file, which replaces `path` only if it succeeds.
pub fn atomic_write_with(
    path: &Path,
    like: Option<&Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
) -> Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().context("bad file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.ctinject-{}.tmp", std::process::id()));
    let mut failed_inside = false;
    let result = (|| -> Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut out).inspect_err(|_| failed_inside = true)?;
        out.flush()?;
        drop(out);
        if let Some(meta) = like.and_then(|l| std::fs::metadata(l).ok()) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    if failed_inside {
        return result;
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Copies a file or a symbolic link. A link to somewhere inside `inside`
/// (the folders being copied) given by an absolute path becomes a relative
/// one, so that the copy's link reaches the copy (its instrumented text),
/// not the original.
fn copy_entry(src: &Path, dst: &Path, inside: &[PathBuf]) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(src).with_context(|| format!("cannot read {}", src.display()))?;
    if meta.is_dir() {
        // A node_modules folder (the only folder discover lists): linked,
        // by its absolute path, not copied.
        let target =
            std::fs::canonicalize(src).with_context(|| format!("cannot read {}", src.display()))?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, dst)
            .with_context(|| format!("cannot create link {}", dst.display()))?;
        return Ok(());
    }
    if meta.file_type().is_symlink() {
        let mut target = std::fs::read_link(src)?;
        if target.is_absolute() {
            let resolved = std::fs::canonicalize(src).ok();
            let from = src.parent().and_then(|d| std::fs::canonicalize(d).ok());
            if let (Some(resolved), Some(from)) = (resolved, from) {
                if inside
                    .iter()
                    .any(|p| resolved.starts_with(p) && from.starts_with(p))
                {
                    target = relative_link(&from, &resolved);
                }
            }
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, dst)
            .with_context(|| format!("cannot create link {}", dst.display()))?;
        #[cfg(not(unix))]
        std::fs::copy(src, dst).with_context(|| format!("cannot copy {}", src.display()))?;
    } else {
        std::fs::copy(src, dst).with_context(|| {
            format!("cannot copy {} (check that it is readable)", src.display())
        })?;
    }
    Ok(())
}

/// The relative path from the folder `from` to `to` (both absolute).
fn relative_link(from: &Path, to: &Path) -> PathBuf {
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

/// Runs `f` on every item, on `threads` threads (`-j`): writing a copy of a
/// large project is mostly waiting on system calls, which one thread does
/// one at a time. Returns the first error in item order (every item is
/// tried, so that which error is reported does not depend on timing).
fn for_each_in_parallel<T: Sync>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("cannot start the writer threads")?;
    let results: Vec<Result<()>> = pool.install(|| items.par_iter().map(&f).collect());
    results.into_iter().collect()
}

/// Writes a copy of the `paths` (absolute, below `root`) into `out`, each at
/// its place under `root`: every file, the instrumented ones changed, the
/// runtime files added. With `replace_ours`, an earlier default output in
/// `out` is replaced. `threads` write at once (`-j`).
pub fn write_dir(
    root: &Path,
    paths: &[PathBuf],
    out: &Path,
    changed: &BTreeMap<String, Rewrite>,
    added: &BTreeMap<String, String>,
    replace_ours: bool,
    threads: usize,
) -> Result<()> {
    let out = absolute(out)?;
    let parent = out.parent().context("bad output folder")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    if replace_ours && out.exists() && !out.join(OUTPUT_MARK).exists() {
        bail!(
            "{}: exists and was not written by ctinject; move it away or use --out",
            out.display()
        );
    }
    // The PATHs only: a folder with everything in it, a file by itself (not
    // the folder it sits in, nor the PATHs' neighbours in the root).
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let below = discover::all_files(path, std::slice::from_ref(&out))?;
            let prefix = discover::relative(root, path).unwrap_or_default();
            files.extend(below.into_iter().map(|rel| match prefix.as_str() {
                "" => rel,
                p => format!("{p}/{rel}"),
            }));
        } else if let Some(rel) = discover::relative(root, path) {
            files.push(rel);
        }
    }
    files.sort();
    files.dedup();
    remove_leftovers(parent);
    let staging = parent.join(format!(
        ".{}.ctinject-staging-{}",
        out.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot write into {}", parent.display()))?;
        for_each_in_parallel(&files, threads, |rel| {
            let dst = staging.join(rel);
            if let Some(d) = dst.parent() {
                std::fs::create_dir_all(d)?;
            }
            let src = root.join(rel);
            match changed.get(rel).map(|r| &r.new) {
                Some(text) => {
                    std::fs::write(&dst, text)
                        .with_context(|| format!("cannot write {}", dst.display()))?;
                    std::fs::set_permissions(&dst, std::fs::metadata(&src)?.permissions())?;
                }
                None => copy_entry(&src, &dst, paths)?,
            }
            Ok(())
        })?;
        for (rel, text) in added {
            let dst = staging.join(rel);
            if let Some(d) = dst.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(&dst, text)
                .with_context(|| format!("cannot write {}", dst.display()))?;
        }
        if replace_ours {
            std::fs::write(
                staging.join(OUTPUT_MARK),
                "written by ctinject; replaced on every run\n",
            )?;
            ignore_itself(parent);
        }
        if out.exists() {
            // Our own earlier output goes; a folder that was empty must still
            // be (remove_dir refuses otherwise: nothing of anyone's is lost).
            if out.join(OUTPUT_MARK).exists() {
                std::fs::remove_dir_all(&out)
            } else {
                std::fs::remove_dir(&out)
            }
            .with_context(|| {
                format!(
                    "cannot replace {} (did something write into it meanwhile?)",
                    out.display()
                )
            })?;
        }
        std::fs::rename(&staging, &out)
            .with_context(|| format!("cannot move the copy into {}", out.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// A path as git writes it in a diff header: quoted, with C escapes, when it
/// holds a quote, a backslash or a control character.
fn diff_path(prefix: &str, path: &str) -> String {
    let plain = format!("{prefix}{path}");
    if !plain
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return plain;
    }
    let mut s = String::from("\"");
    for c in plain.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\{:03o}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// One file's part of a git-style unified diff (`old` None: a new file).
pub fn file_diff(path: &str, old: Option<&str>, new: &str) -> String {
    let (a, b) = (diff_path("a/", path), diff_path("b/", path));
    let mut s = format!("diff --git {a} {b}\n");
    let old_header = match old {
        Some(_) => a.clone(),
        None => {
            s.push_str("new file mode 100644\n");
            "/dev/null".to_string()
        }
    };
    let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &b)
        .missing_newline_hint(true)
        .to_string();
    s.push_str(&body);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Writes a patch that `git apply` applies at the top of the repository (or
/// of the root outside one) and `git apply -R` reverts. `existing` gives the
/// current text of a runtime path (the disk's, or a commit's under `--to`):
/// an identical runtime is left out, another one updated.
pub fn write_patch(
    display_of: &dyn Fn(&str) -> String,
    existing: &dyn Fn(&str) -> Option<String>,
    changed: &BTreeMap<String, Rewrite>,
    added: &BTreeMap<String, String>,
    file: &Path,
) -> Result<()> {
    let mut patch = String::new();
    let mut entries: Vec<(String, Option<String>, &String)> = Vec::new();
    for (rel, r) in changed {
        entries.push((display_of(rel), Some(r.original.clone()), &r.new));
    }
    for (rel, text) in added {
        // An earlier run's runtime: nothing to add when identical, else an
        // update (its configuration or version differs).
        match existing(rel) {
            Some(old) if &old == text => continue,
            Some(old) => entries.push((display_of(rel), Some(old), text)),
            None => entries.push((display_of(rel), None, text)),
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // The mark says the file is ctinject's; a patch with nothing in it stays
    // empty (so an empty file says "nothing changed").
    if !entries.is_empty() {
        patch.push_str(crate::outputs::PATCH_MARK);
    }
    for (path, old, new) in &entries {
        patch.push_str(&file_diff(path, old.as_deref(), new));
    }
    if file == Path::new("-") {
        use std::io::Write;
        std::io::stdout().write_all(patch.as_bytes())?;
        return Ok(());
    }
    let abs = absolute(file)?;
    if let Some(d) = abs.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        remove_leftovers(d);
    }
    atomic_write(&abs, patch.as_bytes(), None)
}

/// Rewrites the instrumented files where they are, refusing files with
/// uncommitted changes (or not in git at all) unless `force`.
pub fn write_in_place(
    root: &Path,
    changed: &BTreeMap<String, Rewrite>,
    added: &BTreeMap<String, String>,
    force: bool,
) -> Result<()> {
    if !force && !changed.is_empty() {
        let top = crate::git::repo_root(root);
        let dirty = crate::git::dirty_paths(root).ok();
        let mut refused = Vec::new();
        for rel in changed.keys() {
            let repo_rel = top
                .as_deref()
                .and_then(|t| discover::relative(t, &root.join(rel)));
            let clean = match (&repo_rel, &dirty) {
                (Some(p), Some(d)) => !d.contains(p),
                _ => false, // not in a repository: nothing could bring it back
            };
            if !clean {
                refused.push(repo_rel.unwrap_or_else(|| rel.clone()));
            }
        }
        if !refused.is_empty() {
            let shown: Vec<&str> = refused.iter().take(10).map(String::as_str).collect();
            bail!(
                "--in-place refuses to rewrite {} file(s) with uncommitted changes or outside git (commit or stash them, or add --force): {}{}",
                refused.len(),
                shown.join(", "),
                if refused.len() > 10 { ", ..." } else { "" }
            );
        }
    }
    let dirs: std::collections::BTreeSet<&Path> = changed
        .keys()
        .chain(added.keys())
        .filter_map(|rel| Path::new(rel).parent())
        .collect();
    for d in dirs {
        remove_leftovers(&root.join(d));
    }
    for (rel, Rewrite { new: text, .. }) in changed {
        let path = root.join(rel);
        atomic_write(&path, text.as_bytes(), Some(&path))?;
    }
    for (rel, text) in added {
        atomic_write(&root.join(rel), text.as_bytes(), None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_climb_to_the_common_folder() {
        let rel = |a: &str, b: &str| relative_link(Path::new(a), Path::new(b));
        assert_eq!(rel("/r/p/a", "/r/p/b/x.py"), Path::new("../b/x.py"));
        assert_eq!(rel("/r/p", "/r/p/x.py"), Path::new("x.py"));
        assert_eq!(rel("/r/p/a/b", "/r/x.py"), Path::new("../../../x.py"));
    }

    #[test]
    fn diff_paths_are_quoted_like_git() {
        assert_eq!(diff_path("a/", "my file.py"), "a/my file.py");
        assert_eq!(diff_path("a/", "q\"x.py"), "\"a/q\\\"x.py\"");
        assert_eq!(diff_path("a/", "caf\u{e9}.py"), "a/caf\u{e9}.py");
    }

    #[test]
    fn parallel_writes_try_every_item_and_report_the_first_error_in_order() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let items: Vec<usize> = (0..200).collect();
        let tried = AtomicUsize::new(0);
        let err = for_each_in_parallel(&items, 4, |&i| {
            tried.fetch_add(1, Ordering::Relaxed);
            if i == 150 {
                // the later failure comes first in time
                bail!("item {i}");
            }
            if i == 40 {
                std::thread::sleep(std::time::Duration::from_millis(20));
                bail!("item {i}");
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "item 40");
        assert_eq!(tried.load(Ordering::Relaxed), items.len());
    }

    #[test]
    fn new_file_diff_starts_from_dev_null() {
        let d = file_diff("p/_rt.py", None, "a\nb\n");
        assert!(d.starts_with("diff --git a/p/_rt.py b/p/_rt.py\nnew file mode 100644\n--- /dev/null\n+++ b/p/_rt.py\n@@ -0,0 +1,2 @@\n+a\n+b\n"), "{d}");
    }
}
