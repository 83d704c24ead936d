"""`ragmask audit` on real components: a collection ragmask wrote audits clean; raw values written into it
by hand (in page_content, in nested metadata, in a LlamaIndex-style JSON string) are found by type and by
payload path, the command exits 1, and the report holds no value. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from faker import Faker
from qdrant_client.models import Distance

from flows.cli import cli
from flows.operations.audit import run_audit
from flows.operations.ingest import run_ingest
from flows.pipeline import masking_workers
from flows.settings import IngestSettings, StoreSettings
from indexers import audit as audit_module
from indexers.audit import payload_strings
from indexers.embedding import Embedder
from indexers.payload_formats import FORMATS
from indexers.qdrant_store import Point, VectorStore, close_local_clients
from masking import MaskingKeys
from tests.conftest import REPO, TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())


def raw_values() -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(3131)
    return {
        "name": fake.name(),
        "email": f"{fake.user_name()}@example.com",
        "ssn": fake.ssn(),
        "filler": fake.paragraph(nb_sentences=2),
    }


V = raw_values()


def test_payload_strings_walks_nesting_and_json_in_strings() -> None:
    payload = {
        "text": "a",
        "metadata": {"tags": ["b", {"x": "c"}], "jane@example.com": "d"},
        "_node_content": json.dumps({"text": "e", "metadata": {"author": "f"}}),
        "n": 3,
    }
    assert sorted(payload_strings(payload)) == [
        ("_node_content#json.metadata.author", "f"),
        ("_node_content#json.text", "e"),
        ("metadata.?", "d"),
        ("metadata.?(key)", "jane@example.com"),
        ("metadata.tags[]", "b"),
        ("metadata.tags[].x", "c"),
        ("text", "a"),
    ]


def test_bookkeeping_strings_are_passed_over_only_when_they_look_like_ids() -> None:
    fmt = FORMATS["llamaindex"]
    assert fmt.is_bookkeeping("_node_type", "TextNode")
    assert fmt.is_bookkeeping("ref_doc_id", str(uuid.uuid4()))
    assert fmt.is_bookkeeping("_node_content#json.relationships.?.hash", "ab" * 32)
    # an id field holding a value is read
    assert not fmt.is_bookkeeping("ref_doc_id", V["email"])
    assert not fmt.is_bookkeeping("_node_content#json.text", str(uuid.uuid4()))
    assert not FORMATS["langchain"].is_bookkeeping("metadata.doc_id", "doc_" + "0" * 24)


def audit(data_dir: Path) -> tuple[int, dict[str, Any], str]:
    done = CliRunner().invoke(
        cli, ["audit", "--data-dir", str(data_dir), "--json"], env={"PREFECT_API_URL": ""}
    )
    return done.exit_code, json.loads(done.stdout), done.stderr


@pytest.mark.slow
def test_a_masked_collection_audits_clean_and_planted_values_are_found(tmp_path: Path) -> None:
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    result = run_ingest([REPO / "examples" / "corpus"], settings, keys=KEYS)
    code, clean, _ = audit(tmp_path / "data")
    assert code == 0, clean
    assert clean["points_scanned"] == result.points_total and clean["suspected"] == 0

    store = VectorStore(settings.stores.qdrant, "ragmask")
    vector = Embedder().embed(["planted"])[0]
    planted: list[dict[str, Any]] = [
        {"page_content": f"{V['name']} wrote from {V['email']}. {V['filler']}", "metadata": {"doc_id": "x"}},
        {"page_content": "masked <PERSON_0123abcd>", "metadata": {"loader": {"author": V["email"]}}},
        {"_node_content": json.dumps({"text": f"SSN {V['ssn']} on file.", "metadata": {}})},
    ]
    ids = [str(uuid.uuid4()) for _ in planted]
    store.upsert([Point(pid, vector, payload) for pid, payload in zip(ids, planted, strict=True)])

    code, found, stderr = audit(tmp_path / "data")
    assert code == 1 and "suspected unmasked values" in stderr
    assert found["points_scanned"] == result.points_total + 3
    assert {"PERSON", "EMAIL_ADDRESS", "US_SSN"} <= set(found["by_type"])
    assert {"page_content", "metadata.loader.author", "_node_content#json.text"} == set(found["by_path"])
    assert sorted(found["point_ids"]) == sorted(ids)
    assert not [v for v in V.values() if v in json.dumps(found) or v in stderr]
    close_local_clients()


def test_auditing_a_missing_collection_is_one_line(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["audit", "--data-dir", str(tmp_path)], env={"PREFECT_API_URL": ""})
    assert done.exit_code == 1
    assert done.stderr.strip() == "ragmask: error: collection 'ragmask' does not exist"


def planted_collection(stores: StoreSettings, points: int) -> None:
    """``points`` LangChain-shaped points of Faker prose, each naming a person and an e-mail address."""
    fake = Faker("en_US")
    fake.seed_instance(4242)
    store = VectorStore(stores.qdrant, stores.collection)
    store.create(4, None, Distance.COSINE)
    store.upsert(
        [
            Point(
                str(uuid.uuid4()),
                [1.0, 0.0, 0.0, 0.0],
                {
                    "page_content": f"{fake.name()} wrote from {fake.user_name()}@example.com. {fake.paragraph(nb_sentences=3)}",
                    "metadata": {"source": f"note-{n}.txt"},
                },
            )
            for n in range(points)
        ]
    )


def test_an_audit_split_over_two_processes_reports_what_one_process_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    # small pages, split anyway
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    # the worker takes its shares once ready
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    # three pages
    monkeypatch.setattr(audit_module, "PAGE_POINTS", 4)
    stores = StoreSettings(data_dir=tmp_path / "data").resolved()
    planted_collection(stores, 12)
    reports = {workers: run_audit(stores, workers=workers).to_dict() for workers in (1, 2)}
    close_local_clients()
    # workers=2 started the pool; workers=1 never does
    assert masking_pool_starts == [1]
    assert reports[2] == reports[1]
    assert reports[2]["points_scanned"] == 12 and len(reports[2]["point_ids"]) == 12
    assert {"PERSON", "EMAIL_ADDRESS"} <= set(reports[2]["by_type"])


def test_an_audit_of_one_page_starts_no_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    stores = StoreSettings(data_dir=tmp_path / "data").resolved()
    planted_collection(stores, 6)
    report = run_audit(stores, workers=2)
    close_local_clients()
    assert report.points_scanned == 6 and report.by_type["EMAIL_ADDRESS"] == 6
    # the last page is read here: a worker would never be ready for it
    assert masking_pool_starts == []
