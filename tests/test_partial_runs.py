"""A partial run, alertable, through a real Prefect server: an ingest that meets a malformed file named after
a person and a document the masker refuses ends Completed with a message, lists both by masked source path
in its failures artifact, and fires the automation ``ragmask serve --automations`` created, which posts to a
webhook receiver on loopback. No planted value or file name reaches Prefect's home or the webhook."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.prefect.flow_runs import slug_words
from tests.prefect_server import prefect_server, ragmask_serve
from tests.scripts import run_python
from tests.test_ingest_e2e import CORPUS, GOLD_VALUES, leaked_values
from tests.test_prefect_server import api_client, wait_for

PERSON = "Ottoline Brackenridge"
BROKEN_FILE = f"{PERSON.replace(' ', '_')}.docx"
SAVE_BLOCK = """
import sys
from prefect.blocks.notifications import CustomWebhookNotificationBlock

CustomWebhookNotificationBlock(
    name="ragmask-test", url=sys.argv[1], json_data={"subject": "{{subject}}", "body": "{{body}}"}
).save("hook", overwrite=True)
"""


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP server on loopback that keeps every JSON body posted to it."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def automation_names(api: httpx.Client) -> list[str]:
    return [automation["name"] for automation in api.post("/automations/filter", json={}).json()]


@pytest.mark.slow
def test_a_partial_ingest_is_completed_with_a_message_listed_by_masked_path_and_alerts(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "hr" / BROKEN_FILE).write_bytes(b"PK\x03\x04 not a zip")
    # the masker refuses a text that holds its own field separator: quarantined
    (corpus / "notes" / "refused.txt").write_text(
        f"{PERSON} asked for a call.\n\n\u2063\u2063\u2063\n\nThanks.", encoding="utf-8"
    )
    data = tmp_path / "data"
    with prefect_server(tmp_path / "prefect") as env, webhook_receiver() as (url, received):
        api = api_client(env["PREFECT_API_URL"])
        saved = run_python(["-c", SAVE_BLOCK, url], env)
        assert saved.returncode == 0, saved.stderr[-2000:]
        serve_args = ["--automations", "--notify-block", "custom-webhook/hook", "--data-dir", str(data)]
        with ragmask_serve(serve_args, env, tmp_path / "serve.log"):
            automations = wait_for(
                lambda: names if len(names := automation_names(api)) == 5 else None,
                180,
                "the five automations serve creates",
            )
            assert "ragmask: ingest or re-index partly done" in automations
            done = run_python(
                ["-m", "flows.cli", "ingest", str(corpus), "--data-dir", str(data), "--json"],
                env,
            )
            assert done.returncode == 3, done.stderr[-3000:]
            result = json.loads(done.stdout)
            problems = {p["outcome"]: p for p in result["problems"]}
            assert set(problems) == {"skipped", "quarantined"}
            assert problems["skipped"]["source"].startswith("hr / <PERSON_")
            assert (
                problems["skipped"]["stage"] == "read" and "malformed DOCX" in problems["skipped"]["reason"]
            )
            assert problems["quarantined"]["stage"] == "mask"
            # the CLI's lines name them the same way
            assert f"({problems['skipped']['source']}): skipped at read" in done.stderr

            [run] = api.post("/flow_runs/filter", json={}).json()
            assert run["state_type"] == "COMPLETED"
            assert "partly done: 1 documents failed, 1 quarantined" in run["state"]["message"]
            artifact = api.get("/artifacts/ingest-failures-ragmask/latest").json()
            rows = json.loads(artifact["data"])
            assert {r["doc_id"] for r in rows} == {p["doc_id"] for p in result["problems"]}
            assert {r["source"] for r in rows} == {p["source"] for p in result["problems"]}

            posted = wait_for(lambda: received or None, 180, "the automation's webhook call")
            message = json.dumps(posted)
            assert "documents left out" in message and "ingest of ragmask partly done" in message
            assert "1 documents failed, 1 quarantined" in message
    planted = [*GOLD_VALUES, PERSON, *PERSON.split(), BROKEN_FILE]
    assert leaked_values(tmp_path / "prefect", planted, slug_words()) == []
    assert not [value for value in planted if value in message]
