/* The kiosk's sync against a ledger that says what the input says (fake_libpq.c): the schema
 * version, the clock, the chain tip, this kiosk's own events and keys (a restored kiosk heals),
 * the push acknowledgements, the pull cursor and every row pulled; then a tap, as the kiosk's
 * next one, on what the sync left (the roster, the programme, the ledger's clock reading).
 * Whatever the ledger sends, the kiosk's own chain must still verify afterwards. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/services/tapflow.h"
#include "sync/sync.h"
#include "tests/sync/fake_libpq.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void on_progress(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)done;
    (void)total;
}

/* BIT0001's badge (data/demo-roster.csv) at 15:40 on the day of au1-bit-leader, a session of
 * the shipped programme: what the next tap would decide after this sync. */
static void tap(struct store *s)
{
    char boot[CLOCK_BOOT_ID_LEN];
    clock_boot_id(boot);
    struct tapflow flow = {.store = s,
                           .rules = fuzz_rules(),
                           .site_key = fuzz_keys()->site,
                           .clock_state = "synced",
                           .boot_id = boot};
    enum clock_verdict verdict;
    int64_t at = 1695912000000000; /* 2023-09-28 15:40 BST */
    (void)tapflow_clock(&flow, clock_wall_us(), clock_monotonic_us(), &verdict);
    struct uid uid;
    static struct tap_result result; /* large: not on the stack */
    if (uid_parse("04:5A:2B:72:1C:6E:80", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, &uid) != UID_OK)
        fuzz_die("the demo badge does not parse");
    memset(&result, 0, sizeof(result));
    int err = tapflow_tap(&flow, &uid, at, clock_monotonic_us(), 0, &result);
    fuzz_say("tap: %s, outcome %d", cpd_strerror(err), (int)result.decision.outcome);
    tapflow_result_free(&result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_pg_load(data, size);
    struct store *s = fuzz_store_fresh(FUZZ_STORE_KIOSK);
    struct sync_options o = {.conninfo = "dbname=fuzz", .batch = 1, .connect_timeout_s = 1};
    struct sync_report r;
    char why[512] = "";
    int err = sync_run(&o, s, on_progress, NULL, &r, why, sizeof(why));
    fuzz_touch(why);
    fuzz_say("sync: %s: %s (pushed %lld, healed %lld, pulled %d %d %d %d %d %d)", cpd_strerror(err),
             why, (long long)r.pushed, (long long)r.healed, r.pulled[0], r.pulled[1], r.pulled[2],
             r.pulled[3], r.pulled[4], r.pulled[5]);
    struct sync_state state;
    if (sync_state_read(s, &state) == STORE_OK)
        fuzz_touch(state.last_error);
    tap(s);
    struct store_verify_report v;
    if (store_verify(s, fuzz_keys()->sign_pk, &v) != STORE_OK || v.first_bad_seq != 0)
        fuzz_die("after the sync the kiosk's chain does not verify (seq %lld)",
                 (long long)v.first_bad_seq);
    store_close(s);
    fake_pg_unload();
    return 0;
}
