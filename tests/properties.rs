//! Property tests: the parser never panics, compilation is deterministic,
//! `defaults`/`extends`/`when`/`none` obey their merge laws, and quantities
//! survive a round trip through their own text.
//!
//! Every property runs on in-memory projects (`SourceMap::from_strings`) or
//! the repository's own examples; nothing here reads `/work/shared`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::sample::select;

use platc::ir;
use platc::source::{SourceFile, SourceMap};
use platc::span::FileId;

const PLATFORM: &str = "platform shop { repo = \"https://git.example.com/shop/gitops.git\" }\n\
env dev  { destination = \"https://kubernetes.default.svc\" }\n\
env prod { destination = \"https://prod.example.com:6443\" }\n";

fn source(text: &str) -> SourceFile {
    SourceFile {
        id: FileId(0),
        name: "main.platform".into(),
        text: text.into(),
    }
}

fn sources(text: &str) -> SourceMap {
    SourceMap::from_strings("/nonexistent-platc-project", &[("main.platform", text)])
}

/// The checked views of `text`, failing with its diagnostics on any error.
fn views(text: &str) -> BTreeMap<Option<String>, ir::Platform> {
    let checked = platc::pipeline::check(&sources(text));
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "errors in\n{text}\n{errors:#?}");
    checked.views
}

fn workload<'a>(
    views: &'a BTreeMap<Option<String>, ir::Platform>,
    env: Option<&str>,
    name: &str,
) -> &'a ir::Workload {
    let view = views.get(&env.map(str::to_string)).expect("view");
    view.workloads
        .get(name)
        .unwrap_or_else(|| panic!("no workload `{name}`"))
}

/// A workload as JSON without its name and source spans: what two
/// declarations must agree on to "mean the same".
fn meaning(workload: &ir::Workload) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("origin");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(workload).expect("serialises");
    strip(&mut value);
    value.as_object_mut().expect("object").remove("name");
    value
}

fn example_texts() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let loaded = platc::source::load(&dir).expect("example loads");
        for file in loaded.files {
            out.push((format!("{}/{}", dir.display(), file.name), file.text));
        }
    }
    out
}

// ---------------------------------------------------------------- parser

/// Strings made of the language's own characters, so the parser gets deep
/// into its rules (arbitrary strings mostly fail at the first byte).
fn platform_ish() -> impl Strategy<Value = String> {
    let token = select(vec![
        "service",
        "job",
        "chart",
        "platform",
        "env",
        "defaults",
        "extends",
        "when",
        "none",
        "true",
        " ",
        "\n",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "=",
        ",",
        ".",
        "..",
        "\"",
        "\\",
        "${",
        "<<EOT\n",
        "\nEOT",
        "EOT",
        "#",
        "api",
        "x-1",
        "A_B",
        "250m",
        "1Gi",
        "30s",
        "70%",
        "-3",
        "0.5",
        "file(",
        "secret.db.password",
        "é",
        "😀",
        "\t",
        "\r\n",
        "\u{feff}",
    ]);
    proptest::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(text in any::<String>()) {
        let _ = platc::parse::parse_file(&source(&text));
    }

    #[test]
    fn parse_never_panics_on_platform_like_strings(text in platform_ish()) {
        if let Err(diagnostic) = platc::parse::parse_file(&source(&text)) {
            let span = diagnostic.primary.span;
            prop_assert!(span.start() <= span.end() && span.end() <= text.len());
        }
    }
}

proptest! {
    /// A string literal holds exactly its characters: anything but `"`, `\\`,
    /// a newline, and `$` before `{` (the grammar spells this set as
    /// character ranges; this holds it to the definition).
    #[test]
    fn string_literals_keep_every_other_character(text in "[^\"\\\\\n]{0,40}") {
        prop_assume!(!text.contains("${"));
        let file = platc::parse::parse_file(&source(&format!("service s {{ image = \"{text}\" }}\n")))
            .map_err(|d| TestCaseError::fail(d.message))?;
        let platc::ast::Item::Attribute(attr) = &file.declarations[0].body.items[0] else {
            return Err(TestCaseError::fail("not an attribute"));
        };
        let platc::ast::ValueKind::String(literal) = &attr.value.kind else {
            return Err(TestCaseError::fail("not a string"));
        };
        prop_assert_eq!(literal.as_plain(), Some(text));
    }
}

/// One edit of a text.
#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: &'static str },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = select(vec![
        "{",
        "}",
        "[",
        "]",
        "=",
        "\"",
        ",",
        "..",
        "none",
        "when prod { ",
        "extends api ",
        "${",
        "#",
        "\n",
        "<<EOT\n",
        "é",
        "0",
        "-1",
        "99999999999999999999999999",
        "1Pi",
        "0.0001m",
    ]);
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), token).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 0usize..200).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, (start + len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Mutation::Insert { at, token } => {
            let at = boundary(text, at);
            format!("{}{token}{}", &text[..at], &text[at..])
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, (start + len).min(text.len())).max(start);
            format!("{}{}{}", &text[..end], &text[start..end], &text[end..])
        }
        Mutation::Truncate { at } => text[..boundary(text, at)].to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Mutated examples: parsing, then resolving and lowering whatever
    /// parsed, never panics, and every diagnostic points inside the text.
    #[test]
    fn mutated_examples_never_panic(pick in any::<usize>(), edits in proptest::collection::vec(mutation(), 1..6)) {
        let examples = example_texts();
        let (_, original) = &examples[pick % examples.len()];
        let text = edits.iter().fold(original.clone(), |text, m| apply(&text, m));
        let _ = platc::parse::parse_file(&source(&text));
        let text = format!("{PLATFORM}{text}");
        let checked = platc::pipeline::check(&sources(&text));
        for d in &checked.diagnostics {
            prop_assert!(d.primary.span.end() <= text.len(), "{d:?}");
        }
        let mut out = Vec::new();
        platc::diagnostic::report(&checked.diagnostics, &sources(&text), platc::diagnostic::Format::Json, &mut out)
            .expect("in memory");
    }
}

// ---------------------------------------------------------------- generated services

/// One service body as (field, text) pairs; every combination is valid.
#[derive(Debug, Clone)]
struct Body {
    fields: Vec<(&'static str, String)>,
}

impl Body {
    fn text(&self) -> String {
        self.fields
            .iter()
            .map(|(_, text)| format!("  {text}\n"))
            .collect()
    }

    fn with(&self, field: &'static str, text: Option<String>) -> Body {
        let mut fields: Vec<_> = self
            .fields
            .iter()
            .filter(|(f, _)| *f != field)
            .cloned()
            .collect();
        if let Some(text) = text {
            fields.push((field, text));
        }
        Body { fields }
    }
}

fn resources_text() -> impl Strategy<Value = String> {
    (
        1u64..2000,
        0u64..2000,
        1u64..1024,
        0u64..1024,
        any::<bool>(),
    )
        .prop_map(|(cpu, extra, mem, more, range)| {
            if range {
                format!(
                    "resources {{ cpu = {cpu}m..{}m  memory = {mem}Mi..{}Mi }}",
                    cpu + extra,
                    mem + more
                )
            } else {
                format!("resources {{ cpu = {cpu}m  memory = {mem}Mi }}")
            }
        })
}

fn health_text() -> impl Strategy<Value = String> {
    ("[a-z]{1,8}", "[a-z]{1,8}")
        .prop_map(|(l, r)| format!("health {{ liveness = \"/{l}\"  readiness = \"/{r}\" }}"))
}

fn ingress_text() -> impl Strategy<Value = String> {
    "[a-z]{1,10}".prop_map(|h| {
        format!("ingress {{ host = \"{h}.example.com\"  port = http  path = \"/\" }}")
    })
}

fn body() -> impl Strategy<Value = Body> {
    (
        1u32..20,
        1024u16..65535,
        resources_text(),
        proptest::option::of(health_text()),
        proptest::option::of(ingress_text()),
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of(proptest::collection::vec("[a-z0-9]{1,6}", 1..4)),
    )
        .prop_map(
            |(replicas, port, resources, health, ingress, level, command)| {
                let mut fields = vec![
                    (
                        "image",
                        "image = \"registry.example.com/shop/app:1.0.0\"".to_string(),
                    ),
                    ("namespace", "namespace = shop".to_string()),
                    ("replicas", format!("replicas = {replicas}")),
                    ("ports", format!("ports = {{ http = {port} }}")),
                    ("resources", resources),
                ];
                if let Some(h) = health {
                    fields.push(("health", h));
                }
                if let Some(i) = ingress {
                    fields.push(("ingress", i));
                }
                if let Some(level) = level {
                    fields.push((
                        "env",
                        format!("env = {{ LOG_LEVEL = \"{level}\"  MODE = \"fast\" }}"),
                    ));
                }
                if let Some(command) = command {
                    let quoted: Vec<String> = command.iter().map(|c| format!("\"{c}\"")).collect();
                    fields.push(("command", format!("command = [{}]", quoted.join(", "))));
                }
                Body { fields }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// `extends` with an empty body copies the parent's fields exactly.
    #[test]
    fn extending_and_setting_nothing_equals_the_parent(body in body()) {
        let text = format!("{PLATFORM}service parent {{\n{}}}\nservice child extends parent {{ }}\n", body.text());
        let views = views(&text);
        for env in [None, Some("dev"), Some("prod")] {
            prop_assert_eq!(meaning(workload(&views, env, "child")), meaning(workload(&views, env, "parent")));
        }
    }

    /// `defaults service { F }` and a service that does not set F mean the
    /// same as the service setting F itself.
    #[test]
    fn defaults_equal_writing_the_field(body in body(), pick in any::<prop::sample::Index>()) {
        let (field, line) = pick.get(&body.fields).clone();
        prop_assume!(field != "image");
        let without = body.with(field, None);
        let text = format!(
            "{PLATFORM}defaults service {{\n  {line}\n}}\nservice a {{\n{}}}\nservice b {{\n{}}}\n",
            without.text(),
            body.text()
        );
        let views = views(&text);
        prop_assert_eq!(meaning(workload(&views, None, "a")), meaning(workload(&views, None, "b")));
    }

    /// `when prod { F = v }` with the base's own value changes nothing.
    #[test]
    fn when_with_the_base_value_changes_nothing(body in body(), pick in any::<prop::sample::Index>()) {
        let (_, line) = pick.get(&body.fields).clone();
        let text = format!("{PLATFORM}service a {{\n{}  when prod {{ {line} }}\n}}\n", body.text());
        let views = views(&text);
        prop_assert_eq!(meaning(workload(&views, Some("prod"), "a")), meaning(workload(&views, None, "a")));
        prop_assert_eq!(meaning(workload(&views, Some("dev"), "a")), meaning(workload(&views, None, "a")));
    }

    /// `when prod { F = v }` means F = v in prod, and nothing anywhere else.
    #[test]
    fn when_overrides_the_base_in_its_env_only(
        body in body(),
        other in body(),
        pick in any::<prop::sample::Index>(),
    ) {
        let (field, line) = pick.get(&other.fields).clone();
        let text = format!(
            "{PLATFORM}service a {{\n{}  when prod {{ {line} }}\n}}\nservice base {{\n{}}}\nservice direct {{\n{}}}\n",
            body.text(),
            body.text(),
            body.with(field, Some(line.clone())).text(),
        );
        let views = views(&text);
        prop_assert_eq!(meaning(workload(&views, Some("prod"), "a")), meaning(workload(&views, None, "direct")));
        prop_assert_eq!(meaning(workload(&views, Some("dev"), "a")), meaning(workload(&views, None, "base")));
        prop_assert_eq!(meaning(workload(&views, None, "a")), meaning(workload(&views, None, "base")));
    }

    /// Later layers win: a field the declaration sets beats `defaults`, and a
    /// field the child sets beats its parent's (through a two-level chain).
    /// Blocks here always carry all their fields, so winning is replacing.
    #[test]
    fn the_declaration_wins_over_defaults_and_parents(
        body in body(),
        other in body(),
        pick in any::<prop::sample::Index>(),
    ) {
        let (field, line) = pick.get(&other.fields).clone();
        prop_assume!(field != "image");
        let own = body.with(field, Some(line.clone()));
        let default_line = body.fields.iter().find(|(f, _)| *f == field).map_or_else(|| line.clone(), |(_, l)| l.clone());
        let layered = format!(
            "{PLATFORM}defaults service {{\n  {default_line}\n}}\nservice own {{\n{}}}\n\
             service grand {{\n{}}}\nservice parent extends grand {{ }}\nservice child extends parent {{\n  {line}\n}}\n",
            own.text(),
            body.text(),
        );
        let plain = format!("{PLATFORM}service direct {{\n{}}}\n", own.text());
        let layered = views(&layered);
        let plain = views(&plain);
        let direct = meaning(workload(&plain, None, "direct"));
        prop_assert_eq!(meaning(workload(&layered, None, "own")), direct.clone());
        prop_assert_eq!(meaning(workload(&layered, None, "child")), direct);
    }

    /// A block removed with `= none` and set again later equals setting it
    /// on a declaration that never had it (through `extends` and through `when`).
    #[test]
    fn none_then_set_equals_set(
        body in body(),
        field in select(vec!["health", "ingress", "resources", "env", "command"]),
        health in health_text(),
        ingress in ingress_text(),
        resources in resources_text(),
    ) {
        let replacement = match field {
            "health" => health,
            "ingress" => ingress,
            "resources" => resources,
            "env" => "env = { OTHER = \"1\" }".to_string(),
            _ => "command = [\"run\"]".to_string(),
        };
        let set = body.with(field, Some(replacement.clone()));
        let text = format!(
            "{PLATFORM}service p {{\n{}}}\nservice c extends p {{ {field} = none }}\nservice d extends c {{ {replacement} }}\n\
             service direct {{\n{}}}\nservice w extends p {{\n  {field} = none\n  when prod {{ {replacement} }}\n}}\n",
            body.text(),
            set.text(),
        );
        let views = views(&text);
        prop_assert_eq!(meaning(workload(&views, None, "d")), meaning(workload(&views, None, "direct")));
        prop_assert_eq!(meaning(workload(&views, Some("prod"), "w")), meaning(workload(&views, None, "direct")));
        // And `= none` alone removes it (blocks) or empties it (lists, maps).
        let gone = meaning(workload(&views, None, "c"));
        let key = if field == "resources" { "resources" } else { field };
        let removed = &gone[key];
        prop_assert!(
            removed.is_null() || removed == &serde_json::json!([]) || removed == &serde_json::json!({})
                || removed == &serde_json::json!({"cpu": null, "memory": null}),
            "{} after `= none`: {}", field, removed
        );
    }

    /// The same sources compile to byte-identical trees, whatever the order
    /// of their declarations and files.
    #[test]
    fn compilation_is_deterministic_and_order_independent(bodies in proptest::collection::vec(body(), 1..4), rotate in 0usize..8) {
        let mut decls = vec![
            PLATFORM.to_string(),
            "secret db { namespace = shop  keys = [password] }\n".to_string(),
        ];
        for (i, body) in bodies.iter().enumerate() {
            let body = body.with("env", Some("env = { DB_PASSWORD = secret.db.password  N = \"1\" }".into()));
            decls.push(format!("service s{i} {{\n{}  when prod {{ replicas = {} }}\n}}\n", body.text(), i + 2));
        }
        let text = decls.concat();
        let first = platc::pipeline::compile(&sources(&text));
        let first = first.bundle.expect("compiles").encode();
        let again = platc::pipeline::compile(&sources(&text)).bundle.expect("compiles").encode();
        prop_assert_eq!(&first, &again);
        // Reordered declarations, split over files named in another order.
        let n = decls.len();
        decls.rotate_left(rotate % n);
        let files: Vec<(String, String)> = decls.iter().enumerate().map(|(i, d)| (format!("f{}.platform", n - i), d.clone())).collect();
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let shuffled = platc::pipeline::compile(&SourceMap::from_strings("/nonexistent-platc-project", &borrowed));
        prop_assert_eq!(&first, &shuffled.bundle.expect("compiles").encode());
    }
}

#[test]
fn examples_compile_deterministically() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let sources = platc::source::load(&dir).expect("loads");
        let a = platc::pipeline::compile(&sources)
            .bundle
            .map(|b| b.encode());
        let b = platc::pipeline::compile(&sources)
            .bundle
            .map(|b| b.encode());
        assert_eq!(a, b, "{}", dir.display());
    }
}

// ---------------------------------------------------------------- quantities

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `Duration::text()` is the language's own spelling of the same seconds.
    #[test]
    fn duration_text_round_trips(seconds in prop_oneof![0u64..100_000, 0u64..10_000_000_000, (0u64..20_000).prop_map(|w| w * 604_800)]) {
        let text = ir::Duration(seconds).text();
        let src = format!("{PLATFORM}job j {{ namespace = shop  image = \"nginx:1.27\"  ttl = {text} }}\n");
        let views = views(&src);
        let ir::WorkloadKind::Job(spec) = &workload(&views, None, "j").kind else { panic!("a job") };
        prop_assert_eq!(spec.ttl, Some(ir::Duration(seconds)), "{}", text);
    }

    /// `ByteSize::from_bytes(b).text` parses back to `b` bytes.
    #[test]
    fn byte_size_text_round_trips(bytes in prop_oneof![1u128..100_000, 1u128..(1 << 62), (1u128..4096).prop_map(|n| n << 50), (1u128..1 << 20).prop_map(|n| n << 20)]) {
        let size = ir::ByteSize::from_bytes(bytes);
        let src = format!("{PLATFORM}service s {{ namespace = shop  image = \"nginx:1.27\"  resources {{ memory = {} }} }}\n", size.text);
        let views = views(&src);
        let memory = workload(&views, None, "s").resources.memory.clone().expect("memory");
        prop_assert_eq!(memory.request.bytes, bytes, "{}", size.text);
        prop_assert_eq!(memory.limit.bytes, bytes);
    }

    /// `CpuMillis::quantity()` parses back to the same millicores.
    #[test]
    fn cpu_quantity_round_trips(millis in prop_oneof![1u64..10_000, 1u64..1_000_000_000, (1u64..100_000).prop_map(|c| c * 1000)]) {
        let text = ir::CpuMillis(millis).quantity();
        let src = format!("{PLATFORM}service s {{ namespace = shop  image = \"nginx:1.27\"  resources {{ cpu = {text} }} }}\n");
        let views = views(&src);
        let cpu = workload(&views, None, "s").resources.cpu.clone().expect("cpu");
        prop_assert_eq!(cpu.request, ir::CpuMillis(millis), "{}", text);
    }
}
