-- Create the simsa role and database (run as the postgres superuser), with a password
-- made on the spot and never typed into a file:
--
--   pw=$(openssl rand -hex 24)
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -v simsa_password="$pw" -f deploy/postgres/setup.sql
--
-- then put it into SIMSA_DB_URL in /etc/simsa/simsa.env. Without -v simsa_password this
-- stops with a syntax error and creates nothing.
\set ON_ERROR_STOP on
CREATE ROLE simsa LOGIN PASSWORD :'simsa_password';
CREATE DATABASE simsa OWNER simsa ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0;
-- Durable commits are the default (synchronous_commit = on, fsync = on); keep it that way
-- for the ledger.
