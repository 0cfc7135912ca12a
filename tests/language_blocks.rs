//! Every code block of the language contract (a copy of `../shared/LANGUAGE.md`
//! kept in `tests/fixtures/`) and of our own reference (`docs/language.md`,
//! ```platform blocks) must parse.

use platc::parse::parse_file;
use platc::source::SourceMap;

/// Fenced blocks of `text` whose info string satisfies `keep`, with their line numbers.
fn code_blocks(text: &str, keep: impl Fn(&str) -> bool) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None if keep(info.trim()) => current = Some((i + 1, String::new())),
                None => current = Some((0, String::new())),
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks.into_iter().filter(|(line, _)| *line > 0).collect()
}

fn assert_all_parse(doc: &str, blocks: &[(usize, String)]) {
    assert!(!blocks.is_empty(), "{doc} has no code blocks to check");
    let mut failures = Vec::new();
    for (line, block) in blocks {
        let sources = SourceMap::from_strings(".", &[("block.platform", block)]);
        if let Err(diagnostic) = parse_file(&sources.files[0]) {
            failures.push(format!("{doc}:{line}: {}\n{block}", diagnostic.message));
        }
    }
    assert!(
        failures.is_empty(),
        "blocks that do not parse:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_language_contract_block_parses() {
    let text = include_str!("fixtures/LANGUAGE.md");
    // Unlabelled blocks in the contract are `.platform` code.
    assert_all_parse("LANGUAGE.md", &code_blocks(text, str::is_empty));
}

#[test]
fn language_contract_copy_is_current() {
    // The copy must track the contract; in a fresh clone `../shared` sits beside
    // the repository, and CI has it. Without it there is nothing to compare.
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/LANGUAGE.md");
    if let Ok(current) = std::fs::read_to_string(shared) {
        assert_eq!(
            current,
            include_str!("fixtures/LANGUAGE.md"),
            "tests/fixtures/LANGUAGE.md is stale: copy ../shared/LANGUAGE.md over it"
        );
    }
}

#[test]
fn every_reference_block_parses() {
    let text = include_str!("../docs/language.md");
    assert_all_parse(
        "docs/language.md",
        &code_blocks(text, |info| info == "platform"),
    );
}
