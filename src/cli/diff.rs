//! `platc diff`: the per-object semantic diff of the new render against the
//! tree on disk (`--out`) or against the render of the same project at a git
//! revision (`--base`), for pull-request review. Reads both sides as the
//! files `platc build` writes, calls `platc::diff::diff_texts` (which parses
//! only the apps that differ), prints one of the formats; nothing is written.

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

/// The new side of a diff.
enum New {
    /// The files `platc build` would write, by path.
    Files(BTreeMap<String, String>),
    /// The render's values, when there is nothing to compare them with.
    Rendered(Tree),
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
    // The tree on disk is read first: an unreadable one fails before any
    // compiling, and an empty one (no build yet) means every object is new.
    let on_disk = match &args.base {
        Some(_) => None,
        None => {
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| super::build::default_out(&args.path));
            match platc::write::read_out_tree(&out) {
                Ok(tree) => Some(generated_files(tree)),
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
    // Against files, both sides are the bytes `platc build` writes: files
    // the same on both sides are compared as bytes, and only the apps where
    // one differs are parsed (`diff::diff_texts`). Against nothing, every
    // object is new and would be parsed back: the render's values are kept.
    let everything_new = on_disk.as_ref().is_some_and(BTreeMap::is_empty);
    let keep = if everything_new {
        Keep::Values
    } else {
        Keep::Bytes
    };
    let compiled = platc::pipeline::compile_keeping(
        &sources,
        None,
        &|paths| platc::source::load_assets(&sources.root, paths),
        keep,
    );
    let _ = diagnostic::report(&compiled.diagnostics, &sources, human, stderr);
    let Some(bundle) = compiled.bundle else {
        let _ = writeln!(stderr, "no diff: the project has errors");
        return EXIT_FAILED;
    };
    let new = if everything_new {
        New::Rendered(Tree::from(bundle))
    } else {
        New::Files(bundle.into_encoded())
    };
    if let Some(env) = &args.env {
        let declared = match &new {
            New::Files(files) => platc::diff::envs_in(files.keys().map(String::as_str)),
            New::Rendered(tree) => platc::diff::envs(&Tree::default(), tree),
        };
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
    let old = match (&args.base, on_disk) {
        (Some(revision), _) => match base_files(&args.path, revision, human, stderr) {
            Ok(files) => files,
            Err(code) => return code,
        },
        (None, files) => files.unwrap_or_default(),
    };
    let mut changes = match &new {
        New::Files(files) => platc::diff::diff_texts(&borrowed(&old), &borrowed(files)),
        New::Rendered(tree) => platc::diff::diff(&Tree::default(), tree),
    };
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

fn borrowed(files: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect()
}

/// The files of the tree on disk platc generated (`OutTree::is_generated`), as text.
fn generated_files(mut tree: platc::write::OutTree) -> BTreeMap<String, String> {
    let files = std::mem::take(&mut tree.files);
    files
        .into_iter()
        .filter(|(path, _)| tree.is_generated(path))
        .map(|(path, bytes)| {
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
            (path, text)
        })
        .collect()
}

/// The files `platc build` would write for the project at `revision`, its
/// sources and `file()` assets read through git. `Err` is the exit code
/// after reporting why.
fn base_files(
    path: &Path,
    revision: &str,
    human: DiagnosticFormat,
    stderr: &mut dyn Write,
) -> Result<BTreeMap<String, String>, u8> {
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
        return Ok(BTreeMap::new());
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
    let compiled = platc::pipeline::compile_keeping(&sources, None, &load, Keep::Bytes);
    let Some(bundle) = compiled.bundle else {
        let _ = writeln!(stderr, "the project at `{revision}` has errors:");
        let _ = diagnostic::report(&compiled.diagnostics, &sources, human, stderr);
        let _ = writeln!(stderr, "no diff: the base revision does not compile");
        return Err(EXIT_FAILED);
    };
    Ok(bundle.into_encoded())
}
