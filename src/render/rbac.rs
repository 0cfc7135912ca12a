//! RBAC from `role` declarations (LANGUAGE.md §3.9).
//!
//! `access = admin|edit|view` binds the built-in ClusterRole of that name: a
//! RoleBinding `<role>` in each listed namespace, or one ClusterRoleBinding
//! with `scope = cluster`. `rule` blocks become a Role `<role>` in each
//! namespace (or a ClusterRole) plus the bindings to it. A ClusterRole or
//! ClusterRoleBinding that would take the name of a built-in one (`admin`,
//! `edit`, `view`, `cluster-admin`) is prefixed with the platform name, so a
//! role called `admin` can never replace the built-in object. Subjects are
//! sorted: groups, then users, then service accounts, each by name.

use serde_json::{json, Value as Json};

use crate::ir::{self, Grant};

use super::{meta, Object};

const RBAC_API: &str = "rbac.authorization.k8s.io/v1";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Cluster-scoped RBAC names every cluster has; platc never writes one.
const BUILT_IN_CLUSTER_ROLES: [&str; 4] = ["admin", "cluster-admin", "edit", "view"];

pub(crate) fn render(platform: &ir::Platform, out: &mut Vec<Object>) {
    for role in platform.roles.values() {
        let subjects = subjects(role);
        let origin = role.origin;
        match (&role.grant, role.cluster_scope) {
            (Grant::Access(access), true) => {
                let binding = binding(platform, role, None, "ClusterRole", access, &subjects);
                out.push(Object::new(binding, origin));
            }
            (Grant::Access(access), false) => {
                for ns in &role.namespaces {
                    let binding =
                        binding(platform, role, Some(ns), "ClusterRole", access, &subjects);
                    out.push(Object::new(binding, origin));
                }
            }
            (Grant::Rules(rules), true) => {
                let name = cluster_role_name(platform, &role.name);
                out.push(Object::new(
                    rbac_role(platform, role, &name, None, rules),
                    origin,
                ));
                let binding = binding(platform, role, None, "ClusterRole", &name, &subjects);
                out.push(Object::new(binding, origin));
            }
            (Grant::Rules(rules), false) => {
                for ns in &role.namespaces {
                    let rbac_role = rbac_role(platform, role, &role.name, Some(ns), rules);
                    out.push(Object::new(rbac_role, origin));
                    let binding = binding(platform, role, Some(ns), "Role", &role.name, &subjects);
                    out.push(Object::new(binding, origin));
                }
            }
        }
    }
}

/// `<role>`, or `<platform>-<role>` when that would shadow a built-in
/// ClusterRole (or the built-in `cluster-admin` ClusterRoleBinding).
fn cluster_role_name(platform: &ir::Platform, role: &str) -> String {
    if BUILT_IN_CLUSTER_ROLES.contains(&role) {
        format!("{}-{role}", platform.name)
    } else {
        role.to_string()
    }
}

/// Groups, users, then service accounts (the IR sets are already sorted).
fn subjects(role: &ir::Role) -> Vec<Json> {
    let groups = role
        .groups
        .iter()
        .map(|g| json!({ "kind": "Group", "apiGroup": RBAC_GROUP, "name": g }));
    let users = role
        .users
        .iter()
        .map(|u| json!({ "kind": "User", "apiGroup": RBAC_GROUP, "name": u }));
    let accounts = role
        .service_accounts
        .iter()
        .map(|(ns, name)| json!({ "kind": "ServiceAccount", "name": name, "namespace": ns }));
    groups.chain(users).chain(accounts).collect()
}

/// A Role (`namespace` set) or ClusterRole with the declared rules.
fn rbac_role(
    platform: &ir::Platform,
    role: &ir::Role,
    name: &str,
    namespace: Option<&str>,
    rules: &[ir::Rule],
) -> Json {
    let kind = if namespace.is_some() {
        "Role"
    } else {
        "ClusterRole"
    };
    let rules: Vec<Json> = rules.iter().map(rule).collect();
    json!({
        "apiVersion": RBAC_API,
        "kind": kind,
        "metadata": meta::metadata(platform, name, namespace, &role.name),
        "rules": rules,
    })
}

fn rule(rule: &ir::Rule) -> Json {
    let mut out = serde_json::Map::new();
    out.insert("apiGroups".into(), json!(rule.api_groups));
    out.insert("resources".into(), json!(rule.resources));
    if !rule.resource_names.is_empty() {
        out.insert("resourceNames".into(), json!(rule.resource_names));
    }
    out.insert("verbs".into(), json!(rule.verbs));
    Json::Object(out)
}

/// A RoleBinding (`namespace` set) or ClusterRoleBinding named after the role.
fn binding(
    platform: &ir::Platform,
    role: &ir::Role,
    namespace: Option<&str>,
    ref_kind: &str,
    ref_name: &str,
    subjects: &[Json],
) -> Json {
    let (kind, name) = match namespace {
        Some(_) => ("RoleBinding", role.name.clone()),
        None => (
            "ClusterRoleBinding",
            cluster_role_name(platform, &role.name),
        ),
    };
    json!({
        "apiVersion": RBAC_API,
        "kind": kind,
        "metadata": meta::metadata(platform, &name, namespace, &role.name),
        "roleRef": { "apiGroup": RBAC_GROUP, "kind": ref_kind, "name": ref_name },
        "subjects": subjects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;

    const ROLES: &str = r#"
platform shop {
  repo = "https://git.example.com/shop.git"
}

namespace jobs {}

service api {
  namespace = apps
  image     = "registry.example.com/api:1.0.0"
}

role developers {
  access     = edit
  namespaces = [apps, jobs]
  groups     = ["devs", "contractors"]
  users      = ["zoe@example.com", "al@example.com"]
}

role platform-admins {
  access = admin
  scope  = cluster
  groups = ["platform-admins"]
}

role job-runner {
  namespaces       = [jobs]
  service-accounts = ["apps/api"]
  users            = ["ci@example.com"]
  rule {
    api-groups = ["batch"]
    resources  = [jobs, "jobs/status"]
    verbs      = [create, get, list, watch, delete]
  }
  rule {
    api-groups = [""]
    resources  = [pods]
    verbs      = [get, list]
  }
}

role node-reader {
  scope  = cluster
  groups = ["sre"]
  rule {
    api-groups = [""]
    resources  = [nodes]
    verbs      = [get, list, watch]
  }
}
"#;

    fn render_all(source: &str) -> Vec<Object> {
        let platform = crate::render::test_view(source);
        let mut out = Vec::new();
        render(&platform, &mut out);
        out
    }

    fn find<'a>(objects: &'a [Object], kind: &str, ns: Option<&str>, name: &str) -> &'a Json {
        objects
            .iter()
            .find(|o| o.kind() == kind && o.namespace() == ns && o.name() == name)
            .map(|o| &o.value)
            .unwrap_or_else(|| panic!("no {kind} {ns:?}/{name}"))
    }

    #[test]
    fn access_binds_the_built_in_cluster_role_per_namespace() {
        let objects = render_all(ROLES);
        for ns in ["apps", "jobs"] {
            let binding = find(&objects, "RoleBinding", Some(ns), "developers");
            assert_eq!(
                binding["roleRef"],
                json!({ "apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "edit" })
            );
            let names: Vec<&str> = binding["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["name"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(
                names,
                ["contractors", "devs", "al@example.com", "zoe@example.com"]
            );
            assert_eq!(binding["subjects"][2]["kind"], "User");
            assert_eq!(binding["subjects"][2]["apiGroup"], RBAC_GROUP);
        }
    }

    #[test]
    fn cluster_scope_gives_a_cluster_role_binding() {
        let objects = render_all(ROLES);
        let binding = find(&objects, "ClusterRoleBinding", None, "platform-admins");
        assert_eq!(binding["roleRef"]["name"], "admin");
        assert_eq!(binding["subjects"][0]["kind"], "Group");
        let reader = find(&objects, "ClusterRole", None, "node-reader");
        assert_eq!(reader["rules"][0]["resources"], json!(["nodes"]));
        let binding = find(&objects, "ClusterRoleBinding", None, "node-reader");
        assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
        assert_eq!(binding["roleRef"]["name"], "node-reader");
    }

    #[test]
    fn rules_give_a_role_and_a_binding_with_service_accounts() {
        let objects = render_all(ROLES);
        let role = find(&objects, "Role", Some("jobs"), "job-runner");
        assert_eq!(
            role["rules"][0],
            json!({
                "apiGroups": ["batch"],
                "resources": ["jobs", "jobs/status"],
                "verbs": ["create", "get", "list", "watch", "delete"],
            })
        );
        let binding = find(&objects, "RoleBinding", Some("jobs"), "job-runner");
        assert_eq!(binding["roleRef"]["kind"], "Role");
        assert_eq!(
            binding["subjects"][1],
            json!({ "kind": "ServiceAccount", "name": "api", "namespace": "apps" })
        );
        assert_eq!(objects.len(), 2 + 1 + 2 + 2);
    }

    #[test]
    fn a_rules_role_never_replaces_a_built_in_cluster_role() {
        let source = ROLES.replace("role node-reader", "role view");
        let objects = render_all(&source);
        find(&objects, "ClusterRole", None, "shop-view");
        let binding = find(&objects, "ClusterRoleBinding", None, "shop-view");
        assert_eq!(binding["roleRef"]["name"], "shop-view");
    }

    #[test]
    fn snapshot() {
        let objects = render_all(ROLES);
        let text: Vec<String> = objects.iter().map(|o| to_yaml(&o.value)).collect();
        insta::assert_snapshot!(text.join("---\n"));
    }
}
