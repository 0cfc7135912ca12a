//! The whole pipeline from bytes: a one-file project through
//! `pipeline::compile` (parse, resolve, lower, render, validate), then every
//! diagnostic rendered with `diagnostic::report` in both formats and the
//! bundle encoded. Nothing may panic; errors and a bundle never coexist;
//! every JSON line is one JSON object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platc::diagnostic::{self, Format};
use platc::source::SourceMap;

/// `file()` arguments resolve here: the example manifests, so seeds taken
/// from the examples compile all the way to a bundle.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = SourceMap::from_strings(ROOT, &[("main.platform", text)]);
    let compiled = platc::pipeline::compile(&sources);
    assert!(
        !(compiled.has_errors() && compiled.bundle.is_some()),
        "a bundle was produced although errors were reported"
    );

    let mut json = Vec::new();
    diagnostic::report(&compiled.diagnostics, &sources, Format::Json, &mut json)
        .expect("reporting into memory cannot fail");
    let json = String::from_utf8(json).expect("JSON report is UTF-8");
    assert_eq!(
        json.lines().count(),
        compiled.diagnostics.len(),
        "one JSON line per diagnostic"
    );
    for line in json.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(value.is_object(), "each line is a JSON object");
    }

    let mut human = Vec::new();
    diagnostic::report(
        &compiled.diagnostics,
        &sources,
        Format::Human {
            color: false,
            width: 100,
        },
        &mut human,
    )
    .expect("reporting into memory cannot fail");

    if let Some(bundle) = &compiled.bundle {
        let files = bundle.encode();
        assert!(
            !files.is_empty(),
            "an accepted project renders at least one file"
        );
    }
});
