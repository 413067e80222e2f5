/* config_internal.h — what the configuration's files share (config/config*.c only): each key
 * of kiosk.ini and what it accepts, and the value checks. */
#ifndef CPD_CONFIG_INTERNAL_H
#define CPD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

enum value_type { V_TEXT, V_PATH, V_INT, V_BOOL, V_ENUM, V_DATE, V_CREDITS };

/* One key of kiosk.ini: where it lives in struct config and what it accepts. */
struct key_spec {
    const char *section;
    const char *key;
    enum value_type type;
    size_t offset; /* into struct config */
    size_t size;   /* V_TEXT / V_PATH buffer size */
    int min, max;  /* V_INT range; V_CREDITS range in whole credits */
    const char *unit;
    const char *const *names; /* V_ENUM: the value's names (core/base/names.h), n_names of them */
    int n_names;
};

/* A whole number, alone on the line. */
bool parse_int(const char *text, long *out);
/* 1 yes, 0 no, -1 neither. */
int parse_bool(const char *text);
/* Plain text: no control characters, bidi overrides or invalid UTF-8. */
bool printable(const char *text);
/* A value that holds a password (conninfo's password=, a URI's user:password@): never in the
 * file, which others may read — [sync] password_file says where it is. */
bool mentions_password(const char *value);
bool uri_has_password(const char *value);
/* NULL when value suits key k, else what it should have been (for the message). */
const char *check_text(const struct key_spec *k, const char *value);

#endif
