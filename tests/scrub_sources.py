"""What the scrub tests share: a Faker population (fixed seed) and its raw chunks, a raw Qdrant source
written by hand, a target read back whole, and the ``ScrubSettings`` a test's scrub runs with (its
collections and fields over the stores, policy and models of the test's ``IngestSettings``)."""

from __future__ import annotations

import json
from typing import Any

from faker import Faker
from qdrant_client import models

from flows.settings import IngestSettings, ScrubSettings
from flows.settings.audit_and_scrub_settings import MASKING_FIELDS
from indexers.qdrant_store import VectorStore

FAKE_DIM = 8


def people() -> list[dict[str, str]]:
    fake = Faker("en_US")
    fake.seed_instance(6060)
    return [
        {
            "name": fake.name(),
            "email": f"{fake.user_name()}@example.com",
            "phone": f"212-555-01{n:02d}",
            "file": f"/data/{fake.last_name().lower()}-{n}.txt",
            "filler": fake.paragraph(nb_sentences=3),
        }
        for n in range(3)
    ]


PEOPLE = people()
VALUES = [v for p in PEOPLE for k, v in p.items() if k in ("name", "email", "phone")]


def chunks(person: dict[str, str]) -> list[str]:
    return [
        f"{person['name']} wrote from {person['email']} about the invoice. {person['filler']}",
        f"Later {person['name'].split()[-1]} called from {person['phone']} to confirm the refund.",
    ]


def client_of(settings: IngestSettings) -> Any:
    # the frameworks take a client
    return VectorStore(settings.stores.qdrant, "probe").client


def target_dump(settings: IngestSettings, name: str) -> tuple[str, list[models.Record]]:
    store = VectorStore(settings.stores.qdrant, name)
    records, _ = store.client.scroll(name, limit=1000, with_payload=True, with_vectors=True)
    return json.dumps([r.payload for r in records]), records


def assert_scrubbed(result: dict[str, Any], text: str, points: int) -> None:
    assert result["points_read"] == result["points_written"] == points, result
    assert result["audit"]["suspected"] == 0, result["audit"]
    assert not [v for v in VALUES if v in text or v.lower() in text.lower()]
    assert "<PERSON_" in text and "<EMAIL_ADDRESS_" in text


def raw_source(settings: IngestSettings, **fields: Any) -> None:
    """Every chunk of every person as a point of ``raw_src`` (integer ids), with ``fields`` in each payload."""
    client = client_of(settings)
    client.create_collection(
        "raw_src", vectors_config=models.VectorParams(size=FAKE_DIM, distance=models.Distance.DOT)
    )
    client.upsert(
        "raw_src",
        points=[
            models.PointStruct(
                id=number, vector=[0.5] * FAKE_DIM, payload={"chunk_text": text, "ticket": p["file"]} | fields
            )
            for number, (p, text) in enumerate(((p, t) for p in PEOPLE for t in chunks(p)), start=1)
        ],
    )


def scrub_settings(
    settings: IngestSettings, source: str, target: str, payload_format: str = "auto", **fields: Any
) -> ScrubSettings:
    """Scrub ``source`` into ``target`` with the fixture's stores, policy, detector, embedding model and
    masking processes."""
    return ScrubSettings(
        source_collection=source,
        target_collection=target,
        payload_format=payload_format,
        stores=settings.stores.model_copy(update={"collection": ""}),
        **settings.model_dump(include=set(MASKING_FIELDS)),
        **fields,
    )
