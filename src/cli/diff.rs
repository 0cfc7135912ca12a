//! `platc diff`: the per-object semantic diff of the new render against the
//! tree on disk (`--out`) or against the render of the same project at a git
//! revision (`--base`), for pull-request review. Reads both sides, calls
//! `platc::diff::diff`, prints one of the formats; nothing is written.

mod git;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use platc::diagnostic::{self, Format as DiagnosticFormat};
use platc::diff::format::{self, Format, DEFAULT_MAX_SIZE};
use platc::diff::Tree;
use platc::pipeline::Keep;
use platc::source::SourceMap;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// `--format` of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    /// For terminals (coloured when stdout is one).
    Text,
    /// For pull-request comments: a summary table, then a section per object.
    Markdown,
    /// The change set, machine-readable.
    Json,
}

/// Options of `platc diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// A `.platform` file or a project directory.
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// Compare with this output tree (default: `out/` inside the project directory).
    #[arg(long, conflicts_with = "base")]
    pub(crate) out: Option<PathBuf>,
    /// Compare with the render of the same project at this git revision.
    #[arg(long, value_name = "GITREF")]
    pub(crate) base: Option<String>,
    /// Show only the base and this environment's overlays, values and Applications.
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub(crate) format: DiffFormat,
    /// Exit with 1 when there are changes.
    #[arg(long)]
    pub(crate) exit_code: bool,
    /// Largest markdown output, in characters (details are collapsed to fit).
    #[arg(long, default_value_t = DEFAULT_MAX_SIZE)]
    pub(crate) max_size: usize,
}

pub(crate) fn run(
    args: &DiffArgs,
    color: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let human = DiagnosticFormat::Human { color, width: 100 };
    let sources = match platc::source::load(&args.path) {
        Ok(sources) => sources,
        Err(err) => {
            let _ = writeln!(stderr, "error[platc::io]: {err}");
            return EXIT_USAGE;
        }
    };
    let compiled = platc::pipeline::compile_keeping(
        &sources,
        None,
        &|paths| platc::source::load_assets(&sources.root, paths),
        Keep::Values,
    );
    let _ = diagnostic::report(&compiled.diagnostics, &sources, human, stderr);
    let Some(bundle) = compiled.bundle else {
        let _ = writeln!(stderr, "no diff: the project has errors");
        return EXIT_FAILED;
    };
    let new = Tree::from(bundle);
    let old = match &args.base {
        Some(revision) => match base_tree(&args.path, revision, human, stderr) {
            Ok(tree) => tree,
            Err(code) => return code,
        },
        None => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| super::build::default_out(&args.path));
            match platc::write::read_out_tree(&out) {
                Ok(tree) => Tree::from_out_tree(&tree),
                Err(err) => {
                    let _ = writeln!(
                        stderr,
                        "error[platc::io]: cannot read `{}`: {err}",
                        out.display()
                    );
                    return EXIT_USAGE;
                }
            }
        }
    };
    if let Some(env) = &args.env {
        let declared = platc::diff::envs(&Tree::default(), &new);
        if !declared.contains(env) {
            let list: Vec<&str> = declared.iter().map(String::as_str).collect();
            let list = if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            };
            let _ = writeln!(
                stderr,
                "error[platc::unknown-env]: unknown environment `{env}`; declared: {list}"
            );
            return EXIT_USAGE;
        }
    }
    let mut changes = platc::diff::diff(&old, &new);
    if let Some(env) = &args.env {
        changes.retain_env(env);
    }
    let format = match args.format {
        DiffFormat::Text => Format::Text {
            color: color && stdout_is_terminal(),
        },
        DiffFormat::Markdown => Format::Markdown {
            max_size: args.max_size,
        },
        DiffFormat::Json => Format::Json,
    };
    if stdout
        .write_all(format::render(&changes, format).as_bytes())
        .is_err()
    {
        return EXIT_USAGE;
    }
    if args.exit_code && !changes.is_empty() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `color` comes from stderr; the diff goes to stdout, which may be a pipe.
fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// The render of the project at `revision`, its sources and `file()` assets
/// read through git. `Err` is the exit code after reporting why.
fn base_tree(
    path: &Path,
    revision: &str,
    human: DiagnosticFormat,
    stderr: &mut dyn Write,
) -> Result<Tree, u8> {
    let project = match git::Project::open(path, revision) {
        Ok(project) => project,
        Err(err) => {
            let _ = writeln!(stderr, "error[platc::io]: {err}");
            return Err(EXIT_USAGE);
        }
    };
    let files = match project.sources() {
        Ok(files) => files,
        Err(err) => {
            let _ = writeln!(stderr, "error[platc::io]: {err}");
            return Err(EXIT_USAGE);
        }
    };
    if files.is_empty() {
        let _ = writeln!(
            stderr,
            "note: no `.platform` files at `{revision}`; every object is new"
        );
        return Ok(Tree::default());
    }
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let sources = SourceMap::from_strings(project.root(), &named);
    let load =
        |paths: &std::collections::BTreeSet<String>| -> BTreeMap<String, Result<String, String>> {
            project.assets(paths)
        };
    let compiled = platc::pipeline::compile_keeping(&sources, None, &load, Keep::Values);
    let Some(bundle) = compiled.bundle else {
        let _ = writeln!(stderr, "the project at `{revision}` has errors:");
        let _ = diagnostic::report(&compiled.diagnostics, &sources, human, stderr);
        let _ = writeln!(stderr, "no diff: the base revision does not compile");
        return Err(EXIT_FAILED);
    };
    Ok(Tree::from(bundle))
}
