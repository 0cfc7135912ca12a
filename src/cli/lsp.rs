//! `platc lsp`: runs the language server (`platc::lsp`) on stdin/stdout.
//! Nothing else may write to stdout while it runs: it carries the protocol.

use std::io::Write;

use super::{EXIT_FAILED, EXIT_OK};

pub(crate) fn run(stderr: &mut dyn Write) -> u8 {
    match platc::lsp::serve_stdio() {
        Ok(()) => EXIT_OK,
        Err(err) => {
            let _ = writeln!(stderr, "error: the language server stopped: {err}");
            EXIT_FAILED
        }
    }
}
