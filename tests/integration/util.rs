//! Shared helpers: running the binary, temporary trees, toolchains.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn ctinject_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ctinject"))
}

pub fn cargo_ctinject_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cargo-ctinject"))
}

pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command without the caller's git, CI, pre-commit, Cargo target and
/// ctinject settings:
/// tests run from a git hook (GIT_DIR, GIT_INDEX_FILE) or a runner must not
/// act on the caller's repository or inherit its inputs.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let foreign = [
            "GIT_",
            "GITHUB_",
            "RUNNER_",
            "INPUT_",
            "CTINJECT_",
            "PRE_COMMIT",
            "OTEL_",
        ]
        .iter()
        .any(|p| k.starts_with(p));
        // A caller's target folder would be ctinject's default output too.
        let cargo_target = k == "CARGO_TARGET_DIR" || k == "CARGO_BUILD_TARGET_DIR";
        if foreign || cargo_target || k == "SKIP" {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// Runs ctinject with `args` and `--format json` in `dir`: its exit status
/// (0, or 1 for a failed gate; anything else fails the test) and its report.
pub fn json_report(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let o = ctinject(dir, &all);
    let code = o.status.code().unwrap();
    assert!(code == 0 || code == 1, "exit {code}: {}", stderr(&o));
    (code, serde_json::from_str(&stdout(&o)).unwrap())
}

/// Runs ctinject with `args` in `cwd`.
pub fn ctinject(cwd: &Path, args: &[&str]) -> Output {
    clean_command(ctinject_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("ctinject runs")
}

/// Runs git in `dir` (as a test user), asserts success, returns stdout.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = run(clean_command("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir));
    assert!(
        o.status.success(),
        "git {args:?} in {}\n{}",
        dir.display(),
        describe(&o)
    );
    stdout(&o)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status, stdout and stderr of a finished command, for assertion messages.
pub fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Writes `files` (path, content) under a new temporary folder.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// Copies a folder (files only, recursively).
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "__pycache__" {
                copy_dir(&e.path(), &to);
            }
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Where `name` is on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// PATH with `dir` first, for a child process that must find a tool there.
pub fn path_with_first(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))
        .expect("PATH entries join")
}

/// The named tool, or None after a loud message; with `CI=true` a missing
/// tool fails the test instead of skipping it.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = which(name);
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is required in CI (CI=true) but was not found on PATH");
        }
        eprintln!("\n*** SKIPPED: {name} not found on PATH; install it to run this test ***\n");
    }
    found
}

/// A working `pythonX.Y` for `version` ("3.12"): on PATH, or installed by
/// pyenv (as ci/test finds them).
pub fn python_version(version: &str) -> Option<PathBuf> {
    let name = format!("python{version}");
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))
        .and_then(|root| std::fs::read_dir(root.join("versions")).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&format!("{version}.")))
        })
        .map(|e| e.path().join("bin").join(&name));
    which(&name).into_iter().chain(pyenv).find(|p| {
        Command::new(p)
            .args(["-c", ""])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs a command, returning its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A git repository with one commit holding `files`.
pub fn git_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tree(files);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);
    dir
}

/// The `bin` folder of a virtualenv at `dir` holding exactly `pins` (pip
/// requirement specs): made once with python3, and reused while the record
/// of its pins matches. `pip_args` go to `pip install` (such as
/// `--only-binary=:all:`).
pub fn pinned_venv(dir: &Path, pins: &[&str], pip_args: &[&str], tools: &[&str]) -> PathBuf {
    let bin = dir.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let stamp = dir.join("ctinject-pins.txt");
    let want = pins.join("\n");
    // Reused while it still works: its Python runs and the tools are there
    // (a Python upgrade or a half-deleted folder makes it again).
    let works = || {
        Command::new(bin.join("python"))
            .args(["-c", ""])
            .status()
            .is_ok_and(|s| s.success())
            && tools.iter().all(|t| bin.join(t).exists())
    };
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) && works() {
        return bin;
    }
    std::fs::create_dir_all(dir).unwrap();
    let o = run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(dir));
    assert!(
        o.status.success(),
        "python3 -m venv failed (on Debian, install python3-venv)\n{}",
        describe(&o)
    );
    let o = run(Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(pip_args)
        .args(pins));
    assert!(
        o.status.success(),
        "pip install {pins:?} failed\n{}",
        describe(&o)
    );
    std::fs::write(&stamp, want).unwrap();
    bin
}

/// Every file under `dir` (bytecode caches aside), relative and sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                if e.file_name() != "__pycache__" {
                    stack.push(path);
                }
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    found.sort();
    found
}

/// The events of a trace file (JSON lines), each line checked to be JSON.
pub fn read_events(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line {l}: {e}")))
        .collect()
}

/// The functions a JSON report lists, as "path:name".
pub fn report_functions(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for f in report["files"].as_array().unwrap() {
        for func in f["functions"].as_array().unwrap() {
            out.push(format!(
                "{}:{}",
                f["path"].as_str().unwrap(),
                func["name"].as_str().unwrap()
            ));
        }
    }
    out
}

/// Asserts that a run of the instrumented copy behaved as the original's:
/// the same standard output and error, the same exit status.
pub fn assert_same_run(copy: &Output, original: &Output) {
    assert_eq!(
        stdout(copy),
        stdout(original),
        "stdout differs; stderr:\n{}",
        stderr(copy)
    );
    assert_eq!(stderr(copy), stderr(original));
    assert_eq!(copy.status.code(), original.status.code());
}

/// The folder of the npm set `set` of `ci/node-tools` (installed on first
/// use into its cache folder), or None after a loud message when node or
/// npm is missing (a failure with `CI=true`).
pub fn node_tools(set: &str) -> Option<PathBuf> {
    require_tool("node")?;
    require_tool("npm")?;
    // (Not a clean command: CTINJECT_NODE_TOOLS may name its folder.)
    let o = run(Command::new("bash")
        .arg(repo_dir().join("ci/node-tools"))
        .arg(set));
    assert!(o.status.success(), "ci/node-tools {set}: {}", describe(&o));
    Some(PathBuf::from(stdout(&o).trim()))
}

/// The TypeScript compiler pinned by `ci/node-tools`.
pub fn tsc() -> Option<PathBuf> {
    static TSC: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    TSC.get_or_init(|| Some(node_tools("tools")?.join("node_modules/.bin/tsc")))
        .clone()
}

/// The first span event of `ev` named `name`; fails the test when there is none.
#[track_caller]
pub fn span_named<'a>(ev: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    ev.iter()
        .find(|e| e["type"] == "span" && e["name"] == name)
        .unwrap_or_else(|| {
            let names: Vec<&serde_json::Value> = ev
                .iter()
                .filter(|e| e["type"] == "span")
                .map(|e| &e["name"])
                .collect();
            panic!("no span {name} among {names:?}")
        })
}

/// The inventory example (fixtures/python/inventory), instrumented and run
/// with telemetry on: a real trace, in `trace.jsonl` of the folder returned.
pub fn inventory_trace() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_dir().join("fixtures/python/inventory"),
        &t.path().join("inventory"),
    );
    ok(&ctinject(t.path(), &["inventory", "--out", "out"]));
    let trace = t.path().join("trace.jsonl");
    let o = run(clean_command("python3")
        .arg("main.py")
        .current_dir(t.path().join("out"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("CTINJECT_TRACE_FILE", &trace));
    assert!(o.status.success(), "{}", stderr(&o));
    (t, trace)
}

/// A test server (a Python script of tests/ that takes `--port-file` and
/// `--log`), listening; killed when dropped.
pub struct LocalServer {
    child: std::process::Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl LocalServer {
    /// Runs `python script --port-file F --log L args...` and waits until it listens.
    pub fn start(python: &Path, script: &str, args: &[&str]) -> LocalServer {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let child = Command::new(python)
            .arg(repo_dir().join(script))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(dir.path().join("requests.jsonl"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} does not start: {e}"));
        let mut server = LocalServer {
            child,
            dir,
            port: 0,
        };
        for _ in 0..1500 {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                server.port = port.trim().parse().unwrap();
                return server;
            }
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "{script} exited"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("{script} did not start listening");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests it logged, one JSON value each.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
