//! Source positions. A `Span` is a file id plus a byte range into that
//! file's text; it converts into `miette::SourceSpan` at the reporting
//! boundary. Nothing here reads files.

use serde::{Deserialize, Serialize};

/// Index of a file in the `SourceMap` (stable: files are sorted by path).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
///
/// Offsets are stored as `u32`: every syntax node carries one or more spans,
/// and at 12 bytes instead of 24 the syntax tree of a large project takes a
/// good part less memory (first-touched memory is time here, see
/// ARCHITECTURE.md). Source files are at most `source::MAX_FILE_BYTES`; an
/// offset beyond `u32::MAX` (only text handed over by an editor could have
/// one) is clamped to it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct Span {
    pub file: FileId,
    start: u32,
    end: u32,
}

/// `offset` as a stored offset, clamped to `u32::MAX`.
fn offset(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

impl Span {
    /// A span in `file` covering `start..end`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self {
            file,
            start: offset(start),
            end: offset(end),
        }
    }

    /// The byte offset where the span starts.
    pub fn start(self) -> usize {
        self.start as usize
    }

    /// The byte offset just past the span.
    pub fn end(self) -> usize {
        self.end as usize
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// True for a zero-width span.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start(), span.len()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_clamp_past_u32() {
        let span = Span::new(FileId(1), 3, 4_000_000);
        assert_eq!(
            (span.start(), span.end(), span.len()),
            (3, 4_000_000, 3_999_997)
        );
        let huge = Span::new(FileId(1), usize::MAX, usize::MAX);
        assert_eq!(huge.start(), u32::MAX as usize);
        assert!(huge.is_empty());
        assert_eq!(
            span.to(Span::new(FileId(1), 1, 2)),
            Span::new(FileId(1), 1, 4_000_000)
        );
    }
}
