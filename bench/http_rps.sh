#!/usr/bin/env bash
# Requests per second of the demo server with the request-context wrapper vs the same server
# without it (--no-context), under the same wrk load on loopback, in one run
# (target: with / without >= 0.95).
#   bench/http_rps.sh [build-dir]        (default: build/rps; built here, Release)
# Environment: ROUNDS (default 6; the two servers alternate, so both see the same machine
# load), DURATION (default 5s), CONNECTIONS (64), THREADS (wrk threads, 2),
# SERVER_THREADS (io threads of the server, 1).
# Each server answers after a 0 ms steady_timer wait, a thread-pool hop and a nested
# coroutine (the demo's handler); only the wrapper differs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/rps}
rounds=${ROUNDS:-6}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-64}
wrk_threads=${THREADS:-2}
server_threads=${SERVER_THREADS:-1}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DASYNCCTX_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j "${JOBS:-2}" --target request_context_server >/dev/null
server="$dir/examples/request_context_server"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts a server on an ephemeral port; prints "<pid> <port>".
start_server() {
  local log="$tmp/server-$1.log"
  shift
  "$server" --serve 0 --quiet --delay-ms 0 --threads "$server_threads" "$@" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    if grep -q '^serving on' "$log"; then
      echo "$pid $(sed -n 's|^serving on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log")"
      return
    fi
    sleep 0.05
  done
  echo "server did not start: $(cat "$log")" >&2
  exit 1
}

read -r with_pid with_port < <(start_server with)
pids+=("$with_pid")
read -r without_pid without_port < <(start_server without --no-context)
pids+=("$without_pid")

# Sanity: the wrapper echoes X-Request-ID, the baseline does not.
probe() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: probe-1\r\nConnection: close\r\n\r\n' >&3
  timeout 5 cat <&3 | tr -d '\r'
  exec 3<&-
}
probe "$with_port" | grep -qi '^X-Request-ID: probe-1$' || { echo "the server with context did not echo the id" >&2; exit 1; }
if probe "$without_port" | grep -qi '^X-Request-ID'; then echo "the --no-context server sent an id" >&2; exit 1; fi

# One wrk run against a server: prints "<requests/s> <server CPU µs per request>". The CPU
# time (utime + stime of the server process, /proc/PID/stat) is the steadier number on a
# shared machine: other processes change how much CPU the server gets, much less how much it
# needs per request.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() {  # pid port
  local out t0 t1
  t0=$(ticks "$1")
  out=$(wrk -t"$wrk_threads" -c"$connections" -d"$duration" "http://127.0.0.1:$2/hello")
  t1=$(ticks "$1")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "wrk reported errors: $out" >&2; fi
  local rps requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  awk -v r="$rps" -v n="$requests" -v dt="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %.2f\n", r, dt * 1e6 / hz / n}'
}

echo "wrk -t$wrk_threads -c$connections -d$duration on 127.0.0.1, $rounds rounds, server: $server_threads io thread(s)"
printf '%-6s %14s %14s %8s   %16s %16s %8s\n' round "req/s with" "req/s without" ratio \
  "CPU µs/req with" "CPU µs/req w/o" ratio
: >"$tmp/rounds"
for r in $(seq "$rounds"); do
  # Alternate which goes first, so a drift in machine load hits both alike.
  if ((r % 2)); then
    read -r w wc < <(measure "$with_pid" "$with_port")
    read -r wo woc < <(measure "$without_pid" "$without_port")
  else
    read -r wo woc < <(measure "$without_pid" "$without_port")
    read -r w wc < <(measure "$with_pid" "$with_port")
  fi
  echo "$w $wo $wc $woc" >>"$tmp/rounds"
  awk -v r="$r" -v w="$w" -v wo="$wo" -v wc="$wc" -v woc="$woc" \
    'BEGIN {printf "%-6s %14.0f %14.0f %8.3f   %16.2f %16.2f %8.3f\n", r, w, wo, w / wo, wc, woc, woc / wc}'
done
# Summary: totals over all rounds, and the median of the per-round requests/s ratios. The
# CPU ratio is without / with, so that it reads like the requests/s ratio (1.0 = no cost).
sort -n <(awk '{print $1 / $2}' "$tmp/rounds") >"$tmp/ratios"
awk -v median="$(awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}' "$tmp/ratios")" '
  {w += $1; wo += $2; wc += $3; woc += $4}
  END {
    printf "%-6s %14.0f %14.0f %8.3f   %16.2f %16.2f %8.3f\n", "mean", w / NR, wo / NR, w / wo, wc / NR, woc / NR, woc / wc
    printf "requests/s with / without: mean %.3f, median of rounds %.3f; CPU per request without / with: %.3f (target >= 0.95)\n", w / wo, median, woc / wc
  }' "$tmp/rounds"
