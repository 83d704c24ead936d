"""A purge's VACUUM takes erased bytes off the disk where SQLite does not zero deleted rows itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def test_vacuum_removes_freed_bytes_where_secure_delete_is_off(tmp_path: Path) -> None:
    """This machine's SQLite zeroes deleted rows by default (SQLITE_SECURE_DELETE); other builds do not,
    and there only the purge's VACUUM takes the bytes away."""
    from indexers.purge import vacuum_sqlite

    database, secret = tmp_path / "store.sqlite", b"erased-chunk-text-" * 50
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA secure_delete=OFF")
        connection.execute("CREATE TABLE points (id INTEGER PRIMARY KEY, payload BLOB)")
        connection.executemany("INSERT INTO points VALUES (?, ?)", [(1, secret), (2, b"kept" * 300)])
        connection.commit()
        connection.execute("DELETE FROM points WHERE id = 1")
        connection.commit()
    connection.close()
    # deleted, unreachable, still on disk
    assert secret in database.read_bytes()
    vacuum_sqlite(database)
    assert secret not in database.read_bytes()
