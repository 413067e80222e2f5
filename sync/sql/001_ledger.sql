-- Ledger schema version 1: the central ledger of every kiosk's events, and what kiosks pull.
-- Applied by `cpd-admin ledger init` in one transaction; @MODULE@ is the path of the
-- cpd_ledger extension module (default $libdir/cpd_ledger).

CREATE SCHEMA cpd;

CREATE TABLE cpd.schema_version (version integer NOT NULL);
INSERT INTO cpd.schema_version VALUES (0);

-- Ed25519 signature check (libsodium), from our C module: PostgreSQL has none built in.
CREATE FUNCTION cpd.ed25519_verify(sig bytea, msg bytea, pk bytea) RETURNS boolean
    AS '@MODULE@', 'cpd_ed25519_verify' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TABLE cpd.kiosks (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,63}$'),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    role name NOT NULL UNIQUE,
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_seq bigint NOT NULL DEFAULT 0,
    last_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
    last_push_at timestamptz
);

-- No foreign key to kiosks: only cpd.push_events writes here, with the kiosk taken from the
-- login, and a per-row referential check would double the cost of a push.
CREATE TABLE cpd.events (
    kiosk text NOT NULL,
    seq bigint NOT NULL CHECK (seq > 0),
    uuid uuid NOT NULL UNIQUE,
    type text NOT NULL,
    person text NOT NULL,
    session text NOT NULL,
    wall_us bigint NOT NULL,
    mono_us bigint NOT NULL,
    clock text NOT NULL,
    payload text NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    sig bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk, seq)
);
CREATE INDEX events_person ON cpd.events (person, wall_us);

-- What head office owns and kiosks pull. Every row carries the id of the transaction that last
-- wrote it: kiosks pull by it, bounded by the oldest transaction still running, so a row whose
-- transaction commits late is never skipped (design.md §8).
CREATE FUNCTION cpd.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TABLE cpd.people (
    staff_no text PRIMARY KEY,
    name text NOT NULL,
    academy text NOT NULL,
    role text NOT NULL CHECK (role IN ('staff', 'trainer')),
    active boolean NOT NULL DEFAULT true,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE cpd.badges (
    uid_hash bytea PRIMARY KEY CHECK (length(uid_hash) = 32),
    last4 text NOT NULL,
    staff_no text NOT NULL REFERENCES cpd.people (staff_no),
    active boolean NOT NULL DEFAULT true,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE cpd.courses (
    code text PRIMARY KEY,
    period text NOT NULL,
    category text NOT NULL,
    title text NOT NULL,
    delivery text NOT NULL,
    kind text NOT NULL,
    credits_q integer,
    grp text NOT NULL DEFAULT '',
    frequency text NOT NULL DEFAULT '',
    due text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE cpd.sessions (
    code text PRIMARY KEY REFERENCES cpd.courses (code),
    date date NOT NULL,
    start_time time NOT NULL,
    end_time time NOT NULL CHECK (end_time > start_time),
    location text NOT NULL DEFAULT '',
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE cpd.bookings (
    staff_no text NOT NULL REFERENCES cpd.people (staff_no),
    session text NOT NULL REFERENCES cpd.sessions (code),
    active boolean NOT NULL DEFAULT true,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (staff_no, session)
);
CREATE TABLE cpd.external_credits (
    staff_no text NOT NULL REFERENCES cpd.people (staff_no),
    programme text NOT NULL REFERENCES cpd.courses (code),
    date date NOT NULL,
    source text NOT NULL CHECK (source IN ('live-teams', 'prerecorded', 'mandatory')),
    credits_q integer NOT NULL CHECK (credits_q >= 0),
    certificate text NOT NULL DEFAULT '',
    directed boolean NOT NULL DEFAULT false,
    note text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (staff_no, programme, date)
);
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.people FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.badges FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.courses FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.sessions FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.bookings FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON cpd.external_credits FOR EACH ROW EXECUTE FUNCTION cpd.touch();
CREATE INDEX people_txid ON cpd.people (txid);
CREATE INDEX badges_txid ON cpd.badges (txid);
CREATE INDEX courses_txid ON cpd.courses (txid);
CREATE INDEX sessions_txid ON cpd.sessions (txid);
CREATE INDEX bookings_txid ON cpd.bookings (txid);
CREATE INDEX external_txid ON cpd.external_credits (txid);

-- An event's hash: SHA-256(prev ‖ canonical encoding), the canonical encoding of core/event.h
-- (each field as "<byte length>:<bytes>\n"), computed by our module — in SQL it would cost
-- ~100 µs an event.
CREATE FUNCTION cpd.event_hash(prev bytea, kiosk text, seq bigint, uuid text, type text,
                               person text, session text, wall_us bigint, mono_us bigint,
                               clock text, payload text)
    RETURNS bytea AS '@MODULE@', 'cpd_event_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The kiosk calling: the one whose login role this session is (never an argument).
CREATE FUNCTION cpd.calling_kiosk() RETURNS cpd.kiosks LANGUAGE plpgsql STABLE
    SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
DECLARE
    k cpd.kiosks;
BEGIN
    SELECT * INTO k FROM cpd.kiosks WHERE role = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % is not a registered kiosk', session_user
            USING ERRCODE = '42501';
    END IF;
    RETURN k;
END $$;

CREATE FUNCTION cpd.schema() RETURNS integer LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT version FROM cpd.schema_version
$$;

-- Push: the kiosk's events, in seq order, checked as one set (fast: no row-by-row loop).
-- Events the ledger already holds are skipped when identical and refused as tampering when not;
-- the new ones must continue the kiosk's chain (seq, prev_hash) and hash to their hash; and the
-- newest one must carry the kiosk's Ed25519 signature — which covers the whole batch, since each
-- hash commits to every event before it. (cpd-admin verify --ledger checks every signature.)
-- Returns the highest seq the ledger holds for the kiosk: the kiosk's acknowledgement.
CREATE FUNCTION cpd.push_events(p_seq bigint[], p_uuid uuid[], p_type text[], p_person text[],
                                p_session text[], p_wall bigint[], p_mono bigint[],
                                p_clock text[], p_payload text[], p_prev bytea[], p_hash bytea[],
                                p_sig bytea[])
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
DECLARE
    k cpd.kiosks;
    bad record;
    tip record;
BEGIN
    k := cpd.calling_kiosk();
    SELECT * INTO k FROM cpd.kiosks WHERE id = k.id FOR UPDATE; -- one push per kiosk at a time
    -- The batch, unpacked once.
    IF to_regclass('pg_temp.push_batch') IS NULL THEN
        CREATE TEMP TABLE push_batch (n bigint, seq bigint, uuid uuid, type text, person text,
            session text, wall_us bigint, mono_us bigint, clock text, payload text,
            prev_hash bytea, hash bytea, sig bytea) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO push_batch
    SELECT row_number() OVER (ORDER BY b.seq), b.*
      FROM unnest(p_seq, p_uuid, p_type, p_person, p_session, p_wall, p_mono, p_clock, p_payload,
                  p_prev, p_hash, p_sig)
           AS b(seq, uuid, type, person, session, wall_us, mono_us, clock, payload, prev_hash,
                hash, sig);
    -- What the ledger already holds must be exactly what the kiosk holds (after a kill or a
    -- restore the kiosk re-sends some; usually there are none).
    IF EXISTS (SELECT 1 FROM push_batch WHERE seq <= k.last_seq) THEN
        SELECT b.seq, b.uuid INTO bad FROM push_batch b
          LEFT JOIN cpd.events e ON e.kiosk = k.id AND e.seq = b.seq
         WHERE b.seq <= k.last_seq
           AND (e.kiosk, e.seq, e.uuid, e.type, e.person, e.session, e.wall_us, e.mono_us,
                e.clock, e.payload, e.prev_hash, e.hash, e.sig)
               IS DISTINCT FROM (k.id, b.seq, b.uuid, b.type, b.person, b.session, b.wall_us,
                                 b.mono_us, b.clock, b.payload, b.prev_hash, b.hash, b.sig)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'tampering: event % (seq %) differs from what the ledger holds for '
                            'kiosk %', bad.uuid, bad.seq, k.id USING ERRCODE = 'CP001';
        END IF;
    END IF;
    -- The new ones continue the chain and hash to their hashes.
    SELECT c.seq, c.problem INTO bad FROM (
        SELECT b.seq,
               CASE WHEN b.seq <> k.last_seq + row_number() OVER w
                      OR b.prev_hash <> coalesce(lag(b.hash) OVER w, k.last_hash)
                    THEN 'chain'
                    WHEN cpd.event_hash(b.prev_hash, k.id, b.seq, b.uuid::text, b.type,
                                        b.person, b.session, b.wall_us, b.mono_us, b.clock,
                                        b.payload)
                         <> b.hash
                    THEN 'hash' END AS problem
          FROM push_batch b
         WHERE b.seq > k.last_seq
        WINDOW w AS (ORDER BY b.n)) c
     WHERE c.problem IS NOT NULL ORDER BY c.seq LIMIT 1;
    IF FOUND AND bad.problem = 'chain' THEN
        RAISE EXCEPTION 'chain break: event seq % does not follow seq % of kiosk %',
            bad.seq, k.last_seq, k.id USING ERRCODE = 'CP002';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'event seq %: hash does not match its content', bad.seq
            USING ERRCODE = 'CP003';
    END IF;
    SELECT b.seq, b.hash, b.sig INTO tip FROM push_batch b
     WHERE b.seq > k.last_seq ORDER BY b.n DESC LIMIT 1;
    IF NOT FOUND THEN
        UPDATE cpd.kiosks SET last_push_at = now() WHERE id = k.id;
        RETURN k.last_seq;
    END IF;
    IF NOT cpd.ed25519_verify(tip.sig, tip.hash, k.public_key) THEN
        RAISE EXCEPTION 'event seq %: signature is not kiosk %''s', tip.seq, k.id
            USING ERRCODE = 'CP004';
    END IF;
    INSERT INTO cpd.events (kiosk, seq, uuid, type, person, session, wall_us, mono_us, clock,
                            payload, prev_hash, hash, sig)
    SELECT k.id, b.seq, b.uuid, b.type, b.person, b.session, b.wall_us, b.mono_us, b.clock,
           b.payload, b.prev_hash, b.hash, b.sig
      FROM push_batch b WHERE b.seq > k.last_seq;
    UPDATE cpd.kiosks SET last_seq = tip.seq, last_hash = tip.hash, last_push_at = now()
     WHERE id = k.id;
    RETURN tip.seq;
END $$;

-- Pull: everything written by transactions in [since, upto), where upto is the oldest
-- transaction still running when this snapshot was taken. Call pull_upto() first, in the same
-- REPEATABLE READ transaction; the next pull starts from it.
CREATE FUNCTION cpd.pull_upto() RETURNS xid8 LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT pg_snapshot_xmin(pg_current_snapshot())
$$;
CREATE FUNCTION cpd.pull_people(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, name text, academy text, role text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT staff_no, name, academy, role, active FROM cpd.people
     WHERE txid >= since AND txid < upto ORDER BY staff_no
$$;
CREATE FUNCTION cpd.pull_badges(since xid8, upto xid8)
    RETURNS TABLE (uid_hash bytea, last4 text, staff_no text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT uid_hash, last4, staff_no, active FROM cpd.badges
     WHERE txid >= since AND txid < upto ORDER BY uid_hash
$$;
CREATE FUNCTION cpd.pull_courses(since xid8, upto xid8)
    RETURNS TABLE (code text, period text, category text, title text, delivery text, kind text,
                   credits_q integer, grp text, frequency text, due text, note text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT code, period, category, title, delivery, kind, credits_q, grp, frequency, due, note
      FROM cpd.courses WHERE txid >= since AND txid < upto ORDER BY code
$$;
CREATE FUNCTION cpd.pull_sessions(since xid8, upto xid8)
    RETURNS TABLE (code text, date text, start_time text, end_time text, location text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT code, to_char(date, 'YYYY-MM-DD'), to_char(start_time, 'HH24:MI'),
           to_char(end_time, 'HH24:MI'), location
      FROM cpd.sessions WHERE txid >= since AND txid < upto ORDER BY code
$$;
CREATE FUNCTION cpd.pull_bookings(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, session text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT staff_no, session, active FROM cpd.bookings
     WHERE txid >= since AND txid < upto ORDER BY staff_no, session
$$;
CREATE FUNCTION cpd.pull_external_credits(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, programme text, date text, source text, credits_q integer,
                   certificate text, directed boolean, note text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = cpd, pg_temp AS $$
    SELECT staff_no, programme, to_char(date, 'YYYY-MM-DD'), source, credits_q, certificate,
           directed, note, active
      FROM cpd.external_credits WHERE txid >= since AND txid < upto
     ORDER BY staff_no, programme, date
$$;
CREATE FUNCTION cpd.server_time_us() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
$$;

-- Registering a kiosk: its login role may only EXECUTE the functions above.
CREATE FUNCTION cpd.register_kiosk(p_id text, p_public_key bytea, p_password text)
    RETURNS name LANGUAGE plpgsql AS $$
DECLARE
    r name := 'cpd_kiosk_' || lower(replace(p_id, '-', '_'));
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE cpd_kiosk', r, p_password);
    ELSE
        EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', r, p_password);
    END IF;
    INSERT INTO cpd.kiosks (id, public_key, role) VALUES (p_id, p_public_key, r)
        ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key
        WHERE cpd.kiosks.last_seq = 0; -- a kiosk with events keeps its key
    RETURN r;
END $$;

-- Roles. cpd_kiosk: the group of kiosk logins; cpd_office: reports (read-only).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpd_kiosk') THEN
        CREATE ROLE cpd_kiosk NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cpd_office') THEN
        CREATE ROLE cpd_office NOLOGIN;
    END IF;
END $$;
REVOKE ALL ON SCHEMA cpd FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cpd FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA cpd FROM PUBLIC;
GRANT USAGE ON SCHEMA cpd TO cpd_kiosk, cpd_office;
GRANT EXECUTE ON FUNCTION cpd.schema(), cpd.push_events(bigint[], uuid[], text[], text[], text[],
    bigint[], bigint[], text[], text[], bytea[], bytea[], bytea[]), cpd.pull_upto(),
    cpd.pull_people(xid8, xid8), cpd.pull_badges(xid8, xid8), cpd.pull_courses(xid8, xid8),
    cpd.pull_sessions(xid8, xid8), cpd.pull_bookings(xid8, xid8),
    cpd.pull_external_credits(xid8, xid8), cpd.server_time_us() TO cpd_kiosk;
GRANT SELECT ON ALL TABLES IN SCHEMA cpd TO cpd_office;
GRANT EXECUTE ON FUNCTION cpd.schema(), cpd.server_time_us(),
    cpd.event_hash(bytea, text, bigint, text, text, text, text, bigint, bigint, text, text),
    cpd.ed25519_verify(bytea, bytea, bytea) TO cpd_office;

-- Events are append-only in the ledger too: only the owner's maintenance may change them.
CREATE FUNCTION cpd.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cpd.events is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cpd.events
    FOR EACH ROW EXECUTE FUNCTION cpd.refuse_change();

UPDATE cpd.schema_version SET version = 1;
