#!/bin/sh
# Functions the product never calls (as curl's checksrc bans them): they write past a buffer
# the moment a string is longer than someone expected — strcpy, strcat, strncat, sprintf,
# vsprintf, gets — or keep hidden state (strtok). snprintf, memcpy with a known length, or
# the project's strcopy/utf8_copy instead. Prints each call as FILE:LINE: name and exits 1
# when there is any; the tree is the argument (default: this checkout), so a test can hand it
# a broken one. Tests and benchmarks may use them on their own fixed text.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
found=$(find core ui sync apps firmware-host config -name '*.[ch]' 2>/dev/null | sort |
    xargs -r grep -nE '(^|[^_[:alnum:]])(strcpy|strcat|strncat|sprintf|vsprintf|gets|strtok)[[:space:]]*\(' |
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
if [ -n "$found" ]; then
    printf '%s\n' "$found" | sed -E 's/^([^:]+:[0-9]+):.*/\1: a banned function (tests\/check-banned.sh says what instead)/'
    exit 1
fi
echo "check-banned: none of strcpy, strcat, strncat, sprintf, vsprintf, gets, strtok in the product"
