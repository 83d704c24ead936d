"""``ragmask search``, ``report`` and ``rehydrate``: what a collection and its lineage hold, read back."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from flows.cli.app import (
    JSON,
    KEY_FILE,
    VAULT_KEY_FILE,
    CliError,
    cli,
    env_option,
    one_line_errors,
    optional_path,
    store_options,
)
from flows.settings import (
    StoreSettings,
)
from flows.settings.cli_options import settings_from
from masking import RagmaskError, load_keys


@cli.command("search")
@click.argument("query")
@store_options
@click.option("-k", "limit", type=click.IntRange(1, 1000), default=5, show_default=True, help="Results.")
@JSON
def search_command(query: str, limit: int, as_json: bool, **store: Any) -> None:
    """Search the masked collection (what a RAG app retrieves)."""
    from flows.operations.search import run_search

    try:
        results = run_search(query, settings_from(StoreSettings, store), store["embedding_model"], limit)
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"results": results}, ensure_ascii=False))
        return
    for hit in results:
        click.echo(f"[{hit['score']:.3f}] {hit['doc_id']} #{hit['chunk_index']}\n{hit['page_content']}\n")
    if not results:
        click.echo("no results")


@cli.command("report")
@click.option(
    "--document", required=True, metavar="DOC_ID|PATH", help="The document: its doc id or source path."
)
@store_options
@KEY_FILE
@JSON
def report_command(document: str, key_file: str, as_json: bool, **store: Any) -> None:
    """The masking receipt of a document's indexed version: when, which entity types and how many, the
    actions, score ranges, policy and model versions, key id. Never a value."""
    from flows.operations.report import run_report

    stores = settings_from(StoreSettings, store)
    with one_line_errors():
        report = run_report(
            stores, load_keys(key_file=optional_path(key_file), data_dir=stores.data_path), document
        )
    if as_json:
        click.echo(json.dumps(report))
        return
    outcome = report["last_outcome"]
    if outcome and outcome["status"] != "committed":
        click.echo(
            f"{outcome['doc_id']} ({outcome['source'] or 'source not named'}): {outcome['status']} by run "
            f"{outcome['run_id']} at {outcome['at']}: {outcome['reason'] or '-'}"
        )
    details = report["report"]
    if details is None:
        click.echo("no version of it was ever indexed")
        return
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
@env_option(
    "--actor", envvar="RAGMASK_ACTOR", default=None, help="Who, for the access log (default: the login name)."
)
@store_options
@KEY_FILE
@VAULT_KEY_FILE
def rehydrate_command(
    document: str,
    reason: str,
    actor: str | None,
    key_file: str,
    vault_key_file: str,
    **store: Any,
) -> None:
    """Put a document's vaulted values back into masked text (stdin -> stdout); every call is logged."""
    from flows.operations.rehydrate import run_rehydrate

    if not reason.strip():
        raise click.UsageError("--reason must say why (it goes into the access log)")
    text = sys.stdin.read()
    with one_line_errors():
        result = run_rehydrate(
            settings_from(StoreSettings, store),
            document,
            text,
            reason=reason,
            actor=actor,
            key_file=optional_path(key_file),
            vault_key_file=optional_path(vault_key_file),
        )
    click.echo(result.text, nl=False)
    click.echo(f"ragmask: {result.tokens} tokens of {result.doc_id} rehydrated; access logged", err=True)
