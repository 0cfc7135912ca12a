//! Diffing: two output trees (a fresh render, the tree on disk, or the render
//! of an older revision) → a `Changeset` of per-object semantic changes.
//! Pure: takes values, returns values, reads nothing; the CLI supplies both
//! sides and picks a renderer from `format`.
//!
//! Objects are matched by (app, env, group, kind, namespace, name) where the
//! app and env come from the file's place in the tree (`apps/NS/base`,
//! `apps/NS/overlays/ENV`, `charts/RELEASE/values-ENV.yaml`…). An env
//! overlay's JSON6902 patch is read as that env's override of the base
//! object. Unmatched objects of one kind are paired up as renames when the
//! rest of the object is similar enough. Fields are compared by key path
//! (`values.rs`); secret-looking values never leave this module unredacted
//! (`redact.rs`).

mod objects;
mod redact;
mod values;

pub mod format;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use crate::render::{Bundle, FileContent};
use crate::write::OutTree;

pub use redact::{is_secret_key, REDACTED};

/// Objects of one bucket are only compared for renames when there are at most
/// this many (removed × added) pairs, so a huge change stays linear.
const MAX_RENAME_PAIRS: usize = 40_000;

/// Smallest line-similarity ratio (0..=1) for a removed and an added object
/// of one kind to be reported as one renamed object.
pub const RENAME_THRESHOLD: f32 = 0.8;

/// One side of a diff: every file of an output tree, YAML already parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    /// File contents by `/`-joined path relative to the output directory.
    pub files: BTreeMap<String, TreeFile>,
}

/// The contents of one file of a `Tree`.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeFile {
    /// YAML documents.
    Documents(Vec<Json>),
    /// Anything else (README, or YAML that does not parse), as text.
    Text(String),
}

impl Tree {
    /// The tree of a render, cloning its documents.
    pub fn from_bundle(bundle: &Bundle) -> Self {
        let files = bundle
            .files
            .iter()
            .map(|(path, content)| (path.clone(), TreeFile::from_content(content.clone())))
            .collect();
        Self { files }
    }

    /// The tree of encoded files (path → text): `.yaml`/`.yml` files are
    /// parsed, anything else (or YAML that fails to parse) kept as text.
    /// Files are parsed on all cores (they are independent; the map is the
    /// same).
    pub fn from_texts<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        use rayon::prelude::*;
        let files: Vec<(&str, &str)> = files.into_iter().collect();
        let parsed: Vec<(String, TreeFile)> = files
            .into_par_iter()
            .map(|(path, text)| (path.to_string(), TreeFile::parse(path, text)))
            .collect();
        Self {
            files: parsed.into_iter().collect(),
        }
    }

    /// The tree on disk. When it has a manifest, only the files platc
    /// generated count (files written by hand are never platc's changes).
    pub fn from_out_tree(tree: &OutTree) -> Self {
        Self::from_out_tree_only(tree, |_| true)
    }

    /// `from_out_tree`, reading only the files `keep` accepts (parsing YAML
    /// is most of the cost; unchanged files need not be read).
    pub fn from_out_tree_only(tree: &OutTree, keep: impl Fn(&str) -> bool) -> Self {
        let files = tree
            .files
            .iter()
            .filter(|(path, _)| tree.is_generated(path) && keep(path))
            .map(|(path, bytes)| (path.as_str(), String::from_utf8_lossy(bytes)))
            .collect::<Vec<_>>();
        Self::from_texts(files.iter().map(|(path, text)| (*path, text.as_ref())))
    }

    /// Keeps only the files `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.files.retain(|path, _| keep(path));
    }
}

impl From<Bundle> for Tree {
    fn from(bundle: Bundle) -> Self {
        let files = bundle
            .files
            .into_iter()
            .map(|(path, content)| (path, TreeFile::from_content(content)))
            .collect();
        Self { files }
    }
}

impl TreeFile {
    fn from_content(content: FileContent) -> Self {
        match content {
            FileContent::Documents(docs) => {
                TreeFile::Documents(docs.into_iter().map(|d| d.value).collect())
            }
            FileContent::Text(text) => TreeFile::Text(text),
            // Its value was freed once encoded: read back from its bytes,
            // as the old side of the diff is.
            sealed @ FileContent::Sealed(_) => {
                let text = sealed.into_text();
                parse_documents(&text).map_or(TreeFile::Text(text), TreeFile::Documents)
            }
        }
    }

    fn parse(path: &str, text: &str) -> Self {
        let is_yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        if !is_yaml {
            return TreeFile::Text(text.to_string());
        }
        parse_documents(text).map_or_else(|| TreeFile::Text(text.to_string()), TreeFile::Documents)
    }
}

/// Every YAML document of `text` as JSON; `None` when any fails to parse.
fn parse_documents(text: &str) -> Option<Vec<Json>> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Json::deserialize(document).ok()?;
        docs.push(value);
    }
    Some(docs)
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Changed,
    Removed,
    Renamed,
}

impl Change {
    /// The one-character mark used in summaries: `+`, `~`, `-`, `>`.
    pub fn mark(self) -> char {
        match self {
            Change::Added => '+',
            Change::Changed => '~',
            Change::Removed => '-',
            Change::Renamed => '>',
        }
    }
}

/// What an object entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// A whole document: a Kubernetes object, a kustomization, Helm values.
    Object,
    /// An env overlay's patch (or `$patch: delete`) of a base object.
    Override,
    /// A file that is not YAML (README), diffed as text.
    File,
}

/// A change of one field, by its path in the object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum FieldChange {
    /// The field exists only in the new object.
    Added {
        path: String,
        value: Json,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        redacted: bool,
    },
    /// The field exists only in the old object.
    Removed {
        path: String,
        value: Json,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        redacted: bool,
    },
    /// The value changed (`old` and `new` are `"[redacted]"` when secret-looking).
    Changed {
        path: String,
        old: Json,
        new: Json,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        redacted: bool,
    },
    /// A multi-line string changed: a unified diff of its lines.
    Text { path: String, diff: String },
}

impl FieldChange {
    /// The field's path (`spec.template.spec.containers[name=api].image`).
    pub fn path(&self) -> &str {
        match self {
            FieldChange::Added { path, .. }
            | FieldChange::Removed { path, .. }
            | FieldChange::Changed { path, .. }
            | FieldChange::Text { path, .. } => path,
        }
    }
}

/// One added, removed, changed or renamed object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectChange {
    pub change: Change,
    /// `apps/NS`, `cluster`, `charts/RELEASE`, `argocd`, … (`""` at the top level).
    pub app: String,
    /// The env overlay or values file it lives in; `None` for the base.
    pub env: Option<String>,
    pub part: Part,
    /// API group (`""` for the core group).
    pub group: String,
    /// `Deployment`, `values` for Helm values, `file` for text files.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The name before a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// The file it lives in (the old file for removals).
    pub path: String,
    /// The old file when it differs from `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// For renames: line similarity of the two objects, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u8>,
    /// Field changes (changed and renamed objects).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The whole object, redacted (added and removed objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Json>,
}

impl ObjectChange {
    /// `Deployment/api`, `values`, `README.md`.
    pub fn title(&self) -> String {
        title(&self.kind, &self.name, self.part)
    }

    /// `~ apps/shop Deployment/api (prod)`; renames: `> apps/shop Service/api → backend`.
    pub fn summary_line(&self) -> String {
        let mut line = String::new();
        line.push(self.change.mark());
        line.push(' ');
        if !self.app.is_empty() {
            line.push_str(&self.app);
            line.push(' ');
        }
        match (&self.old_name, self.change) {
            (Some(old), Change::Renamed) => {
                line.push_str(&title(&self.kind, old, self.part));
                line.push_str(" → ");
                line.push_str(&self.name);
            }
            _ => line.push_str(&self.title()),
        }
        if let Some(env) = &self.env {
            line.push_str(" (");
            line.push_str(env);
            line.push(')');
        }
        line
    }

    /// The label of the app column in summaries: the app, or the file.
    pub fn app_label(&self) -> &str {
        if self.app.is_empty() {
            &self.path
        } else {
            &self.app
        }
    }
}

fn title(kind: &str, name: &str, part: Part) -> String {
    match part {
        Part::File => name.to_string(),
        _ if name.is_empty() => kind.to_string(),
        _ => format!("{kind}/{name}"),
    }
}

/// How many objects were added, changed, removed and renamed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub renamed: usize,
}

impl Counts {
    /// Counts one change.
    pub fn add(&mut self, change: Change) {
        match change {
            Change::Added => self.added += 1,
            Change::Changed => self.changed += 1,
            Change::Removed => self.removed += 1,
            Change::Renamed => self.renamed += 1,
        }
    }

    /// Every counted object.
    pub fn total(&self) -> usize {
        self.added + self.changed + self.removed + self.renamed
    }
}

/// Every object change between two trees, sorted by (app, env, kind, name).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changeset {
    pub objects: Vec<ObjectChange>,
}

impl Changeset {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Counts by kind of change.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for object in &self.objects {
            counts.add(object.change);
        }
        counts
    }

    /// Keeps the base and `env`'s overlays, values and Applications only.
    pub fn retain_env(&mut self, env: &str) {
        self.objects
            .retain(|o| o.env.as_deref().is_none_or(|e| e == env));
    }

    /// Every file path an object change touches (old and new).
    pub fn paths(&self) -> BTreeSet<&str> {
        let mut paths = BTreeSet::new();
        for object in &self.objects {
            paths.insert(object.path.as_str());
            if let Some(old) = &object.old_path {
                paths.insert(old.as_str());
            }
        }
        paths
    }
}

/// Every env named by a path of either tree (`overlays/ENV/`, `values-ENV.yaml`).
pub fn envs(old: &Tree, new: &Tree) -> BTreeSet<String> {
    envs_in(old.files.keys().chain(new.files.keys()).map(String::as_str))
}

/// Every env named by a path (`overlays/ENV/`, `values-ENV.yaml`).
pub fn envs_in<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    paths
        .into_iter()
        .filter_map(objects::path_env)
        .map(str::to_string)
        .collect()
}

/// The per-object semantic diff from `old` to `new`.
pub fn diff(old: &Tree, new: &Tree) -> Changeset {
    diff_with(old, new, true, &envs(old, new))
}

/// `diff` for a one-line-per-object summary: added and removed objects carry
/// no `value` (redacting every object of a first build was most of its cost).
pub fn summary_diff(old: &Tree, new: &Tree) -> Changeset {
    diff_with(old, new, false, &envs(old, new))
}

/// `diff` of two trees given as encoded files (path → text), the same
/// changes as `diff` of their parsed trees. Only the apps where a file was
/// added, removed or changed are parsed (an app: `apps/NS`, `cluster`,
/// `charts/RELEASE`, `argocd`…, where `diff` places objects): an object's
/// identity and value come from its file's path and bytes and its app's
/// kustomizations, so an app whose files are byte-identical on both sides
/// holds no changed, moved or renamed object. Parsing YAML is most of the
/// cost of a diff; a pull request usually touches a few apps of hundreds.
pub fn diff_texts(old: &BTreeMap<&str, &str>, new: &BTreeMap<&str, &str>) -> Changeset {
    // Every path names the envs, as `diff` sees them, whatever is parsed.
    let envs = envs_in(old.keys().chain(new.keys()).copied());
    let app = |path: &str| objects::app_of(path, &envs);
    let mut changed: BTreeSet<String> = BTreeSet::new();
    for (path, text) in old {
        if new.get(path) != Some(text) {
            changed.insert(app(path));
        }
    }
    for path in new.keys().filter(|path| !old.contains_key(*path)) {
        changed.insert(app(path));
    }
    let parse = |files: &BTreeMap<&str, &str>| {
        Tree::from_texts(
            files
                .iter()
                .filter(|(path, _)| changed.contains(&app(path)))
                .map(|(path, text)| (*path, *text)),
        )
    };
    diff_with(&parse(old), &parse(new), true, &envs)
}

fn diff_with(old: &Tree, new: &Tree, whole_values: bool, envs: &BTreeSet<String>) -> Changeset {
    let old_objects = objects::collect(old, envs);
    let new_objects = objects::collect(new, envs);
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    let mut added = Vec::new();
    // Both lists are sorted by identity: one merge pass pairs them.
    let (mut i, mut j) = (0, 0);
    while i < old_objects.len() || j < new_objects.len() {
        let order = match (old_objects.get(i), new_objects.get(j)) {
            (Some((a, _)), Some((b, _))) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                removed.push((&old_objects[i].0, &old_objects[i].1));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                added.push((&new_objects[j].0, &new_objects[j].1));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (id, before) = &old_objects[i];
                let after = &new_objects[j].1;
                if !values::same(&before.value, &after.value) {
                    let fields = values::diff(&before.value, &after.value, &before.context(), None);
                    if !fields.is_empty() || before.path != after.path {
                        changes.push(changed(id, before, after, fields, None));
                    }
                } else if before.path != after.path {
                    changes.push(changed(id, before, after, Vec::new(), None));
                }
                i += 1;
                j += 1;
            }
        }
    }
    let (renames, removed, added) = pair_renames(removed, added);
    for (old_id, before, id, after, similarity) in renames {
        let rename = Some((old_id.name.as_str(), id.name.as_str()));
        let fields = values::diff(&before.value, &after.value, &before.context(), rename);
        let mut change = changed(id, before, after, fields, Some(old_id.name.clone()));
        change.change = Change::Renamed;
        change.similarity = Some(similarity);
        changes.push(change);
    }
    for (id, before) in removed {
        changes.push(whole(Change::Removed, id, before, whole_values));
    }
    for (id, after) in added {
        changes.push(whole(Change::Added, id, after, whole_values));
    }
    changes.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    Changeset { objects: changes }
}

type SortKey<'a> = (
    &'a str,
    Option<&'a str>,
    Part,
    u8,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

fn sort_key(o: &ObjectChange) -> SortKey<'_> {
    (
        &o.app,
        o.env.as_deref(),
        o.part,
        crate::render::bundle::kind_rank(&o.kind),
        &o.kind,
        &o.name,
        &o.namespace,
        &o.group,
    )
}

fn changed(
    id: &objects::ObjectId,
    before: &objects::Entry<'_>,
    after: &objects::Entry<'_>,
    fields: Vec<FieldChange>,
    old_name: Option<String>,
) -> ObjectChange {
    ObjectChange {
        change: Change::Changed,
        old_name,
        path: after.path.to_string(),
        old_path: (before.path != after.path).then(|| before.path.to_string()),
        similarity: None,
        fields,
        value: None,
        ..identity(id)
    }
}

fn whole(
    change: Change,
    id: &objects::ObjectId,
    entry: &objects::Entry<'_>,
    with_value: bool,
) -> ObjectChange {
    ObjectChange {
        change,
        path: entry.path.to_string(),
        value: with_value.then(|| redact::redact(&entry.value, &entry.context())),
        ..identity(id)
    }
}

fn identity(id: &objects::ObjectId) -> ObjectChange {
    ObjectChange {
        change: Change::Changed,
        app: id.app.clone(),
        env: id.env.clone(),
        part: id.part,
        group: id.group.clone(),
        kind: id.kind.clone(),
        namespace: id.namespace.clone(),
        name: id.name.clone(),
        old_name: None,
        path: String::new(),
        old_path: None,
        similarity: None,
        fields: Vec::new(),
        value: None,
    }
}

type Side<'t, 'a> = Vec<(&'t objects::ObjectId, &'t objects::Entry<'a>)>;
type Rename<'t, 'a> = (
    &'t objects::ObjectId,
    &'t objects::Entry<'a>,
    &'t objects::ObjectId,
    &'t objects::Entry<'a>,
    u8,
);

/// Pairs removed and added objects of one (app, env, part, group, kind)
/// whose contents, names masked, are at least `RENAME_THRESHOLD` similar;
/// best pairs first, ties broken by name.
fn pair_renames<'t, 'a>(
    removed: Side<'t, 'a>,
    added: Side<'t, 'a>,
) -> (Vec<Rename<'t, 'a>>, Side<'t, 'a>, Side<'t, 'a>) {
    type Bucket<'k> = (&'k str, Option<&'k str>, Part, &'k str, &'k str);
    let bucket = |id: &'t objects::ObjectId| -> Bucket<'t> {
        (&id.app, id.env.as_deref(), id.part, &id.group, &id.kind)
    };
    let mut buckets: BTreeMap<Bucket<'t>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, (id, _)) in removed.iter().enumerate() {
        if id.part != Part::File {
            buckets.entry(bucket(id)).or_default().0.push(i);
        }
    }
    for (j, (id, _)) in added.iter().enumerate() {
        if let Some(entry) = buckets.get_mut(&bucket(id)) {
            entry.1.push(j);
        }
    }
    let mut taken_old = BTreeSet::new();
    let mut taken_new = BTreeSet::new();
    let mut renames = Vec::new();
    for (olds, news) in buckets.values() {
        if news.is_empty() || olds.len() * news.len() > MAX_RENAME_PAIRS {
            continue;
        }
        let old_texts: Vec<objects::Masked> = olds
            .iter()
            .map(|&i| objects::Masked::new(removed[i].1, &removed[i].0.name))
            .collect();
        let new_texts: Vec<objects::Masked> = news
            .iter()
            .map(|&j| objects::Masked::new(added[j].1, &added[j].0.name))
            .collect();
        let mut pairs = Vec::new();
        for (a, old) in old_texts.iter().enumerate() {
            for (b, new) in new_texts.iter().enumerate() {
                if let Some(ratio) = old.similarity(new, RENAME_THRESHOLD) {
                    pairs.push((ratio, olds[a], news[b]));
                }
            }
        }
        pairs.sort_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then_with(|| removed[x.1].0.name.cmp(&removed[y.1].0.name))
                .then_with(|| added[x.2].0.name.cmp(&added[y.2].0.name))
        });
        for (ratio, i, j) in pairs {
            if taken_old.contains(&i) || taken_new.contains(&j) {
                continue;
            }
            taken_old.insert(i);
            taken_new.insert(j);
            let percent = percent(ratio);
            renames.push((removed[i].0, removed[i].1, added[j].0, added[j].1, percent));
        }
    }
    let removed = removed
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !taken_old.contains(i));
    let added = added
        .into_iter()
        .enumerate()
        .filter(|(j, _)| !taken_new.contains(j));
    (
        renames,
        removed.map(|(_, x)| x).collect(),
        added.map(|(_, x)| x).collect(),
    )
}

fn percent(ratio: f32) -> u8 {
    let clamped = (ratio.clamp(0.0, 1.0) * 100.0).floor();
    // In 0..=100 after the clamp, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let percent = clamped as u8;
    percent
}

#[cfg(test)]
mod tests;
