-- Ledger schema version 4: a credit a kiosk voided (credit_voided) and a booking it cancelled
-- (booking_cancelled) stop counting on every kiosk, as a revoked badge does (schema 2): the
-- ledger records each in its own table, makes the row inactive so every kiosk's next pull
-- removes it, and head office's import never brings it back (sync/ledger/ledger.c checks these
-- tables). Only the person the event names, and only a well-formed date. The office's views
-- say which credits were voided, so its reports show them with who and why. Applied by
-- `cpd-admin ledger init` on a version 3 ledger, as its owner, in one transaction.

CREATE TABLE cpd.voided_credits (
    staff_no text NOT NULL,
    programme text NOT NULL,
    date date NOT NULL,
    PRIMARY KEY (staff_no, programme, date)
);
CREATE TABLE cpd.cancelled_bookings (
    staff_no text NOT NULL,
    session text NOT NULL,
    PRIMARY KEY (staff_no, session)
);
REVOKE ALL ON cpd.voided_credits, cpd.cancelled_bookings FROM PUBLIC;

CREATE FUNCTION cpd.apply_void() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, cpd, pg_temp AS $$
DECLARE
    v_programme text := NEW.payload::jsonb ->> 'programme';
    v_date text := NEW.payload::jsonb ->> 'date';
BEGIN
    IF NEW.type = 'credit_voided' AND v_programme IS NOT NULL
       AND v_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        INSERT INTO cpd.voided_credits VALUES (NEW.person, v_programme, v_date::date)
            ON CONFLICT DO NOTHING;
        UPDATE cpd.external_credits SET active = false
         WHERE staff_no = NEW.person AND programme = v_programme AND date = v_date::date
           AND active;
    ELSIF NEW.type = 'booking_cancelled' AND NEW.session <> '' THEN
        INSERT INTO cpd.cancelled_bookings VALUES (NEW.person, NEW.session)
            ON CONFLICT DO NOTHING;
        UPDATE cpd.bookings SET active = false
         WHERE staff_no = NEW.person AND session = NEW.session AND active;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION cpd.apply_void() FROM PUBLIC;
CREATE TRIGGER apply_void AFTER INSERT ON cpd.events FOR EACH ROW
    WHEN (NEW.type IN ('credit_voided', 'booking_cancelled')) EXECUTE FUNCTION cpd.apply_void();

CREATE OR REPLACE VIEW cpd.office_external_credits AS
    SELECT staff_no, programme, date, source, credits_q, certificate, directed, note, active,
           EXISTS (SELECT 1 FROM cpd.voided_credits v WHERE v.staff_no = c.staff_no
                      AND v.programme = c.programme AND v.date = c.date) AS voided
      FROM cpd.external_credits c;

UPDATE cpd.schema_version SET version = 4;
