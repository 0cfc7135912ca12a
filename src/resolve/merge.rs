//! Computing effective fields: layers of bodies merged in order (see the
//! parent module for the rules). Pure and infallible: shape problems were
//! reported by the checks in `resolve`, and merging simply keeps going.

use std::borrow::Cow;

use crate::ast::{Body, Item, StringLit, Value, ValueKind};
use crate::kinds::{self, Field, Shape};
use crate::span::Span;

/// The merged fields of one body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields<'a> {
    pub entries: FieldMap<'a>,
}

/// Fields by name, in name order: a sorted vector, not a `BTreeMap`. A
/// body has a handful of fields, and every declaration of a project has its
/// merged fields alive at once while lowering, so the map's size is memory
/// first touched (a B-tree leaf has room for eleven entries, an owned key is
/// one more allocation). Names borrow from the syntax tree where they can.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMap<'a> {
    sorted: Vec<(Cow<'a, str>, Entry<'a>)>,
}

impl<'a> FieldMap<'a> {
    fn position(&self, name: &str) -> Result<usize, usize> {
        self.sorted.binary_search_by(|(key, _)| (**key).cmp(name))
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Entry<'a>> {
        self.position(name).ok().map(|i| &self.sorted[i].1)
    }

    /// The entry named `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Entry<'a>> {
        self.position(name).ok().map(|i| &mut self.sorted[i].1)
    }

    /// Sets `name` to `entry`, replacing the entry it had.
    pub fn insert(&mut self, name: impl Into<Cow<'a, str>>, entry: Entry<'a>) {
        let name = name.into();
        match self.position(&name) {
            Ok(i) => self.sorted[i].1 = entry,
            Err(i) => self.sorted.insert(i, (name, entry)),
        }
    }

    /// The entry named `name`, inserted as `entry` first if there is none.
    pub fn get_or_insert(&mut self, name: &'a str, entry: Entry<'a>) -> &mut Entry<'a> {
        let i = match self.position(name) {
            Ok(i) => i,
            Err(i) => {
                self.sorted.insert(i, (Cow::Borrowed(name), entry));
                i
            }
        };
        &mut self.sorted[i].1
    }

    /// Removes the entry named `name`, if any.
    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.position(name) {
            self.sorted.remove(i);
        }
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.sorted.iter().map(|(key, _)| &**key)
    }

    /// Names and entries, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry<'a>)> {
        self.sorted.iter().map(|(key, entry)| (&**key, entry))
    }
}

impl<'m, 'a> IntoIterator for &'m FieldMap<'a> {
    type Item = (&'m str, &'m Entry<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'m, (Cow<'a, str>, Entry<'a>)>,
        fn(&'m (Cow<'a, str>, Entry<'a>)) -> (&'m str, &'m Entry<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter().map(|(key, entry)| (&**key, entry))
    }
}

/// One merged field.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    /// `field = value`, with the span of the field name.
    Value { key: Span, value: &'a Value },
    /// `field { … }`, with the span of the block name it last came from.
    Block { key: Span, fields: Fields<'a> },
    /// Repeatable blocks in source order.
    Multi(Vec<Instance<'a>>),
}

/// One instance of a repeatable block.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance<'a> {
    pub label: Option<&'a StringLit>,
    pub key: Span,
    pub fields: Fields<'a>,
}

impl<'a> Fields<'a> {
    /// The value of an attribute.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        match self.entries.get(name) {
            Some(Entry::Value { value, .. }) => Some(value),
            _ => None,
        }
    }

    /// A nested block and the span of its name.
    pub fn block(&self, name: &str) -> Option<(&Fields<'a>, Span)> {
        match self.entries.get(name) {
            Some(Entry::Block { key, fields }) => Some((fields, *key)),
            _ => None,
        }
    }

    /// Instances of a repeatable block.
    pub fn multi(&self, name: &str) -> &[Instance<'a>] {
        match self.entries.get(name) {
            Some(Entry::Multi(list)) => list,
            _ => &[],
        }
    }
}

/// Which items of a body a pass applies.
#[derive(Clone, Copy, PartialEq)]
enum Pass<'e> {
    /// Everything but `when` blocks.
    Base,
    /// Only the contents of `when ENV` blocks (found at any depth).
    Env(&'e str),
}

/// Merges `layers` (lowest precedence first) for `env`.
pub(super) fn effective<'a>(
    layers: &[&'a Body],
    fields: &'static [Field],
    env: Option<&str>,
) -> Fields<'a> {
    let mut out = Fields::default();
    for body in layers {
        apply(&mut out, body, Some(fields), Pass::Base, env);
        if let Some(env) = env {
            apply(&mut out, body, Some(fields), Pass::Env(env), Some(env));
        }
    }
    out
}

/// Applies one body. `schema` is `None` inside free-form maps.
fn apply<'a>(
    out: &mut Fields<'a>,
    body: &'a Body,
    schema: Option<&'static [Field]>,
    pass: Pass<'_>,
    env: Option<&str>,
) {
    // The first body of a map sizes it: one entry per item at most. Every
    // declaration's merged fields are alive together while lowering, and a
    // vector grown by doubling from four was a third empty (10,000
    // services: 7 MB of memory first touched).
    if out.entries.sorted.is_empty() {
        out.entries.sorted.reserve_exact(body.items.len());
    }
    // A body that has instances of a repeatable block replaces inherited ones.
    let mut replaced_multi: Vec<&str> = Vec::new();
    for item in &body.items {
        match item {
            Item::When(when) => {
                if let Pass::Env(wanted) = pass {
                    if when.env.text == wanted {
                        apply(out, &when.body, schema, Pass::Base, env);
                        apply(out, &when.body, schema, pass, env);
                    }
                }
            }
            Item::Attribute(attr) => {
                if pass != Pass::Base {
                    continue;
                }
                let segments: Vec<&str> = attr.path.segments.iter().map(String::as_str).collect();
                let none_is_value = segments.len() == 1
                    && schema
                        .and_then(|s| kinds::find(s, segments[0]))
                        .is_some_and(|f| f.shape == Shape::AttrNoneValue);
                set_path(out, &segments, attr.path.span, &attr.value, none_is_value);
            }
            Item::Block(block) => {
                let segments: Vec<&str> = block.path.segments.iter().map(String::as_str).collect();
                let Some((first, _)) = segments.split_first() else {
                    continue;
                };
                let field = schema.and_then(|s| kinds::find(s, first));
                match field.map(|f| f.shape) {
                    Some(Shape::Multi(inner)) => {
                        if pass != Pass::Base {
                            continue;
                        }
                        let mut fields = Fields::default();
                        apply(&mut fields, &block.body, Some(inner), Pass::Base, env);
                        if let Some(env) = env {
                            apply(
                                &mut fields,
                                &block.body,
                                Some(inner),
                                Pass::Env(env),
                                Some(env),
                            );
                        }
                        let instance = Instance {
                            label: block.label.as_deref(),
                            key: block.path.span,
                            fields,
                        };
                        let entry = out.entries.get_or_insert(first, Entry::Multi(Vec::new()));
                        if !replaced_multi.contains(first) {
                            replaced_multi.push(first);
                            *entry = Entry::Multi(Vec::new());
                        }
                        if let Entry::Multi(list) = entry {
                            list.push(instance);
                        }
                    }
                    shape => {
                        let inner = match shape {
                            Some(Shape::Block(inner)) => Some(inner),
                            _ => None,
                        };
                        let target = block_at(out, &segments, block.path.span, pass == Pass::Base);
                        if let Some(target) = target {
                            apply(target, &block.body, inner, pass, env);
                        }
                    }
                }
            }
        }
    }
}

/// The block at `segments`, created (or turned from a value into a block)
/// when `create` is set.
fn block_at<'a, 'o>(
    out: &'o mut Fields<'a>,
    segments: &[&'a str],
    key: Span,
    create: bool,
) -> Option<&'o mut Fields<'a>> {
    let mut current = out;
    for segment in segments {
        let exists = matches!(current.entries.get(segment), Some(Entry::Block { .. }));
        if !exists {
            if !create {
                return None;
            }
            current.entries.insert(
                *segment,
                Entry::Block {
                    key,
                    fields: Fields::default(),
                },
            );
        }
        match current.entries.get_mut(segment) {
            Some(Entry::Block { key: k, fields }) => {
                *k = key;
                current = fields;
            }
            _ => unreachable!("invariant: block entry was just ensured"),
        }
    }
    Some(current)
}

fn set_path<'a>(
    out: &mut Fields<'a>,
    segments: &[&'a str],
    key: Span,
    value: &'a Value,
    none_is_value: bool,
) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let Some(target) = block_at(out, parents, key, true) else {
        return;
    };
    if matches!(value.kind, ValueKind::None) && !none_is_value {
        target.entries.remove(last);
    } else {
        target.entries.insert(*last, Entry::Value { key, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Kind;
    use crate::parse::parse_file;
    use crate::source::SourceMap;

    fn bodies(text: &str) -> crate::ast::File {
        let sources = SourceMap::from_strings(".", &[("t.platform", text)]);
        parse_file(&sources.files[0]).expect("test input parses")
    }

    fn show(fields: &Fields<'_>) -> String {
        let mut out = Vec::new();
        for (k, e) in &fields.entries {
            match e {
                Entry::Value { value, .. } => out.push(format!("{k}={}", describe(value))),
                Entry::Block { fields, .. } => out.push(format!("{k}{{{}}}", show(fields))),
                Entry::Multi(list) => out.push(format!("{k}[{}]", list.len())),
            }
        }
        out.join(" ")
    }

    fn describe(value: &Value) -> String {
        match &value.kind {
            ValueKind::Number(n) => n.text(),
            ValueKind::String(s) => s.display(),
            ValueKind::Reference(r) => r.dotted(),
            other => other.describe().to_string(),
        }
    }

    #[test]
    fn a_field_map_keeps_names_in_order_and_each_once() {
        let file = bodies("service a { replicas = 1 }");
        let Item::Attribute(attr) = &file.declarations[0].body.items[0] else {
            panic!("an attribute");
        };
        let value = |key: usize| Entry::Value {
            key: Span::new(crate::span::FileId(0), key, key),
            value: &attr.value,
        };
        let mut map = FieldMap::default();
        for (name, key) in [("m", 1), ("b", 2), ("x", 3), ("b", 4)] {
            map.insert(name, value(key));
        }
        map.insert(String::from("a.b"), value(5));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a.b", "b", "m", "x"]);
        assert_eq!(map.get("b"), Some(&value(4)), "a second insert replaces");
        assert!(matches!(
            map.get_or_insert("m", Entry::Multi(Vec::new())),
            Entry::Value { .. }
        ));
        assert!(matches!(
            map.get_or_insert("c", Entry::Multi(Vec::new())),
            Entry::Multi(_)
        ));
        map.remove("x");
        map.remove("absent");
        let names: Vec<&str> = map.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["a.b", "b", "c", "m"]);
        assert_eq!(map.get("x"), None);
    }

    #[test]
    fn defaults_then_extends_then_when() {
        let file = bodies(
            r#"
            defaults service { replicas = 1  resources { cpu = 100m  memory = 1Gi } when prod { replicas = 3 } }
            service api { replicas = 2  resources { cpu = 200m } ingress { host = "a" } when prod { resources { memory = 2Gi } } }
            service worker extends api { ingress = none }
            "#,
        );
        let d = &file.declarations;
        let layers = [&d[0].body, &d[1].body, &d[2].body];
        let base = effective(&layers, Kind::Service.fields(), None);
        assert_eq!(show(&base), "replicas=2 resources{cpu=200m memory=1Gi}");
        let prod = effective(&layers, Kind::Service.fields(), Some("prod"));
        // The declaration's own `replicas = 2` is a later layer than the defaults' `when prod`.
        assert_eq!(show(&prod), "replicas=2 resources{cpu=200m memory=2Gi}");
    }

    #[test]
    fn child_none_removes_a_block_the_parent_adds_per_env() {
        let file = bodies(
            r#"service api { ingress { host = "a" } when prod { ingress { host = "b" } } }
               service worker extends api { ingress = none }"#,
        );
        let d = &file.declarations;
        let prod = effective(
            &[&d[0].body, &d[1].body],
            Kind::Service.fields(),
            Some("prod"),
        );
        assert_eq!(show(&prod), "");
        let parent = effective(&[&d[0].body], Kind::Service.fields(), Some("prod"));
        assert_eq!(show(&parent), "ingress{host=b}");
    }

    #[test]
    fn dotted_values_merge_deeply() {
        let file = bodies(
            r#"chart pg { values { auth.existingSecret = "s"  primary { persistence.size = 8Gi } }
                          when prod { values { primary.persistence.size = 20Gi } } }"#,
        );
        let layers = [&file.declarations[0].body];
        let prod = effective(&layers, Kind::Chart.fields(), Some("prod"));
        assert_eq!(
            show(&prod),
            "values{auth{existingSecret=s} primary{persistence{size=20Gi}}}"
        );
    }

    #[test]
    fn repeatable_blocks_are_replaced_as_a_whole() {
        let file = bodies(
            r#"dashboard a { panel "x" { type = stat } panel "y" { type = stat } }
               dashboard b extends a { panel "z" { type = gauge } }"#,
        );
        let d = &file.declarations;
        let merged = effective(&[&d[0].body, &d[1].body], Kind::Dashboard.fields(), None);
        assert_eq!(merged.multi("panel").len(), 1);
    }
}
