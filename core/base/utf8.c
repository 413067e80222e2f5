#include "core/base/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Length of the character a lead byte starts, 0 for an invalid lead. */
static size_t char_len(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xE0) == 0xC0 ? 2
           : (c & 0xF0) == 0xE0 ? 3
           : (c & 0xF8) == 0xF0 ? 4
                                : 0;
}

void utf8_fix_tail(char *s)
{
    size_t n = strlen(s);
    size_t start = n;
    while (start > 0 && continuation((unsigned char)s[start - 1]))
        start--;
    if (start > 0 && start <= n) {
        size_t lead = start - 1;
        size_t want = char_len((unsigned char)s[lead]);
        if (want > 1 && n - lead < want)
            s[lead] = '\0';
    }
}

void utf8_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    utf8_fix_tail(dst);
}

bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = char_len(*p);
        if (len == 0)
            return false;
        for (size_t i = 1; i < len; i++) {
            if (!continuation(p[i]))
                return false;
        }
        p += len;
    }
    return true;
}

bool utf8_printf(char *dst, size_t cap, const char *fmt, ...)
{
    if (cap == 0)
        return true;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    if (n < 0) {
        dst[0] = '\0';
        return true;
    }
    if ((size_t)n < cap)
        return false;
    utf8_fix_tail(dst);
    return true;
}

int utf8_width(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}
