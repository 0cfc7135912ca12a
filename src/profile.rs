//! Chart profiles: what `platc` knows about each third-party Helm chart.
//!
//! A `chart` declaration names a profile (`profile = postgresql`). The profile says where
//! that chart keeps its node selector, tolerations, resources, storage size, metrics
//! switch, ServiceMonitor labels, ingress block, ports and credentials, so the same
//! platform words work for every chart. Profiles are YAML data files in
//! `stdlib/profiles/` (format: `stdlib/profiles/README.md`), embedded in the binary with
//! `include_str!`, parsed and checked once on first use by [`builtin`]. The charts' own
//! `values.schema.json` files are embedded too ([`Profile::values_schema`]).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Every embedded profile as (name, YAML text); the name is the file name.
const PROFILE_SOURCES: &[(&str, &str)] = &[
    ("airflow", include_str!("../stdlib/profiles/airflow.yaml")),
    ("argo-cd", include_str!("../stdlib/profiles/argo-cd.yaml")),
    (
        "cert-manager",
        include_str!("../stdlib/profiles/cert-manager.yaml"),
    ),
    (
        "clickhouse",
        include_str!("../stdlib/profiles/clickhouse.yaml"),
    ),
    (
        "clickhouse-operator-altinity",
        include_str!("../stdlib/profiles/clickhouse-operator-altinity.yaml"),
    ),
    (
        "fluent-bit",
        include_str!("../stdlib/profiles/fluent-bit.yaml"),
    ),
    ("grafana", include_str!("../stdlib/profiles/grafana.yaml")),
    (
        "haproxy-kubernetes-ingress",
        include_str!("../stdlib/profiles/haproxy-kubernetes-ingress.yaml"),
    ),
    (
        "ingress-nginx",
        include_str!("../stdlib/profiles/ingress-nginx.yaml"),
    ),
    ("kafka-ui", include_str!("../stdlib/profiles/kafka-ui.yaml")),
    ("keda", include_str!("../stdlib/profiles/keda.yaml")),
    (
        "kube-prometheus-stack",
        include_str!("../stdlib/profiles/kube-prometheus-stack.yaml"),
    ),
    ("metabase", include_str!("../stdlib/profiles/metabase.yaml")),
    ("metallb", include_str!("../stdlib/profiles/metallb.yaml")),
    (
        "metrics-server",
        include_str!("../stdlib/profiles/metrics-server.yaml"),
    ),
    ("minio", include_str!("../stdlib/profiles/minio.yaml")),
    (
        "postgresql",
        include_str!("../stdlib/profiles/postgresql.yaml"),
    ),
    (
        "prefect-server",
        include_str!("../stdlib/profiles/prefect-server.yaml"),
    ),
    (
        "prefect-worker",
        include_str!("../stdlib/profiles/prefect-worker.yaml"),
    ),
    (
        "prometheus",
        include_str!("../stdlib/profiles/prometheus.yaml"),
    ),
    (
        "prometheus-prefect-exporter",
        include_str!("../stdlib/profiles/prometheus-prefect-exporter.yaml"),
    ),
    (
        "prometheus-pushgateway",
        include_str!("../stdlib/profiles/prometheus-pushgateway.yaml"),
    ),
    ("redis", include_str!("../stdlib/profiles/redis.yaml")),
    ("reloader", include_str!("../stdlib/profiles/reloader.yaml")),
    (
        "spark-operator",
        include_str!("../stdlib/profiles/spark-operator.yaml"),
    ),
    (
        "strimzi-kafka-operator",
        include_str!("../stdlib/profiles/strimzi-kafka-operator.yaml"),
    ),
    ("traefik", include_str!("../stdlib/profiles/traefik.yaml")),
];

/// The `values.schema.json` of every chart that ships one, by profile name.
const VALUES_SCHEMAS: &[(&str, &str)] = &[
    (
        "cert-manager",
        include_str!("../stdlib/charts/cert-manager/values.schema.json"),
    ),
    (
        "clickhouse-operator-altinity",
        include_str!("../stdlib/charts/clickhouse-operator-altinity/values.schema.json"),
    ),
    (
        "metallb",
        include_str!("../stdlib/charts/metallb/values.schema.json"),
    ),
    (
        "postgresql",
        include_str!("../stdlib/charts/postgresql/values.schema.json"),
    ),
    (
        "prefect-server",
        include_str!("../stdlib/charts/prefect-server/values.schema.json"),
    ),
    (
        "prefect-worker",
        include_str!("../stdlib/charts/prefect-worker/values.schema.json"),
    ),
    (
        "prometheus",
        include_str!("../stdlib/charts/prometheus/values.schema.json"),
    ),
    (
        "prometheus-prefect-exporter",
        include_str!("../stdlib/charts/prometheus-prefect-exporter/values.schema.json"),
    ),
    (
        "redis",
        include_str!("../stdlib/charts/redis/values.schema.json"),
    ),
    (
        "reloader",
        include_str!("../stdlib/charts/reloader/values.schema.json"),
    ),
    (
        "traefik",
        include_str!("../stdlib/charts/traefik/values.schema.json"),
    ),
];

/// Kubernetes name length limit that Helm charts cut their names to.
pub const MAX_NAME_LEN: usize = 63;

/// Placeholders allowed in name patterns (`service`, `extra-services[].name`,
/// `prometheus.service-account`), besides `{fullname(PART)}`.
pub const NAME_PLACEHOLDERS: &[&str] = &["release", "fullname"];

/// Placeholders allowed in string values of `values`, `storage-values`, `metrics-values`
/// and `existing-secret.also-set`.
pub const VALUE_PLACEHOLDERS: &[&str] = &[
    "release",
    "fullname",
    "namespace",
    "prometheus-service-account",
    "prometheus-namespace",
];

/// Extra placeholders allowed in `ingress.values`.
pub const INGRESS_VALUE_PLACEHOLDERS: &[&str] = &["host", "url"];

/// The parsed, checked set of embedded profiles.
static BUILTIN: OnceLock<Result<Profiles, ProfileError>> = OnceLock::new();

/// The embedded profiles, parsed and checked on first use.
///
/// # Panics
///
/// Panics if an embedded profile is malformed. That is a build defect, and the unit tests
/// of this module parse every embedded profile, so it cannot reach a release.
pub fn builtin() -> &'static Profiles {
    match try_builtin() {
        Ok(profiles) => profiles,
        Err(err) => panic!("embedded {err}"),
    }
}

/// The embedded profiles, or the first problem found in them.
pub fn try_builtin() -> Result<&'static Profiles, &'static ProfileError> {
    BUILTIN
        .get_or_init(|| Profiles::parse_all(PROFILE_SOURCES))
        .as_ref()
}

/// A problem in a profile file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chart profile `{profile}`: {message}")]
pub struct ProfileError {
    /// The profile (file) name.
    pub profile: String,
    /// What is wrong.
    pub message: String,
}

/// A set of profiles, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profiles {
    by_name: BTreeMap<String, Profile>,
}

impl Profiles {
    /// Parses and checks (name, YAML text) pairs; each name must match the profile's
    /// `name` field and appear once.
    pub fn parse_all(sources: &[(&str, &str)]) -> Result<Self, ProfileError> {
        let mut by_name = BTreeMap::new();
        for (name, text) in sources {
            let profile = Profile::parse(name, text)?;
            if by_name.insert((*name).to_owned(), profile).is_some() {
                return Err(ProfileError {
                    profile: (*name).to_owned(),
                    message: "defined twice".to_owned(),
                });
            }
        }
        Ok(Self { by_name })
    }

    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    /// All profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// All profiles, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.by_name.values()
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are no profiles.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// What `platc` knows about one Helm chart (see `stdlib/profiles/README.md`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    /// Profile name (= file name = `stdlib/charts/` directory).
    pub name: String,
    /// One line.
    pub description: String,
    /// Helm repository URL as Argo CD should use it (`https://` or `oci://`).
    pub repo: String,
    /// An OCI alternative for the same chart, when the publisher has one.
    #[serde(default)]
    pub oci_repo: Option<String>,
    /// Chart name in the repository.
    pub chart: String,
    /// Default pinned exact version.
    pub version: String,
    /// Why the chart should not be used for new platforms.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// The chart's fullname rule.
    pub fullname: FullnameRule,
    /// Name pattern of the main Service; `None` when the chart creates none.
    #[serde(default)]
    pub service: Option<String>,
    /// Ports of the main Service: name -> Service port.
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// Name -> container port, where it differs from the Service port.
    #[serde(default)]
    pub target_ports: BTreeMap<String, u16>,
    /// Other Services of the chart.
    #[serde(default)]
    pub extra_services: Vec<ExtraService>,
    /// API groups whose CRDs the chart installs.
    #[serde(default)]
    pub crds: Vec<String>,
    /// Value paths for the platform words.
    pub paths: Paths,
    /// Set whenever `storage` is set.
    #[serde(default)]
    pub storage_values: BTreeMap<ValuePath, Value>,
    /// Set whenever `metrics = true`.
    #[serde(default)]
    pub metrics_values: BTreeMap<ValuePath, Value>,
    /// API versions the chart's monitor templates check through `.Capabilities`.
    #[serde(default)]
    pub metrics_api_versions: Vec<String>,
    /// The chart's ingress block, if it has one.
    #[serde(default)]
    pub ingress: Option<Ingress>,
    /// Always set (GitOps safety).
    #[serde(default)]
    pub values: BTreeMap<ValuePath, Value>,
    /// Only for charts that are a Prometheus.
    #[serde(default)]
    pub prometheus: Option<PrometheusInfo>,
    /// Random values the chart generates on every render unless a path is set.
    #[serde(default)]
    pub random_secrets: Vec<RandomSecret>,
    /// How to point the chart at a declared Secret.
    #[serde(default)]
    pub existing_secret: Option<ExistingSecret>,
    /// For ingress controllers: the IngressClass they serve.
    #[serde(default)]
    pub ingress_class: Option<String>,
    /// Argo CD sync options the chart needs.
    #[serde(default)]
    pub sync_options: Vec<String>,
    /// Free text for humans.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Helm's fullname helper for one chart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FullnameRule {
    /// The chart-name part: the fullname is R if R contains it, else `R-part`.
    #[serde(default)]
    pub part: Option<String>,
    /// Length the fullname is cut to.
    #[serde(default = "default_max")]
    pub max: usize,
    /// Always `R-part`, even when R already contains `part` (reloader).
    #[serde(default)]
    pub always_append: bool,
    /// Names do not depend on the release (keda, strimzi).
    #[serde(default)]
    pub fixed: Option<String>,
    /// The chart's values.yaml sets `fullnameOverride` to this (prefect).
    #[serde(default)]
    pub default_override: Option<String>,
}

fn default_max() -> usize {
    MAX_NAME_LEN
}

impl FullnameRule {
    /// The fullname for release `release`.
    pub fn apply(&self, release: &str) -> String {
        if let Some(fixed) = &self.fixed {
            return fixed.clone();
        }
        if let Some(name) = &self.default_override {
            return cut_name(name, MAX_NAME_LEN);
        }
        match &self.part {
            Some(part) if self.always_append => cut_name(&format!("{release}-{part}"), self.max),
            Some(part) => helm_fullname(release, part, self.max),
            None => cut_name(release, self.max),
        }
    }
}

/// The common Helm fullname rule: `release` if it contains `part`, else `release-part`,
/// cut to `max` bytes with one trailing `-` dropped.
pub fn helm_fullname(release: &str, part: &str, max: usize) -> String {
    if release.contains(part) {
        cut_name(release, max)
    } else {
        cut_name(&format!("{release}-{part}"), max)
    }
}

/// Helm's `trunc max | trimSuffix "-"` (cut on a character boundary).
fn cut_name(name: &str, max: usize) -> String {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &name[..end];
    cut.strip_suffix('-').unwrap_or(cut).to_owned()
}

/// A Service of the chart other than the main one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExtraService {
    /// Name pattern.
    pub name: String,
    /// Name -> Service port.
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// Name -> container port, where it differs.
    #[serde(default)]
    pub target_ports: BTreeMap<String, u16>,
}

/// Where the platform words go in the chart's values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Paths {
    /// Gets the node pool's `{label: value}` node selector.
    #[serde(default)]
    pub node_selector: PathList,
    /// Gets the node pool's tolerations.
    #[serde(default)]
    pub tolerations: PathList,
    /// Gets `{requests: {cpu, memory}, limits: {cpu, memory}}`.
    #[serde(default)]
    pub resources: PathList,
    /// Gets the storage size (`"20Gi"`).
    #[serde(default)]
    pub storage: PathList,
    /// All set to `true` for `metrics = true`. `None`: the chart has no metrics switch;
    /// `Some` and empty: metrics need no switch.
    #[serde(default)]
    pub metrics_enable: Option<PathList>,
    /// Label maps that become labels on the chart's ServiceMonitor/PodMonitor objects.
    #[serde(default)]
    pub service_monitor_labels: PathList,
    /// Strings that become the monitor's `release` label (charts without a label map).
    #[serde(default)]
    pub service_monitor_release: PathList,
}

/// The chart's ingress block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Ingress {
    /// The shape of the block.
    pub style: IngressStyle,
    /// Value path of the block.
    pub prefix: ValuePath,
    /// Key of the IngressClass name inside the block.
    #[serde(default = "default_class_key")]
    pub class_key: String,
    /// Set whenever the platform declares an ingress for the chart.
    #[serde(default)]
    pub values: BTreeMap<ValuePath, Value>,
}

fn default_class_key() -> String {
    "ingressClassName".to_owned()
}

impl Ingress {
    /// Every value path the style writes: the class key, then [`IngressStyle::fields`].
    pub fn field_paths(&self) -> Vec<ValuePath> {
        std::iter::once(self.class_key.as_str())
            .chain(self.style.fields().iter().copied())
            .map(|field| self.prefix.join(field))
            .collect()
    }
}

/// The closed set of ingress block shapes (see `stdlib/profiles/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IngressStyle {
    /// `hostname` string, `tls` bool, `extraTls` list (Bitnami, argo-cd).
    Bitnami,
    /// `host.hostname`, `tls` bool, `extraTls` list (prefect-server).
    Prefect,
    /// `hosts: [str]`, `path`, `tls: [{secretName, hosts}]`.
    HostsStrings,
    /// `hosts: [str]`, `paths: [str]`, `tls: [{secretName, hosts}]` (kube-prometheus-stack).
    HostsStringsPaths,
    /// `hosts: [{host, paths: [{path, pathType}]}]`, `tls: [{secretName, hosts}]`.
    HostObjects,
    /// `hosts: [{host}]` with a fixed `/` path, `tls: [{secretName, hosts}]` (fluent-bit).
    HostList,
    /// `host` string, `path`, `tls: {enabled, secretName}` (kafka-ui).
    KafkaUi,
}

impl IngressStyle {
    /// The keys (relative to the block, dotted) that this style writes, besides the
    /// IngressClass key.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Bitnami => &[
                "enabled",
                "hostname",
                "path",
                "pathType",
                "tls",
                "annotations",
                "extraTls",
            ],
            Self::Prefect => &[
                "enabled",
                "host.hostname",
                "host.path",
                "host.pathType",
                "tls",
                "annotations",
                "extraTls",
            ],
            Self::HostsStrings => &["enabled", "hosts", "path", "pathType", "tls", "annotations"],
            Self::HostsStringsPaths => &[
                "enabled",
                "hosts",
                "paths",
                "pathType",
                "tls",
                "annotations",
            ],
            Self::HostObjects | Self::HostList => &["enabled", "hosts", "tls", "annotations"],
            Self::KafkaUi => &[
                "enabled",
                "host",
                "path",
                "pathType",
                "tls.enabled",
                "tls.secretName",
                "annotations",
            ],
        }
    }
}

/// How a Prometheus chart discovers scrape targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discovery {
    /// Prometheus Operator ServiceMonitor/PodMonitor objects.
    ServiceMonitor,
    /// `prometheus.io/scrape` annotations (no monitor CRDs).
    Annotations,
}

/// For charts that are a Prometheus.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PrometheusInfo {
    /// How targets are discovered.
    pub discovery: Discovery,
    /// Labels a ServiceMonitor/PodMonitor needs to be selected (values are name patterns).
    #[serde(default)]
    pub service_monitor_label: BTreeMap<String, String>,
    /// Name pattern of the Prometheus service account.
    #[serde(default)]
    pub service_account: Option<String>,
}

/// A random value the chart renders unless one of `unless_set` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RandomSecret {
    /// Setting any of these paths avoids the random value.
    pub unless_set: PathList,
    /// What is generated, for the diagnostic.
    pub what: String,
}

/// How to point the chart at a declared Secret.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExistingSecret {
    /// Value path that takes the Secret name.
    #[serde(default)]
    pub path: Option<ValuePath>,
    /// The chart reads a Secret of this fixed name instead.
    #[serde(default)]
    pub fixed_name: Option<String>,
    /// Values that must be set together with the Secret.
    #[serde(default)]
    pub also_set: BTreeMap<ValuePath, Value>,
    /// Logical key -> where the key name goes.
    #[serde(default)]
    pub keys: BTreeMap<String, SecretKey>,
}

/// One key of an existing Secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SecretKey {
    /// Value path that takes the key name.
    #[serde(default)]
    pub path: Option<ValuePath>,
    /// Key name the chart reads when `path` is left alone (or the fixed key name).
    #[serde(default)]
    pub default: Option<String>,
}

/// A dotted value path such as `primary.persistence.size`; a segment containing a dot is
/// quoted: `configs.files."config.yaml".clickhouse`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValuePath {
    text: String,
    segments: Vec<String>,
}

impl ValuePath {
    /// Parses a dotted path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        for c in text.chars() {
            match c {
                '"' if quoted => quoted = false,
                '"' if current.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '"' => return Err(format!("misplaced quote in value path `{text}`")),
                '.' if !quoted => {
                    if current.is_empty() {
                        return Err(format!("empty segment in value path `{text}`"));
                    }
                    segments.push(std::mem::take(&mut current));
                    was_quoted = false;
                }
                _ if was_quoted && !quoted => {
                    return Err(format!(
                        "text after a quoted segment in value path `{text}`"
                    ))
                }
                _ => current.push(c),
            }
        }
        if quoted {
            return Err(format!("unterminated quote in value path `{text}`"));
        }
        if current.is_empty() {
            return Err(format!("empty segment in value path `{text}`"));
        }
        segments.push(current);
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The keys, outermost first, without quotes.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// This path followed by `rest` (itself a dotted path).
    fn join(&self, rest: &str) -> ValuePath {
        let mut segments = self.segments.clone();
        segments.extend(rest.split('.').map(str::to_owned));
        ValuePath {
            text: format!("{}.{rest}", self.text),
            segments,
        }
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ValuePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ValuePath::parse(&text).map_err(de::Error::custom)
    }
}

/// One value path or a list of them (a single string is accepted for a list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathList(pub Vec<ValuePath>);

impl PathList {
    /// The paths.
    pub fn as_slice(&self) -> &[ValuePath] {
        &self.0
    }

    /// Iterates over the paths.
    pub fn iter(&self) -> std::slice::Iter<'_, ValuePath> {
        self.0.iter()
    }

    /// Whether there are no paths.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a PathList {
    type Item = &'a ValuePath;
    type IntoIter = std::slice::Iter<'a, ValuePath>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for PathList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathListVisitor;

        impl<'de> Visitor<'de> for PathListVisitor {
            type Value = PathList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value path or a list of value paths")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<PathList, E> {
                ValuePath::parse(text)
                    .map(|p| PathList(vec![p]))
                    .map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PathList, A::Error> {
                let mut paths = Vec::new();
                while let Some(path) = seq.next_element::<ValuePath>()? {
                    paths.push(path);
                }
                Ok(PathList(paths))
            }
        }

        deserializer.deserialize_any(PathListVisitor)
    }
}

impl Profile {
    /// Parses and checks one profile; `name` is the file name it came from.
    pub fn parse(name: &str, text: &str) -> Result<Profile, ProfileError> {
        let error = |message: String| ProfileError {
            profile: name.to_owned(),
            message,
        };
        let profile: Profile = serde_yaml::from_str(text).map_err(|e| error(e.to_string()))?;
        if profile.name != name {
            return Err(error(format!(
                "`name: {}` does not match the file name",
                profile.name
            )));
        }
        profile.check().map_err(error)?;
        Ok(profile)
    }

    /// The chart's fullname for release `release`.
    pub fn fullname(&self, release: &str) -> String {
        self.fullname.apply(release)
    }

    /// The main Service's name for release `release`, if the chart creates one.
    pub fn service_name(&self, release: &str) -> Option<String> {
        self.service
            .as_deref()
            .map(|pattern| self.expand_name(pattern, release))
    }

    /// Expands a name pattern (`{release}`, `{fullname}`, `{fullname(PART)}`) for release
    /// `release`; the result is cut to 63 characters like a Helm name. Unknown
    /// placeholders are kept as written (the profile check rejects them).
    pub fn expand_name(&self, pattern: &str, release: &str) -> String {
        let expanded = substitute(pattern, |name| name_placeholder(self, name, release))
            .unwrap_or_else(|_| pattern.to_owned());
        cut_name(&expanded, MAX_NAME_LEN)
    }

    /// The chart's `values.schema.json`, if it ships one.
    pub fn values_schema(&self) -> Option<&'static str> {
        VALUES_SCHEMAS
            .iter()
            .find(|(name, _)| *name == self.name)
            .map(|(_, schema)| *schema)
    }

    /// Whether `metrics = true` is supported.
    pub fn has_metrics(&self) -> bool {
        self.paths.metrics_enable.is_some()
    }

    /// Checks everything serde cannot: one-line text, exact version, URL schemes,
    /// patterns and placeholders, and the cross-field rules of the format.
    fn check(&self) -> Result<(), String> {
        if !is_dns_label(&self.name) {
            return Err("`name` is not a DNS-1123 label".to_owned());
        }
        if self.description.trim().is_empty() || self.description.contains('\n') {
            return Err("`description` must be one non-empty line".to_owned());
        }
        if !(self.repo.starts_with("https://") || self.repo.starts_with("oci://")) {
            return Err(format!(
                "`repo` must be https:// or oci://, got `{}`",
                self.repo
            ));
        }
        if let Some(oci) = &self.oci_repo {
            if !oci.starts_with("oci://") {
                return Err(format!("`oci-repo` must start with oci://, got `{oci}`"));
            }
        }
        if self.chart.is_empty() {
            return Err("`chart` is empty".to_owned());
        }
        if !is_exact_version(&self.version) {
            return Err(format!(
                "`version: {}` is not an exact version",
                self.version
            ));
        }
        self.check_fullname()?;
        self.check_services()?;
        self.check_paths()?;
        self.check_values()?;
        if let Some(prometheus) = &self.prometheus {
            if prometheus.discovery == Discovery::Annotations
                && !prometheus.service_monitor_label.is_empty()
            {
                return Err(
                    "`prometheus.service-monitor-label` needs discovery service-monitor".to_owned(),
                );
            }
            for value in prometheus.service_monitor_label.values() {
                self.check_name_pattern(value)?;
            }
            if let Some(account) = &prometheus.service_account {
                self.check_name_pattern(account)?;
            }
        }
        for random in &self.random_secrets {
            if random.unless_set.is_empty() || random.what.trim().is_empty() {
                return Err("each `random-secrets` entry needs `unless-set` and `what`".to_owned());
            }
        }
        if let Some(secret) = &self.existing_secret {
            if secret.path.is_some() == secret.fixed_name.is_some() {
                return Err(
                    "`existing-secret` needs exactly one of `path` and `fixed-name`".to_owned(),
                );
            }
            for (key, spec) in &secret.keys {
                if spec.path.is_none() && spec.default.is_none() {
                    return Err(format!(
                        "`existing-secret.keys.{key}` needs a `path` or a `default`"
                    ));
                }
            }
        }
        if let Some(class) = &self.ingress_class {
            if !is_dns_label(class) {
                return Err(format!("`ingress-class: {class}` is not a DNS-1123 label"));
            }
        }
        if let Some(option) = self.sync_options.iter().find(|o| !o.contains('=')) {
            return Err(format!("sync option `{option}` is not KEY=VALUE"));
        }
        Ok(())
    }

    fn check_fullname(&self) -> Result<(), String> {
        let rule = &self.fullname;
        if rule.max == 0 || rule.max > MAX_NAME_LEN {
            return Err(format!("`fullname.max` must be 1..=63, got {}", rule.max));
        }
        match (&rule.part, &rule.fixed) {
            (Some(part), None) if !part.is_empty() => Ok(()),
            (None, Some(fixed)) if is_dns_label(fixed) => {
                if rule.always_append || rule.default_override.is_some() {
                    Err(
                        "`fullname.fixed` excludes `always-append` and `default-override`"
                            .to_owned(),
                    )
                } else {
                    Ok(())
                }
            }
            _ => Err("`fullname` needs exactly one of `part` and `fixed` (a DNS label)".to_owned()),
        }
    }

    fn check_services(&self) -> Result<(), String> {
        if let Some(service) = &self.service {
            self.check_name_pattern(service)?;
        }
        check_ports(&self.ports, &self.target_ports, "ports")?;
        if self.service.is_none() && !self.ports.is_empty() {
            return Err("`ports` without a `service`".to_owned());
        }
        for extra in &self.extra_services {
            self.check_name_pattern(&extra.name)?;
            check_ports(&extra.ports, &extra.target_ports, &extra.name)?;
            if extra.ports.is_empty() {
                return Err(format!("extra service `{}` has no ports", extra.name));
            }
        }
        Ok(())
    }

    fn check_paths(&self) -> Result<(), String> {
        let paths = &self.paths;
        let has_metrics = paths.metrics_enable.as_ref().is_some_and(|p| !p.is_empty());
        let monitor_labels =
            !paths.service_monitor_labels.is_empty() || !paths.service_monitor_release.is_empty();
        if monitor_labels && !has_metrics {
            return Err("service-monitor label paths without `metrics-enable` paths".to_owned());
        }
        if !self.metrics_values.is_empty() && !has_metrics {
            return Err("`metrics-values` without `metrics-enable` paths".to_owned());
        }
        if !self.metrics_api_versions.is_empty() && !has_metrics {
            return Err("`metrics-api-versions` without `metrics-enable` paths".to_owned());
        }
        if !self.storage_values.is_empty() && paths.storage.is_empty() {
            return Err("`storage-values` without `storage` paths".to_owned());
        }
        if let Some(ingress) = &self.ingress {
            if ingress.class_key.is_empty() || ingress.class_key.contains('.') {
                return Err("`ingress.class-key` must be one key".to_owned());
            }
        }
        Ok(())
    }

    fn check_values(&self) -> Result<(), String> {
        let sections = [
            ("values", &self.values),
            ("storage-values", &self.storage_values),
            ("metrics-values", &self.metrics_values),
        ];
        for (section, map) in sections {
            for (path, value) in map {
                check_value_placeholders(value, VALUE_PLACEHOLDERS)
                    .map_err(|e| format!("`{section}.{path}`: {e}"))?;
            }
        }
        if let Some(secret) = &self.existing_secret {
            for (path, value) in &secret.also_set {
                check_value_placeholders(value, VALUE_PLACEHOLDERS)
                    .map_err(|e| format!("`existing-secret.also-set.{path}`: {e}"))?;
            }
        }
        if let Some(ingress) = &self.ingress {
            let allowed: Vec<&str> = VALUE_PLACEHOLDERS
                .iter()
                .chain(INGRESS_VALUE_PLACEHOLDERS)
                .copied()
                .collect();
            for (path, value) in &ingress.values {
                check_value_placeholders(value, &allowed)
                    .map_err(|e| format!("`ingress.values.{path}`: {e}"))?;
            }
        }
        Ok(())
    }

    fn check_name_pattern(&self, pattern: &str) -> Result<(), String> {
        substitute(pattern, |name| name_placeholder(self, name, "r"))
            .map(|_| ())
            .map_err(|e| format!("name pattern `{pattern}`: {e}"))
    }
}

/// Resolves one name-pattern placeholder for release `release`.
fn name_placeholder(profile: &Profile, name: &str, release: &str) -> Option<String> {
    match name {
        "release" => Some(release.to_owned()),
        "fullname" => Some(profile.fullname(release)),
        _ => {
            let part = name.strip_prefix("fullname(")?.strip_suffix(')')?;
            is_dns_label(part).then(|| helm_fullname(release, part, MAX_NAME_LEN))
        }
    }
}

fn check_ports(
    ports: &BTreeMap<String, u16>,
    target_ports: &BTreeMap<String, u16>,
    what: &str,
) -> Result<(), String> {
    if let Some((name, _)) = ports
        .iter()
        .chain(target_ports)
        .find(|(name, port)| **port == 0 || name.is_empty())
    {
        return Err(format!(
            "{what}: port `{name}` must be named and in 1..=65535"
        ));
    }
    if let Some(name) = target_ports.keys().find(|name| !ports.contains_key(*name)) {
        return Err(format!("{what}: target port `{name}` names no port"));
    }
    Ok(())
}

/// Checks that every string inside `value` uses only `allowed` placeholders.
fn check_value_placeholders(value: &Value, allowed: &[&str]) -> Result<(), String> {
    match value {
        Value::String(text) => {
            substitute(text, |name| allowed.contains(&name).then(String::new)).map(|_| ())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_value_placeholders(item, allowed)),
        Value::Object(map) => map
            .values()
            .try_for_each(|item| check_value_placeholders(item, allowed)),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Replaces every `{name}` in `template` with `lookup(name)`; fails on an unknown name or
/// an unbalanced brace. There is no escape: profile values never need a literal `{`.
pub fn substitute(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!("unbalanced `}}` in `{template}`"));
        }
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unbalanced `{{` in `{template}`"))?;
        let name = &after[..close];
        let replacement =
            lookup(name).ok_or_else(|| format!("unknown placeholder `{{{name}}}`"))?;
        out.push_str(&replacement);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An exact chart version: optional `v`, `MAJOR.MINOR.PATCH` digits, optional
/// `-prerelease` and `+build` made of `[0-9A-Za-z.-]`. Ranges and wildcards are not exact.
pub fn is_exact_version(version: &str) -> bool {
    let version = version.strip_prefix('v').unwrap_or(version);
    let (core, rest) = match version.find(['-', '+']) {
        Some(i) => version.split_at(i),
        None => (version, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let core_ok = numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = rest
        .chars()
        .skip(1)
        .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
        && (rest.is_empty() || rest.len() > 1);
    core_ok && rest_ok
}

/// A DNS-1123 label: lower-case alphanumerics and `-`, alphanumeric at both ends, ≤ 63.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// `stdlib/` of the main repository (the scratch crate links it at the same place).
    fn stdlib_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib")
    }

    /// Subcharts whose values live in another vendored chart: (chart, key prefix, dir).
    const SUBCHARTS: &[(&str, &str, &str)] = &[
        ("airflow", "postgresql", "postgresql"),
        ("airflow", "redis", "redis"),
        ("prefect-server", "postgresql", "postgresql"),
        ("kube-prometheus-stack", "grafana", "grafana"),
        (
            "prometheus",
            "prometheus-pushgateway",
            "prometheus-pushgateway",
        ),
    ];

    /// Why an allowed path is absent from the vendored values.yaml.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Absent {
        /// The key is documented as a commented-out example under an existing map: the
        /// test checks that its last segment appears on a `#` line of values.yaml.
        Commented,
        /// The parent is a free-form map whose keys the chart documents elsewhere.
        FreeForm,
    }

    /// Paths that the chart honours but whose leaf is not an active key in values.yaml.
    /// Each must really be missing, sit below an existing map (or null) and, for
    /// `Commented`, appear in a comment.
    const ALLOWED: &[(&str, &str, Absent)] = &[
        // argocd-cmd-params-cm takes any key; `server.insecure` is documented in the
        // chart README and the Argo CD docs.
        ("argo-cd", r#"configs.params."server.insecure""#, Absent::FreeForm),
        // `#   selector:` example under serviceMonitor.
        ("fluent-bit", "serviceMonitor.selector", Absent::Commented),
        ("grafana", "ingress.ingressClassName", Absent::Commented),
        ("grafana", "adminPassword", Absent::Commented),
        // storageSpec: {} with the volumeClaimTemplate example commented out.
        (
            "kube-prometheus-stack",
            "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage",
            Absent::Commented,
        ),
        (
            "kube-prometheus-stack",
            "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.accessModes",
            Absent::Commented,
        ),
        ("kube-prometheus-stack", "prometheus.ingress.pathType", Absent::Commented),
        ("kube-prometheus-stack", "grafana.adminPassword", Absent::Commented),
        ("metabase", "ingress.className", Absent::Commented),
        ("metabase", "database.existingSecret", Absent::Commented),
        ("metabase", "database.existingSecretUsernameKey", Absent::Commented),
        ("metabase", "database.existingSecretPasswordKey", Absent::Commented),
        ("metabase", "database.existingSecretConnectionURIKey", Absent::Commented),
        ("metabase", "database.existingSecretEncryptionKeyKey", Absent::Commented),
        ("prometheus-pushgateway", "ingress.hosts", Absent::Commented),
        ("prometheus-pushgateway", "ingress.tls", Absent::Commented),
        ("prometheus-pushgateway", "ingress.annotations", Absent::Commented),
        // `service: {}` with `# port: 9090`.
        ("reloader", "reloader.service.port", Absent::Commented),
    ];

    fn load_values(dir: &str) -> serde_yaml::Value {
        let path = stdlib_dir().join("charts").join(dir).join("values.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn values_text(dir: &str) -> String {
        std::fs::read_to_string(stdlib_dir().join("charts").join(dir).join("values.yaml"))
            .unwrap_or_default()
    }

    /// Follows `segments` from `root`; returns the value and how many segments matched.
    fn walk<'v>(
        root: &'v serde_yaml::Value,
        segments: &[String],
    ) -> (&'v serde_yaml::Value, usize) {
        let mut current = root;
        for (depth, segment) in segments.iter().enumerate() {
            match current.get(segment.as_str()) {
                Some(next) => current = next,
                None => return (current, depth),
            }
        }
        (current, segments.len())
    }

    fn exists(chart: &str, values: &serde_yaml::Value, path: &ValuePath) -> bool {
        let segments = path.segments();
        if walk(values, segments).1 == segments.len() {
            return true;
        }
        SUBCHARTS.iter().any(|(c, prefix, dir)| {
            *c == chart
                && segments[0] == *prefix
                && walk(&load_values(dir), &segments[1..]).1 == segments.len() - 1
        })
    }

    /// Every value path a profile refers to, with where it comes from.
    fn referenced_paths(profile: &Profile) -> Vec<(String, ValuePath)> {
        let mut out: Vec<(String, ValuePath)> = Vec::new();
        let mut add = |what: &str, list: &PathList| {
            out.extend(list.iter().map(|p| (what.to_owned(), p.clone())));
        };
        let paths = &profile.paths;
        add("paths.node-selector", &paths.node_selector);
        add("paths.tolerations", &paths.tolerations);
        add("paths.resources", &paths.resources);
        add("paths.storage", &paths.storage);
        if let Some(list) = &paths.metrics_enable {
            add("paths.metrics-enable", list);
        }
        add(
            "paths.service-monitor-labels",
            &paths.service_monitor_labels,
        );
        add(
            "paths.service-monitor-release",
            &paths.service_monitor_release,
        );
        for random in &profile.random_secrets {
            add("random-secrets", &random.unless_set);
        }
        let mut add_map = |what: &str, map: &BTreeMap<ValuePath, Value>| {
            out.extend(map.keys().map(|p| (what.to_owned(), p.clone())));
        };
        add_map("values", &profile.values);
        add_map("storage-values", &profile.storage_values);
        add_map("metrics-values", &profile.metrics_values);
        if let Some(ingress) = &profile.ingress {
            add_map("ingress.values", &ingress.values);
            out.push(("ingress.prefix".to_owned(), ingress.prefix.clone()));
            out.extend(
                ingress
                    .field_paths()
                    .into_iter()
                    .map(|p| ("ingress style field".to_owned(), p)),
            );
        }
        if let Some(secret) = &profile.existing_secret {
            out.extend(
                secret
                    .also_set
                    .keys()
                    .map(|p| ("existing-secret.also-set".to_owned(), p.clone())),
            );
            out.extend(
                secret
                    .path
                    .iter()
                    .map(|p| ("existing-secret.path".to_owned(), p.clone())),
            );
            out.extend(secret.keys.iter().filter_map(|(key, spec)| {
                spec.path
                    .as_ref()
                    .map(|p| (format!("existing-secret.keys.{key}"), p.clone()))
            }));
        }
        out
    }

    #[test]
    fn every_profile_parses() {
        let profiles = match try_builtin() {
            Ok(profiles) => profiles,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(profiles.len(), PROFILE_SOURCES.len());
        assert_eq!(profiles.len(), 27);
        assert!(std::ptr::eq(builtin(), profiles));
    }

    #[test]
    fn names_match_files_and_chart_dirs() {
        let profiles = builtin();
        for (file_name, _) in PROFILE_SOURCES {
            let profile = profiles.get(file_name).expect("profile by file name");
            assert_eq!(profile.name, *file_name);
        }
        let names = profiles.names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "names() is sorted");

        let list = |dir: PathBuf, want_dirs: bool| -> Vec<String> {
            let mut out: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.expect("dir entry").path())
                .filter(|p| p.is_dir() == want_dirs)
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_owned();
                    if want_dirs {
                        Some(name)
                    } else {
                        name.strip_suffix(".yaml").map(str::to_owned)
                    }
                })
                .collect();
            out.sort();
            out
        };
        let files = list(stdlib_dir().join("profiles"), false);
        assert_eq!(
            files, names,
            "every stdlib/profiles/*.yaml is in PROFILE_SOURCES"
        );
        let dirs = list(stdlib_dir().join("charts"), true);
        assert_eq!(dirs, names, "every stdlib/charts/<dir> has a profile");
    }

    #[test]
    fn versions_are_exact() {
        for profile in builtin().iter() {
            assert!(
                is_exact_version(&profile.version),
                "{}: {}",
                profile.name,
                profile.version
            );
        }
        for good in [
            "17.1.0",
            "v1.21.1",
            "2026.8.18172642",
            "1.0.0-rc.1",
            "1.2.3+build.5",
        ] {
            assert!(is_exact_version(good), "{good}");
        }
        for bad in [
            "17.x", "^1.2.3", "~1.2.3", "1.2", ">=1.0.0", "latest", "1.2.*", "", "1.2.3-", "v",
        ] {
            assert!(!is_exact_version(bad), "{bad}");
        }
    }

    #[test]
    fn every_path_exists_in_the_chart_values() {
        let mut problems = Vec::new();
        let mut used_allowed = vec![false; ALLOWED.len()];
        for profile in builtin().iter() {
            let chart = profile.name.as_str();
            let values = load_values(chart);
            let text = values_text(chart);
            for (what, path) in referenced_paths(profile) {
                if exists(chart, &values, &path) {
                    continue;
                }
                let allowed = ALLOWED
                    .iter()
                    .position(|(c, p, _)| *c == chart && *p == path.as_str());
                let Some(index) = allowed else {
                    problems.push(format!("{chart}: {what} `{path}` is not in values.yaml"));
                    continue;
                };
                used_allowed[index] = true;
                let (ancestor, depth) = walk(&values, path.segments());
                if !(ancestor.is_mapping() || ancestor.is_null()) {
                    problems.push(format!(
                        "{chart}: allowed `{path}` does not sit below a map (stops at depth {depth})"
                    ));
                }
                if ALLOWED[index].2 == Absent::Commented {
                    let leaf = path
                        .segments()
                        .last()
                        .map(String::as_str)
                        .unwrap_or_default();
                    let commented = text.lines().any(|line| {
                        line.find('#')
                            .is_some_and(|hash| line[hash..].contains(&format!("{leaf}:")))
                    });
                    if !commented {
                        problems.push(format!(
                            "{chart}: allowed `{path}` has no commented `{leaf}:` in values.yaml"
                        ));
                    }
                }
            }
        }
        for (index, used) in used_allowed.iter().enumerate() {
            if !used {
                let (chart, path, _) = ALLOWED[index];
                problems.push(format!("stale ALLOWED entry {chart}: `{path}`"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn fullname_rule_examples() {
        let get = |name: &str| builtin().get(name).expect("profile");
        let kps = get("kube-prometheus-stack");
        assert_eq!(kps.fullname("monitoring"), "monitoring-kube-prometheus");
        assert_eq!(kps.fullname("kps"), "kps-kube-prometheus-stack");
        assert_eq!(
            kps.service_name("monitoring").as_deref(),
            Some("monitoring-kube-prometheus-prometheus")
        );
        let pg = get("postgresql");
        assert_eq!(pg.fullname("postgresql"), "postgresql");
        assert_eq!(pg.fullname("db"), "db-postgresql");
        assert_eq!(pg.fullname("my-postgresql-main"), "my-postgresql-main");
        assert_eq!(pg.service_name("db").as_deref(), Some("db-postgresql"));
        assert_eq!(
            get("redis").service_name("cache").as_deref(),
            Some("cache-redis-master")
        );
        assert_eq!(get("reloader").fullname("reloader"), "reloader-reloader");
        assert_eq!(get("reloader").service_name("reloader"), None);
        assert_eq!(get("prefect-server").fullname("anything"), "prefect-server");
        assert_eq!(
            get("prefect-server")
                .service_name("orchestration")
                .as_deref(),
            Some("prefect-server")
        );
        assert_eq!(get("keda").fullname("autoscaler"), "keda-operator");
        assert_eq!(
            get("keda").service_name("autoscaler").as_deref(),
            Some("keda-operator-metrics-apiserver")
        );
        assert_eq!(
            get("strimzi-kafka-operator").fullname("x"),
            "strimzi-cluster-operator"
        );
        assert_eq!(
            get("argo-cd").service_name("argocd").as_deref(),
            Some("argocd-server")
        );
        assert_eq!(
            get("argo-cd").service_name("argo-cd").as_deref(),
            Some("argo-cd-argocd-server")
        );
        assert_eq!(
            get("prometheus").service_name("prometheus").as_deref(),
            Some("prometheus-server")
        );
        assert_eq!(
            get("prometheus").service_name("mon").as_deref(),
            Some("mon-prometheus-server")
        );
        assert_eq!(
            get("ingress-nginx")
                .service_name("ingress-nginx")
                .as_deref(),
            Some("ingress-nginx-controller")
        );
        assert_eq!(
            get("haproxy-kubernetes-ingress")
                .service_name("haproxy")
                .as_deref(),
            Some("haproxy-kubernetes-ingress")
        );
        assert_eq!(
            get("airflow").expand_name("{fullname(postgresql)}", "airflow"),
            "airflow-postgresql"
        );
        assert_eq!(
            get("kube-prometheus-stack").expand_name("{fullname(grafana)}", "monitoring"),
            "monitoring-grafana"
        );
        // Cut to 63 with the trailing '-' dropped, like Helm's trunc | trimSuffix.
        let long = "a".repeat(55);
        assert_eq!(pg.fullname(&long), format!("{long}-postgre"));
        let dash = "b".repeat(62);
        assert_eq!(pg.fullname(&dash), dash);
        assert_eq!(helm_fullname(&"c".repeat(70), "c", 63), "c".repeat(63));
    }

    #[test]
    fn values_schemas_match_the_vendored_files() {
        let profiles = builtin();
        for profile in profiles.iter() {
            let path = stdlib_dir()
                .join("charts")
                .join(&profile.name)
                .join("values.schema.json");
            assert_eq!(
                profile.values_schema().is_some(),
                path.exists(),
                "{}: values_schema() vs {}",
                profile.name,
                path.display()
            );
            if let Some(schema) = profile.values_schema() {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(schema);
                assert!(parsed.is_ok(), "{}: schema is not JSON", profile.name);
            }
        }
        for (name, _) in VALUES_SCHEMAS {
            assert!(
                profiles.get(name).is_some(),
                "schema for unknown profile {name}"
            );
        }
        assert_eq!(VALUES_SCHEMAS.len(), 11);
    }

    #[test]
    fn traps_are_spelled_like_the_charts() {
        let get = |name: &str| builtin().get(name).expect("profile");
        let has = |list: &Option<PathList>, path: &str| {
            list.as_ref()
                .is_some_and(|l| l.iter().any(|p| p.as_str() == path))
        };
        assert!(has(
            &get("cert-manager").paths.metrics_enable,
            "prometheus.servicemonitor.enabled"
        ));
        assert!(has(
            &get("spark-operator").paths.metrics_enable,
            "prometheus.metrics.enable"
        ));
        assert!(get("keda")
            .paths
            .resources
            .iter()
            .any(|p| p.as_str() == "resources.operator"));
        assert_eq!(
            get("redis").paths.service_monitor_labels.as_slice()[0].as_str(),
            "metrics.serviceMonitor.additionalLabels"
        );
        assert_eq!(
            get("kube-prometheus-stack")
                .prometheus
                .as_ref()
                .map(|p| p.discovery),
            Some(Discovery::ServiceMonitor)
        );
        assert_eq!(
            get("prometheus").prometheus.as_ref().map(|p| p.discovery),
            Some(Discovery::Annotations)
        );
        // No metrics switch at all versus metrics without a switch.
        assert!(!get("kafka-ui").has_metrics());
        assert!(get("prometheus").has_metrics());
        for name in ["traefik", "ingress-nginx", "haproxy-kubernetes-ingress"] {
            assert!(get(name).ingress_class.is_some(), "{name}");
        }
        assert_eq!(
            get("kube-prometheus-stack").crds,
            vec!["monitoring.coreos.com".to_owned()]
        );
    }

    #[test]
    fn value_paths() {
        let path = ValuePath::parse(r#"configs.files."config.yaml".clickhouse"#).expect("path");
        assert_eq!(
            path.segments(),
            ["configs", "files", "config.yaml", "clickhouse"]
        );
        assert_eq!(
            path.to_string(),
            r#"configs.files."config.yaml".clickhouse"#
        );
        assert_eq!(path.join("a.b").segments().len(), 6);
        for bad in ["", "a..b", ".a", "a.", r#"a."b"#, r#"a.b"c""#, r#"a."b"c"#] {
            assert!(ValuePath::parse(bad).is_err(), "{bad}");
        }
        let one: PathList = serde_yaml::from_str("metrics.enabled").expect("one");
        assert_eq!(one.as_slice().len(), 1);
        let many: PathList = serde_yaml::from_str("[a.b, c]").expect("many");
        assert_eq!(many.as_slice().len(), 2);
        assert!(serde_yaml::from_str::<PathList>("{a: b}").is_err());
    }

    #[test]
    fn substitution() {
        let lookup = |name: &str| match name {
            "host" => Some("x.example.com".to_owned()),
            _ => None,
        };
        assert_eq!(
            substitute("https://{host}/api", lookup),
            Ok("https://x.example.com/api".to_owned())
        );
        assert_eq!(substitute("plain", lookup), Ok("plain".to_owned()));
        assert!(substitute("{nope}", lookup).is_err());
        assert!(substitute("{host", lookup).is_err());
        assert!(substitute("host}", lookup).is_err());
    }

    const MINIMAL: &str = r#"
name: demo
description: "demo"
repo: "https://example.com/charts"
chart: demo
version: "1.2.3"
fullname: { part: demo }
service: "{fullname}"
ports: { http: 80 }
paths: {}
"#;

    #[test]
    fn profile_checks_reject_bad_profiles() {
        let profile = Profile::parse("demo", MINIMAL).expect("minimal profile");
        assert_eq!(profile.fullname.max, 63);
        assert_eq!(profile.service_name("demo").as_deref(), Some("demo"));
        assert!(!profile.has_metrics());
        assert_eq!(profile.values_schema(), None);

        let cases = [
            ("other", MINIMAL.to_owned(), "file name"),
            ("demo", format!("{MINIMAL}colour: blue\n"), "unknown field"),
            ("demo", MINIMAL.replace("1.2.3", "1.2.x"), "exact version"),
            ("demo", MINIMAL.replace("https://", "http://"), "https://"),
            (
                "demo",
                MINIMAL.replace("{fullname}", "{chart}"),
                "placeholder",
            ),
            (
                "demo",
                MINIMAL.replace("part: demo", "part: demo, fixed: demo"),
                "exactly one",
            ),
            (
                "demo",
                MINIMAL.replace("ports: { http: 80 }", "ports: { http: 0 }"),
                "1..=65535",
            ),
            (
                "demo",
                MINIMAL.replace("paths: {}", "paths: { service-monitor-labels: a.b }"),
                "metrics-enable",
            ),
            (
                "demo",
                format!("{MINIMAL}values: {{ a: \"{{host}}\" }}\n"),
                "placeholder",
            ),
            (
                "demo",
                format!("{MINIMAL}existing-secret: {{ keys: {{}} }}\n"),
                "exactly one of `path`",
            ),
        ];
        for (name, text, needle) in cases {
            match Profile::parse(name, &text) {
                Ok(_) => panic!("accepted a bad profile (expected `{needle}`):\n{text}"),
                Err(err) => assert!(
                    err.to_string().contains(needle),
                    "`{err}` does not mention `{needle}`"
                ),
            }
        }
    }
}
