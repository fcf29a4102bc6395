#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine as root:
#   format check, the suite under AddressSanitizer+UBSan, the concurrency tests under
#   ThreadSanitizer, install + find_package consumer, fuzz smoke runs, benchmark build.
# Usage: scripts/test.sh [--long]   (--long: full-size stress/soak/fuzz runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/deps.sh

long=0
for arg in "$@"; do
  case "$arg" in
    --long) long=1 ;;
    *) echo "usage: $0 [--long]" >&2; exit 2 ;;
  esac
done
if ((long)); then export ASYNCCTX_STRESS=long; fi

asyncctx_ensure_packages "${ASYNCCTX_BUILD_PACKAGES[@]}" "${ASYNCCTX_CHECK_PACKAGES[@]}"
asyncctx_ccache_env
jobs=$(nproc)
gen=(-G Ninja)
step() { printf '\n==== %s (at %ds) ====\n' "$*" "$SECONDS"; }

step "format check (clang-format)"
mapfile -t sources < <(git ls-files '*.hpp' '*.cpp' 2>/dev/null || find include src tests bench examples fuzz -name '*.[ch]pp')
clang-format --dry-run -Werror "${sources[@]}"
echo "${#sources[@]} files formatted"

step "AddressSanitizer + UndefinedBehaviorSanitizer: configure"
cmake -S . -B build/asan "${gen[@]}" -DCMAKE_BUILD_TYPE=Debug -DASYNCCTX_SANITIZE=address,undefined \
  -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_BENCH=OFF >/dev/null

step "clang-tidy (.clang-tidy) on the compiled sources"
mapfile -t tidy_sources < <(git ls-files 'src/*.cpp' 2>/dev/null || find src -name '*.cpp')
if ! tidy_out=$(clang-tidy -p build/asan --quiet --warnings-as-errors='*' "${tidy_sources[@]}" 2>&1); then
  grep -v "warnings generated" <<<"$tidy_out"
  echo "clang-tidy found problems (see above)"
  exit 1
fi
echo "${#tidy_sources[@]} files clean"

step "AddressSanitizer + UndefinedBehaviorSanitizer: build and run"
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

step "ThreadSanitizer: concurrency tests"
cmake -S . -B build/tsan "${gen[@]}" -DCMAKE_BUILD_TYPE=Debug -DASYNCCTX_SANITIZE=thread \
  -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON -DASYNCCTX_BUILD_EXAMPLES=OFF >/dev/null
mapfile -t tsan_targets < <(ctest --test-dir build/tsan -N -L concurrency | awk '/Test +#/ {print $3}')
cmake --build build/tsan -j "$jobs" --target "${tsan_targets[@]}"
# GCC 12's TSan cannot map its shadow with the high mmap entropy of newer kernels.
tsan_run=()
if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then tsan_run=(setarch "$(uname -m)" -R); fi
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  "${tsan_run[@]}" ctest --test-dir build/tsan --output-on-failure -L concurrency -j "$jobs"

step "install + find_package(asyncctx) consumer"
cmake -S . -B build/install-check "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DASYNCCTX_BUILD_TESTS=OFF \
  -DASYNCCTX_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/install-check -j "$jobs"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install build/install-check --prefix "$prefix" >/dev/null
cmake -S tests/install_consumer -B build/consumer "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build build/consumer -j "$jobs"
./build/consumer/consumer
if [ -x build/consumer/consumer_asio ]; then ./build/consumer/consumer_asio; fi

if [ -d fuzz ]; then
  step "fuzz smoke (libFuzzer)"
  cmake -S fuzz -B build/fuzz "${gen[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/fuzz -j "$jobs"
  fuzz_seconds=$((long ? 300 : 20))
  for f in build/fuzz/*_fuzz; do
    [ -x "$f" ] || continue
    corpus="fuzz/corpus/$(basename "$f")"
    mkdir -p "build/fuzz/corpus-$(basename "$f")"
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=0 "build/fuzz/corpus-$(basename "$f")" \
      $([ -d "$corpus" ] && echo "$corpus") 2>&1 | tail -n 2
  done
fi

step "Release build: whole suite without sanitizers (block cache, real symmetric transfer), benchmarks built"
cmake -S . -B build/release "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASYNCCTX_COUNT_LIVE_CONTEXTS=ON \
  -DASYNCCTX_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

echo
echo "asyncctx: all checks passed in ${SECONDS}s"
