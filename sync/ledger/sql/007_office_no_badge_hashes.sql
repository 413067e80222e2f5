-- Ledger schema version 7: the office reads events without badge hashes. A badge_enrolled,
-- unknown_badge or badge_revoked event carries the keyed hash of the badge's UID; the office
-- needs who and when, never which badge (with the site key, a 4-byte UID could be recovered
-- from it). Kiosks still take their own events back whole (cpd.pull_own_events). Applied by
-- `cpd-admin ledger init` on a version 6 ledger, as its owner, in one transaction.

CREATE OR REPLACE VIEW cpd.office_events AS
    SELECT kiosk, seq, uuid, type, person, session, wall_us, clock,
           (payload::jsonb - 'badge_hash')::text AS payload, received_at
      FROM cpd.events;

UPDATE cpd.schema_version SET version = 7;
