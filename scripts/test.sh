#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine as root. Steps, each timed:
#   format check; header layering (scripts/check_layering.sh);
#   core only, with the optional packages hidden: configure messages, build, install;
#   clang 14, ASan+UBSan, -O1, symmetric transfer (the production protocol): clang-tidy
#     on its compile commands, then the whole suite;
#   GCC 12, ASan+UBSan, -O0, fallback protocol: the coroutine/promise tests (label coro);
#   clang 14, TSan, -O1, symmetric transfer: the concurrency tests (label concurrency);
#   GCC 12 Release suite (static, examples and benchmarks built); install it, build the
#     consumers through find_package and pkg-config;
#   clang 14 Release suite with a shared libasyncctx.so; install it, the same consumers;
#   interop against real peers: OpenTelemetry JS and Python and a Jaeger, pinned and cached
#     by scripts/peers.sh, with the Release step's trace_context_service and otlp_payload_dump;
#   fuzz smoke runs (libFuzzer).
# Every step runs even when an earlier one failed (unless --fail-fast); the end lists the
# time of each step and the failed ones, and the exit status is 1 if any failed.
# Usage: scripts/test.sh [--long] [--fail-fast]
#   --long: full-size stress/soak/fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/deps.sh
source scripts/peers.sh

long=0
fail_fast=0
for arg in "$@"; do
  case "$arg" in
    --long) long=1 ;;
    --fail-fast) fail_fast=1 ;;
    *) echo "usage: $0 [--long] [--fail-fast]" >&2; exit 2 ;;
  esac
done
if ((long)); then export ASYNCCTX_STRESS=long; fi

asyncctx_ensure_packages "${ASYNCCTX_BUILD_PACKAGES[@]}" "${ASYNCCTX_CHECK_PACKAGES[@]}"
asyncctx_ccache_env
jobs=$(nproc)
gen=(-G Ninja)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# tests/tsan.supp: uninstrumented third-party libraries only (see the file).
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp"

# --- step runner ---------------------------------------------------------------------
failed=()
timings=()
summary() {
  echo
  echo "==== summary ===="
  printf '%s\n' "${timings[@]}"
  if ((${#failed[@]})); then
    echo "asyncctx: ${#failed[@]} step(s) FAILED in ${SECONDS}s:"
    printf '  %s\n' "${failed[@]}"
    return 1
  fi
  echo "asyncctx: all checks passed in ${SECONDS}s"
}
# run_step <title> <command...>: runs the command in a subshell with `set -e`, times it and
# records a failure instead of stopping the script.
run_step() {
  local title=$1
  shift
  local start=$SECONDS rc
  printf '\n==== %s (at %ds) ====\n' "$title" "$SECONDS"
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  local took=$((SECONDS - start)) status=ok
  if ((rc)); then
    status=FAILED
    failed+=("$title")
  fi
  timings+=("$(printf '%6ds  %-6s  %s' "$took" "$status" "$title")")
  if ((rc)); then
    echo "asyncctx: step failed: $title"
    if ((fail_fast)); then
      summary || true
      exit 1
    fi
  fi
}

# The clang sanitizer builds are Debug (assertions on) at -O1: clang keeps the symmetric-
# transfer tail call there as at -O0 (include/asyncctx/detail/symmetric_transfer.hpp), and
# at -O0 its instrumented frames are so large that the 10,000-nested-run tests
# (variable_test, async_local_storage_test) overflow the 8 MB main-thread stack.
clang_sanitizer_build=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1")

# TSan (GCC 12's and clang 14's) cannot map its shadow with the high mmap entropy of newer
# kernels.
tsan_run=()
if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then tsan_run=(setarch "$(uname -m)" -R); fi

# Test names of a label (one executable per test; see tests/CMakeLists.txt).
tests_labelled() { ctest --test-dir "$1" -N -L "$2" | awk '/Test +#/ {print $3}'; }

# check_install <build-dir> <name> <c++ compiler>: installs into a temporary prefix, then
# builds and runs tests/install_consumer against it, through find_package(asyncctx) and
# through `pkg-config --cflags --libs asyncctx`.
check_install() {
  local build=$1 name=$2 cxx=$3
  local prefix=$tmp/$name consumer=build/consumer-$name
  rm -rf "$prefix" "$consumer"
  cmake --install "$build" --prefix "$prefix" >/dev/null
  echo "installed into $prefix:"
  (cd "$prefix" && find . -type f -o -type l | grep -v '^./include/' | sort | sed 's/^/  /')
  test -f "$prefix/include/asyncctx/version.hpp"
  cmake -S tests/install_consumer -B "$consumer" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$consumer" -j "$jobs"
  "./$consumer/consumer"
  if [ -x "$consumer/consumer_asio" ]; then "./$consumer/consumer_asio"; fi

  local pc pc_flags libdir
  pc=$(find "$prefix" -name asyncctx.pc -path '*/pkgconfig/*')
  test -n "$pc"
  pc_flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs asyncctx)
  libdir=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=libdir asyncctx)
  echo "pkg-config --cflags --libs asyncctx: $pc_flags"
  # shellcheck disable=SC2086  # the flags are a list of words
  "$cxx" -Wall -Wextra -o "$consumer/consumer_pkg_config" tests/install_consumer/consumer.cpp $pc_flags \
    -Wl,-rpath,"$libdir"
  "./$consumer/consumer_pkg_config"
}

# --- steps ---------------------------------------------------------------------------
step_format() {
  local sources
  mapfile -t sources < <(git ls-files '*.hpp' '*.cpp' 2>/dev/null || find include src tests bench examples fuzz -name '*.[ch]pp')
  clang-format-16 --dry-run -Werror "${sources[@]}"
  echo "${#sources[@]} files formatted"
}

# A plain `cmake -S . -B build && cmake --build build && cmake --install build` on a machine
# with only a compiler and CMake: every optional part whose package is missing is skipped
# with one configure line; explicitly requested, it stops the configure step instead.
step_core_only() {
  local hide=(-DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON -DCMAKE_DISABLE_FIND_PACKAGE_spdlog=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON)
  local log expect opt
  rm -rf build/core-only
  if ! log=$(cmake -S . -B build/core-only "${hide[@]}" 2>&1); then
    echo "$log"
    return 1
  fi
  grep '^-- asyncctx' <<<"$log"
  for expect in "asyncctx: Boost >= 1.81 not found: asyncctx::asio" \
    "asyncctx: GoogleTest not found: the tests are skipped" \
    "asyncctx: Google Benchmark not found: the benchmarks are skipped" \
    "asyncctx: spdlog or fmt not found: asyncctx::log, its tests and benchmarks are skipped"; do
    if [ "$(grep -cF -- "$expect" <<<"$log")" -ne 1 ]; then
      echo "expected exactly one configure line starting with: $expect"
      return 1
    fi
  done
  cmake --build build/core-only -j "$jobs"
  local prefix=$tmp/core-only
  cmake --install build/core-only --prefix "$prefix" >/dev/null
  local f
  for f in include/asyncctx/asyncctx.hpp include/asyncctx/version.hpp; do test -f "$prefix/$f"; done
  test -n "$(find "$prefix" -name 'libasyncctx.a')"
  test -n "$(find "$prefix" -path '*/pkgconfig/asyncctx.pc')"
  test -n "$(find "$prefix" -name 'asyncctxConfig.cmake')"
  if grep -rq 'asyncctx::asio' "$prefix" --include='asyncctxTargets*.cmake'; then
    echo "asyncctx::asio was installed without Boost"
    return 1
  fi
  echo "core built and installed without Boost, GoogleTest and Google Benchmark"
  for opt in ASYNCCTX_WITH_ASIO ASYNCCTX_WITH_LOG ASYNCCTX_BUILD_TESTS ASYNCCTX_BUILD_BENCH; do
    rm -rf "build/core-only-$opt"
    if log=$(cmake -S . -B "build/core-only-$opt" "${hide[@]}" "-D$opt=ON" 2>&1); then
      echo "-D$opt=ON configured although its dependency is missing"
      return 1
    fi
    grep -q "asyncctx: $opt=ON was requested, but" <<<"$log"
    echo "-D$opt=ON without its dependency: configure stops, as it should"
    rm -rf "build/core-only-$opt"
  done
}

step_asan_clang_configure_and_tidy() {
  cmake -S . -B build/asan-clang "${gen[@]}" "${clang_sanitizer_build[@]}" \
    -DASYNCCTX_SANITIZE=address,undefined -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=OFF \
    -DASYNCCTX_BUILD_EXAMPLES=OFF -DASYNCCTX_TEST_EXPECT_PROTOCOL=symmetric >/dev/null
  local tidy_sources tidy_out
  mapfile -t tidy_sources < <(git ls-files 'src/*.cpp' 2>/dev/null || find src -name '*.cpp')
  if ! tidy_out=$(clang-tidy -p build/asan-clang --quiet --warnings-as-errors='*' "${tidy_sources[@]}" 2>&1); then
    grep -v "warnings generated" <<<"$tidy_out"
    echo "clang-tidy found problems (see above)"
    return 1
  fi
  echo "${#tidy_sources[@]} files clean"
}

step_asan_clang_suite() {
  cmake --build build/asan-clang -j "$jobs"
  ctest --test-dir build/asan-clang --output-on-failure -j "$jobs"
}

step_asan_gcc_fallback() {
  cmake -S . -B build/asan-gcc "${gen[@]}" -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DASYNCCTX_SANITIZE=address,undefined -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=OFF \
    -DASYNCCTX_BUILD_EXAMPLES=OFF -DASYNCCTX_TEST_EXPECT_PROTOCOL=fallback >/dev/null
  local targets
  mapfile -t targets < <(tests_labelled build/asan-gcc coro)
  echo "${#targets[@]} test programs: ${targets[*]}"
  cmake --build build/asan-gcc -j "$jobs" --target "${targets[@]}"
  ctest --test-dir build/asan-gcc --output-on-failure -L coro -j "$jobs"
}

step_tsan_clang() {
  cmake -S . -B build/tsan-clang "${gen[@]}" "${clang_sanitizer_build[@]}" \
    -DASYNCCTX_SANITIZE=thread -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=OFF \
    -DASYNCCTX_BUILD_EXAMPLES=OFF -DASYNCCTX_TEST_EXPECT_PROTOCOL=symmetric >/dev/null
  local targets
  mapfile -t targets < <(tests_labelled build/tsan-clang concurrency)
  echo "${#targets[@]} test programs"
  cmake --build build/tsan-clang -j "$jobs" --target "${targets[@]}"
  "${tsan_run[@]}" ctest --test-dir build/tsan-clang --output-on-failure -L concurrency -j "$jobs"
}

step_release_gcc() {
  cmake -S . -B build/release-gcc "${gen[@]}" -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=ON -DASYNCCTX_BUILD_EXAMPLES=ON \
    -DASYNCCTX_TEST_EXPECT_PROTOCOL=symmetric >/dev/null
  cmake --build build/release-gcc -j "$jobs"
  ctest --test-dir build/release-gcc --output-on-failure -j "$jobs"
}

step_shared_clang() {
  cmake -S . -B build/shared-clang "${gen[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=OFF \
    -DASYNCCTX_BUILD_EXAMPLES=OFF -DASYNCCTX_TEST_EXPECT_PROTOCOL=symmetric >/dev/null
  cmake --build build/shared-clang -j "$jobs"
  ctest --test-dir build/shared-clang --output-on-failure -j "$jobs"
}

step_shared_clang_install() {
  check_install build/shared-clang shared-clang clang++
  local so
  so=$(find "$tmp/shared-clang" -name 'libasyncctx.so')
  readelf -d "$so" | grep SONAME
}

# tests/interop/run_interop.py: our OTLP payloads against OpenTelemetry JS's, and our
# trace_context_service between OpenTelemetry JS and Python clients and servers, every side
# exporting to a real Jaeger whose query API gives the trace back. The peers are installed
# (first run) or found (later runs) in the cache by scripts/peers.sh; the two programs come
# from the Release step's build (built here if that step did not get to them).
step_interop() {
  local js py jaeger
  js=$(asyncctx_peer_js)
  py=$(asyncctx_peer_python)
  jaeger=$(asyncctx_peer_jaeger)
  cmake --build build/release-gcc -j "$jobs" --target trace_context_service otlp_payload_dump
  local service dump
  service=$(find build/release-gcc -name trace_context_service -type f -perm -u+x | head -n 1)
  dump=$(find build/release-gcc -name otlp_payload_dump -type f -perm -u+x | head -n 1)
  test -n "$service" && test -n "$dump"
  local mode=()
  if ((long)); then mode=(--long); fi
  "$py" tests/interop/run_interop.py --js-peer "$js" --python-peer "$py" --jaeger "$jaeger" "${mode[@]}" \
    "$service" "$dump"
}

step_fuzz() {
  cmake -S fuzz -B build/fuzz "${gen[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/fuzz -j "$jobs"
  local fuzz_seconds=$((long ? 300 : 20)) f corpus
  for f in build/fuzz/*_fuzz; do
    [ -x "$f" ] || continue
    corpus="fuzz/corpus/$(basename "$f")"
    mkdir -p "build/fuzz/corpus-$(basename "$f")"
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=0 "build/fuzz/corpus-$(basename "$f")" \
      $([ -d "$corpus" ] && echo "$corpus") 2>&1 | tail -n 2
  done
}

run_step "format check (clang-format-16)" step_format
run_step "header layering (scripts/check_layering.sh)" scripts/check_layering.sh
run_step "core only, optional packages hidden: configure messages, build, install" step_core_only
run_step "ASan+UBSan, clang 14, symmetric transfer: configure + clang-tidy" step_asan_clang_configure_and_tidy
run_step "ASan+UBSan, clang 14, symmetric transfer: whole suite" step_asan_clang_suite
run_step "ASan+UBSan, GCC 12, fallback protocol: coroutine/promise tests" step_asan_gcc_fallback
run_step "ThreadSanitizer, clang 14, symmetric transfer: concurrency tests" step_tsan_clang
run_step "Release, GCC 12, static: whole suite, examples, benchmarks" step_release_gcc
run_step "Release, GCC 12, static: install, find_package and pkg-config consumers" \
  check_install build/release-gcc release-gcc g++
run_step "Release, clang 14, shared libasyncctx.so: whole suite" step_shared_clang
run_step "Release, clang 14, shared libasyncctx.so: install, find_package and pkg-config consumers" \
  step_shared_clang_install
run_step "interop: OpenTelemetry JS and Python peers, Jaeger v1.75.0 (tests/interop)" step_interop
if [ -d fuzz ]; then
  run_step "fuzz smoke (libFuzzer)" step_fuzz
fi

summary
