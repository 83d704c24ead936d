"""Process-wide logging: an allowlist, so that no log record can carry document content or a secret.

A record may carry ids, counts, entity types, durations, versions and one-line reasons: what ragmask's
own loggers write, and what our flows write to Prefect's run loggers. Every other logger can quote its
input (pypdf prints a malformed PDF's bytes, Presidio the words around a match, websockets at DEBUG
the Prefect API's Authorization header), so its records keep their logger name and level and lose
their message. Tracebacks are reduced to the exception's type everywhere (a message can quote text).
The guard sits in the log record factory, so it holds whatever handlers Prefect or a notebook installs;
the CLI and every flow module install it. RAGMASK_DEBUG=1 turns it off, for a developer's own data.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import warnings
from functools import cache
from typing import Any

OWN_LOGGERS = ("flows", "indexers", "masking", "bench", "ragmask")
# Prefect's run loggers: our flows' get_run_logger() lines, and the engine's state lines, whose
# exception messages our flows reduce to their type before raising.
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
ALLOWED = OWN_LOGGERS + RUN_LOGGERS
# Prefect's engine, runner, client, events and worker messages: written by Prefect's code about its own
# objects (ids, run names, states, HTTP statuses, the API's URL), they say when the API cannot be
# reached or a run's process died. They pass only when the record was made in Prefect's package (a
# third-party module logging under a Prefect name does not), with any exception among their arguments
# reduced to its type. Parameters they could quote are the operator's (collection, paths given);
# documents, values and file names inside a tree never reach Prefect (sealed references).
PREFECT_OWN = ("prefect.runner", "prefect.engine", "prefect.flow_engine", "prefect.task_engine",
               "prefect.client", "prefect.events", "prefect.workers", "prefect.concurrency",
               "prefect._internal.concurrency", "prefect.deployments")  # fmt: skip
WITHHELD = "message withheld (third-party logger)"
# pypdf is not capped: "pypdf...: message withheld" tells the user a file had problems.
CAPPED_LOGGERS = (
    "presidio-analyzer",
    "presidio_analyzer",
    "spacy",
    "tldextract",
    "filelock",
    "urllib3",
    "alembic",
    "httpx",
    "httpcore",
    "transformers",
    "sentence_transformers",
    "huggingface_hub",
    "websockets",
    "asyncio",
)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@cache
def _prefect_code() -> str | None:
    """Where Prefect's package lives (found without importing it), to tell its records from others'."""
    spec = importlib.util.find_spec("prefect")
    locations = spec.submodule_search_locations if spec else None
    return os.path.join(os.path.realpath(locations[0]), "") if locations else None


def _from_prefect(record: logging.LogRecord) -> bool:
    """A record of one of Prefect's own engine, runner or client loggers, made in Prefect's code."""
    where = _prefect_code()
    return (
        _under(record.name, PREFECT_OWN)
        and where is not None
        and os.path.realpath(record.pathname).startswith(where)
    )


def sanitise(record: logging.LogRecord) -> logging.LogRecord:
    """The record as it may be emitted: content-free, or withheld."""
    if record.exc_info and record.exc_info[0] is not None:
        record.msg = f"{record.msg} [{record.exc_info[0].__name__}]"
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    if _from_prefect(record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                type(arg).__name__ if isinstance(arg, BaseException) else arg for arg in record.args
            )
        if isinstance(record.msg, BaseException):
            record.msg = type(record.msg).__name__
    elif not _under(record.name, ALLOWED):
        record.msg, record.args = f"{record.name}: {WITHHELD}", ()
    return record


DEBUG_WARNING = (
    "ragmask: WARNING: RAGMASK_DEBUG is set: the log guard is off, and logs and tracebacks may hold "
    "personal data; use it on your own test data only"
)


def install_log_guard() -> None:
    """Route every record this process creates through ``sanitise`` (idempotent); warnings become
    records too, so a library's warning text is withheld like its log lines."""
    if os.environ.get("RAGMASK_DEBUG"):
        if not getattr(install_log_guard, "warned", False):
            install_log_guard.warned = True  # type: ignore[attr-defined]
            print(DEBUG_WARNING, file=sys.stderr)
        return
    factory = logging.getLogRecordFactory()
    if getattr(factory, "ragmask_guard", False):
        return

    def guarded(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return sanitise(factory(*args, **kwargs))

    guarded.ragmask_guard = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(guarded)
    logging.captureWarnings(True)


def configure_logging(level: str | None = None) -> None:
    """The CLI's logging: everything to stderr, third-party loggers kept quiet (the guard comes with
    flows.runtime.process.harden_process, which the CLI runs next)."""
    level_name = (level or os.environ.get("RAGMASK_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr, level=level_name, format="ragmask: %(levelname)s: %(message)s", force=True
    )
    for name in CAPPED_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # model loading bars are noise on stderr
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore", module="spacy")
    warnings.filterwarnings("ignore", category=UserWarning, module="thinc")
