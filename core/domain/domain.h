/* domain.h — the plain records the domain works on: people, sessions, attendance.
 *
 * Plain data with fixed-size text so that records can be copied and kept on the stack; the
 * store fills them, the pure functions (tap.c, credits.c, projection.c) read them. Ids are the
 * store's row ids; codes (staff_no, session code) are the stable names used in events. */
#ifndef CPD_DOMAIN_H
#define CPD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/civil.h"

#define DOMAIN_CODE_MAX  64
#define DOMAIN_TITLE_MAX 192
#define DOMAIN_NAME_MAX  96
#define DOMAIN_NOTE_MAX  512

enum course_kind {
    KIND_SINGLE,
    KIND_CPI_INITIAL,
    KIND_MAPA_BLOCK,
    KIND_HUB,
    KIND_DEPARTMENT,
    KIND_PRERECORDED,
    KIND_MANDATORY,
    KIND_COUNT
};

enum delivery { DELIVERY_FACE_TO_FACE, DELIVERY_LIVE_TEAMS, DELIVERY_PRERECORDED, DELIVERY_COUNT };

enum frequency { FREQ_NONE, FREQ_ANNUAL, FREQ_2_YEARLY, FREQ_3_YEARLY, FREQ_INITIAL_ANNUAL };

struct person {
    int64_t id;
    char staff_no[DOMAIN_CODE_MAX];
    char name[DOMAIN_NAME_MAX];
    char academy[DOMAIN_NAME_MAX];
    bool trainer;
    bool active;
};

/* A dated programme entry: what the kiosk can sign people into. */
struct session {
    int64_t id;
    char code[DOMAIN_CODE_MAX]; /* the programme id, e.g. "cpi-autumn-1" */
    char title[DOMAIN_TITLE_MAX];
    char location[DOMAIN_NAME_MAX];
    char group[DOMAIN_CODE_MAX]; /* CPI cohort / MAPA block, "" otherwise */
    enum course_kind kind;
    enum delivery delivery;
    int credits_q; /* quarter credits; -1 when the brochure printed none */
    civil_day date;
    int start_min, end_min;   /* local time of day */
    int64_t start_us, end_us; /* UTC µs */
};

enum attendance_flag {
    ATT_LATE = 1u << 0,       /* signed in after start + late window */
    ATT_EARLY = 1u << 1,      /* signed out before end − early window (confirmed) */
    ATT_NO_SIGNOUT = 1u << 2, /* auto-closed: never signed out */
    ATT_MANUAL_IN = 1u << 3,  /* signed in by a trainer */
    ATT_MANUAL_OUT = 1u << 4, /* signed out by a trainer */
    ATT_APPROVED = 1u << 5,   /* a trainer approved full credit despite the flags */
    ATT_VOID = 1u << 6,       /* recorded by mistake: a correction voided it, it counts nothing */
};

/* One person's presence at one session: a projection of events (projection.c). */
struct attendance {
    int64_t person_id;
    int64_t session_id;
    int64_t in_us;  /* 0 = never signed in */
    int64_t out_us; /* 0 = still signed in */
    unsigned flags;
    int override_q; /* credits set by a trainer's correction; -1 = none */
};

/* Credits earned away from the kiosk (Live Teams, pre-recorded, directed mandatory). */
enum external_source { SOURCE_LIVE_TEAMS, SOURCE_PRERECORDED, SOURCE_MANDATORY, SOURCE_COUNT };

struct external_credit {
    int64_t course_id;
    char course_code[DOMAIN_CODE_MAX];
    char title[DOMAIN_TITLE_MAX];
    char group[DOMAIN_CODE_MAX];
    enum external_source source;
    civil_day date;
    int credits_q;
    bool has_certificate;
    bool directed;
    bool has_reason; /* the record's note says why (needed where the programme is silent) */
    bool voided;     /* a correction voided it: it counts nothing */
    /* What the programme says of the course: the engine judges the record against it. */
    enum course_kind kind;
    enum delivery delivery;
    int printed_q;          /* the course's printed credits, -1 when none */
    bool repeatable;        /* "Any 1 hour of TES training": each hour its own credit */
    bool has_session;       /* the course is a dated session … */
    civil_day session_date; /* … on this day */
};

/* A mandatory course of the programme and when the person last completed it. */
struct mandatory_course {
    int64_t course_id;
    char title[DOMAIN_TITLE_MAX];
    enum frequency frequency;
    char
        group[DOMAIN_CODE_MAX]; /* courses that renew one another (Prevent: awareness, refresher) */
};

const char *domain_kind_code(enum course_kind kind); /* "cpi_initial" */
int domain_kind_parse(const char *code);             /* -1 when unknown */
const char *domain_delivery_code(enum delivery delivery);
const char *domain_delivery_name(enum delivery delivery); /* "Face to face" */
int domain_delivery_parse(const char *code);
const char *domain_frequency_code(enum frequency frequency);
int domain_frequency_parse(const char *code); /* "" → FREQ_NONE */
int domain_frequency_months(enum frequency frequency);
const char *domain_source_code(enum external_source source);
int domain_source_parse(const char *code);

/* Sessions the kiosk records in person: face to face, not pre-recorded or mandatory lists. */
bool domain_session_recordable(const struct session *session);
/* Hubs and department meetings: directed attendance, recorded with 0 credits. */
bool domain_kind_zero_credit(enum course_kind kind);
/* The programme's category whose pre-recorded items repeat ("Any 1 hour of TES training"). */
bool domain_category_repeatable(const char *category);

#endif
