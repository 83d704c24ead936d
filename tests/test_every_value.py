"""No false proof: scrub and audit see every value a payload holds, not only its plain strings. A raw
collection holds a phone and a card as integers, an e-mail and a full name as dict keys, e-mail addresses
written with a full-width at sign, an HTML entity, percent-encoding, a zero-width space and "[at] ...
[dot]", and an e-mail 200 dicts deep. Its audit reports each of them by path; the scrub writes a target
in which neither a byte scan of the store nor its payloads holds any of them, and whose audit is clean.
Real Presidio, spaCy, embedding model and Qdrant local mode; Faker values with a fixed seed."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from faker import Faker
from qdrant_client import models

from flows.operations.audit import run_audit
from flows.operations.erase import register_request, run_erase
from flows.operations.scrub import run_scrub
from flows.settings import IngestSettings, StoreSettings
from indexers.audit import MAX_DETECT_CHARS, card_like_id, payload_strings
from indexers.payload_formats import field_label, number_text, rewrite
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from masking.deobfuscate import Plain, plain_text
from masking.leak_check import leak_check
from tests.conftest import TEST_SECRET
from tests.scrub_sources import scrub_settings

DEPTH = 200
KEYS = MaskingKeys(TEST_SECRET.encode())
FULL_WIDTH_AT = "\uff20"


def us_phone(fake: Faker) -> int:
    """A valid US number as the integer a CRM export stores."""
    while True:
        digits = fake.numerify("2##5550###")
        if phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")):
            return int(digits)


def planted(seed: int) -> dict[str, Any]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    users = [fake.unique.user_name() for _ in range(7)]
    return {
        "phone": us_phone(fake),
        "card": int(fake.credit_card_number(card_type="visa16")),
        "name": f"{fake.first_name()} {fake.last_name()}",
        "emails": [f"{user}@example.com" for user in users],
    }


def nested(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = leaf
    for _ in range(depth):
        value = {"child": value}
    return value


def hostile_payloads(values: dict[str, Any]) -> list[dict[str, Any]]:
    e = values["emails"]
    user, domain = e[2].split("@")
    full_width = e[1].replace("@", FULL_WIDTH_AT)
    return [
        {
            "text": "The customer called about a refund.",
            "ticket": "T-1",
            "customer_phone": values["phone"],
            "card_number": values["card"],
            "approvals": {e[0]: "approved", values["name"]: "pending"},
        },
        {"text": f"Replies go to {full_width} or {user}&#64;{domain}.", "ticket": "T-2"},
        {
            "text": f"Write to {e[3].replace('@', '%40')} or {e[4][:3]}\u200b{e[4][3:]} today.",
            "ticket": "T-3",
        },
        {
            "text": "Forwarded.",
            "ticket": "T-4",
            "meta": {"contact": e[5].replace("@", " [at] ").replace(".", " [dot] ")},
        },
        {"text": "Deep.", "ticket": "T-5", "tree": nested(DEPTH, {"owner": e[6]})},
    ]


def obfuscated_forms(values: dict[str, Any]) -> list[str]:
    """Every planted value as it is written in the payloads, and in its plain form."""
    e = values["emails"]
    return [str(values["phone"]), str(values["card"]), values["name"], *e]


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved(), workers=1)
    close_local_clients()


def write_raw(settings: IngestSettings, payloads: list[dict[str, Any]]) -> None:
    store = VectorStore(settings.stores.qdrant, "hostile")
    store.client.create_collection(
        "hostile", vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT)
    )
    store.client.upsert(
        "hostile",
        points=[models.PointStruct(id=str(uuid.uuid4()), vector=[0.5] * 4, payload=p) for p in payloads],
    )


def test_numbers_keys_and_deep_values_are_leaves_with_their_paths() -> None:
    payload = {
        "customer_phone": 4155550123,
        "count": 3,
        "ok": True,
        "ratio": 0.5,
        "approvals": {"jane@example.com": "yes", "doc_id": "x"},
        "tree": nested(3, {"a": "b"}),
    }
    assert sorted(payload_strings(payload)) == [
        ("approvals.?", "yes"),
        ("approvals.?(key)", "jane@example.com"),
        ("approvals.doc_id", "x"),
        ("customer_phone", "customer phone: 4155550123"),
        ("tree.child.child.child.a", "b"),
    ]
    assert (
        number_text(4.15555e9) == "4155550000" and number_text(True) is None and number_text(123456) is None
    )
    assert field_label("crm.cardNumber") == "card number" and field_label("x.?") == ""


def test_rewrite_turns_a_changed_number_into_its_token_and_renames_a_changed_key() -> None:
    payload = {"phone": 4155550123, "n": 12345678, "by": {"jane@example.com": 1, "<TOKEN>": 2}}
    changed = {"4155550123": "<PHONE>", "jane@example.com": "<TOKEN>"}
    out = rewrite(payload, lambda _path, text: changed.get(text, text))
    assert out == {"phone": "<PHONE>", "n": 12345678, "by": {"<TOKEN>": 1, "<TOKEN>~": 2}}


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("jane\uff20example.com", "jane@example.com"),
        ("jane&#64;example.com", "jane@example.com"),
        ("jane%40example.com", "jane@example.com"),
        ("ja\u200bne@exa\u202emple.com", "jane@example.com"),
        ("jane [at] example [dot] com", "jane@example.com"),
        ("jane (at) mail (dot) example.org", "jane@mail.example.org"),
        ("jane at example dot com", "jane@example.com"),
        ("JANE AT EXAMPLE.COM", "JANE@EXAMPLE.COM"),
    ],
)
def test_obfuscations_are_undone_and_mapped_back(written: str, plain: str) -> None:
    text = f"Mail {written}, thanks."
    undone = Plain.of(text)
    assert undone.text == f"Mail {plain}, thanks." and plain_text(written) == plain
    (finding,) = leak_check(text)
    # the original characters, all of them
    assert text[finding.start : finding.end] == written


@pytest.mark.parametrize(
    "prose",
    [
        "Look at example.com for the figures.",
        "We met at noon (at the office).",
        "50% off; 100%20 is no code",
        "Tom &amp; Jerry",
    ],
)
def test_prose_is_not_taken_for_an_address(prose: str) -> None:
    assert "@" not in Plain.of(prose).text and leak_check(prose) == []


def test_a_card_like_integer_point_id_is_read() -> None:
    assert (
        card_like_id(4111111111111111)
        and not card_like_id(1234567)
        and not card_like_id(1_700_000_000_000_000_000)
    )
    assert not card_like_id(str(uuid.uuid4()))


@pytest.mark.slow
def test_the_audit_sees_every_planted_value_and_the_scrub_leaves_none(settings: IngestSettings) -> None:
    values = planted(3232)
    write_raw(settings, hostile_payloads(values))
    before = run_audit(
        StoreSettings(data_dir=settings.stores.data_path, collection="hostile").resolved(),
        payload_format="raw",
    )
    paths = set(before.by_path)
    assert {"customer_phone", "card_number", "approvals.?(key)", "text", "meta.contact"} <= paths
    assert "tree" + ".child" * DEPTH + ".owner" in paths
    assert before.by_type["EMAIL_ADDRESS"] >= 7 and before.by_type["PHONE_NUMBER"] >= 1
    assert before.by_type["CREDIT_CARD"] >= 1 and before.by_type["PERSON"] >= 1

    result = run_scrub(
        scrub_settings(settings, "hostile", "hostile_masked", "raw", text_field="text", doc_key="ticket")
    )
    assert result["audit"]["suspected"] == 0 and result["documents_quarantined"] == 0 and result["live"]
    target = VectorStore(settings.stores.qdrant, "hostile_masked")
    payloads = json.dumps([r.payload for r in target.scroll()])
    stored = b"".join(
        p.read_bytes()
        for p in (settings.stores.data_path / "qdrant" / "collection" / "hostile_masked").rglob("*")
        if p.is_file()
    )
    for value in obfuscated_forms(values):
        assert value.lower() not in payloads.lower()
        assert value.encode() not in stored
    user = values["emails"][2].split("@")[0]
    # the obfuscated forms' parts
    assert user not in payloads and values["emails"][4][3:] not in payloads
    first = next(r.payload for r in target.scroll() if r.payload and "card_number" in r.payload)
    # a number becomes its token, a string
    assert str(first["customer_phone"]).startswith("<PHONE_NUMBER_")
    assert str(first["card_number"]).startswith("<CREDIT_CARD_")
    assert all(key.startswith(("<EMAIL_ADDRESS_", "<PERSON_")) for key in first["approvals"])
    after = run_audit(
        StoreSettings(data_dir=settings.stores.data_path, collection="hostile_masked").resolved(),
        payload_format="raw",
    )
    assert after.suspected == 0


def person_in_a_path(seed: int) -> tuple[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake.first_name(), fake.last_name()


@pytest.mark.slow
def test_a_name_in_a_file_path_is_masked_and_erasure_says_verified_only_once_it_is_gone(
    settings: IngestSettings,
) -> None:
    from langchain_core.documents import Document
    from langchain_core.embeddings import FakeEmbeddings
    from langchain_qdrant import QdrantVectorStore

    given, surname = person_in_a_path(3333)
    path = f"/docs/{given}_{surname}.txt"
    client = VectorStore(settings.stores.qdrant, "probe").client
    client.create_collection(
        "lc_src", vectors_config={"": models.VectorParams(size=8, distance=models.Distance.COSINE)}
    )
    QdrantVectorStore(
        client=client, collection_name="lc_src", embedding=FakeEmbeddings(size=8)
    ).add_documents(
        [
            Document(page_content=text, metadata={"source": path})
            for text in ("The refund was approved on Monday.", "The card was replaced after the call.")
        ]
    )
    result = run_scrub(scrub_settings(settings, "lc_src", "lc_dst"))
    assert result["audit"]["suspected"] == 0 and result["points_written"] == 2
    target = VectorStore(settings.stores.qdrant, "lc_dst")
    payloads = json.dumps([r.payload for r in target.scroll()])
    assert given not in payloads and surname not in payloads and "/docs/<PERSON_" in payloads
    lineage = sqlite3.connect(settings.stores.data_path / "lineage.db")
    sources = [
        row[0] for row in lineage.execute("SELECT source_masked FROM documents WHERE collection = 'lc_dst'")
    ]
    lineage.close()
    assert sources and all(given not in s and s.startswith("/docs/<PERSON_") for s in sources)

    # a point written by hand that holds the name: no lineage row knows it, the receipt must not say verified
    stray = str(uuid.uuid4())
    target.client.upsert(
        "lc_dst",
        points=[
            models.PointStruct(
                id=stray,
                vector={"": [0.1] * 384},
                payload={
                    "page_content": "A note.",
                    "metadata": {"source": path, "reviewers": {f"{given} {surname}": "ok"}},
                },
            )
        ],
    )
    on_target = IngestSettings(
        stores=StoreSettings(data_dir=settings.stores.data_path, collection="lc_dst").resolved()
    )
    first = run_erase(
        on_target, register_request(on_target.stores, KEYS, identifiers=[("name", f"{given} {surname}")])
    )
    assert first["verified"] is False and first["status"] == "incomplete"
    assert first["deleted"]["remaining"]["points"] == [
        {"point_id": stray, "paths": ["metadata.reviewers.?(key)", "metadata.source"]}
    ]
    # the receipt is stored: no value
    assert given not in json.dumps(first) and surname not in json.dumps(first)
    # the scrubbed points were found through the lineage
    assert first["matched"]["chunks"] == 2

    target.delete([stray])
    second = run_erase(
        on_target, register_request(on_target.stores, KEYS, identifiers=[("name", f"{given} {surname}")])
    )
    assert second["verified"] is True and second["status"] == "verified"
    assert second["deleted"]["remaining"] == {"points": [], "sources": []}


@pytest.mark.slow
def test_a_string_longer_than_the_detector_reads_is_a_finding_and_its_tail_is_leak_checked(
    settings: IngestSettings,
) -> None:
    fake = Faker("en_US")
    fake.seed_instance(3434)
    filler = "The refund was approved and the card was replaced. " * (MAX_DETECT_CHARS // 50 + 100)
    email = f"{fake.user_name()}@example.com"
    write_raw(
        settings,
        [
            {"text": f"{filler} Write to {email}.", "ticket": "T-1"},
            {"text": "A short note.", "ticket": "T-2"},
        ],
    )
    report = run_audit(
        StoreSettings(data_dir=settings.stores.data_path, collection="hostile").resolved(),
        payload_format="raw",
    )
    assert report.by_type == {"NOT_FULLY_SCANNED": 1, "EMAIL_ADDRESS": 1} and len(report.point_ids) == 1


@pytest.mark.parametrize("token", ["a" * 200_000, "a." * 100_000, "Ab_" * 60_000, "x-" * 100_000])
def test_a_long_token_is_read_once_not_once_per_character(token: str) -> None:
    # every pattern starts only where a token starts: read once per character, these took hours
    text = f"{token} (see the note)"
    assert Plain.of(text).text.endswith("(see the note)") and leak_check(text) == []
