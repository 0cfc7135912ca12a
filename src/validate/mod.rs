//! Validation: checks every document of a rendered `Bundle` before anything
//! is written, and appends `schema` and `duplicate-object` diagnostics. Each
//! Kubernetes document is checked against the strict schema of its exact
//! apiVersion and kind (`schema.rs`) and against the API server's rules for
//! `metadata.name`/`metadata.namespace`; each JSON6902 patch of an overlay
//! is applied to its base object and the result checked the same way; plain
//! (non-overlay) objects must have unique identities. Pure: reads no files
//! (the schemas are embedded) and never changes the bundle.

pub mod names;
pub mod patch;
pub mod schema;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::render::{Bundle, Document, FileContent, Sealed};
use crate::span::Span;

use schema::{group_of, Schema, SchemaError};

/// Groups whose documents configure tools rather than declare cluster
/// objects: no name rules, no identity.
const NON_K8S_GROUPS: &[&str] = &[
    "k3d.io",
    "kind.x-k8s.io",
    "kustomize.config.k8s.io",
    "builtin",
    "config.kubernetes.io",
];

/// Documents per unit of work handed to a thread.
const CHUNK: usize = 256;

/// The help of every schema error.
const SCHEMA_HELP: &str = "this is a platc bug unless the field comes from a `values`/`spec` \
                           block or a `file()` body: check the value at that path";

/// One document to check.
struct Item<'a> {
    /// The output file, relative to the output directory.
    file: &'a str,
    origin: Option<Span>,
    document: Subject<'a>,
}

/// A document still to check, or one checked when it was rendered. Items
/// are one per object (74,000 at 10,000 services), so the rare patched
/// object is boxed: an item is 48 bytes, not 96.
enum Subject<'a> {
    /// A document of the bundle.
    Value(&'a Json),
    /// An object checked when it was rendered.
    Sealed(&'a Sealed),
    /// An overlay patch applied to its base.
    Patched(Box<Applied<'a>>),
}

/// An overlay's patch applied to a copy of its base object.
struct Applied<'a> {
    /// The patched object.
    value: Json,
    /// The base's file.
    base_file: &'a str,
    /// The base object.
    base: &'a Json,
}

/// One problem of one document, found before the document has a file (an
/// object is checked as soon as it is rendered, see `render::Sealed`); the
/// file and the declaration are added when it becomes a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `Kind/name` of the document.
    what: String,
    /// JSON path of the offending value (`.` for the whole document).
    path: String,
    message: String,
    help: &'static str,
}

/// The schema and name problems of one standalone Kubernetes document, and
/// whether it has an identity (two objects with one identity are a
/// `duplicate-object`).
pub(crate) fn check_object(value: &Json) -> (Vec<Problem>, bool) {
    (problems(value, None), identity(value).is_some())
}

/// What checking a run of items found.
#[derive(Default)]
struct Found {
    diagnostics: Vec<Diagnostic>,
    /// Plain objects as (fingerprint of the identity, item index). The
    /// identities themselves are looked up again only for fingerprints seen
    /// twice: kept here, they were 80 bytes per object, 6 MB of fresh
    /// memory at 10,000 services.
    identities: Vec<(u64, usize)>,
}

/// Checks every rendered document; reports `duplicate-object` and `schema`.
pub fn validate(bundle: &Bundle, diagnostics: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    // The items in file order, built on all cores while the patch files are
    // looked up: each file's content is behind a pointer not touched since
    // it was rendered (at 10,000 services, one thread took ~10 ms).
    let files: Vec<(&String, &FileContent)> = bundle.files.iter().collect();
    let (patch_files, mut items) = rayon::join(
        || patch::patch_files(bundle),
        || {
            files
                .par_iter()
                .flat_map_iter(|&(file, content)| items_of(file, content))
                .collect::<Vec<Item<'_>>>()
        },
    );
    drop(files);
    for applied in patch::applied_patches(bundle) {
        match applied {
            Ok(patched) => items.push(Item {
                file: patched.patch_file,
                origin: patched.origin,
                document: Subject::Patched(Box::new(Applied {
                    value: patched.value,
                    base_file: patched.base_file,
                    base: patched.base,
                })),
            }),
            Err(problem) => diagnostics.push(*problem),
        }
    }
    let found = check_all(&items, &patch_files);
    diagnostics.extend(found.diagnostics);
    duplicates(&items, found.identities, diagnostics);
}

/// The documents of one file as items to check (none for a text file).
fn items_of<'a>(file: &'a str, content: &'a FileContent) -> impl Iterator<Item = Item<'a>> {
    let (documents, sealed): (&[crate::render::Document], &[Sealed]) = match content {
        FileContent::Documents(documents) => (documents, &[]),
        FileContent::Sealed(sealed) => (&[], sealed),
        FileContent::Text(_) => (&[], &[]),
    };
    let plain = documents.iter().map(move |document| Item {
        file,
        origin: document.origin,
        document: Subject::Value(&document.value),
    });
    plain.chain(sealed.iter().map(move |sealed| Item {
        file,
        origin: Some(sealed.origin),
        document: Subject::Sealed(sealed),
    }))
}

/// False for what is not a standalone object: kustomizations, Helm values
/// and chart metadata, patches, JSON6902 operation lists.
fn is_checked(file: &str, value: &Json, patch_files: &BTreeSet<String>) -> bool {
    let base_name = file.rsplit('/').next().unwrap_or(file);
    let is_values = base_name.starts_with("values")
        && (base_name.ends_with(".yaml") || base_name.ends_with(".yml"));
    value.is_object()
        && !patch::is_kustomization_file(file)
        && !is_values
        && base_name != "Chart.yaml"
        && !patch_files.contains(file)
        && value.get("$patch").is_none()
}

/// Checks every item, on all cores for large bundles; the output order is
/// the item order whatever the thread timing.
fn check_all<'a>(items: &[Item<'a>], patch_files: &BTreeSet<String>) -> Found {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let chunks: Vec<&[Item<'a>]> = items.chunks(CHUNK).collect();
    if threads <= 1 || chunks.len() <= 1 {
        return check_chunk(items, 0, patch_files);
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Found)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(chunks.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(index) else {
                            break;
                        };
                        out.push((index, check_chunk(chunk, index * CHUNK, patch_files)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    let mut all = Found::default();
    for (_, found) in done {
        all.diagnostics.extend(found.diagnostics);
        all.identities.extend(found.identities);
    }
    all
}

/// Checks `items` (the first has index `offset`) and records the
/// fingerprint of each plain object's identity while its document is still
/// in the cache.
fn check_chunk<'a>(items: &[Item<'a>], offset: usize, patch_files: &BTreeSet<String>) -> Found {
    let mut found = Found::default();
    for (index, item) in items.iter().enumerate() {
        let checked;
        let problems: &[Problem] = match &item.document {
            Subject::Value(value) => {
                if !is_checked(item.file, value, patch_files) {
                    continue;
                }
                checked = problems(value, None);
                &checked
            }
            Subject::Patched(applied) => {
                checked = problems(&applied.value, Some(applied.base));
                &checked
            }
            Subject::Sealed(sealed) => &sealed.problems,
        };
        found
            .diagnostics
            .extend(problems.iter().map(|p| diagnostic(item, p)));
        // A patched object has no identity (`item_identity`).
        if let (false, Some(identity)) = (is_overlay(item.file), item_identity(item)) {
            found
                .identities
                .push((fingerprint(identity), offset + index));
        }
    }
    found
}

/// Schema and name problems of one document; for a patched object, only
/// those its base does not have already (they are reported there).
fn problems(value: &Json, base: Option<&Json>) -> Vec<Problem> {
    let api_version = string_at(value, "apiVersion");
    let kind = string_at(value, "kind");
    let looks_like_object = field(value, "metadata").is_some_and(Json::is_object);
    let what = |kind: &str| {
        let name = value
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .or_else(|| string_at(value, "name"))
            .unwrap_or("-");
        format!("{kind}/{name}")
    };
    let problem = |kind: &str, path: &str, message: String| Problem {
        what: what(kind),
        path: path.to_string(),
        message,
        help: SCHEMA_HELP,
    };
    let (api_version, kind) = match (api_version, kind) {
        (Some(api_version), Some(kind)) => (api_version, kind),
        (None, Some(kind)) if looks_like_object => {
            let message = format!("document has kind {} but no apiVersion", quoted(kind));
            return vec![problem(kind, ".apiVersion", message)];
        }
        (Some(api_version), None) if looks_like_object => {
            let message = format!(
                "document has apiVersion {} but no kind",
                quoted(api_version)
            );
            return vec![problem("?", ".kind", message)];
        }
        _ => return Vec::new(),
    };
    let group = group_of(api_version);
    if group == "kustomize.config.k8s.io" {
        return Vec::new();
    }
    let mut out = Vec::new();
    match Schema::find(api_version, kind) {
        // A custom resource of an API group platc has no schema for (a
        // `resource` block's CRD): LANGUAGE.md §3.11 validates it "when a
        // schema is known", so it passes unchecked.
        None if !schema::knows_group(group) => {}
        // A group platc knows: the kind or version is wrong, or a renderer
        // emits a kind whose schema was never embedded.
        None => {
            let others = schema::versions_of(group, kind);
            let hint = if others.is_empty() {
                String::new()
            } else {
                format!(" (schemas exist for {})", others.join(", "))
            };
            let message = format!("no schema for {api_version} {kind}{hint}");
            out.push(Problem {
                help: "platc validates every object of a known API group against a pinned \
                       schema (stdlib/schemas/index.json): use an apiVersion and kind listed \
                       there",
                ..problem(kind, ".", message)
            });
        }
        Some(schema) => match schema.check(value) {
            Ok(errors) => {
                let known = match (errors.is_empty(), base) {
                    (false, Some(base)) => schema.check(base).unwrap_or_default(),
                    _ => Vec::new(),
                };
                for error in errors.iter().filter(|e| !known.contains(e)) {
                    out.push(problem(kind, &error.path, error.message.clone()));
                }
            }
            Err(bug) => out.push(problem(kind, ".", bug)),
        },
    }
    if !NON_K8S_GROUPS.contains(&group) {
        let mut found = names::check(group, kind, value);
        if let Some(base) = base {
            let known = names::check(group, kind, base);
            found.retain(|p| !known.contains(p));
        }
        for name_problem in found {
            out.push(Problem {
                help: "Kubernetes rejects this name: rename or shorten the declaration it is \
                       derived from",
                ..problem(kind, &name_problem.path, name_problem.message)
            });
        }
    }
    out
}

/// `<file>: <Kind>/<name> <json path>: <error>` at the document's origin.
fn diagnostic(item: &Item<'_>, problem: &Problem) -> Diagnostic {
    let Problem {
        what,
        path,
        message,
        help,
    } = problem;
    let mut text = format!("{}: {what} {path}: {message}", item.file);
    if let Subject::Patched(applied) = &item.document {
        let base_file = applied.base_file;
        text.push_str(&format!(" (after applying the patch to `{base_file}`)"));
    }
    let (span, label) = origin_label(
        item.origin,
        "the document is rendered from this declaration",
    );
    Diagnostic::new(Code::Schema, text, span, label).with_help(*help)
}

/// The span to report at, and its label; a document without an origin is
/// reported at the start of the first file, saying so.
fn origin_label(origin: Option<Span>, label: &str) -> (Span, String) {
    match origin {
        Some(span) => (span, label.to_string()),
        None => (
            Span::default(),
            "the document has no source location (a platc bug: renderers must set an origin)"
                .into(),
        ),
    }
}

/// Identity of a plain object: (API group, kind, namespace, name).
pub(crate) type Identity<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The identity of an item that has one: a document of the bundle (not
/// an applied patch) that names a Kubernetes object.
fn item_identity<'a>(item: &Item<'a>) -> Option<Identity<'a>> {
    match &item.document {
        Subject::Value(value) => identity(value),
        Subject::Patched(_) => None,
        Subject::Sealed(sealed) => sealed.identity(),
    }
}

/// `duplicate-object`: two plain (non-overlay) objects with one identity.
/// `identities` holds every plain object's fingerprint and item; each later
/// one equal to an earlier one is reported against the first.
fn duplicates<'a>(
    items: &[Item<'a>],
    mut identities: Vec<(u64, usize)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Sorting fingerprints groups candidates without comparing strings,
    // which matters for ~100k objects; equality is then checked for real.
    identities.sort_unstable();
    let mut found: Vec<(usize, usize, Identity<'a>)> = Vec::new();
    for group in identities
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() > 1)
    {
        let group: Vec<(usize, Identity<'a>)> = group
            .iter()
            .filter_map(|&(_, index)| Some((index, item_identity(&items[index])?)))
            .collect();
        for (position, (later, identity)) in group.iter().enumerate() {
            if let Some((first, _)) = group[..position].iter().find(|(_, i)| i == identity) {
                found.push((*later, *first, *identity));
            }
        }
    }
    found.sort_unstable_by_key(|(later, _, _)| *later);
    for (later, first, (group, kind, namespace, name)) in found {
        let (item, earlier) = (&items[later], &items[first]);
        let what = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let object = if namespace.is_empty() {
            name.to_string()
        } else {
            format!("{namespace}/{name}")
        };
        let (span, label) = origin_label(item.origin, "rendered again from this declaration");
        let (first_span, first_label) =
            origin_label(earlier.origin, "first rendered from this declaration");
        diagnostics.push(
            Diagnostic::new(
                Code::DuplicateObject,
                format!(
                    "duplicate object {what} `{object}` in `{}` and `{}`",
                    earlier.file, item.file
                ),
                span,
                label,
            )
            .with_label(first_span, first_label)
            .with_help(format!(
                "`{}` and `{}` both declare {what} `{object}`, and Kubernetes keeps one object \
                 per group, kind, namespace and name: rename one of the declarations",
                earlier.file, item.file
            )),
        );
    }
}

/// FNV-1a of an identity's parts (0xff, never in UTF-8, separates them).
fn fingerprint((group, kind, namespace, name): Identity<'_>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [group, kind, namespace, name] {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// (group, kind, namespace, name) of a Kubernetes object with a name.
fn identity(value: &Json) -> Option<Identity<'_>> {
    let api_version = string_at(value, "apiVersion")?;
    let kind = string_at(value, "kind")?;
    let group = group_of(api_version);
    if NON_K8S_GROUPS.contains(&group) {
        return None;
    }
    let metadata = field(value, "metadata")?;
    let name = field(metadata, "name").and_then(Json::as_str)?;
    let namespace = field(metadata, "namespace")
        .and_then(Json::as_str)
        .unwrap_or("");
    Some((group, kind, namespace, name))
}

/// True for files under an `overlays/` directory.
fn is_overlay(file: &str) -> bool {
    file.split('/').any(|segment| segment == "overlays")
}

fn string_at<'a>(value: &'a Json, key: &str) -> Option<&'a str> {
    field(value, key)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// `value.get(key)`, comparing the first entries' keys before hashing.
/// `apiVersion`, `kind` and `metadata` open every rendered object, and
/// `name` and `namespace` its metadata; serde_json's map hashes each
/// lookup with SipHash, and these lookups, several per object, were 3% of
/// all instructions of `platc validate`.
pub(crate) fn field<'a>(value: &'a Json, key: &str) -> Option<&'a Json> {
    let map = value.as_object()?;
    map.iter()
        .take(3)
        .find_map(|(k, v)| (k == key).then_some(v))
        .or_else(|| map.get(key))
}

fn quoted(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

/// Documents of a file, or none for text files.
fn documents<'a>(bundle: &'a Bundle, file: &str) -> &'a [Document] {
    match bundle.files.get(file) {
        Some(FileContent::Documents(documents)) => documents,
        _ => &[],
    }
}

/// Errors of one value against the schema of its apiVersion/kind (tests and tools).
///
/// # Errors
/// When the embedded schema does not compile (a platc bug).
pub fn schema_errors(value: &Json) -> Result<Vec<SchemaError>, String> {
    let api_version = string_at(value, "apiVersion").unwrap_or_default();
    let kind = string_at(value, "kind").unwrap_or_default();
    match Schema::find(api_version, kind) {
        Some(schema) => schema.check(value),
        None => Err(format!("no schema for {api_version} {kind}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One item per object: its size is memory first touched per object.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_item_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Item<'static>>(), 48);
    }
    use crate::span::FileId;
    use serde_json::json;

    fn span(start: usize) -> Span {
        Span::new(FileId(0), start, start + 4)
    }

    #[test]
    fn field_finds_keys_among_the_first_entries_and_after_them() {
        let value = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5});
        assert_eq!(field(&value, "b"), Some(&json!(2)));
        assert_eq!(field(&value, "e"), Some(&json!(5)));
        assert_eq!(field(&value, "f"), None);
        assert_eq!(field(&json!([1, 2]), "a"), None);
        let metadata = field(&deployment(), "metadata")
            .cloned()
            .unwrap_or_default();
        assert_eq!(field(&metadata, "namespace"), Some(&json!("shop")));
    }

    fn deployment() -> Json {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "labels": {"app.kubernetes.io/name": "api"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "api"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "api"}},
                    "spec": {"containers": [{
                        "name": "api",
                        "image": "ghcr.io/acme/api:1.2.3",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
                    }]}
                }
            }
        })
    }

    fn service() -> Json {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"selector": {"app.kubernetes.io/name": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
        })
    }

    fn run(files: Vec<(&str, Json, Option<Span>)>) -> Vec<Diagnostic> {
        let mut bundle = Bundle::default();
        for (path, value, origin) in files {
            bundle.add(path, value, origin);
        }
        let mut diagnostics = Vec::new();
        validate(&bundle, &mut diagnostics);
        diagnostics
    }

    fn messages(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics.iter().map(|d| d.message.as_str()).collect()
    }

    #[test]
    fn valid_deployment_passes() {
        let diagnostics = run(vec![(
            "apps/shop/base/deployment-api.yaml",
            deployment(),
            Some(span(1)),
        )]);
        assert_eq!(messages(&diagnostics), Vec::<&str>::new());
    }

    #[test]
    fn string_replicas_fail_with_the_json_path() {
        let mut value = deployment();
        value["spec"]["replicas"] = json!("3");
        let diagnostics = run(vec![(
            "apps/shop/base/deployment-api.yaml",
            value,
            Some(span(7)),
        )]);
        assert_eq!(
            messages(&diagnostics),
            vec![
                "apps/shop/base/deployment-api.yaml: Deployment/api .spec.replicas: expected integer or null, got \
                 string \"3\""
            ]
        );
        assert_eq!(diagnostics[0].code, Code::Schema);
        assert_eq!(diagnostics[0].primary.span, span(7));
        assert_eq!(diagnostics[0].help.as_deref(), Some(SCHEMA_HELP));
    }

    #[test]
    fn unknown_fields_fail_with_a_suggestion() {
        let mut value = deployment();
        value["spec"]["strategyy"] = json!({});
        value["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
        let diagnostics = run(vec![("d.yaml", value, Some(span(1)))]);
        assert_eq!(
            messages(&diagnostics),
            vec![
                "d.yaml: Deployment/api .spec.strategyy: unknown field \"strategyy\" (did you mean \"strategy\"?)",
                "d.yaml: Deployment/api .spec.template.spec.containers[0].imagePullPolicyy: unknown field \
                 \"imagePullPolicyy\" (did you mean \"imagePullPolicy\"?)",
            ]
        );
    }

    #[test]
    fn kafka_topic_v1_without_spec_fails() {
        let topic = json!({
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {"name": "orders", "namespace": "kafka", "labels": {"strimzi.io/cluster": "main"}}
        });
        let diagnostics = run(vec![("t.yaml", topic, Some(span(1)))]);
        assert_eq!(
            messages(&diagnostics),
            vec!["t.yaml: KafkaTopic/orders .spec: missing required field \"spec\""]
        );
    }

    #[test]
    fn identical_services_are_duplicate_objects_with_both_spans() {
        let diagnostics = run(vec![
            ("apps/a/base/service-api.yaml", service(), Some(span(10))),
            ("apps/b/base/service-api.yaml", service(), Some(span(20))),
        ]);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        let duplicate = &diagnostics[0];
        assert_eq!(duplicate.code, Code::DuplicateObject);
        assert_eq!(
            duplicate.message,
            "duplicate object Service `shop/api` in `apps/a/base/service-api.yaml` and `apps/b/base/service-api.yaml`"
        );
        assert_eq!(duplicate.primary.span, span(20));
        assert_eq!(duplicate.secondary.len(), 1);
        assert_eq!(duplicate.secondary[0].span, span(10));
        assert!(duplicate
            .help
            .as_deref()
            .is_some_and(|h| h.contains("rename one of the declarations")));
    }

    #[test]
    fn every_later_duplicate_is_reported_against_the_first() {
        let diagnostics = run(vec![
            ("a/service-api.yaml", service(), Some(span(10))),
            ("b/service-api.yaml", service(), Some(span(20))),
            ("c/service-api.yaml", service(), Some(span(30))),
        ]);
        let pairs: Vec<(Span, Span)> = diagnostics
            .iter()
            .map(|d| (d.primary.span, d.secondary[0].span))
            .collect();
        assert_eq!(pairs, vec![(span(20), span(10)), (span(30), span(10))]);
    }

    #[test]
    fn parallel_checking_keeps_the_document_order() {
        let mut files = Vec::new();
        for i in 0..(3 * CHUNK + 7) {
            let mut value = service();
            value["metadata"]["name"] = json!(format!("svc-{i:04}"));
            if i % 97 == 0 {
                value["spec"]["portz"] = json!([]);
            }
            files.push((format!("apps/s/base/service-{i:04}.yaml"), value));
        }
        let mut bundle = Bundle::default();
        for (path, value) in files {
            bundle.add(path, value, Some(span(1)));
        }
        let items: Vec<Item<'_>> = bundle
            .documents()
            .map(|(file, _, d)| Item {
                file,
                origin: d.origin,
                document: Subject::Value(&d.value),
            })
            .collect();
        let none = BTreeSet::new();
        let parallel = check_all(&items, &none);
        let sequential = check_chunk(&items, 0, &none);
        assert_eq!(
            parallel.diagnostics.len(),
            (0..3 * CHUNK + 7).filter(|i| i % 97 == 0).count()
        );
        assert_eq!(parallel.diagnostics, sequential.diagnostics);
        assert_eq!(parallel.identities, sequential.identities);
    }

    #[test]
    fn overlay_objects_and_other_namespaces_are_not_duplicates() {
        let mut other = service();
        other["metadata"]["namespace"] = json!("other");
        let diagnostics = run(vec![
            ("apps/shop/base/service-api.yaml", service(), Some(span(1))),
            (
                "apps/shop/overlays/prod/service-api.yaml",
                service(),
                Some(span(1)),
            ),
            ("apps/other/base/service-api.yaml", other, Some(span(1))),
        ]);
        assert_eq!(messages(&diagnostics), Vec::<&str>::new());
    }

    #[test]
    fn unknown_kind_of_a_known_group_has_no_schema() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        let old_deployment =
            json!({"apiVersion": "apps/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}});
        let old_topic = json!({
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaTopic",
            "metadata": {"name": "t"},
            "spec": {}
        });
        let diagnostics = run(vec![
            ("a.yaml", pod, Some(span(1))),
            ("b.yaml", old_deployment, Some(span(2))),
            ("c.yaml", old_topic, Some(span(3))),
        ]);
        assert_eq!(
            messages(&diagnostics),
            vec![
                "a.yaml: Pod/p .: no schema for v1 Pod",
                "b.yaml: Deployment/x .: no schema for apps/v1beta1 Deployment (schemas exist for apps/v1)",
                "c.yaml: KafkaTopic/t .: no schema for kafka.strimzi.io/v1beta2 KafkaTopic (schemas exist \
                 for kafka.strimzi.io/v1)",
            ]
        );
        assert!(diagnostics.iter().all(|d| d.code == Code::Schema));
    }

    #[test]
    fn custom_resources_of_unknown_groups_are_checked_only_for_names() {
        let mut value = json!({
            "apiVersion": "clickhouse.altinity.com/v1",
            "kind": "ClickHouseInstallation",
            "metadata": {"name": "analytics", "namespace": "clickhouse"},
            "spec": {"anything": [1, 2]}
        });
        assert!(run(vec![("a.yaml", value.clone(), Some(span(1)))]).is_empty());
        value["metadata"]["name"] = json!("Analytics");
        let diagnostics = run(vec![("a.yaml", value, Some(span(1)))]);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0]
            .message
            .contains(".metadata.name: invalid name \"Analytics\""));
    }

    #[test]
    fn kustomizations_values_and_patches_are_not_objects() {
        let kustomization = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["../../base"],
            "patches": [{"path": "patches/delete-service-api.yaml"}]
        });
        let delete = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "$patch": "delete"});
        let diagnostics = run(vec![
            (
                "apps/shop/overlays/prod/kustomization.yaml",
                kustomization,
                None,
            ),
            (
                "apps/shop/overlays/prod/patches/delete-service-api.yaml",
                delete,
                Some(span(1)),
            ),
            (
                "charts/redis/values.yaml",
                json!({"replicas": "three", "kind": "x"}),
                None,
            ),
        ]);
        assert_eq!(messages(&diagnostics), Vec::<&str>::new());
    }

    #[test]
    fn overlay_patches_are_applied_and_the_result_checked() {
        let base = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["deployment-api.yaml"]
        });
        let overlay = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["../../base"],
            "patches": [
                {"path": "patches/deployment-api.yaml",
                 "target": {"group": "apps", "version": "v1", "kind": "Deployment", "name": "api", "namespace": "shop"}},
                {"path": "patches/missing.yaml", "target": {"kind": "Deployment", "name": "nope"}}
            ]
        });
        let ops = json!([
            {"op": "replace", "path": "/spec/replicas", "value": "3"},
            {"op": "add", "path": "/spec/paused", "value": true}
        ]);
        let diagnostics = run(vec![
            ("apps/shop/base/kustomization.yaml", base, None),
            (
                "apps/shop/base/deployment-api.yaml",
                deployment(),
                Some(span(1)),
            ),
            ("apps/shop/overlays/prod/kustomization.yaml", overlay, None),
            (
                "apps/shop/overlays/prod/patches/deployment-api.yaml",
                ops,
                Some(span(9)),
            ),
            (
                "apps/shop/overlays/prod/patches/missing.yaml",
                json!([]),
                Some(span(12)),
            ),
        ]);
        assert_eq!(
            messages(&diagnostics),
            vec![
                "apps/shop/overlays/prod/patches/missing.yaml: patch target Deployment/nope is not among the \
                 resources of `apps/shop/overlays/prod`",
                "apps/shop/overlays/prod/patches/deployment-api.yaml: Deployment/api .spec.replicas: expected \
                 integer or null, got string \"3\" (after applying the patch to `apps/shop/base/deployment-api.yaml`)",
            ]
        );
        assert_eq!(diagnostics[1].primary.span, span(9));
    }

    #[test]
    fn names_follow_the_api_server_rules() {
        let mut value = service();
        value["metadata"]["name"] = json!("1web");
        let diagnostics = run(vec![("s.yaml", value, Some(span(1)))]);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        assert!(diagnostics[0].message.starts_with(
            "s.yaml: Service/1web .metadata.name: invalid name \"1web\" for Service (DNS-1035 label)"
        ));
    }

    #[test]
    fn a_document_without_origin_is_reported_at_the_default_span() {
        let mut value = service();
        value["spec"]["portz"] = json!([]);
        let diagnostics = run(vec![("s.yaml", value, None)]);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].primary.span, Span::default());
        assert!(diagnostics[0]
            .primary
            .message
            .contains("no source location"));
    }

    #[test]
    fn the_registry_covers_every_kind_platc_emits_and_each_schema_compiles() {
        let emitted = [
            ("v1", "Namespace"),
            ("v1", "ResourceQuota"),
            ("v1", "ServiceAccount"),
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("apps/v1", "Deployment"),
            ("apps/v1", "StatefulSet"),
            ("batch/v1", "Job"),
            ("batch/v1", "CronJob"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"),
            ("policy/v1", "PodDisruptionBudget"),
            ("networking.k8s.io/v1", "Ingress"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("argoproj.io/v1alpha1", "Application"),
            ("argoproj.io/v1alpha1", "ApplicationSet"),
            ("argoproj.io/v1alpha1", "AppProject"),
            ("kafka.strimzi.io/v1", "Kafka"),
            ("kafka.strimzi.io/v1", "KafkaNodePool"),
            ("kafka.strimzi.io/v1", "KafkaTopic"),
            ("kafka.strimzi.io/v1", "KafkaUser"),
            ("monitoring.coreos.com/v1", "ServiceMonitor"),
            ("monitoring.coreos.com/v1", "PodMonitor"),
            ("keda.sh/v1alpha1", "ScaledObject"),
            ("keda.sh/v1alpha1", "TriggerAuthentication"),
            ("cert-manager.io/v1", "Certificate"),
            ("cert-manager.io/v1", "ClusterIssuer"),
            ("cert-manager.io/v1", "Issuer"),
            ("metallb.io/v1beta1", "IPAddressPool"),
            ("metallb.io/v1beta1", "L2Advertisement"),
            ("sparkoperator.k8s.io/v1beta2", "SparkApplication"),
            ("k3d.io/v1alpha5", "Simple"),
            ("kind.x-k8s.io/v1alpha4", "Cluster"),
        ];
        for (api_version, kind) in emitted {
            assert!(
                Schema::find(api_version, kind).is_some(),
                "no schema for {api_version} {kind}"
            );
        }
        // The rest (DaemonSet, Secret, PrometheusRule…) serve `resource` blocks.
        assert_eq!(Schema::all().count(), emitted.len() + 9);
        let failures: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = Schema::all()
                .map(|schema| scope.spawn(move || schema.compile().err()))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(failures, Vec::<String>::new());
    }

    /// `cargo test --release --lib validate::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, not a check"]
    fn timing_of_a_ten_thousand_service_bundle() {
        let mut bundle = Bundle::default();
        for i in 0..10_000 {
            let name = format!("svc-{i:05}");
            let dir = format!("apps/ns-{}/base", i / 100);
            let mut deployment = deployment();
            deployment["metadata"]["name"] = json!(name);
            let mut service = service();
            service["metadata"]["name"] = json!(name);
            let extra = [
                (
                    "configmap",
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": {"A": "1"}}),
                ),
                (
                    "serviceaccount",
                    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop"}}),
                ),
                (
                    "horizontalpodautoscaler",
                    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "namespace": "shop"},
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}, "minReplicas": 2, "maxReplicas": 5,
                             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}),
                ),
                (
                    "networkpolicy",
                    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "shop"},
                    "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}, "policyTypes": ["Ingress"],
                             "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]}}),
                ),
            ];
            bundle.add(
                format!("{dir}/deployment-{name}.yaml"),
                deployment,
                Some(span(i)),
            );
            bundle.add(format!("{dir}/service-{name}.yaml"), service, Some(span(i)));
            for (kind, value) in extra {
                bundle.add(format!("{dir}/{kind}-{name}.yaml"), value, Some(span(i)));
            }
        }
        let documents = bundle.documents().count();
        let mut times = Vec::new();
        for _ in 0..6 {
            let start = std::time::Instant::now();
            let mut diagnostics = Vec::new();
            validate(&bundle, &mut diagnostics);
            times.push(start.elapsed());
            assert!(diagnostics.is_empty(), "{:?}", diagnostics.first());
        }
        let cold = times.remove(0);
        times.sort();
        eprintln!(
            "{documents} documents: cold {cold:?}, warm median {:?} (runs {times:?})",
            times[times.len() / 2]
        );
    }
}
