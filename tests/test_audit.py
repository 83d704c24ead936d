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

from flows.cli import cli
from flows.ingesting import run_ingest
from flows.settings import IngestSettings, StoreSettings
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
    return {"name": fake.name(), "email": f"{fake.user_name()}@example.com", "ssn": fake.ssn(),
            "filler": fake.paragraph(nb_sentences=2)}  # fmt: skip


V = raw_values()


def test_payload_strings_walks_nesting_and_json_in_strings() -> None:
    payload = {"text": "a", "metadata": {"tags": ["b", {"x": "c"}], "jane@example.com": "d"},
               "_node_content": json.dumps({"text": "e", "metadata": {"author": "f"}}), "n": 3}  # fmt: skip
    assert sorted(payload_strings(payload)) == [
        ("_node_content#json.metadata.author", "f"), ("_node_content#json.text", "e"),
        ("metadata.?", "d"), ("metadata.tags[]", "b"), ("metadata.tags[].x", "c"), ("text", "a"),
    ]  # fmt: skip


def test_bookkeeping_strings_are_passed_over_only_when_they_look_like_ids() -> None:
    fmt = FORMATS["llamaindex"]
    assert fmt.is_bookkeeping("_node_type", "TextNode")
    assert fmt.is_bookkeeping("ref_doc_id", str(uuid.uuid4()))
    assert fmt.is_bookkeeping("_node_content#json.relationships.?.hash", "ab" * 32)
    assert not fmt.is_bookkeeping("ref_doc_id", V["email"])  # an id field holding a value is read
    assert not fmt.is_bookkeeping("_node_content#json.text", str(uuid.uuid4()))
    assert not FORMATS["langchain"].is_bookkeeping("metadata.doc_id", "doc_" + "0" * 24)


def audit(data_dir: Path) -> tuple[int, dict[str, Any], str]:
    done = CliRunner().invoke(
        cli, ["audit", "--data-dir", str(data_dir), "--json"], env={"PREFECT_API_URL": ""}
    )
    return done.exit_code, json.loads(done.stdout), done.stderr


@pytest.mark.slow
def test_a_masked_collection_audits_clean_and_planted_values_are_found(tmp_path: Path) -> None:
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data"))
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
