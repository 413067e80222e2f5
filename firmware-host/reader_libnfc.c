/* The libnfc backend (the only file that includes nfc/nfc.h): a PN532 (or PN533) polled from its
 * own thread — select without infinite select, a pause of poll_ms between rounds, presence checks
 * until the card is gone, one event per presentation, debounce, and reconnection with backoff
 * when the reader stops answering or disappears. Never InAutoPoll: it cannot be aborted before
 * its ACK. An exclusive flock on the device, because libnfc's own check does not work on Linux. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <nfc/nfc.h>

#include "core/base/clock.h"
#include "firmware-host/reader_impl.h"

#define BACKOFF_MIN_MS     250
#define BACKOFF_MAX_MS     2000
#define ERRORS_BEFORE_DOWN 3
#define HELD_THROUGH_US    (INT64_C(30) * 1000000) /* a replug takes seconds, not minutes */
#define QUICK_FAILURE_US   (INT64_C(5) * 1000000)

struct nfcr {
    pthread_mutex_t dev_lock; /* guards dev: stop aborts the command in flight on it */
    nfc_context *context;
    nfc_device *dev;
    int lock_fd;
    int state; /* the last state reported: 1 up, 0 down, -1 none yet */
    char down_reason[READER_PATH_MAX + 160]; /* … and, while down, why */
    struct uid last_uid;                     /* the last card removed … */
    int64_t last_removed_us;                 /* … and when */
    bool held_through; /* … or held while the reader failed: not a new tap when it is
                          found again after the reopen */
    char device_path[READER_PATH_MAX];
};

/* One event per change: up, down, or down for another reason (an installer acts on the reason
 * now, not the first one: "device path gone" once it is unplugged, "not answering" once it is
 * back but miswired). */
static void report(struct reader *r, bool up, const char *reason)
{
    struct nfcr *n = r->backend;
    if (up && n->state == 1)
        return;
    if (!up && n->state == 0 && strcmp(n->down_reason, reason ? reason : "") == 0)
        return;
    n->state = up ? 1 : 0;
    snprintf(n->down_reason, sizeof(n->down_reason), "%s", up || !reason ? "" : reason);
    reader_emit(r, up ? READER_UP : READER_DOWN, NULL, reason);
}

/* "pn532_uart:/dev/ttyUSB0[:115200]" → "/dev/ttyUSB0"; "" when the driver has no device path. */
static void device_path_of(const char *connstring, char *out, size_t cap)
{
    const char *colon = strchr(connstring, ':');
    out[0] = '\0';
    if (!colon || colon[1] != '/')
        return;
    snprintf(out, cap, "%.*s", (int)strcspn(colon + 1, ":"), colon + 1);
}

static void close_device(struct nfcr *n)
{
    pthread_mutex_lock(&n->dev_lock);
    nfc_device *dev = n->dev;
    n->dev = NULL;
    pthread_mutex_unlock(&n->dev_lock);
    if (dev)
        nfc_close(dev);
    if (n->lock_fd >= 0)
        close(n->lock_fd);
    n->lock_fd = -1;
}

static void permission_denied(const char *path, char *why, size_t cap)
{
    snprintf(why, cap,
             "%s: permission denied (is the kiosk's user in the cpd-kiosk group? docs/readers.md)",
             path);
}

static int open_device(struct reader *r, char *why, size_t cap)
{
    struct nfcr *n = r->backend;
    if (n->device_path[0]) {
        n->lock_fd = open(n->device_path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (n->lock_fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO)) {
            snprintf(why, cap, "%s: device path gone (unplugged, or the udev rule is missing)",
                     n->device_path);
            return READER_EOPEN;
        }
        if (n->lock_fd < 0 && (errno == EACCES || errno == EPERM)) {
            permission_denied(n->device_path, why, cap);
            return READER_EOPEN;
        }
        if (n->lock_fd < 0) {
            snprintf(why, cap, "%s: %s", n->device_path, strerror(errno));
            return READER_EOPEN;
        }
        if (access(n->device_path, R_OK | W_OK) != 0 && (errno == EACCES || errno == EPERM)) {
            permission_denied(n->device_path, why, cap);
            close(n->lock_fd);
            n->lock_fd = -1;
            return READER_EOPEN;
        }
        if (flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(why, cap,
                     "%s is in use by another process (another cpd-kiosk, or "
                     "cpd-admin reader-test?)",
                     n->device_path);
            close(n->lock_fd);
            n->lock_fd = -1;
            return READER_EBUSY;
        }
    }
    nfc_connstring connstring; /* libnfc's own buffer size */
    snprintf(connstring, sizeof(connstring), "%s", r->cfg.connstring);
    nfc_device *dev = nfc_open(n->context, connstring);
    if (!dev) {
        bool serial = strncmp(r->cfg.connstring, "pn532_uart", 10) == 0 ||
                      strncmp(r->cfg.connstring, "arygon", 6) == 0 ||
                      strncmp(r->cfg.connstring, "acr122s", 7) == 0;
        snprintf(why, cap, "%s: not answering — %s (docs/readers.md)", r->cfg.connstring,
                 serial ? "check the wiring (TX/RX), the HSU switches, 3.3 V and the baud rate"
                 : n->device_path[0]
                     ? "check the wiring and the module's interface switches"
                     : "check it is plugged in (lsusb) and not claimed by another driver");
        close_device(n);
        return READER_EOPEN;
    }
    if (nfc_initiator_init(dev) < 0 ||
        nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false) < 0 ||
        nfc_device_set_property_bool(dev, NP_AUTO_ISO14443_4, false) < 0) {
        snprintf(why, cap, "%s: %s", r->cfg.connstring, nfc_strerror(dev));
        nfc_close(dev);
        close_device(n);
        return READER_EOPEN;
    }
    pthread_mutex_lock(&n->dev_lock);
    n->dev = dev;
    pthread_mutex_unlock(&n->dev_lock);
    return READER_OK;
}

/* Whether the same card is still in the field: it is selected again by the UID it answered
 * with (libnfc adds the cascade tags of a 7- or 10-byte UID), at layer 3, as libnfc itself does
 * for MIFARE Classic. Unlike nfc_initiator_target_is_present this works for every ISO 14443A
 * card — libnfc 1.8 knows no presence check for SAK 00 / ATQA 00 04, MIFARE Plus SL2 and
 * others ("not supported"), and its ISO 14443-4 check sends an R(NAK) that a card left at layer
 * 3 (automatic RATS is off) never answers. NFC_SUCCESS, NFC_ETGRELEASED, or a device error. */
static int still_there(struct nfcr *n, const nfc_target *target)
{
    const nfc_modulation iso14443a = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    const nfc_iso14443a_info *was = &target->nti.nai;
    nfc_target now;
    int rc =
        nfc_initiator_select_passive_target(n->dev, iso14443a, was->abtUid, was->szUidLen, &now);
    if (rc == 0) /* the chip answered: no such card in the field */
        return NFC_ETGRELEASED;
    if (rc == NFC_ETIMEOUT) /* the chip did not answer: the reader's fault, not the card's */
        return NFC_EIO;
    if (rc < 0)
        return rc;
    const nfc_iso14443a_info *is = &now.nti.nai;
    return is->szUidLen == was->szUidLen && memcmp(is->abtUid, was->abtUid, was->szUidLen) == 0
               ? NFC_SUCCESS
               : NFC_ETGRELEASED; /* another card answered: this one is gone */
}

/* Follows one card until it is taken away. Returns false when the reader failed. */
static bool follow_card(struct reader *r, const nfc_target *target)
{
    struct nfcr *n = r->backend;
    struct uid uid = {0};
    bool bounce = true; /* a card not reported is not reported gone either */
    const nfc_iso14443a_info *info = &target->nti.nai;
    if (uid_from_bytes(info->abtUid, info->szUidLen, &uid) != UID_OK) {
        char reason[96];
        snprintf(reason, sizeof(reason), "a card with a %zu-byte UID (not 4, 7 or 10)",
                 info->szUidLen);
        reader_emit(r, READER_REJECTED, NULL, reason);
    } else {
        bool same =
            uid.len == n->last_uid.len && memcmp(uid.bytes, n->last_uid.bytes, uid.len) == 0;
        int64_t since = clock_monotonic_us() - n->last_removed_us;
        /* Held through a reader fault: the same presentation, already reported (its lifting
         * will be); back within the debounce: not a new one, and never reported. */
        bool continuing = same && n->held_through && since < HELD_THROUGH_US;
        bounce = !continuing && same && since < (int64_t)r->cfg.debounce_ms * 1000;
        if (!bounce && !continuing)
            reader_emit(r, READER_CARD, &uid, NULL);
    }
    n->held_through = false;
    int errors = 0;
    while (reader_nap(&r->stop, r->cfg.poll_ms)) {
        int rc = still_there(n, target);
        if (rc == NFC_SUCCESS) {
            errors = 0;
            continue;
        }
        if (rc == NFC_ETGRELEASED) {
            n->last_uid = uid;
            n->last_removed_us = clock_monotonic_us();
            if (!bounce && uid.len)
                reader_emit(r, READER_REMOVED, &uid, NULL);
            return true;
        }
        if (rc == NFC_EOPABORTED || ++errors >= ERRORS_BEFORE_DOWN || rc == NFC_ENOTSUCHDEV) {
            n->last_uid = uid; /* held while the reader failed: found again, the same tap */
            n->last_removed_us = clock_monotonic_us();
            n->held_through = rc != NFC_EOPABORTED && uid.len;
            return rc == NFC_EOPABORTED;
        }
    }
    return true;
}

/* Polls an open device until it fails or the reader is stopped. */
static void poll_device(struct reader *r, char *why, size_t cap)
{
    struct nfcr *n = r->backend;
    const nfc_modulation iso14443a = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    int errors = 0;
    while (!reader_stopping(&r->stop)) {
        nfc_target target;
        int rc = nfc_initiator_select_passive_target(n->dev, iso14443a, NULL, 0, &target);
        if (rc > 0) {
            errors = 0;
            if (!follow_card(r, &target)) {
                snprintf(why, cap, "%s: stopped answering while following a card",
                         r->cfg.connstring);
                return;
            }
        } else if (rc == 0 || rc == NFC_EOPABORTED) {
            errors = 0;
            if (rc == 0) /* nothing in the field: a card held through a fault was lifted */
                n->held_through = false;
        } else if (++errors >= ERRORS_BEFORE_DOWN || rc == NFC_ENOTSUCHDEV) {
            snprintf(why, cap, "%s: stopped answering (%s)", r->cfg.connstring,
                     nfc_strerror(n->dev));
            return;
        }
        if (!reader_nap(&r->stop, r->cfg.poll_ms))
            return;
    }
}

static void nfc_run(struct reader *r)
{
    struct nfcr *n = r->backend;
    int backoff = BACKOFF_MIN_MS, quick_failures = 0;
    char why[READER_PATH_MAX + 160];
    n->state = -1;
    while (!reader_stopping(&r->stop)) {
        int64_t attempt = clock_monotonic_us();
        int err = open_device(r, why, sizeof(why));
        if (err == READER_OK) {
            report(r, true, NULL);
            if (n->held_through) /* the window for "the same card, still held" starts now */
                n->last_removed_us = clock_monotonic_us();
            backoff = BACKOFF_MIN_MS;
            int64_t polling = clock_monotonic_us();
            poll_device(r, why, sizeof(why));
            close_device(n);
            if (reader_stopping(&r->stop))
                break;
            /* Reopened at once: a glitch may be over already. If not, the reopen's reason is
             * the one to act on ("device path gone", "not answering"), said once; a reader that
             * opens and fails again and again is down for the polling's reason. */
            quick_failures =
                clock_monotonic_us() - polling < QUICK_FAILURE_US ? quick_failures + 1 : 0;
            if (quick_failures >= ERRORS_BEFORE_DOWN)
                report(r, false, why);
            continue;
        }
        report(r, false, why);
        /* The backoff counts from the start of the failed attempt, so a reader that answers
         * again is back within one backoff plus one open. */
        int waited = (int)((clock_monotonic_us() - attempt) / 1000);
        if (backoff > waited && !reader_nap(&r->stop, backoff - waited))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    close_device(n);
}

static void nfc_interrupt(struct reader *r)
{
    struct nfcr *n = r->backend;
    pthread_mutex_lock(&n->dev_lock);
    if (n->dev)
        nfc_abort_command(n->dev); /* a select in flight returns NFC_EOPABORTED */
    pthread_mutex_unlock(&n->dev_lock);
}

static void nfc_destroy(struct reader *r)
{
    struct nfcr *n = r->backend;
    close_device(n);
    if (n->context)
        nfc_exit(n->context);
    pthread_mutex_destroy(&n->dev_lock);
    free(n);
}

static const struct reader_ops nfc_ops = {
    .run = nfc_run, .interrupt = nfc_interrupt, .destroy = nfc_destroy};

int reader_libnfc_open(struct reader *r, char *why, size_t cap)
{
    struct nfcr *n = calloc(1, sizeof(*n));
    if (!n)
        return READER_ENOMEM;
    n->lock_fd = -1;
    pthread_mutex_init(&n->dev_lock, NULL);
    r->backend = n;
    nfc_init(&n->context);
    if (!n->context) {
        snprintf(why, cap, "libnfc could not start (out of memory?)");
        nfc_destroy(r);
        return READER_ENOMEM;
    }
    device_path_of(r->cfg.connstring, n->device_path, sizeof(n->device_path));
    r->ops = &nfc_ops;
    return READER_OK;
}
