#include "ui/store_fault.h"

#include <stdio.h>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/utf8.h"

void store_fault_set(struct store_fault *f, struct store *store, int err, const char *what)
{
    const char *detail = store_message(store);
    f->failed = true;
    utf8_printf(f->text, sizeof(f->text), "%s: %s%s%s", what, cpd_strerror(err),
                detail[0] ? " — " : "", detail);
    log_line(LOG_ERROR, "%s", f->text);
}

void store_fault_clear(struct store_fault *f)
{
    f->failed = false;
}
