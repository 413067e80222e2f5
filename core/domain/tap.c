#include "core/domain/tap.h"

#include <stdio.h>
#include <string.h>

#include "core/base/timeunits.h"

const char *tap_outcome_code(enum tap_outcome outcome)
{
    static const char *const codes[TAP_OUTCOME_COUNT] = {
        "signed_in", "signed_out",  "already_in",    "already_out", "confirm_leave",
        "choose",    "no_session",  "unknown_badge", "random_uid",  "inactive",
        "trainer",   "clock_wrong", "revoked"};
    return outcome < TAP_OUTCOME_COUNT ? codes[outcome] : "?";
}

bool tap_session_open(const struct rules *rules, const struct session *s, int64_t now)
{
    return now >= s->start_us - rules->open_before_min * US_PER_MIN && now < s->end_us;
}

bool tap_is_forgotten(const struct rules *rules, const struct session *s,
                      const struct attendance *row, int64_t now)
{
    return row->in_us != 0 && row->out_us == 0 &&
           now >= s->end_us + rules->checkout_after_min * US_PER_MIN;
}

struct attendance tap_attendance_as_of(const struct rules *rules, const struct session *s,
                                       const struct attendance *row, int64_t at)
{
    struct attendance then = *row;
    if (then.in_us > at) {
        then.in_us = then.out_us = 0; /* not there yet */
        return then;
    }
    int64_t window_end = s->end_us + rules->checkout_after_min * US_PER_MIN;
    if (then.out_us > at || ((then.flags & ATT_NO_SIGNOUT) && at < window_end)) {
        then.out_us = 0; /* signed out (or closed by the sweep) only later */
        then.flags &= ~(unsigned)(ATT_NO_SIGNOUT | ATT_EARLY | ATT_MANUAL_OUT);
    }
    if (tap_is_forgotten(rules, s, &then, at)) {
        then.out_us = s->end_us;
        then.flags |= ATT_NO_SIGNOUT;
    }
    return then;
}

int tap_minutes_within(const struct session *s, int64_t in_us, int64_t out_us)
{
    int64_t from = in_us > s->start_us ? in_us : s->start_us;
    int64_t to = out_us < s->end_us ? out_us : s->end_us;
    return to > from ? (int)((to - from) / US_PER_MIN) : 0;
}

static const struct attendance *row_for(const struct tap_facts *f, int64_t session_id)
{
    for (size_t i = 0; i < f->n_attendance; i++) {
        if (f->attendance[i].session_id == session_id)
            return &f->attendance[i];
    }
    return NULL;
}

static bool is_booked(const struct tap_facts *f, int64_t session_id)
{
    for (size_t i = 0; i < f->n_booked; i++) {
        if (f->booked_session_ids[i] == session_id)
            return true;
    }
    return false;
}

static void set(struct tap_decision *d, enum tap_outcome outcome, enum event_type type,
                const struct session *s)
{
    d->outcome = outcome;
    d->event_type = type;
    d->session = s;
}

/* The session the person is signed into now, if any: the most recent open one. */
static const struct session *current_session(const struct tap_facts *f,
                                             const struct attendance **row_out)
{
    const struct session *best = NULL;
    for (size_t i = 0; i < f->n_sessions; i++) {
        const struct session *s = &f->sessions[i];
        const struct attendance *row = row_for(f, s->id);
        if (!row || row->in_us == 0 || row->out_us != 0 ||
            tap_is_forgotten(f->rules, s, row, f->now_us))
            continue;
        if (!best || row->in_us > (*row_out)->in_us) {
            best = s;
            *row_out = row;
        }
    }
    return best;
}

static void decide_signed_in(const struct tap_facts *f, const struct session *s,
                             const struct attendance *row, struct tap_decision *d)
{
    const struct rules *r = f->rules;
    int64_t now = f->now_us;
    d->since_us = row->in_us;
    if (now - row->in_us < r->repeat_tap_s * US_PER_S || now < s->start_us) {
        set(d, TAP_ALREADY_IN, EV_ALREADY_IN, s);
        return;
    }
    bool confirming = f->prompt_session_id == s->id && now >= f->prompt_at_us &&
                      now - f->prompt_at_us <= r->confirm_leave_s * US_PER_S;
    bool near_end = now >= s->end_us - r->early_before_min * US_PER_MIN;
    if (!near_end && !confirming) {
        set(d, TAP_CONFIRM_LEAVE, EV_LEAVE_PROMPT, s);
        return;
    }
    set(d, TAP_SIGNED_OUT, EV_SIGN_OUT, s);
    d->early = !near_end;
    d->minutes = tap_minutes_within(s, row->in_us, now);
}

/* Signed out of a session whose checkout window is still open: the latest such. */
static const struct attendance *recent_sign_out(const struct tap_facts *f,
                                                const struct session **session_out)
{
    const struct attendance *best = NULL;
    for (size_t i = 0; i < f->n_sessions; i++) {
        const struct session *s = &f->sessions[i];
        const struct attendance *row = row_for(f, s->id);
        if (!row || row->out_us == 0 ||
            f->now_us >= s->end_us + f->rules->checkout_after_min * US_PER_MIN)
            continue;
        if (!best || row->out_us > best->out_us) {
            best = row;
            *session_out = s;
        }
    }
    return best;
}

/* Someone who just signed out is not signed into another session by accident: a tap within
 * the repeat window is "already signed out", and later only a booking or an explicit choice
 * moves them to another open session. */
static void decide_sign_in(const struct tap_facts *f, struct tap_decision *d)
{
    const struct session *open[TAP_MAX_CHOICES];
    const struct session *booked[TAP_MAX_CHOICES];
    size_t n_open = 0, n_booked = 0;
    bool chosen = false;
    for (size_t i = 0; i < f->n_sessions && n_open < TAP_MAX_CHOICES && !chosen; i++) {
        const struct session *s = &f->sessions[i];
        const struct attendance *row = row_for(f, s->id);
        if (!tap_session_open(f->rules, s, f->now_us) || (row && row->in_us != 0))
            continue;
        chosen = f->chosen_session_id == s->id;
        if (chosen)
            n_open = n_booked = 0;
        open[n_open++] = s;
        if (is_booked(f, s->id))
            booked[n_booked++] = s;
    }
    const struct session *done = NULL;
    const struct attendance *out_row = recent_sign_out(f, &done);
    bool just_out = out_row && f->now_us - out_row->out_us < f->rules->repeat_tap_s * US_PER_S;
    const struct session *pick = chosen                    ? open[0]
                                 : n_booked == 1           ? booked[0]
                                 : n_open == 1 && !out_row ? open[0]
                                                           : NULL;
    if (pick && !(just_out && !chosen)) {
        set(d, TAP_SIGNED_IN, EV_SIGN_IN, pick);
        d->late = f->now_us > pick->start_us + f->rules->late_after_min * US_PER_MIN;
        return;
    }
    if (n_open > 0 && !just_out) {
        set(d, TAP_CHOOSE, EV_CHOOSE_PROMPT, NULL);
        const struct session **from = n_booked > 1 ? booked : open;
        d->n_choices = n_booked > 1 ? n_booked : n_open;
        for (size_t i = 0; i < d->n_choices; i++)
            d->choices[i] = from[i];
        return;
    }
    if (out_row) {
        set(d, TAP_ALREADY_OUT, EV_ALREADY_OUT, done);
        d->since_us = out_row->out_us;
        return;
    }
    set(d, TAP_NO_SESSION, EV_NO_SESSION, NULL);
}

void tap_decide(const struct tap_facts *f, struct tap_decision *d)
{
    *d = (struct tap_decision){0};
    /* A wrong clock would put the tap in the wrong session, or none: decide nothing. */
    if (f->clock != CLOCK_OK) {
        set(d, TAP_CLOCK_WRONG, EV_CLOCK_REFUSED, NULL);
        return;
    }
    if (f->badge == BADGE_RANDOM && !f->rules->accept_random_uids) {
        set(d, TAP_RANDOM_UID, EV_RANDOM_UID, NULL);
        return;
    }
    if (f->badge == BADGE_REVOKED) {
        set(d, TAP_REVOKED, EV_INACTIVE_BADGE, NULL);
        return;
    }
    if (f->badge != BADGE_KNOWN || !f->person) {
        set(d, TAP_UNKNOWN_BADGE, EV_UNKNOWN_BADGE, NULL);
        return;
    }
    if (!f->person->active) {
        set(d, TAP_INACTIVE, EV_INACTIVE_BADGE, NULL);
        return;
    }
    if (f->person->trainer) {
        set(d, TAP_TRAINER, EV_TRAINER_BADGE, NULL);
        return;
    }
    const struct attendance *row = NULL;
    const struct session *current = current_session(f, &row);
    if (current)
        decide_signed_in(f, current, row, d);
    else
        decide_sign_in(f, d);
}

void tap_forgotten_fold(struct tap_forgotten *f, const struct event *e)
{
    switch (e->type) {
    case EV_AUTO_CLOSE:
        f->pending = true;
        snprintf(f->session, sizeof(f->session), "%s", e->session);
        break;
    case EV_SIGN_IN:
    case EV_SIGN_OUT:
    case EV_ALREADY_IN:
    case EV_ALREADY_OUT:
    case EV_NO_SESSION:
        f->pending = false; /* they saw a result screen since: told, or it was not news */
        break;
    case EV_APPROVE:
    case EV_CORRECTION:
    case EV_MANUAL_SIGN_OUT:
    case EV_VOID_ATTENDANCE:
        if (strcmp(e->session, f->session) == 0)
            f->pending = false; /* a trainer has already put it right */
        break;
    default:
        break; /* prompts (leave early? which session?) come before the tap that tells them */
    }
}

bool tap_forgotten_fold_back(struct tap_forgotten_back *b, const struct event *e)
{
    switch (e->type) {
    case EV_AUTO_CLOSE:
        b->result.pending = true;
        for (size_t i = 0; i < b->n_fixed; i++)
            b->result.pending &= strcmp(b->fixed[i], e->session) != 0;
        snprintf(b->result.session, sizeof(b->result.session), "%s", e->session);
        return true;
    case EV_SIGN_IN:
    case EV_SIGN_OUT:
    case EV_ALREADY_IN:
    case EV_ALREADY_OUT:
    case EV_NO_SESSION:
        b->result.pending = false;
        return true;
    case EV_APPROVE:
    case EV_CORRECTION:
    case EV_MANUAL_SIGN_OUT:
    case EV_VOID_ATTENDANCE:
        if (b->n_fixed == TAP_FORGOTTEN_FIXES) {
            b->overflow = true;
            return true;
        }
        snprintf(b->fixed[b->n_fixed++], sizeof(b->fixed[0]), "%s", e->session);
        return false;
    default:
        return false;
    }
}
