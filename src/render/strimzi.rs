//! Strimzi objects (API `kafka.strimzi.io/v1`, Strimzi 1.x): per `kafka` a
//! KRaft `Kafka` and one `KafkaNodePool` `<kafka>-brokers` whose nodes are
//! both controllers and brokers; per `topic` a `KafkaTopic`; per workload
//! that publishes or consumes, one `KafkaUser` per Kafka cluster it uses,
//! holding exactly the ACLs of LANGUAGE.md §3.8 and nothing more.
//!
//! Strimzi 1.x runs KRaft with node pools only, so the former
//! `strimzi.io/kraft` and `strimzi.io/node-pools` annotations are not written
//! (Strimzi ignores them since 0.48). The listener is `plain` on 9092 unless
//! authentication is `tls`, which needs the TLS listener on 9093; this is the
//! port `ir::Kafka::bootstrap` hands to clients. With authentication the
//! cluster runs the `simple` authorizer, so the users' ACLs are enforced.
//!
//! Replication defaults follow the broker count: 3 (or fewer brokers) for
//! new and internal topics, `min.insync.replicas` 2 (or fewer brokers). A
//! topic with fewer replicas than that minimum gets its own lower
//! `min.insync.replicas`, else every `acks=all` write to it would fail.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use crate::ir;

use super::{meta, Object};

/// API version of every Strimzi object.
const API_VERSION: &str = "kafka.strimzi.io/v1";

/// The label that ties node pools, topics and users to their cluster.
const CLUSTER_LABEL: &str = "strimzi.io/cluster";

pub(crate) fn render(platform: &ir::Platform, out: &mut Vec<Object>) {
    for kafka in platform.kafkas.values() {
        out.push(Object::new(kafka_cluster(platform, kafka), kafka.origin));
        out.push(Object::new(node_pool(platform, kafka), kafka.origin));
    }
    for topic in platform.topics.values() {
        if let Some(kafka) = platform.kafkas.get(&topic.kafka) {
            out.push(Object::new(
                kafka_topic(platform, kafka, topic),
                topic.origin,
            ));
        }
    }
    for workload in platform.workloads.values() {
        for (kafka, access) in kafka_access(platform, workload) {
            if let Some(user) = kafka_user(platform, kafka, workload, &access) {
                out.push(Object::new(user, workload.origin));
            }
        }
    }
}

/// `min.insync.replicas` of a cluster: 2, or the broker count when smaller.
fn cluster_min_isr(kafka: &ir::Kafka) -> u32 {
    kafka.brokers.clamp(1, 2)
}

/// Replication of internal topics and the default for new topics: 3, or the
/// broker count when smaller.
fn cluster_replication(kafka: &ir::Kafka) -> u32 {
    kafka.brokers.clamp(1, 3)
}

/// Standard labels plus `strimzi.io/cluster`.
fn cluster_metadata(platform: &ir::Platform, name: &str, kafka: &ir::Kafka, owner: &str) -> Json {
    let mut labels = meta::labels(platform, owner);
    labels.insert(CLUSTER_LABEL.into(), json!(kafka.name));
    json!({
        "name": name,
        "namespace": kafka.namespace,
        "labels": labels,
    })
}

fn kafka_cluster(platform: &ir::Platform, kafka: &ir::Kafka) -> Json {
    let mut listener = Map::new();
    if kafka.authentication == ir::KafkaAuth::Tls {
        listener.insert("name".into(), json!("tls"));
        listener.insert("port".into(), json!(9093));
        listener.insert("type".into(), json!("internal"));
        listener.insert("tls".into(), json!(true));
    } else {
        listener.insert("name".into(), json!("plain"));
        listener.insert("port".into(), json!(9092));
        listener.insert("type".into(), json!("internal"));
        listener.insert("tls".into(), json!(false));
    }
    if let Some(auth) = auth_type(kafka.authentication) {
        listener.insert("authentication".into(), json!({ "type": auth }));
    }

    let mut spec_kafka = Map::new();
    spec_kafka.insert("version".into(), json!(kafka.version));
    spec_kafka.insert("listeners".into(), json!([listener]));
    if kafka.authentication != ir::KafkaAuth::None {
        // ACLs of the KafkaUsers are only enforced with an authorizer.
        spec_kafka.insert("authorization".into(), json!({ "type": "simple" }));
    }
    let replication = cluster_replication(kafka);
    let min_isr = cluster_min_isr(kafka);
    spec_kafka.insert(
        "config".into(),
        json!({
            "default.replication.factor": replication,
            "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": replication,
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.replication.factor": replication,
        }),
    );

    json!({
        "apiVersion": API_VERSION,
        "kind": "Kafka",
        "metadata": meta::metadata(platform, &kafka.name, Some(&kafka.namespace), &kafka.name),
        "spec": {
            "kafka": spec_kafka,
            "entityOperator": {
                "topicOperator": {},
                "userOperator": {},
            },
        },
    })
}

/// The Strimzi authentication type of a listener and of its users.
fn auth_type(auth: ir::KafkaAuth) -> Option<&'static str> {
    match auth {
        ir::KafkaAuth::ScramSha512 => Some("scram-sha-512"),
        ir::KafkaAuth::Tls => Some("tls"),
        ir::KafkaAuth::None => None,
    }
}

fn node_pool(platform: &ir::Platform, kafka: &ir::Kafka) -> Json {
    let name = format!("{}-brokers", kafka.name);
    let mut spec = Map::new();
    spec.insert("replicas".into(), json!(kafka.brokers));
    spec.insert("roles".into(), json!(["controller", "broker"]));
    // JBOD with one volume that also holds the KRaft metadata log: the
    // layout of Strimzi's own examples, and volumes can be added later.
    spec.insert(
        "storage".into(),
        json!({
            "type": "jbod",
            "volumes": [{
                "id": 0,
                "type": "persistent-claim",
                "size": kafka.storage.text,
                "deleteClaim": false,
                "kraftMetadata": "shared",
            }],
        }),
    );
    if let Some(resources) = resources(&kafka.resources) {
        spec.insert("resources".into(), resources);
    }
    if let Some(pod) = kafka
        .nodepool
        .as_deref()
        .map(|pool| pod_template(platform, pool))
    {
        spec.insert("template".into(), json!({ "pod": pod }));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "KafkaNodePool",
        "metadata": cluster_metadata(platform, &name, kafka, &kafka.name),
        "spec": spec,
    })
}

/// Requests and limits, when any is set.
fn resources(resources: &ir::Resources) -> Option<Json> {
    let mut requests = Map::new();
    let mut limits = Map::new();
    if let Some(cpu) = &resources.cpu {
        requests.insert("cpu".into(), json!(cpu.request.quantity()));
        limits.insert("cpu".into(), json!(cpu.limit.quantity()));
    }
    if let Some(memory) = &resources.memory {
        requests.insert("memory".into(), json!(memory.request.text));
        limits.insert("memory".into(), json!(memory.limit.text));
    }
    if requests.is_empty() {
        return None;
    }
    Some(json!({ "requests": requests, "limits": limits }))
}

/// Placement on a node pool. Strimzi's pod template has no `nodeSelector`,
/// so the pool label becomes a required node affinity; every taint of the
/// pool gets a toleration.
fn pod_template(platform: &ir::Platform, pool: &str) -> Json {
    let mut pod = Map::new();
    pod.insert(
        "affinity".into(),
        json!({
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{
                        "matchExpressions": [{
                            "key": platform.settings.nodepool_label,
                            "operator": "In",
                            "values": [pool],
                        }],
                    }],
                },
            },
        }),
    );
    let tolerations: Vec<Json> = platform
        .nodepools
        .get(pool)
        .map(|p| p.taints.iter().map(toleration).collect())
        .unwrap_or_default();
    if !tolerations.is_empty() {
        pod.insert("tolerations".into(), Json::Array(tolerations));
    }
    Json::Object(pod)
}

fn toleration(taint: &ir::Taint) -> Json {
    let mut t = Map::new();
    t.insert("key".into(), json!(taint.key));
    match &taint.value {
        Some(value) => {
            t.insert("operator".into(), json!("Equal"));
            t.insert("value".into(), json!(value));
        }
        None => {
            t.insert("operator".into(), json!("Exists"));
        }
    }
    t.insert("effect".into(), json!(taint.effect));
    Json::Object(t)
}

fn kafka_topic(platform: &ir::Platform, kafka: &ir::Kafka, topic: &ir::Topic) -> Json {
    let mut config: BTreeMap<String, Json> = topic
        .config
        .iter()
        .map(|(k, v)| (k.clone(), config_value(v)))
        .collect();
    if let Some(retention) = topic.retention {
        config.insert(
            "retention.ms".into(),
            json!(retention.0.saturating_mul(1000)),
        );
    }
    // A topic with fewer replicas than the cluster's min.insync.replicas
    // would refuse every acks=all write: lower it for this topic.
    if !config.contains_key("min.insync.replicas") && topic.replicas < cluster_min_isr(kafka) {
        config.insert("min.insync.replicas".into(), json!(topic.replicas));
    }

    let mut spec = Map::new();
    if topic.topic_name != topic.name {
        spec.insert("topicName".into(), json!(topic.topic_name));
    }
    spec.insert("partitions".into(), json!(topic.partitions));
    spec.insert("replicas".into(), json!(topic.replicas));
    if !config.is_empty() {
        spec.insert("config".into(), Json::Object(config.into_iter().collect()));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": cluster_metadata(platform, &topic.name, kafka, &topic.name),
        "spec": spec,
    })
}

/// A topic config value: whole numbers and booleans as such (the CRD keeps
/// any JSON value and Strimzi's examples use numbers), everything else as text.
fn config_value(text: &str) -> Json {
    if let Ok(n) = text.parse::<i64>() {
        if n.to_string() == text {
            return json!(n);
        }
    }
    match text {
        "true" => json!(true),
        "false" => json!(false),
        _ => json!(text),
    }
}

/// What one workload does on one Kafka cluster.
#[derive(Debug, Default)]
struct Access<'a> {
    /// Topic declarations by name.
    publishes: BTreeSet<&'a str>,
    consumes: BTreeSet<&'a str>,
}

/// The topics a workload publishes and consumes, grouped by Kafka cluster name.
fn kafka_access<'a>(
    platform: &'a ir::Platform,
    workload: &'a ir::Workload,
) -> BTreeMap<&'a str, Access<'a>> {
    let mut out: BTreeMap<&str, Access<'_>> = BTreeMap::new();
    for name in &workload.publishes {
        if let Some(topic) = platform.topics.get(name) {
            out.entry(topic.kafka.as_str())
                .or_default()
                .publishes
                .insert(name);
        }
    }
    for name in &workload.consumes {
        if let Some(topic) = platform.topics.get(name) {
            out.entry(topic.kafka.as_str())
                .or_default()
                .consumes
                .insert(name);
        }
    }
    out
}

/// The KafkaUser of `workload` on the cluster `kafka`, or `None` when the
/// cluster has no authentication (then there is no user to authorize).
///
/// The user lives in the Kafka cluster's namespace even when the workload
/// runs elsewhere: the User Operator only watches the namespace of its
/// Kafka, and it writes the credentials Secret (named after the user) there.
fn kafka_user(
    platform: &ir::Platform,
    kafka: &str,
    workload: &ir::Workload,
    access: &Access<'_>,
) -> Option<Json> {
    let kafka = platform.kafkas.get(kafka)?;
    let auth = auth_type(kafka.authentication)?;
    let group = workload
        .autoscale
        .as_ref()
        .and_then(|a| a.kafka_lag.as_ref())
        .map_or(workload.name.as_str(), |lag| lag.group.as_str());

    let mut acls = Vec::new();
    let topics: BTreeSet<&str> = access.publishes.union(&access.consumes).copied().collect();
    for name in topics {
        let Some(topic) = platform.topics.get(name) else {
            continue;
        };
        let mut operations = Vec::new();
        if access.consumes.contains(name) {
            operations.push("Read");
        }
        if access.publishes.contains(name) {
            operations.push("Write");
        }
        operations.push("Describe");
        acls.push(acl("topic", &topic.topic_name, &operations));
    }
    if !access.consumes.is_empty() {
        acls.push(acl("group", group, &["Read"]));
    }

    Some(json!({
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": cluster_metadata(platform, &workload.name, kafka, &workload.name),
        "spec": {
            "authentication": { "type": auth },
            "authorization": {
                "type": "simple",
                "acls": acls,
            },
        },
    }))
}

/// One `allow` rule on a literal resource name.
fn acl(kind: &str, name: &str, operations: &[&str]) -> Json {
    json!({
        "resource": {
            "type": kind,
            "name": name,
            "patternType": "literal",
        },
        "operations": operations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;

    const SOURCE: &str = r#"
platform demo {
  repo = "https://git.example.com/demo.git"
  nodepool-label = "example.com/pool"
}

nodepool kafka {
  taints = ["dedicated=kafka:NoSchedule"]
}

kafka k3 {
  namespace      = kafka
  version        = "4.1.0"
  brokers        = 3
  storage        = 100Gi
  nodepool       = kafka
  authentication = scram-sha-512
  resources { cpu = 500m..2  memory = 2Gi..4Gi }
}

topic queue-control {
  partitions = 3
  replicas   = 3
  retention  = 7d
  config     = { "cleanup.policy" = "delete", "min.insync.replicas" = 2 }
}

topic btc-klines {
  name       = "wf.btcusdt.klines_1m"
  partitions = 6
  replicas   = 1
}

service producer {
  namespace = stf
  image     = "registry.example.com/producer:1.0.0"
  publishes = [queue-control, btc-klines]
}

service consumer {
  namespace = stf
  image     = "registry.example.com/consumer:1.0.0"
  consumes  = [queue-control]
  autoscale {
    min = 0
    max = 4
    kafka-lag { topic = queue-control  group = "loader"  threshold = 100 }
  }
}

service bystander {
  namespace = stf
  image     = "registry.example.com/bystander:1.0.0"
}
"#;

    fn objects(source: &str) -> Vec<Object> {
        let platform = crate::render::test_view(source);
        let mut out = Vec::new();
        render(&platform, &mut out);
        out
    }

    fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Json {
        &objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
            .value
    }

    fn yaml(objects: &[Object]) -> String {
        objects
            .iter()
            .map(|o| to_yaml(&o.value))
            .collect::<Vec<_>>()
            .join("---\n")
    }

    #[test]
    fn kafka_is_kraft_with_scram_listener_and_simple_authorization() {
        let out = objects(SOURCE);
        let kafka = find(&out, "Kafka", "k3");
        assert_eq!(kafka["apiVersion"], "kafka.strimzi.io/v1");
        assert_eq!(kafka["metadata"]["namespace"], "kafka");
        assert!(
            kafka["metadata"].get("annotations").is_none(),
            "Strimzi 1.x needs no kraft/node-pools annotations"
        );
        let spec = &kafka["spec"]["kafka"];
        assert_eq!(spec["version"], "4.1.0");
        assert_eq!(
            spec["listeners"],
            json!([{"name": "plain", "port": 9092, "type": "internal", "tls": false, "authentication": {"type": "scram-sha-512"}}])
        );
        assert_eq!(spec["authorization"], json!({"type": "simple"}));
        assert_eq!(spec["config"]["default.replication.factor"], 3);
        assert_eq!(spec["config"]["min.insync.replicas"], 2);
        assert_eq!(spec["config"]["offsets.topic.replication.factor"], 3);
        assert!(kafka["spec"].get("zookeeper").is_none());
        assert_eq!(
            kafka["spec"]["entityOperator"],
            json!({"topicOperator": {}, "userOperator": {}})
        );
    }

    #[test]
    fn node_pool_pins_brokers_to_their_pool() {
        let out = objects(SOURCE);
        let pool = find(&out, "KafkaNodePool", "k3-brokers");
        assert_eq!(pool["metadata"]["labels"]["strimzi.io/cluster"], "k3");
        assert_eq!(pool["spec"]["replicas"], 3);
        assert_eq!(pool["spec"]["roles"], json!(["controller", "broker"]));
        assert_eq!(pool["spec"]["storage"]["volumes"][0]["size"], "100Gi");
        assert_eq!(pool["spec"]["storage"]["volumes"][0]["deleteClaim"], false);
        let pod = &pool["spec"]["template"]["pod"];
        let term = &pod["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
        assert_eq!(
            term["matchExpressions"][0],
            json!({"key": "example.com/pool", "operator": "In", "values": ["kafka"]})
        );
        assert_eq!(
            pod["tolerations"],
            json!([{"key": "dedicated", "operator": "Equal", "value": "kafka", "effect": "NoSchedule"}])
        );
        assert_eq!(pool["spec"]["resources"]["limits"]["memory"], "4Gi");
    }

    #[test]
    fn topics_keep_their_kafka_name_and_config() {
        let out = objects(SOURCE);
        let control = find(&out, "KafkaTopic", "queue-control");
        assert_eq!(control["metadata"]["labels"]["strimzi.io/cluster"], "k3");
        assert_eq!(control["metadata"]["namespace"], "kafka");
        assert!(control["spec"].get("topicName").is_none());
        assert_eq!(
            control["spec"]["config"],
            json!({"cleanup.policy": "delete", "min.insync.replicas": 2, "retention.ms": 604_800_000_u64})
        );
        let klines = find(&out, "KafkaTopic", "btc-klines");
        assert_eq!(klines["spec"]["topicName"], "wf.btcusdt.klines_1m");
        assert_eq!(klines["spec"]["partitions"], 6);
        // One replica under a cluster min ISR of 2 would refuse acks=all writes.
        assert_eq!(klines["spec"]["config"], json!({"min.insync.replicas": 1}));
    }

    #[test]
    fn users_get_exactly_the_acls_they_need() {
        let out = objects(SOURCE);
        let producer = find(&out, "KafkaUser", "producer");
        assert_eq!(
            producer["metadata"]["namespace"], "kafka",
            "users live beside their Kafka"
        );
        assert_eq!(producer["metadata"]["labels"]["strimzi.io/cluster"], "k3");
        assert_eq!(
            producer["spec"]["authentication"],
            json!({"type": "scram-sha-512"})
        );
        assert_eq!(
            producer["spec"]["authorization"],
            json!({"type": "simple", "acls": [
                {"resource": {"type": "topic", "name": "wf.btcusdt.klines_1m", "patternType": "literal"}, "operations": ["Write", "Describe"]},
                {"resource": {"type": "topic", "name": "queue-control", "patternType": "literal"}, "operations": ["Write", "Describe"]},
            ]})
        );
        let consumer = find(&out, "KafkaUser", "consumer");
        assert_eq!(
            consumer["spec"]["authorization"]["acls"],
            json!([
                {"resource": {"type": "topic", "name": "queue-control", "patternType": "literal"}, "operations": ["Read", "Describe"]},
                {"resource": {"type": "group", "name": "loader", "patternType": "literal"}, "operations": ["Read"]},
            ])
        );
        assert!(out.iter().all(|o| o.name() != "bystander"));
    }

    #[test]
    fn consumer_group_defaults_to_the_workload_name() {
        let source = SOURCE.replace("  autoscale {\n    min = 0\n    max = 4\n    kafka-lag { topic = queue-control  group = \"loader\"  threshold = 100 }\n  }\n", "");
        let out = objects(&source);
        let consumer = find(&out, "KafkaUser", "consumer");
        assert_eq!(
            consumer["spec"]["authorization"]["acls"][1]["resource"]["name"],
            "consumer"
        );
    }

    #[test]
    fn tls_authentication_uses_the_tls_listener() {
        let out = objects(&SOURCE.replace("scram-sha-512", "tls"));
        let listener = &find(&out, "Kafka", "k3")["spec"]["kafka"]["listeners"][0];
        assert_eq!(
            *listener,
            json!({"name": "tls", "port": 9093, "type": "internal", "tls": true, "authentication": {"type": "tls"}})
        );
        assert_eq!(
            find(&out, "KafkaUser", "producer")["spec"]["authentication"],
            json!({"type": "tls"})
        );
    }

    #[test]
    fn no_authentication_means_no_users_and_no_authorizer() {
        // Set in the IR: this test is about rendering, not about how the
        // front end reads the word `none`.
        let mut platform = crate::render::test_view(SOURCE);
        if let Some(kafka) = platform.kafkas.get_mut("k3") {
            kafka.authentication = ir::KafkaAuth::None;
        }
        let mut out = Vec::new();
        render(&platform, &mut out);
        let kafka = find(&out, "Kafka", "k3");
        assert_eq!(
            kafka["spec"]["kafka"]["listeners"],
            json!([{"name": "plain", "port": 9092, "type": "internal", "tls": false}])
        );
        assert!(kafka["spec"]["kafka"].get("authorization").is_none());
        assert!(out.iter().all(|o| o.kind() != "KafkaUser"));
    }

    #[test]
    fn single_broker_cluster_replicates_once() {
        let out = objects(
            r#"
platform demo { repo = "https://git.example.com/demo.git" }
kafka solo { namespace = kafka  brokers = 1 }
topic events { partitions = 2 }
"#,
        );
        let config = &find(&out, "Kafka", "solo")["spec"]["kafka"]["config"];
        for key in [
            "default.replication.factor",
            "min.insync.replicas",
            "offsets.topic.replication.factor",
            "transaction.state.log.min.isr",
            "transaction.state.log.replication.factor",
        ] {
            assert_eq!(config[key], 1, "{key}");
        }
        let pool = find(&out, "KafkaNodePool", "solo-brokers");
        assert!(pool["spec"].get("template").is_none());
        assert!(pool["spec"].get("resources").is_none());
        let topic = find(&out, "KafkaTopic", "events");
        assert_eq!(topic["spec"], json!({"partitions": 2, "replicas": 1}));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(yaml(&objects(SOURCE)));
    }
}
