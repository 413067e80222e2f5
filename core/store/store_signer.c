/* Whose chain this is, and whether it may be signed on: the site key the badges were enrolled
 * with, the signing key the events carry, the newest events verifying, none missing below the
 * high-water mark, and none acknowledged (the tap receipts) that the file no longer holds. */
#include "core/store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_site_key_check(struct store *s, const uint8_t key[CRYPTO_SITE_KEY_BYTES], bool record)
{
    /* A digest of the key, never the key: enough to tell the right key from another. */
    static const char label[] = "cpd-kiosk site key check v1";
    uint8_t digest[CRYPTO_HASH_BYTES];
    char hex[2 * CRYPTO_HASH_BYTES + 1], recorded[2 * CRYPTO_HASH_BYTES + 8];
    crypto_sha256(digest, key, CRYPTO_SITE_KEY_BYTES, label, sizeof(label) - 1);
    crypto_hex(hex, digest, CRYPTO_HASH_BYTES);
    int err = store_meta_get(s, "site_key_check", recorded, sizeof(recorded));
    bool none = err == STORE_ENOTFOUND || (err == STORE_OK && recorded[0] == '\0');
    if (err == STORE_OK && !none && strcmp(recorded, hex) != 0) {
        snprintf(s->message, sizeof(s->message),
                 "the badges here were enrolled with another site key");
        return STORE_EKEY;
    }
    if (none)
        return record ? store_meta_set(s, "site_key_check", hex) : STORE_OK;
    return err;
}

/* The newest events, each linked to the one before and signed with pk: a store edited
 * outside the kiosk, or a key that is not the one its events were signed with, is found
 * before anything is signed on top of it. */
#define TIP_EVENTS 8

struct tip_ctx {
    const uint8_t *pk;
    int64_t key_from; /* events before this seq carry an earlier key's signature */
    struct event_chain chain;
    bool started;
    int64_t bad_seq;
};

static int tip_one(void *ctx, const struct event *e)
{
    struct tip_ctx *t = ctx;
    int err = EVENT_EHASH;
    bool linked = !t->started || (e->seq == t->chain.last_seq + 1 &&
                                  memcmp(e->prev_hash, t->chain.last_hash, CRYPTO_HASH_BYTES) == 0);
    if (e->type < EV_TYPE_COUNT && linked)
        err = e->seq >= t->key_from ? event_check(e, t->pk) : event_check_hash(e);
    if (err != EVENT_OK) {
        t->bad_seq = e->seq;
        return CPD_STOP;
    }
    t->started = true;
    t->chain.last_seq = e->seq;
    memcpy(t->chain.last_hash, e->hash, CRYPTO_HASH_BYTES);
    return 0;
}

/* STORE_ETAMPERED when one does not verify; *at_first: already the oldest of them. */
int64_t key_from_seq(struct store *s)
{
    char text[32];
    return store_meta_get(s, "key_from_seq", text, sizeof(text)) == STORE_OK ? atoll(text) : 1;
}

/* Signing at or below the highest receipt would give an acknowledged number a second event. */
static int say_missing(struct store *s, int64_t from, int64_t to)
{
    char which[64];
    if (from == to)
        snprintf(which, sizeof(which), "seq %lld", (long long)from);
    else
        snprintf(which, sizeof(which), "seq %lld–%lld", (long long)from, (long long)to);
    snprintf(s->message, sizeof(s->message),
             "%s, listed in its receipts: if the ledger has them, cpd-admin sync takes them back; "
             "otherwise see docs/recovery.md",
             which);
    return STORE_EMISSING;
}

int behind_receipts(struct store *s, int64_t tip, const uint8_t tip_hash[])
{
    if (tip < s->acked_high)
        return say_missing(s, tip + 1, s->acked_high);
    if (tip == s->acked_high && tip > 0 &&
        memcmp(tip_hash, s->acked_hash, CRYPTO_HASH_BYTES) != 0) {
        snprintf(s->message, sizeof(s->message),
                 "event %lld is not the event acknowledged with that number (its receipt names "
                 "another)",
                 (long long)tip);
        return STORE_ETAMPERED;
    }
    return STORE_OK;
}

bool store_receipts_expected(struct store *s)
{
    char text[8];
    return store_meta_get(s, META_RECEIPTS_KEPT, text, sizeof(text)) == STORE_OK;
}

bool store_behind_receipts(struct store *s, int64_t *from, int64_t *to)
{
    int64_t tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    if (chain_tip(s, &tip, hash) != STORE_OK || tip >= s->acked_high)
        return false;
    *from = tip + 1;
    *to = s->acked_high;
    return true;
}

/* The newest receipt, read before anything of the database: a receipt is written after its
 * commit, so whatever it names was committed before the snapshot read next — another program
 * committing meanwhile cannot look like an event missing. The whole file when its newest lines
 * hold none that checks (a damaged tail must not hide the highest). */
static int newest_receipt(struct store *s, struct store_receipt *out)
{
    struct store_receipts r;
    char why[256];
    memset(out, 0, sizeof(*out));
    int err = store_receipts_tail(s->path, &r, why, sizeof(why));
    if (err == STORE_OK && (r.n == 0 || r.damaged_lines > 0)) {
        store_receipts_free(&r);
        err = store_receipts_read(s->path, &r, why, sizeof(why));
    }
    if (err == STORE_ENOTFOUND)
        return STORE_OK; /* a store older than receipts, or one that never signed */
    if (err != STORE_OK) {
        snprintf(s->message, sizeof(s->message), "%s", why);
        return err;
    }
    for (size_t i = 0; i < r.n; i++) {
        if (r.items[i].seq == r.highest)
            *out = r.items[i];
    }
    store_receipts_free(&r);
    return STORE_OK;
}

/* The newest receipt against the chain: behind it (signs nothing until the events are back),
 * or holding another event under its number. */
static int compare_acked(struct store *s, const struct store_receipt *acked, int64_t tip,
                         const uint8_t tip_hash[])
{
    /* Below where the chain starts: purged after the ledger had it. */
    s->acked_high = acked->seq >= store_purged_below(s) ? acked->seq : 0;
    memcpy(s->acked_hash, acked->hash, CRYPTO_HASH_BYTES);
    if (s->acked_high == 0 || s->acked_high > tip)
        return STORE_OK;
    struct event e;
    int err = tip == s->acked_high ? STORE_OK : store_event_at(s, s->acked_high, &e);
    const uint8_t *have = tip == s->acked_high ? tip_hash : e.hash;
    if (err == STORE_ENOTFOUND ||
        (err == STORE_OK && memcmp(have, s->acked_hash, CRYPTO_HASH_BYTES) != 0)) {
        snprintf(s->message, sizeof(s->message),
                 "event %lld is not the event acknowledged with that number (its receipt names "
                 "another)",
                 (long long)s->acked_high);
        return STORE_ETAMPERED;
    }
    return err;
}

/* Inside one read transaction: the tip, the high-water mark and the newest events one
 * snapshot, so a commit of another program between two reads cannot look like damage. */
static int check_tip_in(struct store *s, const uint8_t pk[CRYPTO_SIGN_PK_BYTES], bool *at_first,
                        const struct store_receipt *acked)
{
    int64_t tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    char text[32];
    int err = chain_tip(s, &tip, hash);
    if (err == STORE_OK && store_meta_get(s, META_HIGH_WATER, text, sizeof(text)) == STORE_OK &&
        atoll(text) > tip) {
        *at_first = false;
        snprintf(s->message, sizeof(s->message), "events after seq %lld are missing (it wrote %s)",
                 (long long)tip, text);
        return STORE_ETAMPERED;
    }
    if (err == STORE_OK)
        err = compare_acked(s, acked, tip, hash);
    if (err != STORE_OK || tip == 0)
        return err;
    struct tip_ctx t = {.pk = pk, .key_from = key_from_seq(s)};
    err = store_events_each(s, tip > TIP_EVENTS ? tip - TIP_EVENTS + 1 : 1, tip_one, &t);
    if (err == CPD_STOP) {
        *at_first = !t.started;
        snprintf(s->message, sizeof(s->message), "event %lld does not verify",
                 (long long)t.bad_seq);
        return STORE_ETAMPERED;
    }
    return err;
}

static int check_tip(struct store *s, const uint8_t pk[CRYPTO_SIGN_PK_BYTES], bool *at_first)
{
    struct store_receipt acked;
    int err = newest_receipt(s, &acked);
    bool own = err == STORE_OK && s->txn_depth == 0;
    if (own)
        err = st_exec(s, "BEGIN");
    if (err == STORE_OK)
        err = check_tip_in(s, pk, at_first, &acked);
    if (own)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL); /* a read: nothing to keep or lose */
    return err;
}

int store_check_tip(struct store *s, const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    bool at_first = false;
    int64_t from = 0, to = 0;
    int err = check_tip(s, pk, &at_first);
    if (err == STORE_OK && store_behind_receipts(s, &from, &to))
        err = say_missing(s, from, to);
    return err;
}

int store_set_signer(struct store *s, const char *kiosk, const uint8_t sk[CRYPTO_SIGN_SK_BYTES])
{
    if (strlen(kiosk) >= sizeof(s->kiosk) || kiosk[0] == '\0')
        return STORE_EINVALID;
    char copy[8];
    if (store_meta_get(s, META_LEDGER_COPY, copy, sizeof(copy)) == STORE_OK) {
        snprintf(s->message, sizeof(s->message),
                 "a copy of the ledger made for reports holds no chain: it never signs");
        return STORE_EINVALID;
    }
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    char hex[2 * CRYPTO_SIGN_PK_BYTES + 1], recorded[2 * CRYPTO_SIGN_PK_BYTES + 8];
    crypto_sign_public_of(sk, pk);
    crypto_hex(hex, pk, CRYPTO_SIGN_PK_BYTES);
    int err = store_meta_get(s, "public_key", recorded, sizeof(recorded));
    bool known = err == STORE_OK;
    if (known && strcmp(recorded, hex) != 0) {
        snprintf(s->message, sizeof(s->message),
                 "this store's events are signed with public key %.16s…, the key file's is %.16s…",
                 recorded, hex);
        return STORE_EKEY;
    }
    if (err != STORE_OK && err != STORE_ENOTFOUND)
        return err;
    bool at_first = false;
    err = check_tip(s, pk, &at_first);
    if (err == STORE_ETAMPERED && !known && at_first) {
        /* No key on record (a store older than the record) and even the oldest of the newest
         * events is not this key's: a foreign key, not an edit. */
        snprintf(s->message, sizeof(s->message), "the events are not signed with this key");
        return STORE_EKEY;
    }
    if (err == STORE_OK && !known)
        err = store_meta_set(s, "public_key", hex);
    if (err != STORE_OK)
        return err;
    snprintf(s->kiosk, sizeof(s->kiosk), "%s", kiosk);
    memcpy(s->sk, sk, CRYPTO_SIGN_SK_BYTES);
    s->has_signer = true;
    return STORE_OK;
}
