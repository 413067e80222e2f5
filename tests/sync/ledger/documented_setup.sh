#!/bin/sh
# docs/head-office.md, "Setting it up", steps 2-5, in that order, as test_ledger_docs runs them
# against a fresh PostgreSQL 15. Every line that starts with cpd-admin or $SUPERUSER_PSQL must
# stand in that page word for word ($SUPERUSER_PSQL is `sudo -u postgres psql` there, $SHARE
# is /usr/local/share/cpd-kiosk); the test checks it. Run in a directory holding the CSV files,
# site.ini, site.key and central-1.pw; environment: SUPERUSER_PSQL, SHARE, OWNER_PASSWORD,
# LEDGER, KIOSK_KEY, and cpd-admin on PATH.
set -eu

# 2. The one superuser step (the page's \password, non-interactively).
$SUPERUSER_PSQL -v owner=cpd_owner -v db=cpd -f $SHARE/ledger-superuser.sql
$SUPERUSER_PSQL -q -c "ALTER ROLE cpd_owner PASSWORD '$OWNER_PASSWORD'"

# 3. As the owner.
install -m 0600 /dev/null owner.pw && printf '%s\n' "$OWNER_PASSWORD" >owner.pw
cpd-admin ledger init --conninfo "$LEDGER" --password-file owner.pw

# 4. The data.
cpd-admin ledger import programme programme-2023-24.csv --conninfo "$LEDGER" --password-file owner.pw
cpd-admin --config site.ini ledger import roster roster.csv --conninfo "$LEDGER" --password-file owner.pw
cpd-admin ledger import bookings bookings.csv --conninfo "$LEDGER" --password-file owner.pw
cpd-admin ledger import credits credits.csv --conninfo "$LEDGER" --password-file owner.pw

# 5. A kiosk.
cpd-admin ledger add-kiosk central-1 --public-key "$KIOSK_KEY" --kiosk-password-file central-1.pw --keyring keyring --conninfo "$LEDGER" --password-file owner.pw
