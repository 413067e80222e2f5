#!/bin/sh
# The layers, checked from the #includes (docs/architecture.md): every arrow points down or
# stays in its folder, there is one include root (no "../"), and each external library is
# included by exactly one file of the product. Prints each violation as FILE:LINE: why, and
# exits 1 if there is any. Run by ctest (test_layers) and so by ./run test and CI; the tree
# to check is the argument (default: this checkout), so a test can hand it a broken one.
set -u
set -f # the rules below are patterns for case, never file names to expand
cd "${1:-$(dirname "$0")/..}" || exit 2

# What each folder may include, besides the C library and its own folder. Folders are matched
# longest first; apps/ and tests/ and bench/ may include anything of the product.
allowed() {
    case "$1" in
    core/base/*) echo "core/base" ;;
    core/domain/*) echo "core/base core/domain" ;;
    core/store/*) echo "core/base core/domain core/store" ;;
    core/services/*) echo "core/base core/domain core/store core/services" ;;
    firmware-host/*) echo "core/base core/domain firmware-host" ;;
    sync/ledger/*) echo "core/base core/domain core/store core/services sync" ;;
    sync/*) echo "core/base core/domain core/store core/services sync/." ;;
    ui/sdl/*) echo "core/base core/domain core/services/report.h ui" ;;
    ui/*) echo "core/base core/domain core/store core/services ui/." ;;
    config/*) echo "core/base core/domain firmware-host/reader.h sync/sync_options.h config" ;;
    apps/cpd-admin/*) echo "core config firmware-host sync ui/sdl/paper.h ui/sdl/fontfind.h apps/cpd-admin" ;;
    apps/cpd-kiosk/*) echo "core config firmware-host sync ui apps/cpd-kiosk" ;;
    tests/* | bench/*) echo "*" ;;
    *) echo "?" ;; # a folder this script does not know: it must be placed in a layer first
    esac
}

# The one file of the product allowed to include each external library's header.
owner_of() {
    case "$1" in
    sqlite3.h) echo "core/store/store_internal.h" ;;
    sodium.h) echo "core/domain/crypto.c" ;;
    jansson.h) echo "core/domain/payload.c" ;;
    csv.h) echo "core/services/csvfile.c" ;;
    ini.h) echo "config/config.c" ;;
    nfc/nfc.h) echo "firmware-host/reader_libnfc.c" ;;
    libpq-fe.h) echo "sync/sync_pg.c" ;;
    SDL.h | SDL_ttf.h | SDL2/SDL.h | SDL2/SDL_ttf.h) echo "ui/sdl/render_sdl.c" ;;
    fontconfig/fontconfig.h) echo "ui/sdl/fontfind.c" ;;
    cairo.h | cairo-pdf.h) echo "ui/sdl/paper.c" ;;
    systemd/sd-daemon.h) echo "apps/cpd-kiosk/service.c" ;;
    *) echo "" ;;
    esac
}

bad=0
say() {
    printf '%s\n' "$*"
    bad=1
}

files=$(git ls-files -- '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' | sed 's|^\./||')
for f in $files; do
    rules=$(allowed "$f")
    grep -n '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
        no=${line%%:*}
        inc=$(printf '%s' "$line" | sed -n 's/.*#[[:space:]]*include[[:space:]]*[<"]\([^">]*\)[">].*/\1/p')
        quoted=$(printf '%s' "$line" | grep -c '#[[:space:]]*include[[:space:]]*"')
        case "$inc" in
        ../* | */../*) printf '%s:%s: #include "%s": one include root, no "../"\n' "$f" "$no" "$inc" ;;
        esac
        # External libraries: only their one owner (product code; tests and bench are free).
        own=$(owner_of "$inc")
        case "$f" in tests/* | bench/*) own="" ;; esac
        if [ -n "$own" ] && [ "$own" != "$f" ]; then
            printf '%s:%s: <%s> belongs to %s only\n' "$f" "$no" "$inc" "$own"
        fi
        case "$inc" in
        core/* | config/* | firmware-host/* | sync/* | ui/* | apps/* | tests/* | bench/*) ;;
        *) continue ;; # a third-party header (PostgreSQL's in the extension)
        esac
        [ "$quoted" = 1 ] ||
            printf '%s:%s: #include <%s>: the project'"'"'s headers are included in quotes\n' \
                "$f" "$no" "$inc"
        [ "$rules" = "*" ] && continue
        if [ "$rules" = "?" ]; then
            printf '%s:%s: %s is in no layer (add it to tests/check-layers.sh and '\
'docs/architecture.md)\n' "$f" "$no" "${f%/*}"
            continue
        fi
        ok=0
        for r in $rules; do
            case "$r" in
            */.) # the folder's own files, not its subfolders'
                dir=${r%/.}
                case "$inc" in "$dir"/*/*) ;; "$dir"/*) ok=1 ;; esac
                ;;
            *)
                # shellcheck disable=SC2254
                case "$inc" in $r/* | $r) ok=1 ;; esac
                ;;
            esac
        done
        [ $ok = 1 ] || printf '%s:%s: #include "%s": %s may not include it (allowed: %s)\n' \
            "$f" "$no" "$inc" "${f%/*}" "$rules"
    done
done >/tmp/check-layers.$$
if [ -s /tmp/check-layers.$$ ]; then
    cat /tmp/check-layers.$$
    rm -f /tmp/check-layers.$$
    echo "check-layers: the includes above break the layering (docs/architecture.md)" >&2
    exit 1
fi
rm -f /tmp/check-layers.$$
n=$(printf '%s\n' $files | wc -l)
echo "check-layers: $n files, every include points down"
exit 0
