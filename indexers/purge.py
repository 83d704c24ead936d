"""Purge: make erased bytes go away, not just unreachable.

A delete in Qdrant's local mode removes a row from its SQLite file, whose freed pages keep the bytes;
SQLite's lineage file does the same. Purging rewrites those files: ``secure_delete`` zeroes what is
freed from then on and ``VACUUM`` rebuilds the file from live rows only. PostgreSQL: ``VACUUM FULL``
rewrites the erasure-affected tables. A Qdrant server's collection is rebuilt instead (indexers/rebuild.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from indexers.lineage import LineageStore
from indexers.qdrant_store import QdrantLocation, close_local_clients

PURGED_TABLES = ("chunk_entities", "chunks", "document_versions", "documents", "vault_entries", "vault_keys")


def vacuum_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA secure_delete=ON")
        connection.execute("VACUUM")
    finally:
        connection.close()


def purge_local_qdrant(location: QdrantLocation) -> int:
    """Vacuum every SQLite file of a local-mode folder; returns how many. Closes this process's clients
    first (local mode keeps its file open), so stores reopen on next use."""
    if location.path is None:
        return 0
    close_local_clients()
    files = sorted(location.path.rglob("*.sqlite"))
    for file in files:
        vacuum_sqlite(file)
    return len(files)


def purge_lineage(lineage: LineageStore) -> str:
    """Rewrite the lineage store without freed bytes; returns what was done."""
    return lineage.vacuum(PURGED_TABLES)
