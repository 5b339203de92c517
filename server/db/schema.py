"""The tables, in SQLAlchemy Core. Alembic migrations under ``server/migrations`` create
them; ``tests/server/test_migrations.py`` checks the two never drift apart.

The ledger itself is ``ledger_entries`` (leaf data as canonical JSON text) with its
Merkle perfect subtrees in ``merkle_nodes`` and one signed tree head per committed batch
in ``sths``. Every other table is an index the server keeps *beside* the ledger so that a
check or a staff view never has to replay it; all of them can be rebuilt from the ledger.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: A primary key that autoincrements on both backends (SQLite needs INTEGER PRIMARY KEY).
AutoId = BigInteger().with_variant(Integer(), "sqlite")

#: The one row (id 1) every ledger append locks: tree size, root and last STH time.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("sth_timestamp", BigInteger, nullable=False),
    Column("closed_index", BigInteger, nullable=True),
    Column("results_hash", String(64), nullable=True),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(16), nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_ledger_entries_leaf_hash", "leaf_hash"),
)

#: Perfect subtree of 2**level leaves starting at leaf idx * 2**level.
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

sths = Table(
    "sths",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
)

#: Accepted ballots (online and kiosk): receipts and the staff views.
ballots = Table(
    "ballots",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(43), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("kiosk", String(64), nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("sth_size", BigInteger, nullable=False),
    Index("ix_ballots_id", "id"),
    Index("ix_ballots_reviewer_target", "reviewer", "target"),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(64), primary_key=True, autoincrement=False),
    Column("public_key", String(43), nullable=False),
    Column("status", String(16), nullable=False),  # pending, approved, closed
    Column("registration", Text, nullable=False),
    Column("requested_at", String(40), nullable=False),
    Column("approved_index", BigInteger, nullable=True),
    Column("approved_by", String(64), nullable=True),
    Column("synced_seq", BigInteger, nullable=False, default=0),
    Column("synced_hash", String(43), nullable=False),
    Column("reported_seq", BigInteger, nullable=False, default=0),
    Column("reported_at", String(40), nullable=True),
    Column("last_sync_at", String(40), nullable=True),
    Column("accepted", BigInteger, nullable=False, default=0),
    Column("rejected", BigInteger, nullable=False, default=0),
    Column("closure", Text, nullable=True),
    Column("closed_index", BigInteger, nullable=True),
    Column("source", String(64), nullable=True),  # the client address that registered it
)

#: Every kiosk record on the ledger: fork detection and receipts for re-sent records.
kiosk_records = Table(
    "kiosk_records",
    metadata,
    Column("kiosk", String(64), primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(43), nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("ballot_id", String(43), nullable=False),
    Column("code", String(32), nullable=True),
)

revocations = Table(
    "revocations",
    metadata,
    Column("reviewer", String(64), primary_key=True, autoincrement=False),
    Column("idx", BigInteger, nullable=False),
    Column("signer", String(64), nullable=True),
    Column("reason", Text, nullable=False),
)

resolutions = Table(
    "resolutions",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("reviewer", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    Column("ballot", String(43), nullable=False),
    Column("staff", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_resolutions_reviewer_target", "reviewer", "target"),
)

#: Refused submissions with their reason, for staff (online rejections are not on the ledger;
#: kiosk ones are, and are listed here too with their ledger index).
rejections = Table(
    "rejections",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("kiosk", String(64), nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("reviewer", String(64), nullable=True),
    Column("code", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("ballot_id", String(43), nullable=True),
    Column("ledger_index", BigInteger, nullable=True),
    Column("body", Text, nullable=True),
    Index("ix_rejections_reviewer", "reviewer"),
)

staff = Table(
    "staff",
    metadata,
    Column("name", String(64), primary_key=True, autoincrement=False),
    Column("password_hash", Text, nullable=False),
    Column("key_seed", String(43), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(43), primary_key=True, autoincrement=False),
    Column("staff", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)

#: Witness cosignatures (C2SP tlog-cosignature) the server received for its checkpoints:
#: one signature line per (tree size, witness name), checked before it is stored.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
)
