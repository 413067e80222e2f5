/* Events: the canonical encoding, the hash chain and the signatures; canonical payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "payload.h"

static uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(crypto_init(), CRYPTO_OK);
    crypto_sign_keypair_new(pk, sk);
    return 0;
}

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
    char tiny[16];
    assert_int_equal(event_canonical(&e, tiny, sizeof(tiny)), EVENT_ETOOBIG);
}

static void test_any_edit_breaks_the_seal(void **state)
{
    (void)state;
    uint8_t zero[CRYPTO_HASH_BYTES] = {0};
    struct event e = sample();
    assert_int_equal(event_seal(&e, zero, sk), EVENT_OK);
    assert_int_equal(event_check(&e, pk), EVENT_OK);
    struct event x = e;
    strcpy(x.payload, "{\"late\":true}");
    assert_int_equal(event_check(&x, pk), EVENT_EHASH);
    x = e;
    x.wall_us += 1;
    assert_int_equal(event_check(&x, pk), EVENT_EHASH);
    x = e;
    x.type = EV_SIGN_OUT;
    assert_int_equal(event_check(&x, pk), EVENT_EHASH);
    x = e;
    strcpy(x.person, "BIT0001");
    assert_int_equal(event_check(&x, pk), EVENT_EHASH);
    x = e;
    x.sig[10] ^= 1;
    assert_int_equal(event_check(&x, pk), EVENT_ESIG);
    /* Re-hashed by someone without the key: the signature gives it away. */
    uint8_t other_pk[CRYPTO_SIGN_PK_BYTES], other_sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(other_pk, other_sk);
    x = e;
    strcpy(x.payload, "{\"late\":true}");
    event_seal(&x, zero, other_sk);
    assert_int_equal(event_check(&x, pk), EVENT_ESIG);
    /* Fields are length-prefixed: moving a character between fields changes the hash. */
    x = e;
    strcpy(x.person, "BIT000");
    strcpy(x.session, "4cpi-autumn-1");
    event_seal(&x, zero, sk);
    assert_memory_not_equal(x.hash, e.hash, CRYPTO_HASH_BYTES);
}

static void test_chain_detects_gaps_and_breaks(void **state)
{
    (void)state;
    struct event ev[3];
    uint8_t prev[CRYPTO_HASH_BYTES] = {0};
    for (int i = 0; i < 3; i++) {
        ev[i] = sample();
        ev[i].seq = i + 1;
        event_new_uuid(ev[i].uuid);
        assert_int_equal(event_seal(&ev[i], prev, sk), EVENT_OK);
        memcpy(prev, ev[i].hash, sizeof(prev));
    }
    struct event_chain c;
    event_chain_start(&c);
    for (int i = 0; i < 3; i++)
        assert_int_equal(event_chain_next(&c, &ev[i], pk), EVENT_OK);
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &ev[2], pk), EVENT_ESEQ);
    /* A forged seq 2 sealed on the wrong predecessor. */
    struct event forged = ev[1];
    uint8_t zero[CRYPTO_HASH_BYTES] = {0};
    event_seal(&forged, zero, sk);
    event_chain_start(&c);
    assert_int_equal(event_chain_next(&c, &ev[0], pk), EVENT_OK);
    assert_int_equal(event_chain_next(&c, &forged, pk), EVENT_ECHAIN);
}

static void test_uuid_and_types(void **state)
{
    (void)state;
    char a[EVENT_UUID_LEN], b[EVENT_UUID_LEN];
    event_new_uuid(a);
    event_new_uuid(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_string_not_equal(a, b);
    for (int t = 0; t < EV_TYPE_COUNT; t++)
        assert_int_equal(event_type_parse(event_type_code((enum event_type)t)), t);
    assert_int_equal(event_type_parse("teleport"), -1);
}

static void test_payload_is_canonical(void **state)
{
    (void)state;
    char out[256];
    struct payload_field f[] = {PAYLOAD_STR_FIELD("reason", "forgot badge"),
                                PAYLOAD_INT_FIELD("at_us", 1694613600000000),
                                PAYLOAD_BOOL_FIELD("late", true)};
    assert_int_equal(payload_write(out, sizeof(out), f, 3), PAYLOAD_OK);
    assert_string_equal(out, "{\"at_us\":1694613600000000,\"late\":true,\"reason\":\"forgot "
                             "badge\"}");
    assert_int_equal(payload_check(out), PAYLOAD_OK);
    assert_int_equal(payload_check("{\"b\":1, \"a\":2}"), PAYLOAD_EINVALID);
    int64_t at = 0;
    bool late = false;
    char reason[32];
    assert_int_equal(payload_get_int(out, "at_us", &at), PAYLOAD_OK);
    assert_int_equal(at, 1694613600000000);
    assert_int_equal(payload_get_bool(out, "late", &late), PAYLOAD_OK);
    assert_true(late);
    assert_int_equal(payload_get_str(out, "reason", reason, sizeof(reason)), PAYLOAD_OK);
    assert_string_equal(reason, "forgot badge");
    assert_int_equal(payload_get_str(out, "reason", reason, 4), PAYLOAD_ETOOBIG);
    assert_int_equal(payload_get_int(out, "missing", &at), PAYLOAD_ENOTFOUND);
    assert_int_equal(payload_get_int(out, "late", &at), PAYLOAD_ENOTFOUND);
    char tiny[8];
    assert_int_equal(payload_write(tiny, sizeof(tiny), f, 3), PAYLOAD_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_encoding),
        cmocka_unit_test(test_any_edit_breaks_the_seal),
        cmocka_unit_test(test_chain_detects_gaps_and_breaks),
        cmocka_unit_test(test_uuid_and_types),
        cmocka_unit_test(test_payload_is_canonical),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
