/* An event's payload as the ledger or a store hands it back: every getter the product calls
 * (each key it reads, into buffers too small and big enough), the checks, and what reads
 * payloads — the projection for every event type, who and why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain/event.h"
#include "core/domain/payload.h"
#include "core/domain/projection.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {"at_us",  "badge_hash", "by",      "closed_us", "credits_q",
                                   "date",   "early",      "last4",   "late",      "programme",
                                   "reason", "score",      "trainer", "withdrawn", ""};

static void getters(const char *payload)
{
    static const size_t caps[] = {1, 5, 65, EVENT_PAYLOAD_MAX};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        int64_t i;
        bool b;
        (void)payload_get_int(payload, keys[k], &i);
        (void)payload_get_bool(payload, keys[k], &b);
        for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
            char out[EVENT_PAYLOAD_MAX];
            if (payload_get_str(payload, keys[k], out, caps[c]) == PAYLOAD_OK &&
                strlen(out) >= caps[c])
                fuzz_die("payload_get_str wrote %zu bytes into %zu", strlen(out) + 1, caps[c]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= EVENT_PAYLOAD_MAX)
        return 0; /* an event holds no more */
    char *payload = fuzz_cstring(data, size);
    getters(payload);
    if (payload_check(payload) == PAYLOAD_OK && payload_check_object(payload) != PAYLOAD_OK)
        fuzz_die("a canonical payload that is not an object: %s", payload);
    static struct event e;
    for (int type = 0; type < EV_TYPE_COUNT; type++) {
        if (event_make(&e, (enum event_type)type, "S1", "X1", 1696233600000000, 1, "synced",
                       payload) != EVENT_OK)
            fuzz_die("event_make refused a payload that fits");
        struct attendance row;
        projection_row_init(&row, 1, 1);
        (void)projection_apply(&row, &e);
        (void)projection_apply(&row, &e);
        char who[64], why[128];
        event_who_and_why(&e, who, sizeof(who), why, sizeof(why));
        fuzz_touch(who);
        fuzz_touch(why);
    }
    free(payload);
    return 0;
}
