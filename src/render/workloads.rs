//! Workloads: takes one platform view and appends, for every `ir::Workload`,
//! its Kubernetes objects to the list: a ServiceAccount; a Deployment,
//! StatefulSet (with `storage`), Job or CronJob; for jobs with `storage` a
//! PersistentVolumeClaim per volume; for services a Service (a headless one
//! for a StatefulSet without ports), an HPA or a KEDA ScaledObject (with a
//! TriggerAuthentication and a username ConfigMap when the Kafka needs
//! credentials), a PodDisruptionBudget, an Ingress and a ServiceMonitor.
//! Core kinds are built from `k8s-openapi` structs; the CRDs (KEDA,
//! Prometheus Operator) are `json!` in apiVersion, kind, metadata, spec
//! order. Every `metadata` comes from `meta`, so label order is the same in
//! every object platc writes.
//!
//! Defaults chosen here: pods run restricted (non-root as `run-as-user`,
//! group and fsGroup the same, RuntimeDefault seccomp, no privilege
//! escalation, all capabilities dropped, read-only root with an `emptyDir`
//! on `/tmp`); `host-network` also sets `dnsPolicy: ClusterFirstWithHostNet`.
//! Probe timings are in `probe`. `replicas` is written only when the IR has
//! one, never under an autoscaler. A one-shot Job is an Argo CD Sync hook
//! (see `render_job`); CronJobs forbid overlapping runs and use UTC. A
//! ServiceMonitor is left out only when every declared Prometheus discovers
//! targets by `prometheus.io/*` annotations and no chart installs its CRD;
//! such a Prometheus gets those annotations on the Service instead.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::ir::{self, EnvValue, KafkaAuth, WorkloadKind};
use crate::profile::{self, Discovery};

use super::{meta, Finish, Object};

/// Stakater Reloader: roll the pods when a referenced ConfigMap or Secret changes.
const RELOADER_AUTO: &str = "reloader.stakater.com/auto";
/// cert-manager's ingress-shim: issue the Ingress's TLS secret from this ClusterIssuer.
const CLUSTER_ISSUER: &str = "cert-manager.io/cluster-issuer";
/// The API group of ServiceMonitor.
const MONITORING_GROUP: &str = "monitoring.coreos.com";
/// Name of the writable `/tmp` volume under a read-only root filesystem.
const TMP_VOLUME: &str = "tmp";
/// Fallback name when a storage volume is already called `tmp`.
const TMP_VOLUME_ALT: &str = "tmp-scratch";

/// Renders every workload of `platform` into `out`.
/// Workloads are independent: they render on all cores, and the objects are
/// collected in workload order whatever the thread timing.
pub(crate) fn render(platform: &ir::Platform, finish: &Finish, out: &mut Vec<Object>) {
    use rayon::prelude::*;
    let monitoring = Monitoring::of(platform);
    let workloads: Vec<&ir::Workload> = platform.workloads.values().map(|w| &**w).collect();
    let rendered: Vec<Vec<Object>> = workloads
        .par_iter()
        .map(|workload| {
            let mut out = Vec::new();
            let cx = Cx {
                platform,
                w: workload,
            };
            let automount = cx.automount();
            out.push(cx.object(service_account(automount), &workload.name, None));
            match &workload.kind {
                WorkloadKind::Service => render_service(&cx, &monitoring, automount, &mut out),
                WorkloadKind::Job(spec) => render_job(&cx, spec, automount, &mut out),
            }
            out.into_iter().map(|o| finish.apply(o)).collect()
        })
        .collect();
    out.extend(rendered.into_iter().flatten());
}

/// Platform-wide facts about the declared Prometheus charts.
struct Monitoring {
    /// Labels a ServiceMonitor needs to be selected by every operator Prometheus.
    monitor_labels: Map<String, Json>,
    /// Whether ServiceMonitors are written: false only when every declared
    /// Prometheus discovers targets by annotations and no chart installs the
    /// ServiceMonitor CRD (the object could not be applied).
    service_monitors: bool,
    /// Whether some declared Prometheus scrapes `prometheus.io/*` annotations.
    scrape_annotations: bool,
}

impl Monitoring {
    fn of(platform: &ir::Platform) -> Self {
        let profiles = profile::builtin();
        let mut monitor_labels = Map::new();
        let (mut operator, mut annotations, mut crd) = (false, false, false);
        for chart in platform.charts.values() {
            let Some(profile) = chart.profile.as_deref().and_then(|name| profiles.get(name)) else {
                continue;
            };
            crd |= profile.crds.iter().any(|group| group == MONITORING_GROUP);
            let Some(prometheus) = &profile.prometheus else {
                continue;
            };
            match prometheus.discovery {
                Discovery::ServiceMonitor => {
                    operator = true;
                    for (key, pattern) in &prometheus.service_monitor_label {
                        // Two Prometheus releases asking for one key with different
                        // values cannot both be satisfied: the first chart by name wins.
                        if !monitor_labels.contains_key(key) {
                            monitor_labels.insert(
                                key.clone(),
                                json!(profile.expand_name(pattern, &chart.name)),
                            );
                        }
                    }
                }
                Discovery::Annotations => annotations = true,
            }
        }
        Self {
            monitor_labels,
            service_monitors: operator || crd || !annotations,
            scrape_annotations: annotations,
        }
    }
}

/// One workload being rendered.
struct Cx<'a> {
    platform: &'a ir::Platform,
    w: &'a ir::Workload,
}

impl Cx<'_> {
    /// Whether a role binds the workload's ServiceAccount (then it needs a token).
    fn automount(&self) -> bool {
        let account = (self.w.namespace.clone(), self.w.name.clone());
        self.platform
            .roles
            .values()
            .any(|role| role.service_accounts.contains(&account))
    }

    /// Standard labels plus the workload's own (which never replace a standard one).
    fn labels(&self) -> Map<String, Json> {
        let mut labels = meta::labels(self.platform, &self.w.name);
        for (key, value) in &self.w.labels {
            labels.entry(key.clone()).or_insert_with(|| json!(value));
        }
        labels
    }

    /// `metadata` of an object of this workload, with optional annotations.
    fn metadata(&self, name: &str, annotations: Option<Map<String, Json>>) -> Json {
        let mut map = meta::labeled(name, Some(&self.w.namespace), self.labels());
        if let Some(annotations) = annotations.filter(|a| !a.is_empty()) {
            map.insert("annotations".into(), Json::Object(annotations));
        }
        Json::Object(map)
    }

    /// Pod template metadata: the labels only.
    fn template_metadata(&self) -> Json {
        meta::object([("labels", Json::Object(self.labels()))])
    }

    /// Sets the pod template at `pointer` to carry the workload's labels and
    /// puts each container's `name` first (typed containers are alphabetical).
    fn finish_template(&self, value: &mut Json, pointer: &str) {
        replace(
            value,
            &format!("{pointer}/metadata"),
            self.template_metadata(),
        );
        let containers = value.pointer_mut(&format!("{pointer}/spec/containers"));
        for container in containers
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Json::Object(fields) = container {
                if let Some(name) = fields.shift_remove("name") {
                    fields.shift_insert(0, "name".into(), name);
                }
            }
        }
    }

    /// A typed object with this workload's metadata under `name`.
    fn object(
        &self,
        value: impl Serialize,
        name: &str,
        annotations: Option<Map<String, Json>>,
    ) -> Object {
        // Typed objects write their fields alphabetically after apiVersion and
        // kind (`automountServiceAccountToken` or `data` before `metadata`):
        // put metadata third, as in every other object.
        // Moved within the map, not copied into a new one (which hashed
        // every key again).
        let mut value = match to_json(value) {
            Json::Object(map) => map,
            other => unreachable!("invariant: Kubernetes objects serialize to maps, got {other}"),
        };
        let mut at = 0;
        for key in ["apiVersion", "kind"] {
            if let Some(field) = value.shift_remove(key) {
                value.shift_insert(at, key.into(), field);
                at += 1;
            }
        }
        value.shift_insert(at, "metadata".into(), self.metadata(name, annotations));
        Object::new(Json::Object(value), self.w.origin)
    }

    /// The Reloader annotation when `reload-on-change` is set.
    fn workload_annotations(&self) -> Map<String, Json> {
        let mut annotations = Map::new();
        if self.w.reload_on_change {
            annotations.insert(RELOADER_AUTO.into(), json!("true"));
        }
        annotations
    }
}

/// Serializes a typed object.
fn to_json(value: impl Serialize) -> Json {
    serde_json::to_value(value).expect("invariant: Kubernetes objects always serialize to JSON")
}

/// Replaces the value at `pointer` (which the typed object always emits).
fn replace(value: &mut Json, pointer: &str, new: Json) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = new;
    }
}

/// A placeholder `metadata` that keeps the key's position until `replace`.
fn placeholder() -> Option<ObjectMeta> {
    Some(ObjectMeta::default())
}

fn selector(name: &str) -> LabelSelector {
    let match_labels = meta::selector(name)
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
        .collect();
    LabelSelector {
        match_labels: Some(match_labels),
        ..Default::default()
    }
}

fn selector_map(name: &str) -> BTreeMap<String, String> {
    selector(name).match_labels.unwrap_or_default()
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn service_account(automount: bool) -> core::ServiceAccount {
    core::ServiceAccount {
        automount_service_account_token: Some(automount),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- services

fn render_service(cx: &Cx<'_>, monitoring: &Monitoring, automount: bool, out: &mut Vec<Object>) {
    let w = cx.w;
    let stateful = !w.storage.is_empty();
    let template = pod_template(cx, automount, false);
    let replicas = w.replicas.map(int);
    if stateful {
        let claims = w
            .storage
            .iter()
            .map(|(name, volume)| core::PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..Default::default()
                },
                spec: Some(claim_spec(volume)),
                ..Default::default()
            })
            .collect();
        let set = apps::StatefulSet {
            metadata: ObjectMeta::default(),
            spec: Some(apps::StatefulSetSpec {
                replicas,
                selector: selector(&w.name),
                service_name: Some(w.name.clone()),
                template,
                volume_claim_templates: Some(claims),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut object = cx.object(set, &w.name, Some(cx.workload_annotations()));
        cx.finish_template(&mut object.value, "/spec/template");
        out.push(object);
    } else {
        let deployment = apps::Deployment {
            metadata: ObjectMeta::default(),
            spec: Some(apps::DeploymentSpec {
                replicas,
                selector: selector(&w.name),
                template,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut object = cx.object(deployment, &w.name, Some(cx.workload_annotations()));
        cx.finish_template(&mut object.value, "/spec/template");
        out.push(object);
    }

    if !w.ports.is_empty() || stateful {
        out.push(service(cx, monitoring));
    }
    let target_kind = if stateful {
        "StatefulSet"
    } else {
        "Deployment"
    };
    if let Some(autoscale) = &w.autoscale {
        match &autoscale.kafka_lag {
            Some(lag) => scaled_object(cx, autoscale, lag, target_kind, out),
            None => out.push(hpa(cx, autoscale, target_kind)),
        }
    }
    let copies = w
        .replicas
        .or(w.autoscale.as_ref().map(|a| a.min))
        .unwrap_or(1);
    if copies >= 2 {
        out.push(pdb(cx));
    }
    if let Some(ingress) = &w.ingress {
        out.push(ingress_object(cx, ingress));
    }
    if let Some(metrics) = &w.metrics {
        if monitoring.service_monitors {
            out.push(service_monitor(cx, metrics, monitoring));
        }
    }
}

/// The workload's Service: ClusterIP with one named port per entry, or
/// headless without ports (the StatefulSet's governing Service).
fn service(cx: &Cx<'_>, monitoring: &Monitoring) -> Object {
    let w = cx.w;
    let ports: Vec<core::ServicePort> = w
        .ports
        .iter()
        .map(|(name, port)| core::ServicePort {
            name: Some(name.clone()),
            port: i32::from(port.0),
            target_port: Some(IntOrString::String(name.clone())),
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .collect();
    let headless = ports.is_empty();
    let spec = core::ServiceSpec {
        type_: Some("ClusterIP".into()),
        cluster_ip: headless.then(|| "None".to_string()),
        selector: Some(selector_map(&w.name)),
        ports: (!headless).then_some(ports),
        ..Default::default()
    };
    let mut annotations = Map::new();
    if let (Some(metrics), true) = (&w.metrics, monitoring.scrape_annotations) {
        if let Some(port) = w.ports.get(&metrics.port) {
            annotations.insert("prometheus.io/scrape".into(), json!("true"));
            annotations.insert("prometheus.io/port".into(), json!(port.0.to_string()));
            annotations.insert("prometheus.io/path".into(), json!(metrics.path));
        }
    }
    let service = core::Service {
        metadata: ObjectMeta::default(),
        spec: Some(spec),
        ..Default::default()
    };
    cx.object(service, &w.name, Some(annotations))
}

fn scale_target(cx: &Cx<'_>, kind: &str) -> autoscaling::CrossVersionObjectReference {
    autoscaling::CrossVersionObjectReference {
        api_version: Some("apps/v1".into()),
        kind: kind.into(),
        name: cx.w.name.clone(),
    }
}

/// An `autoscaling/v2` HPA on cpu and/or memory utilisation of the requests.
fn hpa(cx: &Cx<'_>, autoscale: &ir::Autoscale, target_kind: &str) -> Object {
    let metric = |name: &str, percent: ir::Percent| autoscaling::MetricSpec {
        type_: "Resource".into(),
        resource: Some(autoscaling::ResourceMetricSource {
            name: name.into(),
            target: autoscaling::MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(int(percent.0)),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let metrics: Vec<_> = [("cpu", autoscale.cpu), ("memory", autoscale.memory)]
        .into_iter()
        .filter_map(|(name, percent)| percent.map(|p| metric(name, p)))
        .collect();
    let hpa = autoscaling::HorizontalPodAutoscaler {
        metadata: ObjectMeta::default(),
        spec: Some(autoscaling::HorizontalPodAutoscalerSpec {
            scale_target_ref: scale_target(cx, target_kind),
            min_replicas: Some(int(autoscale.min)),
            max_replicas: int(autoscale.max),
            metrics: (!metrics.is_empty()).then_some(metrics),
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.object(hpa, &cx.w.name, None)
}

/// A KEDA ScaledObject with one `kafka` trigger, plus the TriggerAuthentication
/// (and the ConfigMap holding the SCRAM username) when the Kafka authenticates.
///
/// The credentials are those of the workload's own KafkaUser: Strimzi writes
/// its Secret under the KafkaUser's name (= the workload's), with `password`
/// (and `sasl.jaas.config`) for SCRAM and `user.crt`/`user.key` for TLS; the
/// cluster CA is in `<kafka>-cluster-ca-cert`. KEDA reads `username` only from
/// a TriggerAuthentication and the Strimzi Secret has no username key, so a
/// small ConfigMap carries it.
fn scaled_object(
    cx: &Cx<'_>,
    autoscale: &ir::Autoscale,
    lag: &ir::KafkaLag,
    target_kind: &str,
    out: &mut Vec<Object>,
) {
    let w = cx.w;
    let topic = cx
        .platform
        .topics
        .get(&lag.topic)
        .expect("invariant: kafka-lag topics are resolved by lowering");
    let kafka = cx
        .platform
        .kafkas
        .get(&topic.kafka)
        .expect("invariant: a topic's kafka is resolved by lowering");
    let auth_name = format!("{}-kafka", w.name);

    let mut metadata = Map::new();
    metadata.insert("bootstrapServers".into(), json!(kafka.bootstrap()));
    metadata.insert("consumerGroup".into(), json!(lag.group));
    metadata.insert("topic".into(), json!(topic.topic_name));
    metadata.insert("lagThreshold".into(), json!(lag.threshold.to_string()));
    match kafka.authentication {
        KafkaAuth::ScramSha512 => {
            metadata.insert("sasl".into(), json!("scram_sha512"));
            metadata.insert("tls".into(), json!("disable"));
        }
        KafkaAuth::Tls => {
            metadata.insert("tls".into(), json!("enable"));
        }
        KafkaAuth::None => {}
    }
    let mut trigger = Map::new();
    trigger.insert("type".into(), json!("kafka"));
    trigger.insert("metadata".into(), Json::Object(metadata));

    match kafka.authentication {
        KafkaAuth::ScramSha512 => {
            let user_map = format!("{}-kafka-user", w.name);
            let config_map = core::ConfigMap {
                data: Some(BTreeMap::from([("username".to_string(), w.name.clone())])),
                ..Default::default()
            };
            out.push(cx.object(config_map, &user_map, None));
            let spec = json!({
                "configMapTargetRef": [
                    { "parameter": "username", "name": user_map, "key": "username" },
                ],
                "secretTargetRef": [
                    { "parameter": "password", "name": w.name, "key": "password" },
                ],
            });
            out.push(trigger_authentication(cx, &auth_name, spec));
            trigger.insert("authenticationRef".into(), json!({ "name": auth_name }));
        }
        KafkaAuth::Tls => {
            let spec = json!({
                "secretTargetRef": [
                    { "parameter": "ca", "name": format!("{}-cluster-ca-cert", kafka.name), "key": "ca.crt" },
                    { "parameter": "cert", "name": w.name, "key": "user.crt" },
                    { "parameter": "key", "name": w.name, "key": "user.key" },
                ],
            });
            out.push(trigger_authentication(cx, &auth_name, spec));
            trigger.insert("authenticationRef".into(), json!({ "name": auth_name }));
        }
        KafkaAuth::None => {}
    }

    let mut target = Map::new();
    if target_kind != "Deployment" {
        target.insert("apiVersion".into(), json!("apps/v1"));
        target.insert("kind".into(), json!(target_kind));
    }
    target.insert("name".into(), json!(w.name));
    let value = json!({
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": cx.metadata(&w.name, None),
        "spec": {
            "scaleTargetRef": target,
            "minReplicaCount": autoscale.min,
            "maxReplicaCount": autoscale.max,
            "triggers": [trigger],
        },
    });
    out.push(Object::new(value, w.origin));
}

fn trigger_authentication(cx: &Cx<'_>, name: &str, spec: Json) -> Object {
    let value = meta::object([
        ("apiVersion", json!("keda.sh/v1alpha1")),
        ("kind", json!("TriggerAuthentication")),
        ("metadata", cx.metadata(name, None)),
        ("spec", spec),
    ]);
    Object::new(value, cx.w.origin)
}

/// At most one pod down at a time during voluntary disruptions (drains).
fn pdb(cx: &Cx<'_>) -> Object {
    let pdb = policy::PodDisruptionBudget {
        metadata: ObjectMeta::default(),
        spec: Some(policy::PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(&cx.w.name)),
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.object(pdb, &cx.w.name, None)
}

fn ingress_object(cx: &Cx<'_>, ingress: &ir::Ingress) -> Object {
    let w = cx.w;
    let path = networking::HTTPIngressPath {
        path: Some(ingress.path.clone()),
        path_type: "Prefix".into(),
        backend: networking::IngressBackend {
            service: Some(networking::IngressServiceBackend {
                name: w.name.clone(),
                port: Some(networking::ServiceBackendPort {
                    name: Some(ingress.port.clone()),
                    number: None,
                }),
            }),
            ..Default::default()
        },
    };
    let rule = networking::IngressRule {
        host: Some(ingress.host.clone()),
        http: Some(networking::HTTPIngressRuleValue { paths: vec![path] }),
    };
    let tls = ingress.tls.as_ref().map(|_| {
        vec![networking::IngressTLS {
            hosts: Some(vec![ingress.host.clone()]),
            secret_name: Some(format!("{}-tls", w.name)),
        }]
    });
    let mut annotations = Map::new();
    if let Some(issuer) = &ingress.tls {
        annotations.insert(CLUSTER_ISSUER.into(), json!(issuer));
    }
    let object = networking::Ingress {
        metadata: ObjectMeta::default(),
        spec: Some(networking::IngressSpec {
            ingress_class_name: ingress.class.clone(),
            rules: Some(vec![rule]),
            tls,
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.object(object, &w.name, Some(annotations))
}

fn service_monitor(cx: &Cx<'_>, metrics: &ir::Metrics, monitoring: &Monitoring) -> Object {
    let w = cx.w;
    let mut metadata = cx.metadata(&w.name, None);
    if let Some(labels) = metadata.get_mut("labels").and_then(Json::as_object_mut) {
        for (key, value) in &monitoring.monitor_labels {
            labels.insert(key.clone(), value.clone());
        }
    }
    let endpoint = json!({
        "port": metrics.port,
        "path": metrics.path,
        "interval": metrics.interval.text(),
    });
    let spec = meta::object([
        (
            "selector",
            meta::object([("matchLabels", Json::Object(meta::selector(&w.name)))]),
        ),
        ("endpoints", Json::Array(vec![endpoint])),
    ]);
    let value = meta::object([
        ("apiVersion", json!("monitoring.coreos.com/v1")),
        ("kind", json!("ServiceMonitor")),
        ("metadata", metadata),
        ("spec", spec),
    ]);
    Object::new(value, metrics.origin)
}

// -------------------------------------------------------------------- jobs

fn render_job(cx: &Cx<'_>, spec: &ir::JobSpec, automount: bool, out: &mut Vec<Object>) {
    let w = cx.w;
    for (name, volume) in &w.storage {
        let claim = core::PersistentVolumeClaim {
            metadata: ObjectMeta::default(),
            spec: Some(claim_spec(volume)),
            ..Default::default()
        };
        out.push(cx.object(claim, &job_claim_name(&w.name, name), None));
    }
    let job_spec = batch::JobSpec {
        backoff_limit: spec.backoff_limit.map(int),
        ttl_seconds_after_finished: spec.ttl.map(|ttl| i32::try_from(ttl.0).unwrap_or(i32::MAX)),
        template: pod_template(cx, automount, true),
        ..Default::default()
    };
    match &spec.schedule {
        Some(schedule) => {
            let cron = batch::CronJob {
                metadata: ObjectMeta::default(),
                spec: Some(batch::CronJobSpec {
                    schedule: schedule.clone(),
                    // Schedules mean UTC whatever the controller manager's zone.
                    time_zone: Some("Etc/UTC".into()),
                    concurrency_policy: Some("Forbid".into()),
                    job_template: batch::JobTemplateSpec {
                        metadata: placeholder(),
                        spec: Some(job_spec),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            };
            let mut object = cx.object(cron, &w.name, Some(cx.workload_annotations()));
            replace(
                &mut object.value,
                "/spec/jobTemplate/metadata",
                cx.template_metadata(),
            );
            cx.finish_template(&mut object.value, "/spec/jobTemplate/spec/template");
            out.push(object);
        }
        None => {
            // A Job's template is immutable and `ttl` deletes it after it ran:
            // as a plain resource Argo CD would fail to update it, and re-create
            // (re-run) it after every TTL under self-heal. As a Sync hook it is
            // replaced on each sync of its app and not tracked in between.
            let mut annotations = cx.workload_annotations();
            annotations.insert("argocd.argoproj.io/hook".into(), json!("Sync"));
            annotations.insert(
                "argocd.argoproj.io/hook-delete-policy".into(),
                json!("BeforeHookCreation"),
            );
            let job = batch::Job {
                metadata: ObjectMeta::default(),
                spec: Some(job_spec),
                ..Default::default()
            };
            let mut object = cx.object(job, &w.name, Some(annotations));
            cx.finish_template(&mut object.value, "/spec/template");
            out.push(object);
        }
    }
}

/// The standalone PVC of a job's volume.
fn job_claim_name(job: &str, volume: &str) -> String {
    format!("{job}-{volume}")
}

fn claim_spec(volume: &ir::Volume) -> core::PersistentVolumeClaimSpec {
    core::PersistentVolumeClaimSpec {
        access_modes: Some(vec!["ReadWriteOnce".into()]),
        resources: Some(core::VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_string(),
                Quantity(volume.size.text.clone()),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

// --------------------------------------------------------------------- pods

/// The pod template (its metadata is a placeholder the caller replaces).
fn pod_template(cx: &Cx<'_>, automount: bool, job: bool) -> core::PodTemplateSpec {
    let w = cx.w;
    let security = &w.security;
    let uid = i64::from(security.run_as_user);

    let (node_selector, tolerations) = match w
        .nodepool
        .as_deref()
        .and_then(|p| cx.platform.nodepools.get(p))
    {
        Some(pool) => {
            let selector = BTreeMap::from([(
                cx.platform.settings.nodepool_label.clone(),
                pool.name.clone(),
            )]);
            let tolerations: Vec<_> = pool.taints.iter().map(toleration).collect();
            (
                Some(selector),
                (!tolerations.is_empty()).then_some(tolerations),
            )
        }
        None => (None, None),
    };

    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    for (name, volume) in &w.storage {
        mounts.push(core::VolumeMount {
            name: name.clone(),
            mount_path: volume.mount.clone(),
            ..Default::default()
        });
        if job {
            volumes.push(core::Volume {
                name: name.clone(),
                persistent_volume_claim: Some(core::PersistentVolumeClaimVolumeSource {
                    claim_name: job_claim_name(&w.name, name),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    }
    if security.read_only_root
        && !w
            .storage
            .values()
            .any(|v| v.mount.trim_end_matches('/') == "/tmp")
    {
        let name = if w.storage.contains_key(TMP_VOLUME) {
            TMP_VOLUME_ALT
        } else {
            TMP_VOLUME
        };
        volumes.push(core::Volume {
            name: name.into(),
            empty_dir: Some(core::EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        mounts.push(core::VolumeMount {
            name: name.into(),
            mount_path: "/tmp".into(),
            ..Default::default()
        });
    }

    let container = core::Container {
        name: w.name.clone(),
        image: Some(w.image.clone()),
        // A tag can be moved: `Always` makes the kubelet resolve it again
        // and re-check pull credentials (a cached private image is otherwise
        // usable by any pod on the node). A digest is immutable. (checkov CKV_K8S_15)
        image_pull_policy: Some(
            if w.image.contains('@') {
                "IfNotPresent"
            } else {
                "Always"
            }
            .into(),
        ),
        command: (!w.command.is_empty()).then(|| w.command.clone()),
        args: (!w.args.is_empty()).then(|| w.args.clone()),
        ports: (!w.ports.is_empty()).then(|| {
            w.ports
                .iter()
                .map(|(name, port)| core::ContainerPort {
                    name: Some(name.clone()),
                    container_port: i32::from(port.0),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                })
                .collect()
        }),
        env: (!w.env.is_empty()).then(|| {
            w.env
                .iter()
                .map(|(name, value)| env_var(name, value))
                .collect()
        }),
        resources: resources(&w.resources),
        liveness_probe: probe(w.health.as_ref(), Probe::Liveness),
        readiness_probe: probe(w.health.as_ref(), Probe::Readiness),
        startup_probe: probe(w.health.as_ref(), Probe::Startup),
        security_context: Some(core::SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(security.read_only_root),
            capabilities: Some(core::Capabilities {
                add: (!security.capabilities.is_empty()).then(|| security.capabilities.clone()),
                drop: Some(vec!["ALL".into()]),
            }),
            privileged: Some(false),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    };

    core::PodTemplateSpec {
        metadata: placeholder(),
        spec: Some(core::PodSpec {
            service_account_name: Some(w.name.clone()),
            automount_service_account_token: Some(automount),
            node_selector,
            tolerations,
            host_network: security.host_network.then_some(true),
            // With the host's network the pod would otherwise use the node's resolver.
            dns_policy: security
                .host_network
                .then(|| "ClusterFirstWithHostNet".to_string()),
            security_context: Some(core::PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(uid),
                run_as_group: Some(uid),
                fs_group: Some(uid),
                seccomp_profile: Some(core::SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            restart_policy: job.then(|| "OnFailure".to_string()),
            containers: vec![container],
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..Default::default()
        }),
    }
}

fn toleration(taint: &ir::Taint) -> core::Toleration {
    core::Toleration {
        key: Some(taint.key.clone()),
        operator: Some(
            if taint.value.is_some() {
                "Equal"
            } else {
                "Exists"
            }
            .into(),
        ),
        value: taint.value.clone(),
        effect: Some(taint.effect.clone()),
        ..Default::default()
    }
}

fn env_var(name: &str, value: &EnvValue) -> core::EnvVar {
    match value {
        EnvValue::Literal(text) => core::EnvVar {
            name: name.into(),
            value: Some(text.clone()),
            ..Default::default()
        },
        EnvValue::Secret { secret, key } => core::EnvVar {
            name: name.into(),
            value_from: Some(core::EnvVarSource {
                secret_key_ref: Some(core::SecretKeySelector {
                    name: secret.clone(),
                    key: key.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

fn resources(resources: &ir::Resources) -> Option<core::ResourceRequirements> {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(cpu) = &resources.cpu {
        requests.insert("cpu".to_string(), Quantity(cpu.request.quantity()));
        limits.insert("cpu".to_string(), Quantity(cpu.limit.quantity()));
    }
    if let Some(memory) = &resources.memory {
        requests.insert("memory".to_string(), Quantity(memory.request.text.clone()));
        limits.insert("memory".to_string(), Quantity(memory.limit.text.clone()));
    }
    (!requests.is_empty()).then(|| core::ResourceRequirements {
        requests: Some(requests),
        limits: Some(limits),
        ..Default::default()
    })
}

/// Which probe of `health`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    Liveness,
    Readiness,
    Startup,
}

/// An HTTP probe on the health port. Timings: startup checks every 5 s for
/// up to 5 minutes; liveness every 10 s (first after 30 s, so a slow start
/// is not killed), readiness every 5 s (first after 5 s); both restart or
/// unready after 3 failures of 3 s timeouts. With a startup probe the others
/// only start after it succeeded, so they need no initial delay.
fn probe(health: Option<&ir::Health>, which: Probe) -> Option<core::Probe> {
    let health = health?;
    let path = match which {
        Probe::Liveness => health.liveness.as_ref(),
        Probe::Readiness => health.readiness.as_ref(),
        Probe::Startup => health.startup.as_ref(),
    }?;
    let gated = health.startup.is_some();
    let (initial_delay, period, failures) = match which {
        Probe::Liveness => ((!gated).then_some(30), 10, 3),
        Probe::Readiness => ((!gated).then_some(5), 5, 3),
        Probe::Startup => (None, 5, 60),
    };
    Some(core::Probe {
        http_get: Some(core::HTTPGetAction {
            path: Some(path.clone()),
            port: IntOrString::String(health.port.clone()),
            ..Default::default()
        }),
        initial_delay_seconds: initial_delay,
        period_seconds: Some(period),
        timeout_seconds: Some(3),
        failure_threshold: Some(failures),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;
    use crate::render::test_view;

    const PLATFORM: &str = r#"
platform shop {
  repo           = "https://git.example.com/shop.git"
  nodepool-label = "example.com/pool"
}

nodepool app {
  taints = ["dedicated=app:NoSchedule", "gpu:NoExecute"]
}

secret api-db {
  namespace = web
  keys      = [password]
}

chart kps {
  profile   = kube-prometheus-stack
  version   = "88.5.3"
  namespace = monitoring
}

role api-reader {
  namespaces       = [web]
  service-accounts = ["web/api"]
  access           = view
}
"#;

    const FULL_SERVICE: &str = r#"
service api {
  namespace = web
  image     = "registry.example.com/api:1.4.2"
  command   = ["python", "app.py"]
  args      = ["--serve"]
  ports     = { http = 8080, admin = 9090 }
  env = {
    LOG_LEVEL   = "INFO"
    DB_PASSWORD = secret.api-db.password
  }
  resources { cpu = 200m..1  memory = 256Mi..512Mi }
  health    { liveness = "/health"  readiness = "/ready"  port = http }
  autoscale { min = 2  max = 10  cpu = 70%  memory = 80% }
  ingress   { host = "api.example.com"  port = http  path = "/"  tls = "letsencrypt-prod"  class = "traefik" }
  metrics   { port = admin  path = "/metrics"  interval = 30s }
  storage   { data = { mount = "/data", size = 10Gi } }
  nodepool  = app
  reload-on-change = true
}
"#;

    fn render_source(source: &str) -> Vec<Object> {
        let platform = test_view(&format!("{PLATFORM}\n{source}"));
        let mut out = Vec::new();
        render(&platform, &Finish::nothing(), &mut out);
        out
    }

    fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Json {
        objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name)
            .map(|o| &o.value)
            .unwrap_or_else(|| panic!("no {kind}/{name} among {:?}", kinds(objects)))
    }

    fn kinds(objects: &[Object]) -> Vec<String> {
        objects
            .iter()
            .map(|o| format!("{}/{}", o.kind(), o.name()))
            .collect()
    }

    fn assert_no_nulls(value: &Json, at: &str) {
        match value {
            Json::Null => panic!("null at {at}"),
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    assert_no_nulls(item, &format!("{at}/{i}"));
                }
            }
            Json::Object(map) => {
                for (key, item) in map {
                    assert_no_nulls(item, &format!("{at}/{key}"));
                }
            }
            Json::Bool(_) | Json::Number(_) | Json::String(_) => {}
        }
    }

    fn yaml(objects: &[Object]) -> String {
        let mut sorted: Vec<&Object> = objects.iter().collect();
        sorted.sort_by(|a, b| (a.kind(), a.name()).cmp(&(b.kind(), b.name())));
        sorted
            .iter()
            .map(|o| to_yaml(&o.value))
            .collect::<Vec<_>>()
            .join("---\n")
    }

    #[test]
    fn full_service_renders_every_object() {
        let objects = render_source(FULL_SERVICE);
        let mut names = kinds(&objects);
        names.sort();
        assert_eq!(
            names,
            [
                "HorizontalPodAutoscaler/api",
                "Ingress/api",
                "PodDisruptionBudget/api",
                "Service/api",
                "ServiceAccount/api",
                "ServiceMonitor/api",
                "StatefulSet/api",
            ]
        );
        for object in &objects {
            let keys: Vec<&str> = object
                .value
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                &keys[..3],
                ["apiVersion", "kind", "metadata"],
                "{}",
                object.kind()
            );
            assert_eq!(object.namespace(), Some("web"));
            assert_no_nulls(&object.value, object.kind());
        }
        insta::assert_snapshot!("full_service", yaml(&objects));
    }

    #[test]
    fn autoscaled_service_has_no_replicas() {
        let objects = render_source(FULL_SERVICE);
        let set = find(&objects, "StatefulSet", "api");
        assert!(set.pointer("/spec/replicas").is_none(), "{set:#}");
        let hpa = find(&objects, "HorizontalPodAutoscaler", "api");
        assert_eq!(hpa["apiVersion"], "autoscaling/v2");
        assert_eq!(
            hpa.pointer("/spec/scaleTargetRef/kind").unwrap(),
            "StatefulSet"
        );
        assert_eq!(hpa.pointer("/spec/minReplicas").unwrap(), 2);
        assert_eq!(
            hpa.pointer("/spec/metrics/0/resource/target/averageUtilization")
                .unwrap(),
            70
        );
        assert_eq!(
            hpa.pointer("/spec/metrics/1/resource/name").unwrap(),
            "memory"
        );
        assert_eq!(
            find(&objects, "PodDisruptionBudget", "api")
                .pointer("/spec/maxUnavailable")
                .unwrap(),
            1
        );
    }

    #[test]
    fn secrets_are_references_never_values() {
        let objects = render_source(FULL_SERVICE);
        let env = find(&objects, "StatefulSet", "api")
            .pointer("/spec/template/spec/containers/0/env")
            .unwrap();
        assert_eq!(
            env,
            &json!([
                { "name": "DB_PASSWORD", "valueFrom": { "secretKeyRef": { "key": "password", "name": "api-db" } } },
                { "name": "LOG_LEVEL", "value": "INFO" },
            ])
        );
        assert!(env[0].get("value").is_none());
    }

    #[test]
    fn nodepool_gives_selector_and_tolerations() {
        let objects = render_source(FULL_SERVICE);
        let pod = find(&objects, "StatefulSet", "api")
            .pointer("/spec/template/spec")
            .unwrap();
        assert_eq!(pod["nodeSelector"], json!({ "example.com/pool": "app" }));
        assert_eq!(
            pod["tolerations"],
            json!([
                { "effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": "app" },
                { "effect": "NoExecute", "key": "gpu", "operator": "Exists" },
            ])
        );
    }

    #[test]
    fn security_context_is_restricted_by_default() {
        let objects = render_source(FULL_SERVICE);
        let pod = find(&objects, "StatefulSet", "api")
            .pointer("/spec/template/spec")
            .unwrap();
        assert_eq!(
            pod["securityContext"],
            json!({
                "fsGroup": 10001, "runAsGroup": 10001, "runAsNonRoot": true, "runAsUser": 10001,
                "seccompProfile": { "type": "RuntimeDefault" },
            })
        );
        let container = &pod["containers"][0];
        assert_eq!(
            container["securityContext"],
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": { "drop": ["ALL"] },
                "privileged": false,
                "readOnlyRootFilesystem": true,
                "runAsNonRoot": true,
            })
        );
        assert_eq!(pod["volumes"], json!([{ "emptyDir": {}, "name": "tmp" }]));
        assert_eq!(
            container["volumeMounts"],
            json!([{ "mountPath": "/data", "name": "data" }, { "mountPath": "/tmp", "name": "tmp" }])
        );
        // A role binds web/api: it needs its token.
        assert_eq!(pod["automountServiceAccountToken"], true);
        assert_eq!(
            find(&objects, "ServiceAccount", "api")["automountServiceAccountToken"],
            true
        );
    }

    #[test]
    fn relaxed_security_and_plain_deployment() {
        let objects = render_source(
            r#"
service edge {
  namespace = web
  image     = "registry.example.com/edge:2.0.0"
  replicas  = 3
  ports     = { http = 80 }
  security  { run-as-user = 1000  read-only-root = false  capabilities = [NET_BIND_SERVICE]  host-network = true }
}
"#,
        );
        let deployment = find(&objects, "Deployment", "edge");
        assert_eq!(deployment.pointer("/spec/replicas").unwrap(), 3);
        assert!(deployment.pointer("/metadata/annotations").is_none());
        let pod = deployment.pointer("/spec/template/spec").unwrap();
        assert_eq!(pod["hostNetwork"], true);
        assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet");
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert!(pod.get("volumes").is_none());
        assert!(pod.get("nodeSelector").is_none());
        let context = &pod["containers"][0]["securityContext"];
        assert_eq!(context["readOnlyRootFilesystem"], false);
        assert_eq!(
            context["capabilities"],
            json!({ "add": ["NET_BIND_SERVICE"], "drop": ["ALL"] })
        );
        assert_eq!(pod["securityContext"]["runAsUser"], 1000);
        assert_eq!(
            find(&objects, "ServiceAccount", "edge")["automountServiceAccountToken"],
            false
        );
        assert_eq!(
            find(&objects, "PodDisruptionBudget", "edge")
                .pointer("/spec/maxUnavailable")
                .unwrap(),
            1
        );
        let selector = deployment
            .pointer("/spec/selector/matchLabels")
            .unwrap()
            .as_object()
            .unwrap();
        let labels = deployment
            .pointer("/spec/template/metadata/labels")
            .unwrap()
            .as_object()
            .unwrap();
        assert!(selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
    }

    #[test]
    fn service_parts_follow_the_declaration() {
        let objects = render_source(FULL_SERVICE);
        let service = find(&objects, "Service", "api");
        assert_eq!(service.pointer("/spec/type").unwrap(), "ClusterIP");
        assert_eq!(service.pointer("/spec/ports/1/targetPort").unwrap(), "http");
        let set = find(&objects, "StatefulSet", "api");
        assert_eq!(set.pointer("/spec/serviceName").unwrap(), "api");
        assert_eq!(
            set.pointer("/metadata/annotations").unwrap(),
            &json!({ RELOADER_AUTO: "true" })
        );
        assert_eq!(
            set.pointer("/spec/volumeClaimTemplates/0/spec/resources/requests/storage")
                .unwrap(),
            "10Gi"
        );
        let container = set.pointer("/spec/template/spec/containers/0").unwrap();
        assert_eq!(
            container["resources"]["limits"],
            json!({ "cpu": "1", "memory": "512Mi" })
        );
        assert_eq!(
            container["livenessProbe"]["httpGet"],
            json!({ "path": "/health", "port": "http" })
        );
        assert!(container.get("startupProbe").is_none());
        let ingress = find(&objects, "Ingress", "api");
        assert_eq!(
            ingress.pointer("/metadata/annotations").unwrap(),
            &json!({ CLUSTER_ISSUER: "letsencrypt-prod" })
        );
        assert_eq!(
            ingress.pointer("/spec/tls/0/secretName").unwrap(),
            "api-tls"
        );
        assert_eq!(
            ingress.pointer("/spec/ingressClassName").unwrap(),
            "traefik"
        );
        let monitor = find(&objects, "ServiceMonitor", "api");
        assert_eq!(monitor.pointer("/metadata/labels/release").unwrap(), "kps");
        assert_eq!(
            monitor.pointer("/spec/endpoints/0").unwrap(),
            &json!({ "port": "admin", "path": "/metrics", "interval": "30s" })
        );
    }

    #[test]
    fn job_runs_once_as_a_sync_hook() {
        let objects = render_source(
            r#"
job migrate {
  namespace     = web
  image         = "registry.example.com/migrate:1.0.0"
  backoff-limit = 2
  ttl           = 1h
  storage       { scratch = { mount = "/scratch", size = 1Gi } }
}
"#,
        );
        let job = find(&objects, "Job", "migrate");
        assert_eq!(job["apiVersion"], "batch/v1");
        assert_eq!(job.pointer("/spec/backoffLimit").unwrap(), 2);
        assert_eq!(job.pointer("/spec/ttlSecondsAfterFinished").unwrap(), 3600);
        assert_eq!(
            job.pointer("/spec/template/spec/restartPolicy").unwrap(),
            "OnFailure"
        );
        assert_eq!(
            job.pointer("/metadata/annotations/argocd.argoproj.io~1hook")
                .unwrap(),
            "Sync"
        );
        assert_eq!(
            job.pointer("/spec/template/spec/volumes/0/persistentVolumeClaim/claimName")
                .unwrap(),
            "migrate-scratch"
        );
        let claim = find(&objects, "PersistentVolumeClaim", "migrate-scratch");
        assert_eq!(
            claim.pointer("/spec/resources/requests/storage").unwrap(),
            "1Gi"
        );
        assert!(!kinds(&objects).iter().any(|k| k.starts_with("Service/")));
    }

    #[test]
    fn cronjob_forbids_overlap() {
        let objects = render_source(
            r#"
job report {
  namespace = web
  image     = "registry.example.com/report:1.0.0"
  schedule  = "*/5 * * * *"
  ttl       = 10m
  nodepool  = app
}
"#,
        );
        let cron = find(&objects, "CronJob", "report");
        assert_eq!(cron.pointer("/spec/schedule").unwrap(), "*/5 * * * *");
        assert_eq!(cron.pointer("/spec/concurrencyPolicy").unwrap(), "Forbid");
        assert_eq!(
            cron.pointer("/spec/jobTemplate/spec/ttlSecondsAfterFinished")
                .unwrap(),
            600
        );
        let pod = cron
            .pointer("/spec/jobTemplate/spec/template/spec")
            .unwrap();
        assert_eq!(pod["restartPolicy"], "OnFailure");
        assert_eq!(pod["nodeSelector"], json!({ "example.com/pool": "app" }));
        assert!(cron.pointer("/metadata/annotations").is_none());
        assert!(cron
            .pointer("/spec/jobTemplate/spec/template/metadata/labels/app.kubernetes.io~1name")
            .is_some());
    }

    const KAFKA: &str = r#"
kafka k3 {
  namespace      = web
  version        = "3.9.0"
  brokers        = 3
  storage        = 10Gi
  authentication = AUTH
}

topic queue-control {
  name       = "queue.control"
  partitions = 3
  replicas   = 3
}

service worker {
  namespace = web
  image     = "registry.example.com/worker:1.0.0"
  consumes  = [queue-control]
  autoscale {
    min = 0
    max = 6
    kafka-lag { topic = queue-control  group = "workers"  threshold = 100 }
  }
}
"#;

    #[test]
    fn kafka_lag_scram_uses_keda_with_the_kafka_user_secret() {
        let objects = render_source(&KAFKA.replace("AUTH", "scram-sha-512"));
        let deployment = find(&objects, "Deployment", "worker");
        assert!(deployment.pointer("/spec/replicas").is_none());
        assert!(!kinds(&objects)
            .iter()
            .any(|k| k.starts_with("HorizontalPodAutoscaler/")));
        assert!(!kinds(&objects)
            .iter()
            .any(|k| k.starts_with("PodDisruptionBudget/")));
        let scaled = find(&objects, "ScaledObject", "worker");
        assert_eq!(
            scaled["spec"],
            json!({
                "scaleTargetRef": { "name": "worker" },
                "minReplicaCount": 0,
                "maxReplicaCount": 6,
                "triggers": [{
                    "type": "kafka",
                    "metadata": {
                        "bootstrapServers": "k3-kafka-bootstrap.web.svc:9092",
                        "consumerGroup": "workers",
                        "topic": "queue.control",
                        "lagThreshold": "100",
                        "sasl": "scram_sha512",
                        "tls": "disable",
                    },
                    "authenticationRef": { "name": "worker-kafka" },
                }],
            })
        );
        let auth = find(&objects, "TriggerAuthentication", "worker-kafka");
        assert_eq!(
            auth.pointer("/spec/secretTargetRef/0").unwrap(),
            &json!({ "parameter": "password", "name": "worker", "key": "password" })
        );
        assert_eq!(
            auth.pointer("/spec/configMapTargetRef/0/name").unwrap(),
            "worker-kafka-user"
        );
        assert_eq!(
            find(&objects, "ConfigMap", "worker-kafka-user")
                .pointer("/data/username")
                .unwrap(),
            "worker"
        );
        insta::assert_snapshot!("kafka_lag_scram", yaml(&objects));
    }

    /// `authentication = none` (the keyword) removes the field, which then
    /// defaults to SCRAM; the string `"none"` is what turns it off.
    #[test]
    fn kafka_lag_tls_and_none() {
        let objects = render_source(&KAFKA.replace("AUTH", "tls"));
        let trigger = find(&objects, "ScaledObject", "worker")
            .pointer("/spec/triggers/0")
            .unwrap();
        assert_eq!(trigger.pointer("/metadata/tls").unwrap(), "enable");
        assert_eq!(
            trigger.pointer("/metadata/bootstrapServers").unwrap(),
            "k3-kafka-bootstrap.web.svc:9093"
        );
        assert!(trigger.pointer("/metadata/sasl").is_none());
        let auth = find(&objects, "TriggerAuthentication", "worker-kafka");
        assert_eq!(
            auth.pointer("/spec/secretTargetRef/0/name").unwrap(),
            "k3-cluster-ca-cert"
        );
        assert_eq!(
            auth.pointer("/spec/secretTargetRef/1/key").unwrap(),
            "user.crt"
        );

        let objects = render_source(&KAFKA.replace("AUTH", "\"none\""));
        let trigger = find(&objects, "ScaledObject", "worker")
            .pointer("/spec/triggers/0")
            .unwrap();
        assert!(trigger.get("authenticationRef").is_none());
        assert!(!kinds(&objects)
            .iter()
            .any(|k| k.starts_with("TriggerAuthentication/")));
    }

    #[test]
    fn annotation_prometheus_gets_scrape_annotations_and_no_monitor() {
        let platform = test_view(
            r#"
platform shop { repo = "https://git.example.com/shop.git" }
chart prometheus {
  profile   = prometheus
  version   = "29.27.0"
  namespace = monitoring
}
service api {
  namespace = web
  image     = "registry.example.com/api:1.0.0"
  ports     = { http = 8080 }
  metrics   { port = http }
}
"#,
        );
        let mut objects = Vec::new();
        render(&platform, &Finish::nothing(), &mut objects);
        assert!(!kinds(&objects)
            .iter()
            .any(|k| k.starts_with("ServiceMonitor/")));
        let service = find(&objects, "Service", "api");
        assert_eq!(
            service.pointer("/metadata/annotations").unwrap(),
            &json!({ "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics" })
        );
    }
}
