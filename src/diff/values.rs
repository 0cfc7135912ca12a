//! Field-level diff of two values: maps by key, lists of uniquely named maps
//! (containers, ports, env, volumes…) by name, other lists by position
//! after aligning equal items, JSON strings as values, multi-line strings as
//! a unified text diff. Paths read like `spec.template.spec.containers[name=api].image`.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};
use similar::{Algorithm, DiffOp, TextDiff};

use super::redact::{self, Ctx, REDACTED};
use super::FieldChange;

/// Every field change from `old` to `new`, in document order. `rename` is
/// (old name, new name) of a renamed object: a list item named after the
/// object (its container) is matched across the rename.
pub(crate) fn diff(
    old: &Json,
    new: &Json,
    ctx: &Ctx,
    rename: Option<(&str, &str)>,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(
        old,
        new,
        &mut String::new(),
        *ctx,
        &mut Out {
            changes: &mut out,
            rename,
        },
    );
    out
}

/// Where changes go, and the object's rename.
struct Out<'o, 'r> {
    changes: &'o mut Vec<FieldChange>,
    rename: Option<(&'r str, &'r str)>,
}

impl Out<'_, '_> {
    fn push(&mut self, change: FieldChange) {
        self.changes.push(change);
    }

    fn len(&self) -> usize {
        self.changes.len()
    }
}

/// `a == b`, walking maps in key order first: renders keep their key order,
/// so this avoids a hash lookup per key; other orders fall back to lookups.
pub(crate) fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            for ((kx, vx), (ky, vy)) in x.iter().zip(y.iter()) {
                if kx != ky {
                    return x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)));
                }
                if !same(vx, vy) {
                    return false;
                }
            }
            true
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

fn walk(old: &Json, new: &Json, path: &mut String, ctx: Ctx, out: &mut Out<'_, '_>) {
    if same(old, new) {
        return;
    }
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => maps(a, b, path, ctx, out),
        (Json::Array(a), Json::Array(b)) => lists(a, b, path, ctx, out),
        (Json::String(a), Json::String(b)) => strings(a, b, path, ctx, out),
        _ => changed(old, new, path, ctx, out),
    }
}

fn maps(
    a: &Map<String, Json>,
    b: &Map<String, Json>,
    path: &mut String,
    ctx: Ctx,
    out: &mut Out<'_, '_>,
) {
    for (key, va) in a {
        let child = ctx.child(key, [Some(a), Some(b)]);
        let len = path.len();
        push_key(path, key);
        match b.get(key) {
            Some(vb) => walk(va, vb, path, child, out),
            None => out.push(removed(va, path, child)),
        }
        path.truncate(len);
    }
    for (key, vb) in b {
        if !a.contains_key(key) {
            let child = ctx.child(key, [Some(a), Some(b)]);
            let len = path.len();
            push_key(path, key);
            out.push(added(vb, path, child));
            path.truncate(len);
        }
    }
}

/// The `name` of each item when every item is a map with a string `name`
/// and no name repeats.
fn names(items: &[Json]) -> Option<BTreeMap<&str, usize>> {
    let mut names = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Json::as_str)?;
        if names.insert(name, i).is_some() {
            return None;
        }
    }
    Some(names)
}

fn lists(a: &[Json], b: &[Json], path: &mut String, ctx: Ctx, out: &mut Out<'_, '_>) {
    let item = ctx.item();
    if let (Some(names_a), Some(names_b)) = (names(a), names(b)) {
        // The item named after a renamed object follows the rename.
        let renamed = out.rename.filter(|(old, new)| {
            names_a.contains_key(old)
                && !names_b.contains_key(old)
                && names_b.contains_key(new)
                && !names_a.contains_key(new)
        });
        let counterpart = |name: &str| match renamed {
            Some((old, new)) if name == old => new.to_string(),
            _ => name.to_string(),
        };
        for va in a {
            let name = counterpart(va.get("name").and_then(Json::as_str).unwrap_or_default());
            let len = path.len();
            push_named(path, &name);
            match names_b.get(name.as_str()) {
                Some(&j) => walk(va, &b[j], path, item, out),
                None => out.push(removed(va, path, item)),
            }
            path.truncate(len);
        }
        for vb in b {
            let name = vb.get("name").and_then(Json::as_str).unwrap_or_default();
            let matched = renamed.is_some_and(|(_, new)| new == name);
            if !names_a.contains_key(name) && !matched {
                let len = path.len();
                push_named(path, name);
                out.push(added(vb, path, item));
                path.truncate(len);
            }
        }
        return;
    }
    let keys_a: Vec<String> = a.iter().map(canonical).collect();
    let keys_b: Vec<String> = b.iter().map(canonical).collect();
    for op in similar::capture_diff_slices(Algorithm::Myers, &keys_a, &keys_b) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for (i, va) in a.iter().enumerate().skip(old_index).take(old_len) {
                    at_index(path, i, |p| out.push(removed(va, p, item)));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for (j, vb) in b.iter().enumerate().skip(new_index).take(new_len) {
                    at_index(path, j, |p| out.push(added(vb, p, item)));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let paired = old_len.min(new_len);
                for k in 0..paired {
                    let (i, j) = (old_index + k, new_index + k);
                    at_index(path, j, |p| walk(&a[i], &b[j], p, item, out));
                }
                let rest_a = a
                    .iter()
                    .enumerate()
                    .skip(old_index + paired)
                    .take(old_len - paired);
                for (i, va) in rest_a {
                    at_index(path, i, |p| out.push(removed(va, p, item)));
                }
                let rest_b = b
                    .iter()
                    .enumerate()
                    .skip(new_index + paired)
                    .take(new_len - paired);
                for (j, vb) in rest_b {
                    at_index(path, j, |p| out.push(added(vb, p, item)));
                }
            }
        }
    }
}

fn canonical(value: &Json) -> String {
    value.to_string()
}

fn at_index(path: &mut String, index: usize, f: impl FnOnce(&mut String)) {
    let len = path.len();
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
    f(path);
    path.truncate(len);
}

/// A JSON document in a string (a dashboard in a ConfigMap): an object or a list.
fn parse_json(text: &str) -> Option<Json> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Json>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

fn strings(a: &str, b: &str, path: &mut String, ctx: Ctx, out: &mut Out<'_, '_>) {
    if ctx.is_secret() {
        return out.push(changed_redacted(path));
    }
    if let (Some(ja), Some(jb)) = (parse_json(a), parse_json(b)) {
        let before = out.len();
        walk(&ja, &jb, path, ctx, out);
        if out.len() == before {
            // Same JSON value, other formatting: still a change of the text.
            out.push(text_change(a, b, path));
        }
        return;
    }
    if a.contains('\n') || b.contains('\n') {
        let (ra, rb) = redact::redact_line_pair(a, b);
        if ra == rb {
            return out.push(changed_redacted(path));
        }
        return out.push(text_change(&ra, &rb, path));
    }
    changed(
        &Json::String(a.to_string()),
        &Json::String(b.to_string()),
        path,
        ctx,
        out,
    );
}

fn text_change(a: &str, b: &str, path: &str) -> FieldChange {
    let diff = TextDiff::from_lines(a, b);
    let mut unified = diff.unified_diff();
    let text = unified
        .context_radius(3)
        .missing_newline_hint(false)
        .to_string();
    FieldChange::Text {
        path: path.to_string(),
        diff: text,
    }
}

fn changed(old: &Json, new: &Json, path: &str, ctx: Ctx, out: &mut Out<'_, '_>) {
    let scalar = |v: &Json| v.is_string() || v.is_number();
    if ctx.is_secret() && (scalar(old) || scalar(new)) {
        return out.push(changed_redacted(path));
    }
    let (old_r, new_r) = (redact::redact(old, &ctx), redact::redact(new, &ctx));
    let redacted = old_r != *old || new_r != *new;
    out.push(FieldChange::Changed {
        path: path.to_string(),
        old: old_r,
        new: new_r,
        redacted,
    });
}

fn changed_redacted(path: &str) -> FieldChange {
    FieldChange::Changed {
        path: path.to_string(),
        old: Json::String(REDACTED.to_string()),
        new: Json::String(REDACTED.to_string()),
        redacted: true,
    }
}

fn added(value: &Json, path: &str, ctx: Ctx) -> FieldChange {
    let shown = redact::redact(value, &ctx);
    let redacted = shown != *value;
    FieldChange::Added {
        path: path.to_string(),
        value: shown,
        redacted,
    }
}

fn removed(value: &Json, path: &str, ctx: Ctx) -> FieldChange {
    let shown = redact::redact(value, &ctx);
    let redacted = shown != *value;
    FieldChange::Removed {
        path: path.to_string(),
        value: shown,
        redacted,
    }
}

/// `.key`, or `["key"]` when the key is not a plain word (`app.kubernetes.io/name`).
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'));
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Json::String(key.to_string()).to_string());
        path.push(']');
    }
}

fn push_named(path: &mut String, name: &str) {
    path.push_str("[name=");
    path.push_str(name);
    path.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(old: &Json, new: &Json) -> Vec<String> {
        diff(old, new, &Ctx::root(false), None)
            .iter()
            .map(|c| match c {
                FieldChange::Changed { path, old, new, .. } => format!("{path}: {old} → {new}"),
                FieldChange::Added { path, value, .. } => format!("+ {path}: {value}"),
                FieldChange::Removed { path, value, .. } => format!("- {path}: {value}"),
                FieldChange::Text { path, diff } => format!("{path}:\n{diff}"),
            })
            .collect()
    }

    #[test]
    fn named_items_are_matched_by_name() {
        let old = json!({"containers": [{"name": "api", "resources": {"limits": {"cpu": "500m"}}}, {"name": "side", "image": "a"}]});
        let new = json!({"containers": [{"name": "side", "image": "a"}, {"name": "api", "resources": {"limits": {"cpu": "1"}}}]});
        assert_eq!(
            paths(&old, &new),
            vec![r#"containers[name=api].resources.limits.cpu: "500m" → "1""#]
        );
    }

    #[test]
    fn other_lists_are_aligned_then_compared_by_position() {
        let old = json!({"resources": ["a.yaml", "b.yaml", "c.yaml"], "args": ["-v", "1"]});
        let new =
            json!({"resources": ["a.yaml", "x.yaml", "b.yaml", "c.yaml"], "args": ["-v", "2"]});
        assert_eq!(
            paths(&old, &new),
            vec![r#"+ resources[1]: "x.yaml""#, r#"args[1]: "1" → "2""#]
        );
    }

    #[test]
    fn keys_that_are_not_words_are_quoted() {
        let old = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}});
        let new = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}});
        assert_eq!(
            paths(&old, &new),
            vec![r#"metadata.labels["app.kubernetes.io/name"]: "a" → "b""#]
        );
    }

    #[test]
    fn json_strings_are_diffed_as_values() {
        let old =
            json!({"data": {"d.json": "{\n  \"panels\": [{\"id\": 1, \"title\": \"A\"}]\n}"}});
        let new =
            json!({"data": {"d.json": "{\n  \"panels\": [{\"id\": 1, \"title\": \"B\"}]\n}"}});
        assert_eq!(
            paths(&old, &new),
            vec![r#"data["d.json"].panels[0].title: "A" → "B""#]
        );
    }

    #[test]
    fn multi_line_strings_get_a_unified_diff() {
        let old = json!({"script": "a\nb\nc\n"});
        let new = json!({"script": "a\nB\nc\n"});
        assert_eq!(
            paths(&old, &new),
            vec!["script:\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"]
        );
    }

    #[test]
    fn secret_values_change_redacted() {
        let old = json!({"env": [{"name": "DB_PASSWORD", "value": "a"}], "apiKey": "x"});
        let new = json!({"env": [{"name": "DB_PASSWORD", "value": "b"}], "apiKey": "y"});
        assert_eq!(
            paths(&old, &new),
            vec![
                r#"env[name=DB_PASSWORD].value: "[redacted]" → "[redacted]""#,
                r#"apiKey: "[redacted]" → "[redacted]""#
            ]
        );
    }
}
