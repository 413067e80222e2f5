-- cpd_ledger 1.0 → 1.1 (ALTER EXTENSION cpd_ledger UPDATE, as a superuser; CREATE EXTENSION
-- runs 1.0 then this). A copied kiosk password can no longer cost the server more than head
-- office allows: each login's sessions load the guard (cpd_guard.c), which holds the login's
-- limits and lets a kiosk login only call the ledger's functions; temp files are capped per
-- login; the reaper also ends statements running past the limit.
\echo Use "ALTER EXTENSION cpd_ledger UPDATE" to load this file. \quit

CREATE OR REPLACE FUNCTION @extschema@.create_login(kind text, login name, scram_verifier text,
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
    -- 1.1: the guard (cpd_guard.c) in every session of the login, holding these limits
    -- whatever the login asks for, and a kiosk login to calls of the ledger's functions. All
    -- superuser-only settings: the login cannot change them.
    EXECUTE pg_catalog.format('ALTER ROLE %I SET session_preload_libraries = %L', login,
                              'cpd_ledger');
    EXECUTE pg_catalog.format('ALTER ROLE %I SET cpd_ledger.statement_timeout_s = %s', login,
                              statement_timeout_s);
    EXECUTE pg_catalog.format('ALTER ROLE %I SET cpd_ledger.idle_in_transaction_s = %s', login,
                              idle_in_transaction_s);
    EXECUTE pg_catalog.format('ALTER ROLE %I SET temp_file_limit = %L', login,
                              CASE kind WHEN 'kiosk' THEN '16MB' ELSE '1GB' END);
    EXECUTE pg_catalog.format('ALTER ROLE %I SET cpd_ledger.login = %L', login, kind);
    RETURN login;
END $$;

-- Every login of this ledger database gets the guard (logins made before 1.1): called by
-- ledger init. Their limits stay as create_login set them (the guard's defaults, 60 s and 30 s,
-- until add-kiosk gives them again). Returns how many logins were changed.
CREATE FUNCTION @extschema@.guard_logins() RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    login name;
    changed integer := 0;
BEGIN
    FOR login IN SELECT u.rolname FROM pg_catalog.pg_roles u
                  WHERE u.rolname ~ '^cpd_(kiosk|office)_[a-z0-9_]{1,40}$'
                    AND pg_catalog.shobj_description(u.oid, 'pg_authid')
                        = 'cpd ledger: ' || pg_catalog.current_database()
                    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s
                                     WHERE s.setrole = u.oid AND s.setdatabase = 0
                                       AND s.setconfig @> ARRAY['session_preload_libraries=cpd_ledger'])
    LOOP
        EXECUTE pg_catalog.format('ALTER ROLE %I SET session_preload_libraries = %L', login,
                                  'cpd_ledger');
        EXECUTE pg_catalog.format('ALTER ROLE %I SET temp_file_limit = %L', login,
                                  CASE WHEN login ~ '^cpd_kiosk_' THEN '16MB' ELSE '1GB' END);
        EXECUTE pg_catalog.format('ALTER ROLE %I SET cpd_ledger.login = %L', login,
                                  CASE WHEN login ~ '^cpd_kiosk_' THEN 'kiosk' ELSE 'office' END);
        PERFORM pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
          WHERE a.usename = login;
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END $$;

-- The reaper ends a kiosk or office session whose transaction has lasted longer than
-- max_age_s, and now also one whose statement has run longer (a session without the guard).
CREATE OR REPLACE FUNCTION @extschema@.end_stalled_kiosk_sessions(max_age_s integer)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*)::integer FROM (
        SELECT pg_catalog.pg_terminate_backend(a.pid)
          FROM pg_catalog.pg_stat_activity a
         WHERE a.datname = pg_catalog.current_database()
           AND a.pid <> pg_catalog.pg_backend_pid()
           AND (a.xact_start < pg_catalog.now() - pg_catalog.make_interval(secs => max_age_s)
                OR (a.state = 'active' AND a.query_start
                    < pg_catalog.now() - pg_catalog.make_interval(secs => max_age_s)))
           AND ((a.usename ~ '^cpd_kiosk_[a-z0-9_]+$'
                 AND pg_catalog.pg_has_role(a.usename, 'cpd_kiosk', 'MEMBER'))
             OR (a.usename ~ '^cpd_office_[a-z0-9_]+$'
                 AND pg_catalog.pg_has_role(a.usename, 'cpd_office', 'MEMBER')))) ended
$$;

REVOKE ALL ON FUNCTION @extschema@.guard_logins() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.guard_logins() TO pg_database_owner;
