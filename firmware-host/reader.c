#include "core/base/clock.h"
#include "firmware-host/reader_impl.h"

#include "core/base/names.h"
#include "core/base/utf8.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void reader_stop_init(struct reader_stop *s)
{
    pthread_condattr_t attr;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    s->stopping = false;
}

void reader_stop_destroy(struct reader_stop *s)
{
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
}

bool reader_stopping(struct reader_stop *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

bool reader_nap(struct reader_stop *s, long ms)
{
    struct timespec until = clock_monotonic_after((int64_t)ms * 1000);
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
        ;
    bool go_on = !s->stopping;
    pthread_mutex_unlock(&s->lock);
    return go_on;
}

void reader_stop_signal(struct reader_stop *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void reader_emit(struct reader *r, enum reader_event_kind kind, const struct uid *uid,
                 const char *reason)
{
    struct reader_event e;
    memset(&e, 0, sizeof(e));
    e.kind = kind;
    e.mono_us = clock_monotonic_us();
    if (uid) {
        e.uid = *uid;
        e.random = uid_is_random(uid);
    }
    if (reason) /* cut on a whole character: the journal and the screen get valid text */
        utf8_copy(e.reason, sizeof(e.reason), reason);
    r->emit_fn(r->emit_ctx, &e);
}

void reader_prepare_process(void)
{
    /* Only the configured device: never scan the system for others. */
    setenv("LIBNFC_AUTO_SCAN", "false", 0);
    setenv("LIBNFC_INTRUSIVE_SCAN", "false", 0);
    /* libnfc's own log lines (untimestamped, "pn53x_check_communication error" every retry
     * while a reader is down: thousands an hour in the journal) only when asked for, with
     * LIBNFC_LOG_LEVEL=1..3 in the environment; the reader's own events say what matters. */
    setenv("LIBNFC_LOG_LEVEL", "0", 0);
}

const char *const reader_driver_names[READER_DRIVER_COUNT] = {"libnfc", "keyboard", "sim"};

const char *reader_driver_name(enum reader_driver driver)
{
    return names_of(reader_driver_names, READER_DRIVER_COUNT, (int)driver);
}

int reader_open(const struct reader_options *cfg, bool accept_random, reader_event_fn fn, void *ctx,
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
    reader_stop_init(&r->stop);
    int err;
    switch (cfg->driver) {
    case READER_DRIVER_SIM:
        err = reader_sim_open(r, why, cap);
        break;
    case READER_DRIVER_KEYBOARD:
        err = reader_keyboard_open(r, why, cap);
        break;
    case READER_DRIVER_LIBNFC:
        err = reader_libnfc_open(r, why, cap);
        break;
    default: /* never a silent fall-back to some other driver */
        snprintf(why, cap, "unknown reader driver %d", (int)cfg->driver);
        err = READER_ENODRIVER;
        break;
    }
    if (err != READER_OK) {
        reader_stop_destroy(&r->stop);
        free(r);
        return err;
    }
    *out = r;
    return READER_OK;
}

static void *reader_thread(void *arg)
{
    struct reader *r = arg;
    r->ops->run(r);
    return NULL;
}

int reader_start(struct reader *r)
{
    if (!r->ops->run)
        return r->ops->start ? r->ops->start(r) : READER_OK;
    if (r->running)
        return READER_OK;
    if (pthread_create(&r->thread, NULL, reader_thread, r) != 0)
        return READER_ETHREAD;
    r->running = true;
    return READER_OK;
}

int reader_type(struct reader *r, const char *text, int64_t mono_us)
{
    return r->ops->type ? r->ops->type(r, text, mono_us) : READER_EINVAL;
}

bool reader_typing(const struct reader *r, int64_t mono_us)
{
    return r && r->ops->typing && r->ops->typing(r, mono_us);
}

void reader_close(struct reader *r)
{
    if (!r)
        return;
    reader_stop_signal(&r->stop);
    if (r->ops->interrupt)
        r->ops->interrupt(r);
    if (r->running)
        pthread_join(r->thread, NULL);
    r->running = false;
    if (r->ops->destroy)
        r->ops->destroy(r);
    reader_stop_destroy(&r->stop);
    free(r);
}
