/* cpd_ledger's guard: what a kiosk or office login can cost the server is bounded by the server,
 * not by the login. Loaded into every such session by session_preload_libraries (set on the role
 * by cpd_ledger.create_login; a login cannot change it: it is superuser-only), it
 *   - holds the session's statement, idle-in-transaction and work-memory limits at the values
 *     head office gave the login, whatever the login asked for at connection: set again before
 *     every statement it sends, as a SET would, and a SET or RESET of them is refused;
 *   - lets a kiosk login run nothing but calls of the ledger's own functions (schema cpd), their
 *     results shaped only by encode(), ||, casts to text, ORDER BY and LIMIT — the statements
 *     the kiosk's sync sends (and the built-ins' casts) — and transaction control: no SET, no
 *     DO, no repeat('x', 4e8), no sort of a billion rows into temp files;
 *   - refuses either login a prepared transaction, set_config() and any function called by the
 *     fast path.
 * Statements inside the ledger's SECURITY DEFINER functions run as the owner and are not
 * checked. docs/threat-model.md says what this stops and what it cannot. */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "tcop/tcopprot.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timeout.h"

#include "sync/ledger/pg_ext/cpd_guard.h"

/* What a login may cost, per login (ALTER ROLE … SET by create_login; superuser-only). */
static int limit_statement_s = 60;
static int limit_idle_s = 30;
static int limit_work_mem_kb = 4096;
static char *login_setting = NULL; /* cpd_ledger.login: "kiosk", "office" or "" (set on the role) */

enum login { LOGIN_UNKNOWN, LOGIN_NONE, LOGIN_KIOSK, LOGIN_OFFICE };
static enum login session_login = LOGIN_UNKNOWN;
static post_parse_analyze_hook_type previous_hook = NULL;
static object_access_hook_type previous_access_hook = NULL;

static bool member_of(Oid user, const char *group)
{
    Oid g = get_role_oid(group, true);
    return OidIsValid(g) && is_member_of_role_nosuper(user, g);
}

/* The session user's kind, once per session (create_login ends a login's sessions when it
 * changes one); read only inside a transaction, where the catalogue can be asked. */
static enum login login_of_session(void)
{
    if (session_login == LOGIN_UNKNOWN && IsTransactionState()) {
        Oid user = GetSessionUserId();
        if (superuser_arg(user))
            session_login = LOGIN_NONE;
        else if (member_of(user, "cpd_kiosk"))
            session_login = LOGIN_KIOSK;
        else if (member_of(user, "cpd_office"))
            session_login = LOGIN_OFFICE;
        else
            session_login = LOGIN_NONE;
    }
    return session_login;
}

static void hold(const char *name, int value, int current)
{
    if (value == current)
        return;
    char text[32];
    snprintf(text, sizeof(text), "%d", value);
    (void)set_config_option(name, text, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, ERROR,
                            false);
}

/* The limits, held at head office's values. The statement timer was started before this
 * statement was parsed, with whatever the login had asked for: started again with ours. */
static void hold_limits(void)
{
    hold("statement_timeout", limit_statement_s * 1000, StatementTimeout);
    hold("idle_in_transaction_session_timeout", limit_idle_s * 1000,
         IdleInTransactionSessionTimeout);
    hold("work_mem", limit_work_mem_kb, work_mem);
    if (hash_mem_multiplier != 2.0) /* PostgreSQL 15's own: a hash table's memory, bounded */
        (void)set_config_option("hash_mem_multiplier", "2", PGC_SUSET, PGC_S_SESSION,
                                GUC_ACTION_SET, true, ERROR, false);
    if (session_login == LOGIN_KIOSK)
        hold("idle_session_timeout", limit_idle_s * 1000, IdleSessionTimeout);
    if (StatementTimeout > 0)
        enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
}

/* The held limits, and what would lift them another way: more memory per hash table, another
 * role's settings. */
static const char *const held[] = {"statement_timeout",
                                   "idle_in_transaction_session_timeout",
                                   "work_mem",
                                   "idle_session_timeout",
                                   "hash_mem_multiplier",
                                   "maintenance_work_mem",
                                   "temp_buffers",
                                   "role",
                                   "session_authorization"};

/* A SET or RESET of a held limit (or RESET ALL): refused, so the login is told, not ignored. */
static bool sets_a_limit(const Query *q)
{
    if (q->commandType != CMD_UTILITY || !q->utilityStmt || !IsA(q->utilityStmt, VariableSetStmt))
        return false;
    const VariableSetStmt *set = (const VariableSetStmt *)q->utilityStmt;
    if (set->kind == VAR_RESET_ALL)
        return true;
    for (size_t i = 0; set->name && i < sizeof(held) / sizeof(held[0]); i++) {
        if (pg_strcasecmp(set->name, held[i]) == 0)
            return true;
    }
    return false;
}

/* A function a kiosk's statement may call: the ledger's own, and the two the sync shapes their
 * results with. */
static bool allowed_function(Oid fn)
{
    Oid ns = get_func_namespace(fn);
    if (ns == get_namespace_oid("cpd", true))
        return true;
    if (ns != PG_CATALOG_NAMESPACE)
        return false;
    char *name = get_func_name(fn);
    bool ok = name && (strcmp(name, "encode") == 0 || strcmp(name, "textcat") == 0);
    if (name)
        pfree(name);
    return ok;
}

/* What a refused statement did that the sync never does, for the error's detail. */
static char refused_for[128];

static bool refuse(const char *what, Oid fn)
{
    char *name = OidIsValid(fn) ? get_func_name(fn) : NULL;
    snprintf(refused_for, sizeof(refused_for), "%s%s%s", what, name ? " " : "", name ? name : "");
    if (name)
        pfree(name);
    return true;
}

/* The types a kiosk's statement casts to or writes a constant of: the sync's parameters and
 * results (text, bigint, integer, xid8, bytea, uuid, boolean and their arrays). A cast to
 * anything else — regrole, regclass (which tell what the catalogue holds), char(10485760) — is
 * not what the sync sends. */
static bool kiosk_type(Oid type, int32 typmod)
{
    static const Oid allowed[] = {TEXTOID,      INT8OID,      INT4OID,       XID8OID,
                                  BYTEAOID,     UUIDOID,      BOOLOID,       UNKNOWNOID,
                                  TEXTARRAYOID, INT8ARRAYOID, BYTEAARRAYOID, UUIDARRAYOID};
    if (typmod != -1)
        return false;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if (type == allowed[i])
            return true;
    }
    return false;
}

/* A constant of the client's is a short word ('hex', '/'): what the sync sends goes in
 * parameters. */
#define KIOSK_CONST_MAX 256

/* The ||s of the statement being checked (the only operator a kiosk's statement may use). */
#define MAX_CONCATENATIONS 4
static int concatenations;

static bool kiosk_expression(Node *node, void *ctx)
{
    if (node == NULL)
        return false;
    switch (nodeTag(node)) {
    case T_Const: {
        const Const *c = (const Const *)node;
        if (!kiosk_type(c->consttype, c->consttypmod) ||
            (!c->constisnull && c->constlen == -1 &&
             VARSIZE_ANY(DatumGetPointer(c->constvalue)) > KIOSK_CONST_MAX)) {
            snprintf(refused_for, sizeof(refused_for),
                     "has a constant the sync never sends (type %u)", c->consttype);
            return true;
        }
        break;
    }
    case T_RelabelType:
    case T_CoerceViaIO:
        if (!kiosk_type(exprType(node), exprTypmod(node))) {
            snprintf(refused_for, sizeof(refused_for), "casts to a type the sync never uses (%u)",
                     exprType(node));
            return true;
        }
        break;
    case T_Param:
        /* a parameter typed regclass or regrole is looked up in the catalogue as it is bound
         * (and written back as a name): only the sync's own types */
        if (!kiosk_type(((Param *)node)->paramtype, ((Param *)node)->paramtypmod)) {
            snprintf(refused_for, sizeof(refused_for),
                     "has a parameter of a type the sync never "
                     "sends (%u)",
                     ((Param *)node)->paramtype);
            return true;
        }
        break;
    case T_Var:
    case T_TargetEntry:
    case T_List:
    case T_RangeTblFunction:
    case T_SortGroupClause:
    case T_FromExpr:
    case T_RangeTblRef:
        break;
    case T_FuncExpr:
        /* a cast (LIMIT 16 is an int4 made int8): a built-in's cast function, cheap, to one
         * of the sync's types */
        if (((FuncExpr *)node)->funcformat != COERCE_EXPLICIT_CALL &&
            get_func_namespace(((FuncExpr *)node)->funcid) == PG_CATALOG_NAMESPACE) {
            if (!kiosk_type(exprType(node), exprTypmod(node))) {
                snprintf(refused_for, sizeof(refused_for),
                         "casts to a type the sync never uses (%u)", exprType(node));
                return true;
            }
            break;
        }
        if (!allowed_function(((FuncExpr *)node)->funcid))
            return refuse("calls", ((FuncExpr *)node)->funcid);
        break;
    case T_OpExpr:
        set_opfuncid((OpExpr *)node);
        if (!allowed_function(((OpExpr *)node)->opfuncid))
            return refuse("calls", ((OpExpr *)node)->opfuncid);
        /* || joins what the ledger's functions return ("ledger_id || '/' || cluster_id"): a
         * few of them, never a parameter, which $1 || $1 || … would copy into gigabytes. */
        if (++concatenations > MAX_CONCATENATIONS) {
            snprintf(refused_for, sizeof(refused_for), "uses || more than %d times",
                     MAX_CONCATENATIONS);
            return true;
        }
        ListCell *arg;
        foreach (arg, ((OpExpr *)node)->args) {
            if (IsA(lfirst(arg), Param)) {
                snprintf(refused_for, sizeof(refused_for), "joins a parameter with ||");
                return true;
            }
        }
        break;
    default:
        /* a sub-query, an aggregate, a CASE…: not what the sync sends */
        snprintf(refused_for, sizeof(refused_for), "has an expression of node type %d",
                 (int)nodeTag(node));
        return true;
    }
    return expression_tree_walker(node, kiosk_expression, ctx);
}

/* The statements a kiosk's sync sends, and nothing else. */
static bool kiosk_may_run(const Query *q)
{
    snprintf(refused_for, sizeof(refused_for), "is not a SELECT of the ledger's functions");
    concatenations = 0;
    if (q->commandType == CMD_UTILITY)
        return q->utilityStmt && IsA(q->utilityStmt, TransactionStmt);
    if (q->commandType != CMD_SELECT || q->cteList || q->hasSubLinks || q->hasAggs ||
        q->hasWindowFuncs || q->hasRecursive || q->hasModifyingCTE || q->hasForUpdate ||
        q->setOperations || q->groupClause || q->groupingSets || q->havingQual ||
        q->distinctClause || q->windowClause || q->rowMarks || q->limitOffset)
        return false;
    if (list_length(q->rtable) > 1) { /* one function's rows: the sync never joins two */
        snprintf(refused_for, sizeof(refused_for), "joins the rows of two functions");
        return false;
    }
    ListCell *lc;
    foreach (lc, q->rtable) {
        RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
        if (rte->rtekind != RTE_FUNCTION) {
            snprintf(refused_for, sizeof(refused_for), "reads a table, view or sub-query");
            return false;
        }
        if (kiosk_expression((Node *)rte->functions, NULL))
            return false;
    }
    return !kiosk_expression((Node *)q->targetList, NULL) &&
           !kiosk_expression((Node *)q->jointree, NULL) && !kiosk_expression(q->limitCount, NULL);
}

/* A value padded to its length when it is made — char(n), bit(n) — costs what n says, and its
 * constant is folded by the planner, which does not look at the statement timeout: ''::char(
 * 10485760) three hundred times held a backend at a gigabyte for four minutes. Neither login
 * needs more than a short one. */
#define PADDED_MAX 1024

static bool padded_wide(Node *node, void *ctx)
{
    if (node == NULL)
        return false;
    if (IsA(node, Query))
        return query_tree_walker((Query *)node, padded_wide, ctx, 0);
    Oid type = InvalidOid;
    int32 typmod = -1;
    if (IsA(node, Const)) {
        type = ((Const *)node)->consttype;
        typmod = ((Const *)node)->consttypmod;
    } else if (IsA(node, FuncExpr) || IsA(node, RelabelType) || IsA(node, ArrayCoerceExpr) ||
               IsA(node, CoerceViaIO) || IsA(node, CoerceToDomain)) {
        type = exprType(node);
        typmod = exprTypmod(node);
    }
    if ((type == BPCHAROID || type == BITOID || type == BPCHARARRAYOID || type == BITARRAYOID) &&
        typmod > PADDED_MAX + VARHDRSZ)
        return true;
    return expression_tree_walker(node, padded_wide, ctx);
}

/* PREPARE TRANSACTION (and COMMIT or ROLLBACK PREPARED): a prepared transaction outlives the
 * session, its locks and its snapshot held with no timeout until someone ends it; the server
 * would keep every dead row for it. Neither login's work needs one. */
static bool prepares(const Query *q)
{
    if (q->commandType != CMD_UTILITY || !q->utilityStmt || !IsA(q->utilityStmt, TransactionStmt))
        return false;
    TransactionStmtKind kind = ((const TransactionStmt *)q->utilityStmt)->kind;
    return kind == TRANS_STMT_PREPARE || kind == TRANS_STMT_COMMIT_PREPARED ||
           kind == TRANS_STMT_ROLLBACK_PREPARED;
}

static void guard(ParseState *pstate, Query *query, JumbleState *jstate)
{
    if (previous_hook)
        previous_hook(pstate, query, jstate);
    /* Only what the client sent: not the body of a SQL function being inlined (ours), nor a
     * statement inside the ledger's own functions (their text is not the client's). Whatever
     * role the session took on (SET ROLE, or role= at connection): the login is the session
     * user's, and its limits hold. */
    if (pstate == NULL || pstate->p_sourcetext != debug_query_string)
        return;
    enum login login = login_of_session();
    if ((login != LOGIN_KIOSK && login != LOGIN_OFFICE) || !IsTransactionState())
        return; /* (an aborted transaction parses only its ROLLBACK) */
    hold_limits();
    if (prepares(query))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: a kiosk or office login may not prepare a "
                               "transaction (it would outlive the session)")));
    if (query_tree_walker(query, padded_wide, NULL, 0))
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("a kiosk or office login may not make a char(n) or bit(n) value "
                               "longer than %d",
                               PADDED_MAX)));
    if (login == LOGIN_KIOSK && !kiosk_may_run(query))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: a kiosk login may only call the ledger's "
                               "functions (this statement %s)",
                               refused_for),
                        errhint("The kiosk's sync sends only SELECT … FROM cpd.…(…) and "
                                "transaction control.")));
    if (sets_a_limit(query))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: this login's statement, idle and memory limits "
                               "are head office's, and its role (cpd_ledger.create_login)")));
}

/* A function called by the fast-path protocol (libpq's PQfn) is parsed by no one, so the guard
 * above never sees it: any function the login may execute — repeat(), pg_sleep() — with no
 * statement around it. The executor asks this hook before any function runs; a call with no
 * client statement behind it (debug_query_string unset) from a kiosk or office login is the
 * fast path, and is refused. */
static void guard_function_call(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id,
                                void *arg)
{
    if (previous_access_hook)
        previous_access_hook(access, class_id, object_id, sub_id, arg);
    if (access != OAT_FUNCTION_EXECUTE || !IsTransactionState())
        return;
    enum login login = login_of_session();
    if (login != LOGIN_KIOSK && login != LOGIN_OFFICE)
        return;
    if (debug_query_string == NULL)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: a kiosk or office login may not call a "
                               "function by the fast-path protocol")));
    /* set_config() inside a statement would lift a held limit for the rest of it (the limits
     * are set again only before the next statement). None of the ledger's functions uses it. */
    if (object_id == F_SET_CONFIG)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: this login's statement, idle and memory limits "
                               "are head office's (set_config)")));
}

void cpd_guard_init(void)
{
    DefineCustomIntVariable("cpd_ledger.statement_timeout_s",
                            "A kiosk or office login's statement limit, held by the server.", NULL,
                            &limit_statement_s, 60, 1, 3600, PGC_SUSET, GUC_UNIT_S, NULL, NULL,
                            NULL);
    DefineCustomIntVariable("cpd_ledger.idle_in_transaction_s",
                            "A kiosk or office login's idle-in-transaction limit, held by the "
                            "server.",
                            NULL, &limit_idle_s, 30, 1, 3600, PGC_SUSET, GUC_UNIT_S, NULL, NULL,
                            NULL);
    DefineCustomIntVariable(
        "cpd_ledger.work_mem_kb", "A kiosk or office login's work memory, held by the server.",
        NULL, &limit_work_mem_kb, 4096, 64, 262144, PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
    DefineCustomStringVariable("cpd_ledger.login",
                               "What kind of login this session's is (kiosk, office), set on the "
                               "role by create_login.",
                               NULL, &login_setting, "", PGC_SUSET, 0, NULL, NULL, NULL);
    MarkGUCPrefixReserved("cpd_ledger");
    previous_hook = post_parse_analyze_hook;
    post_parse_analyze_hook = guard;
    previous_access_hook = object_access_hook;
    object_access_hook = guard_function_call;
    /* A kiosk login's session from its first moment, before any statement: connections held
     * open and silent end at its idle limit, so they cannot keep the kiosk out (its connection
     * limit is small). */
    if (login_setting && strcmp(login_setting, "kiosk") == 0)
        hold("idle_session_timeout", limit_idle_s * 1000, IdleSessionTimeout);
}
