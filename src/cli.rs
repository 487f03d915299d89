//! The command line: argument parsing and exit codes, nothing else.
//!
//! Exit codes: 0 success, 1 the coverage gate failed, 2 a usage or
//! runtime error.

use crate::cache::Cache;
use crate::config::{self, Config};
use crate::gate::{self, BaselineFile, BaselineRef, GateOptions};
use crate::git::DiffRequest;
use crate::otlp_export;
use crate::outputs::{self, Inputs, OutputFile, OutputKind};
use crate::run::{self, CacheChoice, Job, OutputChoice};
use crate::trace_files;
use anyhow::{bail, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

const ABOUT: &str = "Insert telemetry into Python, JavaScript, TypeScript and Go source: spans, variables, branches, loops and exceptions, on the lines where the code already is. Git-aware (--since), cached, and gated (--fail-under).";

const AFTER_HELP: &str = "\
Examples:
  ctinject src --out build/instrumented           a runnable copy of src/ with telemetry
  CTINJECT_TRACE_FILE=trace.jsonl python -m pytest  (run from the copy) writes events
  ctinject src --patch ctinject.patch              a patch: git apply / git apply -R
  ctinject src --dry-run --format json             only report what would be done
  ctinject init                                    write a commented .ctinject.yml
  ctinject --since main --dry-run                  only the functions changed since main
  ctinject --since main --dry-run --fail-under 95  gate the change's coverage (exit 1)
  ctinject trace summary trace.jsonl               a trace in the terminal (also export, pictures)
  ctinject check --since main --trace trace.jsonl  which changed functions the tests ran
  ctinject src --out build/instrumented --llm      Java, Ruby, PHP via a language model (opt-in)

Without --out, --patch, --in-place or --dry-run the copy goes to .ctinject/out at
the top of the repository (or of PATH outside one); .ctinject/ ignores itself.

Exit codes: 0 success, 1 coverage gate failed (`cache verify`: a bad entry found),
2 usage or runtime error.
Events: docs/events.md. Configuration: docs/config.md.";

#[derive(Parser, Debug)]
#[command(
    name = "ctinject",
    version,
    about = ABOUT,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub instrument: InstrumentArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The pre-commit hook: a dry run over the staged change (or, on
    /// pre-push, the commits PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF). Exits 1
    /// when the changed functions' coverage is under --fail-under (100: any
    /// point that cannot be instrumented, unless its function is waived).
    Hook {
        /// Files or folders to look at (default: the current folder).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Configuration file (default: .ctinject.yml in PATH or above).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Fail when the changed functions' coverage is under PCT percent. The default, 100,
        /// fails on any point that cannot be instrumented; waived functions (a `# ctinject:
        /// waive REASON` comment on the def line, or the configuration's `waive`) are left out.
        #[arg(long, value_name = "PCT", value_parser = gate::parse_percent, default_value_t = 100.0)]
        fail_under: f64,
    },
    /// Look after the plan cache: stats, clear, prune, verify.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        /// The cache folder (default: CTINJECT_CACHE_DIR, else .ctinject/cache at the top of the repository).
        #[arg(long, value_name = "DIR", global = true)]
        cache_dir: Option<PathBuf>,
    },
    /// Write a commented default .ctinject.yml in the current folder.
    Init {
        /// Overwrite an existing .ctinject.yml.
        #[arg(long)]
        force: bool,
    },
    /// Which changed functions the tests actually ran, and which arms of their branches: the
    /// functions --since selects, matched with a trace the tests wrote on the instrumented copy.
    /// Exit 1 when --fail-under-executed is not met.
    #[command(
        after_help = "Example:\n  ctinject --since main --out .ctinject/out            instrument the change\n  (cd .ctinject/out && CTINJECT_TRACE_FILE=$PWD/../trace.jsonl python -m pytest)\n  ctinject check --since main --trace .ctinject/trace.jsonl --fail-under-executed 80"
    )]
    Check(CheckArgs),
    /// Read a trace that instrumented code wrote (CTINJECT_TRACE_FILE).
    Trace {
        #[command(subcommand)]
        action: TraceAction,
    },
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders, as given when instrumenting (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The change: the functions changed since the merge-base of REF and HEAD (with the
    /// working tree's changes), as `ctinject --since REF` selects them.
    #[arg(long, value_name = "REF", required = true)]
    pub since: String,
    /// Untracked (not ignored) files count as new files.
    #[arg(long)]
    pub include_untracked: bool,
    /// A trace the tests wrote on the instrumented copy (CTINJECT_TRACE_FILE); repeatable.
    #[arg(long = "trace", value_name = "FILE", required = true)]
    pub traces: Vec<PathBuf>,
    /// Exit 1 when fewer than PCT percent of the changed functions ran (functions whose span
    /// could not be instrumented are left out, and listed).
    #[arg(long, value_name = "PCT", value_parser = gate::parse_percent)]
    pub fail_under_executed: Option<f64>,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the report in FORMAT to FILE (json=, markdown=, github=, human=); repeatable.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_spec)]
    pub report: Vec<(Format, PathBuf)>,
    /// With --report: write over an existing file that is not ctinject's own earlier report.
    #[arg(long)]
    pub force: bool,
    /// Configuration file (default: .ctinject.yml in PATH or a folder above it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Look only at files matching GLOB (relative to PATH; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files matching GLOB (relative to PATH; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum TraceAction {
    /// What the trace says, for a terminal: the call tree with counts and total/self time, the
    /// slowest and most frequent functions, every error with its exception and file:line, loop
    /// counts and the branch arms taken.
    #[command(
        after_help = "Example:\n  CTINJECT_TRACE_FILE=trace.jsonl python -m pytest   (in the instrumented copy)\n  ctinject trace summary trace.jsonl --top 5"
    )]
    Summary {
        /// Trace files (JSON lines, docs/events.md); `-` reads standard input.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// human, or json (everything, unlimited by --top and --depth).
        #[arg(long, value_enum, default_value_t = SummaryFormat::Human)]
        format: SummaryFormat,
        /// Rows per table, and children shown per call-tree node.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
        /// Levels of the call tree shown.
        #[arg(long, value_name = "N", default_value_t = 8)]
        depth: usize,
    },
    /// Send the trace's spans, with their events, to an OpenTelemetry receiver over OTLP/HTTP
    /// (a Collector, Jaeger, Tempo, Honeycomb, ...). The receiver comes from --otlp, else
    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is), else OTEL_EXPORTER_OTLP_ENDPOINT (with
    /// v1/traces appended), else http://localhost:4318; OTEL_EXPORTER_OTLP_HEADERS,
    /// OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds), OTEL_EXPORTER_OTLP_PROTOCOL,
    /// OTEL_EXPORTER_OTLP_COMPRESSION, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are
    /// followed (the _TRACES_ forms too). Exit 1 when the receiver fails or refuses spans.
    #[command(
        after_help = "Example:\n  ctinject trace export trace.jsonl --otlp http://localhost:4318\n  OTEL_SERVICE_NAME=shop OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY ctinject trace export trace.jsonl --otlp https://api.honeycomb.io"
    )]
    Export {
        /// Trace files (JSON lines, docs/events.md); `-` reads standard input.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The receiver: a base URL (v1/traces is appended) or a URL ending in /v1/traces.
        #[arg(long, value_name = "URL")]
        otlp: Option<String>,
        /// The body's encoding [default: http/protobuf].
        #[arg(long = "otlp-protocol", value_enum, value_name = "PROTOCOL")]
        protocol: Option<otlp_export::Protocol>,
        /// gzip or none [default: gzip].
        #[arg(long, value_name = "C")]
        compression: Option<String>,
        /// The resource's service.name [default: OTEL_SERVICE_NAME, else unknown_service:LANGUAGE].
        #[arg(long, value_name = "NAME")]
        service_name: Option<String>,
        /// An HTTP header for every request (repeatable), after OTEL_EXPORTER_OTLP_HEADERS.
        #[arg(long = "header", value_name = "NAME=VALUE")]
        headers: Vec<String>,
        /// Spans per request.
        #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
        batch_size: u32,
    },
    /// A timeline of the calls, for ui.perfetto.dev (Open trace file) or chrome://tracing: a
    /// track per process and thread, a slice per call with its arguments, return value and
    /// exception, an instant per variable, branch, loop and handled exception.
    #[command(
        after_help = "Example:\n  ctinject trace perfetto trace.jsonl -o trace.perfetto.json"
    )]
    Perfetto {
        /// Trace files (JSON lines, docs/events.md); read twice, so not `-`.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The Chrome trace-event JSON to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Write over an existing file that is not an earlier ctinject Perfetto trace.
        #[arg(long)]
        force: bool,
    },
    /// A flame graph (SVG) of the call tree by time: each frame a function on its call path,
    /// as wide as the time spent in it and the instrumented calls below it. A browser opens it
    /// (click to zoom, Ctrl-F to search).
    #[command(after_help = "Example:\n  ctinject trace flamegraph trace.jsonl -o flamegraph.svg")]
    Flamegraph {
        /// Trace files (JSON lines, docs/events.md); `-` reads standard input.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The SVG to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The title drawn at the top [default: ctinject: FILE...].
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// Write over an existing file that is not an earlier ctinject flame graph.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Entries, size, oldest and newest use.
    Stats,
    /// Remove every entry.
    Clear,
    /// Remove entries not used for a while, then the oldest until the cache fits.
    Prune {
        /// Remove entries not used for this long: 30s, 15m, 12h, 7d, 2w, "1d 12h".
        #[arg(long, value_name = "D", value_parser = humantime::parse_duration)]
        older_than: Option<Duration>,
        /// Then remove the least recently used entries until the cache is at most this big:
        /// bytes, or 500K, 100M, 2G (powers of 1000), 64KiB, 2GiB (powers of 1024).
        #[arg(long, value_name = "S", value_parser = byte_size, allow_hyphen_values = true)]
        max_size: Option<u64>,
    },
    /// Check every entry (header, checksum, key, contents); remove bad ones. Exit 1 if any was bad.
    Verify,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// For a GitHub step summary or a pull-request comment.
    Markdown,
    /// GitHub workflow commands (::error file=...,line=...::...).
    Github,
}

/// `FORMAT=FILE` of `--report`.
fn parse_report_spec(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected FORMAT=FILE, as json=report.json"))?;
    let format = Format::from_str(format, true)
        .map_err(|_| format!("{format:?}: unknown format (human, json, markdown, github)"))?;
    if file.is_empty() {
        return Err(format!("{s:?}: no file after ="));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Args, Debug)]
pub struct InstrumentArgs {
    /// Files or folders to instrument (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write a runnable copy of PATH into DIR: DIR holds what PATH holds (pass `src`, not `src/mypkg`, to get an importable `DIR/mypkg`); with several PATHs, each at its place under the folder they share. DIR must not exist, or be empty, and not lie inside PATH.
    #[arg(long, value_name = "DIR", group = "output")]
    pub out: Option<PathBuf>,

    /// Write a unified diff to FILE (`-` for standard output); `git apply FILE` applies it, `git apply -R FILE` reverts it.
    #[arg(long, value_name = "FILE", group = "output")]
    pub patch: Option<PathBuf>,

    /// Rewrite the files themselves (atomically); refuses files with uncommitted changes unless --force.
    #[arg(long, group = "output")]
    pub in_place: bool,

    /// Only report what would be instrumented; write no output (the plan cache is still used: --no-cache for none).
    #[arg(long, group = "output")]
    pub dry_run: bool,

    /// With --in-place: rewrite files with uncommitted changes too. With --patch, --report or
    /// --write-baseline: write over an existing file that is not ctinject's own earlier output
    /// (never over a file this run instruments or reads).
    #[arg(long)]
    pub force: bool,

    /// Instrument only files matching GLOB (relative to PATH; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Do not instrument files matching GLOB (relative to PATH; repeatable). They are still copied.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Configuration file (default: .ctinject.yml in PATH or a folder above it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Worker threads, 1 or more (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,

    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write the report in FORMAT to FILE (json=, markdown=, github=, human=); repeatable.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_spec)]
    pub report: Vec<(Format, PathBuf)>,

    /// Send files in languages ctinject has no planner for (Java, Ruby, PHP; C#, Kotlin, Rust,
    /// C, C++ and Lua are planned but not inserted yet) to the language model that
    /// LLM_PROVIDER, LLM_MODEL and LLM_BASE_URL name, which proposes where the telemetry calls
    /// go; every plan is checked before use (docs/llm.md). Nothing is sent without it.
    #[arg(long, help_heading = "Language-model fallback")]
    pub llm: bool,

    /// With --llm: requests at once [default: llm.jobs, else 12].
    #[arg(long, value_name = "N", value_parser = parse_jobs, help_heading = "Language-model fallback")]
    pub llm_jobs: Option<usize>,

    /// With --llm: stop sending new requests once this many dollars are spent (from the
    /// answers' token counts and the price table); what is in flight finishes.
    #[arg(long, value_name = "USD", value_parser = parse_budget, help_heading = "Language-model fallback")]
    pub budget: Option<f64>,

    /// Gate: exit 1 when the change's coverage (the functions --since selects) is under PCT percent.
    #[arg(long, value_name = "PCT", value_parser = gate::parse_percent, help_heading = "Gate")]
    pub fail_under: Option<f64>,

    /// Gate: exit 1 when the project's coverage fell more than PCT points below the baseline
    /// (--baseline FILE, or else the project at the merge-base of --since, read from git).
    #[arg(long, value_name = "PCT", value_parser = gate::parse_percent, help_heading = "Gate")]
    pub max_drop: Option<f64>,

    /// Gate: the baseline for --max-drop, written earlier by --write-baseline.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Gate",
        requires = "max_drop"
    )]
    pub baseline: Option<PathBuf>,

    /// Write the project's coverage to FILE, as a baseline for later --max-drop runs.
    #[arg(long, value_name = "FILE", help_heading = "Gate")]
    pub write_baseline: Option<PathBuf>,

    /// Gate: report the verdict but never fail (exit 0).
    #[arg(long, help_heading = "Gate")]
    pub informational: bool,

    /// List every skipped point with its reason.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Instrument only the functions changed since the merge-base of REF and
    /// HEAD (staged, unstaged; with --include-untracked, new files too).
    /// On a pull request's merge commit, use --since HEAD^1.
    #[arg(long, value_name = "REF", help_heading = "Git")]
    pub since: Option<String>,

    /// Instrument only the functions changed in the index (for pre-commit): the index against HEAD, or with --since against the merge-base of REF.
    #[arg(long, help_heading = "Git", conflicts_with = "diff_file")]
    pub staged: bool,

    /// With --since: untracked (not ignored) files count as new files.
    #[arg(long, help_heading = "Git")]
    pub include_untracked: bool,

    /// Instrument only the functions changed in a unified diff made elsewhere (`-`: standard input).
    #[arg(long, value_name = "FILE", help_heading = "Git", conflicts_with_all = ["since", "staged"])]
    pub diff_file: Option<PathBuf>,

    /// With --since: compare with this commit instead of the working tree; the changed files are read from it, so only --dry-run and --patch (a patch for that commit) go with it.
    #[arg(long, value_name = "REF", help_heading = "Git", requires = "since")]
    pub to: Option<String>,

    /// Plan cache folder (default: CTINJECT_CACHE_DIR; else .ctinject/cache at the top of the repository, target/ctinject/cache in a Cargo workspace, or ~/.cache/ctinject outside a repository).
    #[arg(long, value_name = "DIR", help_heading = "Cache")]
    pub cache_dir: Option<PathBuf>,

    /// Neither read nor write the plan cache.
    #[arg(long, help_heading = "Cache", conflicts_with = "cache_dir")]
    pub no_cache: bool,

    /// Benchmark baseline: discover, read and parse the same files, and stop.
    #[arg(long, hide = true, conflicts_with = "output")]
    pub parse_only: bool,
}

fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 threads would do nothing; give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a number of threads")),
    }
}

/// `--max-size`: a number of bytes, or a number and a unit as the bytesize
/// crate reads them (`K`, `KB`: 1000; `Ki`, `KiB`: 1024; up to `P`).
fn byte_size(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("{e}; expected bytes or a size such as 500K, 100MB, 2GiB"))
}

/// Parses `args` (program name first) as `bin_name` and runs; returns the exit code.
pub fn main_with(bin_name: &'static str, args: Vec<std::ffi::OsString>) -> i32 {
    let mut cmd = Cli::command().bin_name(bin_name);
    if bin_name != "ctinject" {
        cmd = cmd.name(bin_name);
    }
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return 2;
        }
    };
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ctinject: error: {e:#}");
            2
        }
    }
}

fn execute(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Init { force }) => init(force),
        Some(Command::Hook {
            paths,
            config,
            fail_under,
        }) => hook(paths, config, fail_under),
        Some(Command::Cache { action, cache_dir }) => cache_command(action, cache_dir),
        Some(Command::Check(args)) => check_command(args),
        Some(Command::Trace { action }) => trace_command(action),
        None => instrument(cli.instrument),
    }
}

fn init(force: bool) -> Result<i32> {
    let path = PathBuf::from(config::FILE_NAME);
    if path.exists() && !force {
        anyhow::bail!(
            "{} exists already (use --force to overwrite it)",
            path.display()
        );
    }
    crate::emit::atomic_write(&path, config::DEFAULT_CONFIG.as_bytes(), None)?;
    println!("wrote {}", path.display());
    Ok(0)
}

/// The configuration file: `--config FILE`, or `.ctinject.yml` found from `start`.
fn config_file(explicit: Option<&PathBuf>, start: &std::path::Path) -> Option<PathBuf> {
    explicit.cloned().or_else(|| Config::discover(start))
}

/// The configuration read from `file`, or the defaults.
fn load_config(file: Option<&PathBuf>) -> Result<Config> {
    file.map_or_else(|| Ok(Config::default()), |p| Config::load(p))
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

fn check_command(a: CheckArgs) -> Result<i32> {
    use crate::executed::{evaluate, Seen};
    let paths = default_paths(a.paths);
    let config_file = config_file(a.config.as_ref(), &paths[0]);
    let outputs: Vec<OutputFile> = a
        .report
        .iter()
        .map(|(format, file)| OutputFile {
            flag: format!("--report {}=", format!("{format:?}").to_lowercase()),
            path: file.clone(),
            kind: OutputKind::Report,
        })
        .collect();
    let inputs = Inputs {
        paths: paths.clone(),
        files: a
            .traces
            .iter()
            .cloned()
            .chain(config_file.clone())
            .collect(),
    };
    outputs::check(&outputs, &inputs, a.force)?;
    let config = load_config(config_file.as_ref())?;
    let job = Job {
        paths,
        output: OutputChoice::DryRun,
        config,
        include: a.include,
        exclude: a.exclude,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        progress: false,
        quiet: true,
        force: false,
        parse_only: false,
        selection: Some(DiffRequest {
            since: Some(a.since),
            staged: false,
            include_untracked: a.include_untracked,
            diff_file: None,
            to: None,
        }),
        cache: CacheChoice::Default,
        llm: crate::fallback::Choice::Off { configured: None },
    };
    let report = run::run(&job)?;
    if let Some(file) = (report.files.iter())
        .find(|f| f.reason.as_deref() == Some(crate::engine::ALREADY_INSTRUMENTED))
    {
        bail!(
            "{} is instrumented (ctinject's own output): check reads the change as committed, so revert the patch first (git apply -R PATCH) or run it in a checkout without it",
            file.path
        );
    }
    let mut seen = Seen::default();
    trace_files::for_each_line(&a.traces, |line, place| {
        seen.line(line, place);
        Ok(())
    })?;
    warn_malformed(seen.first_malformed.as_deref());
    if seen.events == 0 {
        // Only the changed functions write events: none ran, or telemetry was off.
        eprintln!(
            "ctinject: warning: no trace events in {}: the tests ran none of the changed functions, or ran without CTINJECT_TRACE_FILE on the instrumented copy",
            trace_files::names(&a.traces)
        );
    }
    let mut executed = evaluate(&report, &seen);
    if let Some(pct) = a.fail_under_executed {
        executed.gate(pct);
    }
    let render = |format: Format| match format {
        Format::Json => executed.to_json(),
        Format::Human => executed.to_human(),
        Format::Markdown => executed.to_markdown(),
        Format::Github => executed.to_github(),
    };
    for (format, file) in &a.report {
        write_output(file, &render(*format))?;
    }
    print!("{}", render(a.format));
    Ok(executed.exit_code())
}

fn trace_command(action: TraceAction) -> Result<i32> {
    match action {
        TraceAction::Summary {
            files,
            format,
            top,
            depth,
        } => trace_summary(&files, format, top, depth),
        TraceAction::Export {
            files,
            otlp,
            protocol,
            compression,
            service_name,
            headers,
            batch_size,
        } => {
            let flags = otlp_export::Flags {
                otlp,
                protocol,
                compression,
                service_name,
                headers,
                timeout_ms: None,
                batch_size: batch_size as usize,
            };
            trace_export(&files, &flags)
        }
        TraceAction::Perfetto {
            files,
            output,
            force,
        } => trace_perfetto(&files, &output, force),
        TraceAction::Flamegraph {
            files,
            output,
            title,
            force,
        } => trace_flamegraph(&files, &output, title, force),
    }
}

/// Refuses `-o FILE` when it would overwrite a trace being read, a folder, or
/// a file that is not ctinject's own output of `kind` (without --force).
fn check_trace_output(
    files: &[PathBuf],
    output: &std::path::Path,
    kind: OutputKind,
    force: bool,
) -> Result<()> {
    let out = OutputFile {
        flag: "-o ".into(),
        path: output.to_path_buf(),
        kind,
    };
    let inputs = Inputs {
        paths: Vec::new(),
        files: files
            .iter()
            .filter(|f| f.as_os_str() != "-")
            .cloned()
            .collect(),
    };
    outputs::check(&[out], &inputs, force)
}

fn trace_perfetto(files: &[PathBuf], output: &std::path::Path, force: bool) -> Result<i32> {
    use crate::trace::perfetto::Converter;
    if files.iter().any(|f| f.as_os_str() == "-") {
        bail!("trace perfetto reads its input twice (once for the earliest time), so it takes files, not - (save standard input to a file first)");
    }
    check_trace_output(files, output, OutputKind::Perfetto, force)?;
    let mut converter = Converter::default();
    trace_files::for_each_line(files, |line, _| {
        converter.scan(line);
        Ok(())
    })?;
    if !converter.has_events() {
        return Err(no_events(files));
    }
    let mut stats = None;
    crate::emit::atomic_write_with(output, None, |mut out| {
        trace_files::for_each_line(files, |line, place| {
            Ok(converter.write(line, place, &mut out)?)
        })?;
        stats = Some(std::mem::take(&mut converter).finish(&mut out)?);
        Ok(())
    })?;
    let stats = stats.expect("written");
    warn_malformed(stats.first_malformed.as_deref());
    eprintln!(
        "ctinject: wrote {} ({} calls, {} point events); open it at https://ui.perfetto.dev (Open trace file)",
        output.display(),
        stats.spans,
        stats.instants
    );
    Ok(0)
}

fn trace_flamegraph(
    files: &[PathBuf],
    output: &std::path::Path,
    title: Option<String>,
    force: bool,
) -> Result<i32> {
    use crate::trace::{flamegraph, summary::Builder};
    check_trace_output(files, output, OutputKind::FlameGraph, force)?;
    let mut builder = Builder::default();
    trace_files::for_each_line(files, |line, place| {
        builder.line(line, place);
        Ok(())
    })?;
    warn_malformed(builder.first_malformed());
    let summary = builder.finish();
    if summary.events == 0 {
        return Err(no_events(files));
    }
    let title = title.unwrap_or_else(|| format!("ctinject: {}", trace_files::names(files)));
    let mut svg = Vec::new();
    flamegraph::render(&summary, &title, &mut svg)?;
    crate::emit::atomic_write(output, &svg, None)?;
    eprintln!(
        "ctinject: wrote {} ({} calls); a browser opens it",
        output.display(),
        summary.spans
    );
    Ok(0)
}

/// The message for a trace with no events at all.
fn no_events(files: &[PathBuf]) -> anyhow::Error {
    anyhow::anyhow!(
        "no trace events in {} (a trace is the JSON-lines file that instrumented code writes to CTINJECT_TRACE_FILE)",
        trace_files::names(files)
    )
}

fn warn_malformed(first: Option<&str>) {
    if let Some(first) = first {
        eprintln!(
            "ctinject: warning: some lines are not trace events (left out); the first: {first}"
        );
    }
}

fn trace_summary(
    files: &[PathBuf],
    format: SummaryFormat,
    top: usize,
    depth: usize,
) -> Result<i32> {
    use crate::trace::summary::{render_human, Builder, Limits};
    let mut builder = Builder::default();
    trace_files::for_each_line(files, |line, place| {
        builder.line(line, place);
        Ok(())
    })?;
    warn_malformed(builder.first_malformed());
    let summary = builder.finish();
    if summary.events == 0 {
        return Err(no_events(files));
    }
    match format {
        SummaryFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
        SummaryFormat::Human => print!("{}", render_human(&summary, Limits { top, depth })),
    }
    Ok(0)
}

fn trace_export(files: &[PathBuf], flags: &otlp_export::Flags) -> Result<i32> {
    let settings = otlp_export::Settings::resolve(flags, &|name| std::env::var(name).ok())?;
    let outcome = otlp_export::export(files, &settings)?;
    let s = &outcome.stats;
    warn_malformed(s.first_malformed.as_deref());
    if s.lines == s.malformed && outcome.failure.is_none() {
        return Err(no_events(files));
    }
    let mut not_sent = Vec::new();
    for (n, what) in [
        (s.events_outside_spans, "events outside any span"),
        (s.orphan_events, "events whose span is not in the trace"),
        (s.dropped_events, "events over 128 in a span"),
        (s.summaries, "summary events (calls, vars, ...: not spans)"),
    ] {
        if n > 0 {
            not_sent.push(format!("{n} {what}"));
        }
    }
    let retries = match outcome.retries {
        0 => String::new(),
        n => format!(", {n} retried"),
    };
    let verb = if outcome.failure.is_some() {
        "read"
    } else {
        "exported"
    };
    eprintln!(
        "ctinject: {verb} {} spans with {} events to {} ({} requests{retries})",
        s.spans, s.events, settings.url, outcome.requests
    );
    if !not_sent.is_empty() {
        eprintln!("ctinject: not sent: {}", not_sent.join(", "));
    }
    if outcome.rejected_spans > 0 {
        eprintln!(
            "ctinject: error: the receiver rejected {} spans{}",
            outcome.rejected_spans,
            outcome
                .rejected_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    if let Some(failure) = &outcome.failure {
        eprintln!("ctinject: error: {failure}; the spans from there on were not sent");
        return Ok(1);
    }
    Ok(if outcome.rejected_spans > 0 { 1 } else { 0 })
}

fn cache_command(action: CacheAction, cache_dir: Option<PathBuf>) -> Result<i32> {
    let here = std::fs::canonicalize(".")?;
    let top = run::repo_top(&here);
    let choice = cache_dir.map_or(CacheChoice::Default, CacheChoice::Dir);
    let dir = run::cache_dir(&choice, top.as_deref(), &here).expect("a cache folder");
    let cache = Cache::open(&dir)?;
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    match action {
        CacheAction::Stats => {
            let s = cache.stats()?;
            let age = |t: Option<std::time::SystemTime>| {
                t.and_then(|t| t.elapsed().ok())
                    .map_or("-".to_string(), |d| {
                        format!("{:.1} h ago", d.as_secs_f64() / 3600.0)
                    })
            };
            println!("cache {}", dir.display());
            println!("entries: {}, {:.1} MiB", s.entries, mb(s.bytes));
            println!(
                "least recently used: {}; most recently used: {}",
                age(s.oldest),
                age(s.newest)
            );
            if s.temp_files > 0 {
                println!(
                    "temporary files: {} (writes in progress, or left by a crash)",
                    s.temp_files
                );
            }
            Ok(0)
        }
        CacheAction::Clear => {
            println!("removed {} entries from {}", cache.clear()?, dir.display());
            Ok(0)
        }
        CacheAction::Prune {
            older_than,
            max_size,
        } => {
            if older_than.is_none() && max_size.is_none() {
                anyhow::bail!("cache prune needs --older-than D and/or --max-size S");
            }
            let p = cache.prune(older_than, max_size)?;
            println!(
                "removed {} entries ({:.1} MiB), kept {}",
                p.removed,
                mb(p.freed_bytes),
                p.kept
            );
            Ok(0)
        }
        CacheAction::Verify => {
            let v = cache.verify()?;
            for (entry, why) in &v.bad {
                println!("bad entry {entry}: {why} (removed)");
            }
            println!("checked {} entries, {} bad", v.checked, v.bad.len());
            Ok(if v.bad.is_empty() { 0 } else { 1 })
        }
    }
}

fn hook(paths: Vec<PathBuf>, config: Option<PathBuf>, fail_under: f64) -> Result<i32> {
    let paths = default_paths(paths);
    let config = load_config(config_file(config.as_ref(), &paths[0]).as_ref())?;
    let from = std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let to = std::env::var("PRE_COMMIT_TO_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let selection = match (from, to) {
        (Some(from), Some(to)) => DiffRequest {
            since: Some(from),
            to: Some(to),
            ..Default::default()
        },
        _ => DiffRequest {
            staged: true,
            ..Default::default()
        },
    };
    let job = Job {
        paths,
        output: OutputChoice::DryRun,
        config,
        include: Vec::new(),
        exclude: Vec::new(),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        progress: false,
        quiet: false,
        force: false,
        parse_only: false,
        selection: Some(selection),
        cache: CacheChoice::Default,
        llm: crate::fallback::Choice::Off { configured: None },
    };
    let mut report = run::run(&job)?;
    if report.totals.functions == 0 {
        println!("ctinject: nothing to check (no changed function)");
        return Ok(0);
    }
    let opts = GateOptions {
        fail_under: Some(fail_under),
        max_drop: None,
        informational: false,
    };
    let g = gate::evaluate(
        &opts,
        report.totals.functions,
        report.totals.points.total(),
        None,
        None,
    );
    let code = g.exit_code();
    let failed = code != 0;
    report.gate = Some(g);
    print!("{}", report.to_human(true));
    if failed {
        println!("ctinject: to commit anyway: waive a function with a `# ctinject: waive REASON` comment on its def line (or the configuration's `waive`), or lower the hook's --fail-under (args: [--fail-under, \"90\"])");
    }
    Ok(code)
}

/// Flags that mean nothing without another one. clap's `requires` does not
/// catch these: a flag's default (`false`) counts as present.
fn refuse_lone_flags(a: &InstrumentArgs) -> Result<()> {
    let writes_a_file = a.patch.as_ref().is_some_and(|p| p.as_os_str() != "-")
        || !a.report.is_empty()
        || a.write_baseline.is_some();
    if a.force && !a.in_place && !writes_a_file {
        bail!("--force only goes with --in-place (rewrite files with uncommitted changes) or with --patch, --report, --write-baseline (write over a file that is not ctinject's)");
    }
    if a.informational && a.fail_under.is_none() && a.max_drop.is_none() {
        bail!("--informational only goes with a gate: --fail-under PCT or --max-drop PCT");
    }
    if a.include_untracked && a.since.is_none() {
        bail!("--include-untracked only goes with --since");
    }
    Ok(())
}

/// The files `a` asks to write outside ctinject's own folders, checked
/// against what the run reads before any work is done.
fn check_output_files(
    a: &InstrumentArgs,
    paths: &[PathBuf],
    config: Option<PathBuf>,
) -> Result<()> {
    let mut files = Vec::new();
    if let Some(p) = a.patch.as_ref().filter(|p| p.as_os_str() != "-") {
        files.push(OutputFile {
            flag: "--patch ".into(),
            path: p.clone(),
            kind: OutputKind::Patch,
        });
    }
    for (format, path) in &a.report {
        let name = format.to_possible_value().expect("no variant is skipped");
        files.push(OutputFile {
            flag: format!("--report {}=", name.get_name()),
            path: path.clone(),
            kind: OutputKind::Report,
        });
    }
    if let Some(p) = &a.write_baseline {
        files.push(OutputFile {
            flag: "--write-baseline ".into(),
            path: p.clone(),
            kind: OutputKind::Baseline,
        });
    }
    let inputs = Inputs {
        paths: paths.to_vec(),
        files: config
            .into_iter()
            .chain(a.baseline.clone())
            .chain(a.diff_file.clone().filter(|p| p.as_os_str() != "-"))
            .collect(),
    };
    outputs::check(&files, &inputs, a.force)
}

/// Writes a report or baseline (checked by [`check_output_files`]).
fn write_output(file: &std::path::Path, text: &str) -> Result<()> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    crate::emit::remove_leftovers(dir.unwrap_or(std::path::Path::new(".")));
    crate::emit::atomic_write(file, text.as_bytes(), None)
}

/// `--budget`: dollars, 0 or more.
fn parse_budget(s: &str) -> Result<f64, String> {
    s.trim()
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("{s:?}: give dollars, as 0.50"))
}

/// The fallback's choice: `--llm` with the provider the environment names,
/// or off (naming the provider `--llm` would use).
fn llm_choice(
    llm: bool,
    jobs: Option<usize>,
    budget: Option<f64>,
    config: &crate::config::Llm,
) -> Result<crate::fallback::Choice> {
    use crate::fallback::Choice;
    use crate::llm::client::Settings;
    let settings = Settings::resolve(&|name| std::env::var(name).ok(), config);
    if !(llm || config.enabled) {
        if jobs.is_some() || budget.is_some() {
            bail!("--llm-jobs and --budget go with --llm (or llm.enabled in the configuration)");
        }
        let configured = settings
            .ok()
            .flatten()
            .map(|s| format!("{} ({})", s.provider.name(), s.models.join(", ")));
        return Ok(Choice::Off { configured });
    }
    match settings {
        Ok(Some(mut s)) => {
            s.jobs = jobs.unwrap_or(s.jobs);
            s.budget = budget.or(s.budget);
            Ok(Choice::On {
                settings: s,
                checks: config.check.clone(),
                languages: config.languages.clone(),
            })
        }
        Ok(None) => bail!("--llm needs a provider: set LLM_PROVIDER (openai, anthropic or ollama) and LLM_MODEL, and the provider's key (docs/llm.md)"),
        Err(e) => bail!("--llm: {e}"),
    }
}

fn instrument(a: InstrumentArgs) -> Result<i32> {
    refuse_lone_flags(&a)?;
    let paths = default_paths(a.paths.clone());
    let config_file = config_file(a.config.as_ref(), &paths[0]);
    check_output_files(&a, &paths, config_file.clone())?;
    let config = load_config(config_file.as_ref())?;
    let selection = if a.since.is_some() || a.staged || a.diff_file.is_some() {
        Some(DiffRequest {
            since: a.since,
            staged: a.staged,
            include_untracked: a.include_untracked,
            diff_file: a.diff_file,
            to: a.to,
        })
    } else {
        None
    };
    let output = if a.parse_only {
        OutputChoice::DryRun
    } else if let Some(d) = a.out {
        OutputChoice::Dir(d)
    } else if let Some(p) = a.patch {
        OutputChoice::Patch(p)
    } else if a.in_place {
        OutputChoice::InPlace
    } else if a.dry_run {
        OutputChoice::DryRun
    } else {
        OutputChoice::Default
    };
    let patch_to_stdout = output == OutputChoice::Patch(PathBuf::from("-"));
    let llm = llm_choice(a.llm, a.llm_jobs, a.budget, &config.llm)?;
    let job = Job {
        paths,
        output,
        config,
        include: a.include,
        exclude: a.exclude,
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        progress: !a.quiet,
        quiet: a.quiet,
        force: a.force,
        parse_only: a.parse_only,
        selection,
        cache: match (a.no_cache, a.cache_dir) {
            (true, _) => CacheChoice::Off,
            (false, Some(d)) => CacheChoice::Dir(d),
            (false, None) => CacheChoice::Default,
        },
        llm,
    };
    let mut report = run::run(&job)?;
    let gate_opts = GateOptions {
        fail_under: a.fail_under,
        max_drop: a.max_drop,
        informational: a.informational,
    };
    let mut code = 0;
    if gate_opts.active() || a.write_baseline.is_some() {
        // The whole project, when the run itself covered only the change.
        let whole = Job {
            selection: None,
            output: OutputChoice::DryRun,
            progress: false,
            // the whole project's count sends nothing to a language model
            llm: crate::fallback::Choice::Off { configured: None },
            ..job.clone()
        };
        let project = if gate_opts.max_drop.is_none() && a.write_baseline.is_none() {
            None
        } else if job.selection.is_none() {
            Some(report.totals.points.clone())
        } else if let Some(to) = &report.compared.to {
            // The project as it is at `--to`, not as the disk has it.
            Some(run::counts_at_revision(&whole, to)?)
        } else {
            Some(run::run(&whole)?.totals.points)
        };
        let baseline = match (gate_opts.max_drop, &a.baseline) {
            (None, _) => None,
            // From the counts, not the file's rounded percentage.
            (Some(_), Some(file)) => {
                BaselineRef::from_counts(BaselineFile::load(file)?.points.total(), "file")
            }
            (Some(_), None) => {
                // The commit the change was measured from.
                let merge_base = report
                    .compared
                    .base
                    .clone()
                    .filter(|_| job.selection.as_ref().is_some_and(|s| s.since.is_some()))
                    .ok_or_else(|| {
                        anyhow::anyhow!("--max-drop needs a baseline: --baseline FILE, or --since REF to compare with the merge-base")
                    })?;
                let counts = run::counts_at_revision(&whole, &merge_base)?;
                BaselineRef::from_counts(counts.total(), "merge-base")
            }
        };
        if let (Some(file), Some(points)) = (&a.write_baseline, &project) {
            write_output(file, &BaselineFile::new(points).to_json())?;
        }
        if gate_opts.active() {
            let g = gate::evaluate(
                &gate_opts,
                report.totals.functions,
                report.totals.points.total(),
                project.as_ref().map(|p| p.total()),
                baseline,
            );
            code = g.exit_code();
            report.gate = Some(g);
        }
    }
    let render = |format: Format| match format {
        Format::Json => report.to_json(),
        Format::Human => report.to_human(a.verbose),
        Format::Markdown => report.to_markdown(),
        Format::Github => report.to_github(),
    };
    for (format, file) in &a.report {
        write_output(file, &render(*format))?;
    }
    let text = if a.quiet && a.format == Format::Human {
        String::new()
    } else {
        render(a.format)
    };
    if patch_to_stdout {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    // `-q` prints nothing but errors, and a failed gate is one: say why.
    if let (true, Some(g)) = (a.quiet && code != 0, &report.gate) {
        eprintln!("ctinject: {}", g.summary());
    }
    Ok(code)
}
