"""The deployments ``ragmask serve`` serves, one per operation, with their forms and schedules.

Each deployment's form is its flow's settings object (flows/settings/): typed, described, bounded,
presets as choices. Defaults come from ``ServeSettings`` (flows/settings/serve_settings.py): the source directories, the
collection, the cron
schedules (re-index, expire, audit, compact, erase) and the retention. Once a deployment exists, its
schedules, pause state and default parameters belong to the UI: serving again leaves them as an
operator edited them, unless asked to reset them. infra/prefect.yaml declares the same deployments for
a process work pool (tests/test_infra.py keeps the two in step).

Example::

    plan = ServeSettings(sources=("/sources",), reindex_cron="0 2 * * *")
    prefect.serve(*build_deployments(plan, existing=deployed_names()))
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from flows.prefect.audit import audit_flow
from flows.prefect.compact import compact_flow
from flows.prefect.erase import erase_flow
from flows.prefect.expire import expire_flow
from flows.prefect.ingest import ingest_flow
from flows.prefect.reindex import reindex_flow
from flows.prefect.scrub import scrub_flow
from flows.settings import (
    AuditSettings,
    CompactSettings,
    EraseSettings,
    ExpireSettings,
    IngestSettings,
    ReindexSettings,
    ScrubSettings,
    ServeSettings,
    StoreSettings,
)

# the name every deployment had before they were named by purpose
EARLIER_NAME = "ragmask"
# What an operator may change in the UI and a restarted ``serve`` must not overwrite.
UI_OWNED = ("schedules", "paused", "parameters")


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: its flow, name, default parameters, schedule and what it says in the UI."""

    flow: Flow[..., Any]
    name: str
    description: str
    parameters: dict[str, Any]
    cron: str | None = None
    concurrency_limit: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow.name}/{self.name}"


def deployment_specs(plan: ServeSettings) -> list[DeploymentSpec]:
    """Every operation's deployment, named by its purpose under its flow: ``ingest/on-demand``,
    ``reindex/scheduled``, ``expire/retention``, ``audit/scheduled``, ``compact/purge-erased``,
    ``erase/queued-requests``, ``scrub/one-shot``."""
    plan.check()
    stores = StoreSettings(collection=plan.stores.collection)
    # every default in the form's shape: the essentials, then "advanced" (flows/settings/form_groups.py)
    settings = {"settings": IngestSettings(stores=stores).form_values()}
    paths = {"paths": list(plan.sources)} if plan.sources else {}
    retention = {"retention_days": plan.retention_days} if plan.retention_days else {}
    expire = ExpireSettings.form_defaults(stores=stores, **retention)
    return [
        DeploymentSpec(
            ingest_flow,
            "on-demand",
            "Mask, chunk, embed and index the source directories; unchanged "
            "documents are skipped by content hash.",
            paths | settings,
        ),
        DeploymentSpec(
            reindex_flow,
            "scheduled",
            "Bring the collection in line with its sources: new and changed "
            "documents indexed, vanished ones erased with receipts. Full: rebuild, audit, swap.",
            paths | {"settings": ReindexSettings(stores=stores).form_values()},
            plan.reindex_cron,
            concurrency_limit=1,
        ),
        DeploymentSpec(
            expire_flow,
            "retention",
            "Enforce retention: erase documents indexed longer ago than the "
            "retention, each batch with a signed receipt.",
            {"settings": expire},
            plan.expire_cron,
        ),
        DeploymentSpec(
            audit_flow,
            "scheduled",
            "Scan every payload of the collection for unmasked personal data; "
            "fails the run if anything is suspected.",
            {"settings": AuditSettings(stores=stores).form_values()},
            plan.audit_cron,
        ),
        DeploymentSpec(
            compact_flow,
            "purge-erased",
            "Purge the bytes of every erasure since the last purge, with a receipt.",
            {"settings": CompactSettings(stores=stores).form_values()},
            plan.compact_cron,
        ),
        DeploymentSpec(
            erase_flow,
            "queued-requests",
            "Carry out the erasure requests queued with `ragmask erase ... --queue`: every open one, or "
            "the er_... id given; the identifiers never reach Prefect.",
            {"settings": EraseSettings(stores=stores).form_values()},
            plan.erase_cron,
        ),
        DeploymentSpec(
            scrub_flow,
            "one-shot",
            "Mask and re-embed a collection that holds raw text (LangChain, "
            "LlamaIndex, Haystack or raw payloads) into a new one.",
            {"settings": ScrubSettings.form_defaults()},
        ),
    ]


def build_deployments(
    plan: ServeSettings, existing: Collection[str] = (), reset: bool = False
) -> list[RunnerDeployment]:
    """The runner deployments to serve. One already on the server (``existing``, by full name) keeps
    the schedules, pause state and defaults an operator gave it, unless ``reset``."""
    deployments = []
    for spec in deployment_specs(plan):
        ui_owned = spec.full_name in existing and not reset
        deployment = RunnerDeployment.from_flow(
            spec.flow,
            spec.name,
            description=spec.description,
            parameters=spec.parameters,
            schedules=[Cron(spec.cron, timezone=plan.timezone)] if spec.cron and not ui_owned else None,
            tags=["ragmask", spec.flow.name],
            concurrency_limit=spec.concurrency_limit,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        # the form's default for the settings is the deployment's, in the form's shape (the flow's
        # signature default is the flat model)
        settings_field = deployment._parameter_openapi_schema.properties.get("settings")
        if settings_field is not None:
            settings_field["default"] = spec.parameters.get("settings", {})
        # an update sends only the fields set, and schedules only when there are some
        if ui_owned:
            deployment.model_fields_set.difference_update(UI_OWNED)
        deployments.append(deployment)
    return deployments


def deployed_names(plan: ServeSettings) -> set[str]:
    """Which of the plan's deployments the Prefect server already has (by full name)."""
    return _on_server([spec.full_name for spec in deployment_specs(plan)])


def earlier_deployments(plan: ServeSettings) -> set[str]:
    """Deployments an earlier ragmask served under the name every one had then (``reindex/ragmask``):
    left in place, schedules and all, for the operator to delete once the new ones run."""
    return _on_server([f"{spec.flow.name}/{EARLIER_NAME}" for spec in deployment_specs(plan)])


def _on_server(full_names: list[str]) -> set[str]:
    names = set()
    with get_client(sync_client=True) as client:
        for name in full_names:
            try:
                client.read_deployment_by_name(name)
            except Exception:
                # ObjectNotFound: not deployed
                continue
            names.add(name)
    return names
