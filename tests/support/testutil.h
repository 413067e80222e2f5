/* testutil.h — a real kiosk store in a temporary directory for tests: the shipped 2023-24
 * programme and demo roster imported, keys made, taps at a given local time. */
#ifndef CPD_TESTUTIL_H
#define CPD_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/services/keys.h"
#include "core/domain/rules.h"
#include "core/store/store.h"
#include "core/services/tapflow.h"

struct testkiosk {
    char dir[256];
    char db_path[512];
    struct store *store;
    struct rules rules;
    struct kiosk_keys keys;
    struct tapflow flow;
};

/* mkdtemp under $TMPDIR (or /tmp); the path is written into out (cap ≥ 256). */
void test_tempdir(char *out, size_t cap);
/* rm -r of a test directory. */
void test_rmtree(const char *dir);
/* A store in a fresh temp dir, Europe/London, default rules, keys made; with_data imports
 * data/programme-2023-24.csv, demo-roster.csv, demo-bookings.csv and demo-credits.csv. Fails
 * the test (cmocka) on any error. */
void testkiosk_open(struct testkiosk *k, bool with_data);
void testkiosk_close(struct testkiosk *k);
/* Local "YYYY-MM-DD HH:MM[:SS]" → UTC µs (fails the test on a bad string). */
int64_t test_at(const char *local);
/* Taps a badge at a local time and returns the outcome; the result is kept in *out when not
 * NULL (allocate struct tap_result: it is large). Fails the test if the tap is not committed. */
enum tap_outcome test_tap(struct testkiosk *k, const char *uid_text, const char *local,
                          const char *chosen_code, struct tap_result *out);
/* What a file holds, NUL-terminated, in a buffer the caller frees; its length into *len (when
 * len is not NULL). Fails the test when it cannot be read. */
char *test_read_all(const char *path, size_t *len);
/* Writes text to dir/name and returns the path in out. */
void test_write_file(const char *dir, const char *name, const char *text, char *out, size_t cap);

#endif
