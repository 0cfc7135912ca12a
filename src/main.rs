//! The `platc` binary: parses arguments and hands over to `cli::run`.

use std::io::IsTerminal;
use std::process::ExitCode;

mod cli;

/// mimalloc: many small JSON maps are built and dropped; glibc's allocator
/// spent a third of a 10,000-service build consolidating free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let color = std::io::stderr().is_terminal();
    cli::run(
        std::env::args_os().collect(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        color,
    )
}
