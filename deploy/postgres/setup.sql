-- Create the simsa role and database (run as the postgres superuser).
-- Choose a real password; simsa refuses placeholder secrets outside development.
CREATE ROLE simsa LOGIN PASSWORD 'change-me';
CREATE DATABASE simsa OWNER simsa ENCODING 'UTF8' TEMPLATE template0;
-- Durable commits are the default (synchronous_commit = on); keep it that way for the ledger.
