#include "tests/firmware-host/events.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void events_init(struct events *e)
{
    memset(e, 0, sizeof(*e));
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->cond, NULL);
}

void events_on(void *ctx, const struct reader_event *event)
{
    struct events *e = ctx;
    pthread_mutex_lock(&e->lock);
    if (e->n < EVENTS_MAX)
        e->list[e->n++] = *event;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

static bool find(struct events *e, enum reader_event_kind kind, int skip, struct reader_event *out)
{
    for (int i = 0; i < e->n; i++) {
        if (e->list[i].kind == kind && skip-- == 0) {
            if (out)
                *out = e->list[i];
            return true;
        }
    }
    return false;
}

bool events_wait(struct events *e, enum reader_event_kind kind, int skip, int ms,
                 struct reader_event *out)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->lock);
    bool found;
    while (!(found = find(e, kind, skip, out)) &&
           pthread_cond_timedwait(&e->cond, &e->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&e->lock);
    return found;
}

int events_count(struct events *e, enum reader_event_kind kind)
{
    pthread_mutex_lock(&e->lock);
    int n = 0;
    for (int i = 0; i < e->n; i++)
        n += e->list[i].kind == kind;
    pthread_mutex_unlock(&e->lock);
    return n;
}

int64_t events_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void events_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}
