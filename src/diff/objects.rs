//! Splitting a `Tree` into identified objects: where each file sits (app,
//! env, base or overlay patch) and what each document is (group, kind,
//! namespace, name). Overlay patches become that env's override of the base
//! object: a nested map holding each JSON6902 operation's value at its path.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::redact::Ctx;
use super::{Part, Tree, TreeFile};

/// What an overlay patch shows for a field it removes.
pub(crate) const REMOVED_IN_ENV: &str = "(removed in this env)";

/// Identity of an object: the file location it lives in plus its Kubernetes identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ObjectId {
    pub(crate) app: String,
    pub(crate) env: Option<String>,
    pub(crate) part: Part,
    pub(crate) group: String,
    pub(crate) kind: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
}

/// One object of a tree: the file it came from and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub(crate) path: &'a str,
    pub(crate) value: Cow<'a, Json>,
    /// A core `Secret`: its `data` and `stringData` are never shown.
    secret_object: bool,
}

impl Entry<'_> {
    /// The redaction context at the object's root.
    pub(crate) fn context(&self) -> Ctx {
        Ctx::root(self.secret_object)
    }
}

/// Where a file sits in the output tree.
struct Place {
    app: String,
    env: Option<String>,
}

/// The env a path belongs to by its shape alone: `…/overlays/ENV/…` or
/// `charts/RELEASE/values-ENV.yaml`.
pub(crate) fn path_env(path: &str) -> Option<&str> {
    let segments: Vec<&str> = path.split('/').collect();
    if let Some(i) = layer_index(&segments) {
        if segments[i] == "overlays" && i + 2 < segments.len() {
            return Some(segments[i + 1]);
        }
    }
    if segments.len() == 3 && segments[0] == "charts" {
        return values_env(segments[2]);
    }
    None
}

fn values_env(file: &str) -> Option<&str> {
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))?;
    stem.strip_prefix("values-").filter(|env| !env.is_empty())
}

/// Index of the `base`/`overlays` segment: `apps/NS/base`, `cluster/base`,
/// else the first such directory below the top level.
fn layer_index(segments: &[&str]) -> Option<usize> {
    let is_layer = |s: &str| s == "base" || s == "overlays";
    let dirs = segments.len().saturating_sub(1);
    match segments.first() {
        Some(&"apps") if dirs > 2 => is_layer(segments[2]).then_some(2),
        Some(&"cluster") if dirs > 1 => is_layer(segments[1]).then_some(1),
        _ => (1..dirs).find(|&i| is_layer(segments[i])),
    }
}

/// The app of a path: the first part of every identity of its objects.
pub(crate) fn app_of(path: &str, envs: &BTreeSet<String>) -> String {
    place(path, envs).app
}

fn place(path: &str, envs: &BTreeSet<String>) -> Place {
    let segments: Vec<&str> = path.split('/').collect();
    if let Some(i) = layer_index(&segments) {
        let app = segments[..i].join("/");
        let env = path_env(path).map(str::to_string);
        return Place { app, env };
    }
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    if segments.len() == 3 && segments[0] == "charts" {
        return Place {
            app: dir.to_string(),
            env: values_env(file).map(str::to_string),
        };
    }
    // `argocd/apps-prod.yaml`: a file per env, named after it.
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let env = envs
        .iter()
        .filter(|env| {
            stem.strip_suffix(env.as_str())
                .is_some_and(|rest| rest.ends_with('-'))
        })
        .max_by_key(|env| env.len())
        .cloned();
    Place {
        app: dir.to_string(),
        env,
    }
}

/// Patch file path → the target (group, kind, namespace, name) its
/// kustomization names.
fn patch_targets(tree: &Tree) -> BTreeMap<String, [String; 4]> {
    let mut targets = BTreeMap::new();
    for (path, file) in &tree.files {
        let Some(dir) = path.strip_suffix("kustomization.yaml") else {
            continue;
        };
        let TreeFile::Documents(docs) = file else {
            continue;
        };
        for doc in docs {
            let Some(patches) = doc.get("patches").and_then(Json::as_array) else {
                continue;
            };
            for patch in patches {
                let (Some(file), Some(target)) = (
                    patch.get("path").and_then(Json::as_str),
                    patch.get("target"),
                ) else {
                    continue;
                };
                let field = |k: &str| {
                    target
                        .get(k)
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                let full = format!("{dir}{}", file.trim_start_matches("./"));
                targets.insert(
                    full,
                    [
                        field("group"),
                        field("kind"),
                        field("namespace"),
                        field("name"),
                    ],
                );
            }
        }
    }
    targets
}

/// Every object of `tree`, sorted by identity (unique: a second object of
/// one identity, which only a hand-made tree has, gets a `#N` suffix).
/// `envs` are the env names of both trees (to recognise per-env files like
/// `argocd/apps-prod.yaml`).
pub(crate) fn collect<'a>(tree: &'a Tree, envs: &BTreeSet<String>) -> Vec<(ObjectId, Entry<'a>)> {
    let targets = patch_targets(tree);
    let mut out = Vec::new();
    for (path, file) in &tree.files {
        let place = place(path, envs);
        let file_name = path.rsplit('/').next().unwrap_or(path);
        match file {
            TreeFile::Text(text) => {
                let id = ObjectId {
                    app: place.app,
                    env: place.env,
                    part: Part::File,
                    group: String::new(),
                    kind: "file".to_string(),
                    namespace: String::new(),
                    name: file_name.to_string(),
                };
                let entry = Entry {
                    path,
                    value: Cow::Owned(Json::String(text.clone())),
                    secret_object: false,
                };
                out.push((id, entry));
            }
            TreeFile::Documents(docs) => {
                let in_patches = place.env.is_some() && path.contains("/patches/");
                for (index, doc) in docs.iter().enumerate() {
                    if doc.is_null() {
                        continue;
                    }
                    let (id, value) = if in_patches {
                        override_of(doc, targets.get(path.as_str()), &place, file_name)
                    } else {
                        (document_id(doc, &place, path, index), Cow::Borrowed(doc))
                    };
                    let secret_object =
                        id.part == Part::Object && id.group.is_empty() && id.kind == "Secret";
                    out.push((
                        id,
                        Entry {
                            path,
                            value,
                            secret_object,
                        },
                    ));
                }
            }
        }
    }
    // Stable: of two objects with one identity, the first by path keeps it.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    if out.windows(2).any(|w| w[0].0 == w[1].0) {
        out = unique(out);
    }
    out
}

/// Renames every repeated identity `name#2`, `name#3`… and sorts again.
fn unique(objects: Vec<(ObjectId, Entry<'_>)>) -> Vec<(ObjectId, Entry<'_>)> {
    let mut taken: BTreeSet<ObjectId> = BTreeSet::new();
    let mut out = Vec::with_capacity(objects.len());
    for (mut id, entry) in objects {
        if taken.contains(&id) {
            let base = id.name.clone();
            let mut n = 2;
            loop {
                id.name = format!("{base}#{n}");
                if !taken.contains(&id) {
                    break;
                }
                n += 1;
            }
        }
        taken.insert(id.clone());
        out.push((id, entry));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The string at `path` (map keys) below `value`, or `""`.
fn str_at<'v>(value: &'v Json, path: &[&str]) -> &'v str {
    let mut current = value;
    for key in path {
        match current.get(key) {
            Some(next) => current = next,
            None => return "",
        }
    }
    current.as_str().unwrap_or("")
}

fn document_id(doc: &Json, place: &Place, path: &str, index: usize) -> ObjectId {
    let kind = str_at(doc, &["kind"]);
    let numbered = |name: &str| {
        if index == 0 {
            name.to_string()
        } else {
            format!("{name}#{index}")
        }
    };
    if kind.is_empty() {
        let is_values = path.starts_with("charts/");
        return ObjectId {
            app: place.app.clone(),
            env: place.env.clone(),
            part: Part::Object,
            group: String::new(),
            kind: if is_values { "values" } else { "document" }.to_string(),
            namespace: String::new(),
            name: if is_values {
                numbered("")
            } else {
                numbered(path.rsplit('/').next().unwrap_or(path))
            },
        };
    }
    let group = str_at(doc, &["apiVersion"])
        .rsplit_once('/')
        .map_or("", |(group, _)| group);
    ObjectId {
        app: place.app.clone(),
        env: place.env.clone(),
        part: Part::Object,
        group: group.to_string(),
        kind: kind.to_string(),
        namespace: str_at(doc, &["metadata", "namespace"]).to_string(),
        name: str_at(doc, &["metadata", "name"]).to_string(),
    }
}

/// An overlay patch as the env's override of the base object: a JSON6902
/// list becomes a nested map of its values; `$patch: delete` stays as is.
fn override_of<'a>(
    doc: &'a Json,
    target: Option<&[String; 4]>,
    place: &Place,
    file_name: &str,
) -> (ObjectId, Cow<'a, Json>) {
    let id = |group: &str, kind: &str, namespace: &str, name: &str| ObjectId {
        app: place.app.clone(),
        env: place.env.clone(),
        part: Part::Override,
        group: group.to_string(),
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    };
    match doc {
        Json::Array(ops) => {
            let value = Json::Object(patch_view(ops));
            let stem = file_name
                .rsplit_once('.')
                .map_or(file_name, |(stem, _)| stem);
            match target {
                Some([group, kind, namespace, name]) => {
                    (id(group, kind, namespace, name), Cow::Owned(value))
                }
                None => (id("", "patch", "", stem), Cow::Owned(value)),
            }
        }
        _ => {
            let group = str_at(doc, &["apiVersion"])
                .rsplit_once('/')
                .map_or("", |(group, _)| group);
            let kind = str_at(doc, &["kind"]);
            let name = str_at(doc, &["metadata", "name"]);
            let namespace = str_at(doc, &["metadata", "namespace"]);
            if doc.get("$patch").is_some() {
                let mut view = Map::new();
                view.insert("$patch".into(), doc["$patch"].clone());
                (
                    id(group, kind, namespace, name),
                    Cow::Owned(Json::Object(view)),
                )
            } else {
                (id(group, kind, namespace, name), Cow::Borrowed(doc))
            }
        }
    }
}

/// JSON6902 operations → a nested map: each operation's value at its path
/// (`REMOVED_IN_ENV` for `remove`, the operation itself for `move`/`copy`/`test`).
fn patch_view(ops: &[Json]) -> Map<String, Json> {
    let mut root = Map::new();
    for op in ops {
        let kind = str_at(op, &["op"]);
        let pointer = str_at(op, &["path"]);
        let value = match kind {
            "add" | "replace" => op.get("value").cloned().unwrap_or(Json::Null),
            "remove" => Json::String(REMOVED_IN_ENV.to_string()),
            _ => op.clone(),
        };
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        if !place_at(&mut root, &segments, value.clone()) {
            root.insert(pointer.to_string(), value);
        }
    }
    root
}

/// Sets `value` at `segments` below `map`; false when a value is in the way.
fn place_at(map: &mut Map<String, Json>, segments: &[String], value: Json) -> bool {
    match segments {
        [] => false,
        [last] => {
            if map.contains_key(last) {
                return false;
            }
            map.insert(last.clone(), value);
            true
        }
        [first, rest @ ..] => {
            let child = map
                .entry(first.clone())
                .or_insert_with(|| Json::Object(Map::new()));
            match child {
                Json::Object(inner) => place_at(inner, rest, value),
                _ => false,
            }
        }
    }
}

/// An object as text with its own name masked, for rename similarity.
pub(crate) struct Masked {
    lines: Vec<String>,
    sorted: Vec<usize>,
}

impl Masked {
    pub(crate) fn new(entry: &Entry<'_>, name: &str) -> Self {
        let text = crate::render::bundle::to_yaml(&entry.value);
        let lines: Vec<String> = text.lines().map(|line| mask(line, name)).collect();
        let mut sorted: Vec<usize> = (0..lines.len()).collect();
        sorted.sort_by(|&a, &b| lines[a].cmp(&lines[b]));
        Self { lines, sorted }
    }

    /// The line-similarity ratio when it reaches `threshold` (a cheap bound first).
    pub(crate) fn similarity(&self, other: &Masked, threshold: f32) -> Option<f32> {
        let total = self.lines.len() + other.lines.len();
        if total == 0 {
            return Some(1.0);
        }
        if ratio(self.common_lines_bound(other), total) < threshold {
            return None;
        }
        let old: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        let new: Vec<&str> = other.lines.iter().map(String::as_str).collect();
        let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new);
        let ratio = similar::diff_ratio(&ops, old.len(), new.len());
        (ratio >= threshold).then_some(ratio)
    }

    /// Lines both have (as multisets): no diff can match more.
    fn common_lines_bound(&self, other: &Masked) -> usize {
        let (mut i, mut j, mut common) = (0, 0, 0);
        while i < self.sorted.len() && j < other.sorted.len() {
            let (a, b) = (&self.lines[self.sorted[i]], &other.lines[other.sorted[j]]);
            match a.cmp(b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        common
    }
}

fn ratio(common: usize, total: usize) -> f32 {
    // Line counts of one object: far below f32's exact integer range.
    #[allow(clippy::cast_precision_loss)]
    let ratio = (2 * common) as f32 / total as f32;
    ratio
}

/// `line` with every whole occurrence of `name` (not inside a longer
/// alphanumeric word) replaced by a placeholder.
fn mask(line: &str, name: &str) -> String {
    if name.is_empty() {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut previous: Option<char> = None;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back().or(previous);
        let after = rest[at + name.len()..].chars().next();
        let bounded = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric());
        out.push_str(&rest[..at]);
        if bounded(before) && bounded(after) {
            out.push_str("\u{1}NAME\u{1}");
        } else {
            out.push_str(name);
        }
        previous = name.chars().next_back();
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_from_the_tree_layout() {
        let envs: BTreeSet<String> = ["dev".to_string(), "prod".to_string()].into();
        let cases = [
            ("apps/shop/base/deployment-api.yaml", "apps/shop", None),
            (
                "apps/shop/overlays/prod/patches/deployment-api.yaml",
                "apps/shop",
                Some("prod"),
            ),
            ("apps/base/base/service-x.yaml", "apps/base", None),
            (
                "cluster/overlays/dev/kustomization.yaml",
                "cluster",
                Some("dev"),
            ),
            ("charts/pg/values.yaml", "charts/pg", None),
            ("charts/pg/values-prod.yaml", "charts/pg", Some("prod")),
            ("argocd/apps-prod.yaml", "argocd", Some("prod")),
            ("argocd/project.yaml", "argocd", None),
            ("README.md", "", None),
        ];
        for (path, app, env) in cases {
            let place = place(path, &envs);
            assert_eq!(
                (place.app.as_str(), place.env.as_deref()),
                (app, env),
                "{path}"
            );
        }
    }

    #[test]
    fn patches_become_nested_overrides() {
        let ops = serde_json::json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "remove", "path": "/metadata/annotations/a~1b"},
        ]);
        let view = patch_view(ops.as_array().unwrap());
        assert_eq!(
            Json::Object(view),
            serde_json::json!({"spec": {"replicas": 3}, "metadata": {"annotations": {"a/b": REMOVED_IN_ENV}}})
        );
    }

    #[test]
    fn masking_replaces_whole_names_only() {
        assert_eq!(mask("name: api", "api"), "name: \u{1}NAME\u{1}");
        assert_eq!(
            mask("secretName: api-tls", "api"),
            "secretName: \u{1}NAME\u{1}-tls"
        );
        assert_eq!(mask("apiVersion: v1", "api"), "apiVersion: v1");
    }
}
