//! What the language server knows about a project, computed from a
//! `SourceMap` without IO: the parsed files, what the syntax node under a
//! cursor refers to (`locate`), where that is declared (`definition`) and
//! what it resolves to (`hover`: a host, a port number, a topic's Kafka
//! name, a profile's chart and version, a secret's namespace and keys).
//! Works on projects with errors: everything is read from the effective
//! fields of the declarations that resolved, like the lowering directory.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{self, Declaration, Ident, Item, Reference, StringPart, Value, ValueKind};
use crate::diagnostic::Diagnostic;
use crate::kinds::Kind;
use crate::resolve::{Fields, Resolved};
use crate::source::SourceMap;
use crate::span::{FileId, Span};

/// A project as the server sees it: the sources and the files that parsed.
#[derive(Debug)]
pub struct Project {
    pub sources: SourceMap,
    pub files: Vec<(FileId, ast::File)>,
}

impl Project {
    /// Parses every file of `sources` (files with syntax errors are left out).
    pub fn new(sources: SourceMap) -> Self {
        let (files, _) = crate::parse::parse_all(&sources.files);
        Self { sources, files }
    }

    /// The id of the file named `name` (project-relative).
    pub fn file_id(&self, name: &str) -> Option<FileId> {
        self.sources
            .files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.id)
    }

    /// The syntax tree of a file, when it parsed.
    pub fn tree(&self, id: FileId) -> Option<&ast::File> {
        self.files.iter().find(|(i, _)| *i == id).map(|(_, f)| f)
    }

    /// Names bound across the project (problems are not reported here).
    pub fn resolved(&self) -> Resolved<'_> {
        let mut ignored: Vec<Diagnostic> = Vec::new();
        crate::resolve::resolve(&self.files, &mut ignored)
    }
}

/// What a name expected by a field stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A declaration of one of these kinds (in this order of preference).
    Kinds(Vec<Kind>),
    /// A namespace (declared or only used).
    Namespace,
    /// A chart profile of the standard library.
    Profile,
    /// A port name of the declaration the field is in.
    Port,
}

/// What a field of `kind` at `path` (block names, then the attribute's path)
/// expects a bare name to be, if a name.
pub fn expected(kind: Kind, path: &[&str]) -> Option<Expect> {
    let last = *path.last()?;
    match (kind, path) {
        (_, [.., "nodepool"]) => Some(Expect::Kinds(vec![Kind::Nodepool])),
        (Kind::Role, ["namespaces"]) | (_, ["namespace"]) => Some(Expect::Namespace),
        (Kind::Service | Kind::Job, ["publishes" | "consumes"]) => {
            Some(Expect::Kinds(vec![Kind::Topic]))
        }
        (Kind::Service | Kind::Job, ["talks-to"]) => {
            Some(Expect::Kinds(vec![Kind::Service, Kind::Chart, Kind::Kafka]))
        }
        (Kind::Service, ["autoscale", "kafka-lag", "topic"]) => {
            Some(Expect::Kinds(vec![Kind::Topic]))
        }
        (Kind::Topic, ["kafka"]) => Some(Expect::Kinds(vec![Kind::Kafka])),
        (Kind::Dashboard, _) if last == "datasource" => Some(Expect::Kinds(vec![Kind::Datasource])),
        (Kind::Chart, ["profile"]) => Some(Expect::Profile),
        (Kind::Service | Kind::Job, ["health" | "ingress" | "metrics", "port"]) => {
            Some(Expect::Port)
        }
        _ => None,
    }
}

/// The thing under the cursor.
#[derive(Debug, Clone, PartialEq)]
pub enum Target<'a> {
    /// The kind or name of a declaration.
    Declaration(&'a Declaration),
    /// A name that stands for something `expect`ed; `owner` is the declaration
    /// it is written in when that matters (a port name is one of its ports).
    Name {
        expect: Expect,
        name: &'a Ident,
        owner: Option<&'a Declaration>,
    },
    /// `extends NAME`.
    Extends { kind: Kind, name: &'a Ident },
    /// `when ENV`.
    Env(&'a Ident),
    /// `secret.S.KEY` on `KEY`.
    SecretKey { secret: &'a Ident, key: &'a Ident },
    /// `service.X.port.P` / `chart.X.port.P` on `P`.
    Port {
        kind: Kind,
        owner: &'a Ident,
        port: &'a Ident,
    },
    /// `service.X.host`, `chart.X.host`, `kafka.K.bootstrap`, `topic.T.name` on the attribute.
    Attribute {
        kind: Kind,
        name: &'a Ident,
        attribute: &'a Ident,
    },
    /// A key listed in a secret's `keys`.
    KeyOf {
        secret: &'a Declaration,
        key: &'a Ident,
    },
    /// `platform.name` or `env.name`.
    Builtin(&'a Reference),
}

fn contains(span: Span, offset: usize) -> bool {
    span.start() <= offset && offset <= span.end()
}

/// The kind whose fields a declaration's body holds (`defaults KIND` too).
pub fn body_kind(decl: &Declaration) -> Option<Kind> {
    if decl.is_defaults() {
        Kind::from_keyword(&decl.name.text)
    } else {
        Kind::from_keyword(&decl.kind.text)
    }
}

/// What is at `offset` in `file`.
pub fn locate(file: &ast::File, offset: usize) -> Option<Target<'_>> {
    let decl = file
        .declarations
        .iter()
        .find(|d| contains(d.span, offset))?;
    if contains(decl.kind.span, offset) || contains(decl.name.span, offset) {
        return (!decl.is_defaults()).then_some(Target::Declaration(decl));
    }
    if let Some(parent) = decl.extends.as_ref().filter(|p| contains(p.span, offset)) {
        return Kind::from_keyword(&decl.kind.text)
            .map(|kind| Target::Extends { kind, name: parent });
    }
    let kind = body_kind(decl)?;
    locate_body(decl, kind, &decl.body, &mut Vec::new(), offset)
}

fn locate_body<'a>(
    decl: &'a Declaration,
    kind: Kind,
    body: &'a ast::Body,
    path: &mut Vec<&'a str>,
    offset: usize,
) -> Option<Target<'a>> {
    let item = body.items.iter().find(|item| {
        let span = match item {
            Item::Attribute(a) => a.span(),
            Item::Block(b) => b.span,
            Item::When(w) => w.span,
        };
        contains(span, offset)
    })?;
    match item {
        Item::When(when) if contains(when.env.span, offset) => Some(Target::Env(&when.env)),
        Item::When(when) => locate_body(decl, kind, &when.body, path, offset),
        Item::Block(block) => {
            let depth = path.len();
            path.extend(block.path.segments.iter().map(String::as_str));
            let found = locate_body(decl, kind, &block.body, path, offset);
            path.truncate(depth);
            found
        }
        Item::Attribute(attr) if contains(attr.value.span, offset) => {
            let depth = path.len();
            path.extend(attr.path.segments.iter().map(String::as_str));
            let found = locate_value(decl, kind, &attr.value, path, offset);
            path.truncate(depth);
            found
        }
        Item::Attribute(_) => None,
    }
}

fn locate_value<'a>(
    decl: &'a Declaration,
    kind: Kind,
    value: &'a Value,
    path: &mut Vec<&'a str>,
    offset: usize,
) -> Option<Target<'a>> {
    match &value.kind {
        ValueKind::Reference(reference) => match reference.bare() {
            Some(name) if kind == Kind::Secret && path.as_slice() == ["keys"] => {
                Some(Target::KeyOf {
                    secret: decl,
                    key: name,
                })
            }
            Some(name) => expected(kind, path).map(|expect| Target::Name {
                expect,
                name,
                owner: Some(decl),
            }),
            None => locate_reference(reference, offset),
        },
        ValueKind::List(items) => {
            let item = items.iter().find(|v| contains(v.span, offset))?;
            locate_value(decl, kind, item, path, offset)
        }
        ValueKind::Map(entries) => {
            let entry = entries.iter().find(|e| contains(e.value.span, offset))?;
            let depth = path.len();
            path.extend(entry.path.segments.iter().map(String::as_str));
            let found = locate_value(decl, kind, &entry.value, path, offset);
            path.truncate(depth);
            found
        }
        ValueKind::String(lit) => lit.parts.iter().find_map(|part| match part {
            StringPart::Interpolation(r) if contains(r.span, offset) => locate_reference(r, offset),
            _ => None,
        }),
        ValueKind::Call(call) => {
            let arg = call.args.iter().find(|v| contains(v.span, offset))?;
            locate_value(decl, kind, arg, path, offset)
        }
        _ => None,
    }
}

/// A dotted reference (`secret.S.K`, `service.X.port.P`…) at `offset`.
pub fn locate_reference(reference: &Reference, offset: usize) -> Option<Target<'_>> {
    let segments = &reference.segments;
    let at = segments.iter().position(|s| contains(s.span, offset))?;
    let head = segments.first()?;
    if matches!(head.text.as_str(), "platform" | "env") {
        return Some(Target::Builtin(reference));
    }
    let kind = Kind::from_keyword(&head.text).filter(|k| {
        matches!(
            k,
            Kind::Secret | Kind::Service | Kind::Chart | Kind::Kafka | Kind::Topic
        )
    })?;
    let name = segments.get(1)?;
    let attribute = segments.get(2);
    match (kind, at) {
        (_, 0 | 1) => Some(Target::Name {
            expect: Expect::Kinds(vec![kind]),
            name,
            owner: None,
        }),
        (Kind::Secret, 2) => Some(Target::SecretKey {
            secret: name,
            key: attribute?,
        }),
        (Kind::Service | Kind::Chart, 3) if attribute.is_some_and(|a| a.text == "port") => {
            Some(Target::Port {
                kind,
                owner: name,
                port: segments.get(3)?,
            })
        }
        (_, 2) => Some(Target::Attribute {
            kind,
            name,
            attribute: attribute?,
        }),
        _ => None,
    }
}

/// The declaration `kind NAME` for the first of `kinds` that has one.
fn declaration<'a>(
    resolved: &Resolved<'a>,
    kinds: &[Kind],
    name: &str,
) -> Option<(Kind, &'a Declaration)> {
    kinds
        .iter()
        .find_map(|k| resolved.get(*k, name).map(|d| (*k, d)))
}

/// Where the thing at the cursor is declared.
pub fn definition(project: &Project, target: &Target<'_>) -> Option<Span> {
    let resolved = project.resolved();
    match target {
        Target::Declaration(decl) => Some(decl.name.span),
        Target::Name {
            expect: Expect::Kinds(kinds),
            name,
            ..
        } => declaration(&resolved, kinds, &name.text).map(|(_, d)| d.name.span),
        Target::Name {
            expect: Expect::Namespace,
            name,
            ..
        } => resolved
            .get(Kind::Namespace, &name.text)
            .map(|d| d.name.span),
        Target::Name {
            expect: Expect::Profile,
            ..
        }
        | Target::Builtin(_)
        | Target::KeyOf { .. } => match target {
            Target::Builtin(r) if r.segments[0].text == "platform" => {
                resolved.platform.map(|p| p.name.span)
            }
            Target::KeyOf { key, .. } => Some(key.span),
            _ => None,
        },
        Target::Name {
            expect: Expect::Port,
            name,
            owner,
        } => {
            let owner = (*owner)?;
            port_entry(&resolved, owner, &name.text).or(Some(owner.name.span))
        }
        Target::Extends { kind, name } => resolved.get(*kind, &name.text).map(|d| d.name.span),
        Target::Env(env) => resolved.get(Kind::Env, &env.text).map(|d| d.name.span),
        Target::SecretKey { secret, key } => {
            let decl = resolved.get(Kind::Secret, &secret.text)?;
            secret_key_span(decl, &key.text).or(Some(decl.name.span))
        }
        Target::Port { kind, owner, port } => {
            let decl = resolved.get(*kind, &owner.text)?;
            port_entry(&resolved, decl, &port.text).or(Some(decl.name.span))
        }
        Target::Attribute { kind, name, .. } => {
            resolved.get(*kind, &name.text).map(|d| d.name.span)
        }
    }
}

/// The `ports` entry naming `port` in `decl`, its `extends` chain or its defaults.
fn port_entry(resolved: &Resolved<'_>, decl: &Declaration, port: &str) -> Option<Span> {
    let kind = body_kind(decl)?;
    let mut seen = BTreeSet::new();
    let mut current = Some(decl);
    let mut chain = Vec::new();
    while let Some(d) = current.filter(|d| seen.insert(d.name.text.clone())) {
        chain.push(d);
        current = d.extends.as_ref().and_then(|p| resolved.get(kind, &p.text));
    }
    chain.extend(resolved.defaults.get(&kind).copied());
    chain.iter().find_map(|d| {
        d.body.items.iter().find_map(|item| match item {
            Item::Attribute(a) if a.path.single() == Some("ports") => match &a.value.kind {
                ValueKind::Map(entries) => entries
                    .iter()
                    .find(|e| e.path.dotted() == port)
                    .map(|e| e.path.span),
                _ => None,
            },
            _ => None,
        })
    })
}

fn secret_key_span(decl: &Declaration, key: &str) -> Option<Span> {
    decl.body.items.iter().find_map(|item| match item {
        Item::Attribute(a) if a.path.single() == Some("keys") => match &a.value.kind {
            ValueKind::List(items) => items
                .iter()
                .find(|v| word(v).as_deref() == Some(key))
                .map(|v| v.span),
            _ => None,
        },
        _ => None,
    })
}

/// A bare name or a plain string as text.
fn word(value: &Value) -> Option<String> {
    match &value.kind {
        ValueKind::Reference(r) => r.bare().map(|i| i.text.clone()),
        ValueKind::String(s) => s.as_plain(),
        _ => None,
    }
}

fn plain(fields: &Fields<'_>, name: &str) -> Option<String> {
    fields.value(name).and_then(word)
}

/// The `ports` map of effective fields, by name.
fn ports(fields: &Fields<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(ValueKind::Map(entries)) = fields.value("ports").map(|v| &v.kind) {
        for entry in entries {
            if let ValueKind::Number(n) = &entry.value.kind {
                out.insert(entry.path.dotted(), n.text());
            }
        }
    }
    out
}

/// Facts about one declaration, as other declarations see it.
#[derive(Debug, Default)]
pub struct Facts {
    pub namespace: String,
    pub host: Option<String>,
    pub ports: BTreeMap<String, String>,
    pub keys: Vec<String>,
}

/// The namespace, host, ports and (for secrets) keys of `decl`, from its
/// effective fields (defaults and `extends` applied, no environment).
pub fn facts(resolved: &Resolved<'_>, kind: Kind, decl: &Declaration) -> Facts {
    let default_namespace = resolved
        .platform
        .map(|p| {
            let fields = resolved.effective(p, None);
            plain(&fields, "default-namespace").unwrap_or_else(|| p.name.text.clone())
        })
        .unwrap_or_default();
    let fields = resolved.effective(decl, None);
    let namespace = plain(&fields, "namespace").unwrap_or(default_namespace);
    let name = &decl.name.text;
    let mut facts = Facts {
        namespace,
        ..Facts::default()
    };
    match kind {
        Kind::Service | Kind::Job => {
            facts.host = Some(format!("{name}.{}.svc.cluster.local", facts.namespace));
            facts.ports = ports(&fields);
        }
        Kind::Chart => {
            let profile = plain(&fields, "profile").and_then(|p| crate::profile::builtin().get(&p));
            let service = profile
                .and_then(|p| p.service_name(name))
                .unwrap_or_else(|| name.clone());
            facts.host = Some(format!("{service}.{}.svc.cluster.local", facts.namespace));
            if let Some(profile) = profile {
                facts.ports = profile
                    .ports
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect();
            }
            facts.ports.extend(ports(&fields));
        }
        Kind::Kafka => {
            let tls = plain(&fields, "authentication").as_deref() == Some("tls");
            let port = if tls { 9093 } else { 9092 };
            facts.host = Some(format!(
                "{name}-kafka-bootstrap.{}.svc:{port}",
                facts.namespace
            ));
        }
        Kind::Secret => {
            if let Some(ValueKind::List(items)) = fields.value("keys").map(|v| &v.kind) {
                facts.keys = items.iter().filter_map(word).collect();
            }
        }
        _ => {}
    }
    facts
}

fn summary(resolved: &Resolved<'_>, kind: Kind, decl: &Declaration) -> String {
    let name = &decl.name.text;
    let fields = resolved.effective(decl, None);
    let facts = facts(resolved, kind, decl);
    let mut lines = vec![format!("**{} `{name}`**", kind.keyword())];
    let port_list = |ports: &BTreeMap<String, String>| {
        ports
            .iter()
            .map(|(k, v)| format!("`{k}` = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        Kind::Service | Kind::Job | Kind::Chart => {
            lines.push(format!("namespace `{}`", facts.namespace));
            if let Some(host) = &facts.host {
                lines.push(format!("host `{host}`"));
            }
            if !facts.ports.is_empty() {
                lines.push(format!("ports {}", port_list(&facts.ports)));
            }
            if kind == Kind::Chart {
                if let Some(profile) = plain(&fields, "profile") {
                    lines.push(profile_text(&profile));
                }
            }
            if let Some(image) = plain(&fields, "image") {
                lines.push(format!("image `{image}`"));
            }
        }
        Kind::Kafka => {
            lines.push(format!("namespace `{}`", facts.namespace));
            if let Some(bootstrap) = &facts.host {
                lines.push(format!("bootstrap `{bootstrap}`"));
            }
            if let Some(brokers) = fields.value("brokers") {
                lines.push(format!("brokers {}", brokers_text(brokers)));
            }
        }
        Kind::Topic => {
            let real = plain(&fields, "name").unwrap_or_else(|| name.clone());
            lines.push(format!("Kafka topic `{real}`"));
            if let Some(kafka) = plain(&fields, "kafka") {
                lines.push(format!("on kafka `{kafka}`"));
            }
        }
        Kind::Secret => {
            lines.push(format!("namespace `{}`", facts.namespace));
            let keys: Vec<String> = facts.keys.iter().map(|k| format!("`{k}`")).collect();
            lines.push(format!("keys {}", keys.join(", ")));
        }
        Kind::Nodepool => {
            if let Some(count) = fields.value("count") {
                lines.push(format!("{} node(s)", brokers_text(count)));
            }
        }
        Kind::Env => {
            if let Some(destination) = plain(&fields, "destination") {
                lines.push(format!("destination `{destination}`"));
            }
        }
        Kind::Datasource => {
            if let Some(kind) = plain(&fields, "type") {
                lines.push(format!("type `{kind}`"));
            }
        }
        _ => {}
    }
    lines.join("  \n")
}

fn brokers_text(value: &Value) -> String {
    match &value.kind {
        ValueKind::Number(n) => n.text(),
        _ => "?".to_string(),
    }
}

fn profile_text(profile: &str) -> String {
    match crate::profile::builtin().get(profile) {
        Some(p) => format!(
            "profile `{profile}`: chart `{}` version `{}` from `{}`",
            p.chart, p.version, p.repo
        ),
        None => format!("profile `{profile}` (not in the standard library)"),
    }
}

/// The hover text (Markdown) of the thing at the cursor.
pub fn hover(project: &Project, target: &Target<'_>) -> Option<String> {
    let resolved = project.resolved();
    let describe = |kinds: &[Kind], name: &str| {
        declaration(&resolved, kinds, name).map(|(kind, decl)| summary(&resolved, kind, decl))
    };
    match target {
        Target::Declaration(decl) => {
            let kind = Kind::from_keyword(&decl.kind.text)?;
            Some(summary(&resolved, kind, decl))
        }
        Target::Name {
            expect: Expect::Kinds(kinds),
            name,
            ..
        } => describe(kinds, &name.text),
        Target::Name {
            expect: Expect::Namespace,
            name,
            ..
        } => Some(
            describe(&[Kind::Namespace], &name.text)
                .unwrap_or_else(|| format!("**namespace `{}`** (not declared)", name.text)),
        ),
        Target::Name {
            expect: Expect::Profile,
            name,
            ..
        } => Some(profile_text(&name.text)),
        Target::Name {
            expect: Expect::Port,
            name,
            owner,
        } => {
            let owner = (*owner)?;
            let kind = body_kind(owner)?;
            let facts = facts(&resolved, kind, owner);
            facts
                .ports
                .get(&name.text)
                .map(|p| format!("port `{}` = {p}", name.text))
        }
        Target::Extends { kind, name } => describe(&[*kind], &name.text),
        Target::Env(env) => describe(&[Kind::Env], &env.text),
        Target::SecretKey { secret, key } => {
            let decl = resolved.get(Kind::Secret, &secret.text)?;
            let facts = facts(&resolved, Kind::Secret, decl);
            let known = if facts.keys.contains(&key.text) {
                ""
            } else {
                " (not one of its keys)"
            };
            Some(format!(
                "key `{}` of secret `{}` in namespace `{}`{known}  \nrendered as a `secretKeyRef`",
                key.text, secret.text, facts.namespace
            ))
        }
        Target::Port { kind, owner, port } => {
            let decl = resolved.get(*kind, &owner.text)?;
            let facts = facts(&resolved, *kind, decl);
            facts
                .ports
                .get(&port.text)
                .map(|p| format!("`{}` port `{}` = **{p}**", owner.text, port.text))
        }
        Target::Attribute {
            kind,
            name,
            attribute,
        } => {
            let decl = resolved.get(*kind, &name.text)?;
            let facts = facts(&resolved, *kind, decl);
            let value = match (kind, attribute.text.as_str()) {
                (Kind::Service | Kind::Chart, "host") | (Kind::Kafka, "bootstrap") => facts.host,
                (Kind::Topic, "name") => {
                    let fields = resolved.effective(decl, None);
                    Some(plain(&fields, "name").unwrap_or_else(|| name.text.clone()))
                }
                _ => None,
            }?;
            Some(format!(
                "`{}.{}.{}` = `{value}`",
                kind.keyword(),
                name.text,
                attribute.text
            ))
        }
        Target::KeyOf { secret, key } => {
            let facts = facts(&resolved, Kind::Secret, secret);
            Some(format!(
                "key `{}` of secret `{}` in namespace `{}`",
                key.text, secret.name.text, facts.namespace
            ))
        }
        Target::Builtin(reference) => Some(match reference.segments[0].text.as_str() {
            "platform" => format!(
                "`platform.name` = `{}`",
                resolved.platform.map_or("?", |p| p.name.text.as_str())
            ),
            _ => "`env.name`: the environment being built (`default` when no env is declared)"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "platform shop { repo = \"https://git.example.com/shop.git\" }\n\
nodepool app { count = 2 }\n\
secret db { namespace = data  keys = [password] }\n\
chart pg { profile = postgresql  namespace = data }\n\
kafka events { namespace = kafka }\n\
topic orders { kafka = events  name = \"shop.orders\" }\n\
service api {\n  namespace = shop\n  image = \"x:1\"\n  nodepool = app\n  ports = { http = 8080 }\n  publishes = [orders]\n  env = { P = secret.db.password  H = \"${service.api.host}:${service.api.port.http}\"  T = topic.orders.name }\n  health { liveness = \"/\"  port = http }\n}\n";

    fn project() -> Project {
        Project::new(SourceMap::from_strings("/p", &[("a.platform", PROJECT)]))
    }

    fn at(needle: &str, nth: usize) -> usize {
        PROJECT
            .match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i + 1)
            .expect("needle")
    }

    fn hover_at(needle: &str, nth: usize) -> Option<String> {
        let project = project();
        let tree = project.tree(FileId(0)).expect("parsed");
        let target = locate(tree, at(needle, nth))?;
        hover(&project, &target)
    }

    fn definition_text(needle: &str, nth: usize) -> Option<String> {
        let project = project();
        let tree = project.tree(FileId(0)).expect("parsed");
        let target = locate(tree, at(needle, nth))?;
        definition(&project, &target).map(|s| PROJECT[s.start()..s.end()].to_string())
    }

    #[test]
    fn hover_shows_what_references_resolve_to() {
        assert_eq!(hover_at("service.api.host", 0).as_deref(), Some("**service `api`**  \nnamespace `shop`  \nhost `api.shop.svc.cluster.local`  \nports `http` = 8080  \nimage `x:1`"));
        assert_eq!(
            hover_at("host}", 0).as_deref(),
            Some("`service.api.host` = `api.shop.svc.cluster.local`")
        );
        assert_eq!(
            hover_at("http}", 0).as_deref(),
            Some("`api` port `http` = **8080**")
        );
        assert_eq!(
            hover_at("name }", 0).as_deref(),
            Some("`topic.orders.name` = `shop.orders`")
        );
        assert!(hover_at("password  H", 0)
            .expect("hover")
            .contains("namespace `data`"));
        assert!(hover_at("postgresql", 0)
            .expect("hover")
            .contains("chart `postgresql` version"));
        assert!(hover_at("= app", 0).is_none(), "on `=`");
        assert!(hover_at(" app\n", 0).expect("hover").contains("2 node(s)"));
    }

    #[test]
    fn definition_finds_declarations_keys_and_ports() {
        assert_eq!(definition_text(" app\n", 0).as_deref(), Some("app"));
        assert_eq!(definition_text("[orders]", 0).as_deref(), Some("orders"));
        assert_eq!(
            definition_text("password  H", 0).as_deref(),
            Some("password")
        );
        assert_eq!(definition_text("http}", 0).as_deref(), Some("http"));
        assert_eq!(definition_text(" http }", 0).as_deref(), Some("http"));
        assert_eq!(definition_text("= events", 0).map(|_| ()), None, "on `=`");
        assert_eq!(definition_text(" events ", 1).as_deref(), Some("events"));
        assert_eq!(
            definition_text("postgresql", 0),
            None,
            "profiles live in the standard library"
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    const PROJECT: &str = "platform shop { repo = \"r\" }\n\
env prod { destination = \"https://k\" }\n\
namespace web {}\n\
datasource prom { type = prometheus  url = \"http://p\" }\n\
service api { namespace = web  image = \"x:1\" }\n\
service worker extends api {\n  when prod { replicas = 2 }\n}\n\
dashboard d { datasource = prom  panel \"p\" { datasource = prom  query = \"up\" } }\n";

    fn definition_line(needle: &str, shift: usize) -> Option<usize> {
        let project = Project::new(SourceMap::from_strings("/p", &[("a.platform", PROJECT)]));
        let tree = project.tree(FileId(0)).expect("parsed");
        let offset = PROJECT.find(needle).expect("needle") + shift;
        let target = locate(tree, offset)?;
        let span = definition(&project, &target)?;
        Some(PROJECT[..span.start()].matches('\n').count() + 1)
    }

    #[test]
    fn definition_of_envs_parents_namespaces_and_datasources() {
        assert_eq!(definition_line("when prod", 6), Some(2));
        assert_eq!(definition_line("extends api", 9), Some(5));
        assert_eq!(definition_line("namespace = web", 13), Some(3));
        assert_eq!(definition_line("datasource = prom  panel", 14), Some(4));
        assert_eq!(definition_line("datasource = prom  query", 14), Some(4));
        assert_eq!(
            definition_line("worker", 0),
            Some(6),
            "a declaration's own name"
        );
        assert_eq!(
            definition_line("image", 0),
            None,
            "field names are not references"
        );
    }
}
