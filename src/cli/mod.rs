//! The command line: clap types and dispatch. The library never imports
//! clap; every subcommand is a thin call into `platc::pipeline`. Output goes
//! to the writers passed in, so the CLI is testable in-process.

mod build;
mod diff;
mod explain;
mod fmt;
mod graph;
mod lsp;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: success (clean, unchanged, or written).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: diagnostics with errors, or `--check` / `--exit-code` found changes.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code: usage or I/O error.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Compile a `.platform` project into a GitOps repository.
#[derive(Debug, Parser)]
#[command(name = "platc", version, about)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check, render and validate, show the change summary, then write the output tree.
    Build {
        /// A `.platform` file or a project directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output directory (default: `out/` inside the project directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Render only this environment's overlays and Applications.
        #[arg(long)]
        env: Option<String>,
        /// Write nothing; fail when the output tree would change (for CI).
        #[arg(long)]
        check: bool,
        /// Overwrite or prune generated files that were edited by hand.
        #[arg(long)]
        force: bool,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Show what changed, object by object: the new render against the tree on disk or a git revision.
    Diff(diff::DiffArgs),
    /// Rewrite `.platform` files in the canonical layout.
    Fmt {
        /// Files or directories (every `*.platform` below them).
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Write nothing; fail naming every file that would change (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Print the architecture: workloads, charts, kafka, topics, node pools by namespace.
    Graph {
        /// A `.platform` file or a project directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Graph language.
        #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
        format: GraphFormatArg,
    },
    /// Run the language server on stdin/stdout (diagnostics, definition, hover, completion).
    Lsp,
    /// Print the documentation of a diagnostic code.
    Explain {
        /// A code, `platc::unknown-port` or `unknown-port`.
        code: String,
    },
    /// Run every check; write nothing.
    Validate {
        /// A `.platform` file or a project directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Diagnostic format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
}

/// `--format` of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormatArg {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// `--format` of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Parses `argv` and runs the command.
pub(crate) fn run(
    argv: Vec<std::ffi::OsString>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    color: bool,
    cache: Option<&std::path::Path>,
) -> ExitCode {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let text = if color {
                err.render().ansi().to_string()
            } else {
                err.render().to_string()
            };
            let out: &mut dyn Write = if err.use_stderr() { stderr } else { stdout };
            let _ = out.write_all(text.as_bytes());
            return ExitCode::from(code);
        }
    };
    let code = match args.command {
        Command::Build {
            path,
            out,
            env,
            check,
            force,
            deny_warnings,
        } => {
            let args = build::BuildArgs {
                path,
                out,
                env,
                check,
                force,
                deny_warnings,
            };
            build::run(&args, color, cache, stdout, stderr)
        }
        Command::Diff(args) => diff::run(&args, color, stdout, stderr),
        Command::Fmt { paths, check } => {
            fmt::run(&fmt::FmtArgs { paths, check }, color, stdout, stderr)
        }
        Command::Graph { path, format } => {
            let format = match format {
                GraphFormatArg::Mermaid => platc::graph::GraphFormat::Mermaid,
                GraphFormatArg::Dot => platc::graph::GraphFormat::Dot,
            };
            graph::run(&path, format, color, stdout, stderr)
        }
        Command::Lsp => lsp::run(stderr),
        Command::Explain { code } => explain::run(&code, stdout, stderr),
        Command::Validate {
            path,
            format,
            deny_warnings,
        } => validate::run(&path, format, deny_warnings, color, cache, stdout, stderr),
    };
    ExitCode::from(code)
}
