//! One run of the pipeline over the files below a root: discover, read,
//! parse, plan, apply, validate (in parallel, one parser per thread), then
//! emit and report.

use crate::cache::{self, Cache, KeyParts, Lookup};
use crate::config::Config;
use crate::discover::{self, Candidate, Selection};
use crate::emit::{self, Rewrite};
use crate::engine::{
    candidate_segments, edit_tree, error_ranges, instrument, segment_bounds, select_part,
    split_bom, Part,
};
use crate::git::{self, DiffRequest, FileChange};
use crate::lang::{self, Language, Layout, PlanContext};
use crate::report::{FileReport, KindCounts, Output, Report};
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Validation re-parses incrementally when there is less than one insert per
/// this many bytes. On the standard library an incremental re-parse cost 0.6
/// of a full one at one insert per 2,700 bytes, 0.85 at one per 650, and more
/// than a full one (tree copy included) at one per 120 (everything).
const SPARSE_INSERT_BYTES: usize = 1000;

/// Where the output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputChoice {
    /// A complete, runnable copy of the root.
    Dir(PathBuf),
    /// A unified diff (`-` for standard output).
    Patch(PathBuf),
    /// Rewrite the files themselves.
    InPlace,
    /// Only report.
    DryRun,
    /// `.ctinject/out` at the top of the repository (or of the root).
    Default,
}

/// Everything one run needs.
#[derive(Clone, Debug)]
pub struct Job {
    pub paths: Vec<PathBuf>,
    pub output: OutputChoice,
    pub config: Config,
    /// Extra globs from the command line, on top of the configuration's.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub jobs: usize,
    pub progress: bool,
    /// No warnings or notes on standard error (`-q`: nothing but errors).
    pub quiet: bool,
    /// In place: rewrite files with uncommitted changes too.
    pub force: bool,
    /// Stop after parsing (the baseline of `ci/bench`).
    pub parse_only: bool,
    /// Git-aware selection (`--since`, `--staged`, `--diff-file`): only the
    /// changed functions are instrumented.
    pub selection: Option<DiffRequest>,
    /// Where plans are cached.
    pub cache: CacheChoice,
    /// Files in a language without a planner: sent to a language model, or not.
    pub llm: crate::fallback::Choice,
}

/// Where the plan cache lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheChoice {
    Off,
    Dir(PathBuf),
    /// `CTINJECT_CACHE_DIR`, else `cache` beside the default output folder
    /// (`.ctinject/cache`, or `target/ctinject/cache` in a Cargo workspace).
    Default,
}

/// The cache folder for `choice`, given the top of the git work tree
/// holding the root (None outside one) and the root.
///
/// The default is `CTINJECT_CACHE_DIR`; else, in a git repository, `cache`
/// beside the default output (`.ctinject/cache` at the top, which ignores
/// itself, or `target/ctinject/cache` in a Cargo workspace); outside one,
/// the user's cache folder (`$XDG_CACHE_HOME/ctinject`, `~/.cache/ctinject`),
/// so that instrumenting a plain folder never writes into it.
pub fn cache_dir(choice: &CacheChoice, repo_top: Option<&Path>, root: &Path) -> Option<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match choice {
        CacheChoice::Off => None,
        CacheChoice::Dir(d) => {
            // `--cache-dir .ctinject/cache` ignores itself like the default.
            if let Some(parent) = d.parent() {
                emit::ignore_itself(parent);
            }
            Some(d.clone())
        }
        CacheChoice::Default => {
            if let Some(d) = env("CTINJECT_CACHE_DIR") {
                return Some(d);
            }
            if let Some(repo_top) = repo_top {
                let out = emit::default_out_dir(repo_top, root);
                let top = out.parent().unwrap_or(repo_top).to_path_buf();
                emit::ignore_itself(&top);
                return Some(top.join("cache"));
            }
            let user = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")));
            Some(user.unwrap_or_else(std::env::temp_dir).join("ctinject"))
        }
    }
}

/// Cache traffic of one run.
#[derive(Default)]
struct CacheCounts {
    hits: AtomicUsize,
    misses: AtomicUsize,
    rejected: AtomicUsize,
}

/// What a file's cache key needs beyond the file itself.
struct CacheUse<'a> {
    cache: &'a Cache,
    config_hash: &'a str,
    counts: &'a CacheCounts,
}

/// One processed file.
struct Processed {
    rel: String,
    new_text: Option<Rewrite>,
    report: FileReport,
    /// The language and folder of the runtime it imports, and which
    /// runtime it asks for, when instrumented.
    runtime_dir: Option<(&'static str, String, &'static crate::runtime::Spec)>,
}

/// Resolves the paths to absolute ones and finds the root they share.
fn resolve_root(paths: &[PathBuf]) -> Result<(PathBuf, Vec<PathBuf>)> {
    let mut abs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .with_context(|| format!("{}: no such file or folder", p.display()))?;
        let c =
            std::fs::canonicalize(p).with_context(|| format!("cannot resolve {}", p.display()))?;
        if !meta.is_dir() && !meta.is_file() {
            bail!("{}: not a file or folder", p.display());
        }
        abs.push(c);
    }
    let dir_of = |p: &PathBuf| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().unwrap_or(p).to_path_buf()
        }
    };
    let mut root = dir_of(&abs[0]);
    for p in &abs[1..] {
        let d = dir_of(p);
        while !d.starts_with(&root) {
            root = root
                .parent()
                .context("the paths share no folder")?
                .to_path_buf();
        }
    }
    Ok((root, abs))
}

/// The top of the git work tree holding `dir`, resolved like `dir` (the
/// paths below it are compared with canonical ones).
pub fn repo_top(dir: &Path) -> Option<PathBuf> {
    let top = git::repo_root(dir)?;
    Some(std::fs::canonicalize(&top).unwrap_or(top))
}

/// The project's files on the disk, below `root`. What it reads is kept:
/// every JavaScript file of a folder asks for the same `package.json`s.
struct DiskLayout<'a> {
    root: &'a Path,
    read: std::sync::Mutex<HashMap<String, Option<String>>>,
}

impl Layout for DiskLayout<'_> {
    fn is_file(&self, rel: &str) -> bool {
        self.root.join(rel).is_file()
    }
    fn read(&self, rel: &str) -> Option<String> {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.entry(rel.to_string())
            .or_insert_with(|| std::fs::read_to_string(self.root.join(rel)).ok())
            .clone()
    }
    fn root_dir(&self) -> Option<PathBuf> {
        // Canonical already (resolve_root).
        Some(self.root.to_path_buf())
    }
    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A file to plan: its language, its path relative to the root, and where
/// its text comes from.
struct Source {
    lang: &'static dyn Language,
    rel: String,
    contents: Contents,
}

enum Contents {
    /// Read when its turn comes, so that only the files being worked on are
    /// in memory.
    Disk(PathBuf),
    /// Read from a git tree.
    Loaded(Vec<u8>),
    /// A symbolic link: reported, not read.
    Link(discover::Link),
}

impl From<&Candidate> for Source {
    fn from(c: &Candidate) -> Self {
        Source {
            lang: c.lang,
            rel: c.rel.clone(),
            contents: match &c.link {
                None => Contents::Disk(c.abs.clone()),
                Some(link) => Contents::Link(link.clone()),
            },
        }
    }
}

/// The files of the tree at `rev` below `root` (inside the work tree at
/// `top`) whose root-relative paths `keep` accepts, and the paths of all the
/// files below `root` in that tree, which place the runtime as they did then.
fn revision_sources(
    root: &Path,
    top: &Path,
    rev: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<(Vec<Source>, std::collections::BTreeSet<String>)> {
    let listed = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let root_rel = |repo_rel: &str| discover::relative(root, &top.join(repo_rel));
    let wanted = |repo_rel: &str| {
        let Some(rel) = root_rel(repo_rel) else {
            return false;
        };
        let keep = keep(&rel) && lang::for_path(&rel).is_some();
        listed.borrow_mut().insert(rel);
        keep
    };
    let files = git::read_tree_files(root, rev, wanted).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sources = files
        .into_iter()
        .filter_map(|(repo_rel, bytes)| {
            let rel = root_rel(&repo_rel)?;
            Some(Source {
                lang: lang::for_path(&rel)?,
                rel,
                contents: Contents::Loaded(bytes),
            })
        })
        .collect();
    Ok((sources, listed.into_inner()))
}

/// Files of at least this many bytes that parse are validated in segments
/// (see [`segmented_errors`]).
const SEGMENTED_BYTES: usize = 1 << 20;
/// The segments of a file are parsed in groups of about this many bytes: big
/// enough that a group costs far more than starting it, small enough that
/// the cores share the work evenly and a group's tree stays small.
const SEGMENT_GROUP_BYTES: usize = 256 << 10;

/// The syntax errors of `text`, parsed in `segments` (see
/// [`segment_bounds`]) that are grouped and parsed in parallel, each group's
/// tree freed as soon as its errors are read. None when the parser gave up.
fn segmented_errors(
    lang: &'static dyn Language,
    text: &str,
    segments: &[std::ops::Range<usize>],
) -> Option<Vec<std::ops::Range<usize>>> {
    use rayon::prelude::*;
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    for s in segments {
        match groups.last_mut() {
            Some(g) if g.end == s.start && g.len() < SEGMENT_GROUP_BYTES => g.end = s.end,
            _ => groups.push(s.clone()),
        }
    }
    let found: Option<Vec<Vec<std::ops::Range<usize>>>> = groups
        .par_iter()
        .map(|g| {
            // A parser of its own: this may run on a thread whose parsers a
            // file's work has taken (see [`in_parallel`]).
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).ok()?;
            let tree = parser.parse(&text[g.clone()], None)?;
            Some(
                error_ranges(&tree)
                    .into_iter()
                    .map(|e| e.start + g.start..e.end + g.start)
                    .collect(),
            )
        })
        .collect();
    found.map(|v| v.concat())
}

/// Reads, plans and instruments one file.
fn process(
    source: Source,
    display: String,
    runtime_ref: String,
    change: Option<&FileChange>,
    job: &Job,
    cache: Option<&CacheUse>,
    parser: &mut tree_sitter::Parser,
) -> (Option<Rewrite>, FileReport) {
    let lang = source.lang.name();
    let bytes = match source.contents {
        Contents::Loaded(bytes) => bytes,
        // The target is planned as itself, or not at all: never twice, and
        // never written through the link.
        Contents::Link(discover::Link::InTree(target)) => {
            let note = format!("symbolic link to {target}, which is instrumented as itself");
            return (None, FileReport::noted(display, lang, note));
        }
        Contents::Link(discover::Link::Outside(target)) => {
            let reason = format!("symbolic link to {target}, outside the folders being instrumented: not instrumented (give its folder as a PATH to instrument it)");
            return (None, FileReport::skipped(display, lang, reason));
        }
        Contents::Disk(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                let reason = format!("cannot read: {e}");
                return (None, FileReport::skipped(display, lang, reason));
            }
        },
    };
    process_bytes(
        source.lang,
        display,
        runtime_ref,
        bytes,
        change,
        job,
        cache,
        parser,
    )
}

/// The comment that waives a function: `ctinject: waive`, then the reason.
const WAIVE_MARK: &str = "ctinject: waive";

/// Waives the points left out of the functions the user waived: by a
/// `ctinject: waive` comment on a decorator line or the line the function's
/// header starts on (the first line after its decorators), or by an entry of
/// the configuration's `waive`.
fn waive(report: &mut FileReport, body: &str, config: &Config) {
    if report.functions.iter().all(|f| f.skipped.is_empty()) {
        return;
    }
    let entries = (!config.waive.is_empty())
        .then(|| crate::config::Waivers::new(&config.waive).expect("checked when read"));
    let lines: Vec<&str> = if body.contains(WAIVE_MARK) {
        body.lines().collect()
    } else {
        Vec::new()
    };
    let path = report.path.clone();
    report.waive(|f| {
        if f.name.starts_with('<') {
            return None;
        }
        let first = f.lines.0 as usize;
        let header = lines
            .iter()
            .enumerate()
            .skip(first.saturating_sub(1))
            .take(f.lines.1 as usize + 1 - first)
            .scan(false, |past_decorators, (i, line)| {
                let done = *past_decorators;
                *past_decorators = !line.trim_start().starts_with('@');
                (!done).then_some((i + 1, *line))
            });
        for (n, line) in header {
            if let Some(rest) = line.split_once(WAIVE_MARK).map(|(_, r)| r.trim()) {
                return Some(match rest {
                    "" => format!("a comment on line {n}"),
                    why => format!("a comment on line {n}: {why}"),
                });
            }
        }
        let entry = entries.as_ref()?.find(&path, &f.name)?;
        Some(format!("the configuration's waive entry {entry:?}"))
    });
}

/// Plans and instruments one file's bytes (from the disk or a git tree).
#[allow(clippy::too_many_arguments)]
fn process_bytes(
    language: &'static dyn Language,
    display: String,
    runtime_ref: String,
    bytes: Vec<u8>,
    change: Option<&FileChange>,
    job: &Job,
    cache: Option<&CacheUse>,
    parser: &mut tree_sitter::Parser,
) -> (Option<Rewrite>, FileReport) {
    let lang = language.name();
    let skip = |reason: String| (None, FileReport::skipped(display.clone(), lang, reason));
    if bytes.len() as u64 > job.config.max_file_size {
        return skip(format!(
            "larger than max_file_size ({} > {} bytes)",
            bytes.len(),
            job.config.max_file_size
        ));
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return skip("binary file (NUL byte)".into());
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return skip(format!(
                "not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ))
        }
    };
    let (bom, body) = split_bom(&text);
    // An unchanged file (same text, path, configuration, version, selection)
    // skips parsing: its checked plan comes from the cache.
    let selection = match change {
        None => "all".to_string(),
        Some(FileChange::Added) => "added".to_string(),
        Some(FileChange::Modified { lines }) => format!("{lines:?}"),
    };
    // The entry of a file whose insert positions cannot be checked on load
    // is never written (below); check_plan refuses one on a hit, so each path
    // scans the file once.
    let key = cache.filter(|_| !job.parse_only).map(|cu| {
        cache::file_key(&KeyParts {
            source: body,
            language: lang,
            rel_path: &display,
            runtime_ref: &runtime_ref,
            config_hash: cu.config_hash,
            selection: &selection,
        })
    });
    if let (Some(cu), Some(key)) = (cache, &key) {
        match cu.cache.get(key, &|plan| language.check_plan(body, plan)) {
            Lookup::Hit(plan) => {
                cu.counts.hits.fetch_add(1, Ordering::Relaxed);
                let new_text = plan.apply(body).map(|t| format!("{bom}{t}"));
                let mut report = FileReport::from_plan(display, lang, &plan, new_text.is_some());
                waive(&mut report, body, &job.config);
                return (
                    new_text.map(|new| Rewrite {
                        original: text,
                        new,
                    }),
                    report,
                );
            }
            Lookup::Miss => {
                cu.counts.misses.fetch_add(1, Ordering::Relaxed);
            }
            Lookup::Rejected(why) => {
                cu.counts.rejected.fetch_add(1, Ordering::Relaxed);
                job.warn(format_args!(
                    "{display}: cache entry dropped and rebuilt ({why})"
                ));
            }
        }
    }
    let Some(tree) = parser.parse(body, None) else {
        return skip("the parser gave up".into());
    };
    if job.parse_only {
        return skip("parse only".into());
    }
    let ctx = PlanContext {
        rel_path: display.clone(),
        runtime_ref,
        kinds: job.config.kinds(),
    };
    let mut plan = language.plan(body, &tree, &ctx);
    let errors = error_ranges(&tree);
    let touches = |first, last| change.is_some_and(|c| c.touches(first, last));
    let part = match change {
        None => Part::Whole,
        Some(FileChange::Added) => Part::New,
        Some(FileChange::Modified { .. }) => Part::Changed(&touches),
    };
    select_part(&mut plan, &tree, &errors, part);
    // Validation re-parses the result. Sparse inserts (a `--since` selection,
    // the search for a guilty unit) re-parse incrementally from the
    // original's tree. Dense ones do not: tree-sitter-python then reuses next
    // to nothing (a changed newline before a dedent makes it skip whole
    // sibling subtrees), and copying and editing the tree costs more than it
    // saves. The tree (about 30 times the source) is dropped before the
    // first full re-parse, which then reuses its memory; the search for a
    // guilty unit after that (a planner bug) re-parses in full.
    //
    // A large file that parses is re-parsed in segments instead (its
    // top-level statements, in groups), in parallel, each segment's tree
    // freed as soon as its errors are read: the time is shared by the cores,
    // and the memory is that of a few segments, not of a second whole tree.
    // The original's tree is freed meanwhile, on another thread.
    let bounds =
        (body.len() >= SEGMENTED_BYTES && errors.is_empty() && language.validates_in_segments())
            .then(|| segment_bounds(&tree, body));
    let mut original = Some(tree);
    let done = instrument(
        body,
        plan,
        &errors,
        &mut |t, inserts| match (&original, &bounds) {
            (_, Some(bounds)) => {
                if let Some(tree) = original.take() {
                    std::thread::spawn(move || drop(tree));
                }
                segmented_errors(language, t, &candidate_segments(bounds, inserts, t.len()))
            }
            (Some(tree), None) if inserts.len() * SPARSE_INSERT_BYTES < body.len() => {
                let mut old = tree.clone();
                edit_tree(&mut old, body, inserts);
                parser.parse(t, Some(&old)).map(|t| error_ranges(&t))
            }
            _ => {
                original = None;
                parser.parse(t, None).map(|t| error_ranges(&t))
            }
        },
    );
    drop(original);
    // `cache_safe` scans the whole file: asked only when there is a cache.
    if let (Some(cu), Some(key)) = (cache.filter(|_| language.cache_safe(body)), &key) {
        if let Err(e) = cu.cache.put(key, &done.plan) {
            job.warn(format_args!("cannot write to the cache: {e:#}"));
        }
    }
    let mut report = FileReport::from_plan(display, lang, &done.plan, done.text.is_some());
    waive(&mut report, body, &job.config);
    let new_text = done.text.map(|t| format!("{bom}{t}"));
    (
        new_text.map(|new| Rewrite {
            original: text,
            new,
        }),
        report,
    )
}

impl Job {
    /// A warning on standard error, unless `-q`.
    fn warn(&self, message: std::fmt::Arguments) {
        if !self.quiet {
            eprintln!("ctinject: warning: {message}");
        }
    }

    /// The include/exclude globs of the configuration and the command line.
    fn file_selection(&self) -> Result<Selection> {
        let include: Vec<String> = self
            .config
            .include
            .iter()
            .chain(&self.include)
            .cloned()
            .collect();
        let exclude: Vec<String> = self
            .config
            .exclude
            .iter()
            .chain(&self.exclude)
            .cloned()
            .collect();
        Selection::new(&include, &exclude)
    }
}

/// One thread's parsers, one per language, made on first use.
#[derive(Default)]
struct Parsers(BTreeMap<&'static str, tree_sitter::Parser>);

impl Parsers {
    fn get(&mut self, lang: &dyn Language) -> &mut tree_sitter::Parser {
        self.0.entry(lang.name()).or_insert_with(|| {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar())
                .expect("grammar version matches tree-sitter");
            p
        })
    }
}

std::thread_local! {
    /// The parsers of a worker thread of [`in_parallel`].
    static PARSERS: std::cell::Cell<Parsers> = std::cell::Cell::default();
}

/// Runs `work` over `items` on a pool of `jobs` threads, each with its own
/// parsers, and returns the results in the order of the items. With
/// `progress`, a count of finished items is kept up to date on standard
/// error. `work` may itself run things in parallel (the segments of a large
/// file, see [`segmented_errors`]): they share the pool.
fn in_parallel<T: Send, R: Send>(
    items: Vec<T>,
    jobs: usize,
    progress: bool,
    work: impl Fn(T, &mut Parsers) -> R + Sync,
) -> Vec<R> {
    use rayon::prelude::*;
    let bar = if progress {
        let bar = indicatif::ProgressBar::new(items.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("ctinject: {pos}/{len} files")
                .expect("a valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .expect("threads can be started");
    let results = pool.install(|| {
        items
            .into_par_iter()
            .map(|item| {
                // Taken out for the call (not borrowed): while `work` waits on
                // work of its own, this thread may run another item's, which
                // then makes parsers of its own.
                let mut parsers = PARSERS.take();
                let result = work(item, &mut parsers);
                PARSERS.set(parsers);
                bar.inc(1);
                result
            })
            .collect()
    });
    bar.finish_and_clear();
    results
}

/// The plan cache of this run, if any.
fn open_cache(job: &Job, repo_top: Option<&Path>, root: &Path) -> Result<Option<Cache>> {
    match cache_dir(&job.cache, repo_top, root) {
        Some(dir) if !job.parse_only => Ok(Some(Cache::open(&dir)?)),
        _ => Ok(None),
    }
}

impl<'a> CacheUse<'a> {
    fn new(
        cache: Option<&'a Cache>,
        config_hash: &'a str,
        counts: &'a CacheCounts,
    ) -> Option<Self> {
        cache.map(|cache| CacheUse {
            cache,
            config_hash,
            counts,
        })
    }
}

/// The project's points at a git revision (the merge-base, for `--max-drop`),
/// planned from the files of that tree: no checkout, and the cache serves
/// every file that has not changed since.
pub fn counts_at_revision(job: &Job, rev: &str) -> Result<KindCounts> {
    let (root, paths) = resolve_root(&job.paths)?;
    let top = repo_top(&root).context("not inside a git repository")?;
    let selection = job.file_selection()?;
    let runtime_names = lang::runtime_file_names();
    // The same files as a walk of the working tree would count.
    let (sources, layout) = revision_sources(&root, &top, rev, |rel| {
        paths.iter().any(|p| root.join(rel).starts_with(p))
            && discover::candidate_language(rel, &selection, &runtime_names).is_some()
    })?;
    let cache = open_cache(job, Some(&top), &root)?;
    let config_hash = config_hash(&job.config);
    let counts = CacheCounts::default();
    let cache_use = CacheUse::new(cache.as_ref(), &config_hash, &counts);
    let reports = in_parallel(sources, job.jobs, false, |source, parsers| {
        let display =
            discover::relative(&top, &root.join(&source.rel)).unwrap_or_else(|| source.rel.clone());
        let place = source.lang.runtime_place(&source.rel, &layout);
        let parser = parsers.get(source.lang);
        let (_, report) = process(
            source,
            display,
            place.reference,
            None,
            job,
            cache_use.as_ref(),
            parser,
        );
        report
    });
    let mut total = KindCounts::default();
    for report in &reports {
        total.merge(&report.points);
    }
    // Files only the language-model fallback could instrument count only
    // when it is on, and then as skipped (nothing is sent for a baseline).
    for rel in &layout {
        if !paths.iter().any(|p| root.join(rel).starts_with(p)) {
            continue;
        }
        if let Some(lang) =
            discover::fallback_language(rel, &selection).filter(|l| job.llm.sends(l))
        {
            let skipped = FileReport::skipped(rel.clone(), lang.name, String::new());
            total.merge(&skipped.points);
        }
    }
    Ok(total)
}

/// The hash of the configuration that shapes a file's plan, part of every
/// cache key: the point kinds turned on (what [`PlanContext`] carries). The
/// value and runtime options only shape the runtime files, written afresh on
/// every run, and the globs and size limit decide which files are planned,
/// not how; changing those keeps the cache.
fn config_hash(config: &Config) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_string(&config.kinds()).expect("point kinds serialize");
    format!("{:x}", Sha256::digest(json.as_bytes()))
}

/// Runs the pipeline and writes the output.
pub fn run(job: &Job) -> Result<Report> {
    let started = Instant::now();
    let (root, paths) = resolve_root(&job.paths)?;
    // With a selection, git decides which files and lines count as changed.
    let changes = match &job.selection {
        Some(req) => {
            let set = git::changed_lines(&root, req).map_err(|e| anyhow::anyhow!("{e}"))?;
            for note in &set.notes {
                if !job.quiet {
                    eprintln!("ctinject: note: {note}");
                }
            }
            Some(set)
        }
        None => None,
    };
    let top = repo_top(&root);
    // What paths are shown and looked up relative to: the top of the work
    // tree (for `--diff-file` outside one, the folder it was run from).
    let base = match &changes {
        Some(set) => {
            std::fs::canonicalize(&set.repo_root).unwrap_or_else(|_| set.repo_root.clone())
        }
        None => top.clone().unwrap_or_else(|| root.clone()),
    };
    let display_of =
        |rel: &str| discover::relative(&base, &root.join(rel)).unwrap_or_else(|| rel.to_string());

    // Refuse a bad output before doing any work.
    if let OutputChoice::Dir(out) = &job.output {
        emit::check_out_dir(&paths, out)?;
    }
    // With `--to`, the changed files are read from that commit, and the
    // runtime placed by its packages.
    let to = changes.as_ref().and_then(|set| set.to.as_deref());
    if to.is_some() && !matches!(job.output, OutputChoice::DryRun | OutputChoice::Patch(_)) {
        bail!("--to reads the changed files from that commit, not from the disk, so it can only report (--dry-run) or write a patch that applies to that commit (--patch FILE); to write a copy or rewrite files, check the commit out and leave --to out");
    }

    let selection = job.file_selection()?;
    let runtime_names = lang::runtime_file_names();
    let (sources, listing): (Vec<Source>, _) = match (&changes, to) {
        (Some(set), Some(to)) => {
            let (sources, listing) = revision_sources(&root, &base, to, |rel| {
                set.files.contains_key(&display_of(rel))
                    && paths.iter().any(|p| root.join(rel).starts_with(p))
                    && discover::candidate_language(rel, &selection, &runtime_names).is_some()
            })?;
            (sources, Some(listing))
        }
        // Only the changed files are read at all, and no folder is walked.
        (Some(set), None) => (
            discover::changed_candidates(
                &root,
                &paths,
                set.files.keys().map(|p| base.join(p)),
                &selection,
                &runtime_names,
            )
            .iter()
            .map(Source::from)
            .collect(),
            None,
        ),
        (None, _) => {
            let (found, problems) = discover::candidates(&root, &paths, &selection, &runtime_names);
            for (p, msg) in &problems {
                job.warn(format_args!("{p}: {msg}"));
            }
            for glob in selection.unused_includes() {
                job.warn(format_args!(
                    "the include glob {glob:?} matched no file below {} (globs are relative to that folder)",
                    root.display()
                ));
            }
            (found.iter().map(Source::from).collect(), None)
        }
    };

    let cache = open_cache(job, top.as_deref(), &root)?;
    let config_hash = config_hash(&job.config);
    let counts = CacheCounts::default();
    let cache_use = CacheUse::new(cache.as_ref(), &config_hash, &counts);

    // Plan and instrument in parallel; results land in input order.
    let disk = DiskLayout {
        root: &root,
        read: Default::default(),
    };
    let layout: &(dyn Layout + Sync) = match &listing {
        Some(files) => files,
        None => &disk,
    };
    let show_progress = job.progress && std::io::stderr().is_terminal() && sources.len() > 50;
    let results = in_parallel(sources, job.jobs, show_progress, |source, parsers| {
        let (lang, rel) = (source.lang, source.rel.clone());
        let place = lang.runtime_place(&rel, layout);
        let display = display_of(&rel);
        let change = changes.as_ref().and_then(|s| s.get(&display));
        let (new_text, report) = process(
            source,
            display,
            place.reference,
            change,
            job,
            cache_use.as_ref(),
            parsers.get(lang),
        );
        let runtime_dir = new_text
            .as_ref()
            .map(|r| (lang.name(), place.dir, lang.runtime_for(&r.new)));
        Processed {
            rel,
            new_text,
            report,
            runtime_dir,
        }
    });
    let mut changed: BTreeMap<String, Rewrite> = BTreeMap::new();
    let mut runtime_dirs: BTreeMap<(&'static str, String), &'static crate::runtime::Spec> =
        BTreeMap::new();
    let mut files: Vec<FileReport> = Vec::with_capacity(results.len());
    for p in results {
        if let Some(r) = p.new_text {
            changed.insert(p.rel, r);
        }
        if let Some((lang_name, dir, spec)) = p.runtime_dir {
            runtime_dirs
                .entry((lang_name, dir))
                .and_modify(|s| {
                    // Files that ask for different runtimes get the default.
                    if !std::ptr::eq(*s, spec) {
                        *s = lang::by_name(lang_name).expect("a language").runtime();
                    }
                })
                .or_insert(spec);
        }
        files.push(p.report);
    }

    // Languages without a planner: the language-model fallback (which reads
    // the disk, so with `--to` the changed files are only listed).
    let fallback_files: Vec<crate::fallback::Candidate> = match &changes {
        Some(set) => set
            .files
            .iter()
            .filter_map(|(shown, change)| {
                let abs = base.join(shown);
                let on_disk = to.is_some() || abs.is_file();
                if !paths.iter().any(|p| abs.starts_with(p)) || !on_disk {
                    return None;
                }
                let rel = discover::relative(&root, &abs)?;
                let lang = discover::fallback_language(&rel, &selection)?;
                Some(crate::fallback::Candidate {
                    abs,
                    display: display_of(&rel),
                    rel,
                    lang,
                    change: Some(change.clone()),
                })
            })
            .collect(),
        None => discover::fallback_candidates(&root, &paths, &selection)
            .into_iter()
            .map(|(abs, rel, lang)| crate::fallback::Candidate {
                abs,
                display: display_of(&rel),
                rel,
                lang,
                change: None,
            })
            .collect(),
    };
    let mut llm_report = None;
    let mut fallback_runtimes: BTreeMap<String, &'static str> = BTreeMap::new();
    if !fallback_files.is_empty() {
        let (done, report) = match to {
            Some(to) => {
                // As the user wrote it (`to` is the commit it names).
                let to = job
                    .selection
                    .as_ref()
                    .and_then(|d| d.to.as_deref())
                    .unwrap_or(to);
                let why = format!("--to {to}: the language-model fallback reads files from the disk, not from a commit (check {to} out and leave --to out)");
                (
                    crate::fallback::not_planned(fallback_files, &job.llm, &why),
                    None,
                )
            }
            None => crate::fallback::run(
                fallback_files,
                &job.llm,
                cache.as_ref(),
                &config_hash,
                job.progress && std::io::stderr().is_terminal(),
            ),
        };
        for d in done {
            if let Some(r) = d.rewrite {
                changed.insert(d.rel, r);
            }
            if let Some((path, text)) = d.runtime {
                fallback_runtimes.insert(path, text);
            }
            files.push(d.report);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        llm_report = report;
    }

    // Runtime files: one set per language and folder that instrumented files
    // import it from.
    let mut added: BTreeMap<String, String> = BTreeMap::new();
    // What is there now at each runtime path: on the disk, or with `--to`
    // in that commit (the patch must apply to it).
    let in_commit: BTreeMap<String, String> = match to {
        Some(to) => git::read_tree_files(&root, to, |repo_rel| {
            let name = repo_rel.rsplit('/').next().unwrap_or(repo_rel);
            runtime_names.contains(&name)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .filter_map(|(repo_rel, bytes)| {
            let rel = discover::relative(&root, &base.join(&repo_rel))?;
            Some((rel, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect(),
        None => BTreeMap::new(),
    };
    let existing = |rel: &str| match to {
        Some(_) => in_commit.get(rel).cloned(),
        None => std::fs::read_to_string(root.join(rel)).ok(),
    };
    for ((lang_name, dir), spec) in &runtime_dirs {
        let lang = lang::by_name(lang_name).expect("a language of this run");
        for (name, text) in spec.files(&job.config) {
            let rel = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if let Some(existing) = existing(&rel) {
                if !lang.runtime().is_copy(&existing) {
                    bail!(
                        "{}: a file of that name exists and is not ctinject's runtime; rename it to instrument this folder",
                        display_of(&rel)
                    );
                }
            }
            added.insert(rel, text);
        }
    }

    for (rel, text) in fallback_runtimes {
        if let Some(existing) = existing(&rel) {
            // Its header says it is ctinject's runtime.
            let ours = |t: &str| {
                t.lines()
                    .take(3)
                    .any(|l| l.contains("(written by ctinject; do not edit)"))
            };
            if !ours(&existing) {
                bail!(
                    "{}: a file of that name exists and is not ctinject's runtime; rename it to instrument these files",
                    display_of(&rel)
                );
            }
        }
        added.insert(rel, text.to_string());
    }

    let output = match &job.output {
        OutputChoice::Dir(out) => {
            emit::write_dir(&root, &paths, out, &changed, &added, false, job.jobs)?;
            Output::Dir {
                path: out.display().to_string(),
            }
        }
        OutputChoice::Default => {
            let out = emit::default_out_dir(&base, &root);
            emit::write_dir(&root, &paths, &out, &changed, &added, true, job.jobs)?;
            Output::Dir {
                path: out.display().to_string(),
            }
        }
        OutputChoice::Patch(file) => {
            emit::write_patch(&display_of, &existing, &changed, &added, file)?;
            Output::Patch {
                path: file.display().to_string(),
            }
        }
        OutputChoice::InPlace => {
            emit::write_in_place(&root, &changed, &added, job.force)?;
            Output::InPlace
        }
        OutputChoice::DryRun => Output::DryRun,
    };

    let runtime_files = added.keys().map(|r| display_of(r)).collect();
    let mut report = Report::new(
        files,
        output,
        runtime_files,
        started.elapsed().as_millis() as u64,
    );
    report.llm = llm_report;
    if let Some(set) = &changes {
        report.change_only = true;
        report.compared = crate::report::Compared {
            base: set.base.clone(),
            to: set.to.clone(),
        };
    }
    if cache.is_some() {
        report.cache = Some(crate::report::CacheReport {
            hits: counts.hits.load(Ordering::Relaxed) as u64,
            misses: counts.misses.load(Ordering::Relaxed) as u64,
            rejected: counts.rejected.load(Ordering::Relaxed) as u64,
        });
    }
    Ok(report)
}
