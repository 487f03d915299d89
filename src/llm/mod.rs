//! The language-model fallback: for a language ctinject has no planner
//! for, a model proposes where the telemetry calls go, and ctinject checks
//! the proposal as strictly as its own plans (docs/llm.md).
//!
//! - [`forms`]: per language, the call forms a model may insert;
//! - [`prompt`]: what a model is asked;
//! - [`provider`]: the providers' wire formats and prices;
//! - [`answer`]: a model's answer read defensively, checked, and made a plan;
//! - [`client`]: the requests: concurrency, rate limits, timeouts, rotation, budget, attempts.

pub mod answer;
pub mod client;
pub mod forms;
pub mod prompt;
pub mod provider;
