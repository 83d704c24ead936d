"""The ragmask command line: the group, its one-line errors and exit codes, and the options several
commands share (each generated from the setting it sets, flows/settings/cli_options.py).

Exit codes: 0 ok, 1 the command failed, 2 usage error, 3 done but some documents failed or were
quarantined (each named on its own line). Every option can also come from a RAGMASK_* variable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from flows.runtime.logging_setup import configure_logging
from flows.runtime.process import harden_process, leave_at_once, run_one_operation
from flows.settings import (
    EraseSettings,
    IngestSettings,
    StoreSettings,
)
from flows.settings.cli_options import Decorator, field_option, settings_options
from masking import RagmaskError


class CliError(click.ClickException):
    """A failure reported as one line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"ragmask: error: {self.message}", err=True)


class IncompleteRunError(CliError):
    """The command did its work, but some documents failed or were quarantined: exit code 3."""

    exit_code = 3

    def show(self, file: Any = None) -> None:
        click.echo(f"ragmask: {self.message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragmask")
def cli() -> None:
    """ragmask: mask PII before it reaches a RAG vector store."""


def env_option(*names: str, envvar: str, **kwargs: Any) -> Decorator:
    return click.option(*names, envvar=envvar, show_envvar=True, **kwargs)


def _field(model: type[IngestSettings | EraseSettings], name: str) -> Decorator:
    return field_option(name, model.model_fields[name])


POLICY = _field(IngestSettings, "policy")


SPACY_MODEL = _field(IngestSettings, "spacy_model")


KEY_FILE = _field(IngestSettings, "key_file")


VAULT_KEY_FILE = _field(IngestSettings, "vault_key_file")


EMBEDDING_MODEL = _field(EraseSettings, "embedding_model")


DATA_DIR = field_option("data_dir", StoreSettings.model_fields["data_dir"])


JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")


# audit and scrub read a collection's layout: --format
FORMAT = {"payload_format": "--format"}


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that touches the stores: the stores' fields and the embedding model."""
    return settings_options(StoreSettings)(EMBEDDING_MODEL(command))


def optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Our errors (and the file system's) as one line, exit code 1."""
    try:
        yield
    except (RagmaskError, OSError) as error:
        raise CliError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, no traceback unless RAGMASK_DEBUG is set; owner-only files."""
    configure_logging()
    harden_process()
    # this process exits after its command: it may leave out what only other operations import
    run_one_operation()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ragmask", standalone_mode=True)
    except SystemExit as done:
        leave_at_once(done.code)
        raise
    except Exception as error:
        # unexpected: one line, the type only (a message could quote text)
        if os.environ.get("RAGMASK_DEBUG"):
            raise
        click.echo(f"ragmask: error: {_unexpected(error)}", err=True)
        sys.exit(1)


def _unexpected(error: Exception) -> str:
    """One line in words for what broke outside ragmask's own errors: a store's refusal in the database's
    own words (never the statement or its parameters), a file that cannot be decoded, else the type."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        reason = str(error.orig).splitlines()[0] if error.orig is not None else type(error).__name__
        return (
            f"the lineage store refused the operation ({reason}): is it read-only, full or corrupt? "
            "check its file or server and the data directory's permissions"
        )
    if isinstance(error, UnicodeDecodeError):
        return "a store file could not be decoded: it may be corrupt (restore it from a backup)"
    lost = _connection_lost(error)
    if lost is not None:
        return (
            f"cannot reach the Prefect API at {os.environ.get('PREFECT_API_URL') or '(PREFECT_API_URL unset)'} "
            f"({type(lost).__name__}): is the server running and PREFECT_API_URL right? Unset it to run here"
        )
    return f"unexpected {type(error).__name__}; set RAGMASK_DEBUG=1 for details"


def _connection_lost(error: BaseException) -> BaseException | None:
    """The transport error (refused, timed out, reset) under a failure to talk to the Prefect API, if any:
    Prefect raises its own RuntimeError from httpx's."""
    import httpx

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, httpx.TransportError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
