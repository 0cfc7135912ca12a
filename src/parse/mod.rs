//! Parsing: `parse_file(&SourceFile) -> Result<ast::File, Diagnostic>`.
//! One syntax error per file (pest stops at the first); other files are
//! still parsed, so a run reports every file's first syntax error together
//! with every later-stage problem of the files that parsed.

mod convert;
mod error;
pub mod grammar;

use pest::Parser as _;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub use error::rule_name;

/// Deepest nesting of blocks, maps and lists accepted; deeper input is a
/// parse error instead of a stack overflow.
pub const MAX_NESTING: usize = 256;

/// Parses one file into its syntax tree.
// The error is the diagnostic itself; one per file, so its size does not matter.
///
/// # Errors
/// A `platc::parse` diagnostic for the first syntax error.
#[allow(clippy::result_large_err)]
pub fn parse_file(file: &SourceFile) -> Result<ast::File, Diagnostic> {
    if let Some(diagnostic) = error::check_nesting(file) {
        return Err(diagnostic);
    }
    match grammar::PlatformParser::parse(grammar::Rule::file, &file.text) {
        Ok(mut pairs) => {
            let root = pairs.next().expect("invariant: the file rule always produces a pair");
            Ok(convert::convert_file(root, file.id))
        }
        Err(err) => Err(error::translate(&err, file)),
    }
}

/// Parses every file, collecting the trees that parsed and the errors of
/// those that did not. Files are parsed on all cores; the results keep the
/// files' order, so the output does not depend on scheduling.
pub fn parse_all(files: &[SourceFile]) -> (Vec<(crate::span::FileId, ast::File)>, Vec<Diagnostic>) {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let results: Vec<Result<ast::File, Diagnostic>> = if threads < 2 || files.len() < 2 {
        files.iter().map(parse_file).collect()
    } else {
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(parse_file).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    };
    let mut parsed = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(tree) => parsed.push((file.id, tree)),
            Err(diagnostic) => errors.push(diagnostic),
        }
    }
    (parsed, errors)
}
