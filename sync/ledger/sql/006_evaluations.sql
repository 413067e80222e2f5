-- Ledger schema version 6: the sign-out screen may ask "How useful was tonight?" (the trusts'
-- CPD policies ask for evaluations), and each answer is its own event, evaluation, with the
-- person, the session and a score of 1 to 5 — signed and synced like every other. Applied by
-- `cpd-admin ledger init` on a version 5 ledger, as its owner, in one transaction.

ALTER TABLE cpd.events DROP CONSTRAINT events_type_check;
ALTER TABLE cpd.events ADD CONSTRAINT events_type_check CHECK (type IN ('sign_in', 'sign_out',
    'auto_close', 'already_in', 'already_out', 'leave_prompt', 'choose_prompt', 'no_session',
    'unknown_badge', 'random_uid', 'inactive_badge', 'trainer_badge', 'manual_sign_in',
    'manual_sign_out', 'approve', 'correction', 'badge_enrolled', 'void_attendance',
    'clock_refused', 'badge_revoked', 'credit_voided', 'booking_cancelled', 'chain_anchor',
    'evaluation'));
ALTER TABLE cpd.events ADD CONSTRAINT events_evaluation_check CHECK (type <> 'evaluation' OR
    (person <> '' AND session <> '' AND payload ~ '^\{"score":[1-5]\}$'));

UPDATE cpd.schema_version SET version = 6;
