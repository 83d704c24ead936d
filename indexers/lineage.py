"""The lineage database: one SQLAlchemy engine (a SQLite file by default, any URL such as PostgreSQL), its
schema migrated by Alembic on open, and the store-wide settings (the masking key it was written with, its
identity). The focused stores over it each keep their own tables (see ``LineageStore``).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from indexers.errors import LineageError
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    collection_profiles,
    document_versions,
    documents,
    runs,
    store_settings,
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


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    """The lineage database: one engine, its schema migrated on open, and the store's identity and key.

    The focused stores work through ``transaction()`` over this one engine: runs (indexers/run_log.py),
    versions (indexers/version_ledger.py), what a collection holds (indexers/document_catalog.py),
    collection profiles (indexers/collection_profiles.py), erasures, the vault and source references.

    Usage::

        lineage = LineageStore("sqlite:///.ragmask/lineage.db")
        VersionLedger(lineage).unfinished("docs")
    """

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

    def table_counts(self) -> dict[str, int]:
        with self.transaction() as tx:
            return {
                table.name: int(tx.scalar(select(func.count()).select_from(table)) or 0)
                for table in (runs, documents, document_versions, chunks, chunk_entities)
            }
