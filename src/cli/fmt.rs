//! `platc fmt [PATHS…] [--check]`: rewrites `.platform` files in the one
//! canonical layout (`platc::fmt`), or with `--check` writes nothing and
//! fails naming every file that would change, with a diff. A directory
//! stands for every `*.platform` file below it, found as `build` finds them.

use std::io::Write;
use std::path::PathBuf;

use platc::diagnostic::{self, Format};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Options of `platc fmt`.
pub(crate) struct FmtArgs {
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) check: bool,
}

pub(crate) fn run(
    args: &FmtArgs,
    color: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let mut failed = false;
    let mut unformatted = 0;
    let mut written = 0;
    for path in &args.paths {
        let sources = match platc::source::load(path) {
            Ok(sources) => sources,
            Err(err) => {
                let _ = writeln!(stderr, "error[platc::io]: {err}");
                return EXIT_USAGE;
            }
        };
        for file in &sources.files {
            let shown = sources.root.join(&file.name);
            let formatted = match platc::fmt::format_file(file) {
                Ok(text) => text,
                Err(error) => {
                    let human = Format::Human { color, width: 100 };
                    let _ = diagnostic::report(&[error], &sources, human, stderr);
                    let _ = writeln!(stderr, "{}: not formatted (syntax error)", shown.display());
                    failed = true;
                    continue;
                }
            };
            if formatted == file.text {
                continue;
            }
            if args.check {
                unformatted += 1;
                let _ = writeln!(stdout, "would reformat {}", shown.display());
                let diff = similar::TextDiff::from_lines(&file.text, &formatted);
                let name = shown.display().to_string();
                let _ = write!(
                    stdout,
                    "{}",
                    diff.unified_diff()
                        .context_radius(2)
                        .header(&name, &format!("{name} (formatted)"))
                );
            } else if let Err(err) = std::fs::write(&shown, &formatted) {
                let _ = writeln!(
                    stderr,
                    "error[platc::io]: cannot write `{}`: {err}",
                    shown.display()
                );
                return EXIT_USAGE;
            } else {
                written += 1;
                let _ = writeln!(stdout, "formatted {}", shown.display());
            }
        }
    }
    if args.check && unformatted > 0 {
        let _ = writeln!(
            stderr,
            "{unformatted} file(s) would be reformatted; run `platc fmt`"
        );
        return EXIT_FAILED;
    }
    if failed {
        return EXIT_FAILED;
    }
    if !args.check && written == 0 {
        let _ = writeln!(stderr, "all files already formatted");
    }
    EXIT_OK
}
