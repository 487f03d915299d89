//! ctinject's integration tests: one test binary (as ripgrep does), one module
//! per concern. Tests that need python3 skip loudly when it is missing, and
//! fail instead when `CI=true`.

mod action;
mod bad_input;
mod cache;
mod cli;
mod executed_check;
mod gate;
mod git_mode;
mod go_corpus;
mod go_e2e;
mod javascript_e2e;
mod javascript_workflow;
mod js_corpus;
mod llm_fallback;
mod otlp_export;
mod output;
mod overwrite;
mod pre_commit;
mod properties;
mod python_e2e;
mod stdlib_corpus;
mod trace_commands;
mod ts_corpus;
mod typescript_e2e;
mod util;
