"""The first schema: ledger, Merkle nodes, STHs, kiosks, ballots index, staff.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("sth_timestamp", sa.BigInteger, nullable=False),
        sa.Column("closed_index", sa.BigInteger, nullable=True),
        sa.Column("results_hash", sa.String(64), nullable=True),
    )
    # The one head row every append locks; the empty tree's root is SHA-256("").
    op.execute(
        sa.text("INSERT INTO ledger_head (id, size, root_hash, sth_timestamp) VALUES (1, 0, :root, 0)").bindparams(
            sa.bindparam("root", bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), sa.LargeBinary)
        )
    )
    op.create_table(
        "ledger_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_ledger_entries_leaf_hash", "ledger_entries", ["leaf_hash"])
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "sths",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "ballots",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(43), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kiosk", sa.String(64), nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("sth_size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_ballots_id", "ballots", ["id"])
    op.create_index("ix_ballots_reviewer_target", "ballots", ["reviewer", "target"])
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("public_key", sa.String(43), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registration", sa.Text, nullable=False),
        sa.Column("requested_at", sa.String(40), nullable=False),
        sa.Column("approved_index", sa.BigInteger, nullable=True),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("synced_seq", sa.BigInteger, nullable=False),
        sa.Column("synced_hash", sa.String(43), nullable=False),
        sa.Column("reported_seq", sa.BigInteger, nullable=False),
        sa.Column("reported_at", sa.String(40), nullable=True),
        sa.Column("last_sync_at", sa.String(40), nullable=True),
        sa.Column("accepted", sa.BigInteger, nullable=False),
        sa.Column("rejected", sa.BigInteger, nullable=False),
        sa.Column("closure", sa.Text, nullable=True),
        sa.Column("closed_index", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "kiosk_records",
        sa.Column("kiosk", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(43), nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("ballot_id", sa.String(43), nullable=False),
        sa.Column("code", sa.String(32), nullable=True),
    )
    op.create_table(
        "revocations",
        sa.Column("reviewer", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("signer", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "resolutions",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("ballot", sa.String(43), nullable=False),
        sa.Column("staff", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_resolutions_reviewer_target", "resolutions", ["reviewer", "target"])
    op.create_table(
        "rejections",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kiosk", sa.String(64), nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("ballot_id", sa.String(43), nullable=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=True),
        sa.Column("body", sa.Text, nullable=True),
    )
    op.create_index("ix_rejections_reviewer", "rejections", ["reviewer"])
    op.create_table(
        "staff",
        sa.Column("name", sa.String(64), primary_key=True, autoincrement=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("key_seed", sa.String(43), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(43), primary_key=True, autoincrement=False),
        sa.Column("staff", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "staff_sessions",
        "staff",
        "rejections",
        "resolutions",
        "revocations",
        "kiosk_records",
        "kiosks",
        "ballots",
        "sths",
        "merkle_nodes",
        "ledger_entries",
        "ledger_head",
    ):
        op.drop_table(name)
