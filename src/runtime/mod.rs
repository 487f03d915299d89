//! The runtimes that instrumented code calls, written into the output.
//!
//! Each language has one small dependency-free runtime. It is embedded in the
//! binary and written next to the instrumented files with the configuration
//! that affects recording (value cap, redaction, ...) baked in, so the output
//! needs nothing from the environment.

use crate::config::Config;

/// Bumped whenever the inserted calls or the runtimes change in a way that
/// changes output; part of every cache key.
pub const TEMPLATE_VERSION: u32 = 2;

/// The module instrumented Python files import (one copy per top-level
/// package): a small shim that loads the runtime once per process under a
/// module name of its own, so the runtime is never part of the user's package.
pub const PYTHON_FILE_NAME: &str = "_ctinject.py";
/// The Python runtime itself, beside the shim.
pub const PYTHON_RUNTIME_FILE_NAME: &str = "_ctinject_runtime.py";

const PYTHON_SHIM: &str = include_str!("python/_ctinject.py");
const PYTHON_RUNTIME: &str = include_str!("python/_ctinject_runtime.py");
const PYTHON_CONFIG_LINE: &str = "_CONFIG_JSON = \"{}\"";

/// The Python files to write into each runtime folder, by name: the shim and
/// the runtime with `config` baked in.
pub fn python(config: &Config) -> [(&'static str, String); 2] {
    let literal =
        serde_json::to_string(&config.runtime_json()).expect("a string always serializes");
    let runtime =
        PYTHON_RUNTIME.replacen(PYTHON_CONFIG_LINE, &format!("_CONFIG_JSON = {literal}"), 1);
    debug_assert_ne!(runtime, PYTHON_RUNTIME, "the runtime lost its config line");
    [
        (PYTHON_FILE_NAME, PYTHON_SHIM.to_string()),
        (PYTHON_RUNTIME_FILE_NAME, runtime),
    ]
}

/// True when `text` is a copy of one of ctinject's Python runtime files (of
/// any configuration).
pub fn is_python_runtime(text: &str) -> bool {
    [PYTHON_SHIM, PYTHON_RUNTIME].iter().any(|f| {
        let marker = f.lines().next().unwrap_or_default();
        !marker.is_empty() && text.starts_with(marker)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_baked_into_the_python_runtime() {
        let mut c = Config::default();
        c.values.cap = 77;
        c.runtime.max_trace_mb = 5000;
        let [(shim_name, shim), (name, text)] = python(&c);
        assert_eq!(
            (shim_name, name),
            (PYTHON_FILE_NAME, PYTHON_RUNTIME_FILE_NAME)
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("_CONFIG_JSON = "))
            .unwrap();
        assert!(line.contains(r#"\"value_cap\":77"#), "{line}");
        // Megabytes in the configuration, bytes (past 32 bits) for the runtime.
        assert!(line.contains(r#"\"max_trace_bytes\":5000000000"#), "{line}");
        assert!(is_python_runtime(&text) && is_python_runtime(&shim));
        assert!(!is_python_runtime("x = 1\n"));
    }
}
