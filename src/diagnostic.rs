//! Diagnostics: the one type every stage reports problems with, the
//! registry of stable codes (LANGUAGE.md §5), and `report()`, which renders a
//! sorted, deduplicated list as miette's graphical report or as JSON lines.
//! The CLI, the tests and the language server call the same functions.
//!
//! Stages stay pure: they store `Span`s, never source text; the source is
//! attached here, at the boundary.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SpanContents,
};
use serde::{Deserialize, Serialize};

use crate::source::SourceMap;
use crate::span::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident => $text:literal, $severity:ident, $summary:literal;)*) => {
        /// Every stable diagnostic code. A released code is never renamed or reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code without the `platc::` prefix (`unknown-reference`).
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            /// The default severity of the code.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line saying when the code fires.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    Parse => "parse", Error, "syntax error";
    DuplicateDeclaration => "duplicate-declaration", Error, "same kind and name declared twice";
    UnknownReference => "unknown-reference", Error, "a reference to something that is not declared";
    UnknownField => "unknown-field", Error, "a field or block the kind does not have";
    TypeMismatch => "type-mismatch", Error, "a value of the wrong type or unit";
    MissingField => "missing-field", Error, "a required field is absent";
    InvalidName => "invalid-name", Error, "a name that is not a DNS-1123 label or is too long";
    RequestAboveLimit => "request-above-limit", Error, "in a range, request > limit";
    ImageUntagged => "image-untagged", Error, "image with neither tag nor digest";
    ImageLatest => "image-latest", Warning, "image tag `latest`";
    AutoscaleBounds => "autoscale-bounds", Error, "autoscale `min > max`, or `max < 1`";
    AutoscaleWithoutRequest => "autoscale-without-request", Error, "cpu/memory target without a request for it";
    InvalidPort => "invalid-port", Error, "port outside 1..65535";
    DuplicatePort => "duplicate-port", Error, "two ports with one name or number";
    UnknownPort => "unknown-port", Error, "a port name the workload lacks";
    TalksToNoPorts => "talks-to-no-ports", Error, "`talks-to` a target that exposes no port";
    TopicReplicas => "topic-replicas", Error, "topic replicas > its kafka's brokers";
    TopicMinIsr => "topic-min-isr", Error, "`min.insync.replicas` > replicas";
    TopicPartitions => "topic-partitions", Error, "partitions < 1";
    OrphanTopic => "orphan-topic", Warning, "a consumed topic nobody publishes";
    UnknownEnv => "unknown-env", Error, "`when X` for an undeclared env";
    RoleNoSubjects => "role-no-subjects", Error, "a role binds nobody";
    RoleAccessAndRules => "role-access-and-rules", Error, "both `access` and `rule`";
    UnknownVerb => "unknown-verb", Error, "an RBAC verb Kubernetes does not know";
    RbacWildcard => "rbac-wildcard", Warning, "`*` in verbs, resources or api-groups";
    UnknownPanelType => "unknown-panel-type", Error, "a panel type Grafana does not ship";
    EmptyQuery => "empty-query", Error, "a panel with an empty query";
    PlaintextSecret => "plaintext-secret", Error, "a literal secret value, or a secret inside `${…}`";
    ChartVersion => "chart-version", Error, "a chart version that is not exact";
    FileOutsideProject => "file-outside-project", Error, "`file()` resolving outside the project";
    PoolCapacity => "pool-capacity", Error, "requests pinned to a pool exceed its capacity";
    DuplicateObject => "duplicate-object", Error, "two rendered objects with one identity";
    Schema => "schema", Error, "a rendered document fails its schema";
    DuplicateField => "duplicate-field", Error, "a field set twice in one block";
    UnknownKind => "unknown-kind", Error, "a declaration kind that does not exist";
    ExtendsCycle => "extends-cycle", Error, "`extends` chains that loop";
    HandEditedFile => "hand-edited-file", Warning, "a generated file was edited by hand";
    OrphanMetrics => "orphan-metrics", Warning, "a `metrics` block no declared Prometheus scrapes";
    KindNetworkPolicy => "kind-network-policy", Warning, "`cluster = kind` cannot enforce `network = isolated`";
    RandomSecret => "random-secret", Warning, "a chart left generating random passwords";
    Io => "io", Error, "a file could not be read or written";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "platc::{}", self.name())
    }
}

/// A span with the text that explains it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    /// A label on `span` saying `message`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
        }
    }
}

/// One problem found in the sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lowercase, no final period, user names in backticks.
    pub message: String,
    pub primary: Label,
    /// Other places that matter; those in other files are shown as related reports.
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label::new(span, label),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    #[must_use]
    pub fn with_optional_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts by (file, offset, code) and removes exact duplicates (a check that
/// fires identically in several environments is reported once).
pub fn sort_and_dedupe(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.primary.span, a.code, &a.message, &a.secondary).cmp(&(
            b.primary.span,
            b.code,
            &b.message,
            &b.secondary,
        ))
    });
    diagnostics.dedup();
}

/// How `report` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// miette's graphical report.
    Human { color: bool, width: usize },
    /// One JSON object per line (LANGUAGE.md §5).
    Json,
}

/// Most diagnostics the human format renders in one run; the summary line
/// still counts all of them and the JSON format lists every one.
pub const MAX_HUMAN_REPORTS: usize = 100;

/// Writes every diagnostic in `format` (the human format: the first
/// `MAX_HUMAN_REPORTS`, then how many more there are).
///
/// # Errors
/// When `out` fails.
pub fn report(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => {
            // One index per file, so positions cost O(log n), not O(offset):
            // a million diagnostics in one big file must still finish.
            let mut indexes = std::collections::BTreeMap::new();
            for diagnostic in diagnostics {
                writeln!(
                    out,
                    "{}",
                    to_json_indexed(diagnostic, sources, &mut indexes)
                )?;
            }
        }
        Format::Human { color, width } => {
            let theme = if color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            let handler = GraphicalReportHandler::new_themed(theme)
                .with_width(width)
                .with_links(false);
            // Rendering one report costs time in the size of its file, so a
            // run with a million diagnostics would never end: show the first
            // `MAX_HUMAN_REPORTS`, count the rest.
            for diagnostic in diagnostics.iter().take(MAX_HUMAN_REPORTS) {
                let mut text = String::new();
                let shown = Shown::new(diagnostic, sources);
                handler
                    .render_report(&mut text, &shown)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                out.write_all(text.as_bytes())?;
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = diagnostics.len() - errors;
            if let Some(hidden) = diagnostics
                .len()
                .checked_sub(MAX_HUMAN_REPORTS)
                .filter(|n| *n > 0)
            {
                writeln!(out, "… and {hidden} more not shown (`platc validate --format json` lists every one)")?;
            }
            if !diagnostics.is_empty() {
                writeln!(out, "{}", summary_line(errors, warnings))?;
            }
        }
    }
    Ok(())
}

/// `2 errors, 1 warning`.
pub fn summary_line(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// 1-based line and column (columns count Unicode scalar values) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = newlines(before) + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Line ends in `text`. Counted per chunk of 255 bytes into a `u8`, which
/// the compiler vectorizes; `str::matches` (~6 instructions a byte) and a
/// plain `filter(..).count()` (12 times slower than this, 4.4 MB) do not.
/// A report counts from its file's start: at 1,000 services the 100 shown
/// cost ~19M instructions before.
pub(crate) fn newlines(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|chunk| {
            usize::from(
                chunk
                    .iter()
                    .fold(0u8, |n, byte| n + u8::from(*byte == b'\n')),
            )
        })
        .sum()
}

/// `line_column` in O(log n + BLOCK) per lookup: the start of every line and
/// the number of characters before every `BLOCK`-byte block of one text.
struct LineIndex {
    line_starts: Vec<usize>,
    block_chars: Vec<usize>,
}

impl LineIndex {
    const BLOCK: usize = 256;

    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let line_starts = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let mut block_chars = vec![0];
        let mut chars = 0;
        for block in bytes.chunks(Self::BLOCK) {
            chars += block.iter().filter(|b| !is_continuation(**b)).count();
            block_chars.push(chars);
        }
        Self {
            line_starts,
            block_chars,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / Self::BLOCK;
        let rest = &text.as_bytes()[block * Self::BLOCK..offset];
        self.block_chars[block] + rest.iter().filter(|b| !is_continuation(**b)).count()
    }

    /// The same as `line_column(text, offset)`.
    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let line_start = self.line_starts[line - 1];
        (
            line,
            self.chars_before(text, offset) - self.chars_before(text, line_start) + 1,
        )
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: String,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

/// The JSON line for one diagnostic.
pub fn to_json(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    to_json_indexed(diagnostic, sources, &mut std::collections::BTreeMap::new())
}

/// `to_json` with the line indexes of earlier calls (built on first use).
fn to_json_indexed(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    indexes: &mut std::collections::BTreeMap<crate::span::FileId, LineIndex>,
) -> String {
    let mut position = |span_file, offset| {
        let text = &sources.file(span_file).text;
        indexes
            .entry(span_file)
            .or_insert_with(|| LineIndex::new(text))
            .line_column(text, offset)
    };
    let file = sources.file(diagnostic.primary.span.file);
    let (line, column) = position(file.id, diagnostic.primary.span.start());
    let (end_line, end_column) = position(file.id, diagnostic.primary.span.end());
    let related = diagnostic
        .secondary
        .iter()
        .map(|label| {
            let other = sources.file(label.span.file);
            let (line, column) = position(other.id, label.span.start());
            JsonRelated {
                file: &other.name,
                line,
                column,
                message: &label.message,
            }
        })
        .collect();
    let json = JsonDiagnostic {
        severity: diagnostic.severity,
        code: diagnostic.code.to_string(),
        message: &diagnostic.message,
        file: &file.name,
        line,
        column,
        end_line,
        end_column,
        help: diagnostic.help.as_deref(),
        related,
    };
    serde_json::to_string(&json).expect("invariant: diagnostics serialise to JSON")
}

/// A diagnostic with its source attached, in the shape miette renders.
#[derive(Debug)]
struct Shown {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Snippet,
    labels: Vec<LabeledSpan>,
    related: Vec<Shown>,
}

impl Shown {
    fn new(diagnostic: &Diagnostic, sources: &SourceMap) -> Self {
        let file = sources.file(diagnostic.primary.span.file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(diagnostic.primary.message.clone()),
            clamp(diagnostic.primary.span, &file.text),
        )];
        let mut related = Vec::new();
        for label in &diagnostic.secondary {
            if label.span.file == diagnostic.primary.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.message.clone()),
                    clamp(label.span, &file.text),
                ));
            } else {
                let other = sources.file(label.span.file);
                related.push(Shown {
                    message: label.message.clone(),
                    code: String::new(),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Snippet::new(
                        &other.name,
                        &other.text,
                        [clamp(label.span, &other.text)],
                    ),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(label.message.clone()),
                        clamp(label.span, &other.text),
                    )],
                    related: Vec::new(),
                });
            }
        }
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut code = String::new();
        let _ = write!(code, "{}", diagnostic.code);
        Shown {
            message: diagnostic.message.clone(),
            code,
            severity,
            help: diagnostic.help.clone(),
            source: Snippet::new(&file.name, &file.text, labels.iter().map(|l| *l.inner())),
            labels,
            related,
        }
    }
}

/// The text miette is given for one report: the whole file, or, when the
/// labelled lines are very long, an excerpt around the labels. Rendering
/// costs time and output in the length of the lines shown: a 2 MB line (a
/// million-element list) was printed whole for every report.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// Where `text` starts in the file: byte offset, 0-based line and column.
    base: usize,
    line: usize,
    column: usize,
}

impl Snippet {
    /// Longer labelled lines than this are cut to an excerpt.
    const LONG_LINES: usize = 4096;
    /// Bytes kept on each side of the labels in an excerpt.
    const AROUND: usize = 160;
    /// Lines shown on each side of the labels' lines; miette asks for one.
    const CONTEXT_LINES: usize = 3;

    fn new(name: &str, text: &str, spans: impl IntoIterator<Item = miette::SourceSpan>) -> Self {
        let whole = || Snippet {
            name: name.to_string(),
            text: text.to_string(),
            base: 0,
            line: 0,
            column: 0,
        };
        let (lo, hi) = spans.into_iter().fold((usize::MAX, 0), |(lo, hi), s| {
            (lo.min(s.offset()), hi.max(s.offset() + s.len()))
        });
        if lo == usize::MAX {
            return whole();
        }
        let lo = floor_char_boundary(text, lo.min(text.len()));
        let hi = ceil_char_boundary(text, hi.clamp(lo, text.len()));
        let line_start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
        if line_end - line_start <= Self::LONG_LINES {
            return Self::lines_around(name, text, line_start, line_end);
        }
        let start = floor_char_boundary(text, lo.saturating_sub(Self::AROUND).max(line_start));
        let end = ceil_char_boundary(text, (hi + Self::AROUND).min(line_end));
        // Like miette's own columns for a whole text: bytes since the line start.
        let (line, _) = line_column(text, start);
        Snippet {
            name: name.to_string(),
            text: text[start..end].to_string(),
            base: start,
            line: line - 1,
            column: start - line_start,
        }
    }

    /// The labels' lines (`line_start..line_end`) and `CONTEXT_LINES` whole
    /// lines on each side. miette finds a span by scanning its text from the
    /// start: given the whole file, every report near the end of a large
    /// file cost a pass over all of it.
    fn lines_around(name: &str, text: &str, line_start: usize, line_end: usize) -> Self {
        let mut start = line_start;
        for _ in 0..Self::CONTEXT_LINES {
            if start == 0 {
                break;
            }
            start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        }
        let mut end = line_end;
        for _ in 0..Self::CONTEXT_LINES {
            if end >= text.len() {
                break;
            }
            end = text[end + 1..]
                .find('\n')
                .map_or(text.len(), |i| end + 1 + i);
        }
        // With the last line's newline, as in the whole file.
        let end = (end + 1).min(text.len());
        Snippet {
            name: name.to_string(),
            text: text[start..end].to_string(),
            base: start,
            line: line_column(text, start).0 - 1,
            column: 0,
        }
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let offset = span
            .offset()
            .checked_sub(self.base)
            .ok_or(MietteError::OutOfBounds)?;
        let local = miette::SourceSpan::from((offset, span.len()));
        let inner =
            self.text
                .as_str()
                .read_span(&local, context_lines_before, context_lines_after)?;
        let column = if inner.line() == 0 {
            inner.column() + self.column
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::from((inner.span().offset() + self.base, inner.span().len())),
            inner.line() + self.line,
            column,
            // miette counts the line ends it scanned from the start of its
            // text, and compares `line + line_count` of two labels' contexts
            // to merge them: counted from the start of the file, as if it had
            // been given the whole file.
            inner.line_count() + self.line,
        )))
    }
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// Keeps a span inside its text so a renderer can never index out of range.
fn clamp(span: Span, text: &str) -> miette::SourceSpan {
    let start = span.start().min(text.len());
    let end = span.end().clamp(start, text.len());
    (start, end - start).into()
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl miette::Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_reads_every_span_as_the_whole_file_does() {
        // The excerpt miette gets (the labels' lines and a few around them)
        // must give the same contents, lines and columns as the whole file,
        // whatever the span: first and last lines, empty lines, no final
        // newline, multi-byte characters, spans over several lines.
        let texts = [
            "a = 1\n\nservice api {\n  image = \"é\"\n  ports = { http = 80 }\n}\n\n\n# end",
            "x\n",
            "only one line",
        ];
        for text in texts {
            let whole = Snippet {
                name: "f.platform".into(),
                text: text.into(),
                base: 0,
                line: 0,
                column: 0,
            };
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for &start in &boundaries {
                for &end in boundaries.iter().filter(|&&e| e >= start).take(12) {
                    let span = miette::SourceSpan::from((start, end - start));
                    let snippet = Snippet::new("f.platform", text, [span]);
                    for context in 0..=Snippet::CONTEXT_LINES {
                        let a = whole.read_span(&span, context, context).expect("whole");
                        let b = snippet.read_span(&span, context, context).expect("excerpt");
                        let at = format!("{text:?} {start}..{end} context {context}");
                        assert_eq!(a.data(), b.data(), "{at}");
                        assert_eq!(a.span(), b.span(), "{at}");
                        assert_eq!(a.line(), b.line(), "{at}");
                        assert_eq!(a.column(), b.column(), "{at}");
                        assert_eq!(a.line_count(), b.line_count(), "{at}");
                    }
                }
            }
        }
    }

    #[test]
    fn line_column_counts_unicode_scalars() {
        let text = "a\nhé x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (2, 1));
        // `x` is after `h`, `é` (2 bytes) and a space.
        assert_eq!(line_column(text, 6), (2, 4));
    }

    #[test]
    fn newlines_are_counted_across_chunk_boundaries() {
        // Line ends at 254, 255 and 256, then a chunk (255..510) of nothing
        // but line ends: 255, the most its `u8` counts.
        let mut text = "x".repeat(254) + "\n\n\n" + &"\n".repeat(300) + "y";
        text.push_str(&"ab\n".repeat(500));
        for end in 0..=text.len() {
            let slice = &text[..end];
            assert_eq!(newlines(slice), slice.matches('\n').count(), "at {end}");
        }
    }

    #[test]
    fn line_index_agrees_with_line_column_at_every_offset() {
        let text = format!("{}\né😀x\n\n{}ü\n", "ab".repeat(200), "ç".repeat(300));
        let index = LineIndex::new(&text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                index.line_column(&text, offset),
                line_column(&text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn code_names_are_kebab_case_and_unique() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
