"""`ragmask report`: the masking receipt of a document's indexed version, found by path or doc id; types,
counts, actions, scores, versions and key id, never a value. Synthetic corpus (examples/corpus)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from flows.cli import cli
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers.qdrant_store import close_local_clients
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.test_ingest_e2e import CORPUS, GOLD

# the CLI's key: RAGMASK_SECRET_KEY in the test environment
KEYS = MaskingKeys(TEST_SECRET.encode())


def report(data_dir: Path, document: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, ["report", "--document", document, "--data-dir", str(data_dir), "--json"])
    return done.exit_code, done.stdout, done.stderr


def test_report_by_path_and_by_doc_id_holds_counts_and_versions_only(tmp_path: Path) -> None:
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run = run_ingest([CORPUS], settings, keys=KEYS)
    close_local_clients()
    code, out, err = report(tmp_path / "data", str(CORPUS / "hr" / "offer_letter.txt"))
    assert code == 0, err
    found = json.loads(out)
    assert found["status"] == "committed" and found["version"] == 1 and found["run_id"] == run.run_id
    details = found["report"]
    assert details["entity_counts"]["PERSON"] >= 1 and details["entity_counts"]["EMAIL_ADDRESS"] >= 1
    assert details["actions"]["PERSON"] == "tokenize" and details["policy"]["name"] == "default"
    assert details["key_id"] == KEYS.key_id and details["detector"]["spacy_model"]
    assert 0 < details["scores"]["PERSON"]["min"] <= details["scores"]["PERSON"]["max"] <= 1
    assert not [v for v in GOLD["hr/offer_letter.txt"] if v in out] and "<PERSON_" not in out

    same = report(tmp_path / "data", found["doc_id"])
    assert same[0] == 0 and json.loads(same[1]) == found

    code, _, err = report(tmp_path / "data", "doc_000000000000000000000000")
    assert code == 1
    assert (
        err.strip()
        == "ragmask: error: no document in collection 'ragmask' for the --document given: never met by a run"
    )


def test_a_failed_or_quarantined_document_is_answered_by_its_masked_source_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "hr").mkdir(parents=True)
    name = "Jolene Whitaker"
    # named after a person: the path is masked wherever the failure is listed
    broken = corpus / "hr" / f"{name.replace(' ', '_')}.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    # the masker refuses a text that holds its own field separator: quarantined
    refused = corpus / "hr" / "refused.txt"
    refused.write_text(f"{name} wrote to us.\n\n\u2063\u2063\u2063\n\nThanks.", encoding="utf-8")
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run = run_ingest([corpus], settings, keys=KEYS)
    close_local_clients()
    problems = {p.reason.split(" ")[0]: p for p in run.counts.problems}
    assert run.counts.documents_failed == 1 and run.counts.documents_quarantined == 1
    assert problems["malformed"].stage == "read" and problems["malformed"].outcome == "skipped"
    assert problems["malformed"].source.startswith("hr / <PERSON_") and name.split()[1] not in str(problems)

    code, out, err = report(tmp_path / "data", str(broken))
    assert code == 0, err
    found = json.loads(out)
    assert found["report"] is None and found["status"] == "failed" and found["run_id"] == run.run_id
    assert found["last_outcome"]["source"] == problems["malformed"].source
    assert found["last_outcome"]["reason"].startswith("read: malformed DOCX")
    assert json.loads(report(tmp_path / "data", found["doc_id"])[1]) == found

    text = CliRunner().invoke(
        cli, ["report", "--document", str(refused), "--data-dir", str(tmp_path / "data")]
    )
    assert text.exit_code == 0, text.stderr
    assert "(hr / refused .txt): quarantined by run" in text.stdout and name not in text.stdout
