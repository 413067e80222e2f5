/* Privileges outside the ledger's schema, checked against the only ones the migrations and the
 * extension give: a kiosk or office login may CONNECT to this database and its group may use
 * schema cpd; nothing else in the database, its schemas, languages, functions, tables, large
 * objects, parameters, default privileges or role memberships is theirs, and PUBLIC keeps none
 * of what the ledger took from it. What lies inside schema cpd is the anchored rules'
 * (ledger_schema.c). A stray grant the owner can take back (its grantor is a role the owner
 * acts as) is repaired by ledger init and said; any other is named, with the statement a
 * superuser runs to take it back. Every admin connection has search_path pinned to pg_catalog
 * (ledger.c), so no name here can be shadowed. */
#include "sync/ledger/ledger_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strcopy.h"
#include "sync/sync_pg.h"

/* The roles the ledger gives logins to: the two groups and their logins. */
#define CPD_ROLES                                                                                  \
    " roles AS (SELECT oid, rolname, rolname IN ('cpd_kiosk', 'cpd_office') AS grp"                \
    "  FROM pg_roles WHERE rolname IN ('cpd_kiosk', 'cpd_office')"                                 \
    "  OR rolname ~ '^cpd_(kiosk|office)_[a-z0-9_]+$')"

/* Each query's rows: what, to whom, by whom, whether the owner can take it back, and how. */

/* Privileges (ACLs) outside schema cpd. PUBLIC keeps nothing the ledger took from it, and no
 * function outside schema cpd is given to PUBLIC explicitly (a fresh cluster gives none: its
 * defaults are implicit), nor any table outside the system catalogues. */
static const char acl_strays_sql[] =
    "WITH" CPD_ROLES ","
    " acl(kind, obj, inside_cpd, sys, a) AS ("
    "  SELECT 'DATABASE', quote_ident(datname), false, false, aclexplode(datacl)"
    "   FROM pg_database WHERE datname = current_database()"
    "  UNION ALL SELECT 'SCHEMA', quote_ident(nspname), nspname = 'cpd', false,"
    "   aclexplode(nspacl) FROM pg_namespace"
    "  UNION ALL SELECT 'LANGUAGE', quote_ident(lanname), false, false, aclexplode(lanacl)"
    "   FROM pg_language"
    "  UNION ALL SELECT 'FUNCTION', p.oid::regprocedure::text, false, false, aclexplode(proacl)"
    "   FROM pg_proc p"
    "   WHERE p.pronamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname = 'cpd')"
    "  UNION ALL SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
    "   c.oid::regclass::text, false, n.nspname IN ('pg_catalog', 'information_schema'),"
    "   aclexplode(relacl) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE n.nspname <> 'cpd'"
    "  UNION ALL SELECT 'LARGE OBJECT', l.oid::text, false, false, aclexplode(lomacl)"
    "   FROM pg_largeobject_metadata l"
    "  UNION ALL SELECT 'PARAMETER', parname, false, false, aclexplode(paracl)"
    "   FROM pg_parameter_acl),"
    " flat AS (SELECT kind, obj, inside_cpd, sys, (a).privilege_type AS priv,"
    "  (a).grantee AS grantee, (a).grantor AS grantor FROM acl),"
    " stray AS ("
    "  SELECT f.kind, f.obj, f.priv, f.grantee, f.grantor FROM flat f JOIN roles r"
    "   ON r.oid = f.grantee WHERE NOT ((f.kind = 'DATABASE' AND f.priv = 'CONNECT' AND NOT r.grp)"
    "   OR (f.kind = 'SCHEMA' AND f.inside_cpd AND f.priv = 'USAGE' AND r.grp))"
    "  UNION ALL SELECT f.kind, f.obj, f.priv, f.grantee, f.grantor FROM flat f"
    "   WHERE f.grantee = 0 AND (f.kind IN ('DATABASE', 'LARGE OBJECT', 'PARAMETER', 'FUNCTION')"
    "   OR (f.kind = 'SCHEMA' AND (f.priv = 'CREATE' OR f.inside_cpd))"
    "   OR (f.kind = 'LANGUAGE' AND f.obj = 'plpgsql')"
    "   OR (f.kind IN ('TABLE', 'SEQUENCE') AND NOT f.sys))"
    " )"
    " SELECT s.priv || ' ON ' || s.kind || ' ' || s.obj,"
    "  CASE WHEN s.grantee = 0 THEN 'PUBLIC' ELSE s.grantee::regrole::text END,"
    "  s.grantor::regrole::text,"
    "  pg_has_role(current_user, s.grantor, 'USAGE'),"
    "  'REVOKE ' || s.priv || ' ON ' || s.kind || ' ' || s.obj || ' FROM ' ||"
    "  CASE WHEN s.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(s.grantee::regrole::text)"
    "  END || ' CASCADE'"
    "  FROM stray s";

/* The roles themselves: a login belongs to its group only and a group to nothing; no default
 * privileges for them; none of the attributes create_login refuses (a superuser could add
 * them after it); no setting of theirs for one database (create_login sets theirs for every
 * database: a setting for this one would outrank it — session_preload_libraries without the
 * guard, temp_file_limit = -1), nor for the whole database. Only a superuser changes these
 * (a database-wide setting: also the database's owner). */
static const char role_strays_sql[] =
    "WITH" CPD_ROLES " SELECT 'membership in ' || g.rolname, m.rolname, gr.rolname, false,"
    "  'REVOKE ' || quote_ident(g.rolname) || ' FROM ' || quote_ident(m.rolname)"
    "  FROM pg_auth_members am JOIN roles m ON m.oid = am.member"
    "  JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles gr ON gr.oid = am.grantor"
    "  WHERE m.grp OR g.rolname <> CASE WHEN m.rolname ~ '^cpd_kiosk_' THEN 'cpd_kiosk'"
    "   ELSE 'cpd_office' END"
    " UNION ALL SELECT 'default privileges ' || d.defaclobjtype::text || ' of ' ||"
    "  d.defaclrole::regrole::text, r.rolname, d.defaclrole::regrole::text,"
    "  pg_has_role(current_user, d.defaclrole, 'USAGE'),"
    "  'ALTER DEFAULT PRIVILEGES FOR ROLE ' || quote_ident(d.defaclrole::regrole::text)"
    "  || ' REVOKE ALL ON ' || CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN"
    "  'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END ||"
    "  ' FROM ' || quote_ident(r.rolname)"
    "  FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a"
    "  JOIN roles r ON r.oid = a.grantee"
    " UNION ALL SELECT 'attribute ' || x.attr, r.rolname, 'a superuser', false,"
    "  'ALTER ROLE ' || quote_ident(r.rolname) || ' NO' || x.attr"
    "  FROM roles r JOIN pg_roles a ON a.oid = r.oid"
    "  CROSS JOIN LATERAL (VALUES ('SUPERUSER', a.rolsuper), ('CREATEDB', a.rolcreatedb),"
    "   ('CREATEROLE', a.rolcreaterole), ('REPLICATION', a.rolreplication),"
    "   ('BYPASSRLS', a.rolbypassrls), ('LOGIN', a.rolcanlogin AND r.grp)) x(attr, has)"
    "  WHERE x.has"
    " UNION ALL SELECT 'setting ' || array_to_string(s.setconfig, ', ') || ' in database ' ||"
    "  d.datname, r.rolname, 'a superuser', false,"
    "  'ALTER ROLE ' || quote_ident(r.rolname) || ' IN DATABASE ' || quote_ident(d.datname) ||"
    "  ' RESET ALL'"
    "  FROM pg_db_role_setting s JOIN roles r ON r.oid = s.setrole"
    "  JOIN pg_database d ON d.oid = s.setdatabase"
    /* and none for the whole database (default_transaction_read_only = on stops every push;
     * the ledger sets none) */
    " UNION ALL SELECT 'setting ' || array_to_string(s.setconfig, ', ') || ' for database ' ||"
    "  d.datname, 'every login', pg_get_userbyid(d.datdba),"
    "  pg_has_role(current_user, d.datdba, 'USAGE'),"
    "  'ALTER DATABASE ' || quote_ident(d.datname) || ' RESET ALL'"
    "  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
    "  WHERE s.setrole = 0 AND d.datname = current_database()";

/* Objects in the ledger's database that no migration makes and the extension does not hold:
 * another schema, and anything outside schema cpd that could run or be run (a table, view,
 * function, type, operator) — an owner's function beside the ledger is code no review of the
 * ledger saw; what lies inside cpd is the anchored rules' (ledger_schema.c). Also the
 * database-level machinery that could change or copy what the ledger holds: event triggers,
 * publications, subscriptions, foreign servers, other extensions. Each: what, its owner, the
 * statement that drops it. */
static const char foreign_objects_sql[] =
    "WITH sys AS (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog',"
    "  'information_schema', 'pg_toast') OR nspname ~ '^pg_(toast_)?temp_'"
    "  OR oid = (SELECT extnamespace FROM pg_extension WHERE extname = 'cpd_ledger')),"
    " member AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),"
    " outside AS (SELECT oid FROM pg_namespace WHERE oid NOT IN (SELECT oid FROM sys)"
    "  AND nspname <> 'cpd'),"
    " ledger AS (SELECT oid FROM pg_namespace WHERE nspname = 'cpd')" /* none before the first init
                                                                       */
    " SELECT 'SCHEMA ' || quote_ident(n.nspname), pg_get_userbyid(n.nspowner),"
    "  'DROP SCHEMA ' || quote_ident(n.nspname) || ' CASCADE'"
    "  FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM outside) AND n.nspname <> 'public'"
    " UNION ALL SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
    "  WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END || ' ' ||"
    "  c.oid::regclass::text, pg_get_userbyid(c.relowner),"
    "  'DROP ' || CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
    "  WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END || ' ' ||"
    "  c.oid::regclass::text || ' CASCADE'"
    "  FROM pg_class c WHERE (c.relnamespace IN (SELECT oid FROM outside)"
    "  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    "  OR c.relnamespace IN (SELECT oid FROM ledger) AND c.relkind IN ('p', 'm', 'S', 'f'))"
    "  AND (c.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_class'::regclass))"
    " UNION ALL SELECT 'FUNCTION ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner),"
    "  'DROP ROUTINE ' || p.oid::regprocedure::text || ' CASCADE'"
    "  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM outside)"
    "  AND p.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_proc'::regclass)"
    " UNION ALL SELECT 'TYPE ' || t.oid::regtype::text, pg_get_userbyid(t.typowner),"
    "  'DROP TYPE ' || t.oid::regtype::text || ' CASCADE'"
    "  FROM pg_type t WHERE (t.typnamespace IN (SELECT oid FROM outside)"
    "  OR t.typnamespace IN (SELECT oid FROM ledger)) AND t.typrelid = 0 AND t.typcategory <> 'A'"
    "  AND t.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_type'::regclass)"
    " UNION ALL SELECT 'OPERATOR ' || o.oid::regoperator::text, pg_get_userbyid(o.oprowner),"
    "  'DROP OPERATOR ' || o.oid::regoperator::text || ' CASCADE'"
    "  FROM pg_operator o WHERE (o.oprnamespace IN (SELECT oid FROM outside)"
    "  OR o.oprnamespace IN (SELECT oid FROM ledger))"
    "  AND o.oid NOT IN (SELECT objid FROM member WHERE classid = 'pg_operator'::regclass)";

/* … the rest (too long for one literal). */
static const char foreign_objects_more_sql[] =
    " UNION ALL SELECT x.kind || ' ' || quote_ident(n.nspname) || '.' || quote_ident(x.name),"
    "  pg_get_userbyid(x.owner), 'DROP ' || x.kind || ' ' || quote_ident(n.nspname) || '.' ||"
    "  quote_ident(x.name) || ' CASCADE'"
    "  FROM (SELECT 'STATISTICS' AS kind, stxname AS name, stxnamespace AS ns, stxowner AS owner"
    "   FROM pg_statistic_ext"
    "   UNION ALL SELECT 'COLLATION', collname, collnamespace, collowner FROM pg_collation"
    "   UNION ALL SELECT 'CONVERSION', conname, connamespace, conowner FROM pg_conversion"
    "   UNION ALL SELECT 'TEXT SEARCH CONFIGURATION', cfgname, cfgnamespace, cfgowner"
    "   FROM pg_ts_config"
    "   UNION ALL SELECT 'TEXT SEARCH DICTIONARY', dictname, dictnamespace, dictowner"
    "   FROM pg_ts_dict) x JOIN pg_namespace n ON n.oid = x.ns"
    "  WHERE x.ns IN (SELECT oid FROM outside) OR x.ns IN (SELECT oid FROM ledger)"
    " UNION ALL SELECT 'EVENT TRIGGER ' || quote_ident(evtname), pg_get_userbyid(evtowner),"
    "  'DROP EVENT TRIGGER ' || quote_ident(evtname) FROM pg_event_trigger"
    " UNION ALL SELECT 'PUBLICATION ' || quote_ident(pubname), pg_get_userbyid(pubowner),"
    "  'DROP PUBLICATION ' || quote_ident(pubname) FROM pg_publication"
    " UNION ALL SELECT 'SUBSCRIPTION ' || quote_ident(subname), pg_get_userbyid(subowner),"
    "  'DROP SUBSCRIPTION ' || quote_ident(subname) FROM pg_subscription"
    "  WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " UNION ALL SELECT 'SERVER ' || quote_ident(srvname), pg_get_userbyid(srvowner),"
    "  'DROP SERVER ' || quote_ident(srvname) || ' CASCADE' FROM pg_foreign_server"
    " UNION ALL SELECT 'EXTENSION ' || quote_ident(extname), pg_get_userbyid(extowner),"
    "  'DROP EXTENSION ' || quote_ident(extname) || ' CASCADE' FROM pg_extension"
    "  WHERE extname NOT IN ('plpgsql', 'cpd_ledger')"
    " ORDER BY 1";

int foreign_objects_read(struct pg *pg, struct pg_result **res, char *why, size_t cap)
{
    char sql[sizeof(foreign_objects_sql) + sizeof(foreign_objects_more_sql)];
    snprintf(sql, sizeof(sql), "%s%s", foreign_objects_sql, foreign_objects_more_sql);
    return sync_from_pg(pg_exec(pg, sql, 0, NULL, res, why, cap), pg);
}

size_t foreign_objects_list(const struct pg_result *res, char *out, size_t cap)
{
    size_t used = 0, n = (size_t)pg_rows(res);
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 3 && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s (owner %s: %s)", i ? "; " : "",
                                 pg_value(res, (int)i, 0), pg_value(res, (int)i, 1),
                                 pg_value(res, (int)i, 2));
    if (n > 3 && used < cap)
        snprintf(out + used, cap - used, "; and %zu more (verify --ledger lists them all)", n - 3);
    return n;
}

void privilege_strays_free(struct privilege_strays *s)
{
    free(s->items);
    memset(s, 0, sizeof(*s));
}

int privilege_strays_read(struct pg *pg, struct privilege_strays *s, char *why, size_t cap)
{
    memset(s, 0, sizeof(*s));
    struct pg_result *acl = NULL, *roles = NULL;
    int err = sync_from_pg(pg_exec(pg, acl_strays_sql, 0, NULL, &acl, why, cap), pg);
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(pg, role_strays_sql, 0, NULL, &roles, why, cap), pg);
    int n_acl = err == SYNC_OK ? pg_rows(acl) : 0,
        n = n_acl + (err == SYNC_OK ? pg_rows(roles) : 0);
    if (n > 0 && (s->items = calloc((size_t)n, sizeof(*s->items))) == NULL) {
        snprintf(why, cap, "out of memory for %d stray privileges", n);
        err = SYNC_ESTORE;
    }
    for (int j = 0; err == SYNC_OK && j < n; j++) {
        const struct pg_result *res = j < n_acl ? acl : roles;
        int i = j < n_acl ? j : j - n_acl;
        struct privilege_stray *p = &s->items[j];
        /* A name too long for its field is kept cut, but the stray is never dropped. */
        strcopy(p->what, sizeof(p->what), pg_value(res, i, 0));
        strcopy(p->grantee, sizeof(p->grantee), pg_value(res, i, 1));
        strcopy(p->grantor, sizeof(p->grantor), pg_value(res, i, 2));
        p->owner_can_revoke = pg_value(res, i, 3)[0] == 't';
        if (strcopy(p->revoke, sizeof(p->revoke), pg_value(res, i, 4)) != 0)
            p->owner_can_revoke = false; /* never run a statement cut short */
        s->n++;
    }
    pg_clear(acl);
    pg_clear(roles);
    if (err != SYNC_OK)
        privilege_strays_free(s);
    return err;
}

int privilege_strays_repair(struct pg *pg, const struct privilege_strays *s, ledger_line_fn fn,
                            void *ctx, char *why, size_t cap)
{
    int err = SYNC_OK;
    for (size_t i = 0; err == SYNC_OK && i < s->n; i++) {
        const struct privilege_stray *p = &s->items[i];
        if (!p->owner_can_revoke)
            continue;
        err = sync_from_pg(pg_exec(pg, p->revoke, 0, NULL, NULL, why, cap), pg);
        if (err == SYNC_OK && fn) {
            char line[1200];
            snprintf(line, sizeof(line), "repaired: %s to %s (granted by %s) taken back", p->what,
                     p->grantee, p->grantor);
            fn(ctx, line, false);
        }
    }
    return err;
}

size_t privilege_strays_refused(const struct privilege_strays *s, char *out, size_t cap)
{
    size_t refused = 0, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        const struct privilege_stray *p = &s->items[i];
        if (p->owner_can_revoke)
            continue;
        if (refused++ < 3 && used < cap)
            used += (size_t)snprintf(out + used, cap - used, "%s%s to %s (granted by %s: %s)",
                                     used ? "; " : "", p->what, p->grantee, p->grantor, p->revoke);
    }
    if (refused > 3 && used < cap)
        snprintf(out + used, cap - used, "; and %zu more (verify --ledger lists them all)",
                 refused - 3);
    return refused;
}
