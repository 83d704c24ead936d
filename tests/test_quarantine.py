"""One document that cannot be masked cleanly never blocks a run: a scrub and a full re-index quarantine the
documents whose written points still audit dirty (left out of the target, listed by doc id, masked source and
the types found, never a value), go live within --max-quarantined and fail closed above it; exit code 3; and
`ragmask report` answers for a quarantined document. Real components throughout; the dirty document is made
the way a careless policy makes one: it keeps e-mail addresses, which the audit's leak check still finds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from faker import Faker
from qdrant_client import models

from flows.cli import cli
from flows.operations.reindex import FullReindexRefusedError, run_reindex
from flows.operations.report import run_report
from flows.operations.scrub import run_scrub
from flows.settings import IngestSettings, ReindexSettings, StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.quarantine import QuarantineLimit, QuarantineLimitError
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.scrub_sources import scrub_settings

KEYS = MaskingKeys(TEST_SECRET.encode())
DOCUMENTS = 12


def notes(seed: int) -> list[str]:
    """Short notes about synthetic people; the sixth one gives an e-mail address."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    texts = [
        f"{fake.name()} asked about the invoice. {fake.paragraph(nb_sentences=2)}" for _ in range(DOCUMENTS)
    ]
    texts[5] += f" Replies go to {fake.user_name()}@example.org."
    return texts


@pytest.fixture
def careless(tmp_path: Path) -> Iterator[tuple[IngestSettings, Path]]:
    # keeps e-mail addresses: the audit's leak check finds them anyway
    policy = tmp_path / "careless.yaml"
    policy.write_text(
        "name: careless\nextends: default\nentities:\n  EMAIL_ADDRESS: keep\n", encoding="utf-8"
    )
    yield (
        IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / "data").resolved(), policy=str(policy), workers=1
        ),
        policy,
    )
    close_local_clients()


@pytest.mark.parametrize(
    ("text", "documents", "limit"),
    [("1%", 12, 0), ("1%", 250, 2), ("10%", 12, 1), ("3", 1, 3), ("0", 100, 0), (" 2.5 % ", 200, 5)],
)
def test_the_limit(text: str, documents: int, limit: int) -> None:
    assert QuarantineLimit(text).limit(documents) == limit


@pytest.mark.parametrize("text", ["", "one", "1.5", "-1", "120%", "1%%"])
def test_a_limit_that_means_nothing_is_refused(text: str) -> None:
    with pytest.raises(QuarantineLimitError, match="max quarantined"):
        QuarantineLimit(text)


def raw_source(settings: IngestSettings) -> None:
    client = VectorStore(settings.stores.qdrant, "probe").client
    client.create_collection(
        "notes", vectors_config=models.VectorParams(size=8, distance=models.Distance.DOT)
    )
    client.upsert(
        "notes",
        points=[
            models.PointStruct(id=n, vector=[0.5] * 8, payload={"body": text, "note": f"n{n}"})
            for n, text in enumerate(notes(71), start=1)
        ],
    )


def test_a_scrub_quarantines_the_dirty_document_and_goes_live_within_the_limit(
    careless: tuple[IngestSettings, Path],
) -> None:
    settings, _ = careless
    raw_source(settings)
    request = scrub_settings(
        settings, "notes", "notes_masked", "raw", text_field="body", doc_key="note", alias="notes_live"
    )
    # 1% of 12 documents: none may be left out
    refused = run_scrub(request)
    assert (
        refused["live"] is False
        and refused["alias_swapped"] is False
        and refused["documents_quarantined"] == 1
    )
    assert refused["audit"]["by_type"] == {"EMAIL_ADDRESS": 1}
    # kept as audited
    assert VectorStore(settings.stores.qdrant, "notes_masked").count() == DOCUMENTS

    result = run_scrub(request.changed(max_quarantined="1"))
    assert result["live"] is True and result["alias_swapped"] is True and result["documents_quarantined"] == 1
    (quarantined,) = result["quarantined"]
    assert quarantined["types"] == ["EMAIL_ADDRESS"] and quarantined["doc_id"].startswith("doc_")
    assert "suspects EMAIL_ADDRESS" in quarantined["reason"]
    live = VectorStore(settings.stores.qdrant, "notes_live")
    assert live.count() == DOCUMENTS - 1 and "@example.org" not in json.dumps(
        [r.payload for r in live.scroll()]
    )
    report = run_report(
        settings.stores.model_copy(update={"collection": "notes_masked"}), KEYS, quarantined["doc_id"]
    )
    assert report["status"] == "quarantined" and "EMAIL_ADDRESS" in report["report"]["quarantine_reason"]
    # the next scrub reads the document again (it has no committed version) and quarantines it again
    again = run_scrub(request.changed(max_quarantined="1"))
    assert again["documents_unchanged"] == DOCUMENTS - 1 and again["documents_quarantined"] == 1
    # --delete-source deletes what went live; the quarantined document's points are its only copy: kept
    deleting = run_scrub(request.changed(max_quarantined="1", delete_source=True))
    assert deleting["source_deleted"] is False and deleting["source_points_kept"] == 1
    (kept,) = VectorStore(settings.stores.qdrant, "notes").scroll()
    assert kept.payload is not None and "@example.org" in kept.payload["body"]
    # the document is still there to mend
    assert run_scrub(request)["documents_quarantined"] == 1


def write_corpus(folder: Path) -> Path:
    folder.mkdir()
    for number, text in enumerate(notes(72)):
        (folder / f"note-{number:02d}.txt").write_text(text, encoding="utf-8")
    return folder


def test_a_full_reindex_quarantines_the_dirty_document_and_swaps_within_the_limit(
    careless: tuple[IngestSettings, Path], tmp_path: Path
) -> None:
    settings, _ = careless
    corpus = write_corpus(tmp_path / "corpus")
    with pytest.raises(
        FullReindexRefusedError, match=r"in 1 of 12 documents \(more than --max-quarantined 1%\)"
    ):
        run_reindex([corpus], settings, keys=KEYS, full=True)
    assert not VectorStore(settings.stores.qdrant, "ragmask").exists()

    result = run_reindex(
        [corpus],
        ReindexSettings.model_validate(dict(settings) | {"max_quarantined": "10%"}),
        keys=KEYS,
        full=True,
    )
    counts = result.ingest.counts
    assert result.swapped_in is not None and counts.documents_quarantined == 1
    assert counts.documents_indexed == DOCUMENTS - 1
    (quarantined,) = result.quarantined
    assert quarantined["types"] == ["EMAIL_ADDRESS"] and "note-05" in quarantined["source"]
    live = VectorStore(settings.stores.qdrant, "ragmask")
    assert live.count() == counts.chunks_indexed
    assert "@example.org" not in json.dumps([r.payload for r in live.scroll()])
    lineage = LineageStore(settings.stores.lineage)
    assert quarantined["doc_id"] not in DocumentCatalog(lineage).documents_in_collection("ragmask")
    report = run_report(settings.stores, KEYS, str(corpus / "note-05.txt"))
    assert report["status"] == "quarantined" and report["doc_id"] == quarantined["doc_id"]


def test_the_cli_exits_3_and_lists_the_quarantined_document(
    careless: tuple[IngestSettings, Path], tmp_path: Path
) -> None:
    settings, policy = careless
    corpus = write_corpus(tmp_path / "corpus")
    base = ["--data-dir", str(settings.stores.data_path), "--policy", str(policy), "--workers", "1"]
    runner = CliRunner()
    done = runner.invoke(cli, ["reindex", str(corpus), "--full", "--max-quarantined", "1", "--json", *base])
    assert done.exit_code == 3, done.output
    result = json.loads(done.stdout)
    assert result["documents_quarantined"] == 1 and len(result["quarantined"]) == 1
    assert "1 were quarantined" in done.stderr
    refused = runner.invoke(cli, ["reindex", str(corpus), "--full", "--json", *base])
    assert refused.exit_code == 1 and "more than --max-quarantined 1%" in refused.stderr
    usage = runner.invoke(cli, ["reindex", str(corpus), "--full", "--max-quarantined", "a few", *base])
    assert usage.exit_code == 2 and "max quarantined must be a count or a percentage" in usage.output
