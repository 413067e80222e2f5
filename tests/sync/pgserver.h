/* pgserver.h — a real PostgreSQL 15 for tests: initdb in a temporary directory (as the postgres
 * system user when running as root: initdb refuses root), listening on 127.0.0.1 on a free port,
 * password authentication (scram-sha-256), stopped and removed at the end. */
#ifndef CPD_PGSERVER_H
#define CPD_PGSERVER_H

#include <stdbool.h>
#include <stddef.h>

struct pgserver {
    char dir[256];
    int port;
    char conninfo[256];      /* the admin (superuser) connection, without the password */
    char password_file[300]; /* the admin password, 0600 */
    char password[32];
};

/* 0 or -1 (with the reason on stderr). */
int pgserver_start(struct pgserver *pg);
int pgserver_stop_server(struct pgserver *pg); /* the server only: for "ledger down" tests */
int pgserver_restart(struct pgserver *pg);
void pgserver_destroy(struct pgserver *pg);
/* Runs SQL as the admin through psql; returns its exit status; output (stdout+stderr) in out. */
int pgserver_psql(const struct pgserver *pg, const char *sql, char *out, size_t cap);

#endif
