/* The keyring: every kiosk key head office registered, the schema's digest and head office's
 * own key, in a file kept apart from the database — the trust anchor of verify (ledger.h). */
#include "sync/ledger/ledger_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/strcopy.h"
#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/services/keys.h"
#include "sync/sync_pg.h"

/* ---- the keyring: kiosk keys kept outside the database --------------------------------- */

void ledger_keyring_free(struct ledger_keyring *k)
{
    if (k->rules)
        schema_rules_free(k->rules);
    free(k->rules);
    free(k->keys);
    memset(k, 0, sizeof(*k));
}

/* A key from a seq on replaces the kiosk's keys from that seq on, as cpd.rotate_key does in
 * the ledger: the keyring file is a history, this is what it says now. */
static int keyring_add(struct ledger_keyring *k, const struct ledger_key *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->keys[i].kiosk, key->kiosk) != 0 || k->keys[i].from_seq < key->from_seq)
            k->keys[kept++] = k->keys[i];
    }
    k->n = kept;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        struct ledger_key *grown = realloc(k->keys, cap * sizeof(*grown));
        if (!grown)
            return SYNC_ESTORE;
        k->keys = grown;
        k->cap = cap;
    }
    k->keys[k->n++] = *key;
    return SYNC_OK;
}

/* "<kiosk> <from_seq> <public key hex> <when> <reason…>", or "@schema 0 <digest> <when> …"
 * (the schema as ledger init left it); '#' starts a comment line. */
static int keyring_line(char *line, struct ledger_key *key)
{
    char *save = NULL, *id = strtok_r(line, " \t", &save), *from = strtok_r(NULL, " \t", &save);
    char *pk = strtok_r(NULL, " \t\r\n", &save), *when = strtok_r(NULL, " \t\r\n", &save);
    char *end = NULL;
    if (!id || !from || !pk || strcopy(key->kiosk, sizeof(key->kiosk), id) != 0 ||
        strcopy(key->when, sizeof(key->when), when ? when : "") != 0)
        return -1;
    key->from_seq = strtoll(from, &end, 10);
    if (*end || key->from_seq < 1 || crypto_unhex(key->pk, sizeof(key->pk), pk) != 0)
        return -1;
    return 0;
}

int ledger_keyring_load(const char *path, struct ledger_keyring *k, char *why, size_t cap)
{
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    char line[1024];
    int err = SYNC_OK;
    for (int no = 1; err == SYNC_OK && fgets(line, sizeof(line), f); no++) {
        struct ledger_key key;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, cap, "%s:%d: line too long", path, no);
            err = SYNC_ECONFIG;
        } else if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) {
            continue;
        } else if (strncmp(line, "@office 0 ", 10) == 0) {
            char *pk = line + 10;
            pk[strcspn(pk, " \t\r\n")] = '\0';
            if (crypto_unhex(k->office_pk, sizeof(k->office_pk), pk) != 0) {
                snprintf(why, cap, "%s:%d: an office line needs head office's 64-digit key", path,
                         no);
                err = SYNC_ECONFIG;
            }
            k->has_office = true;
        } else if (strncmp(line, "@schema 0 ", 10) == 0) {
            char *digest = line + 10;
            digest[strcspn(digest, " \t\r\n")] = '\0';
            if (strlen(digest) != 64 || strcopy(k->schema, sizeof(k->schema), digest) != 0) {
                snprintf(why, cap, "%s:%d: a schema line needs its 64-digit digest", path, no);
                err = SYNC_ECONFIG;
            }
        } else if (keyring_line(line, &key) != 0) {
            snprintf(why, cap, "%s:%d: expected \"KIOSK FROM_SEQ PUBLIC_KEY_HEX WHEN REASON\"",
                     path, no);
            err = SYNC_ECONFIG;
        } else {
            err = keyring_add(k, &key);
        }
    }
    fclose(f);
    /* The schema's lines as init built them (KEYRING.schema), to name what differs. */
    if (err == SYNC_OK && k->schema[0] && (k->rules = calloc(1, sizeof(*k->rules))) != NULL) {
        char ignored[256];
        if (schema_rules_load(path, k->rules, ignored, sizeof(ignored)) != SYNC_OK) {
            free(k->rules);
            k->rules = NULL;
        }
    }
    if (err != SYNC_OK)
        ledger_keyring_free(k);
    return err;
}

/* The keyring already says this kiosk's key from this seq is this one. */
static bool keyring_holds(const char *path, const char *kiosk, int64_t from_seq,
                          const char *public_key_hex)
{
    struct ledger_keyring ring;
    char ignored[256];
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    if (crypto_unhex(pk, sizeof(pk), public_key_hex) != 0 ||
        ledger_keyring_load(path, &ring, ignored, sizeof(ignored)) != SYNC_OK)
        return false;
    bool held = false;
    for (size_t i = 0; i < ring.n && !held; i++)
        held = strcmp(ring.keys[i].kiosk, kiosk) == 0 && ring.keys[i].from_seq == from_seq &&
               memcmp(ring.keys[i].pk, pk, sizeof(pk)) == 0;
    ledger_keyring_free(&ring);
    return held;
}

int ledger_keyring_append(const char *path, const char *kiosk, int64_t from_seq,
                          const char *public_key_hex, const char *reason, char *why, size_t cap)
{
    if (strcmp(kiosk, "@schema") == 0 || strcmp(kiosk, "@office") == 0) {
        struct ledger_keyring ring;
        char ignored[256], office[2 * CRYPTO_SIGN_PK_BYTES + 1] = "";
        bool loaded = ledger_keyring_load(path, &ring, ignored, sizeof(ignored)) == SYNC_OK;
        if (loaded && ring.has_office)
            crypto_hex(office, ring.office_pk, sizeof(ring.office_pk));
        bool same = loaded && strcmp(kiosk[1] == 's' ? ring.schema : office, public_key_hex) == 0;
        if (loaded)
            ledger_keyring_free(&ring);
        if (same)
            return SYNC_OK;
    } else if (keyring_holds(path, kiosk, from_seq, public_key_hex))
        return SYNC_OK; /* add-kiosk again (a new password): nothing new to anchor */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    char line[1024], when[48], second[24];
    int64_t now_us = clock_wall_us();
    time_t now = (time_t)(now_us / 1000000);
    struct tm tm;
    /* to the microsecond: a checkpoint taken in the same second is told apart */
    strftime(second, sizeof(second), "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tm));
    snprintf(when, sizeof(when), "%s.%06dZ", second, (int)(now_us % 1000000));
    int n = snprintf(line, sizeof(line), "%s %" PRId64 " %s %s %s\n", kiosk, from_seq,
                     public_key_hex, when, reason);
    int err = SYNC_OK;
    if (n < 0 || (size_t)n >= sizeof(line) || strchr(reason, '\n')) {
        snprintf(why, cap, "%s: the reason is too long or spans lines", path);
        err = SYNC_ECONFIG;
    } else if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        err = SYNC_ECONFIG;
    }
    close(fd);
    return err;
}

/* The key the keyring holds for kiosk at seq; NULL when it has none. */
const uint8_t *ledger_keyring_key(const struct ledger_keyring *k, const char *kiosk, int64_t seq)
{
    const struct ledger_key *best = NULL;
    for (size_t i = 0; i < k->n; i++) {
        const struct ledger_key *key = &k->keys[i];
        if (strcmp(key->kiosk, kiosk) == 0 && key->from_seq <= seq &&
            (!best || key->from_seq >= best->from_seq))
            best = key;
    }
    return best ? best->pk : NULL;
}

bool ledger_keyring_has(const struct ledger_keyring *k, const char *kiosk)
{
    return ledger_keyring_key(k, kiosk, INT64_MAX) != NULL;
}
