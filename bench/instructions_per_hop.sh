#!/bin/sh
# Instructions per hop, counted by callgrind: deterministic where times on a shared machine
# are not. For each loop, runs N and 2N hops and divides the difference by N, so set-up and
# tear-down cancel out.
#   bench/instructions_per_hop.sh [build-dir] [N]   (default: build-bench, 100000; needs
#   -DASYNCCTX_BUILD_BENCH=ON and valgrind: apt-get install valgrind)
#
#   ready-child co_await: asyncctx::task (one variable bound) and its context-free twin
#   Asio post hop: plain Boost.Asio, the hook with an empty context, with a value bound, and
#   with a request's context on a thread in the empty context
set -eu
dir=${1:-build-bench}
n=${2:-100000}
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install -y valgrind" >&2; exit 1; }
ir() {  # instructions executed by "$@"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | awk '/Collected/ {print $4}'
}
per_hop() {  # <label> <binary> <variant>
  a=$(ir "$2" --hops="$3" --count="$n")
  b=$(ir "$2" --hops="$3" --count=$((2 * n)))
  printf '%-44s %8d\n' "$1" $(((b - a) / n))
}
printf '%-44s %8s\n' "hop" "instr"
per_hop "co_await ready child: asyncctx::task" "$dir/bench/coro_bench" task
per_hop "co_await ready child: context-free twin" "$dir/bench/coro_bench" twin
if [ -x "$dir/bench/asio_bench" ]; then
  per_hop "Asio post: plain Boost.Asio" "$dir/bench/asio_bench" plain
  per_hop "Asio post: hook, empty context" "$dir/bench/asio_bench" empty
  per_hop "Asio post: hook, value bound" "$dir/bench/asio_bench" value
  per_hop "Asio post: hook, request context" "$dir/bench/asio_bench" request
fi
