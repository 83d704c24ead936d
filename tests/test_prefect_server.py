"""Against a real ``prefect server start``: ``ragmask serve`` deploys every operation with a typed form,
the scheduler turns the cron schedules into runs, a re-index triggered through the API with parameters
runs to completion with its artifacts, erasure requests queued from the command line are carried out by
the erase deployment's schedule, a bound in the form is enforced, schedules edited in the UI survive a
restart of ``serve``, and the Prefect database holds none of the corpus's personal data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from flows.prefect.flow_runs import slug_words
from tests.conftest import REPO
from tests.prefect_server import BIN, prefect_server, ragmask_serve
from tests.scripts import run_python
from tests.test_flows import ERASED_EMAIL, PERSONAL_FILE_NAME
from tests.test_ingest_e2e import CORPUS, CORPUS_DOCUMENTS, GOLD_VALUES, leaked_values

T = TypeVar("T")
OPERATIONS = {"ingest", "reindex", "expire", "audit", "compact", "erase", "scrub"}


def wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


class RetryingTransport(httpx.HTTPTransport):
    """Sends a request again while a busy server answers 429 or 5xx, as Prefect's own client does: the
    server answers 503 for an error it calls retryable (SQLite locked while its scheduler writes)."""

    attempts = 5

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.attempts - 1):
            response = super().handle_request(request)
            if response.status_code != 429 and response.status_code < 500:
                return response
            response.close()
            time.sleep(2)
        return super().handle_request(request)


def api_client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30, transport=RetryingTransport())


def create_run(
    api: httpx.Client, deployment_id: str, parameters: dict[str, Any], name: str | None = None
) -> dict[str, Any]:
    """A flow run of the deployment, created through the API (named, as the form's run name does)."""
    body: dict[str, Any] = {"parameters": parameters} | ({"name": name} if name else {})
    response = api.post(f"/deployments/{deployment_id}/create_flow_run", json=body)
    assert response.status_code == 201, f"{response.status_code}: {response.text}"
    run: dict[str, Any] = response.json()
    return run


def deployments(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """The served deployments by flow name."""
    flows = {f["id"]: f["name"] for f in api.post("/flows/filter", json={}).json()}
    return {flows[d["flow_id"]]: d for d in api.post("/deployments/filter", json={}).json()}


def all_served(api: httpx.Client) -> dict[str, dict[str, Any]] | None:
    served = deployments(api)
    return served if set(served) == OPERATIONS else None


def finished_run(api: httpx.Client, run_id: str) -> dict[str, Any] | None:
    run: dict[str, Any] = api.get(f"/flow_runs/{run_id}").json()
    return run if run["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None


def reset_to(api: httpx.Client, deployment_id: str, cron: str) -> bool:
    return [s["schedule"]["cron"] for s in api.get(f"/deployments/{deployment_id}/schedules").json()] == [
        cron
    ]


def released_slot(api: httpx.Client, name: str) -> dict[str, Any] | None:
    slot: dict[str, Any] = api.get(f"/v2/concurrency_limits/{name}").json()
    return slot if slot["active_slots"] == 0 else None


def runs_of(api: httpx.Client, deployment_id: str, state: str | None = None) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}}
    if state:
        query["flow_runs"]["state"] = {"type": {"any_": [state]}}
    runs: list[dict[str, Any]] = api.post("/flow_runs/filter", json=query).json()
    return runs


def check_forms(served: dict[str, dict[str, Any]], corpus: Path) -> None:
    """The forms: typed, described, bounded; presets as choices; defaults from serve's options."""
    reindex = served["reindex"]
    # the form: typed, described, bounded; presets as choices; defaults from serve's options
    form = reindex["parameter_openapi_schema"]["definitions"]["ReindexSettings"]["properties"]
    # essentials first, the rest in the Advanced group
    assert list(form) == ["collection", "policy", "full", "advanced"]
    advanced = form["advanced"]["properties"]
    assert advanced["batch_documents"]["minimum"] == 1
    assert form["policy"]["enum"] == ["default", "strict", "hipaa"]
    assert all(
        field.get("title") and field.get("description") for field in [*form.values(), *advanced.values()]
    )
    # no "str | None" toggles ("Property is type None" under each field): empty means the default
    schema = reindex["parameter_openapi_schema"]
    fields = [
        *schema["properties"].values(),
        *(f for d in schema["definitions"].values() for f in d["properties"].values()),
    ]
    assert not [field for field in fields if "anyOf" in field]
    assert reindex["parameters"]["paths"] == [str(corpus)]
    # paths marked required; the CLI's sealed reference is no field of a form
    assert schema["required"] == ["paths"] and "source_ref" not in schema["properties"]
    assert reindex["parameters"]["settings"]["collection"] == "docs"
    assert served["expire"]["parameters"]["settings"]["retention_days"] == 3650
    # empty: every queued request
    assert "request_id" not in served["erase"]["parameter_openapi_schema"].get("required", [])


def queued_erasures_run_on_schedule(
    api: httpx.Client, erase: dict[str, Any], corpus: Path, data: Path, env: dict[str, str]
) -> None:
    """A privacy officer's workflow: three requests queued from the command line (fingerprints only); the
    erase deployment's scheduled run carries them out, and its artifact lists their verified receipts."""
    request_ids = []
    for request in (
        ["--email", ERASED_EMAIL],
        ["--document", str(corpus / "notes" / f"{PERSONAL_FILE_NAME}.txt")],
        ["--document", str(corpus / "support" / "ticket_1042.md"), "--mode", "delete"],
    ):
        queued = run_python(
            [
                "-m",
                "flows.cli",
                "erase",
                *request,
                "--queue",
                "--data-dir",
                str(data),
                "--collection",
                "docs",
            ],
            env,
        )
        assert queued.returncode == 0, queued.stderr[-2000:]
        request_ids.append(queued.stdout.strip())

    def receipts_of_scheduled_runs() -> list[dict[str, Any]] | None:
        # a minute may fall between two requests: their receipts may be in two runs' artifacts
        rows = []
        for run in runs_of(api, erase["id"], "COMPLETED"):
            assert run["auto_scheduled"], "erase runs come from the schedule here"
            found = api.post("/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
            for artifact in found.json():
                if artifact["key"] == "erase-receipts-docs":
                    rows += [row for row in json.loads(artifact["data"]) if row["request_id"] in request_ids]
        return rows if {row["request_id"] for row in rows} == set(request_ids) else None

    rows = wait_for(receipts_of_scheduled_runs, 300, "the scheduled erase runs")
    assert [row["verified"] for row in rows] == [True, True, True]
    assert all(row["receipt_id"].startswith("rcpt_") for row in rows)


@pytest.mark.slow
def test_served_deployments_schedule_run_and_keep_ui_edits(tmp_path: Path) -> None:
    corpus, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(CORPUS, corpus)
    (corpus / "notes" / f"{PERSONAL_FILE_NAME}.txt").write_text(
        "Call back about the refund.\n", encoding="utf-8"
    )
    serve_args = [
        "--source",
        str(corpus),
        "--data-dir",
        str(data),
        "--collection",
        "docs",
        "--reindex-cron",
        "0 2 * * *",
        "--expire-cron",
        "30 3 * * *",
        "--retention-days",
        "3650",
        # queued erasures carried out every minute
        "--erase-cron",
        "* * * * *",
    ]
    with prefect_server(tmp_path / "prefect") as env:
        api = api_client(env["PREFECT_API_URL"])
        with ragmask_serve(serve_args, env, tmp_path / "serve.log"):
            served = wait_for(lambda: all_served(api), 300, "the deployments")
            reindex = served["reindex"]
            check_forms(served, corpus)
            # the scheduler turns the cron schedule into runs
            scheduled = wait_for(
                lambda: runs_of(api, reindex["id"], "SCHEDULED"), 120, "scheduled re-index runs"
            )
            assert {run["expected_start_time"][11:16] for run in scheduled} == {"02:00"}
            wait_for(lambda: runs_of(api, served["expire"]["id"], "SCHEDULED"), 60, "scheduled expire runs")
            # a bound in the form holds for the API too: no run that would do nothing
            refused = api.post(
                f"/deployments/{reindex['id']}/create_flow_run",
                json={"parameters": {"settings": {"advanced": {"batch_documents": 0}}}},
            )
            assert refused.status_code in {409, 422}, refused.text
            # a re-index triggered through the API with parameters, run by the served process
            run = create_run(
                api,
                reindex["id"],
                {
                    "paths": [str(corpus)],
                    "settings": {"collection": "docs", "advanced": {"batch_documents": 4}},
                },
            )
            # the write slot's occupancy while the run works
            held = []

            def finished_holding() -> dict[str, Any] | None:
                held.append(api.get("/v2/concurrency_limits/ragmask-write-docs").json().get("active_slots"))
                return finished_run(api, run["id"])

            finished = wait_for(finished_holding, 480, "the triggered re-index")
            assert finished["state_type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
            assert finished["name"] == "reindex docs" and {"ragmask", "reindex"} <= set(finished["tags"])
            artifacts = api.post(
                "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
            ).json()
            assert {
                "reindex-summary-docs",
                "reindex-reports-docs",
                "reindex-entities-docs",
                "reindex-removals-docs",
            } <= {a["key"] for a in artifacts}
            summary = next(a for a in artifacts if a["key"] == "reindex-summary-docs")["data"]
            assert f"{CORPUS_DOCUMENTS + 1} indexed ({CORPUS_DOCUMENTS + 1} new" in summary
            slot = wait_for(lambda: released_slot(api, "ragmask-write-docs"), 60, "the write slot")
            # held during the run (one writer per collection), released after
            assert slot["limit"] == 1 and 1 in held
            queued_erasures_run_on_schedule(api, served["erase"], corpus, tmp_path / "data", env)
            # a form cannot reach outside serve's sources, nor choose another data directory
            for parameters, named in (
                ({"paths": ["/etc"]}, "path '/etc' lies outside"),
                (
                    {
                        "paths": [str(corpus)],
                        "settings": {"advanced": {"stores": {"data_dir": str(tmp_path)}}},
                    },
                    "data_dir .* cannot be set from a form",
                ),
            ):
                refused_run = create_run(api, reindex["id"], parameters, name=f"probe {named[:8]}")
                failed = wait_for(partial(finished_run, api, refused_run["id"]), 240, "a refused run")
                assert failed["state_type"] == "FAILED" and re.search(named, failed["state"]["message"]), (
                    failed["state"]
                )
                # the name typed for the run is kept
                assert failed["name"] == f"probe {named[:8]}"
            # refused before anything was written
            assert not (tmp_path / "lineage.db").exists()
            # an operator moves the schedule in the UI
            schedule = api.get(f"/deployments/{reindex['id']}/schedules").json()[0]
            edited = api.patch(
                f"/deployments/{reindex['id']}/schedules/{schedule['id']}",
                json={"schedule": {"cron": "15 4 * * *", "timezone": "UTC"}},
            )
            assert edited.is_success, edited.text
        # serve restarts (a new worker image, a reboot): the operator's schedule stays
        with ragmask_serve(serve_args, env, tmp_path / "serve.log"):
            wait_for(
                lambda: "(schedule and defaults as set in the UI)" in (tmp_path / "serve.log").read_text(),
                120,
                "serve to start again",
            )
            time.sleep(5)
            schedules = api.get(f"/deployments/{reindex['id']}/schedules").json()
            assert [s["schedule"]["cron"] for s in schedules] == ["15 4 * * *"]
            assert api.get(f"/deployments/{reindex['id']}").json()["paused"] is False
        # serve's own back
        with ragmask_serve([*serve_args, "--reset"], env, tmp_path / "serve.log"):
            wait_for(lambda: reset_to(api, reindex["id"], "0 2 * * *"), 120, "the reset schedule")
    # nothing personal in Prefect's database, logs or home: parameters are paths and settings
    secrets = [*GOLD_VALUES, PERSONAL_FILE_NAME]
    assert leaked_values(tmp_path / "prefect", secrets, slug_words()) == []


@pytest.mark.slow
def test_prefect_yaml_deploys_to_a_process_pool_whose_worker_runs_the_flows(tmp_path: Path) -> None:
    """infra/prefect.yaml outside Docker: deployed from the repository, run by a plain process worker
    started elsewhere (no fixed /app directory)."""
    with prefect_server(tmp_path / "prefect") as env:
        api = api_client(env["PREFECT_API_URL"])
        prefect = [str(BIN / "prefect"), "--no-prompt"]
        for command in (
            ["work-pool", "create", "ragmask", "--type", "process"],
            ["deploy", "--all", "--prefect-file", str(REPO / "infra" / "prefect.yaml")],
        ):
            done = subprocess.run(
                [*prefect, *command],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        served = wait_for(lambda: all_served(api), 60, "the deployments")
        assert {d["work_pool_name"] for d in served.values()} == {"ragmask"}
        schedules = api.get(f"/deployments/{served['expire']['id']}/schedules").json()
        # retention is turned on deliberately
        assert [s["active"] for s in schedules] == [False]
        run = create_run(
            api,
            served["compact"]["id"],
            {"settings": {"advanced": {"stores": {"data_dir": str(tmp_path / "data")}}}},
        )
        # its receipt key, not the user's
        worker_env = env | {"HOME": str(tmp_path / "home")}
        done = subprocess.run(
            [*prefect, "worker", "start", "--pool", "ragmask", "--run-once"],
            env=worker_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        finished = wait_for(lambda: finished_run(api, run["id"]), 120, "the compact run")
        assert finished["state_type"] == "COMPLETED", done.stdout[-2000:] + done.stderr[-2000:]
        assert finished["name"] == "compact ragmask"
