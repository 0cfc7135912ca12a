//! The API server's rules for `metadata.name` and `metadata.namespace`,
//! which the schemas do not encode: Service names are DNS-1035 labels,
//! Namespace names DNS-1123 labels, CronJob names subdomains of at most 52
//! characters, RBAC names path segments, every other name a DNS-1123
//! subdomain; namespaces are DNS-1123 labels. Takes one object, returns its
//! problems as (path, message) pairs in validate-out's wording.

use serde_json::Value as Json;

use super::schema::SchemaError;

/// Name problems of one Kubernetes object of API `group` and `kind`.
pub fn check(group: &str, kind: &str, value: &Json) -> Vec<SchemaError> {
    let mut out = Vec::new();
    let Some(metadata) = super::field(value, "metadata").filter(|m| m.is_object()) else {
        out.push(problem(".metadata", "missing metadata".into()));
        return out;
    };
    match super::field(metadata, "name") {
        None | Some(Json::Null) => {
            if super::field(metadata, "generateName")
                .and_then(Json::as_str)
                .is_none_or(str::is_empty)
            {
                out.push(problem(".metadata.name", "missing metadata.name".into()));
            }
        }
        Some(Json::String(name)) if name.is_empty() => {
            out.push(problem(
                ".metadata.name",
                "metadata.name must not be empty".into(),
            ));
        }
        Some(Json::String(name)) => {
            let (rule, error) = name_rule(group, kind, name);
            if let Some(error) = error {
                let message = format!("invalid name {} for {kind} ({rule}): {error}", quote(name));
                out.push(problem(".metadata.name", message));
            }
        }
        // The schema reports a name of the wrong type.
        Some(_) => {}
    }
    if let Some(Json::String(namespace)) = super::field(metadata, "namespace") {
        let error = if namespace.is_empty() {
            Some("must not be empty".to_string())
        } else {
            dns1123_label(namespace)
        };
        if let Some(error) = error {
            let message = format!("invalid namespace {}: {error}", quote(namespace));
            out.push(problem(".metadata.namespace", message));
        }
    }
    out
}

/// The rule for `kind`'s names and the problem with `name`, if any.
fn name_rule(group: &str, kind: &str, name: &str) -> (&'static str, Option<String>) {
    match (group, kind) {
        ("", "Service") => ("DNS-1035 label", dns1035_label(name)),
        ("", "Namespace") => ("DNS-1123 label", dns1123_label(name)),
        ("batch", "CronJob") => ("DNS-1123 subdomain, max 52", dns1123_subdomain(name, 52)),
        (
            "rbac.authorization.k8s.io",
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding",
        ) => ("path segment", path_segment(name)),
        _ => ("DNS-1123 subdomain", dns1123_subdomain(name, 253)),
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1123_label(name: &str) -> Option<String> {
    if name.len() > 63 {
        return Some("must be no more than 63 characters (DNS-1123 label)".into());
    }
    (!is_label(name)).then(|| {
        "must be a DNS-1123 label: lowercase alphanumerics or '-', starting and ending with an \
         alphanumeric"
            .into()
    })
}

/// Dot-separated DNS-1123 labels, at most `max` characters in all.
pub fn dns1123_subdomain(name: &str, max: usize) -> Option<String> {
    if name.len() > max {
        return Some(format!("must be no more than {max} characters"));
    }
    (!name.split('.').all(is_label)).then(|| {
        "must be a DNS-1123 subdomain: lowercase alphanumerics, '-' or '.', starting and ending \
         with an alphanumeric"
            .into()
    })
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1035_label(name: &str) -> Option<String> {
    if name.len() > 63 {
        return Some("must be no more than 63 characters (DNS-1035 label)".into());
    }
    let starts_with_letter = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    (!(starts_with_letter && is_label(name))).then(|| {
        "must be a DNS-1035 label: lowercase alphanumerics or '-', starting with a letter and \
         ending with an alphanumeric"
            .into()
    })
}

/// What Kubernetes allows as one segment of a REST path.
fn path_segment(name: &str) -> Option<String> {
    if name == "." || name == ".." {
        return Some("may not be '.' or '..'".into());
    }
    ["/", "%"]
        .iter()
        .find(|bad| name.contains(**bad))
        .map(|bad| format!("may not contain '{bad}'"))
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit.
fn is_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
}

fn problem(path: &str, message: String) -> SchemaError {
    SchemaError {
        path: path.to_string(),
        message,
    }
}

fn quote(text: &str) -> String {
    Json::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(group: &str, kind: &str, value: &Json) -> Vec<String> {
        check(group, kind, value)
            .into_iter()
            .map(|p| format!("{} {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn service_names_must_start_with_a_letter() {
        let problems = messages("", "Service", &json!({"metadata": {"name": "1web"}}));
        assert_eq!(problems.len(), 1);
        assert!(problems[0]
            .starts_with(r#".metadata.name invalid name "1web" for Service (DNS-1035 label)"#));
    }

    #[test]
    fn cronjob_names_stop_at_52_characters() {
        let name = "a".repeat(53);
        let problems = messages("batch", "CronJob", &json!({"metadata": {"name": name}}));
        assert!(
            problems[0].contains("no more than 52 characters"),
            "{problems:?}"
        );
        assert!(messages("apps", "Deployment", &json!({"metadata": {"name": name}})).is_empty());
    }

    #[test]
    fn namespaces_are_labels_and_rbac_names_path_segments() {
        let value = json!({"metadata": {"name": "system:reader", "namespace": "Bad_NS"}});
        let problems = messages("rbac.authorization.k8s.io", "Role", &value);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with(r#".metadata.namespace invalid namespace "Bad_NS""#));
        assert_eq!(messages("", "ConfigMap", &value).len(), 2);
    }

    #[test]
    fn subdomains_allow_dots_but_not_empty_labels() {
        assert_eq!(dns1123_subdomain("a.b-c.d", 253), None);
        assert!(dns1123_subdomain("a..b", 253).is_some());
        assert!(dns1123_subdomain("-a", 253).is_some());
        assert_eq!(dns1123_label(&"a".repeat(63)), None);
        assert!(dns1123_label(&"a".repeat(64)).is_some());
    }
}
