//! A synthetic platform of N services, written as a `.platform` project:
//! 20 namespaces, 4 node pools, one Kafka cluster with a topic per 10
//! services, `talks-to` edges to earlier services, resources, health,
//! autoscaling, metrics and a secret reference per service. Deterministic.

use std::fmt::Write as _;
use std::path::Path;

/// Services per source file.
const PER_FILE: usize = 100;

/// Writes the project into `dir` (created if needed).
pub(crate) fn write_project(dir: &Path, services: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in project(services) {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The project as (file name, text) pairs.
pub(crate) fn project(services: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut head = String::from(
        r#"platform bench {
  repo           = "https://git.example.com/bench/gitops.git"
  nodepool-label = "node.kubernetes.io/pool"
}

defaults service {
  resources { cpu = 100m..500m  memory = 128Mi..512Mi }
}

kafka events { namespace = kafka  brokers = 3  storage = 100Gi }

chart monitoring { profile = kube-prometheus-stack  namespace = monitoring }
"#,
    );
    for pool in 0..4 {
        let _ = writeln!(
            head,
            "nodepool pool-{pool} {{ count = {}  labels = {{ tier = \"t{pool}\" }} }}",
            3 + pool
        );
    }
    for ns in 0..20 {
        let _ = writeln!(
            head,
            "secret db-{ns} {{ namespace = ns-{ns}  keys = [password] }}"
        );
    }
    for topic in 0..services.div_ceil(10) {
        let _ = writeln!(
            head,
            "topic topic-{topic} {{ partitions = 6  replicas = 3  retention = 7d }}"
        );
    }
    files.push(("platform.platform".to_string(), head));
    for chunk in 0..services.div_ceil(PER_FILE) {
        let mut text = String::new();
        for i in chunk * PER_FILE..((chunk + 1) * PER_FILE).min(services) {
            service(&mut text, i);
        }
        files.push((format!("services-{chunk:04}.platform"), text));
    }
    files
}

fn service(out: &mut String, i: usize) {
    let ns = i % 20;
    let pool = i % 4;
    let topic = i / 10;
    let mut talks = Vec::new();
    for back in [1, 7] {
        if i >= back {
            talks.push(format!("svc-{}", i - back));
        }
    }
    let role = if i % 10 == 0 { "publishes" } else { "consumes" };
    let _ = write!(
        out,
        r#"
service svc-{i} {{
  namespace = ns-{ns}
  image     = "registry.example.com/bench/svc-{i}:1.{}.0"
  nodepool  = pool-{pool}
  ports     = {{ http = 8080 }}
  env = {{
    LOG_LEVEL   = "info"
    UPSTREAM    = "${{service.svc-{}.host}}"
    DB_PASSWORD = secret.db-{ns}.password
  }}
  health    {{ liveness = "/healthz"  readiness = "/ready" }}
  autoscale {{ min = 2  max = 10  cpu = 70% }}
  metrics   {{ path = "/metrics"  interval = 30s }}
  talks-to  = [{}]
  {role} = [topic-{topic}]
}}
"#,
        i % 7,
        i.saturating_sub(1),
        talks.join(", "),
    );
}
