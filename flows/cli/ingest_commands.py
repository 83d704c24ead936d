"""``ragmask ingest`` and ``ragmask reindex``: run here with a progress bar, or as a Prefect flow run when
PREFECT_API_URL is set."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from flows.cli.app import (
    JSON,
    CliError,
    IncompleteRunError,
    cli,
)
from flows.pipeline.batch_counts import DocumentProblem
from flows.settings import (
    IngestSettings,
    ReindexSettings,
)
from flows.settings.cli_options import settings_from, settings_options
from indexers.errors import SourceError
from masking import RagmaskError, load_keys


def _print_ingest(result: dict[str, Any]) -> None:
    entities = ", ".join(f"{t}={n}" for t, n in result["entities"].items()) or "none"
    click.echo(
        f"run {result['run_id']}: collection {result['collection']}: {result['documents_seen']} documents seen, "
        f"{result['documents_indexed']} indexed ({result['documents_added']} new, {result['documents_changed']} "
        f"changed), {result['documents_unchanged']} unchanged, "
        f"{result['documents_quarantined']} quarantined, {result['documents_failed']} failed, "
        f"{result['files_skipped']} files skipped; "
        f"{result['chunks_indexed']} chunks indexed, {result['points_total']} points in the collection\n"
        f"entities masked: {entities}"
    )


def as_flow_run(paths: Sequence[Path], settings: IngestSettings) -> dict[str, Any]:
    """With PREFECT_API_URL set, a real flow run of ingest or reindex, visible in the UI with its artifacts,
    given the whole settings object. The paths go to the flow as a sealed source reference: Prefect stores
    parameters verbatim, and names can be personal."""
    from prefect import tags

    from indexers.lineage import LineageStore
    from indexers.source_refs import SourceRefs

    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
    # refuses a password or an API key before anything is written
    sent, here = settings.for_flow_run(), settings.resolved()
    keys = load_keys(key_file=here.key_path, data_dir=here.stores.data_path, create_missing=True)
    lineage = LineageStore(here.stores.lineage)
    try:
        source_ref = SourceRefs(lineage, keys).register(paths)
    finally:
        lineage.close()
    # the UI filters runs by these
    with tags("ragmask", _operation(settings)):
        if isinstance(sent, ReindexSettings):
            from flows.prefect.reindex import reindex_registered_flow

            return dict(reindex_registered_flow(source_ref=source_ref, settings=sent))
        from flows.prefect.ingest import ingest_registered_flow

        return dict(ingest_registered_flow(source_ref=source_ref, settings=sent))


def _operation(settings: IngestSettings) -> str:
    return "reindex" if isinstance(settings, ReindexSettings) else "ingest"


def run_directly(paths: Sequence[Path], settings: IngestSettings) -> dict[str, Any]:
    """The pipeline in this process, with a progress bar on stderr."""
    from flows.operations.ingest import run_ingest
    from flows.operations.reindex import (
        # imports the masker only when a run has something to mask
        run_reindex,
    )

    with click.progressbar(
        length=1, label=f"ragmask: {_operation(settings)}", file=sys.stderr, show_pos=True
    ) as bar:

        def progress(done: int, total: int, _counts: Any) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        if isinstance(settings, ReindexSettings):
            result = run_reindex(
                paths,
                settings,
                progress=progress,
                full=settings.full,
                keep_previous=timedelta(hours=settings.keep_previous_hours),
            ).to_dict()
        else:
            result = run_ingest(paths, settings, progress=progress).to_dict()
    return result | {"settings": settings.effective()}


def _ingest_like(paths: Sequence[Path], settings: IngestSettings) -> dict[str, Any]:
    try:
        result = (
            as_flow_run(paths, settings)
            if os.environ.get("PREFECT_API_URL")
            else run_directly(paths, settings)
        )
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None
    # by masked source path, never the file's own name
    for problem in result["problems"]:
        click.echo(f"ragmask: {DocumentProblem(**problem).line()}", err=True)
    return result


PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))


@cli.command("ingest")
@PATHS
@settings_options(IngestSettings)
@JSON
def ingest_command(paths: Sequence[Path], as_json: bool, **options: Any) -> None:
    """Mask, chunk, embed and index files and directories (txt, md, html, pdf, docx, json, jsonl, csv, tsv,
    xlsx)."""
    result = _ingest_like(paths, settings_from(IngestSettings, options))
    if as_json:
        click.echo(json.dumps(result))
    else:
        _print_ingest(result)
    _exit_if_incomplete(result)


@cli.command("reindex")
@PATHS
@settings_options(ReindexSettings)
@JSON
def reindex_command(paths: Sequence[Path], as_json: bool, **options: Any) -> None:
    """Bring the collection in line with these paths: add new documents, replace changed ones, erase
    (with receipts) the ones that vanished from them."""
    result = _ingest_like(paths, settings_from(ReindexSettings, options))
    if as_json:
        click.echo(json.dumps(result))
    else:
        _print_ingest(result)
        click.echo(
            f"{result['documents_removed']} documents removed (receipts: "
            f"{', '.join(result['receipts']) or 'none'})"
        )
        if result["full"]:
            click.echo(
                f"full re-index: {result['collection']} now serves {result['swapped_in']}; previous kept: "
                f"{result['previous_kept'] or 'none'}"
            )
    _exit_if_incomplete(result)


def _exit_if_incomplete(result: dict[str, Any]) -> None:
    failed, quarantined = result["documents_failed"], result["documents_quarantined"]
    unreadable = result.get("files_unreadable", 0)
    if failed or quarantined or unreadable:
        also = f"; {unreadable} files could not be read" if unreadable else ""
        raise IncompleteRunError(
            f"done, but {failed} documents failed and {quarantined} were quarantined{also}"
        )
