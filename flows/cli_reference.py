"""docs/cli.md, written from the CLI's own commands and options, so the reference cannot drift from them.

``python -m flows.cli_reference > docs/cli.md`` (``make docs``) writes it; tests/test_docs.py fails when
the file differs from what the CLI says.
"""

from __future__ import annotations

import click

from flows.cli import cli

HEADER = """# CLI reference

Written by `make docs` from the commands themselves (`flows/cli_reference.py`); do not edit by hand.
Every option with a variable can also be set in the environment. `--json` prints exactly one object on
stdout; progress and errors go to stderr. Exit codes: 0 ok, 1 failure, 2 usage error, 3 done but some
documents failed or were quarantined.
"""


def _kind(parameter: click.Parameter) -> str:
    """What an option takes, as its help would say it: choices, a range, a flag, or the value's type."""
    kind = parameter.type
    if isinstance(parameter, click.Option) and parameter.is_flag:
        return "flag"
    if isinstance(kind, click.Choice):
        return _cell(" | ".join(str(choice) for choice in kind.choices))
    if isinstance(kind, click.IntRange | click.FloatRange):
        return _cell(_bounds(kind))
    return _cell(parameter.make_metavar(click.Context(cli)).strip("[]. ") or kind.name.upper())


def _bounds(kind: click.IntRange | click.FloatRange) -> str:
    """A range in words: ``integer, 0 to 256``, ``number, > 0``."""
    name = "integer" if isinstance(kind, click.IntRange) else "number"
    if kind.min is not None and kind.max is not None:
        return f"{name}, {kind.min} to {kind.max}"
    if kind.min is not None:
        return f"{name}, {'>' if kind.min_open else '>='} {kind.min}"
    if kind.max is not None:
        return f"{name}, {'<' if kind.max_open else '<='} {kind.max}"
    return name


def _default(parameter: click.Option) -> str:
    default = parameter.default
    # click marks an option without a default by a sentinel object
    if parameter.is_flag or default in (None, (), "") or type(default).__name__ == "Sentinel":
        return ""
    return f"`{default}`"


def _cell(text: str | None) -> str:
    """One table cell: one line, its pipes and angle brackets escaped."""
    words = " ".join((text or "").split())
    return words.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _command(name: str, command: click.Command, prefix: str = "ragmask") -> list[str]:
    lines: list[str] = []
    if isinstance(command, click.Group):
        if command.invoke_without_command:
            lines += _section(name, command, prefix)
        for sub_name, sub in sorted(command.commands.items()):
            lines += _command(sub_name, sub, f"{prefix} {name}")
        return lines
    return _section(name, command, prefix)


def _section(name: str, command: click.Command, prefix: str) -> list[str]:
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    usage = " ".join([prefix, name, *(f"{p.human_readable_name}..." for p in arguments), "[OPTIONS]"])
    lines = [f"## `{prefix} {name}`", "", f"`{usage}`", "", _cell(command.help), ""]
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    if options:
        lines += ["| option | takes | default | variable | what |", "| --- | --- | --- | --- | --- |"]
        for option in options:
            names = ", ".join(f"`{flag}`" for flag in option.opts + option.secondary_opts)
            required = " (required)" if option.required else ""
            variable = f"`{option.envvar}`" if isinstance(option.envvar, str) else ""
            lines.append(
                f"| {names}{required} | {_kind(option)} | {_default(option)} | {variable} | {_cell(option.help)} |"
            )
        lines.append("")
    return lines


def cli_reference() -> str:
    """The whole reference as Markdown: one section per command, one table row per option."""
    assert isinstance(cli, click.Group)
    lines = [HEADER]
    for name, command in sorted(cli.commands.items()):
        lines += _command(name, command)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    click.echo(cli_reference(), nl=False)
