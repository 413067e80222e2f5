-- Ledger schema version 8: head office's own rows as provable as the events. Every change to
-- the people, badges, programme, bookings and credits (each `cpd-admin ledger import`, and the
-- first record `ledger init --office-key` writes) is a record here: the kind's whole state as
-- the import left it, each kiosk's chain tip it saw, chained by hash to the record before and
-- signed by head office's own key (kept off this server, like the keyring). The tables stay
-- what kiosks pull and the office reads; `verify --ledger` recomputes them from the newest
-- record of each kind and the kiosks' signed events after its tips, and names any row that
-- differs (sync/ledger/ledger_office.c). Append-only like the events. Applied by
-- `cpd-admin ledger init` on a version 7 ledger, as its owner, in one transaction.

CREATE TABLE cpd.office_log (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    kind text NOT NULL CHECK (kind IN ('genesis', 'programme', 'roster', 'bookings', 'credits')),
    at_us bigint NOT NULL,
    tips text NOT NULL,
    body text NOT NULL,
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    sig bytea NOT NULL CHECK (length(sig) = 64)
);
REVOKE ALL ON cpd.office_log FROM PUBLIC;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cpd.office_log
    FOR EACH ROW EXECUTE FUNCTION cpd.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON cpd.office_log
    FOR EACH STATEMENT EXECUTE FUNCTION cpd.refuse_change();

-- A badge a kiosk enrolled joins the roster as its event is inserted, like a revocation
-- (schema 2), so a badge enrolled and then revoked in one push ends revoked, in the kiosk's
-- order, and verify replays exactly that order. push_events' own insert of the batch's
-- enrolments is gone (below).
CREATE FUNCTION cpd.apply_enrolment() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, cpd, pg_temp AS $$
BEGIN
    IF (NEW.payload::jsonb ->> 'badge_hash') ~ '^[0-9a-f]{64}$'
       AND (NEW.payload::jsonb ->> 'badge') ~ '^[0-9A-F]{4}$' THEN
        INSERT INTO cpd.badges (uid_hash, last4, staff_no, enrolled_by)
        SELECT pg_catalog.decode(NEW.payload::jsonb ->> 'badge_hash', 'hex'),
               NEW.payload::jsonb ->> 'badge', p.staff_no, NEW.kiosk
          FROM cpd.people p WHERE p.staff_no = NEW.person AND p.role = 'staff'
        ON CONFLICT (uid_hash) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION cpd.apply_enrolment() FROM PUBLIC;
CREATE TRIGGER apply_enrolment AFTER INSERT ON cpd.events FOR EACH ROW
    WHEN (NEW.type = 'badge_enrolled') EXECUTE FUNCTION cpd.apply_enrolment();

-- A badge a kiosk revoked stays off: head office's roster import brings a badge back on only
-- when no kiosk revoked it (a lost badge is lost for good; the person gets a new one). Only a
-- revocation that turned a badge off is kept, so an event naming someone else's badge blocks
-- nothing.
CREATE TABLE cpd.revoked_badges (
    uid_hash bytea PRIMARY KEY CHECK (length(uid_hash) = 32)
);
REVOKE ALL ON cpd.revoked_badges FROM PUBLIC;
INSERT INTO cpd.revoked_badges
    SELECT DISTINCT b.uid_hash FROM cpd.badges b JOIN cpd.events e
        ON e.type = 'badge_revoked' AND e.person = b.staff_no
       AND (e.payload::jsonb ->> 'badge_hash') ~ '^[0-9a-f]{64}$'
       AND pg_catalog.decode(e.payload::jsonb ->> 'badge_hash', 'hex') = b.uid_hash
     WHERE NOT b.active;
CREATE OR REPLACE FUNCTION cpd.apply_revocation() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, cpd, pg_temp AS $$
DECLARE
    v_hash bytea;
    v_rows bigint;
BEGIN
    IF (NEW.payload::jsonb ->> 'badge_hash') ~ '^[0-9a-f]{64}$' THEN
        v_hash := pg_catalog.decode(NEW.payload::jsonb ->> 'badge_hash', 'hex');
        UPDATE cpd.badges SET active = false
         WHERE uid_hash = v_hash AND staff_no = NEW.person AND active;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows > 0 THEN
            INSERT INTO cpd.revoked_badges VALUES (v_hash) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- The newest signed roster (people and badges), for a kiosk to check what it pulls against
-- head office's signature (sync/sync_office.c): the same rows kiosks pull already.
CREATE FUNCTION cpd.pull_office_roster()
    RETURNS TABLE (seq bigint, at_us bigint, tips text, body text, prev_hash bytea, hash bytea,
                   sig bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT l.seq, l.at_us, l.tips, l.body, l.prev_hash, l.hash, l.sig FROM cpd.office_log l
     WHERE l.kind = 'roster' ORDER BY l.seq DESC LIMIT 1
$$;
REVOKE ALL ON FUNCTION cpd.pull_office_roster() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cpd.pull_office_roster() TO cpd_kiosk;

-- Trust-wide reports read the credit year asked, not every year the ledger holds.
CREATE INDEX events_wall ON cpd.events (wall_us);

-- push_events as in schema 1, but for two things: a batch whose arrays differ in length is
-- refused as malformed before anything is compared (it read as "tampering", one error per
-- retry), and the batch's enrolments are the trigger's (above).
CREATE OR REPLACE FUNCTION cpd.push_events(p_seq bigint[], p_uuid uuid[], p_type text[], p_person text[],
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
    -- One element of each array per event: a batch of another shape is malformed, said once
    -- as such, never compared with what the ledger holds (that read as tampering).
    IF coalesce(pg_catalog.cardinality(p_uuid), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_type), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_person), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_session), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_wall), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_mono), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_clock), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_payload), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_prev), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_hash), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
       OR coalesce(pg_catalog.cardinality(p_sig), -1) <> coalesce(pg_catalog.cardinality(p_seq), -1)
    THEN
        RAISE EXCEPTION 'push: malformed batch (the arrays differ in length)' USING ERRCODE = 'CP005';
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
    -- Enrolments joined the roster as their events went in (cpd.apply_enrolment): staff
    -- only, head office's own badge rows win.
    UPDATE cpd.kiosks SET last_seq = k.last_seq + fresh, last_hash = tip,
                          last_push_at = pg_catalog.now()
     WHERE id = k.id;
    RETURN k.last_seq + fresh;
END $$;

UPDATE cpd.schema_version SET version = 8;
