//! Languages: one module per language behind one trait.
//!
//! A [`Language`] knows its grammar, recognises its own instrumented output,
//! and turns a parsed file into a [`FilePlan`]. It does no I/O: whatever it
//! needs to know about the file's surroundings comes in a [`PlanContext`] or,
//! for where its runtime goes, a [`Layout`] that the caller backs with the
//! disk or with a git tree.

pub mod go;
pub mod javascript;
pub mod kit;
pub mod python;
#[cfg(test)]
mod test_support;
pub mod typescript;

use crate::engine::{FilePlan, PointKind};
use std::collections::BTreeSet;

/// The files of the project being instrumented, as far as a language needs
/// them to place its runtime (Python asks which folders are packages).
/// Paths are relative to the root, with `/`.
pub trait Layout {
    fn is_file(&self, rel: &str) -> bool;
    /// The text of a file, where the layout has it (JavaScript reads the
    /// `"type"` of the nearest `package.json`, which may be above the root:
    /// `../package.json`); by default none.
    fn read(&self, _rel: &str) -> Option<String> {
        None
    }
    /// The root's absolute path, where the layout is a folder on the disk
    /// (Go derives the runtime package's import path from it); by default none.
    fn root_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// An environment variable of the run (Go reads `GOPATH` and
    /// `GO111MODULE`); by default none.
    fn env(&self, _name: &str) -> Option<String> {
        None
    }
    /// `path` with its symbolic links resolved, as [`Layout::root_dir`]
    /// is (Go compares the root with `GOPATH` entries); by default as it is.
    fn canonical(&self, path: &std::path::Path) -> std::path::PathBuf {
        path.to_path_buf()
    }
}

/// A listing of the files (a git tree's, or a test's).
impl Layout for BTreeSet<String> {
    fn is_file(&self, rel: &str) -> bool {
        self.contains(rel)
    }
}

/// Where a file's runtime lives and how the file refers to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimePlace {
    /// The folder the runtime files go into, relative to the root (`""`: the root).
    pub dir: String,
    /// What the file's inserted code names the runtime by; becomes
    /// [`PlanContext::runtime_ref`].
    pub reference: String,
}

/// What a planner needs to know beyond the text.
#[derive(Clone, Debug)]
pub struct PlanContext {
    /// The file's path relative to the project root, with `/`. It goes into
    /// every event, so that telemetry names the original file.
    pub rel_path: String,
    /// How this file refers to the runtime (language-specific: for Python the
    /// module to import `Module` from, such as `._ctinject`).
    pub runtime_ref: String,
    /// The point kinds to instrument; the others are neither inserted nor counted.
    pub kinds: BTreeSet<PointKind>,
}

impl PlanContext {
    pub fn wants(&self, kind: PointKind) -> bool {
        self.kinds.contains(&kind)
    }
}

pub trait Language: Send + Sync {
    /// Lower-case name, as used in reports and configuration.
    fn name(&self) -> &'static str;
    /// File extensions (without the dot) that this language claims.
    fn extensions(&self) -> &'static [&'static str];
    fn grammar(&self) -> tree_sitter::Language;
    /// True when `source` is ctinject's own output (principle 4: idempotence).
    fn is_instrumented(&self, source: &str) -> bool;
    /// Plans the instrumentation of one parsed file.
    fn plan(&self, source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan;
    /// Checks a plan that did not come from [`Language::plan`] just now (a
    /// cache entry): every insert must be one of the planner's own telemetry
    /// forms, at an offset of `source`, where its unit could have put it.
    /// The cache holds data, never code to run (docs/principles.md, principle 6).
    fn check_plan(&self, source: &str, plan: &FilePlan) -> Result<(), String>;
    /// True when [`Language::check_plan`] can check every position of a plan
    /// for `source`; files where it cannot are never cached. By default it
    /// can.
    fn cache_safe(&self, _source: &str) -> bool {
        true
    }
    /// Where the runtime goes for the file at `rel`, and how that file refers to it.
    fn runtime_place(&self, rel: &str, layout: &dyn Layout) -> RuntimePlace;
    /// The runtime that the file's inserted code calls.
    fn runtime(&self) -> &'static crate::runtime::Spec;
    /// The runtime that an instrumented file asks for: by default
    /// [`Language::runtime`]. Where files ask for different ones in one
    /// folder, the folder gets the default.
    fn runtime_for(&self, _instrumented: &str) -> &'static crate::runtime::Spec {
        self.runtime()
    }
    /// True when a file's top-level statements parse alone exactly as they
    /// do in the file, so that a large file can be validated in segments
    /// (see [`crate::engine::segment_bounds`]).
    fn validates_in_segments(&self) -> bool {
        false
    }
}

/// Every language ctinject has a grammar for.
pub fn all() -> Vec<&'static dyn Language> {
    vec![
        &python::Python,
        &javascript::JavaScript,
        &typescript::TypeScript,
        &typescript::Tsx,
        &go::Go,
    ]
}

/// The language called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn Language> {
    all().into_iter().find(|l| l.name() == name)
}

/// The runtime file names of every language (see [`Spec::names`]).
///
/// [`Spec::names`]: crate::runtime::Spec::names
pub fn runtime_file_names() -> Vec<&'static str> {
    all()
        .into_iter()
        .flat_map(|l| l.runtime().names())
        .collect()
}

/// The language of a path, by extension.
pub fn for_path(path: &str) -> Option<&'static dyn Language> {
    let ext = path.rsplit_once('.')?.1;
    all().into_iter().find(|l| l.extensions().contains(&ext))
}

/// Quotes `s` as a double-quoted string literal that Python, JavaScript and Go
/// all read the same way (JSON's escapes are a subset of each).
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}
