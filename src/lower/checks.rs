//! Rules that need the whole typed platform: `orphan-topic`,
//! `pool-capacity`, role namespaces, and the scrape and NetworkPolicy
//! warnings (`orphan-metrics`, `kind-network-policy`).

use std::collections::BTreeSet;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ClusterKind, Network};
use crate::profile::Discovery;

use super::Cx;

pub(crate) fn check(cx: &mut Cx<'_, '_>, platform: &mut ir::Platform) {
    orphan_topics(cx, platform);
    pool_capacity(cx, platform);
    role_namespaces(cx, platform);
    orphan_metrics(cx, platform);
    kind_network_policy(cx, platform);
}

fn orphan_topics(cx: &mut Cx<'_, '_>, platform: &ir::Platform) {
    let published: BTreeSet<&String> = platform
        .workloads
        .values()
        .flat_map(|w| &w.publishes)
        .collect();
    for topic in platform.topics.values() {
        if published.contains(&topic.name) {
            continue;
        }
        let consumers: Vec<&str> = platform
            .workloads
            .values()
            .filter(|w| w.consumes.contains(&topic.name))
            .map(|w| w.name.as_str())
            .collect();
        if let Some(first) = consumers.first() {
            cx.push(
                Diagnostic::new(
                    Code::OrphanTopic,
                    format!(
                        "topic `{}` is consumed by `{first}` but no workload publishes it",
                        topic.name
                    ),
                    topic.origin,
                    "nobody publishes this topic",
                )
                .with_help("add it to a workload's `publishes`, or drop it from `consumes`"),
            );
        }
    }
}

fn pool_capacity(cx: &mut Cx<'_, '_>, platform: &ir::Platform) {
    for pool in platform.nodepools.values() {
        let Some(capacity) = &pool.capacity else {
            continue;
        };
        let mut cpu: u128 = 0;
        let mut memory: u128 = 0;
        let mut add = |resources: &ir::Resources, copies: u32| {
            if let Some(c) = &resources.cpu {
                cpu += u128::from(c.request.0) * u128::from(copies);
            }
            if let Some(m) = &resources.memory {
                memory += m.request.bytes * u128::from(copies);
            }
        };
        for w in platform
            .workloads
            .values()
            .filter(|w| w.nodepool.as_deref() == Some(&pool.name))
        {
            let copies = w
                .replicas
                .unwrap_or_else(|| w.autoscale.as_ref().map_or(1, |a| a.min.max(1)));
            add(&w.resources, copies);
        }
        for c in platform
            .charts
            .values()
            .filter(|c| c.nodepool.as_deref() == Some(&pool.name))
        {
            add(&c.resources, 1);
        }
        for k in platform
            .kafkas
            .values()
            .filter(|k| k.nodepool.as_deref() == Some(&pool.name))
        {
            add(&k.resources, k.brokers);
        }
        let count = u128::from(pool.count);
        if let Some(cap) = capacity.cpu {
            let total = u128::from(cap.0) * count;
            if cpu > total {
                cx.push(
                    Diagnostic::new(
                        Code::PoolCapacity,
                        format!("CPU requests pinned to node pool `{}` ({}m) exceed its capacity ({} × {})", pool.name, cpu, pool.count, cap.quantity()),
                        capacity.origin,
                        "capacity declared here",
                    )
                    .with_help("add nodes (`count`), raise `capacity`, lower requests, or move workloads to another pool"),
                );
            }
        }
        if let Some(cap) = &capacity.memory {
            let total = cap.bytes * count;
            if memory > total {
                cx.push(
                    Diagnostic::new(
                        Code::PoolCapacity,
                        format!(
                            "memory requests pinned to node pool `{}` ({}) exceed its capacity ({} × {})",
                            pool.name,
                            ir::ByteSize::from_bytes(memory).text,
                            pool.count,
                            cap.text
                        ),
                        capacity.origin,
                        "capacity declared here",
                    )
                    .with_help("add nodes (`count`), raise `capacity`, lower requests, or move workloads to another pool"),
                );
            }
        }
    }
}

fn role_namespaces(cx: &mut Cx<'_, '_>, platform: &ir::Platform) {
    if platform.roles.is_empty() {
        return;
    }
    // Namespaces something is deployed to, gathered once (asking every
    // workload for every namespace was quadratic: 15 ms at 10,000 services).
    let used: BTreeSet<&str> = platform
        .workloads
        .values()
        .map(|w| w.namespace.as_str())
        .chain(platform.charts.values().map(|c| c.namespace.as_str()))
        .chain(platform.kafkas.values().map(|k| k.namespace.as_str()))
        .chain(
            platform
                .resources
                .values()
                .filter_map(|r| r.namespace.as_deref()),
        )
        .chain(platform.secrets.values().map(|s| s.namespace.as_str()))
        .collect();
    let known: BTreeSet<&str> = platform
        .namespaces
        .values()
        .filter(|n| n.declared || used.contains(n.name.as_str()))
        .map(|n| n.name.as_str())
        .chain([
            platform.settings.default_namespace.as_str(),
            platform.settings.grafana_namespace.as_str(),
        ])
        .collect();
    for role in platform.roles.values() {
        for ns in &role.namespaces {
            if !known.contains(ns.as_str()) {
                let help = super::suggest::did_you_mean(ns, known.iter().copied())
                    .unwrap_or_else(|| format!("declare it with `namespace {ns} {{}}`"));
                cx.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!("role `{}` binds in unknown namespace `{ns}`", role.name),
                        role.origin,
                        "role declared here",
                    )
                    .with_help(help),
                );
            }
        }
    }
}

fn orphan_metrics(cx: &mut Cx<'_, '_>, platform: &ir::Platform) {
    let profiles = crate::profile::builtin();
    let scrapes = platform.charts.values().any(|c| {
        c.profile
            .as_deref()
            .and_then(|p| profiles.get(p))
            .and_then(|p| p.prometheus.as_ref())
            .is_some_and(|p| p.discovery == Discovery::ServiceMonitor)
    });
    if scrapes {
        return;
    }
    // One per workload with metrics (10,000 in the peer model): built on all
    // cores (on one, 19 samples of a 999 Hz profile while the other core
    // idled), appended in workload order into room reserved once (pushed
    // one by one, the vector's doublings were ~25 ms of fresh pages).
    use rayon::prelude::*;
    cx.par_extend(platform.workloads.par_iter().filter_map(|(_, w)| {
        let metrics = w.metrics.as_ref()?;
        Some(
            Diagnostic::new(
                Code::OrphanMetrics,
                format!("`{}` exposes metrics but no declared Prometheus reads ServiceMonitors", w.name),
                metrics.origin,
                "nothing scrapes this",
            )
            .with_help("add `chart monitoring { profile = kube-prometheus-stack }`, or remove the `metrics` block"),
        )
    }));
}

fn kind_network_policy(cx: &mut Cx<'_, '_>, platform: &ir::Platform) {
    let s = &platform.settings;
    if s.cluster != ClusterKind::Kind || s.network != Network::Isolated {
        return;
    }
    let has_cni = platform.charts.values().any(|c| {
        ["calico", "cilium", "tigera-operator"]
            .iter()
            .any(|n| c.chart.contains(n))
    });
    if !has_cni {
        cx.push(
            Diagnostic::new(
                Code::KindNetworkPolicy,
                "`network = isolated` is not enforced on kind: kindnet ignores NetworkPolicy",
                s.origin,
                "platform declared here",
            )
            .with_help("install a CNI that enforces NetworkPolicy (Calico, Cilium), use `cluster = k3d`, or set `network = open`"),
        );
    }
}
