"""The runs of a lineage store: who is writing a collection, whether their process still lives, how each
run ended; and the ageing out of finished runs' records."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from indexers.lineage import INTERRUPTED, RUNNING, LineageStore, as_utc, utc_now
from indexers.lineage_schema import runs

# A run on another host whose heartbeat is older than this is taken for dead (a run on this host is
# judged by its process id). Runs beat after every batch.
STALE_AFTER = timedelta(hours=1)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # another user's process
        return True
    return True


class RunLog:
    """The ``runs`` table of a lineage store.

    Usage::

        RunLog(lineage).start_run(run_id, "ingest", "docs", settings.describe())
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def start_run(self, run_id: str, kind: str, collection: str, settings: dict[str, Any]) -> None:
        now = utc_now()
        with self.lineage.transaction() as tx:
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
        with self.lineage.transaction() as tx:
            tx.execute(update(runs).where(runs.c.run_id == run_id).values(heartbeat_at=utc_now()))

    def live_runs(self, collection: str) -> set[str]:
        """The collection's runs whose process still lives; "running" runs whose process is gone (killed,
        crashed) are marked interrupted here, so no run stays "running" forever."""
        host, now = socket.gethostname(), utc_now()
        with self.lineage.transaction() as tx:
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
        with self.lineage.transaction() as tx:
            status: str | None = tx.scalar(select(runs.c.status).where(runs.c.run_id == run_id))
        return status

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(status=status, finished_at=utc_now(), counts=counts)
            )

    def prune_runs(self, cutoff: datetime) -> int:
        """Delete the records of runs that finished before ``cutoff``; returns how many."""
        with self.lineage.transaction() as tx:
            done = tx.execute(delete(runs).where(runs.c.status != RUNNING, runs.c.finished_at < cutoff))
        return int(done.rowcount or 0)
