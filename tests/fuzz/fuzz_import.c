/* One CSV importer (FUZZ_IMPORT_KIND, set per target by CMake): the input is the file, imported
 * into a kiosk store holding the shipped programme and roster, so rows can match people and
 * sessions — once as a plain dry run, once written, accepting changes and replacing the whole
 * record (the paths that write rows and corrections), inside a transaction of the fuzzer's own
 * that is rolled back after: the importer's transactions join it (store.h), so the store never
 * grows. */
#include <stdint.h>
#include <stdlib.h>

#include "core/services/import.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];
static struct store *store;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    fuzz_path(path, sizeof(path), "import.csv");
    store = fuzz_store_fresh(FUZZ_STORE_KIOSK);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(path, data, size);
    for (int pass = 0; pass < 2; pass++) {
        bool write = pass == 1;
        struct import_options o = {.dry_run = !write,
                                   .accept_changes = write,
                                   .replace = write,
                                   .rules = fuzz_rules(),
                                   .site_key = fuzz_keys()->site,
                                   .report = fuzz_report_line};
        struct import_result r;
        if (write && store_begin(store) != STORE_OK)
            fuzz_die("cannot start the fuzzer's transaction");
        int err = import_file(store, FUZZ_IMPORT_KIND, path, &o, &r);
        if (write)
            store_rollback(store); /* a failure inside may have rolled it back already */
        else if (err == IMPORT_OK && r.written != 0)
            fuzz_die("a dry run wrote %d rows", r.written);
    }
    return 0;
}
