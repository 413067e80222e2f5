/* kiosk_internal.h — the kiosk's state, shared by kiosk.c (taps, idle, PIN) and trainer.c
 * (trainer mode). Not for other modules. */
#ifndef CPD_KIOSK_INTERNAL_H
#define CPD_KIOSK_INTERNAL_H

#include "ui/kiosk.h"
#include "core/services/tapflow.h"

#define KIOSK_LIST_MAX 512

enum kiosk_mode {
    KM_IDLE,
    KM_RESULT,  /* a tap's outcome */
    KM_CHOOSE,  /* which of the open sessions */
    KM_PIN,     /* trainer PIN pad */
    KM_MENU,    /* trainer menu */
    KM_LIST,    /* a table: register, CPI grid, evacuation, pick a person */
    KM_BUTTONS, /* pick a session or a reason */
    KM_MESSAGE, /* a trainer-mode message: "Tap the new badge", "Done" */
};

/* What a trainer is in the middle of. */
enum kiosk_flow {
    FLOW_NONE,
    FLOW_REGISTER,
    FLOW_CPI,
    FLOW_EVACUATION,
    FLOW_SIGN_IN,  /* session → person → reason */
    FLOW_SIGN_OUT, /* session → person → reason */
    FLOW_ENROL,    /* badge → person */
};

enum kiosk_step { STEP_NONE, STEP_SESSION, STEP_PERSON, STEP_REASON, STEP_BADGE, STEP_CONFIRM };

struct kiosk_item {
    int64_t id; /* person or session id */
    char cells[VIEW_COLUMNS][96];
    enum view_tone tone;
    bool selectable;
};

struct kiosk {
    struct kiosk_options opt;
    struct tapflow flow;
    enum kiosk_mode mode;
    int64_t until_us; /* the mode ends (back to idle or menu) at this time; 0 = never */

    struct tap_result *tap; /* the last tap's result */
    bool tap_failed;
    char fail_text[160];
    struct uid tap_uid; /* the badge of the choose screen */

    /* Trainer mode. */
    struct person trainer;
    bool unlocked;
    int64_t trainer_seen_us;
    char pin[8];
    int pin_len;
    char pin_message[160];

    enum kiosk_flow flow_kind;
    enum kiosk_step step;
    struct session session; /* the flow's session */
    struct person person;   /* the flow's person */
    struct uid enrol_uid;

    /* The list or buttons on screen. */
    char title[VIEW_TEXT];
    char subtitle[VIEW_TEXT];
    char columns[VIEW_COLUMNS][48];
    int n_columns;
    struct kiosk_item *items;
    int n_items;
    int n_cut; /* rows that did not fit KIOSK_LIST_MAX: the list says so */
    int first;
    int per_page; /* rows per page at the current window size */
    struct view_button buttons[VIEW_BUTTONS];
    int64_t button_ids[VIEW_BUTTONS];
    int n_buttons;
    enum view_tone msg_tone;
    char msg_head[VIEW_TEXT];
    char msg_lines[VIEW_LINES][VIEW_TEXT];
    int n_msg;

    /* Idle: the sessions around now, refreshed each minute. */
    struct view_session idle[VIEW_SESSIONS];
    int n_idle;
    int64_t idle_minute;

    struct kiosk_status status;
    enum view_tone notice_tone;
    char notice[VIEW_TEXT];
    bool store_failed;
    char store_text[160];
    enum kiosk_sound sound;
    bool sync_requested;
};

/* kiosk.c */
void kiosk_store_failed(struct kiosk *k, int err, const char *what);
void kiosk_store_ok(struct kiosk *k);
void kiosk_enter(struct kiosk *k, enum kiosk_mode mode, int64_t until_us);
void kiosk_message(struct kiosk *k, enum view_tone tone, const char *head, int64_t now_us);
void kiosk_message_line(struct kiosk *k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void kiosk_format_time(int64_t utc_us, char out[8]);

/* trainer.c */
void trainer_open_menu(struct kiosk *k, int64_t now_us);
void trainer_action(struct kiosk *k, struct view_action a, int64_t now_us, int64_t mono_us);
/* A badge tapped while a trainer flow waits for one (enrol); false if it did not want it. */
bool trainer_badge(struct kiosk *k, const struct uid *uid, int64_t now_us, int64_t mono_us);
void trainer_lock(struct kiosk *k);
void trainer_view(const struct kiosk *k, struct view *v);

#endif
