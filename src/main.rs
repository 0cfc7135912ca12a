//! The `platc` binary: parses arguments and hands over to `cli::run`.

use std::io::IsTerminal;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    let color = std::io::stderr().is_terminal();
    cli::run(
        std::env::args_os().collect(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        color,
    )
}
