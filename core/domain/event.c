#include "core/domain/event.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/base/civil.h"
#include "core/base/names.h"
#include "core/base/strcopy.h"
#include "core/domain/payload.h"

static const char *const type_codes[EV_TYPE_COUNT] = {
    "sign_in",        "sign_out",          "auto_close",      "already_in",      "already_out",
    "leave_prompt",   "choose_prompt",     "no_session",      "unknown_badge",   "random_uid",
    "inactive_badge", "trainer_badge",     "manual_sign_in",  "manual_sign_out", "approve",
    "correction",     "badge_enrolled",    "void_attendance", "clock_refused",   "badge_revoked",
    "credit_voided",  "booking_cancelled", "chain_anchor",    "evaluation"};

const char *event_type_code(enum event_type type)
{
    return names_of(type_codes, EV_TYPE_COUNT, (int)type);
}

int event_type_parse(const char *code)
{
    return names_parse(type_codes, EV_TYPE_COUNT, code);
}

const char *event_by_hand_words(enum event_type type)
{
    switch (type) {
    case EV_MANUAL_SIGN_IN:
        return "signed in by hand";
    case EV_MANUAL_SIGN_OUT:
        return "signed out by hand";
    case EV_APPROVE:
        return "approved";
    case EV_CORRECTION:
        return "credits set";
    case EV_VOID_ATTENDANCE:
        return "attendance voided";
    case EV_BADGE_REVOKED:
        return "badge revoked";
    case EV_CREDIT_VOIDED:
        return "credit voided";
    case EV_BOOKING_CANCELLED:
        return "booking cancelled";
    default:
        return "";
    }
}

bool event_by_hand(enum event_type type)
{
    switch (type) {
    case EV_MANUAL_SIGN_IN:
    case EV_MANUAL_SIGN_OUT:
    case EV_APPROVE:
    case EV_CORRECTION:
    case EV_VOID_ATTENDANCE:
    case EV_BADGE_REVOKED:
    case EV_CREDIT_VOIDED:
    case EV_BOOKING_CANCELLED:
        return true;
    default:
        return false;
    }
}

void event_who_and_why(const struct event *e, char *who, size_t who_cap, char *why, size_t why_cap)
{
    if (payload_get_str(e->payload, "by", who, who_cap) != PAYLOAD_OK &&
        payload_get_str(e->payload, "trainer", who, who_cap) != PAYLOAD_OK)
        who[0] = '\0';
    if (payload_get_str(e->payload, "reason", why, why_cap) != PAYLOAD_OK)
        why[0] = '\0';
}

int event_make(struct event *e, enum event_type type, const char *person, const char *session,
               int64_t wall_us, int64_t mono_us, const char *clock, const char *payload)
{
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->wall_us = wall_us;
    e->mono_us = mono_us;
    bool fits = strcopy(e->person, sizeof(e->person), person ? person : "") == 0 &&
                strcopy(e->session, sizeof(e->session), session ? session : "") == 0 &&
                strcopy(e->clock, sizeof(e->clock), clock ? clock : "unsynced") == 0 &&
                strcopy(e->payload, sizeof(e->payload), payload ? payload : "{}") == 0;
    return fits ? EVENT_OK : EVENT_ETOOBIG;
}

void event_new_uuid(char out[EVENT_UUID_LEN])
{
    uint8_t b[16];
    crypto_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    snprintf(out, EVENT_UUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

/* Appends "<len>:<bytes>\n"; returns the new length or -1 when it does not fit. */
static int put_field(char *out, size_t cap, int used, const char *value, size_t len)
{
    if (used < 0)
        return -1;
    int head = snprintf(out + used, cap - (size_t)used, "%zu:", len);
    if (head < 0 || (size_t)used + (size_t)head + len + 1 >= cap)
        return -1;
    used += head;
    memcpy(out + used, value, len);
    used += (int)len;
    out[used++] = '\n';
    out[used] = '\0';
    return used;
}

static int put_text(char *out, size_t cap, int used, const char *value)
{
    return put_field(out, cap, used, value, strlen(value));
}

static int put_int(char *out, size_t cap, int used, int64_t value)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, value);
    return put_field(out, cap, used, num, (size_t)n);
}

int event_canonical(const struct event *e, char *out, size_t cap)
{
    int used = 0;
    used = put_text(out, cap, used, e->kiosk);
    used = put_int(out, cap, used, e->seq);
    used = put_text(out, cap, used, e->uuid);
    used = put_text(out, cap, used, event_type_code(e->type));
    used = put_text(out, cap, used, e->person);
    used = put_text(out, cap, used, e->session);
    used = put_int(out, cap, used, e->wall_us);
    used = put_int(out, cap, used, e->mono_us);
    used = put_text(out, cap, used, e->clock);
    used = put_text(out, cap, used, e->payload);
    return used < 0 ? EVENT_ETOOBIG : used;
}

static int event_digest(const struct event *e, const uint8_t prev[CRYPTO_HASH_BYTES],
                        uint8_t out[CRYPTO_HASH_BYTES])
{
    char buf[EVENT_CANONICAL_MAX];
    int len = event_canonical(e, buf, sizeof(buf));
    if (len < 0)
        return len;
    crypto_sha256(out, prev, CRYPTO_HASH_BYTES, buf, (size_t)len);
    return EVENT_OK;
}

int event_seal(struct event *e, const uint8_t prev_hash[CRYPTO_HASH_BYTES],
               const uint8_t sk[CRYPTO_SIGN_SK_BYTES])
{
    memcpy(e->prev_hash, prev_hash, CRYPTO_HASH_BYTES);
    int rc = event_digest(e, e->prev_hash, e->hash);
    if (rc != EVENT_OK)
        return rc;
    crypto_sign_digest(e->sig, e->hash, CRYPTO_HASH_BYTES, sk);
    return EVENT_OK;
}

const char *event_insane_field(const struct event *e)
{
    int64_t lowest = e->type == EV_CLOCK_REFUSED ? 0 : 1;
    if (e->wall_us < lowest || e->wall_us >= EVENT_TIME_END_US)
        return "wall_us";
    if (e->mono_us < 0)
        return "mono_us";
    if (e->type == EV_CREDIT_VOIDED) {
        char date[16];
        civil_day day;
        if (payload_get_str(e->payload, "date", date, sizeof(date)) != PAYLOAD_OK ||
            civil_parse_date(date, &day) != 0)
            return "payload date";
    }
    return NULL;
}

int event_check_hash(const struct event *e)
{
    uint8_t digest[CRYPTO_HASH_BYTES];
    int rc = event_digest(e, e->prev_hash, digest);
    if (rc != EVENT_OK)
        return rc;
    return memcmp(digest, e->hash, CRYPTO_HASH_BYTES) == 0 ? EVENT_OK : EVENT_EHASH;
}

int event_check(const struct event *e, const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    int rc = event_check_hash(e);
    if (rc != EVENT_OK)
        return rc;
    if (crypto_verify_digest(e->sig, e->hash, CRYPTO_HASH_BYTES, pk) != CRYPTO_OK)
        return EVENT_ESIG;
    return EVENT_OK;
}

void event_chain_start(struct event_chain *chain)
{
    chain->last_seq = 0;
    memset(chain->last_hash, 0, sizeof(chain->last_hash));
}

int event_chain_next(struct event_chain *chain, const struct event *e,
                     const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    if (e->seq != chain->last_seq + 1)
        return EVENT_ESEQ;
    if (memcmp(e->prev_hash, chain->last_hash, CRYPTO_HASH_BYTES) != 0)
        return EVENT_ECHAIN;
    int rc = event_check(e, pk);
    if (rc != EVENT_OK)
        return rc;
    chain->last_seq = e->seq;
    memcpy(chain->last_hash, e->hash, CRYPTO_HASH_BYTES);
    return EVENT_OK;
}
