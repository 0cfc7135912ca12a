//! `platc diff` end to end, through the built binary: against a git
//! revision (a throwaway repository with two commits, `file()` assets read
//! from git too, the working tree left alone) and against the tree on disk,
//! with the exit codes of LANGUAGE.md §6.

use std::path::Path;
use std::process::{Command, Output};

const PLATFORM: &str = r#"platform shop {
  repo = "https://git.example.com/shop/gitops.git"
}

env prod { destination = "https://prod.k8s.example.com:6443" }

resource app-config {
  api-version = "v1"
  kind        = "ConfigMap"
  namespace   = shop
  body        = file("config/app.yaml")
}

service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.0.0"
  replicas  = 1
  ports     = { http = 8080 }
  when prod { replicas = 3 }
}
"#;

const CONFIG: &str = "data:\n  LOG_LEVEL: info\n  API_TOKEN: abc123\n";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=platc tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn platc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platc"))
        .args(args)
        .output()
        .expect("platc runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

/// A repository whose project lives in `infra/`: commit 1 as above, commit 2
/// with two replicas and a new token.
fn repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("tempdir");
    let project = repo.path().join("infra");
    std::fs::create_dir_all(project.join("config")).expect("mkdir");
    git(repo.path(), &["init", "--quiet"]);
    std::fs::write(project.join("platform.platform"), PLATFORM).expect("write");
    std::fs::write(project.join("config/app.yaml"), CONFIG).expect("write");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "first"]);
    std::fs::write(
        project.join("platform.platform"),
        PLATFORM.replace("replicas  = 1", "replicas  = 2"),
    )
    .expect("write");
    std::fs::write(
        project.join("config/app.yaml"),
        CONFIG.replace("abc123", "xyz789"),
    )
    .expect("write");
    git(repo.path(), &["commit", "--quiet", "-am", "second"]);
    repo
}

#[test]
fn diff_against_a_git_revision() {
    let repo = repository();
    let project = repo.path().join("infra");
    let project = project.to_str().expect("utf-8 path");

    let output = platc(&[
        "diff",
        project,
        "--base",
        "HEAD~1",
        "--format",
        "json",
        "--exit-code",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "changes found: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    let objects = report["objects"].as_array().expect("objects");
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["env"].is_null())
        .expect("the base Deployment changed");
    assert_eq!(deployment["fields"][0]["path"], "spec.replicas");
    assert_eq!(
        (
            deployment["fields"][0]["old"].clone(),
            deployment["fields"][0]["new"].clone()
        ),
        (1.into(), 2.into())
    );
    // The asset at HEAD~1 came from git: the token changed, and stays hidden.
    let config = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .expect("the ConfigMap changed");
    assert_eq!(config["fields"][0]["path"], "data.API_TOKEN");
    assert_eq!(config["fields"][0]["redacted"], true);
    let text = stdout(&output);
    assert!(
        !text.contains("abc123") && !text.contains("xyz789"),
        "{text}"
    );

    let text = platc(&["diff", project, "--base", "HEAD~1"]);
    assert_eq!(text.status.code(), Some(0), "no --exit-code: 0");
    assert!(
        stdout(&text).contains("~ apps/shop Deployment/api\n    spec.replicas: 1 → 2\n"),
        "{}",
        stdout(&text)
    );

    let same = platc(&["diff", project, "--base", "HEAD", "--exit-code"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert_eq!(stdout(&same), "no changes\n");

    // An uncommitted edit of the asset is the new side; HEAD's copy the old one.
    std::fs::write(
        repo.path().join("infra/config/app.yaml"),
        CONFIG.replace("info", "debug").replace("abc123", "xyz789"),
    )
    .expect("write");
    let edited = platc(&["diff", project, "--base", "HEAD"]);
    assert!(
        stdout(&edited).contains("data.LOG_LEVEL: info → debug"),
        "{}",
        stdout(&edited)
    );

    // Nothing in the repository changed but that edit.
    let status = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["status", "--porcelain"])
        .output()
        .expect("git");
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        " M infra/config/app.yaml\n"
    );
}

#[test]
fn bad_revisions_and_envs_are_usage_errors() {
    let repo = repository();
    let project = repo.path().join("infra");
    let project = project.to_str().expect("utf-8 path");
    let output = platc(&["diff", project, "--base", "no-such-ref"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown git revision `no-such-ref`"));
    let output = platc(&["diff", project, "--env", "staging"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown environment `staging`"));
    let output = platc(&["diff", project, "--out", "x", "--base", "HEAD"]);
    assert_eq!(output.status.code(), Some(2), "--out and --base conflict");
}

#[test]
fn diff_against_the_tree_on_disk_and_build_prints_the_same_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path();
    std::fs::create_dir_all(project.join("config")).expect("mkdir");
    std::fs::write(project.join("platform.platform"), PLATFORM).expect("write");
    std::fs::write(project.join("config/app.yaml"), CONFIG).expect("write");
    let path = project.to_str().expect("utf-8 path");

    let first = platc(&["diff", path, "--exit-code"]);
    assert_eq!(first.status.code(), Some(1), "everything is new");
    assert!(stdout(&first).contains("+ apps/shop Deployment/api\n"));
    assert!(platc(&["build", path]).status.success());
    let clean = platc(&["diff", path, "--exit-code"]);
    assert_eq!(
        (clean.status.code(), stdout(&clean)),
        (Some(0), "no changes\n".to_string())
    );

    std::fs::write(
        project.join("platform.platform"),
        PLATFORM.replace("replicas = 3", "replicas = 5"),
    )
    .expect("write");
    let prod = platc(&["diff", path, "--env", "prod", "--format", "markdown"]);
    assert!(
        stdout(&prod).contains("| apps/shop | prod | 0 | 1 | 0 | 0 | Deployment: ~api |"),
        "{}",
        stdout(&prod)
    );
    let build = platc(&["build", path]);
    assert!(build.status.success());
    assert_eq!(stdout(&build), "~ apps/shop Deployment/api (prod)\n");

    std::fs::write(project.join("platform.platform"), "service {").expect("write");
    let broken = platc(&["diff", path]);
    assert_eq!(broken.status.code(), Some(1), "project errors: 1");
    assert!(String::from_utf8_lossy(&broken.stderr).contains("no diff: the project has errors"));
}
