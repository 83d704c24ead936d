"""The Prefect ingest flow, run by Prefect (ephemeral server on a private PREFECT_HOME), and the CLI.

Prefect keeps flow parameters, state messages, logs and events in its database: after a flow run
neither that database nor anything under PREFECT_HOME, nor the run's own output, holds a PII value.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from flows.prefect.flow_runs import slug_words
from tests.conftest import REPO
from tests.scripts import run_python
from tests.test_ingest_e2e import (
    CORPUS,
    CORPUS_DOCUMENTS,
    GOLD,
    GOLD_VALUES,
    leaked_values,
)

FLOW_SCRIPT = """
import json, sys, uuid
from pathlib import Path
from prefect.client.orchestration import get_client
from prefect.logging.handlers import APILogHandler
from qdrant_client import models
from flows.prefect.audit import audit_flow
from flows.cli import as_flow_run
from flows.prefect.compact import compact_flow
from flows.prefect.erase import erase_flow
from flows.operations.erase import register_request
from flows.prefect.expire import expire_flow
from flows.settings import (AuditSettings, CompactSettings, EraseSettings, ExpireSettings,
                              IngestSettings, ReindexSettings, ScrubSettings, StoreSettings)
from flows.prefect.scrub import scrub_flow
from flows.settings import StoreSettings
from indexers.qdrant_store import Point, VectorStore
from masking import load_keys
# the CLI's flow path: the settings object crosses whole, the paths as a sealed source reference
stores = StoreSettings(data_dir=sys.argv[2])
settings = IngestSettings(stores=stores, batch_documents=4, vault=True)
result = as_flow_run([Path(sys.argv[1])], settings)
# a file vanishes from the source: the reindex flow erases its document, with a receipt
next(Path(sys.argv[1]).glob("notes/*@*.txt")).unlink()
reindex = as_flow_run([Path(sys.argv[1])], ReindexSettings(**dict(settings)))
# the identifier goes to the lineage store as fingerprints; the flow gets the request id only
request_id = register_request(StoreSettings(data_dir=Path(sys.argv[2])).resolved(), load_keys(),
                              identifiers=[("email", sys.argv[3])])
receipt = erase_flow(request_id, settings=EraseSettings(stores=stores))
compact = compact_flow(settings=CompactSettings(stores=stores))
audit = audit_flow(settings=AuditSettings(stores=stores))
# retention as a scheduled run would do it
expire = expire_flow(settings=ExpireSettings(stores=stores, retention_days=3650, dry_run=True))
# a hand-rolled collection with a raw value, scrubbed by the flow; the source goes once the target audits clean
raw = VectorStore(StoreSettings(data_dir=Path(sys.argv[2])).resolved().qdrant, "raw_notes")
raw.create(4, None, models.Distance.COSINE)
raw.upsert([Point(str(uuid.uuid4()), [0.1] * 4, {"text": f"Write to {sys.argv[3]} today.", "ticket": "T-1"})])
scrub = scrub_flow(settings=ScrubSettings(source_collection="raw_notes", target_collection="notes_masked",
                                            payload_format="raw", doc_key="ticket", delete_source=True, stores=stores))
# a policy that keeps e-mail addresses leaves one document dirty: quarantined, listed, the rest goes live
careless = Path(sys.argv[2]).parent / "careless.yaml"
careless.write_text("name: careless\\nextends: default\\nentities:\\n  EMAIL_ADDRESS: keep\\n")
raw = VectorStore(StoreSettings(data_dir=Path(sys.argv[2])).resolved().qdrant, "raw_tickets")
raw.create(4, None, models.Distance.COSINE)
raw.upsert([Point(str(uuid.uuid4()), [0.1] * 4, {"text": text, "ticket": ticket}) for ticket, text in
            (("T-2", f"Write to {sys.argv[3]} today."), ("T-3", "The refund was issued on Monday."))])
quarantined = scrub_flow(settings=ScrubSettings(source_collection="raw_tickets", target_collection="tickets_masked",
                                                  payload_format="raw", doc_key="ticket", stores=stores, delete_source=True,
                                                  policy_file=str(careless), max_quarantined="1"))
# the write limit of a collection that is gone is deleted by compact and expire once idle; others stay
from datetime import timedelta
from flows.prefect.collection_slots import release_gone_slots
from indexers.qdrant_store import collection_names
with get_client(sync_client=True) as client:
    client.upsert_global_concurrency_limit_by_name("ragmask-write-gone_collection", 1)
released = release_gone_slots(collection_names(stores.resolved().qdrant), idle_for=timedelta(0))
with get_client(sync_client=True) as client:
    slots = sorted(limit.name for limit in client.read_global_concurrency_limits(limit=50))
# the run logs still queued for the API sent first; then every page of them (the API answers 200 at a time)
APILogHandler().flush()
with get_client(sync_client=True) as client:
    artifacts = client.read_artifacts()
    runs = client.read_flow_runs()
    logs = []
    while page := client.read_logs(limit=200, offset=len(logs)):
        logs += [log.message for log in page]
summaries = {a.key: a.data for a in artifacts if a.key and "-summary-" in a.key}
print(json.dumps({"result": result, "reindex": reindex, "compact": compact, "expire": expire, "receipt": receipt, "audit": audit, "scrub": scrub, "quarantined": quarantined, "artifacts": sorted({a.key for a in artifacts if a.key}), "summaries": summaries,
                  "states": [r.state_type.value for r in runs if r.state_type],
                  "runs": [[r.name, str(r.id), sorted(r.tags)] for r in runs],
                  "batch_logs": [m for m in logs if m.startswith("batch-") and "documents seen" in m],
                  "quarantine_logs": [m for m in logs if "documents quarantined" in m], "released": released, "slots": slots}))
"""


# in the indexed text
ERASED_EMAIL = next(v for v in GOLD["hr/offer_letter.txt"] if "@" in v)
# a file name is personal data too
PERSONAL_FILE_NAME = "Maria Gonzalez maria.gonzalez@example.com"
AUTH_STRING = "ragmask-admin:flow-test-auth-not-for-production"


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "prefect_home"
    return os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": "",
        # everything at DEBUG: websockets then logs the API's Authorization header, pypdf and Prefect more
        "PREFECT_LOGGING_LEVEL": "DEBUG",
        "PREFECT_LOGGING_ROOT_LEVEL": "DEBUG",
        # migrations log every statement
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_API_AUTH_STRING": AUTH_STRING,
        "PREFECT_SERVER_API_AUTH_STRING": AUTH_STRING,
        "RAGMASK_VAULT_KEY": "flow-test-vault-key-not-for-production",
    }


@pytest.mark.slow
def test_flow_run_records_counts_and_artifacts_but_no_pii(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    named = tmp_path / "corpus" / "notes" / f"{PERSONAL_FILE_NAME}.txt"
    named.write_text("Call back about the refund before Friday.\n", encoding="utf-8")
    done = run_python(
        ["-c", FLOW_SCRIPT, str(tmp_path / "corpus"), str(tmp_path / "data"), ERASED_EMAIL], _env(tmp_path)
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["result"]["documents_indexed"] == CORPUS_DOCUMENTS + 1
    # ingest, reindex, erase, compact, audit, expire, two scrubs
    assert report["states"] == ["COMPLETED"] * 8
    # keyed by collection: Prefect's history of a key is one collection's
    assert {
        "ingest-summary-ragmask",
        "ingest-entities-ragmask",
        "ingest-progress-ragmask",
        "ingest-reports-ragmask",
        "reindex-summary-ragmask",
        "reindex-progress-ragmask",
        "reindex-reports-ragmask",
        "reindex-removals-ragmask",
        "expire-summary-ragmask",
        "expire-documents-ragmask",
        "compact-receipt-ragmask",
        "erase-receipt-ragmask",
        "audit-summary-ragmask",
        "audit-findings-ragmask",
        "scrub-summary-notes-masked",
        "scrub-entities-notes-masked",
        "scrub-quarantine-tickets-masked",
    } <= set(report["artifacts"])
    summaries = report["summaries"]
    # the points left after the removal; the stores written, no credentials
    reindexed = summaries["reindex-summary-ragmask"]
    assert "1 vanished documents erased (1 receipts)" in reindexed
    assert f"{report['reindex']['points_total']} points in the collection" in reindexed
    assert "Stores: Qdrant local folder " in reindexed and "lineage sqlite:///" in reindexed
    assert "would be erased. Dry run: nothing was erased" in summaries["expire-summary-ragmask"]
    assert "indexed before 20" in summaries["expire-summary-ragmask"]
    assert "points scanned: **clean**;" in summaries["audit-summary-ragmask"]
    quarantined = report["quarantined"]
    assert (
        quarantined["documents_quarantined"] == 1
        and quarantined["live"]
        and quarantined["points_written"] == 1
    )
    assert quarantined["source_points_kept"] == 1 and not quarantined["source_deleted"]
    assert quarantined["quarantined"][0]["source"] == "T-2" and quarantined["quarantined"][0]["types"] == [
        "EMAIL_ADDRESS"
    ]
    assert report["expire"]["documents_expired"] == 0 and report["expire"]["dry_run"] is True
    # ragmask's own warning, in the run log in the UI
    assert report["quarantine_logs"] == [
        "1 documents quarantined: left out of 'tickets_masked' and listed by doc id (the rest went live)"
    ]
    assert report["released"] == ["ragmask-write-gone_collection"]
    assert report["slots"] == [
        "ragmask-write-notes_masked",
        "ragmask-write-ragmask",
        "ragmask-write-tickets_masked",
    ]
    runs = {name: (run_id, tags) for name, run_id, tags in report["runs"]}
    assert {
        "ingest ragmask",
        "reindex ragmask",
        "erase ragmask",
        "compact ragmask",
        "audit ragmask",
        "expire ragmask",
        "scrub notes_masked",
        "scrub tickets_masked",
    } == set(runs)
    assert report["compact"]["request"]["kind"] == "compact" and report["compact"]["verified"] is True
    # the CLI tags its runs
    assert runs["ingest ragmask"][1] == ["ingest", "ragmask"]
    with closing(sqlite3.connect(tmp_path / "data" / "lineage.db")) as lineage:
        linked = dict(
            lineage.execute("SELECT kind, json_extract(settings, '$.prefect_flow_run_id') FROM runs")
        )
    assert linked["ingest"] == runs["ingest ragmask"][0] and linked["reindex"] == runs["reindex ragmask"][0]
    # ingest's and reindex's batches of 4
    assert len(report["batch_logs"]) >= 2 * (CORPUS_DOCUMENTS // 4)
    reindex = report["reindex"]
    assert reindex["documents_removed"] == 1 and len(reindex["receipts"]) == 1
    assert reindex["documents_unchanged"] == CORPUS_DOCUMENTS and reindex["documents_indexed"] == 0
    scrub = report["scrub"]
    assert (
        scrub["points_written"] == 1 and scrub["entities"] == {"EMAIL_ADDRESS": 1} and scrub["source_deleted"]
    )
    assert report["audit"]["suspected"] == 0 and report["audit"]["points_scanned"] >= CORPUS_DOCUMENTS
    assert report["receipt"]["verified"] is True and report["receipt"]["matched"]["chunks"] >= 1
    assert (tmp_path / "prefect_home" / "prefect.db").is_file()
    with closing(sqlite3.connect(tmp_path / "data" / "lineage.db")) as lineage:
        # one erased
        assert lineage.execute("SELECT count(*) FROM vault_keys").fetchone()[0] == CORPUS_DOCUMENTS
    secrets = [*GOLD_VALUES, PERSONAL_FILE_NAME, AUTH_STRING, base64.b64encode(AUTH_STRING.encode()).decode()]
    assert leaked_values(tmp_path / "prefect_home", secrets, slug_words()) == []
    # the vault holds the values sealed only
    leaks = leaked_values(tmp_path / "data", secrets)
    # the quarantined ticket's points stay in their source, the only copy; nothing else holds a value
    assert [leak for leak in leaks if not leak[0].startswith("qdrant/collection/raw_tickets/")] == []
    assert not [v for v in secrets if v in done.stdout or v in done.stderr]
    # DEBUG was on, and filtered
    assert "message withheld (third-party logger)" in done.stderr


def test_cli_ingest_and_search_json(tmp_path: Path) -> None:
    env = os.environ | {"PREFECT_API_URL": ""}
    command = [sys.executable, "-m", "flows.cli"]
    ingest = subprocess.run(
        [*command, "ingest", str(CORPUS), "--data-dir", str(tmp_path / "d"), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    result = json.loads(ingest.stdout)
    assert set(result) == {
        "run_id",
        "collection",
        "documents_seen",
        "documents_indexed",
        "documents_added",
        "documents_changed",
        "documents_unchanged",
        "documents_quarantined",
        "documents_failed",
        "chunks_indexed",
        "points_total",
        "entities",
        "files_skipped",
        "files_unreadable",
        "problems",
        "seconds",
        "settings",
    }
    assert result["problems"] == []
    assert result["documents_indexed"] == result["documents_added"] == CORPUS_DOCUMENTS
    search = subprocess.run(
        [*command, "search", "card charged twice", "--data-dir", str(tmp_path / "d"), "-k", "3", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert search.returncode == 0, search.stderr[-2000:]
    hits = json.loads(search.stdout)["results"]
    assert len(hits) == 3
    assert set(hits[0]) == {"score", "doc_id", "chunk_index", "page_content"}
    assert "<CREDIT_CARD_" in hits[0]["page_content"]
    assert not [v for v in GOLD_VALUES if v in ingest.stdout + ingest.stderr + search.stdout + search.stderr]


def test_cli_search_without_a_collection_is_one_line(tmp_path: Path) -> None:
    done = run_python(["-m", "flows.cli", "search", "anything", "--data-dir", str(tmp_path)], timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "ragmask: error: collection 'ragmask' does not exist; run ragmask ingest first"
    ]
