"""The README and docs/ say what the code does: the CLI reference is the CLI's own, every command and
option they show exists, every relative link leads to a file, and the README stays short."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from flows.cli import cli
from flows.cli_reference import cli_reference

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MOST_LINES = 250
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INLINE = re.compile(r"`(ragmask [^`]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _command_lines(text: str) -> list[str]:
    """Each ``ragmask ...`` command a page shows, in a code block (continuation lines joined) or inline."""
    commands: list[str] = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            # each command of a pipeline on its own
            for part in line.split("  #", 1)[0].split(" | "):
                code = re.sub(r"^(\S*/)?ragmask\b", "ragmask", part.strip())
                if code.startswith("ragmask "):
                    commands.append(code)
    commands += INLINE.findall(text)
    return commands


def _resolve(words: list[str]) -> tuple[click.Command, list[str]] | None:
    """The click command a command line names, and the words after its name; None if there is none."""
    command: click.Command = cli
    rest = words[1:]
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    return (command, rest) if command is not cli else None


def test_the_cli_reference_is_what_the_cli_says() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == cli_reference(), "docs/cli.md is stale: run `make docs`"


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MOST_LINES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_and_option_a_page_shows_exists(page: Path) -> None:
    shown = _command_lines(page.read_text(encoding="utf-8"))
    unknown: list[str] = []
    for line in shown:
        try:
            words = shlex.split(line.replace("...", " "))
        except ValueError:
            words = line.split()
        resolved = _resolve(words)
        if resolved is None:
            unknown.append(line)
            continue
        command, rest = resolved
        options = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
        if isinstance(command, click.Group):
            options |= {"--help"}
        for word in rest:
            option = re.sub(r"[\[\]|]", " ", word).split()
            unknown += [
                f"{line}: {o}" for o in option if o.startswith("--") and o.split("=")[0] not in options
            ]
    assert not unknown, unknown


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+://|mailto:", t)]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, missing


def test_the_pages_show_the_commands_a_newcomer_needs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = {" ".join(line.split()[:2]) for line in _command_lines(readme)}
    assert {"ragmask ingest", "ragmask reindex", "ragmask scrub", "ragmask audit", "ragmask serve"} <= shown
    assert "make demo" in readme and "make test" in readme
