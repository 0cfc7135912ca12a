//! The generated `README.md` of the output tree (a handlebars template in
//! `stdlib/templates/`): what is there and how to bootstrap it.

use handlebars::Handlebars;
use serde::Serialize;

use crate::ir;

use super::Bundle;

const TEMPLATE: &str = include_str!("../../stdlib/templates/README.md.hbs");

#[derive(Serialize)]
struct Context<'a> {
    platform: &'a str,
    cluster: &'a str,
    cluster_config: Option<&'a str>,
    cluster_command: String,
    control_planes: u32,
    node_count: u32,
    argocd_namespace: &'a str,
    argocd_dir: String,
    envs: Vec<EnvRow<'a>>,
    apps: Vec<AppRow>,
    charts: Vec<ChartRow<'a>>,
    secrets: Vec<SecretRow<'a>>,
}

#[derive(Serialize)]
struct EnvRow<'a> {
    name: &'a str,
    destination: &'a str,
    revision: &'a str,
    auto_sync: bool,
}

#[derive(Serialize)]
struct AppRow {
    name: String,
    count: usize,
}

#[derive(Serialize)]
struct ChartRow<'a> {
    name: &'a str,
    chart: &'a str,
    repo: &'a str,
    version: &'a str,
    namespace: &'a str,
}

#[derive(Serialize)]
struct SecretRow<'a> {
    name: &'a str,
    namespace: &'a str,
    keys: Vec<&'a str>,
}

/// `apps` are the namespaces of the Kustomize apps with the number of
/// objects in each one's base.
pub(crate) fn render(base: &ir::Platform, apps: &[(String, usize)], bundle: &mut Bundle) {
    let settings = &base.settings;
    let (cluster, cluster_config, cluster_command) = match settings.cluster {
        ir::ClusterKind::K3d => (
            "k3d",
            Some("local-cluster/k3d.yaml"),
            "k3d cluster create --config local-cluster/k3d.yaml".to_string(),
        ),
        ir::ClusterKind::Kind => (
            "kind",
            Some("local-cluster/kind.yaml"),
            "kind create cluster --config local-cluster/kind.yaml".to_string(),
        ),
        ir::ClusterKind::None => ("none", None, String::new()),
    };
    let context = Context {
        platform: &base.name,
        cluster,
        cluster_config,
        cluster_command,
        control_planes: settings.control_planes,
        node_count: base.nodepools.values().map(|p| p.count).sum(),
        argocd_namespace: &settings.argocd_namespace,
        argocd_dir: "argocd/".to_string(),
        envs: base
            .envs
            .values()
            .map(|e| EnvRow {
                name: &e.name,
                destination: &e.destination,
                revision: e.revision.as_deref().unwrap_or(&settings.revision),
                auto_sync: e.auto_sync,
            })
            .collect(),
        apps: apps
            .iter()
            .map(|(name, count)| AppRow {
                name: name.clone(),
                count: *count,
            })
            .collect(),
        charts: base
            .charts
            .values()
            .map(|c| ChartRow {
                name: &c.name,
                chart: &c.chart,
                repo: &c.repo,
                version: &c.version,
                namespace: &c.namespace,
            })
            .collect(),
        secrets: base
            .secrets
            .values()
            .map(|s| SecretRow {
                name: &s.name,
                namespace: &s.namespace,
                keys: s.keys.iter().map(String::as_str).collect(),
            })
            .collect(),
    };
    let text = templates()
        .render("readme", &context)
        .expect("invariant: the embedded README template renders with its context");
    bundle.add_text("README.md", text);
}

/// The strict handlebars registry with the embedded templates.
fn templates() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry
        .register_template_string("readme", TEMPLATE)
        .expect("invariant: the embedded README template parses");
    registry
}
