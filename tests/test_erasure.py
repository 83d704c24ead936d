"""Erasure on real components (Presidio, MiniLM, Qdrant local mode, SQLite): subjects in both modes,
documents, normalisation variants, tombstones across re-ingests, receipts and their chain, purge.
Invariant 5. Synthetic data: Faker with a fixed seed."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from faker import Faker

from flows.cli import cli
from flows.operations.compact import run_compact
from flows.operations.erase import receipt_signer, register_request, run_erase, verify_receipts
from flows.operations.ingest import run_ingest
from flows.operations.search import run_search
from flows.settings import IngestSettings, ReceiptsSettings, StoreSettings
from indexers.embedding import Embedder
from indexers.erasure import Eraser
from indexers.erasure_store import ErasureStore
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients, physical_collection
from indexers.receipt_log import ReceiptLog
from indexers.receipts import GENESIS_HASH, default_head_log, receipt_hash
from indexers.sources import source_words
from masking import MaskingKeys
from masking.fingerprints import subject_fingerprints
from tests.conftest import TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())


def people() -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(4242)
    surname = fake.last_name()
    return {
        "first": fake.first_name_female(),
        "other_first": fake.first_name_male(),
        "surname": surname,
        "email": f"{fake.user_name()}@example.com",
        "bystander": fake.name(),
        "filler": fake.paragraph(nb_sentences=4),
    }


P = people()
SUBJECT = f"{P['first']} {P['surname']}"
# same surname, another person
RELATIVE = f"{P['other_first']} {P['surname']}"


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a_full.txt").write_text(
        f"{SUBJECT} wrote from {P['email']} and can be called on 555-010-2000. {P['filler']} "
        f"Later Ms {P['surname']} confirmed the refund.",
        encoding="utf-8",
    )
    (folder / "b_surname_only.txt").write_text(
        f"Ms {P['surname']} called again about the invoice. {P['filler']}", encoding="utf-8"
    )
    (folder / "c_relative.txt").write_text(
        f"{RELATIVE} asked for a new contract. {P['filler']} {P['bystander']} agreed.", encoding="utf-8"
    )
    return folder


def settings_for(data_dir: Path) -> IngestSettings:
    return IngestSettings(stores=StoreSettings(data_dir=data_dir).resolved())


def payloads(settings: IngestSettings) -> dict[str, dict[str, Any]]:
    store = VectorStore(settings.stores.qdrant, settings.stores.collection)
    return {str(r.id): dict(r.payload or {}) for r in store.scroll()}


FILE_NAMES = {source_words(name): name for name in ("a_full.txt", "b_surname_only.txt", "c_relative.txt")}


def by_source(settings: IngestSettings) -> dict[str, list[dict[str, Any]]]:
    """Payloads by the corpus file they come from (the payload keeps the masked source's words)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for payload in payloads(settings).values():
        source = payload["metadata"]["source"]
        grouped.setdefault(FILE_NAMES.get(source, source), []).append(payload)
    return grouped


def subject_tokens(settings: IngestSettings) -> set[str]:
    lineage = LineageStore(settings.stores.lineage)
    subjects = subject_fingerprints(KEYS.fingerprint_key, "PERSON", SUBJECT) | subject_fingerprints(
        KEYS.fingerprint_key, "EMAIL_ADDRESS", P["email"]
    )
    return {m.token for m in ErasureStore(lineage).subject_matches("ragmask", subjects)}


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, IngestSettings]]:
    corpus = write_corpus(tmp_path / "corpus")
    settings = settings_for(tmp_path / "data")
    run_ingest([corpus], settings, keys=KEYS)
    yield corpus, settings
    close_local_clients()


def erase(settings: IngestSettings, **request: Any) -> dict[str, Any]:
    request_id = register_request(settings.stores, KEYS, **request)
    return run_erase(settings, request_id)


def test_subject_redaction_by_name_variant_and_email(workspace: tuple[Path, IngestSettings]) -> None:
    _, settings = workspace
    tokens = subject_tokens(settings)
    before = by_source(settings)
    relative_before = before["c_relative.txt"][0]["page_content"]
    # the person's token in two documents, the e-mail's
    assert len(tokens) >= 3

    receipt = erase(settings, identifiers=[("name", f"Ms {SUBJECT.upper()}"), ("email", P["email"].upper())])

    assert receipt["verified"] is True
    # the full mention and the surname-only one
    assert receipt["matched"]["documents"] == 2
    after = by_source(settings)
    text = json.dumps(after)
    assert not any(token in text for token in tokens)
    assert "<PERSON>" in after["a_full.txt"][0]["page_content"]
    assert "<EMAIL_ADDRESS>" in after["a_full.txt"][0]["page_content"]
    assert "<PERSON>" in after["b_surname_only.txt"][0]["page_content"]
    # another person, same surname
    assert after["c_relative.txt"][0]["page_content"] == relative_before
    # fingerprints gone from the lineage
    assert subject_tokens(settings) == set()
    assert verify_receipts(ReceiptsSettings(stores=settings.stores)).valid


def test_phone_normalisation_finds_another_format(workspace: tuple[Path, IngestSettings]) -> None:
    _, settings = workspace
    receipt = erase(settings, identifiers=[("phone", "+1 (555) 010-2000")], mode="delete")
    assert receipt["matched"] == {"documents": 1, "chunks": 1, "points": 1}
    remaining = by_source(settings)
    assert "a_full.txt" not in remaining and "b_surname_only.txt" in remaining
    lineage = LineageStore(settings.stores.lineage)
    assert lineage.table_counts()["chunks"] == len(payloads(settings))


def test_document_erasure_and_its_tombstone(workspace: tuple[Path, IngestSettings]) -> None:
    corpus, settings = workspace
    receipt = erase(settings, documents=[str(corpus / "c_relative.txt")])
    assert receipt["verified"] and receipt["request"]["kind"] == "document"
    assert receipt["matched"]["documents"] == 1 and receipt["deleted"]["lineage"]["version_rows"] == 1
    assert "c_relative.txt" not in by_source(settings)

    # unchanged source: stays erased
    again = run_ingest([corpus], settings, keys=KEYS)
    assert again.counts.documents_indexed == 0 and "c_relative.txt" not in by_source(settings)
    edited = corpus / "c_relative.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + " A new paragraph.", encoding="utf-8")
    # a changed source is a new document
    changed = run_ingest([corpus], settings, keys=KEYS)
    assert changed.counts.documents_indexed == 1 and "c_relative.txt" in by_source(settings)


def test_erased_subject_stays_redacted_on_reingest(workspace: tuple[Path, IngestSettings]) -> None:
    corpus, settings = workspace
    erase(settings, identifiers=[("name", SUBJECT), ("email", P["email"])])
    source = corpus / "a_full.txt"
    source.write_text(source.read_text(encoding="utf-8") + f" {SUBJECT} signed.", encoding="utf-8")
    result = run_ingest([corpus], settings, keys=KEYS)
    assert result.counts.documents_indexed == 1
    content = by_source(settings)["a_full.txt"][0]["page_content"]
    assert "<PERSON>" in content and "<EMAIL_ADDRESS>" in content
    assert "<PERSON_" not in content and "<EMAIL_ADDRESS_" not in content
    assert subject_tokens(settings) == set()


def rewrite_chain(connection: sqlite3.Connection, mutate: Callable[[dict[str, Any]], None]) -> None:
    """The attacker who can write the database: edits every body and recomputes every hash and link
    (the algorithm is public; the receipt key is not)."""
    prev = GENESIS_HASH
    for seq, body in connection.execute("SELECT seq, body FROM receipts ORDER BY seq").fetchall():
        receipt = json.loads(body)
        mutate(receipt)
        receipt["prev_hash"] = prev
        receipt["hash"] = receipt_hash(receipt)
        connection.execute(
            "UPDATE receipts SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (json.dumps(receipt, sort_keys=True), prev, receipt["hash"], seq),
        )
        prev = receipt["hash"]


def attack(
    database: Path,
    pristine: bytes,
    verify: Callable[[], tuple[int, dict[str, Any]]],
    sql: Callable[[sqlite3.Connection], Any],
) -> dict[str, Any]:
    """The pristine database changed by ``sql``; the chain check must fail (exit 1, not valid)."""
    database.write_bytes(pristine)
    with closing(sqlite3.connect(database)) as connection, connection:
        sql(connection)
    code, result = verify()
    assert code == 1 and result["valid"] is False
    return result


def test_receipt_tampering_is_detected(workspace: tuple[Path, IngestSettings]) -> None:
    _, settings = workspace
    first = erase(settings, identifiers=[("email", P["email"])])
    second = erase(settings, identifiers=[("phone", "555-010-2000")], mode="delete")
    assert second["prev_hash"] == first["hash"] and first["signature_scheme"] == "ed25519"
    assert len(first["signature"]) == 128
    runner = CliRunner()
    data_dir = str(settings.stores.data_path)

    def verify() -> tuple[int, dict[str, Any]]:
        done = runner.invoke(cli, ["receipts", "verify", "--data-dir", data_dir, "--json"])
        return done.exit_code, json.loads(done.stdout.splitlines()[0])

    code, ok = verify()
    assert code == 0 and ok == {
        "receipts": 2,
        "valid": True,
        "first_bad": None,
        "reason": None,
        "anchored": 2,
        "checked_with": ok["checked_with"],
    }
    assert ok["checked_with"].startswith("receipt key ")
    database = settings.stores.data_path / "lineage.db"
    pristine = database.read_bytes()

    def attacked(sql: Callable[[sqlite3.Connection], Any]) -> dict[str, Any]:
        return attack(database, pristine, verify, sql)

    edited = attacked(
        lambda c: c.execute(
            "UPDATE receipts SET body = replace(body, '\"verified\": true', '\"verified\": false') WHERE receipt_id = ?",
            (first["receipt_id"],),
        )
    )
    assert edited["first_bad"] == first["receipt_id"] and "edited" in edited["reason"]
    rehashed = attacked(lambda c: rewrite_chain(c, lambda r: r.update(verified=False)))
    assert rehashed["first_bad"] == first["receipt_id"] and "signature" in rehashed["reason"]
    newest_dropped = attacked(
        lambda c: c.execute("DELETE FROM receipts WHERE receipt_id = ?", (second["receipt_id"],))
    )
    assert newest_dropped["reason"] == "1 receipt(s) missing: the exported head has 2"
    all_gone = attacked(lambda c: c.execute("DELETE FROM receipts"))
    assert all_gone["receipts"] == 0 and "2 receipt(s) missing" in all_gone["reason"]
    new_identity = attacked(
        lambda c: (
            c.execute("DELETE FROM receipts"),
            c.execute("DELETE FROM store_settings WHERE name = 'store_id'"),
        )
    )
    assert "another store id" in new_identity["reason"]

    database.write_bytes(pristine)
    head_log = default_head_log()
    lines = head_log.read_text(encoding="ascii").splitlines()
    head_log.write_text("\n".join([*lines[:-1], lines[-1].replace('"length": 2', '"length": 1')]) + "\n")
    code, forged_head = verify()
    assert code == 1 and "do not authenticate" in forged_head["reason"]


def test_purge_leaves_no_erased_bytes_and_receipts_hold_no_values(
    workspace: tuple[Path, IngestSettings],
) -> None:
    _, settings = workspace
    tokens = subject_tokens(settings)
    deleted_text = by_source(settings)["b_surname_only.txt"][0]["page_content"]
    receipt = erase(settings, identifiers=[("name", SUBJECT), ("email", P["email"])], purge=True)
    assert receipt["purge_level"] == "purged"
    erase(settings, documents=["b_surname_only.txt"])
    close_local_clients()
    compacted = run_compact(settings)
    assert compacted["purge_level"] == "purged"
    close_local_clients()
    needles = [t.encode() for t in tokens] + [deleted_text.encode()]
    for path in (p for p in settings.stores.data_path.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert not [n for n in needles if n in data], path.name
    receipts_text = " ".join(
        r.body for r in ReceiptLog(LineageStore(settings.stores.lineage)).receipts()
    ).lower()
    for value in (SUBJECT, P["email"], P["surname"], "555-010-2000"):
        assert value.lower() not in receipts_text


def test_rebuild_purge_swaps_an_alias_and_the_store_keeps_working(
    workspace: tuple[Path, IngestSettings],
) -> None:
    """A server's purge (rebuild into a fresh collection, swap the alias, drop the old one), run through
    the same client API on local mode: twice (a plain collection becoming an alias, then an alias swap)."""
    corpus, settings = workspace
    stores = settings.stores
    deleted_text = by_source(settings)["b_surname_only.txt"][0]["page_content"]
    before = payloads(settings)
    lineage = LineageStore(stores.lineage)
    eraser = Eraser(
        lineage,
        lambda: VectorStore(stores.qdrant, stores.collection),
        lambda: Embedder(settings.embedding_model),
        receipt_signer(stores, lineage, create_missing=True),
        purge_method="rebuild",
    )
    request_id = register_request(stores, KEYS, identifiers=[("name", SUBJECT)], mode="delete", purge=True)
    receipt = eraser.erase(request_id)

    assert receipt["purge_level"] == "purged" and receipt["verified"]
    assert receipt["deleted"]["purge"]["qdrant"].startswith("rebuilt into ragmask__")
    assert not any("rebuilds the collection" in r for r in receipt["residual"])
    client = VectorStore(stores.qdrant, stores.collection).client
    first = physical_collection(client, "ragmask")
    assert first is not None and first.startswith("ragmask__")
    after = payloads(settings)
    erased = set(receipt["deleted"]["qdrant"]["point_ids"])
    # every live point copied, none of the erased
    assert erased and set(after) == set(before) - erased
    assert not any(deleted_text in p["page_content"] for p in after.values())

    # now an alias: swapped in one operation, the first rebuild dropped
    compacted = eraser.compact()
    second = physical_collection(client, "ragmask")
    assert compacted["purge_level"] == "purged" and second not in (None, first)
    assert {c.name for c in client.get_collections().collections} == {second}
    assert set(payloads(settings)) == set(after)

    edited = corpus / "c_relative.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + " A new paragraph.", encoding="utf-8")
    # ingest and search go through the alias
    result = run_ingest([corpus], settings, keys=KEYS)
    assert result.counts.documents_indexed == 1 and result.points_total == len(after)
    assert run_search("contract", stores, settings.embedding_model, 1)[0]["doc_id"].startswith("doc_")


def test_one_lineage_store_serves_two_collections(workspace: tuple[Path, IngestSettings]) -> None:
    """The same documents in a second collection (a second index, a full re-index) get their own point
    ids, and erasing from one collection leaves the other alone."""
    corpus, settings = workspace
    second = IngestSettings(stores=settings.stores.model_copy(update={"collection": "second"}))
    result = run_ingest([corpus], second, keys=KEYS)
    assert (result.counts.documents_indexed, result.counts.documents_failed) == (3, 0)
    assert not set(payloads(second)) & set(payloads(settings))
    receipt = erase(second, identifiers=[("email", P["email"])], mode="delete")
    assert receipt["verified"] and receipt["matched"]["documents"] == 1
    assert len(payloads(settings)) == 3 and len(payloads(second)) == 2


# not a bare <TYPE> marker
STABLE_TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_[0-9a-f]{8,64}>")


def test_a_subjects_token_leaves_the_masked_source_uri(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / f"{SUBJECT}.txt").write_text(f"Notes for the renewal. {P['filler']}", encoding="utf-8")
    settings = settings_for(tmp_path / "data")
    run_ingest([corpus], settings, keys=KEYS)

    # read as an auditor would, straight from the file
    def sources() -> list[str]:
        with closing(sqlite3.connect(settings.stores.data_path / "lineage.db")) as connection:
            return [row[0] for row in connection.execute("SELECT source_masked FROM documents")]

    [before] = sources()
    # the name is only in the file name
    assert STABLE_TOKEN.search(before) and SUBJECT not in before
    receipt = erase(settings, identifiers=[("name", SUBJECT)])
    assert receipt["verified"] and receipt["deleted"]["lineage"]["sources_redacted"] == 1
    [after] = sources()
    assert not STABLE_TOKEN.search(after) and "<PERSON>" in after
    assert not any(STABLE_TOKEN.search(p["metadata"]["source"]) for p in payloads(settings).values())
    close_local_clients()
