#!/bin/sh
# check-layers.sh must fail on each kind of arrow it exists to stop: up a layer, sideways, an
# angle-bracket project include, "../", a folder in no layer, a library's second includer. A
# broken tree is made in a temporary directory; every violation must be named, and a clean
# file must not be.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tree=$(mktemp -d) || exit 2
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/core/domain" "$tree/core/store" "$tree/ui/sdl" "$tree/core/misc" "$tree/sync"
printf '#include "core/store/store.h"\n' >"$tree/core/domain/up.c"
printf '#include <core/store/store.h>\n' >"$tree/core/domain/angle.c"
printf '#include "../store/store.h"\n' >"$tree/core/domain/dots.c"
printf '#include "ui/sdl/render_sdl.h"\n' >"$tree/ui/sideways.c"
printf '#include "apps/cpd-kiosk/app.h"\n' >"$tree/core/misc/nowhere.c"
printf '#include <sqlite3.h>\n' >"$tree/sync/second.c"
printf '#include "core/domain/rules.h"\n#include <stdio.h>\n' >"$tree/core/store/clean.c"
out=$(sh "$here/check-layers.sh" "$tree" 2>&1)
rc=$?
fail=0
expect() {
    case "$out" in
    *"$1"*) ;;
    *) echo "check-layers did not report: $1" && fail=1 ;;
    esac
}
[ $rc = 1 ] || { echo "check-layers exited $rc on a broken tree, not 1"; fail=1; }
expect 'core/domain/up.c:1: #include "core/store/store.h": core/domain may not include it'
expect 'core/domain/angle.c:1: #include <core/store/store.h>: the project'"'"'s headers are included in quotes'
expect 'core/domain/angle.c:1: #include "core/store/store.h": core/domain may not include it'
expect 'core/domain/dots.c:1: #include "../store/store.h": one include root'
expect 'ui/sideways.c:1: #include "ui/sdl/render_sdl.h": ui may not include it'
expect 'core/misc/nowhere.c:1: core/misc is in no layer'
expect 'sync/second.c:1: <sqlite3.h> belongs to core/store/store_internal.h only'
case "$out" in *clean.c*) echo "check-layers reported a clean file: $out" && fail=1 ;; esac
[ $fail = 0 ] || { printf '%s\n' "$out"; exit 1; }
echo "check-layers self-test: every kind of violation is reported"
