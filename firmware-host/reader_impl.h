/* reader_impl.h — what a backend provides to reader.c (a vtable), and helpers they share. */
#ifndef CPD_READER_IMPL_H
#define CPD_READER_IMPL_H

#include <pthread.h>

#include "firmware-host/reader.h"

/* How a backend's thread sleeps between rounds and is told to stop: a timed wait on a condition
 * variable (monotonic clock), so that a stop is immediate and nothing polls. */
struct reader_stop {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};
void reader_stop_init(struct reader_stop *s);
void reader_stop_destroy(struct reader_stop *s);
bool reader_stopping(struct reader_stop *s);
/* Waits ms, or less when stopped; false when stopping. */
bool reader_nap(struct reader_stop *s, long ms);
void reader_stop_signal(struct reader_stop *s);

/* A backend: reader.c owns its thread (start, stop, join) and its stop signal; the backend
 * gives the thread's body and what to do about an I/O in flight when asked to stop. */
struct reader_ops {
    void (*run)(struct reader *r);  /* the thread's body; NULL: no thread */
    int (*start)(struct reader *r); /* no thread: what starting means */
    int (*type)(struct reader *r, const char *text, int64_t mono_us); /* keyboard */
    bool (*typing)(const struct reader *r, int64_t mono_us);          /* keyboard */
    void (*interrupt)(struct reader *r); /* after the stop signal, before the join */
    void (*destroy)(struct reader *r);   /* free the backend's state */
};

struct reader {
    const struct reader_ops *ops;
    struct reader_options cfg;
    bool accept_random;
    reader_event_fn emit_fn;
    void *emit_ctx;
    void *backend;
    struct reader_stop stop; /* the thread naps on it and is told to stop through it */
    pthread_t thread;
    bool running;
};

/* Fills and delivers an event. */
void reader_emit(struct reader *r, enum reader_event_kind kind, const struct uid *uid,
                 const char *reason);

int reader_sim_open(struct reader *r, char *why, size_t cap);
int reader_keyboard_open(struct reader *r, char *why, size_t cap);
int reader_libnfc_open(struct reader *r, char *why, size_t cap);

#endif
