#!/usr/bin/env bash
# Layering of the headers: include/asyncctx/detail/ is the bottom layer. A detail header may
# include other detail headers, the standard library and the generated
# <asyncctx/version.hpp> (a leaf: macros only), never a public asyncctx header
# (<asyncctx/...> outside asyncctx/detail/), which would make the internals depend on the API
# built on them. Prints each offending include as file:line: text; exits 1 if there is any.
# Usage: scripts/check_layering.sh [include-dir]   (default: include)
set -euo pipefail
cd "$(dirname "$0")/.."
include_dir=${1:-include}

offenders=0
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  text=${rest#*:}
  header=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$text")
  case "$header" in
    asyncctx/detail/*) continue ;;
    asyncctx/version.hpp) continue ;;
  esac
  echo "$file:$line: $(sed -E 's/^[[:space:]]+//' <<<"$text")  (public header included by a detail header)"
  offenders=$((offenders + 1))
done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]asyncctx/' \
  $(find "$include_dir/asyncctx/detail" -type f \( -name '*.hpp' -o -name '*.h' -o -name '*.ipp' \) | sort) /dev/null || true)

if ((offenders)); then
  echo "check_layering: $offenders include(s) of public headers in $include_dir/asyncctx/detail/"
  exit 1
fi
echo "check_layering: $include_dir/asyncctx/detail/ includes no public asyncctx header"
