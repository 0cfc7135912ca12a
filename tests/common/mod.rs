//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::Path;

use platc::diagnostic::{self, Format};
use platc::pipeline::Checked;
use platc::source::SourceMap;

/// Loads and checks a project (file or directory) from disk.
pub(crate) fn check_path(path: &Path) -> (SourceMap, Checked) {
    let sources = platc::source::load(path).expect("fixture loads");
    let checked = platc::pipeline::check(&sources);
    (sources, checked)
}

/// The diagnostics as miette renders them for a terminal without colour, width 80.
pub(crate) fn human(sources: &SourceMap, checked: &Checked) -> String {
    let mut out = Vec::new();
    diagnostic::report(
        &checked.diagnostics,
        sources,
        Format::Human {
            color: false,
            width: 80,
        },
        &mut out,
    )
    .expect("writing to memory");
    String::from_utf8(out).expect("utf-8")
}

/// The diagnostics as JSON lines.
pub(crate) fn json(sources: &SourceMap, checked: &Checked) -> String {
    let mut out = Vec::new();
    diagnostic::report(&checked.diagnostics, sources, Format::Json, &mut out)
        .expect("writing to memory");
    String::from_utf8(out).expect("utf-8")
}

/// Source, human report and JSON in one text, for a snapshot.
pub(crate) fn ui_snapshot(sources: &SourceMap, checked: &Checked) -> String {
    let mut text = String::new();
    for file in &sources.files {
        text.push_str(&format!("----- SOURCE {}\n{}", file.name, file.text));
        if !file.text.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str("----- DIAGNOSTICS\n");
    text.push_str(&human(sources, checked));
    text.push_str("----- JSON\n");
    text.push_str(&json(sources, checked));
    text
}
