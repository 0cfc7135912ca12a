//! Translating pest errors, once, into `platc::parse` diagnostics: the
//! position becomes a span on the offending token, rule names become words
//! ("expected `=` or `{` after field name `image`"), never pest rule names.

use pest::error::{ErrorVariant, InputLocation};
use pest::Parser as _;

use super::grammar::{PlatformParser, Rule};
use super::MAX_NESTING;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceFile;
use crate::span::Span;

/// The human name of a grammar rule, as parse errors print it.
pub fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::declaration | Rule::decl_kind => "a declaration such as `service NAME { … }`",
        Rule::decl_name | Rule::env_name | Rule::name | Rule::ref_segment => "a name",
        Rule::extends_clause | Rule::kw_extends => "`extends`",
        Rule::body => "`{`",
        Rule::entry | Rule::field_path | Rule::key => "a field name",
        Rule::when_block | Rule::kw_when => "`when`",
        Rule::block_label => "a block label",
        Rule::assign => "`=`",
        Rule::none
        | Rule::boolean
        | Rule::numeric
        | Rule::number
        | Rule::list
        | Rule::map
        | Rule::call
        | Rule::reference
        | Rule::heredoc => "a value",
        Rule::string => "a string",
        Rule::number_magnitude => "a number",
        Rule::unit => "a unit suffix",
        Rule::map_entry => "a map key",
        Rule::call_name => "a function name",
        Rule::ref_attr => "an attribute name",
        Rule::string_text | Rule::escape | Rule::interpolation => "the rest of the string",
        Rule::heredoc_tag => "a heredoc tag such as `EOT`",
        Rule::heredoc_content | Rule::heredoc_end => "the heredoc's closing tag",
        _ => return None,
    })
}

fn token_name(token: &str) -> Option<String> {
    match token {
        "=" | "{" | "}" | "[" | "]" | "(" | ")" | "," | ".." | "\"" | "." => {
            Some(format!("`{token}`"))
        }
        _ => None,
    }
}

/// Rejects nesting deeper than `MAX_NESTING` before pest recurses into it.
pub(super) fn check_nesting(file: &SourceFile) -> Option<Diagnostic> {
    let bytes = file.text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => i = skip_heredoc(bytes, i + 2),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let span = Span::new(file.id, i, i + 1);
                    return Some(
                        Diagnostic::new(
                            Code::Parse,
                            format!("blocks, maps and lists are nested more than {MAX_NESTING} levels deep"),
                            span,
                            "too deep here",
                        )
                        .with_help("flatten the structure; no platform needs this depth"),
                    );
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the last byte of a heredoc that starts after `<<` at `start`.
fn skip_heredoc(bytes: &[u8], start: usize) -> usize {
    let tag_end = start
        + bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
    let tag = &bytes[start..tag_end];
    if tag.is_empty() {
        return start;
    }
    let mut i = tag_end;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let line_start = i + 1;
            let line_end = bytes[line_start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |p| line_start + p);
            let line = &bytes[line_start..line_end];
            let trimmed: &[u8] = {
                let skip = line
                    .iter()
                    .take_while(|b| **b == b' ' || **b == b'\t')
                    .count();
                &line[skip..]
            };
            if trimmed.starts_with(tag) {
                return line_start + (line.len() - trimmed.len()) + tag.len() - 1;
            }
        }
        i += 1;
    }
    bytes.len()
}

/// Turns a pest error into a `platc::parse` diagnostic.
pub(super) fn translate(err: &pest::error::Error<Rule>, file: &SourceFile) -> Diagnostic {
    let text = file.text.as_str();
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = Vec::new();
    let mut push = |what: String| {
        if !expected.contains(&what) {
            expected.push(what);
        }
    };
    if let ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for rule in positives {
            if let Some(name) = rule_name(*rule) {
                push(name.to_string());
            }
        }
    }
    for token in expected_tokens(text) {
        if let Some(name) = token_name(&token) {
            push(name);
        }
    }
    prune_expected(&mut expected);
    order_expected(&mut expected);

    let found = token_at(text, pos);
    if expected.iter().any(|e| e == "the rest of the string") {
        return unterminated_string(file, pos);
    }
    if expected == ["`{`"] {
        if let Some(diagnostic) = missing_assign_before_string(file, pos) {
            return diagnostic;
        }
    }
    let span = Span::new(file.id, pos, pos + found.len());
    let context = context_before(text, pos);
    let found_words = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{}`", found.escape_debug())
    };
    let expected_words = join_alternatives(&expected);
    let message = match (&expected_words, &context) {
        (Some(e), Some(c)) => format!("expected {e} {c}, found {found_words}"),
        (Some(e), None) => format!("expected {e}, found {found_words}"),
        (None, _) => format!("unexpected {found_words}"),
    };
    let label = if found.is_empty() {
        "file ends here".to_string()
    } else {
        "unexpected here".into()
    };
    let mut diagnostic =
        Diagnostic::new(Code::Parse, message, span, label).with_help(help_for(&expected, found));
    if found.is_empty() {
        if let Some(open) = last_unclosed(text) {
            diagnostic = diagnostic.with_label(
                Span::new(file.id, open, open + 1),
                "this `{` is never closed",
            );
        }
    }
    diagnostic
}

/// Drops alternatives that only confuse: a quoted key or block label where
/// `=`/`{` or a field name is the real expectation.
fn prune_expected(expected: &mut Vec<String>) {
    let has = |e: &Vec<String>, s: &str| e.iter().any(|x| x == s);
    if has(expected, "`=`") && has(expected, "`{`") {
        expected.retain(|e| e != "a string" && e != "`\"`" && e != "a block label");
    }
    if has(expected, "a field name") {
        expected.retain(|e| e != "`\"`" && e != "`,`" && e != "`when`");
    }
    if has(expected, "a value") {
        expected.retain(|e| {
            e == "a value" || (e.starts_with('`') && e != "`\"`" && e != "`[`" && e != "`{`")
        });
    }
}

/// `image "nginx:1"`: the string was taken for a block label; the real
/// mistake is the missing `=` before it.
fn missing_assign_before_string(file: &SourceFile, pos: usize) -> Option<Diagnostic> {
    let text = file.text.as_str();
    let before = text[..pos].trim_end();
    if !before.ends_with('"') {
        return None;
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &before[line_start..];
    let open = line.find('"')?;
    let key = line[..open].trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return None;
    }
    let start = line_start + open;
    Some(
        Diagnostic::new(
            Code::Parse,
            format!("expected `=` between field name `{key}` and its value"),
            Span::new(file.id, start, before.len()),
            "value without `=`",
        )
        .with_help(format!("write `{key} = {}`", &line[open..])),
    )
}

fn unterminated_string(file: &SourceFile, pos: usize) -> Diagnostic {
    let text = file.text.as_str();
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let open = text[line_start..pos]
        .find('"')
        .map_or(pos, |i| line_start + i);
    Diagnostic::new(
        Code::Parse,
        "unterminated string",
        Span::new(file.id, pos, pos),
        "the line ends before the closing `\"`",
    )
    .with_label(Span::new(file.id, open, open + 1), "string starts here")
    .with_help("close the string with `\"` on the same line, or use a heredoc (`<<EOT … EOT`) for text over several lines")
}

/// Byte offset of the last `{` with no matching `}` (outside strings and comments).
fn last_unclosed(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => i = skip_heredoc(bytes, i + 2),
            b'{' => stack.push(i),
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.pop()
}

/// Serialises the detailed re-parses: pest's error-detail switch is global,
/// and files are parsed on several threads.
static ERROR_DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Literal tokens pest tried at the failure point (re-parses with error detail on).
fn expected_tokens(text: &str) -> Vec<String> {
    let guard = ERROR_DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(true);
    let result = PlatformParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    drop(guard);
    let Err(err) = result else { return Vec::new() };
    let Some(attempts) = err.parse_attempts() else {
        return Vec::new();
    };
    attempts
        .expected_tokens()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Puts punctuation first, then words, each group in a fixed order.
fn order_expected(expected: &mut [String]) {
    const ORDER: &[&str] = &["`=`", "`{`", "`}`", "`,`", "`]`", "`)`", "`..`"];
    expected.sort_by_key(|e| {
        ORDER
            .iter()
            .position(|o| o == e)
            .unwrap_or(ORDER.len() + usize::from(e == "end of file"))
    });
}

fn join_alternatives(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} or {last}", init.join(", "))),
    }
}

/// The token starting at `pos`: a word, a string start, or one character.
fn token_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "";
    };
    if first.is_alphanumeric() || first == '_' {
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.'))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    } else if first == '\n' {
        "\n"
    } else {
        &rest[..first.len_utf8()]
    }
}

/// "after field name `image`", "after `=`": what came before the failure point.
fn context_before(text: &str, pos: usize) -> Option<String> {
    let before = text.get(..pos)?;
    let trimmed = strip_trailing_comment_and_space(before);
    let last = trimmed.chars().last()?;
    if last == '=' {
        let key = last_word(&trimmed[..trimmed.len() - 1]);
        return Some(match key {
            Some(k) => format!("after `{k} =`"),
            None => "after `=`".to_string(),
        });
    }
    let word = last_word(trimmed)?;
    let raw_before = &trimmed[..trimmed.len() - word.len()];
    let starts_line = raw_before.trim_end_matches([' ', '\t']).ends_with('\n');
    let before_word = strip_trailing_comment_and_space(raw_before);
    let prev = before_word.chars().last();
    if matches!(prev, Some('{' | '}' | ',') | None) || starts_line {
        Some(format!("after field name `{word}`"))
    } else {
        Some(format!("after `{word}`"))
    }
}

fn last_word(text: &str) -> Option<&str> {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .last()
        .map(|(i, _)| i)?;
    Some(&text[start..])
}

fn strip_trailing_comment_and_space(text: &str) -> &str {
    let mut current = text.trim_end();
    // Drop a trailing `# comment` line-by-line (only when the `#` starts a comment).
    loop {
        let line_start = current.rfind('\n').map_or(0, |i| i + 1);
        let line = &current[line_start..];
        match comment_start(line) {
            Some(i) => current = current[..line_start + i].trim_end(),
            None => return current,
        }
    }
}

fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn help_for(expected: &[String], found: &str) -> String {
    let wants = |s: &str| expected.iter().any(|e| e == s);
    if found.is_empty() && wants("`}`") {
        return "a block is not closed: add the missing `}`".into();
    }
    if wants("the heredoc's closing tag") {
        return "end the heredoc with its tag alone on a line".into();
    }
    if wants("`=`") && wants("`{`") {
        return "write `field = value` for an attribute or `field { … }` for a block".into();
    }
    if wants("a value") {
        return "a value is a string, number, name, reference, list `[…]` or map `{…}`".into();
    }
    if wants("a declaration such as `service NAME { … }`") {
        return "each declaration is `KIND NAME { … }`, e.g. `service api { … }`".into();
    }
    if found.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return "names are lowercase: letters, digits and `-`".into();
    }
    "see docs/language.md for the syntax".into()
}
