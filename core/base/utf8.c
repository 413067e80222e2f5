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

/* The length of the well-formed character at p (RFC 3629: no overlong form, no surrogate,
 * nothing above U+10FFFF), or 0. */
static size_t valid_len(const unsigned char *p)
{
    size_t len = char_len(*p);
    for (size_t i = 1; i < len; i++) {
        if (!continuation(p[i]))
            return 0;
    }
    bool ok = len == 1 || (len == 2 && p[0] >= 0xC2) ||
              (len == 3 && !(p[0] == 0xE0 && p[1] < 0xA0) && !(p[0] == 0xED && p[1] >= 0xA0)) ||
              (len == 4 && p[0] <= 0xF4 && !(p[0] == 0xF0 && p[1] < 0x90) &&
               !(p[0] == 0xF4 && p[1] >= 0x90));
    return ok ? len : 0;
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
        size_t len = valid_len(p);
        if (len == 0)
            return false;
        p += len;
    }
    return true;
}

/* A control character (C0, DEL, C1) or a bidirectional override or isolate, at p (whole). */
static size_t hidden_len(const unsigned char *p, size_t len)
{
    if ((len == 1 && (*p < 0x20 || *p == 0x7f)) || (len == 2 && p[0] == 0xC2 && p[1] < 0xA0))
        return len;
    /* U+200E/200F marks, U+2028/2029 separators, U+202A–202E overrides, U+2066–2069
     * isolates; U+061C the Arabic letter mark. */
    if (len == 3 && p[0] == 0xE2 &&
        ((p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xA8 && p[2] <= 0xAE))) ||
         (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
        return len;
    if (len == 2 && p[0] == 0xD8 && p[1] == 0x9C)
        return len;
    return 0;
}

bool utf8_plain(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = valid_len(p);
        if (len == 0 || hidden_len(p, len))
            return false;
        p += len;
    }
    return true;
}

bool utf8_printable(char *dst, size_t cap, const char *src)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    size_t used = 0;
    bool changed = false;
    if (cap == 0)
        return true;
    for (const unsigned char *p = (const unsigned char *)src; *p;) {
        size_t len = valid_len(p);
        bool bad = len == 0 || hidden_len(p, len);
        const char *piece = bad ? replacement : (const char *)p;
        size_t n = bad ? 3 : len;
        changed |= bad;
        if (used + n >= cap) {
            changed = true;
            break;
        }
        memcpy(dst + used, piece, n);
        used += n;
        p += bad ? (len ? len : 1) : len;
    }
    dst[used] = '\0';
    return changed;
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
