//! Lowering of `role` declarations, with the RBAC rules (`role-no-subjects`,
//! `role-access-and-rules`, `unknown-verb`, `rbac-wildcard`).

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::kinds::Kind;
use crate::resolve::suggest;

use super::Cx;

/// The verbs the Kubernetes API server knows.
const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "*",
];

pub(crate) fn roles(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Role> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Role) {
        let access = cx.word(fields, "access", &["admin", "edit", "view"]);
        let rules_written = fields.multi("rule").to_vec();
        if let (Some(value), Some(first)) = (fields.value("access"), rules_written.first()) {
            cx.push(
                Diagnostic::new(Code::RoleAccessAndRules, format!("role `{name}` has both `access` and `rule`"), value.span, "built-in access")
                    .with_label(first.key, "custom rule")
                    .with_help("use `access` for a built-in ClusterRole, or `rule` blocks for a custom one, not both"),
            );
        }
        let mut rules = Vec::new();
        for instance in &rules_written {
            let block = &instance.fields;
            let verbs = cx.strings(block, "verbs");
            if verbs.is_empty() {
                cx.missing(instance.key, "`rule`", "verbs", "[get, list, watch]");
            }
            for (verb, at) in &verbs {
                if !VERBS.contains(&verb.as_str()) {
                    let help = suggest::did_you_mean(verb, VERBS.iter().copied())
                        .unwrap_or_else(|| format!("the verbs are {}", super::list_words(VERBS)));
                    cx.push(
                        Diagnostic::new(
                            Code::UnknownVerb,
                            format!("`{verb}` is not a Kubernetes RBAC verb"),
                            *at,
                            "unknown verb",
                        )
                        .with_help(help),
                    );
                }
            }
            let api_groups = cx.strings(block, "api-groups");
            let resources = cx.strings(block, "resources");
            if resources.is_empty() {
                cx.missing(instance.key, "`rule`", "resources", "[pods]");
            }
            for (what, list) in [
                ("verbs", &verbs),
                ("resources", &resources),
                ("api-groups", &api_groups),
            ] {
                for (item, at) in list.iter() {
                    if item == "*" {
                        cx.push(
                            Diagnostic::new(Code::RbacWildcard, format!("`*` in `{what}` grants everything, including what future versions add"), *at, "wildcard")
                                .with_help(format!("list the {what} the role needs")),
                        );
                    }
                }
            }
            let resource_names = cx.strings(block, "resource-names");
            rules.push(ir::Rule {
                api_groups: api_groups
                    .into_iter()
                    .map(|(g, _)| if g == "core" { String::new() } else { g })
                    .collect(),
                resources: resources.into_iter().map(|(r, _)| r).collect(),
                verbs: verbs.into_iter().map(|(v, _)| v).collect(),
                resource_names: resource_names.into_iter().map(|(r, _)| r).collect(),
            });
        }
        let grant = match (access, rules.is_empty()) {
            (Some(a), _) => ir::Grant::Access(a),
            (None, false) => ir::Grant::Rules(rules),
            (None, true) => {
                if fields.value("access").is_none() {
                    cx.missing(
                        span,
                        &format!("role `{name}`"),
                        "access",
                        "view` (or `rule { … }` blocks",
                    );
                }
                ir::Grant::Access("view".into())
            }
        };
        let cluster_scope = cx
            .word(fields, "scope", &["cluster", "namespace"])
            .as_deref()
            == Some("cluster");
        let namespaces: BTreeSet<String> = cx
            .strings(fields, "namespaces")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        if !cluster_scope && namespaces.is_empty() {
            cx.missing(
                span,
                &format!("role `{name}`"),
                "namespaces",
                "[app]` (or `scope = cluster`",
            );
        }
        let groups: BTreeSet<String> = cx
            .strings(fields, "groups")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let users: BTreeSet<String> = cx
            .strings(fields, "users")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut service_accounts = BTreeSet::new();
        for (sa, at) in cx.strings(fields, "service-accounts") {
            match sa.split_once('/') {
                Some((ns, n)) if ir::DnsLabel::new(ns).is_ok() && !n.is_empty() => {
                    service_accounts.insert((ns.to_string(), n.to_string()));
                }
                _ => cx.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`{sa}` is not `namespace/name`"),
                        at,
                        "expected `namespace/name`",
                    )
                    .with_help("write service accounts as `\"namespace/name\"`"),
                ),
            }
        }
        if groups.is_empty() && users.is_empty() && service_accounts.is_empty() {
            cx.push(
                Diagnostic::new(Code::RoleNoSubjects, format!("role `{name}` binds nobody"), span, "no users, groups or service accounts")
                    .with_help("add `groups = [\"…\"]`, `users = [\"…\"]` or `service-accounts = [\"namespace/name\"]`"),
            );
        }
        out.insert(
            name.clone(),
            ir::Role {
                name,
                grant,
                namespaces: if cluster_scope {
                    BTreeSet::new()
                } else {
                    namespaces
                },
                cluster_scope,
                groups,
                users,
                service_accounts,
                origin: span,
            },
        );
    }
    out
}
