//! The declaration kinds and, for each, the fields and blocks it has. The
//! grammar is shape-only; this table is what `unknown-field` (with its
//! did-you-mean) and the attribute-versus-block checks read.

use serde::Serialize;

/// A declaration kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Kind {
    Platform,
    Env,
    Nodepool,
    Namespace,
    Secret,
    Service,
    Job,
    Chart,
    Kafka,
    Topic,
    Role,
    Datasource,
    Dashboard,
    Resource,
}

impl Kind {
    /// Every kind, in the order LANGUAGE.md lists them.
    pub const ALL: &'static [Kind] = &[
        Kind::Platform,
        Kind::Env,
        Kind::Nodepool,
        Kind::Namespace,
        Kind::Secret,
        Kind::Service,
        Kind::Job,
        Kind::Chart,
        Kind::Kafka,
        Kind::Topic,
        Kind::Role,
        Kind::Datasource,
        Kind::Dashboard,
        Kind::Resource,
    ];

    /// The keyword (`service`).
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Platform => "platform",
            Kind::Env => "env",
            Kind::Nodepool => "nodepool",
            Kind::Namespace => "namespace",
            Kind::Secret => "secret",
            Kind::Service => "service",
            Kind::Job => "job",
            Kind::Chart => "chart",
            Kind::Kafka => "kafka",
            Kind::Topic => "topic",
            Kind::Role => "role",
            Kind::Datasource => "datasource",
            Kind::Dashboard => "dashboard",
            Kind::Resource => "resource",
        }
    }

    /// What the kind is called in messages ("node pool").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Nodepool => "node pool",
            Kind::Kafka => "kafka cluster",
            other => other.keyword(),
        }
    }

    /// The kind for a keyword.
    pub fn from_keyword(word: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.keyword() == word)
    }

    /// The fields this kind's body may hold.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Platform => PLATFORM,
            Kind::Env => ENV,
            Kind::Nodepool => NODEPOOL,
            Kind::Namespace => NAMESPACE,
            Kind::Secret => SECRET,
            Kind::Service => SERVICE,
            Kind::Job => JOB,
            Kind::Chart => CHART,
            Kind::Kafka => KAFKA,
            Kind::Topic => TOPIC,
            Kind::Role => ROLE,
            Kind::Datasource => DATASOURCE,
            Kind::Dashboard => DASHBOARD,
            Kind::Resource => RESOURCE,
        }
    }
}

/// How a field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `field = value`.
    Attr,
    /// `field = value` where `none` is one of the values (`cluster = none`),
    /// not a removal.
    AttrNoneValue,
    /// `field { … }`, merged field by field; at most one per body.
    Block(&'static [Field]),
    /// `field { … }` or `field "label" { … }`, repeatable, kept in source order.
    Multi(&'static [Field]),
    /// A free-form map: `field { a.b = 1 }` or `field = { … }`; deep-merged.
    Free,
    /// A block whose keys are names chosen by the user, each holding a map
    /// with these fields (`storage { data = { mount = "/data", size = 1Gi } }`).
    Named(&'static [Field]),
}

/// One field of a kind or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
}

const fn attr(name: &'static str) -> Field {
    Field {
        name,
        shape: Shape::Attr,
    }
}

const fn attr_none(name: &'static str) -> Field {
    Field {
        name,
        shape: Shape::AttrNoneValue,
    }
}

const fn block(name: &'static str, fields: &'static [Field]) -> Field {
    Field {
        name,
        shape: Shape::Block(fields),
    }
}

const fn multi(name: &'static str, fields: &'static [Field]) -> Field {
    Field {
        name,
        shape: Shape::Multi(fields),
    }
}

const fn free(name: &'static str) -> Field {
    Field {
        name,
        shape: Shape::Free,
    }
}

const fn named(name: &'static str, fields: &'static [Field]) -> Field {
    Field {
        name,
        shape: Shape::Named(fields),
    }
}

/// Looks a field up by name.
pub fn find(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}

const PLATFORM: &[Field] = &[
    attr("repo"),
    attr("path"),
    attr("revision"),
    attr("kubernetes"),
    attr_none("cluster"),
    attr("control-planes"),
    attr("nodepool-label"),
    attr("network"),
    attr("argocd-namespace"),
    attr("grafana-namespace"),
    attr("default-namespace"),
];

const ENV: &[Field] = &[attr("destination"), attr("revision"), attr("auto-sync")];

const CAPACITY: &[Field] = &[attr("cpu"), attr("memory")];

const NODEPOOL: &[Field] = &[
    attr("count"),
    attr("labels"),
    attr("taints"),
    attr("ports"),
    block("capacity", CAPACITY),
];

const QUOTA: &[Field] = &[attr("cpu"), attr("memory"), attr("pods")];

const NAMESPACE: &[Field] = &[attr("labels"), block("quota", QUOTA)];

const SECRET: &[Field] = &[attr("namespace"), attr("keys")];

const RESOURCES: &[Field] = &[attr("cpu"), attr("memory")];

const HEALTH: &[Field] = &[
    attr("liveness"),
    attr("readiness"),
    attr("startup"),
    attr("port"),
];

const KAFKA_LAG: &[Field] = &[attr("topic"), attr("group"), attr("threshold")];

const AUTOSCALE: &[Field] = &[
    attr("min"),
    attr("max"),
    attr("cpu"),
    attr("memory"),
    block("kafka-lag", KAFKA_LAG),
];

const INGRESS: &[Field] = &[
    attr("host"),
    attr("port"),
    attr("path"),
    attr("tls"),
    attr("class"),
];

const METRICS: &[Field] = &[attr("port"), attr("path"), attr("interval")];

const VOLUME: &[Field] = &[attr("mount"), attr("size")];

const SECURITY: &[Field] = &[
    attr("run-as-user"),
    attr("read-only-root"),
    attr("capabilities"),
    attr("host-network"),
];

/// Fields services and jobs share.
macro_rules! workload_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            attr("namespace"),
            attr("image"),
            attr("command"),
            attr("args"),
            attr("env"),
            attr("labels"),
            block("resources", RESOURCES),
            attr("publishes"),
            attr("consumes"),
            attr("talks-to"),
            attr("nodepool"),
            attr("ports"),
            named("storage", VOLUME),
            block("security", SECURITY),
            attr("reload-on-change"),
            $($extra,)*
        ]
    };
}

const SERVICE: &[Field] = workload_fields![
    attr("replicas"),
    block("health", HEALTH),
    block("autoscale", AUTOSCALE),
    block("ingress", INGRESS),
    block("metrics", METRICS),
];

const JOB: &[Field] = workload_fields![attr("schedule"), attr("backoff-limit"), attr("ttl")];

const CHART_INGRESS: &[Field] = &[attr("host"), attr("path"), attr("tls"), attr("class")];

const CHART: &[Field] = &[
    attr("profile"),
    attr("repo"),
    attr("chart"),
    attr("version"),
    attr("namespace"),
    attr("nodepool"),
    attr("storage"),
    attr("metrics"),
    block("resources", RESOURCES),
    attr("ports"),
    block("ingress", CHART_INGRESS),
    free("values"),
];

const KAFKA: &[Field] = &[
    attr("namespace"),
    attr("version"),
    attr("brokers"),
    attr("storage"),
    attr("nodepool"),
    attr_none("authentication"),
    block("resources", RESOURCES),
];

const TOPIC: &[Field] = &[
    attr("kafka"),
    attr("name"),
    attr("partitions"),
    attr("replicas"),
    attr("retention"),
    attr("config"),
];

const RULE: &[Field] = &[
    attr("api-groups"),
    attr("resources"),
    attr("verbs"),
    attr("resource-names"),
];

const ROLE: &[Field] = &[
    attr("access"),
    attr("scope"),
    attr("namespaces"),
    attr("groups"),
    attr("users"),
    attr("service-accounts"),
    multi("rule", RULE),
];

const DATASOURCE: &[Field] = &[attr("type"), attr("url"), attr("default"), attr("database")];

const PANEL: &[Field] = &[
    attr("type"),
    attr("query"),
    attr("unit"),
    attr("datasource"),
    attr("width"),
    attr("height"),
];

const ROW: &[Field] = &[multi("panel", PANEL)];

const DASHBOARD: &[Field] = &[
    attr("title"),
    attr("folder"),
    attr("datasource"),
    attr("refresh"),
    attr("time"),
    attr("tags"),
    multi("row", ROW),
    multi("panel", PANEL),
];

const RESOURCE: &[Field] = &[
    attr("api-version"),
    attr("kind"),
    attr("namespace"),
    attr("body"),
    free("spec"),
];
