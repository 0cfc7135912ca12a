//! UI tests: every `tests/ui/*.platform` fixture (and the multi-file project
//! `tests/ui/multi/`) is checked and its diagnostics snapshotted in human and
//! JSON form. Each fixture must emit the code its file name names
//! (`unknown-port--ingress.platform` → `platc::unknown-port`) and nothing else;
//! meta-tests keep the fixtures, the code registry, LANGUAGE.md §5 and
//! `docs/diagnostics.md` in step.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use platc::diagnostic::Code;

/// Codes that only rendering or writing can raise: covered by build tests, not UI fixtures.
const RENDER_CODES: &[&str] = &[
    "duplicate-object",
    "schema",
    "hand-edited-file",
    "random-secret",
];

fn code_of_fixture(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("fixture name");
    stem.split("--").next().unwrap_or(stem).to_string()
}

#[test]
fn ui_fixtures() {
    insta::glob!("ui/*.platform", |path| {
        let (sources, checked) = common::check_path(path);
        let expected = code_of_fixture(path);
        let codes: BTreeSet<&str> = checked.diagnostics.iter().map(|d| d.code.name()).collect();
        assert_eq!(
            codes,
            BTreeSet::from([expected.as_str()]),
            "{} must emit exactly `platc::{expected}`",
            path.display()
        );
        for d in &checked.diagnostics {
            assert!(
                d.help.is_some(),
                "{}: every diagnostic has a help line: {}",
                path.display(),
                d.message
            );
        }
        insta::assert_snapshot!(common::ui_snapshot(&sources, &checked));
    });
}

#[test]
fn ten_mistakes_in_three_files_are_reported_together_in_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/multi");
    let (sources, checked) = common::check_path(&dir);
    let expected_text = std::fs::read_to_string(dir.join("EXPECTED.md")).expect("EXPECTED.md");
    let expected: Vec<String> = expected_text
        .lines()
        .skip_while(|l| !l.starts_with("```text"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(str::to_string)
        .collect();
    assert_eq!(expected.len(), 10, "EXPECTED.md lists ten mistakes");
    let actual: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let file = sources.file(d.primary.span.file);
            let (line, _) = platc::diagnostic::line_column(&file.text, d.primary.span.start());
            format!("{} {line} {}", file.name, d.code)
        })
        .collect();
    assert_eq!(actual, expected);
    insta::assert_snapshot!(common::ui_snapshot(&sources, &checked));
}

/// The rows of the §5 table: `| `code` | severity | when |`.
fn language_rows() -> Vec<(String, String)> {
    include_str!("fixtures/LANGUAGE.md")
        .lines()
        .skip_while(|l| !l.starts_with("| code (`platc::"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let mut cells = l.split('|').skip(1).map(str::trim);
            let code = cells.next()?.trim_matches('`').to_string();
            let severity = cells.next()?.to_string();
            Some((code, severity))
        })
        .collect()
}

fn language_codes() -> BTreeSet<String> {
    language_rows().into_iter().map(|(c, _)| c).collect()
}

#[test]
fn registry_matches_language_contract() {
    let registry: BTreeSet<String> = Code::ALL.iter().map(|c| c.name().to_string()).collect();
    let language = language_codes();
    assert!(language.len() >= 30, "the §5 table was found");
    let missing: Vec<_> = language.difference(&registry).collect();
    assert!(
        missing.is_empty(),
        "codes of LANGUAGE.md §5 missing from the registry: {missing:?}"
    );
    for (name, severity) in language_rows() {
        let code = Code::ALL
            .iter()
            .find(|c| c.name() == name)
            .expect("checked above");
        assert_eq!(
            severity,
            format!("{:?}", code.severity()).to_lowercase(),
            "severity of {code}"
        );
    }
}

#[test]
fn every_code_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let fixtures: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/ui")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "platform"))
        .map(|p| code_of_fixture(&p))
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.name())
        .filter(|c| !RENDER_CODES.contains(c) && !fixtures.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a tests/ui fixture: {missing:?}"
    );
    let unknown: Vec<&String> = fixtures
        .iter()
        .filter(|f| !Code::ALL.iter().any(|c| c.name() == f.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures named after no code: {unknown:?}"
    );
}

#[test]
fn every_code_is_documented() {
    let docs = include_str!("../docs/diagnostics.md");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.name())
        .filter(|c| !docs.contains(&format!("## platc::{c}\n")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a section in docs/diagnostics.md: {missing:?}"
    );
}
