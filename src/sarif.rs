//! SARIF 2.1.0 output of diagnostics, for GitHub code scanning and other
//! static-analysis viewers: `to_sarif(&[Diagnostic], &SourceMap)` returns one
//! run whose driver `platc` lists a rule for every code of the registry and
//! whose results are the diagnostics, with project-relative file names and
//! 1-based line/column regions (columns count Unicode scalar values, as
//! `columnKind` says). Pure: no tool version, time or absolute path, so the
//! same project always gives the same document.

use serde_json::{json, Value};

use crate::diagnostic::{line_column, Code, Diagnostic, Label, Severity};
use crate::source::SourceMap;

/// Where the SARIF 2.1.0 schema lives (the `$schema` of the document).
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Value {
    json!({
        "id": code.to_string(),
        "name": code.name(),
        "shortDescription": { "text": code.summary() },
        "help": { "text": format!("run `platc explain {code}` for the meaning, an example and the fix") },
        "defaultConfiguration": { "level": level(code.severity()) },
    })
}

fn location(label: &Label, sources: &SourceMap) -> Value {
    let file = sources.file(label.span.file);
    let (start_line, start_column) = line_column(&file.text, label.span.start());
    let (end_line, end_column) = line_column(&file.text, label.span.end().max(label.span.start()));
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file.name, "uriBaseId": "PROJECTROOT" },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            },
        },
        "message": { "text": label.message },
    })
}

fn result(diagnostic: &Diagnostic, sources: &SourceMap) -> Value {
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let rule_index = Code::ALL
        .iter()
        .position(|c| *c == diagnostic.code)
        .unwrap_or_default();
    let related: Vec<Value> = diagnostic
        .secondary
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let mut location = location(label, sources);
            location["id"] = json!(i + 1);
            location
        })
        .collect();
    let mut out = json!({
        "ruleId": diagnostic.code.to_string(),
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": text },
        "locations": [location(&diagnostic.primary, sources)],
    });
    if !related.is_empty() {
        out["relatedLocations"] = Value::Array(related);
    }
    out
}

/// The SARIF log as pretty-printed JSON with a final newline.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let log = to_sarif(diagnostics, sources);
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// The SARIF log of one `validate` run.
pub fn to_sarif(diagnostics: &[Diagnostic], sources: &SourceMap) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "platc",
                    "rules": Code::ALL.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": diagnostics.iter().map(|d| result(d, sources)).collect::<Vec<_>>(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{FileId, Span};

    #[test]
    fn a_result_points_at_its_rule_and_lists_secondary_labels_as_related() {
        let sources =
            SourceMap::from_strings("/p", &[("a.platform", "service a {}\nservice a {}\n")]);
        let diagnostic = Diagnostic::new(
            Code::DuplicateDeclaration,
            "service `a` is declared twice",
            Span::new(FileId(0), 21, 22),
            "declared again here",
        )
        .with_label(Span::new(FileId(0), 8, 9), "first declared here");
        let log = to_sarif(&[diagnostic], &sources);
        let run = &log["runs"][0];
        let result = &run["results"][0];
        let index = result["ruleIndex"].as_u64().expect("index");
        let index = usize::try_from(index).expect("small");
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            "platc::duplicate-declaration"
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            2
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startColumn"],
            9
        );
        assert_eq!(
            result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(
            result["relatedLocations"][0]["message"]["text"],
            "first declared here"
        );
    }
}
