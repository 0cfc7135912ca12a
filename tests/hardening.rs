//! Hardening: hostile and extreme inputs, paths, crash safety and secrets.
//!
//! Every test runs the real binary (`CARGO_BIN_EXE_platc`) or the library on
//! a project written into a temporary directory; none reads `/work/shared`
//! or the network, and none asserts on time. A panic exits 101 (the test
//! build unwinds; the release build aborts, 134) and a stack overflow
//! aborts (134): every run here must end with 0, 1 (diagnostics) or 2 (I/O
//! or usage) and name the file at fault.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use platc::diagnostic::Code;
use platc::source::{SourceFile, SourceMap};
use platc::span::FileId;

const PLATFORM: &str = "platform shop { repo = \"https://git.example.com/shop/gitops.git\" }\n";

/// The outcome of one `platc` run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn platc<I, S>(args: I, envs: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_platc"));
    command
        .args(args)
        .stdin(Stdio::null())
        .env_remove("PLATC_FAULT_AFTER");
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().expect("platc runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        matches!(run.code, 0..=2)
            && !run.stderr.contains("panicked")
            && !run.stderr.contains("stack overflow"),
        "platc crashed (exit {}):\n{}",
        run.code,
        tail(&run.stderr)
    );
    run
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(4000);
    let start = (start..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    &text[start..]
}

fn validate(path: &Path) -> Run {
    platc([OsStr::new("validate"), path.as_os_str()], &[])
}

fn build(project: &Path, out: &Path) -> Run {
    platc(
        [
            OsStr::new("build"),
            project.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
        &[],
    )
}

/// A temporary project directory holding `files` (path → text).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    dir
}

fn source(text: &str) -> SourceFile {
    SourceFile {
        id: FileId(0),
        name: "main.platform".into(),
        text: text.into(),
    }
}

/// Every regular file below `dir` by `/`-joined path, with its bytes.
/// Panics on anything but files and directories.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry"))
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let kind = entry.file_type().expect("file type");
            let path = entry.path();
            if kind.is_dir() {
                walk(root, &path, out);
            } else {
                assert!(kind.is_file(), "unexpected non-file {}", path.display());
                let rel = path
                    .strip_prefix(root)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

// ---------------------------------------------------------------- limits

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!(
        "{PLATFORM}service api {{\n  image = \"nginx:1.27\"\n  x = {}1{}\n}}\n",
        open.repeat(depth),
        close.repeat(depth)
    )
}

#[test]
fn ten_thousand_nested_braces_are_a_clear_parse_error() {
    let dir = project(&[("deep.platform", &nested("{ a = ", " }", 10_000))]);
    let run = validate(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("nested more than 256 levels deep"),
        "{}",
        tail(&run.stderr)
    );
    assert!(run.stderr.contains("deep.platform"));
}

#[test]
fn ten_thousand_nested_brackets_are_a_clear_parse_error() {
    let dir = project(&[("deep.platform", &nested("[", "]", 10_000))]);
    let run = validate(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("nested more than 256 levels deep"),
        "{}",
        tail(&run.stderr)
    );
    assert!(run.stderr.contains("deep.platform"));
}

#[test]
fn deep_nesting_of_every_bracket_kind_is_a_parse_error_in_the_library() {
    let cases = [
        nested("{ a = ", " }", 10_000),
        nested("[", "]", 10_000),
        nested("file(", ")", 10_000),
        nested("[{ a = ", " }]", 5_000),
        // blocks, not values
        format!(
            "{PLATFORM}chart c {{ values {{ {} a = 1 {} }} }}\n",
            "b { ".repeat(10_000),
            "} ".repeat(10_000)
        ),
        // unclosed: nothing to match, still no recursion
        format!("{PLATFORM}service a {{ x = {}", "[".repeat(100_000)),
    ];
    for text in &cases {
        let err = platc::parse::parse_file(&source(text)).expect_err("too deep");
        assert_eq!(err.code, Code::Parse);
        assert!(err.message.contains("nested more than"), "{}", err.message);
    }
}

#[test]
fn ten_thousand_segment_dotted_path_is_a_parse_error_not_a_stack_overflow() {
    // Regression: `a.a.….a = 1` merged into 10,000 nested maps, whose drop
    // overflowed the stack (abort, exit 134).
    let text = format!(
        "{PLATFORM}chart c {{\n  profile = postgresql\n  values {{ {} = 1 }}\n}}\n",
        vec!["a"; 10_000].join(".")
    );
    let dir = project(&[("dotted.platform", &text)]);
    let run = validate(dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("nested more than 256 levels deep"),
        "{}",
        tail(&run.stderr)
    );
    // Dotted paths count together with the blocks around them.
    let text = format!(
        "{PLATFORM}chart c {{ values {{ {} {} = 1 {} }} }}\n",
        "b { ".repeat(200),
        vec!["a"; 100].join("."),
        "} ".repeat(200)
    );
    let err = platc::parse::parse_file(&source(&text)).expect_err("too deep");
    assert!(err.message.contains("nested more than"));
}

#[test]
fn nesting_just_under_the_limit_goes_through_the_whole_pipeline() {
    // 200 levels of maps in chart values: parsed, merged, rendered into
    // values.yaml and validated, all without overflowing the main stack.
    let text = format!(
        "{PLATFORM}chart c {{\n  profile = postgresql\n  namespace = shop\n  values {{ deep = {}1{} }}\n}}\n",
        "{ a = ".repeat(200),
        " }".repeat(200)
    );
    let dir = project(&[("p.platform", &text)]);
    let out = dir.path().join("out");
    let run = build(dir.path(), &out);
    assert!(run.code <= 1, "{}", run.stderr);
}

#[test]
fn the_deepest_accepted_nesting_parses_on_a_thread_with_the_default_stack() {
    // pest is pinned below the version that probes the stack on every rule
    // call (Cargo.toml), so nothing but `MAX_NESTING` stands between deep
    // input and a stack overflow. `parse_all` parses on spawned threads
    // (2 MiB stacks): the deepest input the bracket check lets through must
    // fit there, in the unoptimised build too. (A 256 KiB stack overflows.)
    // (opening, closing, levels one repetition takes: a map entry's path is a level)
    let kinds = [
        ("{ a = ", " }", 2),
        ("[", "]", 1),
        ("file(", ")", 1),
        ("[{ a = ", " }]", 3),
    ];
    for (open, close, levels) in kinds {
        let deepest = std::thread::spawn(move || {
            (1..=platc::parse::MAX_NESTING).rev().find(|&depth| {
                platc::parse::parse_file(&source(&nested(open, close, depth))).is_ok()
            })
        })
        .join()
        .expect("parsing must not overflow the thread's stack");
        let deepest = deepest.expect("some nesting parses");
        // Accepted up to the limit: one more repetition, with the declaration's
        // block and the attribute around it, would pass it.
        assert!(
            (deepest + 1) * levels + 2 > platc::parse::MAX_NESTING,
            "`{open}` nests only {deepest} deep"
        );
        let refused = platc::parse::parse_file(&source(&nested(open, close, deepest + 1)))
            .expect_err("one level deeper is refused");
        assert!(
            refused.message.contains("nested more than"),
            "{}",
            refused.message
        );
    }
}

#[test]
fn fifty_megabyte_file_is_refused_before_it_is_read() {
    let dir = project(&[("a.platform", PLATFORM)]);
    let big = std::fs::File::create(dir.path().join("big.platform")).expect("create");
    big.set_len(50 * 1024 * 1024).expect("sparse 50 MB");
    let run = validate(dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("big.platform"), "{}", run.stderr);
    assert!(run.stderr.contains("52428800 bytes"), "{}", run.stderr);
    assert!(run.stderr.contains("limited to 4 MiB"), "{}", run.stderr);
}

#[test]
fn fifty_megabyte_asset_is_a_diagnostic_naming_it() {
    let dir = project(&[(
        "a.platform",
        &format!("{PLATFORM}resource r {{\n  api-version = \"v1\"\n  kind = \"ConfigMap\"\n  namespace = shop\n  body = file(\"big.yaml\")\n}}\n"),
    )]);
    let big = std::fs::File::create(dir.path().join("big.yaml")).expect("create");
    big.set_len(50 * 1024 * 1024).expect("sparse 50 MB");
    let run = validate(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("big.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
}

#[test]
fn million_element_list_is_handled_and_its_errors_are_capped() {
    // Regression: a million wrong elements gave a million diagnostics, and
    // rendering each one rescanned the 2 MB line: the run never ended.
    let items = vec!["1"; 1_000_000].join(",");
    let text = format!("{PLATFORM}service api {{ image = \"nginx:1.27\"  command = [{items}] }}\n");
    let dir = project(&[("list.platform", &text)]);
    let run = validate(dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("list.platform"));
    assert!(
        run.stderr.contains("1000000 errors, 0 warnings"),
        "{}",
        tail(&run.stderr)
    );
    assert!(
        run.stderr.contains("999900 more not shown"),
        "{}",
        tail(&run.stderr)
    );
    assert_eq!(run.stderr.matches("platc::type-mismatch").count(), 100);
}

#[test]
fn million_element_valid_list_goes_through_the_whole_pipeline() {
    // The same size as above, but valid: parsed, lowered, rendered, validated
    // and written (a 1,000,000-argument command), not refused and not a crash.
    let items = vec!["\"a\""; 1_000_000].join(",");
    let text = format!(
        "{PLATFORM}service api {{ namespace = shop  image = \"nginx:1.27\"  command = [{items}] }}\n"
    );
    let dir = project(&[("list.platform", &text)]);
    let out = dir.path().join("out");
    let run = build(dir.path(), &out);
    assert_eq!(run.code, 0, "{}", tail(&run.stderr));
    let deployment = std::fs::read_to_string(out.join("apps/shop/base/api.yaml"))
        .expect("the deployment is written");
    assert_eq!(
        deployment.lines().filter(|l| l.trim() == "- a").count(),
        1_000_000
    );
}

#[test]
fn non_utf8_source_names_the_file_and_the_byte_offset() {
    let dir = project(&[("a.platform", PLATFORM)]);
    let mut bytes = b"# caf".to_vec();
    bytes.extend([0xE9, b'\n']);
    std::fs::write(dir.path().join("latin1.platform"), &bytes).expect("write");
    let run = validate(dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("latin1.platform"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not valid UTF-8 (first bad byte at offset 5)"),
        "{}",
        run.stderr
    );
}

#[test]
fn non_utf8_asset_names_the_file_and_the_byte_offset() {
    let dir = project(&[(
        "a.platform",
        &format!("{PLATFORM}resource r {{\n  api-version = \"v1\"\n  kind = \"ConfigMap\"\n  namespace = shop\n  body = file(\"m/x.yaml\")\n}}\n"),
    )]);
    std::fs::create_dir(dir.path().join("m")).expect("mkdir");
    std::fs::write(dir.path().join("m/x.yaml"), b"data:\n  a: \xff\n").expect("write");
    let run = validate(dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("m/x.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("offset 11"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_an_io_error_naming_the_file() {
    use std::os::unix::fs::symlink;
    let dir = project(&[("a.platform", PLATFORM)]);
    symlink("loop-b.platform", dir.path().join("loop-a.platform")).expect("symlink");
    symlink("loop-a.platform", dir.path().join("loop-b.platform")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("loop-a.platform"), "{}", run.stderr);
    assert!(run.stderr.contains("symbolic links"), "{}", run.stderr);
    // The same loop named by `file()`: a diagnostic at the call.
    let dir = project(&[("a.platform", &resource_with_file("loop-a.yaml"))]);
    symlink("loop-b.yaml", dir.path().join("loop-a.yaml")).expect("symlink");
    symlink("loop-a.yaml", dir.path().join("loop-b.yaml")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("platc::io"), "{}", run.stderr);
    assert!(run.stderr.contains("loop-a.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("symbolic links"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn symlinked_directory_loops_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = project(&[
        ("a.platform", PLATFORM),
        ("sub/b.platform", "nodepool app {}\n"),
    ]);
    symlink("..", dir.path().join("sub/up")).expect("symlink");
    symlink(dir.path(), dir.path().join("sub/self")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("2 file(s)"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn dangling_symlink_is_an_io_error_naming_the_file() {
    let dir = project(&[("a.platform", PLATFORM)]);
    std::os::unix::fs::symlink("missing.txt", dir.path().join("gone.platform")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("gone.platform"), "{}", run.stderr);
}

/// `platc ARGS` as a user the mode bits apply to. When this process reads
/// mode-000 files anyway (root, `CAP_DAC_OVERRIDE`), the child runs as
/// `nobody` (65534), so the permission errors below are real ones for root
/// too; `dir` is opened up (0755) so that user can reach the project.
#[cfg(unix)]
fn platc_unprivileged(dir: &Path, probe: &Path, args: &[&OsStr]) -> Run {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_platc"));
    command
        .args(args)
        .stdin(Stdio::null())
        .env_remove("PLATC_FAULT_AFTER");
    if std::fs::read(probe).is_ok() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        command.uid(65534).gid(65534).current_dir("/");
    }
    let output = command.output().expect("platc runs (as nobody when root)");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        matches!(run.code, 0..=2) && !run.stderr.contains("panicked"),
        "platc crashed (exit {}):\n{}",
        run.code,
        tail(&run.stderr)
    );
    run
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_io_error_naming_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("a.platform", PLATFORM),
        ("secret.platform", "nodepool app {}\n"),
    ]);
    let file = dir.path().join("secret.platform");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let run = platc_unprivileged(
        dir.path(),
        &file,
        &[OsStr::new("validate"), dir.path().as_os_str()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("secret.platform"), "{}", run.stderr);
    assert!(run.stderr.contains("ermission denied"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn unreadable_directory_is_an_io_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("a.platform", PLATFORM),
        ("locked/b.platform", "nodepool app {}\n"),
    ]);
    let locked = dir.path().join("locked");
    let inside = locked.join("b.platform");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let run = platc_unprivileged(
        dir.path(),
        &inside,
        &[OsStr::new("validate"), dir.path().as_os_str()],
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("locked"), "{}", run.stderr);
    assert!(run.stderr.contains("ermission denied"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn unreadable_asset_is_a_diagnostic_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("a.platform", &resource_with_file("m/x.yaml")),
        ("m/x.yaml", "data:\n  a: b\n"),
    ]);
    let asset = dir.path().join("m/x.yaml");
    std::fs::set_permissions(&asset, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let out = dir.path().join("out");
    let run = platc_unprivileged(
        dir.path(),
        &asset,
        &[
            OsStr::new("build"),
            dir.path().as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("m/x.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("ermission denied"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written");
}

#[cfg(unix)]
#[test]
fn fifo_source_is_refused_instead_of_blocking_forever() {
    // Regression: reading a FIFO named `*.platform` waited for a writer forever.
    let dir = project(&[("a.platform", PLATFORM)]);
    let fifo = dir.path().join("pipe.platform");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: skipped: no mkfifo");
        return;
    }
    let run = validate(dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pipe.platform"), "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn link_to_a_device_is_refused_instead_of_read_without_end() {
    // Regression: `/dev/zero` reports size 0, passed the size check, and was
    // read until memory ran out.
    let dir = project(&[("a.platform", PLATFORM)]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.platform")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("zero.platform"), "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    // The same through `file()`, inside the project.
    let dir = project(&[(
        "a.platform",
        &format!("{PLATFORM}resource r {{\n  api-version = \"v1\"\n  kind = \"ConfigMap\"\n  namespace = shop\n  body = file(\"zero.yaml\")\n}}\n"),
    )]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).expect("symlink");
    let run = validate(dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("zero.yaml"), "{}", run.stderr);
}

#[test]
fn a_directory_named_like_a_source_is_an_io_error() {
    let dir = project(&[("a.platform", PLATFORM)]);
    let run = validate(&dir.path().join("missing.platform"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.platform"));
    std::fs::create_dir(dir.path().join("x.platform")).expect("mkdir");
    // Directories whose names end in `.platform` are walked, not read.
    let run = validate(dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// ---------------------------------------------------------------- paths

const MARKER: &str = "OUTSIDE-MARKER-5f1d2c";

fn resource_with_file(arg: &str) -> String {
    format!(
        "{PLATFORM}resource r {{\n  api-version = \"v1\"\n  kind = \"ConfigMap\"\n  namespace = shop\n  body = file(\"{arg}\")\n}}\n"
    )
}

#[test]
fn file_arguments_cannot_read_outside_the_project() {
    let outer = tempfile::tempdir().expect("temp dir");
    let outside = outer.path().join("outside.yaml");
    std::fs::write(&outside, format!("data:\n  leak: {MARKER}\n")).expect("write");
    std::fs::create_dir(outer.path().join("elsewhere")).expect("mkdir");
    std::fs::write(
        outer.path().join("elsewhere/x.yaml"),
        format!("data:\n  leak: {MARKER}\n"),
    )
    .expect("write");
    let root = outer.path().join("proj");
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("link.yaml")).expect("symlink");
        std::os::unix::fs::symlink("../elsewhere", root.join("linkdir")).expect("symlink");
        std::os::unix::fs::symlink("../../outside.yaml", root.join("sub/rel-link.yaml"))
            .expect("symlink");
    }
    let absolute = outside.to_string_lossy().into_owned();
    let mut cases = vec![
        ("main.platform", "../outside.yaml".to_string()),
        ("main.platform", "sub/../../outside.yaml".to_string()),
        ("main.platform", "./../outside.yaml".to_string()),
        ("main.platform", "..\\\\outside.yaml".to_string()),
        ("main.platform", absolute.clone()),
        ("main.platform", format!("file://{absolute}")),
        ("sub/nested.platform", "../../outside.yaml".to_string()),
    ];
    if cfg!(unix) {
        cases.extend([
            ("main.platform", "link.yaml".to_string()),
            ("main.platform", "linkdir/x.yaml".to_string()),
            ("sub/nested.platform", "rel-link.yaml".to_string()),
        ]);
    }
    for (file, arg) in cases {
        for stale in ["main.platform", "sub/nested.platform"] {
            let _ = std::fs::remove_file(root.join(stale));
        }
        std::fs::write(root.join(file), resource_with_file(&arg)).expect("write");
        let out = outer.path().join("out");
        let run = build(&root, &out);
        assert_eq!(run.code, 1, "file(\"{arg}\") in {file}:\n{}", run.stderr);
        assert!(
            run.stderr.contains("platc::file-outside-project")
                || run.stderr.contains("outside the project"),
            "file(\"{arg}\") in {file}:\n{}",
            run.stderr
        );
        assert!(
            !run.all().contains(MARKER),
            "file(\"{arg}\") leaked the outside file"
        );
        assert!(!out.exists(), "file(\"{arg}\"): nothing may be written");
    }
}

#[test]
fn path_like_names_are_impossible_by_grammar() {
    let kinds = [
        "platform",
        "env",
        "nodepool",
        "namespace",
        "secret",
        "service",
        "job",
        "chart",
        "kafka",
        "topic",
        "role",
        "datasource",
        "dashboard",
        "resource",
    ];
    let names = [
        "../x",
        "..",
        ".",
        "a/b",
        "/abs",
        "a\\b",
        ".hidden",
        "x.y",
        "\"quoted\"",
        "\"../x\"",
        "A",
        "_x",
        "1x",
        "-x",
        "a:b",
        "a b",
        "~",
        "$HOME",
        "a%2fb",
        "é",
    ];
    for kind in kinds {
        for name in names {
            let text = format!("{kind} {name} {{ }}\n");
            assert!(
                platc::parse::parse_file(&source(&text)).is_err(),
                "`{text}` parsed"
            );
            let text = format!("{kind} ok extends {name} {{ }}\n");
            assert!(
                platc::parse::parse_file(&source(&text)).is_err(),
                "`{text}` parsed"
            );
        }
    }
    // `when ENV` names an env the same way (`when "x" { }` is a block named
    // `when` with a label, an unknown field for resolve, not an env).
    for name in names.iter().filter(|n| !n.starts_with('"')) {
        let text = format!("service a {{ when {name} {{ }} }}\n");
        assert!(
            platc::parse::parse_file(&source(&text)).is_err(),
            "`{text}` parsed"
        );
    }
}

#[test]
fn quoted_namespaces_that_look_like_paths_are_invalid_names() {
    // Regression: `namespace = "../../x"` (a string, not a name) was not
    // checked and became `apps/../../x/`; only schema validation stopped it.
    for kind in ["service", "job"] {
        for ns in ["../../escape", "/abs", "a/b", ".", ".."] {
            let text = format!(
                "{PLATFORM}{kind} api {{\n  namespace = \"{ns}\"\n  image = \"nginx:1.27\"\n}}\n"
            );
            let dir = project(&[("a.platform", &text)]);
            let out = dir.path().join("out");
            let run = build(dir.path(), &out);
            assert_eq!(run.code, 1, "{ns}");
            assert!(
                run.stderr.contains("platc::invalid-name"),
                "{ns}: {}",
                run.stderr
            );
            assert!(!out.exists());
        }
    }
    for (decl, field) in [
        ("secret s { keys = [a]", "namespace"),
        ("chart c { profile = postgresql", "namespace"),
        (
            "platform p { repo = \"https://x.example.com/r.git\"",
            "default-namespace",
        ),
        (
            "platform p { repo = \"https://x.example.com/r.git\"",
            "grafana-namespace",
        ),
        (
            "platform p { repo = \"https://x.example.com/r.git\"",
            "argocd-namespace",
        ),
    ] {
        let head = if decl.starts_with("platform") {
            String::new()
        } else {
            PLATFORM.to_string()
        };
        let text = format!("{head}{decl}\n  {field} = \"../../escape\"\n}}\n");
        let sources = SourceMap::from_strings("/nonexistent", &[("a.platform", &text)]);
        let compiled = platc::pipeline::compile(&sources);
        assert!(compiled.bundle.is_none(), "{decl} {field}");
        assert!(
            compiled
                .diagnostics
                .iter()
                .any(|d| d.code == Code::InvalidName),
            "{decl} {field}: {:?}",
            compiled.diagnostics
        );
    }
}

/// Strings a hostile or careless author could put where a path is made.
const PATH_LIKE: &[&str] = &[
    "../../escape",
    "..",
    ".",
    "",
    "/abs",
    "a/b",
    "a\\\\b",
    "C:/x",
    "%2e%2e/x",
    " x",
    "x\\n",
    "UPPER",
];

#[test]
fn path_like_strings_in_any_field_never_make_a_path_outside_the_output() {
    // Every string field of every kind that could become (part of) an output
    // path or an object identity: the compile either fails with an error, or
    // every path of the tree is plain and relative.
    let templates: &[&str] = &[
        "service api {\n  namespace = \"{}\"\n  image = \"nginx:1.27\"\n}\n",
        "job api {\n  namespace = \"{}\"\n  image = \"nginx:1.27\"\n}\n",
        "secret s {\n  namespace = \"{}\"\n  keys = [a]\n}\n",
        "chart c {\n  profile = postgresql\n  namespace = \"{}\"\n}\n",
        "chart c {\n  profile = \"{}\"\n  namespace = db\n}\n",
        "chart c {\n  repo = \"https://charts.example.com\"\n  chart = \"{}\"\n  version = \"1.0.0\"\n  namespace = db\n}\n",
        "chart c {\n  repo = \"{}\"\n  chart = \"x\"\n  version = \"1.0.0\"\n  namespace = db\n}\n",
        "kafka k { namespace = kafka  brokers = 1 }\ntopic t {\n  kafka = k\n  name = \"{}\"\n}\n",
        "resource r {\n  api-version = \"example.com/v1\"\n  kind = \"{}\"\n  namespace = shop\n}\n",
        "resource r {\n  api-version = \"{}\"\n  kind = \"Thing\"\n  namespace = shop\n}\n",
        "resource r {\n  api-version = \"{}/v1\"\n  kind = \"Thing\"\n  namespace = shop\n}\n",
        "env dev { destination = \"{}\" }\n",
        "namespace shop { labels = { \"{}\" = \"x\" } }\nservice api { namespace = shop  image = \"nginx:1.27\" }\n",
    ];
    let platforms = [
        PLATFORM.to_string(),
        "platform shop {\n  repo = \"https://git.example.com/shop/gitops.git\"\n  path = \"{}\"\n}\n"
            .to_string(),
    ];
    let mut compiled_ok = 0;
    for hostile in PATH_LIKE {
        let mut texts: Vec<String> = templates
            .iter()
            .map(|t| format!("{PLATFORM}{}", t.replace("{}", hostile)))
            .collect();
        texts.push(platforms[1].replace("{}", hostile));
        for text in texts {
            let sources = SourceMap::from_strings("/nonexistent", &[("a.platform", &text)]);
            let compiled = platc::pipeline::compile(&sources);
            let errors = compiled.diagnostics.iter().any(|d| d.is_error());
            match compiled.bundle {
                Some(bundle) => {
                    assert!(!errors, "a bundle despite errors:\n{text}");
                    compiled_ok += 1;
                    for path in bundle.encode().keys() {
                        assert!(is_plain_relative(path), "{path}\nfrom\n{text}");
                    }
                }
                None => assert!(errors, "no bundle and no error:\n{text}"),
            }
        }
    }
    // Strings that are not paths (repo URLs, chart names) compile: the test
    // is not passing only because everything is rejected.
    assert!(compiled_ok > 0);
}

#[test]
fn a_resource_kind_or_body_namespace_cannot_name_a_directory() {
    // Regression: `kind` names the file of an object without a component
    // (`<kind>-<name>.yaml`) and was not
    // checked; for an API group without a pinned schema `platc validate`
    // passed and `build` only stopped at the writer's path check (exit 2).
    // A body's `metadata.namespace` (when the declaration sets none) names
    // the directory `apps/NAMESPACE/`.
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("proj");
    std::fs::create_dir(&root).expect("mkdir");
    let out = outer.path().join("out");
    let cases = [
        (
            "kind = \"../../../escape\"\n  namespace = shop",
            "data:\n  a: b\n",
            "is not a Kubernetes kind",
        ),
        (
            "kind = \"Thing/../../../escape\"\n  namespace = shop",
            "data:\n  a: b\n",
            "is not a Kubernetes kind",
        ),
        (
            "kind = \"Thing\"",
            "metadata:\n  namespace: ../../escape\ndata:\n  a: b\n",
            "is not a valid namespace name",
        ),
        (
            "kind = \"Thing\"",
            "metadata:\n  namespace: [a]\n",
            "not a namespace name",
        ),
    ];
    for (fields, body, message) in cases {
        let text = format!(
            "{PLATFORM}resource r {{\n  api-version = \"unpinned.example.com/v1\"\n  {fields}\n  body = file(\"body.yaml\")\n}}\n"
        );
        std::fs::write(root.join("a.platform"), &text).expect("write");
        std::fs::write(root.join("body.yaml"), body).expect("write");
        let run = validate(&root);
        assert_eq!(run.code, 1, "{fields}:\n{}", run.stderr);
        assert!(
            run.stderr.contains("platc::invalid-name"),
            "{fields}:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains(message), "{fields}:\n{}", run.stderr);
        let run = build(&root, &out);
        assert_eq!(run.code, 1, "{fields}:\n{}", run.stderr);
        assert!(!out.exists(), "{fields}: nothing written");
        let beside: Vec<_> = std::fs::read_dir(outer.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(beside, [OsStr::new("proj")], "{fields}");
    }
    // Well-formed kinds and API versions of unpinned groups still build.
    let text = format!(
        "{PLATFORM}resource r {{\n  api-version = \"widgets.example.com/v1beta2\"\n  kind = \"FancyWidget2\"\n  body = file(\"body.yaml\")\n}}\n"
    );
    std::fs::write(root.join("a.platform"), text).expect("write");
    std::fs::write(
        root.join("body.yaml"),
        "metadata:\n  namespace: widgets\nspec:\n  size: 3\n",
    )
    .expect("write");
    let run = build(&root, &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("apps/widgets/base/r.yaml").is_file());
}

fn examples() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn is_plain_relative(path: &str) -> bool {
    path.split('/')
        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains(['\\', '\0']))
}

#[test]
fn every_rendered_path_stays_inside_the_output_directory() {
    for dir in examples() {
        let sources = platc::source::load(&dir).expect("example loads");
        let compiled = platc::pipeline::compile(&sources);
        let Some(bundle) = compiled.bundle else {
            continue;
        };
        for path in bundle.encode().keys() {
            assert!(is_plain_relative(path), "{}: {path}", dir.display());
        }
    }
}

#[test]
fn writing_never_follows_a_symlink_out_of_the_output_directory() {
    let outer = tempfile::tempdir().expect("temp dir");
    let victim = outer.path().join("victim");
    std::fs::create_dir(&victim).expect("mkdir");
    std::fs::write(victim.join("keep.txt"), "untouched").expect("write");
    let root = outer.path().join("proj");
    std::fs::create_dir(&root).expect("mkdir");
    std::fs::write(root.join("a.platform"), MINIMAL).expect("write");
    let out = outer.path().join("out");
    assert_eq!(build(&root, &out).code, 0);
    // A hand-made link inside `out` where platc writes a directory.
    let apps = out.join("apps");
    std::fs::remove_dir_all(&apps).expect("rm");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, &apps).expect("symlink");
    std::fs::write(root.join("a.platform"), MINIMAL.replace("1.0.0", "1.0.1")).expect("write");
    let run = build(&root, &out);
    assert!(run.code <= 2, "{}", run.stderr);
    assert_eq!(
        snapshot(&victim).len(),
        1,
        "nothing written through the link"
    );
    assert_eq!(
        std::fs::read_to_string(victim.join("keep.txt")).expect("read"),
        "untouched"
    );
}

// ---------------------------------------------------------------- crash safety

const MINIMAL: &str = r#"platform shop { repo = "https://git.example.com/shop/gitops.git" }
service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.0.0"
  ports     = { http = 8080 }
  resources { cpu = 100m..500m  memory = 128Mi..256Mi }
  health    { liveness = "/healthz"  readiness = "/ready" }
}
"#;

const OLD: &str = r#"platform shop { repo = "https://git.example.com/shop/gitops.git" }
env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.example.com:6443" }
service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.0.0"
  ports     = { http = 8080 }
  resources { cpu = 100m..500m  memory = 128Mi..256Mi }
  health    { liveness = "/healthz"  readiness = "/ready" }
  when prod { replicas = 3 }
}
service web {
  namespace = shop
  image     = "registry.example.com/shop/web:2.0.0"
  ports     = { http = 8080 }
  resources { cpu = 100m  memory = 64Mi }
}
"#;

const NEW: &str = r#"platform shop { repo = "https://git.example.com/shop/gitops.git" }
env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.example.com:6443" }
service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.1.0"
  ports     = { http = 8080 }
  resources { cpu = 100m..500m  memory = 128Mi..256Mi }
  health    { liveness = "/healthz"  readiness = "/ready" }
  when prod { replicas = 5 }
}
job migrate {
  namespace = shop
  image     = "registry.example.com/shop/migrate:1.1.0"
  resources { cpu = 100m  memory = 64Mi }
}
"#;

/// The tree `platc build` writes for `text`, built into a fresh directory.
fn reference_tree(text: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = project(&[("platform.platform", text)]);
    let out = dir.path().join("ref-out");
    let run = build(dir.path(), &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot(&out)
}

/// Hand-written files inside the output directory and beside it.
fn hand_written() -> [(&'static str, &'static str); 3] {
    [
        ("out/NOTES.md", "kept by hand\n"),
        ("out/apps/extra/custom.yaml", "kind: Mine\n"),
        ("notes-beside-out.txt", "mine too\n"),
    ]
}

struct Scene {
    _dir: tempfile::TempDir,
    parent: PathBuf,
    project: PathBuf,
    out: PathBuf,
    old: BTreeMap<String, Vec<u8>>,
    new: BTreeMap<String, Vec<u8>>,
}

impl Scene {
    /// A project whose `out` holds the complete old tree plus hand-written files.
    fn new() -> Self {
        let with_hand_written = |mut tree: BTreeMap<String, Vec<u8>>| {
            for (path, text) in hand_written() {
                if let Some(rel) = path.strip_prefix("out/") {
                    tree.insert(rel.to_string(), text.as_bytes().to_vec());
                }
            }
            tree
        };
        let old = with_hand_written(reference_tree(OLD));
        let new = with_hand_written(reference_tree(NEW));
        assert_ne!(old, new);
        let dir = tempfile::tempdir().expect("temp dir");
        let parent = dir.path().to_path_buf();
        let project = parent.join("proj");
        std::fs::create_dir(&project).expect("mkdir");
        std::fs::write(project.join("platform.platform"), OLD).expect("write");
        let out = parent.join("out");
        assert_eq!(build(&project, &out).code, 0);
        for (path, text) in hand_written() {
            let full = parent.join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        }
        assert_eq!(snapshot(&out), old, "the first build writes the old tree");
        Scene {
            _dir: dir,
            parent,
            project,
            out,
            old,
            new,
        }
    }

    fn use_sources(&self, text: &str) {
        std::fs::write(self.project.join("platform.platform"), text).expect("write");
    }

    fn build_command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_platc"));
        command
            .arg("build")
            .arg(&self.project)
            .arg("--out")
            .arg(&self.out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env_remove("PLATC_FAULT_AFTER");
        command
    }

    /// `out` is exactly the old or exactly the new tree; the files beside it are untouched.
    fn check(&self, when: &str) -> &'static str {
        let tree = snapshot(&self.out);
        let which = if tree == self.old {
            "old"
        } else if tree == self.new {
            "new"
        } else {
            let keys = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
            panic!(
                "{when}: out is neither tree:\nfound {:#?}\nold {:#?}\nnew {:#?}",
                keys(&tree),
                keys(&self.old),
                keys(&self.new)
            );
        };
        let beside =
            std::fs::read_to_string(self.parent.join("notes-beside-out.txt")).expect("beside");
        assert_eq!(beside, "mine too\n", "{when}");
        let mut siblings: Vec<String> = std::fs::read_dir(&self.parent)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(".out.platc-"))
            .collect();
        siblings.sort();
        assert_eq!(siblings, ["notes-beside-out.txt", "out", "proj"], "{when}");
        which
    }
}

#[test]
fn a_build_stopped_after_any_number_of_files_leaves_the_old_tree() {
    let scene = Scene::new();
    scene.use_sources(NEW);
    // Every generated file of the new tree is one point to stop at (the
    // manifest is written last, and hand-written files are not counted).
    let generated = scene.new.len()
        - 1
        - hand_written()
            .iter()
            .filter(|(p, _)| p.starts_with("out/"))
            .count();
    for n in 1..=generated {
        let status = scene
            .build_command()
            .env("PLATC_FAULT_AFTER", n.to_string())
            .status()
            .expect("runs");
        assert_eq!(status.code(), Some(97), "PLATC_FAULT_AFTER={n}");
        assert_eq!(
            scene.check(&format!("PLATC_FAULT_AFTER={n}")),
            "old",
            "PLATC_FAULT_AFTER={n}"
        );
    }
    let status = scene.build_command().status().expect("runs");
    assert_eq!(status.code(), Some(0));
    assert_eq!(scene.check("after a complete build"), "new");
    let leftovers = std::fs::read_dir(&scene.parent)
        .expect("read_dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".out.platc-"))
        });
    assert_eq!(
        leftovers.count(),
        0,
        "a complete build removes what killed builds left"
    );
}

#[test]
fn a_build_killed_at_random_moments_leaves_the_old_or_the_new_tree() {
    let scene = Scene::new();
    // How long one build takes here, to spread the kills over it and a
    // little after it (some builds finish: then the tree must be the new one).
    scene.use_sources(NEW);
    let started = std::time::Instant::now();
    assert_eq!(
        scene.build_command().status().expect("runs").code(),
        Some(0)
    );
    let full = started.elapsed().as_micros().max(1000) as u64;
    assert_eq!(scene.check("complete build"), "new");

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut seen = BTreeMap::new();
    for round in 0..24 {
        // Alternate the sources so every build has something to change.
        let (text, expected_after) = if round % 2 == 0 {
            (OLD, "old")
        } else {
            (NEW, "new")
        };
        let before = scene.check(&format!("round {round}, before"));
        scene.use_sources(text);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_micros(seed % (2 * full));
        let mut child = scene.build_command().spawn().expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        let after = scene.check(&format!("round {round}, killed after {delay:?}"));
        if status.success() {
            assert_eq!(
                after, expected_after,
                "round {round}: a finished build wrote the new tree"
            );
        } else {
            assert!(after == before || after == expected_after, "round {round}");
        }
        *seen
            .entry(if after == before {
                "unchanged"
            } else {
                "replaced"
            })
            .or_insert(0) += 1;
        // Leave the tree in the expected state for the next round.
        if after != expected_after {
            assert_eq!(
                scene.build_command().status().expect("runs").code(),
                Some(0)
            );
            assert_eq!(
                scene.check(&format!("round {round}, rebuilt")),
                expected_after
            );
        }
    }
    eprintln!("kill outcomes: {seen:?}");
}

// ---------------------------------------------------------------- secrets

const SECRET_VALUE: &str = "hunter2-4f7a91";

#[test]
fn literal_secrets_are_rejected_and_nothing_is_written() {
    let cases = [
        format!("DB_PASSWORD = \"{SECRET_VALUE}\""),
        format!("db_password = \"{SECRET_VALUE}\""),
        format!("API_SECRET = \"{SECRET_VALUE}\""),
        format!("GITHUB_TOKEN = \"{SECRET_VALUE}\""),
        format!("AWS_SECRET_ACCESS_KEY = \"{SECRET_VALUE}\""),
        format!("STRIPE_KEY = \"{SECRET_VALUE}\""),
        format!("ADMIN_PASSWORD = <<EOT\n{SECRET_VALUE}\nEOT"),
        "DSN = \"postgres://app:${secret.db.password}@db:5432/app\"".to_string(),
        "LABEL = secret.db.password.extra".to_string(),
    ];
    for case in &cases {
        let text = format!(
            "{PLATFORM}secret db {{ namespace = shop  keys = [password] }}\nservice api {{\n  namespace = shop\n  image = \"nginx:1.27\"\n  env = {{\n    {case}\n  }}\n}}\n"
        );
        let dir = project(&[("a.platform", &text)]);
        let out = dir.path().join("out");
        let run = build(dir.path(), &out);
        assert_eq!(run.code, 1, "{case}:\n{}", run.stderr);
        assert!(
            run.stderr.contains("platc::plaintext-secret")
                || run.stderr.contains("platc::unknown-reference"),
            "{case}:\n{}",
            run.stderr
        );
        assert!(!out.exists(), "{case}: nothing may be written");
        assert!(!run.stdout.contains(SECRET_VALUE), "{case}");
    }
}

#[test]
fn a_resource_cannot_be_a_secret_object() {
    // Regression: `resource` with `kind = "Secret"` rendered the body's
    // `stringData` into the repository.
    let dir = project(&[
        (
            "a.platform",
            &format!("{PLATFORM}resource creds {{\n  api-version = \"v1\"\n  kind = \"Secret\"\n  namespace = shop\n  body = file(\"s.yaml\")\n}}\n"),
        ),
        ("s.yaml", &format!("stringData:\n  password: {SECRET_VALUE}\n")),
    ]);
    let out = dir.path().join("out");
    let run = build(dir.path(), &out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("platc::plaintext-secret"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

const WITH_SECRETS: &str = r#"platform shop { repo = "https://git.example.com/shop/gitops.git" }
env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.example.com:6443" }
secret db       { namespace = shop  keys = [username, password] }
secret db-prod  { namespace = shop  keys = [password] }
service api {
  namespace = shop
  image = "registry.example.com/shop/api:1.0.0"
  env = {
    DB_USER     = secret.db.username
    DB_PASSWORD = secret.db.password
    LOG_LEVEL   = "info"
  }
  when prod { env = { DB_USER = secret.db.username  DB_PASSWORD = secret.db-prod.password } }
}
job migrate {
  namespace = shop
  image = "registry.example.com/shop/migrate:1.0.0"
  env = { DB_PASSWORD = secret.db.password }
}
"#;

fn documents(files: &BTreeMap<String, String>) -> Vec<(String, serde_yaml::Value)> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for doc in serde_yaml::Deserializer::from_str(text) {
            if let Ok(value) = <serde_yaml::Value as serde::Deserialize>::deserialize(doc) {
                out.push((path.clone(), value));
            }
        }
    }
    out
}

/// Every object in `value` with `kind: Secret` (at any depth: patches, lists).
fn secret_objects(value: &serde_yaml::Value) -> usize {
    match value {
        serde_yaml::Value::Mapping(map) => {
            let own =
                usize::from(map.get("kind").and_then(serde_yaml::Value::as_str) == Some("Secret"));
            own + map.values().map(secret_objects).sum::<usize>()
        }
        serde_yaml::Value::Sequence(items) => items.iter().map(secret_objects).sum(),
        _ => 0,
    }
}

#[test]
fn secret_references_render_only_as_secret_key_refs() {
    let sources = SourceMap::from_strings("/nonexistent", &[("a.platform", WITH_SECRETS)]);
    let compiled = platc::pipeline::compile(&sources);
    let files = compiled.bundle.expect("compiles").encode();
    let all: String = files.values().cloned().collect();
    // Three references in the base, one replaced in prod's overlay.
    assert!(all.matches("secretKeyRef").count() >= 4, "{all}");
    for (path, doc) in documents(&files) {
        assert_eq!(secret_objects(&doc), 0, "{path} has a Secret object");
    }
    // Each reference names the secret and the key, nothing else.
    for (path, doc) in documents(&files) {
        let text = serde_yaml::to_string(&doc).expect("yaml");
        for (i, _) in text.match_indices("secretKeyRef") {
            let after = &text[i..text.len().min(i + 120)];
            assert!(
                after.contains("key:") && after.contains("name: db"),
                "{path}: {after}"
            );
        }
    }
}

#[test]
fn no_example_renders_a_secret_object() {
    for dir in examples() {
        let sources = platc::source::load(&dir).expect("example loads");
        let Some(bundle) = platc::pipeline::compile(&sources).bundle else {
            continue;
        };
        for (path, doc) in documents(&bundle.encode()) {
            assert_eq!(secret_objects(&doc), 0, "{}: {path}", dir.display());
        }
    }
}

#[test]
fn diff_of_a_changed_secret_reference_shows_no_value() {
    let dir = project(&[("a.platform", WITH_SECRETS)]);
    let out = dir.path().join("out");
    assert_eq!(build(dir.path(), &out).code, 0);
    // The sources now point at another secret, and the tree on disk holds a
    // literal password someone pasted in by hand: neither side may show it.
    let changed = WITH_SECRETS.replacen(
        "DB_PASSWORD = secret.db.password\n    LOG_LEVEL",
        "DB_PASSWORD = secret.db-prod.password\n    LOG_LEVEL",
        1,
    );
    assert_ne!(changed, WITH_SECRETS);
    std::fs::write(dir.path().join("a.platform"), changed).expect("write");
    let deployment = out.join("apps/shop/base/api.yaml");
    let text = std::fs::read_to_string(&deployment).expect("read");
    let pasted = text.replacen(
        "- name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  key: password\n                  name: db",
        &format!("- name: DB_PASSWORD\n              value: {SECRET_VALUE}"),
        1,
    );
    assert_ne!(
        pasted, text,
        "fixture: the DB_PASSWORD reference is where it was"
    );
    std::fs::write(&deployment, pasted).expect("write");
    for format in ["text", "markdown", "json"] {
        let run = platc(
            [
                OsStr::new("diff"),
                dir.path().as_os_str(),
                OsStr::new("--out"),
                out.as_os_str(),
                OsStr::new("--format"),
                OsStr::new(format),
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(
            run.stdout.contains("db-prod"),
            "{format}: the reference change is shown:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("DB_PASSWORD"),
            "{format}: the pasted value's field is shown:\n{}",
            run.stdout
        );
        assert!(
            !run.all().contains(SECRET_VALUE),
            "{format}: a secret value leaked:\n{}",
            run.all()
        );
    }
}

// ---------------------------------------------------------------- chart-values lint

/// Every stdlib profile by name, with whether it lists `random-secrets`.
fn profiles() -> Vec<(String, bool)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stdlib/profiles");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("stdlib/profiles") {
        let path = entry.expect("entry").path();
        if path.extension() != Some(OsStr::new("yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("profile is YAML");
        let random = doc
            .get("random-secrets")
            .and_then(serde_yaml::Value::as_sequence)
            .is_some_and(|s| !s.is_empty());
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        out.push((name, random));
    }
    out.sort();
    out
}

#[test]
fn charts_left_generating_random_secrets_are_a_warning_end_to_end() {
    // The charts whose FACTS.md say they make random passwords unless an
    // existing secret is set: each profile must list them (checked here by
    // name, so a profile losing its list fails).
    let random: Vec<String> = profiles()
        .into_iter()
        .filter(|(_, r)| *r)
        .map(|(n, _)| n)
        .collect();
    for expected in [
        "airflow",
        "clickhouse",
        "grafana",
        "haproxy-kubernetes-ingress",
        "kube-prometheus-stack",
        "minio",
        "postgresql",
        "redis",
    ] {
        assert!(
            random.iter().any(|n| n == expected),
            "{expected}: {random:?}"
        );
    }
    for (profile, random) in profiles() {
        let text = format!("{PLATFORM}chart c {{\n  profile = {profile}\n  namespace = db\n}}\n");
        let dir = project(&[("a.platform", &text)]);
        let run = validate(dir.path());
        assert_eq!(
            run.code, 0,
            "{profile}: a warning, not an error:\n{}",
            run.stderr
        );
        assert_eq!(
            run.stderr.contains("platc::random-secret"),
            random,
            "{profile}:\n{}",
            run.stderr
        );
        if random {
            assert!(
                run.stderr
                    .contains("chart `c` is left generating random secrets"),
                "{profile}:\n{}",
                run.stderr
            );
            let strict = platc(
                [
                    OsStr::new("validate"),
                    dir.path().as_os_str(),
                    OsStr::new("--deny-warnings"),
                ],
                &[],
            );
            assert_eq!(strict.code, 1, "{profile}: --deny-warnings fails");
        }
    }
    // The fix the warning names silences it, and the build writes.
    let text = format!(
        "{PLATFORM}secret pg {{ namespace = db  keys = [postgres-password, password] }}\n\
         chart c {{\n  profile = postgresql\n  namespace = db\n  values {{ auth.existingSecret = \"pg\" }}\n}}\n"
    );
    let dir = project(&[("a.platform", &text)]);
    let out = dir.path().join("out");
    let run = build(dir.path(), &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.all().contains("platc::random-secret"), "{}", run.all());
    assert!(out.join("charts/c/values.yaml").is_file());
    // And no example leaves a chart generating secrets.
    for dir in examples() {
        let run = validate(&dir);
        assert!(
            !run.all().contains("platc::random-secret"),
            "{}:\n{}",
            dir.display(),
            run.all()
        );
    }
}

#[test]
fn an_empty_or_comment_only_project_is_a_diagnostic_not_a_panic() {
    // Fuzzing regression (pipeline target, the empty input): no declaration
    // at all skipped the "no platform" check and rendering panicked on the
    // missing base view.
    for text in ["", "# only a comment\n", "\n\n   \n"] {
        let sources = SourceMap::from_strings("/nonexistent", &[("main.platform", text)]);
        let compiled = platc::pipeline::compile(&sources);
        assert!(compiled.bundle.is_none());
        assert!(
            compiled
                .diagnostics
                .iter()
                .any(|d| d.code == Code::MissingField),
            "{:?}",
            compiled.diagnostics
        );
        let dir = project(&[("a.platform", text)]);
        let run = validate(dir.path());
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("no `platform` declaration"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_report_on_a_very_long_line_shows_an_excerpt_with_the_true_position() {
    // Regression: miette printed the whole line for each report, 2 MB per
    // diagnostic on a million-element list.
    let items = vec!["\"é\""; 300_000].join(",");
    let text = format!(
        "{PLATFORM}service api {{ image = \"nginx:1.27\"  command = [{items}, 7, \"x\"] }}\n"
    );
    let sources = SourceMap::from_strings("/nonexistent", &[("main.platform", &text)]);
    let checked = platc::pipeline::check(&sources);
    assert_eq!(checked.diagnostics.len(), 1, "{:?}", checked.diagnostics);
    let mut out = Vec::new();
    let format = platc::diagnostic::Format::Human {
        color: false,
        width: 100,
    };
    platc::diagnostic::report(&checked.diagnostics, &sources, format, &mut out).expect("in memory");
    let human = String::from_utf8(out).expect("utf-8");
    assert!(human.len() < 4000, "{} bytes of report", human.len());
    // miette's columns count bytes from the line start.
    let line = text.lines().nth(1).expect("line 2");
    let column = line.find(", 7,").expect("the 7") + 3;
    assert!(
        human.contains(&format!("[main.platform:2:{column}]")),
        "{human}"
    );
    assert!(human.contains("7, \"x\"] }"), "{human}");
}
