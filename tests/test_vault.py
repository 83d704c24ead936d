"""The vault: envelope encryption, rehydration with its access log, crypto-shredding by erasure.
Real components (Presidio, MiniLM, Qdrant local mode, SQLite); synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from faker import Faker
from sqlalchemy import func, select

from flows.cli import cli
from flows.operations.erase import register_request, run_erase
from flows.operations.ingest import run_ingest
from flows.operations.rehydrate import default_actor, run_rehydrate
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage import LineageStore
from indexers.lineage_schema import vault_entries, vault_keys
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.sources import source_words
from indexers.vault_store import VaultStore
from masking import KeyConfigError, Masker, MaskingKeys, load_policy
from masking.vault import (
    SealedValues,
    VaultAddress,
    VaultError,
    VaultKey,
    load_vault_key,
    open_values,
    rehydrate_text,
    seal_values,
)
from tests.conftest import TEST_SECRET
from tests.test_ingest_e2e import leaked_values

KEYS = MaskingKeys(TEST_SECRET.encode())
VAULT_SECRET = "vault-test-key-not-for-production"
ADDRESS = VaultAddress("ragmask", "doc_0123", 1)


def people() -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(9090)
    return {
        "name": fake.name(),
        "email": f"{fake.user_name()}@example.com",
        "other": fake.name(),
        "other_email": f"{fake.user_name()}@example.org",
        "filler": fake.paragraph(nb_sentences=3),
    }


P = people()
SURNAME = P["name"].split()[-1]
VALUES = [P["name"], P["email"], P["other"], P["other_email"]]


@pytest.fixture(autouse=True)
def _vault_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGMASK_VAULT_KEY", VAULT_SECRET)


# --- the cryptography ------------------------------------------------------------------------------


def test_sealed_values_open_only_with_their_key_address_and_bytes() -> None:
    master = VaultKey(VAULT_SECRET.encode())
    values = {"<PERSON_0badcafe>": P["name"], "<EMAIL_ADDRESS_12345678>": P["email"]}
    sealed = seal_values(master, ADDRESS, values)
    assert open_values(master, ADDRESS, sealed) == values
    assert not any(
        v.encode() in b"".join([sealed.wrapped_key, *sealed.entries.values()]) for v in values.values()
    )
    # a fresh data key each time
    assert seal_values(master, ADDRESS, values).wrapped_key != sealed.wrapped_key

    with pytest.raises(VaultError, match="sealed with vault key"):
        open_values(VaultKey(b"another-vault-key-of-32-bytes!!!"), ADDRESS, sealed)
    # another document's address
    with pytest.raises(VaultError, match="does not authenticate"):
        open_values(master, VaultAddress("ragmask", "doc_other", 1), sealed)
    swapped = dict(zip(sealed.entries, reversed(sealed.entries.values()), strict=True))
    # a value moved to another token
    with pytest.raises(VaultError, match="does not authenticate"):
        open_values(master, ADDRESS, SealedValues(sealed.master_key_id, sealed.wrapped_key, swapped))
    flipped = bytearray(sealed.wrapped_key)
    flipped[-1] ^= 1
    with pytest.raises(VaultError, match="does not authenticate"):
        open_values(master, ADDRESS, SealedValues(sealed.master_key_id, bytes(flipped), sealed.entries))


def test_vault_key_file_is_created_0600_outside_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("RAGMASK_VAULT_KEY")
    data_dir = tmp_path / "data"
    with pytest.raises(KeyConfigError, match="inside the data directory"):
        load_vault_key(key_file=data_dir / "vault.key", data_dir=data_dir, create_missing=True)
    with pytest.raises(KeyConfigError, match="no vault key: set RAGMASK_VAULT_KEY"):
        # rehydration never creates one
        load_vault_key(data_dir=data_dir)
    # the default file, in the config dir
    created = load_vault_key(data_dir=data_dir, create_missing=True)
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "ragmask" / "vault.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "created a new vault key" in caplog.text
    assert load_vault_key(data_dir=data_dir).key_id == created.key_id != VaultKey(KEYS.secret).key_id


def test_rehydrate_text_puts_back_known_tokens_only() -> None:
    text = "Ask <PERSON_0badcafe> or <PERSON_feedbeef>; <EMAIL_ADDRESS> was redacted."
    rehydrated, count = rehydrate_text(text, {"<PERSON_0badcafe>": P["name"]})
    assert rehydrated == f"Ask {P['name']} or <PERSON_feedbeef>; <EMAIL_ADDRESS> was redacted."
    assert count == 1


def test_masker_keeps_values_only_when_asked_and_they_round_trip(masker: Masker) -> None:
    text = f"{P['name']} ({P['email']}) met {P['other']}. {P['filler']} Later Ms {SURNAME} signed."
    assert masker.mask("doc_a", text).values == {}
    keeping = Masker(KEYS, load_policy("default"), keep_values=True)
    result = keeping.mask("doc_a", text)
    assert set(result.values) == {e.token for e in result.entities}
    # the full form, not "Ms Surname"
    person = next(t for t, v in result.values.items() if v == P["name"])
    assert result.masked_text is not None and result.masked_text.count(person) == 2
    rehydrated, _ = rehydrate_text(result.masked_text, result.values)
    # the title is part of the mention
    assert rehydrated == text.replace(f"Ms {SURNAME}", P["name"])


# --- ingest, rehydrate, erase ----------------------------------------------------------------------


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "letter.txt").write_text(
        f"{P['name']} wrote from {P['email']} about the refund. {P['filler']} "
        f"{P['other']} ({P['other_email']}) approved it.",
        encoding="utf-8",
    )
    (folder / "note.txt").write_text(f"{P['other']} filed the note. {P['filler']}", encoding="utf-8")
    return folder


@pytest.fixture
def vaulted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, IngestSettings]]:
    caplog.set_level(logging.DEBUG)
    corpus = write_corpus(tmp_path / "corpus")
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved(), vault=True)
    done = CliRunner().invoke(
        cli,
        ["ingest", str(corpus), "--data-dir", str(settings.stores.data_path), "--vault"],
        env={"PREFECT_API_URL": ""},
    )
    assert done.exit_code == 0, done.stderr
    assert not any(v in done.output for v in VALUES)
    yield corpus, settings
    close_local_clients()


def chunk_of(settings: IngestSettings, source: str) -> tuple[str, str]:
    """(doc_id, page_content) of the first chunk of a source file."""
    store = VectorStore(settings.stores.qdrant, settings.stores.collection)
    for record in store.scroll():
        payload = record.payload or {}
        if payload["metadata"]["source"] == source_words(source) and payload["metadata"]["chunk_index"] == 0:
            return payload["metadata"]["doc_id"], payload["page_content"]
    raise AssertionError(f"no chunk of {source}")


def vault_rows(settings: IngestSettings) -> tuple[int, int]:
    with LineageStore(settings.stores.lineage).transaction() as tx:
        return (
            int(tx.scalar(select(func.count()).select_from(vault_keys)) or 0),
            int(tx.scalar(select(func.count()).select_from(vault_entries)) or 0),
        )


def rehydrate(settings: IngestSettings, document: str, text: str) -> str:
    return run_rehydrate(settings.stores, document, text, reason="ticket 42", actor="auditor").text


def test_vault_round_trip_through_the_cli_with_an_access_log(
    vaulted: tuple[Path, IngestSettings], caplog: pytest.LogCaptureFixture
) -> None:
    corpus, settings = vaulted
    doc_id, masked = chunk_of(settings, "letter.txt")
    assert P["email"] not in masked
    # sealed at rest, nothing in clear
    assert leaked_values(settings.stores.data_path, VALUES) == []
    data = ["--data-dir", str(settings.stores.data_path)]

    # by doc id or by source path
    for document in (doc_id, str(corpus / "letter.txt")):
        done = CliRunner().invoke(
            cli,
            ["rehydrate", "--document", document, "--reason", "DSAR 7", *data],
            input=masked,
            env={"RAGMASK_ACTOR": "dpo@corp"},
        )
        assert done.exit_code == 0, done.stderr
        assert P["name"] in done.stdout and P["email"] in done.stdout and P["other_email"] in done.stdout
        assert not any(v in done.stderr for v in VALUES)

    refused = CliRunner().invoke(
        cli,
        ["rehydrate", "--document", doc_id, "--reason", "DSAR 7", *data],
        input=masked,
        env={"RAGMASK_VAULT_KEY": "a-wrong-vault-key-of-some-length"},
    )
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "sealed with vault key" in refused.stderr and P["name"] not in refused.stdout
    no_reason = CliRunner().invoke(
        cli, ["rehydrate", "--document", doc_id, "--reason", " ", *data], input=masked
    )
    assert no_reason.exit_code == 2

    log = VaultStore(LineageStore(settings.stores.lineage)).access_log()
    # no --actor: the login name
    actors = ["dpo@corp", "dpo@corp", default_actor()]
    assert [(r.actor, r.reason, r.doc_id) for r in log] == [(a, "DSAR 7", doc_id) for a in actors]
    assert [r.tokens for r in log][:2] == [masked.count("<") - masked.count("<PERSON>")] * 2
    # the refused call is logged too
    assert log[2].tokens == 0
    assert all(r.at is not None for r in log)
    logged = [
        r.getMessage()
        for phase in ("setup", "call")
        for r in caplog.get_records(phase)
        # ingest, rehydrate
    ]
    assert len(logged) > 10 and not [m for m in logged for v in VALUES if v in m]


def test_reingest_of_a_changed_document_replaces_its_vault(vaulted: tuple[Path, IngestSettings]) -> None:
    corpus, settings = vaulted
    assert vault_rows(settings)[0] == 2
    new_email = "changed.address@example.net"
    letter = corpus / "letter.txt"
    letter.write_text(letter.read_text(encoding="utf-8").replace(P["email"], new_email), encoding="utf-8")
    run_ingest([corpus], settings, keys=KEYS)
    # the superseded version's key went with it
    assert vault_rows(settings)[0] == 2
    doc_id, masked = chunk_of(settings, "letter.txt")
    rehydrated = rehydrate(settings, doc_id, masked)
    assert new_email in rehydrated and P["email"] not in rehydrated

    letter.write_text(letter.read_text(encoding="utf-8") + " Filed.", encoding="utf-8")
    # the vault is off for this run
    run_ingest([corpus], settings.changed(vault=False), keys=KEYS)
    assert vault_rows(settings)[0] == 1
    with pytest.raises(VaultError, match="has no vault"):
        rehydrate(settings, doc_id, masked)


def test_erasure_crypto_shreds_and_erased_subjects_are_not_vaulted_again(
    vaulted: tuple[Path, IngestSettings],
) -> None:
    corpus, settings = vaulted
    letter_id, letter = chunk_of(settings, "letter.txt")
    note_id, note = chunk_of(settings, "note.txt")
    keys_before, entries_before = vault_rows(settings)

    subject = run_erase(
        settings, register_request(settings.stores, KEYS, identifiers=[("email", P["email"])])
    )
    assert subject["deleted"]["vault"] == {
        "entries_destroyed": 1,
        "data_keys_destroyed": 0,
        "crypto_shredded": False,
    }
    assert vault_rows(settings) == (keys_before, entries_before - 1)
    # the old masked text still carries the erased token
    after = rehydrate(settings, letter_id, letter)
    assert P["email"] not in after and P["name"] in after

    document = run_erase(settings, register_request(settings.stores, KEYS, documents=[note_id]))
    assert document["deleted"]["vault"]["data_keys_destroyed"] == 1
    assert document["deleted"]["vault"]["crypto_shredded"] is True
    assert vault_rows(settings)[0] == keys_before - 1
    with pytest.raises(VaultError, match="matches no document"):
        rehydrate(settings, note_id, note)
    with pytest.raises(VaultError, match="no committed document"):
        VaultStore(LineageStore(settings.stores.lineage)).load(settings.stores.collection, note_id)

    letter_path = corpus / "letter.txt"
    letter_path.write_text(letter_path.read_text(encoding="utf-8") + " Filed.", encoding="utf-8")
    # changed: re-masked, the erased e-mail suppressed
    run_ingest([corpus], settings, keys=KEYS)
    letter_id, letter = chunk_of(settings, "letter.txt")
    rehydrated = rehydrate(settings, letter_id, letter)
    assert P["email"] not in rehydrated and "<EMAIL_ADDRESS>" in rehydrated
    assert P["name"] in rehydrated


def test_a_document_the_store_refuses_leaves_the_others_vaults_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part's versions are written together; when the store refuses one, the others are written again one
    at a time, and their vaults are sealed again from the whole token -> value map (not the emptied one)."""
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "refused.txt").write_text(f"{P['name']} asked again. {P['filler']}", encoding="utf-8")
    upsert = VectorStore.upsert

    # a payload the server rejects
    def refusing(self: VectorStore, points: Any) -> None:
        if any(p.payload["metadata"]["source"] == source_words("refused.txt") for p in points):
            raise ValueError("refused")
        upsert(self, points)

    monkeypatch.setattr(VectorStore, "upsert", refusing)
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved(), vault=True)
    try:
        counts = run_ingest([corpus], settings, keys=KEYS).counts
        assert (counts.documents_indexed, counts.documents_failed) == (2, 1)
        # the refused document's vault went with its rolled-back rows
        assert vault_rows(settings)[0] == 2
        doc_id, masked = chunk_of(settings, "letter.txt")
        rehydrated = rehydrate(settings, doc_id, masked)
        assert P["name"] in rehydrated and P["email"] in rehydrated and P["other_email"] in rehydrated
        assert leaked_values(settings.stores.data_path, VALUES) == []
    finally:
        close_local_clients()
