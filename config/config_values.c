/* kiosk.ini's values judged one at a time (config_internal.h): whole numbers, yes/no, plain
 * printable text, and what each kind of key accepts — a password never in the file itself. */
#include "config/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/base/utf8.h"

bool parse_int(const char *text, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' ||
        !(isdigit((unsigned char)text[0]) || text[0] == '-'))
        return false;
    *out = v;
    return true;
}

int parse_bool(const char *text)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return 1;
        if (strcasecmp(text, no[i]) == 0)
            return 0;
    }
    return -1;
}

bool printable(const char *text)
{
    for (; *text; text++) {
        if ((unsigned char)*text < 0x20 || *text == 0x7F)
            return false;
    }
    return true;
}

/* "password" in any case (libpq's keywords are case-insensitive), also percent-encoded in a
 * URI's parameters (libpq decodes "pass%77ord" to "password"). */
bool mentions_password(const char *value)
{
    char decoded[CONFIG_PATH_MAX + 2];
    size_t n = 0;
    for (const char *p = value; *p && n + 1 < sizeof(decoded); p++) {
        unsigned hex = 0;
        if (p[0] == '%' && sscanf(p + 1, "%2x", &hex) == 1 && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            decoded[n++] = (char)hex;
            p += 2;
        } else {
            decoded[n++] = *p;
        }
    }
    decoded[n] = '\0';
    for (const char *p = decoded; *p; p++) {
        if (strncasecmp(p, "password", 8) == 0)
            return true;
    }
    return false;
}

/* postgresql://user:secret@host/… — the password part of a connection URI. */
bool uri_has_password(const char *value)
{
    const char *rest = strncmp(value, "postgresql://", 13) == 0 ? value + 13
                       : strncmp(value, "postgres://", 11) == 0 ? value + 11
                                                                : NULL;
    if (!rest)
        return false;
    const char *at = strchr(rest, '@'), *slash = strchr(rest, '/');
    const char *colon = strchr(rest, ':');
    return at && (!slash || at < slash) && colon && colon < at;
}

/* value is one of the space-separated words. */
static bool one_of(const char *value, const char *words)
{
    size_t n = strlen(value);
    for (const char *w = words; n && *w;) {
        size_t len = strcspn(w, " ");
        if (len == n && strncmp(w, value, n) == 0)
            return true;
        w += len + (w[len] == ' ');
    }
    return false;
}

/* Key-specific checks on text values; NULL when fine, else what was expected. */
const char *check_text(const struct key_spec *k, const char *value)
{
    if (strcmp(k->key, "id") == 0) {
        size_t n = strlen(value);
        if (n == 0 || n > 40)
            return "1–40 characters A-Z a-z 0-9 _ -";
        for (size_t i = 0; i < n; i++) {
            if (!isalnum((unsigned char)value[i]) && value[i] != '_' && value[i] != '-')
                return "1–40 characters A-Z a-z 0-9 _ -";
        }
    }
    if ((strcmp(k->key, "site") == 0 || strcmp(k->key, "trust") == 0 ||
         strcmp(k->key, "font") == 0 || strcmp(k->key, "database") == 0) &&
        value[0] == '\0')
        return "a value";
    /* Staff numbers, separated by spaces or commas. */
    for (size_t i = 0; strcmp(k->key, "fire_wardens") == 0 && value[i]; i++) {
        if (!isalnum((unsigned char)value[i]) && !strchr("_- ,", value[i]))
            return "staff numbers (A-Z a-z 0-9 _ -) separated by spaces or commas";
    }
    /* A CUPS queue name, handed to lp -d: never an option, never a path. */
    if (strcmp(k->key, "printer") == 0) {
        for (size_t i = 0; value[i]; i++) {
            if (!isalnum((unsigned char)value[i]) && !strchr("_.-", value[i]))
                return "a CUPS printer name (A-Z a-z 0-9 _ . -), as lpstat -p lists it";
        }
        if (value[0] == '-' || value[0] == '.')
            return "a CUPS printer name (A-Z a-z 0-9 _ . -), as lpstat -p lists it";
    }
    if (strcmp(k->key, "timezone") == 0) {
        char path[512];
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", value);
        if (!value[0] || strstr(value, "..") || value[0] == '/' ||
            (strcmp(value, "UTC") != 0 && access(path, R_OK) != 0))
            return "a time zone name from /usr/share/zoneinfo, e.g. Europe/London";
    }
    if (strcmp(k->key, "conninfo") == 0 && (mentions_password(value) || uri_has_password(value)))
        return "a libpq conninfo without a password (put it in password_file)";
    if (strcmp(k->key, "sslmode") == 0 &&
        !one_of(value, "disable allow prefer require verify-ca verify-full"))
        return "disable, allow, prefer, require, verify-ca or verify-full";
    if (strcmp(k->key, "channel_binding") == 0 && !one_of(value, "disable prefer require"))
        return "disable, prefer or require";
    if (!printable(value))
        return "printable text";
    return NULL;
}
