#include "reader_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t reader_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void reader_emit(struct reader *r, enum reader_event_kind kind, const struct uid *uid,
                 const char *reason)
{
    struct reader_event e;
    memset(&e, 0, sizeof(e));
    e.kind = kind;
    e.mono_us = reader_now_us();
    if (uid) {
        e.uid = *uid;
        e.random = uid_is_random(uid);
    }
    if (reason)
        snprintf(e.reason, sizeof(e.reason), "%s", reason);
    r->emit_fn(r->emit_ctx, &e);
}

const char *reader_strerror(int err)
{
    switch (err) {
    case READER_OK:
        return "ok";
    case READER_EOPEN:
        return "cannot open the reader";
    case READER_EBUSY:
        return "the reader is in use by another process";
    case READER_ENOMEM:
        return "out of memory";
    case READER_ETHREAD:
        return "cannot start the reader thread";
    case READER_EINVAL:
        return "invalid reader configuration";
    case READER_ENODRIVER:
        return "this build has no such reader driver";
    default:
        return "unknown reader error";
    }
}

const char *reader_driver_name(enum reader_driver driver)
{
    switch (driver) {
    case READER_DRIVER_LIBNFC:
        return "libnfc";
    case READER_DRIVER_KEYBOARD:
        return "keyboard";
    case READER_DRIVER_SIM:
        return "sim";
    default:
        return "?";
    }
}

int reader_open(const struct config_reader *cfg, bool accept_random, reader_event_fn fn, void *ctx,
                struct reader **out, char *why, size_t cap)
{
    char scratch[8];
    if (!why) {
        why = scratch;
        cap = sizeof(scratch);
    }
    why[0] = '\0';
    *out = NULL;
    struct reader *r = calloc(1, sizeof(*r));
    if (!r)
        return READER_ENOMEM;
    r->cfg = *cfg;
    r->accept_random = accept_random;
    r->emit_fn = fn;
    r->emit_ctx = ctx;
    int err;
    switch (cfg->driver) {
    case READER_DRIVER_SIM:
        err = reader_sim_open(r, why, cap);
        break;
    case READER_DRIVER_KEYBOARD:
        err = reader_keyboard_open(r, why, cap);
        break;
    default:
        err = reader_libnfc_open(r, why, cap);
        break;
    }
    if (err != READER_OK) {
        free(r);
        return err;
    }
    *out = r;
    return READER_OK;
}

int reader_start(struct reader *r)
{
    return r->ops->start ? r->ops->start(r) : READER_OK;
}

int reader_feed(struct reader *r, const char *line)
{
    return r->ops->feed ? r->ops->feed(r, line) : READER_EINVAL;
}

void reader_close(struct reader *r)
{
    if (!r)
        return;
    if (r->ops->stop)
        r->ops->stop(r);
    if (r->ops->destroy)
        r->ops->destroy(r);
    free(r);
}
