#!/usr/bin/env python3
"""Runs core_bench once and checks the ratios the core must stay within (the table below).

Usage: core_ratios.py [path/to/core_bench] [--repetitions N] [--min-time SECONDS]

The binary is run once, with --benchmark_format=json; with repetitions > 1 the medians are
compared (each shape's median over the repetitions of this one run). Times are CPU time of
the benchmarking thread, except pool_hop, whose work is on the worker thread: there it is
wall-clock time. Prints a markdown table; exits 1 if a target is missed.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_bench(binary, repetitions, min_time):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if repetitions > 1:
        cmd += [f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"]
    print("$ " + " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def times(report):
    """name -> nanoseconds per iteration (median when aggregates are present)."""
    result = {}
    for b in report["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if name.endswith("/real_time"):
            name = name[: -len("/real_time")]
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        t = b["real_time"] if name.startswith("pool_hop/") else b["cpu_time"]
        result[name] = t * unit
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.path.join(os.getcwd(), "bench", "core_bench")
    parser.add_argument("binary", nargs="?", default=default_bin)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    args = parser.parse_args()

    t = times(run_bench(args.binary, args.repetitions, args.min_time))

    capture = [t[f"snapshot_capture_run/{n}"] for n in (1, 10, 100)]
    rows = [
        ("get / raw thread_local read", t["get"], t["raw_tls_read"], 2.0),
        ("get at 100 nested runs / get at 1", t["get_nested/100"], t["get_nested/1"], 1.5),
        ("capture + run: max / min over 1, 10, 100 variables", max(capture), min(capture), 1.2),
        ("run (1 variable) / make_shared<int> + release", t["run"], t["make_shared_int"], 1.5),
        ("thread_pool hop with context / without", t["pool_hop/with_context"], t["pool_hop/no_context"], 1.10),
    ]

    print("| target | numerator (ns) | denominator (ns) | ratio | limit | result |")
    print("|---|---:|---:|---:|---:|---|")
    failed = 0
    for name, num, den, limit in rows:
        ratio = num / den
        ok = ratio <= limit
        failed += 0 if ok else 1
        print(f"| {name} | {num:.2f} | {den:.2f} | {ratio:.2f} | ≤ {limit:.2f} | {'pass' if ok else 'FAIL'} |")
    print()
    print("Other shapes (ns): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(t.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
