//! TypeScript and TSX: the JavaScript planner (see [`super::javascript`])
//! on tree-sitter-typescript's two grammars, one unit struct each.
//!
//! What differs from JavaScript:
//! - the binding is `import * as __ct from "./_ctinject"` (or `import __ct =
//!   require(...)` in a file written for CommonJS), spelled with the
//!   extension the file's own relative imports use; a script (a file
//!   without `import` or `export`) gets none, so it stays a script;
//! - the runtime is TypeScript source, `_ctinject.ts`, one per top-level
//!   folder (so that it lies under the project's `rootDir`);
//! - declaration files, ambient declarations, overload signatures,
//!   abstract methods, interfaces, type aliases and enums are left alone;
//! - a derived class's constructor opens its span after its `super(...)`
//!   statement;
//! - `using` declarations, which the grammar reads as assignments, leave
//!   their function (or the module's code) uninstrumented.
//!
//! The inserted code type-checks as the original did: values pass through
//! generic helpers (`r<T>(span, value: T): T`), branch events sit beside
//! conditions (`(hit, x)`) and never wrap them, and nothing is inserted
//! where it could not run.

use super::javascript::{self, Dialect};
use super::{Language, Layout, PlanContext, RuntimePlace};
use crate::engine::FilePlan;
use crate::runtime;

/// `.ts`, `.mts` and `.cts` files.
pub struct TypeScript;
/// `.tsx` files.
pub struct Tsx;

macro_rules! typescript_language {
    ($unit:ident, $dialect:expr, $name:literal, $extensions:expr) => {
        impl Language for $unit {
            fn name(&self) -> &'static str {
                $name
            }
            fn extensions(&self) -> &'static [&'static str] {
                $extensions
            }
            fn grammar(&self) -> tree_sitter::Language {
                $dialect.grammar()
            }
            fn is_instrumented(&self, source: &str) -> bool {
                javascript::is_instrumented($dialect, source)
            }
            fn plan(&self, source: &str, tree: &tree_sitter::Tree, ctx: &PlanContext) -> FilePlan {
                javascript::plan($dialect, source, tree, ctx)
            }
            fn check_plan(&self, source: &str, plan: &FilePlan) -> Result<(), String> {
                javascript::check_plan($dialect, source, plan)
            }
            fn runtime_place(&self, rel: &str, layout: &dyn Layout) -> RuntimePlace {
                runtime_place(rel, layout)
            }
            fn runtime(&self) -> &'static runtime::Spec {
                &runtime::TYPESCRIPT
            }
            fn runtime_for(&self, instrumented: &str) -> &'static runtime::Spec {
                if javascript::binds_with_require(instrumented) {
                    &runtime::TYPESCRIPT_COMMONJS
                } else {
                    &runtime::TYPESCRIPT
                }
            }
        }
    };
}

typescript_language!(
    TypeScript,
    Dialect::TypeScript,
    "typescript",
    &["ts", "mts", "cts"]
);
typescript_language!(Tsx, Dialect::Tsx, "tsx", &["tsx"]);

/// The runtime goes into the file's top-level folder (`src/_ctinject.ts`
/// for `src/a/b.ts`), or the root for a file there: a project compiled with
/// `rootDir: "src"` accepts only files under `src`. The reference is the
/// module system and the path without an extension (see
/// `javascript::plan`, which spells it).
fn runtime_place(rel: &str, layout: &dyn Layout) -> RuntimePlace {
    let (dir, inside) = match rel.split_once('/') {
        Some((top, rest)) => (top.to_string(), rest),
        None => (String::new(), rel),
    };
    let up = javascript::up_from(inside);
    let stem = runtime::TYPESCRIPT_FILE_NAME.trim_end_matches(".ts");
    RuntimePlace {
        dir,
        reference: format!("{}|{up}{stem}", javascript::module_system(rel, layout)),
    }
}

#[cfg(test)]
mod tests;
