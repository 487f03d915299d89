//! Reading trace files for the `ctinject trace` commands: each line to a
//! callback, `-` for standard input, and a progress bar on a terminal for
//! big files (a test suite's trace can be gigabytes).

use anyhow::{anyhow, Result};
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

/// Files at least this big show a progress bar while read on a terminal.
const PROGRESS_FROM_BYTES: u64 = 64 << 20;

/// Calls `each(line, place)` for every line of every file, in order;
/// `place()` names the line (`trace.jsonl:12`) for messages. An error from
/// `each` stops the read and is returned.
pub fn for_each_line(
    files: &[PathBuf],
    mut each: impl FnMut(&str, &dyn Fn() -> String) -> Result<()>,
) -> Result<()> {
    for file in files {
        let (reader, bar) = open(file)?;
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| anyhow!("{}:{}: {e}", file.display(), n + 1))?;
            each(&line, &|| format!("{}:{}", file.display(), n + 1))?;
        }
        bar.finish_and_clear();
    }
    Ok(())
}

/// The files, as a list for messages: `a.jsonl, b.jsonl`.
pub fn names(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn open(file: &Path) -> Result<(Box<dyn BufRead>, indicatif::ProgressBar)> {
    if file.as_os_str() == "-" {
        return Ok((
            Box::new(std::io::stdin().lock()),
            indicatif::ProgressBar::hidden(),
        ));
    }
    let f = std::fs::File::open(file)
        .map_err(|e| anyhow!("cannot read the trace {}: {e}", file.display()))?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(anyhow!(
            "cannot read the trace {}: it is a folder",
            file.display()
        ));
    }
    let size = f.metadata().map_or(0, |m| m.len());
    let bar = if size >= PROGRESS_FROM_BYTES && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "ctinject: reading {msg} {bytes}/{total_bytes} ({eta})",
            )
            .expect("a valid template"),
        );
        bar.set_message(file.display().to_string());
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    Ok((Box::new(BufReader::new(bar.wrap_read(f))), bar))
}
