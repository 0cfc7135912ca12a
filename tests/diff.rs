//! `platc diff` on representative changes: pairs of small in-memory
//! projects compiled with `pipeline::compile_with`, diffed with
//! `diff::diff`, and every format snapshotted together (text, markdown,
//! JSON). Also: secrets never show in any format, the markdown of a
//! 2,000-object change stays under its budget and still names every object,
//! and a build read back from disk diffs empty against its render.

use std::collections::BTreeMap;

use platc::diff::format::{self, Format};
use platc::diff::{Changeset, Tree, TreeFile};
use platc::pipeline::Keep;
use platc::source::SourceMap;
use serde_json::json;

const BASE: &str = r#"platform shop {
  repo = "https://git.example.com/shop/gitops.git"
}

env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.k8s.example.com:6443" }

secret db-credentials { namespace = shop  keys = [password] }
secret db-replica     { namespace = shop  keys = [password] }

kafka events { namespace = kafka  brokers = 1  storage = 10Gi }
topic orders { partitions = 3  replicas = 1 }
topic audit  { partitions = 1  replicas = 1 }

chart postgresql {
  profile   = postgresql
  namespace = shop
  version   = "17.1.0"
  storage   = 8Gi
  values { auth.existingSecret = "db-credentials" }
  when prod { storage = 50Gi }
}

datasource prometheus { type = prometheus  url = "http://prometheus-server.monitoring.svc:80"  default = true }

dashboard shop-overview {
  title      = "Shop overview"
  datasource = prometheus
  panel "Requests" { type = timeseries  query = "sum(rate(http_requests_total[5m]))" }
  panel "Errors"   { type = stat  query = "sum(rate(http_errors_total[5m]))" }
}

resource app-config {
  api-version = "v1"
  kind        = "ConfigMap"
  namespace   = shop
  body        = file("config.yaml")
}

service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.0.0"
  replicas  = 1
  ports     = { http = 8080 }
  env = {
    LOG_LEVEL   = "info"
    DB_PASSWORD = secret.db-credentials.password
  }
  resources { cpu = 100m..500m  memory = 128Mi..256Mi }
  publishes = [orders]
  when prod { replicas = 3 }
}

service worker {
  namespace = shop
  image     = "registry.example.com/shop/worker:1.0.0"
  consumes  = [orders]
}
"#;

const CONFIG: &str =
    "data:\n  API_TOKEN: abc123\n  settings.env: |\n    LOG_LEVEL=info\n    SMTP_PASSWORD=s3cret\n";

/// Renders a project of one `.platform` file and its `config.yaml` asset, in memory.
fn render(platform: &str, config: &str) -> Tree {
    let sources = SourceMap::from_strings("project", &[("platform.platform", platform)]);
    let assets: BTreeMap<String, String> = [("config.yaml".to_string(), config.to_string())].into();
    let load =
        |paths: &std::collections::BTreeSet<String>| platc::source::assets_from_map(&assets, paths);
    let compiled = platc::pipeline::compile_with(&sources, None, &load);
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    Tree::from(compiled.bundle.expect("no errors, so a bundle"))
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` occurs once");
    text.replacen(from, to, 1)
}

/// The files `platc build` writes for the same project.
fn render_files(platform: &str, config: &str) -> BTreeMap<String, String> {
    let sources = SourceMap::from_strings("project", &[("platform.platform", platform)]);
    let assets: BTreeMap<String, String> = [("config.yaml".to_string(), config.to_string())].into();
    let load =
        |paths: &std::collections::BTreeSet<String>| platc::source::assets_from_map(&assets, paths);
    let compiled = platc::pipeline::compile_keeping(&sources, None, &load, Keep::Bytes);
    compiled
        .bundle
        .expect("no errors, so a bundle")
        .into_encoded()
}

fn borrowed(files: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect()
}

/// The changes between two renders. `platc diff`'s way, from the files
/// with only the apps that differ parsed (`diff_texts`), must give the same.
fn changes(old: (&str, &str), new: (&str, &str)) -> Changeset {
    let changes = platc::diff::diff(&render(old.0, old.1), &render(new.0, new.1));
    let (old_files, new_files) = (render_files(old.0, old.1), render_files(new.0, new.1));
    assert_eq!(
        platc::diff::diff_texts(&borrowed(&old_files), &borrowed(&new_files)),
        changes,
        "diff_texts differs from diff"
    );
    changes
}

/// Every format of one change, for one snapshot.
fn report(changes: &Changeset) -> String {
    format!(
        "----- text\n{}----- markdown\n{}----- json\n{}",
        format::render(changes, Format::Text { color: false }),
        format::render(
            changes,
            Format::Markdown {
                max_size: format::DEFAULT_MAX_SIZE
            }
        ),
        format::render(changes, Format::Json),
    )
}

fn lines(changes: &Changeset) -> Vec<String> {
    changes
        .objects
        .iter()
        .map(platc::diff::ObjectChange::summary_line)
        .collect()
}

#[test]
fn replica_bump() {
    let new = edit(BASE, "replicas  = 1\n", "replicas  = 2\n");
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    // Two replicas get a PodDisruptionBudget in the base; prod had its own.
    assert!(
        lines(&changes).contains(&"~ apps/shop Deployment/api".to_string()),
        "{:#?}",
        lines(&changes)
    );
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn new_service() {
    let new = format!(
        "{BASE}\nservice web {{\n  namespace = shop\n  image     = \"registry.example.com/shop/web:2.0.0\"\n  ports     = {{ http = 3000 }}\n  talks-to  = [api]\n}}\n"
    );
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    assert!(
        lines(&changes).contains(&"+ apps/shop Deployment/web".to_string()),
        "{:#?}",
        lines(&changes)
    );
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn removed_topic() {
    let new = edit(BASE, "topic audit  { partitions = 1  replicas = 1 }\n", "");
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    assert!(
        lines(&changes)
            .iter()
            .any(|l| l.starts_with("- ") && l.contains("KafkaTopic/audit")),
        "{:#?}",
        lines(&changes)
    );
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn renamed_service() {
    let new = edit(BASE, "service worker {", "service processor {");
    let new = edit(&new, "shop/worker:1.0.0", "shop/processor:1.0.0");
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    let lines = lines(&changes);
    assert!(
        lines.contains(&"> apps/shop Deployment/worker → processor".to_string()),
        "{lines:#?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("- apps/shop Deployment/")),
        "{lines:#?}"
    );
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn dashboard_panel_edit() {
    let new = edit(
        BASE,
        "sum(rate(http_errors_total[5m]))",
        "sum(rate(http_errors_total{code=~\\\"5..\\\"}[5m]))",
    );
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    let paths: Vec<&str> = changes
        .objects
        .iter()
        .flat_map(|o| o.fields.iter().map(platc::diff::FieldChange::path))
        .collect();
    assert!(paths.iter().any(|p| p.contains("panels[1]")), "{paths:#?}");
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn chart_version_bump() {
    let new = edit(BASE, "version   = \"17.1.0\"", "version   = \"17.2.0\"");
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    insta::assert_snapshot!(report(&changes));
}

#[test]
fn env_only_change() {
    let new = edit(
        BASE,
        "when prod { replicas = 3 }",
        "when prod { replicas = 5 }",
    );
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    assert_eq!(lines(&changes), vec!["~ apps/shop Deployment/api (prod)"]);
    insta::assert_snapshot!(report(&changes));
}

const SECRETS: [&str; 6] = [
    "hunter2",
    "hunter3",
    "abc123",
    "xyz789",
    "s3cret",
    "t0psecret",
];

#[test]
fn secret_reference_change_is_redacted() {
    let new = edit(
        BASE,
        "secret.db-credentials.password",
        "secret.db-replica.password",
    );
    let config = CONFIG
        .replace("abc123", "xyz789")
        .replace("s3cret", "t0psecret")
        .replace("=info", "=debug");
    let changes = changes((BASE, CONFIG), (&new, &config));
    let report = report(&changes);
    for secret in SECRETS {
        assert!(!report.contains(secret), "`{secret}` leaked:\n{report}");
    }
    insta::assert_snapshot!(report);
}

/// platc rejects credentials written as literals in chart values
/// (`plaintext-secret`), but a tree on disk or an older revision may hold
/// one: the diff still redacts it.
#[test]
fn a_values_password_in_an_older_tree_is_redacted() {
    let old = Tree::from_texts([(
        "charts/db/values.yaml",
        "auth:\n  existingSecret: db-credentials\n  password: hunter2\n",
    )]);
    let new = Tree::from_texts([(
        "charts/db/values.yaml",
        "auth:\n  existingSecret: db-credentials\n  password: hunter3\n",
    )]);
    let changes = platc::diff::diff(&old, &new);
    assert_eq!(changes.objects.len(), 1, "{changes:?}");
    for format in [
        Format::Text { color: false },
        Format::Markdown {
            max_size: 10_000_000,
        },
        Format::Json,
    ] {
        let text = format::render(&changes, format);
        assert!(text.contains("password"), "{text}");
        for secret in ["hunter2", "hunter3"] {
            assert!(
                !text.contains(secret),
                "`{secret}` leaked in {format:?}:\n{text}"
            );
        }
    }
}

#[test]
fn secrets_never_show_in_added_or_removed_objects() {
    let empty = Tree::default();
    let full = render(BASE, CONFIG);
    for changes in [
        platc::diff::diff(&empty, &full),
        platc::diff::diff(&full, &empty),
    ] {
        for format in [
            Format::Text { color: true },
            Format::Markdown {
                max_size: 10_000_000,
            },
            Format::Json,
        ] {
            let text = format::render(&changes, format);
            for secret in SECRETS {
                assert!(!text.contains(secret), "`{secret}` leaked in {format:?}");
            }
        }
    }
}

#[test]
fn text_is_coloured_only_when_asked() {
    let new = edit(BASE, "replicas  = 1\n", "replicas  = 2\n");
    let changes = changes((BASE, CONFIG), (&new, CONFIG));
    assert!(format::render(&changes, Format::Text { color: true })
        .contains("\x1b[33m~ apps/shop Deployment/api\x1b[0m"));
    assert!(!format::render(&changes, Format::Text { color: false }).contains('\x1b'));
}

#[test]
fn a_build_read_back_from_disk_diffs_empty() {
    let tree = render(BASE, CONFIG);
    let sources = SourceMap::from_strings("project", &[("platform.platform", BASE)]);
    let assets: BTreeMap<String, String> = [("config.yaml".to_string(), CONFIG.to_string())].into();
    let load =
        |paths: &std::collections::BTreeSet<String>| platc::source::assets_from_map(&assets, paths);
    let bundle = platc::pipeline::compile_with(&sources, None, &load)
        .bundle
        .expect("bundle");
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = platc::write::plan(bundle.encode(), &platc::write::OutTree::default(), false);
    platc::write::apply(&plan, dir.path()).expect("written");
    let on_disk = Tree::from_out_tree(&platc::write::read_out_tree(dir.path()).expect("read back"));
    let changes = platc::diff::diff(&on_disk, &tree);
    assert!(changes.is_empty(), "{:#?}", lines(&changes));
}

/// 2,000 Deployments, each with a long env list, all changed.
fn large(replicas: u64) -> Tree {
    let mut files = BTreeMap::new();
    for i in 0..2_000 {
        let ns = format!("team-{}", i % 20);
        let name = format!("service-{i:04}");
        let env: Vec<_> = (0..20).map(|k| json!({"name": format!("SETTING_{k}"), "value": format!("value-{k}-{replicas}")})).collect();
        let value = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": name, "image": format!("x/{name}:{replicas}"), "env": env}]}}},
        });
        files.insert(
            format!("apps/{ns}/base/deployment-{name}.yaml"),
            TreeFile::Documents(vec![value]),
        );
    }
    Tree { files }
}

#[test]
fn markdown_of_a_huge_change_stays_under_budget_and_names_every_object() {
    let changes = platc::diff::diff(&large(1), &large(2));
    assert_eq!(changes.objects.len(), 2_000);
    let markdown = format::markdown(&changes, format::DEFAULT_MAX_SIZE);
    assert!(
        markdown.chars().count() <= format::DEFAULT_MAX_SIZE,
        "{} characters",
        markdown.chars().count()
    );
    let table = markdown.split("<details>").next().expect("a table");
    for i in 0..2_000 {
        assert!(
            table.contains(&format!("~service-{i:04}")),
            "service-{i:04} missing from the summary table"
        );
    }
    assert!(markdown.contains("left out"), "says what was left out");
    assert!(
        markdown.contains("<details>"),
        "details of the first objects still fit"
    );
}
