"""CSV, TSV and XLSX exports end to end on real components (readers, Presidio + spaCy, MiniLM, Qdrant local
mode, SQLite lineage): a Faker HR export and a Faker CRM export are ingested with no raw value in any byte
written, every chunk of a table's rows carries its header, an edited row re-indexes its document, and a
contact's erasure by e-mail finds and redacts them. Synthetic data only (Faker, fixed seeds)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from openpyxl import Workbook

from flows.operations.erase import register_request, run_erase, verify_receipts
from flows.operations.ingest import run_ingest
from flows.operations.reindex import run_reindex
from flows.settings import IngestSettings, ReceiptsSettings, StoreSettings
from indexers.audit import Auditor
from indexers.payload_formats import writable_format
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import Masker, MaskingKeys, load_policy
from tests.test_ingest_e2e import leaked_values

KEYS = MaskingKeys(b"ragmask-table-exports-test-secret")
HR_HEADER = ["employee_id", "first_name", "last_name", "email", "phone", "department", "job_title", "manager"]
CRM_HEADER = ["Account", "Contact Name", "Contact Email", "Phone", "Account Owner", "Stage"]


def hr_export(seed: int, rows: int) -> list[list[str]]:
    fake = Faker(["en_GB", "de_DE", "fr_FR", "pl_PL", "es_ES"])
    fake.seed_instance(seed)
    people = [(fake.first_name(), fake.last_name()) for _ in range(rows)]
    return [
        [
            f"E{10000 + i}",
            given,
            surname,
            f"{given[0]}.{surname}@example.com".lower().replace(" ", ""),
            fake.phone_number(),
            fake.random_element(("Finance", "Sales", "Legal")),
            fake.job(),
            " ".join(people[(i * 3 + 1) % rows]),
        ]
        for i, (given, surname) in enumerate(people)
    ]


def crm_export(seed: int, rows: int) -> list[list[str]]:
    fake = Faker(["en_US", "it_IT", "nl_NL"])
    fake.seed_instance(seed)
    owners = [fake.name() for _ in range(3)]
    return [
        [
            f"{fake.last_name()} Ltd",
            name,
            f"contact{i}@example.org",
            fake.phone_number(),
            owners[i % 3],
            fake.random_element(("Prospect", "Negotiation", "Closed won")),
        ]
        for i, name in enumerate(fake.name() for _ in range(rows))
    ]


def values_of(rows: list[list[str]], columns: list[int]) -> list[str]:
    """The cells, and each word of a cell (a name part alone), of the columns; four characters or more (a
    shorter one is found inside other words, case-folded)."""
    words = {w for row in rows for c in columns for w in row[c].split() if w.isalpha()}
    return sorted(v for v in words | {row[c] for row in rows for c in columns} if len(v) > 3)


def write_sources(folder: Path) -> tuple[list[list[str]], list[list[str]]]:
    folder.mkdir(parents=True)
    hr, crm = hr_export(11, 40), crm_export(12, 30)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HR_HEADER, *hr])
    (folder / "hr_export.csv").write_text(out.getvalue(), encoding="utf-8")
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows([CRM_HEADER, *crm[:15]])
    (folder / "crm_contacts.tsv").write_text(out.getvalue(), encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pipeline"
    for row in [CRM_HEADER, *crm[15:]]:
        sheet.append(row)
    book.save(folder / "pipeline.xlsx")
    return hr, crm


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, IngestSettings, Any, Any]]:
    root = tmp_path_factory.mktemp("exports")
    hr, crm = write_sources(root / "sources")
    settings = IngestSettings(stores=StoreSettings(data_dir=root / "data").resolved(), batch_documents=2)
    result = run_ingest([root / "sources"], settings, keys=KEYS)
    assert result.counts.documents_indexed == 3 and result.counts.documents_failed == 0
    yield root, settings, hr, crm
    close_local_clients()


def points(settings: IngestSettings) -> list[dict[str, Any]]:
    return [
        dict(r.payload or {})
        for r in VectorStore(settings.stores.qdrant, settings.stores.collection).scroll()
    ]


def test_no_raw_value_in_any_byte_written(exports: tuple[Path, IngestSettings, Any, Any]) -> None:
    root, _, hr, crm = exports
    values = values_of(hr, [1, 2, 3, 4, 7]) + values_of(crm, [1, 2, 4])
    assert len(values) > 150
    assert leaked_values(root / "data", values) == []


def test_every_table_chunk_carries_its_header(exports: tuple[Path, IngestSettings, Any, Any]) -> None:
    _, settings, _, _ = exports
    chunks = [p["page_content"] for p in points(settings)]
    # the exports are cut into several chunks each
    assert len(chunks) > 6
    for text in chunks:
        table_lines = [line for line in text.splitlines() if line.startswith("|")]
        assert table_lines, text[:120]
        assert table_lines[0] in {"| " + " | ".join(h) + " |" for h in (HR_HEADER, CRM_HEADER)}, text[:120]
        assert table_lines[1].startswith("| --- |")


def test_the_collection_audits_clean(exports: tuple[Path, IngestSettings, Any, Any]) -> None:
    _, settings, _, _ = exports
    auditor = Auditor(
        Masker(MaskingKeys(b"audit-key-not-the-masking-key"), load_policy("default")),
        writable_format("langchain"),
    )
    report = auditor.audit(VectorStore(settings.stores.qdrant, settings.stores.collection))
    assert report.points_scanned > 6 and report.suspected == 0, report.to_dict()


def test_an_edited_row_reindexes_its_document(exports: tuple[Path, IngestSettings, Any, Any]) -> None:
    root, settings, _, _ = exports
    path = root / "sources" / "crm_contacts.tsv"
    fake = Faker("sv_SE")
    fake.seed_instance(99)
    newcomer = fake.name()
    path.write_text(
        path.read_text(encoding="utf-8") + f"Nya AB\t{newcomer}\tny@example.org\t\tAna Ruiz\tProspect\n",
        encoding="utf-8",
    )
    result = run_reindex([root / "sources"], settings, keys=KEYS)
    counts = result.ingest.counts
    assert counts.documents_indexed == 1 and counts.documents_unchanged == 2
    assert newcomer not in json.dumps(points(settings), ensure_ascii=False)


def test_a_contact_is_erased_by_email(exports: tuple[Path, IngestSettings, Any, Any]) -> None:
    _, settings, _, crm = exports
    # in the workbook
    contact = crm[20]
    before = json.dumps(points(settings))
    request_id = register_request(settings.stores, KEYS, identifiers=[("email", contact[2].upper())])
    receipt = run_erase(settings, request_id)
    assert receipt["verified"] is True and receipt["matched"]["documents"] == 1
    after = json.dumps(points(settings))
    assert after != before and "<EMAIL_ADDRESS>" in after
    assert verify_receipts(ReceiptsSettings(stores=settings.stores)).valid
