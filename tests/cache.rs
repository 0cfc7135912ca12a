//! The result cache (`platc::cache`) must be invisible: the same steps run
//! in two identical workspaces, one with a cache directory and one without
//! (`PLATC_CACHE_DIR=`), give the same exit status, the same stdout and
//! stderr, and the same output tree, whatever changed in between (sources,
//! assets, generated files, foreign files, options). The steps where
//! nothing changed must also really be served from the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const PLATFORM: &str = r#"platform shop {
  repo    = "https://git.example.com/shop/gitops.git"
}

env dev  { destination = "https://kubernetes.default.svc" }
env prod { destination = "https://prod.k8s.example.com:6443"  revision = "release" }

service api {
  image   = "registry.example.com/shop/api:1.0.0"
  ports   = { http = 8080 }
  metrics { port = http }
}

resource extra {
  api-version = "v1"
  kind        = "ConfigMap"
  namespace   = api
  body        = file("manifests/extra.yaml")
}
"#;

const ASSET: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
  namespace: api
data:
  a: \"1\"
";

/// Two copies of one project; `cache` is the cache directory of the first.
struct Workspaces {
    _dir: tempfile::TempDir,
    cached: PathBuf,
    plain: PathBuf,
    cache: PathBuf,
}

#[derive(Debug, PartialEq)]
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
    tree: BTreeMap<String, String>,
}

impl Workspaces {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("test workspace");
        let cached = dir.path().join("cached");
        let plain = dir.path().join("plain");
        let cache = dir.path().join("cache");
        let ws = Self {
            _dir: dir,
            cached,
            plain,
            cache,
        };
        ws.edit(|root| {
            std::fs::create_dir_all(root.join("project/manifests")).expect("test workspace");
            std::fs::write(root.join("project/platform.platform"), PLATFORM)
                .expect("test workspace");
            std::fs::write(root.join("project/manifests/extra.yaml"), ASSET)
                .expect("test workspace");
        });
        ws
    }

    /// Applies the same change to both workspaces.
    fn edit(&self, change: impl Fn(&Path)) {
        for root in [&self.cached, &self.plain] {
            std::fs::create_dir_all(root).expect("test workspace");
            change(root);
        }
    }

    fn run_in(
        &self,
        root: &Path,
        cache: &str,
        args: &[&str],
        timings: bool,
    ) -> (i32, String, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_platc"))
            .args(args)
            .current_dir(root)
            .env("PLATC_CACHE_DIR", cache)
            .env("PLATC_TIMINGS", if timings { "1" } else { "" })
            .output()
            .expect("platc runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).expect("test workspace"),
            String::from_utf8(output.stderr).expect("test workspace"),
        )
    }

    /// Runs `args` in both workspaces and asserts they agree; returns the outcome.
    fn run(&self, args: &[&str]) -> Outcome {
        let cache = self.cache.to_str().expect("test workspace");
        let outcome = |root: &Path, cache: &str| {
            let (status, stdout, stderr) = self.run_in(root, cache, args, false);
            Outcome {
                status,
                stdout,
                stderr,
                tree: files(&root.join("out")),
            }
        };
        let cached = outcome(&self.cached, cache);
        let plain = outcome(&self.plain, "");
        assert_eq!(
            (cached.status, &cached.stdout, &cached.stderr),
            (plain.status, &plain.stdout, &plain.stderr),
            "with and without the cache: {args:?}"
        );
        assert!(cached.tree == plain.tree, "the trees differ after {args:?}");
        cached
    }

    /// True when `args` in the cached workspace is answered without
    /// compiling. The plain workspace runs it too, so both stay alike.
    fn served_from_cache(&self, args: &[&str]) -> bool {
        let (_, _, stderr) = self.run_in(
            &self.cached,
            self.cache.to_str().expect("test workspace"),
            args,
            true,
        );
        self.run_in(&self.plain, "", args, false);
        !stderr.contains("platc: compile")
    }
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("test workspace");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("inside the tree")
                .to_string_lossy()
                .into_owned();
            out.insert(
                rel,
                std::fs::read_to_string(entry.path()).expect("test workspace"),
            );
        }
    }
    out
}

const BUILD: &[&str] = &["build", "project", "--out", "out"];

#[test]
fn build_with_and_without_the_cache_agree_through_every_kind_of_change() {
    let ws = Workspaces::new();
    let first = ws.run(BUILD);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(first.stderr.contains("orphan-metrics"), "{}", first.stderr);

    // Nothing changed: replayed, warnings included, and nothing rewritten.
    let mtimes = |root: &Path| -> Vec<std::time::SystemTime> {
        walkdir::WalkDir::new(root.join("out"))
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap().metadata().unwrap().modified().unwrap())
            .collect()
    };
    let before = mtimes(&ws.cached);
    let again = ws.run(BUILD);
    assert!(again.stderr.contains("orphan-metrics") && again.stderr.contains("up to date"));
    assert!(ws.served_from_cache(BUILD));
    assert_eq!(mtimes(&ws.cached), before);
    assert!(ws.served_from_cache(&["build", "project", "--out", "out", "--check"]));
    ws.run(&["build", "project", "--out", "out", "--check"]);
    // --deny-warnings turns the replayed warnings into a failure, as a compile would.
    let denied = ws.run(&["build", "project", "--out", "out", "--deny-warnings"]);
    assert_eq!(denied.status, 1);

    // A source changes.
    ws.edit(|root| {
        let path = root.join("project/platform.platform");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("1.0.0", "1.0.1");
        std::fs::write(path, text).unwrap();
    });
    assert!(!ws.served_from_cache(BUILD));
    let changed = ws.run(BUILD);
    assert!(changed.tree.values().any(|text| text.contains("api:1.0.1")));
    assert!(ws.served_from_cache(BUILD));

    // An asset changes, disappears, comes back.
    ws.edit(|root| {
        std::fs::write(
            root.join("project/manifests/extra.yaml"),
            ASSET.replace("\"1\"", "\"2\""),
        )
        .unwrap()
    });
    assert!(!ws.served_from_cache(BUILD));
    ws.run(BUILD);
    ws.edit(|root| std::fs::remove_file(root.join("project/manifests/extra.yaml")).unwrap());
    assert_eq!(ws.run(BUILD).status, 1);
    ws.edit(|root| std::fs::write(root.join("project/manifests/extra.yaml"), ASSET).unwrap());
    ws.run(BUILD);

    // A generated file is edited by hand, then the edit is forced away.
    let some_file = |root: &Path| {
        let tree = files(&root.join("out"));
        let path = tree
            .keys()
            .find(|p| p.ends_with(".yaml") && p.contains("apps/"))
            .unwrap()
            .clone();
        root.join("out").join(path)
    };
    ws.edit(|root| std::fs::write(some_file(root), "edited: true\n").unwrap());
    assert!(ws.run(BUILD).stderr.contains("hand-edited-file"));
    assert!(
        ws.run(BUILD).stderr.contains("hand-edited-file"),
        "kept files are warned about every time"
    );
    ws.run(&["build", "project", "--out", "out", "--force"]);
    assert!(ws.served_from_cache(BUILD));

    // A generated file is deleted; a foreign file appears; a directory appears.
    ws.edit(|root| std::fs::remove_file(some_file(root)).unwrap());
    assert!(!ws.served_from_cache(BUILD));
    ws.run(BUILD);
    ws.edit(|root| std::fs::write(root.join("out/NOTES.md"), "mine\n").unwrap());
    assert!(!ws.served_from_cache(BUILD));
    let kept = ws.run(BUILD);
    assert!(kept.tree.contains_key("NOTES.md"));
    ws.edit(|root| std::fs::create_dir(root.join("out/empty")).unwrap());
    assert!(!ws.served_from_cache(BUILD));
    ws.run(BUILD);

    // Another environment, then back: each has its own key.
    let dev = ["build", "project", "--out", "out", "--env", "dev"];
    assert!(!ws.served_from_cache(&dev));
    ws.run(&dev);
    assert!(!ws.served_from_cache(BUILD));
    ws.run(BUILD);
    let unknown = ws.run(&["build", "project", "--out", "out", "--env", "qa"]);
    assert_eq!(unknown.status, 2);

    // The whole output directory goes away.
    ws.edit(|root| std::fs::remove_dir_all(root.join("out")).unwrap());
    assert!(!ws.served_from_cache(BUILD));
    ws.run(BUILD);

    // A source with an error is never cached; fixing it builds again.
    ws.edit(|root| std::fs::write(root.join("project/broken.platform"), "service {").unwrap());
    assert_eq!(ws.run(BUILD).status, 1);
    assert!(!ws.served_from_cache(BUILD));
    ws.edit(|root| std::fs::remove_file(root.join("project/broken.platform")).unwrap());
    assert!(ws.served_from_cache(BUILD), "back to the last good state");
    ws.run(BUILD);
}

#[test]
fn validate_with_and_without_the_cache_agree() {
    let ws = Workspaces::new();
    for format in ["human", "json", "sarif"] {
        let args = ["validate", "project", "--format", format];
        let first = ws.run(&args);
        assert_eq!(first.status, 0, "{}", first.stderr);
        assert!(format != "json" || first.stdout.contains("orphan-metrics"));
        ws.run(&args);
        assert!(ws.served_from_cache(&args));
        ws.run(&["validate", "project", "--format", format, "--deny-warnings"]);
    }
    // Errors are replayed too.
    ws.edit(|root| std::fs::write(root.join("project/broken.platform"), "service {").unwrap());
    assert_eq!(ws.run(&["validate", "project"]).status, 1);
    assert!(ws.served_from_cache(&["validate", "project"]));
    assert_eq!(ws.run(&["validate", "project"]).status, 1);
    // An asset changes: validated again.
    ws.edit(|root| std::fs::remove_file(root.join("project/broken.platform")).unwrap());
    ws.run(&["validate", "project"]);
    ws.edit(|root| {
        std::fs::write(root.join("project/manifests/extra.yaml"), "not: [yaml").unwrap()
    });
    assert!(!ws.served_from_cache(&["validate", "project"]));
    assert_eq!(ws.run(&["validate", "project"]).status, 1);
}

#[test]
fn an_unwritable_cache_directory_only_costs_time() {
    let ws = Workspaces::new();
    ws.edit(|root| std::fs::write(root.join("not-a-dir"), "").unwrap());
    let blocked = ws.cached.join("not-a-dir").join("cache");
    let (status, _, stderr) = ws.run_in(&ws.cached, blocked.to_str().unwrap(), BUILD, false);
    assert_eq!(status, 0, "{stderr}");
    let (status, _, stderr) = ws.run_in(&ws.cached, blocked.to_str().unwrap(), BUILD, false);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("up to date"));
}
