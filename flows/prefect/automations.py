"""The automations an operator wants, declared once: what to be told of, and the notification block that
tells them. ``ragmask serve --automations --notify-block slack-webhook/ops`` creates (or replaces) them on
the server; ``python -m flows.prefect.automations`` writes the same declarations to infra/automations.yaml
for review.

Each triggers on an event Prefect or ragmask emits, never on a parameter value:
- a flow run of ``erase``, ``expire``, ``audit`` (findings fail it) or ``ingest``/``reindex`` entering
  Failed;
- ``ragmask.run.partial``, emitted by an ingest or re-index that left documents out
  (flows/prefect/partial_runs.py).

The notification's text is built from the run's name (ragmask's own: the operation and collection), its
state and message (words from safe fields only, flows/prefect/shell.py) and the partial event's counts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import yaml

from flows.prefect.partial_runs import PARTIAL_EVENT
from masking.errors import SettingsError

FAILED_RUN = "prefect.flow-run.Failed"
RUN_BODY = (
    "{{ flow_run.name }} ended {{ flow_run.state.name }}: {{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)
PARTIAL_BODY = (
    "{{ event.payload.operation }} of {{ event.payload.collection }} partly done: "
    "{{ event.payload.documents_failed }} documents failed, {{ event.payload.documents_quarantined }} "
    "quarantined, {{ event.payload.files_unreadable }} files unreadable; "
    "{{ event.payload.documents_indexed }} indexed.\n{{ flow_run|ui_url }}"
)


@dataclass(frozen=True)
class AutomationSpec:
    """One automation: its name, what it is for, the event it waits for (and on which flows' runs), and
    the notification's subject and body (Prefect templates)."""

    name: str
    description: str
    event: str
    subject: str
    body: str
    # the flows whose runs' events count (by flow name); empty: any event of that name
    flows: tuple[str, ...] = ()

    def trigger(self) -> dict[str, Any]:
        """The event trigger, as Prefect's API takes it."""
        related = {"prefect.resource.role": "flow", "prefect.resource.name": list(self.flows)}
        return {
            "type": "event",
            "posture": "Reactive",
            "expect": [self.event],
            "match_related": related if self.flows else {},
            "threshold": 1,
            "within": 0,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "trigger": self.trigger(),
            "actions": [{"type": "send-notification", "subject": self.subject, "body": self.body}],
        }


AUTOMATIONS = (
    AutomationSpec(
        "ragmask: erasure failed",
        "An erase run failed: a data subject's request is not carried out yet.",
        FAILED_RUN,
        "ragmask: erasure failed",
        RUN_BODY,
        ("erase",),
    ),
    AutomationSpec(
        "ragmask: ingest or re-index partly done",
        "An ingest or re-index left documents out (failed, quarantined or unreadable); the run's "
        "<operation>-failures artifact lists them by masked source path.",
        PARTIAL_EVENT,
        "ragmask: documents left out",
        PARTIAL_BODY,
    ),
    AutomationSpec(
        "ragmask: ingest or re-index failed",
        "An ingest or re-index run failed as a whole.",
        FAILED_RUN,
        "ragmask: ingest or re-index failed",
        RUN_BODY,
        ("ingest", "reindex"),
    ),
    AutomationSpec(
        "ragmask: audit findings",
        "An audit found suspected unmasked values (or could not run).",
        FAILED_RUN,
        "ragmask: audit findings",
        RUN_BODY,
        ("audit",),
    ),
    AutomationSpec(
        "ragmask: expire failed",
        "A retention run failed: documents past their retention may still be indexed.",
        FAILED_RUN,
        "ragmask: expire failed",
        RUN_BODY,
        ("expire",),
    ),
)


def automations_yaml() -> str:
    """infra/automations.yaml: the declarations, with the notification block left to ``--notify-block``."""
    header = (
        "# Written by `python -m flows.prefect.automations` from flows/prefect/automations.py; created on the\n"
        "# server by `ragmask serve --automations --notify-block TYPE/NAME` (tests/test_infra.py keeps it current).\n"
    )
    body = yaml.safe_dump({"automations": [a.to_dict() for a in AUTOMATIONS]}, sort_keys=False, width=110)
    return header + body


def create_automations(notify_block: str) -> list[str]:
    """Create the automations on the server PREFECT_API_URL names, each sending to the notification block
    ``notify_block`` ("slack-webhook/ops": its type slug and name); one of the same name is replaced.
    Returns their names."""
    from prefect.automations import Automation
    from prefect.blocks.core import Block
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger

    if "/" not in notify_block:
        raise SettingsError(
            f"--notify-block {notify_block!r}: give a block as TYPE/NAME, e.g. slack-webhook/ops"
        )
    try:
        block = Block.load(notify_block)
    except ValueError:
        raise SettingsError(f"--notify-block {notify_block!r}: no such block on the server") from None
    # the synchronous API: a block, not a coroutine
    block_id = getattr(block, "_block_document_id", None)
    if block_id is None:
        raise SettingsError(f"--notify-block {notify_block!r}: the block is not saved on the server")
    names = []
    for spec in AUTOMATIONS:
        _delete_existing(Automation, spec.name)
        Automation(
            name=spec.name,
            description=spec.description,
            trigger=EventTrigger.model_validate(spec.trigger()),
            actions=[SendNotification(block_document_id=block_id, subject=spec.subject, body=spec.body)],
        ).create()
        names.append(spec.name)
    return names


def _delete_existing(automation: Any, name: str) -> None:
    from prefect.exceptions import ObjectNotFound

    # one read per automation of that name, until none is left
    while True:
        try:
            existing = automation.read(name=name)
        except (ObjectNotFound, ValueError):
            return
        existing.delete()


if __name__ == "__main__":
    sys.stdout.write(automations_yaml())
