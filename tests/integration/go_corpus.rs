//! Properties over a large real Go corpus: the Go distribution's own
//! sources (`$(go env GOROOT)/src`, about 9,000 files with its tests and
//! test data): the properties of [`crate::properties`], and `gofmt -e`
//! parses every instrumented file that it parsed before.

use crate::properties;
use crate::util::*;
use ctinject::lang::go::Go;
use std::path::PathBuf;
use std::process::Command;

fn goroot_src() -> Option<PathBuf> {
    require_tool("go")?;
    require_tool("gofmt")?;
    let o = run(Command::new("go").args(["env", "GOROOT"]));
    assert!(o.status.success(), "go env GOROOT: {}", describe(&o));
    let dir = PathBuf::from(stdout(&o).trim()).join("src");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    Some(dir)
}

/// The files of `files` that `gofmt -e` cannot parse, a `path\terror` line
/// each.
fn refused_by_gofmt(files: &[PathBuf]) -> Vec<String> {
    let mut refused = Vec::new();
    for chunk in files.chunks(500) {
        let o = run(Command::new("gofmt").arg("-e").arg("-l").args(chunk));
        for line in String::from_utf8_lossy(&o.stderr).lines() {
            // `path:line:col: message`
            if let Some((path, rest)) = line.split_once(".go:") {
                refused.push(format!("{path}.go\t{rest}"));
            }
        }
    }
    refused.sort();
    refused.dedup_by(|a, b| a.split('\t').next() == b.split('\t').next());
    refused
}

#[test]
fn goroot_round_trips_is_idempotent_deterministic_and_still_parses() {
    let Some(dir) = goroot_src() else { return };
    let files = properties::files_with(&dir, &[".go"]);
    assert!(
        files.len() > 3000,
        "only {} files under {}",
        files.len(),
        dir.display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut c = properties::check(&Go, &dir, &files, |_| "std".to_string(), out_dir.path());
    c.no_new_refusals(&dir, out_dir.path(), "gofmt -e", refused_by_gofmt);
    c.assert_no_problems();
    c.assert_mostly_instrumented("GOROOT");
}
