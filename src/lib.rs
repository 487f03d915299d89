//! ctinject: exact, automatic, source-level telemetry.
//!
//! The pipeline (docs/principles.md): discover -> select -> parse -> plan -> apply ->
//! validate -> emit -> report. The engine ([`engine`]) and the languages
//! ([`lang`]) do no I/O; [`run`] drives them over files; [`cli`] is a thin
//! layer of argument parsing on top.

pub mod cache;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod discover;
pub mod emit;
pub mod engine;
pub mod executed;
pub mod fallback;
pub mod gate;
pub mod git;
pub mod lang;
pub mod llm;
pub mod otlp_export;
pub mod outputs;
pub mod report;
pub mod run;
pub mod runtime;
pub mod select;
pub mod trace;
pub mod trace_files;
