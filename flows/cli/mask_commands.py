"""``ragmask init`` (a private data directory) and ``ragmask mask`` (a preview of masking; nothing stored)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flows.cli.app import (
    DATA_DIR,
    JSON,
    KEY_FILE,
    POLICY,
    SPACY_MODEL,
    CliError,
    IncompleteRunError,
    cli,
    one_line_errors,
    optional_path,
)
from flows.pipeline.batching import batched
from flows.settings import (
    StoreSettings,
)
from indexers.sources import (
    SkippedDocument,
    SkippedFile,
    SourceDocument,
    SourceFile,
    iter_source_files,
    read_documents,
)
from masking import RagmaskError, load_keys, load_policy
from masking.detector_config import DetectorConfig

if TYPE_CHECKING:
    from masking import MaskedDocument


BATCH_DOCUMENTS = 32


def _readable(sources: Iterator[SourceFile | SkippedFile]) -> Iterator[SourceFile]:
    """The files to read; each skipped one is said on stderr (its path relative to its root)."""
    for source in sources:
        if isinstance(source, SkippedFile):
            click.echo(f"ragmask: skipped: {source.error}", err=True)
        else:
            yield source


def _batches(
    sources: Iterator[SourceFile | SkippedFile], source_key: bytes
) -> Iterator[list[SourceDocument | SkippedDocument]]:
    documents = (d for source in _readable(sources) for d in read_documents(source, source_key))
    return batched(documents, BATCH_DOCUMENTS)


def _failed_entry(document: SkippedDocument) -> dict[str, Any]:
    click.echo(f"ragmask: skipped: {document.error}", err=True)
    return {
        "path": str(document.path),
        "doc_id": document.doc_id,
        "masked_text": None,
        "report": {"doc_id": document.doc_id, "status": "failed", "error": document.reason},
    }


def _masked_entry(document: SourceDocument, result: MaskedDocument) -> dict[str, Any]:
    return {
        "path": str(document.path),
        "doc_id": result.doc_id,
        "masked_text": result.masked_text,
        "report": result.report.to_dict(),
    }


def _print_human(entry: dict[str, Any]) -> None:
    report = entry["report"]
    click.echo(f"== {entry['path']} ({entry['doc_id']}) ==")
    if report["status"] != "masked":
        reason = report.get("error") or report.get("quarantine_reason")
        click.echo(f"[{report['status']}: {reason}]\n")
        return
    click.echo(entry["masked_text"].rstrip("\n"))
    counts = ", ".join(f"{t}={n}" for t, n in report["entity_counts"].items()) or "none"
    misses = len(report["redaction_misses"])
    click.echo(f"-- entities: {counts}; propagated: {report['propagated']}; redaction misses: {misses}\n")


@cli.command("init")
@DATA_DIR
def init_command(data_dir: str) -> None:
    """Make a data directory ragmask's: created, or an existing one made private (0700) and marked. Other
    commands create a directory that does not exist, but never change one they did not make."""
    from indexers.files import private_directory

    with one_line_errors():
        folder = private_directory(StoreSettings(data_dir=data_dir).data_path, take_over=True)
    click.echo(f"ragmask: {folder} is a private ragmask data directory")


@cli.command("mask")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@POLICY
@SPACY_MODEL
@KEY_FILE
@DATA_DIR
@JSON
def mask_command(
    paths: Sequence[Path],
    policy: str,
    spacy_model: str,
    key_file: str,
    data_dir: str,
    as_json: bool,
) -> None:
    """Preview masking of files and directories. Nothing is stored."""
    try:
        data_path = StoreSettings(data_dir=data_dir).data_path
        keys = load_keys(key_file=optional_path(key_file), data_dir=data_path, create_missing=True)
        # Presidio and spaCy: imported by the commands that mask
        from masking import Masker, TextDocument

        masker = Masker(keys, load_policy(policy), detector_config=DetectorConfig(model=spacy_model))
        entries: list[dict[str, Any]] = []
        for batch in _batches(iter_source_files(paths), keys.source_key):
            readable = [d for d in batch if isinstance(d, SourceDocument)]
            masked = iter(masker.mask_many([TextDocument(d.doc_id, d.text) for d in readable]))
            for document in batch:
                entry = (
                    _masked_entry(document, next(masked))
                    if isinstance(document, SourceDocument)
                    else _failed_entry(document)
                )
                entries.append(entry)
                if not as_json:
                    _print_human(entry)
            click.echo(f"ragmask: {len(entries)} documents processed", err=True)
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"documents": entries}, ensure_ascii=False))
    failed = sum(e["report"]["status"] != "masked" for e in entries)
    if failed:
        raise IncompleteRunError(f"{failed} of {len(entries)} documents could not be masked")
