"""``ragmask erase``, ``receipts verify`` and ``public-key``, ``compact`` and ``expire``: erasure with verified, signed
receipts."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import click

from flows.cli.app import (
    JSON,
    CliError,
    cli,
    one_line_errors,
    store_options,
)
from flows.settings import (
    CompactSettings,
    EraseSettings,
    ExpireSettings,
    ReceiptsSettings,
    StoreSettings,
)
from flows.settings.cli_options import settings_from, settings_options
from masking import load_keys


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
@click.option(
    "--queue",
    is_flag=True,
    help="Register the request (fingerprints only) and print its id; run nothing. The erase "
    "deployment's next run (or `ragmask erase --pending`) carries it out.",
)
@click.option(
    "--pending",
    is_flag=True,
    help="Carry out every request of the collection not completed yet (queued, failed or cut off), "
    "oldest first, instead of naming one.",
)
@settings_options(EraseSettings)
@JSON
def erase_command(
    emails: Sequence[str],
    phones: Sequence[str],
    names: Sequence[str],
    ids: Sequence[str],
    documents: Sequence[str],
    mode: str,
    purge: bool,
    queue: bool,
    pending: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Erase a subject or a document from the collection and the lineage, verified, with a receipt; or
    queue the request for the erase deployment, or carry out every queued one."""
    from flows.operations.erase import register_request, run_erase
    from indexers.erasure import AlreadyErasedError
    from indexers.erasure_requests import parse_identifier

    named = bool(emails or phones or names or ids or documents)
    if pending:
        if named or queue:
            raise click.UsageError("--pending carries out the queued requests: name no subject or document")
        return _erase_pending(settings_from(EraseSettings, options), as_json)
    if not named:
        raise click.UsageError("name a subject (--email, --phone, --name, --id) or a --document")
    settings = settings_from(EraseSettings, options)
    with one_line_errors():
        identifiers = [("email", v) for v in emails] + [("phone", v) for v in phones]
        identifiers += [("name", v) for v in names] + [parse_identifier(v) for v in ids]
        keys = load_keys(key_file=settings.key_path, data_dir=settings.stores.data_path)
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
        if queue:
            collection = settings.resolved().stores.collection
            click.echo(
                json.dumps({"request_id": request_id, "collection": collection}) if as_json else request_id
            )
            click.echo(
                f"ragmask: erasure request {request_id} queued for collection {collection!r}", err=True
            )
            return
        if os.environ.get("PREFECT_API_URL"):
            receipt = _through_prefect(request_id, settings)
        else:
            receipt = run_erase(settings, request_id)
    _show_receipt(receipt, as_json)
    if not receipt["verified"]:
        raise CliError(f"erasure {receipt['receipt_id']} did not verify: erased data is still reachable")


def _through_prefect(request_id: str, settings: EraseSettings) -> dict[str, Any]:
    """The erase flow as a real flow run, tagged as the erase deployment's runs are (an automation on
    failed erasures sees both)."""
    from prefect import tags

    from flows.prefect.erase import erase_flow

    with tags("ragmask", "erase"):
        return dict(erase_flow(request_id, settings=settings.for_flow_run()))


def _erase_pending(settings: EraseSettings, as_json: bool) -> None:
    """Every open request of the collection, through Prefect where PREFECT_API_URL is set."""
    from flows.operations.erase import run_open_erasures

    with one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            done = _through_prefect("", settings)
        else:
            done = run_open_erasures(
                settings, lambda n, total: click.echo(f"ragmask: erase: {n}/{total} requests", err=True)
            ).to_dict()
    if as_json:
        click.echo(json.dumps(done))
    else:
        for receipt in done["receipts"]:
            _show_receipt(receipt, False)
        for request_id, reason in done["failed"].items():
            click.echo(f"request {request_id} failed: {reason}")
        click.echo(f"{done['erased']} of {done['requests']} open erasure requests carried out")
    if done["failed"] or done["unverified"]:
        raise CliError(
            f"{len(done['failed'])} of {done['requests']} erasure requests failed, {done['unverified']} did not verify"
        )


@cli.group("receipts")
def receipts_group() -> None:
    """The deletion receipts' hash chain."""


@receipts_group.command("verify")
@settings_options(ReceiptsSettings)
@JSON
def receipts_verify_command(as_json: bool, **options: Any) -> None:
    """Check every receipt's link, hash and signature, and the chain against its newest exported head,
    with the receipt key (RAGMASK_RECEIPT_KEY or its key file) or, given --public-key, with no secret at
    all; fails saying what does not check."""
    from flows.operations.erase import verify_receipts

    with one_line_errors():
        check = verify_receipts(settings_from(ReceiptsSettings, options))
    if as_json:
        click.echo(json.dumps(check.to_dict()))
    elif check.valid:
        click.echo(
            f"{check.receipts} receipts, chain valid, {check.anchored} anchored by the exported head "
            f"(checked with the {check.checked_with or 'receipt key'})"
        )
    if not check.valid:
        raise CliError(f"receipt chain invalid ({check.receipts} receipts): {check.reason}")


@receipts_group.command("public-key")
@store_options
def receipts_public_key_command(**store: Any) -> None:
    """Print the receipts' Ed25519 public key (PEM): give it to an auditor, who checks the chain with
    `receipts verify --public-key FILE` and no secret. The receipt key is created if this is its first use."""
    from flows.operations.erase import receipt_public_key

    with one_line_errors():
        click.echo(receipt_public_key(settings_from(StoreSettings, store)), nl=False)


@cli.command("compact")
@settings_options(CompactSettings)
@JSON
def compact_command(as_json: bool, **options: Any) -> None:
    """Purge the bytes of every erasure since the last purge, with a receipt."""
    settings = settings_from(CompactSettings, options)
    with one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.compact import compact_flow

            receipt = compact_flow(settings=settings.for_flow_run())
        else:
            from flows.operations.compact import run_compact

            receipt = run_compact(settings)
    _show_receipt(receipt, as_json)


@cli.command("expire")
@settings_options(ExpireSettings)
@JSON
def expire_command(as_json: bool, **options: Any) -> None:
    """Enforce retention: erase documents past it through the erasure path, and age out ragmask's records."""
    settings = settings_from(ExpireSettings, options)
    dry_run = settings.dry_run
    with one_line_errors():
        if os.environ.get("PREFECT_API_URL"):
            from flows.prefect.expire import expire_flow

            result: dict[str, Any] = expire_flow(settings=settings.for_flow_run())
        else:
            from flows.operations.expire import run_expire

            result = run_expire(settings, *settings.retention(), dry_run=dry_run).to_dict()
            result |= {"settings": settings.effective()}
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
