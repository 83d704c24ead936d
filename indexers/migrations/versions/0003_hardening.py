"""Hardening: run liveness (host, pid, heartbeat), a keyed file identity per document, sealed source
references for flow runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("host", sa.String(255)))
        batch.add_column(sa.Column("pid", sa.Integer))
        batch.add_column(sa.Column("heartbeat_at", TZ))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("file_key", sa.String(64)))
    op.create_index("ix_documents_file_key", "documents", ["collection", "file_key"])
    op.create_table(
        "source_refs",
        sa.Column("ref_id", sa.String(64), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_refs")
    op.drop_index("ix_documents_file_key", "documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("file_key")
    with op.batch_alter_table("runs") as batch:
        for column in ("heartbeat_at", "pid", "host"):
            batch.drop_column(column)
