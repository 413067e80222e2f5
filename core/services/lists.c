#include "core/services/lists.h"

#include <stdlib.h>

typedef int (*fill_fn)(struct store *store, int64_t from_us, int64_t to_us, struct session *out,
                       size_t cap, size_t *n);

/* Doubles the list until the store says it all fitted. */
static int grow(struct store *store, fill_fn fill, int64_t from_us, int64_t to_us,
                struct session **out, size_t *n)
{
    int err = STORE_ETOOMANY;
    *out = NULL;
    *n = 0;
    for (size_t cap = 16; err == STORE_ETOOMANY; cap *= 2) {
        struct session *grown = realloc(*out, cap * sizeof(**out));
        if (!grown)
            return STORE_ENOMEM;
        *out = grown;
        err = fill(store, from_us, to_us, *out, cap, n);
    }
    return err;
}

int lists_sessions_between(struct store *store, int64_t from_us, int64_t to_us,
                           struct session **out, size_t *n)
{
    return grow(store, store_sessions_between, from_us, to_us, out, n);
}

static int package_fill(struct store *store, int64_t from_us, int64_t to_us, struct session *out,
                        size_t cap, size_t *n)
{
    (void)from_us;
    (void)to_us;
    return store_package_sessions(store, out, cap, n);
}

int lists_package_sessions(struct store *store, struct session **out, size_t *n)
{
    return grow(store, package_fill, 0, 0, out, n);
}

int lists_attendance_of(struct store *store, int64_t person_id, struct session **sessions,
                        struct attendance **rows, size_t *n)
{
    int err = STORE_ETOOMANY;
    *sessions = NULL;
    *rows = NULL;
    *n = 0;
    for (size_t cap = 64; err == STORE_ETOOMANY; cap *= 2) {
        struct session *s = realloc(*sessions, cap * sizeof(**sessions));
        if (s)
            *sessions = s;
        struct attendance *r = s ? realloc(*rows, cap * sizeof(**rows)) : NULL;
        if (!r)
            return STORE_ENOMEM;
        *rows = r;
        err = store_attendance_of(store, person_id, *sessions, *rows, cap, n);
    }
    return err;
}

int lists_external_for(struct store *store, int64_t person_id, struct external_credit **out,
                       size_t *n)
{
    int err = STORE_ETOOMANY;
    *out = NULL;
    *n = 0;
    for (size_t cap = 32; err == STORE_ETOOMANY; cap *= 2) {
        struct external_credit *grown = realloc(*out, cap * sizeof(**out));
        if (!grown)
            return STORE_ENOMEM;
        *out = grown;
        err = store_external_for(store, person_id, *out, cap, n);
    }
    return err;
}

int lists_at_another_session(struct store *store, int64_t person_id, const struct session *session,
                             int64_t in_us, int64_t out_us, bool *found)
{
    struct session *sessions = NULL;
    struct attendance *rows = NULL;
    size_t n = 0;
    *found = false;
    int err = lists_attendance_of(store, person_id, &sessions, &rows, &n);
    int64_t until = out_us ? out_us : session->end_us;
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        const struct attendance *a = &rows[i];
        int64_t a_until = a->out_us ? a->out_us : sessions[i].end_us;
        if (sessions[i].id != session->id && a->in_us != 0 && !(a->flags & ATT_VOID) &&
            a->in_us < until && in_us < a_until)
            *found = true;
    }
    free(sessions);
    free(rows);
    return err;
}
