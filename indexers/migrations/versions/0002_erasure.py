"""Erasure: requests, the receipt chain, tombstones, the vault; name-variant flag on entity rows.

Rows written before 0002 get variant = false: a name request may then also match them by surname.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("chunk_entities") as batch:
        batch.add_column(sa.Column("variant", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "erasure_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("purge", sa.Boolean, nullable=False),
        sa.Column("identifier_types", sa.JSON, nullable=False),
        sa.Column("fingerprints", sa.JSON, nullable=False),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("purge_level", sa.String(16)),
        sa.Column("completed_at", TZ),
    )
    op.create_table(
        "receipts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("receipt_id", sa.String(64), nullable=False, unique=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("collection", "kind", "key", name="uq_tombstones_key"),
    )
    op.create_table(
        "vault_keys",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("master_key_id", sa.String(32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "vault_entries",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(96), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "vault_access",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("doc_id", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "vault_access",
        "vault_entries",
        "vault_keys",
        "tombstones",
        "receipts",
        "erasure_requests",
    ):
        op.drop_table(table)
    with op.batch_alter_table("chunk_entities") as batch:
        batch.drop_column("variant")
