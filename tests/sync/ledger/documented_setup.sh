#!/bin/sh
# docs/head-office.md, "Setting it up", steps 3-7, 9 and 10, in that order, as test_ledger_docs runs them
# against a fresh PostgreSQL 15. Every line below stands in that page word for word, after
# these substitutions: $SUPERUSER_PSQL is `runuser -u postgres -- psql` there, $SHARE is
# /usr/local/share/cpd-kiosk, and $KIOSK_INI is /etc/cpd-kiosk/kiosk.ini —
# except the lines marked "# test:", which do non-interactively what the page has a person do.
# Run in a directory holding the CSV files and central-1.pw; environment: SUPERUSER_PSQL,
# SHARE, OWNER_PASSWORD, LEDGER, OFFICE_LEDGER, KIOSK_INI, and cpd-admin on PATH.
set -eu # test:

# 3. The one superuser step.
$SUPERUSER_PSQL -v owner=cpd_owner -v db=cpd -f $SHARE/ledger-superuser.sql
$SUPERUSER_PSQL -q -c "ALTER ROLE cpd_owner PASSWORD '$OWNER_PASSWORD'" # test: \password
# 4. As the owner.
install -m 0600 /dev/null owner.pw && printf '%s\n' "$OWNER_PASSWORD" >owner.pw # test: nano
cpd-admin ledger init --conninfo "$LEDGER" --password-file owner.pw --keyring keyring --office-key office.key
# 5. The site key.
install -m 0600 /dev/null site.key && openssl rand -hex 32 > site.key
printf '[kiosk]\nsite_key_file = %s/site.key\n' "$PWD" > site.ini
# 6. The data.
cpd-admin ledger import programme programme-2023-24.csv --office-key office.key --checkpoints checkpoints --conninfo "$LEDGER" --password-file owner.pw
cpd-admin --config site.ini ledger import roster roster.csv --office-key office.key --checkpoints checkpoints --conninfo "$LEDGER" --password-file owner.pw
cpd-admin ledger import bookings bookings.csv --office-key office.key --checkpoints checkpoints --conninfo "$LEDGER" --password-file owner.pw
cpd-admin ledger import credits credits.csv --office-key office.key --checkpoints checkpoints --conninfo "$LEDGER" --password-file owner.pw
# 7. A kiosk: its keys on the kiosk, its registration at head office.
cpd-admin --config $KIOSK_INI kiosk init --site-key-file site.key
KIOSK_KEY=$(cpd-admin --config $KIOSK_INI kiosk init --site-key-file site.key | sed -n 's/^public key: *//p') # test: a person copies it
cpd-admin ledger add-kiosk central-1 --public-key "$KIOSK_KEY" --kiosk-password-file central-1.pw --keyring keyring --conninfo "$LEDGER" --password-file owner.pw
# 9. An office login.
install -m 0600 /dev/null jane.pw && printf 'office-secret\n' >jane.pw # test: a person writes it
cpd-admin ledger add-office jane --office-password-file jane.pw --conninfo "$LEDGER" --password-file owner.pw
# 10. Reports trust-wide, as the office login.
cpd-admin report statements --summary --ledger "$OFFICE_LEDGER" --password-file jane.pw
