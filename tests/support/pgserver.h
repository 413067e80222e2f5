/* pgserver.h — a real PostgreSQL 15 for tests: initdb in a temporary directory (as the postgres
 * system user when running as root: initdb refuses root), listening on 127.0.0.1 on a free port,
 * password authentication (scram-sha-256), stopped and removed at the end. */
#ifndef CPD_PGSERVER_H
#define CPD_PGSERVER_H

#include <stdbool.h>
#include <stddef.h>

struct pgserver {
    char dir[256];
    /* PostgreSQL's own programs, in a private copy of its installation under dir whose
     * extension directory and library directory hold the cpd_ledger extension just built (never
     * the one installed on the machine): PostgreSQL finds its share and lib directories from
     * where its programs are. */
    char bin[320];
    int port;
    char super_conninfo[256]; /* the superuser: for the documented superuser step only */
    char super_password[32];
    /* The ledger's owner (neither superuser nor CREATEROLE) on database cpd, set up exactly
     * as docs/head-office.md says: what every test uses. */
    char conninfo[256];
    char password_file[300]; /* 0600 */
    char password[32];
};

/* Starts a cluster and performs the documented superuser step (ledger-superuser.sql, the
 * owner's password); 0 or -1 (with the reason on stderr). */
int pgserver_start(struct pgserver *pg);
/* Turns TLS on with a certificate for host_name signed by a test CA, written to dir/ca.crt
 * (the file a kiosk's sslrootcert names); 0 or -1. */
int pgserver_enable_tls(struct pgserver *pg, const char *host_name);
/* The cluster alone, no ledger database (for a restore target). */
int pgserver_start_empty(struct pgserver *pg);
/* Runs a shell command with PGHOST/PGPORT/PGUSER/PGPASSWORD of the superuser set; its exit
 * status; output in out. For the documented restore procedure. */
int pgserver_shell_super(const struct pgserver *pg, const char *cmd, char *out, size_t cap);
int pgserver_stop_server(struct pgserver *pg); /* the server only: for "ledger down" tests */
int pgserver_restart(struct pgserver *pg);
void pgserver_destroy(struct pgserver *pg);
/* Runs SQL as the ledger's owner on cpd through psql; returns its exit status; output
 * (stdout+stderr) in out. */
int pgserver_psql(const struct pgserver *pg, const char *sql, char *out, size_t cap);
/* The same as another login (user, password). */
int pgserver_psql_as(const struct pgserver *pg, const char *user, const char *password,
                     const char *sql, char *out, size_t cap);

#endif
