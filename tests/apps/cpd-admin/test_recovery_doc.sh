#!/usr/bin/env bash
# test_recovery_doc.sh BUILD SOURCE — docs/recovery.md followed word for word: every `sh` block
# of it run in order, one command at a time, on a kiosk that ran for a while and whose disk
# then broke (a page of its events table garbage, its newest taps only in its WAL). Only the
# machine is stood in for: /var/lib/cpd-kiosk, /usr/share/cpd-kiosk/data and /tmp are folders
# of the test, `systemctl` writes what it was asked to a log, and `runuser -u cpd-kiosk --` runs
# the command as the test's own user. Then: every command did what the page says it does, and
# every tap the kiosk acknowledged is in the new store or in the rest file for the office.
set -euo pipefail
build=$(cd "${1:?usage: test_recovery_doc.sh BUILD SOURCE}" && pwd)
src=$(cd "${2:?usage: test_recovery_doc.sh BUILD SOURCE}" && pwd)
doc=$src/docs/recovery.md
fail() {
    echo "test_recovery_doc: $*" >&2
    exit 1
}

T=$(mktemp -d "${TMPDIR:-/tmp}/cpd-recovery-doc.XXXXXX")
holder=
cleanup() {
    [ -n "$holder" ] && kill -9 "$holder" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
var=$T/var/lib/cpd-kiosk
mkdir -p "$var" "$T/bin" "$T/root" "$T/tmp"
chmod 0700 "$var"
cat >"$T/bin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$T/systemctl.log"
EOF
cat >"$T/bin/runuser" <<'EOF'
#!/bin/sh
# runuser -u USER -- COMMAND…: as this user (the test has no cpd-kiosk user)
[ "$1" = -u ] && [ "$3" = -- ] || { echo "runuser: unexpected arguments: $*" >&2; exit 2; }
shift 3
exec "$@"
EOF
chmod +x "$T/bin/systemctl" "$T/bin/runuser"
ln -s "$build/cpd-admin" "$T/bin/cpd-admin"
printf '[kiosk]\ndatabase = %s/kiosk.db\n' "$var" >"$T/kiosk.ini"
export CPD_KIOSK_CONFIG=$T/kiosk.ini PATH=$T/bin:$PATH TMPDIR=$T/tmp

# ---- a kiosk that ran: 48 taps checkpointed into its file, 12 more only in its WAL ----------
badges=(04:5A:2B:72:1C:6E:80 C2:7F:3A:E5 9b1f6c3d 04-3B-19-D2-6A-71-81 04:B2:5E:1A:83:4C:80
    04D7E2A2B95C81)
tap() {
    local i=$1
    cpd-admin tap --badge "${badges[i % 6]}" \
        --at "2023-11-$((20 + i / 12)) $((15 + i % 12 / 4)):$((10 + i % 4 * 12))" >/dev/null
}
cpd-admin kiosk init >/dev/null
cpd-admin import programme "$src/data/programme-2023-24.csv" >/dev/null 2>&1
cpd-admin import roster "$src/data/demo-roster.csv" >/dev/null
cpd-admin import bookings "$src/data/demo-bookings.csv" >/dev/null
cpd-admin import credits "$src/data/demo-credits.csv" >/dev/null 2>&1
echo 4821 | cpd-admin trainer pin BIT0010 >/dev/null
count() { sqlite3 -readonly "$1" "SELECT count(*) FROM $2"; }
before_bookings=$(count "$var/kiosk.db" bookings)
before_credits=$(count "$var/kiosk.db" external_credits)
[ "$before_bookings" -gt 0 ] && [ "$before_credits" -gt 0 ] || fail "no bookings or credits"
for i in $(seq 0 47); do tap "$i"; done
# The second of the events table's leaves (in key order), to be damaged later.
page=$(sqlite3 -readonly "$var/kiosk.db" "SELECT pageno FROM dbstat WHERE name = 'events' AND
    pagetype = 'leaf' ORDER BY path LIMIT 1 OFFSET 1")
[ -n "$page" ] || fail "no second leaf"
# The kiosk holds its connection: nothing is checkpointed while it runs.
mkfifo "$T/hold"
sqlite3 "$var/kiosk.db" <"$T/hold" >/dev/null &
holder=$!
exec 3>"$T/hold"
echo 'SELECT count(*) FROM events;' >&3
sleep 0.3
for i in $(seq 48 59); do tap "$i"; done
[ -s "$var/kiosk.db-wal" ] || fail "the newest taps are not in a WAL"
kill -9 "$holder" # the power goes: no checkpoint
wait "$holder" 2>/dev/null || true
holder=
exec 3>&-
head -c 4096 /dev/zero >"$T/zeros"
openssl enc -aes-128-ctr -K 0123 -iv 00 -nosalt -in "$T/zeros" -out "$T/garbage" 2>/dev/null
dd if="$T/garbage" of="$var/kiosk.db" bs=4096 seek=$((page - 1)) conv=notrunc 2>/dev/null
# Every event the 60 taps made (a forgotten sign-out is closed by the next tap: two events).
total=$(wc -l <"$var/kiosk.db-receipts")
[ "$total" -ge 60 ] || fail "60 taps acknowledged, $total receipts"

# ---- the page, word for word ------------------------------------------------------------------
for f in roster bookings credits; do cp "$src/data/demo-$f.csv" "$T/root/$f.csv"; done
# Every sh block, in order; the machine's paths mapped to the test's folders.
awk '/^ *```sh$/ { on = 1; next } /^ *```$/ { on = 0; next } on { sub(/^ +/, ""); print }' \
    "$doc" | sed -e "s|/tmp/|@TMP@/|g" -e "s|/var/lib/cpd-kiosk|$var|g" \
    -e "s|/usr/share/cpd-kiosk/data|$src/data|g" -e "s|@TMP@/|$T/tmp/|g" >"$T/steps"
[ "$(grep -c . "$T/steps")" -ge 9 ] || fail "too few commands found in $doc: $(cat "$T/steps")"
cd "$T/root"
n=0
while IFS= read -r step; do
    [ -n "$step" ] || continue
    n=$((n + 1))
    set +e
    bash -c "$step" >"$T/out.$n" 2>&1
    rc=$?
    set -e
    printf '%d\t%s\t%s\n' "$rc" "$n" "$step" >>"$T/ran"
    case "$step" in
    *"cpd-admin salvage"*) # not everything could be read: says so with its exit status
        [ "$rc" -eq 1 ] || fail "salvage exited $rc: $(cat "$T/out.$n")"
        salvage_out=$T/out.$n
        ;;
    *) [ "$rc" -eq 0 ] || fail "step $n ($step) exited $rc: $(cat "$T/out.$n")" ;;
    esac
done <"$T/steps"

# ---- what the page says happened, happened ----------------------------------------------------
# What is not an event came back from the office's files.
[ "$(count "$var/kiosk.db" bookings)" = "$before_bookings" ] || fail "bookings not back"
[ "$(count "$var/kiosk.db" external_credits)" = "$before_credits" ] || fail "credits not back"
[ "$(count "$var/kiosk.db" trainer_pins)" = 1 ] || fail "the trainer's PIN not set again"
[ "$(cat "$T/systemctl.log")" = "$(printf 'stop cpd-kiosk\nstart cpd-kiosk')" ] ||
    fail "systemctl was asked: $(cat "$T/systemctl.log")"
for f in kiosk.db kiosk.db-wal kiosk.db-receipts; do
    [ -e "$var/damaged/$f" ] || fail "$f was not moved aside"
done
[ "$(stat -c %a "$var/damaged")" = 700 ] || fail "the damaged folder is not private"
grep -q "damaged/kiosk.db: held events 1–$total (" "$salvage_out" ||
    fail "salvage did not find $total events: $(cat "$salvage_out")"
grep -q "the tap receipts: $total" "$salvage_out" ||
    fail "no receipts counted: $(cat "$salvage_out")"
grep -q "^$total accounted for: " "$salvage_out" ||
    fail "not all accounted for: $(cat "$salvage_out")"
grep -q "every event of the damaged store is now" "$salvage_out" && fail "salvage said everything"
# The new store verifies (the page ran verify) and holds what salvage added, in order.
added=$(sed -n "s/^$total accounted for: \([0-9]*\) added to .*/\1/p" "$salvage_out")
[ -n "$added" ] && [ "$added" -gt 0 ] || fail "nothing added: $(cat "$salvage_out")"
grep -rqx "$added events: hash chain and signatures verified" "$T"/out.* ||
    fail "verify did not pass on the $added events added"
# Every acknowledged tap not added is a row of the rest file (by its number, or in a run of
# numbers nothing else is known of); the newest, from the WAL, whole (their uuid and type).
rest=$var/damaged/kiosk.db.rest.csv
[ -s "$rest" ] && [ "$(stat -c %a "$rest")" = 600 ] || fail "no private rest file"
for seq in $(seq $((added + 1)) "$total"); do
    grep -q "^\"$seq\"," "$rest" && continue
    awk -F'","' -v s="$seq" '{ gsub(/"/, "", $1) } $NF ~ /could not be read: the / {
        split($NF, w, " "); n = w[6]; if (s >= $1 && s < $1 + n) found = 1 } END { exit !found }' \
        "$rest" || fail "acknowledged event $seq is neither added nor in the rest file"
done
grep -q "^\"$total\",\"[0-9a-f-]\{36\}\",\"central-1\",\"[a-z_]\+\"," "$rest" ||
    fail "the newest event (in the WAL) is not in the rest file whole: $(tail -3 "$rest")"
echo "test_recovery_doc: docs/recovery.md followed: $added of $total events added, the rest listed"
