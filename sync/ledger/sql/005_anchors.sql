-- Ledger schema version 5: a kiosk whose signing key was lost for good is retired, and the one
-- that replaces it starts its chain with a chain_anchor event naming the old chain's kiosk,
-- last seq, last hash and public key (cpd-admin kiosk init --anchor, docs/keys.md), so the two
-- histories are joined by a signed statement instead of by word of mouth. The events table
-- takes the new type like every other the kiosk writes. Applied by `cpd-admin ledger init`
-- on a version 4 ledger, as its owner, in one transaction.

ALTER TABLE cpd.events DROP CONSTRAINT events_type_check;
ALTER TABLE cpd.events ADD CONSTRAINT events_type_check CHECK (type IN ('sign_in', 'sign_out',
    'auto_close', 'already_in', 'already_out', 'leave_prompt', 'choose_prompt', 'no_session',
    'unknown_badge', 'random_uid', 'inactive_badge', 'trainer_badge', 'manual_sign_in',
    'manual_sign_out', 'approve', 'correction', 'badge_enrolled', 'void_attendance',
    'clock_refused', 'badge_revoked', 'credit_voided', 'booking_cancelled', 'chain_anchor'));

UPDATE cpd.schema_version SET version = 5;
