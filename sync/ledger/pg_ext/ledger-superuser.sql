-- The one step of a ledger's set-up that needs a PostgreSQL superuser (docs/head-office.md):
--   runuser -u postgres -- psql -v owner=cpd_owner -v db=cpd -f ledger-superuser.sql
-- It makes the ledger's owner (neither superuser nor CREATEROLE), its database, and the
-- cpd_ledger extension in it. Everything after this is done as the owner.
\set ON_ERROR_STOP on
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
\connect :"db"
CREATE EXTENSION cpd_ledger;
