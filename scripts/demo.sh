#!/usr/bin/env bash
# The main demo, from a fresh Debian 12 machine as root: installs what is missing, builds
# (Release) and runs the request-context HTTP server demo, which serves a few concurrent
# clients on 127.0.0.1, logs through asyncctx::log and spdlog (every line carries its request's
# id, method and path from the context), counts the lines that carry a request id, and exits by
# itself. Extra arguments go to the demo (e.g. --log-format json for JSON lines, --serve 8080
# keeps it serving).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
asyncctx_ensure_packages "${ASYNCCTX_BUILD_PACKAGES[@]}"
asyncctx_ccache_env
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DASYNCCTX_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target request_context_server
exec ./build/demo/examples/request_context_server "$@"
