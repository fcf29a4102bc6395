# Sourced by scripts/test.sh (after scripts/deps.sh): installs the pinned peers of the interop
# test (tests/interop/) into a cache and prints where they are. Each function installs only
# what the cache lacks, into a temporary folder renamed into place when complete, so an
# interrupted install is never mistaken for a finished one.
#
#   asyncctx_peer_js       OpenTelemetry JS (tests/interop/js/package.json + package-lock.json,
#                          every version exact), installed with `npm ci`; prints the folder
#                          holding node_modules/
#   asyncctx_peer_python   OpenTelemetry Python (tests/interop/python/requirements.txt, every
#                          version exact) in a virtual environment; prints its python
#   asyncctx_peer_jaeger   Jaeger, github.com/jaegertracing/jaeger/cmd/jaeger at the version
#                          and module checksum below, built from the Go module proxy; prints
#                          the binary
#
# The cache is ${ASYNCCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asyncctx}/peers. A folder's
# name carries a hash of what it was installed from, so a changed pin installs anew beside the
# old one. npm, pip and go use the machine's own registry configuration; nothing here names a
# registry. Progress goes to stderr; stdout carries only the printed path.
#
# Tools: node >= 20.6 with npm (installed from Debian when missing), python3 with venv, and
# go >= the go line of Jaeger's go.mod (1.24.6 for v1.75.0; GOTOOLCHAIN=local, so go never
# fetches another toolchain). Debian 12's golang-go (1.19) is too old, so go is not installed
# here: its absence is an error that says so.

ASYNCCTX_JAEGER_MODULE=github.com/jaegertracing/jaeger
ASYNCCTX_JAEGER_VERSION=v1.75.0
# The module's go.sum line for that version (h1: hash of the zip); go also checks it against
# the checksum database, this pins it in the repository.
ASYNCCTX_JAEGER_SUM="h1:OWj6uKRJ8QaH+AVypRwqINGi3Q/WOchbEfp53FJK0Xk="

asyncctx_peers_dir() {
  local dir="${ASYNCCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asyncctx}/peers"
  mkdir -p "$dir"
  echo "$dir"
}

# _asyncctx_peer_hash <file...>: 16 hex digits naming the content of the files.
_asyncctx_peer_hash() { cat "$@" | sha256sum | cut -c1-16; }

_asyncctx_peer_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

_asyncctx_peer_log() { echo "asyncctx peers: $*" >&2; }

asyncctx_peer_js() {
  local root src dir tmp start=$SECONDS
  root=$(_asyncctx_peer_root)
  src=$root/tests/interop/js
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    asyncctx_ensure_packages nodejs npm >&2
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  dir="$(asyncctx_peers_dir)/js-node$major-$(_asyncctx_peer_hash "$src/package.json" "$src/package-lock.json")"
  if [ ! -d "$dir/node_modules" ]; then
    _asyncctx_peer_log "installing OpenTelemetry JS into $dir"
    tmp=$(mktemp -d "$dir.tmp.XXXXXX")
    cp "$src/package.json" "$src/package-lock.json" "$tmp/"
    if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
      rm -rf "$tmp"
      _asyncctx_peer_log "npm ci failed"
      return 1
    fi
    # Another run may have finished the same install meanwhile: keep the first one.
    if [ ! -d "$dir/node_modules" ]; then rm -rf "$dir"; fi
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    _asyncctx_peer_log "OpenTelemetry JS installed in $((SECONDS - start))s"
  fi
  echo "$dir"
}

asyncctx_peer_python() {
  local root req dir pyver start=$SECONDS
  root=$(_asyncctx_peer_root)
  req=$root/tests/interop/python/requirements.txt
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    asyncctx_ensure_packages python3-venv >&2
  fi
  pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  dir="$(asyncctx_peers_dir)/python$pyver-$(_asyncctx_peer_hash "$req")"
  # A venv records its own path in its scripts, so it is made in place; the marker file,
  # written last, says the install finished.
  if [ ! -f "$dir/.complete" ]; then
    _asyncctx_peer_log "installing OpenTelemetry Python into $dir"
    rm -rf "$dir"
    if ! python3 -m venv "$dir" >&2 ||
      ! "$dir/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
        -r "$req" >&2; then
      rm -rf "$dir"
      _asyncctx_peer_log "pip install failed"
      return 1
    fi
    touch "$dir/.complete"
    _asyncctx_peer_log "OpenTelemetry Python installed in $((SECONDS - start))s"
  fi
  echo "$dir/bin/python"
}

asyncctx_peer_jaeger() {
  local dir bin info src sum tmp start=$SECONDS
  dir="$(asyncctx_peers_dir)/jaeger-$ASYNCCTX_JAEGER_VERSION"
  bin=$dir/bin/jaeger
  if [ ! -x "$bin" ]; then
    if ! command -v go >/dev/null; then
      _asyncctx_peer_log "go is missing: Jaeger $ASYNCCTX_JAEGER_VERSION needs go >= 1.24.6 (Debian 12's golang-go is too old)"
      return 1
    fi
    _asyncctx_peer_log "building Jaeger $ASYNCCTX_JAEGER_VERSION into $dir (several minutes)"
    # `go install module/cmd/jaeger@version` refuses modules whose go.mod has replace
    # directives, as Jaeger's has: build inside the downloaded module instead, as its own
    # main module, so those directives apply exactly as in Jaeger's own build.
    info=$(cd / && GOFLAGS=-mod=mod go mod download -json "$ASYNCCTX_JAEGER_MODULE@$ASYNCCTX_JAEGER_VERSION") || return 1
    src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
    sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
    if [ "$sum" != "$ASYNCCTX_JAEGER_SUM" ]; then
      _asyncctx_peer_log "Jaeger $ASYNCCTX_JAEGER_VERSION has checksum '$sum', expected $ASYNCCTX_JAEGER_SUM"
      return 1
    fi
    tmp=$(mktemp -d "$dir.tmp.XXXXXX")
    cp -R "$src" "$tmp/src"
    chmod -R u+w "$tmp/src"
    if ! (cd "$tmp/src" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -trimpath -o "$tmp/bin/jaeger" ./cmd/jaeger >&2); then
      rm -rf "$tmp"
      _asyncctx_peer_log "building Jaeger failed"
      return 1
    fi
    rm -rf "$tmp/src"
    if [ ! -x "$bin" ]; then rm -rf "$dir"; fi
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    _asyncctx_peer_log "Jaeger built in $((SECONDS - start))s"
  fi
  echo "$bin"
}
