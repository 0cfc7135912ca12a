//! Completion: what may be typed at a cursor, worked out from the text before
//! it with a small tolerant lexer (so it works while the file does not parse):
//! field names of the block the cursor is in (from `kinds.rs`, nested blocks
//! included), declaration kinds at the top level, declared names where a
//! field expects a reference (`nodepool = `, `publishes = [`, `talks-to = [`,
//! `when `, `extends `…), and the parts of a dotted reference (`secret.` →
//! secrets, `secret.S.` → its keys, `service.X.port.` → its ports). Pure.

use std::collections::BTreeSet;

use lsp_types::{CompletionItem, CompletionItemKind};

use super::analysis::{body_kind, expected, facts, Expect, Project};
use crate::kinds::{Field, Kind, Shape};
use crate::resolve::Resolved;

/// A token of the tolerant lexer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A key, name, number or dotted reference (`secret.db.password`).
    Word(String),
    /// A string literal or heredoc.
    Text,
    Punct(char),
}

/// Where the lexer stopped (at the cursor).
#[derive(Debug, PartialEq, Eq)]
enum End {
    Code,
    Comment,
    /// Inside a string; `Some(prefix)` inside an unclosed `${`.
    String(Option<String>),
    Heredoc,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn lex(text: &str) -> (Vec<Token>, End) {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            if i == chars.len() {
                return (tokens, End::Comment);
            }
        } else if c == '"' {
            i += 1;
            let mut interpolation: Option<String> = None;
            loop {
                let Some(&c) = chars.get(i) else {
                    return (tokens, End::String(interpolation));
                };
                match (c, interpolation.as_mut()) {
                    ('\\', _) => i += 1,
                    ('"' | '\n', None) => break,
                    ('$', None) if chars.get(i + 1) == Some(&'{') => {
                        interpolation = Some(String::new());
                        i += 1;
                    }
                    ('}', Some(_)) => interpolation = None,
                    (c, Some(prefix)) if word_char(c) => prefix.push(c),
                    (_, Some(prefix)) => prefix.clear(),
                    _ => {}
                }
                i += 1;
            }
            tokens.push(Token::Text);
        } else if c == '<'
            && chars.get(i + 1) == Some(&'<')
            && chars.get(i + 2).is_some_and(char::is_ascii_uppercase)
        {
            let tag: String = chars[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '_')
                .collect();
            let rest: String = chars[i..].iter().collect();
            let mut closed = None;
            let mut offset = rest.find('\n').map_or(rest.len(), |n| n + 1);
            for line in rest.get(offset..).unwrap_or("").split_inclusive('\n') {
                let trimmed = line.trim_start_matches([' ', '\t']);
                if trimmed
                    .strip_prefix(tag.as_str())
                    .is_some_and(|after| !after.starts_with(word_char))
                {
                    closed = Some(offset + (line.len() - trimmed.len()) + tag.len());
                    break;
                }
                offset += line.len();
            }
            match closed {
                Some(end) => {
                    i += rest[..end].chars().count();
                    tokens.push(Token::Text);
                    continue;
                }
                None => return (tokens, End::Heredoc),
            }
        } else if word_char(c) {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
            continue;
        } else if "{}[]()=,".contains(c) {
            tokens.push(Token::Punct(c));
        }
        i += 1;
    }
    (tokens, End::Code)
}

/// One open bracket.
#[derive(Debug, Clone)]
enum Frame {
    /// A declaration body (`kind` is the defaulted kind for `defaults`).
    Declaration(Option<Kind>),
    /// `field { … }`, `field "label" { … }`.
    Block(String),
    /// `when ENV { … }`.
    When,
    /// `field = { … }` (and maps nested in it).
    Map(String),
    /// `field = [ … ]`.
    List(String),
    Paren,
}

/// Where the current statement of a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of an item.
    Key,
    /// After the words of a key (`when prod`, `panel "x"`).
    AfterKey,
    /// After `=`.
    AfterEq,
    /// After a value.
    AfterValue,
}

/// What the cursor is about to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// A declaration kind or `defaults`.
    TopLevel,
    /// The kind after `defaults`.
    DefaultsKind,
    /// The parent after `KIND NAME extends`.
    Extends(Kind),
    /// A field of a block of `kind` at `path` (block names).
    Field {
        kind: Kind,
        path: Vec<String>,
    },
    /// The environment after `when`.
    Env,
    /// A value of the field at `path` in a declaration of `kind`.
    Value {
        kind: Kind,
        path: Vec<String>,
    },
    /// A dotted reference; the segments before the last `.`.
    Reference(Vec<String>),
    Nothing,
}

/// The completion context at byte `offset` of `text`.
pub fn context(text: &str, offset: usize) -> Context {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let (mut tokens, end) = lex(before);
    match end {
        End::Comment | End::Heredoc | End::String(None) => return Context::Nothing,
        End::String(Some(prefix)) => return reference_context(&prefix).unwrap_or(Context::Nothing),
        End::Code => {}
    }
    // The word being typed is not part of the structure.
    let partial = match tokens.last() {
        Some(Token::Word(w)) if before.ends_with(w.as_str()) => w.clone(),
        _ => String::new(),
    };
    if !partial.is_empty() {
        tokens.pop();
        if partial.contains('.') {
            if let Some(context) = reference_context(&partial) {
                return context;
            }
        }
    }
    structure(&tokens)
}

/// `secret.db.` → `Reference(["secret", "db"])`, for reference heads only.
fn reference_context(partial: &str) -> Option<Context> {
    let mut segments: Vec<String> = partial.split('.').map(str::to_string).collect();
    segments.pop();
    let head = segments.first().map(String::as_str).unwrap_or("");
    let known = segments.is_empty()
        || matches!(
            head,
            "secret" | "service" | "chart" | "kafka" | "topic" | "platform" | "env"
        );
    known.then_some(Context::Reference(segments))
}

/// Walks the tokens before the cursor, keeping the open brackets and the
/// state of the current statement of each.
fn structure(tokens: &[Token]) -> Context {
    let mut frames: Vec<(Frame, State, Vec<String>)> = Vec::new();
    let mut top: (State, Vec<String>) = (State::Key, Vec::new());
    for token in tokens {
        let at_top = frames.is_empty();
        let in_value = matches!(
            frames.last(),
            Some((Frame::Map(_) | Frame::List(_) | Frame::Paren, ..))
        );
        let (state, words) = match frames.last_mut() {
            Some((_, state, words)) => (state, words),
            None => (&mut top.0, &mut top.1),
        };
        match token {
            Token::Word(w) => match *state {
                State::Key | State::AfterValue => {
                    *state = State::AfterKey;
                    words.clear();
                    words.push(w.clone());
                }
                State::AfterKey => words.push(w.clone()),
                State::AfterEq => *state = State::AfterValue,
            },
            Token::Text => match *state {
                State::AfterEq => *state = State::AfterValue,
                State::AfterKey => words.push("\"label\"".to_string()),
                State::Key | State::AfterValue => *state = State::AfterValue,
            },
            Token::Punct('=') => *state = State::AfterEq,
            Token::Punct(',') => {
                if *state != State::AfterEq {
                    *state = State::Key;
                    words.clear();
                }
            }
            Token::Punct(open @ ('{' | '[' | '(')) => {
                let after_eq = *state == State::AfterEq;
                let key = words.first().cloned().unwrap_or_default();
                let frame = match open {
                    '[' => Frame::List(key),
                    '(' => Frame::Paren,
                    _ if at_top => {
                        let kind = match words.as_slice() {
                            [d, kind, ..] if d == "defaults" => Kind::from_keyword(kind),
                            [kind, ..] => Kind::from_keyword(kind),
                            [] => None,
                        };
                        Frame::Declaration(kind)
                    }
                    _ if after_eq || in_value => Frame::Map(key),
                    _ if words.first().is_some_and(|w| w == "when") => Frame::When,
                    _ => Frame::Block(key),
                };
                frames.push((frame, State::Key, Vec::new()));
            }
            Token::Punct('}' | ']' | ')') => {
                frames.pop();
                match frames.last_mut() {
                    Some((_, state, words)) => {
                        *state = State::AfterValue;
                        words.clear();
                    }
                    None => top = (State::Key, Vec::new()),
                }
            }
            Token::Punct(_) => {}
        }
    }
    let Some((frame, state, words)) = frames.last() else {
        return match (top.0, top.1.as_slice()) {
            (State::Key | State::AfterValue, _) => Context::TopLevel,
            (State::AfterKey, [d]) if d == "defaults" => Context::DefaultsKind,
            (State::AfterKey, [kind, _, extends]) if extends == "extends" => {
                Kind::from_keyword(kind).map_or(Context::Nothing, Context::Extends)
            }
            _ => Context::Nothing,
        };
    };
    let Some((kind, mut path)) = location(&frames) else {
        return Context::Nothing;
    };
    match (frame, state) {
        (Frame::List(_) | Frame::Paren, _) => Context::Value { kind, path },
        (Frame::Map(_), State::AfterEq) => {
            path.extend(words.first().cloned());
            Context::Value { kind, path }
        }
        (Frame::Map(_), _) => Context::Nothing,
        (_, State::Key | State::AfterValue) => Context::Field { kind, path },
        (_, State::AfterKey) if words.as_slice() == ["when"] => Context::Env,
        (_, State::AfterKey) => Context::Nothing,
        (_, State::AfterEq) => {
            path.extend(
                words
                    .first()
                    .map(|w| w.split('.').map(str::to_string))
                    .into_iter()
                    .flatten(),
            );
            Context::Value { kind, path }
        }
    }
}

/// The declaration kind and the path of block, map and list names to the innermost frame.
fn location(frames: &[(Frame, State, Vec<String>)]) -> Option<(Kind, Vec<String>)> {
    let mut kind = None;
    let mut path = Vec::new();
    for (frame, ..) in frames {
        match frame {
            Frame::Declaration(k) => kind = *k,
            Frame::Block(name) | Frame::Map(name) | Frame::List(name) => {
                path.extend(name.split('.').map(str::to_string));
            }
            Frame::When | Frame::Paren => {}
        }
    }
    kind.map(|k| (k, path))
}

/// The fields of the block at `path` in a body of `kind`.
fn fields_at(kind: Kind, path: &[String]) -> Option<&'static [Field]> {
    let mut fields = kind.fields();
    for name in path {
        let field = fields.iter().find(|f| f.name == name)?;
        fields = match field.shape {
            Shape::Block(inner) | Shape::Multi(inner) => inner,
            Shape::Attr | Shape::AttrNoneValue | Shape::Free | Shape::Named(_) => return None,
        };
    }
    Some(fields)
}

fn item(label: &str, kind: CompletionItemKind, detail: impl Into<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.into()).filter(|d: &String| !d.is_empty()),
        ..CompletionItem::default()
    }
}

/// Declared names of `kind`: those the project resolved plus those declared
/// in `text` (the document being edited, which may not parse).
fn names(resolved: &Resolved<'_>, text: &str, kind: Kind) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = resolved
        .names(kind)
        .into_iter()
        .map(str::to_string)
        .collect();
    out.extend(
        declared_in_text(text)
            .into_iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n),
    );
    out
}

/// `KIND NAME` pairs at the top level of `text`, found by the tolerant lexer.
fn declared_in_text(text: &str) -> Vec<(Kind, String)> {
    let (tokens, _) = lex(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut words: Vec<&str> = Vec::new();
    for token in &tokens {
        match token {
            Token::Punct('{' | '[' | '(') => {
                if depth == 0 {
                    if let [kind, name, ..] = words.as_slice() {
                        if let Some(kind) = Kind::from_keyword(kind) {
                            out.push((kind, (*name).to_string()));
                        }
                    }
                }
                depth += 1;
            }
            Token::Punct('}' | ']' | ')') => {
                depth = depth.saturating_sub(1);
                words.clear();
            }
            Token::Word(w) if depth == 0 => words.push(w),
            _ => {}
        }
    }
    out
}

fn kind_items(resolved: &Resolved<'_>, text: &str, kinds: &[Kind]) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    for kind in kinds {
        for name in names(resolved, text, *kind) {
            out.push(item(&name, CompletionItemKind::REFERENCE, kind.noun()));
        }
    }
    out
}

/// Words a few fields take besides names.
fn enumerated(path: &[String]) -> &'static [&'static str] {
    match path.last().map(String::as_str) {
        Some("cluster") => &["k3d", "kind", "none"],
        Some("network") => &["isolated", "open"],
        Some("access") => &["admin", "edit", "view"],
        Some("authentication") => &["scram-sha-512", "tls", "none"],
        Some("scope") => &["cluster", "namespace"],
        Some(
            "auto-sync" | "default" | "metrics" | "reload-on-change" | "read-only-root"
            | "host-network",
        ) => &["true", "false"],
        _ => &[],
    }
}

/// The project with the document `name` edited so that it parses, when it
/// does not: the half-typed word at `offset` is replaced by a value, by an
/// attribute, or its line is dropped (the first that parses wins).
fn repaired(project: &Project, name: &str, offset: usize) -> Option<Project> {
    let id = project.file_id(name)?;
    if project.tree(id).is_some() {
        return None;
    }
    let text = &project.sources.file(id).text;
    let offset = offset.min(text.len());
    let start = text[..offset]
        .rfind(|c: char| !word_char(c))
        .map_or(0, |i| i + 1);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let candidates = [
        format!("{}none{}", &text[..start], &text[offset..]),
        format!("{}x = none{}", &text[..start], &text[offset..]),
        format!("{}{}", &text[..line_start], &text[line_end..]),
    ];
    candidates.into_iter().find_map(|candidate| {
        let mut sources = project.sources.clone();
        sources.files[id.0 as usize].text = candidate;
        let fixed = Project::new(sources);
        fixed.tree(id).is_some().then_some(fixed)
    })
}

/// Completion items at byte `offset` of the document `name` of `project`.
pub fn complete(project: &Project, name: &str, offset: usize) -> Vec<CompletionItem> {
    let Some(id) = project.file_id(name) else {
        return Vec::new();
    };
    let text = project.sources.file(id).text.as_str();
    let fixed = repaired(project, name, offset);
    let project = fixed.as_ref().unwrap_or(project);
    let resolved = project.resolved();
    match context(text, offset) {
        Context::TopLevel | Context::DefaultsKind => {
            let mut out: Vec<CompletionItem> = Kind::ALL
                .iter()
                .map(|k| item(k.keyword(), CompletionItemKind::KEYWORD, "declaration kind"))
                .collect();
            if context(text, offset) == Context::TopLevel {
                out.push(item(
                    "defaults",
                    CompletionItemKind::KEYWORD,
                    "defaults for every declaration of a kind",
                ));
            }
            out
        }
        Context::Extends(kind) => kind_items(&resolved, text, &[kind]),
        Context::Env => kind_items(&resolved, text, &[Kind::Env]),
        Context::Field { kind, path } => {
            let Some(fields) = fields_at(kind, &path) else {
                return Vec::new();
            };
            let mut out: Vec<CompletionItem> = fields
                .iter()
                .map(|f| {
                    let (kind, detail) = match f.shape {
                        Shape::Attr | Shape::AttrNoneValue => {
                            (CompletionItemKind::FIELD, "attribute")
                        }
                        Shape::Block(_) => (CompletionItemKind::STRUCT, "block"),
                        Shape::Multi(_) => (CompletionItemKind::STRUCT, "repeatable block"),
                        Shape::Free => (CompletionItemKind::STRUCT, "free-form values"),
                        Shape::Named(_) => (CompletionItemKind::STRUCT, "named entries"),
                    };
                    item(f.name, kind, detail)
                })
                .collect();
            out.push(item(
                "when",
                CompletionItemKind::KEYWORD,
                "per-environment overrides",
            ));
            out
        }
        Context::Value { kind, path } => {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            let mut out = match expected(kind, &refs) {
                Some(Expect::Kinds(kinds)) => kind_items(&resolved, text, &kinds),
                Some(Expect::Namespace) => namespaces(&resolved, text),
                Some(Expect::Profile) => crate::profile::builtin()
                    .iter()
                    .map(|p| {
                        item(
                            &p.name,
                            CompletionItemKind::MODULE,
                            format!("{} {}", p.chart, p.version),
                        )
                    })
                    .collect(),
                Some(Expect::Port) => current_ports(project, &resolved, name, offset),
                None => Vec::new(),
            };
            out.extend(
                enumerated(&path)
                    .iter()
                    .map(|w| item(w, CompletionItemKind::VALUE, "")),
            );
            out
        }
        Context::Reference(segments) => reference_items(&resolved, text, &segments),
        Context::Nothing => Vec::new(),
    }
}

/// Namespaces declared, or used as a `namespace` anywhere in the project.
fn namespaces(resolved: &Resolved<'_>, text: &str) -> Vec<CompletionItem> {
    let mut all = names(resolved, text, Kind::Namespace);
    for kind in Kind::ALL {
        for (_, decl) in resolved.of(*kind) {
            if matches!(
                kind,
                Kind::Service
                    | Kind::Job
                    | Kind::Chart
                    | Kind::Kafka
                    | Kind::Secret
                    | Kind::Resource
            ) {
                let ns = facts(resolved, *kind, decl).namespace;
                if !ns.is_empty() {
                    all.insert(ns);
                }
            }
        }
    }
    all.iter()
        .map(|n| item(n, CompletionItemKind::MODULE, "namespace"))
        .collect()
}

/// Port names of the declaration the cursor is in.
fn current_ports(
    project: &Project,
    resolved: &Resolved<'_>,
    name: &str,
    offset: usize,
) -> Vec<CompletionItem> {
    let Some(tree) = project.file_id(name).and_then(|id| project.tree(id)) else {
        return Vec::new();
    };
    let Some(decl) = tree
        .declarations
        .iter()
        .find(|d| d.span.start() <= offset && offset <= d.span.end())
    else {
        return Vec::new();
    };
    let Some(kind) = body_kind(decl) else {
        return Vec::new();
    };
    facts(resolved, kind, decl)
        .ports
        .iter()
        .map(|(name, port)| item(name, CompletionItemKind::VALUE, format!("port {port}")))
        .collect()
}

fn reference_items(
    resolved: &Resolved<'_>,
    text: &str,
    segments: &[String],
) -> Vec<CompletionItem> {
    let words = |list: &[(&str, &str)]| -> Vec<CompletionItem> {
        list.iter()
            .map(|(w, d)| item(w, CompletionItemKind::PROPERTY, *d))
            .collect()
    };
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    match parts.as_slice() {
        [] => words(&[
            ("secret", "secret.S.KEY: a secretKeyRef"),
            ("service", "service.X.host, service.X.port.P"),
            ("chart", "chart.X.host, chart.X.port.P"),
            ("kafka", "kafka.K.bootstrap"),
            ("topic", "topic.T.name"),
            ("platform", "platform.name"),
            ("env", "env.name"),
        ]),
        ["platform" | "env"] => words(&[("name", "")]),
        [head] => Kind::from_keyword(head)
            .map(|k| kind_items(resolved, text, &[k]))
            .unwrap_or_default(),
        ["service" | "chart", _] => words(&[
            ("host", "NAME.NAMESPACE.svc.cluster.local"),
            ("port", "port.P: a port number"),
        ]),
        ["kafka", _] => words(&[("bootstrap", "the bootstrap address")]),
        ["topic", _] => words(&[("name", "the Kafka topic name")]),
        ["secret", name] => resolved
            .get(Kind::Secret, name)
            .map(|decl| {
                let facts = facts(resolved, Kind::Secret, decl);
                facts
                    .keys
                    .iter()
                    .map(|k| {
                        item(
                            k,
                            CompletionItemKind::PROPERTY,
                            format!("key of secret `{name}`"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        [head @ ("service" | "chart"), name, "port"] => {
            let kind = if *head == "service" {
                Kind::Service
            } else {
                Kind::Chart
            };
            resolved
                .get(kind, name)
                .map(|decl| {
                    facts(resolved, kind, decl)
                        .ports
                        .iter()
                        .map(|(p, n)| item(p, CompletionItemKind::VALUE, format!("port {n}")))
                        .collect()
                })
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn ctx(text_with_cursor: &str) -> Context {
        let offset = text_with_cursor.find('|').expect("cursor");
        let text = text_with_cursor.replace('|', "");
        context(&text, offset)
    }

    fn path(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn contexts_follow_the_structure_before_the_cursor() {
        assert_eq!(ctx("|"), Context::TopLevel);
        assert_eq!(ctx("nodepool a {}\nser|"), Context::TopLevel);
        assert_eq!(ctx("defaults |"), Context::DefaultsKind);
        assert_eq!(ctx("service b extends |"), Context::Extends(Kind::Service));
        assert_eq!(
            ctx("service a {\n  |"),
            Context::Field {
                kind: Kind::Service,
                path: vec![]
            }
        );
        assert_eq!(
            ctx("service a {\n  image = \"x\"\n  res|"),
            Context::Field {
                kind: Kind::Service,
                path: vec![]
            }
        );
        assert_eq!(
            ctx("service a { resources { cpu = 1  |"),
            Context::Field {
                kind: Kind::Service,
                path: path(&["resources"])
            }
        );
        assert_eq!(
            ctx("service a { autoscale { kafka-lag { |"),
            Context::Field {
                kind: Kind::Service,
                path: path(&["autoscale", "kafka-lag"])
            }
        );
        assert_eq!(
            ctx("dashboard d { row \"r\" { panel \"p\" { |"),
            Context::Field {
                kind: Kind::Dashboard,
                path: path(&["row", "panel"])
            }
        );
        assert_eq!(
            ctx("service a { when prod { |"),
            Context::Field {
                kind: Kind::Service,
                path: vec![]
            }
        );
        assert_eq!(ctx("service a { when |"), Context::Env);
        assert_eq!(
            ctx("service a { nodepool = |"),
            Context::Value {
                kind: Kind::Service,
                path: path(&["nodepool"])
            }
        );
        assert_eq!(
            ctx("service a { nodepool = ap|"),
            Context::Value {
                kind: Kind::Service,
                path: path(&["nodepool"])
            }
        );
        assert_eq!(
            ctx("service a { publishes = [x, |"),
            Context::Value {
                kind: Kind::Service,
                path: path(&["publishes"])
            }
        );
        assert_eq!(
            ctx("service a {\n  talks-to = [\n    db,\n    |"),
            Context::Value {
                kind: Kind::Service,
                path: path(&["talks-to"])
            }
        );
        assert_eq!(
            ctx("defaults job { nodepool = |"),
            Context::Value {
                kind: Kind::Job,
                path: path(&["nodepool"])
            }
        );
        assert_eq!(
            ctx("service a { env = { A = secret.|"),
            Context::Reference(path(&["secret"]))
        );
        assert_eq!(
            ctx("service a { env = { A = secret.db.|"),
            Context::Reference(path(&["secret", "db"]))
        );
        assert_eq!(
            ctx("service a { env = { A = \"${service.api.|"),
            Context::Reference(path(&["service", "api"]))
        );
        assert_eq!(ctx("service a { env = { A = \"text |"), Context::Nothing);
        assert_eq!(ctx("service a { # nodepool = |"), Context::Nothing);
        assert_eq!(ctx("service a { env = { |"), Context::Nothing);
        assert_eq!(ctx("dashboard d { query = <<EOT\nsum(|"), Context::Nothing);
        assert_eq!(
            ctx("dashboard d { query = <<EOT\nsum\nEOT\n  |"),
            Context::Field {
                kind: Kind::Dashboard,
                path: vec![]
            }
        );
    }

    fn labels(text_with_cursor: &str) -> Vec<String> {
        let offset = text_with_cursor.find('|').expect("cursor");
        let text = text_with_cursor.replace('|', "");
        let project = Project::new(SourceMap::from_strings("/p", &[("a.platform", &text)]));
        complete(&project, "a.platform", offset)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    const BASE: &str = "platform p { repo = \"r\" }\nnodepool app {}\nnodepool db {}\nsecret creds { keys = [user, password] }\nchart pg { profile = postgresql }\nkafka k {}\ntopic orders {}\nenv prod { destination = \"d\" }\n";

    #[test]
    fn names_keys_ports_and_fields_are_offered() {
        assert_eq!(
            labels(&format!("{BASE}service a {{ nodepool = | }}")),
            ["app", "db"]
        );
        assert_eq!(
            labels(&format!("{BASE}service a {{ publishes = [|] }}")),
            ["orders"]
        );
        assert_eq!(
            labels(&format!("{BASE}service a {{ talks-to = [|] }}")),
            ["a", "pg", "k"]
        );
        assert_eq!(
            labels(&format!("{BASE}service a {{ env = {{ X = secret.| }} }}")),
            ["creds"]
        );
        assert_eq!(
            labels(&format!(
                "{BASE}service a {{ env = {{ X = secret.creds.| }} }}"
            )),
            ["user", "password"]
        );
        assert_eq!(
            labels(&format!(
                "{BASE}service a {{ env = {{ X = chart.pg.port.| }} }}"
            )),
            ["postgresql"]
        );
        assert_eq!(labels(&format!("{BASE}service a {{ when | }}")), ["prod"]);
        let fields = labels(&format!("{BASE}service a {{ resources {{ | }} }}"));
        assert_eq!(fields, ["cpu", "memory", "when"]);
        let fields = labels(&format!("{BASE}service a {{ | }}"));
        assert!(fields.contains(&"image".to_string()) && fields.contains(&"autoscale".to_string()));
        assert!(
            labels(&format!("{BASE}chart c {{ profile = | }}")).contains(&"postgresql".to_string())
        );
        assert!(labels(&format!("{BASE}|")).contains(&"defaults".to_string()));
    }
}
