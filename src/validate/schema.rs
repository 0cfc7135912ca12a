//! The embedded strict JSON Schemas (`stdlib/schemas/`, one per apiVersion
//! and kind platc emits) and their compiled validators. Takes a rendered
//! document, returns its schema errors as (path, message) pairs in
//! validate-out's wording. A validator is compiled once, on the first
//! document of its kind, and shared by every thread; nothing here reads
//! files or builds diagnostics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, PatternOptions, ValidationError, Validator};
use serde_json::Value as Json;

/// One embedded schema file.
struct Entry {
    api_version: &'static str,
    kind: &'static str,
    path: &'static str,
    text: &'static str,
}

macro_rules! schemas {
    ($(($api_version:literal, $kind:literal, $path:literal),)*) => {
        &[$(Entry {
            api_version: $api_version,
            kind: $kind,
            path: $path,
            text: include_str!(concat!("../../stdlib/schemas/", $path)),
        },)*]
    };
}

/// Sorted by (apiVersion, kind) for binary search; must match `stdlib/schemas/index.json`.
const ENTRIES: &[Entry] = schemas![
    (
        "apps/v1",
        "DaemonSet",
        "v1.32.0-standalone-strict/daemonset-apps-v1.json"
    ),
    (
        "apps/v1",
        "Deployment",
        "v1.32.0-standalone-strict/deployment-apps-v1.json"
    ),
    (
        "apps/v1",
        "StatefulSet",
        "v1.32.0-standalone-strict/statefulset-apps-v1.json"
    ),
    (
        "argoproj.io/v1alpha1",
        "AppProject",
        "argoproj.io/appproject_v1alpha1.json"
    ),
    (
        "argoproj.io/v1alpha1",
        "Application",
        "argoproj.io/application_v1alpha1.json"
    ),
    (
        "argoproj.io/v1alpha1",
        "ApplicationSet",
        "argoproj.io/applicationset_v1alpha1.json"
    ),
    (
        "autoscaling/v1",
        "HorizontalPodAutoscaler",
        "v1.32.0-standalone-strict/horizontalpodautoscaler-autoscaling-v1.json"
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "v1.32.0-standalone-strict/horizontalpodautoscaler-autoscaling-v2.json"
    ),
    (
        "batch/v1",
        "CronJob",
        "v1.32.0-standalone-strict/cronjob-batch-v1.json"
    ),
    (
        "batch/v1",
        "Job",
        "v1.32.0-standalone-strict/job-batch-v1.json"
    ),
    (
        "cert-manager.io/v1",
        "Certificate",
        "cert-manager.io/certificate_v1.json"
    ),
    (
        "cert-manager.io/v1",
        "ClusterIssuer",
        "cert-manager.io/clusterissuer_v1.json"
    ),
    (
        "cert-manager.io/v1",
        "Issuer",
        "cert-manager.io/issuer_v1.json"
    ),
    ("k3d.io/v1alpha5", "Simple", "k3d.io/simple_v1alpha5.json"),
    (
        "kafka.strimzi.io/v1",
        "Kafka",
        "kafka.strimzi.io/kafka_v1.json"
    ),
    (
        "kafka.strimzi.io/v1",
        "KafkaNodePool",
        "kafka.strimzi.io/kafkanodepool_v1.json"
    ),
    (
        "kafka.strimzi.io/v1",
        "KafkaTopic",
        "kafka.strimzi.io/kafkatopic_v1.json"
    ),
    (
        "kafka.strimzi.io/v1",
        "KafkaUser",
        "kafka.strimzi.io/kafkauser_v1.json"
    ),
    (
        "keda.sh/v1alpha1",
        "ClusterTriggerAuthentication",
        "keda.sh/clustertriggerauthentication_v1alpha1.json"
    ),
    (
        "keda.sh/v1alpha1",
        "ScaledJob",
        "keda.sh/scaledjob_v1alpha1.json"
    ),
    (
        "keda.sh/v1alpha1",
        "ScaledObject",
        "keda.sh/scaledobject_v1alpha1.json"
    ),
    (
        "keda.sh/v1alpha1",
        "TriggerAuthentication",
        "keda.sh/triggerauthentication_v1alpha1.json"
    ),
    (
        "kind.x-k8s.io/v1alpha4",
        "Cluster",
        "kind.x-k8s.io/cluster_v1alpha4.json"
    ),
    (
        "metallb.io/v1beta1",
        "IPAddressPool",
        "metallb.io/ipaddresspool_v1beta1.json"
    ),
    (
        "metallb.io/v1beta1",
        "L2Advertisement",
        "metallb.io/l2advertisement_v1beta1.json"
    ),
    (
        "monitoring.coreos.com/v1",
        "PodMonitor",
        "monitoring.coreos.com/podmonitor_v1.json"
    ),
    (
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        "monitoring.coreos.com/prometheusrule_v1.json"
    ),
    (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        "monitoring.coreos.com/servicemonitor_v1.json"
    ),
    (
        "networking.k8s.io/v1",
        "Ingress",
        "v1.32.0-standalone-strict/ingress-networking-v1.json"
    ),
    (
        "networking.k8s.io/v1",
        "IngressClass",
        "v1.32.0-standalone-strict/ingressclass-networking-v1.json"
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "v1.32.0-standalone-strict/networkpolicy-networking-v1.json"
    ),
    (
        "policy/v1",
        "PodDisruptionBudget",
        "v1.32.0-standalone-strict/poddisruptionbudget-policy-v1.json"
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "v1.32.0-standalone-strict/clusterrole-rbac-v1.json"
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "v1.32.0-standalone-strict/clusterrolebinding-rbac-v1.json"
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "Role",
        "v1.32.0-standalone-strict/role-rbac-v1.json"
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "v1.32.0-standalone-strict/rolebinding-rbac-v1.json"
    ),
    (
        "sparkoperator.k8s.io/v1beta2",
        "SparkApplication",
        "sparkoperator.k8s.io/sparkapplication_v1beta2.json"
    ),
    (
        "v1",
        "ConfigMap",
        "v1.32.0-standalone-strict/configmap-v1.json"
    ),
    (
        "v1",
        "LimitRange",
        "v1.32.0-standalone-strict/limitrange-v1.json"
    ),
    (
        "v1",
        "Namespace",
        "v1.32.0-standalone-strict/namespace-v1.json"
    ),
    (
        "v1",
        "PersistentVolumeClaim",
        "v1.32.0-standalone-strict/persistentvolumeclaim-v1.json"
    ),
    (
        "v1",
        "ResourceQuota",
        "v1.32.0-standalone-strict/resourcequota-v1.json"
    ),
    ("v1", "Secret", "v1.32.0-standalone-strict/secret-v1.json"),
    ("v1", "Service", "v1.32.0-standalone-strict/service-v1.json"),
    (
        "v1",
        "ServiceAccount",
        "v1.32.0-standalone-strict/serviceaccount-v1.json"
    ),
];

/// A schema's validator, built on first use.
struct Compiled {
    validator: Validator,
}

/// One slot per entry of `ENTRIES`, filled on the first use of that schema.
static PARSED: [OnceLock<Result<Json, String>>; ENTRIES.len()] =
    [const { OnceLock::new() }; ENTRIES.len()];

/// One slot per entry of `ENTRIES`, filled on the first document of that
/// kind (of a large schema: on the first invalid one).
static COMPILED: [OnceLock<Result<Compiled, String>>; ENTRIES.len()] =
    [const { OnceLock::new() }; ENTRIES.len()];

/// Schemas longer than this (bytes of JSON) are compiled whole only to
/// describe an invalid document; whether a document is valid is decided by
/// the parts of the schema it reaches (`prune`). Argo CD's ApplicationSet
/// (394 kB, its nested generators repeated) took 41 ms to compile for the
/// two or three documents of a platform; the next largest schema,
/// SparkApplication, is 113 kB.
const PRUNE_ABOVE: usize = 200_000;

/// Documents of one large schema checked pruned (~0.2 ms each for an
/// ApplicationSet) before the whole schema is compiled for the rest: many
/// ApplicationSets declared as `resource`s cost at most a compilation more.
const PRUNED_AT_MOST: usize = 64;

/// Documents checked pruned so far, per entry of `ENTRIES`.
static PRUNED: [AtomicUsize; ENTRIES.len()] = [const { AtomicUsize::new(0) }; ENTRIES.len()];

/// At most this many errors are reported per document.
const MAX_ERRORS: usize = 50;

/// Longer messages are cut (enum lists of big CRDs can be huge).
const MAX_MESSAGE: usize = 300;

/// controller-gen's quantity pattern, worded specially in messages.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// A handle on one embedded schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Schema(usize);

/// One schema violation: where (`.spec.replicas`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub path: String,
    pub message: String,
}

impl Schema {
    /// The schema for `apiVersion` + `kind`, if platc embeds one.
    pub fn find(api_version: &str, kind: &str) -> Option<Schema> {
        ENTRIES
            .binary_search_by(|e| (e.api_version, e.kind).cmp(&(api_version, kind)))
            .ok()
            .map(Schema)
    }

    /// Every embedded schema, sorted by (apiVersion, kind).
    pub fn all() -> impl Iterator<Item = Schema> {
        (0..ENTRIES.len()).map(Schema)
    }

    /// `apps/v1`.
    pub fn api_version(self) -> &'static str {
        ENTRIES[self.0].api_version
    }

    /// `Deployment`.
    pub fn kind(self) -> &'static str {
        ENTRIES[self.0].kind
    }

    /// The file under `stdlib/schemas/`.
    pub fn path(self) -> &'static str {
        ENTRIES[self.0].path
    }

    /// Compiles the validator now if it is not yet (tests and warm-up).
    ///
    /// # Errors
    /// When the embedded schema does not parse or compile (a platc bug).
    pub fn compile(self) -> Result<(), String> {
        self.compiled().map(|_| ()).map_err(str::to_string)
    }

    /// True when `value` satisfies the schema (the fast path: no error is built).
    ///
    /// # Errors
    /// When the embedded schema does not compile (a platc bug).
    pub fn is_valid(self, value: &Json) -> Result<bool, String> {
        if self.is_large()
            && COMPILED[self.0].get().is_none()
            && PRUNED[self.0].fetch_add(1, Ordering::Relaxed) < PRUNED_AT_MOST
        {
            let pruned = prune(self.parsed()?, &Keys::of(value));
            let validator = build(&pruned).map_err(|e| {
                format!(
                    "embedded schema `{}` does not compile once pruned: {e}",
                    self.path()
                )
            })?;
            return Ok(validator.is_valid(value));
        }
        Ok(self.compiled()?.validator.is_valid(value))
    }

    /// Every violation in `value` (empty when valid), at most 50 and one per
    /// unknown or missing field.
    ///
    /// # Errors
    /// When the embedded schema does not compile (a platc bug).
    pub fn check(self, value: &Json) -> Result<Vec<SchemaError>, String> {
        if self.is_valid(value)? {
            return Ok(Vec::new());
        }
        let (compiled, schema) = (self.compiled()?, self.parsed()?);
        let mut out: Vec<SchemaError> = Vec::new();
        for error in compiled.validator.iter_errors(value) {
            for item in describe_error(&error, value, schema) {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            if out.len() >= MAX_ERRORS {
                out.truncate(MAX_ERRORS);
                break;
            }
        }
        // By path, so that a document's errors read from top to bottom.
        out.sort_by(|a, b| a.path.cmp(&b.path));
        if out.len() >= MAX_ERRORS {
            out.push(SchemaError {
                path: ".".into(),
                message: "... more errors suppressed".into(),
            });
        }
        Ok(out)
    }

    fn compiled(self) -> Result<&'static Compiled, &'static str> {
        COMPILED[self.0]
            .get_or_init(|| {
                let validator = build(self.parsed()?).map_err(|e| {
                    format!("embedded schema `{}` does not compile: {e}", self.path())
                })?;
                Ok(Compiled { validator })
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The schema as JSON, parsed on first use.
    fn parsed(self) -> Result<&'static Json, &'static str> {
        PARSED[self.0]
            .get_or_init(|| {
                let entry = &ENTRIES[self.0];
                serde_json::from_str(entry.text)
                    .map_err(|e| format!("embedded schema `{}` is not JSON: {e}", entry.path))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// True when valid documents are checked pruned (`PRUNE_ABOVE`).
    fn is_large(self) -> bool {
        ENTRIES[self.0].text.len() > PRUNE_ABOVE
    }

    /// Compiles what the first document of this kind needs, in advance: the
    /// validator, or for a large schema only the parsed JSON.
    fn warm(self) {
        if self.is_large() {
            let _ = self.parsed();
        } else {
            let _ = self.compiled();
        }
    }
}

/// Compiles the schemas of `kinds` (apiVersion, kind) now, on all cores, so
/// that their first use does not wait for them. Unknown kinds are skipped;
/// a schema that does not compile is reported at its first use.
pub fn prewarm(kinds: &[(&str, &str)]) {
    use rayon::prelude::*;
    kinds.par_iter().for_each(|(api_version, kind)| {
        if let Some(schema) = Schema::find(api_version, kind) {
            schema.warm();
        }
    });
}

/// The apiVersions that have a schema for `kind` in `group` ("" for core), for hints.
pub fn versions_of(group: &str, kind: &str) -> Vec<&'static str> {
    ENTRIES
        .iter()
        .filter(|e| e.kind == kind && group_of(e.api_version) == group)
        .map(|e| e.api_version)
        .collect()
}

/// True when some embedded schema belongs to API `group` ("" for core).
pub fn knows_group(group: &str) -> bool {
    ENTRIES.iter().any(|e| group_of(e.api_version) == group)
}

/// The API group of an apiVersion: `apps` for `apps/v1`, "" for `v1`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The validator of `schema`, with the options every embedded schema is compiled with.
fn build(schema: &Json) -> Result<Validator, ValidationError<'static>> {
    jsonschema::options()
        .with_pattern_options(PatternOptions::regex())
        .should_validate_formats(true)
        .with_format("byte", is_base64)
        .build(schema)
}

/// The field names a document has at each place, arrays merged into the
/// place that holds them: `generators` holds the keys of every generator.
#[derive(Debug, Default)]
struct Keys<'a>(BTreeMap<&'a str, Keys<'a>>);

impl<'a> Keys<'a> {
    fn of(value: &'a Json) -> Self {
        let mut keys = Keys::default();
        keys.add(value);
        keys
    }

    fn add(&mut self, value: &'a Json) {
        match value {
            Json::Object(map) => {
                for (name, field) in map {
                    self.0.entry(name.as_str()).or_default().add(field);
                }
            }
            Json::Array(items) => {
                for item in items {
                    self.add(item);
                }
            }
            _ => {}
        }
    }
}

/// `schema` without the `properties` that the document has no field for,
/// at any depth reached through `properties`, `items`, `not` and the
/// `allOf`/`anyOf`/`oneOf` branches. A document is valid against the result
/// exactly when it is valid against `schema`: a subschema of an absent field
/// is never applied, `required` and `additionalProperties` are kept (the
/// fields present are in `properties` as before), and everything else
/// (`$defs`, `additionalProperties` schemas, `patternProperties`) is kept
/// whole.
fn prune(schema: &Json, keys: &Keys<'_>) -> Json {
    let Json::Object(map) = schema else {
        return schema.clone();
    };
    let pruned = map.iter().map(|(keyword, sub)| {
        let sub = match (keyword.as_str(), sub) {
            ("properties", Json::Object(properties)) => Json::Object(
                properties
                    .iter()
                    .filter_map(|(name, property)| {
                        let keys = keys.0.get(name.as_str())?;
                        Some((name.clone(), prune(property, keys)))
                    })
                    .collect(),
            ),
            ("items" | "not", Json::Object(_)) => prune(sub, keys),
            ("allOf" | "anyOf" | "oneOf", Json::Array(branches)) => {
                Json::Array(branches.iter().map(|branch| prune(branch, keys)).collect())
            }
            _ => sub.clone(),
        };
        (keyword.clone(), sub)
    });
    Json::Object(pruned.collect())
}

/// OpenAPI `format: byte`: standard base64 with padding.
fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    padding <= 2
        && bytes[..bytes.len() - padding]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// Turns one validator error into validate-out style items: unknown and
/// missing fields are reported one per field, at the field's own path.
fn describe_error(error: &ValidationError<'_>, document: &Json, schema: &Json) -> Vec<SchemaError> {
    let pointer = error.instance_path().as_str();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let allowed = allowed_fields(error, schema);
            unexpected
                .iter()
                .map(|field| {
                    let mut message = format!("unknown field {}", quote(field));
                    let candidates = allowed.iter().map(String::as_str);
                    if let Some(close) = crate::resolve::suggest::closest(field, candidates) {
                        message.push_str(&format!(" (did you mean {}?)", quote(close)));
                    }
                    SchemaError {
                        path: path_with(document, pointer, field),
                        message,
                    }
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let field = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            vec![SchemaError {
                path: path_with(document, pointer, &field),
                message: format!("missing required field {}", quote(&field)),
            }]
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let keyword = error.kind().keyword();
            let branches: Vec<&ValidationError<'static>> = context.iter().flatten().collect();
            let best = branches
                .iter()
                .find(|e| !matches!(e.kind(), ValidationErrorKind::Type { .. }))
                .or_else(|| branches.first());
            let message = match best {
                Some(best) => {
                    let mut message = format!("{keyword} failed: {}", describe(best));
                    let inner = best.instance_path().as_str();
                    if inner != pointer {
                        message.push_str(&format!(" (at {})", json_path(document, inner)));
                    }
                    message
                }
                None => error.to_string(),
            };
            vec![SchemaError {
                path: json_path(document, pointer),
                message: cut(message),
            }]
        }
        _ => vec![SchemaError {
            path: json_path(document, pointer),
            message: cut(describe(error)),
        }],
    }
}

/// The message for one error, without its path.
fn describe(error: &ValidationError<'_>) -> String {
    let instance = error.instance();
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let wanted = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => {
                    // "integer or null", the way the schemas list them.
                    let (null, others): (Vec<JsonType>, Vec<JsonType>) =
                        set.iter().partition(|t| *t == JsonType::Null);
                    let names: Vec<String> = others
                        .iter()
                        .chain(&null)
                        .map(ToString::to_string)
                        .collect();
                    names.join(" or ")
                }
            };
            if instance.is_null() {
                format!(
                    "expected {wanted}, got null (the API server drops null fields of custom \
                     resources; omit the field instead)"
                )
            } else {
                format!(
                    "expected {wanted}, got {} {}",
                    type_name(instance),
                    short(instance, 60)
                )
            }
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid {format}", short(instance, 60))
        }
        ValidationErrorKind::Pattern { pattern } if pattern == QUANTITY_PATTERN => format!(
            "{} is not a valid Kubernetes quantity (e.g. 512Mi, 1Gi, 250m, 0.5)",
            short(instance, 60)
        ),
        ValidationErrorKind::Pattern { pattern } if pattern.len() > 80 => {
            format!(
                "{} does not match the required pattern",
                short(instance, 60)
            )
        }
        ValidationErrorKind::Enum { options } => {
            format!(
                "{} is not one of {}",
                short(instance, 60),
                short(options, 200)
            )
        }
        ValidationErrorKind::Required { property } => {
            format!("missing required field {}", short(property, 80))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let fields: Vec<String> = unexpected.iter().map(|f| quote(f)).collect();
            format!("unknown field {}", fields.join(", "))
        }
        _ => error.to_string(),
    }
}

/// The field names allowed where an `additionalProperties: false` failed:
/// the `properties` next to the failing keyword (its schema path is the
/// location inside the schema document, `$ref`s already followed).
fn allowed_fields(error: &ValidationError<'_>, schema: &Json) -> Vec<String> {
    error
        .schema_path()
        .as_str()
        .rsplit_once('/')
        .and_then(|(parent, _)| schema.pointer(parent))
        .and_then(|node| node.get("properties"))
        .and_then(Json::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// validate-out's path form of a JSON pointer into `document`:
/// `.spec.template.spec.containers[0].image`, `.data["a/b"]`, `.` for the root.
pub fn json_path(document: &Json, pointer: &str) -> String {
    let mut out = String::new();
    let mut current = Some(document);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let index = match current {
            Some(Json::Array(items)) => segment.parse::<usize>().ok().map(|i| (i, items.get(i))),
            _ => None,
        };
        match index {
            Some((i, next)) => {
                out.push_str(&format!("[{i}]"));
                current = next;
            }
            None => {
                push_field(&mut out, &segment);
                current = current.and_then(|c| c.get(&segment));
            }
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The path of `field` inside the object at `pointer`.
fn path_with(document: &Json, pointer: &str, field: &str) -> String {
    let mut path = json_path(document, pointer);
    if path == "." {
        path.clear();
    }
    push_field(&mut path, field);
    path
}

fn push_field(out: &mut String, field: &str) {
    let simple = field
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-');
    if simple {
        out.push('.');
        out.push_str(field);
    } else {
        out.push('[');
        out.push_str(&quote(field));
        out.push(']');
    }
}

fn quote(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Compact JSON of `value`, cut to about `limit` characters.
fn short(value: &Json, limit: usize) -> String {
    let text = value.to_string();
    if text.chars().count() <= limit {
        return text;
    }
    let cut: String = text.chars().take(limit.saturating_sub(3)).collect();
    cut + "..."
}

fn cut(message: String) -> String {
    if message.chars().count() <= MAX_MESSAGE {
        return message;
    }
    let cut: String = message.chars().take(MAX_MESSAGE - 3).collect();
    cut + "..."
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_is_sorted_for_binary_search() {
        let keys: Vec<_> = ENTRIES.iter().map(|e| (e.api_version, e.kind)).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn table_matches_index_json() {
        let index: Json =
            serde_json::from_str(include_str!("../../stdlib/schemas/index.json")).unwrap();
        let index = index["index"].as_object().unwrap();
        assert_eq!(index.len(), ENTRIES.len());
        for entry in ENTRIES {
            let key = format!("{}/{}", entry.api_version, entry.kind);
            assert_eq!(index[&key], json!(entry.path), "{key}");
        }
    }

    #[test]
    fn json_paths_use_brackets_for_indices_and_odd_keys() {
        let doc = json!({"spec": {"containers": [{"image": "x"}]}, "data": {"a/b": 1}});
        assert_eq!(
            json_path(&doc, "/spec/containers/0/image"),
            ".spec.containers[0].image"
        );
        assert_eq!(json_path(&doc, "/data/a~1b"), r#".data["a/b"]"#);
        assert_eq!(json_path(&doc, ""), ".");
    }

    /// An ApplicationSet as platc writes it, with `edit` applied to it.
    fn application_set(edit: impl FnOnce(&mut Json)) -> Json {
        let mut doc = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {"name": "shop-apps", "namespace": "argocd", "labels": {"a": "b"}},
            "spec": {
                "goTemplate": true,
                "goTemplateOptions": ["missingkey=error"],
                "generators": [{"list": {"elements": [
                    {"name": "cluster", "path": "shop/cluster/base", "wave": "-2"},
                    {"name": "web", "path": "shop/apps/web/base", "wave": "0"}
                ]}}],
                "template": {
                    "metadata": {"name": "{{.name}}", "annotations": {"argocd.argoproj.io/sync-wave": "{{.wave}}"}},
                    "spec": {
                        "project": "shop",
                        "source": {"repoURL": "https://git.example.com/shop.git", "targetRevision": "main", "path": "{{.path}}"},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{.name}}"},
                        "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}
                    }
                }
            }
        });
        edit(&mut doc);
        doc
    }

    #[test]
    fn a_pruned_schema_judges_documents_as_the_whole_one_does() {
        let schema = Schema::find("argoproj.io/v1alpha1", "ApplicationSet").unwrap();
        assert!(schema.is_large());
        let whole = build(schema.parsed().unwrap()).unwrap();
        let matrix = json!({"matrix": {"generators": [
            {"list": {"elements": [{"a": "1"}]}},
            {"git": {"repoURL": "https://git.example.com/x.git", "revision": "main",
                     "directories": [{"path": "apps/*"}]}}
        ]}});
        let cases: Vec<(&str, Json)> = vec![
            ("as written", application_set(|_| {})),
            (
                "a matrix generator",
                application_set(|d| d["spec"]["generators"] = json!([matrix.clone()])),
            ),
            (
                "an unknown generator field",
                application_set(|d| d["spec"]["generators"][0]["lists"] = json!({})),
            ),
            (
                "an unknown field in a nested generator",
                application_set(|d| {
                    let mut bad = matrix.clone();
                    bad["matrix"]["generators"][1]["git"]["branch"] = json!("main");
                    d["spec"]["generators"] = json!([bad]);
                }),
            ),
            (
                "a git generator without its repository",
                application_set(|d| {
                    let mut bad = matrix.clone();
                    bad["matrix"]["generators"][1]["git"]
                        .as_object_mut()
                        .unwrap()
                        .remove("repoURL");
                    d["spec"]["generators"] = json!([bad]);
                }),
            ),
            (
                "a number for a string",
                application_set(|d| d["spec"]["template"]["spec"]["project"] = json!(3)),
            ),
            (
                "no template",
                application_set(|d| {
                    d["spec"].as_object_mut().unwrap().remove("template");
                }),
            ),
            (
                "no source repository",
                application_set(|d| {
                    d["spec"]["template"]["spec"]["source"]
                        .as_object_mut()
                        .unwrap()
                        .remove("repoURL");
                }),
            ),
            (
                "an unknown top-level field",
                application_set(|d| d["extra"] = json!(1)),
            ),
            (
                "a status",
                application_set(|d| d["status"] = json!({"conditions": [{"type": "x"}]})),
            ),
            (
                "an array for the spec",
                application_set(|d| d["spec"] = json!([{"generators": []}])),
            ),
            (
                "a bad owner reference",
                application_set(|d| d["metadata"]["ownerReferences"] = json!([{"uid": "u"}])),
            ),
        ];
        let mut verdicts = Vec::new();
        for (what, doc) in &cases {
            let pruned = build(&prune(schema.parsed().unwrap(), &Keys::of(doc))).unwrap();
            assert_eq!(pruned.is_valid(doc), whole.is_valid(doc), "{what}");
            assert_eq!(schema.is_valid(doc).unwrap(), whole.is_valid(doc), "{what}");
            verdicts.push(whole.is_valid(doc));
        }
        // Both verdicts occur: the cases test something.
        assert_eq!(verdicts.iter().filter(|v| **v).count(), 2, "{verdicts:?}");
    }

    #[test]
    fn many_documents_of_a_large_schema_compile_it_whole_once() {
        let schema = Schema::find("argoproj.io/v1alpha1", "ApplicationSet").unwrap();
        let valid = application_set(|_| {});
        let invalid = application_set(|d| d["extra"] = json!(1));
        for _ in 0..=PRUNED_AT_MOST {
            assert!(schema.is_valid(&valid).unwrap());
            assert!(!schema.is_valid(&invalid).unwrap());
        }
        assert!(COMPILED[schema.0].get().is_some());
        assert!(schema.is_valid(&valid).unwrap());
        assert!(!schema.is_valid(&invalid).unwrap());
    }

    #[test]
    fn pruning_keeps_only_the_fields_a_document_has() {
        let schema = json!({
            "type": "object",
            "required": ["a"],
            "additionalProperties": false,
            "properties": {
                "a": {"type": "array", "items": {"properties": {"x": {"type": "string"}, "y": {"type": "string"}}}},
                "b": {"anyOf": [{"properties": {"z": {"type": "string"}}}]},
                "c": {"type": "string"}
            },
            "$defs": {"d": {"properties": {"q": {"type": "string"}}}}
        });
        let doc = json!({"a": [{"x": "1"}, {"y": "2"}, 3]});
        let pruned = prune(&schema, &Keys::of(&doc));
        assert_eq!(
            pruned,
            json!({
                "type": "object",
                "required": ["a"],
                "additionalProperties": false,
                "properties": {
                    "a": {"type": "array", "items": {"properties": {"x": {"type": "string"}, "y": {"type": "string"}}}}
                },
                "$defs": {"d": {"properties": {"q": {"type": "string"}}}}
            })
        );
    }

    #[test]
    fn a_large_schema_still_names_what_is_wrong() {
        let schema = Schema::find("argoproj.io/v1alpha1", "ApplicationSet").unwrap();
        let errors = schema
            .check(&application_set(|d| {
                d["spec"]["generators"][0]["lists"] = json!({})
            }))
            .unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, ".spec.generators[0].lists");
        assert!(errors[0].message.contains("lists"), "{errors:?}");
        assert!(schema.check(&application_set(|_| {})).unwrap().is_empty());
    }

    #[test]
    fn base64_format_accepts_padding_only_at_the_end() {
        assert!(is_base64("aGVsbG8="));
        assert!(is_base64(""));
        assert!(!is_base64("aGVsbG8"));
        assert!(!is_base64("a=Vs"));
    }
}
