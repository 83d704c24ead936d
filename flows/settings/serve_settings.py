"""The settings of ``ragmask serve``: the source directories and stores the served deployments default
to, their schedules, and what a form may change."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from flows.settings.operation_settings import OperationSettings
from masking.errors import SettingsError

CRON = "Cron expression (in --timezone), e.g. '0 2 * * *'; empty: no schedule."


class ServeSettings(OperationSettings):
    """What ``ragmask serve`` deploys: defaults for the forms (the sources, the stores' collection) and
    the schedules (cron, in ``timezone``).

    Usage::

        ServeSettings(sources=("/sources",), reindex_cron="0 2 * * *")
    """

    sources: Annotated[
        tuple[str, ...],
        Field(
            title="Source directories",
            description="A source directory, as this machine sees it (repeatable): the default paths of the "
            "ingest and reindex forms, and what the scheduled re-index reads.",
        ),
    ] = ()
    reindex_cron: Annotated[
        str, Field(title="Re-index schedule", description=f"Re-index schedule. {CRON}")
    ] = ""
    expire_cron: Annotated[
        str, Field(title="Retention schedule", description=f"Retention schedule. {CRON}")
    ] = ""
    retention_days: Annotated[
        # the bound on the number only: empty stays empty
        Annotated[float, Field(gt=0)] | None,
        # empty (as the command line gives it): no default retention
        BeforeValidator(lambda value: None if value == "" else value),
        Field(
            title="Retention (days)",
            description="The expire form's default retention (needed with --expire-cron).",
        ),
    ] = None
    audit_cron: Annotated[str, Field(title="Audit schedule", description=f"Audit schedule. {CRON}")] = ""
    compact_cron: Annotated[
        str, Field(title="Compaction schedule", description=f"Compaction schedule. {CRON}")
    ] = ""
    erase_cron: Annotated[
        str,
        Field(
            title="Erasure schedule",
            description=f"Schedule of the erase deployment, which carries out every queued request "
            f"(`ragmask erase ... --queue`). {CRON}",
        ),
    ] = ""
    timezone: Annotated[str, Field(title="Time zone", description="Of the schedules.")] = "UTC"
    serve_limit: Annotated[
        int, Field(title="Runs at a time", ge=1, description="Flow runs at a time (each loads the models).")
    ] = 1
    reset: Annotated[
        bool,
        Field(
            title="Reset UI edits",
            description="Overwrite schedules, pause state and default parameters that were edited in the UI "
            "(by default a restart leaves them as they are).",
        ),
    ] = False
    allow_form_stores: Annotated[
        bool,
        Field(
            title="Forms may set stores",
            description="Let a form set the data directory, the Qdrant folder or URL and the lineage URL (by "
            "default a run uses the stores serve was started with).",
        ),
    ] = False

    automations: Annotated[
        bool,
        Field(
            title="Create automations",
            description="Create (or replace) ragmask's automations on the server (infra/automations.yaml: "
            "failed erasure, partial or failed ingest and re-index, audit findings, expire failures), sending to "
            "--notify-block.",
        ),
    ] = False
    notify_block: Annotated[
        str,
        Field(
            title="Notification block",
            description="The notification block the automations send to, as TYPE/NAME (e.g. slack-webhook/ops, "
            "custom-webhook/pager): created beforehand in the UI or with `prefect block create`.",
        ),
    ] = ""

    def check(self) -> None:
        """A schedule with what it needs: the re-index its sources, the expire its retention."""
        if self.reindex_cron and not self.sources:
            raise SettingsError("a re-index schedule needs the source directories (--source)")
        if self.expire_cron and not self.retention_days:
            raise SettingsError("an expire schedule needs a retention (--retention-days)")
        if self.automations and not self.notify_block:
            raise SettingsError(
                "--automations needs the notification block to send to (--notify-block TYPE/NAME)"
            )
