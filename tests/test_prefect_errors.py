"""Errors in words, safely, through a real Prefect server: a flow that fails on a wrong path, no paths, a
missing policy file, a missing collection, an unknown or a completed erasure request says what was wrong
in its state message and its run log (ragmask's own message, built from what the operator gave); so does
every error class ragmask declares, raised in the flow shell, while another exception leaves as its type.
No document text, detected value or file name found inside the tree reaches Prefect's home."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.prefect.flow_runs import slug_words
from tests.prefect_server import prefect_server
from tests.scripts import run_python
from tests.test_flows import PERSONAL_FILE_NAME
from tests.test_ingest_e2e import CORPUS, GOLD_VALUES, leaked_values

# Each case calls the flow a deployment runs, in a process pointed at the server; prints what each raised.
FAILING_FLOWS = """
import json, sys
from pathlib import Path
from flows.operations.erase import register_request
from flows.prefect.erase import erase_flow
from flows.prefect.ingest import ingest_flow
from flows.prefect.scrub import scrub_flow
from flows.settings import EraseSettings, IngestSettings, ScrubSettings, StoreSettings
from masking import load_keys

data, corpus, personal = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
stores = StoreSettings(data_dir=data, collection="docs")
ingest = IngestSettings(stores=stores)
ingest_flow(paths=[str(corpus)], settings=ingest)
request_id = register_request(stores, load_keys(), documents=[str(corpus / "notes" / personal)])
erase_flow(request_id, settings=EraseSettings(stores=stores))
cases = {
    "wrong path": lambda: ingest_flow(paths=[str(corpus / "no-such-folder")], settings=ingest),
    "no paths": lambda: ingest_flow(paths=[], settings=ingest),
    "missing policy file": lambda: ingest_flow(
        paths=[str(corpus)], settings=IngestSettings(stores=stores, policy=str(corpus / "missing.yaml"))
    ),
    "missing collection": lambda: scrub_flow(
        settings=ScrubSettings(
            source_collection="no_such_source", target_collection="masked", stores=StoreSettings(data_dir=data)
        )
    ),
    "unknown erase request": lambda: erase_flow("er_000000000000000000000000", settings=EraseSettings(stores=stores)),
    "completed erase request": lambda: erase_flow(request_id, settings=EraseSettings(stores=stores)),
}
raised = {}
for case, run in cases.items():
    try:
        run()
        raised[case] = None
    except Exception as error:
        raised[case] = f"{type(error).__name__}: {error}"

# every error class ragmask declares, raised inside the flow shell
import importlib, pkgutil
from flows.prefect.shell import OperationFailed, operation_run, ragmask_flow
from indexers.erasure import AlreadyErasedError
from masking.errors import RagmaskError

for package in ("masking", "indexers", "flows"):
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if not info.name.endswith("__main__") and ".migrations" not in info.name:
            importlib.import_module(info.name)


def every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every(sub)


classes = {cls.__name__: cls for cls in every(RagmaskError)} | {"ValueError": ValueError}


def error_of(name):
    if name == "AlreadyErasedError":
        return AlreadyErasedError("er_000000000000000000000001")
    if name == "OperationFailed":
        return OperationFailed("inner", "collection 'docs' is busy")
    if name == "ValueError":
        # a third-party message may quote its input
        return ValueError(personal)
    return classes[name](f"{name}: collection 'docs' holds 3 documents")


@ragmask_flow("probe")
def probe_flow(error_class: str) -> None:
    with operation_run("probe"):
        raise error_of(error_class)


expected = {}
for name in sorted(classes):
    error = error_of(name)
    reason = error.reason if name == "OperationFailed" else "unexpected ValueError" if name == "ValueError" else str(error)
    expected[name] = f"probe failed: {reason}"
    try:
        probe_flow(name)
    except OperationFailed:
        pass
print(json.dumps({"raised": raised, "request_id": request_id, "probes": expected}))
"""

# case -> the flow run's name and what its message must say
EXPECTED = {
    "wrong path": ("ingest", "ingest failed: {corpus}/no-such-folder: no such file or directory"),
    "no paths": ("ingest", "ingest failed: no paths to read: give at least one file or directory"),
    "missing policy file": ("ingest", "ingest failed: policy {corpus}/missing.yaml: no such preset or file"),
    "missing collection": ("scrub", "scrub failed: source collection 'no_such_source' does not exist"),
    "unknown erase request": ("erase", "erase er_000000000000000000000000 failed: no erasure request"),
    "completed erase request": (
        "erase",
        "erase {request_id} failed: request {request_id} is already completed",
    ),
}


def failed_runs(api: httpx.Client) -> list[dict[str, Any]]:
    found = api.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}})
    return list(found.json())


def run_log(api: httpx.Client, run_id: str) -> list[str]:
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200})
    return [entry["message"] for entry in logs.json()]


@pytest.mark.slow
def test_a_failed_run_says_what_was_wrong_and_nothing_personal(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "notes" / f"{PERSONAL_FILE_NAME}.txt").write_text(
        "Call back about the refund.\n", encoding="utf-8"
    )
    with prefect_server(tmp_path / "prefect") as env:
        done = run_python(
            ["-c", FAILING_FLOWS, str(tmp_path / "data"), str(corpus), f"{PERSONAL_FILE_NAME}.txt"],
            # a machine with no receipt key yet
            env | {"XDG_CONFIG_HOME": str(tmp_path / "config")},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=30)
        runs = sorted(failed_runs(api), key=lambda run: run["created"])
        probes = outcome["probes"]
        # every ragmask error class, and a third-party error whose message quotes a value
        assert len(probes) > 25 and "ValueError" in probes and "SourceError" in probes
        for (error_class, words), run in zip(probes.items(), runs[len(EXPECTED) :], strict=True):
            assert words in run["state"]["message"], (error_class, run["state"]["message"])
            assert any(words in line for line in run_log(api, run["id"])), error_class
        runs = runs[: len(EXPECTED)]
        for (case, (flow_name, expected)), run in zip(EXPECTED.items(), runs, strict=True):
            words = expected.format(corpus=corpus, request_id=outcome["request_id"])
            # the state message, the exception a caller (the CLI) gets, and a line of the run log
            assert words in run["state"]["message"], (case, run["state"]["message"])
            assert run["name"].startswith(flow_name) and words in str(outcome["raised"][case]), case
            assert any(words in line for line in run_log(api, run["id"])), case
        # ragmask's own warning reached the run log: the first erasure created the receipt key
        completed = api.post(
            "/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        )
        erase_run = next(run for run in completed.json() if run["name"].startswith("erase"))
        assert any("created a new receipt key" in line for line in run_log(api, erase_run["id"]))
    assert leaked_values(tmp_path / "prefect", [*GOLD_VALUES, PERSONAL_FILE_NAME], slug_words()) == []
