//! Formatting: `format_file(&SourceFile) -> Result<String, Diagnostic>` gives
//! one canonical layout of a `.platform` file. It takes the parsed syntax
//! tree for the structure and the source text for everything the tree does
//! not keep: comments (found in the gaps between the spans of tree nodes),
//! heredocs and string literals (copied verbatim), and whether each block,
//! list or map was written on one line or on several (kept: a one-line body
//! stays on one line, a multi-line one gets one item per line). It reads no
//! files and never changes meaning: `parse(format(x))` equals `parse(x)` up
//! to spans, and `format(format(x)) == format(x)`.
//!
//! The layout: two-space indentation; one item per line in a multi-line body,
//! map or list (lists get a trailing comma, bodies and maps none); one-line
//! bodies as `{ a = 1  b = 2 }`, one-line maps as `{ a = 1, b = 2 }`, lists as
//! `[a, b]`; within a run of consecutive single-line items (not interrupted by
//! a blank line or a multi-line item; comment lines do not interrupt it) the
//! `=` of attributes and the `{` of one-line blocks are aligned, and so are
//! trailing comments; at most one blank line in a row; a blank line around
//! every multi-line declaration, while consecutive one-line declarations stay
//! together as a run. A comment in an unusual place inside an item (between
//! a field name and its `=`, say) moves to the line above the item.

use crate::ast::{Body, Declaration, File, Item, MapEntry, Value, ValueKind};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::span::{FileId, Span};

/// Formats one source file.
///
/// # Errors
/// The `platc::parse` diagnostic when the file does not parse (it is then
/// left as it is).
// The parser's own error type; one per call, so its size does not matter.
#[allow(clippy::result_large_err)]
pub fn format_file(file: &SourceFile) -> Result<String, Diagnostic> {
    let tree = crate::parse::parse_file(file)?;
    Ok(Formatter { text: &file.text }.file(&tree))
}

/// Formats source text (a file named `input.platform`).
///
/// # Errors
/// The `platc::parse` diagnostic when the text does not parse.
#[allow(clippy::result_large_err)]
pub fn format_text(text: &str) -> Result<String, Diagnostic> {
    let file = SourceFile {
        id: FileId(0),
        name: "input.platform".to_string(),
        text: text.to_string(),
    };
    format_file(&file)
}

/// One line between items: a blank line or a whole-line comment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Blank,
    Comment(String),
}

/// What a gap between two tokens holds besides punctuation and spaces.
#[derive(Debug, Default)]
struct Gap {
    /// A comment on the line of the token before the gap.
    trailing: Option<String>,
    /// Blank lines and comment lines after it.
    lines: Vec<Line>,
}

/// Splits a gap into its trailing comment and its lines. With
/// `after_token` false the gap starts at the beginning of a line (the start of
/// the file), so its first segment is a whole line, not a trailing comment.
fn gap(text: &str, after_token: bool) -> Gap {
    let segments: Vec<&str> = text.split('\n').collect();
    let last = segments.len() - 1;
    let mut out = Gap::default();
    for (i, segment) in segments.iter().enumerate() {
        let comment = segment
            .find('#')
            .map(|at| segment[at..].trim_end().to_string());
        if i == 0 && after_token {
            out.trailing = comment;
        } else if let Some(comment) = comment {
            out.lines.push(Line::Comment(comment));
        } else if i != last && segment.trim().is_empty() {
            out.lines.push(Line::Blank);
        }
    }
    out
}

/// Every comment of a gap, as whole lines (for comments in unusual places).
fn comments(text: &str) -> Vec<String> {
    text.split('\n')
        .filter_map(|s| s.find('#').map(|at| s[at..].trim_end().to_string()))
        .collect()
}

/// One formatted item of a multi-line container, before alignment.
#[derive(Debug)]
struct Entry {
    leading: Vec<Line>,
    /// The part before the aligned column (`field`, `panel "Title"`).
    key: String,
    /// The rest (` = value`, ` { … }`); may span lines.
    rest: String,
    /// Whether `rest` starts at a column shared by the run.
    align: bool,
    trailing: Option<String>,
}

impl Entry {
    fn single_line(&self) -> bool {
        !self.key.contains('\n') && !self.rest.contains('\n')
    }
}

fn indent_str(level: usize) -> String {
    "  ".repeat(level)
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Collapses runs of blank lines into one and drops blank lines at the ends
/// given (`start`, `end`).
fn tidy(lines: &mut Vec<Line>, start: bool, end: bool) {
    lines.dedup_by(|a, b| *a == Line::Blank && *b == Line::Blank);
    if start {
        while lines.first() == Some(&Line::Blank) {
            lines.remove(0);
        }
    }
    if end {
        while lines.last() == Some(&Line::Blank) {
            lines.pop();
        }
    }
}

fn push_lines(lines: &[Line], indent: &str, out: &mut String) {
    for line in lines {
        match line {
            Line::Blank => out.push('\n'),
            Line::Comment(text) => {
                out.push_str(indent);
                out.push_str(text);
                out.push('\n');
            }
        }
    }
}

/// Writes the entries of one container at `level`, aligning runs. `top`:
/// the declarations of a file (a blank line around multi-line ones).
fn render(entries: &mut [Entry], level: usize, top: bool, out: &mut String) {
    let indent = indent_str(level);
    for i in 0..entries.len() {
        let around_multi = i > 0 && (!entries[i - 1].single_line() || !entries[i].single_line());
        let entry = &mut entries[i];
        tidy(&mut entry.leading, i == 0, false);
        if top && around_multi && entry.leading.first() != Some(&Line::Blank) {
            entry.leading.insert(0, Line::Blank);
        }
    }
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        if entries[start].single_line() {
            while end < entries.len()
                && entries[end].single_line()
                && !entries[end].leading.contains(&Line::Blank)
            {
                end += 1;
            }
        }
        let run = &entries[start..end];
        let key_width = run
            .iter()
            .filter(|e| e.align)
            .map(|e| width(&e.key))
            .max()
            .unwrap_or(0);
        let code: Vec<String> = run
            .iter()
            .map(|e| {
                if e.align && e.single_line() {
                    format!(
                        "{}{}{}",
                        e.key,
                        " ".repeat(key_width - width(&e.key)),
                        e.rest
                    )
                } else {
                    format!("{}{}", e.key, e.rest)
                }
            })
            .collect();
        let comment_column = run
            .iter()
            .zip(&code)
            .filter(|(e, _)| e.trailing.is_some())
            .map(|(_, c)| width(c.rsplit('\n').next().unwrap_or(c)))
            .max()
            .unwrap_or(0)
            + 2;
        for (entry, code) in run.iter().zip(code) {
            push_lines(&entry.leading, &indent, out);
            out.push_str(&indent);
            out.push_str(&code);
            if let Some(comment) = &entry.trailing {
                let last = width(code.rsplit('\n').next().unwrap_or(&code));
                let pad = if entry.single_line() {
                    comment_column - last
                } else {
                    2
                };
                out.push_str(&" ".repeat(pad));
                out.push_str(comment);
            }
            out.push('\n');
        }
        start = end;
    }
}

struct Formatter<'t> {
    text: &'t str,
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Attribute(a) => a.span(),
        Item::Block(b) => b.span,
        Item::When(w) => w.span,
    }
}

fn entry_span(entry: &MapEntry) -> Span {
    entry.path.span.to(entry.value.span)
}

impl Formatter<'_> {
    fn src(&self, span: Span) -> &str {
        &self.text[span.start()..span.end()]
    }

    fn between(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }

    fn one_line(&self, span: Span) -> bool {
        !self.src(span).contains('\n')
    }

    fn file(&self, file: &File) -> String {
        let mut entries = Vec::new();
        let mut previous: Option<usize> = None;
        for decl in &file.declarations {
            let g = gap(
                self.between(previous.unwrap_or(0), decl.span.start()),
                previous.is_some(),
            );
            if let Some(last) = entries.last_mut() {
                let last: &mut Entry = last;
                last.trailing = g.trailing;
            }
            let mut entry = self.declaration(decl);
            let hoisted = std::mem::take(&mut entry.leading);
            entry.leading = g.lines;
            entry.leading.extend(hoisted);
            entries.push(entry);
            previous = Some(decl.span.end());
        }
        let g = gap(
            self.between(previous.unwrap_or(0), self.text.len()),
            previous.is_some(),
        );
        let mut closing = g.lines;
        match entries.last_mut() {
            Some(last) => last.trailing = g.trailing,
            None => {
                if let Some(comment) = g.trailing {
                    closing.insert(0, Line::Comment(comment));
                }
            }
        }
        let mut out = String::new();
        render(&mut entries, 0, true, &mut out);
        tidy(&mut closing, entries.is_empty(), true);
        push_lines(&closing, "", &mut out);
        out
    }

    fn declaration(&self, decl: &Declaration) -> Entry {
        let mut hoisted = comments(self.between(decl.kind.span.end(), decl.name.span.start()));
        let mut key = format!("{} {}", decl.kind.text, decl.name.text);
        let mut after_name = decl.name.span.end();
        if let Some(parent) = &decl.extends {
            hoisted.extend(comments(
                self.between(decl.name.span.end(), parent.span.start()),
            ));
            key.push_str(" extends ");
            key.push_str(&parent.text);
            after_name = parent.span.end();
        }
        hoisted.extend(comments(self.between(after_name, decl.body.span.start())));
        let rest = format!(" {}", self.body(&decl.body, 0));
        Entry {
            leading: hoisted.into_iter().map(Line::Comment).collect(),
            key,
            rest,
            align: true,
            trailing: None,
        }
    }

    /// `{ … }` of a declaration, block or `when` whose first line is at `level`.
    fn body(&self, body: &Body, level: usize) -> String {
        let inner_start = body.span.start() + 1;
        let inner_end = body.span.end().saturating_sub(1);
        if self.one_line(body.span) {
            if body.items.is_empty() {
                return "{}".to_string();
            }
            let items: Vec<String> = body
                .items
                .iter()
                .map(|item| {
                    let entry = self.item(item, level);
                    format!("{}{}", entry.key, entry.rest)
                })
                .collect();
            return format!("{{ {} }}", items.join("  "));
        }
        let spans: Vec<Span> = body.items.iter().map(item_span).collect();
        let (open, mut entries, closing) = self.container(&spans, inner_start, inner_end, |i| {
            self.item(&body.items[i], level + 1)
        });
        self.close(open, &mut entries, closing, level, '{', '}')
    }

    /// Gaps and entries of a multi-line container whose items have `spans`.
    fn container(
        &self,
        spans: &[Span],
        inner_start: usize,
        inner_end: usize,
        format: impl Fn(usize) -> Entry,
    ) -> (Option<String>, Vec<Entry>, Vec<Line>) {
        let mut open = None;
        let mut entries: Vec<Entry> = Vec::new();
        let mut previous = inner_start;
        for (i, span) in spans.iter().enumerate() {
            let g = gap(self.between(previous, span.start()), true);
            match entries.last_mut() {
                Some(last) => last.trailing = g.trailing,
                None => open = g.trailing,
            }
            let mut entry = format(i);
            let hoisted = std::mem::take(&mut entry.leading);
            entry.leading = g.lines;
            entry.leading.extend(hoisted);
            entries.push(entry);
            previous = span.end();
        }
        let g = gap(self.between(previous, inner_end), true);
        match entries.last_mut() {
            Some(last) => last.trailing = g.trailing,
            None => open = g.trailing,
        }
        (open, entries, g.lines)
    }

    /// Renders a multi-line container: the opening bracket (and a comment
    /// after it), the entries one level deeper, the closing bracket at `level`.
    fn close(
        &self,
        open: Option<String>,
        entries: &mut [Entry],
        mut closing: Vec<Line>,
        level: usize,
        left: char,
        right: char,
    ) -> String {
        tidy(&mut closing, entries.is_empty(), true);
        if entries.is_empty() && closing.is_empty() && open.is_none() {
            return format!("{left}{right}");
        }
        let mut out = String::new();
        out.push(left);
        if let Some(comment) = open {
            out.push_str("  ");
            out.push_str(&comment);
        }
        out.push('\n');
        render(entries, level + 1, false, &mut out);
        push_lines(&closing, &indent_str(level + 1), &mut out);
        out.push_str(&indent_str(level));
        out.push(right);
        out
    }

    fn item(&self, item: &Item, level: usize) -> Entry {
        let mut hoisted = Vec::new();
        let (key, rest, align) = match item {
            Item::Attribute(attr) => {
                hoisted.extend(comments(
                    self.between(attr.path.span.end(), attr.value.span.start()),
                ));
                let value = self.value(&attr.value, level, &mut hoisted);
                (
                    self.src(attr.path.span).to_string(),
                    format!(" = {value}"),
                    true,
                )
            }
            Item::Block(block) => {
                let mut key = self.src(block.path.span).to_string();
                let mut before_body = block.path.span.end();
                if let Some(label) = &block.label {
                    hoisted.extend(comments(self.between(before_body, label.span.start())));
                    key.push(' ');
                    key.push_str(self.src(label.span));
                    before_body = label.span.end();
                }
                hoisted.extend(comments(self.between(before_body, block.body.span.start())));
                (key, format!(" {}", self.body(&block.body, level)), true)
            }
            Item::When(when) => {
                hoisted.extend(comments(
                    self.between(when.span.start() + 4, when.env.span.start()),
                ));
                hoisted.extend(comments(
                    self.between(when.env.span.end(), when.body.span.start()),
                ));
                (
                    format!("when {}", when.env.text),
                    format!(" {}", self.body(&when.body, level)),
                    false,
                )
            }
        };
        Entry {
            leading: hoisted.into_iter().map(Line::Comment).collect(),
            key,
            rest,
            align,
            trailing: None,
        }
    }

    /// A value whose first line continues a line at `level`; comments in
    /// places that have no line of their own are added to `hoisted`.
    fn value(&self, value: &Value, level: usize, hoisted: &mut Vec<String>) -> String {
        match &value.kind {
            ValueKind::List(items) => self.list(value.span, items, level),
            ValueKind::Map(entries) => self.map(value.span, entries, level),
            ValueKind::Call(call) => {
                let mut previous = call.name.span.end();
                let mut args = Vec::new();
                for arg in &call.args {
                    hoisted.extend(comments(self.between(previous, arg.span.start())));
                    args.push(self.value(arg, level, hoisted));
                    previous = arg.span.end();
                }
                hoisted.extend(comments(self.between(previous, value.span.end())));
                format!("{}({})", call.name.text, args.join(", "))
            }
            ValueKind::None
            | ValueKind::Bool(_)
            | ValueKind::Number(_)
            | ValueKind::String(_)
            | ValueKind::Heredoc(_)
            | ValueKind::Range(..)
            | ValueKind::Reference(_) => self.src(value.span).to_string(),
        }
    }

    fn list(&self, span: Span, items: &[Value], level: usize) -> String {
        if self.one_line(span) {
            let mut unused = Vec::new();
            let items: Vec<String> = items
                .iter()
                .map(|v| self.value(v, level, &mut unused))
                .collect();
            return format!("[{}]", items.join(", "));
        }
        let spans: Vec<Span> = items.iter().map(|v| v.span).collect();
        let (open, mut entries, closing) =
            self.container(&spans, span.start() + 1, span.end() - 1, |i| {
                let mut hoisted = Vec::new();
                let text = self.value(&items[i], level + 1, &mut hoisted);
                Entry {
                    leading: hoisted.into_iter().map(Line::Comment).collect(),
                    key: String::new(),
                    rest: format!("{text},"),
                    align: false,
                    trailing: None,
                }
            });
        self.close(open, &mut entries, closing, level, '[', ']')
    }

    fn map(&self, span: Span, entries: &[MapEntry], level: usize) -> String {
        let format_entry = |entry: &MapEntry, level: usize| {
            let mut hoisted =
                comments(self.between(entry.path.span.end(), entry.value.span.start()));
            let value = self.value(&entry.value, level, &mut hoisted);
            Entry {
                leading: hoisted.into_iter().map(Line::Comment).collect(),
                key: self.src(entry.path.span).to_string(),
                rest: format!(" = {value}"),
                align: true,
                trailing: None,
            }
        };
        if self.one_line(span) {
            if entries.is_empty() {
                return "{}".to_string();
            }
            let items: Vec<String> = entries
                .iter()
                .map(|e| {
                    let entry = format_entry(e, level);
                    format!("{}{}", entry.key, entry.rest)
                })
                .collect();
            return format!("{{ {} }}", items.join(", "));
        }
        let spans: Vec<Span> = entries.iter().map(entry_span).collect();
        let (open, mut formatted, closing) =
            self.container(&spans, span.start() + 1, span.end() - 1, |i| {
                format_entry(&entries[i], level + 1)
            });
        self.close(open, &mut formatted, closing, level, '{', '}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format_text(text).expect("parses")
    }

    #[test]
    fn aligns_equals_signs_and_one_line_blocks_in_a_run() {
        let source = "service api {\nimage = \"x:1\"\n    nodepool=app\nresources { cpu = 1 }\n\n  replicas = 2\n}\n";
        insta::assert_snapshot!(fmt(source), @r#"
        service api {
          image     = "x:1"
          nodepool  = app
          resources { cpu = 1 }

          replicas = 2
        }
        "#);
    }

    #[test]
    fn keeps_comments_in_place_and_aligns_trailing_ones() {
        let source = "# header\n\n# about api\nservice api { # opening\n  a = 1 # one\n  # a line\n  bbb = 2     # two\n  # closing\n}   # after\n";
        insta::assert_snapshot!(fmt(source), @r"
        # header

        # about api
        service api {  # opening
          a   = 1  # one
          # a line
          bbb = 2  # two
          # closing
        }  # after
        ");
    }

    #[test]
    fn one_line_declarations_stay_together_and_multi_line_ones_get_blank_lines() {
        let source = "secret a { keys = [x] }\nsecret bbb {keys=[y,z]}\nservice api {\n image = \"x:1\"\n}\nnodepool p { count = 1 }";
        insta::assert_snapshot!(fmt(source), @r#"
        secret a   { keys = [x] }
        secret bbb { keys = [y, z] }

        service api {
          image = "x:1"
        }

        nodepool p { count = 1 }
        "#);
    }

    #[test]
    fn heredocs_and_strings_are_kept_verbatim() {
        let source = "dashboard d {\n    panel \"A  b\" {\n  query = <<EOT\n  sum(x)\n    by (y)\n  EOT\n    }\n}\n";
        insta::assert_snapshot!(fmt(source), @r#"
        dashboard d {
          panel "A  b" {
            query = <<EOT
          sum(x)
            by (y)
          EOT
          }
        }
        "#);
    }

    #[test]
    fn multi_line_lists_and_maps_get_one_item_per_line() {
        let source = "service api {\n  env = { A = 1, LONGER = \"x\",\n  # why\n  B = secret.s.k }\n  talks-to = [a, # first\n   b]\n  empty = [\n  ]\n}\n";
        insta::assert_snapshot!(fmt(source), @r#"
        service api {
          env = {
            A      = 1
            LONGER = "x"
            # why
            B      = secret.s.k
          }
          talks-to = [
            a,  # first
            b,
          ]
          empty = []
        }
        "#);
    }

    #[test]
    fn comments_in_unusual_places_move_above_their_item() {
        let source = "service api {\n  image = # the image\n    \"x:1\"\n}\n";
        insta::assert_snapshot!(fmt(source), @r#"
        service api {
          # the image
          image = "x:1"
        }
        "#);
    }

    #[test]
    fn formatting_is_idempotent_on_the_unit_cases() {
        for source in [
            "service api {\nimage = \"x:1\"\n    nodepool=app\nresources { cpu = 1 }\n}\n",
            "# only a comment",
            "",
            "platform p { repo = \"r\" }  # trailing at eof",
        ] {
            let once = fmt(source);
            assert_eq!(fmt(&once), once, "{source:?}");
        }
    }
}
