/* Trainer mode: the menu, the register, the CPI grid, signing in and out by hand, enrolling a
 * badge, the evacuation list. Every change is an event with the trainer's identity and reason. */
#include "ui/trainer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"
#include "core/domain/crypto.h"
#include "core/domain/tap.h"
#include "core/services/at_risk.h"
#include "core/services/completion.h"
#include "core/services/corrections.h"
#include "core/services/evaluation.h"
#include "core/services/lists.h"
#include "core/services/report.h"
#include "core/services/trainer_ops.h"
#include "ui/panel.h"

#define PRINT_AGAIN_US (INT64_C(15) * 1000000)
#define LIST_MAX       512 /* rows a list holds; beyond that it says how many more there are */

enum menu_item {
    M_REGISTER,
    M_CPI,
    M_AT_RISK,
    M_SIGN_IN,
    M_SIGN_OUT,
    M_ENROL,
    M_EVACUATION,
    M_SYNC,
    M_STATUS,
    M_COUNT
};

/* What a trainer is in the middle of. */
enum flow {
    FLOW_NONE,
    FLOW_REGISTER,
    FLOW_CPI,
    FLOW_EVACUATION,
    FLOW_AT_RISK,
    FLOW_SIGN_IN,  /* session → person → reason */
    FLOW_SIGN_OUT, /* session → person → reason */
    FLOW_ENROL,    /* badge → person */
};

enum step {
    STEP_NONE,
    STEP_SESSION,
    STEP_PERSON,
    STEP_REASON,
    STEP_BADGE,
    STEP_CONFIRM,
    STEP_APPROVE,  /* the CPI sessions to approve, with why each was flagged: yes or not now */
    STEP_FIX,      /* a register row touched: approve, the missed sign-out, void, or not now */
    STEP_REPLACE,  /* enrolling for someone with a badge: replace which, keep both, or not now */
    STEP_FIND,     /* typing part of a name to find in the list */
    STEP_NOTE,     /* typing the note of an "Other" reason */
    STEP_HAND,     /* a sign-in or out by hand: the time, then yes or cancel */
    STEP_DONE,     /* recorded by hand: done, or undo */
    STEP_APPROVED, /* CPI sessions approved: done, or undo */
};

/* The buttons of the by-hand confirmation. */
enum hand { HAND_CANCEL, HAND_RECORD, HAND_EARLIER, HAND_LATER, HAND_EDGE, HAND_UNDO };
#define HAND_STEP_US (INT64_C(5) * 60 * 1000000)
#define NOTE_MAX     80

/* What a trainer can put right on a register row (button ids). */
enum fix { FIX_NONE, FIX_APPROVE, FIX_OUT_AT_END, FIX_OUT_NOW, FIX_VOID };

struct trainer {
    struct trainer_options opt;
    struct panel panel;
    bool open;
    struct person who; /* the trainer */
    int64_t seen_us;   /* the last touch */
    int64_t until_us;  /* this screen goes back to the menu (or locks) at this time */

    enum flow flow;
    enum step step;
    struct session session; /* the flow's session */
    struct person person;   /* the flow's person */
    struct uid enrol_uid;
    char find[48];              /* the part of a name the list is narrowed to, "" for all */
    int reason;                 /* by hand: index into reasons */
    char note[VIEW_TEXT];       /* by hand: the reason as recorded */
    int64_t at_us;              /* by hand: when they came or went */
    int64_t at_lo_us, at_hi_us; /* … within these */
    bool had_attendance;        /* by hand: they had been here tonight already */
    int64_t approving[8];       /* the CPI sessions the approval on screen is about */
    int n_approving;
    char old_badges[VIEW_BUTTONS][5]; /* the person's working badges (last 4), when enrolling */
    int n_old_badges;

    bool sync_available;
    char sync_why[128];
    bool sync_requested;
    struct trainer_status status;
    bool roll_only;          /* opened by a fire warden: the roll call and nothing else */
    bool print_requested;    /* Print touched on the roll call */
    char printed[VIEW_TEXT]; /* what came of the last Print, said on the list */
    int64_t printed_at_us;

    struct at_risk risk; /* the at-risk list on screen: a touched row shows its ways back */
    /* The register's head count, from the attendance records themselves (never from the words
     * a row shows): in the building now, late, booked but not here. */
    struct {
        int in, late, missing;
    } count;

    struct report roll;              /* the roll call's list */
    char (*ticked)[DOMAIN_CODE_MAX]; /* staff numbers ticked as here, until trainer mode locks */
    size_t n_ticked, cap_ticked;
    int64_t last_tick_us;
    int64_t idle_us; /* how long a screen stays without a touch */
};

static const char *const reasons[] = {"Forgot badge",
                                      "Badge not working",
                                      "Reader not working",
                                      "Arrived before the kiosk was on",
                                      "Tapped into the wrong session",
                                      "Other (trainer's note)"};
#define N_REASONS ((int)(sizeof(reasons) / sizeof(reasons[0])))

int trainer_new(const struct trainer_options *o, struct trainer **out)
{
    struct trainer *t = calloc(1, sizeof(*t));
    if (!t)
        return STORE_ENOMEM;
    int err = panel_init(&t->panel, LIST_MAX);
    if (err != STORE_OK) {
        free(t);
        return err;
    }
    t->opt = *o;
    *out = t;
    return STORE_OK;
}

void trainer_free(struct trainer *t)
{
    if (!t)
        return;
    panel_free(&t->panel);
    at_risk_free(&t->risk);
    report_free(&t->roll);
    free(t->ticked);
    free(t);
}

bool trainer_is_open(const struct trainer *t)
{
    return t->open;
}

void trainer_set_sync(struct trainer *t, bool available, const char *why)
{
    t->sync_available = available;
    utf8_printf(t->sync_why, sizeof(t->sync_why), "%s", why);
}

void trainer_set_status(struct trainer *t, const struct trainer_status *status)
{
    t->status = *status;
}

bool trainer_take_sync_request(struct trainer *t)
{
    bool r = t->sync_requested;
    t->sync_requested = false;
    return r;
}

static void fail(struct trainer *t, int err, const char *what)
{
    store_fault_set(t->opt.fault, t->opt.store, err, what);
}

/* A screen stays up until the trainer moves on, or a minute without a touch. */
static void stay(struct trainer *t, int64_t now)
{
    t->until_us = now + (t->idle_us ? t->idle_us : TRAINER_IDLE_US);
}

static void message(struct trainer *t, enum view_tone tone, const char *head, int64_t now)
{
    panel_message(&t->panel, tone, head);
    stay(t, now);
}

static void format_time(int64_t utc_us, char out[8])
{
    zone_format_hhmm(utc_us, out);
}

void trainer_close(struct trainer *t)
{
    t->roll_only = false;
    t->print_requested = false;
    t->printed_at_us = 0;
    t->printed[0] = '\0';
    at_risk_free(&t->risk);
    report_free(&t->roll);
    t->idle_us = 0;
    t->open = false;
    t->flow = FLOW_NONE;
    t->step = STEP_NONE;
}

static void open_menu(struct trainer *t, int64_t now)
{
    struct panel *p = &t->panel;
    t->flow = FLOW_NONE;
    t->step = STEP_NONE;
    t->idle_us = 0;
    char title[VIEW_TEXT];
    utf8_printf(title, sizeof(title), "Trainer mode — %s", t->who.name);
    panel_buttons(p, PANEL_MENU, title, "Locks after 60 seconds without a touch");
    panel_button(p, M_REGISTER, "Register", "Who is here for tonight's session", true, TONE_V_INFO);
    panel_button(p, M_CPI, "CPI grid", "Each cohort's sessions: verify, see who is at risk", true,
                 TONE_V_INFO);
    char target[16], at_risk[VIEW_TEXT];
    rules_format_quarters(t->opt.rules->target_quarters, target);
    utf8_printf(at_risk, sizeof(at_risk),
                "Today's people who may not reach %s credits, and the way back", target);
    panel_button(p, M_AT_RISK, "Who is at risk", at_risk, true, TONE_V_INFO);
    panel_button(p, M_SIGN_IN, "Sign someone in", "By hand, with a reason", true, TONE_V_INFO);
    panel_button(p, M_SIGN_OUT, "Sign someone out", "By hand, with a reason", true, TONE_V_INFO);
    panel_button(p, M_ENROL, "Enrol a badge", "Tap the new badge, pick the person", true,
                 TONE_V_INFO);
    panel_button(p, M_EVACUATION, "Evacuation list",
                 "Roll call: everyone in the building, ticked off by touch", true, TONE_V_WARNING);
    panel_button(p, M_SYNC, "Sync now",
                 t->sync_available ? "Send events to head office, fetch the roster" : t->sync_why,
                 t->sync_available, TONE_V_INFO);
    panel_button(p, M_STATUS, "Kiosk status", "The reader, sync, clock and database in detail",
                 true, TONE_V_NEUTRAL);
    stay(t, now);
}

static void show_evacuation(struct trainer *t, int64_t now);

static void forget_old_ticks(struct trainer *t, int64_t now);

bool trainer_in_roll_call(const struct trainer *t)
{
    return t->open && t->flow == FLOW_EVACUATION && t->panel.kind == PANEL_LIST;
}

void trainer_resume_roll_call(struct trainer *t, int64_t now)
{
    t->seen_us = now;
    if (trainer_in_roll_call(t))
        show_evacuation(t, now);
}

void trainer_open_roll_call(struct trainer *t, const struct person *warden, int64_t now)
{
    forget_old_ticks(t, now);
    t->who = *warden;
    t->open = true;
    t->seen_us = now;
    t->roll_only = true;
    t->flow = FLOW_EVACUATION;
    t->step = STEP_NONE;
    show_evacuation(t, now);
}

bool trainer_take_print_request(struct trainer *t)
{
    bool r = t->print_requested;
    t->print_requested = false;
    return r;
}

const struct report *trainer_roll_call(const struct trainer *t)
{
    return &t->roll;
}

void trainer_printed(struct trainer *t, bool ok, const char *why, int64_t now)
{
    t->printed_at_us = now;
    char at[8];
    format_time(now, at);
    if (ok)
        utf8_printf(t->printed, sizeof(t->printed), "sent to the printer at %s", at);
    else
        utf8_printf(t->printed, sizeof(t->printed), "not printed: %s", why);
    if (t->open && t->flow == FLOW_EVACUATION)
        show_evacuation(t, now);
}

void trainer_open(struct trainer *t, const struct person *who, int64_t now)
{
    t->who = *who;
    t->open = true;
    t->seen_us = now;
    open_menu(t, now);
}

/* ---- which session ----------------------------------------------------------------------- */

/* Today's recordable sessions whose sign-in or checkout window is open now. */
static int current_sessions(struct trainer *t, int64_t now, struct session *out, int cap)
{
    struct session *found = NULL;
    size_t n = 0;
    const struct rules *r = t->opt.rules;
    int err = lists_sessions_between(t->opt.store, now - r->checkout_after_min * US_PER_MIN,
                                     now + r->open_before_min * US_PER_MIN, &found, &n);
    if (err != STORE_OK)
        fail(t, err, "cannot read the programme");
    int m = 0;
    for (size_t i = 0; i < n && m < cap && err == STORE_OK; i++) {
        if (domain_session_recordable(&found[i]))
            out[m++] = found[i];
    }
    free(found);
    return m;
}

static void ask_session(struct trainer *t, const struct session *s, int n, int64_t now);
static void after_session(struct trainer *t, int64_t now);

static void start_flow(struct trainer *t, enum flow flow, int64_t now)
{
    struct session s[VIEW_BUTTONS];
    t->flow = flow;
    t->find[0] = '\0';
    int n = current_sessions(t, now, s, VIEW_BUTTONS);
    if (n == 0) {
        message(t, TONE_V_INFO, "No session is open now", now);
        panel_message_line(&t->panel,
                           "Sessions open %d minutes before they start and close %d minutes "
                           "after they end.",
                           t->opt.rules->open_before_min, t->opt.rules->checkout_after_min);
        return;
    }
    if (n == 1) {
        t->session = s[0];
        after_session(t, now);
        return;
    }
    ask_session(t, s, n, now);
}

static void ask_session(struct trainer *t, const struct session *s, int n, int64_t now)
{
    t->step = STEP_SESSION;
    panel_buttons(&t->panel, PANEL_BUTTONS, "Which session?", "");
    for (int i = 0; i < n; i++) {
        char a[8], z[8], detail[VIEW_TEXT];
        format_time(s[i].start_us, a);
        format_time(s[i].end_us, z);
        utf8_printf(detail, sizeof(detail), "%s–%s", a, z);
        panel_button(&t->panel, s[i].id, s[i].title, detail, true, TONE_V_INFO);
    }
    stay(t, now);
}

/* ---- register ---------------------------------------------------------------------------- */

/* "25 min", "1 h 45": how far off the session's times, in the words a trainer says. */
static void minutes_words(int64_t us, char out[24])
{
    int m = (int)((us + US_PER_MIN / 2) / US_PER_MIN);
    if (m < 60)
        snprintf(out, 24, "%d min", m);
    else if (m % 60 == 0)
        snprintf(out, 24, "%d h", m / 60);
    else
        snprintf(out, 24, "%d h %02d", m / 60, m % 60);
}

/* Why an attendance needs a trainer, with the minutes: "arrived 25 min late", "left 1 h 45
 * early", "no sign-out"; "" when nothing is off. */
static void why_flagged(const struct session *s, const struct attendance *a, char *out, size_t cap)
{
    char late[24] = "", early[24] = "";
    if ((a->flags & ATT_LATE) && a->in_us > s->start_us)
        minutes_words(a->in_us - s->start_us, late);
    if ((a->flags & ATT_EARLY) && a->out_us && a->out_us < s->end_us)
        minutes_words(s->end_us - a->out_us, early);
    utf8_printf(out, cap, "%s%s%s%s%s%s%s", late[0] ? "arrived " : "", late, late[0] ? " late" : "",
                late[0] && (early[0] || (a->flags & ATT_NO_SIGNOUT)) ? ", " : "",
                early[0] ? "left " : "", early[0] ? early : "",
                early[0]                      ? " early"
                : (a->flags & ATT_NO_SIGNOUT) ? "no sign-out"
                                              : "");
}

static void describe(const struct session *s, const struct attendance *a, char *status, size_t cap,
                     enum view_tone *tone)
{
    char in[8], out[8], why[96];
    format_time(a->in_us, in);
    format_time(a->out_us, out);
    why_flagged(s, a, why, sizeof(why));
    const char *by_hand = a->flags & (ATT_MANUAL_IN | ATT_MANUAL_OUT) ? ", by hand" : "";
    *tone = TONE_V_OK;
    if (a->flags & ATT_VOID) {
        utf8_printf(status, cap, "Voided (a correction)");
        *tone = TONE_V_NEUTRAL;
    } else if (a->out_us == 0) {
        utf8_printf(status, cap, "In %s%s%s%s", in, why[0] ? " — " : "", why, by_hand);
        if (a->flags & ATT_LATE)
            *tone = TONE_V_WARNING;
    } else {
        utf8_printf(status, cap, "%s %s–%s%s%s%s", a->flags & ATT_APPROVED ? "Approved," : "In", in,
                    (a->flags & ATT_NO_SIGNOUT) ? "?" : out, why[0] ? " — " : "", why, by_hand);
        if ((a->flags & (ATT_EARLY | ATT_LATE | ATT_NO_SIGNOUT)) && !(a->flags & ATT_APPROVED))
            *tone = TONE_V_WARNING;
    }
}

static int register_row(void *ctx, const struct person *p, const struct attendance *a)
{
    struct trainer *t = ctx;
    struct panel_item *it = panel_list_add(&t->panel, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    describe(&t->session, a, it->cells[1], sizeof(it->cells[1]), &it->tone);
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", p->academy);
    it->selectable = (t->flow == FLOW_SIGN_OUT && a->in_us != 0 && a->out_us == 0) ||
                     (t->flow == FLOW_REGISTER && a->in_us != 0 && !(a->flags & ATT_VOID));
    return 0;
}

/* The register's rows counted as records: each is counted whether or not the list could show
 * it. */
static int count_attendance(void *ctx, const struct person *p, const struct attendance *a)
{
    struct trainer *t = ctx;
    if (!(a->flags & ATT_VOID)) {
        t->count.in += a->in_us != 0 && a->out_us == 0;
        t->count.late += (a->flags & ATT_LATE) != 0;
    }
    return register_row(ctx, p, a);
}

static int booked_row(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    struct trainer *t = ctx;
    if (panel_list_find(&t->panel, p->id))
        return 0;
    t->count.missing++;
    struct panel_item *it = panel_list_add(&t->panel, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "Booked — not here");
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", p->academy);
    it->tone = TONE_V_INFO;
    return 0;
}

static void show_register(struct trainer *t, int64_t now)
{
    static const char *const cols[] = {"Name", "Status", "Academy"};
    char title[VIEW_TEXT], a[8], z[8];
    format_time(t->session.start_us, a);
    format_time(t->session.end_us, z);
    utf8_printf(title, sizeof(title), "Register: %s, %s–%s", t->session.title, a, z);
    panel_list(&t->panel, title, cols, 3);
    memset(&t->count, 0, sizeof(t->count));
    int err = store_register_each(t->opt.store, t->session.id, count_attendance, t);
    if (err == STORE_OK || err == CPD_STOP)
        err = store_bookings_of(t->opt.store, t->session.id, booked_row, t);
    if (err != STORE_OK && err != CPD_STOP)
        fail(t, err, "cannot read the register");
    /* Tonight's evaluations, when anyone answered: how it went, while the trainer is here. */
    struct evaluation_tally tally = {0};
    char words[80] = "", said[96] = "";
    if (evaluation_tally_of(t->opt.store, t->session.code, &tally) == STORE_OK && tally.answers) {
        evaluation_words(&tally, words, sizeof(words));
        utf8_printf(said, sizeof(said), " · evaluations: %s", words);
    }
    utf8_printf(t->panel.subtitle, sizeof(t->panel.subtitle),
                "%d in now · %d late · %d booked but not here%s · touch a name to put it right",
                t->count.in, t->count.late, t->count.missing, said);
    t->step = STEP_NONE;
    stay(t, now);
}

/* A register row touched: what can be put right, each a correction event with the trainer's
 * name and the reason the button says. */
static void ask_fix(struct trainer *t, int64_t person_id, int64_t now)
{
    struct attendance a;
    if (store_person_by_id(t->opt.store, person_id, &t->person) != STORE_OK ||
        store_attendance_get(t->opt.store, person_id, t->session.id, &a) != STORE_OK)
        return;
    char title[VIEW_TEXT], status[96], end[8], at[8], label[96];
    enum view_tone tone;
    describe(&t->session, &a, status, sizeof(status), &tone);
    format_time(t->session.end_us, end);
    format_time(now, at);
    utf8_printf(title, sizeof(title), "Put right: %s", t->person.name);
    panel_buttons(&t->panel, PANEL_BUTTONS, title, status);
    bool open = a.out_us == 0 || (a.flags & ATT_NO_SIGNOUT);
    bool flagged = !credits_attendance_complete(t->opt.rules, &t->session, &a);
    panel_button(&t->panel, FIX_APPROVE, "Approve in full", "Seen in the session by you",
                 a.out_us != 0 && flagged && !(a.flags & ATT_APPROVED), TONE_V_OK);
    utf8_printf(label, sizeof(label), "Signed out at the end (%s)", end);
    panel_button(&t->panel, FIX_OUT_AT_END, label, "Left at the end without tapping out", open,
                 TONE_V_INFO);
    utf8_printf(label, sizeof(label), "Signed out now (%s)", at);
    panel_button(&t->panel, FIX_OUT_NOW, label, "Leaving now without tapping out",
                 open && now <= t->session.end_us + t->opt.rules->checkout_after_min * US_PER_MIN,
                 TONE_V_INFO);
    panel_button(&t->panel, FIX_VOID, "Recorded by mistake",
                 "Tapped into the wrong session: "
                 "it counts nothing",
                 true, TONE_V_WARNING);
    panel_button(&t->panel, FIX_NONE, "Not now", "Nothing is recorded", true, TONE_V_NEUTRAL);
    t->step = STEP_FIX;
    stay(t, now);
}

/* A correction made here: by this trainer, for this reason, now. */
static struct correction correction_by(const struct trainer *t, const char *reason, int64_t now,
                                       int64_t mono)
{
    return (struct correction){.store = t->opt.store,
                               .rules = t->opt.rules,
                               .by = t->who.name,
                               .reason = reason,
                               .clock_state = t->opt.clock_state,
                               .now_us = now,
                               .mono_us = mono};
}

static void apply_fix(struct trainer *t, enum fix fix, int64_t now, int64_t mono)
{
    static const char *const reasons_of[] = {[FIX_APPROVE] = "seen in the session by the trainer",
                                             [FIX_OUT_AT_END] =
                                                 "left at the end without tapping out",
                                             [FIX_OUT_NOW] = "left without tapping out",
                                             [FIX_VOID] = "tapped into the wrong session"};
    if (fix == FIX_NONE) {
        show_register(t, now);
        return;
    }
    struct correction c = correction_by(t, reasons_of[fix], now, mono);
    const char *why = "";
    int err = fix == FIX_APPROVE ? correct_approve(&c, &t->person, &t->session, &why)
              : fix == FIX_VOID
                  ? correct_void(&c, &t->person, &t->session, &why)
                  : correct_sign_out(&c, &t->person, &t->session,
                                     fix == FIX_OUT_NOW ? now : t->session.end_us, &why);
    if (err != STORE_OK && why[0]) {
        message(t, TONE_V_WARNING, "Not changed", now);
        panel_message_line(&t->panel, "%s", why);
        return;
    }
    if (err != STORE_OK) {
        fail(t, err, "the correction was not recorded");
        message(t, TONE_V_ERROR, "Not recorded", now);
        panel_message_line(&t->panel, "%s", t->opt.fault->text);
        return;
    }
    message(t, TONE_V_OK, "Put right", now);
    panel_message_line(&t->panel, "%s: %s, recorded with your name.", t->person.name,
                       reasons_of[fix]);
    if (fix == FIX_APPROVE) { /* an approval can be taken back at once */
        t->approving[0] = t->session.id;
        t->n_approving = 1;
        t->step = STEP_APPROVED;
        panel_button(&t->panel, 1, "Undo", "It was a mistake", true, TONE_V_NEUTRAL);
        panel_button(&t->panel, 0, "Done", "", true, TONE_V_OK);
    }
}

/* ---- evacuation -------------------------------------------------------------------------- */

/* The roll call: the evacuation report's list (the same as cpd-admin report evacuation: by
 * surname, once a person, forgotten sign-outs gone), the trainer taking it at the top, a name
 * ticked when touched; it stays up for ROLL_CALL_IDLE_US, as long as a drill can take. */
static bool ticked(const struct trainer *t, const char *staff_no)
{
    for (size_t i = 0; i < t->n_ticked; i++) {
        if (strcmp(t->ticked[i], staff_no) == 0)
            return true;
    }
    return false;
}

static void toggle_tick(struct trainer *t, const char *staff_no)
{
    for (size_t i = 0; i < t->n_ticked; i++) {
        if (strcmp(t->ticked[i], staff_no) == 0) {
            memmove(&t->ticked[i], &t->ticked[i + 1], (t->n_ticked - i - 1) * sizeof(t->ticked[0]));
            t->n_ticked--;
            return;
        }
    }
    if (t->n_ticked == t->cap_ticked) {
        size_t cap = t->cap_ticked ? 2 * t->cap_ticked : 32;
        char(*grown)[DOMAIN_CODE_MAX] = realloc(t->ticked, cap * sizeof(*grown));
        if (!grown) {
            fail(t, STORE_ENOMEM, "cannot tick the name");
            return;
        }
        t->ticked = grown;
        t->cap_ticked = cap;
    }
    utf8_printf(t->ticked[t->n_ticked++], DOMAIN_CODE_MAX, "%s", staff_no);
}

/* Ticks from a roll call long over do not carry into a new one. */
static void forget_old_ticks(struct trainer *t, int64_t now)
{
    if (t->last_tick_us && now - t->last_tick_us >= ROLL_CALL_TICKS_US)
        t->n_ticked = 0;
}

static void roll_row(struct trainer *t, int64_t id, const char *name, const char *session,
                     const char *since, const char *room, bool accounted)
{
    struct panel_item *it = panel_list_add(&t->panel, id);
    if (!it)
        return; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s", session);
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", since);
    utf8_printf(it->cells[3], sizeof(it->cells[3]), "%s", room);
    utf8_printf(it->cells[4], sizeof(it->cells[4]), "%s", accounted ? "\u2714 here" : "");
    it->tone = accounted ? TONE_V_OK : TONE_V_NEUTRAL;
    it->selectable = id >= 0;
}

static void show_evacuation(struct trainer *t, int64_t now)
{
    static const char *const cols[] = {"Name", "Session", "Signed in", "Room", "Accounted"};
    struct report *r = &t->roll;
    report_free(r);
    int err = report_evacuation(t->opt.store, t->opt.rules, t->opt.site, now, r);
    if (err != STORE_OK)
        fail(t, err, "cannot read who is in");
    int first = t->flow == FLOW_EVACUATION && t->panel.kind == PANEL_LIST ? t->panel.first : 0;
    panel_list(&t->panel, "Roll call: everyone in the building for CPD", cols, 5);
    roll_row(t, -1, t->who.name, "taking it", "", "", true);
    int accounted = 1, people = 1;
    /* Those still to find first (by surname), then those ticked: the first page is the one to
     * read out, and a tick moves a name out of the way. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < r->n_rows; i++) {
            struct report_row *x = &r->rows[i];
            if (strcmp(x->cells[1], t->who.staff_no) == 0)
                continue; /* the trainer is on the first row */
            bool here = ticked(t, x->cells[1]);
            if (here != (pass == 1))
                continue;
            char since[16] = "";
            if (strlen(x->cells[5]) >= 16)
                utf8_printf(since, sizeof(since), "since %s", x->cells[5] + 11);
            roll_row(t, (int64_t)i, x->cells[0], x->cells[3], since, x->cells[4], here);
            report_cell(x, 6, "%s", here ? "\u2714 here" : ""); /* on paper */
            accounted += here;
            people++;
        }
    }
    char at[8];
    format_time(now, at);
    utf8_printf(t->panel.subtitle, sizeof(t->panel.subtitle),
                "%s%d in the building at %s · %d accounted for · %d still to find — touch a name "
                "to tick it",
                t->panel.n_cut ? "at least " : "", people, at, accounted, people - accounted);
    if (t->printed[0]) {
        size_t used = strlen(t->panel.subtitle);
        utf8_printf(t->panel.subtitle + used, sizeof(t->panel.subtitle) - used, " · %s",
                    t->printed);
    }
    if (t->opt.can_print)
        utf8_printf(t->panel.extra_label, sizeof(t->panel.extra_label), "Print");
    t->panel.first = first < t->panel.n_items ? first : 0; /* a tick keeps the page */
    t->idle_us = ROLL_CALL_IDLE_US;
    stay(t, now);
}

/* ---- at risk ----------------------------------------------------------------------------- */

/* Everyone at or booked on today's sessions, once each. */
struct today {
    int64_t *ids;
    size_t n, cap;
    int err;
};

static int today_add(struct today *d, int64_t id)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->ids[i] == id)
            return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        int64_t *grown = realloc(d->ids, cap * sizeof(*grown));
        if (!grown) {
            d->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        d->ids = grown;
        d->cap = cap;
    }
    d->ids[d->n++] = id;
    return 0;
}

static int today_attended(void *ctx, const struct person *p, const struct attendance *a)
{
    (void)a;
    return today_add(ctx, p->id);
}

static int today_booked(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    return today_add(ctx, p->id);
}

static int people_today(struct trainer *t, int64_t now, struct today *d, int *sessions)
{
    civil_day day;
    int minute;
    int64_t from = 0, to = 0;
    struct session *found = NULL;
    size_t n = 0;
    zone_utc_to_local(now, &day, &minute, NULL);
    zone_local_to_utc(day, 0, &from);
    zone_local_to_utc(day, 24 * 60 - 1, &to);
    int err = lists_sessions_between(t->opt.store, from, to, &found, &n);
    *sessions = 0;
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        if (!domain_session_recordable(&found[i]))
            continue;
        (*sessions)++;
        err = store_register_each(t->opt.store, found[i].id, today_attended, d);
        if (err == STORE_OK)
            err = store_bookings_of(t->opt.store, found[i].id, today_booked, d);
        err = err == CPD_STOP || err == STORE_OK ? d->err : err;
    }
    free(found);
    return err;
}

/* The words that fit a row: "Cannot reach 16" (the target), "Spring term at 0". */
static void short_risk(const struct rules *rules, const struct risk *r, char *out, size_t cap)
{
    char target[16];
    rules_format_quarters(rules->target_quarters, target);
    if (r->kind == RISK_CANNOT_REACH)
        utf8_printf(out, cap, "Cannot reach %s", target);
    else
        utf8_printf(out, cap, "%s term at 0", rules_term_name(r->term_at_risk));
}

/* A heading row, then a row a session ("    Title Mon 29 Jan"), then "    and N more". */
static void session_rows(struct panel *p, const char *heading, const struct session *coming,
                         const size_t *at, size_t n, size_t more)
{
    struct panel_item *it = panel_list_add(p, -1);
    if (!it)
        return;
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", heading);
    it->tone = TONE_V_NEUTRAL;
    for (size_t i = 0; i < n && (it = panel_list_add(p, -1)); i++) {
        char day[16];
        civil_format_short(coming[at[i]].date, day);
        utf8_printf(it->cells[0], sizeof(it->cells[0]), "    %s %s", coming[at[i]].title, day);
        it->tone = TONE_V_INFO;
    }
    if (more > 0 && (it = panel_list_add(p, -1))) {
        utf8_printf(it->cells[0], sizeof(it->cells[0]), "    and %zu more", more);
        it->tone = TONE_V_INFO;
    }
}

static void other_way_row(struct panel *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void other_way_row(struct panel *p, const char *fmt, ...)
{
    struct panel_item *it = panel_list_add(p, -1);
    if (!it)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->cells[0], sizeof(it->cells[0]), fmt, ap);
    va_end(ap);
    utf8_fix_tail(it->cells[0]);
    it->tone = TONE_V_OK;
}

/* A person touched: the risk and the ways back, a session a row, from the typed record. */
static void show_risk_detail(struct trainer *t, size_t row, int64_t now)
{
    if (row >= t->risk.n)
        return;
    static const char *const cols[] = {"What would do it"};
    const struct at_risk_person *x = &t->risk.people[row];
    const struct risk *r = &x->risk;
    const struct session *coming = t->risk.later.offer.coming;
    char title[VIEW_TEXT], q[16], target[16], heading[VIEW_TEXT];
    rules_format_quarters(r->total_q, q);
    rules_format_quarters(t->opt.rules->target_quarters, target);
    utf8_printf(title, sizeof(title), "%s: %s of %s credits so far", x->person.name, q, target);
    panel_list(&t->panel, title, cols, 1);
    if (r->kind == RISK_TERM_AT_ZERO) {
        utf8_printf(heading, sizeof(heading), "The %s term ends at 0 unless they attend one of:",
                    rules_term_name(r->term_at_risk));
        session_rows(&t->panel, heading, coming, r->term_sessions, r->n_term_sessions,
                     r->term_sessions_more);
    } else {
        utf8_printf(heading, sizeof(heading), "Cannot reach %s this year", target);
        session_rows(&t->panel, heading, coming, NULL, 0, 0);
    }
    if (r->n_way_back > 0) {
        if (r->kind == RISK_CANNOT_REACH)
            utf8_printf(heading, sizeof(heading), "The way back: the most left:");
        else
            utf8_printf(heading, sizeof(heading), "The way back: attend %zu%s:", r->n_way_back,
                        r->way_back_cut ? " or more" : "");
        session_rows(&t->panel, heading, coming, r->way_back, r->n_way_back, 0);
    }
    char day[16];
    if (r->cpi.first) {
        civil_format_short(r->cpi.first->date, day);
        rules_format_quarters(r->cpi.credits_q, q);
        other_way_row(&t->panel, "Or CPI Initial Training from %s (%d sessions, %s credits)", day,
                      r->cpi.sessions, q);
    }
    if (r->mapa.first) {
        civil_format_short(r->mapa.first->date, day);
        rules_format_quarters(r->mapa.credits_q, q);
        other_way_row(&t->panel,
                      "Or MAPA Refresher from %s (%d days and the online part, %s credits)", day,
                      r->mapa.sessions, q);
    }
    if (r->prerecorded_headroom_q > 0) {
        rules_format_quarters(r->prerecorded_headroom_q, q);
        other_way_row(&t->panel, "Pre-recorded training: up to %s more", q);
    }
    utf8_printf(t->panel.subtitle, sizeof(t->panel.subtitle), "%s, %s", x->person.academy,
                r->kind == RISK_CANNOT_REACH ? "cannot reach the target this year"
                                             : "a term would end at 0");
    t->step = STEP_CONFIRM;
    stay(t, now);
}

static void show_at_risk(struct trainer *t, int64_t now)
{
    static const char *const cols[] = {"Name", "Credits", "Risk"};
    struct today d = {0};
    int sessions = 0;
    int err = people_today(t, now, &d, &sessions);
    if (err == STORE_OK && sessions == 0) {
        free(d.ids);
        message(t, TONE_V_INFO, "No session today", now);
        panel_message_line(&t->panel, "The list is of the people at today's sessions; the office "
                                      "has the whole trust's (cpd-admin report at-risk).");
        return;
    }
    struct at_risk *r = &t->risk;
    struct report_filter f = {.person_ids = d.ids, .n_person_ids = d.n};
    at_risk_free(r);
    if (err == STORE_OK)
        err = at_risk_find(t->opt.store, t->opt.rules, now, &f, r);
    panel_list(&t->panel, "Who is at risk: the people at today's sessions", cols, 3);
    char target[16], q[16];
    rules_format_quarters(t->opt.rules->target_quarters, target);
    for (size_t i = 0; i < r->n && err == STORE_OK; i++) {
        struct panel_item *it = panel_list_add(&t->panel, (int64_t)i);
        if (!it)
            break; /* counted in n_cut: the list says how many it could not show */
        const struct at_risk_person *x = &r->people[i];
        rules_format_quarters(x->risk.total_q, q);
        utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", x->person.name);
        utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s of %s", q, target);
        short_risk(t->opt.rules, &x->risk, it->cells[2], sizeof(it->cells[2]));
        it->tone = x->risk.kind == RISK_CANNOT_REACH ? TONE_V_ERROR : TONE_V_WARNING;
        it->selectable = true;
    }
    if (err != STORE_OK)
        fail(t, err, "cannot work out who is at risk");
    utf8_printf(t->panel.subtitle, sizeof(t->panel.subtitle),
                "%zu of the %zu people at today's sessions %s at risk · touch a name for the way "
                "back",
                r->n, d.n, r->n == 1 ? "is" : "are");
    free(d.ids);
    t->flow = FLOW_AT_RISK;
    t->step = STEP_PERSON;
    stay(t, now);
}

/* ---- CPI grid ---------------------------------------------------------------------------- */

#define CPI_MARK 1 /* cells[CPI_MARK + 1 … 4]: the cohort's sessions; + 5: the status */

/* A session's mark in the grid, from the typed record (completion.h). */
static const char *part_glyph(enum part_mark mark)
{
    switch (mark) {
    case PART_NONE:
        return "\u2013";
    case PART_BOOKED:
        return "booked";
    case PART_SIGNED_IN:
        return "\u25CF in";
    case PART_DONE:
        return "\u2714";
    case PART_MISSED:
        return "\u2716 missed";
    case PART_NO_SIGN_OUT:
    case PART_LATE:
    case PART_LEFT_EARLY:
        break;
    }
    return "\u26A0 review";
}

/* One row per person and cohort (ids are person ids): the marks, then the status. */
static void cpi_row(struct panel_item *it, const struct completion_entry *e, int parts)
{
    const char *cohort = strncmp(e->group, "cpi-", 4) == 0 ? e->group + 4 : e->group;
    int done = 0, review = 0;
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", e->person.name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s", cohort);
    for (int s = 0; s < COMPLETION_PARTS_MAX; s++) {
        utf8_printf(it->cells[CPI_MARK + 1 + s], sizeof(it->cells[0]), "%s",
                    s < parts ? part_glyph(e->marks[s]) : "");
        done += s < parts && e->marks[s] == PART_DONE;
        review += s < parts && completion_needs_review(e->marks[s]);
    }
    char *status = it->cells[CPI_MARK + 5];
    it->selectable = review > 0;
    it->tone = TONE_V_NEUTRAL;
    switch (e->status) {
    case COMPLETION_COMPLETE:
        utf8_printf(status, sizeof(it->cells[0]), "Complete");
        it->tone = TONE_V_OK;
        break;
    case COMPLETION_MISSING:
        utf8_printf(status, sizeof(it->cells[0]), "At risk");
        it->tone = TONE_V_ERROR;
        break;
    case COMPLETION_REVIEW:
        utf8_printf(status, sizeof(it->cells[0]), "Verify %d", review);
        it->tone = TONE_V_WARNING;
        break;
    case COMPLETION_IN_PROGRESS:
        utf8_printf(status, sizeof(it->cells[0]), "%d of %d", done, parts);
        break;
    }
}

static int urgency(enum view_tone tone)
{
    return tone == TONE_V_ERROR ? 0 : tone == TONE_V_WARNING ? 1 : 2;
}

static int by_urgency(const void *a, const void *b)
{
    const struct panel_item *x = a, *y = b;
    int c = urgency(x->tone) - urgency(y->tone);
    return c ? c : strcoll(x->cells[0], y->cells[0]);
}

static void show_cpi(struct trainer *t, int64_t now)
{
    static const char *const cols[] = {"Name", "Cohort", "1", "2", "3", "4", "Status"};
    struct completion_list l;
    int err = completion_find(t->opt.store, t->opt.rules, KIND_CPI_INITIAL, NULL, now, &l);
    char title[VIEW_TEXT], credits[16];
    rules_format_quarters(l.credits_q, credits);
    utf8_printf(title, sizeof(title),
                "CPI Initial Training: %d sessions, all needed for %s credits", l.parts, credits);
    panel_list(&t->panel, title, cols, 7);
    if (err != STORE_OK)
        fail(t, err, "cannot read the CPI sessions");
    int at_risk = 0, complete = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct panel_item *it = panel_list_add(&t->panel, l.list[i].person.id);
        if (!it)
            break; /* counted in n_cut: the list says how many it could not show */
        cpi_row(it, &l.list[i], l.parts);
        at_risk += l.list[i].status == COMPLETION_MISSING;
        complete += l.list[i].status == COMPLETION_COMPLETE;
    }
    completion_free(&l);
    /* What needs the trainer first: at risk, then to verify, then the rest, by name. */
    if (t->panel.n_items > 1)
        qsort(t->panel.items, (size_t)t->panel.n_items, sizeof(t->panel.items[0]), by_urgency);
    utf8_printf(t->panel.subtitle, sizeof(t->panel.subtitle),
                "%d complete · %d at risk of missing their %s credits · touch a row to verify",
                complete, at_risk, credits);
    t->flow = FLOW_CPI;
    t->step = STEP_CONFIRM;
    stay(t, now);
}

/* ---- events by hand ---------------------------------------------------------------------- */

/* The trainer, now, acting through the services (trainer_ops.h). */
static struct trainer_act act(const struct trainer *t, int64_t now, int64_t mono)
{
    return (struct trainer_act){.store = t->opt.store,
                                .rules = t->opt.rules,
                                .trainer = &t->who,
                                .clock_state = t->opt.clock_state,
                                .now_us = now,
                                .mono_us = mono};
}

/* Before one touch counts someone's sessions in full: which ones, and why each was flagged. */
static void confirm_cpi(struct trainer *t, int64_t person_id, int64_t now)
{
    struct session *sessions = NULL;
    size_t n = 0;
    char why[VIEW_TEXT] = "", title[VIEW_TEXT];
    t->n_approving = 0;
    int err = store_person_by_id(t->opt.store, person_id, &t->person);
    if (err == STORE_OK)
        err = lists_package_sessions(t->opt.store, &sessions, &n);
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        struct attendance a;
        if (sessions[i].kind != KIND_CPI_INITIAL ||
            store_attendance_get(t->opt.store, person_id, sessions[i].id, &a) != STORE_OK ||
            a.in_us == 0 || a.out_us == 0 || (a.flags & ATT_VOID) ||
            credits_attendance_complete(t->opt.rules, &sessions[i], &a))
            continue;
        char day[16], status[96];
        civil_format_short(sessions[i].date, day);
        why_flagged(&sessions[i], &a, status, sizeof(status));
        if (t->n_approving < (int)(sizeof(t->approving) / sizeof(t->approving[0])))
            t->approving[t->n_approving++] = sessions[i].id;
        size_t used = strlen(why);
        utf8_printf(why + used, sizeof(why) - used, "%s%s: %s", used ? "; " : "", day, status);
    }
    free(sessions);
    if (err != STORE_OK) {
        fail(t, err, "cannot read the CPI sessions");
        return;
    }
    utf8_printf(title, sizeof(title), "Verify %s's CPI sessions?", t->person.name);
    panel_buttons(&t->panel, PANEL_BUTTONS, title,
                  "Approving counts each in full, recorded with your name");
    panel_button(&t->panel, 1, "Approve", why, true, TONE_V_OK);
    panel_button(&t->panel, 0, "Not now", "Nothing is recorded", true, TONE_V_NEUTRAL);
    t->step = STEP_APPROVE;
    stay(t, now);
}

static void approve_cpi(struct trainer *t, int64_t person_id, int64_t now, int64_t mono)
{
    struct person p;
    int approved = 0;
    struct trainer_act a = act(t, now, mono);
    int err = store_person_by_id(t->opt.store, person_id, &p);
    if (err == STORE_OK)
        err = trainer_approve_cpi(&a, &p, &approved);
    if (err != STORE_OK) {
        fail(t, err, "the approval was not recorded");
        message(t, TONE_V_ERROR, "Not recorded", now);
        panel_message_line(&t->panel, "%s", t->opt.fault->text);
        return;
    }
    message(t, TONE_V_OK, "Verified", now);
    panel_message_line(&t->panel, "%s: %d CPI session%s approved by %s.", p.name, approved,
                       approved == 1 ? "" : "s", t->who.name);
    t->step = STEP_APPROVED;
    panel_button(&t->panel, 1, "Undo", "It was a mistake", true, TONE_V_NEUTRAL);
    panel_button(&t->panel, 0, "Done", "", true, TONE_V_OK);
}

/* The approval just made, undone: a correction for each session (who, and why), so they wait
 * for a trainer again. */
static void undo_approval(struct trainer *t, int64_t now, int64_t mono)
{
    struct correction c = correction_by(t, "approved by mistake (undone at once)", now, mono);
    const char *why = "";
    int err = STORE_OK, undone = 0;
    for (int i = 0; i < t->n_approving && err == STORE_OK; i++) {
        struct session s;
        err = store_session_by_id(t->opt.store, t->approving[i], &s);
        if (err == STORE_OK)
            err = correct_withdraw_approval(&c, &t->person, &s, &why);
        if (err == STORE_EINVALID) /* not approved (nothing to undo there) */
            err = STORE_OK;
        else
            undone += err == STORE_OK;
    }
    if (err != STORE_OK) {
        fail(t, err, "the undo was not recorded");
        message(t, TONE_V_ERROR, "Not undone", now);
        panel_message_line(&t->panel, "%s", t->opt.fault->text);
        return;
    }
    message(t, TONE_V_OK, "Undone", now);
    panel_message_line(&t->panel, "%s: %d CPI %s for a trainer again.", t->person.name, undone,
                       undone == 1 ? "session waits" : "sessions wait");
}

static int person_row(void *ctx, const struct person *p, int badges)
{
    struct trainer *t = ctx;
    if (!p->active)
        return 0;
    bool booked = false;
    struct attendance a;
    if (t->flow == FLOW_SIGN_IN) {
        int err = store_attendance_get(t->opt.store, p->id, t->session.id, &a);
        if (err == STORE_OK && a.in_us != 0 && a.out_us == 0 && !(a.flags & ATT_VOID))
            return 0; /* already in */
        if (err == STORE_OK || err == STORE_ENOTFOUND)
            err = store_booked(t->opt.store, p->id, t->session.id, &booked);
        if (err != STORE_OK) {
            fail(t, err, "cannot read the register");
            return CPD_STOP; /* the list is cut: the banner says why */
        }
    }
    struct panel_item *it = panel_list_add(&t->panel, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s", p->academy);
    if (t->flow == FLOW_ENROL)
        utf8_printf(it->cells[2], sizeof(it->cells[2]), "%d badge%s", badges,
                    badges == 1 ? "" : "s");
    else
        utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", booked ? "Booked" : "");
    it->tone = booked ? TONE_V_INFO : TONE_V_NEUTRAL;
    it->selectable = true;
    return 0;
}

/* Booked people first, then by name (the store gives them by name). */
static int booked_first(const void *a, const void *b)
{
    const struct panel_item *x = a, *y = b;
    bool bx = x->cells[2][0] == 'B', by = y->cells[2][0] == 'B';
    if (bx != by)
        return bx ? -1 : 1;
    return strcmp(x->cells[0], y->cells[0]);
}

static void narrow_to_find(struct trainer *t);
static void ask_find(struct trainer *t, int64_t now);

/* Who is signed in now at the flow's session: the people a trainer may sign out. */
static void ask_leaver(struct trainer *t)
{
    static const char *const cols[] = {"Name", "Status", "Academy"};
    struct panel *p = &t->panel;
    char title[VIEW_TEXT];
    utf8_printf(title, sizeof(title), "Sign out by hand: %s", t->session.title);
    panel_list(p, title, cols, 3);
    int err = store_register_each(t->opt.store, t->session.id, register_row, t);
    if (err != STORE_OK && err != CPD_STOP)
        fail(t, err, "cannot read the register");
    int keep = 0;
    for (int i = 0; i < p->n_items; i++) {
        if (p->items[i].selectable)
            p->items[keep++] = p->items[i];
    }
    p->n_items = keep;
    utf8_printf(p->subtitle, sizeof(p->subtitle), "Touch the person who is leaving");
    narrow_to_find(t);
}

static void ask_person(struct trainer *t, int64_t now)
{
    static const char *const cols[] = {"Name", "Academy", ""};
    struct panel *p = &t->panel;
    char title[VIEW_TEXT], last4[5];
    t->step = STEP_PERSON;
    if (t->flow == FLOW_SIGN_OUT) {
        ask_leaver(t);
        stay(t, now);
        return;
    }
    if (t->flow == FLOW_ENROL) {
        uid_last4(&t->enrol_uid, last4);
        utf8_printf(title, sizeof(title), "Enrol badge …%s: whose is it?", last4);
    } else {
        utf8_printf(title, sizeof(title), "Sign in by hand: %s", t->session.title);
    }
    panel_list(p, title, cols, 3);
    int err = store_people_each(t->opt.store, person_row, t);
    if (err != STORE_OK && err != CPD_STOP)
        fail(t, err, "cannot read the roster");
    if (p->n_items > 1)
        qsort(p->items, (size_t)p->n_items, sizeof(p->items[0]), booked_first);
    utf8_printf(p->subtitle, sizeof(p->subtitle), "Touch the person (booked people first)");
    narrow_to_find(t);
    stay(t, now);
}

static void ask_reason(struct trainer *t, int64_t now)
{
    t->step = STEP_REASON;
    char title[VIEW_TEXT], subtitle[VIEW_TEXT];
    utf8_printf(title, sizeof(title), "Why by hand? %s", t->person.name);
    utf8_printf(subtitle, sizeof(subtitle), "%s by %s", t->session.title, t->who.name);
    panel_buttons(&t->panel, PANEL_BUTTONS, title, subtitle);
    for (int i = 0; i < N_REASONS; i++)
        panel_button(&t->panel, i, reasons[i], "", true, TONE_V_INFO);
    stay(t, now);
}

/* ---- finding a name, typing a note ------------------------------------------------------- */

static bool contains_folded(const char *text, const char *part)
{
    size_t n = strlen(part);
    for (const char *s = text; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] &&
               (s[i] | (s[i] >= 'A' && s[i] <= 'Z' ? 0x20 : 0)) ==
                   (part[i] | (part[i] >= 'A' && part[i] <= 'Z' ? 0x20 : 0)))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* The list narrowed to the names with t->find in them, and its Find button. */
static void narrow_to_find(struct trainer *t)
{
    struct panel *p = &t->panel;
    if (t->find[0]) {
        int keep = 0;
        for (int i = 0; i < p->n_items; i++) {
            if (contains_folded(p->items[i].cells[0], t->find))
                p->items[keep++] = p->items[i];
        }
        p->n_items = keep;
        utf8_printf(p->subtitle, sizeof(p->subtitle), "Names with \u201c%s\u201d: %d — touch one",
                    t->find, keep);
    }
    utf8_printf(p->extra_label, sizeof(p->extra_label), "%s",
                t->find[0] ? "Find again" : "Find a name");
}

static void ask_find(struct trainer *t, int64_t now)
{
    t->step = STEP_FIND;
    panel_keyboard(&t->panel, "Find a name", "Type part of a first name or a surname", t->find,
                   (int)sizeof(t->find) - 1);
    utf8_printf(t->panel.entry_hint, sizeof(t->panel.entry_hint),
                "Done shows the names with it; nothing typed shows everyone");
    stay(t, now);
}

static void ask_note(struct trainer *t, int64_t now)
{
    t->step = STEP_NOTE;
    char title[VIEW_TEXT];
    utf8_printf(title, sizeof(title), "Why by hand? %s", t->person.name);
    panel_keyboard(&t->panel, title, "A short note, recorded with your name", "", NOTE_MAX);
    utf8_printf(t->panel.entry_hint, sizeof(t->panel.entry_hint), "Up to %d characters", NOTE_MAX);
    stay(t, now);
}

/* ---- by hand: when, yes or cancel, undo -------------------------------------------------- */

static void confirm_by_hand(struct trainer *t, int64_t now);

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A reason chosen: the note for "Other", else straight to when. The time starts at now (or
 * the session's start for someone who came before the kiosk was on) and stays within the
 * session's window, never later than now, never before a sign-out's sign-in. */
static void choose_reason(struct trainer *t, int reason, int64_t now)
{
    const struct rules *r = t->opt.rules;
    bool in = t->flow == FLOW_SIGN_IN;
    t->reason = reason;
    t->at_lo_us = t->session.start_us - r->open_before_min * US_PER_MIN;
    t->at_hi_us = t->session.end_us + r->checkout_after_min * US_PER_MIN;
    struct attendance a;
    t->had_attendance =
        store_attendance_get(t->opt.store, t->person.id, t->session.id, &a) == STORE_OK &&
        a.in_us != 0 && !(a.flags & ATT_VOID);
    if (!in && t->had_attendance && a.in_us > t->at_lo_us)
        t->at_lo_us = a.in_us;
    if (now < t->at_hi_us)
        t->at_hi_us = now - now % US_PER_MIN;
    bool before_kiosk = strcmp(reasons[reason], "Arrived before the kiosk was on") == 0;
    t->at_us = clamp(before_kiosk ? t->session.start_us : now - now % US_PER_MIN, t->at_lo_us,
                     t->at_hi_us);
    if (reason == N_REASONS - 1) {
        ask_note(t, now);
        return;
    }
    utf8_printf(t->note, sizeof(t->note), "%s", reasons[reason]);
    confirm_by_hand(t, now);
}

static void note_typed(struct trainer *t, int64_t now)
{
    if (!t->panel.entry[0]) {
        utf8_printf(t->panel.entry_hint, sizeof(t->panel.entry_hint),
                    "Please type a short note: it is recorded as the reason");
        stay(t, now);
        return;
    }
    utf8_printf(t->note, sizeof(t->note), "Other: %s", t->panel.entry);
    confirm_by_hand(t, now);
}

static bool by_hand_flagged(const struct trainer *t)
{
    const struct rules *r = t->opt.rules;
    return t->flow == FLOW_SIGN_IN
               ? t->at_us > t->session.start_us + r->late_after_min * US_PER_MIN
               : t->at_us < t->session.end_us - r->early_before_min * US_PER_MIN;
}

/* Nothing is recorded until the trainer says yes, at the time shown. */
static void confirm_by_hand(struct trainer *t, int64_t now)
{
    bool in = t->flow == FLOW_SIGN_IN;
    struct panel *p = &t->panel;
    char title[VIEW_TEXT], subtitle[VIEW_TEXT], label[96], at[8], edge[8], detail[VIEW_TEXT];
    t->step = STEP_HAND;
    utf8_printf(title, sizeof(title), "Sign %s %s by hand?", t->person.name, in ? "in" : "out");
    utf8_printf(subtitle, sizeof(subtitle), "%s · %s", t->session.title, t->note);
    panel_buttons(p, PANEL_BUTTONS, title, subtitle);
    format_time(t->at_us, at);
    bool flagged = by_hand_flagged(t);
    utf8_printf(label, sizeof(label), "Sign %s at %s%s", in ? "in" : "out", at,
                flagged ? (in ? " (late)" : " (early)") : "");
    panel_button(p, HAND_RECORD, label,
                 flagged ? "Recorded with your name; a trainer reviews it before it counts"
                         : "Recorded with your name",
                 true, flagged ? TONE_V_WARNING : TONE_V_OK);
    int64_t earlier = t->at_us - HAND_STEP_US, later = t->at_us + HAND_STEP_US;
    format_time(earlier, edge);
    utf8_printf(detail, sizeof(detail), "%s", edge);
    panel_button(p, HAND_EARLIER, "5 minutes earlier", detail, earlier >= t->at_lo_us, TONE_V_INFO);
    format_time(later, edge);
    utf8_printf(detail, sizeof(detail), "%s", edge);
    panel_button(p, HAND_LATER, "5 minutes later", detail, later <= t->at_hi_us, TONE_V_INFO);
    int64_t edge_us = in ? t->session.start_us : t->session.end_us;
    format_time(edge_us, edge);
    utf8_printf(label, sizeof(label), "%s, %s", in ? "At the start" : "At the end", edge);
    panel_button(p, HAND_EDGE, label, in ? "Came before the kiosk was on" : "Stayed to the end",
                 edge_us >= t->at_lo_us && edge_us <= t->at_hi_us && edge_us != t->at_us,
                 TONE_V_INFO);
    stay(t, now); /* the screen's Cancel: nothing is recorded */
}

static void record_by_hand(struct trainer *t, int64_t now, int64_t mono)
{
    bool in = t->flow == FLOW_SIGN_IN, flag = false;
    struct trainer_act a = act(t, now, mono);
    int err = trainer_sign_by_hand(&a, in, &t->person, &t->session, t->note, t->at_us, &flag);
    if (err == STORE_ECONSTRAINT || err == STORE_EINVALID) { /* refused, not a fault */
        message(t, TONE_V_WARNING, "Not recorded", now);
        panel_message_line(&t->panel, "%s",
                           err == STORE_ECONSTRAINT
                               ? "They were signed in to another session at that time: put that "
                                 "one right first (its register)."
                               : "That time is outside tonight's session.");
        return;
    }
    if (err != STORE_OK) {
        fail(t, err,
             in ? "the sign-in by hand was not recorded" : "the sign-out by hand was not recorded");
        message(t, TONE_V_ERROR, "Not recorded", now);
        panel_message_line(&t->panel, "%s", t->opt.fault->text);
        return;
    }
    store_fault_clear(t->opt.fault);
    char at[8];
    format_time(t->at_us, at);
    t->step = STEP_DONE;
    message(t, TONE_V_OK, in ? "Signed in by hand" : "Signed out by hand", now);
    panel_message_line(&t->panel, "%s", t->person.name);
    panel_message_line(&t->panel, "%s, at %s%s", t->session.title, at,
                       flag ? (in ? " (late)" : " (early)") : "");
    panel_message_line(&t->panel, "Reason: %s — recorded by %s", t->note, t->who.name);
    /* A sign-in by mistake is undone by voiding it (an event with who and why) — only when it
     * made a new attendance: voiding one they had already would lose their real time here. A
     * sign-out at the wrong time, or a sign-in over an earlier one, is put right from the
     * register. */
    if (in && !t->had_attendance)
        panel_button(&t->panel, HAND_UNDO, "Undo", "It was a mistake", true, TONE_V_NEUTRAL);
    panel_button(&t->panel, HAND_CANCEL, "Done", "", true, TONE_V_OK);
}

static void undo_by_hand(struct trainer *t, int64_t now, int64_t mono)
{
    struct correction c =
        correction_by(t, "signed in by hand by mistake (undone at once)", now, mono);
    const char *why = "";
    int err = correct_void(&c, &t->person, &t->session, &why);
    if (err != STORE_OK) {
        if (!why[0])
            fail(t, err, "the undo was not recorded");
        message(t, TONE_V_ERROR, "Not undone", now);
        panel_message_line(&t->panel, "%s", why[0] ? why : t->opt.fault->text);
        return;
    }
    message(t, TONE_V_OK, "Undone", now);
    panel_message_line(&t->panel, "%s is not signed in to %s.", t->person.name, t->session.title);
    panel_message_line(&t->panel, "Recorded with your name.");
}

static void hand_action(struct trainer *t, enum hand h, int64_t now, int64_t mono)
{
    switch (h) {
    case HAND_RECORD:
        record_by_hand(t, now, mono);
        break;
    case HAND_EARLIER:
    case HAND_LATER:
        t->at_us = clamp(t->at_us + (h == HAND_LATER ? HAND_STEP_US : -HAND_STEP_US), t->at_lo_us,
                         t->at_hi_us);
        confirm_by_hand(t, now);
        break;
    case HAND_EDGE:
        t->at_us = clamp(t->flow == FLOW_SIGN_IN ? t->session.start_us : t->session.end_us,
                         t->at_lo_us, t->at_hi_us);
        confirm_by_hand(t, now);
        break;
    case HAND_UNDO:
        undo_by_hand(t, now, mono);
        break;
    default:
        open_menu(t, now);
        break;
    }
}

/* ---- enrolling a badge ------------------------------------------------------------------- */

bool trainer_badge(struct trainer *t, const struct uid *uid, int64_t now)
{
    if (!t->open || t->flow != FLOW_ENROL || t->step != STEP_BADGE)
        return false;
    t->seen_us = now;
    char last4[5];
    uid_last4(uid, last4);
    if (uid_is_random(uid) && !t->opt.rules->accept_random_uids) {
        message(t, TONE_V_ERROR, "Phones and bank cards can't be used as badges", now);
        panel_message_line(&t->panel, "Their number changes at every tap: please use a staff "
                                      "badge.");
        return true;
    }
    char hex[UID_HEX_LEN];
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    uid_to_hex(uid, hex);
    crypto_badge_hash(hash, hex, t->opt.site_key);
    int64_t owner = 0;
    int err = store_badge_lookup(t->opt.store, hash, &owner);
    if (err == STORE_OK) {
        struct person p = {0};
        bool known = store_person_by_id(t->opt.store, owner, &p) == STORE_OK;
        message(t, TONE_V_WARNING, "This badge is already enrolled", now);
        panel_message_line(&t->panel, "Badge …%s belongs to %s.", last4,
                           known ? p.name : "someone else");
        return true;
    }
    t->enrol_uid = *uid;
    ask_person(t, now);
    return true;
}

/* The new badge first; then the old one revoked (a correction with who and why), so a failure
 * never leaves the person with no badge that works. replace: index into old_badges, or -1. */
static void enrol(struct trainer *t, int replace, int64_t now, int64_t mono)
{
    char last4[5];
    struct trainer_act a = act(t, now, mono);
    int err = trainer_enrol_badge(&a, &t->person, &t->enrol_uid, t->opt.site_key, last4);
    if (err != STORE_OK) {
        fail(t, err, "the badge was not enrolled");
        message(t, TONE_V_ERROR, "Not enrolled", now);
        panel_message_line(&t->panel, "%s", t->opt.fault->text);
        return;
    }
    const char *why = "";
    if (replace >= 0) {
        struct correction c = correction_by(t, "replaced at the kiosk by a new badge", now, mono);
        err = correct_revoke_badge(&c, &t->person, t->old_badges[replace], &why);
    }
    if (err != STORE_OK) {
        fail(t, err, "the old badge was not revoked");
        message(t, TONE_V_WARNING, "New badge enrolled, old one still works", now);
        panel_message_line(&t->panel, "%s", why[0] ? why : t->opt.fault->text);
        return;
    }
    message(t, TONE_V_OK, replace >= 0 ? "Badge replaced" : "Badge enrolled", now);
    panel_message_line(&t->panel, "Badge …%s now signs in %s.", last4, t->person.name);
    if (replace >= 0)
        panel_message_line(&t->panel,
                           "Badge …%s is refused from now on, on every kiosk after "
                           "its next sync.",
                           t->old_badges[replace]);
}

static int old_badge(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                     const char *staff_no)
{
    struct trainer *t = ctx;
    bool revoked = false;
    if (strcmp(staff_no, t->person.staff_no) != 0 || t->n_old_badges >= VIEW_BUTTONS - 2 ||
        store_badge_revoked(t->opt.store, hash, &revoked) != STORE_OK || revoked)
        return 0;
    utf8_printf(t->old_badges[t->n_old_badges++], 5, "%s", last4);
    return 0;
}

/* Someone who has a badge already: is the new one instead (lost, broken) or as well? */
static void ask_replace(struct trainer *t, int64_t now, int64_t mono)
{
    t->n_old_badges = 0;
    if (store_badge_hashes_each(t->opt.store, old_badge, t) != STORE_OK || t->n_old_badges == 0) {
        enrol(t, -1, now, mono);
        return;
    }
    char title[VIEW_TEXT], label[96];
    utf8_printf(title, sizeof(title), "%s has a badge already", t->person.name);
    panel_buttons(&t->panel, PANEL_BUTTONS, title, "Is the new one instead of it, or as well?");
    for (int i = 0; i < t->n_old_badges; i++) {
        utf8_printf(label, sizeof(label), "Replace badge …%s", t->old_badges[i]);
        panel_button(&t->panel, i + 1, label, "Lost or broken: it stops working on every kiosk",
                     true, TONE_V_WARNING);
    }
    panel_button(&t->panel, 100, "Keep both", "The new badge as another one", true, TONE_V_INFO);
    panel_button(&t->panel, 0, "Not now", "Nothing is recorded", true, TONE_V_NEUTRAL);
    t->step = STEP_REPLACE;
    stay(t, now);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static void after_session(struct trainer *t, int64_t now)
{
    switch (t->flow) {
    case FLOW_REGISTER:
        show_register(t, now);
        break;
    case FLOW_SIGN_IN:
    case FLOW_SIGN_OUT:
        ask_person(t, now);
        break;
    default:
        open_menu(t, now);
        break;
    }
}

/* What the public screen says in plain words, with the device's own reasons, for whoever fixes
 * it (the log has the same). */
static void show_status(struct trainer *t, int64_t now)
{
    bool failed = t->opt.fault && t->opt.fault->failed;
    message(t, failed ? TONE_V_ERROR : TONE_V_INFO, "Kiosk status", now);
    panel_message_line(&t->panel, "Badge reader: %s", t->status.reader);
    panel_message_line(&t->panel, "Sync: %s", t->status.sync);
    panel_message_line(&t->panel, "Clock: %s", t->status.clock);
    if (failed)
        panel_message_line(&t->panel, "Database: %s", t->opt.fault->text);
    else if (t->opt.fault && t->opt.fault->text[0])
        panel_message_line(&t->panel, "Database: taps are being saved normally (last problem: %s)",
                           t->opt.fault->text);
    else
        panel_message_line(&t->panel, "Database: taps are being saved normally");
    panel_message_line(&t->panel, "Site: %s", t->opt.site);
}

static void menu_action(struct trainer *t, int item, int64_t now)
{
    switch (item) {
    case M_REGISTER:
        start_flow(t, FLOW_REGISTER, now);
        break;
    case M_CPI:
        show_cpi(t, now);
        break;
    case M_AT_RISK:
        show_at_risk(t, now);
        break;
    case M_SIGN_IN:
        start_flow(t, FLOW_SIGN_IN, now);
        break;
    case M_SIGN_OUT:
        start_flow(t, FLOW_SIGN_OUT, now);
        break;
    case M_ENROL:
        t->find[0] = '\0'; /* a search made for signing in is not this list's */
        t->flow = FLOW_ENROL;
        t->step = STEP_BADGE;
        message(t, TONE_V_INFO, "Tap the new badge on the reader", now);
        panel_message_line(&t->panel, "Then pick the person it belongs to.");
        break;
    case M_EVACUATION:
        forget_old_ticks(t, now);
        t->flow = FLOW_EVACUATION;
        show_evacuation(t, now);
        break;
    case M_SYNC:
        t->sync_requested = true;
        message(t, TONE_V_INFO, "Sync started", now);
        panel_message_line(&t->panel, "Events go to head office and the roster comes back, in the "
                                      "background: the kiosk keeps working.");
        panel_message_line(&t->panel, "The sync chip at the top shows how it went.");
        break;
    case M_STATUS:
        show_status(t, now);
        break;
    default:
        trainer_close(t);
        break;
    }
}

static void list_action(struct trainer *t, struct view_action a, int64_t now, int64_t mono)
{
    panel_page(&t->panel, a.kind);
    if (a.kind == ACT_EXTRA && t->step == STEP_PERSON && t->panel.extra_label[0]) {
        ask_find(t, now);
        return;
    }
    if (a.kind == ACT_EXTRA && t->flow == FLOW_EVACUATION && t->opt.can_print) {
        /* the app prints; trainer_printed says how it went. Once in 15 s: a second touch
         * while the first copy comes out is not a second copy, nor another wait on lp. */
        if (!t->printed_at_us || now - t->printed_at_us >= PRINT_AGAIN_US)
            t->print_requested = true;
        return;
    }
    const struct panel_item *it = a.kind == ACT_ROW ? panel_selectable(&t->panel, a.index) : NULL;
    if (!it)
        return;
    if (t->flow == FLOW_CPI) {
        confirm_cpi(t, it->id, now);
        return;
    }
    if (t->flow == FLOW_REGISTER) {
        ask_fix(t, it->id, now);
        return;
    }
    if (t->flow == FLOW_EVACUATION) {
        if (it->id >= 0 && (size_t)it->id < t->roll.n_rows) {
            toggle_tick(t, t->roll.rows[it->id].cells[1]);
            t->last_tick_us = now;
            show_evacuation(t, now);
        }
        return;
    }
    if (t->flow == FLOW_AT_RISK && t->step == STEP_PERSON) {
        show_risk_detail(t, (size_t)it->id, now);
        return;
    }
    if (t->step != STEP_PERSON || store_person_by_id(t->opt.store, it->id, &t->person) != STORE_OK)
        return;
    if (t->flow == FLOW_ENROL)
        ask_replace(t, now, mono);
    else
        ask_reason(t, now);
}

static void buttons_action(struct trainer *t, struct view_action a, int64_t now, int64_t mono)
{
    int64_t id;
    if (a.kind != ACT_BUTTON || !panel_button_id(&t->panel, a.index, &id))
        return;
    if (t->panel.kind == PANEL_MENU)
        menu_action(t, (int)id, now);
    else if (t->step == STEP_SESSION &&
             store_session_by_id(t->opt.store, id, &t->session) == STORE_OK)
        after_session(t, now);
    else if (t->step == STEP_REASON && id >= 0 && id < N_REASONS)
        choose_reason(t, (int)id, now);
    else if (t->step == STEP_HAND || t->step == STEP_DONE)
        hand_action(t, (enum hand)id, now, mono);
    else if (t->step == STEP_FIX)
        apply_fix(t, (enum fix)id, now, mono);
    else if (t->step == STEP_REPLACE && id > 0)
        enrol(t, id == 100 ? -1 : (int)id - 1, now, mono);
    else if (t->step == STEP_REPLACE)
        open_menu(t, now);
    else if (t->step == STEP_APPROVE && id == 1)
        approve_cpi(t, t->person.id, now, mono);
    else if (t->step == STEP_APPROVED && id == 1)
        undo_approval(t, now, mono);
    else if (t->step == STEP_APPROVED && t->flow == FLOW_REGISTER)
        show_register(t, now); /* done: back to the register */
    else if (t->step == STEP_APPROVED)
        show_cpi(t, now); /* done: back to the grid */
    else if (t->step == STEP_APPROVE)
        show_cpi(t, now); /* not now: back to the grid, nothing recorded */
}

/* Typing a name to find or a note: Done uses it, Cancel goes back a step. */
static void keyboard_action(struct trainer *t, struct view_action a, int64_t now)
{
    struct panel *p = &t->panel;
    if (a.kind == ACT_CHAR && a.index > 0 && a.index < 128)
        panel_entry_type(p, (char)a.index);
    else if (a.kind == ACT_ERASE)
        panel_entry_erase(p);
    else if (a.kind == ACT_OK && t->step == STEP_FIND) {
        utf8_printf(t->find, sizeof(t->find), "%s", p->entry);
        ask_person(t, now);
    } else if (a.kind == ACT_OK && t->step == STEP_NOTE)
        note_typed(t, now);
    else if (a.kind == ACT_BACK && t->step == STEP_FIND)
        ask_person(t, now);
    else if (a.kind == ACT_BACK && t->step == STEP_NOTE)
        ask_reason(t, now);
}

void trainer_action(struct trainer *t, struct view_action a, int64_t now, int64_t mono)
{
    if (!t->open || a.kind == ACT_NONE)
        return;
    t->seen_us = now;
    stay(t, now);
    if (a.kind == ACT_BACK && t->flow == FLOW_REGISTER && t->step == STEP_FIX) {
        show_register(t, now); /* back to the register, nothing recorded */
        return;
    }
    if (a.kind == ACT_BACK && t->flow == FLOW_AT_RISK && t->step == STEP_CONFIRM) {
        show_at_risk(t, now); /* back to the list the person was picked from */
        return;
    }
    if (t->panel.kind == PANEL_KEYBOARD) {
        keyboard_action(t, a, now);
        return;
    }
    /* Back from a screen about a row goes back to that row's list, not to the menu. */
    if (a.kind == ACT_BACK && t->flow == FLOW_CPI && t->panel.kind != PANEL_LIST) {
        show_cpi(t, now);
        return;
    }
    if (a.kind == ACT_BACK && t->roll_only) {
        trainer_close(t); /* a fire warden's roll call: nothing behind it */
        return;
    }
    if (a.kind == ACT_BACK) {
        if (t->panel.kind == PANEL_MENU)
            trainer_close(t);
        else
            open_menu(t, now);
        return;
    }
    switch (t->panel.kind) {
    case PANEL_MENU:
    case PANEL_BUTTONS:
        buttons_action(t, a, now, mono);
        break;
    case PANEL_LIST:
        list_action(t, a, now, mono);
        break;
    case PANEL_MESSAGE:
        if (a.kind == ACT_BUTTON && t->panel.n_buttons > 0)
            buttons_action(t, a, now, mono);
        else if ((a.kind == ACT_OK || a.kind == ACT_BUTTON) && t->flow == FLOW_REGISTER)
            show_register(t, now); /* back to the register the row was on */
        else if ((a.kind == ACT_OK || a.kind == ACT_BUTTON) && t->flow == FLOW_CPI)
            show_cpi(t, now); /* back to the grid */
        else if (a.kind == ACT_OK || a.kind == ACT_BUTTON)
            open_menu(t, now);
        break;
    case PANEL_KEYBOARD:
        break; /* keyboard_action, above */
    }
}

struct view_action trainer_key_action(const struct trainer *t, enum gfx_key key, char ch)
{
    return panel_key_action(&t->panel, key, ch);
}

void trainer_tick(struct trainer *t, int64_t now)
{
    if (!t->open)
        return;
    if (now - t->seen_us >= (t->idle_us ? t->idle_us : TRAINER_IDLE_US))
        trainer_close(t);
    else if (t->until_us && now >= t->until_us) {
        if (t->panel.kind != PANEL_MENU && !t->roll_only)
            open_menu(t, now);
        else
            trainer_close(t);
    }
}

int64_t trainer_deadline(const struct trainer *t, int64_t next)
{
    if (!t->open)
        return next;
    if (t->until_us && t->until_us < next)
        next = t->until_us;
    int64_t idle = t->idle_us ? t->idle_us : TRAINER_IDLE_US;
    if (t->seen_us + idle < next)
        next = t->seen_us + idle;
    return next;
}

enum view_screen trainer_screen(const struct trainer *t)
{
    return panel_screen(&t->panel);
}

void trainer_view(struct trainer *t, struct view *v)
{
    panel_view(&t->panel, v);
}
