/* reader_impl.h — what a backend provides to reader.c (a vtable), and helpers they share. */
#ifndef CPD_READER_IMPL_H
#define CPD_READER_IMPL_H

#include "reader.h"

struct reader_ops {
    int (*start)(struct reader *r);
    int (*feed)(struct reader *r, const char *line);
    void (*stop)(struct reader *r);    /* ask the thread to stop, join it */
    void (*destroy)(struct reader *r); /* free the backend's state */
};

struct reader {
    const struct reader_ops *ops;
    struct config_reader cfg;
    bool accept_random;
    reader_event_fn emit_fn;
    void *emit_ctx;
    void *backend;
};

int64_t reader_now_us(void);
/* Fills and delivers an event. */
void reader_emit(struct reader *r, enum reader_event_kind kind, const struct uid *uid,
                 const char *reason);

int reader_sim_open(struct reader *r, char *why, size_t cap);
int reader_keyboard_open(struct reader *r, char *why, size_t cap);
int reader_libnfc_open(struct reader *r, char *why, size_t cap);

#endif
