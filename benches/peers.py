#!/usr/bin/env python3
"""platc side by side with the peer compilers, on the kit's synthetic platform.

    python3 benches/peers.py [--sizes 1000,5000,10000,20000] [--runs 5] [--platc BIN]

Needs ../shared/bench/peers (the kit) and a release build of platc
(`cargo build --release`; the default BIN is target/release/platc). The
peers run when installed as the kit's run-peers.sh expects them
(/tmp/peer-venv/bin/python with kcl-lib, /tmp/peer-tools/bin/jrsonnet;
override with PEER_PY / JRSONNET). Outputs go to /dev/shm (tmpfs) when it
exists.

For every size: the kit generates the model (gen_input.py) and the same model
as a .platform project (gen_platform.py); then, each `--runs` times:

- platc build       from sources to a validated, written tree (output removed
                    first, so the result cache cannot answer)
- platc rebuild     the same build again over its own output: nothing changes,
                    answered by the result cache (`platc::cache`)
- rebuild, no cache the same with the cache off (PLATC_CACHE_DIR=): compiles,
                    compares and writes nothing
- validate, cold    every check, nothing written, cache off
- validate, warm    the same with the cache on, sources unchanged since the
                    previous run (the diagnostics are replayed)
- diff, one change  `platc diff` of a copy of the sources with one autoscaling
                    target changed against the built tree, cache off (what a
                    pull request's review reads)
- kcl, jrsonnet     the kit's transformations (they validate nothing)
- floor             a Rust program writing the files platc wrote, from memory
                    (benches/write_floor.rs)
- floor, kit files  the same program writing the files jrsonnet wrote: the
                    kit's own floor ("a Rust program writing the same files"),
                    one file per document. platc writes one file per
                    component, several times fewer files, so its own floor
                    is lower than the kit's (ARCHITECTURE.md, Output layout)

Wall time is measured around each process; peak RSS is the process's own
(os.wait4). The table gives median, min and max, the median peak RSS, and
each peer's median divided by platc build's median (so > 1 means platc is
faster), and platc build's median divided by each floor's.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KIT = os.path.join(ROOT, "..", "shared", "bench", "peers")


def run(argv, cwd=None, env=None):
    """(wall seconds, peak RSS MB, exit status) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, proc.returncode


def measure(name, argv, runs, before=None, env=None):
    walls, rss = [], []
    for _ in range(runs):
        if before:
            before()
        wall, peak, code = run(argv, env=env)
        if code != 0:
            print(f"  {name}: exit status {code}: {' '.join(argv)}", file=sys.stderr)
            return None
        walls.append(wall)
        rss.append(peak)
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "rss": statistics.median(rss),
    }


def floor(tree, work, runs):
    out = os.path.join(work, "out-floor")
    result = subprocess.run(
        ["cargo", "bench", "-q", "--bench", "write_floor", "--", tree, out, str(runs)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    walls = [float(line) for line in result.stdout.split()]
    shutil.rmtree(out, ignore_errors=True)
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "rss": None}


def edited_copy(src, dest):
    """A copy of the project with one line changed (the first service's first
    `cpu = N%` autoscaling target, plus one): what a pull request changes."""
    shutil.copytree(src, dest)
    for name in sorted(os.listdir(dest)):
        path = os.path.join(dest, name)
        with open(path) as f:
            text = f.read()
        target = re.search(r"cpu = (\d+)%", text)
        if not target:
            continue
        with open(path, "w") as f:
            f.write(text[:target.start(1)] + str(int(target.group(1)) + 1) + text[target.end(1):])
        return dest
    return None


def count_files(tree):
    return sum(len(files) for _, _, files in os.walk(tree))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000,20000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platc", default=os.path.join(ROOT, "target", "release", "platc"))
    args = parser.parse_args()
    if not os.path.isdir(KIT):
        sys.exit(f"the peer kit is not at {KIT}")
    if not os.access(args.platc, os.X_OK):
        sys.exit(f"no platc at {args.platc}: run `cargo build --release` first")
    py = os.environ.get("PEER_PY", "/tmp/peer-venv/bin/python")
    jr = os.environ.get("JRSONNET", "/tmp/peer-tools/bin/jrsonnet")
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        work = tempfile.mkdtemp(prefix="platc-peers.", dir=base)
        try:
            # Not beside the outputs: run_kcl.py stages its own input.json there.
            os.makedirs(os.path.join(work, "model"))
            model = os.path.join(work, "model", "input.json")
            src = os.path.join(work, "src")
            with open(model, "w") as f:
                subprocess.run([sys.executable, os.path.join(KIT, "gen_input.py"), str(n)], stdout=f, check=True)
            subprocess.run([sys.executable, os.path.join(KIT, "gen_platform.py"), "--model", model, src],
                           stdout=subprocess.DEVNULL, check=True)
            out = os.path.join(work, "out-platc")
            clean = lambda path=out: shutil.rmtree(path, ignore_errors=True)
            cached = dict(os.environ, PLATC_CACHE_DIR=os.path.join(work, "cache"))
            uncached = dict(os.environ, PLATC_CACHE_DIR="")
            build = [args.platc, "build", src, "--out", out]
            validate = [args.platc, "validate", src]
            results = {}
            results["platc build"] = measure("platc build", build, args.runs, clean, cached)
            if results["platc build"] is None:
                continue
            files = count_files(out)
            results["platc rebuild"] = measure("platc rebuild", build, args.runs, env=cached)
            results["rebuild, no cache"] = measure("rebuild, no cache", build, args.runs, env=uncached)
            results["validate, cold"] = measure("validate, cold", validate, args.runs, env=uncached)
            run(validate, env=cached)
            results["validate, warm"] = measure("validate, warm", validate, args.runs, env=cached)
            edited = edited_copy(src, os.path.join(work, "src-edited"))
            if edited:
                results["diff, one change"] = measure(
                    "diff, one change", [args.platc, "diff", edited, "--out", out], args.runs, env=uncached)
            if os.access(py, os.X_OK):
                kcl_out = os.path.join(work, "out-kcl")
                results["kcl"] = measure(
                    "kcl", [py, os.path.join(KIT, "impl", "kcl", "run_kcl.py"), model, kcl_out], args.runs,
                    lambda: shutil.rmtree(kcl_out, ignore_errors=True))
            if os.access(jr, os.X_OK):
                jr_out = os.path.join(work, "out-jrsonnet")

                def jr_clean():
                    shutil.rmtree(jr_out, ignore_errors=True)
                    os.makedirs(jr_out)

                results["jrsonnet"] = measure(
                    "jrsonnet",
                    [jr, "-S", "-c", "-m", jr_out, "-V", "format=yaml", "-V", "eol=", "--ext-code", "quoteKeys=true",
                     "--tla-code-file", f"model={model}", os.path.join(KIT, "impl", "jsonnet", "main.jsonnet")],
                    args.runs, jr_clean)
            results["floor"] = floor(out, work, args.runs)
            if os.access(jr, os.X_OK) and count_files(jr_out):
                results["floor, kit files"] = floor(jr_out, work, args.runs)
                results["floor, kit files"]["files"] = count_files(jr_out)
            rows.append((n, files, results))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    build = None
    print(f"\nmedians of {args.runs} runs, wall seconds; RSS = median peak resident MB")
    print("| N | files | tool | median | min | max | RSS MB | ratio |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for n, files, results in rows:
        build = results["platc build"]["median"]
        for tool, r in results.items():
            if r is None:
                continue
            if tool in ("kcl", "jrsonnet"):
                ratio = f"{tool} / platc build = {r['median'] / build:.1f}"
            elif tool.startswith("floor"):
                ratio = f"platc build / {tool} = {build / r['median']:.2f}"
                if "files" in r:
                    ratio += f" ({r['files']:,} files)"
            else:
                ratio = ""
            rss = "" if r["rss"] is None else f"{r['rss']:.0f}"
            print(f"| {n:,} | {files:,} | {tool} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | {rss} | {ratio} |")


if __name__ == "__main__":
    main()
