#include "ui/sdl/render_sdl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/gesture.h"

#define CACHE_SLOTS 384
#define FONT_SIZES  48
#define SAMPLE_RATE 22050

struct text_entry {
    char text[DRAW_TEXT_MAX];
    int px;
    bool bold;
    struct rgba color;
    SDL_Texture *texture;
    int w, h;
    uint64_t used; /* last frame it was drawn: the least recent goes first */
};

struct font_entry {
    int px;
    bool bold;
    TTF_Font *font;
};

struct gfx {
    SDL_Window *window;
    SDL_Renderer *renderer;
    char font_path[2][1024];
    struct font_entry fonts[FONT_SIZES];
    int n_fonts;
    struct text_entry cache[CACHE_SLOTS];
    uint64_t frame;
    Uint32 wake_event;
    SDL_AudioDeviceID audio;
    bool sound;
    struct gesture gesture;
};

static void open_audio(struct gfx *g)
{
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        SDL_Log("sound off: %s", SDL_GetError());
        return;
    }
    SDL_AudioSpec want = {
        .freq = SAMPLE_RATE, .format = AUDIO_S16SYS, .channels = 1, .samples = 512};
    g->audio = SDL_OpenAudioDevice(NULL, 0, &want, NULL, 0);
    if (!g->audio)
        SDL_Log("sound off: no audio device: %s", SDL_GetError());
    else
        SDL_PauseAudioDevice(g->audio, 0);
}

int gfx_open(const struct gfx_options *o, struct gfx **out, char *why, size_t cap)
{
    *out = NULL;
    struct gfx *g = calloc(1, sizeof(*g));
    if (!g)
        return GFX_ENOMEM;
    int err = GFX_ENODISPLAY;
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        snprintf(why, cap, "%s", SDL_GetError());
        goto fail;
    }
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE;
    SDL_Rect at = {SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->width, o->height};
    if (o->fullscreen) {
        /* A kiosk often has no window manager to honour a full-screen request, so the window is
         * also made borderless at the display's own position and size. */
        flags = SDL_WINDOW_SHOWN | SDL_WINDOW_BORDERLESS | SDL_WINDOW_FULLSCREEN_DESKTOP;
        SDL_Rect display;
        if (SDL_GetDisplayBounds(0, &display) == 0 && display.w > 0 && display.h > 0)
            at = display;
    }
    g->window = SDL_CreateWindow(o->title ? o->title : "CPD Kiosk", at.x, at.y, at.w, at.h, flags);
    if (!g->window) {
        snprintf(why, cap, "cannot open a window: %s", SDL_GetError());
        goto fail;
    }
    err = GFX_ERENDER;
    /* Software rendering by default: frames are drawn only when something changes, a 1080p
     * frame takes a few milliseconds, and no GL stack (~90 MB with llvmpipe) is loaded. The
     * SDL_RENDER_DRIVER environment variable still picks another renderer. */
    SDL_SetHintWithPriority(SDL_HINT_RENDER_DRIVER, "software", SDL_HINT_DEFAULT);
    SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_DEFAULT);
    g->renderer = SDL_CreateRenderer(g->window, -1, 0);
    if (!g->renderer)
        g->renderer = SDL_CreateRenderer(g->window, -1, SDL_RENDERER_SOFTWARE);
    if (!g->renderer) {
        snprintf(why, cap, "no renderer: %s", SDL_GetError());
        goto fail;
    }
    SDL_SetRenderDrawBlendMode(g->renderer, SDL_BLENDMODE_BLEND);
    err = GFX_EFONT;
    if (TTF_Init() != 0) {
        snprintf(why, cap, "font engine: %s", TTF_GetError());
        goto fail;
    }
    snprintf(g->font_path[0], sizeof(g->font_path[0]), "%s", o->font_regular);
    snprintf(g->font_path[1], sizeof(g->font_path[1]), "%s",
             o->font_bold && o->font_bold[0] ? o->font_bold : o->font_regular);
    for (int b = 0; b < 2; b++) {
        TTF_Font *probe = TTF_OpenFont(g->font_path[b], 12);
        if (!probe) {
            snprintf(why, cap, "cannot load font %s: %s", g->font_path[b], TTF_GetError());
            goto fail;
        }
        TTF_CloseFont(probe);
    }
    g->wake_event = SDL_RegisterEvents(1);
    g->sound = o->sound;
    if (o->sound)
        open_audio(g);
    SDL_StartTextInput();
    *out = g;
    return GFX_OK;
fail:
    gfx_close(g);
    return err;
}

void gfx_close(struct gfx *g)
{
    if (!g)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (g->cache[i].texture)
            SDL_DestroyTexture(g->cache[i].texture);
    }
    for (int i = 0; i < g->n_fonts; i++)
        TTF_CloseFont(g->fonts[i].font);
    if (TTF_WasInit())
        TTF_Quit();
    if (g->audio)
        SDL_CloseAudioDevice(g->audio);
    if (g->renderer)
        SDL_DestroyRenderer(g->renderer);
    if (g->window)
        SDL_DestroyWindow(g->window);
    SDL_Quit();
    free(g);
}

void gfx_size(struct gfx *g, int *w, int *h)
{
    if (SDL_GetRendererOutputSize(g->renderer, w, h) != 0)
        SDL_GetWindowSize(g->window, w, h);
}

static TTF_Font *font_at(struct gfx *g, int px, bool bold)
{
    for (int i = 0; i < g->n_fonts; i++) {
        if (g->fonts[i].px == px && g->fonts[i].bold == bold)
            return g->fonts[i].font;
    }
    TTF_Font *f = TTF_OpenFont(g->font_path[bold ? 1 : 0], px);
    if (!f)
        return NULL;
    if (g->n_fonts == FONT_SIZES) { /* evict the oldest size */
        TTF_CloseFont(g->fonts[0].font);
        memmove(&g->fonts[0], &g->fonts[1], (FONT_SIZES - 1) * sizeof(g->fonts[0]));
        g->n_fonts--;
    }
    g->fonts[g->n_fonts++] = (struct font_entry){px, bold, f};
    return f;
}

static bool same_color(struct rgba a, struct rgba b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

/* A cached texture for this text, or a new one in the least recently used slot. */
static struct text_entry *text_texture(struct gfx *g, const char *s, int px, bool bold,
                                       struct rgba color)
{
    struct text_entry *victim = &g->cache[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        struct text_entry *e = &g->cache[i];
        if (e->texture && e->px == px && e->bold == bold && same_color(e->color, color) &&
            strcmp(e->text, s) == 0) {
            e->used = g->frame;
            return e;
        }
        if (!e->texture || e->used < victim->used)
            victim = e;
    }
    TTF_Font *f = font_at(g, px, bold);
    if (!f)
        return NULL;
    SDL_Color c = {color.r, color.g, color.b, color.a};
    SDL_Surface *surface = TTF_RenderUTF8_Blended(f, s, c);
    if (!surface)
        return NULL;
    SDL_Texture *t = SDL_CreateTextureFromSurface(g->renderer, surface);
    int w = surface->w, h = surface->h;
    SDL_FreeSurface(surface);
    if (!t)
        return NULL;
    if (victim->texture)
        SDL_DestroyTexture(victim->texture);
    snprintf(victim->text, sizeof(victim->text), "%s", s);
    victim->px = px;
    victim->bold = bold;
    victim->color = color;
    victim->texture = t;
    victim->w = w;
    victim->h = h;
    victim->used = g->frame;
    return victim;
}

int gfx_cached_textures(const struct gfx *g)
{
    int n = 0;
    for (int i = 0; i < CACHE_SLOTS; i++)
        n += g->cache[i].texture != NULL;
    return n;
}

/* Shrinks the font down to 60 % to fit the box, then cuts whole UTF-8 characters and adds "…". */
static void fit_text(struct gfx *g, const char *s, int box_w, int *px, bool bold, char *out,
                     size_t cap)
{
    snprintf(out, cap, "%s", s);
    int w = 0, h = 0;
    int floor_px = *px * 6 / 10;
    for (; *px > floor_px; *px -= (*px > 30 ? 2 : 1)) {
        TTF_Font *f = font_at(g, *px, bold);
        if (!f || TTF_SizeUTF8(f, out, &w, &h) != 0 || w <= box_w)
            return;
    }
    TTF_Font *f = font_at(g, *px, bold);
    size_t n = strlen(out);
    while (f && n > 0) {
        do
            n--;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80);
        snprintf(out + n, cap - n, "\u2026");
        if (TTF_SizeUTF8(f, out, &w, &h) != 0 || w <= box_w)
            return;
    }
}

static void draw_text(struct gfx *g, const struct draw_cmd *c)
{
    char fitted[DRAW_TEXT_MAX + 4];
    int px = c->px;
    fit_text(g, c->text, c->box.w, &px, c->bold, fitted, sizeof(fitted));
    struct text_entry *e = text_texture(g, fitted, px, c->bold, c->color);
    if (!e)
        return;
    SDL_Rect dst = {c->box.x, c->box.y + (c->box.h - e->h) / 2, e->w, e->h};
    if (c->align == ALIGN_CENTER)
        dst.x = c->box.x + (c->box.w - e->w) / 2;
    else if (c->align == ALIGN_RIGHT)
        dst.x = c->box.x + c->box.w - e->w;
    SDL_RenderCopy(g->renderer, e->texture, NULL, &dst);
}

/* A filled circle or rounded corner as a triangle fan. */
static void fan(struct gfx *g, float cx, float cy, float r, float from, float to, struct rgba color)
{
    enum { STEPS = 24 };
    SDL_Vertex v[STEPS + 2];
    SDL_Color col = {color.r, color.g, color.b, color.a};
    v[0] = (SDL_Vertex){{cx, cy}, col, {0, 0}};
    for (int i = 0; i <= STEPS; i++) {
        float a = from + (to - from) * (float)i / STEPS;
        v[i + 1] = (SDL_Vertex){{cx + r * cosf(a), cy + r * sinf(a)}, col, {0, 0}};
    }
    int idx[STEPS * 3];
    for (int i = 0; i < STEPS; i++) {
        idx[3 * i] = 0;
        idx[3 * i + 1] = i + 1;
        idx[3 * i + 2] = i + 2;
    }
    SDL_RenderGeometry(g->renderer, NULL, v, STEPS + 2, idx, STEPS * 3);
}

static void draw_fill(struct gfx *g, const struct draw_cmd *c)
{
    const struct rect *b = &c->box;
    int r = c->px;
    if (r * 2 > b->h)
        r = b->h / 2;
    if (r * 2 > b->w)
        r = b->w / 2;
    SDL_SetRenderDrawColor(g->renderer, c->color.r, c->color.g, c->color.b, c->color.a);
    if (r <= 1) {
        SDL_Rect rect = {b->x, b->y, b->w, b->h};
        SDL_RenderFillRect(g->renderer, &rect);
        return;
    }
    SDL_Rect middle = {b->x + r, b->y, b->w - 2 * r, b->h};
    SDL_Rect left = {b->x, b->y + r, r, b->h - 2 * r};
    SDL_Rect right = {b->x + b->w - r, b->y + r, r, b->h - 2 * r};
    SDL_RenderFillRect(g->renderer, &middle);
    SDL_RenderFillRect(g->renderer, &left);
    SDL_RenderFillRect(g->renderer, &right);
    const float pi = 3.14159265f;
    float x0 = (float)(b->x + r), x1 = (float)(b->x + b->w - r);
    float y0 = (float)(b->y + r), y1 = (float)(b->y + b->h - r);
    fan(g, x0, y0, (float)r, pi, 1.5f * pi, c->color);
    fan(g, x1, y0, (float)r, 1.5f * pi, 2.0f * pi, c->color);
    fan(g, x1, y1, (float)r, 0, 0.5f * pi, c->color);
    fan(g, x0, y1, (float)r, 0.5f * pi, pi, c->color);
}

static void draw_frame(struct gfx *g, const struct draw_cmd *c)
{
    SDL_SetRenderDrawColor(g->renderer, c->color.r, c->color.g, c->color.b, c->color.a);
    int t = c->px < 1 ? 1 : c->px;
    const struct rect *b = &c->box;
    SDL_Rect sides[4] = {{b->x, b->y, b->w, t},
                         {b->x, b->y + b->h - t, b->w, t},
                         {b->x, b->y, t, b->h},
                         {b->x + b->w - t, b->y, t, b->h}};
    SDL_RenderFillRects(g->renderer, sides, 4);
}

int gfx_present(struct gfx *g, const struct draw_list *list)
{
    g->frame++;
    const struct rgba bg = list->background;
    SDL_SetRenderDrawColor(g->renderer, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(g->renderer);
    for (int i = 0; i < list->n; i++) {
        const struct draw_cmd *c = &list->cmds[i];
        switch (c->kind) {
        case DRAW_FILL:
            draw_fill(g, c);
            break;
        case DRAW_FRAME:
            draw_frame(g, c);
            break;
        case DRAW_TEXT:
            draw_text(g, c);
            break;
        case DRAW_CIRCLE:
            fan(g, c->box.x + c->box.w / 2.0f, c->box.y + c->box.h / 2.0f,
                (c->box.w < c->box.h ? c->box.w : c->box.h) / 2.0f, 0, 2 * 3.14159265f, c->color);
            break;
        }
    }
    SDL_RenderPresent(g->renderer);
    return GFX_OK;
}

static enum gfx_key map_key(SDL_Keycode k, char *ch)
{
    *ch = 0;
    switch (k) {
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        return KEY_ENTER;
    case SDLK_ESCAPE:
        return KEY_ESCAPE;
    case SDLK_BACKSPACE:
        return KEY_BACKSPACE;
    case SDLK_UP:
        return KEY_UP;
    case SDLK_DOWN:
        return KEY_DOWN;
    case SDLK_PAGEUP:
        return KEY_PAGE_UP;
    case SDLK_PAGEDOWN:
        return KEY_PAGE_DOWN;
    case SDLK_TAB:
        return KEY_TAB;
    default:
        break;
    }
    if (k >= SDLK_F1 && k <= SDLK_F12)
        return (enum gfx_key)(KEY_F1 + (k - SDLK_F1));
    if (k >= SDLK_KP_1 && k <= SDLK_KP_9) {
        *ch = (char)('1' + (k - SDLK_KP_1));
        return KEY_CHAR;
    }
    if (k == SDLK_KP_0) {
        *ch = '0';
        return KEY_CHAR;
    }
    if (k >= 32 && k < 127) {
        *ch = (char)k;
        return KEY_CHAR;
    }
    return KEY_NONE;
}

/* A press waits for its release: a tap acts where it went down, a swipe pages the list. */
static int pointer(struct gfx *g, long long finger, bool down, int x, int y, struct gfx_input *in)
{
    if (down) {
        gesture_press(&g->gesture, finger, x, y);
        return 0;
    }
    int w = 0, h = 0;
    gfx_size(g, &w, &h);
    switch (gesture_release(&g->gesture, finger, x, y, h, &in->x, &in->y)) {
    case GESTURE_TAP:
        in->kind = INPUT_POINTER;
        return 1;
    case GESTURE_SWIPE_UP: /* the list moves up with the finger: the next page */
        in->kind = INPUT_KEY;
        in->key = KEY_PAGE_DOWN;
        return 1;
    case GESTURE_SWIPE_DOWN:
        in->kind = INPUT_KEY;
        in->key = KEY_PAGE_UP;
        return 1;
    default:
        return 0;
    }
}

/* Our view of one SDL event; 0 when it is not one the app cares about. */
static int translate(struct gfx *g, const SDL_Event *e, struct gfx_input *in)
{
    memset(in, 0, sizeof(*in));
    switch (e->type) {
    case SDL_QUIT:
        in->kind = INPUT_QUIT;
        return 1;
    case SDL_KEYDOWN:
        in->kind = INPUT_KEY;
        in->key = map_key(e->key.keysym.sym, &in->ch);
        return in->key != KEY_NONE;
    case SDL_TEXTINPUT:
        in->kind = INPUT_TEXT;
        snprintf(in->text, sizeof(in->text), "%s", e->text.text);
        return 1;
    /* SDL also reports a touch as a mouse click: that copy is dropped, or one touch would act
     * twice (a roll-call tick undone at once). */
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        if (e->button.which == SDL_TOUCH_MOUSEID || e->button.button != SDL_BUTTON_LEFT)
            return 0;
        return pointer(g, -1, e->type == SDL_MOUSEBUTTONDOWN, e->button.x, e->button.y, in);
    case SDL_FINGERDOWN:
    case SDL_FINGERUP: {
        int w = 0, h = 0;
        gfx_size(g, &w, &h);
        return pointer(g, (long long)e->tfinger.fingerId, e->type == SDL_FINGERDOWN,
                       (int)(e->tfinger.x * (float)w), (int)(e->tfinger.y * (float)h), in);
    }
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            in->kind = INPUT_RESIZE;
            return 1;
        }
        if (e->window.event == SDL_WINDOWEVENT_EXPOSED) {
            in->kind = INPUT_EXPOSE;
            return 1;
        }
        return 0;
    default:
        if (e->type == g->wake_event) {
            in->kind = INPUT_WAKE;
            return 1;
        }
        return 0;
    }
}

int gfx_wait(struct gfx *g, int timeout_ms, struct gfx_input *in)
{
    SDL_Event e;
    Uint32 start = SDL_GetTicks();
    for (;;) {
        int left = timeout_ms;
        if (timeout_ms >= 0) {
            left = timeout_ms - (int)(SDL_GetTicks() - start);
            if (left < 0)
                left = 0;
        }
        if (!SDL_WaitEventTimeout(&e, left)) {
            return 0;
        }
        if (translate(g, &e, in))
            return 1;
        if (timeout_ms >= 0 && (int)(SDL_GetTicks() - start) >= timeout_ms)
            return 0;
    }
}

void gfx_cancel_press(struct gfx *g)
{
    gesture_cancel(&g->gesture);
}

void gfx_wake(struct gfx *g)
{
    SDL_Event e;
    SDL_zero(e);
    e.type = g->wake_event;
    SDL_PushEvent(&e);
}

bool gfx_has_audio(const struct gfx *g)
{
    return g->audio != 0;
}

int gfx_tone(struct gfx *g, enum gfx_tone tone)
{
    if (!g->sound || !g->audio)
        return 0;
    /* ok: rising pair; warning: two level beeps; error: one long low tone. */
    static const struct {
        float hz[2];
        int ms[2];
    } shapes[] = {{{880, 1320}, {90, 120}}, {{660, 660}, {140, 140}}, {{330, 0}, {380, 0}}};
    int16_t buf[SAMPLE_RATE / 2];
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        int samples = shapes[tone].ms[part] * SAMPLE_RATE / 1000;
        for (int i = 0; i < samples && n < sizeof(buf) / sizeof(buf[0]); i++, n++) {
            float env = i < 200 ? i / 200.0f : samples - i < 200 ? (samples - i) / 200.0f : 1.0f;
            float hz = shapes[tone].hz[part];
            buf[n] = (int16_t)(hz > 0 ? 9000.0f * env *
                                            sinf(2.0f * 3.14159265f * hz * (float)i / SAMPLE_RATE)
                                      : 0);
        }
        for (int gap = 0; gap < SAMPLE_RATE / 40 && n < sizeof(buf) / sizeof(buf[0]); gap++)
            buf[n++] = 0;
    }
    SDL_ClearQueuedAudio(g->audio);
    if (SDL_QueueAudio(g->audio, buf, (Uint32)(n * sizeof(buf[0]))) != 0)
        return 0;
    return (int)(n * sizeof(buf[0]));
}

int gfx_read_pixels(struct gfx *g, uint32_t **pixels, int *w, int *h)
{
    gfx_size(g, w, h);
    *pixels = malloc((size_t)*w * (size_t)*h * 4);
    if (!*pixels)
        return GFX_ENOMEM;
    if (SDL_RenderReadPixels(g->renderer, NULL, SDL_PIXELFORMAT_ARGB8888, *pixels, *w * 4) != 0) {
        free(*pixels);
        *pixels = NULL;
        return GFX_ERENDER;
    }
    return GFX_OK;
}
