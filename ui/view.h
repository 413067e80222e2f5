/* view.h — the view model: everything a kiosk screen shows, as plain data.
 *
 * app.c fills it from the kiosk's state (no drawing); screens.c turns it into a draw list (no
 * SDL); render_sdl.c paints that. One struct for every screen: fields a screen does not use are
 * ignored. Tones carry meaning by colour AND icon AND word, never by colour alone. */
#ifndef CPD_VIEW_H
#define CPD_VIEW_H

#include <stdbool.h>

#define VIEW_LINES    6
#define VIEW_SESSIONS 5
#define VIEW_BUTTONS  10
#define VIEW_ROWS     48
#define VIEW_COLUMNS  7
#define VIEW_LEGEND   8
#define VIEW_TEXT     192
#define VIEW_CELL     160 /* a table cell: a session title with its date fits */

enum view_screen {
    SCREEN_IDLE,
    SCREEN_RESULT,   /* a tap's outcome: signed in/out, already, leaving early?, errors */
    SCREEN_CHOOSE,   /* several sessions open: which one? (buttons) */
    SCREEN_PIN,      /* trainer PIN pad */
    SCREEN_MENU,     /* trainer menu (buttons) */
    SCREEN_TABLE,    /* register, CPI grid, evacuation list, pick a person (rows) */
    SCREEN_MESSAGE,  /* a trainer-mode prompt: "Tap the new badge", confirmations */
    SCREEN_FATAL,    /* the kiosk cannot work: what is wrong and what to do */
    SCREEN_KEYBOARD, /* a trainer types a note or part of a name on an on-screen keyboard */
    SCREEN_COUNT
};

enum view_tone { TONE_V_OK, TONE_V_INFO, TONE_V_WARNING, TONE_V_ERROR, TONE_V_NEUTRAL };

struct view_status {
    enum view_tone tone;
    char text[64]; /* "Reader ready", "Sync: 3 waiting", "Clock not synced" */
};

struct view_session {
    bool open; /* open for sign-in now */
    char when[32];
    char title[VIEW_TEXT];
    char room[64];
};

struct view_button {
    char label[96];
    char detail[VIEW_TEXT]; /* second line, or why it is unavailable */
    bool enabled;
    enum view_tone tone;
};

struct view_row {
    char cells[VIEW_COLUMNS][VIEW_CELL];
    enum view_tone tone;
    bool selectable;
};

struct view {
    enum view_screen screen;
    int width, height;

    /* Every screen: top bar and status chips, and an error banner when something is wrong. */
    char clock[8];
    char date[48];
    char site[64];
    struct view_status reader, sync, time_status;
    bool has_banner;
    enum view_tone banner_tone;
    char banner[VIEW_TEXT];

    /* Idle. */
    char prompt[96];
    struct view_session sessions[VIEW_SESSIONS];
    int n_sessions;

    /* Result, message and fatal screens. */
    enum view_tone tone;
    char headline[VIEW_TEXT];
    char lines[VIEW_LINES][VIEW_TEXT];
    int n_lines;
    bool show_credits;     /* the progress bar: credits this year against the target */
    bool roll_call_button; /* a fire warden tapped: a large "Roll call" button */
    int credits_q, target_q;
    int term_q[3];
    int seconds_left; /* back to idle in … (0: no countdown shown) */

    /* Choose, menu and table screens. */
    char title[VIEW_TEXT];
    char subtitle[VIEW_TEXT];
    struct view_button buttons[VIEW_BUTTONS];
    int n_buttons;
    char columns[VIEW_COLUMNS][48];
    int n_columns;
    struct view_row rows[VIEW_ROWS];
    int n_rows;
    int first_row;        /* scrolled to */
    int total_rows;       /* rows in the whole list (n_rows may be a page of it) */
    char extra_label[48]; /* a list's one extra button: "Find a name", "Print"; "" for none */

    /* On-screen keyboard. */
    char entry[VIEW_TEXT];      /* typed so far */
    char entry_hint[VIEW_TEXT]; /* under the field: "3 names match", "Up to 80 characters" */

    /* PIN pad. */
    int pin_digits;
    bool pin_locked; /* locked out: the keys are shown greyed and take nothing */
    char pin_message[VIEW_TEXT];

    /* Demo: the key legend. */
    char legend[VIEW_LEGEND][96];
    int n_legend;
};

/* What a touch, click or key on a screen means; screens.c maps areas to these. */
enum view_action_kind {
    ACT_NONE,
    ACT_BUTTON, /* index: which button */
    ACT_ROW,    /* index: which row (absolute) */
    ACT_DIGIT,  /* index: 0–9 */
    ACT_ERASE,
    ACT_OK,
    ACT_BACK,
    ACT_PAGE_UP,
    ACT_PAGE_DOWN,
    ACT_CHAR,      /* index: the character typed on the on-screen keyboard (printable ASCII) */
    ACT_EXTRA,     /* a list's extra button (Find a name, Print) */
    ACT_ROLL_CALL, /* a fire warden's result screen: open the roll call */
};

struct view_action {
    enum view_action_kind kind;
    int index;
};

#endif
