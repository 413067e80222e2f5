#include "core/services/tap_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/base/zone.h"

const char *tap_text_tone_name(enum tap_tone tone)
{
    static const char *const names[] = {"ok", "info", "warning", "error"};
    return tone <= TONE_ERROR ? names[tone] : "?";
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
add_line(struct tap_text *t, const char *fmt, ...)
{
    if (t->n_lines == TAP_TEXT_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->lines[t->n_lines++], TAP_TEXT_LEN, fmt, ap);
    va_end(ap);
}

static void head(struct tap_text *t, enum tap_tone tone, const char *headline)
{
    t->tone = tone;
    snprintf(t->headline, sizeof(t->headline), "%s", headline);
}

static void session_line(struct tap_text *t, const struct session *s)
{
    char start[6], end[6];
    zone_format_hhmm(s->start_us, start);
    zone_format_hhmm(s->end_us, end);
    add_line(t, "%s, %s–%s%s%s", s->title, start, end, s->location[0] ? ", " : "", s->location);
}

void tap_text_package(const struct package_progress *p, int in_progress, char *out, size_t cap)
{
    char next[32] = "";
    if (p->has_next)
        zone_format_day_time(p->next.start_us, next);
    const char *name = p->kind == KIND_CPI_INITIAL ? "CPI" : "MAPA";
    int done = p->sessions_done + p->sessions_review + in_progress; /* never goes backwards */
    if (p->awarded)
        snprintf(out, cap, "%s complete: %d of %d%s", name, done, p->sessions_total,
                 p->online_needed ? " + online" : "");
    else
        snprintf(out, cap, "%s %d of %d%s%s%s%s", name, done, p->sessions_total,
                 p->online_needed && !p->online_done ? " (online part to do)" : "",
                 p->sessions_review ? (p->sessions_review == 1 ? " (1 for a trainer to check)"
                                                               : " (some for a trainer to check)")
                                    : "",
                 next[0] ? " — next " : "", next);
}

void tap_text_credits(const struct credit_summary *s, char *out, size_t cap)
{
    char total[16], target[16], term[TERM_COUNT][16];
    rules_format_quarters(s->total_q, total);
    rules_format_quarters(s->target_q, target);
    for (int i = 0; i < TERM_COUNT; i++)
        rules_format_quarters(s->term_q[i], term[i]);
    snprintf(out, cap, "%s / %s credits this year (Autumn %s · Spring %s · Summer %s)", total,
             target, term[0], term[1], term[2]);
}

static void person_lines(const struct tap_result *r, struct tap_text *t, int in_progress)
{
    char line[TAP_TEXT_LEN];
    const struct package_progress *p = tapflow_package_of(r);
    if (p) {
        tap_text_package(p, in_progress, line, sizeof(line));
        add_line(t, "%s", line);
    }
    if (r->has_summary && t->n_lines < TAP_TEXT_LINES) {
        tap_text_credits(&r->summary, line, sizeof(line));
        t->credits_line = t->n_lines;
        add_line(t, "%s", line);
    }
}

/* What tonight earned, in the words of someone walking out of the door: the credits, or that
 * they count with the course, or that a trainer checks them first. */
static void signed_out(const struct tap_result *r, struct tap_text *t)
{
    const struct tap_decision *d = &r->decision;
    const struct package_progress *p = tapflow_package_of(r);
    const struct credit_item *tonight = NULL;
    for (size_t i = 0; r->has_summary && i < r->summary.n_items; i++) {
        if (strcmp(r->summary.items[i].code, r->session.code) == 0)
            tonight = &r->summary.items[i];
    }
    /* A trainer checks tonight before it counts: so the item says, or — for a course's session,
     * which counts with the course — tonight was late or early and is not approved. */
    const struct attendance *a = r->has_attendance ? &r->attendance : NULL;
    bool check = (tonight && tonight->status == ITEM_REVIEW) ||
                 (p && !p->awarded && a && (a->flags & (ATT_LATE | ATT_EARLY)) &&
                  !(a->flags & ATT_APPROVED));
    head(t, d->early || check ? TONE_WARNING : TONE_OK,
         d->early ? "Signed out early"
         : check  ? "Signed out — a trainer will check tonight"
                  : "Signed out");
    add_line(t, "%s", r->person.name);
    session_line(t, &r->session);
    char earned[TAP_TEXT_LEN] = "", q[16] = "0";
    if (tonight)
        rules_format_quarters(tonight->credits_q, q);
    if (p && p->awarded) { /* this sign-out completed the course */
        rules_format_quarters(p->credits_q, q);
        snprintf(earned, sizeof(earned), "%s complete: %s credits",
                 p->kind == KIND_CPI_INITIAL ? "CPI" : "MAPA", q);
    } else if (p && check) {
        snprintf(earned, sizeof(earned),
                 "a trainer checks tonight, then it counts when the whole course is done");
    } else if (p) {
        snprintf(earned, sizeof(earned), "it counts when the whole course is done");
    } else if (check) {
        snprintf(earned, sizeof(earned), "%s %s once a trainer has checked it", q,
                 strcmp(q, "1") == 0 ? "credit" : "credits");
    } else {
        snprintf(earned, sizeof(earned), "%s %s", q, strcmp(q, "1") == 0 ? "credit" : "credits");
    }
    add_line(t, "%d minutes tonight: %s", d->minutes, earned);
    person_lines(r, t, 0);
}

/* Said once, at the first tap after the kiosk closed a forgotten sign-out for them. */
static void forgot_line(const struct tap_result *r, struct tap_text *t)
{
    if (!r->forgot_sign_out || r->decision.outcome == TAP_CHOOSE)
        return; /* on the choose screen it waits for the tap that chooses */
    char day[32];
    zone_format_day_time(r->forgotten.start_us, day);
    add_line(t, "Last time you didn't sign out (%s, %s) — a trainer will check it",
             r->forgotten.title, day);
}

void tap_text_build(const struct tap_result *r, struct tap_text *t)
{
    memset(t, 0, sizeof(*t));
    t->credits_line = -1;
    const struct tap_decision *d = &r->decision;
    char when[6] = "";
    switch (d->outcome) {
    case TAP_SIGNED_IN:
        head(t, d->late ? TONE_WARNING : TONE_OK, d->late ? "Signed in — late" : "Signed in");
        add_line(t, "%s", r->person.name);
        session_line(t, &r->session);
        person_lines(r, t, 1);
        break;
    case TAP_SIGNED_OUT:
        signed_out(r, t);
        break;
    case TAP_ALREADY_IN:
        zone_format_hhmm(d->since_us, when);
        head(t, TONE_INFO, "Already signed in");
        add_line(t, "%s — signed in at %s", r->person.name, when);
        session_line(t, &r->session);
        person_lines(r, t, 1);
        break;
    case TAP_ALREADY_OUT:
        zone_format_hhmm(d->since_us, when);
        head(t, TONE_INFO, "Already signed out");
        add_line(t, "%s — signed out at %s", r->person.name, when);
        session_line(t, &r->session);
        add_line(t, "If this is wrong, ask a trainer");
        break;
    case TAP_CONFIRM_LEAVE:
        zone_format_hhmm(r->session.end_us, when);
        head(t, TONE_WARNING, "Leaving early? Tap again to sign out");
        add_line(t, "%s — the session ends at %s", r->person.name, when);
        session_line(t, &r->session);
        break;
    case TAP_CHOOSE:
        head(t, TONE_INFO, "Which session are you here for?");
        add_line(t, "%s", r->person.name);
        for (size_t i = 0; i < d->n_choices; i++) {
            char start[6];
            zone_format_hhmm(d->choices[i]->start_us, start);
            add_line(t, "%zu. %s (%s)", i + 1, d->choices[i]->title, start);
        }
        break;
    case TAP_NO_SESSION:
        head(t, TONE_INFO, "No session open now");
        add_line(t, "%s", r->person.name);
        if (r->has_next) {
            char next[32];
            zone_format_day_time(r->next.start_us, next);
            add_line(t, "Next: %s, %s", r->next.title, next);
        }
        person_lines(r, t, 0);
        break;
    case TAP_UNKNOWN_BADGE:
        head(t, TONE_ERROR, "Badge not recognised — ask a trainer");
        add_line(t, "Badge …%s", r->last4);
        break;
    case TAP_RANDOM_UID:
        head(t, TONE_ERROR, "Please use your staff badge");
        add_line(t, "Phones and bank cards can't be used to sign in.");
        break;
    case TAP_INACTIVE:
        head(t, TONE_ERROR, "Badge not active — ask a trainer");
        add_line(t, "%s", r->person.name);
        break;
    case TAP_TRAINER:
        head(t, TONE_INFO, "Trainer badge — enter your PIN");
        add_line(t, "%s", r->person.name);
        break;
    case TAP_REVOKED:
        head(t, TONE_ERROR, "This badge was replaced — ask a trainer");
        add_line(t, "Badge …%s", r->last4);
        break;
    case TAP_CLOCK_WRONG:
        head(t, TONE_ERROR, "The kiosk's clock is wrong");
        add_line(t, "Please sign the paper register and tell a trainer.");
        add_line(t, "Your tap was not counted.");
        break;
    default:
        head(t, TONE_ERROR, "Unexpected outcome");
        break;
    }
    forgot_line(r, t);
}
