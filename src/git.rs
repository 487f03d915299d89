//! Which lines changed: the git side of ctinject.
//!
//! ctinject instruments only the functions a change touches. This module
//! answers the first half of that question — *which lines of which files
//! changed* — and leaves the second half (which functions contain those
//! lines) to the language modules. Everything here is read-only: it never
//! checks out, stashes, fetches or writes to the repository.
//!
//! # The base of the comparison: the merge-base
//!
//! `--since REF` does not compare against `REF` itself. It compares against
//! the **merge-base** of `REF` and `HEAD`: the newest commit that both
//! histories share, i.e. the point where the current branch forked off.
//!
//! ```text
//!           A---B---C  main (REF)
//!          /
//!     o---M---X---Y     feature (HEAD) + uncommitted edits
//! ```
//!
//! Here the merge-base is `M`, so the change is `X`, `Y` and whatever is
//! uncommitted — exactly what a pull request from `feature` into `main` would
//! show. Commits `A`, `B`, `C` made on `main` after the fork are *not* part of
//! the change, even though a plain two-dot `git diff main` would show them
//! (reversed). This is git's *three-dot* meaning (`git diff main...HEAD`),
//! the same one GitHub's pull-request view, `diff-cover` and pre-commit's
//! `--from-ref/--to-ref` use. On a pull request's synthetic merge commit,
//! pass `--since HEAD^1`: the first parent is the base branch tip, which is
//! also the merge-base.
//!
//! # What is compared with what
//!
//! | request                                   | old side                   | new side                     |
//! |-------------------------------------------|----------------------------|------------------------------|
//! | nothing                                   | `HEAD`                     | working tree (index included)|
//! | `--since REF`                             | `merge_base(REF, HEAD)`    | working tree (index included)|
//! | `--staged`                                | `HEAD` (empty if unborn)   | the index                    |
//! | `--since REF --staged`                    | `merge_base(REF, HEAD)`    | the index                    |
//! | `--since FROM` + `to: TO`                 | `merge_base(FROM, TO)`     | commit `TO`                  |
//! | `--diff-file FILE`                        | whatever made the diff     | (parsed from the text)       |
//!
//! "Working tree, index included" means both staged and unstaged edits count
//! (`git diff <base>` semantics, libgit2's `diff_tree_to_workdir_with_index`).
//! `--staged` looks at the index only, which is what a pre-commit hook is about
//! to commit; during `git commit` the hook's index may live in a temporary file
//! named by `GIT_INDEX_FILE`, and `--staged` honours that variable (a note says
//! so when it is used).
//!
//! # What counts as changed
//!
//! * A **line** is changed when it appears on the new side of a hunk as an
//!   added line (`+`). Hunks are computed with zero context lines, so a
//!   modified line shows up as one `-` and one `+` and only the `+` side — its
//!   line number in the *new* file — is kept. Lines are 1-based and reported as
//!   sorted, merged inclusive ranges: edits on lines 4, 5 and 9 give
//!   `[4..=5, 9..=9]`.
//! * Pure **deletions** leave no line on the new side; the lines just before
//!   and after the removal count as changed instead, so that a function that
//!   only lost lines is selected. A deleted file is absent from the result.
//! * A **new file** is [`FileChange::Added`]: every function in it is new. With
//!   `--include-untracked`, untracked (and not ignored) files are new files as
//!   well, including those inside untracked directories; without it they are
//!   left out, and a note in [`ChangeSet::notes`] names them so that a
//!   forgotten `git add` does not go unnoticed.
//! * **Renames** are detected (`find_similar`, the same 50 % similarity rule
//!   git uses, also between a deleted file and an untracked one when
//!   `--include-untracked` is on). A file that was only renamed or moved has no
//!   changed line and is absent; a rename plus an edit reports only the edited
//!   lines, under the new path. A function that merely moved is therefore not
//!   "changed".
//! * **Binary files** and **symbolic links** are skipped: they hold no
//!   functions. **Submodules** (and nested repositories found among untracked
//!   files) are skipped with a note in [`ChangeSet::notes`]: ctinject does not
//!   look inside them.
//! * A mode-only change (e.g. `chmod +x`) changes no line and is absent.
//!
//! Every path is relative to the repository's work-tree root and uses `/`,
//! whichever subdirectory the tool was started in.
//!
//! # Errors instead of empty diffs
//!
//! An empty result means "nothing changed", so every situation where the
//! comparison cannot be made correctly is an error ([`GitError`]) with a
//! message saying what to do: not inside a repository, a bare repository, an
//! unknown ref (with `git fetch` advice when it looks like a remote branch), a
//! shallow clone that lacks the merge-base (with the `fetch-depth: 0` fix for
//! `actions/checkout` and `git fetch --unshallow` elsewhere), unrelated
//! histories, or a malformed `--diff-file` (naming the line).
//!
//! # `--diff-file`
//!
//! A unified diff made elsewhere (`git diff`, `git format-patch`, `diff -u`)
//! is parsed here without libgit2: `diff --git` and `---`/`+++` headers (with
//! `a/`/`b/` prefixes, mnemonic `i/`/`w/` prefixes or none; `/dev/null` for
//! created and deleted files), `rename from/to` and `copy from/to` headers,
//! quoted paths with C escapes (`"b/my file\t.py"`), `@@ -a,b +c,d @@` hunks
//! (new-side lines are counted over `+` and context lines), `\ No newline at
//! end of file`, CRLF line ends and binary sections. Text before the first
//! header (a commit message) is ignored. A hunk that does not add up is an
//! error naming the line. `-` reads the diff from standard input.
//! (libgit2's `Diff::from_buffer` reads only git's own format: it refuses
//! a `diff -u` with "invalid hunk header outside patch".)

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use git2::{
    Delta, DiffFindOptions, DiffOptions, ErrorCode, FileMode, Index, ObjectType, Oid, Patch,
    Repository, StatusOptions, Tree,
};

/// What to compare. `DiffRequest::default()` compares `HEAD` with the working
/// tree (staged and unstaged edits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffRequest {
    /// `--since REF`: diff from merge_base(REF, HEAD) to the working tree
    /// (three-dot meaning, as diff-cover does).
    pub since: Option<String>,
    /// `--staged`: compare the index instead of the working tree (for
    /// pre-commit). With `since` None, base is HEAD.
    pub staged: bool,
    /// `--include-untracked`: untracked (not ignored) files count as added files.
    pub include_untracked: bool,
    /// `--diff-file FILE`: a unified diff made elsewhere (git diff output, with
    /// or without a/ b/ prefixes); no repository access needed for the diff
    /// itself. `-` reads standard input.
    pub diff_file: Option<PathBuf>,
    /// `PRE_COMMIT_FROM_REF`/`TO_REF` style explicit range: compare
    /// merge_base(since, to) with commit `to` (not the working tree). Needs
    /// `since`.
    pub to: Option<String>,
}

/// The result: which files changed, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// The work tree root (for `--diff-file` outside a repository: the start
    /// directory, made absolute).
    pub repo_root: PathBuf,
    /// Key: path relative to the repository root, with `/`.
    pub files: BTreeMap<String, FileChange>,
    /// Things worth telling the user, e.g. "submodule vendor/x skipped".
    pub notes: Vec<String>,
    /// The commit the change is measured from, as hex: the merge-base with
    /// `since`, else HEAD. None for `--diff-file` and an unborn HEAD.
    pub base: Option<String>,
    /// The commit the change goes to (`--to`), as hex. None: the working
    /// tree or the index, and the files are read from the disk.
    pub to: Option<String>,
}

impl ChangeSet {
    /// The change of one file (path relative to the repository root, `/`).
    pub fn get(&self, path: &str) -> Option<&FileChange> {
        self.files.get(path)
    }
}

/// How one file changed. Deleted files, and renamed files without edits, are
/// not represented: nothing in them changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// New file (or untracked with include_untracked): every function changed.
    Added,
    /// 1-based lines in the NEW version that were added or changed (merged,
    /// sorted, never empty).
    Modified { lines: Vec<RangeInclusive<u32>> },
}

impl FileChange {
    /// True when a changed line lies within `start..=end` (1-based, inclusive),
    /// e.g. a function's span from its first decorator to its last line.
    /// Always true for an added file.
    pub fn touches(&self, start: u32, end: u32) -> bool {
        match self {
            FileChange::Added => true,
            FileChange::Modified { lines } => {
                lines.iter().any(|r| *r.start() <= end && start <= *r.end())
            }
        }
    }
}

/// Why the changed lines could not be determined. Every message says what to
/// do about it.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `dir` is not inside a git work tree.
    #[error(
        "{} is not inside a git repository (no .git in it or any parent directory); \
         run ctinject inside a clone, or pass a diff made elsewhere with --diff-file",
        .dir.display()
    )]
    NotARepository { dir: PathBuf },
    /// The repository found has no work tree.
    #[error(
        "{} is a bare git repository: it has no work tree to compare; \
         run ctinject in a clone with a checkout",
        .path.display()
    )]
    BareRepository { path: PathBuf },
    /// libgit2 refuses to open a repository owned by another user.
    #[error(
        "git refuses to open {p}: it is owned by another user. If you trust it, run \
         `git config --global --add safe.directory {p}`",
        p = .path.display()
    )]
    UnsafeOwnership { path: PathBuf },
    /// HEAD points to a branch with no commit yet, and a commit was needed.
    #[error(
        "the repository at {} has no commit yet (HEAD is unborn), so there is no merge-base; \
         commit once, or leave out --since to treat every file as new",
        .root.display()
    )]
    UnbornHead { root: PathBuf },
    /// A revision that does not resolve; `hint` is a ready-made sentence (or empty).
    #[error(
        "unknown revision `{name}`: no branch, tag or commit of that name in this clone{}",
        if .hint.is_empty() { String::new() } else { format!(". {}", .hint) }
    )]
    UnknownRef { name: String, hint: String },
    /// Shallow clone: the merge-base of `since` and `other` is not in the local history.
    #[error(
        "cannot find the merge-base of `{since}` and {other}: this is a shallow clone and \
         the history between them is cut off. Fetch the full history: {SHALLOW_FIX}"
    )]
    Shallow { since: String, other: String },
    /// `since` and `other` share no history.
    #[error(
        "`{since}` and {other} have no common ancestor (unrelated histories), so there is \
         no merge-base to compare against; pass a ref that shares history with {other}, \
         or a diff made elsewhere with --diff-file"
    )]
    NoMergeBase { since: String, other: String },
    /// A combination of options that makes no sense.
    #[error("{0}")]
    InvalidRequest(String),
    /// A `--diff-file` that is not a well-formed unified diff.
    #[error("{}:{line}: malformed diff: {message}", .path.display())]
    MalformedDiff {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// Reading a file failed.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Any other libgit2 failure, with what was being done.
    #[error("{context}: {}", .source.message())]
    Git {
        context: String,
        source: git2::Error,
    },
}

const SHALLOW_FIX: &str = "with actions/checkout set `fetch-depth: 0`; \
     elsewhere run `git fetch --unshallow` (or `git fetch --deepen=N` until the branch point is reached)";

fn git_err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

// ---------------------------------------------------------------------------
// Opening the repository
// ---------------------------------------------------------------------------

/// Removes the trailing `/` libgit2 puts on directory paths.
fn clean_dir(path: &Path) -> PathBuf {
    path.components().collect()
}

/// Opens the repository holding `start_dir` (a file stands for the folder
/// it is in), with errors that say why not.
fn open_repo(start_dir: &Path) -> Result<Repository, GitError> {
    let start_dir = crate::discover::folder_of(start_dir);
    if !start_dir.is_dir() {
        return Err(GitError::Io {
            path: start_dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        });
    }
    Repository::discover(start_dir).map_err(|e| match e.code() {
        ErrorCode::NotFound => GitError::NotARepository {
            dir: std::path::absolute(start_dir).unwrap_or_else(|_| start_dir.to_path_buf()),
        },
        ErrorCode::Owner => GitError::UnsafeOwnership {
            path: start_dir.to_path_buf(),
        },
        _ => GitError::Git {
            context: format!("cannot open the git repository at {}", start_dir.display()),
            source: e,
        },
    })
}

/// Opens the repository and insists on a work tree; returns it with its root.
fn open_worktree_repo(start_dir: &Path) -> Result<(Repository, PathBuf), GitError> {
    let repo = open_repo(start_dir)?;
    let root = match repo.workdir() {
        Some(dir) if !repo.is_bare() => clean_dir(dir),
        _ => {
            return Err(GitError::BareRepository {
                path: clean_dir(repo.path()),
            })
        }
    };
    Ok((repo, root))
}

/// The repository root (work tree) of `start_dir`, or None when it is not in
/// a repository or the repository is bare.
pub fn repo_root(start_dir: &Path) -> Option<PathBuf> {
    open_worktree_repo(start_dir).ok().map(|(_, root)| root)
}

// ---------------------------------------------------------------------------
// Resolving revisions and the merge-base
// ---------------------------------------------------------------------------

fn head_commit(repo: &Repository) -> Result<Option<git2::Commit<'_>>, GitError> {
    match repo.head() {
        Ok(head) => head
            .peel_to_commit()
            .map(Some)
            .map_err(git_err("cannot read the commit HEAD points to")),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(git_err("cannot read HEAD")(e)),
    }
}

fn remote_names(repo: &Repository) -> Vec<String> {
    repo.remotes()
        .map(|names| names.iter().flatten().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn looks_like_hex_oid(name: &str) -> bool {
    name.len() >= 7 && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Builds the "what to do" sentence for a revision that does not resolve.
fn unknown_ref(repo: &Repository, name: &str) -> GitError {
    let remotes = remote_names(repo);
    let short = name.strip_prefix("refs/remotes/").unwrap_or(name);
    let mut hints: Vec<String> = Vec::new();
    let remote_branch = short.split_once('/').filter(|(remote, branch)| {
        !branch.is_empty()
            && (remotes.iter().any(|r| r == remote) || matches!(*remote, "origin" | "upstream"))
    });
    let plain = !name.contains(['~', '^', ':', '@', ' ']) && !looks_like_hex_oid(name);
    if let Some((remote, branch)) = remote_branch {
        hints.push(format!(
            "It looks like a branch of the remote `{remote}` that this clone has not fetched: \
             run `git fetch {remote} {branch}:refs/remotes/{remote}/{branch}`"
        ));
    } else if let Some(remote) = remotes.iter().find(|r| {
        plain
            && repo
                .find_reference(&format!("refs/remotes/{r}/{name}"))
                .is_ok()
    }) {
        hints.push(format!(
            "There is no local branch `{name}`, but there is `{remote}/{name}`: did you mean `{remote}/{name}`?"
        ));
    } else if plain && !remotes.is_empty() {
        let remote = if remotes.iter().any(|r| r == "origin") {
            "origin"
        } else {
            remotes[0].as_str()
        };
        hints.push(format!(
            "If it is a branch on the remote, run \
             `git fetch {remote} {name}:refs/remotes/{remote}/{name}` and pass `{remote}/{name}`"
        ));
    } else if looks_like_hex_oid(name) {
        hints.push(format!(
            "If it is a commit from another clone, fetch it first (`git fetch origin {name}`)"
        ));
    }
    if repo.is_shallow() {
        hints.push(format!(
            "This is a shallow clone, which usually lacks other branches and older commits: {SHALLOW_FIX}"
        ));
    }
    GitError::UnknownRef {
        name: name.to_owned(),
        hint: hints.join(". "),
    }
}

fn resolve_object<'r>(repo: &'r Repository, name: &str) -> Result<git2::Object<'r>, GitError> {
    repo.revparse_single(name).map_err(|e| match e.code() {
        ErrorCode::Ambiguous => GitError::InvalidRequest(format!(
            "revision `{name}` is ambiguous (several objects match); use a longer hash or a full ref name"
        )),
        ErrorCode::NotFound | ErrorCode::InvalidSpec => unknown_ref(repo, name),
        _ if repo.is_shallow() => unknown_ref(repo, name),
        _ => git_err(format!("cannot resolve revision `{name}`"))(e),
    })
}

fn resolve_commit<'r>(repo: &'r Repository, name: &str) -> Result<git2::Commit<'r>, GitError> {
    let object = resolve_object(repo, name)?;
    let kind = object.kind();
    object.peel_to_commit().map_err(|_| {
        GitError::InvalidRequest(format!(
            "revision `{name}` names a {}, not a commit",
            kind.map_or("non-commit object", |k| k.str())
        ))
    })
}

/// merge_base(a, b) with errors that name the shallow-clone and
/// unrelated-history cases.
fn merge_base_between(
    repo: &Repository,
    since: &str,
    since_oid: Oid,
    other: &str,
    other_oid: Oid,
) -> Result<Oid, GitError> {
    match repo.merge_base(since_oid, other_oid) {
        Ok(oid) => Ok(oid),
        Err(_) if repo.is_shallow() => Err(GitError::Shallow {
            since: since.to_owned(),
            other: other.to_owned(),
        }),
        Err(e) if e.code() == ErrorCode::NotFound => Err(GitError::NoMergeBase {
            since: since.to_owned(),
            other: other.to_owned(),
        }),
        Err(e) => Err(git_err(format!(
            "cannot compute the merge-base of `{since}` and {other}"
        ))(e)),
    }
}

fn merge_base_with_head(repo: &Repository, root: &Path, since: &str) -> Result<Oid, GitError> {
    let head = head_commit(repo)?.ok_or_else(|| GitError::UnbornHead {
        root: root.to_path_buf(),
    })?;
    let since_commit = resolve_commit(repo, since)?;
    merge_base_between(repo, since, since_commit.id(), "HEAD", head.id())
}

// ---------------------------------------------------------------------------
// changed_lines
// ---------------------------------------------------------------------------

/// Which lines of which files changed, as described in the module
/// documentation. `start_dir` is any directory inside the work tree (a file
/// stands for its directory); paths in the result are relative to the
/// repository root whichever it is.
pub fn changed_lines(start_dir: &Path, req: &DiffRequest) -> Result<ChangeSet, GitError> {
    if let Some(diff_file) = &req.diff_file {
        return changed_lines_from_diff_file(start_dir, req, diff_file);
    }
    if req.to.is_some() && req.since.is_none() {
        return Err(GitError::InvalidRequest(
            "an explicit range needs both ends: give --since FROM together with the TO ref"
                .to_owned(),
        ));
    }
    if req.to.is_some() && req.staged {
        return Err(GitError::InvalidRequest(
            "--staged compares the index, while a TO ref compares two commits: pass one of them"
                .to_owned(),
        ));
    }
    let (repo, root) = open_worktree_repo(start_dir)?;
    let index_file = if req.staged {
        std::env::var_os("GIT_INDEX_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    } else {
        None
    };
    changed_lines_in(&repo, root, req, index_file.as_deref(), Scan::Narrow)
}

fn changed_lines_from_diff_file(
    start_dir: &Path,
    req: &DiffRequest,
    diff_file: &Path,
) -> Result<ChangeSet, GitError> {
    if req.since.is_some() || req.staged || req.to.is_some() {
        return Err(GitError::InvalidRequest(
            "--diff-file cannot be combined with --since, --staged or a TO ref: \
             the diff file alone says what changed"
                .to_owned(),
        ));
    }
    let bytes = if diff_file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|source| GitError::Io {
                path: diff_file.to_path_buf(),
                source,
            })?;
        buf
    } else {
        std::fs::read(diff_file).map_err(|source| GitError::Io {
            path: diff_file.to_path_buf(),
            source,
        })?
    };
    let text = String::from_utf8_lossy(&bytes);
    let (files, mut notes) = parse_unified_diff(&text, diff_file)?;
    if req.include_untracked {
        notes.push("--include-untracked has no effect with --diff-file".to_owned());
    }
    let repo_root = repo_root(start_dir).unwrap_or_else(|| {
        let dir = crate::discover::folder_of(start_dir);
        std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
    });
    Ok(ChangeSet {
        repo_root,
        files,
        notes,
        base: None,
        to: None,
    })
}

fn tree_of<'r>(repo: &'r Repository, oid: Oid) -> Result<Tree<'r>, GitError> {
    repo.find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(git_err(format!("cannot read the tree of commit {oid}")))
}

/// How much of the working tree the diff looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Only the paths [`workdir_suspects`] names (when it can name them).
    Narrow,
    /// Every file and folder: what the narrow scan must agree with (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Whole,
}

/// The work of [`changed_lines`] once the repository is open; `index_file`
/// replaces the repository's index in staged mode (`GIT_INDEX_FILE`).
fn changed_lines_in(
    repo: &Repository,
    repo_root: PathBuf,
    req: &DiffRequest,
    index_file: Option<&Path>,
    scan: Scan,
) -> Result<ChangeSet, GitError> {
    let mut notes = Vec::new();

    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .interhunk_lines(0)
        .indent_heuristic(true);
    let workdir_mode = !req.staged && req.to.is_none();
    if workdir_mode {
        // Untracked files are always listed, so that leaving them out can be
        // said in a note; only --include-untracked looks inside them.
        opts.include_untracked(true);
        if req.include_untracked {
            opts.recurse_untracked_dirs(true)
                .show_untracked_content(true);
        }
    } else if req.include_untracked {
        notes.push(
            "--include-untracked has no effect when comparing the index or two commits".to_owned(),
        );
    }

    let mut compared = (None, None);
    let mut diff = if let (Some(since), Some(to)) = (&req.since, &req.to) {
        let since_commit = resolve_commit(repo, since)?;
        let to_commit = resolve_commit(repo, to)?;
        let base = merge_base_between(
            repo,
            since,
            since_commit.id(),
            &format!("`{to}`"),
            to_commit.id(),
        )?;
        compared = (Some(base), Some(to_commit.id()));
        let old = tree_of(repo, base)?;
        let new = to_commit
            .tree()
            .map_err(git_err(format!("cannot read the tree of `{to}`")))?;
        repo.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))
            .map_err(git_err(format!("cannot diff the merge-base with `{to}`")))?
    } else {
        let base = match &req.since {
            Some(since) => Some(merge_base_with_head(repo, &repo_root, since)?),
            None => head_commit(repo)?.map(|c| c.id()),
        };
        compared.0 = base;
        let old = base.map(|oid| tree_of(repo, oid)).transpose()?;
        if req.staged {
            let index = match index_file {
                Some(path) => {
                    notes.push(format!(
                        "comparing the index file named by GIT_INDEX_FILE ({})",
                        path.display()
                    ));
                    Some(Index::open(path).map_err(git_err(format!(
                        "cannot open the index file {} (from GIT_INDEX_FILE)",
                        path.display()
                    )))?)
                }
                None => None,
            };
            repo.diff_tree_to_index(old.as_ref(), index.as_ref(), Some(&mut opts))
                .map_err(git_err("cannot diff the index"))?
        } else {
            let suspects = match scan {
                Scan::Narrow => workdir_suspects(repo, &repo_root, old.as_ref())?,
                Scan::Whole => None,
            };
            if let Some(paths) = suspects {
                if paths.is_empty() {
                    // Nothing can differ: no diff to make.
                    return Ok(ChangeSet {
                        repo_root,
                        files: BTreeMap::new(),
                        notes,
                        base: base.map(|oid| oid.to_string()),
                        to: None,
                    });
                }
                // Exact paths (a folder stands for all below it), no globs.
                opts.disable_pathspec_match(true);
                for path in paths {
                    opts.pathspec(path);
                }
            }
            repo.diff_tree_to_workdir_with_index(old.as_ref(), Some(&mut opts))
                .map_err(git_err("cannot diff the working tree"))?
        }
    };

    let mut find = DiffFindOptions::new();
    find.renames(true)
        .rename_limit(1000)
        .for_untracked(req.include_untracked && workdir_mode);
    diff.find_similar(Some(&mut find))
        .map_err(git_err("cannot detect renames"))?;

    let mut files = BTreeMap::new();
    let mut left_out: Vec<String> = Vec::new();
    for idx in 0..diff.deltas().len() {
        let Some(delta) = diff.get_delta(idx) else {
            continue;
        };
        let status = delta.status();
        if matches!(
            status,
            Delta::Deleted | Delta::Unmodified | Delta::Ignored | Delta::Unreadable
        ) {
            continue;
        }
        let (old, new) = (delta.old_file(), delta.new_file());
        let Some(path_bytes) = new.path_bytes().or_else(|| old.path_bytes()) else {
            continue;
        };
        let path = String::from_utf8_lossy(path_bytes).into_owned();
        if status == Delta::Untracked && !req.include_untracked {
            left_out.push(path);
            continue;
        }
        if new.mode() == FileMode::Commit || old.mode() == FileMode::Commit {
            notes.push(format!(
                "submodule {path} skipped: ctinject does not look inside submodules"
            ));
            continue;
        }
        if new.mode() == FileMode::Tree || path.ends_with('/') {
            notes.push(format!(
                "nested repository {} skipped: ctinject does not look inside it",
                path.trim_end_matches('/')
            ));
            continue;
        }
        if new.mode() == FileMode::Link {
            continue;
        }
        if status == Delta::Conflicted {
            notes.push(format!("{path} has unresolved merge conflicts"));
        }
        let Some(patch) =
            Patch::from_diff(&diff, idx).map_err(git_err(format!("cannot diff {path}")))?
        else {
            continue;
        };
        let patched = patch.delta();
        if patched.flags().is_binary()
            || patched.new_file().is_binary()
            || patched.old_file().is_binary()
        {
            continue;
        }
        if matches!(status, Delta::Added | Delta::Untracked | Delta::Copied) {
            files.insert(path, FileChange::Added);
            continue;
        }
        let mut lines = Vec::new();
        for hunk in 0..patch.num_hunks() {
            let (header, count) = patch
                .hunk(hunk)
                .map_err(git_err(format!("cannot diff {path}")))?;
            lines.extend(deletion_point(
                header.old_lines(),
                header.new_start(),
                header.new_lines(),
            ));
            for i in 0..count {
                let line = patch
                    .line_in_hunk(hunk, i)
                    .map_err(git_err(format!("cannot diff {path}")))?;
                if line.origin() == '+' {
                    if let Some(n) = line.new_lineno() {
                        lines.push(n);
                    }
                }
            }
        }
        if !lines.is_empty() {
            files.insert(
                path,
                FileChange::Modified {
                    lines: to_ranges(lines),
                },
            );
        }
    }

    if !left_out.is_empty() {
        const SHOWN: usize = 3;
        let mut listed = left_out[..left_out.len().min(SHOWN)].join(", ");
        if left_out.len() > SHOWN {
            listed.push_str(&format!(" and {} more", left_out.len() - SHOWN));
        }
        notes.push(format!(
            "untracked files left out ({listed}); pass --include-untracked to count them as new files, or `git add` them"
        ));
    }
    Ok(ChangeSet {
        repo_root,
        files,
        notes,
        base: compared.0.map(|oid| oid.to_string()),
        to: compared.1.map(|oid| oid.to_string()),
    })
}

/// The paths that a diff of the working tree (index included) against `old`
/// can report, or a few more; None when they cannot be told, and the whole
/// tree is to be diffed.
///
/// This is how `git diff` keeps to the cost of one `lstat` per tracked file:
/// it trusts the stat data the index keeps for each file. A path is suspect
/// when
///
/// * the index differs from `old` there (a staged change), or its entry is a
///   conflict, an intent-to-add entry or a submodule;
/// * the file's `lstat` differs from what the index recorded (type,
///   executable bit, size, mtime, ctime, inode, owner), or it is missing, or
///   it is "racily clean": modified no earlier than the index was written, so
///   that an edit within the same clock tick would not show (libgit2's and
///   git's rule);
/// * it is not in the index: any entry of a folder that holds tracked files
///   (untracked and ignored files and folders alike; a folder that holds no
///   tracked file is named, not entered).
///
/// Each comparison is at least as strict as the one libgit2 makes before it
/// reads a file, so no path that the whole diff reports is left out; and
/// libgit2 diffs the suspects exactly as it diffs the whole tree. The change
/// set is the same either way (a test holds the two to it).
#[cfg(unix)]
fn workdir_suspects(
    repo: &Repository,
    root: &Path,
    old: Option<&Tree>,
) -> Result<Option<Vec<Vec<u8>>>, GitError> {
    use git2::{IndexEntry, IndexEntryExtendedFlag};
    use std::os::unix::fs::MetadataExt;

    let mut index = repo.index().map_err(git_err("cannot read the index"))?;
    // The index's own mtime, for the racily-clean rule.
    let Some(stamp) = index
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| (m.mtime(), m.mtime_nsec()))
    else {
        return Ok(None);
    };
    let mut suspects: Vec<Vec<u8>> = Vec::new();
    if !index_matches_tree(&mut index, old) {
        let staged = repo
            .diff_tree_to_index(old, Some(&index), None)
            .map_err(git_err("cannot diff the index"))?;
        for delta in staged.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                suspects.extend(file.path_bytes().map(<[u8]>::to_vec));
            }
        }
    }

    let entries: Vec<IndexEntry> = index.iter().collect();
    // Each path in the index, sorted byte-wise, with its entry when its stat
    // data can be trusted.
    let mut tracked: Vec<(&[u8], Option<&IndexEntry>)> = Vec::with_capacity(entries.len());
    for e in &entries {
        let stage = (e.flags >> 12) & 3;
        let extended = IndexEntryExtendedFlag::from_bits_truncate(e.flags_extended);
        let regular = matches!(e.mode, 0o100644 | 0o100755 | 0o120000);
        let trusted = stage == 0 && !extended.is_intent_to_add() && regular;
        if !trusted {
            suspects.push(e.path.clone());
        }
        tracked.push((e.path.as_slice(), trusted.then_some(e)));
    }
    tracked.sort_by(|a, b| a.0.cmp(b.0));
    // A conflict has up to three entries for one path: trust none of them.
    tracked.dedup_by(|later, first| {
        let same = later.0 == first.0;
        if same {
            first.1 = None;
        }
        same
    });
    let walk = Walk {
        root,
        tracked: &tracked,
        stamp,
    };
    let Some(found) = walk.run() else {
        return Ok(None);
    };
    suspects.extend(found);
    suspects.sort_unstable();
    suspects.dedup();
    Ok(Some(suspects))
}

/// The walk of [`workdir_suspects`] over the folders that hold tracked files.
/// (One thread: on two cores, more threads made no difference measured.)
#[cfg(unix)]
struct Walk<'a> {
    root: &'a Path,
    /// Every path of the index, sorted byte-wise, with its entry when its
    /// stat data is to be compared.
    tracked: &'a [(&'a [u8], Option<&'a git2::IndexEntry>)],
    /// The index file's mtime (seconds, nanoseconds).
    stamp: (i64, i64),
}

#[cfg(unix)]
impl Walk<'_> {
    /// The suspects the walk finds, or None when a folder cannot be read.
    fn run(&self) -> Option<Vec<Vec<u8>>> {
        let mut suspects = Vec::new();
        let mut seen = vec![false; self.tracked.len()];
        let mut folders = vec![Vec::new()];
        while let Some(folder) = folders.pop() {
            if !self.read(&folder, &mut folders, &mut suspects, &mut seen) {
                return None;
            }
        }
        // Tracked paths the walk did not meet: gone, or below a folder
        // that is something else now.
        suspects.extend(
            self.tracked
                .iter()
                .zip(&seen)
                .filter(|(_, seen)| !**seen)
                .map(|((path, _), _)| path.to_vec()),
        );
        Some(suspects)
    }

    /// Reads one folder (relative, `/`-separated, empty for the root): adds
    /// its suspects, marks the tracked paths in it as seen, and adds the
    /// folders below it to read. False when it cannot be read.
    fn read(
        &self,
        folder: &[u8],
        folders: &mut Vec<Vec<u8>>,
        suspects: &mut Vec<Vec<u8>>,
        seen: &mut [bool],
    ) -> bool {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;

        let Ok(list) = std::fs::read_dir(self.root.join(OsStr::from_bytes(folder))) else {
            return false;
        };
        for item in list {
            let Ok(item) = item else {
                return false;
            };
            let name = item.file_name();
            // libgit2 never looks at a `.git` entry, in any case.
            if name.as_bytes().eq_ignore_ascii_case(b".git") {
                continue;
            }
            let mut rel = Vec::with_capacity(folder.len() + 1 + name.len());
            rel.extend_from_slice(folder);
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(name.as_bytes());
            if let Ok(i) = self.tracked.binary_search_by(|(p, _)| (*p).cmp(&rel)) {
                seen[i] = true;
                if let Some(entry) = self.tracked[i].1 {
                    // Through the folder's handle: no lookup of the whole path.
                    if !item.metadata().is_ok_and(|m| self.same_stat(entry, &m)) {
                        suspects.push(rel);
                    }
                }
                continue;
            }
            if item.file_type().is_ok_and(|t| t.is_dir()) && self.holds_tracked(&mut rel) {
                folders.push(rel);
            } else {
                suspects.push(rel);
            }
        }
        true
    }

    /// True when a tracked path lies below the folder `rel`.
    fn holds_tracked(&self, rel: &mut Vec<u8>) -> bool {
        rel.push(b'/');
        let at = self.tracked.partition_point(|(p, _)| *p < rel.as_slice());
        let holds = self
            .tracked
            .get(at)
            .is_some_and(|(p, _)| p.starts_with(rel));
        rel.pop();
        holds
    }

    /// True when `meta` (from `lstat`) is what the index recorded for the
    /// file, and the file was not modified as late as the index was written.
    fn same_stat(&self, e: &git2::IndexEntry, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        let ty = meta.file_type();
        let mode_same = match e.mode {
            0o100644 => ty.is_file() && meta.mode() & 0o100 == 0,
            0o100755 => ty.is_file() && meta.mode() & 0o100 != 0,
            0o120000 => ty.is_symlink(),
            _ => false,
        };
        // Compared as the index stores them: 32 bits each.
        mode_same
            && e.file_size == meta.size() as u32
            && e.mtime.seconds() == meta.mtime() as i32
            && e.mtime.nanoseconds() == meta.mtime_nsec() as u32
            && e.ctime.seconds() == meta.ctime() as i32
            && e.ctime.nanoseconds() == meta.ctime_nsec() as u32
            && e.ino == meta.ino() as u32
            && e.uid == meta.uid()
            && e.gid == meta.gid()
            && (meta.mtime(), meta.mtime_nsec()) < self.stamp
    }
}

/// True when the index holds exactly the tree `old`, as its cache of tree
/// ids says (what `git commit` and `git checkout` leave behind, and what
/// `git add` invalidates along the path it adds). libgit2 answers from
/// that cache without reading a tree; when the cache cannot answer, it would
/// build the trees, and here it has only an empty in-memory object database
/// to build them in: that fails (or answers right), nothing is written to
/// the repository, and the caller diffs the index with the tree instead.
#[cfg(unix)]
fn index_matches_tree(index: &mut Index, old: Option<&Tree>) -> bool {
    let Some(old) = old else {
        return false;
    };
    let scratch = git2::Odb::new().and_then(|odb| {
        odb.add_new_mempack_backend(1)?;
        Repository::from_odb(odb)
    });
    scratch
        .and_then(|scratch| index.write_tree_to(&scratch))
        .is_ok_and(|oid| oid == old.id())
}

/// Without Unix stat data to compare, the whole tree is diffed.
#[cfg(not(unix))]
fn workdir_suspects(
    _repo: &Repository,
    _root: &Path,
    _old: Option<&Tree>,
) -> Result<Option<Vec<Vec<u8>>>, GitError> {
    Ok(None)
}

/// Sorted, merged inclusive ranges from line numbers in any order.
fn to_ranges(mut lines: Vec<u32>) -> Vec<RangeInclusive<u32>> {
    lines.sort_unstable();
    lines.dedup();
    let mut ranges: Vec<RangeInclusive<u32>> = Vec::new();
    for n in lines {
        match ranges.last_mut() {
            Some(last) if *last.end() + 1 == n => *last = *last.start()..=n,
            _ => ranges.push(n..=n),
        }
    }
    ranges
}

// ---------------------------------------------------------------------------
// dirty_paths, read_tree_files
// ---------------------------------------------------------------------------

/// Paths (relative to repo root) with uncommitted changes (staged or
/// unstaged), for refusing --in-place on dirty files. Untracked (not ignored)
/// files are included: their content exists nowhere else, so editing them in
/// place could not be undone with git. Submodules are not included.
pub fn dirty_paths(start_dir: &Path) -> Result<BTreeSet<String>, GitError> {
    let (repo, _root) = open_worktree_repo(start_dir)?;
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(git_err("cannot read the status of the working tree"))?;
    Ok(statuses
        .iter()
        .filter(|e| !e.status().is_empty() && !e.status().is_ignored())
        .map(|e| String::from_utf8_lossy(e.path_bytes()).into_owned())
        .collect())
}

/// Reads the files of the tree at `rev` (e.g. the merge-base) without a
/// checkout: every regular file whose repository-relative path passes
/// `filter`, sorted by path. Symbolic links and submodules are left out. Works
/// in bare repositories too.
pub fn read_tree_files(
    start_dir: &Path,
    rev: &str,
    filter: impl Fn(&str) -> bool,
) -> Result<Vec<(String, Vec<u8>)>, GitError> {
    let repo = open_repo(start_dir)?;
    let object = resolve_object(&repo, rev)?;
    let tree = object.peel_to_tree().map_err(|_| {
        GitError::InvalidRequest(format!(
            "revision `{rev}` names no tree (it is not a commit or a tree)"
        ))
    })?;
    let mut out = Vec::new();
    collect_tree(&repo, &tree, "", &filter, &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn collect_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    prefix: &str,
    filter: &dyn Fn(&str) -> bool,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), GitError> {
    for entry in tree.iter() {
        let path = format!("{prefix}{}", String::from_utf8_lossy(entry.name_bytes()));
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(git_err(format!("cannot read directory {path}")))?;
                collect_tree(repo, &sub, &format!("{path}/"), filter, out)?;
            }
            Some(ObjectType::Blob)
                if entry.filemode() != i32::from(FileMode::Link) && filter(&path) =>
            {
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(git_err(format!("cannot read {path}")))?;
                out.push((path, blob.content().to_vec()));
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Unified diff parsing (--diff-file)
// ---------------------------------------------------------------------------

/// One file's section of a unified diff, as far as it has been read.
#[derive(Default)]
struct Section {
    header_line: usize,
    /// The text after `diff --git `.
    git_header: Option<String>,
    minus: Option<String>,
    plus: Option<String>,
    rename_to: Option<String>,
    copy_to: Option<String>,
    new_file: bool,
    deleted: bool,
    binary: bool,
    submodule: bool,
    hunks: usize,
    lines: Vec<u32>,
}

const DEV_NULL: &str = "/dev/null";

/// The new-side lines around a hunk that only removes lines: with no added
/// line to point at, a function that lost lines is changed where they were
/// (the line before the removal and the line after it).
fn deletion_point(old_lines: u32, new_start: u32, new_lines: u32) -> Vec<u32> {
    if old_lines == 0 || new_lines > 0 {
        return Vec::new();
    }
    [new_start, new_start + 1]
        .into_iter()
        .filter(|&n| n > 0)
        .collect()
}

/// Parses a unified diff (see the module documentation) into the changed
/// files and notes. `origin` names the diff in error messages.
pub fn parse_unified_diff(
    text: &str,
    origin: &Path,
) -> Result<(BTreeMap<String, FileChange>, Vec<String>), GitError> {
    let malformed = |line: usize, message: String| GitError::MalformedDiff {
        path: origin.to_path_buf(),
        line,
        message,
    };
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if text.ends_with('\n') {
        lines.pop();
    }

    let mut sections: Vec<Section> = Vec::new();
    let mut cur: Option<Section> = None;
    // After a hunk body: a stray '+'/'-' line means the counts were wrong.
    let mut after_hunk = false;
    // Inside a `GIT binary patch` section: skip until the next file.
    let mut skipping_binary = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let ln = i + 1;

        if let Some(rest) = line.strip_prefix("diff --git ") {
            sections.extend(cur.take());
            cur = Some(Section {
                header_line: ln,
                git_header: Some(rest.to_owned()),
                ..Section::default()
            });
            after_hunk = false;
            skipping_binary = false;
            i += 1;
            continue;
        }
        if line.starts_with("diff --cc ") || line.starts_with("diff --combined ") {
            return Err(malformed(
                ln,
                "combined diffs of merge commits are not supported; \
                 make the diff with `git diff BASE...HEAD`"
                    .to_owned(),
            ));
        }
        if skipping_binary {
            i += 1;
            continue;
        }
        if line.starts_with("--- ")
            && lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("+++ "))
        {
            // A second ---/+++ pair in one section starts a new (non-git) file.
            if cur
                .as_ref()
                .is_none_or(|s| s.plus.is_some() || s.git_header.is_none())
            {
                sections.extend(cur.take());
                cur = Some(Section {
                    header_line: ln,
                    ..Section::default()
                });
            }
            let sec = cur.as_mut().expect("section just ensured");
            sec.minus = Some(parse_path_field(&line[4..]).map_err(|m| malformed(ln, m))?);
            sec.plus =
                Some(parse_path_field(&lines[i + 1][4..]).map_err(|m| malformed(ln + 1, m))?);
            after_hunk = false;
            i += 2;
            continue;
        }
        if line.starts_with("@@@") {
            return Err(malformed(
                ln,
                "combined diffs of merge commits are not supported; \
                 make the diff with `git diff BASE...HEAD`"
                    .to_owned(),
            ));
        }
        if line.starts_with("@@") {
            let Some(sec) = cur.as_mut().filter(|s| s.plus.is_some()) else {
                return Err(malformed(
                    ln,
                    "hunk header without a `---`/`+++` file header before it".to_owned(),
                ));
            };
            let (_old_start, mut old_rem, new_start, mut new_rem) = parse_hunk_header(line)
                .ok_or_else(|| {
                    malformed(
                        ln,
                        format!("bad hunk header `{line}` (expected `@@ -a,b +c,d @@`)"),
                    )
                })?;
            if new_rem > 0 && new_start == 0 {
                return Err(malformed(
                    ln,
                    format!("bad hunk header `{line}`: new lines cannot start at line 0"),
                ));
            }
            sec.hunks += 1;
            let mut new_line = new_start;
            // A change block (the lines between context lines) that only
            // removes lines changes the lines around where they were.
            let (mut removed_at, mut added) = (None, false);
            let end_block =
                |removed_at: &mut Option<u32>, added: &mut bool, lines: &mut Vec<u32>| {
                    if let Some(at) = removed_at.take() {
                        if !*added {
                            lines.extend(deletion_point(1, at, 0));
                        }
                    }
                    *added = false;
                };
            i += 1;
            while old_rem > 0 || new_rem > 0 {
                let Some(body) = lines.get(i) else {
                    return Err(malformed(
                        ln,
                        format!(
                            "the hunk starting here ends early: {old_rem} old and {new_rem} new \
                             line(s) missing (is the diff truncated?)"
                        ),
                    ));
                };
                match body.as_bytes().first() {
                    Some(b'+') => {
                        if new_rem == 0 {
                            return Err(malformed(
                                i + 1,
                                format!(
                                    "more added lines than the hunk header at line {ln} announces"
                                ),
                            ));
                        }
                        sec.lines.push(new_line);
                        new_line = new_line.saturating_add(1);
                        new_rem -= 1;
                        added = true;
                    }
                    Some(b'-') => {
                        if old_rem == 0 {
                            return Err(malformed(
                                i + 1,
                                format!("more removed lines than the hunk header at line {ln} announces"),
                            ));
                        }
                        old_rem -= 1;
                        removed_at.get_or_insert(new_line.saturating_sub(1));
                    }
                    // An empty line is a context line whose space was stripped.
                    Some(b' ') | None => {
                        if old_rem == 0 || new_rem == 0 {
                            return Err(malformed(
                                i + 1,
                                format!("more context lines than the hunk header at line {ln} announces"),
                            ));
                        }
                        old_rem -= 1;
                        new_rem -= 1;
                        end_block(&mut removed_at, &mut added, &mut sec.lines);
                        new_line = new_line.saturating_add(1);
                    }
                    Some(b'\\') => {}
                    Some(_) => {
                        return Err(malformed(
                            i + 1,
                            format!(
                                "unexpected line in the hunk that starts at line {ln} \
                                 (a hunk line starts with ' ', '+', '-' or '\\'; \
                                 {old_rem} old and {new_rem} new line(s) were still expected)"
                            ),
                        ))
                    }
                }
                i += 1;
            }
            end_block(&mut removed_at, &mut added, &mut sec.lines);
            // `\ No newline at end of file` after the last line.
            while lines.get(i).is_some_and(|l| l.starts_with('\\')) {
                i += 1;
            }
            after_hunk = true;
            continue;
        }

        if let Some(sec) = cur.as_mut() {
            if let Some(mode) = line.strip_prefix("new file mode ") {
                sec.new_file = true;
                sec.submodule |= mode.trim() == "160000";
            } else if let Some(mode) = line.strip_prefix("deleted file mode ") {
                sec.deleted = true;
                sec.submodule |= mode.trim() == "160000";
            } else if let Some(rest) = line.strip_prefix("rename to ") {
                sec.rename_to = Some(parse_path_field(rest).map_err(|m| malformed(ln, m))?);
            } else if let Some(rest) = line.strip_prefix("copy to ") {
                sec.copy_to = Some(parse_path_field(rest).map_err(|m| malformed(ln, m))?);
            } else if let Some(mode) = line
                .strip_prefix("new mode ")
                .or_else(|| line.strip_prefix("old mode "))
            {
                sec.submodule |= mode.trim() == "160000";
            } else if let Some(rest) = line.strip_prefix("index ") {
                sec.submodule |= rest.trim_end().ends_with(" 160000");
            } else if line.starts_with("Binary files ") {
                sec.binary = true;
            } else if line == "GIT binary patch" {
                sec.binary = true;
                skipping_binary = true;
            }
        }
        if after_hunk
            && (line.starts_with('+') || (line.starts_with('-') && line.trim_end() != "--"))
        {
            return Err(malformed(
                ln,
                "a '+' or '-' line outside any hunk: the hunk before it announces fewer lines than it has"
                    .to_owned(),
            ));
        }
        i += 1;
    }
    sections.extend(cur.take());

    if sections.is_empty() && !text.trim().is_empty() {
        return Err(malformed(
            1,
            "no file header (`diff --git` or `---`/`+++`) found: is this a unified diff?"
                .to_owned(),
        ));
    }

    let mut added: BTreeSet<String> = BTreeSet::new();
    let mut modified: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut notes = Vec::new();
    for sec in sections {
        if sec.deleted || sec.plus.as_deref() == Some(DEV_NULL) {
            continue;
        }
        let Some(path) = section_path(&sec) else {
            if sec.hunks > 0 {
                return Err(malformed(
                    sec.header_line,
                    "cannot tell which file this section changes".to_owned(),
                ));
            }
            continue;
        };
        if sec.submodule {
            notes.push(format!(
                "submodule {path} skipped: ctinject does not look inside submodules"
            ));
            continue;
        }
        if sec.binary {
            continue;
        }
        if sec.new_file || sec.minus.as_deref() == Some(DEV_NULL) || sec.copy_to.is_some() {
            modified.remove(&path);
            added.insert(path);
        } else if !sec.lines.is_empty() && !added.contains(&path) {
            modified.entry(path).or_default().extend(sec.lines);
        }
    }
    let mut files: BTreeMap<String, FileChange> =
        added.into_iter().map(|p| (p, FileChange::Added)).collect();
    for (path, lines) in modified {
        files.insert(
            path,
            FileChange::Modified {
                lines: to_ranges(lines),
            },
        );
    }
    Ok((files, notes))
}

/// `@@ -a[,b] +c[,d] @@ ...` → (a, b, c, d), counts defaulting to 1.
fn parse_hunk_header(line: &str) -> Option<(u32, u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |s: &str| -> Option<(u32, u32)> {
        match s.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    let (a, b) = range(old)?;
    let (c, d) = range(new)?;
    Some((a, b, c, d))
}

/// A path in a `---`/`+++`/`rename to` line: C-quoted, or raw up to a tab
/// (git adds a tab after names with spaces; `diff -u` adds a tab and a date).
fn parse_path_field(field: &str) -> Result<String, String> {
    if field.starts_with('"') {
        let (path, _) = unquote_c(field)?;
        Ok(path)
    } else {
        Ok(field.split('\t').next().unwrap_or(field).to_owned())
    }
}

/// Decodes a C-quoted string at the start of `s` (git's quoting of unusual
/// paths). Returns the string and the number of bytes consumed.
fn unquote_c(s: &str) -> Result<(String, usize), String> {
    let bytes = s.as_bytes();
    debug_assert_eq!(bytes.first(), Some(&b'"'));
    let mut out = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let Some(&esc) = bytes.get(i + 1) else { break };
                i += 2;
                match esc {
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b't' => out.push(b'\t'),
                    b'n' => out.push(b'\n'),
                    b'v' => out.push(11),
                    b'f' => out.push(12),
                    b'r' => out.push(b'\r'),
                    b'"' | b'\\' => out.push(esc),
                    b'0'..=b'7' => {
                        let digits = bytes
                            .get(i - 1..i + 2)
                            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
                        let Some(digits) = digits else {
                            return Err(format!("bad octal escape in quoted path {s}"));
                        };
                        let value = digits
                            .iter()
                            .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                        let byte = u8::try_from(value)
                            .map_err(|_| format!("bad octal escape in quoted path {s}"))?;
                        out.push(byte);
                        i += 2;
                    }
                    other => {
                        return Err(format!(
                            "unknown escape `\\{}` in quoted path {s}",
                            char::from(other)
                        ))
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err(format!("unterminated quoted path {s}"))
}

/// Splits the text after `diff --git ` into its two names, when that can be
/// done without doubt: quoted names, or unquoted names that are equal apart
/// from their prefixes.
fn split_git_header(rest: &str) -> Option<(String, String)> {
    if rest.starts_with('"') {
        let (left, used) = unquote_c(rest).ok()?;
        let right = rest[used..].strip_prefix(' ')?;
        let right = if right.starts_with('"') {
            unquote_c(right).ok()?.0
        } else {
            right.to_owned()
        };
        return Some((left, right));
    }
    if let Some(pos) = rest.find(" \"") {
        if rest.ends_with('"') {
            if let Ok((right, used)) = unquote_c(&rest[pos + 1..]) {
                if pos + 1 + used == rest.len() {
                    return Some((rest[..pos].to_owned(), right));
                }
            }
        }
    }
    let candidates = rest.match_indices(' ').map(|(i, _)| i);
    let mut fallback = None;
    for pos in candidates {
        let (left, right) = (&rest[..pos], &rest[pos + 1..]);
        if left == right || (tail(left).is_some() && tail(left) == tail(right)) {
            return Some((left.to_owned(), right.to_owned()));
        }
        fallback.get_or_insert((left.to_owned(), right.to_owned()));
    }
    // Renames with spaces are ambiguous; their `rename to` line settles it.
    if rest.matches(' ').count() == 1 {
        return fallback;
    }
    None
}

/// The part after the first `/` (the path without its prefix).
fn tail(path: &str) -> Option<&str> {
    path.split_once('/').map(|(_, rest)| rest)
}

/// Whether the `+++` name (and the header's right name) carry a prefix such
/// as `b/` that is not part of the path.
fn has_prefix(sec: &Section) -> bool {
    if let Some((left, right)) = sec.git_header.as_deref().and_then(split_git_header) {
        if left == right {
            return false;
        }
        if tail(&left).is_some() && tail(&left) == tail(&right) {
            return true;
        }
        // A rename: prefixed when both sides look like `x/...` with a one-letter prefix.
        let one_letter = |p: &str| p.split_once('/').is_some_and(|(pre, _)| pre.len() == 1);
        return one_letter(&left) && one_letter(&right);
    }
    match (sec.minus.as_deref(), sec.plus.as_deref()) {
        (Some(minus), Some(plus)) if minus != DEV_NULL => {
            minus != plus && tail(minus).is_some() && tail(minus) == tail(plus)
        }
        (_, Some(plus)) => plus.starts_with("b/"),
        _ => false,
    }
}

/// The new path of a section, without prefix; None for a deletion.
fn section_path(sec: &Section) -> Option<String> {
    if let Some(to) = sec.rename_to.as_ref().or(sec.copy_to.as_ref()) {
        return Some(to.clone());
    }
    let prefixed = has_prefix(sec);
    let strip = |p: &str| -> String {
        if prefixed {
            tail(p).unwrap_or(p).to_owned()
        } else {
            p.to_owned()
        }
    };
    match sec.plus.as_deref() {
        Some(DEV_NULL) => None,
        Some(plus) => Some(strip(plus)),
        None => {
            let (_, right) = sec.git_header.as_deref().and_then(split_git_header)?;
            Some(strip(&right))
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use tempfile::TempDir;

    /// Every message in full, as users read them: the sentences joined across
    /// the source's line breaks, the hint only when there is one, the
    /// sources' text where they have one.
    #[test]
    fn every_git_error_reads_in_full() {
        let p = || PathBuf::from("/w/shop");
        let cases: Vec<(GitError, String)> = vec![
            (
                GitError::NotARepository { dir: p() },
                "/w/shop is not inside a git repository (no .git in it or any parent \
                 directory); run ctinject inside a clone, or pass a diff made elsewhere with \
                 --diff-file"
                    .into(),
            ),
            (
                GitError::BareRepository { path: p() },
                "/w/shop is a bare git repository: it has no work tree to compare; run \
                 ctinject in a clone with a checkout"
                    .into(),
            ),
            (
                GitError::UnsafeOwnership { path: p() },
                "git refuses to open /w/shop: it is owned by another user. If you trust it, \
                 run `git config --global --add safe.directory /w/shop`"
                    .into(),
            ),
            (
                GitError::UnbornHead { root: p() },
                "the repository at /w/shop has no commit yet (HEAD is unborn), so there is no \
                 merge-base; commit once, or leave out --since to treat every file as new"
                    .into(),
            ),
            (
                GitError::UnknownRef {
                    name: "mian".into(),
                    hint: String::new(),
                },
                "unknown revision `mian`: no branch, tag or commit of that name in this clone"
                    .into(),
            ),
            (
                GitError::UnknownRef {
                    name: "mian".into(),
                    hint: "Did you mean `main`?".into(),
                },
                "unknown revision `mian`: no branch, tag or commit of that name in this \
                 clone. Did you mean `main`?"
                    .into(),
            ),
            (
                GitError::Shallow {
                    since: "main".into(),
                    other: "HEAD".into(),
                },
                format!(
                    "cannot find the merge-base of `main` and HEAD: this is a shallow clone and \
                     the history between them is cut off. Fetch the full history: {SHALLOW_FIX}"
                ),
            ),
            (
                GitError::NoMergeBase {
                    since: "main".into(),
                    other: "HEAD".into(),
                },
                "`main` and HEAD have no common ancestor (unrelated histories), so there is no \
                 merge-base to compare against; pass a ref that shares history with HEAD, or a \
                 diff made elsewhere with --diff-file"
                    .into(),
            ),
            (
                GitError::InvalidRequest("--staged and --since together".into()),
                "--staged and --since together".into(),
            ),
            (
                GitError::MalformedDiff {
                    path: "c.diff".into(),
                    line: 7,
                    message: "bad hunk".into(),
                },
                "c.diff:7: malformed diff: bad hunk".into(),
            ),
            (
                GitError::Io {
                    path: "c.diff".into(),
                    source: std::io::Error::other("gone"),
                },
                "cannot read c.diff: gone".into(),
            ),
            (
                GitError::Git {
                    context: "cannot open the index".into(),
                    source: git2::Error::from_str("locked"),
                },
                "cannot open the index: locked".into(),
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want, "{err:?}");
        }
        let io = GitError::Io {
            path: "c.diff".into(),
            source: std::io::Error::other("gone"),
        };
        assert_eq!(std::error::Error::source(&io).unwrap().to_string(), "gone");
        assert!(std::error::Error::source(&GitError::InvalidRequest(String::new())).is_none());
    }

    /// Runs the git CLI in `dir` with a configuration that ignores the host's.
    fn git_in(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=ctinject test",
                "-c",
                "user.email=test@example.invalid",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.autocrlf=false",
                "-c",
                "protocol.file.allow=always",
                "-c",
                "advice.detachedHead=false",
            ])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_OBJECT_DIRECTORY")
            .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
            .env_remove("GIT_CEILING_DIRECTORIES")
            .output()
            .expect("the git CLI runs");
        assert!(
            output.status.success(),
            "git {args:?} failed in {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    struct TestRepo {
        dir: TempDir,
    }

    impl TestRepo {
        /// An empty repository on branch `main`.
        fn new() -> Self {
            let dir = TempDir::new().unwrap();
            git_in(dir.path(), &["init", "-q"]);
            TestRepo { dir }
        }

        /// A repository whose `main` has one commit with `app.py` and `util.py`.
        fn with_base() -> Self {
            let repo = TestRepo::new();
            repo.write("app.py", APP);
            repo.write("util.py", UTIL);
            repo.commit_all("base");
            repo
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        fn git(&self, args: &[&str]) -> String {
            git_in(self.path(), args)
        }

        fn write(&self, rel: &str, content: &str) {
            let path = self.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }

        fn commit_all(&self, message: &str) {
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        }

        fn changes(&self, req: &DiffRequest) -> ChangeSet {
            changed_lines(self.path(), req).unwrap_or_else(|e| panic!("changed_lines failed: {e}"))
        }
    }

    const APP: &str = "\
def alpha():
    return 1


def beta():
    x = 2
    return x


def gamma():
    return 3
";

    const UTIL: &str = "\
import os


def helper(path):
    base = os.path.basename(path)
    stem = base.split('.')[0]
    return stem.upper()


def other():
    return 'other'
";

    fn since(r: &str) -> DiffRequest {
        DiffRequest {
            since: Some(r.to_owned()),
            ..DiffRequest::default()
        }
    }

    fn modified(ranges: &[RangeInclusive<u32>]) -> FileChange {
        FileChange::Modified {
            lines: ranges.to_vec(),
        }
    }

    fn files(pairs: &[(&str, FileChange)]) -> BTreeMap<String, FileChange> {
        pairs
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.clone()))
            .collect()
    }

    #[test]
    fn editing_one_line_of_one_function_reports_that_line_only() {
        let repo = TestRepo::with_base();
        repo.write("app.py", &APP.replace("x = 2", "x = 20"));
        let cs = repo.changes(&DiffRequest::default());
        assert_eq!(cs.files, files(&[("app.py", modified(&[6..=6]))]));
        assert!(cs.notes.is_empty(), "{:?}", cs.notes);
        assert_eq!(
            cs.repo_root.canonicalize().unwrap(),
            repo.path().canonicalize().unwrap()
        );
        let change = cs.get("app.py").unwrap();
        assert!(change.touches(5, 7), "beta (lines 5-7) is touched");
        assert!(!change.touches(1, 2), "alpha is not");
        assert!(!change.touches(10, 11), "gamma is not");
    }

    #[test]
    fn edits_in_two_functions_give_sorted_merged_ranges() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        let edited = APP
            .replace("    x = 2\n", "    x = 2\n    y = 3\n    z = 4\n")
            .replace("return 3", "return 33");
        repo.write("app.py", &edited);
        repo.commit_all("edit");
        let cs = repo.changes(&since("main"));
        assert_eq!(cs.files, files(&[("app.py", modified(&[7..=8, 13..=13]))]));
    }

    #[test]
    fn added_file_is_reported_as_added() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.write("pkg/new.py", "def fresh():\n    return 0\n");
        repo.commit_all("add");
        let cs = repo.changes(&since("main"));
        assert_eq!(cs.files, files(&[("pkg/new.py", FileChange::Added)]));
    }

    #[test]
    fn renamed_file_without_edits_is_absent() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.git(&["mv", "util.py", "helpers.py"]);
        repo.commit_all("rename");
        assert!(repo.changes(&since("main")).files.is_empty());
        // Also while the rename is only staged, and in --staged mode.
        repo.git(&["mv", "app.py", "application.py"]);
        assert!(repo.changes(&since("main")).files.is_empty());
        let staged = DiffRequest {
            staged: true,
            ..since("main")
        };
        assert!(repo.changes(&staged).files.is_empty());
    }

    #[test]
    fn rename_plus_edit_reports_only_edited_lines_under_new_path() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.git(&["mv", "util.py", "helpers.py"]);
        repo.write("helpers.py", &UTIL.replace("'other'", "'changed'"));
        // Unstaged edit on top of a staged rename: tree-to-workdir case.
        assert_eq!(
            repo.changes(&since("main")).files,
            files(&[("helpers.py", modified(&[11..=11]))])
        );
        // Staged: tree-to-index case.
        repo.git(&["add", "-A"]);
        let staged = DiffRequest {
            staged: true,
            ..since("main")
        };
        assert_eq!(
            repo.changes(&staged).files,
            files(&[("helpers.py", modified(&[11..=11]))])
        );
        // Committed.
        repo.commit_all("rename and edit");
        assert_eq!(
            repo.changes(&since("main")).files,
            files(&[("helpers.py", modified(&[11..=11]))])
        );
    }

    #[test]
    fn moved_but_not_added_file_counts_as_rename_with_include_untracked() {
        let repo = TestRepo::with_base();
        std::fs::rename(repo.path().join("util.py"), repo.path().join("moved.py")).unwrap();
        let req = DiffRequest {
            include_untracked: true,
            ..DiffRequest::default()
        };
        assert!(repo.changes(&req).files.is_empty());
    }

    #[test]
    fn deleted_file_is_absent() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.git(&["rm", "-q", "util.py"]);
        repo.commit_all("delete");
        std::fs::remove_file(repo.path().join("app.py")).unwrap();
        assert!(repo.changes(&since("main")).files.is_empty());
    }

    #[test]
    fn a_function_that_only_lost_lines_is_changed_where_they_were() {
        // Regression (review): only '+' lines counted, so deleting a line
        // from beta() selected nothing and the gate said "nothing to check".
        let repo = TestRepo::with_base();
        repo.write("app.py", &APP.replace("    x = 2\n", ""));
        // beta() is now lines 5-6; the line went between them.
        assert_eq!(
            repo.changes(&DiffRequest::default()).files,
            files(&[("app.py", modified(&[5..=6]))])
        );
        let diff = repo.git(&["diff"]);
        let (parsed, _) = parse_unified_diff(&diff, Path::new("d.diff")).unwrap();
        assert_eq!(parsed, files(&[("app.py", modified(&[5..=6]))]));
    }

    #[test]
    fn staged_mode_sees_only_the_staged_edit_default_sees_both() {
        let repo = TestRepo::with_base();
        repo.write("app.py", &APP.replace("return 1", "return 10"));
        repo.git(&["add", "app.py"]);
        repo.write("util.py", &UTIL.replace("'other'", "'unstaged'"));
        let staged = DiffRequest {
            staged: true,
            ..DiffRequest::default()
        };
        assert_eq!(
            repo.changes(&staged).files,
            files(&[("app.py", modified(&[2..=2]))])
        );
        assert_eq!(
            repo.changes(&DiffRequest::default()).files,
            files(&[
                ("app.py", modified(&[2..=2])),
                ("util.py", modified(&[11..=11]))
            ])
        );
        // A file edited again after staging: staged mode sees the staged version's lines.
        repo.write(
            "app.py",
            &APP.replace("return 1", "return 10")
                .replace("return 3", "return 30"),
        );
        assert_eq!(
            repo.changes(&staged).files,
            files(&[("app.py", modified(&[2..=2]))])
        );
        assert_eq!(
            repo.changes(&DiffRequest::default()).files["app.py"],
            modified(&[2..=2, 11..=11])
        );
    }

    #[test]
    fn staged_mode_reads_the_index_named_by_git_index_file() {
        let repo = TestRepo::with_base();
        repo.write("app.py", &APP.replace("return 1", "return 10"));
        // Stage into an alternate index, as `git commit -a` does for its hooks.
        let alt = repo.path().join(".git").join("alt-index");
        std::fs::copy(repo.path().join(".git").join("index"), &alt).unwrap();
        let status = Command::new("git")
            .current_dir(repo.path())
            .args(["add", "app.py"])
            .env("GIT_INDEX_FILE", &alt)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .status()
            .unwrap();
        assert!(status.success());
        let (git_repo, root) = open_worktree_repo(repo.path()).unwrap();
        let req = DiffRequest {
            staged: true,
            ..DiffRequest::default()
        };
        // The regular index has nothing staged ...
        assert!(
            changed_lines_in(&git_repo, root.clone(), &req, None, Scan::Narrow)
                .unwrap()
                .files
                .is_empty()
        );
        // ... the alternate one has the edit.
        let cs = changed_lines_in(&git_repo, root, &req, Some(&alt), Scan::Narrow).unwrap();
        assert_eq!(cs.files, files(&[("app.py", modified(&[2..=2]))]));
        assert!(cs.notes.iter().any(|n| n.contains("GIT_INDEX_FILE")));
    }

    #[test]
    fn untracked_files_are_absent_without_include_untracked_and_added_with_it() {
        let repo = TestRepo::with_base();
        repo.write("scratch.py", "def tmp():\n    pass\n");
        repo.write("newdir/deep/mod.py", "def deep():\n    pass\n");
        repo.write(".gitignore", "ignored.py\n");
        repo.write("ignored.py", "def nope():\n    pass\n");
        let cs = repo.changes(&DiffRequest::default());
        assert_eq!(cs.files, BTreeMap::new());
        // Leaving them out is said, not silent (directories are not walked).
        assert_eq!(
            cs.notes,
            vec![
                "untracked files left out (.gitignore, newdir/, scratch.py); pass \
                 --include-untracked to count them as new files, or `git add` them"
                    .to_owned()
            ]
        );
        let req = DiffRequest {
            include_untracked: true,
            ..DiffRequest::default()
        };
        assert_eq!(
            repo.changes(&req).files,
            files(&[
                (".gitignore", FileChange::Added),
                ("newdir/deep/mod.py", FileChange::Added),
                ("scratch.py", FileChange::Added),
            ])
        );
    }

    #[test]
    fn untracked_nested_repository_is_skipped_with_a_note() {
        let repo = TestRepo::with_base();
        let nested = repo.path().join("nested");
        std::fs::create_dir(&nested).unwrap();
        git_in(&nested, &["init", "-q"]);
        std::fs::write(nested.join("x.py"), "def x():\n    pass\n").unwrap();
        repo.write("loose.py", "def loose():\n    pass\n");
        let req = DiffRequest {
            include_untracked: true,
            ..DiffRequest::default()
        };
        let cs = repo.changes(&req);
        assert_eq!(cs.files, files(&[("loose.py", FileChange::Added)]));
        assert_eq!(
            cs.notes,
            vec!["nested repository nested skipped: ctinject does not look inside it".to_owned()]
        );
    }

    #[test]
    fn changes_on_main_after_the_branch_point_are_not_reported() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.write("app.py", &APP.replace("return 3", "return 4"));
        repo.commit_all("feature edit");
        repo.git(&["checkout", "-q", "main"]);
        repo.write("util.py", &UTIL.replace("'other'", "'main moved on'"));
        repo.write("main_only.py", "def m():\n    pass\n");
        repo.commit_all("main moves on");
        repo.git(&["checkout", "-q", "feature"]);
        let cs = repo.changes(&since("main"));
        assert_eq!(cs.files, files(&[("app.py", modified(&[11..=11]))]));
        let base = repo.git(&["merge-base", "main", "HEAD"]);
        assert_eq!(cs.base.as_deref(), Some(base.trim()));
        assert_eq!(cs.to, None);
    }

    #[test]
    fn explicit_from_to_range_compares_two_commits_not_the_working_tree() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.write("app.py", &APP.replace("return 1", "return 5"));
        repo.commit_all("one");
        let to = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
        repo.write("util.py", &UTIL.replace("'other'", "'later'"));
        repo.commit_all("two");
        repo.write("app.py", &APP.replace("return 3", "return 6"));
        let req = DiffRequest {
            to: Some(to.clone()),
            ..since("main")
        };
        let cs = repo.changes(&req);
        assert_eq!(cs.files, files(&[("app.py", modified(&[2..=2]))]));
        let base = repo.git(&["merge-base", "main", &to]);
        assert_eq!(
            (cs.base.as_deref(), cs.to.as_deref()),
            (Some(base.trim()), Some(to.as_str()))
        );
    }

    #[test]
    fn contradictory_requests_are_errors() {
        let repo = TestRepo::with_base();
        let to_without_since = DiffRequest {
            to: Some("HEAD".into()),
            ..DiffRequest::default()
        };
        let to_and_staged = DiffRequest {
            to: Some("HEAD".into()),
            staged: true,
            ..since("main")
        };
        let diff_file_and_since = DiffRequest {
            diff_file: Some(PathBuf::from("x.diff")),
            ..since("main")
        };
        for req in [to_without_since, to_and_staged, diff_file_and_since] {
            let err = changed_lines(repo.path(), &req).unwrap_err();
            assert!(matches!(err, GitError::InvalidRequest(_)), "{err}");
        }
    }

    /// Builds a repository with history on main and on a branch `other`
    /// forked early, then returns a `--depth 1` clone of `branch_args`.
    fn shallow_clone(clone_args: &[&str]) -> (TestRepo, TempDir) {
        let origin = TestRepo::with_base();
        repo_history(&origin);
        let dest = TempDir::new().unwrap();
        let url = format!("file://{}", origin.path().display());
        let mut args = vec!["clone", "-q", "--depth", "1"];
        args.extend_from_slice(clone_args);
        args.push(&url);
        args.push("clone");
        git_in(dest.path(), &args);
        (origin, dest)
    }

    fn repo_history(repo: &TestRepo) {
        repo.git(&["checkout", "-q", "-b", "other"]);
        repo.write("other.py", "def o():\n    pass\n");
        repo.commit_all("other 1");
        repo.write("other.py", "def o():\n    return 2\n");
        repo.commit_all("other 2");
        repo.git(&["checkout", "-q", "main"]);
        for n in 0..3 {
            repo.write("app.py", &APP.replace("return 1", &format!("return {n}")));
            repo.commit_all(&format!("main {n}"));
        }
    }

    #[test]
    fn shallow_clone_without_the_merge_base_names_fetch_depth_0() {
        let (_origin, dest) = shallow_clone(&["--no-single-branch"]);
        let clone = dest.path().join("clone");
        assert!(Repository::open(&clone).unwrap().is_shallow());
        let err = changed_lines(&clone, &since("origin/other")).unwrap_err();
        assert!(matches!(err, GitError::Shallow { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("fetch-depth: 0"), "{message}");
        assert!(message.contains("git fetch --unshallow"), "{message}");
    }

    #[test]
    fn shallow_single_branch_clone_asking_for_another_branch_names_fetch_depth_0() {
        // actions/checkout's default: depth 1, only the checked-out branch.
        let (_origin, dest) = shallow_clone(&[]);
        let clone = dest.path().join("clone");
        let err = changed_lines(&clone, &since("origin/other")).unwrap_err();
        assert!(matches!(err, GitError::UnknownRef { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("`origin/other`"), "{message}");
        assert!(message.contains("git fetch origin other"), "{message}");
        assert!(message.contains("fetch-depth: 0"), "{message}");
        assert!(message.contains("git fetch --unshallow"), "{message}");
    }

    #[test]
    fn unshallow_enough_clone_works() {
        // A deep enough clone of the same history finds the merge-base.
        let origin = TestRepo::with_base();
        repo_history(&origin);
        let dest = TempDir::new().unwrap();
        let url = format!("file://{}", origin.path().display());
        git_in(
            dest.path(),
            &["clone", "-q", "--no-single-branch", &url, "clone"],
        );
        let clone = dest.path().join("clone");
        let cs = changed_lines(&clone, &since("origin/other")).unwrap();
        assert_eq!(cs.files, files(&[("app.py", modified(&[2..=2]))]));
    }

    #[test]
    fn not_a_repository_error_names_the_directory() {
        let dir = TempDir::new().unwrap();
        if Repository::discover(dir.path()).is_ok() {
            // The temporary directory lives inside some repository: nothing to test here.
            return;
        }
        let err = changed_lines(dir.path(), &DiffRequest::default()).unwrap_err();
        assert!(matches!(err, GitError::NotARepository { .. }), "{err:?}");
        let canonical = dir.path().canonicalize().unwrap();
        let message = err.to_string();
        assert!(
            message.contains(&dir.path().display().to_string())
                || message.contains(&canonical.display().to_string()),
            "{message}"
        );
        assert!(message.contains("not inside a git repository"), "{message}");
        assert!(repo_root(dir.path()).is_none());
        assert!(matches!(
            dirty_paths(dir.path()),
            Err(GitError::NotARepository { .. })
        ));
    }

    #[test]
    fn bare_repository_is_an_error() {
        let dir = TempDir::new().unwrap();
        git_in(dir.path(), &["init", "-q", "--bare", "bare.git"]);
        let bare = dir.path().join("bare.git");
        let err = changed_lines(&bare, &DiffRequest::default()).unwrap_err();
        assert!(matches!(err, GitError::BareRepository { .. }), "{err:?}");
        assert!(err.to_string().contains("bare"), "{err}");
        assert!(repo_root(&bare).is_none());
        assert!(matches!(
            dirty_paths(&bare),
            Err(GitError::BareRepository { .. })
        ));
    }

    #[test]
    fn unknown_ref_is_named() {
        let repo = TestRepo::with_base();
        let err = changed_lines(repo.path(), &since("no-such-branch")).unwrap_err();
        assert!(matches!(err, GitError::UnknownRef { .. }), "{err:?}");
        assert!(err.to_string().contains("`no-such-branch`"), "{err}");
        assert!(!err.to_string().contains("fetch-depth"), "{err}");
    }

    #[test]
    fn unknown_remote_branch_suggests_git_fetch() {
        let repo = TestRepo::with_base();
        repo.git(&["remote", "add", "origin", "https://example.invalid/x.git"]);
        let err = changed_lines(repo.path(), &since("origin/main")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`origin/main`"), "{message}");
        assert!(message.contains("git fetch origin main"), "{message}");
        // A bare branch name that exists only on the remote gets a "did you mean".
        let origin = TestRepo::with_base();
        origin.git(&["branch", "develop"]);
        let dest = TempDir::new().unwrap();
        let url = format!("file://{}", origin.path().display());
        git_in(dest.path(), &["clone", "-q", &url, "clone"]);
        let err = changed_lines(&dest.path().join("clone"), &since("develop")).unwrap_err();
        assert!(err.to_string().contains("`origin/develop`"), "{err}");
    }

    #[test]
    fn unrelated_histories_have_no_merge_base() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "--orphan", "island"]);
        repo.git(&["rm", "-rq", "--cached", "."]);
        repo.write("island.py", "x = 1\n");
        repo.git(&["add", "island.py"]);
        repo.git(&["commit", "-q", "-m", "island"]);
        let err = changed_lines(repo.path(), &since("main")).unwrap_err();
        assert!(matches!(err, GitError::NoMergeBase { .. }), "{err:?}");
        assert!(err.to_string().contains("no common ancestor"), "{err}");
    }

    #[test]
    fn since_on_an_unborn_head_is_an_error_but_staged_files_are_added() {
        let repo = TestRepo::new();
        repo.write("first.py", "def f():\n    pass\n");
        repo.git(&["add", "first.py"]);
        let staged = DiffRequest {
            staged: true,
            ..DiffRequest::default()
        };
        assert_eq!(
            repo.changes(&staged).files,
            files(&[("first.py", FileChange::Added)])
        );
        assert_eq!(
            repo.changes(&DiffRequest::default()).files,
            files(&[("first.py", FileChange::Added)])
        );
        let err = changed_lines(repo.path(), &since("HEAD")).unwrap_err();
        assert!(matches!(err, GitError::UnbornHead { .. }), "{err:?}");
        assert!(err.to_string().contains("no commit yet"), "{err}");
        repo.git(&["commit", "-q", "-m", "first"]);
        repo.git(&["checkout", "-q", "--orphan", "fresh"]);
        let err = changed_lines(repo.path(), &since("main")).unwrap_err();
        assert!(matches!(err, GitError::UnbornHead { .. }), "{err:?}");
    }

    #[test]
    fn detached_head_works() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.write("app.py", &APP.replace("return 1", "return 7"));
        repo.commit_all("feature");
        repo.git(&["checkout", "-q", "--detach", "HEAD"]);
        repo.write("util.py", &UTIL.replace("import os", "import os.path"));
        let cs = repo.changes(&since("main"));
        assert_eq!(
            cs.files,
            files(&[
                ("app.py", modified(&[2..=2])),
                ("util.py", modified(&[1..=1]))
            ])
        );
    }

    #[test]
    fn subdirectory_start_dir_yields_repo_relative_paths() {
        let repo = TestRepo::with_base();
        repo.write("src/pkg/mod.py", UTIL);
        repo.commit_all("pkg");
        repo.write("src/pkg/mod.py", &UTIL.replace("'other'", "'sub'"));
        repo.write("app.py", &APP.replace("return 1", "return 8"));
        let sub = repo.path().join("src").join("pkg");
        let cs = changed_lines(&sub, &DiffRequest::default()).unwrap();
        // A file as the start point means its directory.
        assert_eq!(
            changed_lines(&sub.join("mod.py"), &DiffRequest::default()).unwrap(),
            cs
        );
        assert_eq!(
            cs.files,
            files(&[
                ("app.py", modified(&[2..=2])),
                ("src/pkg/mod.py", modified(&[11..=11]))
            ])
        );
        assert_eq!(
            cs.repo_root.canonicalize().unwrap(),
            repo.path().canonicalize().unwrap()
        );
        assert_eq!(
            repo_root(&sub).unwrap().canonicalize().unwrap(),
            repo.path().canonicalize().unwrap()
        );
        assert_eq!(
            dirty_paths(&sub).unwrap(),
            ["app.py", "src/pkg/mod.py"]
                .into_iter()
                .map(String::from)
                .collect()
        );
    }

    #[test]
    fn binary_files_and_symlinks_are_skipped() {
        let repo = TestRepo::with_base();
        std::fs::write(repo.path().join("blob.bin"), b"\x00\x01\x02binary\x00").unwrap();
        repo.commit_all("bin");
        std::fs::write(repo.path().join("blob.bin"), b"\x00\x01\x03binary\x00more").unwrap();
        std::fs::write(repo.path().join("new.bin"), b"\x00\xff\x00").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("app.py", repo.path().join("link.py")).unwrap();
        repo.git(&["add", "-A"]);
        assert!(repo.changes(&DiffRequest::default()).files.is_empty());
    }

    /// The change set as the whole working tree gives it: what the narrow
    /// scan of [`workdir_suspects`] must agree with.
    fn whole_scan(dir: &Path, req: &DiffRequest) -> ChangeSet {
        let (repo, root) = open_worktree_repo(dir).unwrap();
        changed_lines_in(&repo, root, req, None, Scan::Whole).unwrap()
    }

    /// Every kind of change at once: the narrow scan (stat data, the folders
    /// that hold tracked files) finds what the whole diff finds, notes too.
    #[test]
    fn narrow_scan_agrees_with_the_whole_working_tree() {
        let repo = TestRepo::with_base();
        let long: String = (0..40)
            .map(|i| format!("def f{i}():\n    return {i}\n\n"))
            .collect();
        repo.write(".gitignore", "*.log\nbuild/\n");
        repo.write("pkg/a.py", UTIL);
        repo.write("pkg/sub/b.py", APP);
        repo.write("gone.py", APP);
        repo.write("moved.py", &long);
        repo.write("kind.py", APP);
        repo.write("script.sh", "echo hi\n");
        repo.commit_all("more");

        repo.write("app.py", &APP.replace("return 1", "return 10"));
        repo.write("util.py", &UTIL.replace("'other'", "'staged'"));
        repo.git(&["add", "util.py"]);
        repo.write("pkg/a.py", &UTIL.replace("'other'", "'staged'"));
        repo.git(&["add", "pkg/a.py"]);
        repo.write("pkg/a.py", &UTIL.replace("'other'", "'then unstaged'"));
        std::fs::remove_file(repo.path().join("gone.py")).unwrap();
        std::fs::remove_file(repo.path().join("moved.py")).unwrap();
        repo.write(
            "elsewhere/moved.py",
            &long.replace("return 3\n", "return 33\n"),
        );
        std::fs::remove_file(repo.path().join("kind.py")).unwrap();
        repo.write("kind.py/inner.py", APP);
        repo.write("newdir/x.py", APP);
        repo.write("newdir/deep/y.py", UTIL);
        repo.write("pkg/loose.py", APP);
        repo.write("build/out.py", APP);
        repo.write("debug.log", "log\n");
        repo.write("staged_new.py", APP);
        repo.git(&["add", "staged_new.py"]);
        repo.write("intent.py", APP);
        repo.git(&["add", "-N", "intent.py"]);
        repo.git(&["update-index", "--chmod=+x", "script.sh"]);
        git_in(&repo.path().join("newdir").join("deep"), &["init", "-q"]);
        // Touched, same content: stat data differs, the content does not.
        let b = repo.path().join("pkg/sub/b.py");
        std::fs::write(&b, std::fs::read(&b).unwrap()).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("app.py", repo.path().join("pkg/link.py")).unwrap();

        // The narrow scan is made, not given up for the whole one.
        #[cfg(unix)]
        {
            let found = suspects(repo.path());
            assert!(found.contains(&"newdir".to_owned()), "{found:?}");
            assert!(!found.contains(&"pkg/sub".to_owned()), "{found:?}");
        }
        for include_untracked in [false, true] {
            for since in [None, Some("main".to_owned())] {
                let req = DiffRequest {
                    since,
                    include_untracked,
                    ..DiffRequest::default()
                };
                let narrow = repo.changes(&req);
                assert_eq!(narrow, whole_scan(repo.path(), &req), "{req:?}");
                assert!(narrow.files.contains_key("app.py"), "{narrow:?}");
                assert!(!narrow.files.contains_key("pkg/sub/b.py"), "{narrow:?}");
            }
        }
    }

    /// A file whose stat data changed but whose content did not (touched,
    /// rewritten with the same bytes) has no changed line; and nothing
    /// changed at all gives an empty change set, not a diff of everything.
    #[test]
    fn a_touched_file_with_the_same_content_is_not_changed() {
        let repo = TestRepo::with_base();
        let app = repo.path().join("app.py");
        std::fs::write(&app, std::fs::read(&app).unwrap()).unwrap();
        std::fs::File::options()
            .append(true)
            .open(&app)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
            .unwrap();
        #[cfg(unix)]
        assert!(suspects(repo.path()).contains(&"app.py".to_owned()));
        assert_eq!(repo.changes(&since("main")).files, BTreeMap::new());
        assert_eq!(
            repo.changes(&since("main")),
            whole_scan(repo.path(), &since("main"))
        );
        // Once git has refreshed its stat data, the file is not suspect.
        repo.git(&["update-index", "--refresh"]);
        #[cfg(unix)]
        assert!(!suspects(repo.path()).contains(&"app.py".to_owned()));
        assert_eq!(repo.changes(&DiffRequest::default()).files, BTreeMap::new());
    }

    /// The suspects of the narrow scan against HEAD (None: none could be told).
    #[cfg(unix)]
    fn suspects(dir: &Path) -> Vec<String> {
        let (repo, root) = open_worktree_repo(dir).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        workdir_suspects(&repo, &root, Some(&head))
            .unwrap()
            .expect("the narrow scan can tell")
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    /// An edit right after `git add`, of the same size, maybe within the
    /// same clock tick as the index write (the "racily clean" case): still
    /// seen, through the stat data or the index's own mtime.
    #[test]
    fn an_edit_right_after_git_add_is_seen() {
        let repo = TestRepo::with_base();
        repo.write("app.py", &APP.replace("return 1", "return 2"));
        repo.git(&["add", "app.py"]);
        repo.write("app.py", &APP.replace("return 1", "return 3"));
        let cs = repo.changes(&DiffRequest::default());
        assert_eq!(cs.files, files(&[("app.py", modified(&[2..=2]))]));
    }

    #[test]
    fn mode_only_change_is_absent() {
        let repo = TestRepo::with_base();
        repo.git(&["update-index", "--chmod=+x", "app.py"]);
        assert!(repo.changes(&DiffRequest::default()).files.is_empty());
    }

    #[test]
    fn submodule_is_skipped_with_a_note() {
        let inner = TestRepo::with_base();
        let repo = TestRepo::with_base();
        let url = format!("file://{}", inner.path().display());
        repo.git(&["submodule", "-q", "add", &url, "vendor/x"]);
        repo.commit_all("add submodule");
        let base = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
        // Move the submodule to a new commit and edit a file of the main repo.
        let sub = repo.path().join("vendor/x");
        std::fs::write(sub.join("app.py"), APP.replace("return 1", "return 9")).unwrap();
        git_in(&sub, &["commit", "-qam", "inner edit"]);
        repo.write("app.py", &APP.replace("return 3", "return 9"));
        let cs = repo.changes(&since(&base));
        assert_eq!(cs.files, files(&[("app.py", modified(&[11..=11]))]));
        assert_eq!(
            cs.notes,
            vec!["submodule vendor/x skipped: ctinject does not look inside submodules".to_owned()]
        );
        // A submodule added on the branch is skipped too (only .gitmodules remains).
        let cs = repo.changes(&since("HEAD~1"));
        assert!(cs.notes.iter().any(|n| n.contains("vendor/x")), "{cs:?}");
        assert!(!cs.files.keys().any(|k| k.starts_with("vendor/")), "{cs:?}");
        assert!(!dirty_paths(repo.path()).unwrap().contains("vendor/x"));
    }

    #[test]
    fn dirty_paths_lists_staged_unstaged_and_untracked_but_not_ignored() {
        let repo = TestRepo::with_base();
        repo.write(".gitignore", "*.log\n");
        repo.commit_all("ignore");
        assert!(dirty_paths(repo.path()).unwrap().is_empty());
        repo.write("app.py", &APP.replace("return 1", "return 2"));
        repo.write("util.py", &UTIL.replace("'other'", "'x'"));
        repo.git(&["add", "util.py"]);
        repo.write("new/file.py", "x = 1\n");
        repo.write("debug.log", "noise\n");
        let dirty = dirty_paths(repo.path()).unwrap();
        assert_eq!(
            dirty,
            ["app.py", "new/file.py", "util.py"]
                .into_iter()
                .map(String::from)
                .collect()
        );
    }

    #[test]
    fn read_tree_files_reads_blobs_at_a_revision_without_checkout() {
        let repo = TestRepo::with_base();
        repo.write("pkg/deep.py", "def d():\n    pass\n");
        repo.write("README.md", "hello\n");
        repo.commit_all("more");
        repo.write("app.py", "def replaced():\n    pass\n");
        repo.commit_all("change app");
        let got = read_tree_files(repo.path(), "HEAD~1", |p| p.ends_with(".py")).unwrap();
        let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["app.py", "pkg/deep.py", "util.py"]);
        assert_eq!(got[0].1, APP.as_bytes());
        let err = read_tree_files(repo.path(), "nope", |_| true).unwrap_err();
        assert!(matches!(err, GitError::UnknownRef { .. }), "{err:?}");
    }

    #[test]
    fn git_diff_output_parses_to_the_same_changes_as_git_mode() {
        let repo = TestRepo::with_base();
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo.write(
            "app.py",
            &APP.replace("    x = 2\n", "    x = 2\n    y = 3\n")
                .replace("return 1", "return 11"),
        );
        repo.git(&["mv", "util.py", "renamed util.py"]);
        repo.write("renamed util.py", &UTIL.replace("'other'", "'renamed'"));
        repo.write("dir/new file.py", "def n():\n    pass\n");
        repo.write("quoted\tname.py", "def q():\n    pass\n");
        repo.commit_all("feature");
        let expected = repo.changes(&since("main")).files;
        assert_eq!(
            expected,
            files(&[
                ("app.py", modified(&[2..=2, 7..=7])),
                ("dir/new file.py", FileChange::Added),
                ("quoted\tname.py", FileChange::Added),
                ("renamed util.py", modified(&[11..=11])),
            ])
        );
        for extra in [
            &[][..],
            &["--no-prefix"][..],
            &["-c", "diff.mnemonicPrefix=true"][..],
            &["-U0"][..],
        ] {
            let (config, flags): (Vec<&str>, Vec<&str>) = if extra.first() == Some(&"-c") {
                (extra.to_vec(), vec![])
            } else {
                (vec![], extra.to_vec())
            };
            let mut args = config;
            args.extend(["diff", "-M", "main...HEAD"]);
            args.extend(flags);
            let text = repo.git(&args);
            let diff_path = repo.path().join(".git").join("change.diff");
            std::fs::write(&diff_path, &text).unwrap();
            let req = DiffRequest {
                diff_file: Some(diff_path),
                ..DiffRequest::default()
            };
            let cs = repo.changes(&req);
            assert_eq!(cs.files, expected, "git diff {extra:?}:\n{text}");
        }
    }

    fn parse(text: &str) -> Result<BTreeMap<String, FileChange>, GitError> {
        parse_unified_diff(text, Path::new("test.diff")).map(|(files, _)| files)
    }

    #[test]
    fn diff_file_with_a_b_prefixes() {
        let text = "\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -2 +2 @@ def alpha():
-    return 1
+    return 10
@@ -6,0 +7,2 @@ def beta():
+    y = 3
+    z = 4
";
        assert_eq!(
            parse(text).unwrap(),
            files(&[("src/app.py", modified(&[2..=2, 7..=8]))])
        );
    }

    #[test]
    fn diff_file_with_context_lines_counts_the_new_side() {
        let text = "\
--- a/app.py
+++ b/app.py
@@ -4,6 +4,7 @@
 
 def beta():
-    x = 2
+    x = 20
+    y = 1
     return x
 
 
";
        assert_eq!(
            parse(text).unwrap(),
            files(&[("app.py", modified(&[6..=7]))])
        );
    }

    #[test]
    fn diff_file_without_prefixes() {
        let text = "\
diff --git b/app.py b/app.py
--- b/app.py
+++ b/app.py
@@ -1,0 +2 @@
+x = 1
";
        // A no-prefix diff of a file that lives in directory `b/`.
        assert_eq!(
            parse(text).unwrap(),
            files(&[("b/app.py", modified(&[2..=2]))])
        );
        let plain = "\
--- app.py\t2024-01-01 00:00:00.000000000 +0000
+++ app.py\t2024-01-02 00:00:00.000000000 +0000
@@ -3 +3 @@
-a
+b
";
        assert_eq!(
            parse(plain).unwrap(),
            files(&[("app.py", modified(&[3..=3]))])
        );
        // `diff -ru old/ new/`: the differing first components are prefixes.
        let dirs = "\
diff -ru old/pkg/app.py new/pkg/app.py
--- old/pkg/app.py\t2024-01-01
+++ new/pkg/app.py\t2024-01-02
@@ -3 +3 @@
-a
+b
";
        assert_eq!(
            parse(dirs).unwrap(),
            files(&[("pkg/app.py", modified(&[3..=3]))])
        );
    }

    #[test]
    fn diff_file_new_file_is_added_and_deleted_file_is_absent() {
        let text = "\
diff --git a/new.py b/new.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+def n():
+    pass
diff --git a/empty.py b/empty.py
new file mode 100644
index 0000000..e69de29
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 4444444..0000000
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
";
        assert_eq!(
            parse(text).unwrap(),
            files(&[
                ("empty.py", FileChange::Added),
                ("new.py", FileChange::Added)
            ])
        );
    }

    #[test]
    fn diff_file_quoted_paths_with_spaces_and_escapes() {
        let text = "\
diff --git \"a/my dir/caf\\303\\251 file.py\" \"b/my dir/caf\\303\\251 file.py\"
--- \"a/my dir/caf\\303\\251 file.py\"
+++ \"b/my dir/caf\\303\\251 file.py\"
@@ -1 +1 @@
-a
+b
diff --git a/plain space.py b/plain space.py
--- a/plain space.py\t
+++ b/plain space.py\t
@@ -5 +5,2 @@
-a
+b
+c
";
        assert_eq!(
            parse(text).unwrap(),
            files(&[
                ("my dir/café file.py", modified(&[1..=1])),
                ("plain space.py", modified(&[5..=6])),
            ])
        );
    }

    #[test]
    fn diff_file_rename_headers_and_pure_rename() {
        let text = "\
diff --git a/old name.py b/new name.py
similarity index 90%
rename from old name.py
rename to new name.py
index 1111111..2222222 100644
--- a/old name.py
+++ b/new name.py
@@ -3 +3 @@
-a
+b
diff --git a/x.py b/y.py
similarity index 100%
rename from x.py
rename to y.py
diff --git a/orig.py b/copy.py
similarity index 100%
copy from orig.py
copy to copy.py
";
        assert_eq!(
            parse(text).unwrap(),
            files(&[
                ("copy.py", FileChange::Added),
                ("new name.py", modified(&[3..=3])),
            ])
        );
    }

    #[test]
    fn diff_file_crlf_and_no_newline_at_end_of_file() {
        let text = "diff --git a/w.py b/w.py\r\n--- a/w.py\r\n+++ b/w.py\r\n@@ -1,2 +1,2 @@\r\n a = 1\r\n-b = 2\r\n\\ No newline at end of file\r\n+b = 3\r\n\\ No newline at end of file\r\n";
        assert_eq!(parse(text).unwrap(), files(&[("w.py", modified(&[2..=2]))]));
    }

    #[test]
    fn diff_file_binary_and_submodule_sections_are_skipped() {
        let text = "\
From 0123 Mon Sep 17 00:00:00 2001
Subject: [PATCH] stuff

---
 a.py | 2 +-
diff --git a/img.png b/img.png
index 1111111..2222222 100644
GIT binary patch
literal 5
McmZQz00001

literal 3
KcmZQz0000

diff --git a/pic.gif b/pic.gif
Binary files a/pic.gif and b/pic.gif differ
diff --git a/vendor/x b/vendor/x
index 1111111..2222222 160000
--- a/vendor/x
+++ b/vendor/x
@@ -1 +1 @@
-Subproject commit 1111111111111111111111111111111111111111
+Subproject commit 2222222222222222222222222222222222222222
diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -1 +1 @@
-x
+y
-- 
2.47.3

";
        let (files_got, notes) = parse_unified_diff(text, Path::new("p.patch")).unwrap();
        assert_eq!(files_got, files(&[("a.py", modified(&[1..=1]))]));
        assert_eq!(
            notes,
            vec!["submodule vendor/x skipped: ctinject does not look inside submodules".to_owned()]
        );
    }

    #[test]
    fn diff_file_empty_input_is_an_empty_change() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("\n").unwrap().is_empty());
    }

    fn malformed_line(text: &str) -> (usize, String) {
        match parse(text) {
            Err(GitError::MalformedDiff { line, message, .. }) => (line, message),
            other => panic!("expected a malformed-diff error, got {other:?}"),
        }
    }

    #[test]
    fn diff_file_malformed_input_names_the_line() {
        let bad_header = "--- a/x\n+++ b/x\n@@ -1 +one @@\n-a\n+b\n";
        assert_eq!(malformed_line(bad_header).0, 3);

        let truncated = "--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n+b\n";
        let (line, message) = malformed_line(truncated);
        assert_eq!(line, 3);
        assert!(message.contains("ends early"), "{message}");

        let garbage_in_hunk = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n*b\n";
        assert_eq!(malformed_line(garbage_in_hunk).0, 5);

        let too_long = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n";
        assert_eq!(malformed_line(too_long).0, 6);

        let no_file_header = "@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(malformed_line(no_file_header).0, 1);

        let not_a_diff = "{\"this\": \"is json\"}\n";
        let (line, message) = malformed_line(not_a_diff);
        assert_eq!(line, 1);
        assert!(message.contains("unified diff"), "{message}");

        let combined = "diff --cc m.py\nindex 1,2..3\n";
        assert_eq!(malformed_line(combined).0, 1);

        let unterminated_quote = "--- \"a/x\n+++ \"b/x\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(malformed_line(unterminated_quote).0, 1);

        let err = parse(bad_header).unwrap_err().to_string();
        assert!(err.starts_with("test.diff:3: malformed diff:"), "{err}");
    }

    #[test]
    fn diff_file_read_through_changed_lines_and_missing_file_is_an_error() {
        let repo = TestRepo::with_base();
        let diff_path = repo.path().join("d.diff");
        std::fs::write(&diff_path, "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n").unwrap();
        let req = DiffRequest {
            diff_file: Some(diff_path),
            include_untracked: true,
            ..DiffRequest::default()
        };
        let cs = changed_lines(&repo.path().join("."), &req).unwrap();
        assert_eq!(cs.files, files(&[("x.py", modified(&[1..=1]))]));
        assert_eq!(cs.notes.len(), 1);
        let missing = DiffRequest {
            diff_file: Some(repo.path().join("missing.diff")),
            ..DiffRequest::default()
        };
        let err = changed_lines(repo.path(), &missing).unwrap_err();
        assert!(matches!(err, GitError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("missing.diff"), "{err}");
    }

    #[test]
    fn to_ranges_sorts_dedups_and_merges_adjacent_lines() {
        assert_eq!(
            to_ranges(vec![9, 4, 5, 5, 1, 10, 12]),
            vec![1..=1, 4..=5, 9..=10, 12..=12]
        );
        assert!(to_ranges(vec![]).is_empty());
    }

    #[test]
    fn unquote_handles_git_escapes() {
        assert_eq!(
            unquote_c("\"a\\tb\\\\c\\\"d\\303\\251\" rest").unwrap(),
            ("a\tb\\c\"dé".to_owned(), 20)
        );
        assert!(unquote_c("\"abc").is_err());
        assert!(unquote_c("\"a\\q\"").is_err());
    }
}
