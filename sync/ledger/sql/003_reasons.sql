-- Ledger schema version 3: a kiosk learns that a credit recorded elsewhere says why (its note is
-- not empty), never the note itself — as it learns that there is a certificate, never its
-- number. An unprinted course counts only with a reason (core/domain/credits.c), so without
-- this a kiosk's statement would miss a credit head office's report counts. Applied by
-- `cpd-admin ledger init` on a version 2 ledger, as its owner, in one transaction.

DROP FUNCTION cpd.pull_external_credits(xid8, xid8);
CREATE FUNCTION cpd.pull_external_credits(since xid8, upto xid8)
    RETURNS TABLE (staff_no text, programme text, date text, source text, credits_q integer,
                   has_certificate boolean, directed boolean, active boolean,
                   has_reason boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT staff_no, programme, pg_catalog.to_char(date, 'YYYY-MM-DD'), source, credits_q,
           certificate <> '', directed, active, note <> ''
      FROM cpd.external_credits WHERE txid >= since AND txid < upto AND cpd.may_pull()
     ORDER BY staff_no, programme, date
$$;
REVOKE EXECUTE ON FUNCTION cpd.pull_external_credits(xid8, xid8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cpd.pull_external_credits(xid8, xid8) TO cpd_kiosk;

UPDATE cpd.schema_version SET version = 3;
