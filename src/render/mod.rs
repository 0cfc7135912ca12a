//! Rendering: `ir::Platform` views → `Bundle` (every output file). Pure and
//! infallible on valid IR: renderers read no files, env or clock and never
//! look at the AST.
//!
//! Two layers. Object renderers (`workloads`, `namespaces`, `rbac`,
//! `strimzi`, `grafana`, `resources`) turn one view into Kubernetes objects.
//! Tree renderers (`kustomize`, `helm`, `argocd`, `cluster`, `readme`) lay
//! those out as a GitOps repository: a Kustomize base per app from the base
//! view, an overlay per env holding only JSON6902 patches for what differs,
//! Helm values per chart, ApplicationSets per env and the local cluster config.

mod argocd;
pub mod bundle;
mod cluster;
mod grafana;
mod helm;
mod kustomize;
pub mod meta;
mod namespaces;
mod rbac;
mod readme;
mod resources;
mod strimzi;
mod workloads;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::ir;
use crate::span::Span;
use crate::timings::phase;
use crate::validate::field;
use crate::validate::schema::group_of;

pub use bundle::{Bundle, Document, FileContent};

/// One rendered Kubernetes object, before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The full manifest: `apiVersion`, `kind`, `metadata`, then the rest;
    /// `Json::Null` once the object is sealed.
    pub value: Json,
    /// The declaration it came from (diagnostics only).
    pub origin: Span,
    /// The object checked and encoded, its value freed (`Object::seal`).
    sealed: Option<Box<Sealed>>,
}

/// An object checked and encoded as soon as it was rendered, so that its
/// `Json` (about seven times the size of its YAML) does not live until the
/// whole tree is rendered: at 10,000 services the values of every object
/// at once were most of the peak memory. What later stages need of it is
/// kept: its identity, its bytes and what validation found.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    names: Names,
    /// Whether validation counts it for `duplicate-object`.
    identified: bool,
    /// The file it will be written to, as `bundle::encode` writes it;
    /// `None` when it was only checked (`Seal::Checked`).
    pub text: Option<String>,
    /// Its schema and name problems (`validate::check_object`).
    pub problems: Vec<crate::validate::Problem>,
    /// The declaration it came from.
    pub origin: Span,
}

impl Sealed {
    /// (group, kind, namespace, name), for objects validation identifies.
    pub(crate) fn identity(&self) -> Option<crate::validate::Identity<'_>> {
        self.identified.then(|| {
            (
                group_of(self.names.api_version()),
                self.names.kind(),
                self.names.namespace().unwrap_or(""),
                self.names.name(),
            )
        })
    }
}

/// A sealed object's `apiVersion`, `kind`, namespace, name and component,
/// in one allocation: as five strings they were five allocations per object
/// (74,000 objects at 10,000 services), alive until the tree is written.
#[derive(Debug, Clone, PartialEq)]
struct Names {
    text: Box<str>,
    /// Where the apiVersion, the kind, the namespace and the name end in
    /// `text`; the component is the rest.
    ends: [u32; 4],
    namespaced: bool,
    has_component: bool,
}

impl Names {
    fn new(
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        component: Option<&str>,
    ) -> Self {
        let namespace_text = namespace.unwrap_or("");
        let component_text = component.unwrap_or("");
        let mut text = String::with_capacity(
            api_version.len()
                + kind.len()
                + namespace_text.len()
                + name.len()
                + component_text.len(),
        );
        // Appends `part` and gives back where it ends.
        let mut append = |part: &str| {
            text.push_str(part);
            u32::try_from(text.len())
                .expect("invariant: an object's names are far shorter than 4 GiB")
        };
        let ends = [
            append(api_version),
            append(kind),
            append(namespace_text),
            append(name),
        ];
        text.push_str(component_text);
        Self {
            text: text.into_boxed_str(),
            ends,
            namespaced: namespace.is_some(),
            has_component: component.is_some(),
        }
    }

    fn api_version(&self) -> &str {
        &self.text[..self.ends[0] as usize]
    }

    fn kind(&self) -> &str {
        &self.text[self.ends[0] as usize..self.ends[1] as usize]
    }

    fn namespace(&self) -> Option<&str> {
        self.namespaced
            .then(|| &self.text[self.ends[1] as usize..self.ends[2] as usize])
    }

    fn name(&self) -> &str {
        &self.text[self.ends[2] as usize..self.ends[3] as usize]
    }

    fn component(&self) -> Option<&str> {
        self.has_component
            .then(|| &self.text[self.ends[3] as usize..])
    }
}

impl Object {
    /// Wraps a manifest.
    pub fn new(value: Json, origin: Span) -> Self {
        Self {
            value,
            origin,
            sealed: None,
        }
    }

    /// Checks the object now, encodes it when `encode`, and frees its value
    /// (see `Sealed`). The accessors below keep working; `value` is `Null`.
    #[must_use]
    pub fn seal(self, encode: bool) -> Self {
        if self.sealed.is_some() {
            return self;
        }
        let (problems, identified) = crate::validate::check_object(&self.value);
        let sealed = Sealed {
            names: Names::new(
                self.api_version(),
                self.kind(),
                self.namespace(),
                self.name(),
                self.component(),
            ),
            identified,
            text: encode.then(|| bundle::to_yaml(&self.value)),
            problems,
            origin: self.origin,
        };
        Self {
            value: Json::Null,
            origin: self.origin,
            sealed: Some(Box::new(sealed)),
        }
    }

    /// What `kustomize` places in one file: the objects sealed, or their
    /// values, in order.
    ///
    /// # Panics
    /// When some of the objects are sealed and some are not: one view's
    /// objects are all finished alike (`Finish`).
    pub(crate) fn into_content(objects: Vec<Object>) -> FileContent {
        if objects.iter().all(|o| o.sealed.is_some()) {
            FileContent::Sealed(
                objects
                    .into_iter()
                    .filter_map(|o| o.sealed.map(|sealed| *sealed))
                    .collect(),
            )
        } else {
            FileContent::Documents(
                objects
                    .into_iter()
                    .map(|o| {
                        assert!(
                            o.sealed.is_none(),
                            "invariant: the objects of one file are all sealed or none"
                        );
                        Document {
                            value: o.value,
                            origin: Some(o.origin),
                        }
                    })
                    .collect(),
            )
        }
    }

    /// `metadata.namespace`, if the object is namespaced.
    pub fn namespace(&self) -> Option<&str> {
        match &self.sealed {
            Some(sealed) => sealed.names.namespace(),
            None => self.metadata("namespace"),
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        match &self.sealed {
            Some(sealed) => sealed.names.name(),
            None => self.metadata("name").unwrap_or_default(),
        }
    }

    /// The component the object is part of: its `app.kubernetes.io/name`
    /// label (`meta::SELECTOR_LABEL`), which every object platc renders
    /// carries. The Kustomize layout writes a component's objects to one
    /// file.
    pub fn component(&self) -> Option<&str> {
        match &self.sealed {
            Some(sealed) => sealed.names.component(),
            None => field(
                field(field(&self.value, "metadata")?, "labels")?,
                meta::SELECTOR_LABEL,
            )?
            .as_str(),
        }
    }

    /// A string field of `metadata`. Not `Json::pointer`, which allocates
    /// per token: these accessors run several times per object.
    fn metadata(&self, name: &str) -> Option<&str> {
        field(field(&self.value, "metadata")?, name)?.as_str()
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        match &self.sealed {
            Some(sealed) => sealed.names.kind(),
            None => field(&self.value, "kind")
                .and_then(Json::as_str)
                .unwrap_or_default(),
        }
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        match &self.sealed {
            Some(sealed) => sealed.names.api_version(),
            None => field(&self.value, "apiVersion")
                .and_then(Json::as_str)
                .unwrap_or_default(),
        }
    }

    /// The app the object belongs to: its namespace, or `None` for
    /// cluster-scoped objects (the `cluster` app).
    pub fn app(&self) -> App {
        match self.namespace() {
            Some(ns) => App::Namespace(ns.to_string()),
            None => App::Cluster,
        }
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        group_of(self.api_version())
    }
}

/// One Argo CD application of plain manifests: a namespace, or the
/// cluster-scoped objects (Namespaces, ClusterRoles…).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum App {
    Cluster,
    Namespace(String),
}

impl App {
    /// Directory of the app in the output tree.
    pub fn dir(&self) -> String {
        match self {
            App::Cluster => "cluster".to_string(),
            App::Namespace(ns) => format!("apps/{ns}"),
        }
    }

    /// Short name used in Application names.
    pub fn name(&self) -> &str {
        match self {
            App::Cluster => "cluster",
            App::Namespace(ns) => ns,
        }
    }

    /// Namespace the Application deploys into.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            App::Cluster => None,
            App::Namespace(ns) => Some(ns),
        }
    }
}

/// (namespace, kind rank, kind, name): the order of an object's `App`, then its kind and name.
type SortKey<'a> = (Option<&'a str>, u8, &'a str, &'a str);

/// Every Kubernetes object of one view, sorted by (app, kind rank, namespace, name).
pub fn objects(platform: &ir::Platform) -> Vec<Object> {
    objects_finished(platform, &Finish::new(platform, Seal::No))
}

/// Whether and how `render` seals the base view's objects (see `Sealed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seal {
    /// Values kept: env overlays and `platc diff` compare them.
    No,
    /// Checked and encoded: the bytes `platc build` writes.
    Encoded,
    /// Checked only (`platc validate`): a bundle that is never encoded.
    Checked,
}

/// What is done to each object as soon as its renderer has built it: the
/// Argo CD annotations of a custom resource whose CRD a chart installs
/// (`annotate_custom_resource`), then `Object::seal` as `seal` says.
pub(crate) struct Finish {
    crds: std::collections::BTreeSet<String>,
    seal: Seal,
}

impl Finish {
    fn new(platform: &ir::Platform, seal: Seal) -> Self {
        Self {
            crds: crd_groups(platform),
            seal,
        }
    }

    /// Test support: leaves objects as their renderer built them.
    #[cfg(test)]
    pub(crate) fn nothing() -> Self {
        Self {
            crds: std::collections::BTreeSet::new(),
            seal: Seal::No,
        }
    }

    /// Finishes one object; a sealed one is already finished.
    pub(crate) fn apply(&self, mut object: Object) -> Object {
        if object.sealed.is_some() {
            return object;
        }
        if self.crds.contains(object.group()) {
            annotate_custom_resource(&mut object);
        }
        match self.seal {
            Seal::No => object,
            Seal::Encoded => object.seal(true),
            Seal::Checked => object.seal(false),
        }
    }
}

/// `objects`, each finished by `finish`. The bulk (workloads and network
/// policies) is finished on the thread that built it, as it is built.
fn objects_finished(platform: &ir::Platform, finish: &Finish) -> Vec<Object> {
    use rayon::prelude::*;
    // Namespaces and policies, and the workloads, are the bulk: built at
    // the same time, concatenated in a fixed order.
    let ((out, rest), workloads) = rayon::join(
        || {
            let mut out = Vec::new();
            phase("   namespaces", || {
                namespaces::render(platform, finish, &mut out)
            });
            rbac::render(platform, &mut out);
            let mut rest = Vec::new();
            strimzi::render(platform, &mut rest);
            grafana::render(platform, &mut rest);
            resources::render(platform, &mut rest);
            // Finished here, while the workloads still keep the other core
            // busy (their own objects are finished as they are rendered);
            // so are the schemas Argo CD's documents are checked against.
            let finish_all = |objects: Vec<Object>| -> Vec<Object> {
                objects.into_par_iter().map(|o| finish.apply(o)).collect()
            };
            let finished = (finish_all(out), finish_all(rest));
            crate::validate::schema::prewarm(&argocd::KINDS);
            finished
        },
        || {
            let mut out = Vec::new();
            phase("   workloads", || {
                workloads::render(platform, finish, &mut out)
            });
            out
        },
    );
    // Keys computed once per object (comparing through JSON pointers and a
    // fresh `App` per comparison dominated rendering at 10k services), and
    // borrowed from it: an object's namespace orders as its `App` (`None`,
    // the cluster, first). The index breaks ties, so the unstable sort keeps
    // the three lists' order among equals, as a stable one would. The lists
    // are concatenated (a fresh ~5 MB vector at 10,000 services, which an
    // earlier version avoided by sorting owned keys beside the chained
    // objects) so that keys can borrow; that version's three allocations per
    // object are gone: callgrind at 1,000 services, -0.6% instructions of
    // `platc validate`, and no wall-time difference measurable at 10,000.
    let objects: Vec<Object> = out.into_par_iter().chain(workloads).chain(rest).collect();
    let order: Vec<u32> = {
        let mut keyed: Vec<(SortKey<'_>, u32)> = objects
            .par_iter()
            .enumerate()
            .map(|(i, o)| {
                let key = (
                    o.namespace(),
                    bundle::kind_rank(o.kind()),
                    o.kind(),
                    o.name(),
                );
                (
                    key,
                    u32::try_from(i).expect("invariant: fewer than 2^32 objects"),
                )
            })
            .collect();
        keyed.par_sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    permute(objects, order)
}

/// `objects` reordered so that position `k` holds the object that was at
/// `order[k]`, in place: one cycle of swaps at a time, no second vector
/// (at 10,000 services a fresh 5 MB one, each of its pages a fault).
///
/// # Panics
/// When `order` is not a permutation of the positions of `objects`.
fn permute<T>(mut objects: Vec<T>, mut order: Vec<u32>) -> Vec<T> {
    assert_eq!(
        objects.len(),
        order.len(),
        "invariant: one index per object"
    );
    for start in 0..order.len() {
        let mut here = start;
        loop {
            let from = order[here] as usize;
            // A position whose index is its own is finished.
            order[here] = u32::try_from(here).expect("invariant: fewer than 2^32 objects");
            if from == start {
                break;
            }
            // Inside a cycle, no position is finished yet: one that is
            // would be taken twice.
            assert!(
                order[from] as usize != from,
                "invariant: `order` is a permutation"
            );
            objects.swap(here, from);
            here = from;
        }
    }
    objects
}

/// API groups whose CRDs a chart of this platform installs.
pub fn crd_groups(platform: &ir::Platform) -> std::collections::BTreeSet<String> {
    let profiles = crate::profile::builtin();
    platform
        .charts
        .values()
        .filter_map(|c| c.profile.as_deref().and_then(|p| profiles.get(p)))
        .flat_map(|p| p.crds.iter().cloned())
        .collect()
}

/// A custom resource whose CRD comes from a chart of the same platform may
/// reach Argo CD before the CRD exists: skip the dry run (the sync retries
/// until the chart has installed the CRD) and sync it after the charts.
fn annotate_custom_resource(object: &mut Object) {
    let Some(metadata) = object
        .value
        .get_mut("metadata")
        .and_then(Json::as_object_mut)
    else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if let Some(map) = annotations.as_object_mut() {
        map.insert(
            "argocd.argoproj.io/sync-options".into(),
            Json::String("SkipDryRunOnMissingResource=true".into()),
        );
        map.insert(
            "argocd.argoproj.io/sync-wave".into(),
            Json::String("1".into()),
        );
    }
}

/// Renders the whole output tree from the base view and every env view.
///
/// # Panics
/// When `views` has no base view (an invariant of `pipeline::check`).
pub fn render(views: &BTreeMap<Option<String>, ir::Platform>) -> Bundle {
    render_with(views, Seal::Encoded)
}

/// `render`, sealing the base view's objects as `seal` says when there is no
/// env view: env overlays compare objects' values, so with envs nothing is
/// sealed whatever `seal` says.
pub(crate) fn render_with(views: &BTreeMap<Option<String>, ir::Platform>, seal: Seal) -> Bundle {
    let base = views
        .get(&None)
        .expect("invariant: the base view is always lowered");
    let seal = if views.len() == 1 { seal } else { Seal::No };
    let base_objects = phase("  objects", || {
        objects_finished(base, &Finish::new(base, seal))
    });
    let env_objects: BTreeMap<&str, (&ir::Platform, Vec<Object>)> = views
        .iter()
        .filter_map(|(env, view)| env.as_deref().map(|e| (e, (view, objects(view)))))
        .collect();
    let mut bundle = Bundle::default();
    let base_apps = kustomize::by_app(base_objects);
    phase("  argocd", || {
        let apps: Vec<&App> = base_apps.iter().map(|(app, _)| app).collect();
        argocd::render(base, &apps, &mut bundle);
    });
    // What the README lists: each namespace app with its number of objects.
    let counts: Vec<(String, usize)> = base_apps
        .iter()
        .filter_map(|(app, objects)| app.namespace().map(|ns| (ns.to_string(), objects.len())))
        .collect();
    phase("  kustomize", || {
        kustomize::render(base_apps, &env_objects, &mut bundle);
    });
    drop(env_objects);
    helm::render(base, views, &mut bundle);
    cluster::render(base, &mut bundle);
    phase("  readme", || readme::render(base, &counts, &mut bundle));
    bundle
}

/// Checks on the rendered Helm values: charts left generating random
/// secrets (`random-secret`) and values that fail the chart's own
/// `values.schema.json` (`schema`).
pub fn chart_diagnostics(
    views: &BTreeMap<Option<String>, ir::Platform>,
) -> Vec<crate::diagnostic::Diagnostic> {
    let Some(base) = views.get(&None) else {
        return Vec::new();
    };
    let mut out = helm::random_secret_warnings(base);
    out.extend(helm::values_schema_errors(base, views));
    out
}

/// Test support: the base view of a one-file project, panicking on errors.
#[cfg(test)]
pub(crate) fn test_view(source: &str) -> ir::Platform {
    test_views(source).remove(&None).expect("base view")
}

/// Test support: every view of a one-file project, panicking on errors.
#[cfg(test)]
pub(crate) fn test_views(source: &str) -> BTreeMap<Option<String>, ir::Platform> {
    let sources = crate::source::SourceMap::from_strings(".", &[("test.platform", source)]);
    let checked = crate::pipeline::check(&sources);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "test source has errors: {errors:#?}");
    checked.views
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::diagnostic::Code;

    /// A schema error and a duplicate object, both in sealed objects.
    const SOURCE: &str = r#"
platform shop {
  repo           = "https://git.example.com/shop.git"
  nodepool-label = "example.com/pool"
}

nodepool app {}

service api {
  namespace = web
  image     = "registry.example.com/api:1.0.0"
  nodepool  = app
  ports     = { http = 8080 }
  resources { cpu = 100m..500m  memory = 128Mi..512Mi }
}

resource api {
  api-version = "v1"
  kind        = "ServiceAccount"
  namespace   = web
}

resource pool {
  api-version = "metallb.io/v1beta1"
  kind        = "IPAddressPool"
  namespace   = web
  spec {
    addresses = ["10.0.0.0/24"]
    bogus     = 1
  }
}
"#;

    #[test]
    fn permute_moves_each_object_to_its_place() {
        // Position k takes what was at order[k]: two cycles and a fixed point.
        let objects = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        let order = vec![2, 0, 1, 3, 5, 4];
        assert_eq!(permute(objects, order), vec!['c', 'a', 'b', 'd', 'f', 'e']);
        assert_eq!(permute(Vec::<char>::new(), Vec::new()), Vec::<char>::new());
        // An index taken twice is caught, not looped on.
        let twice = std::panic::catch_unwind(|| permute(vec!['a', 'b', 'c'], vec![1, 1, 0]));
        assert!(twice.is_err());
        // Every permutation of four positions, against a gather.
        let mut all = vec![vec![0u32, 1, 2, 3]];
        for _ in 0..23 {
            let mut next = all.last().cloned().unwrap_or_default();
            // Lexicographic successor.
            let i = (0..3).rev().find(|&i| next[i] < next[i + 1]).unwrap_or(0);
            let j = (i + 1..4).rev().find(|&j| next[j] > next[i]).unwrap_or(i);
            next.swap(i, j);
            next[i + 1..].reverse();
            all.push(next);
        }
        for order in all {
            let gathered: Vec<u32> = order.iter().map(|&i| i * 10).collect();
            let objects: Vec<u32> = (0..4).map(|i| i * 10).collect();
            assert_eq!(permute(objects, order.clone()), gathered, "{order:?}");
        }
    }

    #[test]
    fn names_give_back_each_part() {
        let parts = |n: &Names| {
            (
                n.api_version().to_string(),
                n.kind().to_string(),
                n.namespace().map(str::to_string),
                n.name().to_string(),
                n.component().map(str::to_string),
            )
        };
        let owned = |a: &str, k: &str, ns: Option<&str>, n: &str, c: Option<&str>| {
            (
                a.to_string(),
                k.to_string(),
                ns.map(str::to_string),
                n.to_string(),
                c.map(str::to_string),
            )
        };
        let names = Names::new("apps/v1", "Deployment", Some("team-a"), "api", Some("web"));
        assert_eq!(
            parts(&names),
            owned("apps/v1", "Deployment", Some("team-a"), "api", Some("web"))
        );
        let cluster = Names::new("v1", "Namespace", None, "team-a", None);
        assert_eq!(
            parts(&cluster),
            owned("v1", "Namespace", None, "team-a", None)
        );
        // An empty namespace or component is still one; empty parts stay empty.
        let odd = Names::new("", "", Some(""), "", Some(""));
        assert_eq!(parts(&odd), owned("", "", Some(""), "", Some("")));
    }

    #[test]
    fn sealed_objects_encode_and_validate_like_unsealed_ones() {
        let views = test_views(SOURCE);
        let sealed = render_with(&views, Seal::Encoded);
        let plain = render_with(&views, Seal::No);
        let checked = render_with(&views, Seal::Checked);
        let is_sealed = |c: &FileContent| matches!(c, FileContent::Sealed(_));
        assert!(sealed.files.values().any(is_sealed));
        assert!(!plain.files.values().any(is_sealed));
        assert_eq!(sealed.encode(), plain.encode());
        let (mut from_sealed, mut from_plain) = (Vec::new(), Vec::new());
        crate::validate::validate(&sealed, &mut from_sealed);
        crate::validate::validate(&plain, &mut from_plain);
        assert_eq!(from_sealed, from_plain);
        let mut from_checked = Vec::new();
        crate::validate::validate(&checked, &mut from_checked);
        assert_eq!(from_checked, from_plain);
        let codes: BTreeSet<Code> = from_sealed.iter().map(|d| d.code).collect();
        assert_eq!(codes, BTreeSet::from([Code::Schema, Code::DuplicateObject]));
        assert_eq!(sealed.clone().into_encoded(), plain.encode());
    }

    #[test]
    fn objects_are_sealed_only_without_env_overlays() {
        let is_sealed = |c: &FileContent| matches!(c, FileContent::Sealed(_));
        assert!(render(&test_views(SOURCE)).files.values().any(is_sealed));
        let with_env = format!("{SOURCE}\nenv prod {{ destination = \"https://prod:6443\" }}\n");
        assert!(!render(&test_views(&with_env)).files.values().any(is_sealed));
    }
}
