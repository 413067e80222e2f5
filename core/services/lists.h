/* lists.h — the store's lists, whole: they grow until they hold every row, so a busy
 * evening or a long programme is never a fault and never a cut list. The caller frees *out
 * (also on failure, when it is NULL). Store codes as errors. */
#ifndef CPD_LISTS_H
#define CPD_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store/store.h"

/* store_sessions_between, every row. */
int lists_sessions_between(struct store *store, int64_t from_us, int64_t to_us,
                           struct session **out, size_t *n);
/* store_package_sessions, every row. */
int lists_package_sessions(struct store *store, struct session **out, size_t *n);
/* store_attendance_of, every row: the caller frees *sessions and *rows. */
int lists_attendance_of(struct store *store, int64_t person_id, struct session **sessions,
                        struct attendance **rows, size_t *n);
/* Whether the person attended another session (not voided) during [in_us, out_us) — out_us 0:
 * until the session's end. One person is in one place at a time. */
int lists_at_another_session(struct store *store, int64_t person_id, const struct session *session,
                             int64_t in_us, int64_t out_us, bool *found);
/* store_external_for, every row. */
int lists_external_for(struct store *store, int64_t person_id, struct external_credit **out,
                       size_t *n);

#endif
