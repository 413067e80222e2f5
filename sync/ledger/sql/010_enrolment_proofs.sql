-- Ledger schema version 10: a badge a kiosk enrolled is pulled with the proof of it. Such a
-- badge is in no record head office signed (until its next roster import), so a kiosk took it
-- as "enrolled at a kiosk since" for any member of staff, and an owner could move it to
-- someone else. Each kiosk-enrolled badge now comes with the signed badge_enrolled event that
-- made it (the enrolling kiosk's first for that badge and that person) and the key the ledger
-- holds for that kiosk at that seq: the kiosk pulling checks the event's hash and signature
-- and that it names this badge and this person, and refuses the pull otherwise
-- (sync/sync_signed.c). A forged event needs a kiosk's secret key, or a key the keyring does
-- not hold, which verify --ledger names. Applied by `cpd-admin ledger init` on a version 9
-- ledger, as its owner, in one transaction.

CREATE FUNCTION cpd.pull_enrolments(since xid8, upto xid8)
    RETURNS TABLE (uid_hash bytea, kiosk text, seq bigint, uuid uuid, type text, person text,
                   session text, wall_us bigint, mono_us bigint, clock text, payload text,
                   prev_hash bytea, hash bytea, sig bytea, public_key bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, cpd, pg_temp AS $$
    SELECT b.uid_hash, e.kiosk, e.seq, e.uuid, e.type, e.person, e.session, e.wall_us,
           e.mono_us, e.clock, e.payload, e.prev_hash, e.hash, e.sig, k.public_key
      FROM cpd.badges b
      JOIN LATERAL (SELECT ev.* FROM cpd.events ev
                     WHERE ev.person = b.staff_no AND ev.kiosk = b.enrolled_by
                       AND ev.type = 'badge_enrolled'
                       AND ev.payload::jsonb ->> 'badge_hash' = encode(b.uid_hash, 'hex')
                     ORDER BY ev.seq LIMIT 1) e ON true
      JOIN LATERAL (SELECT kk.public_key FROM cpd.kiosk_keys kk
                     WHERE kk.kiosk = e.kiosk AND kk.from_seq <= e.seq
                     ORDER BY kk.from_seq DESC LIMIT 1) k ON true
     WHERE b.enrolled_by IS NOT NULL AND b.txid >= since AND b.txid < upto AND cpd.may_pull()
     ORDER BY b.uid_hash
$$;
REVOKE ALL ON FUNCTION cpd.pull_enrolments(xid8, xid8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cpd.pull_enrolments(xid8, xid8) TO cpd_kiosk;

UPDATE cpd.schema_version SET version = 10;
