"""The one shell every ragmask flow runs in: hardening, run name, form check, write slot, failure
mapping and the summary artifact.

Prefect stores a flow's exception message in its states, logs and events, so whatever fails inside
a flow leaves it as ``OperationFailed``: the operation and, for ragmask's own errors, their message in
words (built from safe fields only: masking/errors.py); any other exception leaves as its type alone.
The same line goes to the run log, so the state, the log and the CLI say the same.

Usage::

    @ragmask_flow("erase")
    def erase_flow(request_id: str, settings: EraseSettings = EraseSettings()) -> dict[str, Any]:
        with operation_run("erase", settings, slot=collection, subject=request_id):
            receipt = run_erase(...)
        summary_artifact(receipt_markdown(receipt, stores), "erase-receipt", collection, "erasure receipt")
        return receipt
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, ParamSpec, TypeVar

from prefect import Flow, flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.prefect.artifacts import artifact_key
from flows.prefect.collection_slots import collection_slot
from flows.prefect.flow_runs import run_name
from flows.runtime.process import harden_process
from flows.settings import OperationSettings
from masking.errors import RagmaskError

Params = ParamSpec("Params")
Result = TypeVar("Result")
# the loggers of ragmask's own packages
RAGMASK_LOGGERS = ("flows", "indexers", "masking")


# The name the flows' failures carry in the Prefect UI, so no Error suffix.
class OperationFailed(RagmaskError):  # noqa: N818
    """A flow's operation failed. ``reason`` is a ragmask error's message, or another exception's type
    name only: Prefect stores messages."""

    def __init__(self, operation: str, reason: str, subject: str = "") -> None:
        self.operation = operation
        self.reason = reason
        self.subject = subject
        named = f"{operation} {subject}" if subject else operation
        super().__init__(f"{named} failed: {reason}")


def ragmask_flow(
    operation: str, *, batch_tasks: bool = False
) -> Callable[[Callable[Params, Result]], Flow[Params, Result]]:
    """``@flow`` as every ragmask flow takes it: named for its operation, a run name that says the
    collection, no persisted result; ``batch_tasks``: batch task runs one at a time (a bounded runner).
    The process is hardened here, when a worker imports the flow's module."""
    harden_process()
    options: dict[str, Any] = {}
    if batch_tasks:
        options["task_runner"] = ThreadPoolTaskRunner(max_workers=1)

    def decorate(body: Callable[Params, Result]) -> Flow[Params, Result]:
        return flow(name=operation, flow_run_name=run_name(operation), persist_result=False, **options)(body)

    return decorate


@contextmanager
def operation_run(
    operation: str, settings: OperationSettings | None = None, *, slot: str | None = None, subject: str = ""
) -> Iterator[None]:
    """The block of a flow that does the work: the form's settings checked (a password typed into it is
    refused, not used), the collection's write slot held when ``slot`` names one, and any exception
    raised as ``OperationFailed`` with the reason in words (``failure_reason``), also logged. ragmask's
    own warnings meanwhile (a key created, a worker lost, documents quarantined) go to the run log too."""
    try:
        with ExitStack() as stack:
            stack.enter_context(warnings_in_run_log())
            if settings is not None:
                settings.for_flow_run()
            if slot is not None:
                stack.enter_context(collection_slot(slot))
            yield
    except Exception as error:
        failed = OperationFailed(operation, failure_reason(error), subject)
        get_run_logger().error("%s", failed)
        raise failed from None


class RunLogForwarder(logging.Handler):
    """Hands a record of ragmask's own loggers to the flow run's logger, which Prefect sends to its API.
    The records have passed the log guard (flows/runtime/logging_setup.py) already: ids, counts, types
    and the operator's own settings, never content."""

    def __init__(self, run_logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
        super().__init__(logging.WARNING)
        self.run_logger = run_logger

    def emit(self, record: logging.LogRecord) -> None:
        self.run_logger.log(record.levelno, "%s", record.getMessage())


@contextmanager
def warnings_in_run_log() -> Iterator[None]:
    """For the block: warnings of ragmask's own loggers also in the run's log in the Prefect UI, where
    otherwise only the worker's stderr would show them."""
    forwarder = RunLogForwarder(get_run_logger())
    loggers = [logging.getLogger(name) for name in RAGMASK_LOGGERS]
    for logger in loggers:
        logger.addHandler(forwarder)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(forwarder)


def failure_reason(error: BaseException) -> str:
    """What a run's failure says: a ragmask error's own message (safe fields only), else the exception's
    type, whose message may quote what it was given."""
    if isinstance(error, OperationFailed):
        return error.reason
    if isinstance(error, RagmaskError) and str(error):
        return str(error)
    return f"unexpected {type(error).__name__}"


def summary_artifact(markdown: str, kind: str, collection: str, description: str) -> None:
    """The run's summary, in words and counts: never a value, a path or a document's text. Its key names
    the collection (``ingest-summary-hr``), so Prefect's history of a key is one collection's."""
    create_markdown_artifact(markdown, key=artifact_key(kind, collection), description=description)
