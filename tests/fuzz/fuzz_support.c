#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/fuzz/fuzz_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/domain/event.h"

/* Made for the fuzz targets only (never a kiosk's): the seeds' signatures are by this key. */
#define FUZZ_SIGN_SK_HEX                                                                           \
    "464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465"                             \
    "4c7a18618481ccd534c8c8243365f9345891c47d9e3a8e01ced4293eec2fa559"
#define FUZZ_SITE_KEY_HEX "535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172"

/* The harness's state: a process of its own runs each target, so these live as long as it. */
static struct {
    char dir[64];
    struct kiosk_keys keys;
    struct rules rules;
    struct {
        unsigned char *bytes;
        size_t size;
    } templates[2];
} fz;

void fuzz_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    if (fz.dir[0])
        nftw(fz.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directories of processes gone without their atexit (a crash, a timeout, a fork
 * mode's job killed): each is named after its pid. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        long pid = 0;
        char path[300];
        if (sscanf(e->d_name, "cpd-fuzz-%ld-", &pid) != 1 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
            errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
        nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

void fuzz_init(void)
{
    if (fz.dir[0])
        return;
    if (crypto_init() != CRYPTO_OK || zone_set("Europe/London") != ZONE_OK)
        fuzz_die("crypto_init or zone_set failed");
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    remove_stale(base);
    snprintf(fz.dir, sizeof(fz.dir), "%s/cpd-fuzz-%ld-XXXXXX", base, (long)getpid());
    if (!mkdtemp(fz.dir))
        fuzz_die("mkdtemp %s: %s", fz.dir, strerror(errno));
    atexit(remove_scratch);
    if (crypto_unhex(fz.keys.sign_sk, sizeof(fz.keys.sign_sk), FUZZ_SIGN_SK_HEX) != 0 ||
        crypto_unhex(fz.keys.site, sizeof(fz.keys.site), FUZZ_SITE_KEY_HEX) != 0)
        fuzz_die("the fixed keys do not parse");
    crypto_sign_public_of(fz.keys.sign_sk, fz.keys.sign_pk);
    rules_default(&fz.rules);
}

void fuzz_path(char *out, size_t cap, const char *name)
{
    if ((size_t)snprintf(out, cap, "%s/%s", fz.dir, name) >= cap)
        fuzz_die("path too long: %s/%s", fz.dir, name);
}

static void write_all(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_die("%s: %s", path, strerror(errno));
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0)
            fuzz_die("%s: %s", path, strerror(errno));
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    write_all(path, data, size);
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        fuzz_die("out of memory");
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fuzz_touch(const char *s)
{
    volatile size_t n = strlen(s);
    (void)n;
}

void fuzz_report_line(void *ctx, const char *line)
{
    (void)ctx;
    fuzz_touch(line);
    fuzz_say("%s", line);
}

void fuzz_say(const char *fmt, ...)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("CPD_FUZZ_VERBOSE") != NULL;
    if (!verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const struct kiosk_keys *fuzz_keys(void)
{
    return &fz.keys;
}

const struct rules *fuzz_rules(void)
{
    return &fz.rules;
}

void fuzz_import_data(struct store *store, enum import_kind kind, const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, file);
    struct import_options o = {.rules = &fz.rules, .site_key = fz.keys.site};
    struct import_result r;
    int err = import_file(store, kind, path, &o, &r);
    if (err != IMPORT_OK || r.errors != 0)
        fuzz_die("importing %s: %s", path, cpd_strerror(err));
}

static struct store *open_store(const char *path, enum fuzz_store_kind kind)
{
    struct store *s = NULL;
    char why[256];
    if (store_open(path, &s, why, sizeof(why)) != STORE_OK)
        fuzz_die("store_open %s: %s", path, why);
    if (kind == FUZZ_STORE_KIOSK && store_set_signer(s, FUZZ_KIOSK, fz.keys.sign_sk) != STORE_OK)
        fuzz_die("store_set_signer: %s", store_message(s));
    return s;
}

/* Two events, the same bytes in every run (fixed uuid, times and key): the seeds' heal rows
 * continue this chain. */
static void append_fixed_events(struct store *s)
{
    static const char *const uuids[] = {"00000000-0000-4000-8000-000000000001",
                                        "00000000-0000-4000-8000-000000000002"};
    for (int i = 0; i < 2; i++) {
        struct event e;
        int64_t wall = 1696233600000000 + i * 60000000; /* 2023-10-02 09:00 BST, then 09:01 */
        if (event_make(&e, EV_NO_SESSION, NULL, NULL, wall, 1000000 + i, "synced", NULL) !=
            EVENT_OK)
            fuzz_die("event_make");
        snprintf(e.uuid, sizeof(e.uuid), "%s", uuids[i]);
        if (store_append_event(s, &e) != STORE_OK)
            fuzz_die("store_append_event: %s", store_message(s));
    }
}

static void make_template(enum fuzz_store_kind kind)
{
    char path[256], wal[300], shm[300];
    fuzz_path(path, sizeof(path), kind == FUZZ_STORE_KIOSK ? "kiosk.db" : "empty.db");
    struct store *s = open_store(path, kind);
    if (kind == FUZZ_STORE_KIOSK) {
        if (store_site_key_check(s, fz.keys.site, true) != STORE_OK)
            fuzz_die("store_site_key_check: %s", store_message(s));
        fuzz_import_data(s, IMPORT_PROGRAMME, "programme-2023-24.csv");
        fuzz_import_data(s, IMPORT_ROSTER, "demo-roster.csv");
        fuzz_import_data(s, IMPORT_BOOKINGS, "demo-bookings.csv");
        fuzz_import_data(s, IMPORT_CREDITS, "demo-credits.csv");
        append_fixed_events(s);
    }
    store_close(s); /* the last connection folds the WAL back: one file to copy */
    snprintf(wal, sizeof(wal), "%s-wal", path);
    snprintf(shm, sizeof(shm), "%s-shm", path);
    if (access(wal, F_OK) == 0 || access(shm, F_OK) == 0)
        fuzz_die("%s: the WAL outlived the store", path);
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0)
        fuzz_die("%s: %s", path, strerror(errno));
    long size = ftell(f);
    rewind(f);
    fz.templates[kind].bytes = malloc((size_t)size);
    fz.templates[kind].size = (size_t)size;
    if (!fz.templates[kind].bytes ||
        fread(fz.templates[kind].bytes, 1, (size_t)size, f) != (size_t)size)
        fuzz_die("%s: cannot read it back", path);
    fclose(f);
}

struct store *fuzz_store_fresh(enum fuzz_store_kind kind)
{
    if (!fz.templates[kind].bytes)
        make_template(kind);
    char path[256], wal[300], shm[300], receipts[300];
    fuzz_path(path, sizeof(path), "work.db");
    snprintf(wal, sizeof(wal), "%s-wal", path);
    snprintf(shm, sizeof(shm), "%s-shm", path);
    snprintf(receipts, sizeof(receipts), "%s-receipts", path);
    unlink(wal);
    unlink(shm);
    unlink(receipts); /* an earlier input's: every input starts from the template alone */
    write_all(path, fz.templates[kind].bytes, fz.templates[kind].size);
    return open_store(path, kind);
}
