//! Resolution: binds every declaration name, checks the shape of every body
//! against its kind (unknown fields, attribute versus block, duplicates,
//! unknown environments) and computes, for each declaration and environment,
//! the effective fields after `defaults`, `extends` and `when ENV`.
//!
//! Merge order (LANGUAGE.md §3: defaults, then extends, then `when ENV`):
//! the layers are `defaults KIND`, the `extends` chain (farthest ancestor
//! first) and the declaration itself; each layer applies its base fields and
//! then its own `when ENV` overrides, and a later layer wins. So a child's
//! `ingress = none` also removes the ingress its parent added `when prod`. An attribute replaces what it inherits (a list or a map
//! too); a block merges field by field; `field = none` removes the field or
//! block; repeatable blocks (`rule`, `row`, `panel`) are replaced as a whole
//! by a body that has any.

mod merge;
pub mod suggest;

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Block, Body, Declaration, File, Item};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::DnsLabel;
use crate::kinds::{self, Field, Kind, Shape};
use crate::span::{FileId, Span};

pub use merge::{Entry, Fields, Instance};

/// The bound declarations of a project.
#[derive(Debug, Default)]
pub struct Resolved<'a> {
    pub platform: Option<&'a Declaration>,
    pub declarations: BTreeMap<Kind, BTreeMap<String, &'a Declaration>>,
    pub defaults: BTreeMap<Kind, &'a Declaration>,
    /// Declared environments, sorted.
    pub envs: BTreeSet<String>,
}

impl<'a> Resolved<'a> {
    /// Declarations of one kind, by name.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = (&String, &&'a Declaration)> {
        self.declarations
            .get(&kind)
            .into_iter()
            .flat_map(|m| m.iter())
    }

    /// Whether `kind NAME` is declared.
    pub fn has(&self, kind: Kind, name: &str) -> bool {
        self.declarations
            .get(&kind)
            .is_some_and(|m| m.contains_key(name))
    }

    /// The declaration `kind NAME`.
    pub fn get(&self, kind: Kind, name: &str) -> Option<&'a Declaration> {
        self.declarations
            .get(&kind)
            .and_then(|m| m.get(name))
            .copied()
    }

    /// Names declared with `kind`, sorted.
    pub fn names(&self, kind: Kind) -> Vec<&str> {
        self.of(kind).map(|(n, _)| n.as_str()).collect()
    }

    /// The effective fields of `decl` in `env` (`None`: the base, no `when`).
    pub fn effective(&self, decl: &'a Declaration, env: Option<&str>) -> Fields<'a> {
        let kind = Kind::from_keyword(&decl.kind.text)
            .expect("invariant: only declarations of known kinds are resolved");
        let mut chain = vec![decl];
        let mut seen = BTreeSet::from([decl.name.text.as_str()]);
        let mut current = decl;
        while let Some(parent) = current
            .extends
            .as_ref()
            .and_then(|p| self.get(kind, &p.text))
        {
            if !seen.insert(parent.name.text.as_str()) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        let mut layers: Vec<&Body> = Vec::new();
        if let Some(defaults) = self.defaults.get(&kind) {
            layers.push(&defaults.body);
        }
        layers.extend(chain.iter().rev().map(|d| &d.body));
        merge::effective(&layers, kind.fields(), env)
    }
}

/// Binds the names of all parsed files and checks the shape of every body.
pub fn resolve<'a>(files: &'a [(FileId, File)], diagnostics: &mut Vec<Diagnostic>) -> Resolved<'a> {
    // A file that failed to parse may hold the platform: only then is its absence news.
    let parse_failed = diagnostics.iter().any(|d| d.code == Code::Parse);
    let mut resolved = Resolved::default();
    let mut first_seen: BTreeMap<(Kind, String), Span> = BTreeMap::new();
    let all_decls: Vec<&Declaration> = files.iter().flat_map(|(_, f)| &f.declarations).collect();

    for decl in &all_decls {
        if decl.is_defaults() {
            bind_defaults(decl, &mut resolved, diagnostics);
            continue;
        }
        let Some(kind) = kind_of(&decl.kind, diagnostics) else {
            continue;
        };
        if let Err(why) = DnsLabel::new(&decl.name.text) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("`{}` is not a valid {} name: {why}", decl.name.text, kind.noun()),
                    decl.name.span,
                    "invalid name",
                )
                .with_help("names are DNS-1123 labels: at most 63 lowercase letters, digits and `-`, not ending with `-`"),
            );
        }
        let key = (kind, decl.name.text.clone());
        if kind == Kind::Platform {
            if let Some(first) = resolved.platform {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateDeclaration,
                        "a project has exactly one `platform` declaration",
                        decl.name.span,
                        "second platform declared here",
                    )
                    .with_label(first.name.span, "first declared here")
                    .with_help("merge the two into one `platform` block"),
                );
                continue;
            }
            resolved.platform = Some(decl);
        }
        if let Some(first) = first_seen.get(&key) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateDeclaration,
                    format!("{} `{}` is declared twice", kind.noun(), decl.name.text),
                    decl.name.span,
                    "declared again here",
                )
                .with_label(*first, "first declared here")
                .with_help("rename one of them or merge their bodies".to_string()),
            );
            continue;
        }
        first_seen.insert(key.clone(), decl.name.span);
        if kind == Kind::Env {
            resolved.envs.insert(decl.name.text.clone());
        }
        resolved
            .declarations
            .entry(kind)
            .or_default()
            .insert(key.1, decl);
    }

    if resolved.platform.is_none() && !parse_failed {
        // With no declaration at all (empty files, only comments) the
        // report points at the start of the first file: rendering must
        // never run without a platform.
        let at = all_decls
            .first()
            .map(|first| Span::new(first.span.file, first.span.start(), first.span.start()))
            .or_else(|| files.first().map(|(id, _)| Span::new(*id, 0, 0)));
        if let Some(at) = at {
            diagnostics.push(
                Diagnostic::new(
                    Code::MissingField,
                    "the project has no `platform` declaration",
                    at,
                    "no platform in any file",
                )
                .with_help("add `platform NAME { repo = \"https://…\" }` to one file"),
            );
        }
    }

    // Bodies are checked on all cores; the diagnostics keep declaration order.
    use rayon::prelude::*;
    let found: Vec<Vec<Diagnostic>> = all_decls
        .par_iter()
        .with_min_len(64)
        .map(|decl| {
            let mut found = Vec::new();
            check_extends(decl, &resolved, &mut found);
            let kind = if decl.is_defaults() {
                Kind::from_keyword(&decl.name.text)
            } else {
                Kind::from_keyword(&decl.kind.text)
            };
            if let Some(kind) = kind {
                check_body(
                    &decl.body,
                    kind.fields(),
                    kind.keyword(),
                    &resolved,
                    &mut found,
                );
            }
            found
        })
        .collect();
    diagnostics.extend(found.into_iter().flatten());
    resolved
}

fn kind_of(word: &crate::ast::Ident, diagnostics: &mut Vec<Diagnostic>) -> Option<Kind> {
    let kind = Kind::from_keyword(&word.text);
    if kind.is_none() {
        let keywords = Kind::ALL.iter().map(|k| k.keyword()).chain(["defaults"]);
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownKind,
                format!("unknown declaration kind `{}`", word.text),
                word.span,
                "not a declaration kind",
            )
            .with_help(suggest::did_you_mean(&word.text, keywords).unwrap_or_else(
                || {
                    format!(
                        "the kinds are {}",
                        Kind::ALL
                            .iter()
                            .map(|k| format!("`{}`", k.keyword()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )),
        );
    }
    kind
}

fn bind_defaults<'a>(
    decl: &'a Declaration,
    resolved: &mut Resolved<'a>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(kind) = kind_of(&decl.name, diagnostics) else {
        return;
    };
    if let Some(extends) = &decl.extends {
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownField,
                "`defaults` cannot extend a declaration",
                extends.span,
                "not allowed here",
            )
            .with_help("remove `extends`; defaults apply to every declaration of the kind"),
        );
    }
    if matches!(kind, Kind::Platform) {
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownReference,
                "`defaults platform` has nothing to apply to",
                decl.name.span,
                "there is only one platform",
            )
            .with_help("put these fields in the `platform` declaration"),
        );
        return;
    }
    if let Some(first) = resolved.defaults.get(&kind) {
        diagnostics.push(
            Diagnostic::new(
                Code::DuplicateDeclaration,
                format!("`defaults {}` is declared twice", kind.keyword()),
                decl.name.span,
                "declared again here",
            )
            .with_label(first.name.span, "first declared here")
            .with_help("merge the two blocks"),
        );
        return;
    }
    resolved.defaults.insert(kind, decl);
}

fn check_extends(decl: &Declaration, resolved: &Resolved<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(parent) = &decl.extends else { return };
    if decl.is_defaults() {
        return;
    }
    let Some(kind) = Kind::from_keyword(&decl.kind.text) else {
        return;
    };
    if !resolved.has(kind, &parent.text) {
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "`{}` extends unknown {} `{}`",
                    decl.name.text,
                    kind.noun(),
                    parent.text
                ),
                parent.span,
                format!("no {} with this name", kind.noun()),
            )
            .with_help(
                suggest::did_you_mean(&parent.text, resolved.names(kind))
                    .unwrap_or_else(|| format!("a {} can only extend another {0}", kind.keyword())),
            ),
        );
        return;
    }
    // Walk the chain; coming back to this declaration is a cycle, reported
    // once, on the declaration of the cycle whose name sorts first.
    let mut seen = BTreeSet::from([decl.name.text.as_str()]);
    let mut current = parent.text.as_str();
    while let Some(next) = resolved.get(kind, current) {
        if !seen.insert(current) {
            break;
        }
        match &next.extends {
            Some(p) if p.text == decl.name.text => {
                if seen.iter().next() != Some(&decl.name.text.as_str()) {
                    return;
                }
                diagnostics.push(
                    Diagnostic::new(
                        Code::ExtendsCycle,
                        format!("`{}` extends itself through `{}`", decl.name.text, current),
                        parent.span,
                        "this `extends` closes a cycle",
                    )
                    .with_help("remove one `extends` so the chain ends"),
                );
                return;
            }
            Some(p) => current = p.text.as_str(),
            None => return,
        }
    }
}

/// Checks a body against `fields`: unknown fields, attribute vs block, fields
/// set twice, `when` naming an unknown environment.
fn check_body(
    body: &Body,
    fields: &'static [Field],
    kind: &str,
    resolved: &Resolved<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for item in &body.items {
        match item {
            Item::When(when) => {
                if !resolved.envs.contains(&when.env.text) {
                    diagnostics.push(unknown_env(&when.env, resolved));
                }
                check_body(&when.body, fields, kind, resolved, diagnostics);
            }
            Item::Attribute(attr) => {
                let first = attr.path.segments.first().map_or("", String::as_str);
                let Some(field) = lookup(fields, first, attr.path.span, kind, diagnostics) else {
                    continue;
                };
                let dotted = attr.path.segments.len() > 1;
                match field.shape {
                    Shape::Attr | Shape::AttrNoneValue if dotted => diagnostics.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`{first}` is a value, not a block: `{}` has no fields",
                                first
                            ),
                            attr.path.span,
                            "dotted path into a plain value",
                        )
                        .with_help(format!("write `{first} = …`")),
                    ),
                    Shape::Block(_) | Shape::Multi(_) | Shape::Named(_)
                        if !dotted && !matches!(attr.value.kind, crate::ast::ValueKind::None) =>
                    {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                format!("`{first}` is a block, not a value"),
                                attr.value.span,
                                format!("found {}", attr.value.kind.describe()),
                            )
                            .with_help(format!("write `{first} {{ … }}`, or `{first} = none` to remove an inherited block")),
                        );
                    }
                    Shape::Block(inner) | Shape::Named(inner) if dotted => {
                        if let (Shape::Block(_), Some(second)) =
                            (field.shape, attr.path.segments.get(1))
                        {
                            lookup(inner, second, attr.path.span, first, diagnostics);
                        }
                    }
                    _ => {}
                }
                if !dotted && !attr.path.quoted {
                    duplicate_field(&mut seen, first, attr.path.span, diagnostics);
                }
            }
            Item::Block(block) => {
                check_block(block, fields, kind, resolved, &mut seen, diagnostics)
            }
        }
    }
}

fn check_block(
    block: &Block,
    fields: &'static [Field],
    kind: &str,
    resolved: &Resolved<'_>,
    seen: &mut BTreeMap<String, Span>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let first = block.path.segments.first().map_or("", String::as_str);
    let Some(field) = lookup(fields, first, block.path.span, kind, diagnostics) else {
        return;
    };
    if block.path.segments.len() > 1 && !matches!(field.shape, Shape::Free) {
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownField,
                "dotted block names are only allowed in `values` and `spec`".to_string(),
                block.path.span,
                "dotted name",
            )
            .with_help(format!("nest the blocks: `{first} {{ … }}`")),
        );
        return;
    }
    if block.label.is_some() && !matches!(field.shape, Shape::Multi(_)) {
        let label_span = block.label.as_ref().map_or(block.path.span, |l| l.span);
        diagnostics.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!("block `{first}` takes no label"),
                label_span,
                "unexpected label",
            )
            .with_help(format!("write `{first} {{ … }}`")),
        );
    }
    match field.shape {
        Shape::Attr | Shape::AttrNoneValue => diagnostics.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!("`{first}` is a value, not a block"),
                block.path.span,
                "written as a block",
            )
            .with_help(format!("write `{first} = …`")),
        ),
        Shape::Block(inner) => {
            duplicate_field(seen, first, block.path.span, diagnostics);
            check_body(&block.body, inner, first, resolved, diagnostics);
        }
        Shape::Multi(inner) => check_body(&block.body, inner, first, resolved, diagnostics),
        Shape::Named(_) | Shape::Free => {
            duplicate_field(seen, first, block.path.span, diagnostics);
            check_whens(&block.body, resolved, diagnostics);
        }
    }
}

/// `when` blocks nested anywhere inside a free-form block.
fn check_whens(body: &Body, resolved: &Resolved<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for item in &body.items {
        match item {
            Item::When(when) => {
                if !resolved.envs.contains(&when.env.text) {
                    diagnostics.push(unknown_env(&when.env, resolved));
                }
                check_whens(&when.body, resolved, diagnostics);
            }
            Item::Block(block) => check_whens(&block.body, resolved, diagnostics),
            Item::Attribute(_) => {}
        }
    }
}

fn unknown_env(env: &crate::ast::Ident, resolved: &Resolved<'_>) -> Diagnostic {
    let help = suggest::did_you_mean(&env.text, resolved.envs.iter().map(String::as_str))
        .unwrap_or_else(|| {
            format!(
                "declare it with `env {} {{ destination = \"…\" }}`",
                env.text
            )
        });
    Diagnostic::new(
        Code::UnknownEnv,
        format!("unknown environment `{}`", env.text),
        env.span,
        "not a declared env",
    )
    .with_help(help)
}

fn lookup(
    fields: &'static [Field],
    name: &str,
    span: Span,
    owner: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'static Field> {
    let found = kinds::find(fields, name);
    if found.is_none() {
        let names = fields.iter().map(|f| f.name);
        let help = suggest::did_you_mean(name, names).unwrap_or_else(|| {
            format!(
                "the fields here are {}",
                fields
                    .iter()
                    .map(|f| format!("`{}`", f.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        diagnostics.push(
            Diagnostic::new(
                Code::UnknownField,
                format!("`{owner}` has no field `{name}`"),
                span,
                "unknown field",
            )
            .with_help(help),
        );
    }
    found
}

fn duplicate_field(
    seen: &mut BTreeMap<String, Span>,
    name: &str,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(first) = seen.get(name) {
        diagnostics.push(
            Diagnostic::new(
                Code::DuplicateField,
                format!("`{name}` is set twice in this block"),
                span,
                "set again here",
            )
            .with_label(*first, "first set here")
            .with_help("keep one of them; use `when ENV { … }` for per-environment values"),
        );
    } else {
        seen.insert(name.to_string(), span);
    }
}
