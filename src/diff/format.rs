//! Renderers of a `Changeset`: `text` for terminals (optionally coloured),
//! `markdown` for pull-request comments (a summary table naming every
//! changed object, then a collapsible section per object, kept under a size
//! budget), `json` for machines, and the one-line-per-object `summary` that
//! `platc build` prints. Pure: strings in, strings out. They show only what
//! the changeset holds, which is already redacted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value as Json;

use super::{Change, Changeset, Counts, FieldChange, ObjectChange, Part};

/// Default `--max-size` of the markdown format: under GitHub's 65,536-character comment limit.
pub const DEFAULT_MAX_SIZE: usize = 60_000;

/// Inline values longer than this are shown as an indented YAML block.
const INLINE_WIDTH: usize = 80;

/// Room kept at the end of a markdown report for the note on what was left out.
const NOTE_RESERVE: usize = 400;

/// An output format of `platc diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, ANSI colours when `color`.
    Text { color: bool },
    /// A pull-request comment of at most `max_size` characters (when the
    /// summary table alone fits).
    Markdown { max_size: usize },
    /// The changeset as JSON.
    Json,
}

/// Renders `changeset` in `format`.
pub fn render(changeset: &Changeset, format: Format) -> String {
    match format {
        Format::Text { color } => text(changeset, color),
        Format::Markdown { max_size } => markdown(changeset, max_size),
        Format::Json => json(changeset),
    }
}

/// `3 changed, 1 added, 1 removed, 1 renamed` (only the non-zero parts), or `no changes`.
pub fn counts_line(counts: &Counts) -> String {
    let parts: Vec<String> = [
        (counts.changed, "changed"),
        (counts.added, "added"),
        (counts.removed, "removed"),
        (counts.renamed, "renamed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "no changes".to_string()
    } else {
        parts.join(", ")
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn mark(&self, change: Change, text: &str) -> String {
        let code = match change {
            Change::Added => "32",
            Change::Removed => "31",
            Change::Changed => "33",
            Change::Renamed => "36",
        };
        self.wrap(code, text)
    }

    fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }

    fn red(&self, text: &str) -> String {
        self.wrap("31", text)
    }

    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// One line per changed object (`~ apps/shop Deployment/api (prod)`), what `platc build` prints.
pub fn summary(changeset: &Changeset, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    for object in &changeset.objects {
        let _ = writeln!(out, "{}", paint.mark(object.change, &object.summary_line()));
    }
    out
}

/// The text format: each object's summary line, then its field changes.
pub fn text(changeset: &Changeset, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    for object in &changeset.objects {
        let mut head = object.summary_line();
        if let Some(similarity) = object.similarity {
            let _ = write!(head, " ({similarity}% similar)");
        }
        let _ = writeln!(out, "{}", paint.mark(object.change, &head));
        match object.change {
            Change::Added => {
                if let Some(value) = &object.value {
                    for line in whole_lines(value, object.part) {
                        let _ = writeln!(out, "    {}", paint.green(&line));
                    }
                }
            }
            Change::Removed => {}
            Change::Changed | Change::Renamed => {
                if let Some(old) = &object.old_path {
                    let _ = writeln!(
                        out,
                        "    {} {} → {}",
                        paint.dim("file:"),
                        paint.red(old),
                        paint.green(&object.path)
                    );
                }
                for field in &object.fields {
                    text_field(&mut out, field, &paint);
                }
            }
        }
    }
    let _ = writeln!(out, "{}", counts_line(&changeset.counts()));
    out
}

fn text_field(out: &mut String, field: &FieldChange, paint: &Paint) {
    match field {
        FieldChange::Changed {
            path,
            redacted: true,
            ..
        } => {
            let _ = writeln!(
                out,
                "    {}: {}",
                shown_path(path),
                paint.dim("changed (redacted)")
            );
        }
        FieldChange::Changed { path, old, new, .. } => match (inline(old), inline(new)) {
            (Some(a), Some(b)) => {
                let _ = writeln!(
                    out,
                    "    {}: {} → {}",
                    shown_path(path),
                    paint.red(&a),
                    paint.green(&b)
                );
            }
            _ => {
                let _ = writeln!(out, "    {}:", shown_path(path));
                for line in block(old) {
                    let _ = writeln!(out, "      {}", paint.red(&format!("- {line}")));
                }
                for line in block(new) {
                    let _ = writeln!(out, "      {}", paint.green(&format!("+ {line}")));
                }
            }
        },
        FieldChange::Added { path, value, .. } | FieldChange::Removed { path, value, .. } => {
            let (mark, color): (&str, fn(&Paint, &str) -> String) = match field {
                FieldChange::Added { .. } => ("+", Paint::green),
                _ => ("-", Paint::red),
            };
            match inline(value) {
                Some(v) => {
                    let _ = writeln!(
                        out,
                        "    {}",
                        color(paint, &format!("{mark} {}: {v}", shown_path(path)))
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    {}",
                        color(paint, &format!("{mark} {}:", shown_path(path)))
                    );
                    for line in block(value) {
                        let _ = writeln!(out, "    {}", color(paint, &format!("{mark}   {line}")));
                    }
                }
            }
        }
        FieldChange::Text { path, diff } => {
            let indent = if path.is_empty() {
                "    "
            } else {
                let _ = writeln!(out, "    {}:", shown_path(path));
                "      "
            };
            for line in diff.lines() {
                let colored = match line.chars().next() {
                    Some('+') => paint.green(line),
                    Some('-') => paint.red(line),
                    Some('@') => paint.dim(line),
                    _ => line.to_string(),
                };
                let _ = writeln!(out, "{indent}{colored}");
            }
        }
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() {
        "(whole)"
    } else {
        path
    }
}

/// A value on one line when it is short: strings bare, the rest as JSON.
fn inline(value: &Json) -> Option<String> {
    let text = match value {
        Json::String(s) if s.is_empty() => "\"\"".to_string(),
        Json::String(s) if s.contains('\n') => return None,
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    (text.chars().count() <= INLINE_WIDTH).then_some(text)
}

/// A value as YAML lines.
fn block(value: &Json) -> Vec<String> {
    crate::render::bundle::to_yaml(value)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The lines of an added or removed object: its YAML, or a file's text.
fn whole_lines(value: &Json, part: Part) -> Vec<String> {
    match (part, value) {
        (Part::File, Json::String(text)) => text.lines().map(str::to_string).collect(),
        _ => block(value),
    }
}

/// The markdown format: a heading, a summary table (every changed object by
/// name, per app and env), then a `<details>` section per object while they
/// fit in `max_size` characters; what did not fit is named at the end.
pub fn markdown(changeset: &Changeset, max_size: usize) -> String {
    let counts = changeset.counts();
    let mut out = String::from("### platc diff\n\n");
    if changeset.is_empty() {
        out.push_str("No changes to the generated manifests.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "**{}** ({} objects)\n",
        counts_line(&counts),
        counts.total()
    );
    out.push_str(&summary_table(changeset));
    let mut used = out.chars().count();
    let per_object = (max_size / 8).max(4_000);
    let mut left_out: Vec<&ObjectChange> = Vec::new();
    let mut sections = String::new();
    for object in &changeset.objects {
        let section = details(object, per_object);
        let size = section.chars().count();
        if left_out.is_empty() && used + size + NOTE_RESERVE <= max_size {
            sections.push_str(&section);
            used += size;
        } else {
            left_out.push(object);
        }
    }
    out.push('\n');
    out.push_str(&sections);
    if !left_out.is_empty() {
        let mut listed = 0;
        let mut lines = String::new();
        for object in &left_out {
            let line = format!("- `{}`\n", object.summary_line());
            let size = line.chars().count();
            if used + size + NOTE_RESERVE > max_size {
                break;
            }
            lines.push_str(&line);
            used += size;
            listed += 1;
        }
        let _ = writeln!(
            out,
            "\n**Details of {} object(s) left out** to stay under {max_size} characters; every object is named in the table above. Run `platc diff` locally for the full diff.\n",
            left_out.len()
        );
        out.push_str(&lines);
        if listed < left_out.len() {
            let _ = writeln!(out, "- … and {} more", left_out.len() - listed);
        }
    }
    out
}

/// `| app | env | added | changed | removed | renamed | objects |`, one row per (app, env).
fn summary_table(changeset: &Changeset) -> String {
    // (app, env) → counts and the marked names by kind.
    type Row = (Counts, BTreeMap<String, Vec<String>>);
    let mut rows: BTreeMap<(&str, Option<&str>), Row> = BTreeMap::new();
    for object in &changeset.objects {
        let row = rows
            .entry((object.app_label(), object.env.as_deref()))
            .or_default();
        row.0.add(object.change);
        // Unnamed objects (kustomizations, values) and files are listed by kind or file name.
        let (group, name) = match (object.part, object.name.is_empty()) {
            (Part::File, _) => (String::new(), object.name.clone()),
            (_, true) => (String::new(), object.kind.clone()),
            _ => (object.kind.clone(), object.name.clone()),
        };
        let name = match (&object.old_name, object.change) {
            (Some(old), Change::Renamed) => format!("{old}→{name}"),
            _ => name,
        };
        row.1.entry(group).or_default().push(format!(
            "{}{}",
            object.change.mark(),
            escape_cell(&name)
        ));
    }
    let mut out = String::from(
        "| app | env | added | changed | removed | renamed | objects |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    for ((app, env), (counts, kinds)) in &rows {
        let objects: Vec<String> = kinds
            .iter()
            .map(|(kind, names)| {
                if kind.is_empty() {
                    names.join(" ")
                } else {
                    format!("{}: {}", escape_cell(kind), names.join(" "))
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape_cell(app),
            env.unwrap_or("base"),
            counts.added,
            counts.changed,
            counts.removed,
            counts.renamed,
            objects.join("; ")
        );
    }
    out
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One object's `<details>` section; its body is cut to about `limit` characters.
fn details(object: &ObjectChange, limit: usize) -> String {
    let mut head = object.summary_line();
    if let Some(similarity) = object.similarity {
        let _ = write!(head, " ({similarity}% similar)");
    }
    let body = diff_lines(object);
    let mut shown = String::new();
    let mut size = 0;
    let mut cut = 0;
    for (i, line) in body.iter().enumerate() {
        size += line.chars().count() + 1;
        if size > limit {
            cut = body.len() - i;
            break;
        }
        shown.push_str(line);
        shown.push('\n');
    }
    if cut > 0 {
        let _ = writeln!(shown, "… {cut} more line(s) left out");
    }
    let fence = fence_for(&shown);
    let what = match object.change {
        Change::Added | Change::Removed => format!("{} lines", body.len()),
        Change::Changed | Change::Renamed if object.fields.is_empty() => "file moved".to_string(),
        Change::Changed | Change::Renamed => format!("{} field(s)", object.fields.len()),
    };
    format!(
        "<details><summary><code>{}</code> · {what}</summary>\n\n{fence}diff\n{shown}{fence}\n\n</details>\n",
        escape_html(&head)
    )
}

/// A code fence longer than any run of backticks in `body`.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// The body of a markdown section as `diff` lines.
fn diff_lines(object: &ObjectChange) -> Vec<String> {
    match object.change {
        Change::Added | Change::Removed => {
            let mark = if object.change == Change::Added {
                '+'
            } else {
                '-'
            };
            let value = object
                .value
                .as_ref()
                .map(|v| whole_lines(v, object.part))
                .unwrap_or_default();
            value.iter().map(|line| format!("{mark} {line}")).collect()
        }
        Change::Changed | Change::Renamed => {
            let mut lines = Vec::new();
            if let Some(old) = &object.old_path {
                lines.push(format!("- file: {old}"));
                lines.push(format!("+ file: {}", object.path));
            }
            for field in &object.fields {
                markdown_field(&mut lines, field);
            }
            lines
        }
    }
}

fn markdown_field(lines: &mut Vec<String>, field: &FieldChange) {
    let mut value_lines = |mark: char, path: &str, value: &Json| match inline(value) {
        Some(v) => lines.push(format!("{mark} {}: {v}", shown_path(path))),
        None => {
            lines.push(format!("{mark} {}:", shown_path(path)));
            lines.extend(block(value).iter().map(|l| format!("{mark}     {l}")));
        }
    };
    match field {
        FieldChange::Changed {
            path,
            redacted: true,
            ..
        } => {
            lines.push(format!("! {}: changed (redacted)", shown_path(path)));
        }
        FieldChange::Changed { path, old, new, .. } => {
            value_lines('-', path, old);
            value_lines('+', path, new);
        }
        FieldChange::Added { path, value, .. } => value_lines('+', path, value),
        FieldChange::Removed { path, value, .. } => value_lines('-', path, value),
        FieldChange::Text { path, diff } => {
            if !path.is_empty() {
                lines.push(format!("  {path}:"));
            }
            lines.extend(diff.lines().map(str::to_string));
        }
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    counts: Counts,
    objects: &'a [ObjectChange],
}

/// The JSON format: `{"counts": {...}, "objects": [...]}`, pretty-printed.
pub fn json(changeset: &Changeset) -> String {
    let report = JsonReport {
        counts: changeset.counts(),
        objects: &changeset.objects,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}
