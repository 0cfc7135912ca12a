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
        cache_dir().as_deref(),
    )
}

/// Where `platc build` and `platc validate` keep results to replay when
/// nothing changed (`platc::cache`): `PLATC_CACHE_DIR` (set but empty: no
/// cache), else `$XDG_CACHE_HOME/platc`, else `$HOME/.cache/platc`.
fn cache_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    match std::env::var_os("PLATC_CACHE_DIR") {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => var("XDG_CACHE_HOME")
            .map(|d| PathBuf::from(d).join("platc"))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache").join("platc"))),
    }
}
