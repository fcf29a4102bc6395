# Sourced by the scripts in this folder: installs what a fresh Debian 12 (as root) lacks.
# Only Debian packages; apt is called only when something is missing.

asyncctx_ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "asyncctx: installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The package lists, by what needs them. Each package is used by something in this repository;
# one that nothing uses any more leaves its list.

# Building the library, asyncctx::asio and the examples: every script (scripts/demo.sh needs
# nothing else).
#   g++, cmake, ninja-build  compiler and build; every script configures with -G Ninja
#   ccache                   compiler cache, picked up by CMakeLists.txt (asyncctx_ccache_env below)
#   libboost1.81-dev         Boost.Asio and Beast: asyncctx::asio, its tests, the demo server
#   libspdlog-dev, libfmt-dev  spdlog and {fmt}: asyncctx::log, which every example logs through
#   libsqlite3-dev           SQLite: the todo service's database (examples/todo_service)
#   nlohmann-json3-dev       JSON: the todo service's bodies, reading in asyncctx::trace_http (OTLP
#                            answers, the trace_context_service body), otlp_payload_dump and its tests
ASYNCCTX_BUILD_PACKAGES=(g++ cmake ninja-build ccache libboost1.81-dev libspdlog-dev libfmt-dev libsqlite3-dev
  nlohmann-json3-dev)

# The benchmarks (bench/, Google Benchmark): built by scripts/test.sh's Release step and run by
# bench/compare/run.
#   libbenchmark-dev  Google Benchmark
#   wrk               the HTTP load of bench/todo_rps.sh, bench/http_rps.sh and bench/compare/run
ASYNCCTX_BENCH_PACKAGES=(libbenchmark-dev wrk)

# The test command on top of the build (scripts/test.sh):
#   libgtest-dev, libgmock-dev   GoogleTest (tests/; gmock's matchers in tests/scope_test.cpp)
#   the benchmarks above         built (not run) by the Release step
#   clang-format-16, clang-tidy  the format check (.clang-format needs 15 or later) and the lint (.clang-tidy)
#   clang, libclang-rt-14-dev    the fuzz smoke runs: clang++ and its libFuzzer runtime (only
#                                recommended by clang's packages; apt runs --no-install-recommends)
#   nlohmann-json3-dev           the asyncctx::log tests parse every JSON line they write
#   libboost-log1.81-dev         Boost.Log: asyncctx::log_boost and its tests
ASYNCCTX_CHECK_PACKAGES=(
  libgtest-dev libgmock-dev "${ASYNCCTX_BENCH_PACKAGES[@]}"
  clang-format-16 clang-tidy clang libclang-rt-14-dev
  nlohmann-json3-dev libboost-log1.81-dev
)

asyncctx_ccache_env() {
  # Paths relative to the checkout, so a fresh clone (CI) hits the cache of the last one.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
  export CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
}
