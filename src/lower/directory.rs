//! The directory: what references resolve to (hosts, ports, bootstraps,
//! topic names), computed from effective fields before full lowering so that
//! any declaration can refer to any other regardless of order. It reports
//! nothing: bad values here are reported by the full lowering.

use std::collections::BTreeMap;

use crate::ast::ValueKind;
use crate::ir::Port;
use crate::kinds::Kind;
use crate::resolve::Fields;

use super::Cx;

/// How other declarations see a service or chart.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub namespace: String,
    pub host: String,
    pub ports: BTreeMap<String, Port>,
}

/// Reference targets by name.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub platform_name: String,
    pub default_namespace: String,
    pub services: BTreeMap<String, Endpoint>,
    pub charts: BTreeMap<String, Endpoint>,
    /// kafka name → bootstrap address.
    pub kafkas: BTreeMap<String, String>,
    /// topic name → Kafka topic name.
    pub topics: BTreeMap<String, String>,
}

fn plain(fields: &Fields<'_>, name: &str) -> Option<String> {
    match &fields.value(name)?.kind {
        ValueKind::Reference(r) if r.segments.len() == 1 => Some(r.segments[0].text.clone()),
        ValueKind::String(s) => s.as_plain(),
        _ => None,
    }
}

fn ports(fields: &Fields<'_>) -> BTreeMap<String, Port> {
    let mut out = BTreeMap::new();
    if let Some(ValueKind::Map(entries)) = fields.value("ports").map(|v| &v.kind) {
        for entry in entries {
            if let ValueKind::Number(n) = &entry.value.kind {
                if let Some(port) = n.scaled(1).and_then(Port::new) {
                    out.insert(entry.path.dotted(), port);
                }
            }
        }
    }
    out
}

impl Directory {
    pub(crate) fn build(cx: &Cx<'_, '_>) -> Directory {
        let mut dir = Directory::default();
        if let Some(platform) = cx.resolved.platform {
            let fields = cx.resolved.effective(platform, cx.env);
            dir.platform_name = platform.name.text.clone();
            dir.default_namespace =
                plain(&fields, "default-namespace").unwrap_or_else(|| platform.name.text.clone());
        }
        let default_namespace = dir.default_namespace.clone();
        let namespace = |fields: &Fields<'_>| {
            plain(fields, "namespace").unwrap_or_else(|| default_namespace.clone())
        };
        // Services are most declarations: their endpoints are built on all
        // cores, in name order, and the map is built from the sorted list.
        let services: Vec<(String, Endpoint)> = {
            use rayon::prelude::*;
            cx.each(Kind::Service)
                .into_par_iter()
                .map(|(name, _, fields)| {
                    let ns = namespace(fields);
                    let host = format!("{name}.{ns}.svc.cluster.local");
                    let endpoint = Endpoint {
                        namespace: ns,
                        host,
                        ports: ports(fields),
                    };
                    (name, endpoint)
                })
                .collect()
        };
        dir.services = services.into_iter().collect();
        for (name, _, fields) in cx.each(Kind::Chart) {
            let ns = namespace(fields);
            let profile = plain(fields, "profile").and_then(|p| crate::profile::builtin().get(&p));
            let service = profile
                .and_then(|p| p.service_name(&name))
                .unwrap_or_else(|| name.clone());
            let mut chart_ports: BTreeMap<String, Port> = profile
                .map(|p| {
                    p.ports
                        .iter()
                        .filter_map(|(k, v)| Port::new(i128::from(*v)).map(|p| (k.clone(), p)))
                        .collect()
                })
                .unwrap_or_default();
            chart_ports.extend(ports(fields));
            let host = format!("{service}.{ns}.svc.cluster.local");
            dir.charts.insert(
                name,
                Endpoint {
                    namespace: ns,
                    host,
                    ports: chart_ports,
                },
            );
        }
        for (name, _, fields) in cx.each(Kind::Kafka) {
            let ns = namespace(fields);
            let tls = plain(fields, "authentication").as_deref() == Some("tls");
            let port = if tls { 9093 } else { 9092 };
            dir.kafkas.insert(
                name.clone(),
                format!("{name}-kafka-bootstrap.{ns}.svc:{port}"),
            );
        }
        for (name, _, fields) in cx.each(Kind::Topic) {
            let topic = plain(fields, "name").unwrap_or_else(|| name.clone());
            dir.topics.insert(name, topic);
        }
        dir
    }
}
