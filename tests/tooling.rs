//! The tools around the compiler: `platc fmt` (idempotent, meaning-preserving
//! on the examples and on generated sources), `platc explain` (in step with
//! the code registry), `validate --format sarif`, `platc graph` (snapshots of
//! every example) and the TextMate grammar (valid JSON, every keyword).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use platc::diagnostic::Code;
use platc::kinds::Kind;
use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn platc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_platc"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("platc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn example_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn example_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in example_dirs() {
        let sources = platc::source::load(&dir).expect("example loads");
        files.extend(sources.files.iter().map(|f| sources.root.join(&f.name)));
    }
    files
}

// ------------------------------------------------------------------- fmt

/// The syntax tree as JSON without any `span`, so layout does not matter.
fn meaning(text: &str) -> serde_json::Value {
    let file = platc::source::SourceFile {
        id: platc::span::FileId(0),
        name: "x.platform".to_string(),
        text: text.to_string(),
    };
    let tree =
        platc::parse::parse_file(&file).unwrap_or_else(|d| panic!("parses: {}\n{text}", d.message));
    let mut json = serde_json::to_value(tree).expect("AST serialises");
    erase_spans(&mut json);
    json
}

fn erase_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(erase_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(erase_spans),
        _ => {}
    }
}

/// Every `# …` comment outside strings and heredocs, in order (found by
/// formatting: the formatter's own gap scanner would be circular, so this
/// uses the parser's view: comments are whatever the tree does not cover).
fn comment_texts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut heredoc: Option<String> = None;
    let lines: Vec<&str> = text.split('\n').collect();
    for line in lines {
        let mut i = 0;
        let bytes: Vec<char> = line.chars().collect();
        if let Some(tag) = &heredoc {
            let rest = line.trim_start_matches([' ', '\t']);
            let closes = rest.strip_prefix(tag.as_str()).is_some_and(|after| {
                !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            if !closes {
                continue;
            }
            i = line.len() - rest.len() + tag.len();
            heredoc = None;
        }
        let mut escaped = false;
        while i < bytes.len() {
            let c = bytes[i];
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '#' {
                out.push(bytes[i..].iter().collect::<String>().trim_end().to_string());
                break;
            } else if c == '<' && bytes.get(i + 1) == Some(&'<') {
                let tag: String = bytes[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '_')
                    .collect();
                if !tag.is_empty() {
                    heredoc = Some(tag);
                    break;
                }
            }
            i += 1;
        }
        in_string = false;
    }
    out
}

fn check_formatting(text: &str) {
    let once =
        platc::fmt::format_text(text).unwrap_or_else(|d| panic!("formats: {}\n{text}", d.message));
    assert_eq!(
        meaning(&once),
        meaning(text),
        "formatting changed the meaning of\n{text}\n---\n{once}"
    );
    let twice = platc::fmt::format_text(&once).expect("formatted text parses");
    assert_eq!(twice, once, "formatting is not idempotent on\n{text}");
    assert_eq!(
        comment_texts(&once),
        comment_texts(text),
        "comments lost or reordered in\n{text}\n---\n{once}"
    );
}

#[test]
fn fmt_keeps_the_meaning_of_every_example_and_is_idempotent() {
    let files = example_files();
    assert!(files.len() >= 5);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        check_formatting(&text);
    }
}

#[test]
fn examples_are_formatted() {
    let (code, stdout, stderr) = platc(&["fmt", "--check", "examples"]);
    assert_eq!(code, 0, "run `platc fmt examples`:\n{stdout}{stderr}");
}

#[test]
fn fmt_check_names_the_file_that_would_change_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = "platform p {repo=\"https://git.example.com/p.git\"}\nnodepool app {\ncount=2\n    labels = { a = \"b\" }\n}\n";
    std::fs::write(dir.path().join("messy.platform"), messy).expect("write");
    std::fs::write(
        dir.path().join("tidy.platform"),
        "nodepool b { count = 1 }\n",
    )
    .expect("write");
    let path = dir.path().to_str().expect("utf-8 path");
    let (code, stdout, _) = platc(&["fmt", "--check", path]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("would reformat") && stdout.contains("messy.platform"),
        "{stdout}"
    );
    assert!(!stdout.contains("tidy.platform"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.platform")).expect("read"),
        messy
    );

    let (code, _, _) = platc(&["fmt", path]);
    assert_eq!(code, 0);
    let formatted = std::fs::read_to_string(dir.path().join("messy.platform")).expect("read");
    assert_eq!(
        formatted,
        "platform p { repo = \"https://git.example.com/p.git\" }\n\nnodepool app {\n  count  = 2\n  labels = { a = \"b\" }\n}\n"
    );
    let (code, _, _) = platc(&["fmt", "--check", path]);
    assert_eq!(code, 0);
}

#[test]
fn fmt_refuses_a_file_that_does_not_parse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = "service api { image = }\n";
    std::fs::write(dir.path().join("broken.platform"), broken).expect("write");
    let (code, _, stderr) = platc(&["fmt", dir.path().to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("platc::parse") && stderr.contains("not formatted"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.platform")).expect("read"),
        broken
    );
}

/// Generated sources: random trees written with random layout (one-line or
/// multi-line bodies, lists and maps, extra blank lines, commas, comments in
/// every place a comment may stand).
mod generated {
    use super::*;

    #[derive(Debug, Clone)]
    pub(super) enum Val {
        Word(String),
        Number(String),
        Str(String),
        Heredoc(Vec<String>),
        List(Vec<Val>, Layout),
        Map(Vec<(String, Val)>, Layout),
        Call(Vec<Val>),
    }

    #[derive(Debug, Clone)]
    pub(super) enum Itm {
        Attr(String, Val),
        Block(String, Option<String>, Vec<Itm>, Layout),
        When(String, Vec<Itm>, Layout),
    }

    /// How a container is written: on one line, or over several lines (the
    /// writer's seed then picks separators: blank lines, comments, commas).
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Layout {
        OneLine,
        Multi,
    }

    fn layout() -> impl Strategy<Value = Layout> {
        prop_oneof![Just(Layout::OneLine), Just(Layout::Multi)]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9-]{0,8}",
            "[a-z]{1,5}\\.[a-zA-Z_]{1,6}",
            Just("\"app.kubernetes.io/name\"".to_string()),
            Just("when".to_string()),
        ]
    }

    fn leaf() -> impl Strategy<Value = Val> {
        prop_oneof![
            "[a-z][a-z0-9-]{0,6}".prop_map(Val::Word),
            prop_oneof![
                Just("secret.db.password".to_string()),
                Just("service.api.port.http".to_string()),
                Just("none".to_string()),
                Just("true".to_string()),
            ]
            .prop_map(Val::Word),
            prop_oneof![
                "[0-9]{1,4}",
                "[0-9]{1,3}(m|Mi|Gi|%|s)",
                "[0-9]{1,3}m\\.\\.[0-9]{1,2}"
            ]
            .prop_map(Val::Number),
            "[ a-zA-Z0-9#{}=,.:/-]{0,12}".prop_map(|s| Val::Str(format!("\"{s}\""))),
            Just(Val::Str(
                "\"a \\\"q\\\" ${service.api.host} \\${x} # not a comment\"".to_string()
            )),
            prop::collection::vec("[ a-z#{}=]{0,10}", 0..3).prop_map(Val::Heredoc),
        ]
    }

    fn value() -> impl Strategy<Value = Val> {
        leaf().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..4), layout())
                    .prop_map(|(v, l)| Val::List(v, l)),
                (
                    prop::collection::vec((key(), inner.clone()), 0..4),
                    layout()
                )
                    .prop_map(|(v, l)| Val::Map(v, l)),
                prop::collection::vec(inner, 0..2).prop_map(Val::Call),
            ]
        })
    }

    fn items() -> impl Strategy<Value = Vec<Itm>> {
        let attr = (key(), value()).prop_map(|(k, v)| Itm::Attr(k, v));
        let item = attr.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                3 => (key(), value()).prop_map(|(k, v)| Itm::Attr(k, v)),
                1 => ("[a-z]{1,8}", prop::option::of("[A-Za-z ]{0,8}"), prop::collection::vec(inner.clone(), 0..4), layout())
                    .prop_map(|(k, label, body, l)| Itm::Block(k, label.map(|s| format!("\"{s}\"")), body, l)),
                1 => ("[a-z]{1,5}", prop::collection::vec(inner, 0..3), layout()).prop_map(|(e, b, l)| Itm::When(e, b, l)),
            ]
        });
        prop::collection::vec(item, 0..5)
    }

    /// A whole file: declarations with bodies, and the layout seed.
    pub(super) fn source() -> impl Strategy<Value = String> {
        let decl = (
            prop_oneof![
                Just("service"),
                Just("nodepool"),
                Just("chart"),
                Just("defaults")
            ],
            "[a-z][a-z0-9-]{0,8}",
            prop::option::of("[a-z]{1,6}"),
            items(),
            layout(),
        );
        (prop::collection::vec(decl, 0..4), any::<u64>()).prop_map(|(decls, seed)| {
            let mut w = Writer {
                out: String::new(),
                seed,
            };
            if w.pick(3) == 0 {
                w.out.push_str("# header comment\n\n");
            }
            for (kind, name, extends, body, layout) in decls {
                w.sep(true);
                w.out.push_str(kind);
                w.out.push(' ');
                w.out.push_str(&name);
                if let Some(parent) = extends {
                    w.out.push_str(" extends ");
                    w.out.push_str(&parent);
                }
                w.out.push(' ');
                w.body(&body, layout);
                if w.pick(4) == 0 {
                    w.out.push_str("  # after the declaration");
                }
                w.out.push('\n');
            }
            if w.pick(3) == 0 {
                w.out.push_str("\n# closing comment\n");
            }
            w.out
        })
    }

    struct Writer {
        out: String,
        seed: u64,
    }

    impl Writer {
        fn pick(&mut self, n: u64) -> u64 {
            self.seed = self
                .seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.seed >> 33) % n
        }

        /// Whitespace between two tokens; `newline_ok` allows line breaks and comments.
        fn sep(&mut self, newline_ok: bool) {
            let choice = if newline_ok {
                self.pick(6)
            } else {
                self.pick(2)
            };
            self.out.push_str(match choice {
                0 => " ",
                1 => "   ",
                2 => "\n  ",
                3 => "\n\n\n    ",
                4 => "  # a comment\n",
                _ => "\n# a line comment\n\n  ",
            });
        }

        fn body(&mut self, items: &[Itm], layout: Layout) {
            self.out.push('{');
            let multi = matches!(layout, Layout::Multi) || items.iter().any(has_heredoc);
            for item in items {
                if multi {
                    self.sep(true)
                } else {
                    self.out.push(' ')
                }
                self.item(item, multi);
                if self.pick(4) == 0 {
                    self.out.push(',');
                }
            }
            if multi {
                self.sep(true)
            } else {
                self.out.push(' ')
            }
            self.out.push('}');
        }

        fn item(&mut self, item: &Itm, multi: bool) {
            match item {
                Itm::Attr(k, v) => {
                    self.out.push_str(k);
                    if multi {
                        self.sep(true)
                    } else {
                        self.out.push(' ')
                    }
                    self.out.push('=');
                    if multi {
                        self.sep(true)
                    } else {
                        self.out.push(' ')
                    }
                    self.value(v, multi);
                }
                Itm::Block(k, label, body, layout) => {
                    self.out.push_str(k);
                    if let Some(label) = label {
                        self.out.push(' ');
                        self.out.push_str(label);
                    }
                    self.out.push(' ');
                    let layout = if multi { *layout } else { Layout::OneLine };
                    self.body(body, layout);
                }
                Itm::When(env, body, layout) => {
                    self.out.push_str("when ");
                    self.out.push_str(env);
                    self.out.push(' ');
                    let layout = if multi { *layout } else { Layout::OneLine };
                    self.body(body, layout);
                }
            }
        }

        fn value(&mut self, value: &Val, multi_ok: bool) {
            match value {
                Val::Word(w) | Val::Number(w) | Val::Str(w) => self.out.push_str(w),
                Val::Heredoc(lines) => {
                    self.out.push_str("<<EOT\n");
                    for line in lines {
                        self.out.push_str(line);
                        self.out.push('\n');
                    }
                    self.out.push_str("  EOT");
                }
                Val::List(items, layout) => {
                    let multi = multi_ok
                        && (matches!(layout, Layout::Multi) || items.iter().any(val_has_heredoc));
                    self.out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        if multi {
                            self.sep(true)
                        } else {
                            self.sep(false)
                        }
                        self.value(item, multi);
                    }
                    if !items.is_empty() && self.pick(2) == 0 {
                        self.out.push(',');
                    }
                    if multi {
                        self.sep(true)
                    }
                    self.out.push(']');
                }
                Val::Map(entries, layout) => {
                    let multi = multi_ok
                        && (matches!(layout, Layout::Multi)
                            || entries.iter().any(|(_, v)| val_has_heredoc(v)));
                    self.out.push('{');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 && (!multi || self.pick(2) == 0) {
                            self.out.push(',');
                        }
                        if multi {
                            self.sep(true)
                        } else {
                            self.out.push(' ')
                        }
                        self.out.push_str(k);
                        self.out.push_str(" = ");
                        self.value(v, multi);
                    }
                    if multi {
                        self.sep(true)
                    } else {
                        self.out.push(' ')
                    }
                    self.out.push('}');
                }
                Val::Call(args) => {
                    self.out.push_str("file(");
                    for (i, arg) in args.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        self.value(arg, multi_ok);
                    }
                    self.out.push(')');
                }
            }
        }
    }

    fn val_has_heredoc(value: &Val) -> bool {
        match value {
            Val::Heredoc(_) => true,
            Val::List(items, _) | Val::Call(items) => items.iter().any(val_has_heredoc),
            Val::Map(entries, _) => entries.iter().any(|(_, v)| val_has_heredoc(v)),
            _ => false,
        }
    }

    fn has_heredoc(item: &Itm) -> bool {
        match item {
            Itm::Attr(_, v) => val_has_heredoc(v),
            Itm::Block(_, _, body, _) | Itm::When(_, body, _) => body.iter().any(has_heredoc),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fmt_keeps_the_meaning_of_generated_sources_and_is_idempotent(source in generated::source()) {
        check_formatting(&source);
    }
}

// --------------------------------------------------------------- explain

#[test]
fn explain_prints_the_section_of_every_code_with_or_without_prefix() {
    for code in Code::ALL {
        let (status, stdout, _) = platc(&["explain", code.name()]);
        assert_eq!(status, 0, "{code}");
        assert!(
            stdout.starts_with(&format!("## {code}\n")),
            "{code}: {stdout}"
        );
        assert!(
            !stdout.contains("\n---"),
            "{code}: the section ends before the rule"
        );
    }
    let (status, stdout, _) = platc(&["explain", "platc::unknown-port"]);
    assert_eq!(status, 0);
    assert!(stdout.contains("Severity: error"));
}

#[test]
fn explain_of_an_unknown_code_exits_2_with_did_you_mean() {
    let (status, stdout, stderr) = platc(&["explain", "platc::unknown-prot"]);
    assert_eq!(status, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("did you mean `unknown-port`?"), "{stderr}");
}

#[test]
fn every_code_is_documented_and_every_documented_code_exists() {
    let docs = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs");
    let documented: BTreeSet<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("## platc::"))
        .map(str::trim)
        .collect();
    let codes: BTreeSet<&str> = Code::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(documented, codes);
}

// ----------------------------------------------------------------- sarif

#[test]
fn validate_format_sarif_lists_every_rule_and_locates_results() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("a.platform"),
        "platform shop { repo = \"https://git.example.com/shop.git\" }\n\nnodepool app { count = 1 }\n\nservice api {\n  image    = \"nginx:latest\"\n  nodepool = ap\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b.platform"),
        "service api { image = \"nginx:1.27\" }\n",
    )
    .expect("write");
    let (status, stdout, _) = platc(&[
        "validate",
        dir.path().to_str().expect("utf-8"),
        "--format",
        "sarif",
    ]);
    assert_eq!(status, 1, "the project has errors");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.to_string());
        assert_eq!(rule["shortDescription"]["text"], code.summary());
    }
    for result in run["results"].as_array().expect("results") {
        let index = usize::try_from(result["ruleIndex"].as_u64().expect("index")).expect("small");
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // The rules are the same for every project; the snapshot shows the results.
    let mut shown = log.clone();
    shown["runs"][0]["tool"]["driver"]["rules"] =
        serde_json::json!(format!("{} rules", rules.len()));
    insta::assert_snapshot!(serde_json::to_string_pretty(&shown).expect("json"));
}

// ----------------------------------------------------------------- graph

#[test]
fn graph_of_every_example() {
    for dir in example_dirs() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let sources = platc::source::load(&dir).expect("loads");
        let checked = platc::pipeline::check(&sources);
        assert!(!checked.has_errors(), "{name} checks clean");
        let base = checked.views.get(&None).expect("base view");
        for (format, suffix) in [
            (platc::graph::GraphFormat::Mermaid, "mermaid"),
            (platc::graph::GraphFormat::Dot, "dot"),
        ] {
            let text = platc::graph::graph(base, format);
            insta::assert_snapshot!(format!("graph_{name}_{suffix}"), text);
        }
    }
}

#[test]
fn graph_cli_prints_mermaid_by_default_and_dot_on_request() {
    let (status, stdout, _) = platc(&["graph", "examples/k8s-microservices"]);
    assert_eq!(status, 0);
    assert!(stdout.starts_with("flowchart LR\n"), "{stdout}");
    let (status, stdout, _) = platc(&["graph", "examples/k8s-microservices", "--format", "dot"]);
    assert_eq!(status, 0);
    assert!(
        stdout.starts_with("digraph \"k8s-microservices\" {"),
        "{stdout}"
    );
    let (status, again, _) = platc(&["graph", "examples/k8s-microservices", "--format", "dot"]);
    assert_eq!((status, again), (0, stdout), "deterministic");
}

// --------------------------------------------------------------- grammar

/// Every keyword of the language: the declaration kinds, `defaults`, and the
/// words the pest grammar spells out.
fn keywords() -> BTreeSet<String> {
    let pest = std::fs::read_to_string(root().join("grammar/platform.pest")).expect("grammar");
    let mut words: BTreeSet<String> = Kind::ALL.iter().map(|k| k.keyword().to_string()).collect();
    words.insert("defaults".to_string());
    for quoted in pest.split('"').skip(1).step_by(2) {
        if quoted.len() > 1 && quoted.chars().all(|c| c.is_ascii_lowercase()) {
            words.insert(quoted.to_string());
        }
    }
    words
}

#[test]
fn textmate_grammar_is_json_and_covers_every_keyword() {
    let text = std::fs::read_to_string(root().join("grammar/platform.tmLanguage.json"))
        .expect("grammar file");
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(grammar["scopeName"], "source.platform");
    assert!(grammar["fileTypes"]
        .as_array()
        .expect("fileTypes")
        .contains(&serde_json::json!("platform")));
    let words = keywords();
    for word in [
        "extends", "when", "none", "true", "false", "defaults", "service", "nodepool",
    ] {
        assert!(words.contains(word), "{word} is a keyword");
    }
    // Every regex of the grammar, so a keyword counts only where a pattern can match it.
    let mut patterns = Vec::new();
    collect_patterns(&grammar, &mut patterns);
    for word in &words {
        let found = patterns.iter().any(|p| {
            p.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|token| token == word)
        });
        assert!(
            found,
            "`{word}` is not highlighted by grammar/platform.tmLanguage.json"
        );
    }
}

fn collect_patterns(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("match" | "begin" | "end", serde_json::Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => collect_patterns(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, out)),
        _ => {}
    }
}
