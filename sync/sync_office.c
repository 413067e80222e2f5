/* sync_office.c — see sync_office.h. */
#include "sync/sync_office.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void office_record_hash(const uint8_t prev[CRYPTO_HASH_BYTES], int64_t seq, const char *kind,
                        int64_t at_us, const char *tips, const char *body_digest_hex,
                        uint8_t out[CRYPTO_HASH_BYTES])
{
    size_t n = strlen(tips) + strlen(kind) + strlen(body_digest_hex) + 96;
    char *text = malloc(n);
    if (!text) {
        memset(out, 0, CRYPTO_HASH_BYTES);
        return;
    }
    int len = snprintf(text, n, "cpd office log 1\n%" PRId64 "\n%s\n%" PRId64 "\n%s\n%s", seq, kind,
                       at_us, tips, body_digest_hex);
    crypto_sha256(out, prev, CRYPTO_HASH_BYTES, text, (size_t)len);
    free(text);
}

bool office_escape(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    for (; *in; in++) {
        char c = *in == '\\' ? '\\' : *in == '\t' ? 't' : *in == '\n' ? 'n' : *in == '\r' ? 'r' : 0;
        if (o + (c ? 2 : 1) >= cap)
            return false;
        if (c) {
            out[o++] = '\\';
            out[o++] = c;
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
    return true;
}

bool office_field(const char *line, int i, char *out, size_t cap)
{
    for (; i > 0; i--) {
        line += strcspn(line, "\t\n");
        if (*line != '\t')
            return false;
        line++;
    }
    size_t n = strcspn(line, "\t\n");
    if (n >= cap)
        return false;
    memcpy(out, line, n);
    out[n] = '\0';
    return true;
}

long office_find_line(const char *const *lines, size_t n, const char *key)
{
    size_t lo = 0, hi = n, len = strlen(key);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(lines[mid], key, len);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
