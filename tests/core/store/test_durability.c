/* Durability: a child taps in a loop and is killed with SIGKILL at random points; every tap it
 * reported as committed must be in the database afterwards, and quick_check and verify pass. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/testutil.h"
#include "core/base/zone.h"

struct report {
    int64_t seq;
    char uuid[EVENT_UUID_LEN];
};

static const char *const badges[] = {"04-3B-19-D2-6A-71-81", "C2:7F:3A:E5", "9b1f6c3d",
                                     "04:11:22:33:44:55:66", "08:A1:B2:C3"};

static int last_uuid(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return 1; /* the first one is the one asked for */
}

/* The child: its own connection, taps until killed, reporting each committed seq. */
static void child_taps(const struct testkiosk *k, int fd, int round)
{
    char why[256];
    struct store *s = NULL;
    if (store_open(k->db_path, &s, why, sizeof(why)) != STORE_OK ||
        store_set_signer(s, "test-kiosk", k->keys.sign_sk) != STORE_OK)
        _exit(3);
    struct tapflow flow = k->flow;
    flow.store = s;
    struct tap_result *r = calloc(1, sizeof(*r));
    int64_t base = test_at("2023-09-13 15:00") + (int64_t)round * 600 * 1000000;
    for (int i = 0;; i++) {
        struct uid uid;
        uid_parse(badges[i % 5], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
        int64_t now = base + (int64_t)i * 7 * 1000000;
        if (tapflow_tap(&flow, &uid, now, now, 0, r) != STORE_OK)
            _exit(4);
        /* Only after tapflow_tap returned: this is what the screen would have shown. */
        struct report rep = {.seq = r->seq};
        struct event e;
        if (store_events_each(s, r->seq, last_uuid, &e) != 1)
            _exit(5);
        memcpy(rep.uuid, e.uuid, sizeof(rep.uuid));
        if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
            _exit(6);
    }
}

static void test_sigkill_never_loses_a_committed_tap(void **state)
{
    (void)state;
    const char *env = getenv("CPD_DURABILITY_KILLS");
    int kills = env ? atoi(env) : 60;
    struct testkiosk k;
    testkiosk_open(&k, true);
    store_close(k.store);
    k.store = NULL;
    /* Printed below; CPD_DURABILITY_SEED replays the same pauses. */
    const char *seed_env = getenv("CPD_DURABILITY_SEED");
    /* A fixed seed, so a failure replays; CPD_DURABILITY_SEED=N tries another. */
    unsigned seed = seed_env && seed_env[0] ? (unsigned)strtoul(seed_env, NULL, 10) : 20231u;
    srand(seed);
    print_message("seed %u (CPD_DURABILITY_SEED to replay)\n", seed);
    size_t cap = 1 << 16, n_reports = 0;
    struct report *reports = malloc(cap * sizeof(*reports));
    assert_non_null(reports);
    for (int round = 0; round < kills; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_taps(&k, fds[1], round);
        }
        close(fds[1]);
        /* Let it run 2–40 ms, then kill it wherever it is: mid-transaction, mid-fsync… While
         * no tap has been committed yet (a loaded machine, a sanitizer build: opening the
         * store takes longer than that), each round waits 50 ms longer, so the kills do meet
         * committed taps. */
        long slower = n_reports == 0 ? 50L * (round < 10 ? round : 10) : 0;
        struct timespec pause = {0, (2 + rand() % 39 + slower) * 1000000L};
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) || WEXITSTATUS(status) == 0);
        struct report rep;
        while (read(fds[0], &rep, sizeof(rep)) == (ssize_t)sizeof(rep) && n_reports < cap)
            reports[n_reports++] = rep;
        close(fds[0]);
    }
    char why[256];
    assert_int_equal(store_open(k.db_path, &k.store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_quick_check(k.store), STORE_OK);
    struct store_verify_report r;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    print_message("seed %u: %d kills, %zu taps reported committed, %lld events in the store\n",
                  seed, kills, n_reports, (long long)r.events);
    assert_int_equal(r.first_bad_seq, 0);
    assert_true(n_reports > 0);
    /* Every tap the child reported is there, as the very event it reported. */
    for (size_t i = 0; i < n_reports; i++) {
        struct event e;
        memset(&e, 0, sizeof(e));
        assert_int_equal(store_events_each(k.store, reports[i].seq, last_uuid, &e), 1);
        assert_int_equal(e.seq, reports[i].seq);
        assert_string_equal(e.uuid, reports[i].uuid);
    }
    free(reports);
    /* And the projection still agrees with the events. */
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(k.store, "attendance", &before), STORE_OK);
    assert_int_equal(store_rebuild_projections(k.store), STORE_OK);
    assert_int_equal(store_count(k.store, "attendance", &after), STORE_OK);
    assert_int_equal(before, after);
    testkiosk_close(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_never_loses_a_committed_tap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
