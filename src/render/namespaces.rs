//! Namespaces, their ResourceQuotas and, with `platform.network = isolated`,
//! the NetworkPolicies of LANGUAGE.md §7.
//!
//! Every used namespace becomes a Namespace (declared labels over the standard
//! ones; Kubernetes adds `kubernetes.io/metadata.name` itself) and a declared
//! `quota` a ResourceQuota `<ns>-quota` on requests.
//!
//! Network policy model. Each namespace platc creates gets `default-deny`
//! (ingress and egress) and `allow-dns` (egress to kube-dns). Every other
//! allowed flow is an *edge* from a caller to a callee on the callee's
//! container ports. Each end platc manages gets one policy, `allow-<name>`
//! in its namespace, selecting its pods: an ingress rule per caller and an
//! egress rule per callee (`allow-<kafka>-brokers` for a Kafka cluster's
//! brokers), so what a workload may talk to is one object. An end that platc
//! does not manage (the API server, clients outside the cluster, an ingress
//! controller or Prometheus that is not declared) gets no policy; the managed
//! end names it as precisely as it can. Edges come from: `talks-to`; topic
//! publishers and consumers (Kafka brokers); `ingress` (the ingress
//! controller); `metrics` and chart `metrics = true` (Prometheus); Grafana
//! datasources whose URL names a declared chart or service; `kafka-lag`
//! autoscaling (KEDA); Kafka's own traffic (brokers among themselves, the
//! Strimzi operator, the entity operator's API calls); RBAC-bound workloads
//! calling the API server; and what each stdlib chart needs to run at all
//! (its own pods talking to each other, API server access, webhook callbacks,
//! external clients of ingress controllers), from the table `CHART_NEEDS`.
//! Names longer than 63 characters are cut and end in a sha256 suffix.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::ir::{self, Network, Target};
use crate::profile::{self, Profile};
use crate::span::Span;

use super::{meta, Finish, Object};

pub(crate) fn render(platform: &ir::Platform, finish: &Finish, out: &mut Vec<Object>) {
    let origin = platform.settings.origin;
    for ns in platform.namespaces.values() {
        out.push(Object::new(namespace(platform, ns), origin));
        if let Some(quota) = ns
            .quota
            .as_ref()
            .and_then(|q| resource_quota(platform, &ns.name, q))
        {
            out.push(Object::new(quota, origin));
        }
    }
    if platform.settings.network == Network::Isolated {
        network_policies(platform, finish, out);
    }
}

/// A Namespace with the standard labels, then the declared ones (which win).
fn namespace(platform: &ir::Platform, ns: &ir::Namespace) -> Json {
    let mut labels = meta::labels(platform, &ns.name);
    for (key, value) in &ns.labels {
        labels.insert(key.clone(), json!(value));
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": ns.name, "labels": labels },
    })
}

/// `<ns>-quota` on requests; `None` for an empty `quota {}` block.
fn resource_quota(platform: &ir::Platform, ns: &str, quota: &ir::Quota) -> Option<Json> {
    let mut hard = Map::new();
    if let Some(cpu) = quota.cpu {
        hard.insert("requests.cpu".into(), json!(cpu.quantity()));
    }
    if let Some(memory) = &quota.memory {
        hard.insert("requests.memory".into(), json!(memory.text));
    }
    if let Some(pods) = quota.pods {
        hard.insert("pods".into(), json!(pods.to_string()));
    }
    if hard.is_empty() {
        return None;
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": meta::metadata(platform, &format!("{ns}-quota"), Some(ns), ns),
        "spec": { "hard": hard },
    }))
}

// ---------------------------------------------------------------- chart facts

/// What a stdlib chart needs to run under default-deny, beyond its own pods
/// talking to each other. Every chart listed calls the Kubernetes API server
/// (operators, controllers, service discovery, Grafana's dashboard sidecar).
/// Not (yet) part of the profile format, so kept here; other charts, and
/// charts without a profile, get only the release-internal policy.
struct ChartNeeds {
    profile: &'static str,
    /// Ports on nodes it reaches (kubelet 10250, node-exporter 9100).
    nodes: &'static [u16],
    /// Container ports the API server calls back (admission webhooks,
    /// aggregated APIs); the API server is not a pod, so from anywhere.
    callbacks: &'static [u16],
}

const fn needs(
    profile: &'static str,
    nodes: &'static [u16],
    callbacks: &'static [u16],
) -> ChartNeeds {
    ChartNeeds {
        profile,
        nodes,
        callbacks,
    }
}

#[rustfmt::skip]
const CHART_NEEDS: &[ChartNeeds] = &[
    needs("argo-cd", &[], &[]),
    needs("cert-manager", &[], &[10250]),
    needs("clickhouse-operator-altinity", &[], &[]),
    needs("fluent-bit", &[], &[]),
    needs("grafana", &[], &[]),
    needs("haproxy-kubernetes-ingress", &[], &[]),
    needs("ingress-nginx", &[], &[8443]),
    needs("keda", &[], &[6443, 9443]),
    needs("kube-prometheus-stack", &[9100, 10250], &[10250]),
    needs("metallb", &[], &[9443]),
    needs("metrics-server", &[10250], &[10250]),
    needs("prefect-worker", &[], &[]),
    needs("prometheus", &[9100, 10250], &[]),
    needs("reloader", &[], &[]),
    needs("spark-operator", &[], &[9443]),
    needs("strimzi-kafka-operator", &[], &[]),
    needs("traefik", &[], &[]),
];

/// Ports of the Kubernetes API server: the `kubernetes` Service (443) and the
/// endpoint behind it (6443 on kubeadm, k3s and kind), which is what policies
/// see after the Service is resolved.
const API_SERVER_PORTS: [u16; 2] = [443, 6443];

/// Kafka listener ports clients use: 9092 (plain/SCRAM) and 9093 (TLS).
const KAFKA_CLIENT_PORTS: [u16; 2] = [9092, 9093];

fn chart_profile(chart: &ir::Chart) -> Option<&'static Profile> {
    chart
        .profile
        .as_deref()
        .and_then(|p| profile::builtin().get(p))
}

fn chart_needs(chart: &ir::Chart) -> Option<&'static ChartNeeds> {
    let name = chart.profile.as_deref()?;
    CHART_NEEDS.iter().find(|n| n.profile == name)
}

/// Helm's `trunc 63 | trimSuffix "-"`.
fn helm_cut(name: &str) -> String {
    let cut: String = name.chars().take(63).collect();
    cut.strip_suffix('-').unwrap_or(&cut).to_string()
}

/// Every pod of a Helm release. Charts follow the Helm convention
/// `app.kubernetes.io/instance: <release>`, except: Traefik
/// (`<release>-<namespace>` unless `instanceLabelOverride`), the Strimzi
/// operator (fixed labels), Metabase (`release: <release>`) and
/// kube-prometheus-stack, whose Prometheus and Alertmanager pods are made by
/// the operator and labelled with their custom resource's name.
fn release_pods(chart: &ir::Chart) -> Selector {
    let release = chart.name.as_str();
    let instance = |value: String| Selector::labels([("app.kubernetes.io/instance", value)]);
    match chart.profile.as_deref() {
        Some("traefik") => {
            let value = chart
                .values
                .get("instanceLabelOverride")
                .and_then(Json::as_str)
                .map_or_else(|| format!("{release}-{}", chart.namespace), str::to_string);
            instance(helm_cut(&value))
        }
        Some("strimzi-kafka-operator") => {
            Selector::labels([("strimzi.io/kind", "cluster-operator".to_string())])
        }
        Some("metabase") => Selector::labels([("release", release.to_string())]),
        Some("kube-prometheus-stack") => {
            let fullname =
                chart_profile(chart).map_or_else(|| release.to_string(), |p| p.fullname(release));
            Selector::InstanceIn(vec![
                release.to_string(),
                format!("{fullname}-alertmanager"),
                format!("{fullname}-prometheus"),
            ])
        }
        _ => instance(release.to_string()),
    }
}

/// The pods of a Prometheus chart that scrape targets.
fn scraper_pods(chart: &ir::Chart) -> Selector {
    let release = chart.name.as_str();
    let instance = match chart.profile.as_deref() {
        Some("kube-prometheus-stack") => {
            let fullname =
                chart_profile(chart).map_or_else(|| release.to_string(), |p| p.fullname(release));
            format!("{fullname}-prometheus")
        }
        _ => release.to_string(),
    };
    Selector::labels([
        ("app.kubernetes.io/name", "prometheus".to_string()),
        ("app.kubernetes.io/instance", instance),
    ])
}

/// Container port behind a Service port: the profile's `target-ports` entry
/// when the port is the profile's own, else the port itself.
fn container_port(profile: Option<&Profile>, name: &str, port: u16) -> u16 {
    profile
        .filter(|p| p.ports.get(name) == Some(&port))
        .and_then(|p| p.target_ports.get(name))
        .copied()
        .unwrap_or(port)
}

/// The container ports of a chart's main Service (`chart.ports`).
fn chart_ports(chart: &ir::Chart) -> Ports {
    let profile = chart_profile(chart);
    Some(
        chart
            .ports
            .iter()
            .map(|(name, port)| PortRange::tcp(container_port(profile, name, port.0)))
            .collect(),
    )
}

fn workload_ports(workload: &ir::Workload) -> Ports {
    Some(
        workload
            .ports
            .values()
            .map(|p| PortRange::tcp(p.0))
            .collect(),
    )
}

fn workload_port(workload: &ir::Workload, name: &str) -> Ports {
    Some(
        workload
            .ports
            .get(name)
            .map(|p| PortRange::tcp(p.0))
            .into_iter()
            .collect(),
    )
}

fn tcp_ports(ports: &[u16]) -> Ports {
    Some(ports.iter().map(|p| PortRange::tcp(*p)).collect())
}

// ---------------------------------------------------------------- the model

/// A pod label selector.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Selector {
    Labels(BTreeMap<String, String>),
    /// `app.kubernetes.io/instance In [...]`.
    InstanceIn(Vec<String>),
}

impl Selector {
    fn labels<const N: usize>(pairs: [(&str, String); N]) -> Self {
        Selector::Labels(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn json(&self) -> Json {
        match self {
            Selector::Labels(labels) if labels.is_empty() => json!({}),
            Selector::Labels(labels) => meta::object([(
                "matchLabels",
                Json::Object(
                    labels
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                        .collect(),
                ),
            )]),
            Selector::InstanceIn(values) => json!({
                "matchExpressions": [{ "key": "app.kubernetes.io/instance", "operator": "In", "values": values }],
            }),
        }
    }
}

/// Where the pods of one end of an edge are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// Pods platc declares, in a namespace it isolates: this end gets a policy.
    Pods {
        namespace: String,
        selector: Selector,
    },
    /// Pods in any namespace (a component platc does not declare).
    AnyNamespace(Selector),
    /// Any address: the API server, nodes, clients outside the cluster.
    Anywhere,
}

/// One end of an edge; `key` names it in policy names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Peer {
    key: String,
    /// Added to `key` in the name of this end's policy when the pods are a
    /// subset of a declaration's (`-brokers`, `-scrapers`).
    suffix: &'static str,
    place: Place,
    /// The declaration the peer's policies come from.
    origin: Option<Span>,
}

impl Peer {
    fn pods(key: &str, namespace: &str, selector: Selector, origin: Span) -> Self {
        Peer {
            key: key.to_string(),
            suffix: "",
            place: Place::Pods {
                namespace: namespace.to_string(),
                selector,
            },
            origin: Some(origin),
        }
    }

    fn anywhere(key: &str) -> Self {
        Peer {
            key: key.to_string(),
            suffix: "",
            place: Place::Anywhere,
            origin: None,
        }
    }

    fn any_namespace(key: &str, selector: Selector) -> Self {
        Peer {
            key: key.to_string(),
            suffix: "",
            place: Place::AnyNamespace(selector),
            origin: None,
        }
    }

    fn workload(w: &ir::Workload) -> Self {
        // `meta::selector`, without building its JSON map first.
        let selector = Selector::labels([(meta::SELECTOR_LABEL, w.name.clone())]);
        Peer::pods(&w.name, &w.namespace, selector, w.origin)
    }

    fn chart(c: &ir::Chart) -> Self {
        Peer::pods(&c.name, &c.namespace, release_pods(c), c.origin)
    }

    /// The broker pods of a Kafka cluster (what clients connect to).
    fn brokers(k: &ir::Kafka) -> Self {
        let selector = Selector::labels([
            ("strimzi.io/broker-role", "true".to_string()),
            ("strimzi.io/cluster", k.name.clone()),
        ]);
        Peer {
            suffix: "-brokers",
            ..Peer::pods(&k.name, &k.namespace, selector, k.origin)
        }
    }

    /// Every pod of a Kafka cluster (nodes and the entity operator).
    fn kafka_pods(k: &ir::Kafka) -> Self {
        Peer::pods(
            &k.name,
            &k.namespace,
            Selector::labels([("strimzi.io/cluster", k.name.clone())]),
            k.origin,
        )
    }

    /// A NetworkPolicy peer (`from`/`to` entry); `None` for anywhere.
    fn json(&self) -> Option<Json> {
        match &self.place {
            Place::Pods {
                namespace,
                selector,
            } => Some(meta::object([
                (
                    "namespaceSelector",
                    meta::object([(
                        "matchLabels",
                        meta::object([(
                            "kubernetes.io/metadata.name",
                            Json::String(namespace.clone()),
                        )]),
                    )]),
                ),
                ("podSelector", selector.json()),
            ])),
            Place::AnyNamespace(Selector::Labels(labels)) if labels.is_empty() => {
                Some(json!({ "namespaceSelector": {} }))
            }
            Place::AnyNamespace(selector) => Some(meta::object([
                ("namespaceSelector", meta::object([])),
                ("podSelector", selector.json()),
            ])),
            Place::Anywhere => None,
        }
    }
}

/// A TCP/UDP port or port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PortRange {
    protocol: &'static str,
    port: u16,
    end: Option<u16>,
}

impl PortRange {
    fn tcp(port: u16) -> Self {
        PortRange {
            protocol: "TCP",
            port,
            end: None,
        }
    }

    fn json(self) -> Json {
        let mut port = Map::new();
        port.insert("protocol".into(), json!(self.protocol));
        port.insert("port".into(), json!(self.port));
        if let Some(end) = self.end {
            port.insert("endPort".into(), json!(end));
        }
        Json::Object(port)
    }
}

/// Allowed ports; `None` = every port.
type Ports = Option<BTreeSet<PortRange>>;

/// Every flow, by (caller, callee); ports of repeated flows are merged.
#[derive(Default)]
struct Edges(BTreeMap<(Shared, Shared), Ports>);

/// A peer shared by every edge it is an end of: a workload's peer is built
/// once, not once per edge (five allocations each), and two ends that are
/// the same peer compare equal without comparing their contents.
#[derive(Debug, Clone)]
struct Shared(Arc<Peer>);

impl From<Peer> for Shared {
    fn from(peer: Peer) -> Self {
        Shared(Arc::new(peer))
    }
}

impl std::ops::Deref for Shared {
    type Target = Peer;

    fn deref(&self) -> &Peer {
        &self.0
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Shared {}

impl PartialOrd for Shared {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Shared {
    /// `Peer`'s order; one allocation is one peer.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl Edges {
    fn add(&mut self, caller: impl Into<Shared>, callee: impl Into<Shared>, ports: Ports) {
        if matches!(&ports, Some(p) if p.is_empty()) {
            return;
        }
        match self.0.entry((caller.into(), callee.into())) {
            Entry::Occupied(mut existing) => {
                if let (Some(have), Some(new)) = (existing.get_mut().as_mut(), ports) {
                    have.extend(new);
                } else {
                    *existing.get_mut() = None;
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(ports);
            }
        }
    }
}

// ---------------------------------------------------------------- the flows

fn network_policies(platform: &ir::Platform, finish: &Finish, out: &mut Vec<Object>) {
    // Every namespace platc creates is isolated (LANGUAGE.md §7), also one
    // that only holds `resource`s whose pods platc cannot see (Spark jobs…):
    // their flows are written out as NetworkPolicy resources.
    let mut fixed = Vec::new();
    for ns in platform.namespaces.keys() {
        fixed.push(default_deny(platform, ns));
        fixed.push(allow_dns(platform, ns));
    }
    let edges = edges(platform);
    let sides = sides(&edges);
    // Every policy's name is known before it is built, so each one is
    // built, named and finished (sealed) on one thread: their values never
    // all exist at once.
    let count = name_count(
        fixed
            .iter()
            .map(|p| (p.namespace.as_str(), p.name.clone()))
            .chain(sides.iter().filter_map(|(peer, _)| side_name(peer))),
    );
    let finish_one = |policy: Policy| {
        let policy = unique_name(policy, &count);
        finish.apply(Object::new(policy.value, policy.origin))
    };
    out.par_extend(
        fixed.into_par_iter().map(finish_one).chain(
            sides
                .into_par_iter()
                .filter_map(|(peer, side)| side_policy(platform, peer, side))
                .map(finish_one),
        ),
    );
}

fn edges(platform: &ir::Platform) -> Edges {
    let mut edges = Edges::default();
    let charts_with = |pred: &dyn Fn(&Profile) -> bool| -> Vec<&ir::Chart> {
        platform
            .charts
            .values()
            .filter(|c| chart_profile(c).is_some_and(pred))
            .collect()
    };
    let prometheus = charts_with(&|p| p.prometheus.is_some());
    let controllers = charts_with(&|p| p.ingress_class.is_some());
    let keda = charts_with(&|p| p.name == "keda");
    let strimzi = charts_with(&|p| p.name == "strimzi-kafka-operator");

    // Undeclared components, named as precisely as their usual labels allow.
    let scrapers: Vec<Peer> = if prometheus.is_empty() {
        vec![Peer::any_namespace(
            "prometheus",
            Selector::labels([("app.kubernetes.io/name", "prometheus".to_string())]),
        )]
    } else {
        prometheus
            .iter()
            .map(|c| Peer {
                suffix: "-scrapers",
                ..Peer::pods(&c.name, &c.namespace, scraper_pods(c), c.origin)
            })
            .collect()
    };
    let keda_peers: Vec<Peer> = if keda.is_empty() {
        vec![Peer::any_namespace(
            "keda",
            Selector::labels([("app.kubernetes.io/name", "keda-operator".to_string())]),
        )]
    } else {
        keda.iter().map(|c| Peer::chart(c)).collect()
    };
    let operators: Vec<Peer> = if strimzi.is_empty() {
        vec![Peer::any_namespace(
            "strimzi-operator",
            Selector::labels([("strimzi.io/kind", "cluster-operator".to_string())]),
        )]
    } else {
        strimzi.iter().map(|c| Peer::chart(c)).collect()
    };
    // Ingress controllers serving one class (`None`: any class).
    let ingress_sources = |class: Option<&str>| -> Vec<Peer> {
        let serving: Vec<Peer> = controllers
            .iter()
            .filter(|c| {
                class.is_none()
                    || chart_profile(c).and_then(|p| p.ingress_class.as_deref()) == class
            })
            .map(|c| Peer::chart(c))
            .collect();
        if serving.is_empty() {
            // No controller for this class is declared (it runs outside the
            // platform, e.g. k3s' bundled Traefik): allow any pod of any
            // namespace, on the ingress port only.
            vec![Peer::any_namespace(
                "ingress",
                Selector::Labels(BTreeMap::new()),
            )]
        } else {
            serving
        }
    };
    let brokers = |topic: &str| {
        platform
            .topics
            .get(topic)
            .and_then(|t| platform.kafkas.get(&t.kafka))
    };

    // Every workload's peer, built once (on all cores) and shared by its edges.
    let workload_peers: BTreeMap<&str, Shared> = platform
        .workloads
        .par_iter()
        .map(|(name, w)| (name.as_str(), Shared::from(Peer::workload(w))))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let scrapers: Vec<Shared> = scrapers.into_iter().map(Shared::from).collect();
    for (w, me) in platform.workloads.values().zip(workload_peers.values()) {
        for target in &w.talks_to {
            match target {
                Target::Service(name) => {
                    if let (Some(callee), Some(peer)) = (
                        platform.workloads.get(name),
                        workload_peers.get(name.as_str()),
                    ) {
                        edges.add(me.clone(), peer.clone(), workload_ports(callee));
                    }
                }
                Target::Chart(name) => {
                    if let Some(chart) = platform.charts.get(name) {
                        edges.add(me.clone(), Peer::chart(chart), chart_ports(chart));
                    }
                }
                Target::Kafka(name) => {
                    if let Some(kafka) = platform.kafkas.get(name) {
                        edges.add(
                            me.clone(),
                            Peer::brokers(kafka),
                            tcp_ports(&KAFKA_CLIENT_PORTS),
                        );
                    }
                }
            }
        }
        for topic in w.publishes.iter().chain(&w.consumes) {
            if let Some(kafka) = brokers(topic) {
                edges.add(
                    me.clone(),
                    Peer::brokers(kafka),
                    tcp_ports(&KAFKA_CLIENT_PORTS),
                );
            }
        }
        if let Some(ingress) = &w.ingress {
            for source in ingress_sources(ingress.class.as_deref()) {
                edges.add(source, me.clone(), workload_port(w, &ingress.port));
            }
        }
        if let Some(metrics) = &w.metrics {
            for scraper in &scrapers {
                edges.add(scraper.clone(), me.clone(), workload_port(w, &metrics.port));
            }
        }
        if let Some(lag) = w.autoscale.as_ref().and_then(|a| a.kafka_lag.as_ref()) {
            if let Some(kafka) = brokers(&lag.topic) {
                for source in &keda_peers {
                    edges.add(
                        source.clone(),
                        Peer::brokers(kafka),
                        tcp_ports(&KAFKA_CLIENT_PORTS),
                    );
                }
            }
        }
    }

    // Workloads whose ServiceAccount a role binds call the API server.
    for role in platform.roles.values() {
        for (ns, name) in &role.service_accounts {
            if platform
                .workloads
                .get(name)
                .is_some_and(|w| &w.namespace == ns)
            {
                edges.add(
                    workload_peers[name.as_str()].clone(),
                    Peer::anywhere("kube-apiserver"),
                    tcp_ports(&API_SERVER_PORTS),
                );
            }
        }
    }

    for chart in platform.charts.values() {
        let me = Peer::chart(chart);
        // The release's own components (primary and replicas, subcharts,
        // operator and the pods it creates) talk to each other freely.
        edges.add(me.clone(), me.clone(), None);
        if let Some(needs) = chart_needs(chart) {
            edges.add(
                me.clone(),
                Peer::anywhere("kube-apiserver"),
                tcp_ports(&API_SERVER_PORTS),
            );
            edges.add(me.clone(), Peer::anywhere("nodes"), tcp_ports(needs.nodes));
            edges.add(
                Peer::anywhere("kube-apiserver"),
                me.clone(),
                tcp_ports(needs.callbacks),
            );
        }
        if chart_profile(chart).is_some_and(|p| p.ingress_class.is_some()) {
            // Clients outside the cluster (through a LoadBalancer or NodePort).
            edges.add(Peer::anywhere("anywhere"), me.clone(), chart_ports(chart));
        }
        if let Some(ingress) = &chart.ingress {
            for source in ingress_sources(ingress.class.as_deref()) {
                edges.add(source, me.clone(), chart_ports(chart));
            }
        }
        if chart.metrics {
            // The metrics port of a chart is not in its profile: every port,
            // from the Prometheus pods only.
            for scraper in &scrapers {
                edges.add(scraper.clone(), me.clone(), None);
            }
        }
    }

    for kafka in platform.kafkas.values() {
        let pods = Peer::kafka_pods(kafka);
        // Controllers and brokers among themselves; the entity operator to the brokers.
        let internal = PortRange {
            protocol: "TCP",
            port: 9090,
            end: Some(9093),
        };
        edges.add(pods.clone(), pods.clone(), Some(BTreeSet::from([internal])));
        // The cluster operator: Admin API on the control plane and replication
        // listeners, and the Kafka agent (8443) during rolling updates.
        for operator in &operators {
            edges.add(
                operator.clone(),
                pods.clone(),
                tcp_ports(&[9090, 9091, 8443]),
            );
        }
        // The topic and user operators watch KafkaTopics and KafkaUsers.
        let entity_operator = Peer::pods(
            &format!("{}-entity-operator", kafka.name),
            &kafka.namespace,
            Selector::labels([("strimzi.io/name", format!("{}-entity-operator", kafka.name))]),
            kafka.origin,
        );
        edges.add(
            entity_operator,
            Peer::anywhere("kube-apiserver"),
            tcp_ports(&API_SERVER_PORTS),
        );
    }

    // Grafana to the datasources that are declared charts or services.
    let grafanas: Vec<&ir::Chart> = platform
        .charts
        .values()
        .filter(|c| match c.profile.as_deref() {
            Some("grafana") => true,
            Some("kube-prometheus-stack") => {
                c.values.pointer("/grafana/enabled") != Some(&Json::Bool(false))
            }
            _ => false,
        })
        .collect();
    for datasource in platform.datasources.values() {
        let Some((callee, port)) = datasource_target(platform, &datasource.url) else {
            continue;
        };
        for grafana in &grafanas {
            edges.add(Peer::chart(grafana), callee.clone(), tcp_ports(&[port]));
        }
    }
    edges
}

/// The declared chart or service a datasource URL points at, with the
/// container port, when the host is `<service>.<namespace>[.svc[.cluster.local]]`.
fn datasource_target(platform: &ir::Platform, url: &str) -> Option<(Peer, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok()?),
        None => (
            authority,
            if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            },
        ),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix(".cluster.local").unwrap_or(&host);
    let host = host.strip_suffix(".svc").unwrap_or(host);
    let (service, namespace) = host.split_once('.')?;

    for w in platform.workloads.values() {
        if w.name == service && w.namespace == namespace && w.ports.values().any(|p| p.0 == port) {
            return Some((Peer::workload(w), port));
        }
    }
    for chart in platform
        .charts
        .values()
        .filter(|c| c.namespace == namespace)
    {
        let profile = chart_profile(chart);
        let main = chart.service.clone().unwrap_or_else(|| chart.name.clone());
        if main == service {
            if let Some((name, p)) = chart.ports.iter().find(|(_, p)| p.0 == port) {
                return Some((Peer::chart(chart), container_port(profile, name, p.0)));
            }
        }
        let Some(profile) = profile else { continue };
        for extra in &profile.extra_services {
            if profile.expand_name(&extra.name, &chart.name) != service {
                continue;
            }
            if let Some((name, p)) = extra.ports.iter().find(|(_, p)| **p == port) {
                let target = extra.target_ports.get(name).copied().unwrap_or(*p);
                return Some((Peer::chart(chart), target));
            }
        }
    }
    None
}

// ---------------------------------------------------------------- policies

/// A NetworkPolicy before its name is made unique.
struct Policy {
    namespace: String,
    name: String,
    value: Json,
    origin: Span,
}

fn default_deny(platform: &ir::Platform, ns: &str) -> Policy {
    let spec = json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] });
    policy(
        platform,
        ns,
        "default-deny",
        ns,
        spec,
        platform.settings.origin,
    )
}

fn allow_dns(platform: &ir::Platform, ns: &str) -> Policy {
    let spec = json!({
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{
            "to": [{
                "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "kube-system" } },
                "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
            }],
            "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
        }],
    });
    policy(
        platform,
        ns,
        "allow-dns",
        ns,
        spec,
        platform.settings.origin,
    )
}

fn policy(
    platform: &ir::Platform,
    ns: &str,
    name: &str,
    owner: &str,
    spec: Json,
    origin: Span,
) -> Policy {
    let value = meta::object([
        ("apiVersion", Json::String("networking.k8s.io/v1".into())),
        ("kind", Json::String("NetworkPolicy".into())),
        ("metadata", meta::metadata(platform, name, Some(ns), owner)),
        ("spec", spec),
    ]);
    Policy {
        namespace: ns.to_string(),
        name: name.to_string(),
        value,
        origin,
    }
}

/// One rule: `{from|to: [peer], ports}`; no peer = anywhere, no ports = all.
fn rule(direction: &str, peer: &Peer, ports: Option<&BTreeSet<PortRange>>) -> Json {
    let mut rule = Map::new();
    if let Some(peer) = peer.json() {
        rule.insert(direction.into(), Json::Array(vec![peer]));
    }
    if let Some(ports) = ports {
        rule.insert(
            "ports".into(),
            Json::Array(ports.iter().map(|p| p.json()).collect()),
        );
    }
    Json::Object(rule)
}

/// The policy of one group of pods platc manages: every flow into it
/// (ingress rules, one per caller) and out of it (egress rules, one per
/// callee), so a reviewer reads what a workload may talk to in one object.
///
/// Rules are kept as (other end, ports) and turned into JSON on all cores.
#[derive(Default)]
struct Side<'e> {
    ingress: Vec<(&'e Peer, Option<&'e BTreeSet<PortRange>>)>,
    egress: Vec<(&'e Peer, Option<&'e BTreeSet<PortRange>>)>,
}

/// Each managed end of the edges (one policy each, `allow-<key>` in its
/// namespace) with its ingress and egress peers, rules in edge order.
fn sides(edges: &Edges) -> Vec<(&Peer, Side<'_>)> {
    let mut sides: BTreeMap<&Peer, Side<'_>> = BTreeMap::new();
    for ((caller, callee), ports) in &edges.0 {
        if matches!(caller.place, Place::Pods { .. }) {
            sides
                .entry(caller)
                .or_default()
                .egress
                .push((callee, ports.as_ref()));
        }
        if matches!(callee.place, Place::Pods { .. }) {
            sides
                .entry(callee)
                .or_default()
                .ingress
                .push((caller, ports.as_ref()));
        }
    }
    sides.into_iter().collect()
}

/// (namespace, readable name) of the policy `side_policy` builds for `peer`.
fn side_name(peer: &Peer) -> Option<(&str, String)> {
    match &peer.place {
        Place::Pods { namespace, .. } => Some((
            namespace.as_str(),
            format!("allow-{}{}", peer.key, peer.suffix),
        )),
        _ => None,
    }
}

/// The policy of one managed end; `None` for an end that is not pods.
fn side_policy(platform: &ir::Platform, peer: &Peer, side: Side<'_>) -> Option<Policy> {
    let Place::Pods {
        namespace,
        selector,
    } = &peer.place
    else {
        return None;
    };
    let mut spec = Map::new();
    spec.insert("podSelector".into(), selector.json());
    let mut types = Vec::new();
    if !side.ingress.is_empty() {
        types.push(json!("Ingress"));
    }
    if !side.egress.is_empty() {
        types.push(json!("Egress"));
    }
    spec.insert("policyTypes".into(), Json::Array(types));
    if !side.ingress.is_empty() {
        let rules = side
            .ingress
            .iter()
            .map(|(caller, ports)| rule("from", caller, *ports));
        spec.insert("ingress".into(), Json::Array(rules.collect()));
    }
    if !side.egress.is_empty() {
        let rules = side
            .egress
            .iter()
            .map(|(callee, ports)| rule("to", callee, *ports));
        spec.insert("egress".into(), Json::Array(rules.collect()));
    }
    let (_, name) = side_name(peer)?;
    Some(policy(
        platform,
        namespace,
        &name,
        &peer.key,
        Json::Object(spec),
        peer.origin.unwrap_or(platform.settings.origin),
    ))
}

/// How many policies have each (namespace, readable name).
fn name_count<'a>(
    names: impl Iterator<Item = (&'a str, String)>,
) -> BTreeMap<(String, String), usize> {
    let mut count = BTreeMap::new();
    for (namespace, name) in names {
        *count.entry((namespace.to_string(), name)).or_default() += 1;
    }
    count
}

/// Fits a name into 63 characters and separates the rare policies whose
/// readable names coincide (a service and a chart of one name…; `count` has
/// every policy's) with a hash of their spec.
fn unique_name(mut p: Policy, count: &BTreeMap<(String, String), usize>) -> Policy {
    let clash = count
        .get(&(p.namespace.clone(), p.name.clone()))
        .copied()
        .unwrap_or(0)
        > 1;
    let name = if clash {
        let spec = serde_json::to_string(&p.value["spec"]).unwrap_or_default();
        with_hash(&p.name, &spec)
    } else {
        fit_name(&p.name)
    };
    if name != p.name {
        if let Some(meta) = p.value.get_mut("metadata").and_then(Json::as_object_mut) {
            meta.insert("name".into(), json!(name));
        }
        p.name = name;
    }
    p
}

/// `name` if it is a valid object name (≤ 63), else cut with a hash suffix.
fn fit_name(name: &str) -> String {
    if name.len() <= 63 {
        name.to_string()
    } else {
        with_hash(name, name)
    }
}

/// `name` cut to leave room for `-` and 8 hex digits of sha256(`seed`).
fn with_hash(name: &str, seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = name.chars().take(63 - 1 - hash.len()).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;

    #[test]
    fn shared_peers_order_as_their_contents_do() {
        let a = Peer::anywhere("a");
        let b = Peer::anywhere("b");
        let (one, other) = (Shared::from(a.clone()), Shared::from(a.clone()));
        assert_eq!(one, other, "two allocations of one peer are equal");
        assert_eq!(one.cmp(&other), std::cmp::Ordering::Equal);
        assert_eq!(one.cmp(&one.clone()), std::cmp::Ordering::Equal);
        let later = Shared::from(b.clone());
        assert_eq!(one.cmp(&later), a.cmp(&b));
        assert_eq!(later.cmp(&one), b.cmp(&a));
        assert_ne!(one, later);
    }

    fn render_all(source: &str) -> Vec<Object> {
        render_view(source).0
    }

    fn render_view(source: &str) -> (Vec<Object>, ir::Platform) {
        let platform = crate::render::test_view(source);
        let mut out = Vec::new();
        render(&platform, &Finish::nothing(), &mut out);
        (out, platform)
    }

    /// The rule of the flow between `owner` (whose policy `allow-<owner>`
    /// in `ns` holds it) and the peer keyed `other`, as a one-rule policy
    /// (`spec.podSelector` and `spec.<direction>[0]`), after checking the
    /// rendered policy holds exactly the rule the edge model gives.
    fn flow(
        view: &ir::Platform,
        objects: &[Object],
        ns: &str,
        owner: &str,
        direction: &str,
        other: &str,
    ) -> Json {
        let edges = edges(view);
        let found = edges.0.iter().find_map(|((caller, callee), ports)| {
            let (mine, theirs, word) = match direction {
                "egress" => (caller, callee, "to"),
                _ => (callee, caller, "from"),
            };
            let here = matches!(&mine.place, Place::Pods { namespace, .. } if namespace == ns);
            (here && mine.key == owner && theirs.key == other)
                .then(|| (mine, rule(word, theirs, ports.as_ref())))
        });
        let Some((mine, expected)) = found else {
            panic!("no {direction} flow between {owner} and {other} in {ns}")
        };
        let name = format!("allow-{}{}", mine.key, mine.suffix);
        let policy = find(objects, "NetworkPolicy", Some(ns), &name);
        let rules = policy["spec"][direction].as_array().expect("rules");
        assert!(
            rules.contains(&expected),
            "{name} lacks {expected} in {rules:#?}"
        );
        json!({ "spec": {
            "podSelector": policy["spec"]["podSelector"],
            "policyTypes": policy["spec"]["policyTypes"],
            direction: [expected],
        }})
    }

    fn yaml(objects: &[Object]) -> String {
        let mut objects = objects.to_vec();
        objects.sort_by(|a, b| {
            (a.kind(), a.namespace(), a.name()).cmp(&(b.kind(), b.namespace(), b.name()))
        });
        objects
            .iter()
            .map(|o| to_yaml(&o.value))
            .collect::<Vec<_>>()
            .join("---\n")
    }

    fn find<'a>(objects: &'a [Object], kind: &str, ns: Option<&str>, name: &str) -> &'a Json {
        objects
            .iter()
            .find(|o| o.kind() == kind && o.namespace() == ns && o.name() == name)
            .map(|o| &o.value)
            .unwrap_or_else(|| {
                let names: Vec<String> = objects
                    .iter()
                    .map(|o| format!("{} {:?}/{}", o.kind(), o.namespace(), o.name()))
                    .collect();
                panic!("no {kind} {ns:?}/{name} in {names:#?}")
            })
    }

    const PLATFORM: &str = r#"
platform shop {
  repo = "https://git.example.com/shop.git"
  network = isolated
}

namespace web {
  labels = { team = "web" }
  quota { cpu = 4  memory = 8Gi  pods = 20 }
}

service frontend {
  namespace = web
  image     = "registry.example.com/frontend:1.0.0"
  ports     = { http = 8080 }
  ingress   { host = "shop.example.com"  port = http }
  talks-to  = [api]
}

service api {
  namespace = backend
  image     = "registry.example.com/api:1.0.0"
  ports     = { http = 9000, admin = 9001 }
  metrics   { port = admin  path = "/metrics" }
  talks-to  = [pg]
  publishes = [orders]
}

chart pg {
  profile   = postgresql
  version   = "16.4.1"
  namespace = db
}

chart traefik {
  profile   = traefik
  version   = "41.3.0"
  namespace = traefik
}

chart kps {
  profile   = kube-prometheus-stack
  version   = "88.5.3"
  namespace = monitoring
}

chart strimzi {
  profile   = strimzi-kafka-operator
  version   = "1.2.0"
  namespace = kafka
}

kafka events {
  namespace = kafka
  version   = "3.9.0"
  brokers   = 1
  storage   = 10Gi
}

topic orders {
  partitions = 1
  replicas   = 1
}
"#;

    #[test]
    fn namespaces_get_labels_and_quota() {
        let objects = render_all(PLATFORM);
        let web = find(&objects, "Namespace", None, "web");
        assert_eq!(web["metadata"]["labels"]["team"], "web");
        assert_eq!(
            web["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "platc"
        );
        assert!(web["metadata"]["labels"]
            .get("kubernetes.io/metadata.name")
            .is_none());
        let quota = find(&objects, "ResourceQuota", Some("web"), "web-quota");
        assert_eq!(
            quota["spec"]["hard"],
            json!({ "requests.cpu": "4", "requests.memory": "8Gi", "pods": "20" })
        );
        for ns in ["backend", "db", "kafka", "monitoring", "traefik"] {
            find(&objects, "Namespace", None, ns);
        }
        assert!(objects
            .iter()
            .all(|o| o.kind() != "ResourceQuota" || o.namespace() == Some("web")));
    }

    #[test]
    fn every_isolated_namespace_denies_by_default_and_allows_dns() {
        let objects = render_all(PLATFORM);
        for ns in ["backend", "db", "kafka", "monitoring", "traefik", "web"] {
            let deny = find(&objects, "NetworkPolicy", Some(ns), "default-deny");
            assert_eq!(
                deny["spec"],
                json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] })
            );
            let dns = find(&objects, "NetworkPolicy", Some(ns), "allow-dns");
            assert_eq!(
                dns["spec"]["egress"][0]["ports"][0],
                json!({ "protocol": "UDP", "port": 53 })
            );
        }
    }

    #[test]
    fn talks_to_opens_both_sides_on_the_callee_ports_only() {
        let (objects, view) = render_view(PLATFORM);
        let egress = flow(&view, &objects, "web", "frontend", "egress", "api");
        assert_eq!(
            egress["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
            "frontend"
        );
        assert_eq!(egress["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        let to = &egress["spec"]["egress"][0];
        assert_eq!(
            to["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "backend"
        );
        assert_eq!(
            to["ports"],
            json!([{ "protocol": "TCP", "port": 9000 }, { "protocol": "TCP", "port": 9001 }])
        );
        let ingress = flow(&view, &objects, "backend", "api", "ingress", "frontend");
        assert_eq!(ingress["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        let from = &ingress["spec"]["ingress"][0]["from"][0];
        assert_eq!(
            from["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
            "frontend"
        );
        assert_eq!(
            from["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "web"
        );
    }

    #[test]
    fn chart_callee_is_selected_by_release_on_its_container_port() {
        let (objects, view) = render_view(PLATFORM);
        let ingress = flow(&view, &objects, "db", "pg", "ingress", "api");
        assert_eq!(
            ingress["spec"]["podSelector"]["matchLabels"],
            json!({ "app.kubernetes.io/instance": "pg" })
        );
        assert_eq!(
            ingress["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 5432 }])
        );
        flow(&view, &objects, "backend", "api", "egress", "pg");
        flow(&view, &objects, "db", "pg", "ingress", "pg");
    }

    #[test]
    fn ingress_comes_from_the_controller_and_metrics_from_prometheus() {
        let (objects, view) = render_view(PLATFORM);
        let from_traefik = flow(&view, &objects, "web", "frontend", "ingress", "traefik");
        let from = &from_traefik["spec"]["ingress"][0];
        assert_eq!(
            from["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"],
            "traefik-traefik"
        );
        assert_eq!(from["ports"], json!([{ "protocol": "TCP", "port": 8080 }]));
        flow(&view, &objects, "traefik", "traefik", "egress", "frontend");
        let outside = flow(&view, &objects, "traefik", "traefik", "ingress", "anywhere");
        assert!(outside["spec"]["ingress"][0].get("from").is_none());
        assert_eq!(
            outside["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 8000 }, { "protocol": "TCP", "port": 8443 }])
        );
        let scrape = flow(&view, &objects, "backend", "api", "ingress", "kps");
        let from = &scrape["spec"]["ingress"][0];
        assert_eq!(
            from["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"],
            "kps-kube-prometheus-stack-prometheus"
        );
        assert_eq!(from["ports"], json!([{ "protocol": "TCP", "port": 9001 }]));
    }

    #[test]
    fn kafka_clients_brokers_and_operator() {
        let (objects, view) = render_view(PLATFORM);
        let publish = flow(&view, &objects, "backend", "api", "egress", "events");
        assert_eq!(
            publish["spec"]["egress"][0]["to"][0]["podSelector"]["matchLabels"],
            json!({ "strimzi.io/broker-role": "true", "strimzi.io/cluster": "events" })
        );
        flow(&view, &objects, "kafka", "events", "ingress", "api");
        let internal = flow(&view, &objects, "kafka", "events", "ingress", "events");
        assert_eq!(
            internal["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 9090, "endPort": 9093 }])
        );
        let operator = flow(&view, &objects, "kafka", "strimzi", "egress", "events");
        assert_eq!(
            operator["spec"]["podSelector"]["matchLabels"],
            json!({ "strimzi.io/kind": "cluster-operator" })
        );
        flow(
            &view,
            &objects,
            "kafka",
            "strimzi",
            "egress",
            "kube-apiserver",
        );
        flow(
            &view,
            &objects,
            "kafka",
            "events-entity-operator",
            "egress",
            "kube-apiserver",
        );
    }

    #[test]
    fn undeclared_controller_and_prometheus_fall_back_to_any_namespace() {
        let (objects, view) = render_view(
            r#"
platform solo {
  repo = "https://git.example.com/solo.git"
}
service web {
  image   = "registry.example.com/web:1.0.0"
  ports   = { http = 8080, metrics = 9090 }
  ingress { host = "web.example.com"  port = http }
  metrics { port = metrics }
}
"#,
        );
        let from = flow(&view, &objects, "solo", "web", "ingress", "ingress");
        assert_eq!(
            from["spec"]["ingress"][0]["from"][0],
            json!({ "namespaceSelector": {} })
        );
        assert_eq!(
            from["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 8080 }])
        );
        let scrape = flow(&view, &objects, "solo", "web", "ingress", "prometheus");
        assert_eq!(
            scrape["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 9090 }])
        );
    }

    const DERIVED: &str = r#"
platform lab {
  repo = "https://git.example.com/lab.git"
}

chart prom {
  profile   = prometheus
  version   = "29.27.0"
  namespace = monitoring
}

chart grafana {
  profile   = grafana
  version   = "12.11.1"
  namespace = monitoring
}

chart keda {
  profile   = keda
  version   = "2.20.2"
  namespace = keda
}

chart minio {
  profile   = minio
  version   = "17.0.23"
  namespace = storage
  metrics   = true
  ingress   { host = "minio.example.com" }
}

kafka bus {
  namespace = kafka
  version   = "3.9.0"
  brokers   = 1
  storage   = 10Gi
}

topic jobs {
  partitions = 1
  replicas   = 1
}

service worker {
  namespace = apps
  image     = "registry.example.com/worker:1.0.0"
  resources { cpu = 100m  memory = 128Mi }
  consumes  = [jobs]
  autoscale {
    min = 0
    max = 3
    kafka-lag { topic = jobs  group = "worker"  threshold = 10 }
  }
}

service api {
  namespace = apps
  image     = "registry.example.com/api:1.0.0"
  ports     = { http = 8080 }
}

role worker-jobs {
  namespaces       = [apps]
  service-accounts = ["apps/worker"]
  rule {
    api-groups = ["batch"]
    resources  = [jobs]
    verbs      = [create]
  }
}

datasource prometheus {
  type = prometheus
  url  = "http://${chart.prom.host}:80"
}

datasource api {
  type = prometheus
  url  = "http://api.apps.svc:8080/metrics"
}
"#;

    #[test]
    fn derived_flows_datasources_keda_rbac_and_chart_metrics() {
        let (objects, view) = render_view(DERIVED);
        let to_prom = flow(&view, &objects, "monitoring", "grafana", "egress", "prom");
        assert_eq!(
            to_prom["spec"]["egress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 9090 }])
        );
        flow(&view, &objects, "monitoring", "prom", "ingress", "grafana");
        let to_api = flow(&view, &objects, "apps", "api", "ingress", "grafana");
        assert_eq!(
            to_api["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 8080 }])
        );
        let keda = flow(&view, &objects, "kafka", "bus", "ingress", "keda");
        assert_eq!(
            keda["spec"]["ingress"][0]["from"][0]["podSelector"],
            json!({ "matchLabels": { "app.kubernetes.io/instance": "keda" } })
        );
        flow(&view, &objects, "kafka", "bus", "ingress", "worker");
        // Undeclared Strimzi operator: its usual labels, in any namespace.
        let operator = flow(
            &view,
            &objects,
            "kafka",
            "bus",
            "ingress",
            "strimzi-operator",
        );
        assert_eq!(
            operator["spec"]["ingress"][0]["from"][0],
            json!({ "namespaceSelector": {}, "podSelector": { "matchLabels": { "strimzi.io/kind": "cluster-operator" } } })
        );
        let api = flow(
            &view,
            &objects,
            "apps",
            "worker",
            "egress",
            "kube-apiserver",
        );
        assert_eq!(
            api["spec"]["egress"][0],
            json!({ "ports": [{ "protocol": "TCP", "port": 443 }, { "protocol": "TCP", "port": 6443 }] })
        );
        assert!(objects
            .iter()
            .all(|o| o.name() != "allow-api-to-kube-apiserver"));
        let scrape = flow(&view, &objects, "storage", "minio", "ingress", "prom");
        assert!(scrape["spec"]["ingress"][0].get("ports").is_none());
        assert_eq!(
            scrape["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"],
            json!({ "app.kubernetes.io/instance": "prom", "app.kubernetes.io/name": "prometheus" })
        );
        let web = flow(&view, &objects, "storage", "minio", "ingress", "ingress");
        assert_eq!(
            web["spec"]["ingress"][0]["ports"],
            json!([{ "protocol": "TCP", "port": 9000 }])
        );
        flow(&view, &objects, "monitoring", "prom", "egress", "nodes");
        flow(&view, &objects, "keda", "keda", "ingress", "kube-apiserver");
    }

    #[test]
    fn clashing_names_get_a_hash() {
        let policies = vec![
            policy_named("allow-a-to-b", json!({ "podSelector": {} })),
            policy_named(
                "allow-a-to-b",
                json!({ "podSelector": { "matchLabels": { "x": "y" } } }),
            ),
            policy_named("allow-c-to-d", json!({ "podSelector": {} })),
        ];
        let count = name_count(
            policies
                .iter()
                .map(|p| (p.namespace.as_str(), p.name.clone())),
        );
        let names: Vec<String> = policies
            .into_iter()
            .map(|p| unique_name(p, &count).name)
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names[0].starts_with("allow-a-to-b-") && names[1].starts_with("allow-a-to-b-"));
        assert_ne!(names[0], names[1]);
        assert_eq!(names[2], "allow-c-to-d");
    }

    fn policy_named(name: &str, spec: Json) -> Policy {
        let platform = crate::render::test_view(PLATFORM);
        policy(
            &platform,
            "ns",
            name,
            "owner",
            spec,
            platform.settings.origin,
        )
    }

    #[test]
    fn open_network_renders_no_policies() {
        let objects = render_all(&PLATFORM.replace("network = isolated", "network = open"));
        assert!(objects.iter().all(|o| o.kind() != "NetworkPolicy"));
    }

    #[test]
    fn chart_needs_name_stdlib_profiles() {
        let profiles = profile::builtin();
        for needs in CHART_NEEDS {
            assert!(profiles.get(needs.profile).is_some(), "{}", needs.profile);
        }
        for name in [
            "traefik",
            "strimzi-kafka-operator",
            "metabase",
            "kube-prometheus-stack",
        ] {
            assert!(profiles.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "a".repeat(40);
        let name = fit_name(&format!("allow-{long}-to-{long}"));
        assert_eq!(name.len(), 63);
        assert_eq!(name, fit_name(&format!("allow-{long}-to-{long}")));
        assert_ne!(name, fit_name(&format!("allow-{long}-to-{long}b")));
        assert!(!name.contains("--"));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(yaml(&render_all(PLATFORM)));
    }

    #[test]
    fn snapshot_derived() {
        insta::assert_snapshot!(yaml(&render_all(DERIVED)));
    }
}
