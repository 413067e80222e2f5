/* The ledger schema's rules, proved rather than blessed: what its tables, views, functions,
 * triggers (and whether they are on), constraints, indexes and their privileges are, one line
 * each, and a digest of them. ledger init anchors the digest in the keyring and the lines beside
 * it (KEYRING.schema) only when it built the schema itself in that run; afterwards it and verify
 * compare the live schema with them and name each difference (a disabled trigger, a dropped
 * CHECK, a redefined view), never taking a changed schema as the new truth. */
#include "sync/ledger/ledger_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/strcopy.h"
#include "sync/sync_pg.h"

/* Every rule, one row each (newlines inside a definition kept), in the database's order. */
#define SCHEMA_LINES_SQL                                                                               \
    " SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' ||"                                  \
    "  coalesce(pg_get_viewdef(c.oid), '')"                                                            \
    "  || ' ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)"                           \
    "  FROM unnest(coalesce(c.relacl, acldefault('r', c.relowner))) a), '')"                           \
    "  FROM pg_class c WHERE c.relnamespace = 'cpd'::regnamespace AND c.relkind IN ('r', 'v')"         \
    " UNION ALL SELECT 'col ' || c.relname || ' ' || a.attname || ' ' ||"                              \
    "  format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' ' ||"                    \
    "  coalesce(pg_get_expr(d.adbin, d.adrelid), '')"                                                  \
    "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"                                      \
    "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"                        \
    "  WHERE c.relnamespace = 'cpd'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped"             \
    "  AND c.relkind IN ('r', 'v')"                                                                    \
    " UNION ALL SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' ||"                 \
    "  pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'cpd'::regnamespace"          \
    " UNION ALL SELECT 'trg ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text"                 \
    "  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"                                         \
    "  WHERE c.relnamespace = 'cpd'::regnamespace AND NOT t.tgisinternal"                              \
    " UNION ALL SELECT 'fn ' || pg_get_functiondef(p.oid) || ' ' ||"                                   \
    "  coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)"                                     \
    "  FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) a), '')"                           \
    "  FROM pg_proc p WHERE p.pronamespace = 'cpd'::regnamespace"                                      \
    " UNION ALL SELECT 'idx ' || pg_get_indexdef(i.indexrelid) FROM pg_index i"                        \
    "  JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'cpd'::regnamespace" /* None       \
                                                                                          * of         \
                                                                                          * these      \
                                                                                          * is         \
                                                                                          * made       \
                                                                                          * by a       \
                                                                                          * migration, \
                                                                                          * so         \
                                                                                          * each       \
                                                                                          * is a       \
                                                                                          * line       \
                                                                                          * only       \
                                                                                          * when       \
                                                                                          * someone    \
                                                                                          * added      \
                                                                                          * it: a      \
                                                                                          * rule       \
                                                                                          * that       \
                                                                                          * rewrites   \
                                                                                          * what       \
                                                                                          * is         \
                                                                                          * read       \
                                                                                          * or         \
                                                                                          * written,   \
                                                                                          * a          \
                                                                                          * column's   \
                                                                                          * own        \
                                                                                          * grant,     \
                                                                                          * row        \
                                                                                          * security.  \
                                                                                          */           \
    " UNION ALL SELECT 'rule ' || pg_get_ruledef(r.oid) FROM pg_rewrite r"                             \
    "  JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = 'cpd'::regnamespace"               \
    "  AND r.rulename <> '_RETURN'"                                                                    \
    " UNION ALL SELECT 'colacl ' || c.relname || ' ' || a.attname || ' ' ||"                           \
    "  (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x)"                     \
    "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"                                      \
    "  WHERE c.relnamespace = 'cpd'::regnamespace AND a.attacl IS NOT NULL"                            \
    " UNION ALL SELECT 'rls ' || c.relname || ' ' || c.relrowsecurity::text || ' ' ||"                 \
    "  c.relforcerowsecurity::text FROM pg_class c WHERE c.relnamespace = 'cpd'::regnamespace"         \
    "  AND (c.relrowsecurity OR c.relforcerowsecurity)"                                                \
    " UNION ALL SELECT 'pol ' || tablename || ' ' || policyname || ' ' || permissive || ' ' ||"        \
    "  roles::text || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')"      \
    "  FROM pg_policies WHERE schemaname = 'cpd'"

/* The digest, as ledger init has always written it into the keyring, and the lines. */
static const char digest_sql[] = "SELECT encode(sha256(convert_to(string_agg(x, E'\\n' ORDER BY "
                                 "x), 'UTF8')), 'hex') FROM (" SCHEMA_LINES_SQL ") s(x)";
static const char lines_sql[] = "SELECT x FROM (" SCHEMA_LINES_SQL ") s(x) ORDER BY x";

void schema_rules_free(struct schema_rules *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    memset(r, 0, sizeof(*r));
}

/* One rule as a line of the file: newlines and backslashes escaped. */
static char *escaped(const char *text)
{
    size_t n = strlen(text), extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += text[i] == '\n' || text[i] == '\\' || text[i] == '\r';
    char *out = malloc(n + extra + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n' || text[i] == '\r' || text[i] == '\\') {
            *o++ = '\\';
            *o++ = text[i] == '\n' ? 'n' : text[i] == '\r' ? 'r' : '\\';
        } else {
            *o++ = text[i];
        }
    }
    *o = '\0';
    return out;
}

int schema_rules_read(struct pg *pg, struct schema_rules *r, char *why, size_t cap)
{
    memset(r, 0, sizeof(*r));
    struct pg_result *res = NULL, *digest = NULL;
    int err = sync_from_pg(pg_exec(pg, digest_sql, 0, NULL, &digest, why, cap), pg);
    if (err == SYNC_OK && strcopy(r->digest, sizeof(r->digest), pg_value(digest, 0, 0)) != 0)
        err = SYNC_EQUERY;
    pg_clear(digest);
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(pg, lines_sql, 0, NULL, &res, why, cap), pg);
    int n = err == SYNC_OK ? pg_rows(res) : 0;
    if (err == SYNC_OK && n > 0 && (r->lines = calloc((size_t)n, sizeof(*r->lines))) == NULL) {
        snprintf(why, cap, "out of memory for the schema's %d rules", n);
        err = SYNC_ESTORE;
    }
    for (int i = 0; err == SYNC_OK && i < n; i++) {
        if (!(r->lines[i] = escaped(pg_value(res, i, 0)))) {
            snprintf(why, cap, "out of memory for the schema's rules");
            err = SYNC_ESTORE;
        }
        r->n++;
    }
    if (err == SYNC_OK && (n == 0 || strlen(r->digest) != 64)) {
        snprintf(why, cap, "the ledger's schema has no rules to prove (schema cpd is empty)");
        err = SYNC_EQUERY;
    }
    pg_clear(res);
    if (err != SYNC_OK)
        schema_rules_free(r);
    return err;
}

int schema_rules_path(const char *keyring, char *out, size_t cap)
{
    return snprintf(out, cap, "%s.schema", keyring) < (int)cap ? 0 : -1;
}

int schema_rules_save(const char *keyring, const struct schema_rules *r, char *why, size_t cap)
{
    char path[4096], tmp[4200];
    if (schema_rules_path(keyring, path, sizeof(path)) != 0) {
        snprintf(why, cap, "%s: the path is too long", keyring);
        return SYNC_ECONFIG;
    }
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bool ok = f != NULL && fprintf(f, "@digest %s\n", r->digest) > 0;
    for (size_t i = 0; ok && i < r->n; i++)
        ok = fprintf(f, "%s\n", r->lines[i]) >= 0;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) == 0)
        return SYNC_OK;
    snprintf(why, cap, "%s: %s", path, strerror(errno));
    unlink(tmp);
    return SYNC_ECONFIG;
}

int schema_rules_load(const char *keyring, struct schema_rules *r, char *why, size_t cap)
{
    memset(r, 0, sizeof(*r));
    char path[4096];
    if (schema_rules_path(keyring, path, sizeof(path)) != 0)
        return SYNC_ECONFIG;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT
                   ? SYNC_OK
                   : (snprintf(why, cap, "%s: %s", path, strerror(errno)), SYNC_ECONFIG);
    char *line = NULL;
    size_t len = 0, cap_lines = 0;
    int err = SYNC_OK;
    for (ssize_t got; err == SYNC_OK && (got = getline(&line, &len, f)) > 0;) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "@digest ", 8) == 0) {
            strcopy(r->digest, sizeof(r->digest), line + 8);
            continue;
        }
        if (r->n == cap_lines) {
            size_t grown = cap_lines ? 2 * cap_lines : 256;
            char **more = realloc(r->lines, grown * sizeof(*more));
            if (!more) {
                err = SYNC_ESTORE;
                break;
            }
            r->lines = more;
            cap_lines = grown;
        }
        if (!(r->lines[r->n] = strdup(line)))
            err = SYNC_ESTORE;
        else
            r->n++;
    }
    free(line);
    fclose(f);
    if (err != SYNC_OK) {
        snprintf(why, cap, "%s: out of memory", path);
        schema_rules_free(r);
    }
    return err;
}

static bool holds(const struct schema_rules *r, const char *line)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->lines[i], line) == 0)
            return true;
    }
    return false;
}

size_t schema_rules_differences(const struct schema_rules *anchored,
                                const struct schema_rules *live, schema_difference_fn fn, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < anchored->n; i++) {
        if (!holds(live, anchored->lines[i])) {
            n++;
            fn(ctx, "no longer as ledger init made it", anchored->lines[i]);
        }
    }
    for (size_t i = 0; i < live->n; i++) {
        if (!holds(anchored, live->lines[i])) {
            n++;
            fn(ctx, "not made by ledger init", live->lines[i]);
        }
    }
    return n;
}

/* The first three differences into why, then how many more. */
struct differences {
    char *text;
    size_t cap;
    size_t n;
};

static void difference_into(void *ctx, const char *what, const char *line)
{
    struct differences *d = ctx;
    size_t used = strlen(d->text);
    if (d->n++ < 3)
        snprintf(d->text + used, d->cap - used, "%s%s: %.160s", used ? "; " : "", what, line);
}

/* The live schema against the keyring's anchor (its digest, and KEYRING.schema to name what
 * differs): SYNC_OK when it is what ledger init made, SYNC_ETAMPER saying what is not. */
int schema_prove(struct pg *pg, const char *keyring, const char *anchor, char *why, size_t cap)
{
    struct schema_rules live = {0}, anchored = {0};
    int err = schema_rules_read(pg, &live, why, cap);
    if (err == SYNC_OK && strcmp(live.digest, anchor) != 0)
        err = schema_rules_load(keyring, &anchored, why, cap);
    if (err == SYNC_OK && strcmp(live.digest, anchor) != 0) {
        char list[700] = "";
        struct differences d = {list, sizeof(list), 0};
        if (anchored.n > 0 && strcmp(anchored.digest, anchor) == 0)
            schema_rules_differences(&anchored, &live, difference_into, &d);
        snprintf(why, cap,
                 "the ledger's schema is not what ledger init made (digest %.12s…, the keyring's "
                 "%.12s…)%s%s%s; nothing was changed or written: put it back as the migrations "
                 "define it (or restore), then run ledger init again",
                 live.digest, anchor,
                 d.n ? ": " : " (no KEYRING.schema beside the keyring names it)", list,
                 d.n > 3 ? "; and more (verify --ledger lists them all)" : "");
        err = SYNC_ETAMPER;
    } else if (err == SYNC_OK && anchored.n == 0) {
        struct schema_rules saved = {0};
        char ignored[64];
        /* Proved by its digest: the lines beside the keyring, for later differences' names. */
        if (schema_rules_load(keyring, &saved, ignored, sizeof(ignored)) == SYNC_OK && saved.n == 0)
            err = schema_rules_save(keyring, &live, why, cap);
        schema_rules_free(&saved);
    }
    schema_rules_free(&live);
    schema_rules_free(&anchored);
    return err;
}

/* The schema as this init built it (it applied migrations, or made it): anchored. */
int schema_anchor(struct pg *pg, const char *keyring, char *why, size_t cap)
{
    struct schema_rules live = {0};
    int err = schema_rules_read(pg, &live, why, cap);
    if (err == SYNC_OK)
        err = schema_rules_save(keyring, &live, why, cap);
    if (err == SYNC_OK)
        err = ledger_keyring_append(keyring, "@schema", 0, live.digest, "ledger init", why, cap);
    schema_rules_free(&live);
    return err;
}
