"""The ragmask command line. Errors are one line on stderr; --json prints exactly one object on stdout.

Exit codes: 0 ok, 1 the command failed, 2 usage error, 3 done but some documents failed or were
quarantined (each named on its own line). Every option can also come from a RAGMASK_* variable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from flows.pipeline.batching import batched
from flows.runtime.logging_setup import configure_logging
from flows.runtime.process import harden_process
from flows.settings.parameters import (
    AuditParameters,
    CompactParameters,
    EraseParameters,
    ExpireParameters,
    IngestParameters,
    ReindexParameters,
    ScrubParameters,
    StoreParameters,
    absolute_path,
    policy_fields,
)
from flows.settings.run_settings import (
    DEFAULT_COLLECTION,
    DEFAULT_DATA_DIR,
    TASK_RUNNERS,
    IngestSettings,
    StoreSettings,
)
from indexers.embedding import DEFAULT_EMBEDDING_MODEL, EMBEDDING_BACKENDS, EMBEDDING_VIEWS
from indexers.embedding_precision import EMBEDDING_PRECISIONS
from indexers.errors import SourceError
from indexers.payload_formats import CHOICES, WRITABLE, FormatChoice, WritableFormat
from indexers.quarantine import DEFAULT_MAX_QUARANTINED, QuarantineLimit, QuarantineLimitError
from indexers.sources import (
    SkippedDocument,
    SkippedFile,
    SourceDocument,
    SourceFile,
    iter_source_files,
    read_documents,
)
from masking import RagmaskError, load_keys, load_policy
from masking.detector_config import DEFAULT_SPACY_MODEL, DetectorConfig

if TYPE_CHECKING:
    from masking import MaskedDocument

BATCH_DOCUMENTS = 32


class CliError(click.ClickException):
    """A failure reported as one line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"ragmask: error: {self.message}", err=True)


class IncompleteRunError(CliError):
    """The command did its work, but some documents failed or were quarantined: exit code 3."""

    exit_code = 3

    def show(self, file: Any = None) -> None:
        click.echo(f"ragmask: {self.message}", err=True)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragmask")
def cli() -> None:
    """ragmask: mask PII before it reaches a RAG vector store."""


def _option(*names: str, envvar: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(*names, envvar=envvar, show_envvar=True, **kwargs)


POLICY = _option(
    "--policy",
    envvar="RAGMASK_POLICY",
    default=None,
    help="Preset (default, strict, hipaa) or YAML/TOML policy file.",
)
SPACY_MODEL = _option(
    "--spacy-model",
    envvar="RAGMASK_SPACY_MODEL",
    default=DEFAULT_SPACY_MODEL,
    show_default=True,
    help="Installed spaCy model name or path.",
)
KEY_FILE = _option(
    "--key-file",
    envvar="RAGMASK_KEY_FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="Masking key file (outside the data directory).",
)
VAULT_KEY_FILE = _option(
    "--vault-key-file",
    envvar="RAGMASK_VAULT_KEY_FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="Vault master key file (outside the data directory).",
)
DATA_DIR = _option(
    "--data-dir",
    envvar="RAGMASK_DATA_DIR",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Data directory.",
)
WORKERS = _option(
    "--workers",
    envvar="RAGMASK_WORKERS",
    type=click.IntRange(0, 256),
    default=0,
    help="Processes that mask, this one included: a batch of 50,000+ characters is split between "
    "them. 0 (default): the cores this process may use; 1: mask here. Ingest and reindex with "
    "--task-runner dask and no --dask-address: the local cluster's workers.",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")


def _quarantine_limit(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    try:
        return QuarantineLimit(value).text
    except QuarantineLimitError as error:
        raise click.BadParameter(str(error)) from None


MAX_QUARANTINED = _option(
    "--max-quarantined",
    envvar="RAGMASK_MAX_QUARANTINED",
    default=DEFAULT_MAX_QUARANTINED,
    show_default=True,
    callback=_quarantine_limit,
    help=str(ScrubParameters.model_fields["max_quarantined"].description),
)
STORE_OPTIONS = [
    _option(
        "--collection",
        envvar="RAGMASK_COLLECTION",
        default=DEFAULT_COLLECTION,
        show_default=True,
        help="Qdrant collection.",
    ),
    _option(
        "--qdrant-url",
        envvar="RAGMASK_QDRANT_URL",
        default=None,
        help="Qdrant server URL (default: local mode).",
    ),
    _option("--qdrant-api-key", envvar="RAGMASK_QDRANT_API_KEY", default=None, help="Qdrant server API key."),
    _option(
        "--qdrant-path",
        envvar="RAGMASK_QDRANT_PATH",
        type=click.Path(path_type=Path),
        default=None,
        help="Local-mode folder (default: <data-dir>/qdrant).",
    ),
    _option(
        "--lineage-url",
        envvar="RAGMASK_LINEAGE_URL",
        default=None,
        help="SQLAlchemy URL of the lineage store (default: SQLite in <data-dir>).",
    ),
    _option(
        "--embedding-model",
        envvar="RAGMASK_EMBEDDING_MODEL",
        default=DEFAULT_EMBEDDING_MODEL,
        show_default=True,
        help="sentence-transformers model name or path.",
    ),
]


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The store options every command that touches the stores takes (the same as ingest's)."""
    for option in reversed([DATA_DIR, *STORE_OPTIONS]):
        command = option(command)
    return command


def _stores(options: dict[str, Any]) -> StoreSettings:
    return StoreSettings(
        data_dir=options["data_dir"],
        collection=options["collection"],
        qdrant_url=options["qdrant_url"],
        qdrant_api_key=options["qdrant_api_key"],
        qdrant_path=options["qdrant_path"],
        lineage_url=options["lineage_url"],
    )


@cli.command("init")
@DATA_DIR
def init_command(data_dir: Path) -> None:
    """Make a data directory ragmask's: created, or an existing one made private (0700) and marked. Other
    commands create a directory that does not exist, but never change one they did not make."""
    from indexers.files import private_directory

    with _one_line_errors():
        folder = private_directory(data_dir, take_over=True)
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
    policy: str | None,
    spacy_model: str,
    key_file: Path | None,
    data_dir: Path,
    as_json: bool,
) -> None:
    """Preview masking of files and directories. Nothing is stored."""
    try:
        keys = load_keys(key_file=key_file, data_dir=data_dir, create_missing=True)
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


def as_flow_run(
    paths: Sequence[Path], parameters: IngestParameters, api_key: str | None = None
) -> dict[str, Any]:
    """With PREFECT_API_URL set, a real flow run of ``operation`` (ingest or reindex), visible in the UI with
    its artifacts, given the whole settings object. The paths go to the flow as a sealed source reference:
    Prefect stores parameters verbatim, and names can be personal."""
    from prefect import tags

    from indexers.lineage import LineageStore
    from indexers.source_refs import SourceRefs

    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
    # refuses a password or an API key before anything is written
    parameters = parameters.for_flow_run(api_key)
    settings = parameters.settings(api_key)
    keys = load_keys(key_file=settings.key_file, data_dir=settings.stores.data_dir, create_missing=True)
    lineage = LineageStore(settings.stores.lineage)
    try:
        source_ref = SourceRefs(lineage, keys).register(paths)
    finally:
        lineage.close()
    # the UI filters runs by these
    with tags("ragmask", _operation(parameters)):
        if isinstance(parameters, ReindexParameters):
            from flows.prefect.reindex import reindex_flow

            return dict(reindex_flow(source_ref=source_ref, settings=parameters))
        from flows.prefect.ingest import ingest_flow

        return dict(ingest_flow(source_ref=source_ref, settings=parameters))


def _operation(parameters: IngestParameters) -> str:
    return "reindex" if isinstance(parameters, ReindexParameters) else "ingest"


def run_directly(
    paths: Sequence[Path], parameters: IngestParameters, api_key: str | None = None
) -> dict[str, Any]:
    """The pipeline in this process, with a progress bar and one line per skipped file on stderr."""
    from flows.operations.ingest import run_ingest
    from flows.operations.reindex import (
        # imports the masker only when a run has something to mask
        run_reindex,
    )

    def on_error(_doc_id: str, uri: str, reason: str) -> None:
        click.echo(f"\nragmask: {uri}: {reason}", err=True)

    settings = parameters.settings(api_key)
    with click.progressbar(
        length=1, label=f"ragmask: {_operation(parameters)}", file=sys.stderr, show_pos=True
    ) as bar:

        def progress(done: int, total: int, _counts: Any) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        if isinstance(parameters, ReindexParameters):
            result = run_reindex(
                paths,
                settings,
                on_error=on_error,
                progress=progress,
                full=parameters.full,
                keep_previous=timedelta(hours=parameters.keep_previous_hours),
            ).to_dict()
        else:
            result = run_ingest(paths, settings, on_error=on_error, progress=progress).to_dict()
    return result | {"settings": parameters.effective()}


def _form_help(field: str) -> str:
    """An option's help: the Prefect form's description of the same setting, written once."""
    return str(IngestParameters.model_fields[field].description)


def ingest_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ingest and reindex: what to read, where to write, how to mask and lay out."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path)),
        store_options,
        POLICY,
        SPACY_MODEL,
        KEY_FILE,
        _option(
            "--batch-documents",
            envvar="RAGMASK_BATCH_DOCUMENTS",
            type=click.IntRange(1),
            default=32,
            show_default=True,
            help="Documents per batch (files per Prefect task run; a file's records this many at a time).",
        ),
        _option(
            "--embedding-view",
            envvar="RAGMASK_EMBEDDING_VIEW",
            type=click.Choice(["auto", *EMBEDDING_VIEWS]),
            default="auto",
            show_default=True,
            help="What the embedding model sees of a chunk: 'types' (each token as its type in words: half the "
            "word pieces) or 'tokens' (the chunk as stored); auto: the collection's own, 'types' for a new one.",
        ),
        _option(
            "--embedding-precision",
            envvar="RAGMASK_EMBEDDING_PRECISION",
            type=click.Choice(["auto", *EMBEDDING_PRECISIONS]),
            default="auto",
            show_default=True,
            help=_form_help("embedding_precision"),
        ),
        _option(
            "--embedding-backend",
            envvar="RAGMASK_EMBEDDING_BACKEND",
            type=click.Choice(EMBEDDING_BACKENDS),
            default="auto",
            show_default=True,
            help=_form_help("embedding_backend"),
        ),
        WORKERS,
        _option(
            "--task-runner",
            envvar="RAGMASK_TASK_RUNNER",
            type=click.Choice(TASK_RUNNERS),
            default="threads",
            show_default=True,
            help="threads: batches prepared and written here; dask: read, masked and embedded "
            "on a Dask cluster (pip install 'ragmask[dask]'), written here.",
        ),
        _option(
            "--dask-address",
            envvar="RAGMASK_DASK_ADDRESS",
            help="With --task-runner dask: the scheduler of a running cluster (tcp://host:8786) whose workers "
            "see the sources at the same paths and hold the masking key; default: a local cluster for the run.",
        ),
        _option(
            "--vault",
            envvar="RAGMASK_VAULT",
            is_flag=True,
            help="Keep token -> value maps, envelope-encrypted, for `ragmask rehydrate`.",
        ),
        VAULT_KEY_FILE,
        _option(
            "--payload-format",
            envvar="RAGMASK_PAYLOAD_FORMAT",
            type=click.Choice(WRITABLE),
            default="langchain",
            show_default=True,
            help="Lay points out as this framework's Qdrant integration does, so its readers (a LangChain "
            "vector store, a LlamaIndex retriever, a Haystack document store) read the collection.",
        ),
        JSON,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def ingest_parameters(options: dict[str, Any]) -> IngestParameters:
    """Ingest's and reindex's options as the one settings object both paths run with."""
    return IngestParameters.from_settings(
        IngestSettings(
            stores=_stores(options),
            policy=options["policy"],
            spacy_model=options["spacy_model"],
            embedding_model=options["embedding_model"],
            key_file=options["key_file"],
            batch_documents=options["batch_documents"],
            workers=options["workers"],
            task_runner=options["task_runner"],
            dask_address=options["dask_address"],
            embedding_view=options["embedding_view"],
            embedding_precision=options["embedding_precision"],
            embedding_backend=options["embedding_backend"],
            vault=options["vault"],
            vault_key_file=options["vault_key_file"],
            payload_format=cast(WritableFormat, options["payload_format"]),
        )
    )


def _ingest_like(
    paths: Sequence[Path], options: dict[str, Any], parameters: IngestParameters
) -> dict[str, Any]:
    try:
        if os.environ.get("PREFECT_API_URL"):
            return as_flow_run(paths, parameters, options["qdrant_api_key"])
        return run_directly(paths, parameters, options["qdrant_api_key"])
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None


@cli.command("ingest")
@ingest_options
def ingest_command(paths: Sequence[Path], as_json: bool, **options: Any) -> None:
    """Mask, chunk, embed and index files and directories (txt, md, html, pdf, docx, json, jsonl)."""
    result = _ingest_like(paths, options, ingest_parameters(options))
    if as_json:
        click.echo(json.dumps(result))
    else:
        _print_ingest(result)
    _exit_if_incomplete(result)


@cli.command("reindex")
@ingest_options
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild into a fresh collection, swapped in once it audits clean "
    "(needed after a change of policy, model or key); the paths are then the whole source.",
)
@_option(
    "--keep-previous-hours",
    envvar="RAGMASK_KEEP_PREVIOUS_HOURS",
    type=click.FloatRange(min=0),
    default=24,
    show_default=True,
    help="--full: keep the replaced collection this long for a rollback (0: drop it).",
)
@MAX_QUARANTINED
def reindex_command(
    paths: Sequence[Path],
    as_json: bool,
    full: bool,
    keep_previous_hours: float,
    max_quarantined: str,
    **options: Any,
) -> None:
    """Bring the collection in line with these paths: add new documents, replace changed ones, erase
    (with receipts) the ones that vanished from them."""
    ingest = ingest_parameters(options)
    with _one_line_errors():
        parameters = ReindexParameters(
            **dict(ingest),
            full=full,
            keep_previous_hours=keep_previous_hours,
            max_quarantined=max_quarantined,
        )
    result = _ingest_like(paths, options, parameters)
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
        for document in result["quarantined"]:
            click.echo(f"quarantined: {document['doc_id']} {document['source']}: {document['reason']}")
    _exit_if_incomplete(result)


def _exit_if_incomplete(result: dict[str, Any]) -> None:
    failed, quarantined = result["documents_failed"], result["documents_quarantined"]
    unreadable = result.get("files_unreadable", 0)
    if failed or quarantined or unreadable:
        also = f"; {unreadable} files could not be read" if unreadable else ""
        raise IncompleteRunError(
            f"done, but {failed} documents failed and {quarantined} were quarantined{also}"
        )


@cli.command("search")
@click.argument("query")
@store_options
@click.option("-k", "limit", type=click.IntRange(1, 1000), default=5, show_default=True, help="Results.")
@JSON
def search_command(query: str, limit: int, as_json: bool, **store: Any) -> None:
    """Search the masked collection (what a RAG app retrieves)."""
    from flows.operations.search import run_search

    try:
        results = run_search(query, _stores(store), store["embedding_model"], limit)
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"results": results}, ensure_ascii=False))
        return
    for hit in results:
        click.echo(f"[{hit['score']:.3f}] {hit['doc_id']} #{hit['chunk_index']}\n{hit['page_content']}\n")
    if not results:
        click.echo("no results")


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Our errors (and the file system's) as one line, exit code 1."""
    try:
        yield
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None


def _erase_settings(store: dict[str, Any], key_file: Path | None = None) -> IngestSettings:
    return IngestSettings(stores=_stores(store), embedding_model=store["embedding_model"], key_file=key_file)


def _show_receipt(receipt: dict[str, Any], as_json: bool) -> None:
    """The receipt as ``--json`` (exactly the stored object) or as a summary with its residual copies."""
    if as_json:
        click.echo(json.dumps(receipt))
        return
    matched, request = receipt["matched"], receipt["request"]
    click.echo(
        f"receipt {receipt['receipt_id']} ({request['kind']}, {request['mode']}): {matched['documents']} documents, "
        f"{matched['chunks']} chunks, {matched['points']} points; verified: {receipt['verified']}; "
        f"purge level: {receipt['purge_level']}"
    )
    for residual in receipt["residual"]:
        click.echo(f"  still holds old bytes: {residual}")


@cli.command("erase")
@click.option("--email", "emails", multiple=True, help="E-mail address of the subject (repeatable).")
@click.option("--phone", "phones", multiple=True, help="Phone number of the subject (repeatable).")
@click.option("--name", "names", multiple=True, help="Name of the subject (repeatable).")
@click.option("--id", "ids", multiple=True, metavar="TYPE=VALUE", help="Other identifier, e.g. US_SSN=...")
@click.option("--document", "documents", multiple=True, metavar="DOC_ID|PATH", help="A document to erase.")
@click.option(
    "--mode",
    type=click.Choice(["redact", "delete"]),
    default="redact",
    show_default=True,
    help="Subject: rewrite the chunks with <TYPE> (redact) or delete them.",
)
@click.option("--purge", is_flag=True, help="Also purge the bytes (local: vacuum the files).")
@store_options
@KEY_FILE
@JSON
def erase_command(
    emails: Sequence[str],
    phones: Sequence[str],
    names: Sequence[str],
    ids: Sequence[str],
    documents: Sequence[str],
    mode: str,
    purge: bool,
    key_file: Path | None,
    as_json: bool,
    **store: Any,
) -> None:
    """Erase a subject or a document from the collection and the lineage, verified, with a receipt."""
    from flows.operations.erase import register_request, run_erase
    from indexers.erasure import AlreadyErasedError
    from indexers.erasure_requests import parse_identifier

    if not (emails or phones or names or ids or documents):
        raise click.UsageError("name a subject (--email, --phone, --name, --id) or a --document")
    settings = _erase_settings(store, key_file)
    with _one_line_errors():
        identifiers = [("email", v) for v in emails] + [("phone", v) for v in phones]
        identifiers += [("name", v) for v in names] + [parse_identifier(v) for v in ids]
        keys = load_keys(key_file=key_file, data_dir=settings.stores.data_dir)
        try:
            request_id = register_request(
                settings.stores, keys, identifiers=identifiers, documents=documents, mode=mode, purge=purge
            )
        except AlreadyErasedError as done:
            # running the same erasure again is not a failure
            click.echo(f"ragmask: {done}", err=True)
            if as_json:
                click.echo(json.dumps({"already_erased_by": done.request_id}))
            return
        parameters, api_key = EraseParameters.from_settings(settings), store["qdrant_api_key"]
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.erase import erase_flow

            receipt = erase_flow(request_id, settings=parameters.for_flow_run(api_key))
        else:
            receipt = run_erase(parameters.settings(api_key), request_id)
    _show_receipt(receipt, as_json)
    if not receipt["verified"]:
        raise CliError(f"erasure {receipt['receipt_id']} did not verify: erased data is still reachable")


@cli.group("receipts")
def receipts_group() -> None:
    """The deletion receipts' hash chain."""


@receipts_group.command("verify")
@store_options
@JSON
def receipts_verify_command(as_json: bool, **store: Any) -> None:
    """Check every receipt's link, hash and signature, and the chain against its newest exported head
    (RAGMASK_RECEIPT_KEY or its key file, and RAGMASK_RECEIPT_LOG); fails saying what does not check."""
    from flows.operations.erase import verify_receipts

    with _one_line_errors():
        check = verify_receipts(_stores(store))
    if as_json:
        click.echo(json.dumps(check.to_dict()))
    elif check.valid:
        click.echo(f"{check.receipts} receipts, chain valid, {check.anchored} anchored by the exported head")
    if not check.valid:
        raise CliError(f"receipt chain invalid ({check.receipts} receipts): {check.reason}")


@cli.command("compact")
@store_options
@JSON
def compact_command(as_json: bool, **store: Any) -> None:
    """Purge the bytes of every erasure since the last purge, with a receipt."""
    parameters, api_key = CompactParameters.from_settings(_erase_settings(store)), store["qdrant_api_key"]
    with _one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.compact import compact_flow

            receipt = compact_flow(settings=parameters.for_flow_run(api_key))
        else:
            from flows.operations.compact import run_compact

            receipt = run_compact(parameters.settings(api_key))
    _show_receipt(receipt, as_json)


@cli.group("audit", invoke_without_command=True)
@store_options
@click.option(
    "--format",
    "payload_format",
    type=click.Choice(CHOICES),
    default="auto",
    show_default=True,
    help="The collection's payload format (its type names and ids are not read as content).",
)
@POLICY
@SPACY_MODEL
@WORKERS
@JSON
@click.pass_context
def audit_command(
    context: click.Context,
    /,
    payload_format: str,
    policy: str | None,
    spacy_model: str,
    workers: int,
    as_json: bool,
    **store: Any,
) -> None:
    """Scan every payload of a collection for unmasked personal data; exit 1 if anything is suspected.
    Each finding is listed (--json) by point id, payload path, type and a keyed fingerprint; `ragmask audit
    accept FINGERPRINT... --reason TEXT` records reviewed false positives, which later audits pass over."""
    if context.invoked_subcommand is not None:
        return
    api_key = store["qdrant_api_key"]
    with _one_line_errors():
        parameters = AuditParameters(
            stores=StoreParameters.of(_stores(store)),
            **policy_fields(policy),
            payload_format=cast(FormatChoice, payload_format),
            spacy_model=spacy_model,
            workers=workers,
            fail_on_findings=False,
        )
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.audit import audit_flow

            report: dict[str, Any] = audit_flow(settings=parameters.for_flow_run(api_key))
        else:
            from flows.operations.audit import run_audit

            def progress(points: int) -> None:
                click.echo(f"ragmask: {points} points scanned", err=True)

            report = run_audit(
                parameters.stores.settings(api_key),
                payload_format=parameters.payload_format,
                policy=parameters.policy_spec,
                spacy_model=parameters.spacy_model,
                progress=progress,
                workers=parameters.workers,
            ).to_dict() | {"settings": parameters.effective()}
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(
            f"collection {report['collection']}: {report['points_scanned']} points scanned, "
            f"{report['suspected']} suspected values in {len(report['point_ids'])} points, "
            f"{report.get('accepted_findings', 0)} accepted findings passed over"
        )
        for name, count in [*report["by_type"].items(), *report["by_path"].items()]:
            click.echo(f"  {name}: {count}")
    if report["suspected"]:
        raise CliError(f"audit of {report['collection']}: {report['suspected']} suspected unmasked values")


@audit_command.command("accept")
@store_options
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the finding is no personal data (kept with who and when).")
@JSON
def audit_accept_command(fingerprints: Sequence[str], reason: str, as_json: bool, **store: Any) -> None:
    """Record findings of `ragmask audit --json` (by fingerprint) as reviewed false positives of the
    collection: later audits, scrubs and full re-indexes pass over them and list them."""
    import getpass

    from indexers.lineage import LineageStore
    from indexers.reviewed_findings import accept_findings

    with _one_line_errors():
        stores = _stores(store)
        lineage = LineageStore.existing(stores.lineage_location)
        if lineage is None:
            raise CliError(
                f"no lineage store at {stores.data_dir}: accept findings where ragmask keeps the "
                "collection's lineage (--data-dir, --lineage-url)"
            )
        accepted_by = os.environ.get("RAGMASK_OPERATOR") or getpass.getuser()
        try:
            count = accept_findings(lineage, stores.collection, fingerprints, reason, accepted_by)
        finally:
            lineage.close()
    if as_json:
        click.echo(
            json.dumps({"collection": stores.collection, "accepted": count, "accepted_by": accepted_by})
        )
    else:
        click.echo(
            f"{count} findings of {stores.collection} accepted as reviewed false positives by {accepted_by}"
        )


@cli.command("scrub")
@click.option(
    "--source-collection", required=True, help="The collection that holds raw text (left as it is)."
)
@click.option(
    "--target-collection", required=True, help="The masked copy, written in the same payload format."
)
@click.option(
    "--format",
    "payload_format",
    type=click.Choice(CHOICES),
    default="auto",
    show_default=True,
    help="The source's payload format.",
)
@click.option("--text-field", default=None, help="raw format: the payload field with the chunk text.")
@click.option(
    "--doc-key", default=None, metavar="PATH", help="Payload path naming a point's document (dotted)."
)
@click.option("--alias", default=None, help="Point this alias at the target once it audits clean.")
@click.option("--delete-source", is_flag=True, help="Delete the source once the target audits clean.")
@click.option(
    "--dry-run", is_flag=True, help="Read and mask, write nothing; counts and a few masked samples."
)
@MAX_QUARANTINED
@store_options
@POLICY
@SPACY_MODEL
@KEY_FILE
@WORKERS
@JSON
def scrub_command(
    source_collection: str,
    target_collection: str,
    payload_format: str,
    text_field: str | None,
    doc_key: str | None,
    alias: str | None,
    delete_source: bool,
    dry_run: bool,
    max_quarantined: str,
    policy: str | None,
    spacy_model: str,
    key_file: Path | None,
    workers: int,
    as_json: bool,
    **store: Any,
) -> None:
    """Mask and re-embed an existing collection (LangChain, LlamaIndex, Haystack or raw payloads) into a new one."""
    from flows.operations.scrub import ScrubRequest, run_scrub

    api_key = store["qdrant_api_key"]

    def progress(done: int, total: int) -> None:
        click.echo(f"ragmask: scrub: {done}/{total} documents", err=True)

    with _one_line_errors():
        # the target's
        stores = StoreParameters.of(_stores(store)).model_copy(update={"collection": ""})
        parameters = ScrubParameters(
            source_collection=source_collection,
            target_collection=target_collection,
            payload_format=cast(FormatChoice, payload_format),
            text_field=text_field or "",
            doc_key=doc_key or "",
            alias=alias or "",
            delete_source=delete_source,
            dry_run=dry_run,
            stores=stores,
            **policy_fields(policy),
            spacy_model=spacy_model,
            embedding_model=store["embedding_model"],
            key_file=absolute_path(key_file),
            workers=workers,
            max_quarantined=max_quarantined,
        )
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.scrub import scrub_flow

            result = scrub_flow(settings=parameters.for_flow_run(api_key))
        else:
            result = run_scrub(parameters.settings(api_key), ScrubRequest.of(parameters), progress)
            result |= {"settings": parameters.effective()}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"scrub {result['run_id']}: {result['source']} -> {result['target']} ({result['format']}): "
            f"{result['points_read']} points read, {result['points_written']} written; {result['documents']} "
            f"documents, {result.get('documents_quarantined', 0)} quarantined"
        )
        for document in result.get("quarantined", []):
            click.echo(f"  quarantined: {document['doc_id']} {document['source']}: {document['reason']}")
        for sample in result.get("samples", []):
            click.echo(f"  sample: {sample[:200]}")
        if result["sparse_vectors_dropped"]:
            click.echo(
                f"  sparse vectors not copied (raw words): {', '.join(result['sparse_vectors_dropped'])}; "
                "refill them from the masked text with your app's sparse encoder"
            )
    if result.get("dry_run"):
        return
    quarantined = result["documents_quarantined"]
    if not result["live"]:
        raise CliError(
            f"the target audits with {result['audit']['suspected']} suspected values; {quarantined} of "
            f"{result['documents']} documents would be quarantined (more than --max-quarantined "
            f"{result['max_quarantined']}): not swapped, source kept"
        )
    if quarantined:
        kept = (
            f"; their {result['source_points_kept']} source points kept"
            if result["source_points_kept"]
            else ""
        )
        raise IncompleteRunError(
            f"done, but {quarantined} documents were quarantined (left out of the target, "
            f"listed by --json){kept}"
        )


@cli.command("expire")
@store_options
@_option(
    "--retention-days",
    envvar="RAGMASK_RETENTION_DAYS",
    type=click.FloatRange(min=0, min_open=True),
    required=True,
    help="Erase documents indexed longer ago than this (with receipts).",
)
@_option(
    "--access-log-retention-days",
    envvar="RAGMASK_ACCESS_LOG_RETENTION_DAYS",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Also delete vault access-log rows older than this (kept forever if not set).",
)
@KEY_FILE
@click.option("--dry-run", is_flag=True, help="Count what would expire; erase nothing.")
@JSON
def expire_command(
    retention_days: float,
    access_log_retention_days: float | None,
    key_file: Path | None,
    dry_run: bool,
    as_json: bool,
    **store: Any,
) -> None:
    """Enforce retention: erase documents past it through the erasure path, and age out ragmask's records."""
    api_key = store["qdrant_api_key"]
    with _one_line_errors():
        erase = EraseParameters.from_settings(_erase_settings(store, key_file))
        parameters = ExpireParameters(
            **dict(erase),
            retention_days=retention_days,
            access_log_retention_days=access_log_retention_days or 0,
            dry_run=dry_run,
        )
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.expire import expire_flow

            result: dict[str, Any] = expire_flow(settings=parameters.for_flow_run(api_key))
        else:
            from flows.operations.expire import run_expire

            result = run_expire(
                parameters.settings(api_key), *parameters.retention(), dry_run=dry_run
            ).to_dict()
            result |= {"settings": parameters.effective()}
    if as_json:
        click.echo(json.dumps(result))
    else:
        verb = "would expire" if dry_run else "expired"
        click.echo(
            f"collection {result['collection']}: {result['documents_expired']} documents {verb} (indexed "
            f"before {result['cutoff']}); receipts: {', '.join(result['receipts']) or 'none'}; "
            f"{result['run_rows_deleted']} run records and {result['access_log_rows_deleted']} access-log "
            "rows aged out"
        )


@cli.command("report")
@click.option(
    "--document", required=True, metavar="DOC_ID|PATH", help="The document: its doc id or source path."
)
@store_options
@KEY_FILE
@JSON
def report_command(document: str, key_file: Path | None, as_json: bool, **store: Any) -> None:
    """The masking receipt of a document's indexed version: when, which entity types and how many, the
    actions, score ranges, policy and model versions, key id. Never a value."""
    from flows.operations.report import run_report

    stores = _stores(store)
    with _one_line_errors():
        report = run_report(stores, load_keys(key_file=key_file, data_dir=stores.data_dir), document)
    if as_json:
        click.echo(json.dumps(report))
        return
    details = report["report"]
    click.echo(
        f"{report['doc_id']} version {report['version']} ({report['status']}), committed "
        f"{report['committed_at'] or '-'} by run {report['run_id']}: {report['chunks']} chunks"
    )
    click.echo(f"policy {details['policy']}; detector {details['detector']}; key {details['key_id']}")
    for entity_type, count in sorted((details["entity_counts"] or {}).items()):
        score = (details["scores"] or {}).get(entity_type) or {}
        click.echo(
            f"  {entity_type}: {count} ({(details['actions'] or {}).get(entity_type)}, score "
            f"{score.get('min')}-{score.get('max')})"
        )


@cli.command("rehydrate")
@click.option("--document", required=True, metavar="DOC_ID|PATH", help="The document the text comes from.")
@click.option("--reason", required=True, help="Why (written to the access log).")
@_option(
    "--actor", envvar="RAGMASK_ACTOR", default=None, help="Who, for the access log (default: the login name)."
)
@store_options
@KEY_FILE
@VAULT_KEY_FILE
def rehydrate_command(
    document: str,
    reason: str,
    actor: str | None,
    key_file: Path | None,
    vault_key_file: Path | None,
    **store: Any,
) -> None:
    """Put a document's vaulted values back into masked text (stdin -> stdout); every call is logged."""
    from flows.operations.rehydrate import run_rehydrate

    if not reason.strip():
        raise click.UsageError("--reason must say why (it goes into the access log)")
    text = sys.stdin.read()
    with _one_line_errors():
        result = run_rehydrate(
            _stores(store),
            document,
            text,
            reason=reason,
            actor=actor,
            key_file=key_file,
            vault_key_file=vault_key_file,
        )
    click.echo(result.text, nl=False)
    click.echo(f"ragmask: {result.tokens} tokens of {result.doc_id} rehydrated; access logged", err=True)


CRON_HELP = "Cron expression (in --timezone), e.g. '0 2 * * *'."


@cli.command("serve")
@click.option(
    "--source",
    "sources",
    multiple=True,
    envvar="RAGMASK_SOURCES",
    show_envvar=True,
    help="A source directory, as this machine sees it (repeatable): the default paths of the ingest "
    "and reindex forms, and what the scheduled re-index reads.",
)
@store_options
@_option(
    "--reindex-cron", envvar="RAGMASK_REINDEX_CRON", default=None, help=f"Re-index schedule. {CRON_HELP}"
)
@_option("--expire-cron", envvar="RAGMASK_EXPIRE_CRON", default=None, help=f"Retention schedule. {CRON_HELP}")
@_option(
    "--retention-days",
    envvar="RAGMASK_RETENTION_DAYS",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="The expire form's default retention (needed with --expire-cron).",
)
@_option("--audit-cron", envvar="RAGMASK_AUDIT_CRON", default=None, help=f"Audit schedule. {CRON_HELP}")
@_option(
    "--compact-cron", envvar="RAGMASK_COMPACT_CRON", default=None, help=f"Compaction schedule. {CRON_HELP}"
)
@_option("--timezone", envvar="RAGMASK_TIMEZONE", default="UTC", show_default=True, help="Of the schedules.")
@_option(
    "--limit",
    envvar="RAGMASK_SERVE_LIMIT",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Flow runs at a time (each loads the models).",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Overwrite schedules, pause state and default parameters that were "
    "edited in the UI (by default a restart leaves them as they are).",
)
@click.option(
    "--allow-form-stores",
    is_flag=True,
    help="Let a form set the data directory, the Qdrant folder or "
    "URL and the lineage URL (by default a run uses the stores serve was started with).",
)
def serve_command(
    sources: Sequence[str],
    reindex_cron: str | None,
    expire_cron: str | None,
    retention_days: float | None,
    audit_cron: str | None,
    compact_cron: str | None,
    timezone: str,
    limit: int,
    reset: bool,
    allow_form_stores: bool,
    **store: Any,
) -> None:
    """Serve every operation as a Prefect deployment (ingest, reindex, expire, audit, compact, erase,
    scrub), with forms in the UI and the schedules given; runs them in this process's environment until
    stopped. Needs PREFECT_API_URL (a `prefect server start` or Prefect Cloud)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise CliError(
            "serve needs a Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api "
            "after `prefect server start`)"
        )
    from prefect import serve

    from flows.prefect.deployments import ServePlan, build_deployments, deployed_names
    from flows.settings.source_roots import FORM_STORES, LOCKED, SOURCE_ROOTS

    with _one_line_errors():
        # the runs this process starts read the stores from its environment, never from parameters
        for name, value in [
            ("RAGMASK_DATA_DIR", absolute_path(store["data_dir"])),
            ("RAGMASK_QDRANT_URL", store["qdrant_url"]),
            ("RAGMASK_QDRANT_API_KEY", store["qdrant_api_key"]),
            ("RAGMASK_QDRANT_PATH", absolute_path(store["qdrant_path"])),
            ("RAGMASK_LINEAGE_URL", store["lineage_url"]),
        ]:
            if value:
                os.environ[name] = value
        # a form reads only under the sources, and writes only to these stores (flows/settings/source_roots.py)
        roots = [str(Path(source).expanduser().resolve()) for source in sources]
        os.environ[SOURCE_ROOTS] = os.pathsep.join(roots) if roots else os.environ.get(SOURCE_ROOTS, "")
        os.environ[FORM_STORES] = "" if allow_form_stores else LOCKED
        plan = ServePlan(
            tuple(absolute_path(s) or s for s in sources),
            store["collection"],
            reindex_cron,
            expire_cron,
            retention_days,
            audit_cron,
            compact_cron,
            timezone,
        )
        existing = deployed_names(plan)
        deployments = build_deployments(plan, existing, reset)
    for deployment in deployments:
        name = f"{deployment.flow_name}/{deployment.name}"
        kept = " (schedule and defaults as set in the UI)" if name in existing and not reset else ""
        click.echo(f"ragmask: serving {name}{kept}", err=True)
    serve(*deployments, limit=limit, pause_on_shutdown=False, print_starting_message=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, no traceback unless RAGMASK_DEBUG is set; owner-only files."""
    configure_logging()
    harden_process()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ragmask", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:
        # unexpected: one line, the type only (a message could quote text)
        if os.environ.get("RAGMASK_DEBUG"):
            raise
        click.echo(f"ragmask: error: {_unexpected(error)}", err=True)
        sys.exit(1)


def _unexpected(error: Exception) -> str:
    """One line in words for what broke outside ragmask's own errors: a store's refusal in the database's
    own words (never the statement or its parameters), a file that cannot be decoded, else the type."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        reason = str(error.orig).splitlines()[0] if error.orig is not None else type(error).__name__
        return (
            f"the lineage store refused the operation ({reason}): is it read-only, full or corrupt? "
            "check its file or server and the data directory's permissions"
        )
    if isinstance(error, UnicodeDecodeError):
        return "a store file could not be decoded: it may be corrupt (restore it from a backup)"
    return f"unexpected {type(error).__name__}; set RAGMASK_DEBUG=1 for details"


if __name__ == "__main__":
    main()
