//! The `resource` escape hatch: each declaration becomes the object
//! `{apiVersion, kind, metadata, …body}`, where the body is the `file()`
//! contents with the `spec` block already merged over it (lowering did that).
//!
//! The body's own `metadata` is kept under ours: the declaration's name and
//! namespace win, the standard labels win over the body's labels of the same
//! key, and everything else the body says (other labels, annotations…) stays.
//! A body's `apiVersion` and `kind` give way to the declaration's. Key order is
//! `apiVersion, kind, metadata`, then the body's keys in the body's order.

use serde_json::{Map, Value as Json};

use crate::ir;

use super::{meta, Object};

pub(crate) fn render(platform: &ir::Platform, out: &mut Vec<Object>) {
    for resource in platform.resources.values() {
        out.push(Object::new(object(platform, resource), resource.origin));
    }
}

fn object(platform: &ir::Platform, resource: &ir::Resource) -> Json {
    let empty = Map::new();
    let body = resource.body.as_object().unwrap_or(&empty);
    let body_meta = body
        .get("metadata")
        .and_then(Json::as_object)
        .unwrap_or(&empty);

    let mut metadata = Map::new();
    metadata.insert("name".into(), Json::String(resource.name.clone()));
    let namespace = resource
        .namespace
        .as_deref()
        .or_else(|| body_meta.get("namespace").and_then(Json::as_str));
    if let Some(ns) = namespace {
        metadata.insert("namespace".into(), Json::String(ns.to_string()));
    }
    let mut labels = meta::labels(platform, &resource.name);
    if let Some(theirs) = body_meta.get("labels").and_then(Json::as_object) {
        for (key, value) in theirs {
            if !labels.contains_key(key) {
                labels.insert(key.clone(), value.clone());
            }
        }
    }
    metadata.insert("labels".into(), Json::Object(labels));
    for (key, value) in body_meta {
        if !matches!(key.as_str(), "name" | "namespace" | "labels") {
            metadata.insert(key.clone(), value.clone());
        }
    }

    let mut object = Map::new();
    object.insert(
        "apiVersion".into(),
        Json::String(resource.api_version.clone()),
    );
    object.insert("kind".into(), Json::String(resource.kind.clone()));
    object.insert("metadata".into(), Json::Object(metadata));
    for (key, value) in body {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            object.insert(key.clone(), value.clone());
        }
    }
    Json::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;
    use serde_json::json;

    const SOURCE: &str = r#"
platform demo { repo = "https://git.example.com/demo.git" }

resource pagerank {
  api-version = "sparkoperator.k8s.io/v1beta2"
  kind        = "SparkApplication"
  namespace   = spark-job
  spec {
    type                = "Scala"
    mode                = "cluster"
    image               = "registry.example.com/spark:3.5.3"
    mainClass           = "org.example.PageRank"
    mainApplicationFile = "local:///opt/spark/jobs/pagerank.jar"
    sparkVersion        = "3.5.3"
    driver { cores = 1  memory = "512m"  serviceAccount = "spark" }
    executor.instances = 3
    executor { cores = 1  memory = "1g" }
  }
}

resource homelab-pool {
  api-version = "metallb.io/v1beta1"
  kind        = "IPAddressPool"
  namespace   = metallb-system
  spec { addresses = ["192.168.1.240-192.168.1.250"] }
}
"#;

    fn objects(platform: &ir::Platform) -> Vec<Object> {
        let mut out = Vec::new();
        render(platform, &mut out);
        out
    }

    #[test]
    fn spec_overlay_becomes_the_object() {
        let out = objects(&crate::render::test_view(SOURCE));
        let spark = out
            .iter()
            .find(|o| o.name() == "pagerank")
            .expect("pagerank");
        let keys: Vec<&str> = spark
            .value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(spark.api_version(), "sparkoperator.k8s.io/v1beta2");
        assert_eq!(spark.kind(), "SparkApplication");
        assert_eq!(spark.namespace(), Some("spark-job"));
        assert_eq!(
            spark.value["metadata"]["labels"]["app.kubernetes.io/name"],
            "pagerank"
        );
        assert_eq!(
            spark.value["spec"]["executor"],
            json!({"instances": 3, "cores": 1, "memory": "1g"})
        );
    }

    #[test]
    fn body_metadata_is_merged_under_ours() {
        let mut platform = crate::render::test_view(SOURCE);
        let resource = platform.resources.get_mut("homelab-pool").expect("pool");
        resource.body = json!({
            "apiVersion": "metallb.io/v1alpha1",
            "kind": "Wrong",
            "metadata": {
                "name": "other",
                "namespace": "elsewhere",
                "labels": {"app.kubernetes.io/name": "other", "tier": "edge"},
                "annotations": {"note": "kept"},
            },
            "spec": {"addresses": ["10.0.0.1/32"], "autoAssign": false},
        });
        let out = objects(&platform);
        let pool = out
            .iter()
            .find(|o| o.kind() == "IPAddressPool")
            .expect("pool");
        assert_eq!(
            pool.value,
            json!({
                "apiVersion": "metallb.io/v1beta1",
                "kind": "IPAddressPool",
                "metadata": {
                    "name": "homelab-pool",
                    "namespace": "metallb-system",
                    "labels": {
                        "app.kubernetes.io/name": "homelab-pool",
                        "app.kubernetes.io/part-of": "demo",
                        "app.kubernetes.io/managed-by": "platc",
                        "tier": "edge",
                    },
                    "annotations": {"note": "kept"},
                },
                "spec": {"addresses": ["10.0.0.1/32"], "autoAssign": false},
            })
        );
    }

    #[test]
    fn body_namespace_is_kept_when_the_declaration_names_none() {
        let mut platform = crate::render::test_view(SOURCE);
        let resource = platform.resources.get_mut("homelab-pool").expect("pool");
        resource.namespace = None;
        resource.body = json!({"metadata": {"namespace": "metallb-system"}, "spec": {}});
        let out = objects(&platform);
        assert_eq!(
            out.iter()
                .find(|o| o.name() == "homelab-pool")
                .and_then(Object::namespace),
            Some("metallb-system")
        );
    }

    #[test]
    fn snapshot() {
        let yaml: Vec<String> = objects(&crate::render::test_view(SOURCE))
            .iter()
            .map(|o| to_yaml(&o.value))
            .collect();
        insta::assert_snapshot!(yaml.join("---\n"));
    }
}
