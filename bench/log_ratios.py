#!/usr/bin/env python3
"""Runs log_bench once and prints the ratios asyncctx::log must stay within (docs/benchmarks.md).

Usage: log_ratios.py [path/to/log_bench] [--repetitions N] [--min-time SECONDS]

One run of the binary (--benchmark_format=json, random interleaving); with repetitions the
medians of that run are compared. CPU time per call. Prints a markdown table; exits 1 if a
target is missed.
"""

import argparse
import json
import subprocess
import sys

TARGETS = [
    # (what, ours, baseline, limit)
    ("a log call with 3 context fields to a null sink, vs spdlog passing the 3 values as arguments",
     "fields/ours", "fields/spdlog", 1.25),
    ("a disabled level, vs spdlog's own disabled call", "disabled/ours", "disabled/spdlog", 1.10),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default="build/release/bench/log_bench")
    ap.add_argument("--repetitions", type=int, default=9)
    ap.add_argument("--min-time", default="0.2")
    a = ap.parse_args()
    cmd = [a.binary, "--benchmark_format=json", f"--benchmark_min_time={a.min_time}",
           f"--benchmark_repetitions={a.repetitions}", "--benchmark_report_aggregates_only=true",
           "--benchmark_enable_random_interleaving=true", "--benchmark_filter=fields|disabled"]
    print("$ " + " ".join(cmd), file=sys.stderr)
    report = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
    ns = {}
    for b in report["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        ns[b.get("run_name", b["name"])] = b["cpu_time"] * unit
    print("| what | ours ns | spdlog ns | ratio | target |")
    print("|---|---:|---:|---:|---|")
    ok = True
    for what, ours, base, limit in TARGETS:
        r = ns[ours] / ns[base]
        met = r <= limit
        ok &= met
        print(f"| {what} | {ns[ours]:.1f} | {ns[base]:.1f} | {r:.2f}x | <= {limit}x: {'met' if met else 'MISSED'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
