//! `platc validate`: every check, nothing written.

use std::io::Write;
use std::path::Path;

use platc::cache::Slot;
use platc::pipeline::Keep;
use platc::timings::phase;

use platc::diagnostic::{self, Format};

use super::{OutputFormat, EXIT_FAILED, EXIT_OK, EXIT_USAGE};

pub(super) fn run(
    path: &Path,
    format: OutputFormat,
    deny_warnings: bool,
    color: bool,
    cache: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let sources = match platc::source::load(path) {
        Ok(sources) => sources,
        Err(err) => {
            let _ = writeln!(stderr, "error[platc::io]: {err}");
            return EXIT_USAGE;
        }
    };
    // Every check, including those on rendered output; nothing is written.
    // Unchanged sources, assets and platc: the last run's diagnostics.
    let slot = cache.and_then(|dir| Slot::new(dir, "validate", &[], &sources, None));
    let diagnostics = match slot.as_ref().and_then(|s| phase("cache", || s.lookup())) {
        Some(entry) => entry.diagnostics,
        None => {
            let (compiled, assets) = phase("compile", || {
                platc::cache::compile_recording(&sources, None, Keep::Diagnostics)
            });
            if let Some(slot) = &slot {
                slot.store_or_forget(&assets, &compiled.diagnostics, None);
            }
            // The rendered tree was only checked. Freeing it object by object
            // took a third of a second at 10,000 services; the process ends
            // after reporting and the OS takes the memory back at once.
            std::mem::forget(compiled.bundle);
            compiled.diagnostics
        }
    };
    let failed = diagnostics
        .iter()
        .any(platc::diagnostic::Diagnostic::is_error)
        || (deny_warnings && !diagnostics.is_empty());
    if format == OutputFormat::Sarif {
        let log = platc::sarif::render(&diagnostics, &sources);
        if stdout.write_all(log.as_bytes()).is_err() {
            return EXIT_USAGE;
        }
        return if failed { EXIT_FAILED } else { EXIT_OK };
    }
    let format = match format {
        OutputFormat::Sarif | OutputFormat::Json => Format::Json,
        OutputFormat::Human => Format::Human { color, width: 100 },
    };
    // JSON goes to stdout (machine-readable); the human report to stderr, like rustc.
    let out: &mut dyn Write = if format == Format::Json {
        stdout
    } else {
        stderr
    };
    if diagnostic::report(&diagnostics, &sources, format, out).is_err() {
        return EXIT_USAGE;
    }
    if failed {
        EXIT_FAILED
    } else {
        if format != Format::Json && diagnostics.is_empty() {
            let _ = writeln!(stderr, "ok: {} file(s), no problems", sources.files.len());
        }
        EXIT_OK
    }
}
