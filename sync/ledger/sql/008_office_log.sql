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
-- enrolments (schema 1) then finds the row there and does nothing.
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

UPDATE cpd.schema_version SET version = 8;
