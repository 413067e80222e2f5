-- Ledger schema version 1: the central ledger of every kiosk's events, and what kiosks pull.
-- Applied by `cpd-admin ledger init`, connected as the ledger's owner (neither superuser nor
-- CREATEROLE), in one transaction, after a superuser ran CREATE EXTENSION cpd_ledger once.
--
-- Rules every SECURITY DEFINER function here keeps (docs/threat-model.md says why each is
-- safe): search_path is pinned to pg_catalog, cpd with pg_temp last; every table is named with
-- its schema; nothing is looked up by a name the caller can create (no temp tables, no dynamic
-- SQL); the kiosk is taken from the login, never from an argument.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'cpd_ledger') THEN
        RAISE EXCEPTION 'the cpd_ledger extension is not in this database: a superuser must run '
                        'CREATE EXTENSION cpd_ledger first (docs/head-office.md)'
            USING ERRCODE = 'CP010';
    END IF;
END $$;
-- (The database-wide hardening — TEMPORARY, CREATE on public, CONNECT — is applied by every
-- `ledger init`, current schema or not: sync/ledger/ledger.c, harden_sql.)

CREATE SCHEMA cpd;

CREATE TABLE cpd.schema_version (version integer NOT NULL);
INSERT INTO cpd.schema_version VALUES (0);

-- Which ledger this is: kiosks remember it, and start their pull afresh when it changes.
CREATE TABLE cpd.ledger (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- a kiosk session holding a transaction longer than this is ended by the next sync
    stall_limit_s integer NOT NULL DEFAULT 60 CHECK (stall_limit_s BETWEEN 1 AND 3600)
);
INSERT INTO cpd.ledger DEFAULT VALUES;

CREATE TABLE cpd.kiosks (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,63}$'),
    public_key bytea NOT NULL CHECK (length(public_key) = 32), -- the current key
    role name NOT NULL UNIQUE,
    registered_at timestamptz NOT NULL DEFAULT now(),
    last_seq bigint NOT NULL DEFAULT 0,
    last_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
    last_push_at timestamptz
);

-- Every key a kiosk has had: events from from_seq on are signed with public_key. Written by
-- register_kiosk and rotate_key only; kept in the keyring file outside the database as well.
CREATE TABLE cpd.kiosk_keys (
    kiosk text NOT NULL REFERENCES cpd.kiosks (id),
    from_seq bigint NOT NULL CHECK (from_seq > 0),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by name NOT NULL DEFAULT current_user,
    PRIMARY KEY (kiosk, from_seq)
);

-- No foreign key to kiosks: only cpd.push_events writes here, with the kiosk taken from the
-- login, and a per-row referential check would double the cost of a push. The checks mirror
-- the kiosk's own field limits (core/event.h); the module checks the same again.
CREATE TABLE cpd.events (
    kiosk text NOT NULL,
    seq bigint NOT NULL CHECK (seq > 0),
    uuid uuid NOT NULL, -- unique per kiosk: one kiosk cannot take another's next uuid
    -- the types a kiosk writes (core/event.c); the module refuses any other too
    type text NOT NULL CHECK (type IN ('sign_in', 'sign_out', 'auto_close', 'already_in',
        'already_out', 'leave_prompt', 'choose_prompt', 'no_session', 'unknown_badge',
        'random_uid', 'inactive_badge', 'trainer_badge', 'manual_sign_in', 'manual_sign_out',
        'approve', 'correction', 'badge_enrolled')),
    person text NOT NULL CHECK (length(person) < 64),
    session text NOT NULL CHECK (length(session) < 64),
    wall_us bigint NOT NULL,
    mono_us bigint NOT NULL,
    clock text NOT NULL CHECK (length(clock) < 32),
    payload text NOT NULL CHECK (octet_length(payload) < 1024),
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    sig bytea NOT NULL CHECK (length(sig) = 64),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk, seq),
    UNIQUE (kiosk, uuid)
);
CREATE INDEX events_person ON cpd.events (person, wall_us);

-- What head office owns and kiosks pull. Every row carries the id of the transaction that last
-- wrote it: kiosks pull by it, bounded by the oldest transaction still running, so a row whose
-- transaction commits late is never skipped (design.md §8).
CREATE FUNCTION cpd.touch() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.txid := pg_catalog.pg_current_xact_id();
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
-- enrolled_by: the kiosk whose badge_enrolled event added the badge; NULL when head office did.
CREATE TABLE cpd.badges (
    uid_hash bytea PRIMARY KEY CHECK (length(uid_hash) = 32),
    last4 text NOT NULL,
    staff_no text NOT NULL REFERENCES cpd.people (staff_no),
    active boolean NOT NULL DEFAULT true,
    enrolled_by text,
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

-- ---- what a kiosk login may call ---------------------------------------------------------

CREATE FUNCTION cpd.schema() RETURNS integer LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT version FROM cpd.schema_version
$$;

-- Whether the caller may pull: a registered kiosk (a member of cpd_kiosk that is not — a login
-- of another ledger database in the same cluster — is refused), or the owner (imports).
CREATE FUNCTION cpd.may_pull() RETURNS boolean LANGUAGE sql STABLE
    SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT NOT pg_catalog.pg_has_role(session_user, 'cpd_kiosk', 'MEMBER')
        OR EXISTS (SELECT 1 FROM cpd.kiosks k WHERE k.role = session_user)
$$;

-- The calling kiosk's chain tip in the ledger and which ledger this is: what the kiosk
-- compares with its own store before pushing (design.md §8, divergence). First it ends other
-- kiosk sessions that have sat on a transaction for longer than cpd.ledger.stall_limit_s (a
-- minute: they would hold back this kiosk's pull, whatever timeouts they set themselves).
CREATE FUNCTION cpd.kiosk_status()
    RETURNS TABLE (kiosk text, last_seq bigint, last_hash bytea, ledger_id text, cluster_id text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
BEGIN
    PERFORM cpd_ledger.end_stalled_kiosk_sessions((SELECT l.stall_limit_s FROM cpd.ledger l
                                                    LIMIT 1));
    RETURN QUERY SELECT k.id, k.last_seq, k.last_hash,
                        (SELECT l.id::text FROM cpd.ledger l LIMIT 1), cpd_ledger.cluster_id()
                   FROM cpd.kiosks k WHERE k.role = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % is not a registered kiosk', session_user USING ERRCODE = '42501';
    END IF;
END $$;

-- Push: the kiosk's events, in seq order, as parallel arrays (no temporary table: nothing a
-- caller could create or shadow). Events the ledger already holds are skipped when identical
-- and refused as tampering when not; the new ones are checked by the module — well-formed,
-- known type, chain, hash and the signature of every one — before any is stored. Badge
-- enrolments among them join the roster's badges. Returns the highest seq the ledger holds for
-- the kiosk: the kiosk's acknowledgement.
CREATE FUNCTION cpd.push_events(p_seq bigint[], p_uuid uuid[], p_type text[], p_person text[],
                                p_session text[], p_wall bigint[], p_mono bigint[],
                                p_clock text[], p_payload text[], p_prev bytea[], p_hash bytea[],
                                p_sig bytea[])
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, cpd, pg_temp AS $$
DECLARE
    k cpd.kiosks;
    bad record;
    fresh integer;
    tip bytea;
    key_from bigint[];
    keys bytea[];
BEGIN
    -- The batch's size before anything else is done with it.
    IF coalesce(pg_catalog.cardinality(p_seq), 0) > 10000 THEN
        RAISE EXCEPTION 'push: % events in one batch (at most 10000)',
            pg_catalog.cardinality(p_seq) USING ERRCODE = 'CP005';
    END IF;
    SELECT * INTO k FROM cpd.kiosks WHERE role = session_user FOR UPDATE; -- one push at a time
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % is not a registered kiosk', session_user USING ERRCODE = '42501';
    END IF;
    -- What the ledger already holds must be exactly what the kiosk holds (after a kill or a
    -- restore the kiosk re-sends some; usually there are none, and the check is skipped).
    IF (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(p_seq) AS x) <= k.last_seq THEN
        SELECT b.seq, b.uuid INTO bad
          FROM ROWS FROM (pg_catalog.unnest(p_seq), pg_catalog.unnest(p_uuid),
                          pg_catalog.unnest(p_type), pg_catalog.unnest(p_person),
                          pg_catalog.unnest(p_session), pg_catalog.unnest(p_wall),
                          pg_catalog.unnest(p_mono), pg_catalog.unnest(p_clock),
                          pg_catalog.unnest(p_payload), pg_catalog.unnest(p_prev),
                          pg_catalog.unnest(p_hash), pg_catalog.unnest(p_sig))
               AS b(seq, uuid, type, person, session, wall_us, mono_us, clock, payload, prev_hash,
                    hash, sig)
          LEFT JOIN cpd.events e ON e.kiosk = k.id AND e.seq = b.seq
         WHERE b.seq <= k.last_seq
           AND (e.uuid, e.type, e.person, e.session, e.wall_us, e.mono_us, e.clock, e.payload,
                e.prev_hash, e.hash, e.sig)
               IS DISTINCT FROM (b.uuid, b.type, b.person, b.session, b.wall_us, b.mono_us, b.clock,
                                 b.payload, b.prev_hash, b.hash, b.sig)
         ORDER BY b.seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'tampering: event % (seq %) differs from what the ledger holds for '
                            'kiosk %', bad.uuid, bad.seq, k.id USING ERRCODE = 'CP001';
        END IF;
    END IF;
    SELECT pg_catalog.array_agg(kk.from_seq ORDER BY kk.from_seq),
           pg_catalog.array_agg(kk.public_key ORDER BY kk.from_seq)
      INTO key_from, keys FROM cpd.kiosk_keys kk WHERE kk.kiosk = k.id;
    fresh := cpd_ledger.check_events(k.id, k.last_seq, k.last_hash, coalesce(key_from, '{}'),
                                     coalesce(keys, '{}'), p_seq, p_uuid::text[], p_type,
                                     p_person, p_session, p_wall, p_mono, p_clock, p_payload,
                                     p_prev, p_hash, p_sig);
    IF fresh = 0 THEN
        UPDATE cpd.kiosks SET last_push_at = pg_catalog.now() WHERE id = k.id;
        RETURN k.last_seq;
    END IF;
    INSERT INTO cpd.events (kiosk, seq, uuid, type, person, session, wall_us, mono_us, clock,
                            payload, prev_hash, hash, sig)
    SELECT k.id, b.*
      FROM ROWS FROM (pg_catalog.unnest(p_seq), pg_catalog.unnest(p_uuid),
                      pg_catalog.unnest(p_type), pg_catalog.unnest(p_person),
                      pg_catalog.unnest(p_session), pg_catalog.unnest(p_wall),
                      pg_catalog.unnest(p_mono), pg_catalog.unnest(p_clock),
                      pg_catalog.unnest(p_payload), pg_catalog.unnest(p_prev),
                      pg_catalog.unnest(p_hash), pg_catalog.unnest(p_sig))
           AS b(seq, uuid, type, person, session, wall_us, mono_us, clock, payload, prev_hash,
                hash, sig)
     WHERE b.seq > k.last_seq;
    SELECT b.hash INTO tip FROM ROWS FROM (pg_catalog.unnest(p_seq),
                                           pg_catalog.unnest(p_hash)) AS b(seq, hash)
     WHERE b.seq = k.last_seq + fresh;
    -- Enrolments made on this kiosk join the roster — staff only: a trainer's badge opens
    -- trainer mode, so only head office gives one; head office's own badge rows win.
    IF 'badge_enrolled' = ANY (p_type) THEN
        INSERT INTO cpd.badges (uid_hash, last4, staff_no, enrolled_by)
        SELECT DISTINCT ON (x.uid_hash) x.uid_hash, x.last4, x.person, k.id
          FROM (SELECT pg_catalog.decode(j.p ->> 'badge_hash', 'hex') AS uid_hash,
                       j.p ->> 'badge' AS last4, j.person
                  FROM (SELECT b.person, b.payload::jsonb AS p
                          FROM ROWS FROM (pg_catalog.unnest(p_seq), pg_catalog.unnest(p_type),
                                          pg_catalog.unnest(p_person), pg_catalog.unnest(p_payload))
                               AS b(seq, type, person, payload)
                         WHERE b.seq > k.last_seq AND b.type = 'badge_enrolled') j
                 WHERE (j.p ->> 'badge_hash') ~ '^[0-9a-f]{64}$'
                   AND (j.p ->> 'badge') ~ '^[0-9A-F]{4}$') x
          JOIN cpd.people p ON p.staff_no = x.person AND p.role = 'staff'
        ON CONFLICT (uid_hash) DO NOTHING;
    END IF;
    UPDATE cpd.kiosks SET last_seq = k.last_seq + fresh, last_hash = tip,
                          last_push_at = pg_catalog.now()
     WHERE id = k.id;
    RETURN k.last_seq + fresh;
END $$;

-- A kiosk's own events after a seq, for a kiosk restored from an old backup to take back.
CREATE FUNCTION cpd.pull_own_events(after bigint, max_rows integer)
    RETURNS TABLE (seq bigint, uuid text, type text, person text, session text, wall_us bigint,
                   mono_us bigint, clock text, payload text, prev_hash bytea, hash bytea,
                   sig bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT e.seq, e.uuid::text, e.type, e.person, e.session, e.wall_us, e.mono_us, e.clock,
           e.payload, e.prev_hash, e.hash, e.sig
      FROM cpd.events e JOIN cpd.kiosks k ON k.id = e.kiosk
     WHERE k.role = session_user AND e.seq > after
     ORDER BY e.seq LIMIT least(greatest(max_rows, 1), 10000)
$$;

-- The calling kiosk's keys, from the seq each signs: what a restored kiosk checks its own
-- events against when it takes them back after a key change.
CREATE FUNCTION cpd.own_keys() RETURNS TABLE (from_seq bigint, public_key bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT kk.from_seq, kk.public_key FROM cpd.kiosk_keys kk JOIN cpd.kiosks k ON k.id = kk.kiosk
     WHERE k.role = session_user ORDER BY kk.from_seq
$$;

-- Pull: everything written by transactions in [since, upto), where upto is the oldest
-- transaction still running when this snapshot was taken. Call pull_upto() first, in the same
-- REPEATABLE READ transaction; the next pull starts from it.
-- (The oldest transaction of this database, not of the cluster: another database's open
-- transaction cannot hold back the ledger's kiosks.)
CREATE FUNCTION cpd.pull_upto() RETURNS xid8 LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT cpd_ledger.database_xmin()
$$;
CREATE FUNCTION cpd.pull_people(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, name text, academy text, role text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT staff_no, name, academy, role, active FROM cpd.people
     WHERE txid >= since AND txid < upto AND cpd.may_pull() ORDER BY staff_no
$$;
CREATE FUNCTION cpd.pull_badges(since xid8, upto xid8)
    RETURNS TABLE (uid_hash bytea, last4 text, staff_no text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT uid_hash, last4, staff_no, active FROM cpd.badges
     WHERE txid >= since AND txid < upto AND cpd.may_pull() ORDER BY uid_hash
$$;
CREATE FUNCTION cpd.pull_courses(since xid8, upto xid8)
    RETURNS TABLE (code text, period text, category text, title text, delivery text, kind text,
                   credits_q integer, grp text, frequency text, due text, note text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT code, period, category, title, delivery, kind, credits_q, grp, frequency, due, note
      FROM cpd.courses WHERE txid >= since AND txid < upto AND cpd.may_pull() ORDER BY code
$$;
CREATE FUNCTION cpd.pull_sessions(since xid8, upto xid8)
    RETURNS TABLE (code text, date text, start_time text, end_time text, location text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT code, pg_catalog.to_char(date, 'YYYY-MM-DD'), pg_catalog.to_char(start_time, 'HH24:MI'),
           pg_catalog.to_char(end_time, 'HH24:MI'), location
      FROM cpd.sessions WHERE txid >= since AND txid < upto AND cpd.may_pull() ORDER BY code
$$;
CREATE FUNCTION cpd.pull_bookings(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, session text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT staff_no, session, active FROM cpd.bookings
     WHERE txid >= since AND txid < upto AND cpd.may_pull() ORDER BY staff_no, session
$$;
-- Credits earned elsewhere, as much as a kiosk shows: whether there is a certificate, never
-- its number, and no free-text note.
CREATE FUNCTION cpd.pull_external_credits(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, programme text, date text, source text, credits_q integer,
                   has_certificate boolean, directed boolean, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT staff_no, programme, pg_catalog.to_char(date, 'YYYY-MM-DD'), source, credits_q,
           certificate <> '', directed, active
      FROM cpd.external_credits WHERE txid >= since AND txid < upto AND cpd.may_pull()
     ORDER BY staff_no, programme, date
$$;
CREATE FUNCTION cpd.server_time_us() RETURNS bigint LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT (extract(epoch FROM pg_catalog.clock_timestamp()) * 1000000)::bigint
$$;

-- ---- the owner's: registering kiosks and changing their keys ------------------------------

-- A new kiosk and its first key. An id that exists is refused unless it is the same key (a
-- repeated add-kiosk is harmless); a key change is rotate_key, with a reason.
CREATE FUNCTION cpd.register_kiosk(p_id text, p_public_key bytea, p_role name)
    RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, cpd, pg_temp AS $$
DECLARE
    k cpd.kiosks;
BEGIN
    SELECT * INTO k FROM cpd.kiosks WHERE id = p_id FOR UPDATE;
    IF FOUND AND k.public_key = p_public_key THEN
        RETURN;
    ELSIF FOUND THEN
        RAISE EXCEPTION 'kiosk % is registered with another key: a key change is '
                        'cpd-admin ledger rotate-key, with a reason', p_id
            USING ERRCODE = 'CP006';
    END IF;
    IF EXISTS (SELECT 1 FROM cpd.kiosk_keys WHERE public_key = p_public_key) THEN
        RAISE EXCEPTION 'this public key is already kiosk %''s: every kiosk has its own',
            (SELECT kiosk FROM cpd.kiosk_keys WHERE public_key = p_public_key LIMIT 1)
            USING ERRCODE = 'CP006';
    END IF;
    IF EXISTS (SELECT 1 FROM cpd.kiosks WHERE role = p_role) THEN
        RAISE EXCEPTION 'kiosk id % gives the login role %, which kiosk % already has: choose '
                        'another id', p_id, p_role, (SELECT id FROM cpd.kiosks WHERE role = p_role)
            USING ERRCODE = 'CP006';
    END IF;
    INSERT INTO cpd.kiosks (id, public_key, role) VALUES (p_id, p_public_key, p_role);
    INSERT INTO cpd.kiosk_keys (kiosk, from_seq, public_key, reason)
         VALUES (p_id, 1, p_public_key, 'registered');
END $$;

-- A new key for events from p_from_seq on (default: the next one the ledger does not hold).
-- Returns the seq it applies from.
CREATE FUNCTION cpd.rotate_key(p_id text, p_public_key bytea, p_reason text, p_from_seq bigint)
    RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, cpd, pg_temp AS $$
DECLARE
    k cpd.kiosks;
    v_from bigint;
BEGIN
    SELECT * INTO k FROM cpd.kiosks WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no kiosk %', p_id USING ERRCODE = 'CP007';
    END IF;
    v_from := coalesce(p_from_seq, k.last_seq + 1);
    IF v_from <= k.last_seq THEN
        RAISE EXCEPTION 'kiosk % has pushed up to seq %: a new key can only apply after it',
            p_id, k.last_seq USING ERRCODE = 'CP007';
    END IF;
    IF coalesce(p_reason, '') = '' THEN
        RAISE EXCEPTION 'a key change needs a reason' USING ERRCODE = 'CP007';
    END IF;
    IF EXISTS (SELECT 1 FROM cpd.kiosk_keys WHERE public_key = p_public_key) THEN
        RAISE EXCEPTION 'that key is already in use (kiosk %): a new key is a new key',
            (SELECT kiosk FROM cpd.kiosk_keys WHERE public_key = p_public_key LIMIT 1)
            USING ERRCODE = 'CP007';
    END IF;
    DELETE FROM cpd.kiosk_keys kk WHERE kk.kiosk = p_id AND kk.from_seq >= v_from;
    INSERT INTO cpd.kiosk_keys (kiosk, from_seq, public_key, reason)
         VALUES (p_id, v_from, p_public_key, p_reason);
    UPDATE cpd.kiosks SET public_key = p_public_key WHERE id = p_id;
    RETURN v_from;
END $$;

-- ---- what the office reads: views meant for reports ---------------------------------------

CREATE VIEW cpd.office_people AS
    SELECT staff_no, name, academy, role, active FROM cpd.people;
CREATE VIEW cpd.office_courses AS
    SELECT code, period, category, title, delivery, kind, credits_q, grp, frequency, due, note
      FROM cpd.courses;
CREATE VIEW cpd.office_sessions AS
    SELECT code, date, start_time, end_time, location FROM cpd.sessions;
CREATE VIEW cpd.office_bookings AS
    SELECT staff_no, session, active FROM cpd.bookings;
CREATE VIEW cpd.office_external_credits AS
    SELECT staff_no, programme, date, source, credits_q, certificate, directed, note, active
      FROM cpd.external_credits;
CREATE VIEW cpd.office_events AS
    SELECT kiosk, seq, uuid, type, person, session, wall_us, clock, payload, received_at
      FROM cpd.events;
CREATE VIEW cpd.office_kiosks AS
    SELECT id, registered_at, last_seq, last_push_at FROM cpd.kiosks;

-- ---- privileges ----------------------------------------------------------------------------

REVOKE ALL ON SCHEMA cpd FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cpd FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA cpd FROM PUBLIC;
GRANT USAGE ON SCHEMA cpd TO cpd_kiosk, cpd_office;
GRANT EXECUTE ON FUNCTION cpd.schema(), cpd.kiosk_status(),
    cpd.push_events(bigint[], uuid[], text[], text[], text[], bigint[], bigint[], text[], text[],
                    bytea[], bytea[], bytea[]),
    cpd.pull_own_events(bigint, integer), cpd.own_keys(), cpd.pull_upto(),
    cpd.pull_people(xid8, xid8), cpd.pull_badges(xid8, xid8), cpd.pull_courses(xid8, xid8),
    cpd.pull_sessions(xid8, xid8), cpd.pull_bookings(xid8, xid8),
    cpd.pull_external_credits(xid8, xid8), cpd.server_time_us() TO cpd_kiosk;
GRANT SELECT ON cpd.office_people, cpd.office_courses, cpd.office_sessions, cpd.office_bookings,
    cpd.office_external_credits, cpd.office_events, cpd.office_kiosks TO cpd_office;
GRANT EXECUTE ON FUNCTION cpd.schema(), cpd.server_time_us() TO cpd_office;

-- Events are append-only in the ledger too: UPDATE, DELETE and TRUNCATE are refused (an owner
-- who disables the trigger is found by verify against the keyring and checkpoints).
CREATE FUNCTION cpd.refuse_change() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cpd.events
    FOR EACH ROW EXECUTE FUNCTION cpd.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON cpd.events
    FOR EACH STATEMENT EXECUTE FUNCTION cpd.refuse_change();

UPDATE cpd.schema_version SET version = 1;
