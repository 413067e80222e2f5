/* fuzz_support.h — what the libFuzzer targets share (docs/fuzzing.md).
 *
 * A scratch directory of the process's own (on /dev/shm when there is one: the store's fsyncs
 * cost nothing there), removed at exit, or by the next target to start when the process died
 * (a crash); the fuzz input as a file or a C string; stores made once from the shipped data and
 * copied afresh for each input, so every input starts from the same state and a crash replays
 * on its own; fixed keys, so seeds can carry valid signatures. A setup failure aborts with a
 * message: that is the harness broken, not a finding. */
#ifndef CPD_FUZZ_SUPPORT_H
#define CPD_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain/rules.h"
#include "core/services/import.h"
#include "core/services/keys.h"
#include "core/store/store.h"

/* The kiosk id of the stores below, and of the ledger rows the seeds hold. */
#define FUZZ_KIOSK "fuzz-kiosk" /* FAKE_PG_KIOSK: the fake ledger's default */

/* Once per process (from LLVMFuzzerInitialize): crypto, Europe/London, the scratch dir. */
void fuzz_init(void);
void fuzz_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* scratch/name, in a buffer of the caller's. */
void fuzz_path(char *out, size_t cap, const char *name);
/* The input as the whole content of a file (written over, not appended). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* A NUL-terminated copy of the input (malloc'd; the caller frees). */
char *fuzz_cstring(const uint8_t *data, size_t size);
/* Reads every byte of a string the code under test handed out (ASan checks it ends). */
void fuzz_touch(const char *s);
/* Callbacks that only touch what they are given. */
void fuzz_report_line(void *ctx, const char *line);
/* With CPD_FUZZ_VERBOSE set (replaying one input by hand, writing a seed), a line on stderr
 * of what the code under test said; nothing otherwise. */
void fuzz_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The fixed signing and site keys of FUZZ_KIOSK. */
const struct kiosk_keys *fuzz_keys(void);
/* Europe/London's default rules. */
const struct rules *fuzz_rules(void);

/* What a template store holds. */
enum fuzz_store_kind {
    FUZZ_STORE_EMPTY, /* nothing: what head office's scratch and report stores start as */
    FUZZ_STORE_KIOSK, /* a kiosk's: signer, data/ imported, two events signed */
};
/* A store of that kind, fresh for this input (a copy of a template made on first use); close
 * it with store_close. */
struct store *fuzz_store_fresh(enum fuzz_store_kind kind);
/* Imports data/<file> for real (the template stores; aborts on any error). */
void fuzz_import_data(struct store *store, enum import_kind kind, const char *file);

#endif
