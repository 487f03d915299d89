//! The runtimes that instrumented code calls, written into the output.
//!
//! Each language has one small dependency-free runtime. It is embedded in the
//! binary and written next to the instrumented files with the configuration
//! that affects recording (value cap, redaction, ...) baked in, so the output
//! needs nothing from the environment.

use crate::config::Config;

/// Bumped whenever the inserted calls or the runtimes change in a way that
/// changes output; part of every cache key.
pub const TEMPLATE_VERSION: u32 = 1;

/// The Python runtime's file name (one copy per top-level package).
pub const PYTHON_FILE_NAME: &str = "_ctinject.py";

const PYTHON_RUNTIME: &str = include_str!("python/_ctinject.py");
const PYTHON_CONFIG_LINE: &str = "_CONFIG_JSON = \"{}\"";

/// The Python runtime with `config` baked in.
pub fn python(config: &Config) -> String {
    let literal =
        serde_json::to_string(&config.runtime_json()).expect("a string always serializes");
    let replaced =
        PYTHON_RUNTIME.replacen(PYTHON_CONFIG_LINE, &format!("_CONFIG_JSON = {literal}"), 1);
    debug_assert_ne!(replaced, PYTHON_RUNTIME, "the runtime lost its config line");
    replaced
}

/// True when `text` is a copy of ctinject's Python runtime (of any configuration).
pub fn is_python_runtime(text: &str) -> bool {
    let marker = PYTHON_RUNTIME.lines().next().unwrap_or_default();
    !marker.is_empty() && text.starts_with(marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_baked_into_the_python_runtime() {
        let mut c = Config::default();
        c.values.cap = 77;
        let text = python(&c);
        let line = text
            .lines()
            .find(|l| l.starts_with("_CONFIG_JSON = "))
            .unwrap();
        assert!(line.contains(r#"\"value_cap\":77"#), "{line}");
        assert!(is_python_runtime(&text));
        assert!(!is_python_runtime("x = 1\n"));
    }
}
