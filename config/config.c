#include "config/config_internal.h"

#include "core/base/names.h"
#include "core/base/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#define OFF(field) offsetof(struct config, field)
#define SZ(field)  sizeof(((struct config *)0)->field)
#define TEXT(s, k, f)                                                                              \
    {                                                                                              \
        s, k, V_TEXT, OFF(f), SZ(f), 0, 0, NULL, NULL, 0                                           \
    }
#define PATH(s, k, f)                                                                              \
    {                                                                                              \
        s, k, V_PATH, OFF(f), SZ(f), 0, 0, NULL, NULL, 0                                           \
    }
#define INT(s, k, f, lo, hi, unit)                                                                 \
    {                                                                                              \
        s, k, V_INT, OFF(f), 0, lo, hi, unit, NULL, 0                                              \
    }
#define BOOL(s, k, f)                                                                              \
    {                                                                                              \
        s, k, V_BOOL, OFF(f), 0, 0, 0, NULL, NULL, 0                                               \
    }
#define ENUM(s, k, f, names, n)                                                                    \
    {                                                                                              \
        s, k, V_ENUM, OFF(f), 0, 0, 0, NULL, names, n                                              \
    }
#define DATE(s, k, f)                                                                              \
    {                                                                                              \
        s, k, V_DATE, OFF(f), 0, 0, 0, NULL, NULL, 0                                               \
    }
#define CREDITS(s, k, f, hi)                                                                       \
    {                                                                                              \
        s, k, V_CREDITS, OFF(f), 0, 0, hi, NULL, NULL, 0                                           \
    }

static const struct key_spec keys[] = {
    TEXT("kiosk", "id", kiosk.id),
    TEXT("kiosk", "site", kiosk.site),
    TEXT("kiosk", "trust", kiosk.trust),
    TEXT("kiosk", "fire_wardens", kiosk.fire_wardens),
    TEXT("kiosk", "printer", kiosk.printer),
    TEXT("kiosk", "timezone", kiosk.timezone),
    PATH("kiosk", "database", kiosk.database),
    PATH("kiosk", "key_file", kiosk.key_file),
    PATH("kiosk", "site_key_file", kiosk.site_key_file),
    PATH("kiosk", "log_file", kiosk.log_file),
    ENUM("reader", "driver", reader.driver, reader_driver_names, READER_DRIVER_COUNT),
    TEXT("reader", "connstring", reader.connstring),
    PATH("reader", "script", reader.script),
    INT("reader", "poll_ms", reader.poll_ms, 10, 1000, "milliseconds"),
    INT("reader", "debounce_ms", reader.debounce_ms, 0, 10000, "milliseconds"),
    ENUM("reader", "keyboard_format", reader.keyboard_format, uid_text_format_names,
         UID_TEXT_COUNT),
    ENUM("reader", "keyboard_byte_order", reader.keyboard_byte_order, uid_byte_order_names,
         UID_ORDER_COUNT),
    BOOL("reader", "accept_random_uids", rules.accept_random_uids),
    INT("rules", "open_before_min", rules.open_before_min, 0, 240, "minutes"),
    INT("rules", "late_after_min", rules.late_after_min, 0, 120, "minutes"),
    INT("rules", "early_before_min", rules.early_before_min, 0, 120, "minutes"),
    INT("rules", "checkout_after_min", rules.checkout_after_min, 0, 480, "minutes"),
    INT("rules", "repeat_tap_s", rules.repeat_tap_s, 0, 600, "seconds"),
    INT("rules", "confirm_leave_s", rules.confirm_leave_s, 3, 60, "seconds"),
    CREDITS("rules", "target_credits", rules.target_quarters, 100),
    CREDITS("rules", "prerecorded_cap_credits", rules.prerecorded_cap_quarters, 100),
    DATE("terms", "year_start", rules.terms.year.first),
    DATE("terms", "year_end", rules.terms.year.last),
    DATE("terms", "autumn1_start", rules.terms.half[HALF_AUTUMN1].first),
    DATE("terms", "autumn1_end", rules.terms.half[HALF_AUTUMN1].last),
    DATE("terms", "autumn2_start", rules.terms.half[HALF_AUTUMN2].first),
    DATE("terms", "autumn2_end", rules.terms.half[HALF_AUTUMN2].last),
    DATE("terms", "spring1_start", rules.terms.half[HALF_SPRING1].first),
    DATE("terms", "spring1_end", rules.terms.half[HALF_SPRING1].last),
    DATE("terms", "spring2_start", rules.terms.half[HALF_SPRING2].first),
    DATE("terms", "spring2_end", rules.terms.half[HALF_SPRING2].last),
    DATE("terms", "summer1_start", rules.terms.half[HALF_SUMMER1].first),
    DATE("terms", "summer1_end", rules.terms.half[HALF_SUMMER1].last),
    DATE("terms", "summer2_start", rules.terms.half[HALF_SUMMER2].first),
    DATE("terms", "summer2_end", rules.terms.half[HALF_SUMMER2].last),
    BOOL("display", "fullscreen", display.fullscreen),
    TEXT("display", "font", display.font),
    BOOL("display", "sound", display.sound),
    INT("display", "result_seconds", display.result_seconds, 2, 30, "seconds"),
    BOOL("display", "evaluation", display.evaluation),
    INT("display", "evaluation_seconds", display.evaluation_seconds, 3, 30, "seconds"),
    TEXT("sync", "conninfo", sync.conninfo),
    PATH("sync", "password_file", sync.password_file),
    INT("sync", "batch", sync.batch, 1, 10000, "events"), /* the ledger takes 10,000 at most */
    INT("sync", "connect_timeout_s", sync.connect_timeout_s, 1, 120, "seconds"),
    INT("sync", "clock_warn_s", sync.clock_warn_s, 1, 3600, "seconds"),
    /* At least a CPD year and a month: the year on screen is always counted from events here. */
    INT("sync", "keep_synced_days", sync.keep_synced_days, 400, 3650, "days"),
    TEXT("sync", "sslmode", sync.sslmode),
    PATH("sync", "sslrootcert", sync.sslrootcert),
    TEXT("sync", "channel_binding", sync.channel_binding),
    TEXT("sync", "office_public_key", sync.office_public_key),
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {"kiosk", "reader", "rules", "terms", "display", "sync"};

void config_default(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->kiosk.id, sizeof(cfg->kiosk.id), "central-1");
    snprintf(cfg->kiosk.site, sizeof(cfg->kiosk.site), "Central Office");
    snprintf(cfg->kiosk.trust, sizeof(cfg->kiosk.trust), "Bolton Impact Trust");
    snprintf(cfg->kiosk.timezone, sizeof(cfg->kiosk.timezone), "Europe/London");
    snprintf(cfg->kiosk.database, sizeof(cfg->kiosk.database), "/var/lib/cpd-kiosk/kiosk.db");
    cfg->reader.driver = READER_DRIVER_LIBNFC;
    snprintf(cfg->reader.connstring, sizeof(cfg->reader.connstring), "pn532_uart:/dev/cpd-reader");
    cfg->reader.poll_ms = 50;
    cfg->reader.debounce_ms = 1500;
    cfg->reader.keyboard_format = UID_TEXT_HEX;
    cfg->reader.keyboard_byte_order = UID_ORDER_MSB_FIRST;
    rules_default(&cfg->rules);
    cfg->display.fullscreen = true;
    snprintf(cfg->display.font, sizeof(cfg->display.font), "DejaVu Sans");
    cfg->display.sound = true;
    cfg->display.result_seconds = 5;
    cfg->display.evaluation_seconds = 8;
    cfg->sync.batch = 1000;
    cfg->sync.connect_timeout_s = 10;
    cfg->sync.clock_warn_s = 60;
    cfg->sync.keep_synced_days = 730;
    cfg->sync.credit_year_first = cfg->rules.terms.year.first;
    snprintf(cfg->sync.sslmode, sizeof(cfg->sync.sslmode), "verify-full");
    snprintf(cfg->sync.channel_binding, sizeof(cfg->sync.channel_binding), "require");
}

/* ---- loading ----------------------------------------------------------------------------- */

struct loader {
    struct config cfg; /* loaded into a copy: the caller's is replaced only on success */
    const char *path;
    config_report_fn report;
    void *ctx;
    int errors;
    int line_of[N_KEYS]; /* where each key was set, 0 = default */
    char *data; /* the whole file (at most CONFIG_FILE_MAX bytes), its size, and how far read */
    size_t size, at;
    char *text;       /* the line read_line read whole (its own copy, NUL-terminated) */
    int line;         /* the line being parsed: Debian's inih does not pass it to the handler */
    char section[64]; /* the current [section], as read_line saw it */
    bool section_known;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
problem(struct loader *L, int line, const char *fmt, ...)
{
    char message[512], full[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(full, sizeof(full), "%s:%d: %s", L->path, line, message);
    else
        snprintf(full, sizeof(full), "%s: %s", L->path, message);
    /* Counted all the same: the last line says how many more there were (config_load). */
    if (++L->errors <= CONFIG_REPORT_MAX && L->report)
        L->report(L->ctx, L->path, line, full);
}

static void set_value(struct loader *L, const struct key_spec *k, const char *value, int line)
{
    char *field = (char *)&L->cfg + k->offset;
    char expected[256];
    long n = 0;
    int b, q;
    civil_day d;
    switch (k->type) {
    case V_TEXT:
    case V_PATH: {
        const char *why = check_text(k, value);
        if (strlen(value) >= k->size)
            problem(L, line, "[%s] %s: expected at most %zu characters, got %zu", k->section,
                    k->key, k->size - 1, strlen(value));
        else if (why && (mentions_password(value) || uri_has_password(value)))
            problem(L, line, "[%s] %s: expected %s, got a value with a password (not shown)",
                    k->section, k->key, why);
        else if (why)
            problem(L, line, "[%s] %s: expected %s, got \"%s\"", k->section, k->key, why, value);
        else
            memcpy(field, value, strlen(value) + 1);
        return;
    }
    case V_INT:
        if (!parse_int(value, &n) || n < k->min || n > k->max)
            problem(L, line, "[%s] %s: expected %d–%d %s, got \"%s\"", k->section, k->key, k->min,
                    k->max, k->unit, value);
        else
            *(int *)field = (int)n;
        return;
    case V_BOOL:
        b = parse_bool(value);
        if (b < 0)
            problem(L, line, "[%s] %s: expected true or false (yes/no, on/off, 1/0), got \"%s\"",
                    k->section, k->key, value);
        else
            *(bool *)field = b == 1;
        return;
    case V_ENUM: {
        int v = names_parse(k->names, k->n_names, value);
        if (v >= 0) {
            *(int *)field = v;
            return;
        }
        problem(L, line, "[%s] %s: expected %s, got \"%s\"", k->section, k->key,
                names_list(k->names, k->n_names, expected, sizeof(expected)), value);
        return;
    }
    case V_DATE:
        if (civil_parse_date(value, &d) != 0)
            problem(L, line, "[%s] %s: expected a real date YYYY-MM-DD, got \"%s\"", k->section,
                    k->key, value);
        else
            *(civil_day *)field = d;
        return;
    case V_CREDITS:
        if (rules_parse_quarters(value, &q) != 0 || q > k->max * QUARTERS_PER_CREDIT)
            problem(L, line, "[%s] %s: expected 0–%d credits in steps of 0.25, got \"%s\"",
                    k->section, k->key, k->max, value);
        else
            *(int *)field = q;
        return;
    }
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct loader *L = user;
    int line = L->line;
    (void)section; /* the section line was seen (and checked) by read_line */
    if (!L->section[0]) {
        problem(L, line, "%s: a key outside any section (start with [kiosk], …)", name);
        return 1;
    }
    if (!L->section_known)
        return 1; /* already reported on the section line */
    char unquoted[CONFIG_PATH_MAX + 2];
    size_t n = strlen(value);
    if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
        snprintf(unquoted, sizeof(unquoted), "%.*s", (int)(n - 2), value + 1);
    else
        snprintf(unquoted, sizeof(unquoted), "%s", value);
    if (n > CONFIG_PATH_MAX) {
        problem(L, line, "[%s] %s: value longer than %d characters", section, name,
                CONFIG_PATH_MAX - 1);
        return 1;
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].key, name) != 0)
            continue;
        if (L->line_of[i])
            problem(L, line, "[%s] %s: set twice (first on line %d)", section, name, L->line_of[i]);
        else
            set_value(L, &keys[i], unquoted, line);
        L->line_of[i] = line;
        return 1;
    }
    problem(L, line, "[%s] %s: unknown key", section, name);
    return 1;
}

static int key_index(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
            return (int)i;
    }
    return -1;
}

/* The line to blame for a rule between two keys: the later one set in the file. */
static int blame(const struct loader *L, const char *section, const char *a, const char *b)
{
    int la = L->line_of[key_index(section, a)], lb = L->line_of[key_index(section, b)];
    return la > lb ? la : lb;
}

static void check_terms(struct loader *L)
{
    static const char *const names[HALF_COUNT] = {"autumn1", "autumn2", "spring1",
                                                  "spring2", "summer1", "summer2"};
    const struct terms *t = &L->cfg.rules.terms;
    if (t->year.last <= t->year.first || t->year.last - t->year.first > 366)
        problem(L, blame(L, "terms", "year_start", "year_end"),
                "[terms] year_end: expected a day after year_start and at most 366 days later");
    for (int i = 0; i < HALF_COUNT; i++) {
        char start[32], end[32], prev_end[32];
        snprintf(start, sizeof(start), "%s_start", names[i]);
        snprintf(end, sizeof(end), "%s_end", names[i]);
        if (t->half[i].last < t->half[i].first)
            problem(L, blame(L, "terms", start, end), "[terms] %s: expected on or after %s", end,
                    start);
        if (t->half[i].first < t->year.first || t->half[i].last > t->year.last)
            problem(L, blame(L, "terms", start, end),
                    "[terms] %s: expected within year_start–year_end", names[i]);
        if (i > 0 && t->half[i].first <= t->half[i - 1].last) {
            snprintf(prev_end, sizeof(prev_end), "%s_end", names[i - 1]);
            problem(L, blame(L, "terms", start, prev_end),
                    "[terms] %s: expected after %s (half-terms in order, not overlapping)", start,
                    prev_end);
        }
    }
}

static void check_reader(struct loader *L)
{
    const struct reader_options *r = &L->cfg.reader;
    int driver_line = L->line_of[key_index("reader", "driver")];
    if (r->driver == READER_DRIVER_SIM && !r->script[0])
        problem(L, blame(L, "reader", "driver", "script"),
                "[reader] script: expected a script file or FIFO when driver = sim");
    if (r->driver != READER_DRIVER_LIBNFC)
        return;
    const char *colon = strchr(r->connstring, ':');
    size_t name_len = colon ? (size_t)(colon - r->connstring) : strlen(r->connstring);
    int line = L->line_of[key_index("reader", "connstring")];
    /* libnfc 1.8's drivers: a misspelt one would only ever be "not answering". USB and PC/SC
     * readers are found by libnfc itself ("pn53x_usb", or "pn53x_usb:BUS:DEVICE"); the others
     * need their device path. */
    static const char *const drivers[] = {"pn532_uart", "pn532_spi", "pn532_i2c", "arygon",
                                          "acr122s",    "pn53x_usb", "acr122_usb"};
    int known = -1;
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (strlen(drivers[i]) == name_len && strncmp(drivers[i], r->connstring, name_len) == 0)
            known = (int)i;
    }
    if (known < 0) {
        problem(L, line ? line : driver_line,
                "[reader] connstring: unknown libnfc driver \"%.*s\" (expected pn532_uart, "
                "pn532_spi, pn532_i2c, pn53x_usb, acr122_usb, acr122s or arygon: Debian's "
                "libnfc 1.8)",
                (int)name_len, r->connstring);
        return;
    }
    if (known >= 5)
        return; /* USB: anything after the driver is libnfc's to read */
    const char *path = colon ? colon + 1 : "";
    const char *baud = strchr(path, ':');
    bool baud_ok = true;
    for (const char *p = baud ? baud + 1 : ""; *p; p++)
        baud_ok &= isdigit((unsigned char)*p) != 0;
    long rate = baud && baud_ok && strlen(baud + 1) <= 7 ? strtol(baud + 1, NULL, 10) : -1;
    if (baud && (rate < 1200 || rate > 1000000))
        baud_ok = false;
    /* An absolute path: the exclusive lock is taken on it, whatever the working directory. */
    if (!colon || colon == r->connstring || path[0] != '/' || (baud && (!baud[1] || !baud_ok)))
        problem(L, line ? line : driver_line,
                "[reader] connstring: expected \"driver:/device[:baud]\" (an absolute device "
                "path without ':', a baud rate of 1200–1000000), got \"%s\"",
                r->connstring);
}

/* inih's rule for a line it cannot parse, applied here where the line's text is at hand. s is
 * a section or setting line, trimmed, checked as plain text. */
static bool check_syntax(struct loader *L, const char *s)
{
    char shown[120];
    utf8_copy(shown, sizeof(shown), s);
    const char *more = strlen(shown) < strlen(s) ? "…" : "";
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close) {
            problem(L, L->line, "syntax error: a section needs its closing ], got \"%s%s\"", shown,
                    more);
            snprintf(L->section, sizeof(L->section), "?");
            L->section_known = false; /* its keys are not checked: the section line was wrong */
            return false;
        }
        snprintf(L->section, sizeof(L->section), "%.*s", (int)(close - s - 1), s + 1);
        L->section_known = false;
        for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            L->section_known |= strcmp(L->section, sections[i]) == 0;
        if (close[1 + strspn(close + 1, " \t")] != '\0') {
            problem(L, L->line,
                    "[%s]: text after the closing ] (a comment goes on a line of its own)",
                    L->section);
            L->section_known = false;
            return false;
        }
        if (!L->section_known)
            problem(L, L->line,
                    "[%s]: unknown section (expected kiosk, reader, rules, terms, "
                    "display or sync)",
                    L->section);
        return true;
    }
    if (!strpbrk(s, "=:")) {
        problem(L, L->line, "syntax error: expected \"key = value\" or \"[section]\", got \"%s%s\"",
                shown, more);
        return false;
    }
    return true;
}

/* A setting's line with a ';' after a space: Debian's inih would cut the value there without a
 * word (`site = Room 1 ;x` → "Room 1"). Comments go on lines of their own. */
static bool has_inline_comment(const char *s)
{
    for (const char *p = s + 1; *p; p++) {
        if (*p == ';' && (p[-1] == ' ' || p[-1] == '\t'))
            return true;
    }
    return false;
}

/* Valid UTF-8 with no control character but tabs, and nothing that makes a line read otherwise
 * than it is (core/base/utf8.h). */
static bool plain_line(const char *s)
{
    char *copy = strdup(s); /* a comment may be of any length */
    if (!copy)
        return false;
    for (char *p = copy; (p = strchr(p, '\t')); p++)
        *p = ' ';
    bool plain = utf8_plain(copy);
    free(copy);
    return plain;
}

/* inih's line reader. Debian's inih reads a line in chunks of 200 bytes, so the tail of a longer
 * line would be parsed as a line of its own (a long comment's tail as a live key) and its line
 * numbers would drift. So each line of the file is read here whole, checked, and handed to inih
 * only as it should be seen: a comment or blank line as an empty line, a setting or section
 * without its leading space (an indented line would be inih's continuation of the last value),
 * and a line that breaks a rule as an empty line after saying why. */
static char *read_line(char *buf, int size, void *stream)
{
    struct loader *L = stream;
    if (L->at >= L->size)
        return NULL;
    const char *start = L->data + L->at;
    const char *end = memchr(start, '\n', L->size - L->at);
    size_t n = end ? (size_t)(end - start) + 1 : L->size - L->at;
    memcpy(L->text, start, n);
    L->text[n] = '\0';
    L->at += n;
    L->line++;
    char *s = L->text;
    if (L->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 BOM */
        s += 3;
        n -= 3;
    }
    if (L->line == 1 && n >= 2 &&
        (memcmp(s, "\xFF\xFE", 2) == 0 || memcmp(s, "\xFE\xFF", 2) == 0)) {
        /* Notepad's "Unicode": every other byte a NUL. One message, not one per line. */
        problem(L, L->line, "saved as UTF-16 (\"Unicode\"): save the file as UTF-8");
        return NULL;
    }
    snprintf(buf, (size_t)size, "\n");
    if (memchr(s, '\0', n)) {
        problem(L, L->line, "a NUL byte in the line: kiosk.ini must be plain text");
        return buf;
    }
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    if (memchr(s, '\r', n)) {
        /* Old Mac line ends: the whole file one line, settings and all taken for a comment. */
        problem(L, L->line,
                "a carriage return inside the line: save the file with Unix (LF) or "
                "Windows (CRLF) line ends");
        return buf;
    }
    s += strspn(s, " \t");
    if (*s == ';' || *s == '#') {
        /* A comment of any length, but text all the same: nothing in it may hide the lines
         * around it from whoever reads the file. */
        if (!utf8_valid(s))
            problem(L, L->line, "not UTF-8 text (save the file as UTF-8)");
        else if (!plain_line(s))
            problem(L, L->line, "a control character in the line: kiosk.ini must be plain text");
        return buf;
    }
    if (*s == '\0')
        return buf;
    size_t len = strlen(s);
    if (len + 2 > (size_t)size) {
        problem(L, L->line, "the line is %zu bytes long; a setting's line may have at most %d", len,
                size - 2);
        return buf;
    }
    if (!utf8_valid(s)) {
        problem(L, L->line, "not UTF-8 text (save the file as UTF-8)");
        return buf;
    }
    if (!plain_line(s)) {
        problem(L, L->line, "a control character in the line: kiosk.ini must be plain text");
        return buf;
    }
    if (!check_syntax(L, s))
        return buf;
    if (*s != '[' && has_inline_comment(s)) {
        problem(L, L->line,
                "a ';' after a space would start a comment, and comments go on a line of their "
                "own: move it, or remove the ';'");
        return buf;
    }
    snprintf(buf, (size_t)size, "%s\n", s);
    return buf;
}

const char *config_installed_path(void)
{
    return access(CPD_INSTALLED_CONFIG, F_OK) == 0 ? CPD_INSTALLED_CONFIG : NULL;
}

/* What a file that is not a regular one is, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "something else";
}

/* /dev/null, however it was reached: it reads as an empty file, so `--config /dev/null` is the
 * usual way to say "the built-in defaults" (whatever kiosk.ini is installed). */
static bool is_null_device(const struct stat *st)
{
    struct stat null;
    return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
           st->st_rdev == null.st_rdev;
}

/* Says that path is not a regular file but kind, and where a symbolic link led. */
static void not_regular(struct loader *L, const char *kind)
{
    struct stat lst;
    char *target =
        lstat(L->path, &lst) == 0 && S_ISLNK(lst.st_mode) ? realpath(L->path, NULL) : NULL;
    char shown[200] = "";
    if (target)
        utf8_printf(shown, sizeof(shown), " (the symbolic link leads to %s)", target);
    free(target);
    problem(L, 0, "%s%s, not a regular file: kiosk.ini must be a plain text file", kind, shown);
}

/* The whole file into L->data, if it is one kiosk.ini can be: a regular file (a symbolic link
 * is followed: configuration tools link files into /etc, and the target is checked) of at most
 * CONFIG_FILE_MAX bytes, or /dev/null. A device, a FIFO or a directory would be read without
 * end (/dev/zero: one endless line; /dev/urandom: endless errors) or block. */
static int read_file(struct loader *L)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer to come along. */
    int fd = open(L->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        problem(L, 0, "cannot open: %s", strerror(errno));
        return CONFIG_ENOENT;
    }
    int rc = CONFIG_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        problem(L, 0, "cannot read: %s", strerror(errno));
        rc = CONFIG_ENOENT;
        goto out;
    }
    if (!S_ISREG(st.st_mode) && !is_null_device(&st)) {
        not_regular(L, file_kind(st.st_mode));
        rc = CONFIG_ENOTFILE;
        goto out;
    }
    L->data = malloc(CONFIG_FILE_MAX + 1);
    L->text = malloc(CONFIG_FILE_MAX + 2);
    if (!L->data || !L->text) {
        rc = CONFIG_ENOMEM;
        goto out;
    }
    if (!S_ISREG(st.st_mode))
        goto out; /* the null device: nothing to read */
    /* Read to one byte past the limit: the size fstat gave may have changed since. */
    while (rc == CONFIG_OK && L->size <= CONFIG_FILE_MAX) {
        ssize_t n = read(fd, L->data + L->size, CONFIG_FILE_MAX + 1 - L->size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            problem(L, 0, "cannot read: %s", strerror(errno));
            rc = CONFIG_ENOENT;
        }
        if (n <= 0)
            break;
        L->size += (size_t)n;
    }
    if (rc == CONFIG_OK && L->size > CONFIG_FILE_MAX) {
        problem(L, 0, "%lld bytes, more than kiosk.ini may have (%d KiB): is it the right file?",
                st.st_size > (off_t)L->size ? (long long)st.st_size : (long long)L->size,
                CONFIG_FILE_MAX / 1024);
        rc = CONFIG_ETOOBIG;
    }
out:
    close(fd);
    return rc;
}

int config_load(struct config *cfg, const char *path, config_report_fn report, void *ctx)
{
    struct loader *L = calloc(1, sizeof(*L));
    if (!L)
        return CONFIG_ENOMEM;
    L->cfg = *cfg;
    L->path = path;
    L->report = report;
    L->ctx = ctx;
    int rc = read_file(L);
    if (rc != CONFIG_OK)
        goto out;
    if (ini_parse_stream(read_line, L, on_entry, L) < 0) {
        rc = CONFIG_ENOMEM;
        goto out;
    }
    check_terms(L);
    check_reader(L);
    if (L->errors > CONFIG_REPORT_MAX && L->report) {
        /* Never cut silently: what was not listed is counted. */
        char more[CONFIG_PATH_MAX + 96];
        int hidden = L->errors - CONFIG_REPORT_MAX;
        snprintf(more, sizeof(more), "%s: %d more problem%s not shown (the first %d are above)",
                 path, hidden, hidden == 1 ? "" : "s", CONFIG_REPORT_MAX);
        L->report(L->ctx, path, 0, more);
    }
    if (L->errors) {
        rc = CONFIG_EINVALID;
        goto out;
    }
    snprintf(L->cfg.source, sizeof(L->cfg.source), "%s", path);
    L->cfg.sync.credit_year_first = L->cfg.rules.terms.year.first;
    *cfg = L->cfg;
out:
    free(L->data);
    free(L->text);
    free(L);
    return rc;
}
