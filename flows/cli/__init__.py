"""The ``ragmask`` command line, one module per family of commands; importing this package registers them
all on the ``cli`` group (``main`` is the console entry point)."""

from flows.cli import (
    audit_and_scrub_commands,
    erase_commands,
    ingest_commands,
    mask_commands,
    read_commands,
    serve_command,
)
from flows.cli.app import cli, main
from flows.cli.ingest_commands import as_flow_run

__all__ = [
    "as_flow_run",
    "audit_and_scrub_commands",
    "cli",
    "erase_commands",
    "ingest_commands",
    "main",
    "mask_commands",
    "read_commands",
    "serve_command",
]
