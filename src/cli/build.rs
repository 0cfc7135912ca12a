//! `platc build`: check, render, validate, show the change summary, then
//! write atomically (or, with `--check`, fail when the tree would change).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use platc::cache::{Slot, Stat};
use platc::diagnostic::{self, Code, Format};
use platc::diff::Tree;
use platc::pipeline::Keep;
use platc::timings::phase;
use platc::write::{self, Action};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Options of `platc build`.
pub(crate) struct BuildArgs {
    pub(crate) path: PathBuf,
    pub(crate) out: Option<PathBuf>,
    pub(crate) env: Option<String>,
    pub(crate) check: bool,
    pub(crate) force: bool,
    pub(crate) deny_warnings: bool,
}

/// The default output directory: `out/` inside the project directory (beside a single file).
pub(crate) fn default_out(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("out")
    } else {
        path.parent().unwrap_or(Path::new(".")).join("out")
    }
}

/// Above this many changed files, the summary counts files per directory
/// instead of naming every object: a first build of a large platform would
/// print tens of thousands of lines nobody reads, and diffing them was a
/// tenth of the build. `platc diff` still names every object.
const OBJECT_SUMMARY_LIMIT: usize = 1000;

/// What the write changes, one line per object (`~ apps/shop Deployment/api (prod)`,
/// as `platc diff` reports it), then `~ path` for any changed file that no
/// object change accounts for. Only the files the plan changes are compared.
/// Large changes: `directory_summary`.
fn object_summary(old: &write::OutTree, plan: &write::Plan) -> String {
    let changed: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::Create | Action::Update | Action::Delete))
        .map(|(path, _)| path.as_str())
        .collect();
    if changed.is_empty() || changed.len() > OBJECT_SUMMARY_LIMIT {
        return if changed.is_empty() {
            String::new()
        } else {
            directory_summary(plan)
        };
    }
    // Kustomizations name the targets of overlay patches.
    let wanted = |path: &str| {
        changed.contains(path)
            || (path.ends_with("kustomization.yaml") && !plan.kept.contains(path))
    };
    // Both sides from bytes: the old tree as read, the new one as it will be
    // written (the rendered objects were freed while encoding).
    let before = Tree::from_out_tree_only(old, wanted);
    let after = Tree::from_texts(
        plan.generated
            .iter()
            .filter(|(path, _)| wanted(path))
            .map(|(path, text)| (path.as_str(), text.as_str())),
    );
    let changes = platc::diff::summary_diff(&before, &after);
    let mut text = platc::diff::format::summary(&changes, false);
    let covered = changes.paths();
    for (path, action) in &plan.actions {
        let mark = match action {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::KeepEdited | Action::KeepForeign => continue,
        };
        if !covered.contains(path.as_str()) {
            text.push_str(&format!("{mark} {path}\n"));
        }
    }
    text
}

/// `+12 ~3 -1 apps/shop/base`: created, updated and deleted files per
/// directory, then how to see every object.
fn directory_summary(plan: &write::Plan) -> String {
    let mut dirs: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for (path, action) in &plan.actions {
        let slot = match action {
            Action::Create => 0,
            Action::Update => 1,
            Action::Delete => 2,
            Action::KeepEdited | Action::KeepForeign => continue,
        };
        let dir = path.rsplit_once('/').map_or(".", |(dir, _)| dir);
        dirs.entry(dir).or_default()[slot] += 1;
    }
    let mut text = String::new();
    for (dir, [created, updated, deleted]) in &dirs {
        text.push_str(&format!("+{created} ~{updated} -{deleted} {dir}/\n"));
    }
    let files: usize = dirs.values().flatten().sum();
    text.push_str(&format!(
        "{files} files in {} directories; `platc diff` before a build names every object\n",
        dirs.len()
    ));
    text
}

pub(crate) fn run(
    args: &BuildArgs,
    color: bool,
    cache: Option<&Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let sources = match phase("read", || platc::source::load(&args.path)) {
        Ok(sources) => sources,
        Err(err) => {
            let _ = writeln!(stderr, "error[platc::io]: {err}");
            return EXIT_USAGE;
        }
    };
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.path));
    let human = Format::Human { color, width: 100 };
    // Same sources, assets, platc and options, and the tree exactly as the
    // last build left it: nothing to compile, nothing to write.
    let slot = cache.and_then(|dir| {
        Slot::new(
            dir,
            "build",
            &[("env", args.env.as_deref())],
            &sources,
            Some(&out),
        )
    });
    if let Some(entry) = slot.as_ref().and_then(|s| phase("cache", || s.lookup())) {
        let _ = diagnostic::report(&entry.diagnostics, &sources, human, stderr);
        if args.deny_warnings && !entry.diagnostics.is_empty() {
            let _ = writeln!(stderr, "nothing written");
            return EXIT_FAILED;
        }
        let _ = writeln!(stderr, "{}: up to date", out.display());
        return EXIT_OK;
    }
    let (compiled, assets) = phase("compile", || {
        platc::cache::compile_recording(&sources, args.env.as_deref(), Keep::Bytes)
    });
    if let Err(message) = &compiled.env_error {
        let _ = writeln!(stderr, "error[platc::unknown-env]: {message}");
        return EXIT_USAGE;
    }
    let _ = diagnostic::report(&compiled.diagnostics, &sources, human, stderr);
    let denied = args.deny_warnings && !compiled.diagnostics.is_empty();
    let Some(bundle) = compiled.bundle.filter(|_| !denied) else {
        let _ = writeln!(stderr, "nothing written");
        return EXIT_FAILED;
    };
    let old = match phase("read out", || write::read_out_tree(&out)) {
        Ok(tree) => tree,
        Err(err) => {
            let _ = writeln!(
                stderr,
                "error[platc::io]: cannot read `{}`: {err}",
                out.display()
            );
            return EXIT_USAGE;
        }
    };
    let encoded = phase("encode", || bundle.into_encoded());
    let plan = phase("plan", || write::plan(encoded, &old, args.force));
    if let Some((path, entry)) = plan.blocked() {
        let _ = writeln!(
            stderr,
            "error[platc::io]: `{out}/{path}` is a directory, where platc writes a file; nothing changed\n  \
             help: `{out}/{entry}` was not generated by platc: move it out of `{out}`, then build again",
            out = out.display()
        );
        return EXIT_USAGE;
    }
    let summary = phase("summary", || object_summary(&old, &plan));
    let _ = stdout.write_all(summary.as_bytes());
    let kept: Vec<_> = plan
        .actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::KeepEdited | Action::KeepForeign))
        .collect();
    for (path, action) in &kept {
        let why = match action {
            Action::KeepEdited => "was edited by hand since platc generated it",
            _ => "was not generated by platc",
        };
        let _ = writeln!(
            stderr,
            "warning[{}]: `{}/{path}` {why}; kept (rerun with --force to overwrite)",
            Code::HandEditedFile,
            out.display()
        );
    }
    // Only a tree that is exactly what platc generates is worth replaying:
    // kept files would need their warnings again.
    let remember = |slot: &Option<Slot>, written: Option<&[(&str, Stat)]>| match slot {
        Some(slot) if kept.is_empty() => {
            slot.store_or_forget(&assets, &compiled.diagnostics, written);
        }
        Some(slot) => slot.forget(),
        None => {}
    };
    let changes = plan
        .actions
        .values()
        .filter(|a| matches!(a, Action::Create | Action::Update | Action::Delete))
        .count();
    if args.check {
        if plan.changes() {
            let _ = writeln!(
                stderr,
                "{}: {changes} file(s) would change; run `platc build` and commit the result",
                out.display()
            );
            return EXIT_FAILED;
        }
        remember(&slot, None);
        let _ = writeln!(stderr, "{}: up to date", out.display());
        return EXIT_OK;
    }
    let written = match phase("write", || write::apply(&plan, &out)) {
        Ok(written) => written,
        Err(err) => {
            if let Some(slot) = &slot {
                slot.forget();
            }
            let _ = writeln!(
                stderr,
                "error[platc::io]: writing `{}` failed, nothing changed: {err}",
                out.display()
            );
            return EXIT_USAGE;
        }
    };
    remember(&slot, written.as_deref());
    let changed = plan.changes();
    drop((written, kept));
    // The old tree's files (a rebuild read them all) go at the same time.
    rayon::join(|| plan.discard(), || drop(old));
    if changed {
        let _ = writeln!(stderr, "{}: {changes} file(s) changed", out.display());
    } else {
        let _ = writeln!(stderr, "{}: up to date", out.display());
    }
    EXIT_OK
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn a_large_change_is_summarised_per_directory() {
        let mut plan = write::Plan::default();
        for i in 0..3 {
            plan.actions
                .insert(format!("apps/a/base/x-{i}.yaml"), Action::Create);
        }
        plan.actions
            .insert("apps/b/base/y.yaml".into(), Action::Update);
        plan.actions.insert("README.md".into(), Action::Delete);
        plan.actions
            .insert("apps/b/base/edited.yaml".into(), Action::KeepEdited);
        assert_eq!(
            directory_summary(&plan),
            "+0 ~0 -1 ./\n+3 ~0 -0 apps/a/base/\n+0 ~1 -0 apps/b/base/\n\
             5 files in 3 directories; `platc diff` before a build names every object\n"
        );
    }
}
