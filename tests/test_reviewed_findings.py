"""Reviewed findings: `ragmask audit --json` lists each finding by point id, payload path, type and a keyed
fingerprint (never the value); `ragmask audit accept FINGERPRINT... --reason TEXT` records a reviewed false
positive with who and when in the lineage store; later audits and scrubs pass over it and list it. Real
Presidio, spaCy, embedding model and Qdrant local mode; Faker values with a fixed seed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from faker import Faker
from qdrant_client import models

from flows.cli import cli
from flows.operations.audit import run_audit
from flows.operations.scrub import run_scrub
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from tests.scrub_sources import scrub_settings


def mailbox() -> str:
    fake = Faker("en_US")
    fake.seed_instance(3535)
    return f"{fake.user_name()}@example.org"


MAILBOX = mailbox()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    close_local_clients()


def write_raw(data_dir: Path, collection: str, texts: list[str]) -> None:
    store = VectorStore(StoreSettings(data_dir=data_dir).resolved().qdrant, collection)
    store.client.create_collection(
        collection, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT)
    )
    store.client.upsert(
        collection,
        points=[
            models.PointStruct(
                id=str(uuid.uuid4()), vector=[0.5] * 4, payload={"text": t, "ticket": f"T-{n}"}
            )
            for n, text in enumerate(texts)
            for t in [text]
        ],
    )


def cli_run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.output


@pytest.mark.slow
def test_an_accepted_finding_is_passed_over_and_listed_by_audits_and_scrubs(data_dir: Path) -> None:
    texts = [f"The shared mailbox {MAILBOX} takes the refunds.", "The card was replaced on Monday."]
    write_raw(data_dir, "tickets", texts)
    LineageStore(StoreSettings(data_dir=data_dir).resolved().lineage).close()
    code, output = cli_run(
        "audit", "--data-dir", str(data_dir), "--collection", "tickets", "--format", "raw", "--json"
    )
    report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    assert code == 1 and report["suspected"] == 1 and MAILBOX not in output
    (finding,) = report["findings"]
    assert (
        finding["path"] == "text" and finding["type"] == "EMAIL_ADDRESS" and len(finding["fingerprint"]) == 32
    )

    assert (
        cli_run("audit", "accept", "not-a-fingerprint", "--reason", "x", "--data-dir", str(data_dir))[0] == 1
    )
    code, output = cli_run(
        "audit",
        "accept",
        finding["fingerprint"],
        "--reason",
        "the support team's shared mailbox",
        "--data-dir",
        str(data_dir),
        "--collection",
        "tickets",
    )
    assert code == 0 and "1 findings of tickets accepted" in output

    again = run_audit(
        StoreSettings(data_dir=data_dir, collection="tickets").resolved(), payload_format="raw"
    ).to_dict()
    assert again["suspected"] == 0 and again["accepted_findings"] == 1
    (accepted,) = again["accepted"]
    assert (
        accepted["fingerprint"] == finding["fingerprint"]
        and accepted["reason"] == "the support team's shared mailbox"
    )
    assert accepted["accepted_by"] and accepted["accepted_at"] and accepted["point_id"] == finding["point_id"]

    # a scrub whose policy keeps e-mail addresses writes the mailbox into its target: accepted there, it goes live
    careless = data_dir.parent / "careless.yaml"
    careless.write_text(
        "name: careless\nextends: default\nentities:\n  EMAIL_ADDRESS: keep\n", encoding="utf-8"
    )
    settings = IngestSettings(
        stores=StoreSettings(data_dir=data_dir).resolved(), policy=str(careless), workers=1
    )
    request = scrub_settings(
        settings, "tickets", "tickets_masked", "raw", text_field="text", doc_key="ticket"
    )
    first = run_scrub(request)
    # 1 of 2 is over the 1% limit
    assert first["documents_quarantined"] == 1 and first["live"] is False
    fingerprint = first["audit"]["findings"][0]["fingerprint"]
    # the same value is one finding to review, in any collection
    assert fingerprint == finding["fingerprint"]
    cli_run(
        "audit",
        "accept",
        fingerprint,
        "--reason",
        "shared mailbox",
        "--data-dir",
        str(data_dir),
        "--collection",
        "tickets_masked",
    )
    second = run_scrub(request)
    assert (
        second["live"] is True
        and second["documents_quarantined"] == 0
        and second["audit"]["accepted_findings"] == 1
    )
