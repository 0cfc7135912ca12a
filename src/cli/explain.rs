//! `platc explain CODE`: prints the section of `docs/diagnostics.md` (embedded
//! in the binary) that describes one diagnostic code. Accepts the code with or
//! without its `platc::` prefix; an unknown code exits with 2 and a
//! did-you-mean.

use std::io::Write;

use platc::diagnostic::Code;
use platc::resolve::suggest;

use super::{EXIT_OK, EXIT_USAGE};

/// The reference of every diagnostic code, one `## platc::CODE` section each.
const DIAGNOSTICS_MD: &str = include_str!("../../docs/diagnostics.md");

/// The sections of `diagnostics.md`: (code name without prefix, section text).
/// A section runs from its `## platc::…` heading to the `---` rule or the next
/// heading, whichever comes first outside a code block.
pub(crate) fn sections(markdown: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut current: Option<(&str, Vec<&str>)> = None;
    let mut fenced = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let heading = (!fenced).then(|| line.strip_prefix("## ")).flatten();
        let rule = !fenced && line.trim() == "---";
        if heading.is_some() || rule {
            if let Some((name, lines)) = current.take() {
                out.push((name, lines.join("\n").trim_end().to_string()));
            }
        }
        if let Some(title) = heading {
            if let Some(name) = title.trim().strip_prefix("platc::") {
                current = Some((name, vec![line]));
            }
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((name, lines)) = current {
        out.push((name, lines.join("\n").trim_end().to_string()));
    }
    out
}

pub(crate) fn run(code: &str, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let wanted = code.trim();
    let wanted = wanted.strip_prefix("platc::").unwrap_or(wanted);
    let all = sections(DIAGNOSTICS_MD);
    if let Some((_, text)) = all.iter().find(|(name, _)| *name == wanted) {
        let _ = writeln!(stdout, "{text}");
        return EXIT_OK;
    }
    let names = Code::ALL.iter().map(|c| c.name());
    let help = suggest::did_you_mean(wanted, names)
        .unwrap_or_else(|| "the codes are listed in docs/diagnostics.md".to_string());
    let _ = writeln!(
        stderr,
        "error: unknown diagnostic code `{code}`\n  help: {help}"
    );
    EXIT_USAGE
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_code_has_a_section_and_every_section_is_a_code() {
        let documented: BTreeSet<&str> = sections(DIAGNOSTICS_MD).iter().map(|(n, _)| *n).collect();
        let codes: BTreeSet<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(documented, codes);
    }

    #[test]
    fn a_section_stops_at_its_rule_and_keeps_code_blocks_whole() {
        let markdown =
            "# t\n\n## platc::a\n\nA.\n\n```yaml\n---\nx: 1\n```\n\n---\n\n## platc::b\n\nB.\n";
        let all = sections(markdown);
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0],
            (
                "a",
                "## platc::a\n\nA.\n\n```yaml\n---\nx: 1\n```".to_string()
            )
        );
        assert_eq!(all[1], ("b", "## platc::b\n\nB.".to_string()));
    }
}
