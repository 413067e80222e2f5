/* events.h — collects a reader's events (from its thread) for tests to wait on. */
#ifndef CPD_TEST_EVENTS_H
#define CPD_TEST_EVENTS_H

#include <pthread.h>
#include <stdbool.h>

#include "firmware-host/reader.h"

#define EVENTS_MAX 256

struct events {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct reader_event list[EVENTS_MAX];
    int n;
};

void events_init(struct events *e);
void events_on(void *ctx, const struct reader_event *event); /* the reader callback */
/* Waits up to ms for the (skip+1)-th event of kind; copies it into out. */
bool events_wait(struct events *e, enum reader_event_kind kind, int skip, int ms,
                 struct reader_event *out);
int events_count(struct events *e, enum reader_event_kind kind);
int64_t events_now_us(void);
void events_sleep_ms(int ms);

#endif
