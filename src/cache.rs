//! The result cache: lets `platc build` skip compiling when nothing it
//! depends on changed since its last build, and `platc validate` replay the
//! diagnostics of unchanged sources. Like make, cargo or git's index, it
//! trusts file metadata for the output tree; unlike them it never trusts
//! timestamps for inputs, whose bytes are hashed.
//!
//! An entry records:
//! - `key`: sha256 of the platc executable's identity (version, inode, size,
//!   modification time), the command and its options, the project root and
//!   every source file's name and bytes;
//! - `assets`: every `file()` asset the compile read, with the sha256 of what
//!   reading it gave (its text, or why it could not be read);
//! - `tree`: for `build`, a stamp of the output directory after writing: a
//!   hash over every entry's path, type and `lstat` fields (inode, mode, link
//!   count, size, modification and change times to the nanosecond). Writing,
//!   creating, deleting, renaming or touching anything in the tree changes it;
//!   the change time cannot be set back by hand. After writing, the build
//!   does not walk the tree: `write::apply` examined each file it wrote
//!   through the open descriptor (`written_tree_stamp`); only a lookup walks;
//! - `diagnostics`: what the compile reported, replayed on a hit.
//!
//! A hit needs all four to match; anything else, including an unreadable or
//! damaged entry, means compiling as if there were no cache. Entries are
//! stored only for builds whose tree is exactly what platc generated (no
//! hand-edited or foreign file kept in a generated file's place), so a hit
//! has nothing to say but the diagnostics and "up to date". Nothing here
//! reads the environment: the CLI chooses the directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use crate::timings::phase;

/// Bumped when the entry layout or the meaning of a field changes.
const FORMAT: u32 = 1;

/// Entries kept in the cache directory; older ones are removed on store.
const MAX_ENTRIES: usize = 64;

/// What `file()` reading gave: project-relative path → text or error.
pub type Assets = BTreeMap<String, Result<String, String>>;

/// One command's cached result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    format: u32,
    key: String,
    assets: BTreeMap<String, String>,
    tree: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where one command's entry lives and what it must match.
#[derive(Debug, Clone)]
pub struct Slot {
    file: PathBuf,
    key: String,
    root: PathBuf,
    /// The output directory whose stamp must match (`build` only).
    out: Option<PathBuf>,
}

impl Slot {
    /// The slot for `command` (with its `options`, e.g. the environment) on
    /// `sources`, in cache directory `dir`; `out` for commands that write a
    /// tree. `None` when the executable cannot be identified, in which case
    /// nothing is cached.
    pub fn new(
        dir: &Path,
        command: &str,
        options: &[(&str, Option<&str>)],
        sources: &SourceMap,
        out: Option<&Path>,
    ) -> Option<Self> {
        let exe = exe_identity()?;
        let root = absolute(&sources.root);
        let out = out.map(absolute);
        let mut key = Sha256::new();
        field(&mut key, exe.as_bytes());
        field(&mut key, command.as_bytes());
        for (name, value) in options {
            field(&mut key, name.as_bytes());
            field(&mut key, value.map_or(b"\0-".as_slice(), str::as_bytes));
        }
        field(&mut key, root.as_os_str().as_encoded_bytes());
        for file in &sources.files {
            field(&mut key, file.name.as_bytes());
            field(&mut key, file.text.as_bytes());
        }
        // One entry per output directory (build) or project (validate): a
        // new result replaces the old one instead of piling up.
        let mut place = Sha256::new();
        field(&mut place, command.as_bytes());
        field(
            &mut place,
            out.as_deref()
                .unwrap_or(&root)
                .as_os_str()
                .as_encoded_bytes(),
        );
        let name = format!("{command}-{}.json", &hex(&place.finalize())[..32]);
        Some(Self {
            file: dir.join(name),
            key: hex(&key.finalize()),
            root,
            out,
        })
    }

    /// The stored entry, when it is valid for these inputs and this tree.
    pub fn lookup(&self) -> Option<Entry> {
        let entry: Entry = phase("  entry", || {
            let bytes = std::fs::read(&self.file).ok()?;
            serde_json::from_slice(&bytes).ok()
        })?;
        if entry.format != FORMAT || entry.key != self.key {
            return None;
        }
        let paths: BTreeSet<String> = entry.assets.keys().cloned().collect();
        if asset_hashes(&crate::source::load_assets(&self.root, &paths)) != entry.assets {
            return None;
        }
        if let Some(out) = &self.out {
            if entry.tree.as_deref() != Some(phase("  stamp", || tree_stamp(out)).ok()?.as_str()) {
                return None;
            }
        }
        Some(entry)
    }

    /// Stores the result: the diagnostics and the assets the compile read,
    /// and (build) the output tree's stamp, taken now: from `written`, the
    /// files' fields as `write::apply` recorded them, when it has them,
    /// else by examining every entry of the tree. Failing to store only
    /// means the next run compiles, so errors are returned for the caller to
    /// ignore.
    ///
    /// # Errors
    /// When the tree cannot be examined, or the directory or the entry
    /// cannot be written.
    pub fn store(
        &self,
        assets: &Assets,
        diagnostics: &[Diagnostic],
        written: Option<&[(&str, Stat)]>,
    ) -> io::Result<()> {
        let tree = phase("  stamp", || match (&self.out, written) {
            (Some(out), Some(files)) => written_tree_stamp(out, files).map(Some),
            (Some(out), None) => tree_stamp(out).map(Some),
            (None, _) => Ok(None),
        })?;
        let entry = Entry {
            format: FORMAT,
            key: self.key.clone(),
            assets: asset_hashes(assets),
            tree,
            diagnostics: diagnostics.to_vec(),
        };
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let bytes = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        // Atomic: a reader sees the old entry or the new one, never half.
        let temp = dir.join(format!(".tmp-{}", std::process::id()));
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, &self.file)?;
        prune(dir, MAX_ENTRIES)
    }

    /// `store`, removing the entry when storing fails, so a stale one
    /// cannot outlive it. Failing only means the next run compiles.
    pub fn store_or_forget(
        &self,
        assets: &Assets,
        diagnostics: &[Diagnostic],
        written: Option<&[(&str, Stat)]>,
    ) {
        if phase("cache", || self.store(assets, diagnostics, written)).is_err() {
            self.forget();
        }
    }

    /// Removes the entry (a run that could not store a valid one).
    pub fn forget(&self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

/// `pipeline::compile_keeping` reading the `file()` assets from disk, and
/// what reading them gave (for `Slot::store`).
pub fn compile_recording(
    sources: &SourceMap,
    env: Option<&str>,
    keep: crate::pipeline::Keep,
) -> (crate::pipeline::Compiled, Assets) {
    let assets = std::cell::RefCell::new(Assets::new());
    let load = |paths: &std::collections::BTreeSet<String>| {
        let read = crate::source::load_assets(&sources.root, paths);
        assets.borrow_mut().clone_from(&read);
        read
    };
    let compiled = crate::pipeline::compile_keeping(sources, env, &load, keep);
    (compiled, assets.into_inner())
}

/// Hashes a length-prefixed field, so `("ab", "c")` and `("a", "bc")` differ.
fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical form of `path`; for a path that does not exist yet (the
/// output directory before the first build), its canonical parent joined
/// with its name, so the slot is the same before and after the build.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match (
        parent.unwrap_or(Path::new(".")).canonicalize(),
        path.file_name(),
    ) {
        (Ok(parent), Some(name)) => parent.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

fn asset_hashes(assets: &Assets) -> BTreeMap<String, String> {
    assets
        .iter()
        .map(|(path, read)| {
            let mut hasher = Sha256::new();
            match read {
                Ok(text) => field(&mut hasher, text.as_bytes()),
                Err(why) => {
                    field(&mut hasher, b"\0error");
                    field(&mut hasher, why.as_bytes());
                }
            }
            (path.clone(), hex(&hasher.finalize()))
        })
        .collect()
}

/// The running executable: version, and the inode, size and modification
/// time of its file, so a rebuilt platc never replays an older one's results.
#[cfg(unix)]
fn exe_identity() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    Some(format!(
        "{} {} {} {} {} {}.{}",
        env!("CARGO_PKG_VERSION"),
        exe.display(),
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec()
    ))
}

#[cfg(not(unix))]
fn exe_identity() -> Option<String> {
    None
}

/// A hash over every entry of `dir` (itself included): name, type and
/// `lstat` fields, directories hashed recursively (a Merkle tree, so
/// sibling directories are examined on all cores). Symlinks are not followed.
///
/// # Errors
/// When the tree cannot be walked or an entry cannot be examined (for
/// instance, when `dir` does not exist).
#[cfg(unix)]
pub fn tree_stamp(dir: &Path) -> io::Result<String> {
    root_stamp(dir, || dir_digest(dir))
}

/// The stamp of `dir`: its own fields, then the digest of its entries.
#[cfg(unix)]
fn root_stamp(dir: &Path, entries: impl FnOnce() -> io::Result<[u8; 32]>) -> io::Result<String> {
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other("not a directory"));
    }
    let mut hasher = Sha256::new();
    stat_fields(&mut hasher, &meta);
    hasher.update(entries()?);
    Ok(hex(&hasher.finalize()))
}

/// One entry of a directory as a stamp hashes it: its name, its fields,
/// and for a directory the digest of its own entries.
#[cfg(unix)]
type StampEntry<'a> = (&'a [u8], Option<Stat>, Option<[u8; 32]>);

/// The digest of one directory's entries, in name order.
#[cfg(unix)]
fn entries_digest<'a>(entries: impl IntoIterator<Item = StampEntry<'a>>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (name, stat, child) in entries {
        field(&mut hasher, name);
        if let Some(stat) = stat {
            hasher.update(stat.0);
        }
        if let Some(digest) = child {
            hasher.update(digest);
        }
    }
    hasher.finalize().into()
}

#[cfg(unix)]
fn dir_digest(dir: &Path) -> io::Result<[u8; 32]> {
    use rayon::prelude::*;
    // `DirEntry::metadata` is an `fstatat` relative to the open directory:
    // no path walk per file.
    let mut entries: Vec<(std::ffi::OsString, std::fs::Metadata)> = std::fs::read_dir(dir)?
        .map(|entry| {
            let entry = entry?;
            Ok((entry.file_name(), entry.metadata()?))
        })
        .collect::<io::Result<_>>()?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let children: Vec<Option<[u8; 32]>> = entries
        .par_iter()
        .map(|(name, meta)| {
            if meta.is_dir() {
                dir_digest(&dir.join(name)).map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<io::Result<_>>()?;
    Ok(entries_digest(entries.iter().zip(children).map(
        |((name, meta), child)| (name.as_encoded_bytes(), Stat::of(meta), child),
    )))
}

/// The `lstat` fields a stamp covers (device, inode, mode, link count,
/// size, modification and change times), in the bytes it hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat([u8; 72]);

impl Stat {
    /// The fields of `meta`; `None` where files have no stable identity.
    #[cfg(unix)]
    #[must_use]
    pub fn of(meta: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let mut bytes = [0; 72];
        let fields = [
            meta.dev().to_le_bytes(),
            meta.ino().to_le_bytes(),
            u64::from(meta.mode()).to_le_bytes(),
            meta.nlink().to_le_bytes(),
            meta.size().to_le_bytes(),
            meta.mtime().to_le_bytes(),
            meta.mtime_nsec().to_le_bytes(),
            meta.ctime().to_le_bytes(),
            meta.ctime_nsec().to_le_bytes(),
        ];
        for (chunk, field) in bytes.chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&field);
        }
        Some(Self(bytes))
    }

    /// The fields of `meta`; `None` where files have no stable identity.
    #[cfg(not(unix))]
    #[must_use]
    pub fn of(_meta: &std::fs::Metadata) -> Option<Self> {
        None
    }
}

#[cfg(unix)]
fn stat_fields(hasher: &mut Sha256, meta: &std::fs::Metadata) {
    if let Some(stat) = Stat::of(meta) {
        hasher.update(stat.0);
    }
}

/// What `tree_stamp(dir)` gives for a tree that holds exactly `files`
/// (`/`-joined relative paths), their directories and nothing else, with
/// the files' fields as recorded by whoever wrote them; only the
/// directories are examined. A build records its files' fields as it
/// writes them, so the stamp costs a thousand `lstat` calls, not one per
/// file. Should the tree hold anything else, or a file have changed since,
/// the stamp simply differs from the tree's and the next lookup misses.
///
/// # Errors
/// When a directory cannot be examined.
#[cfg(unix)]
pub fn written_tree_stamp(dir: &Path, files: &[(&str, Stat)]) -> io::Result<String> {
    use rayon::prelude::*;
    /// The digest of the directory at `path`, which holds `files` (their
    /// paths below it start at byte `skip`), in path order. The files under
    /// one entry are one run of them, since they share its name and a `/`;
    /// the runs are hashed in name order, which can differ (`a-b.yaml`
    /// sorts before `a/…` as a path, after `a` as a name).
    fn digest(path: &Path, files: &[&(&str, Stat)], skip: usize) -> io::Result<[u8; 32]> {
        let mut runs: Vec<(&str, &[&(&str, Stat)])> = files
            .chunk_by(|a, b| entry_name(a.0, skip) == entry_name(b.0, skip))
            .map(|run| (entry_name(run[0].0, skip), run))
            .collect();
        runs.sort_unstable_by_key(|(name, _)| name.as_bytes());
        // Subdirectories on all cores, as `dir_digest` walks them.
        let entries: Vec<StampEntry<'_>> = runs
            .par_iter()
            .map(|&(name, run)| match run {
                [(file, stat)] if file.len() == skip + name.len() => {
                    Ok((name.as_bytes(), Some(*stat), None))
                }
                _ => {
                    let path = path.join(name);
                    let stat = Stat::of(&std::fs::symlink_metadata(&path)?);
                    let child = digest(&path, run, skip + name.len() + 1)?;
                    Ok((name.as_bytes(), stat, Some(child)))
                }
            })
            .collect::<io::Result<_>>()?;
        Ok(entries_digest(entries))
    }
    /// The name of the entry, in the directory whose paths start at byte
    /// `skip`, that `path` is or is under.
    fn entry_name(path: &str, skip: usize) -> &str {
        path[skip..].split('/').next().unwrap_or_default()
    }
    // Built on all cores: as a tree of maps, one thread took ~14 ms at
    // 10,000 services, after the write, when nothing else runs.
    let mut sorted: Vec<&(&str, Stat)> = files.iter().collect();
    sorted.par_sort_unstable_by_key(|(path, _)| *path);
    root_stamp(dir, || digest(dir, &sorted, 0))
}

#[cfg(not(unix))]
pub fn written_tree_stamp(_dir: &Path, _files: &[(&str, Stat)]) -> io::Result<String> {
    Err(io::Error::other("no stable file identity on this platform"))
}

#[cfg(not(unix))]
pub fn tree_stamp(_dir: &Path) -> io::Result<String> {
    Err(io::Error::other("no stable file identity on this platform"))
}

/// A temporary entry this much older than the newest entry was left by a
/// run that died between writing and renaming it; a live run renames its
/// own within milliseconds.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(600);

/// Keeps the `keep` most recently written entries of `dir`, and removes the
/// temporary entries of runs that died before renaming theirs: those older
/// than the newest entry (the one just stored, the file system's "now", so
/// no clock is read) by `STALE_TEMP`. Removing a live run's would only make
/// its store fail, and its next run compile.
fn prune(dir: &Path, keep: usize) -> io::Result<()> {
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    let mut temps: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(modified) = entry.metadata().ok().and_then(|m| m.modified().ok()) else {
            continue;
        };
        if name.ends_with(".json") {
            entries.push((modified, entry.path()));
        } else if name.starts_with(".tmp-") {
            temps.push((modified, entry.path()));
        }
    }
    if let Some((newest, _)) = entries.iter().max() {
        for (modified, path) in &temps {
            if newest
                .duration_since(*modified)
                .is_ok_and(|age| age > STALE_TEMP)
            {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    if entries.len() <= keep {
        return Ok(());
    }
    entries.sort();
    for (_, path) in &entries[..entries.len() - keep] {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::span::{FileId, Span};

    fn project(text: &str) -> (tempfile::TempDir, SourceMap) {
        let dir = tempfile::tempdir().expect("test project");
        std::fs::write(dir.path().join("main.platform"), text).expect("test project");
        let sources = crate::source::load(dir.path()).expect("test project");
        (dir, sources)
    }

    fn warning() -> Diagnostic {
        Diagnostic::new(
            Code::UnknownReference,
            "message",
            Span::new(FileId(0), 1, 2),
            "label",
        )
        .with_help("help")
    }

    #[test]
    fn an_entry_round_trips_and_is_found_only_for_the_same_inputs() {
        let cache = tempfile::tempdir().unwrap();
        let (dir, sources) = project("a");
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("d")).unwrap();
        std::fs::write(out.join("d/x.yaml"), "x").unwrap();
        let slot = Slot::new(
            cache.path(),
            "build",
            &[("env", None)],
            &sources,
            Some(&out),
        )
        .unwrap();
        assert_eq!(slot.lookup(), None);
        // What the compile read: an asset that does not exist (yet).
        let assets = crate::source::load_assets(dir.path(), &BTreeSet::from(["a.txt".to_string()]));
        assert!(assets["a.txt"].is_err());
        slot.store(&assets, &[warning()], None).unwrap();
        assert_eq!(slot.lookup().unwrap().diagnostics, vec![warning()]);

        // Another environment, other sources: another key.
        let prod = Slot::new(
            cache.path(),
            "build",
            &[("env", Some("prod"))],
            &sources,
            Some(&out),
        );
        assert_eq!(prod.unwrap().lookup(), None);
        let (_other_dir, other) = project("b");
        let moved = Slot::new(cache.path(), "build", &[("env", None)], &other, Some(&out));
        assert_eq!(moved.unwrap().lookup(), None);

        // The asset appears: its reading changes.
        std::fs::write(dir.path().join("a.txt"), "now here").unwrap();
        assert_eq!(slot.lookup(), None);
    }

    #[test]
    fn any_change_to_the_tree_changes_its_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("d")).unwrap();
        std::fs::write(out.join("d/x.yaml"), "x").unwrap();
        let stamp = tree_stamp(&out).unwrap();
        assert_eq!(tree_stamp(&out).unwrap(), stamp);
        let changes: [&dyn Fn(); 5] = [
            &|| std::fs::write(out.join("d/x.yaml"), "y").unwrap(),
            &|| std::fs::write(out.join("new.txt"), "").unwrap(),
            &|| std::fs::remove_file(out.join("new.txt")).unwrap(),
            &|| std::fs::create_dir(out.join("e")).unwrap(),
            &|| std::fs::hard_link(out.join("d/x.yaml"), dir.path().join("link")).unwrap(),
        ];
        let mut seen = BTreeSet::from([stamp]);
        for change in changes {
            change();
            assert!(
                seen.insert(tree_stamp(&out).unwrap()),
                "a change went unnoticed"
            );
        }
        assert!(tree_stamp(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_slot_of_an_output_directory_is_the_same_before_and_after_it_exists() {
        let cache = tempfile::tempdir().expect("cache dir");
        let (dir, sources) = project("a");
        std::fs::create_dir(dir.path().join("real")).expect("dir");
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).expect("link");
        let out = dir.path().join("link").join("out");
        let slot = |out: &Path| {
            Slot::new(cache.path(), "build", &[], &sources, Some(out))
                .expect("slot")
                .file
        };
        let before = slot(&out);
        std::fs::create_dir(&out).expect("out");
        assert_eq!(slot(&out), before);
        assert_eq!(slot(&dir.path().join("real").join("out")), before);
    }

    #[test]
    fn a_damaged_entry_is_a_miss() {
        let cache = tempfile::tempdir().unwrap();
        let (_dir, sources) = project("a");
        let slot = Slot::new(cache.path(), "validate", &[], &sources, None).unwrap();
        slot.store(&Assets::new(), &[], None).unwrap();
        assert!(slot.lookup().is_some());
        std::fs::write(&slot.file, b"{not json").unwrap();
        assert_eq!(slot.lookup(), None);
        slot.forget();
        assert!(!slot.file.exists());
    }

    #[test]
    fn prune_keeps_the_newest_entries_and_removes_dead_runs_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("{i}.json")), "").unwrap();
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i);
            let file = std::fs::File::options()
                .write(true)
                .open(dir.path().join(format!("{i}.json")))
                .unwrap();
            file.set_modified(time).unwrap();
        }
        // A dead run's temporary entry (long before the newest entry), and
        // a live run's (written after it).
        std::fs::write(dir.path().join(".tmp-1"), "").unwrap();
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(".tmp-1"))
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH)
            .unwrap();
        std::fs::write(dir.path().join(".tmp-2"), "").unwrap();
        prune(dir.path(), 2).unwrap();
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec![".tmp-2", "3.json", "4.json"]);
    }
}
