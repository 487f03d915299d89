//! The pre-commit integration, through the real pre-commit (pinned, from PyPI,
//! in a virtualenv under the target folder) and the real `language: rust`
//! install of this repository's `.pre-commit-hooks.yaml`.
//!
//! pre-commit installs a hook repository by cloning it at a commit, so the
//! test first snapshots the work tree as it is on disk (tracked and untracked
//! files, less the ignored ones) into a one-commit repository with a fixed
//! author and date: the same sources give the same commit, and the hook that
//! pre-commit built for it (in PRE_COMMIT_HOME, also under the target folder)
//! is reused by later runs. `cargo install` shares one CARGO_TARGET_DIR, so a
//! changed source rebuilds only ctinject itself. The first run takes minutes.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The pre-commit release the test installs.
const PRE_COMMIT_VERSION: &str = "4.7.0";

/// Everything the test keeps between runs: target/tmp/pre-commit.
fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit")
}

/// The pre-commit executable of the test's virtualenv, created (or repaired)
/// when it does not report the pinned version.
fn install_pre_commit() -> PathBuf {
    let pin = format!("pre-commit=={PRE_COMMIT_VERSION}");
    let name = if cfg!(windows) {
        "pre-commit.exe"
    } else {
        "pre-commit"
    };
    let exe = pinned_venv(&tools_dir().join("venv"), &[pin.as_str()], &[], &[name]).join(name);
    let o = run(clean_command(&exe).arg("--version"));
    let wanted = format!("pre-commit {PRE_COMMIT_VERSION}");
    assert_eq!(stdout(&o).trim(), wanted, "{}", describe(&o));
    exe
}

/// Copies the work tree as it is on disk into `dst` as a repository of one
/// commit whose id depends only on the files; returns that commit.
fn snapshot_sources(dst: &Path) -> String {
    let src = repo_dir();
    let listing = git(
        &src,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    if dst.exists() {
        std::fs::remove_dir_all(dst).unwrap();
    }
    std::fs::create_dir_all(dst).unwrap();
    for rel in listing.split('\0').filter(|p| !p.is_empty()) {
        let from = src.join(rel);
        // Deleted but not yet staged as deleted; submodules.
        if !from.is_file() {
            continue;
        }
        let to = dst.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    let fixed = [
        "-c",
        "user.name=ctinject test",
        "-c",
        "user.email=test@example.invalid",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
    ];
    git(dst, &["init", "-q", "-b", "main"]);
    git(dst, &[&fixed[..], &["add", "-A"]].concat());
    let o = run(clean_command("git")
        .args(fixed)
        .args(["commit", "-q", "-m", "snapshot"])
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .current_dir(dst));
    assert!(o.status.success(), "snapshot commit\n{}", describe(&o));
    git(dst, &["rev-parse", "HEAD"]).trim().to_owned()
}

struct PreCommit {
    exe: PathBuf,
}

impl PreCommit {
    /// Runs `pre-commit ARGS` in `repo`, with the test's PRE_COMMIT_HOME and
    /// cargo target folder, and prints how it went.
    fn run(&self, repo: &Path, args: &[&str]) -> Output {
        let started = Instant::now();
        let o = run(clean_command(&self.exe)
            .args(args)
            .current_dir(repo)
            .env("PRE_COMMIT_HOME", tools_dir().join("home"))
            .env("PRE_COMMIT_COLOR", "never")
            .env("CARGO_TARGET_DIR", tools_dir().join("cargo-target")));
        eprintln!(
            "pre-commit {} ({:.1}s): exit {:?}\n{}{}",
            args.join(" "),
            started.elapsed().as_secs_f64(),
            o.status.code(),
            stdout(&o),
            stderr(&o)
        );
        o
    }
}

/// Asserts the exit code and that the output (stdout and stderr together)
/// holds every `has` and none of `lacks`.
#[track_caller]
fn expect(what: &str, o: &Output, code: i32, has: &[&str], lacks: &[&str]) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert_eq!(
        o.status.code(),
        Some(code),
        "{what}: expected exit {code}\n{}",
        describe(o)
    );
    for s in has {
        assert!(
            all.contains(s),
            "{what}: output lacks {s:?}\n{}",
            describe(o)
        );
    }
    for s in lacks {
        assert!(
            !all.contains(s),
            "{what}: output has {s:?}\n{}",
            describe(o)
        );
    }
}

const APP_PY: &str = "\
import sys


def greet(name):
    message = \"hello \" + name
    return message


def total(values):
    result = 0
    for v in values:
        result += v
    return result
";

/// A generator that reads its caller's frame: ctinject skips its span (on
/// every version), so the hook fails.
const FRAMES_PY: &str = "\
import sys


def caller_name():
    yield sys._getframe(1).f_code.co_name
";

const PEEK_PY: &str = "\
import sys


def peek():
    yield sys._getframe(1)
";

fn edit(repo: &Path, file: &str, from: &str, to: &str) {
    let path = repo.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The hook of `.pre-commit-hooks.yaml` run by pre-commit itself: on staged
/// changes, on a pushed range, and with nothing to check. One test, so that
/// pre-commit installs the hook once.
#[test]
fn pre_commit_runs_the_hook() {
    if require_tool("python3").is_none() || require_tool("git").is_none() {
        return;
    }
    let started = Instant::now();
    let pc = PreCommit {
        exe: install_pre_commit(),
    };
    let hooks_repo = tools_dir().join("src");
    let rev = snapshot_sources(&hooks_repo);
    let hooks_repo_s = hooks_repo.to_str().expect("UTF-8 target path");

    let o = pc.run(
        &hooks_repo,
        &["validate-manifest", ".pre-commit-hooks.yaml"],
    );
    expect("validate-manifest", &o, 0, &[], &[]);

    let config = format!(
        "repos:\n-   repo: '{hooks_repo_s}'\n    rev: {rev}\n    hooks:\n    -   id: ctinject\n"
    );
    let dir = git_repo(&[(".pre-commit-config.yaml", &config), ("app.py", APP_PY)]);
    let repo = dir.path();
    git(repo, &["config", "user.name", "t"]);
    git(repo, &["config", "user.email", "t@example.com"]);
    git(repo, &["config", "commit.gpgsign", "false"]);
    let commit = |msg: &str| git(repo, &["commit", "-q", "-m", msg]);
    let run_hook = |extra: &[&str]| {
        let mut args = vec!["run", "ctinject", "--verbose", "--color", "never"];
        args.extend_from_slice(extra);
        pc.run(repo, &args)
    };

    // 1. pre-commit stage, a staged edit of a plain function: it passes. The
    // first run builds ctinject with `cargo install` (minutes, then cached).
    edit(
        repo,
        "app.py",
        "\"hello \" + name",
        "\"hello, \" + name.strip()",
    );
    git(repo, &["add", "app.py"]);
    let o = run_hook(&[]);
    expect(
        "staged plain edit",
        &o,
        0,
        &["points:", "instrumented", "Passed"],
        &["caller's frame", "nothing to check"],
    );
    // Drop pre-commit's clones of older snapshots (this config keeps the
    // current one).
    let o = pc.run(repo, &["gc"]);
    expect("pre-commit gc", &o, 0, &[], &[]);
    // The same through try-repo, as a hook author tries it (its own store:
    // it installs again, reusing the cargo target folder).
    let o = pc.run(
        repo,
        &[
            "try-repo",
            hooks_repo_s,
            "ctinject",
            "--verbose",
            "--color",
            "never",
        ],
    );
    expect(
        "try-repo, staged plain edit",
        &o,
        0,
        &["points:", "instrumented", "Passed"],
        &["caller's frame", "nothing to check"],
    );
    commit("greet");

    // 2. A staged new function that reads its caller's frame: it fails and
    // says why, naming the function.
    std::fs::write(repo.join("frames.py"), FRAMES_PY).unwrap();
    git(repo, &["add", "frames.py"]);
    let o = run_hook(&[]);
    expect(
        "staged caller's-frame function",
        &o,
        1,
        &["caller's frame", "caller_name", "Failed"],
        &[],
    );
    git(repo, &["reset", "-q"]);

    // 3. pre-push stage: the change is the commits FROM..TO, not the index.
    let base = git(repo, &["rev-parse", "HEAD"]).trim().to_owned();
    git(repo, &["checkout", "-q", "-b", "feature"]);
    edit(repo, "app.py", "result += v", "result = result + v");
    git(repo, &["add", "app.py"]);
    commit("total");
    // Staged, but outside the range: must not count.
    git(repo, &["add", "frames.py"]);
    let push = |o: &str| -> Output {
        run_hook(&[
            "--hook-stage",
            "pre-push",
            "--from-ref",
            &base,
            "--to-ref",
            o,
        ])
    };
    let o = push("HEAD");
    expect(
        "pre-push, range edits total() only (frames.py staged)",
        &o,
        0,
        &["points:", "instrumented", "Passed"],
        &["caller's frame", "caller_name"],
    );
    // Now the range holds caller_name(); the index holds peek() instead.
    commit("frames");
    std::fs::write(repo.join("peek.py"), PEEK_PY).unwrap();
    git(repo, &["add", "peek.py"]);
    let o = push("HEAD");
    expect(
        "pre-push, range adds caller_name() (peek.py staged)",
        &o,
        1,
        &["caller's frame", "frames.py", "caller_name", "Failed"],
        &["peek"],
    );
    git(repo, &["rm", "-q", "--cached", "peek.py"]);
    std::fs::remove_file(repo.join("peek.py")).unwrap();

    // 4. Nothing changed.
    // Nothing staged: pre-commit has no file for the hook and skips it.
    let o = run_hook(&[]);
    expect(
        "nothing staged",
        &o,
        0,
        &["(no files to check)", "Skipped"],
        &["points:"],
    );
    // --all-files runs the hook; the index equals HEAD.
    let o = run_hook(&["--all-files"]);
    expect(
        "--all-files, nothing staged",
        &o,
        0,
        &["nothing to check", "Passed"],
        &["points:"],
    );
    // A staged Python change outside any function.
    edit(repo, "app.py", "import sys\n", "import sys  # for later\n");
    git(repo, &["add", "app.py"]);
    let o = run_hook(&[]);
    expect(
        "staged change outside functions",
        &o,
        0,
        &["nothing to check", "Passed"],
        &["points:"],
    );

    eprintln!(
        "pre_commit_runs_the_hook: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// `cargo help ctinject` runs `cargo-ctinject ctinject --help` (Cargo does so
/// for any external subcommand), so it prints ctinject's own help under the
/// name `cargo ctinject`.
#[test]
fn cargo_help_shows_the_subcommand_help() {
    let bin = cargo_ctinject_bin();
    let path = path_with_first(bin.parent().unwrap());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let help = run(Command::new(&cargo)
        .args(["help", "ctinject"])
        .env("PATH", &path));
    let out = ok(&help);
    assert!(
        out.contains("Usage: cargo ctinject"),
        "cargo help ctinject does not show `cargo ctinject` usage\n{}",
        describe(&help)
    );
    // Exactly what Cargo's `cargo-ctinject ctinject --help` gives.
    let direct = run(Command::new(&bin).args(["ctinject", "--help"]));
    assert_eq!(out, ok(&direct), "cargo help ctinject differs from --help");
}
