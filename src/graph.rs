//! The architecture of a platform as a graph: `graph(&ir::Platform, GraphFormat)`
//! returns Mermaid or Graphviz DOT text with workloads, charts, kafka clusters
//! and topics grouped by namespace (subgraphs / clusters), node pools in a
//! group of their own, and edges for publishing and consuming topics,
//! `talks-to` (including connections implied by host references), the kafka
//! cluster of each topic and placement on node pools. Takes the base view of
//! `pipeline::check`; pure and deterministic (everything is visited in
//! `BTreeMap` order).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::ir::{self, Target, WorkloadKind};

/// The text format of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// A Mermaid `flowchart` (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

/// The shape a node is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Workload,
    Chart,
    Kafka,
    Topic,
    Nodepool,
}

/// One node: a stable id, a two-line label and a shape.
#[derive(Debug)]
struct Node {
    id: String,
    title: String,
    detail: String,
    shape: Shape,
}

/// The edge kinds, drawn solid (data flow) or dashed (placement, membership).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EdgeKind {
    Publishes,
    ConsumedBy,
    TalksTo,
    TopicOf,
    RunsOn,
}

impl EdgeKind {
    fn label(self) -> &'static str {
        match self {
            EdgeKind::Publishes => "publishes",
            EdgeKind::ConsumedBy => "consumed by",
            EdgeKind::TalksTo => "talks to",
            EdgeKind::TopicOf => "on",
            EdgeKind::RunsOn => "runs on",
        }
    }

    fn dashed(self) -> bool {
        matches!(self, EdgeKind::TopicOf | EdgeKind::RunsOn)
    }
}

/// Nodes by namespace (`None`: node pools) and edges, all sorted.
#[derive(Debug, Default)]
struct Model {
    groups: BTreeMap<Option<String>, Vec<Node>>,
    edges: Vec<(String, String, EdgeKind)>,
}

fn id(prefix: &str, name: &str) -> String {
    // Names are DNS labels, so `-` → `_` keeps ids distinct and valid everywhere.
    format!("{prefix}_{}", name.replace(['-', '.'], "_"))
}

fn workload_detail(workload: &ir::Workload) -> String {
    let ports: Vec<String> = workload
        .ports
        .iter()
        .map(|(name, port)| format!("{name}:{}", port.0))
        .collect();
    match &workload.kind {
        WorkloadKind::Service if ports.is_empty() => "service".to_string(),
        WorkloadKind::Service => ports.join(" "),
        WorkloadKind::Job(spec) => match &spec.schedule {
            Some(schedule) => format!("cron {schedule}"),
            None => "run to completion".to_string(),
        },
    }
}

fn model(platform: &ir::Platform) -> Model {
    let mut model = Model::default();
    let mut add = |namespace: Option<&str>, node: Node| {
        model
            .groups
            .entry(namespace.map(str::to_string))
            .or_default()
            .push(node);
    };
    for (name, workload) in &platform.workloads {
        let kind = match workload.kind {
            WorkloadKind::Service => "service",
            WorkloadKind::Job(_) => "job",
        };
        add(
            Some(&workload.namespace),
            Node {
                id: id("workload", name),
                title: format!("{kind} {name}"),
                detail: workload_detail(workload),
                shape: Shape::Workload,
            },
        );
    }
    for (name, chart) in &platform.charts {
        add(
            Some(&chart.namespace),
            Node {
                id: id("chart", name),
                title: format!("chart {name}"),
                detail: format!("{} {}", chart.chart, chart.version),
                shape: Shape::Chart,
            },
        );
    }
    for (name, kafka) in &platform.kafkas {
        let brokers = if kafka.brokers == 1 {
            "1 broker".to_string()
        } else {
            format!("{} brokers", kafka.brokers)
        };
        add(
            Some(&kafka.namespace),
            Node {
                id: id("kafka", name),
                title: format!("kafka {name}"),
                detail: brokers,
                shape: Shape::Kafka,
            },
        );
    }
    for (name, topic) in &platform.topics {
        let namespace = platform
            .kafkas
            .get(&topic.kafka)
            .map(|k| k.namespace.as_str());
        add(
            namespace,
            Node {
                id: id("topic", name),
                title: format!("topic {name}"),
                detail: topic.topic_name.clone(),
                shape: Shape::Topic,
            },
        );
    }
    for (name, pool) in &platform.nodepools {
        let nodes = if pool.count == 1 {
            "1 node".to_string()
        } else {
            format!("{} nodes", pool.count)
        };
        add(
            None,
            Node {
                id: id("nodepool", name),
                title: format!("nodepool {name}"),
                detail: nodes,
                shape: Shape::Nodepool,
            },
        );
    }

    let mut edges = Vec::new();
    for (name, workload) in &platform.workloads {
        let from = id("workload", name);
        for topic in &workload.publishes {
            edges.push((from.clone(), id("topic", topic), EdgeKind::Publishes));
        }
        for topic in &workload.consumes {
            edges.push((id("topic", topic), from.clone(), EdgeKind::ConsumedBy));
        }
        for target in &workload.talks_to {
            let to = match target {
                Target::Service(t) => id("workload", t),
                Target::Chart(t) => id("chart", t),
                Target::Kafka(t) => id("kafka", t),
            };
            edges.push((from.clone(), to, EdgeKind::TalksTo));
        }
        if let Some(pool) = &workload.nodepool {
            edges.push((from.clone(), id("nodepool", pool), EdgeKind::RunsOn));
        }
    }
    for (name, topic) in &platform.topics {
        edges.push((
            id("topic", name),
            id("kafka", &topic.kafka),
            EdgeKind::TopicOf,
        ));
    }
    for (name, chart) in &platform.charts {
        if let Some(pool) = &chart.nodepool {
            edges.push((id("chart", name), id("nodepool", pool), EdgeKind::RunsOn));
        }
    }
    for (name, kafka) in &platform.kafkas {
        if let Some(pool) = &kafka.nodepool {
            edges.push((id("kafka", name), id("nodepool", pool), EdgeKind::RunsOn));
        }
    }
    edges.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
    edges.dedup();
    model.edges = edges;
    model
}

/// The graph of `platform` in `format`.
pub fn graph(platform: &ir::Platform, format: GraphFormat) -> String {
    let model = model(platform);
    match format {
        GraphFormat::Mermaid => mermaid(platform, &model),
        GraphFormat::Dot => dot(platform, &model),
    }
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn mermaid(platform: &ir::Platform, model: &Model) -> String {
    let mut out = String::new();
    out.push_str("flowchart LR\n");
    let _ = writeln!(
        out,
        "  %% platform {}: workloads, charts, kafka and topics by namespace",
        platform.name
    );
    for (group, nodes) in &model.groups {
        let (group_id, title) = match group {
            Some(ns) => (id("namespace", ns), format!("namespace {ns}")),
            None => ("nodepools".to_string(), "node pools".to_string()),
        };
        let _ = writeln!(out, "  subgraph {group_id}[\"{}\"]", mermaid_text(&title));
        for node in nodes {
            let label = format!(
                "{}<br/>{}",
                mermaid_text(&node.title),
                mermaid_text(&node.detail)
            );
            let (open, close) = match node.shape {
                Shape::Workload => ("[\"", "\"]"),
                Shape::Chart => ("[[\"", "\"]]"),
                Shape::Kafka => ("[(\"", "\")]"),
                Shape::Topic => (">\"", "\"]"),
                Shape::Nodepool => ("{{\"", "\"}}"),
            };
            let _ = writeln!(out, "    {}{open}{label}{close}", node.id);
        }
        out.push_str("  end\n");
    }
    for (from, to, kind) in &model.edges {
        let arrow = if kind.dashed() { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {from} {arrow}|{}| {to}", kind.label());
    }
    out
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(platform: &ir::Platform, model: &Model) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&platform.name));
    out.push_str("  rankdir=LR;\n  compound=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (group, nodes) in &model.groups {
        let (group_id, title) = match group {
            Some(ns) => (
                format!("cluster_{}", id("namespace", ns)),
                format!("namespace {ns}"),
            ),
            None => ("cluster_nodepools".to_string(), "node pools".to_string()),
        };
        let _ = writeln!(out, "  subgraph {group_id} {{");
        let _ = writeln!(out, "    label=\"{}\";", dot_text(&title));
        for node in nodes {
            let shape = match node.shape {
                Shape::Workload => "box",
                Shape::Chart => "component",
                Shape::Kafka => "cylinder",
                Shape::Topic => "cds",
                Shape::Nodepool => "hexagon",
            };
            let _ = writeln!(
                out,
                "    {} [label=\"{}\\n{}\", shape={shape}];",
                node.id,
                dot_text(&node.title),
                dot_text(&node.detail)
            );
        }
        out.push_str("  }\n");
    }
    for (from, to, kind) in &model.edges {
        let style = if kind.dashed() { ", style=dashed" } else { "" };
        let _ = writeln!(out, "  {from} -> {to} [label=\"{}\"{style}];", kind.label());
    }
    out.push_str("}\n");
    out
}
