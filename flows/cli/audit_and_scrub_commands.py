"""``ragmask audit`` (and ``audit accept``) and ``ragmask scrub``: a collection checked for unmasked
personal data, and one that holds raw text masked into a new one."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import click

from flows.cli.app import (
    EMBEDDING_MODEL,
    FORMAT,
    JSON,
    CliError,
    IncompleteRunError,
    cli,
    one_line_errors,
    store_options,
)
from flows.settings import (
    AuditSettings,
    ScrubSettings,
    StoreSettings,
)
from flows.settings.cli_options import settings_from, settings_options


@cli.group("audit", invoke_without_command=True)
@settings_options(AuditSettings, skip=("fail_on_findings",), names=FORMAT)
@EMBEDDING_MODEL
@JSON
@click.pass_context
def audit_command(context: click.Context, /, as_json: bool, **options: Any) -> None:
    """Scan every payload of a collection for unmasked personal data; exit 1 if anything is suspected.
    Each finding is listed (--json) by point id, payload path, type and a keyed fingerprint; `ragmask audit
    accept FINGERPRINT... --reason TEXT` records reviewed false positives, which later audits pass over."""
    if context.invoked_subcommand is not None:
        return
    settings = settings_from(AuditSettings, options, FORMAT, fail_on_findings=False)
    with one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.audit import audit_flow

            report: dict[str, Any] = audit_flow(settings=settings.for_flow_run())
        else:
            from flows.operations.audit import run_audit

            def progress(points: int) -> None:
                click.echo(f"ragmask: {points} points scanned", err=True)

            report = run_audit(
                settings.stores,
                payload_format=settings.payload_format,
                policy=settings.policy_spec,
                spacy_model=settings.spacy_model,
                progress=progress,
                workers=settings.workers,
            ).to_dict() | {"settings": settings.effective()}
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

    with one_line_errors():
        stores = settings_from(StoreSettings, store).resolved()
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
@settings_options(ScrubSettings, skip=("collection",), names=FORMAT)
@JSON
def scrub_command(as_json: bool, **options: Any) -> None:
    """Mask and re-embed an existing collection (LangChain, LlamaIndex, Haystack or raw payloads) into a new one."""
    from flows.operations.scrub import run_scrub

    def progress(done: int, total: int) -> None:
        click.echo(f"ragmask: scrub: {done}/{total} documents", err=True)

    # the stores' collection is the target's: scrub has no --collection
    settings = settings_from(ScrubSettings, options, FORMAT)
    with one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.scrub import scrub_flow

            result = scrub_flow(settings=settings.for_flow_run())
        else:
            result = run_scrub(settings, progress)
            result |= {"settings": settings.effective()}
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
