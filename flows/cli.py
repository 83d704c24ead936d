"""The ragmask command line. Errors are one line on stderr; --json prints exactly one object on stdout.

Exit codes: 0 ok, 1 failure, 2 usage error. Every option can also come from a RAGMASK_* variable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import click

from flows.logging_setup import configure_logging
from indexers.sources import SourceError, SourceFile, doc_id_for, iter_source_files, read_text
from masking import MaskedDocument, Masker, MaskingError, TextDocument, load_keys, load_policy
from masking.detector import DetectorConfig
from masking.nlp import DEFAULT_SPACY_MODEL

BATCH_DOCUMENTS = 32


class CliError(click.ClickException):
    """A failure reported as one line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"ragmask: error: {self.message}", err=True)


Row = tuple[SourceFile, str, str | None, str | None]


def _documents_in_batches(sources: Iterator[SourceFile], source_key: bytes) -> Iterator[list[Row]]:
    """(source, doc_id, text or None, error or None) in batches; an unreadable file carries its error."""
    while batch := list(islice(sources, BATCH_DOCUMENTS)):
        rows: list[Row] = []
        for source in batch:
            doc_id = doc_id_for(source_key, source.uri)
            try:
                rows.append((source, doc_id, read_text(source), None))
            except SourceError as error:
                click.echo(f"ragmask: skipped: {error}", err=True)
                rows.append((source, doc_id, None, str(error)))
        yield rows


def _failed_entry(source: SourceFile, doc_id: str, error: str) -> dict[str, Any]:
    return {"path": str(source.path), "doc_id": doc_id, "masked_text": None,
            "report": {"doc_id": doc_id, "status": "failed", "error": error}}  # fmt: skip


def _masked_entry(source: SourceFile, result: MaskedDocument) -> dict[str, Any]:
    return {"path": str(source.path), "doc_id": result.doc_id, "masked_text": result.masked_text,
            "report": result.report.to_dict()}  # fmt: skip


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragmask")
def cli() -> None:
    """ragmask: mask PII before it reaches a RAG vector store."""


@cli.command("mask")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--policy",
    envvar="RAGMASK_POLICY",
    default=None,
    help="Preset (default, strict, hipaa) or YAML/TOML policy file.",
)
@click.option(
    "--spacy-model",
    envvar="RAGMASK_SPACY_MODEL",
    default=DEFAULT_SPACY_MODEL,
    show_default=True,
    help="Installed spaCy model name or path.",
)
@click.option(
    "--key-file",
    envvar="RAGMASK_KEY_FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="Masking key file (outside the data directory).",
)
@click.option(
    "--data-dir",
    envvar="RAGMASK_DATA_DIR",
    type=click.Path(path_type=Path),
    default=Path(".ragmask"),
    show_default=True,
    help="Data directory; the key file must not be inside it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def mask_command(
    paths: Sequence[Path],
    policy: str | None,
    spacy_model: str,
    key_file: Path | None,
    data_dir: Path,
    as_json: bool,
) -> None:
    """Preview masking of files and directories (.txt, .md). Nothing is stored."""
    try:
        keys = load_keys(key_file=key_file, data_dir=data_dir, create_missing=True)
        masker = Masker(keys, load_policy(policy), detector_config=DetectorConfig(model=spacy_model))
        sources = iter_source_files(paths)
        entries: list[dict[str, Any]] = []
        for batch in _documents_in_batches(sources, keys.source_key):
            readable = [(s, d, t) for s, d, t, _ in batch if t is not None]
            masked = iter(masker.mask_many([TextDocument(d, t) for _, d, t in readable]))
            for source, doc_id, text, error in batch:
                entry = (
                    _failed_entry(source, doc_id, error or "")
                    if text is None
                    else _masked_entry(source, next(masked))
                )
                entries.append(entry)
                if not as_json:
                    _print_human(entry)
            click.echo(f"ragmask: {len(entries)} documents processed", err=True)
    except (MaskingError, SourceError, OSError) as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"documents": entries}, ensure_ascii=False))
    if entries and all(e["report"]["status"] != "masked" for e in entries):
        raise CliError("no document could be masked")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, no traceback unless RAGMASK_DEBUG is set."""
    configure_logging()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ragmask", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # unexpected: one line, the type only (a message could quote text)
        if os.environ.get("RAGMASK_DEBUG"):
            raise
        click.echo(
            f"ragmask: error: unexpected {type(error).__name__}; set RAGMASK_DEBUG=1 for details", err=True
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
