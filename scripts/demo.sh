#!/usr/bin/env bash
# The main demo, from a fresh Debian 12 machine as root: installs what is missing, builds
# (Release) and runs the todo service (examples/todo_service): a REST API of personal todo lists
# on Beast and SQLite, where every request carries its request id, user, scope, span and
# deadline in its context. It serves on 127.0.0.1, runs a scripted session of two users working
# at once, prints their requests, the JSON log lines and the trace tree of one request, and
# exits by itself. Extra arguments go to the service (--serve 8080 keeps it serving; --db PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
asyncctx_ensure_packages "${ASYNCCTX_BUILD_PACKAGES[@]}"
asyncctx_ccache_env
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DASYNCCTX_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target todo_service
cd build/demo/examples/todo_service  # where its todo_spans.jsonl goes
exec ./todo_service "$@"
