//! Front-end benchmark: parse + resolve + check (everything `platc validate`
//! does) on a generated platform, against simply reading the same files.
//!
//! `cargo bench --bench frontend` (default 10,000 services; set
//! `PLATC_BENCH_SERVICES` for other sizes). Prints medians of 7 runs and the
//! ratio to reading the files.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::disallowed_methods)]

/// The allocator of the `platc` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod generate;

use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, Duration) {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        samples.push(start.elapsed());
    }
    let min = *samples.iter().min().unwrap();
    let max = *samples.iter().max().unwrap();
    (median(samples), min, max)
}

fn main() {
    let services: usize = std::env::var("PLATC_BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    generate::write_project(dir.path(), services).unwrap();
    let runs = 7;

    let (read, read_min, read_max) = time(runs, || platc::source::load(dir.path()).unwrap());
    let sources = platc::source::load(dir.path()).unwrap();
    let bytes: usize = sources.files.iter().map(|f| f.text.len()).sum();
    let (parse, ..) = time(runs, || platc::parse::parse_all(&sources.files));
    let (check, check_min, check_max) = time(runs, || {
        let checked = platc::pipeline::check(&sources);
        assert!(
            !checked.has_errors(),
            "generated platform has errors: {:?}",
            checked.diagnostics.first()
        );
        checked
    });
    let (total, ..) = time(runs, || {
        platc::pipeline::check(&platc::source::load(dir.path()).unwrap())
    });

    println!(
        "front end, {services} services, {} files, {:.1} MB, medians of {runs} runs",
        sources.files.len(),
        bytes as f64 / 1e6
    );
    println!(
        "  read files (baseline)     {:>9.1} ms  (min {:.1}, max {:.1})",
        ms(read),
        ms(read_min),
        ms(read_max)
    );
    println!("  parse only                {:>9.1} ms", ms(parse));
    println!(
        "  parse + resolve + check   {:>9.1} ms  (min {:.1}, max {:.1})",
        ms(check),
        ms(check_min),
        ms(check_max)
    );
    println!("  read + check (validate)   {:>9.1} ms", ms(total));
    println!(
        "  ratio check / read        {:>9.1}x",
        check.as_secs_f64() / read.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
