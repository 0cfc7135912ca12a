//! Lowering of `kafka` clusters and `topic`s, with the topic rules
//! (`topic-partitions`, `topic-replicas`, `topic-min-isr`).

use std::collections::BTreeMap;

use crate::ast::ValueKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::kinds::Kind;

use super::Cx;

/// Longest Kafka name: Strimzi names the bootstrap Service `<name>-kafka-bootstrap`.
const MAX_KAFKA_NAME: usize = 63 - "-kafka-bootstrap".len();

/// Kafka version when none is given: one the pinned Strimzi operator (1.2.0) runs in KRaft mode.
const DEFAULT_KAFKA_VERSION: &str = "4.1.0";

/// Broker volume size when none is given (10Gi).
const DEFAULT_KAFKA_STORAGE: u128 = 10 << 30;

pub(crate) fn kafkas(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Kafka> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Kafka) {
        if name.len() > MAX_KAFKA_NAME {
            cx.push(
                Diagnostic::new(Code::InvalidName, format!("kafka name `{name}` is longer than {MAX_KAFKA_NAME} characters"), span, "too long")
                    .with_help(format!("Strimzi derives `{name}-kafka-bootstrap` from it, which must fit in 63 characters")),
            );
        }
        let version = cx.string(fields, "version");
        let kafka = ir::Kafka {
            name: name.clone(),
            namespace: cx.namespace(fields),
            version: version.unwrap_or_else(|| DEFAULT_KAFKA_VERSION.to_string()),
            brokers: cx.u32(fields, "brokers", 1, 100).unwrap_or(1),
            storage: cx
                .size(fields, "storage")
                .unwrap_or_else(|| ir::ByteSize::from_bytes(DEFAULT_KAFKA_STORAGE)),
            nodepool: cx.name_ref(fields, "nodepool", Kind::Nodepool),
            authentication: match cx
                .word(fields, "authentication", &["scram-sha-512", "tls", "none"])
                .as_deref()
            {
                Some("tls") => ir::KafkaAuth::Tls,
                Some("none") => ir::KafkaAuth::None,
                _ => ir::KafkaAuth::ScramSha512,
            },
            resources: cx.resources(fields),
            origin: span,
        };
        out.insert(name, kafka);
    }
    out
}

pub(crate) fn topics(
    cx: &mut Cx<'_, '_>,
    kafkas: &BTreeMap<String, ir::Kafka>,
) -> BTreeMap<String, ir::Topic> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Topic) {
        let kafka = match fields.value("kafka") {
            Some(_) => cx.name_ref(fields, "kafka", Kind::Kafka),
            None if kafkas.len() == 1 => kafkas.keys().next().cloned(),
            None => {
                let owner = format!("topic `{name}`");
                if kafkas.is_empty() {
                    cx.push(
                        Diagnostic::new(
                            Code::UnknownReference,
                            format!("topic `{name}` has no kafka cluster to live in"),
                            span,
                            "no kafka declared",
                        )
                        .with_help(
                            "declare one: `kafka k1 { version = \"3.9.0\"  storage = 100Gi }`",
                        ),
                    );
                } else {
                    cx.missing(
                        span,
                        &owner,
                        "kafka",
                        kafkas.keys().next().map_or("k1", String::as_str),
                    );
                }
                None
            }
        };
        let topic_name = cx.string(fields, "name").unwrap_or_else(|| name.clone());
        if !topic_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            || topic_name.len() > 249
        {
            if let Some(v) = fields.value("name") {
                cx.push(
                    Diagnostic::new(Code::InvalidName, format!("`{topic_name}` is not a valid Kafka topic name"), v.span, "invalid topic name")
                        .with_help("Kafka topic names use letters, digits, `.`, `_` and `-`, at most 249 characters"),
                );
            }
        }
        let partitions_value = fields.value("partitions");
        let partitions = match partitions_value {
            Some(v) => match cx.int_value(v, "partitions", i128::MIN, i128::MAX) {
                Some(p) if p < 1 => {
                    cx.push(
                        Diagnostic::new(
                            Code::TopicPartitions,
                            format!("topic `{name}` has {p} partitions"),
                            v.span,
                            "fewer than 1",
                        )
                        .with_help("a topic needs at least one partition"),
                    );
                    1
                }
                Some(p) => u32::try_from(p).unwrap_or(u32::MAX),
                None => 1,
            },
            None => 1,
        };
        let cluster = kafka.as_ref().and_then(|k| kafkas.get(k));
        let default_replicas = cluster.map_or(1, |k| k.brokers.min(3));
        let replicas_value = fields.value("replicas");
        let replicas = cx
            .u32(fields, "replicas", 1, 100)
            .unwrap_or(default_replicas);
        if let (Some(cluster), Some(v)) = (cluster, replicas_value) {
            if replicas > cluster.brokers {
                cx.push(
                    Diagnostic::new(
                        Code::TopicReplicas,
                        format!("topic `{name}` wants {replicas} replicas but kafka `{}` has {} brokers", cluster.name, cluster.brokers),
                        v.span,
                        "more replicas than brokers",
                    )
                    .with_label(cluster.origin, "kafka declared here")
                    .with_help(format!("set `replicas` to at most {}, or add brokers", cluster.brokers)),
                );
            }
        }
        let config = topic_config(cx, fields);
        if let Some((min_isr, span)) = config_int(fields, "min.insync.replicas") {
            if min_isr > i128::from(replicas) {
                cx.push(
                    Diagnostic::new(
                        Code::TopicMinIsr,
                        format!("topic `{name}` requires {min_isr} in-sync replicas but has only {replicas} replicas"),
                        span,
                        "min.insync.replicas",
                    )
                    .with_optional_help(Some(format!("lower `min.insync.replicas` to at most {replicas}: producers with acks=all would always fail"))),
                );
            }
        }
        let topic = ir::Topic {
            name: name.clone(),
            topic_name,
            kafka: kafka.unwrap_or_default(),
            partitions,
            replicas,
            retention: cx.duration(fields, "retention"),
            config,
            origin: span,
        };
        out.insert(name, topic);
    }
    out
}

fn topic_config(
    cx: &mut Cx<'_, '_>,
    fields: &crate::resolve::Fields<'_>,
) -> BTreeMap<String, String> {
    cx.string_map(fields, "config")
}

fn config_int(fields: &crate::resolve::Fields<'_>, key: &str) -> Option<(i128, crate::span::Span)> {
    let ValueKind::Map(entries) = &fields.value("config")?.kind else {
        return None;
    };
    let entry = entries.iter().find(|e| e.path.dotted() == key)?;
    match &entry.value.kind {
        ValueKind::Number(n) => n.scaled(1).map(|v| (v, entry.value.span)),
        ValueKind::String(s) => s.as_plain()?.parse().ok().map(|v| (v, entry.value.span)),
        _ => None,
    }
}
