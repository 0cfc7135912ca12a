//! Positions and file names as the protocol spells them: LSP positions are
//! (line, UTF-16 code unit) pairs, spans are byte offsets; document
//! identifiers are `file://` URIs with percent-encoding, paths are paths.
//! Pure conversions, no IO.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};

use crate::span::Span;

/// The byte offset of an LSP position (clamped to the text).
pub fn offset(text: &str, position: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

/// The LSP position of a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = crate::diagnostic::newlines(before);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        character: u32::try_from(character).unwrap_or(u32::MAX),
    }
}

/// The LSP range of a span of `text`.
pub fn range(text: &str, span: Span) -> Range {
    Range {
        start: position(text, span.start()),
        end: position(text, span.end().max(span.start())),
    }
}

fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
}

/// `file:///a%20b/c.platform` for `/a b/c.platform`.
pub fn uri_from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut out = String::from("file://");
    for byte in text.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

/// The path of a `file://` URI, percent-decoded.
pub fn path_from_uri(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://host/path` is not a local file; `file:///path` has an empty host.
    let rest = if rest.starts_with('/') {
        rest
    } else {
        return None;
    };
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = rest
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                decoded.push(byte);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(decoded).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_code_units() {
        let text = "a = 1\nb = \"é😀x\"\n";
        let x = text.find('x').expect("x");
        let p = position(text, x);
        assert_eq!((p.line, p.character), (1, 8));
        assert_eq!(offset(text, p), x);
        assert_eq!(
            offset(
                text,
                Position {
                    line: 9,
                    character: 0
                }
            ),
            text.len()
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 0,
                    character: 99
                }
            ),
            5
        );
    }

    #[test]
    fn uris_round_trip_with_percent_encoding() {
        let path = Path::new("/tmp/my project/a+b.platform");
        let uri = uri_from_path(path).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/my%20project/a%2Bb.platform");
        assert_eq!(path_from_uri(&uri).as_deref(), Some(path));
    }
}
