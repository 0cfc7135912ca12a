//! `platc graph [PATH] [--format mermaid|dot]`: checks the project and prints
//! the architecture of its base view (`platc::graph`) to stdout; with errors,
//! prints the diagnostics instead and fails.

use std::io::Write;
use std::path::Path;

use platc::diagnostic::{self, Format};
use platc::graph::GraphFormat;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

pub(crate) fn run(
    path: &Path,
    format: GraphFormat,
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
    let checked = platc::pipeline::check(&sources);
    let Some(base) = checked.views.get(&None).filter(|_| !checked.has_errors()) else {
        let _ = diagnostic::report(
            &checked.diagnostics,
            &sources,
            Format::Human { color, width: 100 },
            stderr,
        );
        let _ = writeln!(stderr, "no graph: the project has errors");
        return EXIT_FAILED;
    };
    if stdout
        .write_all(platc::graph::graph(base, format).as_bytes())
        .is_err()
    {
        return EXIT_USAGE;
    }
    EXIT_OK
}
