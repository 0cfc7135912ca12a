//! `Platform`: the typed meaning of a project for one environment.
//! References are resolved, defaults applied, units parsed, strings turned
//! into enums. Collections are `BTreeMap`s keyed by name. `origin` spans are
//! only for diagnostics raised after lowering; renderers never read them.
//! This module never imports pest or the AST.

mod sorted;
pub mod values;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use sorted::{SortedMap, SortedSet};
pub use values::{ByteSize, CpuMillis, DnsLabel, Duration, Percent, Port};

use crate::span::Span;

/// A free-form value (`values`, `spec`, resource bodies), already merged.
pub type Tree = serde_json::Value;

/// The whole platform as seen by one environment (`env` = `None` for the base).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Platform {
    pub name: String,
    /// The environment this view is for; `None` is the base (no `when`).
    pub env: Option<String>,
    pub settings: Settings,
    pub envs: BTreeMap<String, Env>,
    pub nodepools: BTreeMap<String, NodePool>,
    /// Every namespace used by any declaration, declared or not.
    pub namespaces: BTreeMap<String, Namespace>,
    pub secrets: BTreeMap<String, Secret>,
    /// Services and jobs (one name space: a job and a service cannot share a name
    /// within a namespace in the output, and references `service.X` name services).
    /// Boxed: a `Workload` is ~900 bytes, and a B-tree filled in name order
    /// keeps its leaves (room for eleven) about two-thirds full; inline, the
    /// empty slots were 5 MB of memory first touched at 10,000 services.
    pub workloads: BTreeMap<String, Box<Workload>>,
    pub charts: BTreeMap<String, Chart>,
    pub kafkas: BTreeMap<String, Kafka>,
    pub topics: BTreeMap<String, Topic>,
    pub roles: BTreeMap<String, Role>,
    pub datasources: BTreeMap<String, Datasource>,
    pub dashboards: BTreeMap<String, Dashboard>,
    pub resources: BTreeMap<String, Resource>,
}

/// `platform NAME { … }` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub repo: String,
    pub path: String,
    pub revision: String,
    pub kubernetes: String,
    pub cluster: ClusterKind,
    pub control_planes: u32,
    pub nodepool_label: String,
    pub network: Network,
    pub argocd_namespace: String,
    pub grafana_namespace: String,
    pub default_namespace: String,
    pub origin: Span,
}

/// Which local cluster config to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    K3d,
    Kind,
    None,
}

/// `platform.network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Isolated,
    Open,
}

/// `env NAME { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Env {
    pub name: String,
    pub destination: String,
    pub revision: Option<String>,
    pub auto_sync: bool,
    pub origin: Span,
}

/// `nodepool NAME { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub ports: Vec<PortMapping>,
    pub capacity: Option<Capacity>,
    pub origin: Span,
}

/// `key=value:Effect` (or `key:Effect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: String,
}

/// `host:container` for the local cluster's load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortMapping {
    pub host: Port,
    pub container: Port,
}

/// Per-node capacity of a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub cpu: Option<CpuMillis>,
    pub memory: Option<ByteSize>,
    pub origin: Span,
}

/// A namespace, declared or implied by use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Namespace {
    pub name: String,
    pub declared: bool,
    pub labels: BTreeMap<String, String>,
    pub quota: Option<Quota>,
}

/// A ResourceQuota on requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub cpu: Option<CpuMillis>,
    pub memory: Option<ByteSize>,
    pub pods: Option<u32>,
}

/// A declared secret (keys only; values live outside the repository).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secret {
    pub name: String,
    pub namespace: String,
    pub keys: BTreeSet<String>,
    pub origin: Span,
}

/// A service (long-running) or a job (run to completion).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub name: String,
    pub kind: WorkloadKind,
    pub namespace: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// `None` when autoscaled or for jobs (then the controller owns the count).
    pub replicas: Option<u32>,
    pub ports: SortedMap<String, Port>,
    pub env: SortedMap<String, EnvValue>,
    pub resources: Resources,
    pub health: Option<Health>,
    pub autoscale: Option<Autoscale>,
    pub ingress: Option<Ingress>,
    pub metrics: Option<Metrics>,
    pub publishes: SortedSet<String>,
    pub consumes: SortedSet<String>,
    pub talks_to: SortedSet<Target>,
    pub storage: BTreeMap<String, Volume>,
    pub reload_on_change: bool,
    pub security: Security,
    pub nodepool: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub origin: Span,
}

/// Service or job, and the job's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum WorkloadKind {
    Service,
    Job(JobSpec),
}

/// Job settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSpec {
    /// Cron schedule: a CronJob instead of a Job.
    pub schedule: Option<String>,
    pub backoff_limit: Option<u32>,
    pub ttl: Option<Duration>,
}

/// A resolved environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EnvValue {
    /// Plain text (interpolations already resolved).
    Literal(String),
    /// `secret.S.KEY`: rendered as a `secretKeyRef`, never as text.
    Secret { secret: String, key: String },
}

/// Requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub cpu: Option<Bounds<CpuMillis>>,
    pub memory: Option<Bounds<ByteSize>>,
}

/// `request..limit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounds<T> {
    pub request: T,
    pub limit: T,
}

/// Probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub liveness: Option<String>,
    pub readiness: Option<String>,
    pub startup: Option<String>,
    pub port: String,
}

/// HPA or KEDA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Autoscale {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<Percent>,
    pub memory: Option<Percent>,
    pub kafka_lag: Option<KafkaLag>,
}

/// KEDA's Kafka trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KafkaLag {
    pub topic: String,
    pub group: String,
    pub threshold: u64,
}

/// An Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ingress {
    pub host: String,
    pub port: String,
    pub path: String,
    /// cert-manager ClusterIssuer name; TLS is on when set.
    pub tls: Option<String>,
    pub class: Option<String>,
}

/// A scrape endpoint (ServiceMonitor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metrics {
    pub port: String,
    pub path: String,
    pub interval: Duration,
    pub origin: Span,
}

/// Something a workload connects to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Target {
    Service(String),
    Chart(String),
    Kafka(String),
}

/// A persistent volume of a StatefulSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub mount: String,
    pub size: ByteSize,
}

/// The pod security context (restricted unless relaxed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Security {
    pub run_as_user: u32,
    pub read_only_root: bool,
    pub capabilities: Vec<String>,
    pub host_network: bool,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            run_as_user: 10001,
            read_only_root: true,
            capabilities: Vec::new(),
            host_network: false,
        }
    }
}

/// A Helm release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub name: String,
    pub profile: Option<String>,
    pub repo: String,
    pub chart: String,
    pub version: String,
    pub namespace: String,
    pub nodepool: Option<String>,
    pub storage: Option<ByteSize>,
    pub metrics: bool,
    pub resources: Resources,
    pub ports: BTreeMap<String, Port>,
    pub ingress: Option<Ingress>,
    /// The main Service name (from the profile, else the release name).
    pub service: Option<String>,
    pub values: Tree,
    pub origin: Span,
}

/// A Strimzi Kafka cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kafka {
    pub name: String,
    pub namespace: String,
    pub version: String,
    pub brokers: u32,
    pub storage: ByteSize,
    pub nodepool: Option<String>,
    pub authentication: KafkaAuth,
    pub resources: Resources,
    pub origin: Span,
}

/// Listener authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KafkaAuth {
    ScramSha512,
    Tls,
    None,
}

impl Kafka {
    /// `K-kafka-bootstrap.<ns>.svc:9092` (9093 with TLS).
    pub fn bootstrap(&self) -> String {
        let port = if self.authentication == KafkaAuth::Tls {
            9093
        } else {
            9092
        };
        format!(
            "{}-kafka-bootstrap.{}.svc:{port}",
            self.name, self.namespace
        )
    }
}

/// A KafkaTopic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub name: String,
    /// The real Kafka topic name.
    pub topic_name: String,
    pub kafka: String,
    pub partitions: u32,
    pub replicas: u32,
    pub retention: Option<Duration>,
    pub config: BTreeMap<String, String>,
    pub origin: Span,
}

/// RBAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: String,
    pub grant: Grant,
    /// Empty with `cluster_scope`.
    pub namespaces: BTreeSet<String>,
    pub cluster_scope: bool,
    pub groups: BTreeSet<String>,
    pub users: BTreeSet<String>,
    /// `namespace/name`.
    pub service_accounts: BTreeSet<(String, String)>,
    pub origin: Span,
}

/// What a role grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Grant {
    /// The built-in `admin`, `edit` or `view` ClusterRole.
    Access(String),
    Rules(Vec<Rule>),
}

/// One policy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
}

/// A Grafana datasource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Datasource {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub default: bool,
    pub database: Option<String>,
    pub origin: Span,
}

/// A Grafana dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub name: String,
    pub title: String,
    pub folder: Option<String>,
    pub datasource: Option<String>,
    pub refresh: Option<Duration>,
    pub time: Option<Duration>,
    pub tags: Vec<String>,
    /// Panels outside any row come first as a row without a title.
    pub items: Vec<DashboardItem>,
    pub origin: Span,
}

/// A row or a top-level panel, in source order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DashboardItem {
    Row { title: String, panels: Vec<Panel> },
    Panel(Panel),
}

/// One panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Panel {
    pub title: String,
    pub kind: String,
    pub query: String,
    pub unit: Option<String>,
    pub datasource: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// `resource` escape hatch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub name: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    /// Body from `file()` with `spec` merged over it.
    pub body: Tree,
    pub origin: Span,
}
