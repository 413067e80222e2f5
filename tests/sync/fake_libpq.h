/* fake_libpq.h — a ledger without a server, saying what a script says: for the fuzz targets
 * that feed the kiosk and head office what the ledger sends (tests/fuzz/, docs/fuzzing.md), and
 * the unit tests that replay what they found (test_sync_decode.c).
 *
 * fake_libpq.c defines the libpq calls sync/sync_pg.c makes, and the executable's definitions
 * take the place of libpq's: sync_pg.c runs unchanged, its statements answered from a script
 * (the fuzz input) instead of a server. Link it as objects (an OBJECT library), never from an
 * archive: the linker would not pull it in before libpq. */
#ifndef CPD_TESTS_FAKE_LIBPQ_H
#define CPD_TESTS_FAKE_LIBPQ_H

#include <stddef.h>
#include <stdint.h>

/* The script for the statements that follow (a copy is kept); fake_pg_unload frees it. */
void fake_pg_load(const uint8_t *data, size_t size);
void fake_pg_unload(void);
/* The lines of the first section called name, as a file ("" when it has none; NULL when there
 * is no such section): the files a script carries (a keyring, checkpoints). */
const char *fake_pg_text(const char *name);
/* The kiosk cpd.kiosk_status() names, and the schema digest the fake reports, unless the script
 * says otherwise. */
#define FAKE_PG_KIOSK         "fuzz-kiosk"
#define FAKE_PG_SCHEMA_DIGEST "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"

#endif
