"""``ragmask serve``: every operation as a Prefect deployment with forms and schedules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from flows.cli.app import (
    CliError,
    cli,
    env_option,
    one_line_errors,
    store_options,
)
from flows.settings.values import absolute_path

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
@env_option(
    "--reindex-cron", envvar="RAGMASK_REINDEX_CRON", default=None, help=f"Re-index schedule. {CRON_HELP}"
)
@env_option(
    "--expire-cron", envvar="RAGMASK_EXPIRE_CRON", default=None, help=f"Retention schedule. {CRON_HELP}"
)
@env_option(
    "--retention-days",
    envvar="RAGMASK_RETENTION_DAYS",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="The expire form's default retention (needed with --expire-cron).",
)
@env_option("--audit-cron", envvar="RAGMASK_AUDIT_CRON", default=None, help=f"Audit schedule. {CRON_HELP}")
@env_option(
    "--compact-cron", envvar="RAGMASK_COMPACT_CRON", default=None, help=f"Compaction schedule. {CRON_HELP}"
)
@env_option(
    "--timezone", envvar="RAGMASK_TIMEZONE", default="UTC", show_default=True, help="Of the schedules."
)
@env_option(
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

    with one_line_errors():
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
