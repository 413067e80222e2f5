-- Ledger schema version 2: corrections and clock integrity. A kiosk or the office voids an
-- attendance recorded by mistake (void_attendance), a credit recorded elsewhere
-- (credit_voided) or a booking (booking_cancelled), or revokes a lost badge (badge_revoked); a
-- kiosk refuses a tap on a clock it cannot believe and records it (clock_refused) —
-- core/domain/event.c. The events table takes both
-- like every other type the kiosk writes. Applied by `cpd-admin ledger init` on a
-- version 1 ledger, as its owner, in one transaction.

ALTER TABLE cpd.events DROP CONSTRAINT events_type_check;
ALTER TABLE cpd.events ADD CONSTRAINT events_type_check CHECK (type IN ('sign_in', 'sign_out',
    'auto_close', 'already_in', 'already_out', 'leave_prompt', 'choose_prompt', 'no_session',
    'unknown_badge', 'random_uid', 'inactive_badge', 'trainer_badge', 'manual_sign_in',
    'manual_sign_out', 'approve', 'correction', 'badge_enrolled', 'void_attendance',
    'clock_refused', 'badge_revoked', 'credit_voided', 'booking_cancelled'));

-- A badge a kiosk revoked (reported lost or replaced) goes inactive in the roster every kiosk
-- pulls, so it is refused on all of them — only a badge of the person the event names. The
-- insert is push_events' (the owner's), so the trigger runs with the owner's rights and needs
-- none of its own; the search path is pinned like every function here.
CREATE FUNCTION cpd.apply_revocation() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, cpd, pg_temp AS $$
BEGIN
    IF (NEW.payload::jsonb ->> 'badge_hash') ~ '^[0-9a-f]{64}$' THEN
        UPDATE cpd.badges SET active = false
         WHERE uid_hash = pg_catalog.decode(NEW.payload::jsonb ->> 'badge_hash', 'hex')
           AND staff_no = NEW.person AND active;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION cpd.apply_revocation() FROM PUBLIC;
CREATE TRIGGER apply_revocation AFTER INSERT ON cpd.events FOR EACH ROW
    WHEN (NEW.type = 'badge_revoked') EXECUTE FUNCTION cpd.apply_revocation();

UPDATE cpd.schema_version SET version = 2;
