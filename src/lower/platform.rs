//! Lowering of the platform itself and the infrastructure kinds: settings,
//! envs, node pools, namespaces, secrets, charts and `resource` blocks.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::ValueKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, PortMapping, Taint};
use crate::kinds::Kind;
use crate::resolve::Fields;
use crate::span::Span;

use super::{grafana, rbac, streaming, workload, Cx};

pub(crate) fn lower_platform(cx: &mut Cx<'_, '_>) -> Option<ir::Platform> {
    let decl = cx.resolved.platform?;
    let fields = cx.resolved.effective(decl, cx.env);
    let name = decl.name.text.clone();
    let owner = format!("platform `{name}`");
    let repo = cx.required_string(
        &fields,
        "repo",
        decl.name.span,
        &owner,
        "\"https://git.example.com/infra/gitops.git\"",
    );
    let settings = ir::Settings {
        repo: repo.unwrap_or_default(),
        path: cx.string(&fields, "path").unwrap_or_else(|| "out".into()),
        revision: cx
            .string(&fields, "revision")
            .unwrap_or_else(|| "main".into()),
        kubernetes: kubernetes_version(cx, &fields),
        cluster: match cx
            .word(&fields, "cluster", &["k3d", "kind", "none"])
            .as_deref()
        {
            Some("k3d") => ir::ClusterKind::K3d,
            Some("kind") => ir::ClusterKind::Kind,
            _ => ir::ClusterKind::None,
        },
        control_planes: cx.u32(&fields, "control-planes", 1, 9).unwrap_or(1),
        nodepool_label: cx
            .string(&fields, "nodepool-label")
            .unwrap_or_else(|| "platc.dev/nodepool".into()),
        network: match cx
            .word(&fields, "network", &["isolated", "open"])
            .as_deref()
        {
            Some("open") => ir::Network::Open,
            _ => ir::Network::Isolated,
        },
        argocd_namespace: namespace_setting(cx, &fields, "argocd-namespace")
            .unwrap_or_else(|| "argocd".into()),
        grafana_namespace: namespace_setting(cx, &fields, "grafana-namespace")
            .unwrap_or_else(|| "monitoring".into()),
        default_namespace: namespace_setting(cx, &fields, "default-namespace")
            .unwrap_or_else(|| name.clone()),
        origin: decl.name.span,
    };
    let mut platform = ir::Platform {
        name,
        env: cx.env.map(str::to_string),
        settings,
        envs: envs(cx),
        nodepools: nodepools(cx),
        namespaces: BTreeMap::new(),
        secrets: secrets(cx),
        workloads: BTreeMap::new(),
        charts: charts(cx),
        kafkas: streaming::kafkas(cx),
        topics: BTreeMap::new(),
        roles: rbac::roles(cx),
        datasources: grafana::datasources(cx),
        dashboards: BTreeMap::new(),
        resources: resources(cx),
    };
    platform.topics = streaming::topics(cx, &platform.kafkas);
    platform.workloads = workload::workloads(cx, &platform);
    platform.dashboards = grafana::dashboards(cx, &platform.datasources);
    platform.namespaces = namespaces(cx, &platform);
    Some(platform)
}

fn kubernetes_version(cx: &mut Cx<'_, '_>, fields: &Fields<'_>) -> String {
    let Some(value) = fields.value("kubernetes") else {
        return "1.32".into();
    };
    let text = match &value.kind {
        ValueKind::String(s) => s.as_plain(),
        ValueKind::Number(n) if n.unit().is_none() => Some(n.magnitude.to_string()),
        _ => None,
    };
    match text {
        Some(v) if v == "1.32" => v,
        Some(v) => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("Kubernetes `{v}` has no schemas in this platc"),
                    value.span,
                    "unsupported version",
                )
                .with_help(
                    "platc ships the schemas of Kubernetes 1.32: write `kubernetes = \"1.32\"`",
                ),
            );
            "1.32".into()
        }
        None => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    "`kubernetes` expects a version string",
                    value.span,
                    "not a version",
                )
                .with_help("write `kubernetes = \"1.32\"`"),
            );
            "1.32".into()
        }
    }
}

fn namespace_setting(cx: &mut Cx<'_, '_>, fields: &Fields<'_>, name: &str) -> Option<String> {
    let value = fields.value(name)?;
    let text = match &value.kind {
        ValueKind::Reference(r) if r.segments.len() == 1 => r.segments[0].text.clone(),
        ValueKind::String(s) if s.as_plain().is_some() => s.as_plain().unwrap_or_default(),
        _ => {
            cx.string_value(value, name);
            return None;
        }
    };
    if let Err(why) = ir::DnsLabel::new(&text) {
        cx.push(
            Diagnostic::new(
                Code::InvalidName,
                format!("`{text}` is not a valid namespace name: {why}"),
                value.span,
                "invalid namespace",
            )
            .with_help("namespaces are DNS-1123 labels"),
        );
        return None;
    }
    Some(text)
}

fn envs(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Env> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Env) {
        let owner = format!("env `{name}`");
        let destination = cx
            .required_string(
                fields,
                "destination",
                span,
                &owner,
                "\"https://kubernetes.default.svc\"",
            )
            .unwrap_or_default();
        let env = ir::Env {
            name: name.clone(),
            destination,
            revision: cx.string(fields, "revision"),
            auto_sync: cx.bool(fields, "auto-sync").unwrap_or(true),
            origin: span,
        };
        out.insert(name, env);
    }
    out
}

fn nodepools(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::NodePool> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Nodepool) {
        let taints = cx
            .strings(fields, "taints")
            .into_iter()
            .filter_map(|(text, at)| parse_taint(cx, &text, at))
            .collect();
        let ports = cx
            .strings(fields, "ports")
            .into_iter()
            .filter_map(|(text, at)| parse_port_mapping(cx, &text, at))
            .collect();
        let capacity = fields.block("capacity").map(|(block, key)| ir::Capacity {
            cpu: cx.cpu(block, "cpu"),
            memory: cx.size(block, "memory"),
            origin: key,
        });
        let pool = ir::NodePool {
            name: name.clone(),
            count: cx.u32(fields, "count", 1, 100).unwrap_or(1),
            labels: cx.string_map(fields, "labels"),
            taints,
            ports,
            capacity,
            origin: span,
        };
        out.insert(name, pool);
    }
    out
}

fn parse_taint(cx: &mut Cx<'_, '_>, text: &str, at: Span) -> Option<Taint> {
    let parsed = text.rsplit_once(':').and_then(|(kv, effect)| {
        if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            return None;
        }
        let (key, value) = match kv.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (kv, None),
        };
        (!key.is_empty()).then(|| Taint {
            key: key.to_string(),
            value,
            effect: effect.to_string(),
        })
    });
    if parsed.is_none() {
        cx.push(
            Diagnostic::new(Code::TypeMismatch, format!("`{text}` is not a taint"), at, "expected `key=value:Effect`")
                .with_help("write a taint as `key=value:NoSchedule` (effects: NoSchedule, PreferNoSchedule, NoExecute)"),
        );
    }
    parsed
}

fn parse_port_mapping(cx: &mut Cx<'_, '_>, text: &str, at: Span) -> Option<PortMapping> {
    let parsed = text.split_once(':').and_then(|(h, c)| {
        let host = ir::Port::new(h.parse().ok()?)?;
        let container = ir::Port::new(c.parse().ok()?)?;
        Some(PortMapping { host, container })
    });
    if parsed.is_none() {
        cx.push(
            Diagnostic::new(
                Code::InvalidPort,
                format!("`{text}` is not a `host:container` port mapping"),
                at,
                "invalid mapping",
            )
            .with_help("write `\"8080:80\"` with ports from 1 to 65535"),
        );
    }
    parsed
}

fn secrets(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Secret> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Secret) {
        let namespace = cx.namespace(fields);
        if fields.value("keys").is_none() {
            cx.missing(span, &format!("secret `{name}`"), "keys", "[password]");
        }
        let keys: BTreeSet<String> = cx
            .strings(fields, "keys")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        out.insert(
            name.clone(),
            ir::Secret {
                name,
                namespace,
                keys,
                origin: span,
            },
        );
    }
    out
}

fn charts(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Chart> {
    let mut out = BTreeMap::new();
    let profiles = crate::profile::builtin();
    for (name, span, fields) in cx.each(Kind::Chart) {
        let owner = format!("chart `{name}`");
        let profile = match fields.value("profile") {
            Some(value) => {
                let word = match &value.kind {
                    ValueKind::Reference(r) if r.segments.len() == 1 => {
                        Some((r.segments[0].text.clone(), r.span))
                    }
                    ValueKind::String(s) => s.as_plain().map(|p| (p, s.span)),
                    _ => None,
                };
                match word {
                    Some((p, _)) if profiles.get(&p).is_some() => Some(p),
                    Some((p, at)) => {
                        let help =
                            super::suggest::did_you_mean(&p, profiles.names().iter().copied())
                                .unwrap_or_else(|| {
                                    "use `repo` and `chart` for a chart without a profile"
                                        .to_string()
                                });
                        cx.push(
                            Diagnostic::new(
                                Code::UnknownReference,
                                format!("unknown chart profile `{p}`"),
                                at,
                                "no stdlib profile with this name",
                            )
                            .with_help(help),
                        );
                        None
                    }
                    None => {
                        cx.mismatch(value, "profile", "a profile name");
                        None
                    }
                }
            }
            None => None,
        };
        let defaults = profile.as_deref().and_then(|p| profiles.get(p));
        let repo = cx
            .string(fields, "repo")
            .or_else(|| defaults.map(|p| p.repo.clone()));
        let chart = cx
            .string(fields, "chart")
            .or_else(|| defaults.map(|p| p.chart.clone()));
        let version = chart_version(
            cx,
            fields,
            defaults.map(|p| p.version.as_str()),
            span,
            &owner,
        );
        if fields.value("profile").is_none() {
            if repo.is_none() {
                cx.missing(
                    span,
                    &owner,
                    "repo",
                    "\"https://charts.example.com\"` (or `profile = NAME`",
                );
            }
            if chart.is_none() {
                cx.missing(span, &owner, "chart", "\"chart-name\"");
            }
        }
        let namespace = cx.namespace(fields);
        let nodepool = cx.name_ref(fields, "nodepool", Kind::Nodepool);
        let storage = cx.size(fields, "storage");
        let metrics = cx.bool(fields, "metrics").unwrap_or(false);
        let resources = cx.resources(fields);
        let mut ports: BTreeMap<String, ir::Port> = defaults
            .map(|p| {
                p.ports
                    .iter()
                    .filter_map(|(k, v)| {
                        ir::Port::new(i128::from(*v)).map(|port| (k.clone(), port))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ports.extend(cx.ports(fields));
        let ingress = fields.block("ingress").and_then(|(block, key)| {
            let host = cx.required_string(block, "host", key, "ingress", "\"app.example.com\"")?;
            Some(ir::Ingress {
                host,
                port: String::new(),
                path: cx.string(block, "path").unwrap_or_else(|| "/".into()),
                tls: cx.string(block, "tls"),
                class: cx.string(block, "class"),
            })
        });
        let values = match fields.entries.get("values") {
            Some(entry) => {
                super::tree::check_values_secrets(cx, entry, "values");
                super::tree::entry_to_tree(cx, entry)
            }
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        let service = cx
            .directory
            .charts
            .get(&name)
            .map(|e| e.host.split('.').next().unwrap_or_default().to_string());
        out.insert(
            name.clone(),
            ir::Chart {
                name,
                profile,
                repo: repo.unwrap_or_default(),
                chart: chart.unwrap_or_default(),
                version: version.unwrap_or_default(),
                namespace,
                nodepool,
                storage,
                metrics,
                resources,
                ports,
                ingress,
                service,
                values,
                origin: span,
            },
        );
    }
    out
}

fn chart_version(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    default: Option<&str>,
    span: Span,
    owner: &str,
) -> Option<String> {
    let Some(value) = fields.value("version") else {
        if default.is_none() {
            cx.missing(span, owner, "version", "\"1.2.3\"");
        }
        return default.map(str::to_string);
    };
    let version = cx.string_value(value, "version")?;
    if !crate::profile::is_exact_version(&version) {
        cx.push(
            Diagnostic::new(Code::ChartVersion, format!("chart version `{version}` is not an exact version"), value.span, "not exact")
                .with_help("pin an exact version such as `\"16.4.1\"`; ranges and tags make builds unreproducible"),
        );
    }
    Some(version)
}

fn resources(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Resource> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Resource) {
        let owner = format!("resource `{name}`");
        let api_version = cx.required_string(fields, "api-version", span, &owner, "\"group/v1\"");
        let kind = cx.required_string(fields, "kind", span, &owner, "\"Kind\"");
        // The kind names the output file (`<kind>-<name>.yaml`) and the
        // API version the schema: both must be what Kubernetes accepts.
        let at = |field: &str| fields.value(field).map_or(span, |v| v.span);
        let api_version = api_version.filter(|text| match api_version_error(text) {
            None => true,
            Some(why) => {
                cx.push(
                    Diagnostic::new(Code::InvalidName, format!("`{text}` is not a Kubernetes API version: {why}"), at("api-version"), "invalid API version")
                        .with_help("write `v1` for the core group or `GROUP/VERSION` such as `\"apps/v1\"` or `\"sparkoperator.k8s.io/v1beta2\"`"),
                );
                false
            }
        });
        let kind = kind.filter(|text| match kind_error(text) {
            None => true,
            Some(why) => {
                cx.push(
                    Diagnostic::new(Code::InvalidName, format!("`{text}` is not a Kubernetes kind: {why}"), at("kind"), "invalid kind")
                        .with_help("a kind is a CamelCase word of letters and digits, such as `\"SparkApplication\"`"),
                );
                false
            }
        });
        let namespace = fields.value("namespace").map(|_| cx.namespace(fields));
        let mut body = match fields.value("body") {
            Some(value) => super::tree::file_body(cx, value),
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        // Without a `namespace` field the body's `metadata.namespace` is the
        // object's, and a directory of the output (`apps/NAMESPACE/`).
        if namespace.is_none() {
            if let Some(theirs) = body.pointer("/metadata/namespace") {
                let why = match theirs.as_str() {
                    Some(text) => ir::DnsLabel::new(text)
                        .err()
                        .map(|why| format!("`{text}` is not a valid namespace name: {why}")),
                    None => Some(format!(
                        "`metadata.namespace` is `{theirs}`, not a namespace name"
                    )),
                };
                if let Some(why) = why {
                    cx.push(
                        Diagnostic::new(Code::InvalidName, format!("resource `{name}`: {why}"), at("body"), "invalid namespace in the body")
                            .with_help("namespaces are DNS-1123 labels; or set `namespace = NAME` on the declaration, which wins over the body's"),
                    );
                    continue;
                }
            }
        }
        if let Some(entry) = fields.entries.get("spec") {
            let spec = super::tree::entry_to_tree(cx, entry);
            let mut overlay = serde_json::Map::new();
            overlay.insert("spec".into(), spec);
            super::tree::deep_merge(&mut body, serde_json::Value::Object(overlay));
        }
        // "No `Secret` object is ever rendered": a resource may not be one,
        // or its body would put secret values into the repository.
        if let (Some("v1"), Some(kind)) = (api_version.as_deref().map(str::trim), kind.as_deref()) {
            if kind.trim().eq_ignore_ascii_case("secret") {
                let at = fields.value("kind").map_or(span, |v| v.span);
                cx.push(
                    Diagnostic::new(Code::PlaintextSecret, format!("resource `{name}` would render a `Secret` with its values in the repository"), at, "a Secret object")
                        .with_help("declare `secret NAME { keys = [...] }` and create the values outside the repository (sealed-secrets, Vault, `kubectl create secret`)"),
                );
                continue;
            }
        }
        if let (Some(api_version), Some(kind)) = (api_version, kind) {
            out.insert(
                name.clone(),
                ir::Resource {
                    name,
                    api_version,
                    kind,
                    namespace,
                    body,
                    origin: span,
                },
            );
        }
    }
    out
}

/// Why `text` is not an `apiVersion` (`v1`, or a DNS-1123 subdomain group,
/// `/`, and a DNS-1035 label version), or `None`.
fn api_version_error(text: &str) -> Option<String> {
    let (group, version) = match text.split_once('/') {
        Some((group, version)) => (Some(group), version),
        None => (None, text),
    };
    if let Some(group) = group {
        if group.is_empty() || group.len() > 253 {
            return Some("the group must be 1 to 253 characters".into());
        }
        if let Some(label) = group.split('.').find(|l| !is_dns1123_label(l)) {
            return Some(format!("the group's part `{label}` is not a DNS label"));
        }
    }
    if let Err(why) = ir::DnsLabel::new(version) {
        return Some(format!("the version `{version}`: {why}"));
    }
    None
}

/// A DNS-1123 label: 1 to 63 lowercase letters, digits and `-`, starting
/// and ending with a letter or digit.
fn is_dns1123_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Why `text` is not a Kubernetes kind (letters and digits, starting with a
/// letter, at most 63 characters), or `None`.
fn kind_error(text: &str) -> Option<String> {
    if text.is_empty() || text.len() > 63 {
        return Some("a kind is 1 to 63 characters".into());
    }
    if !text.as_bytes()[0].is_ascii_alphabetic() {
        return Some("it must start with a letter".into());
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some("only letters and digits are allowed".into());
    }
    None
}

/// Every namespace used by a declaration, with declared labels and quotas.
fn namespaces(cx: &mut Cx<'_, '_>, platform: &ir::Platform) -> BTreeMap<String, ir::Namespace> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    used.extend(platform.workloads.values().map(|w| w.namespace.clone()));
    used.extend(platform.charts.values().map(|c| c.namespace.clone()));
    used.extend(platform.kafkas.values().map(|k| k.namespace.clone()));
    used.extend(platform.secrets.values().map(|s| s.namespace.clone()));
    used.extend(
        platform
            .resources
            .values()
            .filter_map(|r| r.namespace.clone()),
    );
    used.extend(
        platform
            .roles
            .values()
            .flat_map(|r| r.namespaces.iter().cloned()),
    );
    if !platform.dashboards.is_empty() || !platform.datasources.is_empty() {
        used.insert(platform.settings.grafana_namespace.clone());
    }
    let mut out = BTreeMap::new();
    for (name, _, fields) in cx.each(Kind::Namespace) {
        let quota = fields.block("quota").map(|(block, _)| ir::Quota {
            cpu: cx.cpu(block, "cpu"),
            memory: cx.size(block, "memory"),
            pods: cx.u32(block, "pods", 1, 100_000),
        });
        let labels = cx.string_map(fields, "labels");
        out.insert(
            name.clone(),
            ir::Namespace {
                name,
                declared: true,
                labels,
                quota,
            },
        );
    }
    for name in used {
        out.entry(name.clone()).or_insert(ir::Namespace {
            name,
            declared: false,
            labels: BTreeMap::new(),
            quota: None,
        });
    }
    out
}
