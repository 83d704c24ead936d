"""The lineage store: which document versions, chunks, points and entity fingerprints a collection holds.

SQLAlchemy 2 (SQLite file by default, any URL such as PostgreSQL), schema migrated by Alembic on open.
A version's rows are written "pending" before its points are upserted and "committed" after; the
version it replaces becomes "superseded" until its points are deleted. ``unfinished`` lists what a
crash left, so the next run can roll it back: nothing is left that a re-run cannot reconcile.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from indexers.errors import LineageError
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    collection_profiles,
    document_versions,
    documents,
    retired_collections,
    runs,
    store_settings,
    vault_entries,
    vault_keys,
)

PENDING, COMMITTED, SUPERSEDED, QUARANTINED, FAILED = (
    "pending",
    "committed",
    "superseded",
    "quarantined",
    "failed",
)
RUNNING, COMPLETED, INTERRUPTED = "running", "completed", "interrupted"
KEY_ID_SETTING = "key_id"
STORE_ID_SETTING = "store_id"
# A run on another host whose heartbeat is older than this is taken for dead (a run on this host is
# judged by its process id). Runs beat after every batch.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class ChunkRow:
    point_id: str
    chunk_index: int
    token_count: int
    # (fingerprint, type, token, variant): variant marks a name variant's fingerprint (see lineage_schema)
    entities: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class PendingVersion:
    """A version to record as pending: its chunks and the fingerprints of what they mention."""

    doc_id: str
    version: int
    content_hash: str
    report: dict[str, Any] = field(repr=False)
    rows: Sequence[ChunkRow] = field(repr=False)


# ids per IN (...) clause, well under any database's limit on bound parameters
IN_GROUP = 500


@dataclass(frozen=True)
class VersionCommit:
    """A version written and upserted, to mark committed (``origin``: scope key, origin key)."""

    doc_id: str
    version: int
    content_hash: str
    source_masked: str = field(repr=False)
    file_key: str | None
    origin: tuple[str, str] | None
    run_id: str


@dataclass(frozen=True)
class VersionRef:
    doc_id: str
    version: int
    status: str
    point_ids: list[str]
    run_id: str = ""


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # another user's process
        return True
    return True


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on; secure_delete zeroes deleted rows' bytes at once (erasure leaves less behind)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def migrate(connection: Connection) -> None:
    """Upgrade the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("indexers") / "migrations"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class LineageStore:
    def __init__(self, url: str) -> None:
        try:
            self.engine = create_engine(url)
            if self.engine.dialect.name == "sqlite":
                _configure_sqlite(self.engine)
            with self.engine.begin() as connection:
                migrate(connection)
        except (SQLAlchemyError, OSError) as error:
            raise LineageError(f"lineage store cannot be opened ({type(error).__name__})") from None
        self.url = self.engine.url.render_as_string(hide_password=True)

    @classmethod
    def existing(cls, url: str) -> LineageStore | None:
        """The store at ``url`` if ragmask created one there, else None, having created nothing (no SQLite
        file, no tables): a read such as ``search`` must not leave a lineage store behind."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            return cls(url) if database not in ("", ":memory:") and os.path.isfile(database) else None
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                found = inspect(connection).has_table(collection_profiles.name)
        except SQLAlchemyError:
            return None
        finally:
            engine.dispose()
        return cls(url) if found else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work on the shared database: the erasure, vault and source-reference stores keep
        their tables here too (one file, one migration), and use it through this."""
        with self.engine.begin() as connection:
            yield connection

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def vacuum(self, tables: Sequence[str]) -> str:
        """Rewrite the store without freed bytes (SQLite: the whole file with ``secure_delete`` on;
        PostgreSQL: ``VACUUM FULL`` of ``tables``); returns what was done."""
        if self.dialect == "sqlite":
            with self.engine.connect() as connection:
                raw = connection.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                raw.commit()
                raw.execute("PRAGMA secure_delete=ON")
                raw.execute("VACUUM")
            return "sqlite vacuum"
        if self.dialect == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"VACUUM FULL {', '.join(tables)}"))
            return "postgresql vacuum full"
        return f"not purged ({self.dialect})"

    def close(self) -> None:
        self.engine.dispose()

    # --- settings and runs -------------------------------------------------------------------------

    def check_key(self, key_id: str) -> None:
        """Refuse a masking key other than the one this store was written with (tokens would not match)."""
        with self.transaction() as tx:
            stored = tx.scalar(select(store_settings.c.value).where(store_settings.c.name == KEY_ID_SETTING))
            if stored is None:
                tx.execute(insert(store_settings).values(name=KEY_ID_SETTING, value=key_id))
            elif stored != key_id:
                raise LineageError(
                    f"this lineage store was written with masking key {stored}, this run has key {key_id}: "
                    "tokens and fingerprints would not match; use the original key or a new data directory"
                )

    def store_id(self) -> str:
        """This store's identity (created on first use), written into every receipt and chain head."""
        with self.transaction() as tx:
            stored = tx.scalar(
                select(store_settings.c.value).where(store_settings.c.name == STORE_ID_SETTING)
            )
            if stored is None:
                stored = f"ls_{uuid.uuid4().hex}"
                tx.execute(insert(store_settings).values(name=STORE_ID_SETTING, value=stored))
        return str(stored)

    def start_run(self, run_id: str, kind: str, collection: str, settings: dict[str, Any]) -> None:
        now = utc_now()
        with self.transaction() as tx:
            tx.execute(
                insert(runs).values(
                    run_id=run_id,
                    kind=kind,
                    collection=collection,
                    status=RUNNING,
                    started_at=now,
                    settings=settings,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    heartbeat_at=now,
                )
            )

    def heartbeat(self, run_id: str) -> None:
        with self.transaction() as tx:
            tx.execute(update(runs).where(runs.c.run_id == run_id).values(heartbeat_at=utc_now()))

    def live_runs(self, collection: str) -> set[str]:
        """The collection's runs whose process still lives; "running" runs whose process is gone (killed,
        crashed) are marked interrupted here, so no run stays "running" forever."""
        host, now = socket.gethostname(), utc_now()
        with self.transaction() as tx:
            rows = tx.execute(
                select(runs.c.run_id, runs.c.host, runs.c.pid, runs.c.heartbeat_at).where(
                    runs.c.collection == collection, runs.c.status == RUNNING
                )
            ).all()
            live = {
                row.run_id
                for row in rows
                if (row.host == host and row.pid is not None and _process_alive(row.pid))
                or (
                    row.host not in (None, host)
                    and row.heartbeat_at is not None
                    and now - as_utc(row.heartbeat_at) < STALE_AFTER
                )
            }
            dead = [row.run_id for row in rows if row.run_id not in live]
            if dead:
                tx.execute(update(runs).where(runs.c.run_id.in_(dead)).values(status=INTERRUPTED))
        return live

    def run_status(self, run_id: str) -> str | None:
        with self.transaction() as tx:
            status: str | None = tx.scalar(select(runs.c.status).where(runs.c.run_id == run_id))
        return status

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
        with self.transaction() as tx:
            tx.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status=status, finished_at=utc_now(), counts=counts)
            )

    # --- documents -------------------------------------------------------------------------------

    def committed_hashes(self, collection: str, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc_id -> content hash of its committed version, for the documents of ``doc_ids`` that have one."""
        if not doc_ids:
            return {}
        query = select(documents.c.doc_id, documents.c.content_hash).where(
            documents.c.collection == collection,
            documents.c.doc_id.in_(list(doc_ids)),
            documents.c.current_version.is_not(None),
        )
        with self.transaction() as tx:
            return {row.doc_id: row.content_hash for row in tx.execute(query)}

    def documents_by_file(self, collection: str, file_keys: Sequence[str]) -> dict[str, str]:
        """file key -> doc id, for files already known under some doc id (perhaps from another root)."""
        if not file_keys:
            return {}
        query = select(documents.c.file_key, documents.c.doc_id).where(
            documents.c.collection == collection, documents.c.file_key.in_(list(file_keys))
        )
        with self.transaction() as tx:
            return {row.file_key: row.doc_id for row in tx.execute(query)}

    def next_version(self, collection: str, doc_id: str) -> int:
        return self.next_versions(collection, [doc_id])[doc_id]

    def next_versions(self, collection: str, doc_ids: Sequence[str]) -> dict[str, int]:
        """The number each document's next version takes (1 for a new one), in one query."""
        query = (
            select(document_versions.c.doc_id, func.max(document_versions.c.version))
            .where(
                document_versions.c.collection == collection, document_versions.c.doc_id.in_(list(doc_ids))
            )
            .group_by(document_versions.c.doc_id)
        )
        with self.transaction() as tx:
            highest = {doc_id: int(version) for doc_id, version in tx.execute(query)}
        return {doc_id: highest.get(doc_id, 0) + 1 for doc_id in doc_ids}

    def write_pending_many(self, collection: str, run_id: str, versions: Sequence[PendingVersion]) -> None:
        """Versions, their chunks and their entity fingerprints, as pending, in one transaction (three
        statements, whatever their number)."""
        now = utc_now()
        with self.transaction() as tx:
            tx.execute(
                insert(document_versions),
                [
                    {
                        "collection": collection,
                        "doc_id": v.doc_id,
                        "version": v.version,
                        "content_hash": v.content_hash,
                        "status": PENDING,
                        "run_id": run_id,
                        "chunk_count": len(v.rows),
                        "created_at": now,
                        "report": v.report,
                    }
                    for v in versions
                ],
            )
            chunk_rows = [
                {
                    "point_id": r.point_id,
                    "collection": collection,
                    "doc_id": v.doc_id,
                    "version": v.version,
                    "chunk_index": r.chunk_index,
                    "token_count": r.token_count,
                }
                for v in versions
                for r in v.rows
            ]
            if chunk_rows:
                tx.execute(insert(chunks), chunk_rows)
            entity_rows = [
                {
                    "point_id": r.point_id,
                    "fingerprint": fp,
                    "entity_type": kind,
                    "token": token,
                    "variant": variant,
                }
                for v in versions
                for r in v.rows
                for fp, kind, token, variant in r.entities
            ]
            if entity_rows:
                tx.execute(insert(chunk_entities), entity_rows)

    def commit_versions(self, collection: str, commits: Sequence[VersionCommit]) -> list[VersionRef]:
        """Mark each version committed and the versions it replaces superseded, in one transaction; returns
        those (to delete). ``origin``: (scope key, origin key), where the document was read."""
        now = utc_now()
        with self.transaction() as tx:
            for commit in commits:
                tx.execute(
                    update(document_versions)
                    .where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == commit.doc_id,
                        document_versions.c.status == COMMITTED,
                    )
                    .values(status=SUPERSEDED)
                )
                tx.execute(
                    update(document_versions)
                    .where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == commit.doc_id,
                        document_versions.c.version == commit.version,
                    )
                    .values(status=COMMITTED, committed_at=now)
                )
                origin = (
                    dict(zip(("scope_key", "origin_key"), commit.origin, strict=True))
                    if commit.origin
                    else {}
                )
                self._set_document(
                    tx,
                    collection,
                    commit.doc_id,
                    commit.run_id,
                    now,
                    current_version=commit.version,
                    content_hash=commit.content_hash,
                    source_masked=commit.source_masked,
                    last_status=COMMITTED,
                    last_error=None,
                    file_key=commit.file_key,
                    **origin,
                )
            return self._versions(tx, collection, [SUPERSEDED], [c.doc_id for c in commits])

    def documents_in_collection(self, collection: str) -> list[str]:
        """The doc ids with a committed version in ``collection``."""
        query = select(documents.c.doc_id).where(
            documents.c.collection == collection, documents.c.current_version.is_not(None)
        )
        with self.transaction() as tx:
            return [row.doc_id for row in tx.execute(query)]

    def documents_in_scopes(self, collection: str, scope_keys: Sequence[str]) -> dict[str, str | None]:
        """doc id -> origin key of the committed documents last read under one of ``scope_keys``."""
        if not scope_keys:
            return {}
        query = select(documents.c.doc_id, documents.c.origin_key).where(
            documents.c.collection == collection,
            documents.c.scope_key.in_(list(scope_keys)),
            documents.c.current_version.is_not(None),
        )
        with self.transaction() as tx:
            return {row.doc_id: row.origin_key for row in tx.execute(query)}

    # --- retention ---------------------------------------------------------------------------------

    def documents_indexed_before(self, collection: str, cutoff: datetime) -> list[str]:
        """Doc ids whose committed version was committed before ``cutoff`` (a changed document is new)."""
        query = (
            select(documents.c.doc_id)
            .join(
                document_versions,
                (document_versions.c.collection == documents.c.collection)
                & (document_versions.c.doc_id == documents.c.doc_id)
                & (document_versions.c.version == documents.c.current_version),
            )
            .where(documents.c.collection == collection, document_versions.c.committed_at < cutoff)
        )
        with self.transaction() as tx:
            return sorted(row.doc_id for row in tx.execute(query))

    def prune_runs(self, cutoff: datetime) -> int:
        """Delete the records of runs that finished before ``cutoff``; returns how many."""
        with self.transaction() as tx:
            done = tx.execute(delete(runs).where(runs.c.status != RUNNING, runs.c.finished_at < cutoff))
        return int(done.rowcount or 0)

    # --- masking reports ---------------------------------------------------------------------------

    def version_reports(
        self, collection: str, *, doc_ids: Sequence[str] | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The committed or quarantined versions of ``doc_ids`` (or those ``run_id`` wrote), each with its
        masking report: counts, scores, actions and versions, never a value."""
        query = select(document_versions).where(
            document_versions.c.collection == collection,
            document_versions.c.status.in_([COMMITTED, QUARANTINED]),
        )
        if doc_ids is not None:
            query = query.where(document_versions.c.doc_id.in_(list(doc_ids)))
        if run_id is not None:
            query = query.where(document_versions.c.run_id == run_id)
        with self.transaction() as tx:
            rows = tx.execute(query.order_by(document_versions.c.doc_id, document_versions.c.version)).all()
        return [
            {
                "doc_id": r.doc_id,
                "version": r.version,
                "status": r.status,
                "run_id": r.run_id,
                "chunks": r.chunk_count,
                "created_at": as_utc(r.created_at).isoformat(),
                "committed_at": as_utc(r.committed_at).isoformat() if r.committed_at else None,
                "report": dict(r.report or {}),
            }
            for r in rows
        ]

    # --- collections a full re-index replaced ------------------------------------------------------

    def retire(self, name: str, collection: str, keep: timedelta) -> None:
        now = utc_now()
        with self.transaction() as tx:
            tx.execute(
                insert(retired_collections).values(
                    name=name, collection=collection, retired_at=now, delete_after=now + keep
                )
            )

    def retired(self, collection: str, due_only: bool = False) -> list[str]:
        """The retired physical collections of ``collection`` (``due_only``: those past their time)."""
        query = select(retired_collections.c.name, retired_collections.c.delete_after).where(
            retired_collections.c.collection == collection
        )
        with self.transaction() as tx:
            rows = tx.execute(query).all()
        now = utc_now()
        return sorted(row.name for row in rows if not due_only or as_utc(row.delete_after) <= now)

    def forget_retired(self, names: Sequence[str]) -> None:
        with self.transaction() as tx:
            tx.execute(delete(retired_collections).where(retired_collections.c.name.in_(list(names))))

    # --- the settings a collection was indexed with -----------------------------------------------

    def profile(self, collection: str) -> dict[str, Any] | None:
        with self.transaction() as tx:
            found = tx.scalar(
                select(collection_profiles.c.profile).where(collection_profiles.c.collection == collection)
            )
        return dict(found) if found is not None else None

    def set_profile(self, collection: str, profile: dict[str, Any]) -> None:
        with self.transaction() as tx:
            key = collection_profiles.c.collection == collection
            if tx.scalar(select(func.count()).select_from(collection_profiles).where(key)):
                tx.execute(
                    update(collection_profiles).where(key).values(profile=profile, updated_at=utc_now())
                )
            else:
                tx.execute(
                    insert(collection_profiles).values(
                        collection=collection, profile=profile, updated_at=utc_now()
                    )
                )

    def point_documents(self, collection: str, point_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """point id -> (doc id, version), for the points of ``point_ids`` the lineage knows."""
        found: dict[str, tuple[str, int]] = {}
        ids = sorted(set(point_ids))
        with self.transaction() as tx:
            for start in range(0, len(ids), IN_GROUP):
                query = select(chunks.c.point_id, chunks.c.doc_id, chunks.c.version).where(
                    chunks.c.collection == collection, chunks.c.point_id.in_(ids[start : start + IN_GROUP])
                )
                found.update({row.point_id: (row.doc_id, row.version) for row in tx.execute(query)})
        return found

    def version_details(
        self, collection: str, versions: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[str, dict[str, Any], list[str], str]]:
        """(doc id, version) -> (content hash, masking report, point ids, masked source) of each version."""
        found = {}
        with self.transaction() as tx:
            for doc_id, version in versions:
                key = (document_versions.c.collection == collection) & (document_versions.c.doc_id == doc_id)
                row = tx.execute(
                    select(document_versions.c.content_hash, document_versions.c.report).where(
                        key, document_versions.c.version == version
                    )
                ).first()
                if row is None:
                    continue
                point_ids = tx.scalars(
                    select(chunks.c.point_id).where(
                        chunks.c.collection == collection,
                        chunks.c.doc_id == doc_id,
                        chunks.c.version == version,
                    )
                ).all()
                source = tx.scalar(
                    select(documents.c.source_masked).where(
                        documents.c.collection == collection, documents.c.doc_id == doc_id
                    )
                )
                found[(doc_id, version)] = (
                    row.content_hash,
                    dict(row.report or {}),
                    list(point_ids),
                    source or "",
                )
        return found

    def forget_current(self, collection: str, doc_ids: Sequence[str]) -> None:
        """The documents have no committed version in the collection any more (a quarantine took it out)."""
        with self.transaction() as tx:
            tx.execute(
                update(documents)
                .where(documents.c.collection == collection, documents.c.doc_id.in_(list(doc_ids)))
                .values(current_version=None, content_hash=None)
            )

    def record_outcome(
        self,
        collection: str,
        doc_id: str,
        status: str,
        run_id: str,
        error: str | None = None,
        version: int | None = None,
        content_hash: str | None = None,
        report: dict[str, Any] | None = None,
    ) -> None:
        """A document that was quarantined or failed: its last status (and the quarantined version's report)."""
        now = utc_now()
        with self.transaction() as tx:
            if version is not None and content_hash is not None:
                tx.execute(
                    insert(document_versions).values(
                        collection=collection,
                        doc_id=doc_id,
                        version=version,
                        content_hash=content_hash,
                        status=status,
                        run_id=run_id,
                        chunk_count=0,
                        created_at=now,
                        report=report,
                    )
                )
            self._set_document(tx, collection, doc_id, run_id, now, last_status=status, last_error=error)

    @staticmethod
    def _set_document(
        tx: Connection, collection: str, doc_id: str, run_id: str, now: datetime, **values: Any
    ) -> None:
        key = (documents.c.collection == collection) & (documents.c.doc_id == doc_id)
        values |= {"last_run_id": run_id, "updated_at": now}
        if tx.scalar(select(func.count()).select_from(documents).where(key)):
            tx.execute(update(documents).where(key).values(**values))
        else:
            tx.execute(insert(documents).values(collection=collection, doc_id=doc_id, **values))

    # --- reconciliation --------------------------------------------------------------------------

    def unfinished(self, collection: str) -> list[VersionRef]:
        """Pending versions (a crash before commit, or a run still writing) and superseded ones (a crash
        before their delete)."""
        with self.transaction() as tx:
            return self._versions(tx, collection, [PENDING, SUPERSEDED])

    @staticmethod
    def _versions(
        tx: Connection, collection: str, statuses: Iterable[str], doc_ids: Sequence[str] | None = None
    ) -> list[VersionRef]:
        query = select(
            document_versions.c.doc_id,
            document_versions.c.version,
            document_versions.c.status,
            document_versions.c.run_id,
        ).where(document_versions.c.collection == collection, document_versions.c.status.in_(list(statuses)))
        if doc_ids is not None:
            query = query.where(document_versions.c.doc_id.in_(list(doc_ids)))
        refs = []
        for row in tx.execute(query.order_by(document_versions.c.doc_id, document_versions.c.version)).all():
            point_ids = tx.scalars(
                select(chunks.c.point_id)
                .where(
                    chunks.c.collection == collection,
                    chunks.c.doc_id == row.doc_id,
                    chunks.c.version == row.version,
                )
                .order_by(chunks.c.chunk_index)
            ).all()
            refs.append(VersionRef(row.doc_id, row.version, row.status, list(point_ids), row.run_id))
        return refs

    def drop_version(self, collection: str, doc_id: str, version: int) -> None:
        """Delete a version's rows (after its points are gone from the collection), its vault included."""
        self.drop_versions(collection, [(doc_id, version)])

    def drop_versions(self, collection: str, versions: Sequence[tuple[str, int]]) -> None:
        """``drop_version`` for several (doc id, version) pairs in one transaction."""
        with self.transaction() as tx:
            for doc_id, version in versions:
                for vault_table in (vault_entries, vault_keys):
                    tx.execute(
                        delete(vault_table).where(
                            vault_table.c.collection == collection,
                            vault_table.c.doc_id == doc_id,
                            vault_table.c.version == version,
                        )
                    )
                point_ids = select(chunks.c.point_id).where(
                    chunks.c.collection == collection, chunks.c.doc_id == doc_id, chunks.c.version == version
                )
                tx.execute(delete(chunk_entities).where(chunk_entities.c.point_id.in_(point_ids)))
                tx.execute(
                    delete(chunks).where(
                        chunks.c.collection == collection,
                        chunks.c.doc_id == doc_id,
                        chunks.c.version == version,
                    )
                )
                tx.execute(
                    delete(document_versions).where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == doc_id,
                        document_versions.c.version == version,
                    )
                )

    # --- read side -------------------------------------------------------------------------------

    def committed_point_ids(self, collection: str) -> set[str]:
        """Point ids of the collection's committed versions: exactly what Qdrant should hold."""
        query = (
            select(chunks.c.point_id)
            .join(
                document_versions,
                (document_versions.c.collection == chunks.c.collection)
                & (document_versions.c.doc_id == chunks.c.doc_id)
                & (document_versions.c.version == chunks.c.version),
            )
            .where(chunks.c.collection == collection, document_versions.c.status == COMMITTED)
        )
        with self.transaction() as tx:
            return set(tx.scalars(query))

    def table_counts(self) -> dict[str, int]:
        with self.transaction() as tx:
            return {
                table.name: int(tx.scalar(select(func.count()).select_from(table)) or 0)
                for table in (runs, documents, document_versions, chunks, chunk_entities)
            }
