/* sync_pg.h — a thin wrapper over libpq (sync_pg.c is the only file that includes libpq-fe.h):
 * connect with a timeout and a password from a file, run parameterised statements, read rows.
 * One struct pg per thread. Every function returns PG_OK or a negative PG_E* code and, on
 * failure, one line in why. Results are owned by the caller (pg_clear). */
#ifndef CPD_SYNC_PG_H
#define CPD_SYNC_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

/* How to reach the ledger beyond the conninfo; NULL or "" fields leave libpq's defaults. */
struct pg_options {
    const char *password; /* never logged, never echoed */
    int timeout_s;
    const char *sslmode;         /* verify-full in production */
    const char *sslrootcert;     /* the CA that signed the ledger's certificate */
    const char *channel_binding; /* require: SCRAM bound to the TLS channel */
    /* Head office's commands: what the connection string (or PGSSLMODE, PGCHANNELBINDING) does
     * not say is sslmode=verify-full and channel_binding=require, not libpq's "prefer"; and a
     * password in the string (shown by ps) is refused. */
    bool strict;
};

/* What a head office connection string weakens, said in words for the screen ("" if nothing):
 * an sslmode other than verify-full, a channel_binding other than require. PG_ECONNINFO (why
 * says it) for a string that does not parse or holds a password. */
int pg_conninfo_weakens(const char *conninfo, char *note, size_t note_cap, char *why,
                        size_t why_cap);

struct pg;
struct pg_result;

/* conninfo: a libpq connection string without the password; options may be NULL. */
int pg_connect(const char *conninfo, const struct pg_options *options, struct pg **out, char *why,
               size_t cap);
/* The SCRAM-SHA-256 verifier of a password for a role, computed here: a password never
 * travels to the server in clear text (CREATE/ALTER ROLE … PASSWORD takes the verifier). */
int pg_scram_verifier(struct pg *pg, const char *role, const char *password, char *out, size_t cap,
                      char *why, size_t why_cap);
void pg_close(struct pg *pg);
/* The connection in words: "ledger.example.org, TLSv1.3 TLS_AES_256_GCM_SHA384" or
 * "…, not encrypted". */
void pg_describe(const struct pg *pg, char *out, size_t cap);
/* Runs sql with text parameters (values[i] NULL for SQL NULL); *out may be NULL to discard. */
int pg_exec(struct pg *pg, const char *sql, int n, const char *const *values,
            struct pg_result **out, char *why, size_t cap);
/* Runs a script of several statements in one implicit transaction (migrations). */
int pg_exec_script(struct pg *pg, const char *sql, char *why, size_t cap);
/* The SQLSTATE of the last failed statement ("" when none). */
const char *pg_sqlstate(const struct pg *pg);
int pg_rows(const struct pg_result *r);
int pg_columns(const struct pg_result *r);
const char *pg_value(const struct pg_result *r, int row, int col);
bool pg_null(const struct pg_result *r, int row, int col);
void pg_clear(struct pg_result *r);
/* Quotes a literal for an array constructor element: "…" with \ and " escaped. */
int pg_array_append(char **buf, size_t *len, size_t *cap, const char *value, bool first);

#endif
