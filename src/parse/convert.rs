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

fn span_of(pair: &Pair<'_, Rule>, file: FileId) -> Span {
    let s = pair.as_span();
    Span::new(file, s.start(), s.end())
}

fn ident(pair: &Pair<'_, Rule>, file: FileId) -> Ident {
    Ident {
        text: pair.as_str().to_string(),
        span: span_of(pair, file),
    }
}

fn next<'i>(pairs: &mut impl Iterator<Item = Pair<'i, Rule>>, what: &str) -> Pair<'i, Rule> {
    pairs
        .next()
        .unwrap_or_else(|| panic!("invariant: grammar guarantees {what}"))
}

pub(super) fn convert_file(pair: Pair<'_, Rule>, file: FileId) -> File {
    let declarations = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::declaration)
        .map(|p| convert_declaration(p, file))
        .collect();
    File { declarations }
}

fn convert_declaration(pair: Pair<'_, Rule>, file: FileId) -> Declaration {
    let span = span_of(&pair, file);
    let mut inner = pair.into_inner();
    let kind = ident(&next(&mut inner, "a declaration kind"), file);
    let name = ident(&next(&mut inner, "a declaration name"), file);
    let mut extends = None;
    let mut body = None;
    for part in inner {
        match part.as_rule() {
            Rule::extends_clause => {
                let target = part
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::decl_name)
                    .expect("invariant: extends names a declaration");
                extends = Some(ident(&target, file));
            }
            Rule::body => body = Some(convert_body(part, file)),
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

fn convert_body(pair: Pair<'_, Rule>, file: FileId) -> Body {
    let span = span_of(&pair, file);
    let items = pair
        .into_inner()
        .map(|item| convert_item(item, file))
        .collect();
    Body { items, span }
}

fn convert_item(pair: Pair<'_, Rule>, file: FileId) -> Item {
    let inner = next(&mut pair.into_inner(), "an item");
    match inner.as_rule() {
        Rule::entry => convert_entry(inner, file),
        Rule::when_block => Item::When(convert_when_block(inner, file)),
        other => unreachable!("invariant: unexpected {other:?} as an item"),
    }
}

/// An entry with `=` is an attribute, otherwise a block. Its children are
/// walked once: the field name, then `=` and a value, or a label and a body.
fn convert_entry(pair: Pair<'_, Rule>, file: FileId) -> Item {
    let span = span_of(&pair, file);
    let mut inner = pair.into_inner();
    let path = convert_field_path(next(&mut inner, "a field name"), file);
    let after_name = next(&mut inner, "`=` or a block after a field name");
    match after_name.as_rule() {
        Rule::assign => {
            let value = convert_value(next(&mut inner, "a value"), file);
            Item::Attribute(Attribute { path, value, span })
        }
        Rule::block_label => {
            let string = next(&mut after_name.into_inner(), "a label string");
            let label = Some(Box::new(convert_string(string, file)));
            let body = convert_body(next(&mut inner, "a block body"), file);
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
            body: convert_body(after_name, file),
            span,
        }),
        other => unreachable!("invariant: unexpected {other:?} in an entry"),
    }
}

fn convert_when_block(pair: Pair<'_, Rule>, file: FileId) -> When {
    let span = span_of(&pair, file);
    let mut env = None;
    let mut body = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::kw_when => {}
            Rule::env_name => env = Some(ident(&part, file)),
            Rule::body => body = Some(convert_body(part, file)),
            other => unreachable!("invariant: unexpected {other:?} in when"),
        }
    }
    When {
        env: env.expect("invariant: when names an env"),
        body: body.expect("invariant: when has a body"),
        span,
    }
}

fn convert_field_path(pair: Pair<'_, Rule>, file: FileId) -> FieldPath {
    let span = span_of(&pair, file);
    let mut quoted = false;
    // Collected, not pushed: `Pairs` knows its length, and most paths have
    // one segment, which a push would give room for four.
    let segments = pair
        .into_inner()
        .map(|part| match part.as_rule() {
            Rule::key => part.as_str().to_string(),
            Rule::string => {
                quoted = true;
                convert_string(part, file).display()
            }
            other => unreachable!("invariant: unexpected {other:?} in a field path"),
        })
        .collect();
    FieldPath {
        segments,
        quoted,
        span,
    }
}

pub(super) fn convert_value(pair: Pair<'_, Rule>, file: FileId) -> Value {
    let span = span_of(&pair, file);
    let kind = match pair.as_rule() {
        Rule::none => ValueKind::None,
        Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
        Rule::numeric => {
            let mut inner = pair.into_inner();
            let low = convert_number(next(&mut inner, "a number"), file);
            match inner.next() {
                Some(high) => ValueKind::Range(Box::new(low), Box::new(convert_number(high, file))),
                None => ValueKind::Number(low),
            }
        }
        Rule::string => ValueKind::String(convert_string(pair, file)),
        Rule::heredoc => ValueKind::Heredoc(convert_heredoc(pair)),
        Rule::list => ValueKind::List(pair.into_inner().map(|v| convert_value(v, file)).collect()),
        Rule::map => ValueKind::Map(
            pair.into_inner()
                .map(|e| convert_map_entry(e, file))
                .collect(),
        ),
        Rule::call => ValueKind::Call(Box::new(convert_call(pair, file))),
        Rule::reference => ValueKind::Reference(convert_reference(pair, file)),
        other => unreachable!("invariant: unexpected {other:?} as a value"),
    };
    Value { kind, span }
}

fn convert_number(pair: Pair<'_, Rule>, file: FileId) -> Number {
    let span = span_of(&pair, file);
    let mut magnitude = Box::default();
    let mut unit = None;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::number_magnitude => magnitude = part.as_str().into(),
            Rule::unit => unit = Some(unit_name(part.as_str())),
            other => unreachable!("invariant: unexpected {other:?} in a number"),
        }
    }
    Number {
        magnitude,
        unit,
        span,
    }
}

/// The unit as the static name the grammar's `unit` rule lists.
fn unit_name(unit: &str) -> &'static str {
    const UNITS: [&str; 16] = [
        "Ki", "Mi", "Gi", "Ti", "Pi", "m", "k", "M", "G", "T", "P", "s", "h", "d", "w", "%",
    ];
    UNITS
        .into_iter()
        .find(|u| *u == unit)
        .unwrap_or_else(|| unreachable!("invariant: the grammar's units are {UNITS:?}"))
}

fn convert_map_entry(pair: Pair<'_, Rule>, file: FileId) -> MapEntry {
    let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::assign);
    let path = convert_field_path(next(&mut inner, "a map key"), file);
    let value = convert_value(next(&mut inner, "a map value"), file);
    MapEntry { path, value }
}

fn convert_call(pair: Pair<'_, Rule>, file: FileId) -> Call {
    let mut inner = pair.into_inner();
    let name = ident(&next(&mut inner, "a function name"), file);
    let args = inner.map(|v| convert_value(v, file)).collect();
    Call { name, args }
}

fn convert_reference(pair: Pair<'_, Rule>, file: FileId) -> Reference {
    let span = span_of(&pair, file);
    let segments = pair.into_inner().map(|p| ident(&p, file)).collect();
    Reference { segments, span }
}

fn convert_string(pair: Pair<'_, Rule>, file: FileId) -> StringLit {
    let span = span_of(&pair, file);
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
                parts.push(StringPart::Interpolation(convert_reference(
                    reference, file,
                )));
            }
            other => unreachable!("invariant: unexpected {other:?} in a string"),
        }
    }
    StringLit { parts, span }
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
