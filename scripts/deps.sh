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

# What building the library, its integrations, tests and examples needs.
ASYNCCTX_BUILD_PACKAGES=(
  g++ cmake make ninja-build ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost1.81-dev libspdlog-dev libfmt-dev
)
# Tools of the test command: format/lint checks and the fuzzers (clang's libFuzzer).
ASYNCCTX_CHECK_PACKAGES=(clang-format clang-tidy clang libclang-rt-14-dev)

asyncctx_ccache_env() {
  # Paths relative to the checkout, so a fresh clone (CI) hits the cache of the last one.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
  export CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
}
