"""Re-index: the scope a document was read under and the file it came from (keyed hashes), so a
re-index knows which documents vanished from its sources; the settings profile each collection was
indexed with, so an incremental run never mixes versions; the collections a full re-index replaced, kept
for a while (until ``delete_after``) and dropped by any erasure, which cannot reach into them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("scope_key", sa.String(64)))
        batch.add_column(sa.Column("origin_key", sa.String(64)))
    op.create_index("ix_documents_scope_key", "documents", ["collection", "scope_key"])
    op.create_table(
        "collection_profiles",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "retired_collections",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retired_collections")
    op.drop_table("collection_profiles")
    op.drop_index("ix_documents_scope_key", "documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("origin_key")
        batch.drop_column("scope_key")
