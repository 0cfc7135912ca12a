//! Reading a project as it was at a git revision, for `platc diff --base`:
//! `git ls-tree` lists the `.platform` files under the project directory and
//! one `git cat-file --batch` reads them (and later the `file()` assets).
//! Only reads objects from the repository; the working tree and the index
//! are never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use platc::source::MAX_FILE_BYTES;

/// A project directory inside a git repository, at one revision.
pub(super) struct Project {
    /// The repository's top directory (where git runs).
    top: PathBuf,
    /// The project directory relative to `top`, `/`-joined (`""` at the top).
    prefix: String,
    /// The project directory as given (the `SourceMap` root).
    root: PathBuf,
    /// The revision as the user wrote it (for messages).
    revision: String,
    /// The commit it names.
    commit: String,
    /// For a single-file project: the file's name.
    single: Option<String>,
}

impl Project {
    /// Finds the repository around `path` and resolves `revision` to a commit.
    pub(super) fn open(path: &Path, revision: &str) -> Result<Self, String> {
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let (root, single) = if meta.is_dir() {
            (path.to_path_buf(), None)
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (parent.to_path_buf(), name)
        };
        let dir = root
            .canonicalize()
            .map_err(|e| format!("cannot read `{}`: {e}", root.display()))?;
        let top = git(&dir, &["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("`{}` is not inside a git repository: {e}", root.display()))?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim_end_matches(['\n', '\r']));
        let top = top
            .canonicalize()
            .map_err(|e| format!("cannot read `{}`: {e}", top.display()))?;
        let prefix = dir
            .strip_prefix(&top)
            .map_err(|_| {
                format!(
                    "`{}` is outside the repository `{}`",
                    dir.display(),
                    top.display()
                )
            })?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if revision.starts_with('-') || revision.contains(['\n', '\0']) {
            return Err(format!("`{revision}` is not a git revision"));
        }
        let spec = format!("{revision}^{{commit}}");
        let commit = git(
            &top,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        )
        .map_err(|_| format!("unknown git revision `{revision}`"))?;
        let commit = String::from_utf8_lossy(&commit).trim().to_string();
        Ok(Self {
            top,
            prefix,
            root,
            revision: revision.to_string(),
            commit,
            single,
        })
    }

    /// The project directory (the root of the `SourceMap`).
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    fn spec(&self, relative: &str) -> String {
        if self.prefix.is_empty() {
            format!("{}:{relative}", self.commit)
        } else {
            format!("{}:{}/{relative}", self.commit, self.prefix)
        }
    }

    /// The `.platform` files at the revision: (project-relative name, text),
    /// sorted, found as `source::load` finds them on disk.
    pub(super) fn sources(&self) -> Result<Vec<(String, String)>, String> {
        let names = match &self.single {
            Some(name) => vec![name.clone()],
            None => self.list()?,
        };
        let specs: Vec<String> = names.iter().map(|name| self.spec(name)).collect();
        let blobs = cat_files(&self.top, &specs)?;
        let mut files = Vec::new();
        for (name, blob) in names.into_iter().zip(blobs) {
            let Some(bytes) = blob else { continue };
            let text = self.text(&name, bytes)?;
            files.push((name, text));
        }
        Ok(files)
    }

    /// Every `*.platform` below the project directory at the revision;
    /// hidden directories, `target/` and a top-level `out/` skipped.
    fn list(&self) -> Result<Vec<String>, String> {
        let mut args = vec![
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            "--full-tree",
            &self.commit,
        ];
        let pathspec = format!("{}/", self.prefix);
        if !self.prefix.is_empty() {
            args.extend(["--", pathspec.as_str()]);
        }
        let listing = git(&self.top, &args)?;
        let mut names: Vec<String> = listing
            .split(|b| *b == 0)
            .filter_map(|entry| std::str::from_utf8(entry).ok())
            .filter_map(|path| {
                if self.prefix.is_empty() {
                    Some(path)
                } else {
                    path.strip_prefix(&pathspec)
                }
            })
            .filter(|name| is_source(name))
            .map(str::to_string)
            .collect();
        names.sort();
        Ok(names)
    }

    fn text(&self, name: &str, bytes: Vec<u8>) -> Result<String, String> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "`{name}` at `{}` is larger than {MAX_FILE_BYTES} bytes",
                self.revision
            ));
        }
        String::from_utf8(bytes).map_err(|e| {
            format!(
                "`{name}` at `{}` is not valid UTF-8 (first bad byte at offset {})",
                self.revision,
                e.utf8_error().valid_up_to()
            )
        })
    }

    /// The files `file()` names (project-relative), read at the revision.
    pub(super) fn assets(
        &self,
        paths: &BTreeSet<String>,
    ) -> BTreeMap<String, Result<String, String>> {
        let names: Vec<&String> = paths.iter().collect();
        let specs: Vec<String> = names.iter().map(|name| self.spec(name)).collect();
        let blobs = match cat_files(&self.top, &specs) {
            Ok(blobs) => blobs,
            Err(err) => {
                return names
                    .into_iter()
                    .map(|name| (name.clone(), Err(err.clone())))
                    .collect()
            }
        };
        names
            .into_iter()
            .zip(blobs)
            .map(|(name, blob)| {
                let text = match blob {
                    Some(bytes) => self.text(name, bytes),
                    None => Err(format!("it does not exist at `{}`", self.revision)),
                };
                (name.clone(), text)
            })
            .collect()
    }
}

fn is_source(name: &str) -> bool {
    let segments: Vec<&str> = name.split('/').collect();
    let Some((file, dirs)) = segments.split_last() else {
        return false;
    };
    let skipped = dirs.iter().enumerate().any(|(depth, dir)| {
        dir.starts_with('.') || *dir == "target" || (depth == 0 && *dir == "out")
    });
    !skipped && file.ends_with(".platform")
}

/// Runs `git -C dir ARGS`, returning its stdout.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

/// The blobs `specs` (`COMMIT:path`) name, in order; `None` for a missing one.
fn cat_files(top: &Path, specs: &[String]) -> Result<Vec<Option<Vec<u8>>>, String> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("cannot write to git")?;
    let request: String = specs
        .iter()
        .map(|spec| format!("{}\n", spec.replace('\n', " ")))
        .collect();
    // Written from another thread: git answers while it reads, and a full
    // pipe on either side would otherwise block both processes.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    let read = child
        .stdout
        .take()
        .ok_or("cannot read from git")?
        .read_to_end(&mut output);
    let written = writer
        .join()
        .map_err(|_| "cannot write to git".to_string())?;
    let status = child.wait().map_err(|e| format!("git failed: {e}"))?;
    read.map_err(|e| format!("cannot read from git: {e}"))?;
    written.map_err(|e| format!("cannot write to git: {e}"))?;
    if !status.success() {
        return Err(format!("git cat-file failed ({status})"));
    }
    parse_batch(&output, specs.len())
}

/// Parses `git cat-file --batch` output: `OID TYPE SIZE\nBYTES\n` or `SPEC missing\n`.
fn parse_batch(mut output: &[u8], count: usize) -> Result<Vec<Option<Vec<u8>>>, String> {
    let malformed = || "unexpected output from git cat-file".to_string();
    let mut blobs = Vec::with_capacity(count);
    for _ in 0..count {
        let end = output
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(malformed)?;
        let header = std::str::from_utf8(&output[..end]).map_err(|_| malformed())?;
        output = &output[end + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        if let [_, kind, size] = fields.as_slice() {
            if let Ok(size) = size.parse::<usize>() {
                let body = output.get(..size).ok_or_else(malformed)?;
                output = output.get(size + 1..).unwrap_or_default();
                blobs.push((*kind == "blob").then(|| body.to_vec()));
                continue;
            }
        }
        // `SPEC missing` / `SPEC ambiguous`: nothing follows the header.
        blobs.push(None);
    }
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_found_as_on_disk() {
        assert!(is_source("a.platform"));
        assert!(is_source("apps/b.platform"));
        assert!(!is_source(".hidden/c.platform"));
        assert!(!is_source("out/d.platform"));
        assert!(is_source("apps/out/e.platform"));
        assert!(!is_source("target/f.platform"));
        assert!(!is_source("README.md"));
    }

    #[test]
    fn batch_output_is_parsed() {
        let output = b"abc blob 5\nhello\nx:y missing\ndef blob 0\n\n";
        assert_eq!(
            parse_batch(output, 3).unwrap(),
            vec![Some(b"hello".to_vec()), None, Some(Vec::new())]
        );
    }
}
