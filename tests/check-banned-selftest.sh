#!/bin/sh
# check-banned.sh must name a banned call, and not a safe one or a comment that mentions one.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tree=$(mktemp -d) || exit 2
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/core/domain" "$tree/ui"
printf 'void f(char *d) { strcpy(d, "x"); }\n' >"$tree/core/domain/bad.c"
printf 'void g(char *d) {\n    sprintf(d, "%%d", 1);\n}\n' >"$tree/ui/bad.c"
printf '/* strcpy( is banned */\nvoid h(char *d) { snprintf(d, 2, "x"); my_strcpy(d); }\n' >"$tree/ui/good.c"
out=$(sh "$here/check-banned.sh" "$tree" 2>&1)
rc=$?
fail=0
[ $rc = 1 ] || { echo "check-banned exited $rc on a tree with banned calls, not 1"; fail=1; }
case "$out" in *"core/domain/bad.c:1: a banned function"*) ;; *) echo "strcpy not named: $out"; fail=1 ;; esac
case "$out" in *"ui/bad.c:2: a banned function"*) ;; *) echo "sprintf not named: $out"; fail=1 ;; esac
case "$out" in *"good.c"*) echo "a safe file was named: $out"; fail=1 ;; esac
[ $fail = 0 ] && echo "check-banned-selftest: every banned call named, nothing else"
exit $fail
