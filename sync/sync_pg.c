#include "sync/sync_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

struct pg {
    PGconn *conn;
    char sqlstate[6];
};

struct pg_result {
    PGresult *res;
};

/* What libpq says when the server's certificate is signed with an algorithm that has no hash
 * of its own (Ed25519, Ed448): channel binding (RFC 5929 tls-server-end-point) cannot be
 * computed. */
#define UNHASHED_SIGNATURE "could not find digest for NID"

/* libpq gives connection failures no SQLSTATE: its message says which kind it was. */
static int classify_connect(const char *message)
{
    static const char *const tls[] = {
        "certificate",     "does not match host name", "SSL was required", "SSL error",
        "channel binding", "root certificate file",    UNHASHED_SIGNATURE};
    static const char *const auth[] = {"authentication failed", "no password supplied",
                                       "password is required", "role \"", "pg_hba.conf"};
    for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++) {
        if (strstr(message, auth[i]))
            return PG_EAUTH;
    }
    for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
        if (strstr(message, tls[i]))
            return PG_ETLS;
    }
    return PG_EUNREACHABLE;
}

static void one_line(char *why, size_t cap, const char *message)
{
    snprintf(why, cap, "%s", message ? message : "");
    for (char *p = why; *p; p++) {
        if (*p == '\n')
            *p = p[1] ? ' ' : '\0';
        else if ((unsigned char)*p < 0x20)
            *p = ' '; /* a tab inside libpq's message, say: one plain line */
    }
}

/* The values the string gives sslmode and channel_binding ("" when not given there nor in the
 * environment); PG_ECONNINFO for a password in it. */
static int strict_keys(const PQconninfoOption *parsed, char *sslmode, char *binding, size_t cap,
                       char *why, size_t why_cap)
{
    const char *env_ssl = getenv("PGSSLMODE"), *env_binding = getenv("PGCHANNELBINDING");
    snprintf(sslmode, cap, "%s", env_ssl ? env_ssl : "");
    snprintf(binding, cap, "%s", env_binding ? env_binding : "");
    for (const PQconninfoOption *p = parsed; p->keyword; p++) {
        if (!p->val || !p->val[0])
            continue;
        if (strcmp(p->keyword, "password") == 0) {
            one_line(why, why_cap,
                     "a password in the connection string is shown to every user of this "
                     "machine (ps): put it in a file only you can read and give --password-file");
            return PG_ECONNINFO;
        }
        if (strcmp(p->keyword, "sslmode") == 0)
            snprintf(sslmode, cap, "%s", p->val);
        else if (strcmp(p->keyword, "channel_binding") == 0)
            snprintf(binding, cap, "%s", p->val);
    }
    return PG_OK;
}

static bool encrypts(const char *sslmode)
{
    return !sslmode[0] || strcmp(sslmode, "require") == 0 || strcmp(sslmode, "verify-ca") == 0 ||
           strcmp(sslmode, "verify-full") == 0;
}

/* The connection string checked: it parses (a malformed one is the caller's mistake, not an
 * unreachable server); strict, it holds no password and its sslmode and channel_binding are
 * read (else left ""). */
static int read_conninfo(const char *conninfo, bool strict, char sslmode[32], char binding[32],
                         char *why, size_t cap)
{
    sslmode[0] = binding[0] = '\0';
    char *parse_error = NULL;
    PQconninfoOption *parsed = PQconninfoParse(conninfo, &parse_error);
    if (!parsed) {
        one_line(why, cap, parse_error ? parse_error : "out of memory");
        PQfreemem(parse_error);
        return parse_error ? PG_ECONNINFO : PG_ENOMEM;
    }
    int err = strict ? strict_keys(parsed, sslmode, binding, 32, why, cap) : PG_OK;
    PQconninfoFree(parsed);
    return err;
}

int pg_conninfo_weakens(const char *conninfo, char *note, size_t note_cap, char *why,
                        size_t why_cap)
{
    note[0] = '\0';
    char sslmode[32], binding[32];
    int err = read_conninfo(conninfo, true, sslmode, binding, why, why_cap);
    if (err != PG_OK)
        return err;
    if (sslmode[0] && strcmp(sslmode, "verify-full") != 0)
        snprintf(note, note_cap, "sslmode=%s, as you asked: %s", sslmode,
                 encrypts(sslmode) ? "the server's certificate is not checked against its name"
                                   : "the connection may not be encrypted at all");
    else if (binding[0] && strcmp(binding, "require") != 0)
        snprintf(note, note_cap,
                 "channel_binding=%s, as you asked: the password exchange is not bound to the "
                 "TLS channel",
                 binding);
    return PG_OK;
}

int pg_connect(const char *conninfo, const struct pg_options *o, struct pg **out, char *why,
               size_t cap)
{
    *out = NULL;
    char given_ssl[32], given_binding[32];
    int read = read_conninfo(conninfo, o && o->strict, given_ssl, given_binding, why, cap);
    if (read != PG_OK)
        return read;
    /* Strict: what the string leaves unsaid is the strict value (what it says stands). */
    const char *sslmode = o ? o->sslmode : NULL, *binding = o ? o->channel_binding : NULL;
    if (o && o->strict && !given_ssl[0])
        sslmode = "verify-full";
    if (o && o->strict && !given_binding[0] && encrypts(given_ssl))
        binding = "require";
    struct pg *pg = calloc(1, sizeof(*pg));
    if (!pg)
        return PG_ENOMEM;
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", o && o->timeout_s > 0 ? o->timeout_s : 10);
    /* expand_dbname: the conninfo string is parsed; the keys after it override what it says.
     * Only the keys given a value are passed. */
    /* Our own session settings, whatever the role was given: a login that set itself
     * read-only or another encoding must not break or garble the sync. */
    const char *all_keys[] = {"dbname",          "connect_timeout", "application_name",
                              "client_encoding", "options",         "password",
                              "sslmode",         "sslrootcert",     "channel_binding"};
    const char *all_values[] = {conninfo,
                                timeout,
                                "cpd-kiosk",
                                "UTF8",
                                "-c default_transaction_read_only=off",
                                o ? o->password : NULL,
                                sslmode,
                                o ? o->sslrootcert : NULL,
                                binding};
    const char *keys[10], *values[10];
    int n = 0;
    for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
        if (all_values[i] && all_values[i][0]) {
            keys[n] = all_keys[i];
            values[n++] = all_values[i];
        }
    }
    keys[n] = values[n] = NULL;
    pg->conn = PQconnectdbParams(keys, values, 1);
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        const char *msg = pg->conn ? PQerrorMessage(pg->conn) : "out of memory";
        one_line(why, cap, msg);
        int err = pg->conn ? classify_connect(msg) : PG_ENOMEM;
        if (strstr(msg, UNHASHED_SIGNATURE)) {
            size_t used = strlen(why);
            snprintf(why + used, cap - used,
                     " — the ledger's TLS certificate is signed with Ed25519 (or another "
                     "algorithm without a hash), which channel binding cannot use: give the "
                     "server an ECDSA or RSA certificate (docs/head-office.md, step 2)");
        }
        pg_close(pg);
        return err;
    }
    *out = pg;
    return PG_OK;
}

int pg_scram_verifier(struct pg *pg, const char *role, const char *password, char *out, size_t cap,
                      char *why, size_t why_cap)
{
    char *v = PQencryptPasswordConn(pg->conn, password, role, "scram-sha-256");
    if (!v) {
        one_line(why, why_cap, PQerrorMessage(pg->conn));
        return PG_EQUERY;
    }
    int err = strlen(v) < cap ? PG_OK : PG_ENOMEM;
    if (err == PG_OK)
        memcpy(out, v, strlen(v) + 1);
    PQfreemem(v);
    return err;
}

void pg_describe(const struct pg *pg, char *out, size_t cap)
{
    const char *host = PQhost(pg->conn);
    if (!PQsslInUse(pg->conn)) {
        snprintf(out, cap, "%s, not encrypted", host ? host : "?");
        return;
    }
    const char *protocol = PQsslAttribute(pg->conn, "protocol");
    const char *cipher = PQsslAttribute(pg->conn, "cipher");
    snprintf(out, cap, "%s, %s %s", host ? host : "?", protocol ? protocol : "TLS",
             cipher ? cipher : "");
}

void pg_close(struct pg *pg)
{
    if (!pg)
        return;
    PQfinish(pg->conn);
    free(pg);
}

int pg_exec(struct pg *pg, const char *sql, int n, const char *const *values,
            struct pg_result **out, char *why, size_t cap)
{
    if (out)
        *out = NULL;
    pg->sqlstate[0] = '\0';
    PGresult *res = PQexecParams(pg->conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(pg->sqlstate, sizeof(pg->sqlstate), "%s", state ? state : "");
        const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        one_line(why, cap, primary ? primary : PQerrorMessage(pg->conn));
        PQclear(res);
        if (PQstatus(pg->conn) != CONNECTION_OK)
            return PG_EUNREACHABLE;
        return strcmp(pg->sqlstate, "42501") == 0 ? PG_EPERM : PG_EQUERY;
    }
    if (!out) {
        PQclear(res);
        return PG_OK;
    }
    struct pg_result *r = malloc(sizeof(*r));
    if (!r) {
        PQclear(res);
        return PG_ENOMEM;
    }
    r->res = res;
    *out = r;
    return PG_OK;
}

int pg_exec_script(struct pg *pg, const char *sql, char *why, size_t cap)
{
    pg->sqlstate[0] = '\0';
    PGresult *res = PQexec(pg->conn, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int err = PG_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(pg->sqlstate, sizeof(pg->sqlstate), "%s", state ? state : "");
        one_line(why, cap, PQerrorMessage(pg->conn));
        err = PQstatus(pg->conn) != CONNECTION_OK  ? PG_EUNREACHABLE
              : strcmp(pg->sqlstate, "42501") == 0 ? PG_EPERM
                                                   : PG_EQUERY;
    }
    PQclear(res);
    return err;
}

const char *pg_sqlstate(const struct pg *pg)
{
    return pg->sqlstate;
}

int pg_rows(const struct pg_result *r)
{
    return PQntuples(r->res);
}

int pg_columns(const struct pg_result *r)
{
    return PQnfields(r->res);
}

const char *pg_value(const struct pg_result *r, int row, int col)
{
    return PQgetvalue(r->res, row, col);
}

bool pg_null(const struct pg_result *r, int row, int col)
{
    return PQgetisnull(r->res, row, col) != 0;
}

void pg_clear(struct pg_result *r)
{
    if (!r)
        return;
    PQclear(r->res);
    free(r);
}

int pg_array_append(char **buf, size_t *len, size_t *cap, const char *value, bool first)
{
    size_t need = *len + 2 * strlen(value) + 8;
    if (need > *cap) {
        size_t grown = *cap ? *cap : 4096;
        while (grown < need)
            grown *= 2;
        char *b = realloc(*buf, grown);
        if (!b)
            return PG_ENOMEM;
        *buf = b;
        *cap = grown;
    }
    char *p = *buf + *len;
    if (first)
        *p++ = '{';
    else
        p[-1] = ','; /* replaces the closing brace */
    *p++ = '"';
    for (const char *v = value; *v; v++) {
        if (*v == '"' || *v == '\\')
            *p++ = '\\';
        *p++ = *v;
    }
    *p++ = '"';
    *p++ = '}';
    *p = '\0';
    *len = (size_t)(p - *buf);
    return PG_OK;
}
