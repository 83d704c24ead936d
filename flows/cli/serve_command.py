"""``ragmask serve``: every operation as a Prefect deployment with forms and schedules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from flows.cli.app import CliError, cli, one_line_errors
from flows.settings import ServeSettings
from flows.settings.cli_options import settings_from, settings_options
from flows.settings.values import absolute_path

# the option names serve has always had
SERVE_NAMES = {"sources": "--source", "serve_limit": "--limit"}


@cli.command("serve")
@settings_options(ServeSettings, names=SERVE_NAMES)
def serve_command(**options: Any) -> None:
    """Serve every operation as a Prefect deployment (ingest, reindex, expire, audit, compact, erase,
    scrub), with forms in the UI and the schedules given; runs them in this process's environment until
    stopped. Needs PREFECT_API_URL (a `prefect server start` or Prefect Cloud)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise CliError(
            "serve needs a Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api "
            "after `prefect server start`)"
        )
    from prefect import serve

    from flows.prefect.deployments import build_deployments, deployed_names, earlier_deployments
    from flows.settings.source_roots import FORM_STORES, LOCKED, SOURCE_ROOTS

    settings = settings_from(ServeSettings, options, SERVE_NAMES)
    store = settings.stores
    with one_line_errors():
        # the runs this process starts read the stores from its environment, never from parameters
        for name, value in [
            ("RAGMASK_DATA_DIR", absolute_path(store.data_dir)),
            ("RAGMASK_QDRANT_URL", store.qdrant_url),
            ("RAGMASK_QDRANT_API_KEY", store.qdrant_api_key),
            ("RAGMASK_QDRANT_PATH", absolute_path(store.qdrant_path)),
            ("RAGMASK_LINEAGE_URL", store.lineage_url),
        ]:
            if value:
                os.environ[name] = value
        # a form reads only under the sources, and writes only to these stores (flows/settings/source_roots.py)
        roots = [str(Path(source).expanduser().resolve()) for source in settings.sources]
        os.environ[SOURCE_ROOTS] = os.pathsep.join(roots) if roots else os.environ.get(SOURCE_ROOTS, "")
        os.environ[FORM_STORES] = "" if settings.allow_form_stores else LOCKED
        plan = settings.changed(sources=tuple(absolute_path(s) or s for s in settings.sources))
        existing = deployed_names(plan)
        for earlier in sorted(earlier_deployments(plan)):
            click.echo(
                f"ragmask: {earlier} is an earlier name of a deployment served now; delete it (with its "
                "schedules) once the new one runs",
                err=True,
            )
        deployments = build_deployments(plan, existing, settings.reset)
        if settings.automations:
            from flows.prefect.automations import create_automations

            for automation in create_automations(settings.notify_block):
                click.echo(f"ragmask: automation {automation!r} sends to {settings.notify_block}", err=True)
    for deployment in deployments:
        name = f"{deployment.flow_name}/{deployment.name}"
        kept = " (schedule and defaults as set in the UI)" if name in existing and not settings.reset else ""
        click.echo(f"ragmask: serving {name}{kept}", err=True)
    serve(*deployments, limit=settings.serve_limit, pause_on_shutdown=False, print_starting_message=False)
