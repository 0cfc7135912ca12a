//! Redaction: which values look secret, and replacing them with
//! `[redacted]` before they reach a `Changeset`. Every format shows only
//! what the changeset holds, so nothing secret-looking can leak through any
//! of them.
//!
//! A value is secret-looking when its key (or, in a `{name, value}` pair such
//! as a container env var, its name) has a word like password, secret, token
//! or key; any `stringData`; a core `Secret`'s `data`. References stay
//! visible: `secretKeyRef`, `secretName`, `existingSecret`, and a lone `key`
//! (tolerations, `secretKeyRef.key`) are names of things, not values.
//! Multi-line strings (scripts, config files) are redacted line by line
//! (`KEY=value`, `key: value`). Booleans and nulls are never secret.

use serde_json::{Map, Value as Json};

/// What a secret-looking value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Words that make a key secret-looking.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "key",
    "apikey",
    "apikeys",
    "secretkey",
    "accesskey",
    "privatekey",
    "credential",
    "credentials",
];

/// Last words of keys that name, locate or describe a secret rather than hold it.
const REFERENCE_SUFFIXES: &[&str] = &[
    "ref",
    "refs",
    "reference",
    "name",
    "names",
    "selector",
    "selectors",
    "path",
    "paths",
    "file",
    "files",
    "mode",
    "type",
    "policy",
    "enabled",
    "enable",
    "seconds",
    "ttl",
    "length",
    "size",
    "count",
    "id",
    "ids",
    "issuer",
];

/// The lowercase words of a key: `DB_PASSWORD` → db, password; `apiKey` →
/// api, key; `APIKey` → api, key; `cert-manager.io/x` → cert, manager, io, x.
fn words(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase()
                || previous.is_numeric()
                || (previous.is_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// True for keys that refer to a secret (`secretKeyRef`, `secretName`,
/// `existingSecret`): what is below them is shown again.
fn is_reference_key(key: &str) -> bool {
    let words = words(key);
    let last = words.last().map_or("", String::as_str);
    REFERENCE_SUFFIXES.contains(&last) || words.first().is_some_and(|w| w == "existing")
}

/// True when a value under `key` looks secret: `DB_PASSWORD`, `apiKey`,
/// `secretKey`, `token`; not `keyRef`, `secretKeyRef`, `secretName` or a
/// lone `key`.
pub fn is_secret_key(key: &str) -> bool {
    let words = words(key);
    if words.len() == 1 && words[0] == "key" {
        return false;
    }
    if is_reference_key(key) {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// Where a value sits, as far as redaction is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ctx {
    secret: bool,
    /// At the root of a core `Secret`, whose `data` is secret whatever its keys.
    secret_object_root: bool,
}

impl Ctx {
    /// The context at an object's root.
    pub(crate) fn root(secret_object: bool) -> Self {
        Self {
            secret: false,
            secret_object_root: secret_object,
        }
    }

    /// True when a scalar here is shown as `[redacted]`.
    pub(crate) fn is_secret(self) -> bool {
        self.secret
    }

    /// The context of `key` in a map (`maps`: the map on either side, for
    /// the `{name: DB_PASSWORD, value: …}` rule).
    pub(crate) fn child(self, key: &str, maps: [Option<&Map<String, Json>>; 2]) -> Self {
        if is_reference_key(key) {
            return Self {
                secret: false,
                secret_object_root: false,
            };
        }
        let named_secret = || {
            maps.iter().flatten().any(|m| {
                m.get("name")
                    .and_then(Json::as_str)
                    .is_some_and(is_secret_key)
            })
        };
        let secret = self.secret
            || is_secret_key(key)
            || key == "stringData"
            || (self.secret_object_root && key == "data")
            || (key == "value" && named_secret());
        Self {
            secret,
            secret_object_root: false,
        }
    }

    /// The context of a list item.
    pub(crate) fn item(self) -> Self {
        Self {
            secret: self.secret,
            secret_object_root: false,
        }
    }
}

/// `value` with every secret-looking scalar below it replaced.
pub(crate) fn redact(value: &Json, ctx: &Ctx) -> Json {
    match value {
        Json::String(_) | Json::Number(_) if ctx.secret => Json::String(REDACTED.to_string()),
        Json::String(s) if s.contains('\n') => Json::String(redact_lines(s)),
        Json::Array(items) => {
            let item = ctx.item();
            Json::Array(items.iter().map(|v| redact(v, &item)).collect())
        }
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact(v, &ctx.child(k, [Some(map), None]))))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `text` with the value of every `KEY=value` / `key: value` line whose key
/// looks secret replaced (config files, scripts, `.env` files in ConfigMaps).
pub(crate) fn redact_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(&redact_line(body));
        out.push_str(end);
    }
    out
}

/// Both texts redacted line by line; a secret-looking line of `new` whose
/// value differs from the same key's in `old` reads `[redacted, changed]`,
/// so the diff still shows that it changed.
pub(crate) fn redact_line_pair(old: &str, new: &str) -> (String, String) {
    let mut before: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for line in old.lines() {
        if let Some((key, value)) = secret_line(line) {
            before.entry(key).or_insert(value);
        }
    }
    let mut out = String::with_capacity(new.len());
    for line in new.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match secret_line(body) {
            Some((key, value)) if before.get(key).is_some_and(|old| *old != value) => {
                out.push_str(&replace_value(body, "[redacted, changed]"));
            }
            _ => out.push_str(&redact_line(body)),
        }
        out.push_str(end);
    }
    (redact_lines(old), out)
}

/// (key, value) of a `KEY=value` / `key: value` line whose key looks secret.
fn secret_line(line: &str) -> Option<(&str, &str)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at]
        .split_whitespace()
        .next_back()
        .unwrap_or("")
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '-');
    let value = line[at + 1..].trim();
    let opens_block = matches!(value, "" | "|" | ">" | "|-" | ">-" | "{" | "[");
    (is_secret_key(key) && !opens_block).then_some((key, value))
}

fn redact_line(line: &str) -> String {
    if secret_line(line).is_some() {
        replace_value(line, REDACTED)
    } else {
        line.to_string()
    }
}

/// `line` with everything after its first `=`/`:` replaced by `shown` (keeping a JSON comma).
fn replace_value(line: &str, shown: &str) -> String {
    let Some(at) = line.find(['=', ':']) else {
        return line.to_string();
    };
    let after = &line[at + 1..];
    let lead = &after[..after.len() - after.trim_start().len()];
    let comma = if after.trim().ends_with(',') { "," } else { "" };
    format!("{}{lead}{shown}{comma}", &line[..=at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_by_word() {
        for key in [
            "DB_PASSWORD",
            "apiKey",
            "APIKey",
            "secretKey",
            "API_KEY",
            "token",
            "tls.key",
            "REDIS_PASS",
            "client-secret",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "key",
            "keyRef",
            "secretKeyRef",
            "secretName",
            "existingSecret",
            "monkey",
            "keystore",
            "tokenPath",
            "name",
            "value",
            "LOG_LEVEL",
            "app.kubernetes.io/name",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn env_values_are_redacted_by_name_and_references_stay() {
        let env = json!([
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
        ]);
        let redacted = redact(&env, &Ctx::root(false));
        assert_eq!(
            redacted,
            json!([
                {"name": "DB_PASSWORD", "value": REDACTED},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
            ])
        );
    }

    #[test]
    fn a_secret_objects_data_is_redacted_but_its_keys_show() {
        let secret = json!({"kind": "Secret", "metadata": {"name": "db"}, "data": {"user": "YWRtaW4="}, "stringData": {"x": "y"}, "type": "Opaque"});
        let redacted = redact(&secret, &Ctx::root(true));
        assert_eq!(redacted["data"], json!({"user": REDACTED}));
        assert_eq!(redacted["stringData"], json!({"x": REDACTED}));
        assert_eq!(redacted["metadata"]["name"], json!("db"));
        assert_eq!(redacted["type"], json!("Opaque"));
    }

    #[test]
    fn booleans_and_tolerations_are_not_secret() {
        let value = json!({"automountServiceAccountToken": false, "tolerations": [{"key": "dedicated", "value": "db"}]});
        assert_eq!(redact(&value, &Ctx::root(false)), value);
    }

    #[test]
    fn multi_line_strings_are_redacted_line_by_line() {
        let text =
            "LOG_LEVEL=info\nDB_PASSWORD=hunter2\n  \"apiKey\": \"abc\",\nauth:\n  password: x\n";
        assert_eq!(
            redact_lines(text),
            "LOG_LEVEL=info\nDB_PASSWORD=[redacted]\n  \"apiKey\": [redacted],\nauth:\n  password: [redacted]\n"
        );
    }
}
