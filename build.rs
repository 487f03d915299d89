//! Fingerprints the sources that decide what ctinject inserts (the engine,
//! the languages, the runtimes) and the locked versions of the tree-sitter
//! crates (a new grammar can parse the same text differently), so that
//! plan-cache keys change with them even when the version number does not
//! (every build from git is "0.1.0").

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let mut all = Vec::new();
    for dir in ["src/engine", "src/lang", "src/runtime"] {
        println!("cargo:rerun-if-changed={dir}");
        files(Path::new(dir), &mut all);
    }
    all.sort();
    let mut h = Sha256::new();
    for p in &all {
        h.update(p.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(p).unwrap_or_default());
        h.update([0]);
    }
    // The tree-sitter packages of Cargo.lock: name, version and checksum.
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for package in lock.split("[[package]]") {
        if package.contains("name = \"tree-sitter") {
            h.update(package.trim().as_bytes());
            h.update([0]);
        }
    }
    println!("cargo:rustc-env=CTINJECT_PLANNER_HASH={:x}", h.finalize());
}
