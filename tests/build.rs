//! Build tests: every `tests/build/<case>/` is compiled and its whole output
//! tree snapshotted as one text (`//// <path>` before each file); the
//! examples' committed `out/<name>/` trees must equal a fresh build; builds
//! are deterministic whatever the order of files and declarations; and
//! build → write → plan again finds nothing to change.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use platc::source::SourceMap;

fn compile_dir(dir: &Path) -> BTreeMap<String, String> {
    let sources = platc::source::load(dir).expect("project loads");
    compile(&sources, dir)
}

fn compile(sources: &SourceMap, what: &Path) -> BTreeMap<String, String> {
    let compiled = platc::pipeline::compile(sources);
    let errors: Vec<_> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "{} has errors: {errors:#?}",
        what.display()
    );
    compiled.bundle.expect("no errors, so a bundle").encode()
}

fn tree_text(files: &BTreeMap<String, String>) -> String {
    files
        .iter()
        .map(|(path, text)| format!("//// {path}\n{text}"))
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn build_cases() {
    insta::glob!("build/*/platform.platform", |path| {
        let dir = path.parent().expect("case directory");
        insta::assert_snapshot!(tree_text(&compile_dir(dir)));
    });
}

fn examples() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "one example per seed");
    dirs
}

#[test]
fn committed_example_output_is_fresh() {
    for dir in examples() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let fresh = compile_dir(&dir);
        let out = root().join("out").join(&name);
        let tree = platc::write::read_out_tree(&out).expect("out tree readable");
        let committed: BTreeMap<String, String> = tree
            .files
            .into_iter()
            .map(|(p, b)| (p, String::from_utf8(b).expect("utf-8")))
            .collect();
        let stale: Vec<&String> = fresh
            .keys()
            .filter(|p| committed.get(*p) != fresh.get(*p))
            .collect();
        let extra: Vec<&String> = committed
            .keys()
            .filter(|p| !fresh.contains_key(*p))
            .collect();
        assert!(
            stale.is_empty() && extra.is_empty(),
            "out/{name} is stale (run `cargo run -- build examples/{name} --out out/{name}`): changed {stale:?}, extra {extra:?}"
        );
    }
}

#[test]
fn output_does_not_depend_on_file_or_declaration_order() {
    for dir in examples() {
        let sources = platc::source::load(&dir).expect("loads");
        let reference = compile(&sources, &dir);
        // All declarations in one file, files and declarations in reverse order.
        let mut blocks: Vec<String> = Vec::new();
        for file in &sources.files {
            let parsed = platc::parse::parse_file(file).expect("example parses");
            for decl in parsed.declarations {
                blocks.push(file.text[decl.span.start()..decl.span.end()].to_string());
            }
        }
        blocks.reverse();
        let merged = blocks.join("\n\n");
        // file() paths are relative to the source file: keep the merged file at the root.
        let shuffled = SourceMap {
            root: sources.root.clone(),
            files: SourceMap::from_strings(".", &[("all.platform", merged.as_str())]).files,
        };
        assert_eq!(
            compile(&shuffled, &dir),
            reference,
            "{} depends on declaration order",
            dir.display()
        );
        // And twice in a row gives the same bytes.
        assert_eq!(compile(&sources, &dir), reference);
    }
}

#[test]
fn build_then_plan_again_finds_nothing_to_change() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for dir in examples() {
        let out = tmp.path().join(dir.file_name().expect("name"));
        let files = compile_dir(&dir);
        let plan = platc::write::plan(
            files.clone(),
            &platc::write::read_out_tree(&out).expect("read"),
            false,
        );
        platc::write::apply(&plan, &out).expect("write");
        let again = platc::write::plan(
            files,
            &platc::write::read_out_tree(&out).expect("read"),
            false,
        );
        assert!(
            !again.changes(),
            "{}: a second build would change {:?}",
            dir.display(),
            again.actions
        );
    }
}

#[test]
fn no_secret_objects_or_values_in_any_output() {
    for dir in examples() {
        for (path, text) in compile_dir(&dir) {
            assert!(
                !text.contains("kind: Secret\n"),
                "{path} renders a Secret object"
            );
            assert!(!text.contains("stringData"), "{path} carries stringData");
        }
    }
}

/// Rendering, encoding, validation and writing run on all cores; the written
/// tree must be byte-identical to a single-threaded run. The example with the
/// most objects is built by the real binary with one and with four worker
/// threads (`RAYON_NUM_THREADS`), and the two trees compared file by file.
#[test]
fn output_is_the_same_on_one_thread_and_on_many() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = root().join("examples/k8s-microservices");
    let build = |threads: &str, out: &Path| {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_platc"))
            .arg("build")
            .arg(&example)
            .arg("--out")
            .arg(out)
            .env("RAYON_NUM_THREADS", threads)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run platc");
        assert!(status.success(), "build with {threads} thread(s) failed");
    };
    let one = tmp.path().join("one");
    let many = tmp.path().join("many");
    build("1", &one);
    build("4", &many);
    let read = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|e| e.expect("walk"))
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                (rel, std::fs::read(e.path()).expect("read"))
            })
            .collect()
    };
    let (a, b) = (read(&one), read(&many));
    assert!(a.len() > 60, "only {} files", a.len());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between 1 and 4 threads");
    }
}
