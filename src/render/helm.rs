//! Helm values per chart: `charts/<chart>/values.yaml` from the base view and
//! `charts/<chart>/values-<env>.yaml` holding only what an environment
//! changes. The platform words of a `chart` declaration (`nodepool`,
//! `resources`, `storage`, `metrics`, `ingress`) are written at the value
//! paths its stdlib profile names, after the profile's always-set `values`;
//! the user's `values` tree is deep-merged last and wins. A chart without a
//! profile gets only the user's values. Two checks live here because they
//! need the rendered trees: charts left generating random secrets
//! ([`random_secret_warnings`]) and the chart's own `values.schema.json`
//! applied to chart defaults + rendered values, as Helm does
//! ([`values_schema_errors`]). Every tree is sorted by key before it is added
//! to the bundle.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::profile::{self, Discovery, IngressStyle, Profile, ValuePath};

use super::Bundle;

/// Default `values.yaml` of every chart that ships a `values.schema.json`, by
/// profile name: Helm validates chart defaults + user values, so the schema
/// check needs them.
const DEFAULT_VALUES: &[(&str, &str)] = &[
    (
        "cert-manager",
        include_str!("../../stdlib/charts/cert-manager/values.yaml"),
    ),
    (
        "clickhouse-operator-altinity",
        include_str!("../../stdlib/charts/clickhouse-operator-altinity/values.yaml"),
    ),
    (
        "metallb",
        include_str!("../../stdlib/charts/metallb/values.yaml"),
    ),
    (
        "postgresql",
        include_str!("../../stdlib/charts/postgresql/values.yaml"),
    ),
    (
        "prefect-server",
        include_str!("../../stdlib/charts/prefect-server/values.yaml"),
    ),
    (
        "prefect-worker",
        include_str!("../../stdlib/charts/prefect-worker/values.yaml"),
    ),
    (
        "prometheus",
        include_str!("../../stdlib/charts/prometheus/values.yaml"),
    ),
    (
        "prometheus-prefect-exporter",
        include_str!("../../stdlib/charts/prometheus-prefect-exporter/values.yaml"),
    ),
    (
        "redis",
        include_str!("../../stdlib/charts/redis/values.yaml"),
    ),
    (
        "reloader",
        include_str!("../../stdlib/charts/reloader/values.yaml"),
    ),
    (
        "traefik",
        include_str!("../../stdlib/charts/traefik/values.yaml"),
    ),
];

/// The annotation that makes cert-manager issue the Ingress certificate.
const CLUSTER_ISSUER_ANNOTATION: &str = "cert-manager.io/cluster-issuer";

/// Longest schema error text kept in a diagnostic (some errors quote whole
/// subtrees).
const MAX_ERROR_TEXT: usize = 300;

/// Renders `charts/<chart>/values.yaml` for every chart of the base view and
/// `charts/<chart>/values-<env>.yaml` for every env whose values differ.
pub(crate) fn render(
    base: &ir::Platform,
    views: &BTreeMap<Option<String>, ir::Platform>,
    bundle: &mut Bundle,
) {
    for chart in base.charts.values() {
        let values = chart_values(base, chart);
        for (env, overlay) in env_overlays(&values, chart, views) {
            bundle.add(
                format!("charts/{}/values-{env}.yaml", chart.name),
                Json::Object(overlay),
                Some(chart.origin),
            );
        }
        bundle.add(
            format!("charts/{}/values.yaml", chart.name),
            values,
            Some(chart.origin),
        );
    }
}

/// `platc::random-secret` warnings: charts of the base view whose profile
/// lists `random-secrets` and whose rendered values set none of the paths that
/// would stop the chart from generating a new value on every render.
// Called from `pipeline.rs`; the allow only bridges the time until it is wired.
pub(crate) fn random_secret_warnings(base: &ir::Platform) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for chart in base.charts.values() {
        let Some(profile) = chart_profile(chart) else {
            continue;
        };
        if profile.random_secrets.is_empty() {
            continue;
        }
        let values = chart_values(base, chart);
        for random in &profile.random_secrets {
            let paths = random.unless_set.as_slice();
            if paths
                .iter()
                .any(|path| is_set(&values, path) || is_switched_off(&values, path))
            {
                continue;
            }
            let Some(first) = paths.first() else {
                continue;
            };
            let listed = paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                Diagnostic::new(
                    Code::RandomSecret,
                    format!(
                        "chart `{}` is left generating random secrets: {}",
                        chart.name, random.what
                    ),
                    chart.origin,
                    format!("sets none of {listed}"),
                )
                .with_help(random_secret_help(chart, profile, first)),
            );
        }
    }
    out
}

/// `platc::schema` errors: each chart's complete values (chart defaults,
/// then the rendered base values, then each env's overlay) checked against the
/// chart's own `values.schema.json`, as `helm template` does.
// Called from `pipeline.rs`; the allow only bridges the time until it is wired.
pub(crate) fn values_schema_errors(
    base: &ir::Platform,
    views: &BTreeMap<Option<String>, ir::Platform>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for chart in base.charts.values() {
        let Some(profile) = chart_profile(chart) else {
            continue;
        };
        let Some(validator) = schema_validator(profile) else {
            continue;
        };
        let defaults = default_values(&profile.name).unwrap_or_default();
        let values = chart_values(base, chart);
        let base_errors = schema_problems(&validator, &defaults, &values);
        for (path, text) in &base_errors {
            out.push(schema_diagnostic(chart, None, path, text));
        }
        for (env, overlay) in env_overlays(&values, chart, views) {
            let mut merged = values.clone();
            merge_value_files(&mut merged, &Json::Object(overlay));
            for (path, text) in schema_problems(&validator, &defaults, &merged) {
                if !base_errors.contains(&(path.clone(), text.clone())) {
                    out.push(schema_diagnostic(chart, Some(&env), &path, &text));
                }
            }
        }
    }
    out
}

/// The profile of a chart, if it names one.
fn chart_profile(chart: &ir::Chart) -> Option<&'static Profile> {
    chart
        .profile
        .as_deref()
        .and_then(|name| profile::builtin().get(name))
}

/// For every env view holding `chart`: the Helm-mergeable difference between
/// its values and the base `values`, when there is one.
fn env_overlays(
    values: &Json,
    chart: &ir::Chart,
    views: &BTreeMap<Option<String>, ir::Platform>,
) -> Vec<(String, Map<String, Json>)> {
    let empty = Map::new();
    let base_map = values.as_object().unwrap_or(&empty);
    views
        .iter()
        .filter_map(|(env, view)| {
            let env = env.as_deref()?;
            let env_chart = view.charts.get(&chart.name)?;
            let env_values = chart_values(view, env_chart);
            let overlay = diff(base_map, env_values.as_object().unwrap_or(&empty));
            (!overlay.is_empty()).then(|| (env.to_owned(), overlay))
        })
        .collect()
}

/// The complete values of one chart in one view, keys sorted.
fn chart_values(view: &ir::Platform, chart: &ir::Chart) -> Json {
    let mut tree = Json::Object(Map::new());
    if let Some(profile) = chart_profile(chart) {
        platform_values(view, chart, profile, &mut tree);
    }
    merge_user_values(&mut tree, &chart.values);
    sorted(tree)
}

/// Everything the profile maps, in order: always-set values, node pool,
/// resources, storage, metrics, ingress.
fn platform_values(view: &ir::Platform, chart: &ir::Chart, profile: &Profile, tree: &mut Json) {
    let names = Names::new(view, chart, profile);
    for (path, value) in &profile.values {
        set_expanded(tree, path, value, |p| names.lookup(p));
    }
    let paths = &profile.paths;
    if let Some(pool) = chart
        .nodepool
        .as_deref()
        .and_then(|p| view.nodepools.get(p))
    {
        let selector = json!({ view.settings.nodepool_label.clone(): pool.name });
        for path in &paths.node_selector {
            set(tree, path.segments(), selector.clone());
        }
        if !pool.taints.is_empty() {
            let tolerations = Json::Array(pool.taints.iter().map(toleration).collect());
            for path in &paths.tolerations {
                set(tree, path.segments(), tolerations.clone());
            }
        }
    }
    if let Some(resources) = resources_value(&chart.resources) {
        for path in &paths.resources {
            set(tree, path.segments(), resources.clone());
        }
    }
    if let Some(size) = &chart.storage {
        if !paths.storage.is_empty() {
            for path in &paths.storage {
                set(tree, path.segments(), Json::String(size.text.clone()));
            }
            for (path, value) in &profile.storage_values {
                set_expanded(tree, path, value, |p| names.lookup(p));
            }
        }
    }
    if chart.metrics {
        if let Some(enable) = &paths.metrics_enable {
            for path in enable {
                set(tree, path.segments(), Json::Bool(true));
            }
            for (path, value) in &profile.metrics_values {
                set_expanded(tree, path, value, |p| names.lookup(p));
            }
            let labels = monitor_labels(view);
            if !labels.is_empty() {
                let map: Map<String, Json> = labels
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                    .collect();
                for path in &paths.service_monitor_labels {
                    set(tree, path.segments(), Json::Object(map.clone()));
                }
            }
            if let Some(release) = labels.get("release") {
                for path in &paths.service_monitor_release {
                    set(tree, path.segments(), Json::String(release.clone()));
                }
            }
        }
    }
    if let (Some(ingress), Some(shape)) = (&chart.ingress, &profile.ingress) {
        ingress_values(
            chart,
            ingress,
            shape.style,
            shape.prefix.segments(),
            &shape.class_key,
            tree,
        );
        let url = if ingress.tls.is_some() {
            format!("https://{}", ingress.host)
        } else {
            format!("http://{}", ingress.host)
        };
        for (path, value) in &shape.values {
            set_expanded(tree, path, value, |p| match p {
                "host" => Some(ingress.host.clone()),
                "url" => Some(url.clone()),
                other => names.lookup(other),
            });
        }
    }
}

/// The value placeholders of one chart (`stdlib/profiles/README.md`).
struct Names<'a> {
    chart: &'a ir::Chart,
    profile: &'a Profile,
    /// Service account and namespace of the platform's Prometheus.
    prometheus: Option<(String, String)>,
}

impl<'a> Names<'a> {
    fn new(view: &ir::Platform, chart: &'a ir::Chart, profile: &'a Profile) -> Self {
        let prometheus = view.charts.values().find_map(|prom| {
            let prom_profile = chart_profile(prom)?;
            let account = prom_profile.prometheus.as_ref()?.service_account.as_ref()?;
            Some((
                prom_profile.expand_name(account, &prom.name),
                prom.namespace.clone(),
            ))
        });
        Self {
            chart,
            profile,
            prometheus,
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "release" => Some(self.chart.name.clone()),
            "fullname" => Some(self.profile.fullname(&self.chart.name)),
            "namespace" => Some(self.chart.namespace.clone()),
            "prometheus-service-account" => self.prometheus.as_ref().map(|p| p.0.clone()),
            "prometheus-namespace" => self.prometheus.as_ref().map(|p| p.1.clone()),
            _ => None,
        }
    }
}

/// The labels a ServiceMonitor/PodMonitor needs to be picked up by every
/// operator-based Prometheus of the platform (first chart by name wins a key).
fn monitor_labels(view: &ir::Platform) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for prom in view.charts.values() {
        let Some(prom_profile) = chart_profile(prom) else {
            continue;
        };
        let Some(info) = &prom_profile.prometheus else {
            continue;
        };
        if info.discovery != Discovery::ServiceMonitor {
            continue;
        }
        for (key, pattern) in &info.service_monitor_label {
            labels
                .entry(key.clone())
                .or_insert_with(|| prom_profile.expand_name(pattern, &prom.name));
        }
    }
    labels
}

/// A pool taint as a toleration.
fn toleration(taint: &ir::Taint) -> Json {
    match &taint.value {
        Some(value) => json!({
            "key": taint.key,
            "operator": "Equal",
            "value": value,
            "effect": taint.effect,
        }),
        None => json!({ "key": taint.key, "operator": "Exists", "effect": taint.effect }),
    }
}

/// `{requests: {cpu, memory}, limits: {cpu, memory}}` with what is declared.
fn resources_value(resources: &ir::Resources) -> Option<Json> {
    if resources.cpu.is_none() && resources.memory.is_none() {
        return None;
    }
    let mut requests = Map::new();
    let mut limits = Map::new();
    if let Some(cpu) = &resources.cpu {
        requests.insert("cpu".to_owned(), Json::String(cpu.request.quantity()));
        limits.insert("cpu".to_owned(), Json::String(cpu.limit.quantity()));
    }
    if let Some(memory) = &resources.memory {
        requests.insert(
            "memory".to_owned(),
            Json::String(memory.request.text.clone()),
        );
        limits.insert("memory".to_owned(), Json::String(memory.limit.text.clone()));
    }
    Some(json!({ "requests": requests, "limits": limits }))
}

/// The ingress block in the chart's style. Bool-TLS styles (`bitnami`,
/// `prefect`) let the chart name the Secret (`<hostname>-tls`, argo-cd
/// `argocd-server-tls`), which it writes only because the cert-manager
/// annotation is present; list styles and kafka-ui get `<chart>-tls`.
fn ingress_values(
    chart: &ir::Chart,
    ingress: &ir::Ingress,
    style: IngressStyle,
    prefix: &[String],
    class_key: &str,
    tree: &mut Json,
) {
    let mut put = |rest: &str, value: Json| {
        let mut segments = prefix.to_vec();
        segments.extend(rest.split('.').map(str::to_owned));
        set(tree, &segments, value);
    };
    let host = Json::String(ingress.host.clone());
    let path = Json::String(ingress.path.clone());
    let prefix_type = Json::String("Prefix".to_owned());
    let secret = format!("{}-tls", chart.name);
    let tls_list = json!([{ "secretName": secret, "hosts": [ingress.host] }]);
    put("enabled", Json::Bool(true));
    if let Some(class) = &ingress.class {
        put(class_key, Json::String(class.clone()));
    }
    if let Some(issuer) = &ingress.tls {
        put("annotations", json!({ CLUSTER_ISSUER_ANNOTATION: issuer }));
    }
    let tls = ingress.tls.is_some();
    match style {
        IngressStyle::Bitnami => {
            put("hostname", host);
            put("path", path);
            put("pathType", prefix_type);
            put("tls", Json::Bool(tls));
        }
        IngressStyle::Prefect => {
            put("host.hostname", host);
            put("host.path", path);
            put("host.pathType", prefix_type);
            put("tls", Json::Bool(tls));
        }
        IngressStyle::HostsStrings => {
            put("hosts", json!([host]));
            put("path", path);
            put("pathType", prefix_type);
            if tls {
                put("tls", tls_list);
            }
        }
        IngressStyle::HostsStringsPaths => {
            put("hosts", json!([host]));
            put("paths", json!([path]));
            put("pathType", prefix_type);
            if tls {
                put("tls", tls_list);
            }
        }
        IngressStyle::HostObjects => {
            put(
                "hosts",
                json!([{ "host": host, "paths": [{ "path": path, "pathType": prefix_type }] }]),
            );
            if tls {
                put("tls", tls_list);
            }
        }
        IngressStyle::HostList => {
            // The chart always routes `/` (Prefix): `path` has no key here.
            put("hosts", json!([{ "host": host }]));
            if tls {
                put("tls", tls_list);
            }
        }
        IngressStyle::KafkaUi => {
            put("host", host);
            put("path", path);
            put("pathType", prefix_type);
            if tls {
                put("tls.enabled", Json::Bool(true));
                put("tls.secretName", Json::String(secret));
            }
        }
    }
}

/// Sets `path` to `value` with its placeholders expanded; a value whose
/// placeholder has no meaning here (no Prometheus declared) is left out, so
/// the chart default stays.
fn set_expanded(
    tree: &mut Json,
    path: &ValuePath,
    value: &Json,
    lookup: impl Fn(&str) -> Option<String>,
) {
    if let Some(value) = expand(value, &lookup) {
        set(tree, path.segments(), value);
    }
}

/// `value` with every `{placeholder}` in its strings replaced.
fn expand(value: &Json, lookup: &impl Fn(&str) -> Option<String>) -> Option<Json> {
    Some(match value {
        Json::String(text) => Json::String(profile::substitute(text, lookup).ok()?),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|item| expand(item, lookup))
                .collect::<Option<_>>()?,
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| expand(v, lookup).map(|v| (k.clone(), v)))
                .collect::<Option<_>>()?,
        ),
        other => other.clone(),
    })
}

/// Sets the value at `segments`, creating (or replacing non-map) parents.
fn set(tree: &mut Json, segments: &[String], value: Json) {
    let Some((first, rest)) = segments.split_first() else {
        *tree = value;
        return;
    };
    if !tree.is_object() {
        *tree = Json::Object(Map::new());
    }
    if let Json::Object(map) = tree {
        let child = map.entry(first.clone()).or_insert(Json::Null);
        set(child, rest, value);
    }
}

/// The user's `values` over the rendered tree: maps merge key by key,
/// anything else (lists, scalars, `null`) replaces.
fn merge_user_values(tree: &mut Json, user: &Json) {
    match (tree, user) {
        (Json::Object(tree), Json::Object(user)) => {
            for (key, value) in user {
                match tree.get_mut(key) {
                    Some(existing) => merge_user_values(existing, value),
                    None => {
                        tree.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (tree, user) => *tree = user.clone(),
    }
}

/// Helm's merge of several `-f` values files (`mergeMaps`): like
/// [`merge_user_values`], and a `null` stays to delete the chart default.
fn merge_value_files(values: &mut Json, overlay: &Json) {
    merge_user_values(values, overlay);
}

/// Helm's coalescing of user values over chart defaults: user values win,
/// maps merge, and a user `null` deletes the default.
fn coalesce(user: &mut Map<String, Json>, defaults: &Map<String, Json>) {
    for (key, default) in defaults {
        match user.get_mut(key) {
            None => {
                user.insert(key.clone(), default.clone());
            }
            Some(Json::Null) => {
                user.remove(key);
            }
            Some(Json::Object(inner)) => {
                if let Json::Object(default) = default {
                    coalesce(inner, default);
                }
            }
            Some(_) => {}
        }
    }
}

/// What a values file for an env must hold so that Helm's merge of the base
/// file and it gives `env`: changed and added keys (maps recursively, lists
/// whole) and `null` for keys the env no longer has ([`nulls`]).
fn diff(base: &Map<String, Json>, env: &Map<String, Json>) -> Map<String, Json> {
    let mut out = BTreeMap::new();
    for (key, env_value) in env {
        match (base.get(key), env_value) {
            (Some(base_value), _) if base_value == env_value => {}
            (Some(Json::Object(base_map)), Json::Object(env_map)) => {
                let inner = diff(base_map, env_map);
                if !inner.is_empty() {
                    out.insert(key.clone(), Json::Object(inner));
                }
            }
            _ => {
                out.insert(key.clone(), env_value.clone());
            }
        }
    }
    for (key, base_value) in base {
        if !env.contains_key(key) {
            out.insert(key.clone(), nulls(base_value));
        }
    }
    out.into_iter().collect()
}

/// What deletes `value` from a merged values tree: `null` for a leaf (a
/// scalar, a list or an empty map), and a map's leaves one by one, so that
/// the chart's default maps above them survive (a template reading
/// `.Values.metrics.serviceMonitor.enabled` fails when `serviceMonitor`
/// itself is deleted).
fn nulls(value: &Json) -> Json {
    match value {
        Json::Object(map) if !map.is_empty() => Json::Object(
            map.iter()
                .map(|(key, inner)| (key.clone(), nulls(inner)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// `value` with every map's keys in sorted order.
fn sorted(value: Json) -> Json {
    match value {
        Json::Object(map) => {
            let sorted: BTreeMap<String, Json> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Json::Object(sorted.into_iter().collect())
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Whether `path` holds a value a chart template treats as set (not absent,
/// `null`, `false` or `""`).
fn is_set(values: &Json, path: &ValuePath) -> bool {
    let mut current = values;
    for segment in path.segments() {
        match current.get(segment.as_str()) {
            Some(next) => current = next,
            None => return false,
        }
    }
    !matches!(current, Json::Null | Json::Bool(false)) && current.as_str() != Some("")
}

/// Whether a map above `path` has `enabled: false`: the part of the chart
/// that would generate the value is not rendered at all (`postgresql.enabled
/// = false` for an external database, `auth.enabled = false`,
/// `controller.defaultTLSSecret.enabled = false`).
fn is_switched_off(values: &Json, path: &ValuePath) -> bool {
    let segments = path.segments();
    let mut current = values;
    for segment in &segments[..segments.len().saturating_sub(1)] {
        match current.get(segment.as_str()) {
            Some(next) => current = next,
            None => return false,
        }
        if current.get("enabled") == Some(&Json::Bool(false)) {
            return true;
        }
    }
    false
}

/// How to stop a chart from generating a random value.
fn random_secret_help(chart: &ir::Chart, profile: &Profile, path: &ValuePath) -> String {
    let secret = format!("{}-credentials", chart.name);
    let existing = profile
        .existing_secret
        .as_ref()
        .filter(|e| e.path.as_ref() == Some(path));
    match existing {
        Some(existing) if !existing.keys.is_empty() => {
            let keys: Vec<&str> = existing
                .keys
                .iter()
                .map(|(logical, key)| key.default.as_deref().unwrap_or(logical))
                .collect();
            format!(
                "declare `secret {secret} {{ namespace = {}  keys = [{}] }}` (values created outside the repository) and set `values {{ {path} = \"{secret}\" }}`",
                chart.namespace,
                keys.join(", ")
            )
        }
        _ => format!(
            "set `values {{ {path} = \"…\" }}`, pointing the chart at a declared `secret` whose values are created outside the repository"
        ),
    }
}

/// The chart's default values as JSON, for charts that ship a schema.
fn default_values(profile: &str) -> Option<Map<String, Json>> {
    let (_, text) = DEFAULT_VALUES.iter().find(|(name, _)| *name == profile)?;
    match serde_yaml::from_str::<Json>(&yaml11_booleans(text)).ok()? {
        Json::Object(map) => Some(map),
        _ => None,
    }
}

/// `text` with the YAML 1.1 booleans Helm's parser reads (`yes`, `no`, `on`,
/// `off`, `y`, `n` in any of their spellings) written as `true`/`false`, so
/// that serde_yaml (YAML 1.2) sees what Helm sees. Only plain scalars that
/// end a `key: value` or `- value` line are rewritten; the embedded values
/// files use no other form for them.
fn yaml11_booleans(text: &str) -> String {
    const TRUE: &[&str] = &["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"];
    const FALSE: &[&str] = &["n", "N", "no", "No", "NO", "off", "Off", "OFF"];
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let code = line.find(" #").map_or(line, |hash| &line[..hash]);
        let trimmed = code.trim_end();
        let start = trimmed.rfind(": ").map(|i| i + 2).or_else(|| {
            trimmed
                .trim_start()
                .starts_with("- ")
                .then(|| trimmed.find("- ").map_or(0, |i| i + 2))
        });
        let replaced = start.and_then(|start| {
            let word = trimmed[start..].trim();
            let value = if TRUE.contains(&word) {
                "true"
            } else if FALSE.contains(&word) {
                "false"
            } else {
                return None;
            };
            Some(format!(
                "{}{value}{}",
                &trimmed[..start],
                &line[trimmed.len()..]
            ))
        });
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// A validator for the chart's `values.schema.json`, if it ships one.
fn schema_validator(profile: &Profile) -> Option<jsonschema::Validator> {
    let schema: Json = serde_json::from_str(profile.values_schema()?).ok()?;
    jsonschema::validator_for(&schema).ok()
}

/// Every schema violation of defaults + `values`, as (dotted path, error).
fn schema_problems(
    validator: &jsonschema::Validator,
    defaults: &Map<String, Json>,
    values: &Json,
) -> BTreeSet<(String, String)> {
    let mut user = values.as_object().cloned().unwrap_or_default();
    coalesce(&mut user, defaults);
    let instance = Json::Object(user);
    validator
        .iter_errors(&instance)
        .map(|error| {
            let path = dotted(&error.instance_path().to_string());
            let mut text = error.to_string();
            if text.chars().count() > MAX_ERROR_TEXT {
                text = text.chars().take(MAX_ERROR_TEXT).collect::<String>() + "…";
            }
            (path, text)
        })
        .collect()
}

/// A JSON pointer as the dotted path a `values` block uses (`a.b[0]`).
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            if segment.contains('.') {
                out.push_str(&format!("\"{segment}\""));
            } else {
                out.push_str(&segment);
            }
        }
    }
    if out.is_empty() {
        "(top level)".to_owned()
    } else {
        out
    }
}

/// One `platc::schema` error on a chart's values.
fn schema_diagnostic(chart: &ir::Chart, env: Option<&str>, path: &str, text: &str) -> Diagnostic {
    let env = env.map(|e| format!(" in env `{e}`")).unwrap_or_default();
    Diagnostic::new(
        Code::Schema,
        format!(
            "values of chart `{}`{env} fail the chart's values.schema.json at `{path}`: {text}",
            chart.name
        ),
        chart.origin,
        "Helm would refuse to render these values",
    )
    .with_help("correct or remove the key in `values { … }`; the chart validates its values with values.schema.json before rendering")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;
    use crate::render::test_views;

    const PLATFORM: &str = r#"
platform demo {
  repo           = "https://git.example.com/demo.git"
  nodepool-label = "example.com/pool"
}
env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.example.com:6443" }
"#;

    /// Every values file the module renders for `source`, with its path.
    fn render_text(source: &str) -> String {
        let views = test_views(source);
        let mut bundle = Bundle::default();
        render(&views[&None], &views, &mut bundle);
        bundle
            .files
            .iter()
            .map(|(path, content)| match content {
                crate::render::FileContent::Documents(docs) => {
                    let body: String = docs.iter().map(|d| to_yaml(&d.value)).collect();
                    format!("# {path}\n{body}")
                }
                crate::render::FileContent::Text(text) => format!("# {path}\n{text}"),
                sealed @ crate::render::FileContent::Sealed(_) => {
                    format!("# {path}\n{}", crate::render::bundle::encode(sealed))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn base_values(source: &str, chart: &str) -> Json {
        let views = test_views(source);
        let base = &views[&None];
        chart_values(base, &base.charts[chart])
    }

    fn warnings(source: &str) -> Vec<Diagnostic> {
        random_secret_warnings(&test_views(source)[&None])
    }

    fn schema_errors(source: &str) -> Vec<Diagnostic> {
        let views = test_views(source);
        values_schema_errors(&views[&None], &views)
    }

    #[test]
    fn postgresql_gets_every_platform_word_and_a_prod_overlay() {
        let source = format!(
            r#"{PLATFORM}
nodepool db {{ taints = ["dedicated=db:NoSchedule", "spot:NoExecute"] }}
chart kps {{
  profile   = kube-prometheus-stack
  namespace = monitoring
}}
chart postgresql {{
  profile   = postgresql
  namespace = database
  nodepool  = db
  storage   = 20Gi
  metrics   = true
  resources {{ cpu = 250m..1  memory = 512Mi..1Gi }}
  values {{
    image.repository    = "registry.example.com/postgresql"
    auth.existingSecret = "postgresql-credentials"
  }}
  when prod {{
    storage = 100Gi
    values {{ primary.resources.limits.memory = "4Gi" }}
  }}
}}
"#
        );
        let text = render_text(&source);
        assert!(text.contains("# charts/postgresql/values.yaml"), "{text}");
        assert!(
            text.contains("# charts/postgresql/values-prod.yaml"),
            "{text}"
        );
        assert!(
            !text.contains("values-dev.yaml"),
            "dev changes nothing: {text}"
        );
        let values = base_values(&source, "postgresql");
        assert_eq!(
            values.pointer("/metrics/serviceMonitor/labels/release"),
            Some(&json!("kps"))
        );
        assert_eq!(
            values.pointer("/image/repository"),
            Some(&json!("registry.example.com/postgresql")),
            "user values win over profile values"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn env_overlay_nulls_removed_keys_and_keeps_lists_whole() {
        let base = json!({
            "a": { "x": 1, "y": [1, 2], "z": { "k": "v" } },
            "gone": true,
            "gone-map": { "deep": { "leaf": 1 }, "list": [1], "empty": {} },
            "same": { "q": 1 },
        });
        let env = json!({
            "a": { "x": 1, "y": [1, 2, 3], "z": {} },
            "new": "n",
            "same": { "q": 1 },
        });
        let overlay = diff(
            base.as_object().expect("map"),
            env.as_object().expect("map"),
        );
        assert_eq!(
            Json::Object(overlay.clone()),
            json!({
                "a": { "y": [1, 2, 3], "z": { "k": null } },
                "gone": null,
                "gone-map": { "deep": { "leaf": null }, "list": null, "empty": null },
                "new": "n",
            })
        );
        // Helm's merge of the two files keeps the nulls ...
        let mut merged = base.clone();
        merge_value_files(&mut merged, &Json::Object(overlay));
        assert_eq!(
            sorted(merged.clone()),
            sorted(json!({
                "a": { "x": 1, "y": [1, 2, 3], "z": { "k": null } },
                "gone": null,
                "gone-map": { "deep": { "leaf": null }, "list": null, "empty": null },
                "new": "n",
                "same": { "q": 1 },
            }))
        );
        // ... and coalescing with the chart defaults deletes what they null.
        let mut merged = merged.as_object().cloned().expect("map");
        let defaults = json!({
            "gone": false,
            "gone-map": { "deep": { "leaf": 0, "other": 2 }, "list": [], "empty": {} },
            "a": { "z": { "k": "default" } },
        });
        coalesce(&mut merged, defaults.as_object().expect("map"));
        assert_eq!(
            sorted(Json::Object(merged)),
            sorted(json!({
                "a": { "x": 1, "y": [1, 2, 3], "z": {} },
                "gone-map": { "deep": { "other": 2 } },
                "new": "n",
                "same": { "q": 1 },
            }))
        );
    }

    #[test]
    fn metrics_removed_in_an_env_become_nulls() {
        let source = format!(
            r#"{PLATFORM}
chart kps {{ profile = kube-prometheus-stack  namespace = monitoring }}
chart cache {{
  profile   = redis
  namespace = cache
  metrics   = true
  values {{ auth.existingSecret = "redis-credentials" }}
  when dev {{ metrics = false }}
}}
"#
        );
        let text = render_text(&source);
        insta::assert_snapshot!(text);
    }

    #[test]
    fn ingress_styles_and_ingress_controllers() {
        let source = format!(
            r#"{PLATFORM}
chart traefik {{ profile = traefik  namespace = traefik }}
chart ingress-nginx {{ profile = ingress-nginx  namespace = ingress-nginx }}
chart grafana {{
  profile   = grafana
  namespace = monitoring
  values {{ admin.existingSecret = "grafana-admin" }}
  ingress {{ host = "grafana.example.com"  tls = "letsencrypt-prod"  class = "traefik" }}
}}
chart argocd {{
  profile   = argo-cd
  namespace = argocd
  ingress {{ host = "argocd.example.com"  tls = "letsencrypt-prod"  class = "nginx" }}
}}
chart kafka-ui {{
  profile   = kafka-ui
  namespace = kafka
  ingress {{ host = "kafka.example.com"  path = "/ui"  tls = "letsencrypt-prod" }}
}}
chart prefect-server {{
  profile   = prefect-server
  namespace = prefect
  ingress {{ host = "prefect.example.com"  class = "traefik" }}
}}
chart exporter {{
  profile   = prometheus-prefect-exporter
  namespace = prefect
  ingress {{ host = "exporter.example.com"  class = "traefik"  tls = "letsencrypt-prod" }}
}}
chart logs {{
  profile   = fluent-bit
  namespace = logging
  ingress {{ host = "logs.example.com"  class = "nginx"  tls = "letsencrypt-prod" }}
}}
chart kps {{
  profile   = kube-prometheus-stack
  namespace = monitoring
  values {{ grafana.admin.existingSecret = "grafana-admin" }}
  ingress {{ host = "prometheus.example.com"  class = "traefik" }}
}}
"#
        );
        let text = render_text(&source);
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_chart_without_profile_gets_only_its_values() {
        let source = format!(
            r#"{PLATFORM}
nodepool apps {{ taints = ["dedicated=apps:NoSchedule"] }}
chart httpbin {{
  repo      = "https://matheusfm.dev/charts"
  chart     = "httpbin"
  version   = "0.1.1"
  namespace = web
  nodepool  = apps
  resources {{ cpu = 100m  memory = 128Mi }}
  values {{
    service.port = 8080
    podLabels    = {{ "app.kubernetes.io/part-of" = "demo" }}
  }}
  when prod {{ values {{ replicaCount = 3 }} }}
}}
chart empty {{
  repo      = "https://charts.example.com"
  chart     = "empty"
  version   = "1.0.0"
  namespace = web
}}
"#
        );
        let text = render_text(&source);
        insta::assert_snapshot!(text);
    }

    #[test]
    fn random_secret_warning_only_without_existing_secret() {
        let without = format!(
            "{PLATFORM}\nchart postgresql {{ profile = postgresql  namespace = database }}\n"
        );
        let found = warnings(&without);
        assert_eq!(found.len(), 1, "{found:#?}");
        let warning = &found[0];
        assert_eq!(warning.code, Code::RandomSecret);
        assert!(
            warning.message.contains("`postgresql`"),
            "{}",
            warning.message
        );
        assert!(warning.message.contains("postgres and user passwords"));
        let help = warning.help.as_deref().unwrap_or_default();
        assert!(
            help.contains("auth.existingSecret = \"postgresql-credentials\""),
            "{help}"
        );
        assert!(help.contains("secret postgresql-credentials"), "{help}");
        assert!(help.contains("postgres-password"), "{help}");
        let views = test_views(&without);
        assert_eq!(
            warning.primary.span,
            views[&None].charts["postgresql"].origin
        );
        insta::assert_snapshot!(format!(
            "{}\nlabel: {}\nhelp: {help}",
            warning.message, warning.primary.message
        ));

        let with = format!(
            "{PLATFORM}\nchart postgresql {{\n  profile = postgresql\n  namespace = database\n  values {{ auth.existingSecret = \"pg\" }}\n}}\n"
        );
        assert!(warnings(&with).is_empty());
        let empty = with.replace("\"pg\"", "\"\"");
        assert_eq!(warnings(&empty).len(), 1, "an empty name is not set");
        let airflow = format!(
            "{PLATFORM}\nchart airflow {{\n  profile = airflow\n  namespace = airflow\n  values {{ auth.existingSecret = \"airflow\" }}\n}}\n"
        );
        let found = warnings(&airflow);
        assert_eq!(found.len(), 2, "postgresql and redis subcharts: {found:#?}");
        let external = airflow.replace(
            "auth.existingSecret = \"airflow\"",
            "auth.existingSecret = \"airflow\"\n postgresql.enabled = false\n redis.enabled = false",
        );
        assert!(warnings(&external).is_empty(), "subcharts switched off");
        let haproxy = format!(
            "{PLATFORM}\nchart haproxy {{\n  profile = haproxy-kubernetes-ingress\n  namespace = haproxy\n  values {{ controller.defaultTLSSecret.enabled = false }}\n}}\n"
        );
        assert!(
            warnings(&haproxy).is_empty(),
            "no default certificate at all"
        );
        assert_eq!(warnings(&haproxy.replace("false", "true")).len(), 1);
    }

    #[test]
    fn schema_rejects_an_unknown_key_of_a_strict_chart() {
        let source = format!(
            "{PLATFORM}\nchart traefik {{\n  profile = traefik\n  namespace = traefik\n  values {{ bogus = 1 }}\n}}\n"
        );
        let errors = schema_errors(&source);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].code, Code::Schema);
        assert!(errors[0].message.contains("bogus"), "{}", errors[0].message);
        insta::assert_snapshot!(errors[0].message.clone());

        let prod_only = format!(
            "{PLATFORM}\nchart traefik {{\n  profile = traefik\n  namespace = traefik\n  when prod {{ values {{ bogus = 1 }} }}\n}}\n"
        );
        let errors = schema_errors(&prod_only);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].message.contains("in env `prod`"),
            "{}",
            errors[0].message
        );

        let typed = format!(
            "{PLATFORM}\nchart pg {{\n  profile = postgresql\n  namespace = db\n  values {{ architecture = 3 }}\n}}\n"
        );
        let errors = schema_errors(&typed);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].message.contains("`architecture`"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn every_word_renders_schema_clean_for_every_schema_chart() {
        let source = format!(
            r#"{PLATFORM}
nodepool infra {{ taints = ["dedicated=infra:NoSchedule"] }}
chart prom {{
  profile   = prometheus
  namespace = monitoring
  nodepool  = infra
  storage   = 20Gi
  metrics   = true
  resources {{ cpu = 250m..1  memory = 512Mi..1Gi }}
  ingress {{ host = "prom.example.com"  class = "traefik"  tls = "letsencrypt" }}
}}
chart kps {{ profile = kube-prometheus-stack  namespace = monitoring  values {{ grafana.admin.existingSecret = "grafana-admin" }} }}
"#
        );
        let mut source = source;
        for (name, _) in DEFAULT_VALUES {
            if *name == "prometheus" {
                continue;
            }
            let profile = profile::builtin().get(name).expect("profile");
            let mut body = format!("  profile = {name}\n  namespace = ns-{name}\n  nodepool = infra\n  resources {{ cpu = 100m..200m  memory = 64Mi..128Mi }}\n");
            if !profile.paths.storage.is_empty() {
                body.push_str("  storage = 10Gi\n");
            }
            if profile.has_metrics() {
                body.push_str("  metrics = true\n");
            }
            if profile.ingress.is_some() {
                body.push_str(&format!(
                    "  ingress {{ host = \"{name}.example.com\"  class = \"traefik\"  tls = \"letsencrypt\" }}\n"
                ));
            }
            source.push_str(&format!("chart c-{name} {{\n{body}}}\n"));
        }
        let errors = schema_errors(&source);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn default_values_parse_and_satisfy_their_schemas() {
        let with_schema: Vec<&str> = profile::builtin()
            .iter()
            .filter(|p| p.values_schema().is_some())
            .map(|p| p.name.as_str())
            .collect();
        let embedded: Vec<&str> = DEFAULT_VALUES.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            embedded, with_schema,
            "one DEFAULT_VALUES entry per chart schema"
        );
        for name in embedded {
            let profile = profile::builtin().get(name).expect("profile");
            let defaults = default_values(name).unwrap_or_else(|| panic!("{name}: values.yaml"));
            let validator = schema_validator(profile).unwrap_or_else(|| panic!("{name}: schema"));
            let problems = schema_problems(&validator, &defaults, &json!({}));
            assert!(problems.is_empty(), "{name}: {problems:#?}");
        }
    }

    /// Every leaf the profile mapping writes exists in the chart's values.yaml,
    /// or sits below a free-form map (`nodeSelector: {}`, `resources: {}`).
    #[test]
    fn rendered_paths_exist_in_the_chart_defaults() {
        fn leaves(value: &Json, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            match value {
                Json::Object(map) if !map.is_empty() => {
                    for (key, inner) in map {
                        path.push(key.clone());
                        leaves(inner, path, out);
                        path.pop();
                    }
                }
                _ => out.push(path.clone()),
            }
        }
        let source = format!(
            r#"{PLATFORM}
nodepool infra {{ taints = ["dedicated=infra:NoSchedule"] }}
chart kps {{ profile = kube-prometheus-stack  namespace = monitoring }}
chart postgresql {{
  profile = postgresql  namespace = database  nodepool = infra  storage = 20Gi  metrics = true
  resources {{ cpu = 250m..1  memory = 512Mi..1Gi }}
}}
chart traefik {{
  profile = traefik  namespace = traefik  nodepool = infra  storage = 1Gi  metrics = true
  resources {{ cpu = 250m..1  memory = 512Mi..1Gi }}
}}
chart grafana {{
  profile = grafana  namespace = monitoring  nodepool = infra  storage = 1Gi  metrics = true
  resources {{ cpu = 250m..1  memory = 512Mi..1Gi }}
  ingress {{ host = "g.example.com"  class = "traefik"  tls = "letsencrypt" }}
}}
"#
        );
        let views = test_views(&source);
        let base = &views[&None];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/charts");
        for name in ["postgresql", "traefik", "grafana"] {
            let text =
                std::fs::read_to_string(dir.join(name).join("values.yaml")).expect("values.yaml");
            let defaults: Json = serde_yaml::from_str(&text).expect("yaml");
            let values = chart_values(base, &base.charts[name]);
            let mut found = Vec::new();
            leaves(&values, &mut Vec::new(), &mut found);
            for path in found {
                let mut current = &defaults;
                for (depth, segment) in path.iter().enumerate() {
                    match current.get(segment.as_str()) {
                        Some(next) => current = next,
                        None => {
                            // Commented-out keys the chart honours (profile test ALLOWED).
                            let documented =
                                name == "grafana" && path.join(".") == "ingress.ingressClassName";
                            let free_form = documented
                                || depth > 0
                                    && (current.as_object().is_some_and(Map::is_empty)
                                        || current.is_null());
                            assert!(
                                free_form,
                                "{name}: `{}` is not in values.yaml",
                                path.join(".")
                            );
                            break;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn json_pointers_read_as_dotted_paths() {
        assert_eq!(dotted(""), "(top level)");
        assert_eq!(dotted("/a/b"), "a.b");
        assert_eq!(dotted("/hosts/0/host"), "hosts[0].host");
        assert_eq!(
            dotted("/annotations/cert-manager.io~1cluster-issuer"),
            "annotations.\"cert-manager.io/cluster-issuer\""
        );
    }

    #[test]
    fn output_is_deterministic_and_sorted() {
        let source = format!(
            "{PLATFORM}\nchart pg {{\n  profile = postgresql\n  namespace = db\n  values {{ zeta = 1\n alpha = {{ z = 1, a = 2 }} }}\n}}\n"
        );
        let first = render_text(&source);
        assert_eq!(first, render_text(&source));
        let alpha = first.find("alpha:").expect("alpha");
        let zeta = first.find("zeta:").expect("zeta");
        assert!(alpha < zeta, "{first}");
        assert!(
            first.find("  a: 2").expect("a") < first.find("  z: 1").expect("z"),
            "{first}"
        );
    }
}
