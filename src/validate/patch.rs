//! Kustomize patches in a bundle: which files the kustomizations name as
//! patches (they are not standalone objects), and each JSON6902 patch with a
//! `target` applied to the base object it targets, so that the object an
//! overlay produces is validated too. Takes the bundle, returns patched
//! values or a `schema` diagnostic when a patch cannot apply; it does not
//! run `kustomize` and supports only what platc writes: `resources` that are
//! files or directories with a kustomization, and `patches` /
//! `patchesJson6902` entries with `path` and `target`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic};
use crate::render::{Bundle, Document};
use crate::span::Span;

use super::{documents, schema::group_of};

/// How deep `resources` directories may nest (a guard against cycles).
const MAX_DEPTH: usize = 16;

/// A base object with an overlay's JSON6902 patch applied.
pub(crate) struct Patched<'a> {
    pub(crate) patch_file: &'a str,
    pub(crate) origin: Option<Span>,
    pub(crate) base_file: &'a str,
    pub(crate) base: &'a Json,
    pub(crate) value: Json,
}

/// True for `kustomization.yaml`, `kustomization.yml` and `Kustomization`.
pub(crate) fn is_kustomization_file(file: &str) -> bool {
    let base_name = file.rsplit('/').next().unwrap_or(file);
    matches!(
        base_name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// Every kustomization: (its directory, its document).
fn kustomizations(bundle: &Bundle) -> impl Iterator<Item = (&str, &Json)> {
    bundle
        .files
        .keys()
        .filter(|file| is_kustomization_file(file))
        .filter_map(|file| {
            let document = documents(bundle, file).first()?;
            let directory = file.rsplit_once('/').map_or("", |(directory, _)| directory);
            Some((directory, &document.value))
        })
}

/// Every file some kustomization uses as a patch.
pub(crate) fn patch_files(bundle: &Bundle) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (directory, kustomization) in kustomizations(bundle) {
        for key in ["patches", "patchesJson6902"] {
            for entry in list(kustomization, key) {
                if let Some(path) = entry.get("path").and_then(Json::as_str) {
                    out.insert(join(directory, path));
                }
            }
        }
        for entry in list(kustomization, "patchesStrategicMerge") {
            if let Some(path) = entry.as_str() {
                out.insert(join(directory, path));
            }
        }
    }
    out
}

/// Every JSON6902 patch with a target, applied to a copy of that target.
pub(crate) fn applied_patches(bundle: &Bundle) -> Vec<Result<Patched<'_>, Box<Diagnostic>>> {
    let mut out = Vec::new();
    for (directory, kustomization) in kustomizations(bundle) {
        let mut resources: Option<Resources<'_>> = None;
        for key in ["patches", "patchesJson6902"] {
            for entry in list(kustomization, key) {
                let (Some(path), Some(target)) = (
                    entry.get("path").and_then(Json::as_str),
                    entry.get("target"),
                ) else {
                    continue;
                };
                let Some((patch_file, _)) = bundle.files.get_key_value(&join(directory, path))
                else {
                    continue;
                };
                let Some(patch) = documents(bundle, patch_file).first() else {
                    continue;
                };
                let Json::Array(operations) = &patch.value else {
                    continue;
                };
                let resources = resources.get_or_insert_with(|| Resources::of(bundle, directory));
                out.push(apply_to_target(
                    resources, directory, patch_file, patch, operations, target,
                ));
            }
        }
    }
    out
}

/// The plain documents a kustomization includes, by (kind, name).
struct Resources<'a> {
    by_kind_name: BTreeMap<(&'a str, &'a str), Vec<(&'a str, &'a Document)>>,
}

impl<'a> Resources<'a> {
    fn of(bundle: &'a Bundle, directory: &str) -> Self {
        let mut files = Vec::new();
        resource_files(bundle, directory, 0, &mut files);
        let mut by_kind_name: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for file in files {
            for document in documents(bundle, file) {
                let kind = document.value.get("kind").and_then(Json::as_str);
                let name = document
                    .value
                    .pointer("/metadata/name")
                    .and_then(Json::as_str);
                if let (Some(kind), Some(name)) = (kind, name) {
                    by_kind_name
                        .entry((kind, name))
                        .or_default()
                        .push((file, document));
                }
            }
        }
        Self { by_kind_name }
    }

    /// The first included document `target` selects.
    fn find(&self, target: &Json) -> Option<(&'a str, &'a Document)> {
        let kind = target.get("kind").and_then(Json::as_str)?;
        let name = target.get("name").and_then(Json::as_str)?;
        self.by_kind_name
            .get(&(kind, name))?
            .iter()
            .find(|(_, d)| matches_target(&d.value, target))
            .copied()
    }
}

fn apply_to_target<'a>(
    resources: &Resources<'a>,
    directory: &str,
    patch_file: &'a str,
    patch: &Document,
    operations: &[Json],
    target: &Json,
) -> Result<Patched<'a>, Box<Diagnostic>> {
    let describe = || {
        let kind = target.get("kind").and_then(Json::as_str).unwrap_or("?");
        let name = target.get("name").and_then(Json::as_str).unwrap_or("?");
        format!("{kind}/{name}")
    };
    let Some((base_file, base)) = resources.find(target) else {
        return Err(problem(
            patch,
            format!(
                "{patch_file}: patch target {} is not among the resources of `{directory}`",
                describe()
            ),
            "kustomize fails on a patch that matches no resource",
        ));
    };
    let mut value = base.value.clone();
    for (index, operation) in operations.iter().enumerate() {
        if let Err(why) = apply(&mut value, operation) {
            return Err(problem(
                patch,
                format!(
                    "{patch_file}: {} operation {index} cannot be applied to `{base_file}`: {why}",
                    describe()
                ),
                "kustomize fails on a patch operation whose path does not exist",
            ));
        }
    }
    Ok(Patched {
        patch_file,
        origin: patch.origin.or(base.origin),
        base_file,
        base: &base.value,
        value,
    })
}

fn problem(patch: &Document, message: String, help: &str) -> Box<Diagnostic> {
    let (span, label) =
        super::origin_label(patch.origin, "the patch is rendered from this declaration");
    Box::new(
        Diagnostic::new(Code::Schema, message, span, label)
            .with_help(format!("{help}; this is a platc bug")),
    )
}

/// Files of plain documents reachable from the kustomization in `directory`.
fn resource_files<'a>(bundle: &'a Bundle, directory: &str, depth: usize, out: &mut Vec<&'a str>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(kustomization) = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .find_map(|name| documents(bundle, &join(directory, name)).first())
    else {
        return;
    };
    for resource in list(&kustomization.value, "resources")
        .iter()
        .filter_map(Json::as_str)
    {
        let path = join(directory, resource);
        match bundle.files.get_key_value(&path) {
            Some((file, _)) => out.push(file),
            None => resource_files(bundle, &path, depth + 1, out),
        }
    }
}

/// True when `value` is the object a kustomize `target` selects.
fn matches_target(value: &Json, target: &Json) -> bool {
    let field = |pointer: &str| value.pointer(pointer).and_then(Json::as_str);
    let wanted = |key: &str| target.get(key).and_then(Json::as_str);
    let api_version = field("/apiVersion").unwrap_or_default();
    let version = api_version.rsplit('/').next().unwrap_or_default();
    wanted("group").unwrap_or("") == group_of(api_version)
        && wanted("version").is_none_or(|v| v == version)
        && wanted("kind").is_some_and(|k| Some(k) == field("/kind"))
        && wanted("name").is_some_and(|n| Some(n) == field("/metadata/name"))
        && wanted("namespace").is_none_or(|ns| Some(ns) == field("/metadata/namespace"))
}

/// Applies one RFC 6902 operation.
pub(crate) fn apply(value: &mut Json, operation: &Json) -> Result<(), String> {
    let op = operation
        .get("op")
        .and_then(Json::as_str)
        .ok_or("no `op`")?;
    let path = operation
        .get("path")
        .and_then(Json::as_str)
        .ok_or("no `path`")?;
    let argument = || {
        operation
            .get("value")
            .cloned()
            .ok_or_else(|| format!("`{op}` without `value`"))
    };
    match op {
        "add" => add(value, path, argument()?),
        "remove" => remove(value, path).map(|_| ()),
        "replace" => {
            let slot = value
                .pointer_mut(path)
                .ok_or_else(|| format!("`{path}` does not exist"))?;
            *slot = argument()?;
            Ok(())
        }
        "test" => match value.pointer(path) {
            Some(current) if *current == argument()? => Ok(()),
            _ => Err(format!("test of `{path}` fails")),
        },
        "move" | "copy" => {
            let from = operation
                .get("from")
                .and_then(Json::as_str)
                .ok_or("no `from`")?;
            let moved = if op == "move" {
                remove(value, from)?
            } else {
                value
                    .pointer(from)
                    .cloned()
                    .ok_or_else(|| format!("`{from}` does not exist"))?
            };
            add(value, path, moved)
        }
        other => Err(format!("unknown operation `{other}`")),
    }
}

fn add(value: &mut Json, path: &str, new: Json) -> Result<(), String> {
    let Some((parent, last)) = split(path) else {
        *value = new;
        return Ok(());
    };
    match value.pointer_mut(parent) {
        Some(Json::Object(map)) => {
            map.insert(last, new);
            Ok(())
        }
        Some(Json::Array(items)) if last == "-" => {
            items.push(new);
            Ok(())
        }
        Some(Json::Array(items)) => match last.parse::<usize>() {
            Ok(index) if index <= items.len() => {
                items.insert(index, new);
                Ok(())
            }
            _ => Err(format!("`{path}` is not a valid list position")),
        },
        _ => Err(format!("the parent of `{path}` does not exist")),
    }
}

fn remove(value: &mut Json, path: &str) -> Result<Json, String> {
    let (parent, last) = split(path).ok_or("cannot remove the whole document")?;
    let missing = || format!("`{path}` does not exist");
    match value.pointer_mut(parent) {
        Some(Json::Object(map)) => map.remove(&last).ok_or_else(missing),
        Some(Json::Array(items)) => match last.parse::<usize>() {
            Ok(index) if index < items.len() => Ok(items.remove(index)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

/// `/a/b~1c` → (`/a`, `b/c`); `None` for the root.
fn split(path: &str) -> Option<(&str, String)> {
    let (parent, last) = path.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

/// `directory/relative`, with `.` and `..` resolved.
pub(crate) fn join(directory: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = directory
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

fn list<'a>(value: &'a Json, key: &str) -> &'a [Json] {
    value
        .get(key)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn join_resolves_parent_directories() {
        assert_eq!(
            join("apps/shop/overlays/prod", "../../base"),
            "apps/shop/base"
        );
        assert_eq!(
            join("apps/shop/overlays/prod", "patches/a.yaml"),
            "apps/shop/overlays/prod/patches/a.yaml"
        );
        assert_eq!(join("", "./a.yaml"), "a.yaml");
    }

    #[test]
    fn operations_add_remove_and_replace() {
        let mut value = json!({"spec": {"replicas": 1, "list": [1, 3], "a/b": true}});
        for operation in [
            json!({"op": "replace", "path": "/spec/replicas", "value": 3}),
            json!({"op": "add", "path": "/spec/list/1", "value": 2}),
            json!({"op": "add", "path": "/spec/list/-", "value": 4}),
            json!({"op": "remove", "path": "/spec/a~1b"}),
            json!({"op": "add", "path": "/spec/new", "value": {}}),
        ] {
            apply(&mut value, &operation).unwrap();
        }
        assert_eq!(
            value,
            json!({"spec": {"replicas": 3, "list": [1, 2, 3, 4], "new": {}}})
        );
        let missing = apply(
            &mut value,
            &json!({"op": "replace", "path": "/spec/nope", "value": 1}),
        );
        assert_eq!(missing, Err("`/spec/nope` does not exist".to_string()));
    }
}
