//! Pest pairs → AST, one `convert_<rule>` function per grammar rule. The
//! grammar has already accepted the input, so every shape assumed here is an
//! invariant of the grammar, not a user error.

use pest::iterators::Pair;

use super::grammar::Rule;
use crate::ast::{
    Attribute, Block, Body, Call, Declaration, FieldPath, File, Ident, Item, MapEntry, Number,
    Reference, StringLit, StringPart, Value, ValueKind, When,
};
use crate::span::{FileId, Span};

/// Where converted pairs are: their file, and the offset in it of the text
/// pest was given (`parse_file` parses one declaration at a time).
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub(super) file: FileId,
    pub(super) base: usize,
}

fn span_of(pair: &Pair<'_, Rule>, at: Place) -> Span {
    let s = pair.as_span();
    Span::new(at.file, at.base + s.start(), at.base + s.end())
}

fn ident(pair: &Pair<'_, Rule>, at: Place) -> Ident {
    Ident {
        text: pair.as_str().to_string(),
        span: span_of(pair, at),
    }
}

/// A vector of exactly the iterator's length. `collect` makes room for at
/// least four elements when the iterator is not `TrustedLen`, which pest's
/// `Pairs` is not: most paths, references, lists and blocks here hold one to
/// three, and that slack was two fifths of the syntax tree's memory.
fn exact<T>(items: impl ExactSizeIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    out.extend(items);
    out
}

fn next<'i>(pairs: &mut impl Iterator<Item = Pair<'i, Rule>>, what: &str) -> Pair<'i, Rule> {
    pairs
        .next()
        .unwrap_or_else(|| panic!("invariant: grammar guarantees {what}"))
}

pub(super) fn convert_file(pair: Pair<'_, Rule>, at: Place) -> File {
    let declarations = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::declaration)
        .map(|p| convert_declaration(p, at))
        .collect();
    File { declarations }
}

pub(super) fn convert_declaration(pair: Pair<'_, Rule>, at: Place) -> Declaration {
    let span = span_of(&pair, at);
    let mut inner = pair.into_inner();
    let kind = ident(&next(&mut inner, "a declaration kind"), at);
    let name = ident(&next(&mut inner, "a declaration name"), at);
    let mut extends = None;
    let mut body = None;
    for part in inner {
        match part.as_rule() {
            Rule::extends_clause => {
                let target = part
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::decl_name)
                    .expect("invariant: extends names a declaration");
                extends = Some(ident(&target, at));
            }
            Rule::body => body = Some(convert_body(part, at)),
            other => unreachable!("invariant: unexpected {other:?} in a declaration"),
        }
    }
    let body = body.expect("invariant: a declaration has a body");
    Declaration {
        kind,
        name,
        extends,
        body,
        span,
    }
}

fn convert_body(pair: Pair<'_, Rule>, at: Place) -> Body {
    let span = span_of(&pair, at);
    let items = exact(pair.into_inner().map(|item| convert_item(item, at)));
    Body {
        items: items.into_boxed_slice(),
        span,
    }
}

fn convert_item(pair: Pair<'_, Rule>, at: Place) -> Item {
    match pair.as_rule() {
        Rule::entry => convert_entry(pair, at),
        Rule::when_block => Item::When(convert_when_block(pair, at)),
        other => unreachable!("invariant: unexpected {other:?} as an item"),
    }
}

/// An entry with `=` is an attribute, otherwise a block. Its children are
/// walked once: the field name, then `=` and a value, or a label and a body.
fn convert_entry(pair: Pair<'_, Rule>, at: Place) -> Item {
    let span = span_of(&pair, at);
    let mut inner = pair.into_inner();
    let path = convert_field_path(next(&mut inner, "a field name"), at);
    let after_name = next(&mut inner, "`=` or a block after a field name");
    match after_name.as_rule() {
        Rule::assign => {
            let value = convert_value(next(&mut inner, "a value"), at);
            let attribute = Attribute { path, value };
            debug_assert_eq!(attribute.span(), span, "an entry spans its name and value");
            Item::Attribute(attribute)
        }
        Rule::block_label => {
            let string = next(&mut after_name.into_inner(), "a label string");
            let label = Some(Box::new(convert_string(string, at)));
            let body = convert_body(next(&mut inner, "a block body"), at);
            Item::Block(Block {
                path,
                label,
                body,
                span,
            })
        }
        Rule::body => Item::Block(Block {
            path,
            label: None,
            body: convert_body(after_name, at),
            span,
        }),
        other => unreachable!("invariant: unexpected {other:?} in an entry"),
    }
}

fn convert_when_block(pair: Pair<'_, Rule>, at: Place) -> When {
    let span = span_of(&pair, at);
    let mut env = None;
    let mut body = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::kw_when => {}
            Rule::env_name => env = Some(ident(&part, at)),
            Rule::body => body = Some(convert_body(part, at)),
            other => unreachable!("invariant: unexpected {other:?} in when"),
        }
    }
    When {
        env: env.expect("invariant: when names an env"),
        body: body.expect("invariant: when has a body"),
        span,
    }
}

fn convert_field_path(pair: Pair<'_, Rule>, at: Place) -> FieldPath {
    let span = span_of(&pair, at);
    let mut quoted = false;
    // Most paths have one segment; `collect` would make room for four.
    let segments = exact(pair.into_inner().map(|part| match part.as_rule() {
        Rule::key => part.as_str().to_string(),
        Rule::string => {
            quoted = true;
            convert_string(part, at).display()
        }
        other => unreachable!("invariant: unexpected {other:?} in a field path"),
    }));
    FieldPath {
        segments: segments.into_boxed_slice(),
        quoted,
        span,
    }
}

pub(super) fn convert_value(pair: Pair<'_, Rule>, at: Place) -> Value {
    let span = span_of(&pair, at);
    let kind = match pair.as_rule() {
        Rule::none => ValueKind::None,
        Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
        Rule::numeric => {
            let mut inner = pair.into_inner();
            let low = convert_number(next(&mut inner, "a number"), at);
            match inner.next() {
                Some(high) => ValueKind::Range(Box::new(low), Box::new(convert_number(high, at))),
                None => ValueKind::Number(low),
            }
        }
        Rule::string => ValueKind::String(convert_string(pair, at)),
        Rule::heredoc => ValueKind::Heredoc(convert_heredoc(pair)),
        Rule::list => ValueKind::List(exact(pair.into_inner().map(|v| convert_value(v, at)))),
        Rule::map => ValueKind::Map(exact(pair.into_inner().map(|e| convert_map_entry(e, at)))),
        Rule::call => ValueKind::Call(Box::new(convert_call(pair, at))),
        Rule::reference => ValueKind::Reference(convert_reference(pair, at)),
        other => unreachable!("invariant: unexpected {other:?} as a value"),
    };
    Value { kind, span }
}

fn convert_number(pair: Pair<'_, Rule>, at: Place) -> Number {
    let span = span_of(&pair, at);
    let mut magnitude = Box::default();
    let mut unit = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::number_magnitude => magnitude = part.as_str().into(),
            Rule::unit => unit = Some(part.as_str()),
            other => unreachable!("invariant: unexpected {other:?} in a number"),
        }
    }
    Number::new(magnitude, unit, span)
}

fn convert_map_entry(pair: Pair<'_, Rule>, at: Place) -> MapEntry {
    let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::assign);
    let path = convert_field_path(next(&mut inner, "a map key"), at);
    let value = convert_value(next(&mut inner, "a map value"), at);
    MapEntry { path, value }
}

fn convert_call(pair: Pair<'_, Rule>, at: Place) -> Call {
    let mut inner = pair.into_inner();
    let name = ident(&next(&mut inner, "a function name"), at);
    let args = exact(inner.map(|v| convert_value(v, at)));
    Call { name, args }
}

fn convert_reference(pair: Pair<'_, Rule>, at: Place) -> Reference {
    let span = span_of(&pair, at);
    let segments = exact(pair.into_inner().map(|p| ident(&p, at))).into_boxed_slice();
    Reference { segments, span }
}

fn convert_string(pair: Pair<'_, Rule>, at: Place) -> StringLit {
    let span = span_of(&pair, at);
    // Room for one part: most strings have no interpolation, and a push
    // onto an empty vector would make room for four.
    let mut parts: Vec<StringPart> = Vec::with_capacity(1);
    let push_text = |parts: &mut Vec<StringPart>, text: &str| {
        if let Some(StringPart::Text(last)) = parts.last_mut() {
            last.push_str(text);
        } else {
            parts.push(StringPart::Text(text.to_string()));
        }
    };
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::string_text => push_text(&mut parts, part.as_str()),
            Rule::escape => push_text(&mut parts, &unescape(part.as_str())),
            Rule::interpolation => {
                let reference = next(&mut part.into_inner(), "a reference in `${}`");
                parts.push(StringPart::Interpolation(convert_reference(reference, at)));
            }
            other => unreachable!("invariant: unexpected {other:?} in a string"),
        }
    }
    StringLit {
        parts: parts.into_boxed_slice(),
        span,
    }
}

fn unescape(escape: &str) -> String {
    match escape {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\r" => "\r".into(),
        "\\\"" => "\"".into(),
        "\\\\" => "\\".into(),
        "\\$" => "$".into(),
        unicode => {
            let hex = unicode.trim_start_matches("\\u{").trim_end_matches('}');
            // A code point that is not a scalar value (a surrogate) becomes U+FFFD.
            u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or(char::REPLACEMENT_CHARACTER)
                .to_string()
        }
    }
}

/// The heredoc's lines with their common leading indentation removed (so a
/// heredoc can be indented with the surrounding block), without the final newline.
fn convert_heredoc(pair: Pair<'_, Rule>) -> String {
    let content = pair
        .into_inner()
        .find(|p| p.as_rule() == Rule::heredoc_content)
        .map_or("", |p| p.as_str());
    let lines: Vec<&str> = content.lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(content.len());
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.get(indent..).unwrap_or("").trim_end_matches('\r'));
    }
    out
}
