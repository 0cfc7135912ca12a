//! The syntax tree: exactly what the user wrote, with spans and no
//! interpretation. Kinds, field names and units are plain text here; the
//! resolver and lowering decide what they mean.

use serde::Serialize;

use crate::span::Span;

/// One parsed `.platform` file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub declarations: Vec<Declaration>,
}

/// A word with its span (a kind, a name, a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

/// `KIND NAME [extends OTHER] { BODY }`, or `defaults KIND { BODY }` (then
/// `kind` is `defaults` and `name` holds the defaulted kind).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declaration {
    pub kind: Ident,
    pub name: Ident,
    pub extends: Option<Ident>,
    pub body: Body,
    pub span: Span,
}

impl Declaration {
    /// True for `defaults KIND { … }`.
    pub fn is_defaults(&self) -> bool {
        self.kind.text == "defaults"
    }
}

/// The `{ … }` of a declaration or block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub items: Box<[Item]>,
    pub span: Span,
}

/// One entry of a body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    Attribute(Attribute),
    Block(Block),
    When(When),
}

/// A field name: one key, a dotted path (`a.b.c`) or a quoted literal key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldPath {
    pub segments: Box<[String]>,
    /// A quoted key is one literal segment even when it contains dots.
    pub quoted: bool,
    pub span: Span,
}

impl FieldPath {
    /// The path as written, dots between segments.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }

    /// The single segment of an undotted field name, if it is one.
    pub fn single(&self) -> Option<&str> {
        match &*self.segments {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// `field = value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    pub path: FieldPath,
    pub value: Value,
}

impl Attribute {
    /// From the field name to the end of the value (not stored: one item
    /// of the syntax tree is then 96 bytes, not 128).
    pub fn span(&self) -> Span {
        self.path.span.to(self.value.span)
    }
}

/// `field { … }` or `field "label" { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub path: FieldPath,
    pub label: Option<Box<StringLit>>,
    pub body: Body,
    pub span: Span,
}

/// `when ENV { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct When {
    pub env: Ident,
    pub body: Body,
    pub span: Span,
}

/// A value with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// The shapes a value can take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ValueKind {
    /// `none`: removes an inherited field or block.
    None,
    Bool(bool),
    Number(Number),
    String(StringLit),
    /// `<<EOT … EOT`: raw text with common indentation removed.
    Heredoc(String),
    /// `request..limit`.
    Range(Box<Number>, Box<Number>),
    List(Vec<Value>),
    Map(Vec<MapEntry>),
    Call(Box<Call>),
    Reference(Reference),
}

impl ValueKind {
    /// What kind of value this is, in words, for type errors.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::None => "`none`",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Number(n) => match n.unit() {
                None => "a number",
                Some(_) => "a number with a unit",
            },
            ValueKind::String(_) => "a string",
            ValueKind::Heredoc(_) => "a heredoc",
            ValueKind::Range(..) => "a range",
            ValueKind::List(_) => "a list",
            ValueKind::Map(_) => "a map",
            ValueKind::Call(_) => "a function call",
            ValueKind::Reference(r) if r.segments.len() == 1 => "a name",
            ValueKind::Reference(_) => "a reference",
        }
    }
}

/// The unit suffixes of numbers, as the grammar's `unit` rule lists them.
pub const UNITS: [&str; 16] = [
    "Ki", "Mi", "Gi", "Ti", "Pi", "m", "k", "M", "G", "T", "P", "s", "h", "d", "w", "%",
];

/// A number as written: exact decimal digits plus an optional unit suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Number {
    /// The digits as written, e.g. `-0.5`.
    pub magnitude: Box<str>,
    pub span: Span,
    /// The unit, as 1 + its index in `UNITS`, 0 for none: a byte, where an
    /// `Option<&str>` made every value of the syntax tree 16 bytes larger.
    #[serde(rename = "unit", serialize_with = "serialize_unit")]
    unit: u8,
}

/// The unit by name, as an `Option<&str>` field serializes (`"Mi"` or `null`).
fn serialize_unit<S: serde::Serializer>(unit: &u8, serializer: S) -> Result<S::Ok, S::Error> {
    unit_name(*unit).serialize(serializer)
}

/// The unit a stored byte stands for.
fn unit_name(unit: u8) -> Option<&'static str> {
    unit.checked_sub(1).map(|i| UNITS[usize::from(i)])
}

impl Number {
    /// A number of `magnitude` digits and the `unit` suffix.
    ///
    /// # Panics
    /// When `unit` is not one of `UNITS` (the grammar accepts no other).
    pub fn new(magnitude: Box<str>, unit: Option<&str>, span: Span) -> Self {
        let unit = unit.map_or(0, |unit| {
            let index = UNITS
                .iter()
                .position(|u| *u == unit)
                .unwrap_or_else(|| panic!("invariant: the grammar's units are {UNITS:?}"));
            u8::try_from(index + 1).expect("invariant: UNITS has fewer than 255 entries")
        });
        Self {
            magnitude,
            span,
            unit,
        }
    }

    /// `m`, `Gi`, `s`, `%`…
    pub fn unit(&self) -> Option<&'static str> {
        unit_name(self.unit)
    }

    /// The text as written (`250m`).
    pub fn text(&self) -> String {
        format!("{}{}", self.magnitude, self.unit().unwrap_or(""))
    }

    /// The magnitude as an exact fraction `mantissa / 10^scale`, or `None`
    /// when it does not fit in 128 bits.
    pub fn decimal(&self) -> Option<(i128, u32)> {
        let (int, frac) = self
            .magnitude
            .split_once('.')
            .unwrap_or((&self.magnitude, ""));
        let scale = u32::try_from(frac.len()).ok()?;
        let digits = format!("{int}{frac}");
        digits.parse::<i128>().ok().map(|m| (m, scale))
    }

    /// The magnitude multiplied by `factor`, if it is a whole number.
    pub fn scaled(&self, factor: i128) -> Option<i128> {
        let (mantissa, scale) = self.decimal()?;
        let divisor = 10_i128.checked_pow(scale)?;
        let product = mantissa.checked_mul(factor)?;
        (product % divisor == 0).then_some(product / divisor)
    }
}

/// A string literal: text pieces and `${…}` interpolations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StringLit {
    pub parts: Box<[StringPart]>,
    pub span: Span,
}

impl StringLit {
    /// The literal text when the string has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StringPart::Text(t) => out.push_str(t),
                StringPart::Interpolation(_) => return None,
            }
        }
        Some(out)
    }

    /// The string as written between the quotes, `${…}` kept verbatim.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StringPart::Text(t) => out.push_str(t),
                StringPart::Interpolation(r) => {
                    out.push_str("${");
                    out.push_str(&r.dotted());
                    out.push('}');
                }
            }
        }
        out
    }
}

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StringPart {
    Text(String),
    Interpolation(Reference),
}

/// `kind.name.attr…` or a bare name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub segments: Box<[Ident]>,
    pub span: Span,
}

impl Reference {
    /// The reference as written.
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The bare name, when the reference is one word.
    pub fn bare(&self) -> Option<&Ident> {
        match &*self.segments {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// `name(args)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Value>,
}

/// `key = value` inside a map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapEntry {
    pub path: FieldPath,
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_serializes_its_unit_by_name() {
        let span = Span::new(crate::span::FileId(0), 0, 5);
        let with = serde_json::to_value(Number::new("512".into(), Some("Mi"), span)).unwrap();
        let without = serde_json::to_value(Number::new("3".into(), None, span)).unwrap();
        assert_eq!(with["unit"], serde_json::json!("Mi"));
        assert_eq!(without["unit"], serde_json::Value::Null);
        assert_eq!(Number::new("512".into(), Some("Mi"), span).text(), "512Mi");
    }
}
