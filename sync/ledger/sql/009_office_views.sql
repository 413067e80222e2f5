-- Ledger schema version 9: kiosks check everything they pull against head office's signature,
-- not only the roster. A kiosk may read the newest signed record of the programme, the
-- roster and the bookings as they are; the credits record holds certificate numbers and
-- notes a kiosk never sees, so each credits record is followed by a `credits_seen` record,
-- signed and chained like the rest: the same rows as a kiosk pulls them (whether there is a
-- certificate, whether the note gives a reason). `verify --ledger` derives it again from the
-- credits record before it and names one that differs (sync/ledger/ledger_office.c). Applied
-- by `cpd-admin ledger init` on a version 8 ledger, as its owner, in one transaction.

ALTER TABLE cpd.office_log DROP CONSTRAINT office_log_kind_check;
ALTER TABLE cpd.office_log ADD CONSTRAINT office_log_kind_check
    CHECK (kind IN ('genesis', 'programme', 'roster', 'bookings', 'credits', 'credits_seen'));

-- The newest signed record of one kind a kiosk may read (never 'credits': its certificates).
-- No row when there is none, or for any other kind.
CREATE FUNCTION cpd.pull_office_record(p_kind text)
    RETURNS TABLE (seq bigint, at_us bigint, tips text, body text, prev_hash bytea, hash bytea,
                   sig bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT l.seq, l.at_us, l.tips, l.body, l.prev_hash, l.hash, l.sig FROM cpd.office_log l
     WHERE l.kind = p_kind AND p_kind IN ('programme', 'roster', 'bookings', 'credits_seen')
     ORDER BY l.seq DESC LIMIT 1
$$;
REVOKE ALL ON FUNCTION cpd.pull_office_record(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cpd.pull_office_record(text) TO cpd_kiosk;

UPDATE cpd.schema_version SET version = 9;
