//! The local cluster config (`platform.cluster`): `local-cluster/k3d.yaml` or
//! `local-cluster/kind.yaml`, nothing for `none`.
//!
//! Control planes come from `control-planes`; every node pool contributes
//! `count` worker nodes (k3d agents), in pool-name order, each labelled with
//! the pool label (`nodepool-label: <pool>`) plus the pool's own labels and
//! tainted with the pool's taints. Port mappings of all pools are published on
//! the host: through k3d's load balancer, or on kind's first control-plane
//! node (NodePorts answer on every node). With k3d, the add-ons k3s bundles
//! are switched off when the platform brings its own: Traefik when an ingress
//! controller chart is declared, metrics-server and ServiceLB when those
//! charts (metrics-server, MetalLB) are. No node image is pinned: the tools'
//! defaults are used.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use crate::ir::{self, ClusterKind};

use super::bundle::{to_yaml, Bundle};

pub(crate) fn render(base: &ir::Platform, bundle: &mut Bundle) {
    let origin = Some(base.settings.origin);
    match base.settings.cluster {
        ClusterKind::K3d => bundle.add("local-cluster/k3d.yaml", k3d(base), origin),
        ClusterKind::Kind => bundle.add("local-cluster/kind.yaml", kind(base), origin),
        ClusterKind::None => {}
    }
}

/// Every pool's `host:container` mappings, deduplicated, in pool order.
fn port_mappings(base: &ir::Platform) -> Vec<(u16, u16)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for pool in base.nodepools.values() {
        for mapping in &pool.ports {
            let pair = (mapping.host.0, mapping.container.0);
            if seen.insert(pair) {
                out.push(pair);
            }
        }
    }
    out
}

/// The pool label, then the pool's labels (which cannot override it).
fn node_labels(base: &ir::Platform, pool: &ir::NodePool) -> Vec<(String, String)> {
    let label = &base.settings.nodepool_label;
    let mut labels = vec![(label.clone(), pool.name.clone())];
    labels.extend(
        pool.labels
            .iter()
            .filter(|(k, _)| *k != label)
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    labels
}

/// `key=value:Effect` or `key:Effect`.
fn taint_text(taint: &ir::Taint) -> String {
    match &taint.value {
        Some(value) => format!("{}={value}:{}", taint.key, taint.effect),
        None => format!("{}:{}", taint.key, taint.effect),
    }
}

/// Whether a chart with one of these profiles (or an ingress controller) is declared.
fn has_chart(base: &ir::Platform, pred: impl Fn(&crate::profile::Profile) -> bool) -> bool {
    base.charts
        .values()
        .filter_map(|c| {
            c.profile
                .as_deref()
                .and_then(|p| crate::profile::builtin().get(p))
        })
        .any(pred)
}

fn k3d(base: &ir::Platform) -> Json {
    let mut node_labels_out = Vec::new();
    let mut extra_args = Vec::new();

    // k3s add-ons the platform replaces.
    let mut disabled = Vec::new();
    if has_chart(base, |p| p.ingress_class.is_some()) {
        disabled.push("traefik");
    }
    if has_chart(base, |p| p.name == "metrics-server") {
        disabled.push("metrics-server");
    }
    if has_chart(base, |p| p.name == "metallb") {
        disabled.push("servicelb");
    }
    for addon in disabled {
        extra_args
            .push(json!({ "arg": format!("--disable={addon}"), "nodeFilters": ["server:*"] }));
    }

    let mut next_agent = 0u32;
    for pool in base.nodepools.values() {
        let filters: Vec<String> = (next_agent..next_agent + pool.count)
            .map(|i| format!("agent:{i}"))
            .collect();
        next_agent += pool.count;
        if filters.is_empty() {
            continue;
        }
        for (key, value) in node_labels(base, pool) {
            node_labels_out
                .push(json!({ "label": format!("{key}={value}"), "nodeFilters": filters }));
        }
        for taint in &pool.taints {
            extra_args.push(json!({ "arg": format!("--node-taint={}", taint_text(taint)), "nodeFilters": filters }));
        }
    }

    let mut config = Map::new();
    config.insert("apiVersion".into(), json!("k3d.io/v1alpha5"));
    config.insert("kind".into(), json!("Simple"));
    config.insert("metadata".into(), json!({ "name": base.name }));
    config.insert("servers".into(), json!(base.settings.control_planes));
    config.insert("agents".into(), json!(next_agent));
    let ports: Vec<Json> = port_mappings(base)
        .into_iter()
        .map(|(host, container)| json!({ "port": format!("{host}:{container}"), "nodeFilters": ["loadbalancer"] }))
        .collect();
    if !ports.is_empty() {
        config.insert("ports".into(), Json::Array(ports));
    }
    let mut k3s = Map::new();
    if !extra_args.is_empty() {
        k3s.insert("extraArgs".into(), Json::Array(extra_args));
    }
    if !node_labels_out.is_empty() {
        k3s.insert("nodeLabels".into(), Json::Array(node_labels_out));
    }
    if !k3s.is_empty() {
        config.insert("options".into(), json!({ "k3s": k3s }));
    }
    Json::Object(config)
}

fn kind(base: &ir::Platform) -> Json {
    let mut nodes = Vec::new();
    let mappings: Vec<Json> = port_mappings(base)
        .into_iter()
        .map(|(host, container)| json!({ "containerPort": container, "hostPort": host }))
        .collect();
    for i in 0..base.settings.control_planes.max(1) {
        let mut node = Map::new();
        node.insert("role".into(), json!("control-plane"));
        if i == 0 && !mappings.is_empty() {
            node.insert("extraPortMappings".into(), json!(mappings));
        }
        nodes.push(Json::Object(node));
    }
    for pool in base.nodepools.values() {
        let labels: Map<String, Json> = node_labels(base, pool)
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        let patch = (!pool.taints.is_empty()).then(|| {
            let taints: Vec<Json> = pool.taints.iter().map(taint).collect();
            to_yaml(
                &json!({ "kind": "JoinConfiguration", "nodeRegistration": { "taints": taints } }),
            )
        });
        for _ in 0..pool.count {
            let mut node = Map::new();
            node.insert("role".into(), json!("worker"));
            node.insert("labels".into(), json!(labels));
            if let Some(patch) = &patch {
                node.insert("kubeadmConfigPatches".into(), json!([patch]));
            }
            nodes.push(Json::Object(node));
        }
    }
    json!({
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "kind": "Cluster",
        "name": base.name,
        "nodes": nodes,
    })
}

/// A kubeadm `nodeRegistration.taints` entry.
fn taint(taint: &ir::Taint) -> Json {
    let mut out = Map::new();
    out.insert("key".into(), json!(taint.key));
    if let Some(value) = &taint.value {
        out.insert("value".into(), json!(value));
    }
    out.insert("effect".into(), json!(taint.effect));
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(cluster: &str) -> String {
        format!(
            r#"
platform lab {{
  repo           = "https://git.example.com/lab.git"
  cluster        = {cluster}
  control-planes = 1
  nodepool-label = "example.com/pool"
}}

nodepool infra {{
  count  = 1
  labels = {{ role = "infra" }}
  taints = ["dedicated=infra:NoSchedule"]
  ports  = ["80:30080", "443:30443"]
}}

nodepool apps {{
  count = 2
}}

nodepool kafka {{
  count  = 2
  labels = {{ "topology.kubernetes.io/zone" = "a" }}
  taints = ["dedicated=kafka:NoSchedule", "slow:PreferNoSchedule"]
}}

chart traefik {{
  profile   = traefik
  version   = "41.3.0"
  namespace = traefik
  nodepool  = infra
}}
"#
        )
    }

    fn rendered(cluster: &str) -> (String, Json) {
        let platform = crate::render::test_view(&source(cluster));
        let mut bundle = Bundle::default();
        render(&platform, &mut bundle);
        let mut docs = bundle.documents();
        let (path, _, doc) = docs.next().expect("one file");
        assert!(docs.next().is_none());
        (path.to_string(), doc.value.clone())
    }

    #[test]
    fn k3d_agents_labels_taints_and_ports() {
        let (path, config) = rendered("k3d");
        assert_eq!(path, "local-cluster/k3d.yaml");
        assert_eq!(config["metadata"]["name"], "lab");
        assert_eq!(config["servers"], 1);
        assert_eq!(config["agents"], 5);
        assert_eq!(
            config["ports"],
            json!([
                { "port": "80:30080", "nodeFilters": ["loadbalancer"] },
                { "port": "443:30443", "nodeFilters": ["loadbalancer"] },
            ])
        );
        // Pools in name order: apps = agents 0-1, infra = 2, kafka = 3-4.
        let labels = &config["options"]["k3s"]["nodeLabels"];
        assert!(labels.as_array().is_some_and(|l| l.contains(
            &json!({ "label": "example.com/pool=apps", "nodeFilters": ["agent:0", "agent:1"] })
        )));
        assert!(labels.as_array().is_some_and(
            |l| l.contains(&json!({ "label": "role=infra", "nodeFilters": ["agent:2"] }))
        ));
        let args = &config["options"]["k3s"]["extraArgs"];
        assert_eq!(
            args[0],
            json!({ "arg": "--disable=traefik", "nodeFilters": ["server:*"] })
        );
        assert!(args.as_array().is_some_and(|a| a.contains(&json!({
            "arg": "--node-taint=slow:PreferNoSchedule",
            "nodeFilters": ["agent:3", "agent:4"],
        }))));
    }

    #[test]
    fn kind_workers_per_pool_node_with_taint_patches() {
        let (path, config) = rendered("kind");
        assert_eq!(path, "local-cluster/kind.yaml");
        assert_eq!(config["name"], "lab");
        let nodes = config["nodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(nodes.len(), 6);
        assert_eq!(nodes[0]["role"], "control-plane");
        assert_eq!(
            nodes[0]["extraPortMappings"],
            json!([{ "containerPort": 30080, "hostPort": 80 }, { "containerPort": 30443, "hostPort": 443 }])
        );
        assert_eq!(nodes[1]["labels"], json!({ "example.com/pool": "apps" }));
        assert!(nodes[1].get("kubeadmConfigPatches").is_none());
        assert_eq!(
            nodes[3]["labels"],
            json!({ "example.com/pool": "infra", "role": "infra" })
        );
        let patch = nodes[4]["kubeadmConfigPatches"][0]
            .as_str()
            .unwrap_or_default();
        let patch: Json = serde_yaml::from_str(patch).expect("patch is YAML");
        assert_eq!(patch["kind"], "JoinConfiguration");
        assert_eq!(
            patch["nodeRegistration"]["taints"],
            json!([
                { "key": "dedicated", "value": "kafka", "effect": "NoSchedule" },
                { "key": "slow", "effect": "PreferNoSchedule" },
            ])
        );
    }

    #[test]
    fn no_file_without_a_local_cluster() {
        let platform = crate::render::test_view(&source("none"));
        let mut bundle = Bundle::default();
        render(&platform, &mut bundle);
        assert!(bundle.files.is_empty());
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("k3d", to_yaml(&rendered("k3d").1));
        insta::assert_snapshot!("kind", to_yaml(&rendered("kind").1));
    }
}
