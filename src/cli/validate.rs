//! `platc validate`: every check, nothing written.

use std::io::Write;
use std::path::Path;

use platc::diagnostic::{self, Format};

use super::{OutputFormat, EXIT_FAILED, EXIT_OK, EXIT_USAGE};

pub(super) fn run(
    path: &Path,
    format: OutputFormat,
    deny_warnings: bool,
    color: bool,
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
    let checked = platc::pipeline::compile(&sources);
    let failed = checked.has_errors() || (deny_warnings && !checked.diagnostics.is_empty());
    if format == OutputFormat::Sarif {
        let log = platc::sarif::render(&checked.diagnostics, &sources);
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
    if diagnostic::report(&checked.diagnostics, &sources, format, out).is_err() {
        return EXIT_USAGE;
    }
    if failed {
        EXIT_FAILED
    } else {
        if format != Format::Json && checked.diagnostics.is_empty() {
            let _ = writeln!(stderr, "ok: {} file(s), no problems", sources.files.len());
        }
        EXIT_OK
    }
}
