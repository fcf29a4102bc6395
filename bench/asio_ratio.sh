#!/bin/sh
# The handler-tracking hook vs plain Boost.Asio on a `post` hop, measured in one process:
# asio_bench --paired runs plain Asio, a second plain build (an A/A control: its ratio shows
# the method's own error), and the hook with an empty context, with a value bound (the thread
# runs in that context) and with a request's context (the thread runs in the empty context, as
# a server's I/O thread does), each for one chain of hops per round, in a shuffled order, and
# reports the median over rounds of the per-round ratio to plain Asio (target: hook / plain
# <= 1.10). The same rounds time a zero-length steady_timer hop (a reactor turn) in plain Asio
# and with the hook carrying a request's context, reported as a ratio to the plain timer hop.
#   bench/asio_ratio.sh [build-dir] [rounds]   (default: build-bench, 2000; needs -DASYNCCTX_BUILD_BENCH=ON)
set -eu
dir=${1:-build-bench}
exe="$dir/bench/asio_bench"
[ -x "$exe" ] || { echo "missing $exe (configure with -DASYNCCTX_BUILD_BENCH=ON and build it)" >&2; exit 1; }
exec "$exe" --paired="${2:-2000}"
