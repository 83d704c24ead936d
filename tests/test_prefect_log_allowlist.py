"""Prefect's own engine, runner and client messages reach the operator when Prefect's code wrote them (they
say when the API cannot be reached), with an exception among their arguments reduced to its type; the
same logger names used by any other code stay withheld. A CLI run whose Prefect API is gone says so in
words."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import prefect

from flows.runtime.logging_setup import WITHHELD, sanitise
from tests.scripts import run_python

PERSON = "Jolene Whitaker"
PREFECT_CLIENT_CODE = os.path.join(os.path.dirname(prefect.__file__), "client", "base.py")
GUARDED = f"""
import logging
from flows.runtime.logging_setup import configure_logging, install_log_guard
configure_logging()
install_log_guard()
from prefect.client.base import PrefectHttpxSyncClient
# Prefect's client warns of a header it will not send: a message of Prefect's own code
PrefectHttpxSyncClient(base_url="http://127.0.0.1:9/api").close()
# the same logger name, from code that is not Prefect's
logging.getLogger("prefect.client").warning("planted: %s", "{PERSON}")
"""


def record(name: str, pathname: str, msg: object, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, pathname, 1, msg, args, None)


def test_a_prefect_client_record_made_in_prefect_passes_with_exceptions_reduced_to_their_type() -> None:
    made = sanitise(record("prefect.client", PREFECT_CLIENT_CODE, "request failed: %s", ValueError(PERSON)))
    assert made.getMessage() == "request failed: ValueError"
    elsewhere = sanitise(record("prefect.client", __file__, "request failed: %s", PERSON))
    assert elsewhere.getMessage() == f"prefect.client: {WITHHELD}"
    # another of Prefect's loggers (the server's, the UI's) is not on the list
    server = sanitise(record("prefect.server.api", PREFECT_CLIENT_CODE, "%s", PERSON))
    assert server.getMessage() == f"prefect.server.api: {WITHHELD}"


def test_prefects_own_warning_reaches_stderr_and_a_planted_one_does_not() -> None:
    env = os.environ | {"PREFECT_CLIENT_CUSTOM_HEADERS": '{"User-Agent": "x"}', "PREFECT_API_URL": ""}
    done = run_python(["-c", GUARDED], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Custom header 'User-Agent' is ignored" in done.stderr
    assert PERSON not in done.stderr and f"prefect.client: {WITHHELD}" in done.stderr


def test_a_cli_run_whose_prefect_api_is_gone_says_so(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "note.txt").write_text("A short note.\n", encoding="utf-8")
    # nothing listens on the discard port
    env = os.environ | {"PREFECT_API_URL": "http://127.0.0.1:9/api", "PREFECT_HOME": str(tmp_path / "home")}
    done = run_python(
        ["-m", "flows.cli", "ingest", str(tmp_path / "src"), "--data-dir", str(tmp_path / "data")], env
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ragmask: error: cannot reach the Prefect API at http://127.0.0.1:9/api (ConnectError): is the server "
        "running and PREFECT_API_URL right? Unset it to run here"
    )
