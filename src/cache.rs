//! The plan cache: lets an unchanged file skip parsing and planning.
//!
//! # What is cached, and why it is safe
//!
//! Planning a file costs a tree-sitter parse plus a validating re-parse. The
//! result of planning is a [`FilePlan`]: plain data (byte offsets and the text
//! to insert there). This module stores those plans on disk, keyed by a hash of
//! *everything the output of the file depends on* ([`file_key`]), so that the
//! next run over the same file with the same ctinject and the same
//! configuration can take the plan from disk instead.
//!
//! The cache holds **data, never code to run** (principle 6 of docs/principles.md).
//! Nothing read from the cache is trusted:
//!
//! 1. an entry larger than [`MAX_ENTRY_BYTES`] is refused before it is read;
//! 2. its header must carry the right magic word and [`FORMAT_VERSION`];
//! 3. the sha256 of its payload must match the checksum in the header (this
//!    catches truncation, bit rot and careless edits);
//! 4. the payload must deserialize into a [`FilePlan`];
//! 5. the key recorded inside the payload must be the key that was looked up
//!    (this catches an entry copied or renamed to another key's file name);
//! 6. finally the caller's `check` runs on the plan: it verifies that the plan
//!    only inserts ctinject's own telemetry and fits the source it is about to
//!    be applied to. Checks 1-5 cannot catch a *deliberate* edit (whoever edits
//!    the payload can recompute the checksum); check 6 is what keeps a tampered
//!    cache from injecting arbitrary code.
//!
//! An entry that fails any check is deleted (best effort) and reported as
//! [`Lookup::Rejected`]; the caller then plans the file from scratch, warns,
//! and stores a fresh entry. A rejected entry is never applied.
//!
//! # Layout on disk
//!
//! ```text
//! DIR/
//!   CACHEDIR.TAG                 marks DIR as a cache for backup tools
//!   v1/                          one folder per FORMAT_VERSION
//!     ab/                        fan-out: the key's first two hex digits
//!       ab12...ef.plan           one entry per key
//!       .ab12...ef.4242.7.tmp    a write in progress (or left by a crash)
//! ```
//!
//! An entry is a one-line text header followed by a JSON payload:
//!
//! ```text
//! ctinject-cache-plan 1 <sha256 of the payload bytes, hex>\n
//! {"key":"ab12...ef","plan":{...}}
//! ```
//!
//! # Sharing between processes
//!
//! Writes are atomic: [`Cache::put`] writes a temporary file with a unique
//! name in the entry's own folder and renames it over the entry. A reader
//! therefore sees either the old entry, the new one, or none; never half a
//! file. Two processes storing the same key at once both succeed, and the last
//! rename wins (both wrote the same bytes anyway, since output is
//! deterministic). Pruning and clearing may race with readers and writers;
//! the worst outcome is a miss, never a wrong plan.

use crate::engine::FilePlan;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The version of the on-disk entry format. Bump it whenever the header, the
/// payload layout or the meaning of a key changes: entries of another version
/// live in another folder (`v2/`, ...) and are never read by this one.
///
/// A change to [`FilePlan`] that changes how plans serialize also needs a bump
/// (or relies on the ctinject version, which is part of every key, changing).
pub const FORMAT_VERSION: u32 = 1;

/// Entries larger than this are refused without being read (and `put` refuses
/// to write them). Real plans are a few kilobytes; the limit only guards
/// against garbage and hostile files.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// The first word of every entry.
const MAGIC: &str = "ctinject-cache-plan";
/// File name extension of entries.
const ENTRY_SUFFIX: &str = ".plan";
/// Temporary files start with a dot and end with this.
const TEMP_SUFFIX: &str = ".tmp";
/// Temporary files older than this are left over from a crash: `prune`
/// removes them.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60 * 60);
/// A header is `MAGIC VERSION SHA256`: well under this many bytes.
const MAX_HEADER_LEN: usize = 128;
/// Rejection reasons quote the entry's content; keep them short.
const MAX_REASON_LEN: usize = 300;

/// The Cache Directory Tagging Specification (<https://bford.info/cachedir/>):
/// backup and archiving tools that honour it skip the folder.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by ctinject.\n\
# For information about cache directory tags, see:\n\
#\thttps://bford.info/cachedir/\n";

/// Everything the output of one file depends on.
///
/// A cache keyed on the source alone gives wrong answers as soon as anything
/// else changes: nyc and Orchestrion both shipped stale instrumentation after
/// upgrades because of that. So the key covers the source *and* every input
/// that can change what ctinject inserts into it; [`file_key`] adds the
/// versions (format, ctinject, runtime template) itself.
///
/// When a new input starts to affect a file's plan, add it here: the
/// destructuring in [`file_key`] then fails to compile until it is hashed.
#[derive(Clone, Copy, Debug)]
pub struct KeyParts<'a> {
    /// The file's text, with any byte order mark removed (the offsets in a
    /// plan are offsets of this text).
    pub source: &'a str,
    /// The language the file is planned as (`python`, ...).
    pub language: &'a str,
    /// The file's path as recorded in events (relative, with `/`): it is
    /// baked into the inserted calls.
    pub rel_path: &'a str,
    /// How the file imports the runtime (module name, relative import, ...):
    /// it is the text of the header insert.
    pub runtime_ref: &'a str,
    /// Hash of the configuration that shapes the plan (the point kinds
    /// turned on), computed by the caller.
    pub config_hash: &'a str,
    /// Which functions are selected: `all`, or a canonical list of changed
    /// line ranges (`--since`): the same file gives another plan under
    /// another selection.
    pub selection: &'a str,
}

/// Feeds fields into sha256 so that no two different lists of fields hash
/// the same bytes: each field is preceded by its length (8 bytes, little
/// endian). Without the lengths, `("py", "thon.x")` and `("python", ".x")`
/// would be the same input.
struct KeyHasher(Sha256);

impl KeyHasher {
    /// Starts a hash for one kind of key; the domain keeps keys of different
    /// kinds apart.
    fn new(domain: &str) -> Self {
        let mut h = KeyHasher(Sha256::new());
        h.field(domain);
        h
    }
    fn field(&mut self, value: &str) {
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value.as_bytes());
    }
    fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// The cache key of one file: sha256 (64 lowercase hex digits) over an
/// unambiguous, length-prefixed encoding of [`FORMAT_VERSION`], the ctinject
/// version (`CARGO_PKG_VERSION`), a fingerprint of the sources that decide
/// what is inserted (`CTINJECT_PLANNER_HASH`, from `build.rs`: two builds of
/// the same version from different commits do not share entries), the
/// runtime template version ([`crate::runtime::TEMPLATE_VERSION`]) and every
/// part of `parts`.
///
/// Upgrading ctinject, changing the runtime template or the entry format, or
/// changing any input of the plan therefore gives a new key: old entries are
/// simply never looked up again (and `ctinject cache prune` removes them).
pub fn file_key(parts: &KeyParts) -> String {
    let KeyParts {
        source,
        language,
        rel_path,
        runtime_ref,
        config_hash,
        selection,
    } = *parts;
    let mut h = KeyHasher::new("ctinject file plan");
    h.field(&FORMAT_VERSION.to_string());
    h.field(env!("CARGO_PKG_VERSION"));
    h.field(env!("CTINJECT_PLANNER_HASH"));
    h.field(&crate::runtime::TEMPLATE_VERSION.to_string());
    for part in [
        source,
        language,
        rel_path,
        runtime_ref,
        config_hash,
        selection,
    ] {
        h.field(part);
    }
    h.finish()
}

/// A cache folder. Cheap to clone; holds no open files, so one value can be
/// shared between threads and any number of processes can use the same
/// folder at once.
#[derive(Clone, Debug)]
pub struct Cache {
    /// The folder given to [`Cache::open`].
    root: PathBuf,
    /// `root/v{FORMAT_VERSION}`: where this version's entries live.
    entries: PathBuf,
}

/// The answer of [`Cache::get`].
#[derive(Debug)]
pub enum Lookup {
    /// A stored plan that passed every check, including the caller's.
    Hit(FilePlan),
    /// No entry under this key.
    Miss,
    /// There was an entry but it failed a check; it has been deleted (best
    /// effort). The string says why, for a warning. Plan the file afresh and
    /// store the new plan.
    Rejected(String),
}

/// What [`Cache::stats`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Number of entries (of this format version).
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The least recently used entry's modification time (the time it was
    /// stored or last read).
    pub oldest: Option<SystemTime>,
    /// The most recently used entry's modification time.
    pub newest: Option<SystemTime>,
    /// Temporary files: writes in progress, or left behind by a crash.
    pub temp_files: u64,
}

/// What [`Cache::prune`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneStats {
    /// Files removed: entries, plus stale temporary files.
    pub removed: u64,
    /// Bytes those files held.
    pub freed_bytes: u64,
    /// Entries left.
    pub kept: u64,
}

/// What [`Cache::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries examined.
    pub checked: u64,
    /// The bad ones (now deleted): the entry's path relative to the cache
    /// folder (`v1/ab/ab12...ef.plan`) and the reason.
    pub bad: Vec<(String, String)>,
}

/// The payload as written: borrowed, so that storing a plan copies nothing.
#[derive(Serialize)]
struct EntryOut<'a> {
    key: &'a str,
    plan: &'a FilePlan,
}

/// The payload as read. Unknown fields are refused: a payload that does not
/// look exactly like what `put` writes did not come from `put`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn {
    key: String,
    plan: FilePlan,
}

/// Why reading an entry's bytes did not work.
enum ReadError {
    /// There is no entry (which is not a problem).
    Missing,
    /// There is something, but it cannot be an entry.
    Bad(String),
}

impl Cache {
    /// Opens the cache in `dir`, creating the folder (and its parents) if
    /// needed, and a `CACHEDIR.TAG` file in it (<https://bford.info/cachedir/>)
    /// so that backup tools skip it. An existing tag is left alone.
    pub fn open(dir: &Path) -> Result<Cache> {
        let entries = dir.join(format!("v{FORMAT_VERSION}"));
        fs::create_dir_all(&entries)
            .with_context(|| format!("cannot create the cache folder {}", entries.display()))?;
        let tag = dir.join("CACHEDIR.TAG");
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tag)
        {
            Ok(mut f) => f
                .write_all(CACHEDIR_TAG.as_bytes())
                .with_context(|| format!("cannot write {}", tag.display()))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", tag.display()));
            }
        }
        Ok(Cache {
            root: dir.to_path_buf(),
            entries,
        })
    }

    /// The cache folder, as given to [`Cache::open`].
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Where the entry of `key` lives (whether or not it exists). `key` must
    /// be valid (see [`is_key`]).
    fn entry_path(&self, key: &str) -> PathBuf {
        self.entries
            .join(&key[..2])
            .join(format!("{key}{ENTRY_SUFFIX}"))
    }

    /// Looks `key` up.
    ///
    /// Reads the entry and checks, in order: its size, its header (magic word
    /// and [`FORMAT_VERSION`]), its checksum (sha256 of the payload, recorded
    /// in the header), that the payload deserializes, that it was stored under
    /// this `key` (the key is inside the payload), and finally `check`, the
    /// caller's own verdict on the plan (that it is insert-only telemetry
    /// that fits the source it will be applied to).
    ///
    /// - No entry: [`Lookup::Miss`].
    /// - Any check fails: the entry is deleted (best effort; a concurrent
    ///   writer's fresh entry may be deleted with it, which costs one
    ///   rebuild) and [`Lookup::Rejected`] says why. `key` itself not being a
    ///   key (64 lowercase hex digits) is also `Rejected`, and deletes
    ///   nothing.
    /// - Otherwise [`Lookup::Hit`], and the entry's modification time is set
    ///   to now (best effort), so that [`Cache::prune`] by age removes what
    ///   has not been *used* lately rather than what was stored long ago.
    ///
    /// Never panics on garbage, and never returns a plan that failed a check.
    pub fn get(&self, key: &str, check: &dyn Fn(&FilePlan) -> Result<(), String>) -> Lookup {
        if !is_key(key) {
            return Lookup::Rejected(format!("not a cache key: {:?}", sanitize(key)));
        }
        let path = self.entry_path(key);
        let bytes = match read_entry(&path) {
            Ok(bytes) => bytes,
            Err(ReadError::Missing) => return Lookup::Miss,
            Err(ReadError::Bad(reason)) => return reject(&path, reason),
        };
        let plan = match decode(&bytes, key) {
            Ok(plan) => plan,
            Err(reason) => return reject(&path, reason),
        };
        if let Err(reason) = check(&plan) {
            return reject(
                &path,
                format!("the stored plan failed its check: {}", sanitize(&reason)),
            );
        }
        touch(&path);
        Lookup::Hit(plan)
    }

    /// Stores `plan` under `key`, replacing any entry there.
    ///
    /// Atomic: the entry is written to a temporary file with a unique name in
    /// the entry's own folder, then renamed over the entry, so readers never
    /// see a partial file and two processes storing the same key at once both
    /// succeed, leaving one valid entry. (No fsync: after a power cut an entry
    /// may be empty or partial, and the next `get` rejects and rebuilds it.)
    ///
    /// Fails when `key` is not a key, when the entry would exceed
    /// [`MAX_ENTRY_BYTES`], or on I/O errors; a failed `put` leaves no
    /// temporary file behind (unless deleting it fails too). Callers treat a
    /// failure as a warning: the cache is an optimisation.
    pub fn put(&self, key: &str, plan: &FilePlan) -> Result<()> {
        if !is_key(key) {
            bail!("not a cache key: {:?}", sanitize(key));
        }
        let payload = serde_json::to_vec(&EntryOut { key, plan })
            .context("cannot serialize the plan for the cache")?;
        let mut bytes = format!("{MAGIC} {FORMAT_VERSION} {}\n", sha256_hex(&payload)).into_bytes();
        bytes.extend_from_slice(&payload);
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            bail!(
                "the plan is too large to cache ({} bytes; the limit is {MAX_ENTRY_BYTES})",
                bytes.len()
            );
        }
        let path = self.entry_path(key);
        let folder = path.parent().expect("an entry path has a folder");
        let (tmp, mut file) = create_temp(folder, key)?;
        let written = file.write_all(&bytes).and_then(|()| file.flush());
        drop(file);
        let renamed = written.and_then(|()| rename_over(&tmp, &path));
        if let Err(e) = renamed {
            let _ = fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot store {}", path.display()));
        }
        Ok(())
    }

    /// Counts the entries of this format version, their total size and their
    /// oldest and newest modification times (that is, last use), and the
    /// temporary files lying around.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = Stats::default();
        for item in self.scan()? {
            match item.kind {
                Kind::Temp => stats.temp_files += 1,
                Kind::Entry => {
                    stats.entries += 1;
                    stats.bytes += item.len;
                    stats.oldest = Some(stats.oldest.map_or(item.mtime, |t| t.min(item.mtime)));
                    stats.newest = Some(stats.newest.map_or(item.mtime, |t| t.max(item.mtime)));
                }
            }
        }
        Ok(stats)
    }

    /// Removes every entry of this format version and every temporary file,
    /// then the empty fan-out folders. Returns how many files it removed.
    ///
    /// Other format versions' folders, the tag file and anything the cache did
    /// not write are left alone: the cache never deletes what it does not
    /// recognise.
    pub fn clear(&self) -> Result<u64> {
        let mut removed = 0;
        let mut folders = std::collections::BTreeSet::new();
        for item in self.scan()? {
            if remove(&item.path)? {
                removed += 1;
            }
            if let Some(folder) = item.path.parent() {
                folders.insert(folder.to_path_buf());
            }
        }
        for folder in folders {
            // Fails (harmlessly) when a concurrent `put` has just used it.
            let _ = fs::remove_dir(folder);
        }
        Ok(removed)
    }

    /// Shrinks the cache.
    ///
    /// 1. Temporary files older than an hour (left by a crash) are removed.
    /// 2. With `older_than`: entries not used (stored or hit) for longer than
    ///    that are removed.
    /// 3. With `max_size`: the least recently used entries are removed, oldest
    ///    first, until the entries' total size is at most `max_size` bytes.
    ///
    /// `removed` and `freed_bytes` count every file removed (entries and
    /// temporary files); `kept` counts the entries left.
    pub fn prune(&self, older_than: Option<Duration>, max_size: Option<u64>) -> Result<PruneStats> {
        let now = SystemTime::now();
        let age = |t: SystemTime| now.duration_since(t).unwrap_or(Duration::ZERO);
        let mut stats = PruneStats::default();
        let mut entries = Vec::new();
        for item in self.scan()? {
            match item.kind {
                Kind::Entry => entries.push(item),
                Kind::Temp if age(item.mtime) > STALE_TEMP_AGE => {
                    if remove(&item.path)? {
                        stats.removed += 1;
                        stats.freed_bytes += item.len;
                    }
                }
                Kind::Temp => {}
            }
        }
        if let Some(limit) = older_than {
            let mut kept = Vec::with_capacity(entries.len());
            for item in entries {
                if age(item.mtime) > limit {
                    if remove(&item.path)? {
                        stats.removed += 1;
                        stats.freed_bytes += item.len;
                    }
                } else {
                    kept.push(item);
                }
            }
            entries = kept;
        }
        if let Some(limit) = max_size {
            // Oldest first; the path breaks ties so the result is deterministic.
            entries.sort_by(|a, b| a.mtime.cmp(&b.mtime).then_with(|| a.path.cmp(&b.path)));
            let mut total: u64 = entries.iter().map(|e| e.len).sum();
            let mut first_kept = 0;
            for item in &entries {
                if total <= limit {
                    break;
                }
                if remove(&item.path)? {
                    stats.removed += 1;
                    stats.freed_bytes += item.len;
                }
                total -= item.len;
                first_kept += 1;
            }
            entries.drain(..first_kept);
        }
        stats.kept = entries.len() as u64;
        Ok(stats)
    }

    /// Checks every entry as [`Cache::get`] would, except for the caller's
    /// check (which needs the source): the file name is a key and the entry
    /// is in its key's folder, the size, the header, the checksum, that the
    /// payload deserializes and that the key inside matches the file name.
    /// Bad entries are deleted and listed with the reason.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        for item in self.scan()? {
            if item.kind != Kind::Entry {
                continue;
            }
            let outcome = check_entry_file(&item.path).and_then(|key| {
                match read_entry(&item.path) {
                    Ok(bytes) => decode(&bytes, &key).map(|_| ()),
                    // Removed since the scan: nothing to check.
                    Err(ReadError::Missing) => Ok(()),
                    Err(ReadError::Bad(reason)) => Err(reason),
                }
            });
            report.checked += 1;
            if let Err(mut reason) = outcome {
                if let Err(e) = remove(&item.path) {
                    reason.push_str(&format!(" (could not delete it: {e:#})"));
                }
                let name = item
                    .path
                    .strip_prefix(&self.root)
                    .unwrap_or(&item.path)
                    .to_string_lossy()
                    .replace('\\', "/");
                report.bad.push((name, reason));
            }
        }
        Ok(report)
    }

    /// Lists this format version's entries and temporary files: regular files
    /// (not symlinks) in two-hex-digit folders of `v1/`. Anything else is
    /// ignored. Files that vanish during the scan are skipped.
    fn scan(&self) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for folder in read_dir(&self.entries)? {
            let name = folder.file_name();
            let is_fanout = name
                .to_str()
                .is_some_and(|n| n.len() == 2 && n.bytes().all(is_hex_digit));
            let is_dir = folder.file_type().is_ok_and(|t| t.is_dir());
            if !is_fanout || !is_dir {
                continue;
            }
            for file in read_dir(&folder.path())? {
                let name = file.file_name();
                let Some(name) = name.to_str() else { continue };
                let kind = if name.starts_with('.') && name.ends_with(TEMP_SUFFIX) {
                    Kind::Temp
                } else if !name.starts_with('.') && name.ends_with(ENTRY_SUFFIX) {
                    Kind::Entry
                } else {
                    continue;
                };
                let path = file.path();
                // `symlink_metadata`: a symlink is not ours and is not followed.
                let meta = match fs::symlink_metadata(&path) {
                    Ok(m) => m,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", path.display()))
                    }
                };
                if !meta.file_type().is_file() {
                    continue;
                }
                items.push(Item {
                    path,
                    kind,
                    len: meta.len(),
                    mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                });
            }
        }
        Ok(items)
    }
}

/// A file found by [`Cache::scan`].
struct Item {
    path: PathBuf,
    kind: Kind,
    len: u64,
    mtime: SystemTime,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Entry,
    Temp,
}

/// The entries of a folder; none when it does not exist.
fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let iter = match fs::read_dir(dir) {
        Ok(iter) => iter,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in iter {
        out.push(entry.with_context(|| format!("cannot list {}", dir.display()))?);
    }
    Ok(out)
}

/// The key an entry file claims by its name, checked against its folder.
fn check_entry_file(path: &Path) -> Result<String, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let key = name.strip_suffix(ENTRY_SUFFIX).unwrap_or(name);
    if !is_key(key) {
        return Err(format!(
            "the file name is not a cache key: {:?}",
            sanitize(name)
        ));
    }
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if folder != &key[..2] {
        return Err(format!(
            "the entry is in folder {:?}, not in its key's folder {:?}",
            sanitize(folder),
            &key[..2]
        ));
    }
    Ok(key.to_string())
}

/// Reads an entry's bytes without trusting it: refuses anything that is not a
/// regular file (a symlink planted in the cache is not followed) or that is
/// larger than [`MAX_ENTRY_BYTES`], even if it grows while being read.
fn read_entry(path: &Path) -> Result<Vec<u8>, ReadError> {
    let missing_or_bad = |e: io::Error| {
        if e.kind() == io::ErrorKind::NotFound {
            ReadError::Missing
        } else {
            ReadError::Bad(format!("cannot read the entry: {e}"))
        }
    };
    let meta = fs::symlink_metadata(path).map_err(missing_or_bad)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::Bad("the entry is not a regular file".into()));
    }
    let file = fs::File::open(path).map_err(missing_or_bad)?;
    let meta = file.metadata().map_err(missing_or_bad)?;
    if !meta.is_file() {
        return Err(ReadError::Bad("the entry is not a regular file".into()));
    }
    let too_big = |len: u64| {
        ReadError::Bad(format!(
            "the entry is {len} bytes, over the limit of {MAX_ENTRY_BYTES}"
        ))
    };
    if meta.len() > MAX_ENTRY_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(missing_or_bad)?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Checks an entry's bytes (header, checksum, payload, key) and returns its
/// plan. The error is a reason fit for a warning.
fn decode(bytes: &[u8], key: &str) -> Result<FilePlan, String> {
    if bytes.is_empty() {
        return Err("the entry is empty".into());
    }
    let Some(newline) = bytes
        .iter()
        .take(MAX_HEADER_LEN + 1)
        .position(|&b| b == b'\n')
    else {
        return Err("the entry has no header line".into());
    };
    let header = std::str::from_utf8(&bytes[..newline])
        .map_err(|_| "the entry's header is not text".to_string())?;
    let payload = &bytes[newline + 1..];
    let fields: Vec<&str> = header.split(' ').collect();
    let [magic, version, checksum] = fields[..] else {
        return Err(format!("malformed header {:?}", sanitize(header)));
    };
    if magic != MAGIC {
        return Err(format!(
            "not a ctinject cache entry (header {:?})",
            sanitize(header)
        ));
    }
    if version != FORMAT_VERSION.to_string() {
        return Err(format!(
            "entry format version {:?}, expected {FORMAT_VERSION}",
            sanitize(version)
        ));
    }
    if !is_key(checksum) {
        return Err(format!("malformed checksum {:?}", sanitize(checksum)));
    }
    if sha256_hex(payload) != checksum {
        return Err("checksum mismatch: the entry is corrupt or was changed".into());
    }
    let entry: EntryIn = serde_json::from_slice(payload).map_err(|e| {
        format!(
            "the payload is not a stored plan: {}",
            sanitize(&e.to_string())
        )
    })?;
    if entry.key != key {
        return Err(format!(
            "the entry was stored under another key ({})",
            sanitize(&entry.key)
        ));
    }
    Ok(entry.plan)
}

/// Deletes a bad entry (best effort) and says why it was rejected.
fn reject(path: &Path, reason: String) -> Lookup {
    let _ = fs::remove_file(path);
    Lookup::Rejected(reason)
}

/// Removes a file: `Ok(true)` when it was removed, `Ok(false)` when it was
/// already gone (a concurrent prune or clear).
fn remove(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Sets a file's modification time to now, best effort. Tries a read-only
/// handle first (enough on Unix for the file's owner), then a write handle
/// opened for appending (Windows needs write access; appending never
/// truncates, and nothing is written).
fn touch(path: &Path) {
    let now = SystemTime::now();
    if fs::File::open(path)
        .and_then(|f| f.set_modified(now))
        .is_err()
    {
        let _ = fs::OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|f| f.set_modified(now));
    }
}

/// Numbers temporary files within this process; with the process id that
/// makes their names unique among running processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a new, empty temporary file in `folder` (creating the folder),
/// named `.<key>.<pid>.<n>.tmp`. `create_new` guarantees that the file is
/// ours even if a crashed process with a recycled pid left one of that name.
fn create_temp(folder: &Path, key: &str) -> Result<(PathBuf, fs::File)> {
    let mut last_error = None;
    for _ in 0..32 {
        fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the cache folder {}", folder.display()))?;
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = folder.join(format!(".{key}.{}.{n}{TEMP_SUFFIX}", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            // Taken (a stale file), or the folder was removed by a concurrent
            // `clear` since we created it: try again.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
                ) =>
            {
                last_error = Some(e);
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", tmp.display()));
            }
        }
    }
    Err(last_error.expect("the loop ran"))
        .with_context(|| format!("cannot create a temporary file in {}", folder.display()))
}

/// Renames `from` over `to`. Atomic on Unix. On Windows, replacing a file
/// that another process is reading or replacing at the same moment can fail
/// for a short while: retry, and if another writer's entry is in place in the
/// end, that is as good as ours (same key, same bytes).
fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    let mut attempt = 0;
    loop {
        match fs::rename(from, to) {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 5 && e.kind() != io::ErrorKind::NotFound => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(5 * attempt));
            }
            Err(_) if cfg!(windows) && to.is_file() => {
                let _ = fs::remove_file(from);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// True for what [`file_key`] and sha256 produce: 64 lowercase hex digits.
/// Keys become file names, so nothing else is accepted (no `/`, no `..`).
fn is_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(is_hex_digit)
}

fn is_hex_digit(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Makes text taken from an entry safe to print in a warning: control
/// characters (terminal escapes, newlines) are escaped and the length is
/// capped.
fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX_REASON_LEN {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Insert, Point, PointKind, Unit};

    const IMPORT: &str = "import _ctinject as _ct\n";

    fn plan(tag: &str) -> FilePlan {
        let mut inserts = vec![Insert::after(12, format!("; _ct.v({tag:?}, x)"))];
        inserts.extend(Insert::wrap(4..11, "_ct.w(", ")"));
        FilePlan {
            header: vec![Insert::before(0, IMPORT)],
            units: vec![Unit {
                name: format!("f_{tag}"),
                lines: (1, 2),
                bytes: 0..20,
                inserts,
                points: vec![
                    Point::instrumented(PointKind::Function, 1),
                    Point::skipped(PointKind::Loop, 2, "a reason"),
                ],
                selected: true,
            }],
            lines_moved: 1,
            file_skipped: None,
        }
    }

    fn parts(source: &str) -> KeyParts<'_> {
        KeyParts {
            source,
            language: "python",
            rel_path: "pkg/a.py",
            runtime_ref: "_ctinject",
            config_hash: "c0ffee",
            selection: "all",
        }
    }

    fn key(source: &str) -> String {
        file_key(&parts(source))
    }

    fn accept(_: &FilePlan) -> Result<(), String> {
        Ok(())
    }

    /// The kind of check the caller does: every insert is ctinject's own
    /// telemetry (here: the import, `_ct.` calls and closing parentheses).
    fn only_telemetry(plan: &FilePlan) -> Result<(), String> {
        let all = plan
            .header
            .iter()
            .chain(plan.units.iter().flat_map(|u| &u.inserts));
        for ins in all {
            let t = ins.text.as_str();
            if !(t == IMPORT || t == ")" || t.starts_with("_ct.") || t.starts_with("; _ct.")) {
                return Err(format!("insert {t:?} is not telemetry"));
            }
        }
        Ok(())
    }

    fn new_cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache")).unwrap();
        (dir, cache)
    }

    fn set_mtime(path: &Path, t: SystemTime) {
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    fn ago(secs: u64) -> SystemTime {
        SystemTime::now() - Duration::from_secs(secs)
    }

    /// Splits an entry file into its header fields and payload.
    fn split_entry(bytes: &[u8]) -> (String, Vec<u8>) {
        let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
        (
            String::from_utf8(bytes[..nl].to_vec()).unwrap(),
            bytes[nl + 1..].to_vec(),
        )
    }

    /// Rewrites an entry's payload and recomputes its checksum, as a
    /// deliberate tamperer would.
    fn tamper(path: &Path, edit: impl FnOnce(String) -> String) {
        let (_, payload) = split_entry(&fs::read(path).unwrap());
        write_entry(path, &edit(String::from_utf8(payload).unwrap()));
    }

    /// Writes an entry with a correct header around any payload.
    fn write_entry(path: &Path, payload: &str) {
        let header = format!(
            "{MAGIC} {FORMAT_VERSION} {}\n",
            sha256_hex(payload.as_bytes())
        );
        fs::write(path, header + payload).unwrap();
    }

    fn expect_rejected(lookup: Lookup, needle: &str) -> String {
        match lookup {
            Lookup::Rejected(reason) => {
                assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
                reason
            }
            other => panic!("expected Rejected({needle:?}), got {other:?}"),
        }
    }

    #[test]
    fn file_key_changes_with_every_part_and_only_then() {
        let base = parts("def f(): pass\n");
        let k = file_key(&base);
        assert!(is_key(&k), "{k}");
        assert_eq!(k, file_key(&parts("def f(): pass\n")), "stable");
        let variants = [
            KeyParts {
                source: "def f(): pass \n",
                ..base
            },
            KeyParts {
                language: "javascript",
                ..base
            },
            KeyParts {
                rel_path: "pkg/b.py",
                ..base
            },
            KeyParts {
                runtime_ref: "..._ctinject",
                ..base
            },
            KeyParts {
                config_hash: "c0ffef",
                ..base
            },
            KeyParts {
                selection: "1-3",
                ..base
            },
        ];
        let mut seen = vec![k.clone()];
        for v in &variants {
            let kv = file_key(v);
            assert!(!seen.contains(&kv), "{v:?} did not change the key");
            seen.push(kv);
        }
        // Length prefixes: moving bytes between adjacent parts changes the key.
        let a = KeyParts {
            language: "py",
            rel_path: "thonpkg/a.py",
            ..base
        };
        let b = KeyParts {
            language: "python",
            rel_path: "pkg/a.py",
            ..base
        };
        assert_ne!(file_key(&a), file_key(&b));
    }

    #[test]
    fn open_creates_the_folder_and_a_cachedir_tag() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/b/cache");
        let cache = Cache::open(&root).unwrap();
        assert_eq!(cache.dir(), root);
        let tag = fs::read_to_string(root.join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
        // Opening again keeps an existing tag.
        fs::write(
            root.join("CACHEDIR.TAG"),
            CACHEDIR_TAG.to_owned() + "# mine\n",
        )
        .unwrap();
        Cache::open(&root).unwrap();
        assert!(fs::read_to_string(root.join("CACHEDIR.TAG"))
            .unwrap()
            .ends_with("# mine\n"));
    }

    #[test]
    fn put_then_get_round_trips_and_lays_out_files() {
        let (_d, cache) = new_cache();
        let k = key("one");
        assert!(matches!(cache.get(&k, &accept), Lookup::Miss));
        cache.put(&k, &plan("a")).unwrap();
        let path = cache
            .dir()
            .join("v1")
            .join(&k[..2])
            .join(format!("{k}.plan"));
        let (header, payload) = split_entry(&fs::read(&path).unwrap());
        assert_eq!(
            header,
            format!("ctinject-cache-plan 1 {}", sha256_hex(&payload))
        );
        assert!(payload.starts_with(format!("{{\"key\":\"{k}\",\"plan\":").as_bytes()));
        match cache.get(&k, &only_telemetry) {
            Lookup::Hit(p) => assert_eq!(p, plan("a")),
            other => panic!("{other:?}"),
        }
        // Storing again replaces the entry.
        cache.put(&k, &plan("b")).unwrap();
        match cache.get(&k, &accept) {
            Lookup::Hit(p) => assert_eq!(p, plan("b")),
            other => panic!("{other:?}"),
        }
        assert_eq!(cache.stats().unwrap().temp_files, 0);
    }

    #[test]
    fn invalid_keys_are_refused() {
        let (_d, cache) = new_cache();
        for bad in [
            "",
            "ab",
            "../../etc/passwd",
            &key("x").to_uppercase(),
            &"g".repeat(64),
        ] {
            assert!(cache.put(bad, &plan("a")).is_err(), "{bad:?}");
            expect_rejected(cache.get(bad, &accept), "not a cache key");
        }
    }

    #[test]
    fn a_hit_refreshes_the_mtime() {
        let (_d, cache) = new_cache();
        let k = key("one");
        cache.put(&k, &plan("a")).unwrap();
        let path = cache.entry_path(&k);
        set_mtime(&path, ago(30 * 86400));
        assert!(matches!(cache.get(&k, &accept), Lookup::Hit(_)));
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        assert!(mtime > ago(3600), "{mtime:?}");
    }

    #[test]
    fn a_flipped_byte_is_rejected_and_deleted() {
        let (_d, cache) = new_cache();
        let k = key("one");
        cache.put(&k, &plan("a")).unwrap();
        let path = cache.entry_path(&k);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        expect_rejected(cache.get(&k, &accept), "checksum mismatch");
        assert!(!path.exists());
        assert!(matches!(cache.get(&k, &accept), Lookup::Miss));
    }

    #[test]
    fn a_tampered_plan_with_a_valid_checksum_is_refused_by_the_check() {
        let (_d, cache) = new_cache();
        let k = key("one");
        let evil = |p: String| {
            assert!(p.contains("\"_ct.w(\""));
            p.replace("\"_ct.w(\"", "\"__import__('os').system('id') or (\"")
        };
        cache.put(&k, &plan("a")).unwrap();
        tamper(&cache.entry_path(&k), evil);
        // The cache's own checks cannot tell: the checksum was recomputed.
        match cache.get(&k, &accept) {
            Lookup::Hit(p) => assert!(only_telemetry(&p).is_err()),
            other => panic!("{other:?}"),
        }
        // The caller's check can, and the entry is dropped.
        let reason = expect_rejected(cache.get(&k, &only_telemetry), "failed its check");
        assert!(reason.contains("system"), "{reason}");
        assert!(!cache.entry_path(&k).exists());
    }

    #[test]
    fn an_entry_under_another_key_is_rejected() {
        let (_d, cache) = new_cache();
        let (k1, k2) = (key("one"), key("two"));
        cache.put(&k1, &plan("a")).unwrap();
        let to = cache.entry_path(&k2);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::rename(cache.entry_path(&k1), &to).unwrap();
        expect_rejected(cache.get(&k2, &accept), "another key");
        assert!(!to.exists());
    }

    #[test]
    fn a_wrong_magic_or_version_is_rejected() {
        let (_d, cache) = new_cache();
        let k = key("one");
        for (header, needle) in [
            ("ctinject-cache-plan 2", "format version"),
            ("ctinject-cache-plan 01", "format version"),
            ("someone-elses-cache 1", "not a ctinject cache entry"),
        ] {
            cache.put(&k, &plan("a")).unwrap();
            let path = cache.entry_path(&k);
            let (old, payload) = split_entry(&fs::read(&path).unwrap());
            let sum = old.rsplit(' ').next().unwrap().to_string();
            let mut bytes = format!("{header} {sum}\n").into_bytes();
            bytes.extend(payload);
            fs::write(&path, bytes).unwrap();
            expect_rejected(cache.get(&k, &accept), needle);
            assert!(!path.exists());
        }
    }

    #[test]
    fn truncated_empty_and_garbage_entries_are_rejected() {
        let (_d, cache) = new_cache();
        let k = key("one");
        cache.put(&k, &plan("a")).unwrap();
        let path = cache.entry_path(&k);
        let good = fs::read(&path).unwrap();
        let cases: [(&[u8], &str); 6] = [
            (&good[..good.len() - 10], "checksum mismatch"),
            (&good[..40], "no header line"),
            (b"", "empty"),
            (b"\xff\xfe\x00garbage\n\x01\x02", "not text"),
            (&[b'x'; 4096], "no header line"),
            (b"ctinject-cache-plan 1 xyz\n{}", "malformed checksum"),
        ];
        for (bytes, needle) in cases {
            fs::write(&path, bytes).unwrap();
            expect_rejected(cache.get(&k, &accept), needle);
            assert!(!path.exists(), "{needle}");
        }
        // A valid checksum over a payload that is not a plan.
        for payload in [
            "{\"key\":1}".to_string(),
            "[1,2,3".to_string(),
            format!("{{\"key\":\"{k}\",\"plan\":{{\"header\":[],\"units\":7}}}}"),
            format!("{{\"key\":\"{k}\",\"plan\":{}}}", "[".repeat(10_000)),
            // Unknown fields are refused.
            format!("{{\"key\":\"{k}\",\"plan\":{{\"header\":[],\"units\":[],\"lines_moved\":0}},\"run\":\"x\"}}"),
        ] {
            write_entry(&path, &payload);
            expect_rejected(cache.get(&k, &accept), "not a stored plan");
            assert!(!path.exists());
        }
        // The same payload with a complete plan is accepted.
        write_entry(
            &path,
            &format!(
                "{{\"key\":\"{k}\",\"plan\":{{\"header\":[],\"units\":[],\"lines_moved\":0}}}}"
            ),
        );
        assert!(matches!(cache.get(&k, &accept), Lookup::Hit(p) if p == FilePlan::default()));
    }

    #[test]
    fn oversized_entries_and_non_files_are_rejected() {
        let (_d, cache) = new_cache();
        let k = key("one");
        cache.put(&k, &plan("a")).unwrap();
        let path = cache.entry_path(&k);
        // Sparse on most file systems: costs no disk.
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(MAX_ENTRY_BYTES + 1)
            .unwrap();
        expect_rejected(cache.get(&k, &accept), "over the limit");
        assert!(!path.exists());
        fs::create_dir(&path).unwrap();
        expect_rejected(cache.get(&k, &accept), "not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_entry_is_not_followed() {
        let (d, cache) = new_cache();
        let k = key("one");
        cache.put(&k, &plan("a")).unwrap();
        // A valid entry elsewhere, linked into the cache.
        let outside = d.path().join("elsewhere.plan");
        fs::rename(cache.entry_path(&k), &outside).unwrap();
        std::os::unix::fs::symlink(&outside, cache.entry_path(&k)).unwrap();
        assert_eq!(
            cache.stats().unwrap().entries,
            0,
            "symlinks are not entries"
        );
        expect_rejected(cache.get(&k, &accept), "not a regular file");
        assert!(fs::symlink_metadata(cache.entry_path(&k)).is_err());
        assert!(outside.exists(), "the link's target is left alone");
    }

    #[test]
    fn concurrent_writers_all_succeed_and_leave_valid_entries() {
        let (_d, cache) = new_cache();
        let shared = key("shared");
        std::thread::scope(|s| {
            for t in 0..8 {
                let (cache, shared) = (&cache, &shared);
                s.spawn(move || {
                    let own = key(&format!("own {t}"));
                    for i in 0..25 {
                        cache.put(shared, &plan("shared")).unwrap();
                        cache.put(&own, &plan(&format!("{t}"))).unwrap();
                        cache.put(&key(&format!("{t} {i}")), &plan("x")).unwrap();
                        match cache.get(shared, &accept) {
                            Lookup::Hit(p) => assert_eq!(p, plan("shared")),
                            other => panic!("thread {t}: {other:?}"),
                        }
                    }
                });
            }
        });
        assert!(matches!(cache.get(&shared, &accept), Lookup::Hit(p) if p == plan("shared")));
        for t in 0..8 {
            let own = key(&format!("own {t}"));
            assert!(
                matches!(cache.get(&own, &accept), Lookup::Hit(p) if p == plan(&format!("{t}")))
            );
        }
        let stats = cache.stats().unwrap();
        assert_eq!((stats.entries, stats.temp_files), (1 + 8 + 8 * 25, 0));
        assert!(cache.verify().unwrap().bad.is_empty());
    }

    #[test]
    fn prune_by_age_removes_unused_entries_and_stale_temp_files() {
        let (_d, cache) = new_cache();
        let keys: Vec<String> = (0..3).map(|i| key(&i.to_string())).collect();
        for (k, age_days) in keys.iter().zip([10, 2, 0]) {
            cache.put(k, &plan("a")).unwrap();
            set_mtime(&cache.entry_path(k), ago(age_days * 86400 + 60));
        }
        let folder = cache.entry_path(&keys[0]).parent().unwrap().to_path_buf();
        let (stale, fresh) = (folder.join(".x.1.1.tmp"), folder.join(".x.1.2.tmp"));
        fs::write(&stale, "ab").unwrap();
        fs::write(&fresh, "abc").unwrap();
        set_mtime(&stale, ago(2 * 3600));
        let len0 = fs::metadata(cache.entry_path(&keys[0])).unwrap().len();
        let stats = cache
            .prune(Some(Duration::from_secs(7 * 86400)), None)
            .unwrap();
        assert_eq!(
            stats,
            PruneStats {
                removed: 2,
                freed_bytes: len0 + 2,
                kept: 2
            }
        );
        assert!(matches!(cache.get(&keys[0], &accept), Lookup::Miss));
        assert!(matches!(cache.get(&keys[1], &accept), Lookup::Hit(_)));
        assert!(!stale.exists() && fresh.exists());
        // Nothing more to do.
        let again = cache
            .prune(Some(Duration::from_secs(7 * 86400)), None)
            .unwrap();
        assert_eq!((again.removed, again.kept), (0, 2));
    }

    #[test]
    fn prune_by_size_removes_the_oldest_first() {
        let (_d, cache) = new_cache();
        let keys: Vec<String> = (0..4).map(|i| key(&i.to_string())).collect();
        // Stored in order 2, 0, 3, 1 (oldest first).
        for (k, age) in keys.iter().zip([300, 100, 400, 200]) {
            cache.put(k, &plan("a")).unwrap();
            set_mtime(&cache.entry_path(k), ago(age));
        }
        let len = fs::metadata(cache.entry_path(&keys[0])).unwrap().len();
        assert_eq!(cache.stats().unwrap().bytes, 4 * len);
        let stats = cache.prune(None, Some(2 * len + len / 2)).unwrap();
        assert_eq!(
            stats,
            PruneStats {
                removed: 2,
                freed_bytes: 2 * len,
                kept: 2
            }
        );
        let present: Vec<bool> = keys.iter().map(|k| cache.entry_path(k).exists()).collect();
        assert_eq!(present, [false, true, false, true]);
        // A limit already met (exactly, or with room) removes nothing; zero
        // removes everything.
        assert_eq!(cache.prune(None, Some(2 * len)).unwrap().removed, 0);
        assert_eq!(cache.prune(None, Some(10 * len)).unwrap().removed, 0);
        assert_eq!(cache.prune(None, Some(0)).unwrap().kept, 0);
        assert_eq!(cache.stats().unwrap().entries, 0);
    }

    #[test]
    fn stats_counts_entries_bytes_times_and_temp_files() {
        let (_d, cache) = new_cache();
        assert_eq!(cache.stats().unwrap(), Stats::default());
        let (k1, k2) = (key("one"), key("two"));
        cache.put(&k1, &plan("a")).unwrap();
        cache.put(&k2, &plan("bb")).unwrap();
        let (t1, t2) = (ago(5000), ago(10));
        set_mtime(&cache.entry_path(&k1), t1);
        set_mtime(&cache.entry_path(&k2), t2);
        let temp = cache.entry_path(&k1).parent().unwrap().join(".t.1.1.tmp");
        fs::write(&temp, "x").unwrap();
        // Not ours: ignored.
        fs::write(cache.dir().join("v1/notes.txt"), "x").unwrap();
        fs::create_dir_all(cache.dir().join("v1/zz")).unwrap();
        fs::write(cache.dir().join("v1/zz/a.plan"), "x").unwrap();
        let bytes = fs::metadata(cache.entry_path(&k1)).unwrap().len()
            + fs::metadata(cache.entry_path(&k2)).unwrap().len();
        let stats = cache.stats().unwrap();
        assert_eq!(
            stats,
            Stats {
                entries: 2,
                bytes,
                oldest: Some(t1),
                newest: Some(t2),
                temp_files: 1
            }
        );
    }

    #[test]
    fn clear_removes_entries_and_temp_files_and_the_cache_still_works() {
        let (_d, cache) = new_cache();
        for i in 0..3 {
            cache.put(&key(&i.to_string()), &plan("a")).unwrap();
        }
        let folder = cache.entry_path(&key("0")).parent().unwrap().to_path_buf();
        fs::write(folder.join(".x.1.1.tmp"), "x").unwrap();
        let other_version = cache.dir().join("v2/ab/x.plan");
        fs::create_dir_all(other_version.parent().unwrap()).unwrap();
        fs::write(&other_version, "x").unwrap();
        assert_eq!(cache.clear().unwrap(), 4);
        assert_eq!(cache.stats().unwrap(), Stats::default());
        assert!(matches!(cache.get(&key("0"), &accept), Lookup::Miss));
        assert!(!folder.exists(), "empty fan-out folders are removed");
        assert!(other_version.exists() && cache.dir().join("CACHEDIR.TAG").exists());
        cache.put(&key("0"), &plan("a")).unwrap();
        assert!(matches!(cache.get(&key("0"), &accept), Lookup::Hit(_)));
        assert_eq!(cache.clear().unwrap(), 1);
        assert_eq!(cache.clear().unwrap(), 0);
    }

    #[test]
    fn verify_finds_and_removes_bad_entries() {
        let (_d, cache) = new_cache();
        let keys: Vec<String> = (0..4).map(|i| key(&i.to_string())).collect();
        for k in &keys {
            cache.put(k, &plan("a")).unwrap();
        }
        // Corrupt: a flipped byte.
        let corrupt = cache.entry_path(&keys[0]);
        let mut bytes = fs::read(&corrupt).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x20;
        fs::write(&corrupt, bytes).unwrap();
        // Renamed to another key in its own folder.
        let renamed = cache.entry_path(&keys[1]);
        let wrong_key = format!("{}{}", &keys[1][..2], "0".repeat(62));
        let renamed_to = renamed.with_file_name(format!("{wrong_key}.plan"));
        fs::rename(&renamed, &renamed_to).unwrap();
        // In the wrong fan-out folder.
        let misplaced = cache.entry_path(&keys[2]);
        let other = if &keys[2][..2] == "00" { "01" } else { "00" };
        let misplaced_to = cache
            .dir()
            .join("v1")
            .join(other)
            .join(format!("{}.plan", keys[2]));
        fs::create_dir_all(misplaced_to.parent().unwrap()).unwrap();
        fs::rename(&misplaced, &misplaced_to).unwrap();
        // Not a key at all.
        let junk = cache.dir().join("v1").join(other).join("junk.plan");
        fs::write(&junk, "x").unwrap();

        let report = cache.verify().unwrap();
        assert_eq!(report.checked, 5);
        let mut reasons: Vec<(String, String)> = report.bad.clone();
        reasons.sort();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        let find = |p: &Path| {
            let rel = p
                .strip_prefix(cache.dir())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            reasons
                .iter()
                .find(|(name, _)| *name == rel)
                .unwrap_or_else(|| panic!("{rel} not in {reasons:?}"))
                .1
                .clone()
        };
        assert!(find(&corrupt).contains("checksum mismatch"));
        assert!(find(&renamed_to).contains("another key"));
        assert!(find(&misplaced_to).contains("not in its key's folder"));
        assert!(find(&junk).contains("not a cache key"));
        for p in [&corrupt, &renamed_to, &misplaced_to, &junk] {
            assert!(!p.exists(), "{}", p.display());
        }
        assert!(matches!(cache.get(&keys[3], &accept), Lookup::Hit(_)));
        let again = cache.verify().unwrap();
        assert_eq!((again.checked, again.bad.len()), (1, 0));
    }

    #[test]
    fn sanitize_escapes_control_characters_and_caps_length() {
        assert_eq!(sanitize("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(sanitize(&"x".repeat(1000)).len(), MAX_REASON_LEN + 3);
    }
}
