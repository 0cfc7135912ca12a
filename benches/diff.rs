//! Diff benchmark: `diff::diff` of two renders of a generated platform
//! (default 10,000 services) that differ in 1% of the services (image tag
//! and one env value), against compiling the platform alone.
//!
//! `cargo bench --bench diff` (set `PLATC_BENCH_SERVICES` for other sizes).
//! Prints medians of 5 runs and the ratio of diffing to compiling; also the
//! diff against the encoded tree parsed back from YAML (`platc diff --out`).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::disallowed_methods)]

/// The allocator of the `platc` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)] // `write_project` is for the other benchmarks
mod generate;

use std::time::{Duration, Instant};

use platc::diff::Tree;
use platc::source::SourceMap;

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, Duration) {
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(f());
        samples.push(start.elapsed());
    }
    let min = *samples.iter().min().unwrap();
    let max = *samples.iter().max().unwrap();
    (median(samples), min, max)
}

/// The generated project with every 100th service changed: a new image tag
/// and another log level.
fn changed(files: &[(String, String)], services: usize) -> (Vec<(String, String)>, usize) {
    let mut files = files.to_vec();
    let mut count = 0;
    for i in (0..services).step_by(100) {
        let head = format!("\nservice svc-{i} {{\n");
        for (_, text) in &mut files {
            let Some(start) = text.find(&head) else {
                continue;
            };
            let end = start + text[start..].find("\n}\n").unwrap();
            let block = text[start..end]
                .replace(&format!("svc-{i}:1.{}.0", i % 7), &format!("svc-{i}:2.0.0"))
                .replace("LOG_LEVEL   = \"info\"", "LOG_LEVEL   = \"debug\"");
            text.replace_range(start..end, &block);
            count += 1;
            break;
        }
    }
    (files, count)
}

fn compile(files: &[(String, String)]) -> platc::render::Bundle {
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let sources = SourceMap::from_strings("bench", &named);
    // As `platc diff` compiles: keeping the objects' values to compare.
    let compiled = platc::pipeline::compile_keeping(
        &sources,
        None,
        &|paths| platc::source::load_assets(&sources.root, paths),
        platc::pipeline::Keep::Values,
    );
    assert!(
        !compiled.has_errors(),
        "generated platform has errors: {:?}",
        compiled.diagnostics.first()
    );
    compiled.bundle.unwrap()
}

fn main() {
    let services: usize = std::env::var("PLATC_BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let old_files = generate::project(services);
    let (new_files, touched) = changed(&old_files, services);

    let (build, build_min, build_max) = time(|| compile(&new_files));
    let old_bundle = compile(&old_files);
    let new_bundle = compile(&new_files);
    let encoded = old_bundle.encode();
    let old = Tree::from(old_bundle);
    let new = Tree::from(new_bundle);
    let objects = new.files.len();

    let changes = platc::diff::diff(&old, &new);
    let (diff, diff_min, diff_max) = time(|| platc::diff::diff(&old, &new));
    let (parsed, ..) =
        time(|| Tree::from_texts(encoded.iter().map(|(p, t)| (p.as_str(), t.as_str()))));
    let (on_disk, ..) = time(|| {
        let old = Tree::from_texts(encoded.iter().map(|(p, t)| (p.as_str(), t.as_str())));
        platc::diff::diff(&old, &new)
    });
    let markdown = platc::diff::format::markdown(&changes, platc::diff::format::DEFAULT_MAX_SIZE);

    println!(
        "diff, {services} services ({touched} changed), {objects} files, {} object changes, medians of {RUNS} runs",
        changes.objects.len()
    );
    println!(
        "  compile (baseline)           {:>9.1} ms  (min {:.1}, max {:.1})",
        ms(build),
        ms(build_min),
        ms(build_max)
    );
    println!(
        "  diff of two renders          {:>9.1} ms  (min {:.1}, max {:.1})",
        ms(diff),
        ms(diff_min),
        ms(diff_max)
    );
    println!("  parse the old tree's YAML    {:>9.1} ms", ms(parsed));
    println!("  parse + diff (--out)         {:>9.1} ms", ms(on_disk));
    println!(
        "  markdown report              {:>9} chars",
        markdown.chars().count()
    );
    println!(
        "  ratio diff / compile         {:>9.3}x",
        diff.as_secs_f64() / build.as_secs_f64()
    );
    println!(
        "  ratio parse + diff / compile {:>9.3}x",
        on_disk.as_secs_f64() / build.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
