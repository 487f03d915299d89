//! The runtimes that instrumented code calls, written into the output.
//!
//! Each language has one small dependency-free runtime. It is embedded in the
//! binary and written next to the instrumented files with the configuration
//! that affects recording (value cap, redaction, ...) baked in, so the output
//! needs nothing from the environment.

use crate::config::Config;

/// Bumped whenever the inserted calls or the runtimes change in a way that
/// changes output; part of every cache key.
pub const TEMPLATE_VERSION: u32 = 5;

/// The module instrumented Python files import (one copy per top-level
/// package): a small shim that loads the runtime once per process under a
/// module name of its own, so the runtime is never part of the user's package.
pub const PYTHON_FILE_NAME: &str = "_ctinject.py";
/// The Python runtime itself, beside the shim (`_ctinject_runtime.py` until
/// TEMPLATE_VERSION 5). Not a `.py` file: the shim loads it by path, and to
/// the package it is not a module, so a walk of the package's modules
/// (`pkgutil.walk_packages`, an "every module imports" test) does not load a
/// second copy of it, and a test that reads or lints every `*.py` of its
/// package (parso parses its own source) does not read 145 KB that are not
/// the package's.
pub const PYTHON_RUNTIME_FILE_NAME: &str = "_ctinject_runtime.py.txt";

/// The JavaScript runtime, one CommonJS file at the root of the output,
/// which CommonJS files `require` and ES modules `import`.
pub const JAVASCRIPT_FILE_NAME: &str = "_ctinject.cjs";

/// The TypeScript runtime: TypeScript source, so that the project's own
/// compiler builds it with the instrumented files (one per top-level folder).
pub const TYPESCRIPT_FILE_NAME: &str = "_ctinject.ts";

/// The Go runtime: one package, `_ctinject/` at the root given, which
/// instrumented files import by its import path.
pub const GO_FILE_NAME: &str = "ctinject_runtime.go";

/// One file of a runtime: its name in the output, its text, and where the
/// recording options go into it.
pub struct RuntimeFile {
    pub name: &'static str,
    template: &'static str,
    config_line: Option<ConfigLine>,
    /// What turns the template into this file (see [`TYPESCRIPT_COMMONJS`]).
    transform: Option<fn(&str) -> String>,
}

/// The template's line that stands for the configuration, and the line that
/// replaces it given the configuration as a JSON string literal.
type ConfigLine = (&'static str, fn(&str) -> String);

impl RuntimeFile {
    /// A file copied as it is: no configuration in it, no transform.
    const fn verbatim(name: &'static str, template: &'static str) -> Self {
        RuntimeFile {
            name,
            template,
            config_line: None,
            transform: None,
        }
    }
}

/// A language's runtime: the files every runtime folder gets.
pub struct Spec {
    pub files: &'static [RuntimeFile],
    /// Names that earlier versions gave runtime files. One may be left in a
    /// tree by `--in-place` or an applied patch: it is not the user's code.
    pub earlier_names: &'static [&'static str],
}

impl Spec {
    /// The names of the runtime files, and those of earlier versions: never
    /// instrumented, and refused as output names when a user's file of that
    /// name is in the way.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.files
            .iter()
            .map(|f| f.name)
            .chain(self.earlier_names.iter().copied())
    }

    /// The files to write into each runtime folder, by name, with the
    /// recording options of `config` baked in.
    pub fn files(&self, config: &Config) -> Vec<(&'static str, String)> {
        let literal =
            serde_json::to_string(&config.runtime_json()).expect("a string always serializes");
        self.files
            .iter()
            .map(|f| {
                let template = f.transform.map(|t| t(f.template));
                let template = template.as_deref().unwrap_or(f.template);
                let text = match f.config_line {
                    Some((line, with)) => {
                        let text = template.replacen(line, &with(&literal), 1);
                        debug_assert_ne!(text, template, "{} lost its config line", f.name);
                        text
                    }
                    None => template.to_string(),
                };
                (f.name, text)
            })
            .collect()
    }

    /// True when `text` is a copy of one of these files (of any
    /// configuration): each starts with a first line of its own.
    pub fn is_copy(&self, text: &str) -> bool {
        self.files.iter().any(|f| {
            let marker = f.template.lines().next().unwrap_or_default();
            !marker.is_empty() && text.starts_with(marker)
        })
    }
}

/// Python's runtime: the shim that instrumented modules import, and the
/// runtime itself with the configuration baked in.
pub static PYTHON: Spec = Spec {
    files: &[
        RuntimeFile::verbatim(PYTHON_FILE_NAME, include_str!("python/_ctinject.py")),
        RuntimeFile {
            name: PYTHON_RUNTIME_FILE_NAME,
            template: include_str!("python/_ctinject_runtime.py"),
            config_line: Some(("_CONFIG_JSON = \"{}\"", |json| {
                format!("_CONFIG_JSON = {json}")
            })),
            transform: None,
        },
    ],
    earlier_names: &["_ctinject_runtime.py"],
};

/// JavaScript's runtime, with the configuration baked in.
pub static JAVASCRIPT: Spec = Spec {
    files: &[RuntimeFile {
        name: JAVASCRIPT_FILE_NAME,
        template: include_str!("javascript/_ctinject.cjs"),
        config_line: Some(NODE_CONFIG_LINE),
        transform: None,
    }],
    earlier_names: &[],
};

/// TypeScript's runtime, with the configuration baked in: ES module syntax
/// (`export const s = ...`), which every module setting compiles but
/// `verbatimModuleSyntax` with CommonJS.
pub static TYPESCRIPT: Spec = Spec {
    files: &[RuntimeFile {
        name: TYPESCRIPT_FILE_NAME,
        template: include_str!("typescript/_ctinject.ts"),
        config_line: Some(NODE_CONFIG_LINE),
        transform: None,
    }],
    earlier_names: &[],
};

/// TypeScript's runtime for a folder whose files are all written for
/// CommonJS (`import x = require(...)`; with `verbatimModuleSyntax` they can
/// be nothing else): the same, exported with `export =`.
pub static TYPESCRIPT_COMMONJS: Spec = Spec {
    files: &[RuntimeFile {
        name: TYPESCRIPT_FILE_NAME,
        template: include_str!("typescript/_ctinject.ts"),
        config_line: Some(NODE_CONFIG_LINE),
        transform: Some(typescript_commonjs),
    }],
    earlier_names: &[],
};

/// Go's runtime package, with the configuration baked in: the runtime,
/// and the goroutine key (`getg`) in assembly for amd64 and arm64, with a
/// slower fallback in Go for other architectures. Every name starts with
/// `ctinject_`, so that no user file is mistaken for one of them.
pub static GO: Spec = Spec {
    files: &[
        RuntimeFile {
            name: GO_FILE_NAME,
            template: include_str!("go/ctinject.go"),
            config_line: Some(("const configJSON = \"{}\"", |json| {
                format!("const configJSON = {json}")
            })),
            transform: None,
        },
        RuntimeFile::verbatim("ctinject_getg_asm.go", include_str!("go/getg_asm.go")),
        RuntimeFile::verbatim("ctinject_getg_amd64.s", include_str!("go/getg_amd64.s")),
        RuntimeFile::verbatim("ctinject_getg_arm64.s", include_str!("go/getg_arm64.s")),
        RuntimeFile::verbatim("ctinject_getg_other.go", include_str!("go/getg_other.go")),
    ],
    earlier_names: &[],
};

/// The configuration line of the JavaScript and TypeScript runtimes.
const NODE_CONFIG_LINE: ConfigLine = ("const CONFIG_JSON = \"{}\";", |json| {
    format!("const CONFIG_JSON = {json};")
});

/// The TypeScript runtime with its exports (`export const s: SFn = api.s;`,
/// one per line, and `export interface Span`) turned into one `export =`
/// of an object of the same members, typed the same.
fn typescript_commonjs(template: &str) -> String {
    static EXPORT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let export = EXPORT.get_or_init(|| {
        regex::Regex::new(r"(?m)^export const (\w+): (\w+) = api\.(\w+);\n").expect("a valid regex")
    });
    let members: Vec<(String, String)> = export
        .captures_iter(template)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    debug_assert!(
        !members.is_empty(),
        "the TypeScript runtime's exports moved"
    );
    let mut text =
        export
            .replace_all(template, "")
            .replacen("export interface Span", "interface Span", 1);
    let types: Vec<String> = members.iter().map(|(n, t)| format!("{n}: {t};")).collect();
    let values: Vec<String> = members
        .iter()
        .map(|(n, _)| format!("{n}: api.{n}"))
        .collect();
    text.push_str(&format!(
        "const exported: {{ {} }} = {{ {} }};\nexport = exported;\n",
        types.join(" "),
        values.join(", ")
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commonjs_typescript_runtime_exports_the_same_members_with_export_assign() {
        let esm = &TYPESCRIPT.files(&Config::default())[0].1;
        let cjs = &TYPESCRIPT_COMMONJS.files(&Config::default())[0].1;
        let exported: Vec<&str> = esm
            .lines()
            .filter_map(|l| l.strip_prefix("export const "))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(exported.len(), 11, "{exported:?}");
        assert!(!cjs
            .lines()
            .any(|l| l.starts_with("export const ") || l.starts_with("export interface")));
        let assign = cjs
            .lines()
            .find(|l| l.starts_with("const exported: {"))
            .unwrap();
        for name in exported {
            assert!(
                assign.contains(&format!(" {name}: api.{name}")),
                "{name}: {assign}"
            );
        }
        assert!(cjs.ends_with("export = exported;\n"));
        assert!(TYPESCRIPT.is_copy(cjs) && TYPESCRIPT_COMMONJS.is_copy(esm));
    }

    #[test]
    fn config_is_baked_into_the_python_runtime() {
        let mut c = Config::default();
        c.values.cap = 77;
        c.runtime.max_trace_mb = 5000;
        let files = PYTHON.files(&c);
        let [(shim_name, shim), (name, text)] = [&files[0], &files[1]];
        assert_eq!(
            (*shim_name, *name),
            (PYTHON_FILE_NAME, PYTHON_RUNTIME_FILE_NAME)
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("_CONFIG_JSON = "))
            .unwrap();
        assert!(line.contains(r#"\"value_cap\":77"#), "{line}");
        // Megabytes in the configuration, bytes (past 32 bits) for the runtime.
        assert!(line.contains(r#"\"max_trace_bytes\":5000000000"#), "{line}");
        assert!(PYTHON.is_copy(text) && PYTHON.is_copy(shim));
        assert!(!PYTHON.is_copy("x = 1\n"));
    }
}
