"""The erasure store's subject lookup, on a real lineage store: only committed chunks of the named
collection match. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

from pathlib import Path

from faker import Faker

from indexers.erasure_store import ErasureStore
from indexers.lineage import LineageStore
from indexers.version_ledger import ChunkRow, PendingVersion, VersionCommit, VersionLedger
from masking import MaskingKeys
from masking.fingerprints import subject_fingerprints
from tests.conftest import TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())


def subject_email() -> str:
    fake = Faker("en_US")
    fake.seed_instance(5151)
    return str(fake.email())


EMAIL = subject_email()


def test_subject_matches_only_committed_chunks_of_the_collection(tmp_path: Path) -> None:
    """The lookup filters collection and status itself (bench/erasure.py says why): a pending version,
    a superseded one and another collection's chunks with the subject's fingerprint are not matches."""
    lineage = LineageStore(f"sqlite:///{tmp_path / 'lineage.db'}")
    subject = subject_fingerprints(KEYS.fingerprint_key, "EMAIL_ADDRESS", EMAIL)
    (fp,) = subject.strong

    def write(collection: str, doc_id: str, version: int, commit: bool) -> str:
        point = f"{collection}-{doc_id}-{version}"
        row = ChunkRow(point, 0, 10, [(fp, "EMAIL_ADDRESS", f"<EMAIL_ADDRESS_{version:08x}>", False)])
        VersionLedger(lineage).write_pending_many(
            collection, "run", [PendingVersion(doc_id, version, "h", {}, [row])]
        )
        if commit:
            VersionLedger(lineage).commit_versions(
                collection, [VersionCommit(doc_id, version, "h", "", None, None, "run")]
            )
        return point

    write("ragmask", "doc_a", 1, commit=True)
    # version 1 is superseded now
    current = write("ragmask", "doc_a", 2, commit=True)
    # pending: a crash before its upsert
    write("ragmask", "doc_b", 1, commit=False)
    write("other", "doc_c", 1, commit=True)
    matches = ErasureStore(lineage).subject_matches("ragmask", subject)
    assert [(m.point_id, m.doc_id, m.version, m.token) for m in matches] == [
        (current, "doc_a", 2, "<EMAIL_ADDRESS_00000002>")
    ]
