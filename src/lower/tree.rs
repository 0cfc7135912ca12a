//! Free-form trees: `values { … }` and `spec { … }` blocks, `file()` bodies,
//! and the deep merge that layers them. Numbers with units stay Kubernetes
//! quantities (`8Gi` → `"8Gi"`); bare words are strings.

use serde_json::{Map, Number as JsonNumber, Value as Json};

use crate::ast::{Value, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::{Entry, Fields};
use crate::source::project_path;

use super::Cx;

/// Deep-merges `overlay` into `base`: maps merge key by key, anything else replaces.
pub(crate) fn deep_merge(base: &mut Json, overlay: Json) {
    match (base, overlay) {
        (Json::Object(base), Json::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

pub(crate) fn fields_to_tree(cx: &mut Cx<'_, '_>, fields: &Fields<'_>) -> Json {
    let mut map = Map::new();
    for (key, entry) in &fields.entries {
        map.insert(key.to_owned(), entry_to_tree(cx, entry));
    }
    Json::Object(map)
}

pub(crate) fn entry_to_tree(cx: &mut Cx<'_, '_>, entry: &Entry<'_>) -> Json {
    match entry {
        Entry::Value { value, .. } => value_to_tree(cx, value),
        Entry::Block { fields, .. } => fields_to_tree(cx, fields),
        Entry::Multi(list) => {
            Json::Array(list.iter().map(|i| fields_to_tree(cx, &i.fields)).collect())
        }
    }
}

pub(crate) fn value_to_tree(cx: &mut Cx<'_, '_>, value: &Value) -> Json {
    match &value.kind {
        ValueKind::None => Json::Null,
        ValueKind::Bool(b) => Json::Bool(*b),
        ValueKind::Number(n) => match (n.unit(), n.decimal()) {
            (None, Some((m, 0))) => {
                i64::try_from(m).map_or_else(|_| Json::String(n.text()), |i| Json::Number(i.into()))
            }
            (None, Some(_)) => n
                .magnitude
                .parse::<f64>()
                .ok()
                .and_then(JsonNumber::from_f64)
                .map_or_else(|| Json::String(n.text()), Json::Number),
            _ => Json::String(n.text()),
        },
        ValueKind::String(s) => cx.interpolate(s).map_or(Json::Null, Json::String),
        ValueKind::Heredoc(text) => Json::String(text.clone()),
        ValueKind::Range(a, b) => Json::String(format!("{}..{}", a.text(), b.text())),
        ValueKind::List(items) => Json::Array(items.iter().map(|v| value_to_tree(cx, v)).collect()),
        ValueKind::Map(entries) => {
            let mut map = Map::new();
            for entry in entries {
                let mut value = value_to_tree(cx, &entry.value);
                // A dotted key in a map is a path, as in a block.
                for segment in entry.path.segments.iter().skip(1).rev() {
                    let mut inner = Map::new();
                    inner.insert(segment.clone(), value);
                    value = Json::Object(inner);
                }
                let first = entry.path.segments.first().cloned().unwrap_or_default();
                match map.get_mut(&first) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        map.insert(first, value);
                    }
                }
            }
            Json::Object(map)
        }
        ValueKind::Reference(r) if r.segments.len() == 1 => Json::String(r.dotted()),
        ValueKind::Reference(r) => cx.reference_text(r, false).map_or(Json::Null, Json::String),
        ValueKind::Call(call) => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{}()` cannot be used here", call.name.text),
                    value.span,
                    "function call",
                )
                .with_help("`file()` is only allowed as a `resource` body"),
            );
            Json::Null
        }
    }
}

/// The YAML/JSON document named by `body = file("…")`.
pub(crate) fn file_body(cx: &mut Cx<'_, '_>, value: &Value) -> Json {
    let empty = Json::Object(Map::new());
    let ValueKind::Call(call) = &value.kind else {
        cx.mismatch(value, "body", "`file(\"path.yaml\")`");
        return empty;
    };
    let path = match (call.name.text.as_str(), call.args.as_slice()) {
        ("file", [arg]) => match &arg.kind {
            ValueKind::String(s) if s.as_plain().is_some() => {
                (s.as_plain().unwrap_or_default(), arg.span)
            }
            _ => {
                cx.mismatch(arg, "file", "a path string");
                return empty;
            }
        },
        ("file", _) => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    "`file()` takes exactly one path",
                    value.span,
                    "wrong number of arguments",
                )
                .with_help("write `file(\"manifests/x.yaml\")`"),
            );
            return empty;
        }
        (other, _) => {
            cx.push(
                Diagnostic::new(
                    Code::UnknownReference,
                    format!("unknown function `{other}`"),
                    call.name.span,
                    "not a function",
                )
                .with_help("the only function is `file(\"path\")`"),
            );
            return empty;
        }
    };
    let from = cx.sources.file(value.span.file).name.clone();
    let Some(relative) = project_path(&from, &path.0) else {
        cx.push(
            Diagnostic::new(
                Code::FileOutsideProject,
                format!("`{}` resolves outside the project directory", path.0),
                path.1,
                "outside the project",
            )
            .with_help("keep manifests inside the project and use a path relative to this file"),
        );
        return empty;
    };
    let text = match cx.assets.get(&relative) {
        Some(Ok(text)) => text.clone(),
        Some(Err(why)) => {
            cx.push(
                Diagnostic::new(
                    Code::Io,
                    format!("cannot read `{relative}`: {why}"),
                    path.1,
                    "file named here",
                )
                .with_help("check that the file exists and is readable"),
            );
            return empty;
        }
        None => {
            cx.push(
                Diagnostic::new(
                    Code::Io,
                    format!("`{relative}` was not loaded"),
                    path.1,
                    "file named here",
                )
                .with_help("check that the file exists"),
            );
            return empty;
        }
    };
    match serde_yaml::from_str::<Json>(&text) {
        Ok(Json::Object(map)) => Json::Object(map),
        Ok(_) => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{relative}` is not a YAML mapping"),
                    path.1,
                    "file named here",
                )
                .with_help("a resource body is one YAML document whose top level is a mapping"),
            );
            empty
        }
        Err(err) => {
            cx.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{relative}` is not valid YAML: {err}"),
                    path.1,
                    "file named here",
                )
                .with_help("a resource body is one YAML document"),
            );
            empty
        }
    }
}

/// True for a Helm values key that holds a credential itself: `password`,
/// `adminPassword`, `auth.token`, `apiKey`, `secretKey`… but not the keys
/// that name where a credential lives (`existingSecret`,
/// `existingSecretPasswordKey`, `passwordSecretName`).
fn is_credential_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['-', '_'], "");
    !key.starts_with("existing")
        && ["password", "token", "apikey", "secretkey", "accesskey"]
            .iter()
            .any(|suffix| key.ends_with(suffix))
}

/// `plaintext-secret` in chart `values`: a credential key set to a non-empty
/// literal would be committed to the repository in `values.yaml`.
pub(crate) fn check_values_secrets(cx: &mut Cx<'_, '_>, entry: &Entry<'_>, path: &str) {
    match entry {
        Entry::Value { value, .. } => check_value_secrets(cx, value, path),
        Entry::Block { fields, .. } => {
            for (key, entry) in &fields.entries {
                check_values_secrets(cx, entry, &format!("{path}.{key}"));
            }
        }
        Entry::Multi(list) => {
            for item in list {
                for (key, entry) in &item.fields.entries {
                    check_values_secrets(cx, entry, &format!("{path}.{key}"));
                }
            }
        }
    }
}

fn check_value_secrets(cx: &mut Cx<'_, '_>, value: &Value, path: &str) {
    let key = path.rsplit('.').next().unwrap_or(path);
    let literal = match &value.kind {
        ValueKind::String(s) => s.as_plain().is_some_and(|text| !text.is_empty()),
        ValueKind::Heredoc(text) => !text.is_empty(),
        ValueKind::Map(entries) => {
            for entry in entries {
                let sub = format!("{path}.{}", entry.path.segments.join("."));
                check_value_secrets(cx, &entry.value, &sub);
            }
            false
        }
        ValueKind::List(items) => {
            for item in items {
                check_value_secrets(cx, item, path);
            }
            false
        }
        _ => false,
    };
    if literal && is_credential_key(key) {
        cx.push(
            Diagnostic::new(
                Code::PlaintextSecret,
                format!("`{path}` looks like a credential but is set to a literal"),
                value.span,
                "plain text in the repository",
            )
            .with_help(
                "keep the value in a `secret` declaration (created outside the repository) and \
                 point the chart at it, e.g. `auth.existingSecret = \"NAME\"`",
            ),
        );
    }
}

#[cfg(test)]
mod credential_key_tests {
    use super::is_credential_key;

    #[test]
    fn credential_keys_but_not_where_credentials_live() {
        for key in [
            "password",
            "adminPassword",
            "postgres-password",
            "apiToken",
            "secretKey",
            "accessKey",
            "apiKey",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in [
            "existingSecret",
            "existingSecretPasswordKey",
            "passwordSecretName",
            "username",
            "secretName",
            "enabled",
        ] {
            assert!(!is_credential_key(key), "{key}");
        }
    }
}
