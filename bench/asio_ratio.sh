#!/bin/sh
# Runs the hooked and the plain Asio post-hop benchmarks in one go and prints, per benchmark,
# the median time per hop of each and their ratio (target: hooked / plain <= 1.10).
#   bench/asio_ratio.sh [build-dir]     (default: build-bench; needs -DASYNCCTX_BUILD_BENCH=ON)
set -eu
dir=${1:-build-bench}
hooked="$dir/bench/asio_bench_hooked"
plain="$dir/bench/asio_bench_plain"
for exe in "$hooked" "$plain"; do
  [ -x "$exe" ] || { echo "missing $exe (configure with -DASYNCCTX_BUILD_BENCH=ON and build it)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args="--benchmark_repetitions=${REPS:-7} --benchmark_report_aggregates_only=true --benchmark_format=csv"
# Interleave the runs so both see the same machine load.
"$plain" $args >"$tmp/plain1.csv" 2>/dev/null
"$hooked" $args >"$tmp/hooked1.csv" 2>/dev/null
"$plain" $args >"$tmp/plain2.csv" 2>/dev/null
"$hooked" $args >"$tmp/hooked2.csv" 2>/dev/null
# Median per benchmark over both runs (cpu_time is column 4, ns per iteration of 10000 hops).
median() { grep '_median"' "$@" | sed 's/^[^:]*://' | awk -F, '{gsub(/"/,"",$1); sub(/_median$/,"",$1); s[$1]+=$4; n[$1]++} END {for (k in s) printf "%s %.3f\n", k, s[k]/n[k]/10000}' | sort; }
median "$tmp/plain1.csv" "$tmp/plain2.csv" >"$tmp/plain"
median "$tmp/hooked1.csv" "$tmp/hooked2.csv" >"$tmp/hooked"
printf '%-28s %12s %12s %8s\n' benchmark "plain ns/hop" "hooked ns/hop" ratio
join "$tmp/plain" "$tmp/hooked" | awk '{printf "%-28s %12.2f %12.2f %8.3f\n", $1, $2, $3, $3/$2}'
