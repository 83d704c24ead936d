"""Initial lineage schema: settings, runs, documents, versions, chunks, chunk entities.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "store_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON),
    )
    op.create_table(
        "documents",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("current_version", sa.Integer),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("source_masked", sa.Text),
        sa.Column("last_status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_run_id", sa.String(64), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "document_versions",
        sa.Column("collection", sa.String(256), primary_key=True),
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("committed_at", TZ),
        sa.Column("report", sa.JSON),
    )
    op.create_index("ix_document_versions_status", "document_versions", ["status"])
    op.create_table(
        "chunks",
        sa.Column("point_id", sa.String(36), primary_key=True),
        sa.Column("collection", sa.String(256), nullable=False),
        sa.Column("doc_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("chunk_index", sa.Integer, nullable=False),
        sa.Column("token_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_chunks_document", "chunks", ["collection", "doc_id", "version"])
    op.create_table(
        "chunk_entities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "point_id", sa.String(36), sa.ForeignKey("chunks.point_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("token", sa.String(96), nullable=False),
    )
    op.create_index("ix_chunk_entities_fingerprint", "chunk_entities", ["fingerprint"])
    op.create_index("ix_chunk_entities_point", "chunk_entities", ["point_id"])


def downgrade() -> None:
    for table in ("chunk_entities", "chunks", "document_versions", "documents", "runs", "store_settings"):
        op.drop_table(table)
