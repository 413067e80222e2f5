#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/support/pgserver.h"

#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_LIB   "/usr/lib/postgresql/15"
#define PG_SHARE "/usr/share/postgresql/15"

/* Runs a shell command as the postgres user when we are root; returns its exit status. */
static int as_postgres(const char *cmd)
{
    char full[4096];
    if (geteuid() == 0)
        snprintf(full, sizeof(full), "runuser -u postgres -- sh -c '%s' >/dev/null 2>&1", cmd);
    else
        snprintf(full, sizeof(full), "sh -c '%s' >/dev/null 2>&1", cmd);
    int status = system(full);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int start_server(struct pgserver *pg)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "%s/pg_ctl -D %s/data -l %s/server.log -w -t 60 -o \"-p %d -k %s "
             "-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50\" start",
             pg->bin, pg->dir, pg->dir, pg->port, pg->dir);
    return as_postgres(cmd) == 0 ? 0 : -1;
}

static int run_capture(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int pgserver_shell_super(const struct pgserver *pg, const char *cmd, char *out, size_t cap)
{
    char script[512], full[1024];
    snprintf(script, sizeof(script), "%s/super-%d.sh", pg->dir, (int)getpid());
    FILE *f = fopen(script, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", cmd);
    fclose(f);
    snprintf(full, sizeof(full),
             "PGHOST=127.0.0.1 PGPORT=%d PGUSER=cpd_admin PGPASSWORD='%s' PGDATABASE=postgres "
             "sh '%s' 2>&1",
             pg->port, pg->super_password, script);
    int rc = run_capture(full, out, cap);
    unlink(script);
    return rc;
}

int pgserver_start(struct pgserver *pg)
{
    if (pgserver_start_empty(pg) != 0)
        return -1;
    /* docs/head-office.md, "Setting it up", the superuser's step, word for word. */
    char cmd[1024], out[2048];
    snprintf(
        cmd, sizeof(cmd),
        "psql -X -q -v owner=cpd_owner -v db=cpd -f %s/sync/ledger/pg_ext/ledger-superuser.sql",
        CPD_SOURCE_DIR);
    if (pgserver_shell_super(pg, cmd, out, sizeof(out)) != 0) {
        fprintf(stderr, "pgserver: the superuser step failed: %s\n", out);
        return -1;
    }
    snprintf(pg->password, sizeof(pg->password), "owner-%d", (int)getpid());
    snprintf(cmd, sizeof(cmd), "psql -X -q -c \"ALTER ROLE cpd_owner PASSWORD '%s'\"",
             pg->password);
    if (pgserver_shell_super(pg, cmd, out, sizeof(out)) != 0) {
        fprintf(stderr, "pgserver: setting the owner's password failed: %s\n", out);
        return -1;
    }
    snprintf(pg->conninfo, sizeof(pg->conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_owner sslmode=disable", pg->port);
    snprintf(pg->password_file, sizeof(pg->password_file), "%s/owner.pw", pg->dir);
    FILE *f = fopen(pg->password_file, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", pg->password);
    fclose(f);
    chmod(pg->password_file, 0600);
    return 0;
}

int pgserver_enable_tls(struct pgserver *pg, const char *host_name)
{
    char cmd[2048], out[2048];
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
             " -keyout ca.key -out ca.crt -days 2 -subj /CN=cpd-test-ca 2>/dev/null &&"
             " openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
             " -keyout data/server.key -out server.csr -subj /CN=%s 2>/dev/null &&"
             " printf 'subjectAltName=DNS:%s\\n' > san.ext &&"
             " openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
             " -out data/server.crt -days 2 -extfile san.ext 2>/dev/null &&"
             " chmod 600 data/server.key && chmod 644 ca.crt",
             pg->dir, host_name, host_name);
    if (run_capture(cmd, out, sizeof(out)) != 0) {
        fprintf(stderr, "pgserver: the test certificates: %s\n", out);
        return -1;
    }
    struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;
    char key[512], crt[512];
    snprintf(key, sizeof(key), "%s/data/server.key", pg->dir);
    snprintf(crt, sizeof(crt), "%s/data/server.crt", pg->dir);
    if (pw && (chown(key, pw->pw_uid, pw->pw_gid) != 0 || chown(crt, pw->pw_uid, pw->pw_gid) != 0))
        return -1;
    if (pgserver_shell_super(pg,
                             /* not over TLS: the certificate in place may be one being
                              * replaced (one libpq cannot bind to) */
                             "PGSSLMODE=disable psql -X -q -c 'ALTER SYSTEM SET ssl = on' &&"
                             " PGSSLMODE=disable psql -X -q -c 'SELECT pg_reload_conf()'"
                             " >/dev/null && sleep 0.5",
                             out, sizeof(out)) != 0) {
        fprintf(stderr, "pgserver: ssl = on: %s\n", out);
        return -1;
    }
    return 0;
}

/* PostgreSQL's installation, copied under dir: its programs (copies: it finds its share and
 * lib directories relative to where the running program really is, symlinks resolved), links
 * to the rest, and the cpd_ledger extension just built in place of any the machine has. */
static int private_installation(struct pgserver *pg)
{
    char cmd[4096], out[2048];
    snprintf(pg->bin, sizeof(pg->bin), "%s/install/lib/postgresql/15/bin", pg->dir);
    snprintf(
        cmd, sizeof(cmd),
        "set -e; umask 022; r='%s/install'; lib=\"$r/lib/postgresql/15\";"
        " share=\"$r/share/postgresql/15\";"
        " mkdir -p \"$lib/bin\" \"$lib/lib\" \"$share/extension\";"
        " cp " PG_LIB "/bin/postgres " PG_LIB "/bin/initdb " PG_LIB "/bin/pg_ctl \"$lib/bin/\";"
        " for f in " PG_SHARE "/*; do [ \"${f##*/}\" = extension ] || ln -s \"$f\" \"$share/\";"
        " done;"
        " for f in " PG_SHARE "/extension/*; do case \"${f##*/}\" in cpd_ledger*) ;;"
        " *) ln -s \"$f\" \"$share/extension/\";; esac; done;"
        " for f in " PG_LIB "/lib/*; do case \"${f##*/}\" in cpd_ledger*) ;;"
        " *) ln -s \"$f\" \"$lib/lib/\";; esac; done;"
        " cp '%s' \"$lib/lib/cpd_ledger.so\";"
        " cp '%s'/sync/ledger/pg_ext/cpd_ledger.control '%s'/sync/ledger/pg_ext/cpd_ledger--*.sql"
        " \"$share/extension/\" 2>&1",
        pg->dir, CPD_LEDGER_MODULE, CPD_SOURCE_DIR, CPD_SOURCE_DIR);
    if (run_capture(cmd, out, sizeof(out)) != 0) {
        fprintf(stderr, "pgserver: a private copy of PostgreSQL 15 (Debian: postgresql-15): %s\n",
                out);
        return -1;
    }
    return 0;
}

int pgserver_start_empty(struct pgserver *pg)
{
    memset(pg, 0, sizeof(*pg));
    snprintf(pg->dir, sizeof(pg->dir), "/tmp/cpd-pg-XXXXXX");
    if (!mkdtemp(pg->dir))
        return -1;
    chmod(pg->dir, 0755);
    if (private_installation(pg) != 0)
        return -1;
    struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;
    if (geteuid() == 0 && (!pw || chown(pg->dir, pw->pw_uid, pw->pw_gid) != 0)) {
        fprintf(stderr, "pgserver: no postgres user (Debian: postgresql-15)\n");
        return -1;
    }
    snprintf(pg->super_password, sizeof(pg->super_password), "admin-%d", (int)getpid());
    char pwfile[300];
    snprintf(pwfile, sizeof(pwfile), "%s/initdb.pw", pg->dir);
    FILE *f = fopen(pwfile, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", pg->super_password);
    fclose(f);
    if (pw && chown(pwfile, pw->pw_uid, pw->pw_gid) != 0)
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s/initdb -D %s/data -U cpd_admin -A scram-sha-256 --pwfile=%s --no-sync "
             "-E UTF8 --locale=C.UTF-8",
             pg->bin, pg->dir, pwfile);
    if (as_postgres(cmd) != 0) {
        fprintf(stderr, "pgserver: initdb failed (Debian: postgresql-15)\n");
        return -1;
    }
    unlink(pwfile);
    for (int attempt = 0; attempt < 10; attempt++) {
        pg->port = 20000 + (int)((getpid() * 7 + attempt * 131) % 30000);
        if (start_server(pg) == 0)
            break;
        pg->port = 0;
    }
    if (!pg->port) {
        fprintf(stderr, "pgserver: the server did not start (see %s/server.log)\n", pg->dir);
        return -1;
    }
    snprintf(pg->super_conninfo, sizeof(pg->super_conninfo),
             "host=127.0.0.1 port=%d dbname=postgres user=cpd_admin sslmode=disable", pg->port);
    return 0;
}

int pgserver_stop_server(struct pgserver *pg)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/pg_ctl -D %s/data -m fast -w stop", pg->bin, pg->dir);
    return as_postgres(cmd) == 0 ? 0 : -1;
}

int pgserver_restart(struct pgserver *pg)
{
    return start_server(pg);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void pgserver_destroy(struct pgserver *pg)
{
    if (!pg->dir[0])
        return;
    pgserver_stop_server(pg);
    nftw(pg->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int pgserver_psql_as(const struct pgserver *pg, const char *user, const char *password,
                     const char *sql, char *out, size_t cap)
{
    char path[512], cmd[1024];
    snprintf(path, sizeof(path), "%s/query-%d.sql", pg->dir, (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(sql, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "PGPASSWORD='%s' psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p %d -U %s "
             "-d cpd -f '%s' 2>&1",
             password, pg->port, user, path);
    int rc = run_capture(cmd, out, cap);
    unlink(path);
    return rc;
}

int pgserver_psql(const struct pgserver *pg, const char *sql, char *out, size_t cap)
{
    return pgserver_psql_as(pg, "cpd_owner", pg->password, sql, out, cap);
}
