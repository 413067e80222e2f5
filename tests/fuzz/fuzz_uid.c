/* UID text: the first byte picks the format and byte order, the rest is the text. A parsed UID
 * must print back as its normal form and parse again to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain/uid.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum uid_text_format format = (enum uid_text_format)(data[0] % UID_TEXT_COUNT);
    enum uid_byte_order order = (enum uid_byte_order)((data[0] / UID_TEXT_COUNT) % UID_ORDER_COUNT);
    char *text = fuzz_cstring(data + 1, size - 1);
    struct uid uid;
    if (uid_parse(text, format, order, &uid) == UID_OK) {
        char hex[UID_HEX_LEN], last4[5];
        uid_to_hex(&uid, hex);
        uid_last4(&uid, last4);
        if (strlen(hex) != 2u * uid.len || strlen(last4) != 4)
            fuzz_die("UID of %u bytes printed as \"%s\" (last 4 \"%s\")", uid.len, hex, last4);
        struct uid again;
        if (uid_parse(hex, UID_TEXT_HEX, UID_ORDER_MSB_FIRST, &again) != UID_OK ||
            again.len != uid.len || memcmp(again.bytes, uid.bytes, uid.len) != 0)
            fuzz_die("\"%s\" does not parse back to itself", hex);
        (void)uid_is_random(&uid);
    }
    free(text);
    return 0;
}
