//! Rendering: `ir::Platform` views → `Bundle` (every output file). Pure and
//! infallible on valid IR: renderers read no files, env or clock and never
//! look at the AST.
//!
//! Two layers. Object renderers (`workloads`, `namespaces`, `rbac`,
//! `strimzi`, `grafana`, `resources`) turn one view into Kubernetes objects.
//! Tree renderers (`kustomize`, `helm`, `argocd`, `cluster`, `readme`) lay
//! those out as a GitOps repository: a Kustomize base per app from the base
//! view, an overlay per env holding only JSON6902 patches for what differs,
//! Helm values per chart, ApplicationSets per env and the local cluster config.

mod argocd;
pub mod bundle;
mod cluster;
mod grafana;
mod helm;
mod kustomize;
pub mod meta;
mod namespaces;
mod rbac;
mod readme;
mod resources;
mod strimzi;
mod workloads;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::ir;
use crate::span::Span;
use crate::timings::phase;

pub use bundle::{Bundle, Document, FileContent};

/// One rendered Kubernetes object, before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The full manifest: `apiVersion`, `kind`, `metadata`, then the rest.
    pub value: Json,
    /// The declaration it came from (diagnostics only).
    pub origin: Span,
}

impl Object {
    /// Wraps a manifest.
    pub fn new(value: Json, origin: Span) -> Self {
        Self { value, origin }
    }

    /// `metadata.namespace`, if the object is namespaced.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata("namespace")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata("name").unwrap_or_default()
    }

    /// A string field of `metadata`. Not `Json::pointer`, which allocates
    /// per token: these accessors run several times per object.
    fn metadata(&self, field: &str) -> Option<&str> {
        self.value.get("metadata")?.get(field)?.as_str()
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        self.value
            .get("kind")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }

    /// The app the object belongs to: its namespace, or `None` for
    /// cluster-scoped objects (the `cluster` app).
    pub fn app(&self) -> App {
        match self.namespace() {
            Some(ns) => App::Namespace(ns.to_string()),
            None => App::Cluster,
        }
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }
}

/// One Argo CD application of plain manifests: a namespace, or the
/// cluster-scoped objects (Namespaces, ClusterRoles…).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum App {
    Cluster,
    Namespace(String),
}

impl App {
    /// Directory of the app in the output tree.
    pub fn dir(&self) -> String {
        match self {
            App::Cluster => "cluster".to_string(),
            App::Namespace(ns) => format!("apps/{ns}"),
        }
    }

    /// Short name used in Application names.
    pub fn name(&self) -> &str {
        match self {
            App::Cluster => "cluster",
            App::Namespace(ns) => ns,
        }
    }

    /// Namespace the Application deploys into.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            App::Cluster => None,
            App::Namespace(ns) => Some(ns),
        }
    }
}

type SortKey = (App, u8, String, String);

/// Every Kubernetes object of one view, sorted by (app, kind rank, namespace, name).
pub fn objects(platform: &ir::Platform) -> Vec<Object> {
    // Namespaces and policies, and the workloads, are the bulk: built at
    // the same time, concatenated in a fixed order.
    let (mut out, workloads) = rayon::join(
        || {
            let mut out = Vec::new();
            phase("   namespaces", || namespaces::render(platform, &mut out));
            rbac::render(platform, &mut out);
            out
        },
        || {
            let mut out = Vec::new();
            phase("   workloads", || workloads::render(platform, &mut out));
            out
        },
    );
    out.extend(workloads);
    strimzi::render(platform, &mut out);
    grafana::render(platform, &mut out);
    resources::render(platform, &mut out);
    annotate_custom_resources(platform, &mut out);
    // Keys computed once per object: comparing through JSON pointers and a
    // fresh `App` per comparison dominated rendering at 10k services.
    let mut keyed: Vec<(SortKey, Object)> = out
        .into_iter()
        .map(|o| {
            let key = (
                o.app(),
                bundle::kind_rank(o.kind()),
                o.kind().to_string(),
                o.name().to_string(),
            );
            (key, o)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, o)| o).collect()
}

/// API groups whose CRDs a chart of this platform installs.
pub fn crd_groups(platform: &ir::Platform) -> std::collections::BTreeSet<String> {
    let profiles = crate::profile::builtin();
    platform
        .charts
        .values()
        .filter_map(|c| c.profile.as_deref().and_then(|p| profiles.get(p)))
        .flat_map(|p| p.crds.iter().cloned())
        .collect()
}

/// Custom resources whose CRD comes from a chart of the same platform may
/// reach Argo CD before the CRD exists: skip the dry run (the sync retries
/// until the chart has installed the CRD) and sync them after the charts.
fn annotate_custom_resources(platform: &ir::Platform, objects: &mut [Object]) {
    let groups = crd_groups(platform);
    for object in objects.iter_mut() {
        if !groups.contains(object.group()) {
            continue;
        }
        let Some(metadata) = object
            .value
            .get_mut("metadata")
            .and_then(Json::as_object_mut)
        else {
            continue;
        };
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Json::Object(serde_json::Map::new()));
        if let Some(map) = annotations.as_object_mut() {
            map.insert(
                "argocd.argoproj.io/sync-options".into(),
                Json::String("SkipDryRunOnMissingResource=true".into()),
            );
            map.insert(
                "argocd.argoproj.io/sync-wave".into(),
                Json::String("1".into()),
            );
        }
    }
}

/// Renders the whole output tree from the base view and every env view.
///
/// # Panics
/// When `views` has no base view (an invariant of `pipeline::check`).
pub fn render(views: &BTreeMap<Option<String>, ir::Platform>) -> Bundle {
    let base = views
        .get(&None)
        .expect("invariant: the base view is always lowered");
    let base_objects = phase("  objects", || objects(base));
    let env_objects: BTreeMap<&str, (&ir::Platform, Vec<Object>)> = views
        .iter()
        .filter_map(|(env, view)| env.as_deref().map(|e| (e, (view, objects(view)))))
        .collect();
    let mut bundle = Bundle::default();
    phase("  argocd", || {
        argocd::render(base, &base_objects, &mut bundle)
    });
    phase("  kustomize", || {
        kustomize::render(base_objects, &env_objects, &mut bundle);
    });
    drop(env_objects);
    helm::render(base, views, &mut bundle);
    cluster::render(base, &mut bundle);
    phase("  readme", || readme::render(base, &mut bundle));
    bundle
}

/// Checks on the rendered Helm values: charts left generating random
/// secrets (`random-secret`) and values that fail the chart's own
/// `values.schema.json` (`schema`).
pub fn chart_diagnostics(
    views: &BTreeMap<Option<String>, ir::Platform>,
) -> Vec<crate::diagnostic::Diagnostic> {
    let Some(base) = views.get(&None) else {
        return Vec::new();
    };
    let mut out = helm::random_secret_warnings(base);
    out.extend(helm::values_schema_errors(base, views));
    out
}

/// Test support: the base view of a one-file project, panicking on errors.
#[cfg(test)]
pub(crate) fn test_view(source: &str) -> ir::Platform {
    test_views(source).remove(&None).expect("base view")
}

/// Test support: every view of a one-file project, panicking on errors.
#[cfg(test)]
pub(crate) fn test_views(source: &str) -> BTreeMap<Option<String>, ir::Platform> {
    let sources = crate::source::SourceMap::from_strings(".", &[("test.platform", source)]);
    let checked = crate::pipeline::check(&sources);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "test source has errors: {errors:#?}");
    checked.views
}
