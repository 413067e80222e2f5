/* cpd-admin events, verify, rebuild: the event log and its integrity. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/utf8.h"
#include "core/services/tapflow.h"
#include "apps/cpd-admin/admin.h"
#include "core/base/zone.h"

static int print_event(void *ctx, const struct event *e)
{
    (void)ctx;
    char when[32], person[3 * DOMAIN_CODE_MAX], session[3 * DOMAIN_CODE_MAX],
        payload[3 * EVENT_PAYLOAD_MAX];
    zone_format_day_time(e->wall_us, when);
    /* A store may be a damaged or edited copy: nothing in it may forge a line or reach the
     * terminal as an escape. */
    utf8_printable(person, sizeof(person), e->person[0] ? e->person : "-");
    utf8_printable(session, sizeof(session), e->session[0] ? e->session : "-");
    utf8_printable(payload, sizeof(payload), e->payload);
    printf("%6" PRId64 "  %s  %-15s %-10s %-24s %s\n", e->seq, when,
           e->type < EV_TYPE_COUNT ? event_type_code(e->type) : "?", person, session, payload);
    return 0;
}

int cmd_events(struct admin *a, int argc, char **argv)
{
    static const char help[] = "usage: cpd-admin events [--from SEQ]\n"
                               "Lists the append-only event log from SEQ (default 1).\n";
    const char *value = NULL;
    int first = 0;
    int rc = admin_one_option(argc, argv, "from", true, help, &value, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char *end = NULL;
    long long from = value ? strtoll(value, &end, 10) : 1;
    if (first != argc || (value && (*end || from < 1))) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    if (admin_open_store_readonly(a) != 0)
        return 1;
    printf("%6s  %-16s  %-15s %-10s %-24s %s\n", "SEQ", "LOCAL TIME", "TYPE", "PERSON", "SESSION",
           "PAYLOAD");
    int err = store_events_each(a->store, from, print_event, NULL);
    if (err != STORE_OK)
        admin_error("%s", cpd_strerror(err));
    return err == STORE_OK ? 0 : 1;
}

/* The key to check against: the signing key file's public half, else the one recorded at
 * kiosk init; when both exist they must agree. */
static int public_key(struct admin *a, uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    char hex[2 * CRYPTO_SIGN_PK_BYTES + 1] = "";
    uint8_t recorded[CRYPTO_SIGN_PK_BYTES];
    bool have_recorded = store_meta_get(a->store, "public_key", hex, sizeof(hex)) == STORE_OK &&
                         crypto_unhex(recorded, sizeof(recorded), hex) == 0;
    int err = keys_load_sign(a->sign_key_path, &a->keys);
    if (err == KEYS_OK) {
        memcpy(pk, a->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
        if (have_recorded && memcmp(recorded, pk, CRYPTO_SIGN_PK_BYTES) != 0) {
            admin_error("%s is not the key recorded in the database", a->sign_key_path);
            return 1;
        }
        return 0;
    }
    if (have_recorded) {
        memcpy(pk, recorded, CRYPTO_SIGN_PK_BYTES);
        return 0;
    }
    admin_error("%s: %s", a->sign_key_path, cpd_strerror(err));
    return 1;
}

/* The tap receipts beside the database, read before the database is (a receipt is written
 * after its commit: whatever it names was committed before what verify then reads). */
struct receipts_read {
    struct store_receipts receipts;
    int err;
    char why[512];
};

/* The receipts against the events: an acknowledged event the file no longer holds (a lost
 * WAL, an old copy put back) is named, with its seq. */
static int check_receipts(struct admin *a, struct receipts_read *rr)
{
    struct store_receipts_check c;
    if (rr->err == STORE_ENOTFOUND && store_receipts_expected(a->store)) {
        admin_error("its receipts are missing (%s): nothing can show whether acknowledged taps "
                    "are missing too — they belong with the database (docs/recovery.md)",
                    rr->why);
        return 1;
    }
    if (rr->err == STORE_ENOTFOUND) {
        printf("receipts: none beside it (a store from before them): nothing to compare with\n");
        return 0;
    }
    if (rr->err != STORE_OK) {
        admin_error("%s: %s — not compared", cpd_strerror(rr->err), rr->why);
        return 1;
    }
    int err = store_check_receipts(a->store, &rr->receipts, &c);
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    int rc = 0;
    if (c.missing) {
        char which[96];
        if (c.missing == 1)
            snprintf(which, sizeof(which), "seq %" PRId64, c.missing_low);
        else if (c.missing == c.missing_high - c.missing_low + 1)
            snprintf(which, sizeof(which), "seq %" PRId64 "–%" PRId64, c.missing_low,
                     c.missing_high);
        else
            snprintf(which, sizeof(which), "between seq %" PRId64 " and %" PRId64, c.missing_low,
                     c.missing_high);
        admin_error("%" PRId64 " acknowledged event%s missing from the database: %s (the "
                    "receipts beside it list %s) — docs/recovery.md",
                    c.missing, c.missing == 1 ? " is" : "s are", which,
                    c.missing == 1 ? "it" : "them");
        rc = 1;
    }
    if (c.differ) {
        admin_error("%" PRId64 " event%s not the one acknowledged with that number (the first: "
                    "seq %" PRId64 ")",
                    c.differ, c.differ == 1 ? " is" : "s are", c.first_differ);
        rc = 1;
    }
    if (rr->receipts.damaged_lines)
        printf("receipts: %" PRId64 " damaged line%s (the first: line %" PRId64
               "): each fails its own check and names nothing\n",
               rr->receipts.damaged_lines, rr->receipts.damaged_lines == 1 ? "" : "s",
               rr->receipts.first_damaged_line);
    if (rc == 0)
        printf("receipts: %" PRId64 " acknowledged, none missing\n", c.receipts);
    return rc;
}

static int verify(struct admin *a, const uint8_t pk[], struct receipts_read *rr);

int cmd_verify(struct admin *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--ledger", 8) == 0)
            return cmd_verify_ledger(a, argc, argv);
    }
    static const char help[] =
        "usage: cpd-admin verify\n"
        "Checks every event's hash chain and Ed25519 signature; names the first bad event.\n";
    int usage = admin_no_arguments(argc, argv, help);
    if (usage >= 0)
        return usage;
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    struct receipts_read *rr = calloc(1, sizeof(*rr));
    if (!rr) {
        admin_error("out of memory");
        return 1;
    }
    rr->err = store_receipts_read(a->cfg.kiosk.database, &rr->receipts, rr->why, sizeof(rr->why));
    int rc = admin_open_store_readonly(a) != 0 || public_key(a, pk) != 0 ? 1 : verify(a, pk, rr);
    store_receipts_free(&rr->receipts);
    free(rr);
    return rc;
}

static int verify(struct admin *a, const uint8_t pk[], struct receipts_read *rr)
{
    struct store_verify_report r;
    int err = store_verify(a->store, pk, &r);
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    if (r.first_bad_seq) {
        admin_error("event %" PRId64 ": %s (of %" PRId64 " events checked)", r.first_bad_seq,
                    cpd_strerror(r.error), r.events);
        return 1;
    }
    printf("%" PRId64 " event%s: hash chain and signatures verified\n", r.events,
           r.events == 1 ? "" : "s");
    if (check_receipts(a, rr) != 0)
        return 1;
    if (r.purged_below > 1)
        printf("events before seq %" PRId64 " were purged after the ledger had them; the chain "
               "starts there, at a signed event naming the last one purged\n",
               r.purged_below);
    /* The clock this machine would tap with, judged as the kiosk judges it. */
    char boot[CLOCK_BOOT_ID_LEN];
    clock_boot_id(boot);
    struct tapflow flow = {.store = a->store, .rules = &a->cfg.rules, .boot_id = boot};
    enum clock_verdict clock = CLOCK_OK;
    if (tapflow_clock(&flow, clock_wall_us(), clock_monotonic_us(), &clock) == STORE_OK)
        printf("clock: %s%s\n", clock_verdict_text(clock),
               clock == CLOCK_OK ? "" : " — taps are refused until it is put right");
    return 0;
}

int cmd_rebuild(struct admin *a, int argc, char **argv)
{
    static const char help[] = "usage: cpd-admin rebuild\n"
                               "Rebuilds the attendance projection from the event log.\n";
    int usage = admin_no_arguments(argc, argv, help);
    if (usage >= 0)
        return usage;
    if (admin_open_store(a) != 0)
        return 1;
    int err = store_rebuild_projections(a->store);
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    int64_t n = 0;
    store_count(a->store, "attendance", &n);
    printf("attendance rebuilt from the events: %" PRId64 " rows\n", n);
    return 0;
}
