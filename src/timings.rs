//! Phase timings for `PLATC_TIMINGS=1`: one line per phase on stderr
//! (`platc: parse 412.3 ms`). A developer aid for profiling, off by default;
//! it never changes what is computed or written.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

/// True when `PLATC_TIMINGS` is set to anything but `0` or the empty string.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var_os("PLATC_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Runs `work`, and when timings are on, prints how long it took.
pub fn phase<T>(name: &str, work: impl FnOnce() -> T) -> T {
    if !enabled() {
        return work();
    }
    let start = Instant::now();
    let out = work();
    let _ = writeln!(
        std::io::stderr(),
        "platc: {name:<12} {:>9.1} ms {:>7} MB resident",
        start.elapsed().as_secs_f64() * 1e3,
        resident_mb().map_or_else(|| "?".to_string(), |mb| mb.to_string())
    );
    out
}

/// Resident memory of the process now, from `/proc/self/statm` (Linux).
fn resident_mb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}
