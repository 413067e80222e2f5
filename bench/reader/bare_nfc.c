#include "bench/reader/bare_nfc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <nfc/nfc.h>

struct bare_nfc {
    pthread_t thread;
    volatile bool stop;
    nfc_context *ctx;
    nfc_device *dev;
    int poll_ms;
    bare_nfc_fn fn;
    void *fn_ctx;
};

static void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void *loop(void *arg)
{
    struct bare_nfc *b = arg;
    const nfc_modulation m = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    while (!b->stop) {
        nfc_target t;
        if (nfc_initiator_select_passive_target(b->dev, m, NULL, 0, &t) > 0) {
            b->fn(b->fn_ctx, 1);
            /* Presence as the reader checks it, by selecting the UID again (libnfc's own check
             * loses a SAK 20 card left at layer 3): the same work, with nothing around it. */
            nfc_target again;
            while (!b->stop && nfc_initiator_select_passive_target(b->dev, m, t.nti.nai.abtUid,
                                                                   t.nti.nai.szUidLen, &again) > 0)
                pause_ms(b->poll_ms);
            b->fn(b->fn_ctx, 0);
        }
        pause_ms(b->poll_ms);
    }
    return NULL;
}

static nfc_device *open_dev(nfc_context **ctx, const char *connstring)
{
    nfc_connstring cs;
    nfc_init(ctx);
    for (size_t i = 0; i < sizeof(cs); i++)
        if (!(cs[i] = connstring[i]))
            break;
    cs[sizeof(cs) - 1] = '\0';
    nfc_device *dev = *ctx ? nfc_open(*ctx, cs) : NULL;
    if (dev && (nfc_initiator_init(dev) < 0 ||
                nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false) < 0 ||
                nfc_device_set_property_bool(dev, NP_AUTO_ISO14443_4, false) < 0)) {
        nfc_close(dev);
        dev = NULL;
    }
    return dev;
}

int bare_nfc_start(const char *connstring, int poll_ms, bare_nfc_fn fn, void *ctx,
                   struct bare_nfc **out)
{
    struct bare_nfc *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    b->poll_ms = poll_ms;
    b->fn = fn;
    b->fn_ctx = ctx;
    b->dev = open_dev(&b->ctx, connstring);
    if (!b->dev || pthread_create(&b->thread, NULL, loop, b) != 0) {
        if (b->dev)
            nfc_close(b->dev);
        if (b->ctx)
            nfc_exit(b->ctx);
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void bare_nfc_stop(struct bare_nfc *b)
{
    b->stop = true;
    pthread_join(b->thread, NULL);
    nfc_close(b->dev);
    nfc_exit(b->ctx);
    free(b);
}

double bare_nfc_select_floor(const char *connstring, int rounds)
{
    nfc_context *ctx = NULL;
    nfc_device *dev = open_dev(&ctx, connstring);
    if (!dev)
        return -1;
    const nfc_modulation m = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    struct timespec a, z;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++) {
        nfc_target t;
        nfc_initiator_select_passive_target(dev, m, NULL, 0, &t);
        nfc_initiator_deselect_target(dev);
    }
    clock_gettime(CLOCK_MONOTONIC, &z);
    nfc_close(dev);
    nfc_exit(ctx);
    return ((z.tv_sec - a.tv_sec) * 1e6 + (z.tv_nsec - a.tv_nsec) / 1e3) / rounds / 2;
}
