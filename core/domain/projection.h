/* projection.h — attendance as a projection of events: the one function that folds them.
 *
 * The store calls projection_apply() for each event it appends (in the same transaction) and
 * again for every event, in seq order, when it rebuilds the attendance table from scratch: so
 * attendance, credits and CPI progress can always be recomputed from the events alone. Pure. */
#ifndef CPD_PROJECTION_H
#define CPD_PROJECTION_H

#include <stdbool.h>

#include "core/domain/domain.h"
#include "core/domain/event.h"

/* Does this event type change an attendance row (person + session)? */
bool projection_affects(enum event_type type);
/* Folds the event into row (zeroed with override_q = -1 for a new row). Returns true when the
 * row changed. */
bool projection_apply(struct attendance *row, const struct event *event);
void projection_row_init(struct attendance *row, int64_t person_id, int64_t session_id);

#endif
