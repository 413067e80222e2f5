/* Events: the canonical encoding, the hash chain and the signatures; canonical payloads. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "core/domain/event.h"
#include "core/domain/payload.h"

static uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
static const uint8_t zero[CRYPTO_HASH_BYTES];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(crypto_init(), CRYPTO_OK);
    crypto_sign_keypair_new(pk, sk);
    return 0;
}

/* Gareth signs in to CPI Initial cohort 1 session 1, Wed 13 Sep 2023 15:00 BST. */
static struct event sample(void)
{
    struct event e = {.seq = 1, .type = EV_SIGN_IN, .wall_us = 1694613600000000, .mono_us = 42};
    strcpy(e.uuid, "0b0f6c1e-8e4b-4b8e-9a3c-1d2e3f405162");
    strcpy(e.kiosk, "central-1");
    strcpy(e.person, "BIT0004");
    strcpy(e.session, "cpi-autumn-1");
    strcpy(e.clock, "synced");
    strcpy(e.payload, "{\"late\":false}");
    return e;
}

static void test_canonical_encoding(void **state)
{
    (void)state;
    struct event e = sample();
    char buf[EVENT_CANONICAL_MAX];
    int n = event_canonical(&e, buf, sizeof(buf));
    const char *want = "9:central-1\n1:1\n36:0b0f6c1e-8e4b-4b8e-9a3c-1d2e3f405162\n7:sign_in\n"
                       "7:BIT0004\n12:cpi-autumn-1\n16:1694613600000000\n2:42\n6:synced\n"
                       "14:{\"late\":false}\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    /* Empty fields are "0:\n"; negative numbers keep their sign; lengths count bytes. */
    struct event x = sample();
    x.person[0] = '\0';
    x.session[0] = '\0';
    x.seq = 12;
    x.type = EV_UNKNOWN_BADGE;
    x.mono_us = -5;
    strcpy(x.clock, "offset:+1234ms");
    strcpy(x.payload, "{\"badge\":\"5566\"}");
    strcpy(x.kiosk, "b\xC3\xA9"
                    "al"); /* "béal": 5 bytes */
    n = event_canonical(&x, buf, sizeof(buf));
    want = "5:b\xC3\xA9"
           "al\n2:12\n36:0b0f6c1e-8e4b-4b8e-9a3c-1d2e3f405162\n13:unknown_badge\n0:\n0:\n"
           "16:1694613600000000\n2:-5\n14:offset:+1234ms\n16:{\"badge\":\"5566\"}\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_canonical_too_big(void **state)
{
    (void)state;
    struct event e = sample();
    char buf[EVENT_CANONICAL_MAX];
    int n = event_canonical(&e, buf, sizeof(buf));
    assert_true(n > 0);
    char tiny[16];
    assert_int_equal(event_canonical(&e, tiny, sizeof(tiny)), EVENT_ETOOBIG);
    /* Exactly the bytes plus the terminator fit; one less does not. */
    char exact[256];
    assert_int_equal(event_canonical(&e, exact, (size_t)n + 1), n);
    assert_int_equal(event_canonical(&e, exact, (size_t)n), EVENT_ETOOBIG);
    /* The largest payload still fits the documented maximum. */
    memset(e.payload, 'x', EVENT_PAYLOAD_MAX - 1);
    e.payload[EVENT_PAYLOAD_MAX - 1] = '\0';
    memset(e.person, 'p', DOMAIN_CODE_MAX - 1);
    e.person[DOMAIN_CODE_MAX - 1] = '\0';
    memset(e.session, 's', DOMAIN_CODE_MAX - 1);
    e.session[DOMAIN_CODE_MAX - 1] = '\0';
    assert_true(event_canonical(&e, buf, sizeof(buf)) > EVENT_PAYLOAD_MAX);
    assert_int_equal(event_seal(&e, zero, sk), EVENT_OK);
    assert_int_equal(event_check(&e, pk), EVENT_OK);
}

static void test_seal_and_check_round_trip(void **state)
{
    (void)state;
    struct event e = sample();
    assert_int_equal(event_seal(&e, zero, sk), EVENT_OK);
    assert_memory_equal(e.prev_hash, zero, CRYPTO_HASH_BYTES);
    assert_int_equal(event_check(&e, pk), EVENT_OK);
    /* hash = SHA-256(prev_hash ‖ canonical). */
    char buf[EVENT_CANONICAL_MAX];
    int n = event_canonical(&e, buf, sizeof(buf));
    uint8_t want[CRYPTO_HASH_BYTES];
    crypto_sha256(want, zero, CRYPTO_HASH_BYTES, buf, (size_t)n);
    assert_memory_equal(e.hash, want, CRYPTO_HASH_BYTES);
    /* Sealing is deterministic (Ed25519): the same event gives the same hash and signature. */
    struct event again = sample();
    event_seal(&again, zero, sk);
    assert_memory_equal(again.hash, e.hash, CRYPTO_HASH_BYTES);
    assert_memory_equal(again.sig, e.sig, CRYPTO_SIG_BYTES);
    /* A different predecessor gives a different hash. */
    uint8_t prev[CRYPTO_HASH_BYTES];
    memset(prev, 0xAB, sizeof(prev));
    event_seal(&again, prev, sk);
    assert_memory_not_equal(again.hash, e.hash, CRYPTO_HASH_BYTES);
    assert_int_equal(event_check(&again, pk), EVENT_OK);
}

static void expect_edit_breaks(struct event edited)
{
    assert_int_equal(event_check(&edited, pk), EVENT_EHASH);
}

static void test_any_edit_breaks_the_hash(void **state)
{
    (void)state;
    struct event e = sample();
    assert_int_equal(event_seal(&e, zero, sk), EVENT_OK);
    assert_int_equal(event_check(&e, pk), EVENT_OK);
    struct event x = e;
    strcpy(x.payload, "{\"late\":true}");
    expect_edit_breaks(x);
    x = e;
    strcpy(x.person, "BIT0001");
    expect_edit_breaks(x);
    x = e;
    x.wall_us += 1;
    expect_edit_breaks(x);
    x = e;
    x.type = EV_SIGN_OUT;
    expect_edit_breaks(x);
    x = e;
    x.seq = 2;
    expect_edit_breaks(x);
    x = e;
    strcpy(x.session, "cpi-autumn-2");
    expect_edit_breaks(x);
    x = e;
    x.mono_us = 43;
    expect_edit_breaks(x);
    x = e;
    strcpy(x.clock, "unsynced");
    expect_edit_breaks(x);
    x = e;
    strcpy(x.kiosk, "central-2");
    expect_edit_breaks(x);
    x = e;
    x.uuid[0] = '1';
    expect_edit_breaks(x);
    x = e;
    x.prev_hash[0] ^= 1;
    expect_edit_breaks(x);
    x = e;
    x.hash[31] ^= 0x80;
    expect_edit_breaks(x);
    /* Fields are length-prefixed: moving a character between fields changes the hash. */
    x = e;
    strcpy(x.person, "BIT000");
    strcpy(x.session, "4cpi-autumn-1");
    expect_edit_breaks(x);
    event_seal(&x, zero, sk);
    assert_memory_not_equal(x.hash, e.hash, CRYPTO_HASH_BYTES);
}

static void test_signatures(void **state)
{
    (void)state;
    struct event a = sample(), b = sample();
    b.seq = 2;
    b.type = EV_SIGN_OUT;
    strcpy(b.payload, "{\"early\":false,\"minutes\":180}");
    assert_int_equal(event_seal(&a, zero, sk), EVENT_OK);
    assert_int_equal(event_seal(&b, a.hash, sk), EVENT_OK);
    /* Swapped signatures: each hash is right, neither signature is. */
    struct event x = a, y = b;
    memcpy(x.sig, b.sig, CRYPTO_SIG_BYTES);
    memcpy(y.sig, a.sig, CRYPTO_SIG_BYTES);
    assert_int_equal(event_check(&x, pk), EVENT_ESIG);
    assert_int_equal(event_check(&y, pk), EVENT_ESIG);
    x = a;
    x.sig[10] ^= 1;
    assert_int_equal(event_check(&x, pk), EVENT_ESIG);
    /* Re-sealed by someone without the kiosk's key: the signature gives it away. */
    uint8_t other_pk[CRYPTO_SIGN_PK_BYTES], other_sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(other_pk, other_sk);
    x = a;
    strcpy(x.payload, "{\"late\":true}");
    assert_int_equal(event_seal(&x, zero, other_sk), EVENT_OK);
    assert_int_equal(event_check(&x, pk), EVENT_ESIG);
    assert_int_equal(event_check(&x, other_pk), EVENT_OK);
    /* The right event checked with another kiosk's key. */
    assert_int_equal(event_check(&a, other_pk), EVENT_ESIG);
}

static void make_chain(struct event *ev, int n)
{
    uint8_t prev[CRYPTO_HASH_BYTES] = {0};
    for (int i = 0; i < n; i++) {
        ev[i] = sample();
        ev[i].seq = i + 1;
        ev[i].wall_us += i * INT64_C(60000000);
        event_new_uuid(ev[i].uuid);
        assert_int_equal(event_seal(&ev[i], prev, sk), EVENT_OK);
        memcpy(prev, ev[i].hash, sizeof(prev));
    }
}

static void test_chain_walk(void **state)
{
    (void)state;
    struct event ev[4];
    make_chain(ev, 4);
    struct event_chain c;
    event_chain_start(&c);
    assert_int_equal(c.last_seq, 0);
    assert_memory_equal(c.last_hash, zero, CRYPTO_HASH_BYTES);
    for (int i = 0; i < 4; i++)
        assert_int_equal(event_chain_next(&c, &ev[i], pk), EVENT_OK);
    assert_int_equal(c.last_seq, 4);
    assert_memory_equal(c.last_hash, ev[3].hash, CRYPTO_HASH_BYTES);
}

static void test_chain_detects_gaps(void **state)
{
    (void)state;
    struct event ev[4];
    make_chain(ev, 4);
    struct event_chain c;
    /* Not starting at 1. */
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[1], pk), EVENT_ESEQ);
    /* A dropped event. */
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &ev[2], pk), EVENT_ESEQ);
    /* A failure does not advance the walk: the right next event still fits. */
    assert_int_equal(c.last_seq, 1);
    assert_int_equal(event_chain_next(&c, &ev[1], pk), EVENT_OK);
    /* Replayed and reordered. */
    assert_int_equal(event_chain_next(&c, &ev[1], pk), EVENT_ESEQ);
    assert_int_equal(event_chain_next(&c, &ev[3], pk), EVENT_ESEQ);
}

static void test_chain_detects_breaks(void **state)
{
    (void)state;
    struct event ev[3];
    make_chain(ev, 3);
    struct event_chain c;
    /* A forged seq 2 sealed (validly) on the wrong predecessor. */
    struct event forged = ev[1];
    assert_int_equal(event_seal(&forged, zero, sk), EVENT_OK);
    assert_int_equal(event_check(&forged, pk), EVENT_OK);
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &forged, pk), EVENT_ECHAIN);
    /* An edited middle event: its own hash no longer matches. */
    struct event edited = ev[1];
    strcpy(edited.person, "BIT0009");
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &edited, pk), EVENT_EHASH);
    /* Re-sealed after the edit: the next event no longer links to it. */
    assert_int_equal(event_seal(&edited, ev[0].hash, sk), EVENT_OK);
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &edited, pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &ev[2], pk), EVENT_ECHAIN);
    /* A bad signature inside the chain. */
    struct event badsig = ev[1];
    badsig.sig[0] ^= 0x55;
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &badsig, pk), EVENT_ESIG);
    assert_string_equal(cpd_strerror(EVENT_ECHAIN),
                        "chain broken: prev_hash is not the previous event's hash");
    assert_string_equal(cpd_strerror(EVENT_ESEQ), "sequence gap");
}

static void test_uuid_v4(void **state)
{
    (void)state;
    char a[EVENT_UUID_LEN], b[EVENT_UUID_LEN];
    for (int round = 0; round < 64; round++) {
        event_new_uuid(a);
        assert_int_equal(strlen(a), 36);
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(a[i], '-');
            else
                assert_true(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
        }
        assert_int_equal(a[14], '4');           /* version 4 */
        assert_non_null(strchr("89ab", a[19])); /* RFC 4122 variant */
        event_new_uuid(b);
        assert_string_not_equal(a, b);
    }
}

static void test_type_codes(void **state)
{
    (void)state;
    for (int t = 0; t < EV_TYPE_COUNT; t++)
        assert_int_equal(event_type_parse(event_type_code((enum event_type)t)), t);
    assert_string_equal(event_type_code(EV_SIGN_IN), "sign_in");
    assert_string_equal(event_type_code(EV_AUTO_CLOSE), "auto_close");
    assert_string_equal(event_type_code(EV_RANDOM_UID), "random_uid");
    assert_string_equal(event_type_code(EV_BADGE_ENROLLED), "badge_enrolled");
    assert_string_equal(event_type_code(EV_TYPE_COUNT), "?");
    assert_int_equal(event_type_parse("teleport"), -1);
    assert_int_equal(event_type_parse("SIGN_IN"), -1);
    assert_int_equal(event_type_parse(""), -1);
}

static void test_payload_write_is_canonical(void **state)
{
    (void)state;
    char out[256], again[256];
    struct payload_field f[] = {PAYLOAD_STR_FIELD("reason", "forgot badge"),
                                PAYLOAD_INT_FIELD("at_us", 1694613600000000),
                                PAYLOAD_BOOL_FIELD("late", true)};
    assert_int_equal(payload_write(out, sizeof(out), f, 3), PAYLOAD_OK);
    assert_string_equal(out, "{\"at_us\":1694613600000000,\"late\":true,\"reason\":\"forgot "
                             "badge\"}");
    assert_int_equal(payload_check(out), PAYLOAD_OK);
    /* Any field order gives the same bytes. */
    struct payload_field g[] = {f[2], f[0], f[1]};
    assert_int_equal(payload_write(again, sizeof(again), g, 3), PAYLOAD_OK);
    assert_string_equal(again, out);
    /* No fields: "{}". */
    assert_int_equal(payload_write(again, sizeof(again), NULL, 0), PAYLOAD_OK);
    assert_string_equal(again, "{}");
    assert_int_equal(payload_check(again), PAYLOAD_OK);
    /* Non-ASCII and quotes are escaped, so the bytes never depend on a locale. */
    struct payload_field h[] = {PAYLOAD_STR_FIELD("reason", "caf\xC3\xA9 \"late\""),
                                PAYLOAD_INT_FIELD("credits_q", -1),
                                PAYLOAD_BOOL_FIELD("early", false)};
    assert_int_equal(payload_write(again, sizeof(again), h, 3), PAYLOAD_OK);
    assert_string_equal(
        again, "{\"credits_q\":-1,\"early\":false,\"reason\":\"caf\\u00E9 \\\"late\\\"\"}");
    assert_int_equal(payload_check(again), PAYLOAD_OK);
    /* Too small a buffer, including one byte short of the terminator. */
    char tiny[8];
    assert_int_equal(payload_write(tiny, sizeof(tiny), f, 3), PAYLOAD_ETOOBIG);
    size_t need = strlen(out);
    assert_int_equal(payload_write(again, need, f, 3), PAYLOAD_ETOOBIG);
    assert_int_equal(payload_write(again, need + 1, f, 3), PAYLOAD_OK);
}

static void test_payload_check_refuses_other_spellings(void **state)
{
    (void)state;
    assert_int_equal(payload_check("{\"a\":2,\"b\":1}"), PAYLOAD_OK);
    assert_int_equal(payload_check("{\"b\":1,\"a\":2}"), PAYLOAD_EINVALID);  /* unsorted */
    assert_int_equal(payload_check("{\"a\":2, \"b\":1}"), PAYLOAD_EINVALID); /* blank */
    assert_int_equal(payload_check("{\"a\":1,\"a\":1}"), PAYLOAD_EINVALID);  /* duplicate */
    assert_int_equal(payload_check("[1,2]"), PAYLOAD_EINVALID);
    assert_int_equal(payload_check("not json"), PAYLOAD_EINVALID);
    assert_int_equal(payload_check(""), PAYLOAD_EINVALID);
}

static void test_payload_getters(void **state)
{
    (void)state;
    const char *p = "{\"at_us\":1694613600000000,\"badge\":\"5566\",\"credits_q\":-2,"
                    "\"early\":true,\"late\":false,\"reason\":\"forgot badge\"}";
    int64_t i = 0;
    bool b = false;
    char s[32];
    assert_int_equal(payload_get_int(p, "at_us", &i), PAYLOAD_OK);
    assert_int_equal(i, 1694613600000000);
    assert_int_equal(payload_get_int(p, "credits_q", &i), PAYLOAD_OK);
    assert_int_equal(i, -2);
    assert_int_equal(payload_get_bool(p, "early", &b), PAYLOAD_OK);
    assert_true(b);
    assert_int_equal(payload_get_bool(p, "late", &b), PAYLOAD_OK);
    assert_false(b);
    assert_int_equal(payload_get_str(p, "reason", s, sizeof(s)), PAYLOAD_OK);
    assert_string_equal(s, "forgot badge");
    assert_int_equal(payload_get_str(p, "badge", s, 5), PAYLOAD_OK); /* exactly fits */
    assert_string_equal(s, "5566");
    assert_int_equal(payload_get_str(p, "badge", s, 4), PAYLOAD_ETOOBIG);
    /* Missing keys and wrong types are "not found", and leave the output alone. */
    i = 7;
    assert_int_equal(payload_get_int(p, "missing", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int(p, "late", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int(p, "badge", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(i, 7);
    assert_int_equal(payload_get_bool(p, "at_us", &b), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_str(p, "at_us", s, sizeof(s)), PAYLOAD_ENOTFOUND);
    /* Not an object, not JSON, or an empty payload. */
    assert_int_equal(payload_get_int("[1]", "at_us", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int("{", "at_us", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int("", "at_us", &i), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int("{\"a\":1,\"a\":2}", "a", &i), PAYLOAD_ENOTFOUND);
    /* What payload_write wrote, the getters read back. */
    char out[128];
    struct payload_field f[] = {PAYLOAD_INT_FIELD("closed_us", 1694625300000000),
                                PAYLOAD_STR_FIELD("reason", "no_sign_out")};
    assert_int_equal(payload_write(out, sizeof(out), f, 2), PAYLOAD_OK);
    assert_int_equal(payload_get_int(out, "closed_us", &i), PAYLOAD_OK);
    assert_int_equal(i, 1694625300000000);
    assert_int_equal(payload_get_str(out, "reason", s, sizeof(s)), PAYLOAD_OK);
    assert_string_equal(s, "no_sign_out");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_encoding),
        cmocka_unit_test(test_canonical_too_big),
        cmocka_unit_test(test_seal_and_check_round_trip),
        cmocka_unit_test(test_any_edit_breaks_the_hash),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_chain_walk),
        cmocka_unit_test(test_chain_detects_gaps),
        cmocka_unit_test(test_chain_detects_breaks),
        cmocka_unit_test(test_uuid_v4),
        cmocka_unit_test(test_type_codes),
        cmocka_unit_test(test_payload_write_is_canonical),
        cmocka_unit_test(test_payload_check_refuses_other_spellings),
        cmocka_unit_test(test_payload_getters),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
