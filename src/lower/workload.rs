//! Lowering of `service` and `job` declarations into `ir::Workload`.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Value, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, EnvValue, Target};
use crate::kinds::Kind;
use crate::resolve::{suggest, Entry, Fields};
use crate::span::Span;

use super::{list_words, Cx};

/// Env var name endings that mark a secret value.
const SECRET_SUFFIXES: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "KEY"];

pub(crate) fn workloads(
    cx: &mut Cx<'_, '_>,
    platform: &ir::Platform,
) -> BTreeMap<String, Box<ir::Workload>> {
    let mut out = BTreeMap::new();
    let services = cx.each(Kind::Service);
    let jobs = cx.each(Kind::Job);
    let service_spans: BTreeMap<String, Span> =
        services.iter().map(|(n, s, _)| (n.clone(), *s)).collect();
    // Services are lowered on all cores, each with a fork of `cx`; their
    // diagnostics are appended in declaration order.
    let lowered: Vec<(String, Option<Box<ir::Workload>>, Vec<Diagnostic>)> = {
        use rayon::prelude::*;
        let shared = &*cx;
        services
            .into_par_iter()
            .map(|(name, span, fields)| {
                let mut fork = shared.fork();
                let w = workload(&mut fork, platform, &name, span, fields, false).map(Box::new);
                (name, w, fork.diagnostics)
            })
            .collect()
    };
    for (name, w, diagnostics) in lowered {
        cx.diagnostics.extend(diagnostics);
        if let Some(w) = w {
            out.insert(name, w);
        }
    }
    for (name, span, fields) in jobs {
        if let Some(first) = service_spans.get(&name) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateDeclaration,
                    format!("job `{name}` has the name of a service"),
                    span,
                    "job declared here",
                )
                .with_label(*first, "service declared here")
                .with_help(
                    "services and jobs share ServiceAccount and KafkaUser names: rename one",
                ),
            );
            continue;
        }
        if let Some(w) = workload(cx, platform, &name, span, fields, true) {
            out.insert(name, Box::new(w));
        }
    }
    out
}

fn workload(
    cx: &mut Cx<'_, '_>,
    platform: &ir::Platform,
    name: &str,
    span: Span,
    fields: &Fields<'_>,
    is_job: bool,
) -> Option<ir::Workload> {
    let noun = if is_job { "job" } else { "service" };
    let owner = format!("{noun} `{name}`");
    let namespace = cx.namespace(fields);
    let image = cx.required_string(
        fields,
        "image",
        span,
        &owner,
        "\"registry.example.com/app:1.0.0\"",
    );
    if let (Some(image), Some(value)) = (&image, fields.value("image")) {
        check_image(cx, image, value.span);
    }
    let command: Vec<String> = cx
        .strings(fields, "command")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let args: Vec<String> = cx
        .strings(fields, "args")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let ports = cx.ports(fields);
    let mut talks_to = BTreeSet::new();
    let env = env_vars(cx, fields, &namespace, platform, &mut talks_to);
    let resources = cx.resources(fields);
    let nodepool = cx.name_ref(fields, "nodepool", Kind::Nodepool);
    let publishes: BTreeSet<String> = cx
        .name_refs(fields, "publishes", Kind::Topic)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let consumes: BTreeSet<String> = cx
        .name_refs(fields, "consumes", Kind::Topic)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    explicit_talks_to(cx, fields, &mut talks_to);
    let storage = storage(cx, fields);
    let security = security(cx, fields);
    let labels = cx.string_map(fields, "labels");
    let reload_on_change = cx.bool(fields, "reload-on-change").unwrap_or(false);

    let (kind, replicas, health, autoscale, ingress, metrics) = if is_job {
        let schedule = cx.string(fields, "schedule");
        if let (Some(schedule), Some(value)) = (&schedule, fields.value("schedule")) {
            check_schedule(cx, schedule, value.span);
        }
        if schedule.is_some() && name.len() > 52 {
            cx.push(
                Diagnostic::new(Code::InvalidName, format!("scheduled job name `{name}` is longer than 52 characters"), span, "too long for a CronJob")
                    .with_help("CronJob names are at most 52 characters (the controller appends 11 to name its Jobs)"),
            );
        }
        let spec = ir::JobSpec {
            schedule,
            backoff_limit: cx.u32(fields, "backoff-limit", 0, 100),
            ttl: cx.duration(fields, "ttl"),
        };
        (ir::WorkloadKind::Job(spec), None, None, None, None, None)
    } else {
        let health = health(cx, fields, &ports);
        let autoscale = autoscale(cx, fields, &resources, name);
        let ingress = ingress(cx, fields, &ports);
        let metrics = metrics(cx, fields, &ports);
        let replicas = cx.u32(fields, "replicas", 0, 1000);
        let replicas = if autoscale.is_some() {
            None
        } else {
            Some(replicas.unwrap_or(1))
        };
        (
            ir::WorkloadKind::Service,
            replicas,
            health,
            autoscale,
            ingress,
            metrics,
        )
    };

    Some(ir::Workload {
        name: name.to_string(),
        kind,
        namespace,
        image: image?,
        command,
        args,
        replicas,
        // Built as standard maps and sets, kept as sorted vectors
        // (`ir::SortedMap`: a third of the IR's memory at 10,000 services).
        ports: ports.into_iter().collect(),
        env: env.into_iter().collect(),
        resources,
        health,
        autoscale,
        ingress,
        metrics,
        publishes: publishes.into_iter().collect(),
        consumes: consumes.into_iter().collect(),
        talks_to: talks_to.into_iter().collect(),
        storage,
        reload_on_change,
        security,
        nodepool,
        labels,
        origin: span,
    })
}

fn check_image(cx: &mut Cx<'_, '_>, image: &str, span: Span) {
    if image.contains("@sha256:") {
        return;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => cx.push(
            Diagnostic::new(
                Code::ImageUntagged,
                format!("image `{image}` has neither a tag nor a digest"),
                span,
                "untagged image",
            )
            .with_help(format!(
                "pin a version: `{image}:1.2.3` or `{image}@sha256:…`"
            )),
        ),
        Some((_, "")) => cx.push(
            Diagnostic::new(
                Code::ImageUntagged,
                format!("image `{image}` has an empty tag"),
                span,
                "empty tag",
            )
            .with_help("write the version after `:`"),
        ),
        Some((_, "latest")) => cx.push(
            Diagnostic::new(
                Code::ImageLatest,
                format!("image `{image}` uses the tag `latest`"),
                span,
                "moving tag",
            )
            .with_help("pin a version: `latest` changes under ArgoCD without any commit"),
        ),
        Some(_) => {}
    }
}

fn check_schedule(cx: &mut Cx<'_, '_>, schedule: &str, span: Span) {
    let macros = [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    let fields = schedule.split_whitespace().count();
    let valid_chars = schedule
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " */,-?".contains(c));
    if macros.contains(&schedule) || (fields == 5 && valid_chars) {
        return;
    }
    cx.push(
        Diagnostic::new(Code::TypeMismatch, format!("`{schedule}` is not a cron schedule"), span, "expected five cron fields")
            .with_help("write `minute hour day-of-month month day-of-week`, e.g. `\"*/5 * * * *\"`, or `@daily`"),
    );
}

fn env_vars(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    namespace: &str,
    platform: &ir::Platform,
    talks_to: &mut BTreeSet<Target>,
) -> BTreeMap<String, EnvValue> {
    let mut out = BTreeMap::new();
    let Some(value) = fields.value("env") else {
        return out;
    };
    let ValueKind::Map(entries) = &value.kind else {
        cx.mismatch(value, "env", "a map `{ NAME = value }`");
        return out;
    };
    for entry in entries {
        let key = entry.path.dotted();
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || entry.path.segments.len() > 1
        {
            cx.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("`{key}` is not a usable environment variable name"),
                    entry.path.span,
                    "invalid name",
                )
                .with_help("use letters, digits and `_`, such as `LOG_LEVEL`"),
            );
            continue;
        }
        let resolved = env_value(cx, &key, &entry.value, namespace, platform, talks_to);
        if let Some(v) = resolved {
            out.insert(key, v);
        }
    }
    out
}

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

fn env_value(
    cx: &mut Cx<'_, '_>,
    key: &str,
    value: &Value,
    namespace: &str,
    platform: &ir::Platform,
    talks_to: &mut BTreeSet<Target>,
) -> Option<EnvValue> {
    match &value.kind {
        ValueKind::String(lit) => {
            if looks_secret(key) && lit.as_plain().is_some() {
                cx.push(
                    Diagnostic::new(
                        Code::PlaintextSecret,
                        format!("`{key}` looks like a secret but is set to a string literal"),
                        value.span,
                        "plain text in the repository",
                    )
                    .with_help(format!(
                        "declare `secret NAME {{ keys = [{}] }}` and write `{key} = secret.NAME.{}`",
                        key.to_ascii_lowercase().replace('_', "-"),
                        key.to_ascii_lowercase().replace('_', "-")
                    )),
                );
                return None;
            }
            cx.implied_targets(lit, talks_to);
            cx.interpolate(lit).map(EnvValue::Literal)
        }
        ValueKind::Heredoc(text) => {
            if looks_secret(key) {
                cx.push(
                    Diagnostic::new(
                        Code::PlaintextSecret,
                        format!("`{key}` looks like a secret but is set to literal text"),
                        value.span,
                        "plain text in the repository",
                    )
                    .with_help(format!(
                        "reference a declared secret: `{key} = secret.NAME.KEY`"
                    )),
                );
                return None;
            }
            Some(EnvValue::Literal(text.clone()))
        }
        ValueKind::Number(n) => Some(EnvValue::Literal(n.text())),
        ValueKind::Bool(b) => Some(EnvValue::Literal(b.to_string())),
        ValueKind::Reference(r) if r.segments.first().is_some_and(|s| s.text == "secret") => {
            secret_ref(cx, r, namespace, platform)
        }
        ValueKind::Reference(r) if r.segments.len() > 1 => {
            cx.implied_target(r, talks_to);
            cx.reference_text(r, false).map(EnvValue::Literal)
        }
        _ => {
            cx.mismatch(value, key, "a string, number, boolean or reference");
            None
        }
    }
}

fn secret_ref(
    cx: &mut Cx<'_, '_>,
    r: &crate::ast::Reference,
    namespace: &str,
    platform: &ir::Platform,
) -> Option<EnvValue> {
    let [_, secret, key] = &*r.segments else {
        cx.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("`{}` does not name a secret key", r.dotted()),
                r.span,
                "incomplete secret reference",
            )
            .with_help("write `secret.SECRET.KEY`"),
        );
        return None;
    };
    if !cx.check_declared(Kind::Secret, &secret.text, secret.span) {
        return None;
    }
    let declared = platform.secrets.get(&secret.text)?;
    if !declared.keys.contains(&key.text) {
        let help = suggest::did_you_mean(&key.text, declared.keys.iter().map(String::as_str))
            .unwrap_or_else(|| {
                format!(
                    "its keys are {}",
                    list_words(&declared.keys.iter().map(String::as_str).collect::<Vec<_>>())
                )
            });
        cx.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("secret `{}` has no key `{}`", secret.text, key.text),
                key.span,
                "unknown key",
            )
            .with_label(declared.origin, "secret declared here")
            .with_help(help),
        );
        return None;
    }
    if declared.namespace != namespace {
        cx.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("secret `{}` is in namespace `{}`, not `{namespace}`", secret.text, declared.namespace),
                r.span,
                "not reachable from this namespace",
            )
            .with_label(declared.origin, "secret declared here")
            .with_help("a pod can only read Secrets of its own namespace: declare the secret in this namespace too"),
        );
        return None;
    }
    Some(EnvValue::Secret {
        secret: secret.text.clone(),
        key: key.text.clone(),
    })
}

fn explicit_talks_to(cx: &mut Cx<'_, '_>, fields: &Fields<'_>, out: &mut BTreeSet<Target>) {
    let Some(items) = cx.list(fields, "talks-to") else {
        return;
    };
    for item in items {
        let ValueKind::Reference(r) = &item.kind else {
            cx.mismatch(item, "talks-to", "a service, chart or kafka name");
            continue;
        };
        let (kind, ident) = match &*r.segments {
            [one] => (None, one),
            [k, one] => match Kind::from_keyword(&k.text) {
                Some(kind @ (Kind::Service | Kind::Chart | Kind::Kafka)) => (Some(kind), one),
                _ => {
                    cx.mismatch(item, "talks-to", "a service, chart or kafka name");
                    continue;
                }
            },
            _ => {
                cx.mismatch(item, "talks-to", "a service, chart or kafka name");
                continue;
            }
        };
        let name = ident.text.clone();
        let candidates = [Kind::Service, Kind::Chart, Kind::Kafka];
        let found = candidates
            .iter()
            .copied()
            .filter(|k| kind.is_none_or(|wanted| wanted == *k))
            .find(|k| cx.resolved.has(*k, &name));
        match found {
            Some(Kind::Service) => cx.add_target(Target::Service(name), item.span, out),
            Some(Kind::Chart) => cx.add_target(Target::Chart(name), item.span, out),
            Some(_) => cx.add_target(Target::Kafka(name), item.span, out),
            None => {
                let all: Vec<&str> = candidates
                    .iter()
                    .flat_map(|k| cx.resolved.names(*k))
                    .collect();
                let help = suggest::did_you_mean(&name, all).unwrap_or_else(|| {
                    "`talks-to` names services, charts or kafka clusters".to_string()
                });
                cx.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!("`talks-to` names unknown `{name}`"),
                        ident.span,
                        "no service, chart or kafka with this name",
                    )
                    .with_help(help),
                );
            }
        }
    }
}

/// Picks the named port, or the only port when none is named.
fn port_field(
    cx: &mut Cx<'_, '_>,
    block: &Fields<'_>,
    at: Span,
    ports: &BTreeMap<String, ir::Port>,
    owner: &str,
) -> Option<String> {
    match block.value("port") {
        Some(value) => {
            let name = match &value.kind {
                ValueKind::Reference(r) if r.segments.len() == 1 => r.segments[0].text.clone(),
                ValueKind::Number(n) if n.unit().is_none() => {
                    let number = n.scaled(1).unwrap_or(-1);
                    match ports.iter().find(|(_, p)| i128::from(p.0) == number) {
                        Some((name, _)) => name.clone(),
                        None => {
                            unknown_port(cx, &n.text(), value.span, ports, owner);
                            return None;
                        }
                    }
                }
                _ => {
                    cx.mismatch(value, "port", "a port name");
                    return None;
                }
            };
            if ports.contains_key(&name) {
                Some(name)
            } else {
                unknown_port(cx, &name, value.span, ports, owner);
                None
            }
        }
        None if ports.len() == 1 => ports.keys().next().cloned(),
        None => {
            let example = ports
                .keys()
                .next()
                .map_or("http", String::as_str)
                .to_string();
            cx.missing(at, owner, "port", &example);
            None
        }
    }
}

fn unknown_port(
    cx: &mut Cx<'_, '_>,
    name: &str,
    span: Span,
    ports: &BTreeMap<String, ir::Port>,
    owner: &str,
) {
    let help = suggest::did_you_mean(name, ports.keys().map(String::as_str)).unwrap_or_else(|| {
        if ports.is_empty() {
            "declare it: `ports = { http = 8080 }`".to_string()
        } else {
            format!(
                "the workload's ports are {}",
                list_words(&ports.keys().map(String::as_str).collect::<Vec<_>>())
            )
        }
    });
    cx.push(
        Diagnostic::new(
            Code::UnknownPort,
            format!("{owner} names port `{name}`, which the workload does not have"),
            span,
            "unknown port",
        )
        .with_help(help),
    );
}

fn health(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    ports: &BTreeMap<String, ir::Port>,
) -> Option<ir::Health> {
    let (block, key) = fields.block("health")?;
    let port = port_field(cx, block, key, ports, "`health`")?;
    let health = ir::Health {
        liveness: cx.string(block, "liveness"),
        readiness: cx.string(block, "readiness"),
        startup: cx.string(block, "startup"),
        port,
    };
    if health.liveness.is_none() && health.readiness.is_none() && health.startup.is_none() {
        cx.missing(key, "`health`", "liveness", "\"/healthz\"");
    }
    Some(health)
}

fn autoscale(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    resources: &ir::Resources,
    name: &str,
) -> Option<ir::Autoscale> {
    let (block, key) = fields.block("autoscale")?;
    let kafka_lag = block.block("kafka-lag").map(|(b, k)| (b.clone(), k));
    let min_floor = if kafka_lag.is_some() { 0 } else { 1 };
    let min_value = block.value("min");
    let max_value = block.value("max");
    let min = cx.u32(block, "min", 0, 1000).unwrap_or(min_floor);
    let Some(max) = max_value.and_then(|_| cx.u32(block, "max", 0, 1000)) else {
        if max_value.is_none() {
            cx.missing(key, "`autoscale`", "max", "10");
        }
        return None;
    };
    if max < 1 || min > max || min < min_floor {
        let span = if max < 1 || min > max {
            max_value.map_or(key, |v| v.span)
        } else {
            min_value.map_or(key, |v| v.span)
        };
        let (message, help) = if max < 1 {
            (
                format!("autoscale `max` is {max}; it must be at least 1"),
                "set `max` to 1 or more".to_string(),
            )
        } else if min > max {
            (
                format!("autoscale `min` {min} is above `max` {max}"),
                format!("raise `max` to at least {min}, or lower `min`"),
            )
        } else {
            (
                "autoscale `min` is 0, which only a `kafka-lag` trigger allows".to_string(),
                "set `min` to 1 or more".to_string(),
            )
        };
        let mut d =
            Diagnostic::new(Code::AutoscaleBounds, message, span, "out of bounds").with_help(help);
        if let Some(m) = min_value {
            if m.span != span {
                d = d.with_label(m.span, "min");
            }
        }
        cx.push(d);
    }
    let cpu = cx.percent(block, "cpu");
    let memory = cx.percent(block, "memory");
    for (target, has_request, what) in [
        ("cpu", resources.cpu.is_some(), "cpu"),
        ("memory", resources.memory.is_some(), "memory"),
    ] {
        let Some(value) = block.value(target) else {
            continue;
        };
        if !has_request {
            cx.push(
                Diagnostic::new(
                    Code::AutoscaleWithoutRequest,
                    format!("autoscaling on {what} needs a {what} request"),
                    value.span,
                    format!("{what} target here"),
                )
                .with_help(format!("add `resources {{ {what} = … }}`: the HPA measures utilisation as a share of the request")),
            );
        }
    }
    let kafka_lag = kafka_lag.and_then(|(lag, lag_key)| {
        if lag.value("topic").is_none() {
            cx.missing(lag_key, "`kafka-lag`", "topic", "queue-control");
        }
        let topic = cx.name_ref(&lag, "topic", Kind::Topic)?;
        let group = cx.string(&lag, "group").unwrap_or_else(|| name.to_string());
        let threshold = cx
            .int(&lag, "threshold", 1, 1_000_000_000)
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(100);
        Some(ir::KafkaLag {
            topic,
            group,
            threshold,
        })
    });
    if kafka_lag.is_some() && (cpu.is_some() || memory.is_some()) {
        let span = block
            .value("cpu")
            .or(block.value("memory"))
            .map_or(key, |v| v.span);
        cx.push(
            Diagnostic::new(
                Code::TypeMismatch,
                "`kafka-lag` and cpu/memory targets cannot be combined",
                span,
                "second scaler",
            )
            .with_help("KEDA and an HPA would fight over the replica count: keep one of them"),
        );
    }
    if kafka_lag.is_none() && cpu.is_none() && memory.is_none() {
        cx.missing(key, "`autoscale`", "cpu", "70%");
    }
    Some(ir::Autoscale {
        min,
        max,
        cpu,
        memory,
        kafka_lag,
    })
}

fn ingress(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    ports: &BTreeMap<String, ir::Port>,
) -> Option<ir::Ingress> {
    let (block, key) = fields.block("ingress")?;
    let host = cx.required_string(block, "host", key, "`ingress`", "\"app.example.com\"");
    let port = port_field(cx, block, key, ports, "`ingress`");
    let path = cx.string(block, "path").unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        if let Some(v) = block.value("path") {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("ingress path `{path}` must start with `/`"),
                    v.span,
                    "relative path",
                )
                .with_help("write `path = \"/\"`"),
            );
        }
    }
    Some(ir::Ingress {
        host: host?,
        port: port?,
        path,
        tls: cx.string(block, "tls"),
        class: cx.string(block, "class"),
    })
}

fn metrics(
    cx: &mut Cx<'_, '_>,
    fields: &Fields<'_>,
    ports: &BTreeMap<String, ir::Port>,
) -> Option<ir::Metrics> {
    let (block, key) = fields.block("metrics")?;
    let port = port_field(cx, block, key, ports, "`metrics`")?;
    Some(ir::Metrics {
        port,
        path: cx
            .string(block, "path")
            .unwrap_or_else(|| "/metrics".into()),
        interval: cx.duration(block, "interval").unwrap_or(ir::Duration(30)),
        origin: key,
    })
}

fn storage(cx: &mut Cx<'_, '_>, fields: &Fields<'_>) -> BTreeMap<String, ir::Volume> {
    let mut out = BTreeMap::new();
    let Some((block, _)) = fields.block("storage") else {
        return out;
    };
    for (name, entry) in &block.entries {
        let (volume, at): (Fields<'_>, Span) = match entry {
            Entry::Block { key, fields } => (fields.clone(), *key),
            Entry::Value { key, value } => match &value.kind {
                ValueKind::Map(entries) => {
                    let mut f = Fields::default();
                    for e in entries {
                        f.entries.insert(
                            e.path.dotted(),
                            Entry::Value {
                                key: e.path.span,
                                value: &e.value,
                            },
                        );
                    }
                    // The borrow of `value` lives as long as the AST.
                    (f, *key)
                }
                _ => {
                    cx.mismatch(value, name, "a volume `{ mount = \"/data\", size = 10Gi }`");
                    continue;
                }
            },
            Entry::Multi(_) => continue,
        };
        if let Err(why) = ir::DnsLabel::new(name) {
            cx.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("`{name}` is not a valid volume name: {why}"),
                    at,
                    "invalid name",
                )
                .with_help("volume names are DNS-1123 labels"),
            );
        }
        for key in volume.entries.keys() {
            if key != "mount" && key != "size" {
                let span = match volume.entries.get(key) {
                    Some(Entry::Value { key, .. } | Entry::Block { key, .. }) => *key,
                    _ => at,
                };
                let help = suggest::did_you_mean(key, ["mount", "size"])
                    .unwrap_or_else(|| "a volume has `mount` and `size`".into());
                cx.push(
                    Diagnostic::new(
                        Code::UnknownField,
                        format!("a volume has no field `{key}`"),
                        span,
                        "unknown field",
                    )
                    .with_help(help),
                );
            }
        }
        let mount = cx.required_string(
            &volume,
            "mount",
            at,
            &format!("volume `{name}`"),
            "\"/data\"",
        );
        if volume.value("size").is_none() {
            cx.missing(at, &format!("volume `{name}`"), "size", "10Gi");
        }
        let size = cx.size(&volume, "size");
        if let (Some(mount), Some(size)) = (mount, size) {
            out.insert(name.to_owned(), ir::Volume { mount, size });
        }
    }
    out
}

fn security(cx: &mut Cx<'_, '_>, fields: &Fields<'_>) -> ir::Security {
    let mut security = ir::Security::default();
    let Some((block, _)) = fields.block("security") else {
        return security;
    };
    if let Some(uid) = cx.int(block, "run-as-user", 0, i128::from(u32::MAX)) {
        security.run_as_user = u32::try_from(uid).unwrap_or(security.run_as_user);
        if uid == 0 {
            if let Some(v) = block.value("run-as-user") {
                cx.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        "`run-as-user = 0` would run as root",
                        v.span,
                        "root",
                    )
                    .with_help("pods run as non-root; pick a non-zero user id"),
                );
            }
        }
    }
    if let Some(ro) = cx.bool(block, "read-only-root") {
        security.read_only_root = ro;
    }
    if let Some(host) = cx.bool(block, "host-network") {
        security.host_network = host;
    }
    security.capabilities = cx
        .strings(block, "capabilities")
        .into_iter()
        .map(|(c, _)| {
            c.to_ascii_uppercase()
                .trim_start_matches("CAP_")
                .to_string()
        })
        .collect();
    security
}
