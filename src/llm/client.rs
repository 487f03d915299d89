//! Asking the model, file by file: at most `jobs` requests at once (reqwest
//! on tokio), 429/529 (and 502/503) waited out with `Retry-After`, a timeout
//! that names the provider, the models of `LLM_MODEL` in rotation, a budget
//! that stops new requests once spent, and up to [`MAX_ATTEMPTS`] attempts
//! per file, each fed the reason the previous answer was refused.

use super::answer;
use super::forms::FallbackLanguage;
use super::prompt;
use super::provider::{Price, Provider, Reply, DEFAULT_PRICES};
use crate::engine::FilePlan;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Answers asked for per file before it is skipped.
pub const MAX_ATTEMPTS: u32 = 3;
/// Waits on a rate limit (429, 529, 502, 503) per request before giving up.
pub const MAX_RATE_LIMIT_WAITS: u32 = 5;
/// The longest `Retry-After` honoured.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Who to ask and under what limits.
#[derive(Clone)]
pub struct Settings {
    pub provider: Provider,
    /// Used in turn, one request each (`LLM_MODEL=a,b`).
    pub models: Vec<String>,
    pub base_url: String,
    pub key: Option<String>,
    pub timeout: Duration,
    /// Requests at once (`--llm-jobs`).
    pub jobs: usize,
    /// Dollars; no new request once spent.
    pub budget: Option<f64>,
    /// Prices by model (the configuration's, then [`DEFAULT_PRICES`]).
    pub prices: Vec<(String, Price)>,
}

/// Without the key.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("provider", &self.provider)
            .field("models", &self.models)
            .field("base_url", &self.base_url)
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .field("timeout", &self.timeout)
            .field("jobs", &self.jobs)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// From the environment (`LLM_PROVIDER`, `LLM_MODEL`, `LLM_BASE_URL`,
    /// `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`, `LLM_TIMEOUT` in seconds),
    /// then the configuration's `llm` section for what the environment does
    /// not say (keys only from the environment). `Ok(None)` when no
    /// provider is named.
    pub fn resolve(
        env: &dyn Fn(&str) -> Option<String>,
        config: &crate::config::Llm,
    ) -> Result<Option<Settings>, String> {
        let var = |n: &str| env(n).filter(|v| !v.trim().is_empty());
        let Some(provider) = var("LLM_PROVIDER").or_else(|| config.provider.clone()) else {
            return Ok(None);
        };
        let provider = Provider::parse(&provider).map_err(|e| format!("LLM_PROVIDER: {e}"))?;
        let models: Vec<String> = var("LLM_MODEL")
            .or_else(|| config.model.clone())
            .ok_or("LLM_MODEL is not set (nor llm.model): name the model (several, separated by commas, are used in turn)")?
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        if models.is_empty() {
            return Err("LLM_MODEL names no model".into());
        }
        let key = match provider.key_variable() {
            Some(name) => Some(var(name).ok_or_else(|| {
                format!(
                    "{name} is not set: the {} provider needs a key",
                    provider.name()
                )
            })?),
            None => None,
        };
        let seconds = match var("LLM_TIMEOUT") {
            Some(t) => t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0 && s.is_finite())
                .ok_or_else(|| format!("LLM_TIMEOUT={t}: give seconds, as 120"))?,
            None => config.timeout.filter(|s| *s > 0.0).unwrap_or(120.0),
        };
        let mut prices: Vec<(String, Price)> = config
            .prices
            .iter()
            .map(|(m, p)| {
                (
                    m.clone(),
                    Price {
                        input: p.input,
                        output: p.output,
                    },
                )
            })
            .collect();
        prices.extend(DEFAULT_PRICES.iter().map(|(m, p)| (m.to_string(), *p)));
        Ok(Some(Settings {
            provider,
            models,
            base_url: var("LLM_BASE_URL")
                .or_else(|| config.base_url.clone())
                .unwrap_or_else(|| provider.default_base_url().to_string()),
            key,
            timeout: Duration::from_secs_f64(seconds),
            jobs: config.jobs.map_or(12, |j| j.max(1) as usize),
            budget: config.budget,
            prices,
        }))
    }

    /// A model's price; a local model (Ollama) costs nothing.
    fn price(&self, model: &str) -> Option<Price> {
        let listed = self
            .prices
            .iter()
            .find(|(m, _)| m == model)
            .map(|(_, p)| *p);
        listed.or((self.provider == Provider::Ollama).then_some(Price {
            input: 0.0,
            output: 0.0,
        }))
    }
}

/// The extra check of an instrumented text (a compile command), if any.
pub type Check = Option<CheckFn>;

/// A check of an instrumented text: `Err` says why it fails.
pub type CheckFn = std::sync::Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// What became of one file.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub result: Result<FilePlan, String>,
    /// Requests that got an answer (each attempt is one).
    pub attempts: u32,
    pub models: Vec<String>,
    pub cost: f64,
    /// Models with no price: their cost is unknown, not zero.
    pub unpriced: bool,
    /// No request was made: the budget was spent first.
    pub not_sent: bool,
}

/// One run's client: shared by the files, which run concurrently.
pub struct Client {
    settings: Settings,
    http: reqwest::Client,
    limit: tokio::sync::Semaphore,
    next_model: AtomicUsize,
    spent: Mutex<f64>,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("ctinject/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(Client {
            limit: tokio::sync::Semaphore::new(settings.jobs.max(1)),
            settings,
            http,
            next_model: AtomicUsize::new(0),
            spent: Mutex::new(0.0),
        })
    }

    pub fn spent(&self) -> f64 {
        *self.spent.lock().expect("not poisoned")
    }

    fn budget_left(&self) -> bool {
        self.settings.budget.is_none_or(|b| self.spent() < b)
    }

    /// Plans one file: asks, checks, asks again with the reason, at most
    /// [`MAX_ATTEMPTS`] times. `check` is the extra check of a plan (a
    /// compile command), run on the instrumented text.
    pub async fn plan_file(
        &self,
        lang: &FallbackLanguage,
        source: &str,
        rel_path: &str,
        check: Check,
    ) -> Outcome {
        let mut outcome = Outcome {
            result: Err("not asked".into()),
            attempts: 0,
            models: Vec::new(),
            cost: 0.0,
            unpriced: false,
            not_sent: false,
        };
        let system = prompt::system(lang, rel_path);
        let mut previous: Option<String> = None;
        for _ in 0..MAX_ATTEMPTS {
            let user = prompt::user(source, rel_path, previous.as_deref());
            let (reply, model) = {
                let _permit = self
                    .limit
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                // Checked with the permit held: what was in flight is counted.
                if !self.budget_left() {
                    outcome.not_sent = outcome.attempts == 0;
                    outcome.result = Err(format!(
                        "the budget (${:.4}) is spent{}",
                        self.settings.budget.unwrap_or(0.0),
                        previous
                            .as_deref()
                            .map(|p| format!("; the last answer was refused: {p}"))
                            .unwrap_or_default()
                    ));
                    return outcome;
                }
                let model = self.model();
                (self.ask(&model, &system, &user).await, model)
            };
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    // The provider failed (not the plan): no point asking again.
                    outcome.result = Err(e);
                    return outcome;
                }
            };
            // An answer that is not the provider's format counts as an
            // attempt, like a plan that is refused.
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    outcome.attempts += 1;
                    previous = Some(e);
                    continue;
                }
            };
            outcome.attempts += 1;
            outcome.models.push(model.clone());
            match self.settings.price(&model) {
                Some(price) => {
                    let cost = price.cost(&reply);
                    outcome.cost += cost;
                    *self.spent.lock().expect("not poisoned") += cost;
                }
                None => outcome.unpriced = true,
            }
            let mut checked =
                answer::parse(&reply.text).and_then(|p| answer::accept(lang, source, rel_path, &p));
            if let (Ok(plan), Some(check)) = (&checked, &check) {
                // A compile command: off the async threads.
                let text = plan.apply(source).unwrap_or_else(|| source.to_string());
                let check = std::sync::Arc::clone(check);
                let verdict = tokio::task::spawn_blocking(move || check(&text))
                    .await
                    .unwrap_or_else(|e| Err(format!("the check command's thread failed: {e}")));
                if let Err(e) = verdict {
                    checked = Err(e);
                }
            }
            match checked {
                Ok(plan) => {
                    outcome.result = Ok(plan);
                    return outcome;
                }
                Err(e) => previous = Some(e),
            }
        }
        outcome.result = Err(format!(
            "{MAX_ATTEMPTS} answers refused; the last: {}",
            previous.unwrap_or_default()
        ));
        outcome
    }

    fn model(&self) -> String {
        let models = &self.settings.models;
        models[self.next_model.fetch_add(1, Ordering::Relaxed) % models.len()].clone()
    }

    /// One request, with the rate-limit waits. The outer error is the
    /// provider's failure (unreachable, a timeout, an error status); the
    /// inner one an answer that is not in the provider's format.
    async fn ask(
        &self,
        model: &str,
        system: &str,
        user: &str,
    ) -> Result<Result<Reply, String>, String> {
        let s = &self.settings;
        let (url, headers, body) =
            s.provider
                .request(&s.base_url, s.key.as_deref(), model, system, user);
        let who = format!("{} ({model} at {})", s.provider.name(), s.base_url);
        let mut waits = 0;
        loop {
            let mut request = self
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    format!(
                        "{who} did not answer within {:?} (LLM_TIMEOUT sets the limit, in seconds)",
                        s.timeout
                    )
                } else {
                    format!("cannot reach {who}: {e}")
                }
            })?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(Duration::from_secs_f64);
            let text = response.text().await.map_err(|e| {
                if e.is_timeout() {
                    format!(
                        "{who} did not answer within {:?} (LLM_TIMEOUT sets the limit, in seconds)",
                        s.timeout
                    )
                } else {
                    format!("{who}: {e}")
                }
            })?;
            if (200..300).contains(&status) {
                return Ok(s.provider.reply(&text).map_err(|e| format!("{who}: {e}")));
            }
            if Provider::retryable(status) && waits < MAX_RATE_LIMIT_WAITS {
                waits += 1;
                let wait = retry_after
                    .unwrap_or(Duration::from_secs(1 << waits.min(5)))
                    .min(MAX_WAIT);
                tokio::time::sleep(wait).await;
                continue;
            }
            let detail: String = text.chars().take(300).collect();
            return Err(format!("{who} answered {status}: {}", detail.trim()));
        }
    }
}
