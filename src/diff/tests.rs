//! Unit tests of the object-level diff on hand-made trees.

use serde_json::json;

use super::*;

fn tree(files: &[(&str, Json)]) -> Tree {
    Tree {
        files: files
            .iter()
            .map(|(path, value)| {
                let docs = match value {
                    Json::Array(items) if !path.contains("/patches/") => items.clone(),
                    other => vec![other.clone()],
                };
                ((*path).to_string(), TreeFile::Documents(docs))
            })
            .collect(),
    }
}

fn deployment(name: &str, replicas: u32) -> Json {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": name, "image": "x:1", "resources": {"limits": {"cpu": "500m"}}}]}}
        }
    })
}

#[test]
fn unchanged_trees_have_no_changes() {
    let a = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 1))]);
    assert!(diff(&a, &a).is_empty());
}

#[test]
fn a_changed_field_is_reported_with_its_path() {
    let a = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 1))]);
    let b = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 2))]);
    let changes = diff(&a, &b);
    assert_eq!(changes.objects.len(), 1);
    assert_eq!(
        changes.objects[0].summary_line(),
        "~ apps/shop Deployment/api"
    );
    assert_eq!(changes.objects[0].fields[0].path(), "spec.replicas");
}

#[test]
fn an_object_moved_to_another_file_says_so_in_every_format() {
    let a = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 1))]);
    let b = tree(&[("apps/shop/base/api.yaml", deployment("api", 1))]);
    let changes = diff(&a, &b);
    assert_eq!(changes.objects.len(), 1, "{changes:#?}");
    let moved = &changes.objects[0];
    assert_eq!(moved.change, Change::Changed);
    assert!(moved.fields.is_empty());
    assert_eq!(
        moved.old_path.as_deref(),
        Some("apps/shop/base/deployment-api.yaml")
    );
    let text = crate::diff::format::text(&changes, false);
    assert!(
        text.contains(
            "~ apps/shop Deployment/api\n    file: apps/shop/base/deployment-api.yaml → apps/shop/base/api.yaml\n"
        ),
        "{text}"
    );
    let markdown = crate::diff::format::markdown(&changes, crate::diff::format::DEFAULT_MAX_SIZE);
    assert!(markdown.contains("· file moved</summary>"), "{markdown}");
    assert!(
        markdown.contains(
            "- file: apps/shop/base/deployment-api.yaml\n+ file: apps/shop/base/api.yaml\n"
        ),
        "{markdown}"
    );
}

#[test]
fn a_similar_object_under_a_new_name_is_a_rename() {
    let a = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 1))]);
    let b = tree(&[(
        "apps/shop/base/deployment-backend.yaml",
        deployment("backend", 1),
    )]);
    let changes = diff(&a, &b);
    assert_eq!(changes.objects.len(), 1, "{changes:#?}");
    let renamed = &changes.objects[0];
    assert_eq!(renamed.change, Change::Renamed);
    assert_eq!(
        renamed.summary_line(),
        "> apps/shop Deployment/api → backend"
    );
    assert_eq!(renamed.similarity, Some(100));
}

#[test]
fn a_different_object_under_a_new_name_is_remove_and_add() {
    let a = tree(&[("apps/shop/base/deployment-api.yaml", deployment("api", 1))]);
    let mut other = deployment("web", 1);
    other["spec"] = json!({"replicas": 9, "paused": true, "strategy": {"type": "Recreate"}, "minReadySeconds": 5});
    let b = tree(&[("apps/shop/base/deployment-web.yaml", other)]);
    let marks: Vec<char> = diff(&a, &b)
        .objects
        .iter()
        .map(|o| o.change.mark())
        .collect();
    assert_eq!(marks, vec!['-', '+']);
}

#[test]
fn overlay_patches_are_the_envs_override_of_the_object() {
    let kustomization = |path: &str| {
        json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["../../base"],
               "patches": [{"path": path, "target": {"group": "apps", "version": "v1", "kind": "Deployment", "name": "api", "namespace": "shop"}}]})
    };
    let a = tree(&[
        (
            "apps/shop/overlays/prod/kustomization.yaml",
            kustomization("patches/deployment-api.yaml"),
        ),
        (
            "apps/shop/overlays/prod/patches/deployment-api.yaml",
            json!([{"op": "replace", "path": "/spec/replicas", "value": 3}]),
        ),
    ]);
    let b = tree(&[
        (
            "apps/shop/overlays/prod/kustomization.yaml",
            kustomization("patches/deployment-api.yaml"),
        ),
        (
            "apps/shop/overlays/prod/patches/deployment-api.yaml",
            json!([{"op": "replace", "path": "/spec/replicas", "value": 5}]),
        ),
    ]);
    let changes = diff(&a, &b);
    assert_eq!(changes.objects.len(), 1);
    assert_eq!(
        changes.objects[0].summary_line(),
        "~ apps/shop Deployment/api (prod)"
    );
    assert_eq!(changes.objects[0].part, Part::Override);
}

#[test]
fn retain_env_keeps_the_base_and_that_env() {
    let a = tree(&[
        ("charts/pg/values.yaml", json!({"a": 1})),
        ("charts/pg/values-prod.yaml", json!({"a": 2})),
        ("charts/pg/values-dev.yaml", json!({"a": 3})),
    ]);
    let b = tree(&[
        ("charts/pg/values.yaml", json!({"a": 4})),
        ("charts/pg/values-prod.yaml", json!({"a": 5})),
        ("charts/pg/values-dev.yaml", json!({"a": 6})),
    ]);
    let mut changes = diff(&a, &b);
    changes.retain_env("prod");
    let lines: Vec<String> = changes
        .objects
        .iter()
        .map(ObjectChange::summary_line)
        .collect();
    assert_eq!(
        lines,
        vec!["~ charts/pg values", "~ charts/pg values (prod)"]
    );
}

#[test]
fn secret_object_data_never_shows() {
    let secret = |v: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": v, "user": v}});
    let a = tree(&[("apps/shop/base/secret-db.yaml", secret("YQ=="))]);
    let b = tree(&[("apps/shop/base/secret-db.yaml", secret("Yg=="))]);
    let changes = diff(&a, &b);
    let text = format::render(&changes, format::Format::Json);
    assert!(!text.contains("YQ==") && !text.contains("Yg=="), "{text}");
    let added = diff(&Tree::default(), &b);
    let text = format::render(&added, format::Format::Text { color: false });
    assert!(!text.contains("Yg=="), "{text}");
}

#[test]
fn a_tree_read_back_from_text_equals_the_tree_it_was_encoded_from() {
    let a = tree(&[
        ("apps/shop/base/deployment-api.yaml", deployment("api", 1)),
        (
            "charts/pg/values.yaml",
            json!({"x": {"y": "1.0", "z": [1, "yes"]}}),
        ),
    ]);
    let texts: BTreeMap<String, String> = a
        .files
        .iter()
        .map(|(path, file)| match file {
            TreeFile::Documents(docs) => (
                path.clone(),
                docs.iter()
                    .map(crate::render::bundle::to_yaml)
                    .collect::<Vec<_>>()
                    .join("---\n"),
            ),
            TreeFile::Text(text) => (path.clone(), text.clone()),
        })
        .collect();
    let b = Tree::from_texts(texts.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    assert!(diff(&a, &b).is_empty());
}

/// `diff_texts` parses only the apps where a file differs, and gives what
/// `diff` gives on the whole parsed trees: an app only on one side (every
/// file added or removed), an app with a changed file, an app moved to
/// another path, and an unchanged app.
#[test]
fn diff_texts_is_diff_of_the_parsed_trees() {
    let yaml = |value: &Json| serde_yaml::to_string(value).expect("YAML");
    let (api, api3, worker) = (
        yaml(&deployment("api", 1)),
        yaml(&deployment("api", 3)),
        yaml(&deployment("worker", 1)),
    );
    let old: BTreeMap<&str, &str> = BTreeMap::from([
        ("apps/shop/base/deployment-api.yaml", api.as_str()),
        ("apps/gone/base/deployment-worker.yaml", worker.as_str()),
        ("apps/same/base/deployment-api.yaml", api.as_str()),
        ("README.md", "# old\n"),
    ]);
    let new: BTreeMap<&str, &str> = BTreeMap::from([
        ("apps/shop/base/deployment-api.yaml", api3.as_str()),
        ("apps/new/base/deployment-worker.yaml", worker.as_str()),
        ("apps/same/base/deployment-api.yaml", api.as_str()),
        ("README.md", "# new\n"),
    ]);
    let parsed =
        |files: &BTreeMap<&str, &str>| Tree::from_texts(files.iter().map(|(p, t)| (*p, *t)));
    let expected = diff(&parsed(&old), &parsed(&new));
    assert_eq!(diff_texts(&old, &new), expected);
    let apps: Vec<&str> = expected.objects.iter().map(|o| o.app.as_str()).collect();
    assert_eq!(apps, ["", "apps/gone", "apps/new", "apps/shop"]);
}
