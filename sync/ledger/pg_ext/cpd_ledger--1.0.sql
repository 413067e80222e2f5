-- cpd_ledger 1.0, run by CREATE EXTENSION as a superuser. Everything here is either pure (the
-- checks) or deliberately narrow (the two login functions): the ledger's owner needs neither
-- superuser nor CREATEROLE. Why each SECURITY DEFINER function is safe: docs/threat-model.md.
\echo Use "CREATE EXTENSION cpd_ledger" to load this file. \quit

CREATE FUNCTION @extschema@.ed25519_verify(sig bytea, msg bytea, pk bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'cpd_ed25519_verify' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.event_hash(prev bytea, kiosk text, seq bigint, uuid text, type text,
                                       person text, session text, wall_us bigint, mono_us bigint,
                                       clock text, payload text)
    RETURNS bytea AS 'MODULE_PATHNAME', 'cpd_event_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.check_events(kiosk text, last_seq bigint, last_hash bytea,
                                         key_from bigint[], keys bytea[], seq bigint[],
                                         uuid text[], type text[], person text[], session text[],
                                         wall_us bigint[], mono_us bigint[], clock text[],
                                         payload text[], prev_hash bytea[], hash bytea[],
                                         sig bytea[])
    RETURNS integer AS 'MODULE_PATHNAME', 'cpd_check_events' LANGUAGE C IMMUTABLE;

-- The cluster this database lives in (initdb's system identifier): a logical restore into
-- another cluster changes it, so kiosks know their transaction-id pull cursor means nothing
-- there. pg_control_system() is for superusers only; this exposes the one number.
CREATE FUNCTION @extschema@.cluster_id() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT system_identifier::text FROM pg_catalog.pg_control_system()
$$;

-- Ends kiosk and office sessions of this database whose transaction has lasted longer than
-- max_age_s: the kiosks' pull cursor waits for the oldest transaction writing here, and a
-- login sitting in one (whatever it set its own timeouts to) would hold back every kiosk's
-- pull, or a notification queue. Only sessions of cpd_kiosk_…/cpd_office_… logins, never the
-- caller's own. Called by cpd.kiosk_status at the start of every sync. Returns how many.
CREATE FUNCTION @extschema@.end_stalled_kiosk_sessions(max_age_s integer) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*)::integer FROM (
        SELECT pg_catalog.pg_terminate_backend(a.pid)
          FROM pg_catalog.pg_stat_activity a
         WHERE a.datname = pg_catalog.current_database()
           AND a.pid <> pg_catalog.pg_backend_pid()
           AND a.xact_start < pg_catalog.now() - pg_catalog.make_interval(secs => max_age_s)
           AND ((a.usename ~ '^cpd_kiosk_[a-z0-9_]+$'
                 AND pg_catalog.pg_has_role(a.usename, 'cpd_kiosk', 'MEMBER'))
             OR (a.usename ~ '^cpd_office_[a-z0-9_]+$'
                 AND pg_catalog.pg_has_role(a.usename, 'cpd_office', 'MEMBER')))) ended
$$;

-- Nobody in this database but its owner takes a transaction id or a large object outside our
-- functions: a login with only EXECUTE on the push and pull functions cannot hold back the
-- pull cursor or fill the disk.
REVOKE EXECUTE ON FUNCTION pg_catalog.pg_current_xact_id(), pg_catalog.txid_current(),
    pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer), pg_catalog.lo_from_bytea(oid, bytea),
    pg_catalog.lo_open(oid, integer), pg_catalog.lo_put(oid, bigint, bytea),
    pg_catalog.pg_logical_emit_message(boolean, text, text),
    pg_catalog.pg_logical_emit_message(boolean, text, bytea),
    pg_catalog.pg_notify(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_current_xact_id(), pg_catalog.txid_current()
    TO pg_database_owner;
-- No anonymous code blocks (DO) or functions in plpgsql but the owner's.
REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;
GRANT USAGE ON LANGUAGE plpgsql TO pg_database_owner;

-- The oldest transaction id still running in this database (or the next one to be given out):
-- rows of the ledger are written only here, so a transaction of another database in the
-- cluster must not hold back the kiosks' pull cursor. A transaction counts by its top-level id,
-- as pg_stat_activity shows it.
CREATE FUNCTION @extschema@.database_xmin() RETURNS xid8 LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(
        (SELECT pg_catalog.min(x)
           FROM pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) AS x
          WHERE (x::text::numeric % 4294967296) IN (
                SELECT a.backend_xid::text::numeric FROM pg_catalog.pg_stat_activity a
                 WHERE a.datname = pg_catalog.current_database() AND a.backend_xid IS NOT NULL)),
        pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()))
$$;

-- The group roles every ledger database shares (roles are cluster-wide).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'cpd_kiosk') THEN
        CREATE ROLE cpd_kiosk NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'cpd_office') THEN
        CREATE ROLE cpd_office NOLOGIN;
    END IF;
END $$;

-- Resets the login's settings in every database (ALTER ROLE … IN DATABASE … SET survives
-- ALTER ROLE … RESET ALL).
CREATE FUNCTION @extschema@.reset_everywhere(login name) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d name;
BEGIN
    FOR d IN SELECT db.datname FROM pg_catalog.pg_db_role_setting s
               JOIN pg_catalog.pg_database db ON db.oid = s.setdatabase
               JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
              WHERE r.rolname = login LOOP
        EXECUTE pg_catalog.format('ALTER ROLE %I IN DATABASE %I RESET ALL', login, d);
    END LOOP;
END $$;

-- A login for one kiosk or one office user, and nothing more: the name must carry its
-- prefix, the role may only ever be a plain member of its group, its password arrives already
-- SCRAM-hashed (never in clear text, never in a log), and its limits are set with it. An
-- existing role is changed only when it is already exactly such a login (a password or limit
-- change); any other role of that name is refused. Executable by the database's owner only.
CREATE FUNCTION @extschema@.create_login(kind text, login name, scram_verifier text,
                                         statement_timeout_s integer DEFAULT 60,
                                         idle_in_transaction_s integer DEFAULT 30,
                                         connections integer DEFAULT 2)
    RETURNS name LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grp name;
    r pg_catalog.pg_roles;
BEGIN
    IF kind IS NULL OR login IS NULL OR scram_verifier IS NULL OR statement_timeout_s IS NULL
       OR idle_in_transaction_s IS NULL OR connections IS NULL THEN
        RAISE EXCEPTION 'create_login: no argument may be NULL' USING ERRCODE = '22023';
    END IF;
    IF kind = 'kiosk' THEN
        grp := 'cpd_kiosk';
    ELSIF kind = 'office' THEN
        grp := 'cpd_office';
    ELSE
        RAISE EXCEPTION 'create_login: kind must be kiosk or office' USING ERRCODE = '22023';
    END IF;
    IF login !~ ('^' || grp || '_[a-z0-9_]{1,40}$') THEN
        RAISE EXCEPTION 'create_login: % is not a % login name (%_…)', login, kind, grp
            USING ERRCODE = '22023';
    END IF;
    IF scram_verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'create_login: the password must arrive SCRAM-hashed'
            USING ERRCODE = '22023';
    END IF;
    IF statement_timeout_s NOT BETWEEN 1 AND 3600 OR idle_in_transaction_s NOT BETWEEN 1 AND 3600
       OR connections NOT BETWEEN 1 AND 20 THEN
        RAISE EXCEPTION 'create_login: limits out of range' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO r FROM pg_catalog.pg_roles WHERE rolname = login;
    IF NOT FOUND THEN
        EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                                  'NOREPLICATION NOBYPASSRLS INHERIT', login);
        EXECUTE pg_catalog.format('GRANT %I TO %I', grp, login);
        -- Roles are cluster-wide: the login belongs to this ledger database only.
        EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', login,
                                  'cpd ledger: ' || pg_catalog.current_database());
    ELSIF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
          OR (SELECT pg_catalog.array_agg(g.rolname) FROM pg_catalog.pg_auth_members m
                JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)
             IS DISTINCT FROM ARRAY[grp]
          OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid) THEN
        RAISE EXCEPTION 'create_login: role % exists and is not a plain % login', login, kind
            USING ERRCODE = '42501';
    ELSIF pg_catalog.shobj_description(r.oid, 'pg_authid')
          IS DISTINCT FROM 'cpd ledger: ' || pg_catalog.current_database() THEN
        RAISE EXCEPTION 'create_login: % belongs to another ledger database (%)', login,
            coalesce(pg_catalog.shobj_description(r.oid, 'pg_authid'), 'none')
            USING ERRCODE = '42501';
    END IF;
    -- Whatever the login set for itself goes, everywhere; only our settings stay. Its open
    -- sessions end (someone holding them would keep the real kiosk out). LOGIN again: a login
    -- disabled before is enabled by being given a new password.
    EXECUTE pg_catalog.format('ALTER ROLE %I RESET ALL', login);
    PERFORM @extschema@.reset_everywhere(login);
    PERFORM pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
      WHERE a.usename = login;
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', pg_catalog.current_database(),
                              login);
    EXECUTE pg_catalog.format('ALTER ROLE %I LOGIN PASSWORD %L CONNECTION LIMIT %s', login,
                              scram_verifier, connections);
    EXECUTE pg_catalog.format('ALTER ROLE %I SET statement_timeout = %L', login,
                              statement_timeout_s || 's');
    EXECUTE pg_catalog.format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L',
                              login, idle_in_transaction_s || 's');
    EXECUTE pg_catalog.format('ALTER ROLE %I SET search_path = pg_catalog', login);
    RETURN login;
END $$;

-- Turns a kiosk or office login off (NOLOGIN), for a retired kiosk or a lost password.
CREATE FUNCTION @extschema@.disable_login(login name) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF login !~ '^cpd_(kiosk|office)_[a-z0-9_]{1,40}$' OR NOT EXISTS (
           SELECT 1 FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
             JOIN pg_catalog.pg_roles u ON u.oid = m.member
            WHERE u.rolname = login AND g.rolname IN ('cpd_kiosk', 'cpd_office')
              AND pg_catalog.shobj_description(u.oid, 'pg_authid')
                  = 'cpd ledger: ' || pg_catalog.current_database()) THEN
        RAISE EXCEPTION 'disable_login: % is not a kiosk or office login', login
            USING ERRCODE = '42501';
    END IF;
    EXECUTE pg_catalog.format('ALTER ROLE %I NOLOGIN', login);
    PERFORM pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
      WHERE a.usename = login;
END $$;

-- Everything here is for the database's owner (who runs the push and pull functions as their
-- definer), nobody else.
REVOKE ALL ON FUNCTION @extschema@.reset_everywhere(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.create_login(text, name, text, integer, integer, integer),
    @extschema@.disable_login(name), @extschema@.cluster_id(), @extschema@.database_xmin(),
    @extschema@.end_stalled_kiosk_sessions(integer),
    @extschema@.check_events(text, bigint, bytea, bigint[], bytea[], bigint[], text[], text[],
                             text[], text[], bigint[], bigint[], text[], text[], bytea[], bytea[],
                             bytea[]),
    @extschema@.event_hash(bytea, text, bigint, text, text, text, text, bigint, bigint, text,
                           text),
    @extschema@.ed25519_verify(bytea, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.create_login(text, name, text, integer, integer, integer),
    @extschema@.disable_login(name), @extschema@.cluster_id(), @extschema@.database_xmin(),
    @extschema@.end_stalled_kiosk_sessions(integer),
    @extschema@.check_events(text, bigint, bytea, bigint[], bytea[], bigint[], text[], text[],
                             text[], text[], bigint[], bigint[], text[], text[], bytea[], bytea[],
                             bytea[]),
    @extschema@.event_hash(bytea, text, bigint, text, text, text, text, bigint, bigint, text,
                           text),
    @extschema@.ed25519_verify(bytea, bytea, bytea) TO pg_database_owner;
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
