"""Erasure lookup at scale: find one subject's chunks in a lineage store of 1,000,000 entity rows.

Builds the store with ragmask's own schema (Alembic migrations) and its own fingerprints (the keyed
HMACs and name variants the masker writes): synthetic documents of 4 chunks, each chunk naming a person
(full name plus variant rows), an e-mail and a phone, until ``--rows`` chunk_entities rows exist. One
subject is planted in ``--subject-docs`` documents, by full name in some and "Ms <surname>" in others.
Then it times ``ErasureStore.subject_matches`` for a request naming the subject's name and e-mail
(the lookup an erasure starts with), a request that matches nothing, and the lineage side of the
erasure (forget the entity rows, write the tombstones). Qdrant is not involved.

    python bench/erasure.py [--rows 1000000] [--subject-docs 25] [--lineage-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from faker import Faker  # noqa: E402
from faker.providers.person.en_US import Provider as PersonProvider  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from indexers.erasure_store import ErasureStore  # noqa: E402
from indexers.lineage import COMMITTED, LineageStore, utc_now  # noqa: E402
from indexers.lineage_deletion import LineageDeletion  # noqa: E402
from indexers.lineage_schema import chunk_entities, chunks, document_versions, documents  # noqa: E402
from indexers.tombstones import Tombstones  # noqa: E402
from masking import MaskingKeys  # noqa: E402
from masking.fingerprints import entity_fingerprints, subject_fingerprints  # noqa: E402
from masking.normalise import normalise  # noqa: E402

KEYS = MaskingKeys(b"bench-erasure-key-not-a-secret")
COLLECTION = "bench"
CHUNKS_PER_DOC = 4
INSERT_BATCH = 20_000
REPEATS = 5


class EntityRows:
    """Entity rows as the masker writes them: (fingerprint, type, token, variant) per distinct value."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], list[tuple[str, bool]]] = {}

    def fingerprints(self, entity_type: str, value: str) -> list[tuple[str, bool]]:
        """(fingerprint, variant) of a value: a name's own first, then its variants'."""
        cached = self._cache.get((entity_type, value))
        if cached is None:
            found = entity_fingerprints(KEYS.fingerprint_key, entity_type, normalise(entity_type, value))
            cached = [(fp, i > 0) for i, fp in enumerate(found)]
            self._cache[(entity_type, value)] = cached
        return cached

    def rows(self, point_id: str, entity_type: str, value: str) -> list[dict[str, Any]]:
        token = f"<{entity_type}_{uuid.uuid4().hex[:8]}>"
        return [
            {
                "point_id": point_id,
                "fingerprint": fp,
                "entity_type": entity_type,
                "token": token,
                "variant": variant,
            }
            for fp, variant in self.fingerprints(entity_type, value)
        ]


def pools(seed: int, size: int) -> tuple[list[str], list[str], list[str]]:
    """Names, e-mails and phones from Faker's en_US name lists (drawn directly: Faker's weighted
    sampling would take minutes for a million rows)."""
    rng = random.Random(seed)
    firsts, lasts = list(PersonProvider.first_names), list(PersonProvider.last_names)
    people = [(rng.choice(firsts), rng.choice(lasts)) for _ in range(size)]
    names = [f"{first} {last}" for first, last in people]
    emails = [f"{first}.{last}{i}@example.com".lower() for i, (first, last) in enumerate(people)]
    phones = [f"555-{i // 10_000 % 1000:03d}-{i % 10_000:04d}" for i in range(size)]
    return names, emails, phones


def documents_rows(target: int, subject: dict[str, str], subject_docs: int) -> Iterator[dict[str, list[Any]]]:
    """Batches of rows for the four tables until ``target`` entity rows have been produced."""
    names, emails, phones = pools(seed=7, size=50_000)
    entity_rows = EntityRows()
    produced, doc_number = 0, 0
    # spread the subject evenly
    every = max(1, target // (CHUNKS_PER_DOC * 5 * max(subject_docs, 1)))
    planted = 0
    now = utc_now()
    batch: dict[str, list[Any]] = {"documents": [], "versions": [], "chunks": [], "entities": []}
    while produced < target:
        doc_id = f"doc_{doc_number:024x}"
        batch["documents"].append(
            {
                "collection": COLLECTION,
                "doc_id": doc_id,
                "current_version": 1,
                "content_hash": f"{doc_number:064x}",
                "last_status": COMMITTED,
                "last_run_id": "bench",
                "updated_at": now,
            }
        )
        batch["versions"].append(
            {
                "collection": COLLECTION,
                "doc_id": doc_id,
                "version": 1,
                "content_hash": f"{doc_number:064x}",
                "status": COMMITTED,
                "run_id": "bench",
                "chunk_count": CHUNKS_PER_DOC,
                "created_at": now,
                "committed_at": now,
            }
        )
        plant = planted < subject_docs and doc_number % every == every - 1
        for index in range(CHUNKS_PER_DOC):
            point_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}/{index}"))
            batch["chunks"].append(
                {
                    "point_id": point_id,
                    "collection": COLLECTION,
                    "doc_id": doc_id,
                    "version": 1,
                    "chunk_index": index,
                    "token_count": 200,
                }
            )
            k = (doc_number * CHUNKS_PER_DOC + index) % len(names)
            # one subject, one person
            person = names[k] if names[k] != subject["name"] else names[k - 1]
            # the subject: by full name and e-mail, or as "Ms <surname>" alone
            if plant and index == 0:
                person = subject["name"] if planted % 2 == 0 else subject["surname"]
            rows = entity_rows.rows(point_id, "PERSON", person)
            if plant and index == 0 and planted % 2 == 0:
                rows += entity_rows.rows(point_id, "EMAIL_ADDRESS", subject["email"])
            else:
                rows += entity_rows.rows(point_id, "EMAIL_ADDRESS", emails[k])
            rows += entity_rows.rows(point_id, "PHONE_NUMBER", phones[k])
            batch["entities"] += rows
            produced += len(rows)
        planted += plant
        doc_number += 1
        if len(batch["entities"]) >= INSERT_BATCH or produced >= target:
            yield batch
            batch = {"documents": [], "versions": [], "chunks": [], "entities": []}


def build(lineage: LineageStore, target: int, subject: dict[str, str], subject_docs: int) -> dict[str, int]:
    counts = {"documents": 0, "chunks": 0, "entity_rows": 0}
    with lineage.transaction() as tx:
        for batch in documents_rows(target, subject, subject_docs):
            tx.execute(insert(documents), batch["documents"])
            tx.execute(insert(document_versions), batch["versions"])
            tx.execute(insert(chunks), batch["chunks"])
            tx.execute(insert(chunk_entities), batch["entities"])
            counts["documents"] += len(batch["documents"])
            counts["chunks"] += len(batch["chunks"])
            counts["entity_rows"] += len(batch["entities"])
            print(
                f"erasure: built {counts['entity_rows']:,} entity rows", file=sys.stderr, end="\r", flush=True
            )
    print(file=sys.stderr)
    if lineage.dialect != "sqlite":
        with lineage.transaction() as tx:
            tx.exec_driver_sql("ANALYZE")
    return counts


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def uses_fingerprint_index(lineage: LineageStore, fingerprint_value: str) -> bool | None:
    """Whether the database plans the lookup through ix_chunk_entities_fingerprint (SQLite/PostgreSQL)."""
    explain = {"sqlite": "EXPLAIN QUERY PLAN", "postgresql": "EXPLAIN"}.get(lineage.dialect)
    if explain is None:
        return None
    with lineage.transaction() as tx:
        plan = tx.execute(
            text(f"{explain} SELECT point_id FROM chunk_entities WHERE fingerprint = :fp"),
            {"fp": fingerprint_value},
        ).all()
    return "ix_chunk_entities_fingerprint" in " ".join(str(part) for row in plan for part in row)


def measure(lineage_url: str, rows: int, subject_docs: int) -> dict[str, Any]:
    fake = Faker("en_US")
    fake.seed_instance(99)
    first, surname = fake.first_name_female(), fake.last_name()
    subject = {
        "name": f"{first} {surname}",
        "surname": f"Ms {surname}",
        "email": f"{first}.{surname}@example.net",
    }
    lineage = LineageStore(lineage_url)
    build_s, counts = timed(lambda: build(lineage, rows, subject, subject_docs))
    lineage.close()

    # a fresh engine: the first lookup opens its connection
    lineage = LineageStore(lineage_url)
    store = ErasureStore(lineage)
    request = subject_fingerprints(KEYS.fingerprint_key, "PERSON", subject["name"]) | subject_fingerprints(
        KEYS.fingerprint_key, "EMAIL_ADDRESS", subject["email"].upper()
    )
    absent = subject_fingerprints(KEYS.fingerprint_key, "PERSON", "Nobody Inthisstore")
    first_s, matches = timed(lambda: store.subject_matches(COLLECTION, request))
    warm = [timed(lambda: store.subject_matches(COLLECTION, request))[0] for _ in range(REPEATS)]
    miss = [timed(lambda: store.subject_matches(COLLECTION, absent))[0] for _ in range(REPEATS)]
    forget_s, _ = timed(lambda: LineageDeletion(lineage).forget_tokens(matches))
    tombstone_s, _ = timed(lambda: Tombstones(lineage).add_tombstones(COLLECTION, "bench-request", request))
    after = store.subject_matches(COLLECTION, request)
    return {
        "lineage": lineage.dialect,
        **counts,
        "build_s": round(build_s, 1),
        "matched_documents": len({m.doc_id for m in matches}),
        "matched_chunks": len({m.point_id for m in matches}),
        "lookup_first_s": round(first_s, 4),
        "lookup_median_s": round(statistics.median(warm), 4),
        "lookup_no_match_median_s": round(statistics.median(miss), 4),
        "forget_rows_s": round(forget_s, 4),
        "tombstones_s": round(tombstone_s, 4),
        "matches_after": len(after),
        "fingerprint_index_used": uses_fingerprint_index(lineage, next(iter(request.strong))),
        "subject_docs_planted": subject_docs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="chunk_entities rows to build")
    parser.add_argument("--subject-docs", type=int, default=25, help="documents that mention the subject")
    parser.add_argument("--lineage-url", default=None, help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ragmask-erasure-bench-") as folder:
        url = args.lineage_url or f"sqlite:///{Path(folder) / 'lineage.db'}"
        result = measure(url, args.rows, args.subject_docs)
        if url.startswith("sqlite:///"):
            result["db_mb"] = round(Path(url.removeprefix("sqlite:///")).stat().st_size / 1e6, 1)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"lineage {result['lineage']}: {result['entity_rows']:,} entity rows, {result['chunks']:,} chunks, "
        f"{result['documents']:,} documents (built in {result['build_s']} s)\n"
        f"subject found in {result['matched_documents']} documents / {result['matched_chunks']} chunks "
        f"(planted: {result['subject_docs_planted']})\n"
        f"lookup: first {result['lookup_first_s']} s, median {result['lookup_median_s']} s, "
        f"no match {result['lookup_no_match_median_s']} s; fingerprint index used: "
        f"{result['fingerprint_index_used']}\n"
        f"lineage side of the erasure: forget rows {result['forget_rows_s']} s, tombstones "
        f"{result['tombstones_s']} s; matches after: {result['matches_after']}"
    )
    return 0 if result["matches_after"] == 0 and result["matched_documents"] == args.subject_docs else 1


if __name__ == "__main__":
    sys.exit(main())
