//! Loading a compilation unit: one `.platform` file, or every `*.platform`
//! file below a directory (recursively, sorted by path; hidden directories
//! and `out/` are skipped). This module and the writer are the only places
//! in the library that read the file system.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::span::FileId;

/// Largest source file (and `file()` asset) accepted: 4 MiB, several hundred
/// times the largest hand-written platform file. Parsing needs about 200
/// bytes of memory per source byte in the worst case (a file that is one
/// long list), so this bounds a run to about 1 GB; a bigger input is almost
/// certainly a mistake (a generated dump) and is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One source file: its project-relative path (always `/`-separated) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    /// Path relative to the project root, `/`-joined; what diagnostics print.
    pub name: String,
    pub text: String,
}

/// All files of a compilation unit, indexed by `FileId`, plus the project root
/// (the directory `file()` paths must stay inside).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    /// A source map built from in-memory files (tests, the language server).
    /// Files are sorted by name so the result never depends on argument order.
    pub fn from_strings(root: impl Into<PathBuf>, files: &[(&str, &str)]) -> Self {
        let mut sorted: Vec<_> = files.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let files = sorted
            .iter()
            .enumerate()
            .map(|(i, (name, text))| SourceFile {
                id: file_id(i),
                name: (*name).to_string(),
                text: (*text).to_string(),
            })
            .collect();
        Self {
            root: root.into(),
            files,
        }
    }

    /// The file with this id.
    ///
    /// # Panics
    /// On an id that did not come from this map (an invariant violation).
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
}

fn file_id(index: usize) -> FileId {
    FileId(u32::try_from(index).expect("invariant: fewer than 2^32 source files"))
}

/// Why a compilation unit could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    NotFound(PathBuf),
    NoSources(PathBuf),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    NotUtf8 {
        path: PathBuf,
        offset: usize,
    },
    TooLarge {
        path: PathBuf,
        bytes: u64,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound(p) => write!(f, "`{}` does not exist", p.display()),
            LoadError::NoSources(p) => {
                write!(f, "no `.platform` files found in `{}`", p.display())
            }
            LoadError::Io { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
            LoadError::NotUtf8 { path, offset } => write!(
                f,
                "`{}` is not valid UTF-8 (first bad byte at offset {offset})",
                path.display()
            ),
            LoadError::TooLarge { path, bytes } => write!(
                f,
                "`{}` is {bytes} bytes; source files are limited to {} MiB ({MAX_FILE_BYTES} bytes)",
                path.display(),
                MAX_FILE_BYTES >> 20
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads `path`: a single `.platform` file, or a directory scanned recursively.
///
/// # Errors
/// When the path does not exist, holds no sources, or a file cannot be read
/// or is not UTF-8.
pub fn load(path: &Path) -> Result<SourceMap, LoadError> {
    let meta = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound(path.to_path_buf()),
        _ => LoadError::Io {
            path: path.to_path_buf(),
            error,
        },
    })?;
    let (root, paths) = if meta.is_dir() {
        (path.to_path_buf(), discover(path)?)
    } else {
        let root = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        (root, vec![path.to_path_buf()])
    };
    if paths.is_empty() {
        return Err(LoadError::NoSources(path.to_path_buf()));
    }
    let mut files = Vec::with_capacity(paths.len());
    for (i, file) in paths.iter().enumerate() {
        let text = read_source(file)?;
        let name = relative_name(&root, file);
        files.push(SourceFile {
            id: file_id(i),
            name,
            text,
        });
    }
    Ok(SourceMap { root, files })
}

/// Every `*.platform` file below `dir`, sorted by path; hidden directories
/// and a top-level `out/` are skipped; symlinked directories are not followed.
fn discover(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            let skip_dir = entry.file_type().is_dir()
                && (name.starts_with('.')
                    || name == "target"
                    || (entry.depth() == 1 && name == "out"));
            !skip_dir
        });
    for entry in walker {
        let entry = entry.map_err(|error| {
            let path = error
                .path()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
            LoadError::Io {
                path,
                error: error.into(),
            }
        })?;
        let is_source = entry
            .path()
            .extension()
            .is_some_and(|ext| ext == "platform");
        if is_source && !entry.file_type().is_dir() {
            found.push(entry.into_path());
        }
    }
    found.sort();
    Ok(found)
}

fn read_source(path: &Path) -> Result<String, LoadError> {
    let io = |error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    };
    let bytes = match read_limited(path).map_err(io)? {
        Limited::Bytes(bytes) => bytes,
        Limited::TooLarge(bytes) => {
            return Err(LoadError::TooLarge {
                path: path.to_path_buf(),
                bytes,
            })
        }
    };
    String::from_utf8(bytes).map_err(|error| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: error.utf8_error().valid_up_to(),
    })
}

/// What `read_limited` found.
enum Limited {
    Bytes(Vec<u8>),
    /// Larger than `MAX_FILE_BYTES` (the size found so far).
    TooLarge(u64),
}

/// Reads a regular file of at most `MAX_FILE_BYTES`. Anything else is
/// refused before it is opened (a FIFO would block forever, a link to
/// `/dev/zero` would never end), and the read itself stops after the limit
/// (a file may grow, `/proc` files report size 0).
fn read_limited(path: &Path) -> std::io::Result<Limited> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Ok(Limited::TooLarge(meta.len()));
    }
    // Sized from the metadata (plus one byte to see the end): growing by
    // doubling touched fresh pages over and over.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(Limited::TooLarge(bytes.len() as u64));
    }
    Ok(Limited::Bytes(bytes))
}

/// `file` relative to `root`, `/`-joined whatever the host separator.
fn relative_name(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The project-relative path of `file()`'s argument `arg`, written in the
/// source file `from` (itself project-relative): `..` and `.` resolved,
/// `/`-joined. `None` when it leaves the project or is absolute.
pub fn project_path(from: &str, arg: &str) -> Option<String> {
    if arg.starts_with('/') || arg.starts_with('\\') || arg.contains(':') || arg.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in arg.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Reads the files named by `file()` calls (`paths` are project-relative, as
/// `project_path` returns them). Symlinks that lead outside the project are
/// refused, like `..`.
pub fn load_assets(
    root: &Path,
    paths: &std::collections::BTreeSet<String>,
) -> std::collections::BTreeMap<String, Result<String, String>> {
    let canonical_root = root.canonicalize().ok();
    paths
        .iter()
        .map(|relative| {
            let full = root.join(relative);
            let result = (|| {
                let canonical = full.canonicalize().map_err(|e| e.to_string())?;
                if let Some(root) = &canonical_root {
                    if !canonical.starts_with(root) {
                        return Err("it is a link to a file outside the project".to_string());
                    }
                }
                let bytes = match read_limited(&canonical).map_err(|e| e.to_string())? {
                    Limited::Bytes(bytes) => bytes,
                    Limited::TooLarge(_) => {
                        return Err(format!("it is larger than {MAX_FILE_BYTES} bytes"))
                    }
                };
                String::from_utf8(bytes).map_err(|e| {
                    format!(
                        "it is not valid UTF-8 (first bad byte at offset {})",
                        e.utf8_error().valid_up_to()
                    )
                })
            })();
            (relative.clone(), result)
        })
        .collect()
}

/// The assets named by `paths`, served from `files` (project-relative path →
/// text), e.g. the files of a git revision; a missing one is an error like
/// a missing file on disk.
pub fn assets_from_map(
    files: &std::collections::BTreeMap<String, String>,
    paths: &std::collections::BTreeSet<String>,
) -> std::collections::BTreeMap<String, Result<String, String>> {
    paths
        .iter()
        .map(|path| {
            let text = files
                .get(path)
                .cloned()
                .ok_or_else(|| "no such file".to_string());
            (path.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_path_resolves_relative_to_the_source_file() {
        assert_eq!(
            project_path("apps/spark.platform", "manifests/x.yaml"),
            Some("apps/manifests/x.yaml".into())
        );
        assert_eq!(
            project_path("apps/spark.platform", "../x.yaml"),
            Some("x.yaml".into())
        );
    }

    #[test]
    fn project_path_refuses_to_leave_the_project() {
        assert_eq!(project_path("a.platform", "../x.yaml"), None);
        assert_eq!(project_path("a.platform", "/etc/passwd"), None);
        assert_eq!(project_path("a/b.platform", "../../x"), None);
    }
}
