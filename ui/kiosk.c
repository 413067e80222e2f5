/* The kiosk's behaviour: taps through tapflow, the choose screen, the PIN pad and the idle
 * screen; trainer mode (trainer.c) once a PIN is accepted. */
#include "ui/kiosk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/domain/pin.h"
#include "core/services/evaluation.h"
#include "core/services/lists.h"
#include "core/services/tap_text.h"
#include "core/services/tapflow.h"
#include "ui/panel.h"
#include "ui/screens.h"
#include "ui/store_fault.h"
#include "ui/trainer.h"

enum kiosk_mode {
    KM_IDLE,
    KM_RESULT,  /* a tap's outcome */
    KM_CHOOSE,  /* which of the open sessions */
    KM_PIN,     /* trainer PIN pad */
    KM_TRAINER, /* trainer mode: trainer.c has the screen */
};

struct kiosk {
    struct kiosk_options opt;
    struct tapflow flow;
    struct trainer *trainer;
    enum kiosk_mode mode;
    int64_t until_us; /* the mode ends (back to idle) at this time; 0 = never */

    struct tap_result *tap; /* the last tap's result */
    bool tap_failed;
    char fail_text[160];
    struct uid tap_uid;          /* the badge of the choose screen */
    int64_t pin_locked_until_us; /* the PIN pad's person is locked out until then (0: not) */
    char lost[VIEW_TEXT]; /* someone left on the choose screen, not signed in: said for a while */
    int64_t lost_until_us;
    struct panel choose; /* its buttons: ids are indexes into tap->choices */
    /* After a sign-out, when configured: how useful was tonight? Asked after the sign-out is
     * committed, so skipping or a failure here never touches it. */
    enum { EVAL_NONE, EVAL_ASKING, EVAL_THANKS, EVAL_NOT_SAVED } eval;
    int eval_score;
    bool warden;           /* the last tap was a fire warden's: the result offers the roll call */
    bool roll_call_behind; /* a badge came during the roll call: its result, then the roll call */
    /* Another badge while someone is choosing: it waits its turn, as tapped (never replacing
     * their choice), and is done as soon as the choice is over. */
    bool has_queued;
    struct uid queued_uid;
    int64_t queued_now_us, queued_mono_us;

    /* The PIN pad. */
    struct person pin_person;
    char pin[8];
    int pin_len;
    char pin_message[160];

    /* Idle: the sessions around now, refreshed each minute. */
    struct view_session idle[VIEW_SESSIONS];
    int n_idle;
    int64_t idle_minute;

    struct kiosk_status status;
    enum view_tone notice_tone;
    char notice[VIEW_TEXT];
    struct store_fault fault;
    enum clock_verdict clock; /* checked each minute: taps are refused while it is not OK */
    enum kiosk_sound sound;
};

int kiosk_new(const struct kiosk_options *o, struct kiosk **out)
{
    struct kiosk *k = calloc(1, sizeof(*k));
    struct tap_result *tap = calloc(1, sizeof(*tap));
    if (!k || !tap) {
        free(k);
        free(tap);
        return STORE_ENOMEM;
    }
    k->opt = *o;
    k->tap = tap;
    struct trainer_options to = {.store = o->store,
                                 .rules = o->rules,
                                 .site = o->site,
                                 .site_key = o->site_key,
                                 .clock_state = o->clock_state,
                                 .fault = &k->fault,
                                 .can_print = o->can_print};
    int err = panel_init(&k->choose, 0);
    if (err == STORE_OK)
        err = trainer_new(&to, &k->trainer);
    if (err != STORE_OK) {
        kiosk_free(k);
        return err;
    }
    k->flow = (struct tapflow){.store = o->store,
                               .rules = o->rules,
                               .site_key = o->site_key,
                               .clock_state = o->clock_state,
                               .boot_id = o->boot_id};
    k->status.reader_up = true;
    utf8_printf(k->status.reader_text, sizeof(k->status.reader_text), "Reader ready");
    utf8_printf(k->status.sync_text, sizeof(k->status.sync_text), "Taps kept here");
    utf8_printf(k->status.sync_why, sizeof(k->status.sync_why),
                "Sync to head office is not set up ([sync] conninfo)");
    k->status.sync_tone = TONE_V_NEUTRAL;
    k->status.clock_ok = true;
    utf8_printf(k->status.clock_text, sizeof(k->status.clock_text), "Clock OK");
    kiosk_set_status(k, &k->status);
    k->idle_minute = -1;
    *out = k;
    return STORE_OK;
}

void kiosk_free(struct kiosk *k)
{
    if (!k)
        return;
    crypto_wipe(k->pin, sizeof(k->pin));
    trainer_free(k->trainer);
    panel_free(&k->choose);
    tapflow_result_free(k->tap);
    free(k->tap);
    free(k);
}

static void format_time(int64_t utc_us, char out[8])
{
    zone_format_hhmm(utc_us, out);
}

static void kiosk_enter(struct kiosk *k, enum kiosk_mode mode, int64_t until_us)
{
    k->mode = mode;
    k->until_us = until_us;
}

/* Leaves the PIN pad and trainer mode: whatever was typed or in progress is dropped. */
static void lock(struct kiosk *k)
{
    trainer_close(k->trainer);
    k->pin_len = 0;
    crypto_wipe(k->pin, sizeof(k->pin));
}

/* A screen is over: back to the roll call a badge interrupted (people leaving in a drill pass
 * the kiosk; the warden's list and ticks stay), else to idle — locked, when locking. */
static void tap(struct kiosk *k, const struct uid *uid, int64_t chosen, int64_t now, int64_t mono);

static void finished(struct kiosk *k, int64_t now, bool locking)
{
    if (k->has_queued) { /* the badge that waited for a choice: its turn now, as tapped */
        k->has_queued = false;
        tap(k, &k->queued_uid, 0, k->queued_now_us, k->queued_mono_us);
        return;
    }
    bool resume = k->roll_call_behind && trainer_in_roll_call(k->trainer);
    k->roll_call_behind = false;
    if (resume) {
        trainer_resume_roll_call(k->trainer, now);
        kiosk_enter(k, KM_TRAINER, 0);
        return;
    }
    if (locking)
        lock(k);
    kiosk_enter(k, KM_IDLE, 0);
}

/* Trainer mode's status page: the same facts as the chips, with their reasons. */
static void trainer_status(struct kiosk *k)
{
    struct trainer_status ts;
    const struct kiosk_status *s = &k->status;
    utf8_printf(ts.reader, sizeof(ts.reader), "%s%s", s->reader_up ? "" : "not working — ",
                s->reader_text);
    if (s->sync_detail[0])
        utf8_printf(ts.sync, sizeof(ts.sync), "%s", s->sync_detail);
    else
        utf8_printf(ts.sync, sizeof(ts.sync), "%s%s%s", s->sync_text, s->sync_why[0] ? " — " : "",
                    s->sync_why);
    if (k->clock != CLOCK_OK)
        utf8_printf(ts.clock, sizeof(ts.clock), "wrong, taps are refused — %s",
                    clock_verdict_text(k->clock));
    else
        utf8_printf(ts.clock, sizeof(ts.clock), "%s", s->clock_text);
    trainer_set_status(k->trainer, &ts);
}

void kiosk_set_status(struct kiosk *k, const struct kiosk_status *status)
{
    k->status = *status;
    trainer_set_sync(k->trainer, status->sync_available, status->sync_why);
    trainer_status(k);
}

void kiosk_set_notice(struct kiosk *k, enum view_tone tone, const char *text)
{
    k->notice_tone = tone;
    utf8_printf(k->notice, sizeof(k->notice), "%s", text);
}

enum kiosk_sound kiosk_take_sound(struct kiosk *k)
{
    enum kiosk_sound s = k->sound;
    k->sound = KIOSK_SOUND_NONE;
    return s;
}

enum view_screen kiosk_screen(const struct kiosk *k)
{
    switch (k->mode) {
    case KM_IDLE:
        return SCREEN_IDLE;
    case KM_RESULT:
        return SCREEN_RESULT;
    case KM_CHOOSE:
        return SCREEN_CHOOSE;
    case KM_PIN:
        return SCREEN_PIN;
    default:
        return trainer_screen(k->trainer);
    }
}

bool kiosk_take_sync_request(struct kiosk *k)
{
    return trainer_take_sync_request(k->trainer);
}

bool kiosk_take_print_request(struct kiosk *k)
{
    return trainer_take_print_request(k->trainer);
}

const struct report *kiosk_roll_call(const struct kiosk *k)
{
    return trainer_roll_call(k->trainer);
}

void kiosk_printed(struct kiosk *k, bool ok, const char *why, int64_t now)
{
    trainer_printed(k->trainer, ok, why, now);
}

/* ---- taps -------------------------------------------------------------------------------- */

static enum kiosk_sound sound_of(enum tap_tone tone)
{
    switch (tone) {
    case TONE_OK:
    case TONE_INFO:
        return KIOSK_SOUND_OK;
    case TONE_WARNING:
        return KIOSK_SOUND_WARNING;
    default:
        return KIOSK_SOUND_ERROR;
    }
}

static void start_pin(struct kiosk *k, const struct person *trainer, int64_t now)
{
    lock(k);
    k->pin_person = *trainer;
    utf8_printf(k->pin_message, sizeof(k->pin_message), " ");
    /* Locked out already: said at once, and the pad is shown as not taking digits. */
    struct pin_record rec;
    k->pin_locked_until_us = 0;
    if (store_pin_get(k->opt.store, trainer->id, &rec) == STORE_OK && pin_locked(&rec, now)) {
        char until[8];
        format_time(rec.locked_until_us, until);
        k->pin_locked_until_us = rec.locked_until_us;
        utf8_printf(k->pin_message, sizeof(k->pin_message),
                    "Too many wrong PINs: trainer mode locked until %s", until);
    }
    kiosk_enter(k, KM_PIN, now + KIOSK_PROMPT_US);
}

/* The open sessions of the last tap, as buttons. */
static void start_choose(struct kiosk *k)
{
    char title[VIEW_TEXT];
    utf8_printf(title, sizeof(title), "Which session are you here for, %s?", k->tap->person.name);
    panel_buttons(&k->choose, PANEL_BUTTONS, title,
                  "Touch the one you are here for — you are not signed in until you do");
    for (size_t i = 0; i < k->tap->decision.n_choices; i++) {
        const struct session *s = &k->tap->choices[i];
        char a[8], z[8], detail[VIEW_TEXT];
        format_time(s->start_us, a);
        format_time(s->end_us, z);
        utf8_printf(detail, sizeof(detail), "%s–%s  ·  %s", a, z,
                    s->location[0] ? s->location : k->opt.site);
        panel_button(&k->choose, (int64_t)i, s->title, detail, true, TONE_V_INFO);
    }
}

/* One tap through tapflow; chosen is the session picked on the choose screen (0: none). */
/* Whether staff_no is one of the list's (spaces or commas between them). */
static bool is_warden(const char *list, const char *staff_no)
{
    size_t n = strlen(staff_no);
    for (const char *p = list ? list : ""; n && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == n && strncmp(p, staff_no, n) == 0)
            return true;
        p += len;
    }
    return false;
}

static void tap(struct kiosk *k, const struct uid *uid, int64_t chosen, int64_t now, int64_t mono)
{
    int err = tapflow_tap(&k->flow, uid, now, mono, chosen, k->tap);
    k->eval = EVAL_NONE;
    k->warden = err == STORE_OK && k->tap->has_person && k->tap->person.active &&
                is_warden(k->opt.fire_wardens, k->tap->person.staff_no);
    k->tap_failed = err != STORE_OK;
    if (k->tap_failed) {
        store_fault_set(&k->fault, k->opt.store, err, "the tap was not recorded");
        utf8_printf(k->fail_text, sizeof(k->fail_text), "%s", cpd_strerror(err));
        k->sound = KIOSK_SOUND_ERROR;
        kiosk_enter(k, KM_RESULT, now + (int64_t)k->opt.result_seconds * 2 * US_PER_S);
        return;
    }
    store_fault_clear(&k->fault);
    const struct tap_decision *d = &k->tap->decision;
    struct tap_text t;
    tap_text_build(k->tap, &t);
    k->sound = sound_of(t.tone);
    k->clock = k->tap->clock;
    trainer_status(k);
    if (d->outcome == TAP_TRAINER) {
        start_pin(k, &k->tap->person, now);
        return;
    }
    if (d->outcome == TAP_CHOOSE) {
        k->tap_uid = *uid;
        start_choose(k);
        kiosk_enter(k, KM_CHOOSE, now + KIOSK_PROMPT_US);
        return;
    }
    /* A leaving-early prompt stays exactly as long as its confirming tap may come. */
    int64_t stay = d->outcome == TAP_CONFIRM_LEAVE
                       ? (int64_t)k->opt.rules->confirm_leave_s * US_PER_S
                       : (int64_t)k->opt.result_seconds * US_PER_S;
    if (d->outcome == TAP_SIGNED_OUT && k->opt.evaluation_seconds > 0 && k->tap->has_person &&
        !k->tap->person.trainer && !k->warden) { /* a warden's screen has the roll call */
        k->eval = EVAL_ASKING;
        if (stay < (int64_t)k->opt.evaluation_seconds * US_PER_S)
            stay = (int64_t)k->opt.evaluation_seconds * US_PER_S;
    }
    kiosk_enter(k, KM_RESULT, now + stay);
}

#define LOST_NOTICE_US (INT64_C(20) * US_PER_S)

/* The person on the choose screen walked away, or the next badge came first: they are told,
 * on the screen everyone sees next, that they were not signed in. */
static void left_unchosen(struct kiosk *k, int64_t now)
{
    utf8_printf(k->lost, sizeof(k->lost),
                "%s was not signed in: no session was chosen — please tap again",
                k->tap->person.name);
    k->lost_until_us = now + LOST_NOTICE_US;
}

void kiosk_badge(struct kiosk *k, const struct uid *uid, int64_t now, int64_t mono)
{
    if (k->mode == KM_TRAINER && trainer_badge(k->trainer, uid, now))
        return;
    if (k->mode == KM_CHOOSE && memcmp(uid, &k->tap_uid, sizeof(*uid)) != 0) {
        k->has_queued = true; /* the one choosing keeps their screen; this tap waits */
        k->queued_uid = *uid;
        k->queued_now_us = now;
        k->queued_mono_us = mono;
        return;
    }
    if (k->has_queued) { /* the waiting badge first: taps are done in the order they came */
        k->has_queued = false;
        tap(k, &k->queued_uid, 0, k->queued_now_us, k->queued_mono_us);
    }
    if (k->mode == KM_TRAINER && trainer_in_roll_call(k->trainer))
        k->roll_call_behind = true; /* the tap, then the roll call again */
    if (!k->roll_call_behind)
        lock(k); /* a badge in the middle of trainer mode ends it: the kiosk is public */
    tap(k, uid, 0, now, mono);
}

/* ---- PIN pad ----------------------------------------------------------------------------- */

static void pin_ok(struct kiosk *k, int64_t now)
{
    struct pin_record rec;
    char until[8];
    k->pin[k->pin_len] = '\0';
    if (now < k->pin_locked_until_us)
        return; /* the lock message stays: nothing is tried while locked */
    if (k->pin_len < PIN_MIN_DIGITS) {
        utf8_printf(k->pin_message, sizeof(k->pin_message), "Enter %d to %d digits", PIN_MIN_DIGITS,
                    PIN_MAX_DIGITS);
        return;
    }
    int err = store_pin_get(k->opt.store, k->pin_person.id, &rec);
    if (err == STORE_ENOTFOUND) {
        utf8_printf(k->pin_message, sizeof(k->pin_message),
                    "No PIN is set for you: ask the office (cpd-admin trainer pin)");
        return;
    }
    if (err != STORE_OK) {
        store_fault_set(&k->fault, k->opt.store, err, "cannot check the PIN");
        utf8_printf(k->pin_message, sizeof(k->pin_message), "Cannot check the PIN: %s",
                    cpd_strerror(err));
        return;
    }
    bool matches = !pin_locked(&rec, now) && crypto_pin_verify(rec.hash, k->pin) == CRYPTO_OK;
    enum pin_verdict verdict = pin_judge(&rec, matches, now);
    /* The attempt is on disk before it counts, or it does not count: a lockout a restart could
     * forget would let someone guess on (a full disk must not open trainer mode). */
    err = store_pin_attempts(k->opt.store, k->pin_person.id, rec.failures, rec.locked_until_us);
    k->pin_len = 0;
    crypto_wipe(k->pin, sizeof(k->pin));
    if (err != STORE_OK) {
        store_fault_set(&k->fault, k->opt.store, err, "cannot record the PIN attempt");
        utf8_printf(k->pin_message, sizeof(k->pin_message),
                    "Cannot record the PIN attempt (%s): trainer mode stays locked",
                    cpd_strerror(err));
        k->sound = KIOSK_SOUND_ERROR;
        return;
    }
    format_time(rec.locked_until_us, until);
    switch (verdict) {
    case PIN_ACCEPTED:
        k->sound = KIOSK_SOUND_OK;
        kiosk_enter(k, KM_TRAINER, 0);
        trainer_open(k->trainer, &k->pin_person, now);
        return;
    case PIN_REJECTED:
        utf8_printf(k->pin_message, sizeof(k->pin_message), "Wrong PIN — %d %s left",
                    pin_attempts_left(&rec), pin_attempts_left(&rec) == 1 ? "try" : "tries");
        break;
    case PIN_LOCKED:
        utf8_printf(k->pin_message, sizeof(k->pin_message),
                    "Too many wrong PINs: trainer mode locked until %s", until);
        k->pin_locked_until_us = rec.locked_until_us;
        break;
    }
    k->sound = KIOSK_SOUND_ERROR;
    k->until_us = now + KIOSK_PROMPT_US;
}

static void pin_action(struct kiosk *k, struct view_action a, int64_t now)
{
    k->until_us = now + KIOSK_PROMPT_US;
    switch (a.kind) {
    case ACT_DIGIT:
        if (k->pin_len < PIN_MAX_DIGITS && now >= k->pin_locked_until_us)
            k->pin[k->pin_len++] = (char)('0' + a.index);
        break;
    case ACT_ERASE:
        if (k->pin_len > 0)
            k->pin[--k->pin_len] = '\0';
        break;
    case ACT_OK:
        pin_ok(k, now);
        break;
    case ACT_BACK:
        finished(k, now, true);
        break;
    default:
        break;
    }
}

/* ---- how useful was tonight? ------------------------------------------------------------ */

#define THANKS_US (INT64_C(2) * US_PER_S)

static void evaluate(struct kiosk *k, int score, int64_t now, int64_t mono)
{
    int err = evaluation_record(k->opt.store, k->opt.clock_state, &k->tap->person, &k->tap->session,
                                score, now, mono);
    /* Refused (answered already): thanked all the same, the first answer stands. */
    if (err == STORE_OK || err == STORE_EINVALID) {
        store_fault_clear(&k->fault);
        k->eval = EVAL_THANKS;
    } else {
        store_fault_set(&k->fault, k->opt.store, err, "an evaluation was not recorded");
        k->eval = EVAL_NOT_SAVED;
    }
    k->eval_score = score;
    kiosk_enter(k, KM_RESULT, now + THANKS_US);
}

/* ---- actions, keys, time ----------------------------------------------------------------- */

void kiosk_action(struct kiosk *k, struct view_action a, int64_t now, int64_t mono)
{
    int64_t choice;
    if (a.kind == ACT_NONE)
        return;
    switch (k->mode) {
    case KM_RESULT:
        if (a.kind == ACT_ROLL_CALL && k->warden) {
            trainer_open_roll_call(k->trainer, &k->tap->person, now);
            kiosk_enter(k, KM_TRAINER, 0);
        } else if (k->eval == EVAL_ASKING && a.kind == ACT_BUTTON && a.index >= 0 &&
                   a.index < EVALUATION_SCORES)
            evaluate(k, a.index + 1, now, mono);
        else
            finished(k, now, false);
        break;
    case KM_CHOOSE:
        if (a.kind == ACT_BUTTON && panel_button_id(&k->choose, a.index, &choice))
            tap(k, &k->tap_uid, k->tap->choices[choice].id, now, mono);
        else if (a.kind == ACT_BACK)
            finished(k, now, false);
        break;
    case KM_PIN:
        pin_action(k, a, now);
        break;
    case KM_IDLE:
        break;
    case KM_TRAINER:
        trainer_action(k->trainer, a, now, mono);
        if (!trainer_is_open(k->trainer))
            kiosk_enter(k, KM_IDLE, 0);
        break;
    }
}

struct view_action kiosk_key_action(const struct kiosk *k, enum gfx_key key, char ch)
{
    struct view_action none = {ACT_NONE, 0};
    if (key == KEY_CHAR && k->opt.keys_are_a_reader)
        return none;
    if (k->mode == KM_TRAINER)
        return trainer_key_action(k->trainer, key, ch);
    if (k->mode == KM_CHOOSE)
        return panel_key_action(&k->choose, key, ch);
    switch (key) {
    case KEY_ESCAPE:
        return (struct view_action){ACT_BACK, 0};
    case KEY_ENTER:
        return k->mode == KM_PIN || k->mode == KM_RESULT ? (struct view_action){ACT_OK, 0} : none;
    case KEY_BACKSPACE:
        return k->mode == KM_PIN ? (struct view_action){ACT_ERASE, 0} : none;
    case KEY_PAGE_UP:
        return (struct view_action){ACT_PAGE_UP, 0};
    case KEY_PAGE_DOWN:
        return (struct view_action){ACT_PAGE_DOWN, 0};
    case KEY_CHAR:
        if (k->mode == KM_PIN && ch >= '0' && ch <= '9')
            return (struct view_action){ACT_DIGIT, ch - '0'};
        if (k->mode == KM_RESULT && k->eval == EVAL_ASKING && ch >= '1' &&
            ch < '1' + EVALUATION_SCORES)
            return (struct view_action){ACT_BUTTON, ch - '1'};
        return none;
    default:
        return none;
    }
}

static void refresh_idle(struct kiosk *k, int64_t now)
{
    struct session *found = NULL;
    size_t n = 0;
    k->n_idle = 0;
    int err = lists_sessions_between(k->opt.store, now, now + 12 * 60 * US_PER_MIN, &found, &n);
    if (err != STORE_OK) {
        free(found);
        store_fault_set(&k->fault, k->opt.store, err, "cannot read the programme");
        return;
    }
    civil_day today, day;
    int minute;
    zone_utc_to_local(now, &today, &minute, NULL);
    for (size_t i = 0; i < n && k->n_idle < VIEW_SESSIONS; i++) {
        const struct session *s = &found[i];
        zone_utc_to_local(s->start_us, &day, &minute, NULL);
        if (!domain_session_recordable(s) || day != today)
            continue;
        struct view_session *v = &k->idle[k->n_idle++];
        char a[8], b[8];
        format_time(s->start_us, a);
        format_time(s->end_us, b);
        v->open = tap_session_open(k->opt.rules, s, now);
        utf8_printf(v->when, sizeof(v->when), "%s–%s", a, b);
        utf8_printf(v->title, sizeof(v->title), "%s", s->title);
        utf8_copy(v->room, sizeof(v->room), s->location[0] ? s->location : k->opt.site);
    }
    free(found);
    if (k->n_idle > 0)
        return;
    struct session next;
    if (store_next_session(k->opt.store, now, &next) == STORE_OK) {
        struct view_session *v = &k->idle[k->n_idle++];
        char when[32];
        zone_format_day_time(next.start_us, when);
        v->open = false;
        utf8_printf(v->when, sizeof(v->when), "%s", when);
        utf8_printf(v->title, sizeof(v->title), "%s", next.title);
        utf8_copy(v->room, sizeof(v->room), next.location[0] ? next.location : k->opt.site);
    }
}

void kiosk_tick(struct kiosk *k, int64_t now, int64_t mono)
{
    if (k->mode == KM_TRAINER) {
        trainer_tick(k->trainer, now);
        if (!trainer_is_open(k->trainer))
            kiosk_enter(k, KM_IDLE, 0);
    } else if (k->until_us && now >= k->until_us) {
        if (k->mode == KM_CHOOSE)
            left_unchosen(k, now);
        finished(k, now, true);
    }
    int64_t minute = now / US_PER_MIN;
    if (minute != k->idle_minute) {
        k->idle_minute = minute;
        int closed = 0;
        tapflow_clock(&k->flow, now, mono, &k->clock);
        int err = tapflow_sweep(&k->flow, now, mono, &closed);
        if (err != STORE_OK)
            store_fault_set(&k->fault, k->opt.store, err, "cannot close forgotten sign-outs");
        refresh_idle(k, now);
    }
}

int64_t kiosk_deadline(const struct kiosk *k, int64_t now)
{
    int64_t next = (now / US_PER_MIN + 1) * US_PER_MIN;
    if (k->until_us && k->until_us < next)
        next = k->until_us;
    if (k->mode == KM_TRAINER)
        next = trainer_deadline(k->trainer, next);
    /* Count down the seconds on a result or choose screen; a lost notice goes by itself. */
    if ((k->mode == KM_RESULT || k->mode == KM_CHOOSE) && now + US_PER_S < next)
        next = (now / US_PER_S + 1) * US_PER_S;
    if (k->lost[0] && k->lost_until_us > now && k->lost_until_us < next)
        next = k->lost_until_us;
    return next;
}

/* ---- the view ---------------------------------------------------------------------------- */

static enum view_tone view_tone_of(enum tap_tone t)
{
    static const enum view_tone map[] = {TONE_V_OK, TONE_V_INFO, TONE_V_WARNING, TONE_V_ERROR};
    return t <= TONE_ERROR ? map[t] : TONE_V_NEUTRAL;
}

/* Five large buttons under the sign-out; once touched, thanks in their place. */
static void evaluation_view(const struct kiosk *k, struct view *v)
{
    static const char *const words[EVALUATION_SCORES] = {"Not useful", "", "", "", "Very useful"};
    if (k->eval == EVAL_ASKING) {
        utf8_printf(v->title, sizeof(v->title), "How useful was tonight?");
        for (int i = 0; i < EVALUATION_SCORES; i++) {
            struct view_button *b = &v->buttons[v->n_buttons++];
            utf8_printf(b->label, sizeof(b->label), "%d", i + 1);
            utf8_printf(b->detail, sizeof(b->detail), "%s", words[i]);
            b->enabled = true;
            b->tone = TONE_V_INFO;
        }
    } else if (k->eval != EVAL_NONE && v->n_lines < VIEW_LINES) {
        utf8_printf(v->lines[v->n_lines++], VIEW_TEXT, "%s",
                    k->eval == EVAL_THANKS ? "Thank you for your answer"
                                           : "Your answer was not saved — your sign-out was");
    }
}

static void result_view(const struct kiosk *k, int64_t now, struct view *v)
{
    v->screen = SCREEN_RESULT;
    v->roll_call_button = k->warden;
    if (k->tap_failed) {
        v->tone = TONE_V_ERROR;
        utf8_printf(v->headline, sizeof(v->headline), "Not recorded — please tap again");
        utf8_printf(v->lines[0], VIEW_TEXT, "The kiosk could not save your tap: %.120s.",
                    k->fail_text);
        utf8_printf(v->lines[1], VIEW_TEXT, "If it happens again, ask a trainer to sign you in.");
        v->n_lines = 2;
    } else {
        struct tap_text t;
        tap_text_build(k->tap, &t);
        v->tone = view_tone_of(t.tone);
        utf8_printf(v->headline, sizeof(v->headline), "%s", t.headline);
        for (int i = 0; i < t.n_lines && v->n_lines < VIEW_LINES; i++) {
            if (i != t.credits_line)
                utf8_printf(v->lines[v->n_lines++], VIEW_TEXT, "%s", t.lines[i]);
        }
        if (t.credits_line >= 0) {
            v->show_credits = true;
            v->credits_q = k->tap->summary.total_q;
            v->target_q = k->tap->summary.target_q;
            for (int i = 0; i < 3; i++)
                v->term_q[i] = k->tap->summary.term_q[i];
        }
        evaluation_view(k, v);
    }
    int64_t left = k->until_us - now;
    v->seconds_left = left > 0 ? (int)((left + US_PER_S - 1) / US_PER_S) : 0;
}

static void status_chips(const struct kiosk *k, int64_t now, struct view *v)
{
    /* Staff read the screen in a hurry: plain words there, the device's own reason in the log
     * (and the reader-test command). */
    v->reader.tone = k->status.reader_up ? TONE_V_OK : TONE_V_ERROR;
    utf8_printf(v->reader.text, sizeof(v->reader.text), "%s",
                k->status.reader_up ? k->status.reader_text : "Reader not working");
    v->sync.tone = k->status.sync_tone;
    utf8_printf(v->sync.text, sizeof(v->sync.text), "%s", k->status.sync_text);
    v->time_status.tone = k->status.clock_ok ? TONE_V_OK : TONE_V_WARNING;
    utf8_printf(v->time_status.text, sizeof(v->time_status.text), "%s", k->status.clock_text);
    if (k->clock != CLOCK_OK) {
        v->time_status.tone = TONE_V_ERROR;
        utf8_printf(v->time_status.text, sizeof(v->time_status.text), "Clock wrong");
    }
    /* The most serious problem gets the banner. */
    if (k->fault.failed) {
        v->has_banner = true;
        v->banner_tone = TONE_V_ERROR;
        /* The details are in the log and on trainer mode's status page. */
        utf8_printf(v->banner, sizeof(v->banner),
                    "The kiosk cannot save taps — please sign the paper register and tell a "
                    "trainer");
    } else if (k->clock != CLOCK_OK) {
        v->has_banner = true;
        v->banner_tone = TONE_V_ERROR;
        utf8_printf(v->banner, sizeof(v->banner),
                    "The kiosk's clock is wrong: taps are not counted — please sign the paper "
                    "register");
    } else if (!k->status.reader_up) {
        v->has_banner = true;
        v->banner_tone = TONE_V_ERROR;
        utf8_printf(v->banner, sizeof(v->banner),
                    "Please sign the paper register and tell a trainer");
    } else if (k->mode == KM_CHOOSE && k->has_queued) {
        v->has_banner = true;
        v->banner_tone = TONE_V_INFO;
        utf8_printf(v->banner, sizeof(v->banner),
                    "Another badge is waiting: it is done as soon as this choice is made");
    } else if (k->lost[0] && now < k->lost_until_us && k->mode == KM_IDLE) {
        /* On the idle screen only: not over the next person's own result. */
        v->has_banner = true;
        v->banner_tone = TONE_V_WARNING;
        utf8_printf(v->banner, sizeof(v->banner), "%s", k->lost);
    } else if (k->notice[0]) {
        v->has_banner = true;
        v->banner_tone = k->notice_tone;
        utf8_printf(v->banner, sizeof(v->banner), "%s", k->notice);
    } else if (!k->status.clock_ok) {
        v->has_banner = true;
        v->banner_tone = TONE_V_WARNING;
        utf8_printf(v->banner, sizeof(v->banner), "%s: times may be wrong", k->status.clock_text);
    }
}

void kiosk_view(struct kiosk *k, int64_t now, int width, int height, struct view *v)
{
    memset(v, 0, sizeof(*v));
    v->width = width;
    v->height = height;
    civil_day day;
    int minute;
    zone_utc_to_local(now, &day, &minute, NULL);
    format_time(now, v->clock);
    int y, m, d;
    civil_to_ymd(day, &y, &m, &d);
    utf8_printf(v->date, sizeof(v->date), "%s %d %s %d", civil_weekday_name(civil_weekday(day)), d,
                civil_month_abbr(m), y);
    utf8_copy(v->site, sizeof(v->site), k->opt.site);
    status_chips(k, now, v);
    switch (k->mode) {
    case KM_IDLE:
        v->screen = SCREEN_IDLE;
        utf8_printf(v->prompt, sizeof(v->prompt), "%s",
                    k->status.reader_up ? "Tap your badge" : "Badge reader not working");
        memcpy(v->sessions, k->idle, sizeof(v->sessions));
        v->n_sessions = k->n_idle;
        break;
    case KM_RESULT:
        result_view(k, now, v);
        break;
    case KM_CHOOSE: {
        panel_view(&k->choose, v);
        int64_t left = k->until_us - now;
        v->seconds_left = left > 0 ? (int)((left + US_PER_S - 1) / US_PER_S) : 0;
        break;
    }
    case KM_PIN:
        v->screen = SCREEN_PIN;
        utf8_printf(v->title, sizeof(v->title), "Trainer mode: %s", k->pin_person.name);
        utf8_printf(v->subtitle, sizeof(v->subtitle), "Enter your PIN");
        v->pin_digits = k->pin_len;
        v->pin_locked = now < k->pin_locked_until_us;
        utf8_printf(v->pin_message, sizeof(v->pin_message), "%s", k->pin_message);
        break;
    case KM_TRAINER:
        trainer_view(k->trainer, v);
        break;
    }
}
