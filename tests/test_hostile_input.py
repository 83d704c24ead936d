"""Invariant 7 against hostile and unlucky input: every reader failure is that file's failure (one line
naming the file, the rest of the run goes on), readers are bounded, the directory walk neither follows
a symlink out of the tree nor loops, the same file under two roots is one document, and the exit codes
say what happened. Real components; synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from faker import Faker

from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers import readers
from indexers.errors import SourceError
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.readers.base import ReaderOptions, check_archive
from indexers.readers.records import nesting_depth
from indexers.sources import (
    SkippedDocument,
    SkippedFile,
    SourceFile,
    iter_source_files,
    read_documents,
    source_words,
)
from masking import MaskingKeys
from tests.conftest import REPO, TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())


def person() -> tuple[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(1010)
    return fake.name(), fake.paragraph(nb_sentences=3)


NAME, FILLER = person()


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def cut_part(data: bytes, part: str) -> bytes:
    """The same DOCX with one XML part cut in half (lxml fails on it)."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            body = source.read(item)
            out.writestr(item, body[: len(body) // 2] if item.filename == part else body)
    return target.getvalue()


def zip_bomb(declared_mb: int) -> bytes:
    """A DOCX-shaped zip whose one part inflates to ``declared_mb`` of zeros (about 1/1000 compressed)."""
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("[Content_Types].xml", "<Types/>")
        with out.open("word/document.xml", "w") as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(declared_mb):
                part.write(chunk)
    return target.getvalue()


def hostile_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text(f"{NAME} asked about the invoice. {FILLER}", encoding="utf-8")
    (folder / "deep.json").write_text("[" * 1200 + "]" * 1200, encoding="utf-8")
    (folder / "cut.docx").write_bytes(cut_part(docx_bytes(f"{NAME} signed. {FILLER}"), "word/document.xml"))
    (folder / "bomb.docx").write_bytes(zip_bomb(200))
    (folder / "records.jsonl").write_text(
        json.dumps({"id": 1, "text": f"{FILLER}"}) + "\n" + "[" * 500 + "]" * 500 + "\n", encoding="utf-8"
    )
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outside = folder.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{NAME} lives outside the tree.", encoding="utf-8")
    (folder / "escape.txt").symlink_to(outside / "secret.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "sub" / "again.txt").symlink_to(folder / "good.txt")
    # reading a FIFO would block the run forever
    os.mkfifo(folder / "pipe.txt")
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Path]:
    yield hostile_corpus(tmp_path / "corpus")
    close_local_clients()


def test_bounds_hold_without_the_parsers() -> None:
    assert nesting_depth('{"a": [1, {"b": "[[[["}]}') == 3
    assert nesting_depth("[" * 1200 + "]" * 1200) == 1200
    with pytest.raises(SourceError, match="decompression bomb"):
        check_archive(zip_bomb(200), ReaderOptions(), "DOCX")
    check_archive(docx_bytes("fine"), ReaderOptions(), "DOCX")


def test_the_walk_skips_what_it_must_and_says_why(corpus: Path) -> None:
    entries = list(iter_source_files([corpus]))
    read = sorted(e.uri for e in entries if isinstance(e, SourceFile))
    skipped = {e.uri: e.reason for e in entries if isinstance(e, SkippedFile)}
    assert read == ["bomb.docx", "cut.docx", "deep.json", "good.txt", "records.jsonl"]
    assert "unsupported file type" in skipped["photo.png"]
    assert "outside the ingested tree" in skipped["escape.txt"]
    assert "loop" in skipped["sub/loop"]
    assert "already read under another path" in skipped["sub/again.txt"]
    assert "not a regular file" in skipped["pipe.txt"]
    assert all(uri not in reason for uri, reason in skipped.items())


def test_any_reader_exception_is_that_files_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("fine", encoding="utf-8")

    def exhausted(_path: Path, _options: ReaderOptions) -> Iterator[readers.Record]:
        raise MemoryError

    monkeypatch.setitem(readers.READERS, ".txt", exhausted)
    [document] = read_documents(SourceFile(tmp_path / "a.txt", tmp_path), KEYS.source_key)
    assert isinstance(document, SkippedDocument) and document.reason == "unreadable (MemoryError)"


def test_a_hostile_corpus_fails_file_by_file_and_the_good_ones_are_indexed(
    corpus: Path, tmp_path: Path
) -> None:
    errors: dict[str, str] = {}
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    result = run_ingest(
        [corpus], settings, keys=KEYS, on_error=lambda p: errors.__setitem__(p.source, p.reason)
    )
    counts = result.counts
    # good.txt and records.jsonl#1
    assert counts.documents_indexed == 2
    # deep.json, cut.docx, bomb.docx, records.jsonl#2
    assert counts.documents_failed == 4
    assert counts.files_skipped == 5
    # the loop and the FIFO; png, escape and duplicate are left out by choice
    assert counts.files_unreadable == 2
    assert "nested 1200 levels deep" in errors[source_words("deep.json")]
    assert "malformed DOCX (XMLSyntaxError)" in errors[source_words("cut.docx")]
    assert "decompression bomb" in errors[source_words("bomb.docx")]
    assert "nested 500 levels deep on line 2" in errors[source_words("records.jsonl##2")]
    assert all("\n" not in reason and NAME not in reason for reason in errors.values())
    # named by masked source path: the two unreadable files too, not those left out by choice
    assert (
        "not a regular file" in errors[source_words("pipe.txt")]
        and "loop" in errors[source_words("sub/loop")]
    )
    assert source_words("photo.png") not in errors and len(errors) == 6
    store = VectorStore(settings.stores.qdrant, "ragmask")
    assert NAME not in json.dumps([r.payload for r in store.scroll()])


def test_a_too_long_document_is_refused_by_its_bound(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("word " * 400, encoding="utf-8")
    options = ReaderOptions(max_document_chars=1000)
    [document] = read_documents(SourceFile(tmp_path / "long.txt", tmp_path), KEYS.source_key, options)
    assert isinstance(document, SkippedDocument)
    assert "document too long (2,000 characters > 1,000" in document.reason


def test_the_same_file_under_two_roots_is_one_document(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "hr").mkdir(parents=True)
    (corpus / "hr" / "note.txt").write_text(f"{NAME} joined the team. {FILLER}", encoding="utf-8")
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    first = run_ingest([corpus], settings, keys=KEYS)
    again = run_ingest([corpus / "hr"], settings, keys=KEYS)
    both = run_ingest([corpus, corpus / "hr"], settings, keys=KEYS)
    assert first.counts.documents_indexed == 1
    assert again.counts.documents_unchanged == 1 and again.counts.documents_indexed == 0
    assert both.counts.documents_unchanged == 1 and both.counts.files_skipped == 1
    assert again.points_total == both.points_total == first.points_total
    close_local_clients()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PREFECT_API_URL": "", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def test_exit_codes_and_one_line_errors(corpus: Path, tmp_path: Path) -> None:
    done = run_cli("ingest", str(corpus), "--data-dir", str(tmp_path / "d"), "--json", cwd=tmp_path)
    assert done.returncode == 3, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["documents_failed"] == 4 and result["files_skipped"] == 5
    assert (
        "ragmask: done, but 4 documents failed and 0 were quarantined; 2 files could not be read"
        in done.stderr
    )
    assert "Traceback" not in done.stderr and NAME not in done.stderr
    named = [line for line in done.stderr.splitlines() if "cut .docx" in line]
    [cut] = [p for p in result["problems"] if p["source"] == "cut .docx"]
    assert named == [
        f"ragmask: {cut['doc_id']} (cut .docx): skipped at read: malformed DOCX (XMLSyntaxError)"
    ]
    assert cut["stage"] == "read" and cut["outcome"] == "skipped" and "cut.docx" not in done.stderr

    unchanged = run_cli("ingest", str(corpus / "good.txt"), "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert unchanged.returncode == 0, unchanged.stderr[-2000:]

    missing = run_cli("ingest", str(tmp_path / "nowhere"), "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].endswith("nowhere: no such file or directory")
    assert "Traceback" not in missing.stderr


def test_a_symlink_loop_beside_good_files_is_one_skipped_entry(tmp_path: Path) -> None:
    """Regression: the bookkeeping of the skipped entry resolved the looping path and aborted the run."""
    folder = tmp_path / "loops"
    folder.mkdir()
    (folder / "good.txt").write_text(f"{NAME} asked about the invoice. {FILLER}", encoding="utf-8")
    (folder / "other.md").write_text(f"# Notes\n\n{FILLER}", encoding="utf-8")
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    skipped = [s for s in iter_source_files([folder]) if isinstance(s, SkippedFile)]
    assert sorted((s.uri, s.reason) for s in skipped) == [
        ("a.txt", "broken or looping symlink"),
        ("b.txt", "broken or looping symlink"),
    ]
    done = run_cli("ingest", str(folder), "--data-dir", str(tmp_path / "d"), "--json", cwd=tmp_path)
    assert done.returncode == 3, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["documents_indexed"] == 2 and result["files_skipped"] == result["files_unreadable"] == 2
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
