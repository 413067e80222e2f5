/* kiosk.ini: config_load() reads the input as the file, on top of the defaults; every problem
 * reported goes through the report callback. */
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

static void on_problem(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    (void)line;
    fuzz_touch(file);
    fuzz_touch(message);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    fuzz_path(path, sizeof(path), "kiosk.ini");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg; /* large: not on the stack */
    fuzz_write_file(path, data, size);
    config_default(&cfg);
    if (config_load(&cfg, path, on_problem, NULL) == CONFIG_OK) {
        fuzz_touch(cfg.source);
        fuzz_touch(cfg.kiosk.id);
        fuzz_touch(cfg.sync.conninfo);
    }
    return 0;
}
