//! The floor of writing an output tree: every file of DIR loaded into memory,
//! then written to a fresh directory beside OUT, as fast as plain `std::fs`
//! on one thread allows (what the peer kit calls "a Rust program writing the
//! same files"). Run by `benches/peers.py`; by hand:
//!
//! `cargo bench --bench write_floor -- DIR OUT RUNS`
//!
//! Prints one line per run: `wall_seconds`.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

fn load(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [dir, out, runs] = args.as_slice() else {
        println!("usage: write_floor DIR OUT RUNS");
        return;
    };
    let files = load(Path::new(dir));
    let runs: usize = runs.parse().expect("RUNS is a number");
    let out = Path::new(out);
    for _ in 0..runs {
        if out.exists() {
            std::fs::remove_dir_all(out).expect("clean");
        }
        let start = Instant::now();
        let mut made = std::collections::BTreeSet::new();
        for (rel, bytes) in &files {
            let target = out.join(rel);
            let parent = target.parent().expect("parent").to_path_buf();
            if made.insert(parent.clone()) {
                std::fs::create_dir_all(&parent).expect("mkdir");
            }
            std::fs::write(&target, bytes).expect("write");
        }
        println!("{:.6}", start.elapsed().as_secs_f64());
    }
}
