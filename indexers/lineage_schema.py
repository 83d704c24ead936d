"""The lineage store's tables (SQLAlchemy Core). Alembic migrations in indexers/migrations create them.

Nothing here holds raw text or a detected value: ids, keyed hashes (content hashes, fingerprints),
tokens, counts, and masking reports (which never carry values).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

store_settings = Table(
    "store_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("collection", String(256), nullable=False),
    Column("status", String(16), nullable=False),  # running | completed | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("settings", JSON, nullable=False),  # policy, models, embedder location, key id; no secrets
    Column("counts", JSON),
)

documents = Table(
    "documents",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    Column("current_version", Integer),  # the committed version in the collection; None: none yet
    Column("content_hash", String(64)),  # keyed hash of the committed version's content
    Column("source_masked", Text),  # the source URI after masking
    Column("last_status", String(16), nullable=False),  # committed | quarantined | failed
    Column("last_error", Text),  # one line, no content
    Column("last_run_id", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | committed | superseded | quarantined
    Column("run_id", String(64), nullable=False),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("committed_at", DateTime(timezone=True)),
    Column("report", JSON),  # the masking report: counts, scores, versions; never a value
    Index("ix_document_versions_status", "status"),
)

chunks = Table(
    "chunks",
    metadata,
    Column("point_id", String(36), primary_key=True),
    Column("collection", String(256), nullable=False),
    Column("doc_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("chunk_index", Integer, nullable=False),
    Column("token_count", Integer, nullable=False),
    Index("ix_chunks_document", "collection", "doc_id", "version"),
)

chunk_entities = Table(
    "chunk_entities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("point_id", String(36), ForeignKey("chunks.point_id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("token", String(96), nullable=False),
    Index("ix_chunk_entities_fingerprint", "fingerprint"),
    Index("ix_chunk_entities_point", "point_id"),
)
