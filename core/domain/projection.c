#include "core/domain/projection.h"

#include "core/domain/payload.h"

bool projection_affects(enum event_type type)
{
    switch (type) {
    case EV_SIGN_IN:
    case EV_SIGN_OUT:
    case EV_AUTO_CLOSE:
    case EV_MANUAL_SIGN_IN:
    case EV_MANUAL_SIGN_OUT:
    case EV_APPROVE:
    case EV_CORRECTION:
    case EV_VOID_ATTENDANCE:
        return true;
    default:
        return false;
    }
}

void projection_row_init(struct attendance *row, int64_t person_id, int64_t session_id)
{
    *row = (struct attendance){.person_id = person_id, .session_id = session_id, .override_q = -1};
}

static int64_t payload_time(const struct event *e, const char *key)
{
    int64_t at = 0;
    if (payload_get_int(e->payload, key, &at) != PAYLOAD_OK || at <= 0)
        return e->wall_us;
    return at;
}

static unsigned payload_flag(const struct event *e, const char *key, unsigned flag)
{
    bool set = false;
    return payload_get_bool(e->payload, key, &set) == PAYLOAD_OK && set ? flag : 0;
}

bool projection_apply(struct attendance *row, const struct event *e)
{
    const struct attendance before = *row;
    int64_t q = -1;
    /* A sign-in after a void starts the attendance afresh: the voided one is gone. */
    if ((row->flags & ATT_VOID) && (e->type == EV_SIGN_IN || e->type == EV_MANUAL_SIGN_IN))
        projection_row_init(row, row->person_id, row->session_id);
    switch (e->type) {
    case EV_SIGN_IN:
        if (row->in_us == 0)
            row->in_us = e->wall_us;
        row->flags |= payload_flag(e, "late", ATT_LATE);
        break;
    case EV_MANUAL_SIGN_IN:
        /* A trainer's sign-in states when the person really arrived, and re-opens a
         * sign-out that came before it. */
        row->in_us = payload_time(e, "at_us");
        if (row->out_us != 0 && row->out_us < row->in_us) {
            row->out_us = 0;
            row->flags &= ~(unsigned)(ATT_EARLY | ATT_NO_SIGNOUT | ATT_MANUAL_OUT);
        }
        row->flags =
            (row->flags & ~(unsigned)ATT_LATE) | ATT_MANUAL_IN | payload_flag(e, "late", ATT_LATE);
        break;
    case EV_SIGN_OUT:
        row->out_us = e->wall_us;
        row->flags |= payload_flag(e, "early", ATT_EARLY);
        break;
    case EV_MANUAL_SIGN_OUT:
        row->out_us = payload_time(e, "at_us");
        row->flags = (row->flags & ~(unsigned)(ATT_EARLY | ATT_NO_SIGNOUT)) | ATT_MANUAL_OUT |
                     payload_flag(e, "early", ATT_EARLY);
        break;
    case EV_AUTO_CLOSE:
        row->out_us = payload_time(e, "closed_us");
        row->flags |= ATT_NO_SIGNOUT;
        break;
    case EV_APPROVE:
        row->flags |= ATT_APPROVED;
        break;
    case EV_CORRECTION:
        if (payload_get_int(e->payload, "credits_q", &q) == PAYLOAD_OK && q >= 0 && q <= 4000)
            row->override_q = (int)q;
        if (payload_flag(e, "withdrawn", 1)) /* an approval undone */
            row->flags &= ~(unsigned)ATT_APPROVED;
        break;
    case EV_VOID_ATTENDANCE:
        /* Closed, so the person is not "in the building" and no sweep closes it again. */
        if (row->in_us != 0 && row->out_us == 0)
            row->out_us = e->wall_us;
        row->flags |= ATT_VOID;
        break;
    default:
        break;
    }
    return row->in_us != before.in_us || row->out_us != before.out_us ||
           row->flags != before.flags || row->override_q != before.override_q;
}
