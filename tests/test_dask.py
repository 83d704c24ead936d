"""``--task-runner dask``: batches read, masked and embedded on a real local Dask cluster of 2 worker
processes, written by the run's process, give the same points, payloads and lineage rows as the default
runner; on the direct path (a ``distributed`` client) and in a Prefect flow run (prefect-dask)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from flows.operations.ingest import run_ingest
from flows.pipeline.dask_batches import WorkerKeyError
from flows.settings import IngestSettings, StoreSettings
from indexers.qdrant_store import close_local_clients
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.scripts import run_python
from tests.test_ingest_e2e import leaked_values
from tests.throughput_corpus import KEYS as OTHER_KEYS
from tests.throughput_corpus import snapshot, write_corpus

pytest.importorskip("distributed", reason="Dask is not installed (pip install 'ragmask[dask]')")
# the key the workers load from RAGMASK_SECRET_KEY
RUN_KEYS = MaskingKeys(TEST_SECRET.encode())


def without_run_ids(state: tuple[dict[str, Any], Any]) -> tuple[dict[str, Any], Any]:
    """A snapshot with each payload's run id dropped: two flow runs have two run ids."""
    points, lineage = state
    for payload, _ in points.values():
        payload["metadata"]["provenance"].pop("run_id")
    return points, lineage


def test_batches_prepared_on_a_local_dask_cluster_write_what_the_default_runner_writes(
    tmp_path: Path,
) -> None:
    write_corpus(tmp_path / "corpus", 8)
    # a skipped file crosses too
    (tmp_path / "corpus" / "notes.bin").write_bytes(b"\x00\x01binary")
    results = {}
    for runner in ("threads", "dask"):
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / runner).resolved(),
            batch_documents=3,
            workers=2 if runner == "dask" else 1,
            task_runner=runner,
        )
        results[runner] = run_ingest([tmp_path / "corpus"], settings, keys=RUN_KEYS, run_id="same-run")
        close_local_clients()
    threads, dask = results["threads"].counts, results["dask"].counts
    assert dask.documents_indexed == threads.documents_indexed == 8
    assert dask.files_skipped == threads.files_skipped == 1
    # the workers' stage seconds
    assert dask.entities == threads.entities and dask.seconds["detect"] > 0
    assert snapshot(tmp_path / "dask") == snapshot(tmp_path / "threads")
    # a second run on the cluster finds nothing changed and writes nothing
    again = run_ingest(
        [tmp_path / "corpus"],
        IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / "dask").resolved(),
            batch_documents=3,
            workers=2,
            task_runner="dask",
        ),
        keys=RUN_KEYS,
    )
    assert again.counts.documents_unchanged == 8 and again.counts.documents_indexed == 0
    assert snapshot(tmp_path / "dask") == snapshot(tmp_path / "threads")
    close_local_clients()
    # workers whose key is not the run's are refused: they would write other tokens
    other = IngestSettings(
        stores=StoreSettings(data_dir=tmp_path / "other").resolved(), workers=1, task_runner="dask"
    )
    with pytest.raises(WorkerKeyError, match="masking key"):
        run_ingest([tmp_path / "corpus"], other, keys=OTHER_KEYS)
    close_local_clients()


def corpus_values(corpus: Path) -> list[str]:
    """The names and e-mail addresses write_corpus put in each paragraph ("NAME wrote to EMAIL from ...")."""
    values = []
    for path in sorted(corpus.glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            name, rest = paragraph.split(" wrote to ", 1)
            values += [name, rest.split(" from ", 1)[0]]
    return values


FLOW_SCRIPT = """
import json, sys
from pathlib import Path
from prefect.client.orchestration import get_client
from flows.cli import as_flow_run
from flows.settings import IngestSettings, StoreSettings
runs = {}
for runner in ("threads", "dask"):
    settings = IngestSettings(stores=StoreSettings(data_dir=sys.argv[2] + "/" + runner), batch_documents=3,
                                task_runner=runner, workers=2, vault=True)
    runs[runner] = as_flow_run([Path(sys.argv[1])], settings)
import time
time.sleep(3)  # task runs reach the server as events
with get_client(sync_client=True) as client:
    states = [r.state_type.value for r in client.read_flow_runs()]
    logs = [(str(log.flow_run_id), bool(log.task_run_id), log.message) for log in client.read_logs()]
print(json.dumps({"runs": runs, "logs": logs, "states": states}))
"""


@pytest.mark.slow
def test_the_ingest_flow_prepares_batches_on_dask_through_prefect_dask(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 8)
    home = tmp_path / "prefect_home"
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": "",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "RAGMASK_VAULT_KEY": "dask-test-vault-key-not-for-production",
    }
    done = run_python(["-c", FLOW_SCRIPT, str(tmp_path / "corpus"), str(tmp_path / "data")], env)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["states"] == ["COMPLETED", "COMPLETED"]
    logs = report["logs"]
    # the dask run: three prepare-batch task runs (on the workers), each batch written by the flow run
    dask_run = next(run for run, in_task, message in logs if not in_task and message.startswith("batch-1: "))
    assert [m for run, in_task, m in logs if run == dask_run and in_task] == [
        "Finished in state Completed()"
    ] * 3
    assert sorted(
        m.split(":")[0] for run, in_task, m in logs if run == dask_run and m.startswith("batch-")
    ) == ["batch-1", "batch-2", "batch-3"]
    # the threads run: each batch an ingest-batch task run that writes
    assert len([m for run, in_task, m in logs if run != dask_run and in_task and "documents seen" in m]) == 3
    assert report["runs"]["dask"]["documents_indexed"] == report["runs"]["threads"]["documents_indexed"] == 8
    assert without_run_ids(snapshot(tmp_path / "data" / "dask")) == without_run_ids(
        snapshot(tmp_path / "data" / "threads")
    )
    fake_values = corpus_values(tmp_path / "corpus")
    assert len(fake_values) == 8 * 3 * 2 and leaked_values(home, fake_values) == []
    # the vault holds the values sealed only
    assert leaked_values(tmp_path / "data", fake_values) == []
    assert TEST_SECRET not in done.stdout + done.stderr
    close_local_clients()
