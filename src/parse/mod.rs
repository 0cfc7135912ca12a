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
use convert::Place;

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
    let tree = match declarations(file) {
        Some(declarations) => ast::File { declarations },
        // The whole file again, for pest's error at the same position and
        // with the same expectations as `file` reports.
        None => match grammar::PlatformParser::parse(grammar::Rule::file, &file.text) {
            Ok(mut pairs) => {
                let root = pairs
                    .next()
                    .expect("invariant: the file rule always produces a pair");
                convert::convert_file(
                    root,
                    Place {
                        file: file.id,
                        base: 0,
                    },
                )
            }
            Err(err) => return Err(error::translate(&err, file)),
        },
    };
    match check_path_depth(&tree) {
        Some(diagnostic) => Err(diagnostic),
        None => Ok(tree),
    }
}

/// The file's declarations, parsed one at a time (`next_declaration`), or
/// `None` at a syntax error. The language is `file`'s: `SOI ~ declaration*
/// ~ EOI` is a gap and a declaration, repeated, then a gap and the end. One
/// declaration's token queue is a few kilobytes that the allocator reuses;
/// a whole file's grew to megabytes of fresh memory (a sixth of `platc
/// validate`'s time at 10,000 services, the kernel zeroing new pages).
fn declarations(file: &SourceFile) -> Option<Vec<ast::Declaration>> {
    use grammar::Rule;
    let text = &file.text;
    let mut declarations = Vec::new();
    let mut base = 0;
    loop {
        let mut pairs =
            grammar::PlatformParser::parse(Rule::next_declaration, &text[base..]).ok()?;
        let step = pairs
            .next()
            .expect("invariant: next_declaration always produces a pair");
        let end = step.as_span().end();
        let found = step.into_inner().find(|p| p.as_rule() == Rule::declaration);
        match found {
            Some(declaration) => {
                declarations.push(convert::convert_declaration(
                    declaration,
                    Place {
                        file: file.id,
                        base,
                    },
                ));
                base += end;
            }
            None => return Some(declarations),
        }
    }
}

/// Rejects dotted field paths that, with the blocks, maps and lists around
/// them, nest deeper than `MAX_NESTING` (`a.b.c = 1` is three levels of
/// maps once merged; ten thousand segments overflowed the stack when the
/// merged tree was dropped). The bracket pre-check already bounds the
/// recursion here to `MAX_NESTING`.
fn check_path_depth(file: &ast::File) -> Option<Diagnostic> {
    file.declarations
        .iter()
        .find_map(|d| body_depth(&d.body, 1))
}

fn body_depth(body: &ast::Body, depth: usize) -> Option<Diagnostic> {
    body.items.iter().find_map(|item| match item {
        ast::Item::Attribute(a) => path_depth(&a.path, depth)
            .or_else(|| value_depth(&a.value, depth + a.path.segments.len())),
        ast::Item::Block(b) => path_depth(&b.path, depth)
            .or_else(|| body_depth(&b.body, depth + b.path.segments.len())),
        ast::Item::When(w) => body_depth(&w.body, depth + 1),
    })
}

fn value_depth(value: &ast::Value, depth: usize) -> Option<Diagnostic> {
    match &value.kind {
        ast::ValueKind::List(items) => items.iter().find_map(|v| value_depth(v, depth + 1)),
        ast::ValueKind::Map(entries) => entries.iter().find_map(|e| {
            path_depth(&e.path, depth + 1)
                .or_else(|| value_depth(&e.value, depth + 1 + e.path.segments.len()))
        }),
        ast::ValueKind::Call(call) => call.args.iter().find_map(|v| value_depth(v, depth + 1)),
        _ => None,
    }
}

fn path_depth(path: &ast::FieldPath, depth: usize) -> Option<Diagnostic> {
    (depth + path.segments.len() > MAX_NESTING).then(|| {
        Diagnostic::new(
            crate::diagnostic::Code::Parse,
            format!("blocks, maps and lists are nested more than {MAX_NESTING} levels deep"),
            path.span,
            "too deep here (each `.` in a path is one level)",
        )
        .with_help("flatten the structure; no platform needs this depth")
    })
}

/// Parses every file, collecting the trees that parsed and the errors of
/// those that did not. Files are parsed on all cores; the results keep the
/// files' order, so the output does not depend on scheduling.
pub fn parse_all(files: &[SourceFile]) -> (Vec<(crate::span::FileId, ast::File)>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    // One file per task: files differ in size, and fixed halves left one
    // core idle for the last tenth of parsing at 10,000 services. Rayon's
    // workers have the default 2 MiB stack that `MAX_NESTING` is sized for
    // (tests/hardening.rs).
    let results: Vec<Result<ast::File, Diagnostic>> =
        files.par_iter().with_max_len(1).map(parse_file).collect();
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
