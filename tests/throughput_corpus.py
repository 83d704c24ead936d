"""What the throughput and collection-profile tests share: a Faker corpus (fixed seed), vectors compared
within the precision's rounding, and a snapshot of a collection and its lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from flows.settings import StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.embedding_precision import cpu_has_bf16
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore
from masking import MaskingKeys

KEYS = MaskingKeys(b"ragmask-throughput-test-secret")


def write_corpus(folder: Path, documents: int, seed: int = 41) -> None:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    folder.mkdir(parents=True)
    for number in range(documents):
        lines = [
            f"{fake.name()} wrote to {fake.email()} from {fake.street_address()}, {fake.city()}. "
            f"Call {fake.phone_number()}. {fake.paragraph(nb_sentences=4)}"
            for _ in range(3)
        ]
        (folder / f"note-{number:02d}.txt").write_text("\n\n".join(lines), encoding="utf-8")


def same_vector(first: Any, second: Any) -> bool:
    """The same vector up to the precision's rounding: fp32 to 1e-4 whatever the batch's padding; bf16's
    products round differently in another batch shape (about 1e-3 an element), so within cosine 0.9999."""
    first, second = np.array(first), np.array(second)
    return bool(np.allclose(first, second, atol=1e-4) or (cpu_has_bf16() and float(first @ second) > 0.9999))


def snapshot(data_dir: Path, collection: str = "ragmask") -> tuple[dict[str, Any], Any]:
    """Every point's payload and vector, and the lineage: committed documents, their points, row counts."""
    settings = StoreSettings(data_dir=data_dir).resolved()
    store = VectorStore(settings.qdrant, collection)
    points = {
        str(r.id): (r.payload, np.round(np.array(r.vector), 5).tolist())
        for r in store.scroll(with_vectors=True)
    }
    lineage = LineageStore(settings.lineage)
    documents = DocumentCatalog(lineage).documents_in_collection(collection)
    rows = {table: count for table, count in lineage.table_counts().items() if table != "runs"}
    return points, (
        DocumentCatalog(lineage).committed_hashes(collection, documents),
        DocumentCatalog(lineage).committed_point_ids(collection),
        rows,
    )
