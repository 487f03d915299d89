//! The language-model fallback's driver (the I/O around [`crate::llm`]):
//! for each file in a language without a planner, the plan from the cache
//! or from the model, the instrumented text, and the file's report.
//!
//! Nothing leaves the machine unless the user opted in (`--llm`) and a
//! provider is configured; otherwise each such file is reported as skipped,
//! with how to turn the fallback on, and left out of coverage.

use crate::cache::{file_key, Cache, KeyParts, Lookup};
use crate::emit::Rewrite;
use crate::git::FileChange;
use crate::llm::client::{Client, Settings};
use crate::llm::forms::FallbackLanguage;
use crate::llm::{answer, prompt};
use crate::report::FileReport;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// A file for the fallback.
pub struct Candidate {
    pub abs: PathBuf,
    /// Relative to the root: the path the inserted calls name.
    pub rel: String,
    /// As the report shows it.
    pub display: String,
    pub lang: &'static FallbackLanguage,
    /// Under `--since`: how it changed (only the functions it touches keep
    /// their inserts).
    pub change: Option<FileChange>,
}

/// What the user chose.
#[derive(Clone, Debug)]
pub enum Choice {
    /// No `--llm`: nothing is sent. `configured` names the provider that
    /// `--llm` would use, for the skip reason.
    Off { configured: Option<String> },
    On {
        settings: Settings,
        /// A check command per language (the configuration's `llm.check`).
        checks: std::collections::BTreeMap<String, String>,
        /// The languages to send (`llm.languages`; None: all).
        languages: Option<Vec<String>>,
    },
}

impl Choice {
    /// Whether files of `lang` are sent (and so count toward coverage).
    pub fn sends(&self, lang: &FallbackLanguage) -> bool {
        match self {
            Choice::Off { .. } => false,
            Choice::On { languages, .. } => languages
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == lang.name)),
        }
    }
}

/// One file's result.
pub struct Done {
    pub rel: String,
    pub rewrite: Option<Rewrite>,
    pub report: FileReport,
    /// Where the runtime it calls goes (relative to the root), and its text.
    pub runtime: Option<(String, &'static str)>,
}

/// The report's `llm` section: what was sent where, and what it cost.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LlmReport {
    pub provider: String,
    pub models: Vec<String>,
    /// Every file sent, with the models asked and the answers' cost.
    pub sent: Vec<SentFile>,
    /// Files whose plan came from the cache: no request, no cost.
    pub cached: Vec<String>,
    /// Files not sent because the budget was spent.
    pub not_sent: Vec<String>,
    /// Dollars, from the answers' usage and the price table.
    pub cost: f64,
    /// Some model had no price: the cost is a lower bound.
    pub cost_incomplete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SentFile {
    pub file: String,
    pub models: Vec<String>,
    pub attempts: u32,
    pub cost: f64,
    pub accepted: bool,
}

/// Plans `files` as `choice` says; `cache` and `config_hash` as for the
/// planned languages. With `progress`, a count of answered files and the
/// cost so far are kept up to date on standard error.
pub fn run(
    files: Vec<Candidate>,
    choice: &Choice,
    cache: Option<&Cache>,
    config_hash: &str,
    progress: bool,
) -> (Vec<Done>, Option<LlmReport>) {
    let (settings, checks) = match choice {
        Choice::Off { configured } => {
            let how = match configured {
                Some(provider) => format!("pass --llm to send it to {provider} (docs/llm.md)"),
                None => "set LLM_PROVIDER and LLM_MODEL (and the provider's key), then pass --llm (docs/llm.md)".to_string(),
            };
            // Out of scope until the user opts in: listed, not counted.
            let why = format!("the language-model fallback can instrument it: {how}");
            return (not_planned(files, choice, &why), None);
        }
        Choice::On {
            settings, checks, ..
        } => (settings, checks),
    };
    let (files, not_chosen): (Vec<Candidate>, Vec<Candidate>) =
        files.into_iter().partition(|c| choice.sends(c.lang));
    let mut left = not_planned(not_chosen, choice, "llm.languages leaves it out: not sent");
    let mut report = LlmReport {
        provider: settings.provider.name().to_string(),
        models: settings.models.clone(),
        budget: settings.budget,
        ..Default::default()
    };
    let client = match Client::new(settings.clone()) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            left.extend(files.into_iter().map(|c| skipped(c, e.clone())));
            return (left, Some(report));
        }
    };
    let key_language = |lang: &FallbackLanguage| {
        format!(
            "llm {} {} {} prompt {}",
            lang.name,
            settings.provider.name(),
            settings.models.join(","),
            prompt::PROMPT_VERSION
        )
    };
    // Read, and look up the cache; what is left is asked, concurrently.
    let mut done: Vec<Option<Done>> = Vec::new();
    let mut to_ask = Vec::new();
    for (i, c) in files.into_iter().enumerate() {
        let source = match std::fs::read(&c.abs).map(String::from_utf8) {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => {
                done.push(Some(skipped(c, "not UTF-8 text".into())));
                continue;
            }
            Err(e) => {
                done.push(Some(skipped(c, format!("cannot read: {e}"))));
                continue;
            }
        };
        if c.lang.grammar.is_none() && !checks.contains_key(c.lang.name) {
            let reason = format!(
                "ctinject has no {0} grammar to check a plan with: set llm.check.{0} in the configuration (docs/llm.md) for the fallback to send it",
                c.lang.name
            );
            done.push(Some(skipped(c, reason)));
            continue;
        }
        let key = file_key(&KeyParts {
            source: &source,
            language: &key_language(c.lang),
            rel_path: &c.rel,
            runtime_ref: "",
            config_hash,
            selection: "all",
        });
        let hit = cache.and_then(|cache| {
            match cache.get(&key, &|plan| answer::recheck(c.lang, &source, &c.rel, plan)) {
                Lookup::Hit(plan) => Some(plan),
                _ => None,
            }
        });
        match hit {
            Some(plan) => {
                report.cached.push(c.display.clone());
                done.push(Some(finish(
                    c,
                    &source,
                    plan,
                    Some("from the cache: no request".into()),
                )));
            }
            None => {
                done.push(None);
                to_ask.push((i, c, source, key));
            }
        }
    }
    if !to_ask.is_empty() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let answers = runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (n, (_, c, source, _)) in to_ask.iter().enumerate() {
                let client = Arc::clone(&client);
                let (lang, source, rel) = (c.lang, source.clone(), c.rel.clone());
                // The project's root: the file's path less its relative path.
                let project = c
                    .abs
                    .ancestors()
                    .nth(c.rel.split('/').count())
                    .map(PathBuf::from)
                    .unwrap_or_default();
                let check = checks.get(lang.name).map(|command| {
                    check_command(command.clone(), lang, rel.clone(), source.clone(), project)
                });
                set.spawn(async move {
                    let outcome = client.plan_file(lang, &source, &rel, check).await;
                    (n, outcome)
                });
            }
            let mut answers = vec![None; to_ask.len()];
            let bar = progress_bar(progress, to_ask.len(), settings.provider.name());
            let mut spent = 0.0;
            while let Some(joined) = set.join_next().await {
                let (n, outcome) = joined.expect("a planning task does not panic");
                spent += outcome.cost;
                bar.inc(1);
                bar.set_message(format!("${spent:.4}"));
                answers[n] = Some(outcome);
            }
            bar.finish_and_clear();
            answers
        });
        for ((i, c, source, key), outcome) in to_ask.into_iter().zip(answers) {
            let outcome = outcome.expect("every task answered");
            report.cost += outcome.cost;
            report.cost_incomplete |= outcome.unpriced;
            if outcome.not_sent {
                report.not_sent.push(c.display.clone());
            } else {
                report.sent.push(SentFile {
                    file: c.display.clone(),
                    models: outcome.models.clone(),
                    attempts: outcome.attempts,
                    cost: outcome.cost,
                    accepted: outcome.result.is_ok(),
                });
            }
            done[i] = Some(match outcome.result {
                Ok(plan) => {
                    if let Some(cache) = cache {
                        // A plan that cannot be stored is asked for again next time.
                        let _ = cache.put(&key, &plan);
                    }
                    let note = format!(
                        "planned by {} ({}) in {} attempt{}, ${:.4}",
                        settings.provider.name(),
                        outcome.models.join(", "),
                        outcome.attempts,
                        if outcome.attempts == 1 { "" } else { "s" },
                        outcome.cost
                    );
                    finish(c, &source, plan, Some(note))
                }
                Err(reason) => skipped(c, reason),
            });
        }
    }
    left.extend(done.into_iter().map(|d| d.expect("every file done")));
    (left, Some(report))
}

/// The files answered so far, out of `len`, and what they cost (hidden
/// without `show`: not a terminal, or `--quiet`).
fn progress_bar(show: bool, len: usize, provider: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "ctinject: language model ({provider}): {{pos}}/{{len}} files answered, {{msg}} [{{elapsed}}]"
        ))
        .expect("a valid template"),
    );
    bar.set_message("$0.0000");
    // Answers take seconds: keep the elapsed time moving between them.
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    bar
}

/// Files the fallback does not plan, and `why`: skipped, and counted, when
/// the user asked for their language; otherwise listed, not counted.
pub fn not_planned(files: Vec<Candidate>, choice: &Choice, why: &str) -> Vec<Done> {
    files
        .into_iter()
        .map(|c| {
            if choice.sends(c.lang) {
                skipped(c, why.to_string())
            } else {
                let reason = format!("no planner for {}: not counted; {why}", c.lang.name);
                left_out(c, reason)
            }
        })
        .collect()
}

/// A file out of scope: listed with why, not counted.
fn left_out(c: Candidate, reason: String) -> Done {
    Done {
        report: FileReport::left_out(c.display, c.lang.name, reason),
        rel: c.rel,
        rewrite: None,
        runtime: None,
    }
}

fn skipped(c: Candidate, reason: String) -> Done {
    Done {
        report: FileReport::skipped(c.display, c.lang.name, reason),
        rel: c.rel,
        rewrite: None,
        runtime: None,
    }
}

/// The instrumented text and report of an accepted plan, under the change's
/// selection.
fn finish(
    c: Candidate,
    source: &str,
    mut plan: crate::engine::FilePlan,
    note: Option<String>,
) -> Done {
    if let Some(change) = &c.change {
        // Without a grammar there are no functions: the file is one unit.
        let whole = c.lang.grammar.is_none();
        plan.select(|u| (whole || !u.is_module()) && change.touches(u.lines.0, u.lines.1));
    }
    if c.lang.runtime.is_none() {
        // Calls of a runtime that does not exist would not build: the plan
        // is kept (in the cache and the report), the copy left as it was.
        let reason = format!(
            "planned, not inserted: ctinject has no {} runtime yet",
            c.lang.name
        );
        for unit in &mut plan.units {
            unit.drop_with_reason(&reason);
        }
    }
    let new = plan.apply(source);
    let mut report = FileReport::from_plan(c.display, c.lang.name, &plan, new.is_some());
    report.note = match (note, c.lang.runtime) {
        (Some(n), None) => Some(format!(
            "{n}; not inserted: ctinject has no {} runtime yet (the plan is kept in the cache)",
            c.lang.name
        )),
        (n, _) => n,
    };
    let runtime = new.as_ref().and(c.lang.runtime).map(|(name, text)| {
        let dir = c.lang.runtime_dir(&c.rel, source);
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        (path, text)
    });
    Done {
        rel: c.rel,
        rewrite: new.map(|new| Rewrite {
            original: source.to_string(),
            new,
        }),
        report,
        runtime,
    }
}

/// The configuration's check command for a file: the instrumented text is
/// written, with the runtime, to a folder of its own (`{root}`) at the
/// file's place (`{file}`, in `{dir}`), and the command runs there with
/// `sh -c` (`{project}` is the project's own root, for the other files it
/// needs); a failure refuses the plan with the command's output.
fn check_command(
    command: String,
    lang: &'static FallbackLanguage,
    rel: String,
    original: String,
    project: PathBuf,
) -> crate::llm::client::CheckFn {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::sync::Arc::new(move |text: &str| {
        let root = std::env::temp_dir().join(format!(
            "ctinject-check-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = root.join(&rel);
        let dir = file
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| root.clone());
        let result = (|| {
            std::fs::create_dir_all(&dir).map_err(|e| format!("the check's folder: {e}"))?;
            std::fs::write(&file, text).map_err(|e| format!("the check's file: {e}"))?;
            if let Some((name, runtime)) = lang.runtime {
                let at = root.join(lang.runtime_dir(&rel, &original)).join(name);
                if let Some(parent) = at.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("the check's folder: {e}"))?;
                }
                std::fs::write(&at, runtime).map_err(|e| format!("the check's runtime: {e}"))?;
            }
            let quote = |p: &std::path::Path| {
                format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
            };
            let line = command
                .replace("{file}", &quote(&file))
                .replace("{dir}", &quote(&dir))
                .replace("{root}", &quote(&root))
                .replace("{project}", &quote(&project));
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&line)
                .current_dir(&root)
                .output()
                .map_err(|e| format!("cannot run the check command {command:?}: {e}"))?;
            if out.status.success() {
                return Ok(());
            }
            let output = String::from_utf8_lossy(&out.stderr).to_string()
                + &String::from_utf8_lossy(&out.stdout);
            let shown: String = output
                .replace(&format!("{}/", root.display()), "")
                .lines()
                .take(12)
                .collect::<Vec<_>>()
                .join("\n");
            Err(format!("the check command ({command}) failed: {shown}"))
        })();
        let _ = std::fs::remove_dir_all(&root);
        result
    })
}
