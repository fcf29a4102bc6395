#!/usr/bin/env python3
"""`get` and `run` with asyncctx as a shared library against the static one, in one run.

Usage: bench/shared_vs_static.py [--rounds N] [--build-root DIR]

Configures and builds core_bench twice (Release; BUILD_SHARED_LIBS OFF and ON) under
DIR (default build/shared-vs-static), then runs the two binaries alternately, N rounds
(default 5), and prints the median CPU time of each shape and the ratio shared / static.
In the shared build the state lives in libasyncctx.so and the executable reaches it through
the initial-exec TLS model (one GOT load more than the static build's local-exec access).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHAPES = ["raw_tls_read", "get", "run", "make_shared_int"]


def build(build_dir, shared):
    subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    f"-DBUILD_SHARED_LIBS={'ON' if shared else 'OFF'}", "-DASYNCCTX_BUILD_BENCH=ON",
                    "-DASYNCCTX_BUILD_TESTS=OFF", "-DASYNCCTX_BUILD_EXAMPLES=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "--target", "core_bench"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "bench", "core_bench")


def run_once(binary):
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_min_time=0.2",
                          "--benchmark_filter=^(" + "|".join(SHAPES) + ")$"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return {b["name"]: b["cpu_time"] for b in json.loads(out)["benchmarks"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--build-root", default=os.path.join(ROOT, "build", "shared-vs-static"))
    a = ap.parse_args()
    static_bin = build(os.path.join(a.build_root, "static"), False)
    shared_bin = build(os.path.join(a.build_root, "shared"), True)
    times = {"static": {s: [] for s in SHAPES}, "shared": {s: [] for s in SHAPES}}
    for _ in range(a.rounds):
        for kind, binary in (("static", static_bin), ("shared", shared_bin)):
            for shape, t in run_once(binary).items():
                times[kind][shape].append(t)
    print("| shape | static ns | shared ns | shared / static |")
    print("|---|---:|---:|---:|")
    for shape in SHAPES:
        st = statistics.median(times["static"][shape])
        sh = statistics.median(times["shared"][shape])
        print(f"| `{shape}` | {st:.2f} | {sh:.2f} | {sh / st:.2f} |")
    print(f"\n({a.rounds} rounds, the two builds alternating; CPU time, median per shape)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
