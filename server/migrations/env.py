"""Alembic environment: migrations always run on a connection the server hands in."""

from __future__ import annotations

from alembic import context

from server.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("simsa runs its migrations itself at start-up (server.db.migrate.upgrade)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
