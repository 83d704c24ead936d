"""Invariant 1 for what the process prints: every command, run as a user runs it (a fresh process, the
direct path) at DEBUG over documents with known values, writes none of them to stdout or stderr (the
vault's rehydration prints values on stdout by design: its stderr is scanned), no third-party message
(pypdf quotes a malformed PDF's header), no traceback; and leaves the data directory owner-only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from faker import Faker

from tests.conftest import REPO


def corpus_values() -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(2727)
    return {
        "name": fake.name(),
        "email": f"{fake.user_name()}@example.com",
        "phone": "212-555-0187",
        "ssn": fake.ssn(),
        "other": fake.name(),
        "filler": fake.paragraph(nb_sentences=3),
    }


V = corpus_values()
VALUES = [V["name"], V["email"], V["phone"], V["ssn"], V["other"]]


def write_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "letter.txt").write_text(
        f"Dear {V['name']},\n\nWe reached you at {V['email']} and {V['phone']}. Your SSN {V['ssn']} is on file. "
        f"{V['filler']}\n\nRegards,\n{V['other']}\n",
        encoding="utf-8",
    )
    (folder / "memo.md").write_text(f"# Memo\n\n{V['other']} met {V['name']} on Monday. {V['filler']}\n")
    # pypdf warns "invalid pdf header: b'...'" with the file's first bytes: here, the SSN
    (folder / "scan.pdf").write_bytes(f"{V['ssn']} %PDF-1.4\n1 0 obj <<>> endobj\n%%EOF".encode())
    return folder


def run(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_every_command_at_debug_prints_no_value_and_keeps_files_private(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    data = str(tmp_path / "data")
    env = os.environ | {
        "RAGMASK_LOG_LEVEL": "DEBUG",
        "PREFECT_API_URL": "",
        "PYTHONPATH": str(REPO),
        "RAGMASK_VAULT_KEY": "privacy-test-vault-key-not-for-production",
    }
    env.pop("RAGMASK_DEBUG", None)
    outputs: dict[str, str] = {}

    def command(label: str, *args: str, codes: tuple[int, ...] = (0,), stdin: str | None = None) -> str:
        done = run(*args, env=env, cwd=tmp_path, stdin=stdin)
        assert done.returncode in codes, f"{label}: {done.stderr[-1500:]}"
        outputs[label] = (done.stdout if label != "rehydrate" else "") + done.stderr
        return done.stdout

    # scan.pdf fails
    command("mask", "mask", str(corpus), "--json", codes=(3,))
    command("ingest", "ingest", str(corpus), "--data-dir", data, "--vault", "--json", codes=(3,))
    hits = json.loads(command("search", "search", "reached you at", "--data-dir", data, "--json"))["results"]
    command(
        "rehydrate",
        "rehydrate",
        "--document",
        hits[0]["doc_id"],
        "--reason",
        "privacy test",
        "--data-dir",
        data,
        stdin=hits[0]["page_content"],
    )
    command(
        "erase subject", "erase", "--email", V["email"], "--name", V["name"], "--data-dir", data, "--json"
    )
    command("erase document", "erase", "--document", str(corpus / "memo.md"), "--data-dir", data)
    command("verify", "receipts", "verify", "--data-dir", data, "--json")
    command("compact", "compact", "--data-dir", data, "--json")

    # the level was on
    assert "DEBUG" in outputs["ingest"]
    for label, text in outputs.items():
        assert not [v for v in VALUES if v in text or v.lower() in text.lower()], label
        assert "Traceback" not in text, label
        assert "invalid pdf header" not in text, label
    assert "pypdf._reader: message withheld (third-party logger)" in outputs["ingest"]

    for path in [tmp_path / "data", *(tmp_path / "data").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(tmp_path)} is {mode:o}"


@pytest.mark.parametrize(("debug", "warned"), [("1", True), ("", False)])
def test_ragmask_debug_warns_at_start_that_the_log_guard_is_off(
    tmp_path: Path, debug: str, warned: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RAGMASK_DEBUG"} | (
        {"RAGMASK_DEBUG": debug} if debug else {}
    )
    done = run("report", "--help", env=env, cwd=tmp_path)
    assert done.returncode == 0
    assert ("the log guard is off" in done.stderr) is warned


def test_a_read_only_store_and_an_undecodable_file_are_one_line_in_words(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from flows.cli.app import _unexpected

    database = tmp_path / "lineage.db"
    with create_engine(f"sqlite:///{database}").begin() as connection:
        connection.execute(text("CREATE TABLE t (v TEXT)"))
    read_only = create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
    with pytest.raises(OperationalError) as refused, read_only.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES ('jane@example.com')"))
    message = _unexpected(refused.value)
    assert "read-only" in message and "readonly database" in message and "jane" not in message
    assert "\n" not in message
    assert "corrupt" in _unexpected(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
