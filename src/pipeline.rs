//! `check` and (later stages) `compile`: the only place that calls the
//! stages in order. Read this first.
//!
//! parse → resolve → lower (→ render → validate → diff → write). A stage
//! reports all of its problems; a later stage never runs on input an earlier
//! stage rejected, so it never reports errors caused by earlier ones.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{self, Item, ValueKind};
use crate::diagnostic::{sort_and_dedupe, Diagnostic};
use crate::ir;
use crate::source::{self, SourceMap};
use crate::timings::phase;

/// The result of checking a project.
#[derive(Debug)]
pub struct Checked {
    /// The base view (`None`) and one view per environment; empty when errors stopped lowering.
    pub views: BTreeMap<Option<String>, ir::Platform>,
    /// Every diagnostic, sorted and deduplicated.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads the assets `file()` names: project-relative paths → text, or why one
/// could not be read (from disk, or from a git revision for `platc diff --base`).
pub type LoadAssets<'a> = &'a dyn Fn(&BTreeSet<String>) -> BTreeMap<String, Result<String, String>>;

/// Parses, resolves and lowers every file; reads the files `file()` names.
pub fn check(sources: &SourceMap) -> Checked {
    check_with(sources, &|paths| source::load_assets(&sources.root, paths))
}

/// `check`, with the `file()` assets read by `load` instead of from the disk.
pub fn check_with(sources: &SourceMap, load: LoadAssets<'_>) -> Checked {
    let (files, mut diagnostics) = phase("parse", || crate::parse::parse_all(&sources.files));
    let resolved = phase("resolve", || {
        crate::resolve::resolve(&files, &mut diagnostics)
    });
    let assets = phase("assets", || load(&asset_paths(sources, &files)));
    // Lowering runs even when resolution found problems, so one run reports
    // value problems too; declarations that failed to resolve are skipped.
    let views = phase("lower", || {
        crate::lower::lower(&resolved, sources, &assets, &mut diagnostics)
    });
    sort_and_dedupe(&mut diagnostics);
    // The syntax trees are done with: freed file by file on all cores (at
    // 10,000 services, one thread took 50 ms of the critical path).
    drop(resolved);
    {
        use rayon::prelude::*;
        files.into_par_iter().for_each(drop);
    }
    let views = if diagnostics.iter().any(Diagnostic::is_error) {
        BTreeMap::new()
    } else {
        views
    };
    Checked { views, diagnostics }
}

/// Project-relative paths of every `file("…")` argument that stays inside the project.
fn asset_paths(
    sources: &SourceMap,
    files: &[(crate::span::FileId, ast::File)],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (id, file) in files {
        let from = &sources.file(*id).name;
        for decl in &file.declarations {
            collect_calls(&decl.body, from, &mut out);
        }
    }
    out
}

fn collect_calls(body: &ast::Body, from: &str, out: &mut BTreeSet<String>) {
    for item in &body.items {
        match item {
            Item::Attribute(attr) => collect_value(&attr.value, from, out),
            Item::Block(block) => collect_calls(&block.body, from, out),
            Item::When(when) => collect_calls(&when.body, from, out),
        }
    }
}

fn collect_value(value: &ast::Value, from: &str, out: &mut BTreeSet<String>) {
    match &value.kind {
        ValueKind::Call(call) if call.name.text == "file" => {
            if let [arg] = call.args.as_slice() {
                if let ValueKind::String(s) = &arg.kind {
                    if let Some(Some(path)) = s.as_plain().map(|p| source::project_path(from, &p)) {
                        out.insert(path);
                    }
                }
            }
        }
        ValueKind::List(items) => items.iter().for_each(|v| collect_value(v, from, out)),
        ValueKind::Map(entries) => entries
            .iter()
            .for_each(|e| collect_value(&e.value, from, out)),
        _ => {}
    }
}

/// The result of compiling a project into an output tree.
#[derive(Debug)]
pub struct Compiled {
    /// `Err` when `--env` names an env the project does not declare.
    pub env_error: Result<(), String>,
    /// The rendered tree; `None` when any error was found (nothing may be written).
    pub bundle: Option<crate::render::Bundle>,
    /// Every diagnostic of every stage, sorted and deduplicated.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks, renders and validates: everything `platc build` does before writing.
pub fn compile(sources: &SourceMap) -> Compiled {
    compile_for(sources, None)
}

/// `compile`, keeping only the base and `env`'s view when `env` is given.
pub fn compile_for(sources: &SourceMap, env: Option<&str>) -> Compiled {
    compile_with(sources, env, &|paths| {
        source::load_assets(&sources.root, paths)
    })
}

/// What the bundle keeps of each rendered Kubernetes object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Its bytes: without env overlays, each object is checked and encoded
    /// as soon as it is rendered and its value freed (`render::Sealed`).
    /// `build` and `validate`.
    Bytes,
    /// Its value: `platc diff` against an empty tree, where every object is
    /// new and reading them all back from bytes would cost more than
    /// rendering them; env overlays (which compare values) keep them anyway.
    Values,
    /// Only what validation needs: sealed objects are checked but not
    /// encoded (`platc validate`), so the bundle must not be encoded.
    Diagnostics,
}

/// `compile_for`, with the `file()` assets read by `load` instead of from the
/// disk (`source::assets_from_map` serves them from a map).
pub fn compile_with(sources: &SourceMap, env: Option<&str>, load: LoadAssets<'_>) -> Compiled {
    compile_keeping(sources, env, load, Keep::Bytes)
}

/// `compile_with`, keeping of each object what `keep` says.
pub fn compile_keeping(
    sources: &SourceMap,
    env: Option<&str>,
    load: LoadAssets<'_>,
    keep: Keep,
) -> Compiled {
    let checked = check_with(sources, load);
    if checked.has_errors() {
        return Compiled {
            env_error: Ok(()),
            bundle: None,
            diagnostics: checked.diagnostics,
        };
    }
    let mut diagnostics = checked.diagnostics;
    let mut views = checked.views;
    if let Some(env) = env {
        if !views.contains_key(&Some(env.to_string())) {
            let declared: Vec<String> = views.keys().flatten().cloned().collect();
            let message = format!(
                "unknown environment `{env}`; declared: {}",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            );
            return Compiled {
                env_error: Err(message),
                bundle: None,
                diagnostics,
            };
        }
        views.retain(|k, _| k.is_none() || k.as_deref() == Some(env));
        for view in views.values_mut() {
            view.envs.retain(|name, _| name == env);
        }
    }
    let seal = match keep {
        Keep::Values => crate::render::Seal::No,
        Keep::Bytes => crate::render::Seal::Encoded,
        Keep::Diagnostics => crate::render::Seal::Checked,
    };
    let bundle = phase("render", || crate::render::render_with(&views, seal));
    diagnostics.extend(crate::render::chart_diagnostics(&views));
    // Nothing reads the views after rendering: validation reuses their
    // memory. Their workloads are freed on all cores (at 10,000 services,
    // one thread took ~13 ms; freeing them while validating instead kept
    // ~20 MB more resident, memory first touched again).
    for mut view in views.into_values() {
        use rayon::prelude::*;
        std::mem::take(&mut view.workloads)
            .into_par_iter()
            .for_each(drop);
    }
    phase("validate", || {
        crate::validate::validate(&bundle, &mut diagnostics)
    });
    sort_and_dedupe(&mut diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Compiled {
        env_error: Ok(()),
        bundle: (!failed).then_some(bundle),
        diagnostics,
    }
}
