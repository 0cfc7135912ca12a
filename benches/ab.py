#!/usr/bin/env python3
"""Interleaved runs of two (or more) platc binaries on one project.

    python3 benches/ab.py {build,validate} SRC RUNS BIN [BIN...]

How changes to platc's speed are judged: this machine's speed drifts by a
third within an hour, so binaries are compared run against run, in turns
(A, B, A, B, ...), never one batch after the other. Each run has the result
cache off (PLATC_CACHE_DIR=); a build writes to a fresh directory under
/dev/shm when it exists (tmpfs), removed before every run.

Prints, per binary: the median wall time [min-max], the median CPU time
(user + system) and the median peak RSS. Make SRC with the peer kit
(`benches/peers.py` leaves its projects in the work directory) or use any
project, e.g. `examples/streamforge`.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(binary, command, src, out):
    args = [binary, command, src]
    if command == "build":
        shutil.rmtree(out, ignore_errors=True)
        args += ["--out", out]
    env = dict(os.environ, PLATC_CACHE_DIR="")
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{binary} {command} {src} failed with status {status}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("build", "validate"):
        sys.exit(__doc__)
    command, src, runs, binaries = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="platc-ab-", dir=base)
    results = {binary: [] for binary in binaries}
    try:
        for _ in range(runs):
            for binary in binaries:
                results[binary].append(run_once(binary, command, src, os.path.join(work, "out")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for binary, samples in results.items():
        walls = sorted(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        rss = statistics.median(s[2] for s in samples)
        print(
            f"{binary}: wall {statistics.median(walls):.3f} [{walls[0]:.3f}-{walls[-1]:.3f}] s"
            f"  cpu {cpu:.3f} s  rss {rss:.0f} MB  n={len(samples)}"
        )


if __name__ == "__main__":
    main()
