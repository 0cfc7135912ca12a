//! Shared object metadata: the standard labels every generated object
//! carries and the selector labels of workloads.

use serde_json::{Map, Value as Json};

use crate::ir;

/// A JSON object of `fields`, in order, moving the values in. `json!`
/// serializes every value it interpolates, a deep copy: on hot paths (one
/// call per object) that copy was a fifth of rendering.
pub fn object<const N: usize>(fields: [(&str, Json); N]) -> Json {
    let mut map = Map::with_capacity(N);
    for (key, value) in fields {
        map.insert(key.to_string(), value);
    }
    Json::Object(map)
}

/// `app.kubernetes.io/managed-by` value.
pub const MANAGED_BY: &str = "platc";

/// Labels for an object that belongs to `name` (a workload, chart, topic…).
pub fn labels(platform: &ir::Platform, name: &str) -> Map<String, Json> {
    let mut labels = Map::with_capacity(3);
    labels.insert(SELECTOR_LABEL.into(), Json::String(name.to_owned()));
    labels.insert(
        "app.kubernetes.io/part-of".into(),
        Json::String(platform.name.clone()),
    );
    labels.insert(
        "app.kubernetes.io/managed-by".into(),
        Json::String(MANAGED_BY.to_owned()),
    );
    labels
}

/// The one label a workload's pods are selected by.
pub const SELECTOR_LABEL: &str = "app.kubernetes.io/name";

/// The labels a workload's pods are selected by (stable across versions).
pub fn selector(name: &str) -> Map<String, Json> {
    let mut labels = Map::with_capacity(1);
    labels.insert(SELECTOR_LABEL.into(), Json::String(name.to_owned()));
    labels
}

/// `metadata` with name, optional namespace and the standard labels of `owner`.
pub fn metadata(platform: &ir::Platform, name: &str, namespace: Option<&str>, owner: &str) -> Json {
    Json::Object(labeled(name, namespace, labels(platform, owner)))
}

/// `metadata` with name, optional namespace and `labels`, with room for
/// annotations.
pub fn labeled(
    name: &str,
    namespace: Option<&str>,
    labels: Map<String, Json>,
) -> Map<String, Json> {
    let mut meta = Map::with_capacity(4);
    meta.insert("name".into(), Json::String(name.to_owned()));
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), Json::String(ns.to_owned()));
    }
    meta.insert("labels".into(), Json::Object(labels));
    meta
}
