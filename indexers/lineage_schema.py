"""The lineage store's tables (SQLAlchemy Core). Alembic migrations in indexers/migrations create them.

Nothing here holds raw text or a detected value: ids, keyed hashes (content hashes, fingerprints),
tokens, counts, and masking reports (which never carry values).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

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
    # running | completed | failed | interrupted
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # policy, models, embedder location, key id; no secrets
    Column("settings", JSON, nullable=False),
    Column("counts", JSON),
    # liveness (0003): a "running" run whose process is gone is marked interrupted, and what it left
    # half-written is rolled back; one whose process lives is left alone
    Column("host", String(255)),
    Column("pid", Integer),
    Column("heartbeat_at", DateTime(timezone=True)),
)

documents = Table(
    "documents",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    # the committed version in the collection; None: none yet
    Column("current_version", Integer),
    # keyed hash of the committed version's content
    Column("content_hash", String(64)),
    # the source URI after masking
    Column("source_masked", Text),
    # committed | quarantined | failed
    Column("last_status", String(16), nullable=False),
    # one line, no content
    Column("last_error", Text),
    Column("last_run_id", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # keyed hash of the file's resolved path (+ record key), so the same file met under another root is
    # recognised as this document and not indexed twice (0003)
    Column("file_key", String(64)),
    # keyed hashes of the path a run was given (the directory, or the file named) and of the file itself
    # (without a record key): a re-index of that path erases the documents it no longer finds, except
    # those of a file it found but could not read (0004)
    Column("scope_key", String(64)),
    Column("origin_key", String(64)),
    Index("ix_documents_file_key", "collection", "file_key"),
    Index("ix_documents_scope_key", "collection", "scope_key"),
)

# the settings a collection was indexed with (policy, detector, embedder, key id, pipeline version): an
# incremental run with other settings would mix versions in one collection and is refused (0004)
collection_profiles = Table(
    "collection_profiles",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("profile", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# the physical collections a full re-index swapped out, kept until ``delete_after`` for a rollback; the
# lineage no longer tracks their points, so an erasure drops them all (0004)
retired_collections = Table(
    "retired_collections",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("collection", String(256), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=False),
    Column("delete_after", DateTime(timezone=True), nullable=False),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    # pending | committed | superseded | quarantined
    Column("status", String(16), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("committed_at", DateTime(timezone=True)),
    # the masking report: counts, scores, versions; never a value
    Column("report", JSON),
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
    # True for a name variant's fingerprint (the surname of a full name): an erasure by another full
    # name with the same surname must not match it, one by the surname alone may (0002)
    Column("variant", Boolean, nullable=False, server_default=false()),
    Index("ix_chunk_entities_fingerprint", "fingerprint"),
    Index("ix_chunk_entities_point", "point_id"),
)

# --- erasure (0002) ---------------------------------------------------------------------------------

erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("collection", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # subject | document
    Column("kind", String(16), nullable=False),
    # redact | delete
    Column("mode", String(16), nullable=False),
    Column("purge", Boolean, nullable=False),
    # ["email", "name"]: types, never values
    Column("identifier_types", JSON, nullable=False),
    # {"strong": [...], "weak": [...]}: keyed hashes
    Column("fingerprints", JSON, nullable=False),
    # opaque doc ids (document requests)
    Column("document_ids", JSON, nullable=False),
    # registered | running | completed | failed
    Column("status", String(16), nullable=False),
    # unreachable | purged, once completed
    Column("purge_level", String(16)),
    Column("completed_at", DateTime(timezone=True)),
)

receipts = Table(
    "receipts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("receipt_id", String(64), nullable=False, unique=True),
    Column("request_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the receipt's canonical JSON, hash included
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

tombstones = Table(
    "tombstones",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection", String(256), nullable=False),
    # strong | weak (subject fingerprints) | document
    Column("kind", String(16), nullable=False),
    # a fingerprint or a doc id
    Column("key", String(64), nullable=False),
    # documents: the erased content, so a changed source comes back
    Column("content_hash", String(64)),
    Column("request_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("collection", "kind", "key", name="uq_tombstones_key"),
)

vault_keys = Table(
    "vault_keys",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("master_key_id", String(32), nullable=False),
    # the document's AES-GCM data key, wrapped
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

vault_entries = Table(
    "vault_entries",
    metadata,
    Column("collection", String(256), primary_key=True),
    Column("doc_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("token", String(96), primary_key=True),
    # nonce + AES-GCM ciphertext of the value
    Column("sealed", LargeBinary, nullable=False),
)

vault_access = Table(
    "vault_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("collection", String(256), nullable=False),
    Column("doc_id", String(64), nullable=False),
    # how many tokens were rehydrated
    Column("tokens", Integer, nullable=False),
)

# --- flow inputs (0003) -------------------------------------------------------------------------------

source_refs = Table(
    "source_refs",
    metadata,
    Column("ref_id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # the paths a CLI run hands to its flow, AES-GCM sealed: file names can be personal data, and
    # Prefect stores flow parameters verbatim, so the flow gets only ref_id
    Column("sealed", LargeBinary, nullable=False),
)

# --- reviewed audit findings (0005) -------------------------------------------------------------------

accepted_findings = Table(
    "accepted_findings",
    metadata,
    Column("collection", String(256), primary_key=True),
    # keyed (masking.fingerprints.finding_fingerprint)
    Column("fingerprint", String(64), primary_key=True),
    # what the operator wrote when accepting it
    Column("reason", Text, nullable=False),
    Column("accepted_by", String(128), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
)
