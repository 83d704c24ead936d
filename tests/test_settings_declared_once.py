"""Every setting is declared once, as a field of its operation's settings model: the command line's options
are generated from those fields (name, type, default, help, choices, bounds, RAGMASK_* variable), and a
value the model refuses is a usage error naming the option."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

import flows.settings as settings_package
from flows.cli import cli
from flows.settings import (
    AuditSettings,
    CompactSettings,
    EraseSettings,
    ExpireSettings,
    IngestSettings,
    ReceiptsSettings,
    ReindexSettings,
    ScrubSettings,
    ServeSettings,
    StoreSettings,
)
from flows.settings.cli_options import FOLDED, STORE_DEFAULTS, settings_from

# command -> (its settings model, fields the command sets itself, option names that differ)
COMMANDS: dict[str, tuple[type[BaseModel], set[str], dict[str, str]]] = {
    "ingest": (IngestSettings, set(), {}),
    "reindex": (ReindexSettings, set(), {}),
    "erase": (EraseSettings, set(), {}),
    "compact": (CompactSettings, set(), {}),
    "expire": (ExpireSettings, set(), {}),
    "audit": (AuditSettings, {"fail_on_findings"}, {"payload_format": "--format"}),
    # the target is scrub's collection
    "scrub": (ScrubSettings, {"collection"}, {"payload_format": "--format"}),
    "receipts verify": (ReceiptsSettings, set(), {}),
    "serve": (ServeSettings, set(), {"sources": "--source", "serve_limit": "--limit"}),
}


def options_of(command: str) -> dict[str, click.Option]:
    group, _, name = command.partition(" ")
    found = cli.commands[group]
    if name:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return {p.name: p for p in found.params if isinstance(p, click.Option) and p.name}


def fields_of(model: type[BaseModel], skipped: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "stores":
            fields |= {
                store: info for store, info in StoreSettings.model_fields.items() if store not in skipped
            }
        elif name not in skipped and name not in FOLDED:
            fields[name] = info
    return fields


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_field_is_an_option_generated_from_its_declaration(command: str) -> None:
    model, skipped, names = COMMANDS[command]
    options = options_of(command)
    for field, info in fields_of(model, skipped).items():
        option = options[field]
        assert option.opts == [names.get(field, "--" + field.replace("_", "-"))], field
        assert option.envvar == "RAGMASK_" + field.upper() and option.help == info.description, field
        if info.annotation is bool:
            assert option.is_flag, field
        elif info.is_required():
            assert option.required, field
        else:
            assert option.default == info.default, field
        if field in STORE_DEFAULTS:
            # shown as the value an empty field resolves to
            assert option.show_default == STORE_DEFAULTS[field]
        bounds = {type(m).__name__: m for m in info.metadata}
        if "Ge" in bounds or "Le" in bounds or "Gt" in bounds:
            assert isinstance(option.type, click.IntRange | click.FloatRange), field
            assert option.type.min in {getattr(bounds.get(k), k.lower(), None) for k in ("Ge", "Gt")}
            assert option.type.max == getattr(bounds.get("Le"), "le", None)
        choices = getattr(info.annotation, "__args__", None)
        if field != "policy" and choices and all(isinstance(c, str) for c in choices):
            assert isinstance(option.type, click.Choice) and list(option.type.choices) == list(choices)
    # and nothing the models do not declare, but the command's own arguments
    extra = set(options) - set(fields_of(model, skipped)) - skipped
    assert extra <= {
        "as_json",
        "embedding_model",
        "emails",
        "phones",
        "names",
        "ids",
        "documents",
        "mode",
        "purge",
        # what erase does with the request: queue it, or carry out the queued ones
        "queue",
        "pending",
    }


def test_the_settings_are_models_not_dataclasses() -> None:
    for _name, value in inspect.getmembers(settings_package, inspect.isclass):
        assert issubclass(value, BaseModel) and not dataclasses.is_dataclass(value), value


def test_the_command_line_builds_the_settings_a_python_caller_would(tmp_path: Path) -> None:
    options = {"data_dir": str(tmp_path), "collection": "docs", "policy": "strict", "chunk_tokens": 64}
    built = settings_from(IngestSettings, options)
    assert built == IngestSettings(
        stores=StoreSettings(data_dir=tmp_path, collection="docs"), policy="strict", chunk_tokens=64
    )
    # a policy file goes where the form keeps it, absolute
    with_file = settings_from(IngestSettings, {"policy": "team.yaml"})
    assert (with_file.policy, with_file.policy_file) == ("default", str(Path("team.yaml").resolve()))


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["ingest", "x", "--chunk-tokens", "5"], "--chunk-tokens"),
        (["ingest", "x", "--collection", "no spaces"], "--collection"),
        (
            ["scrub", "--source-collection", "a", "--target-collection", "b", "--max-quarantined", "a lot"],
            None,
        ),
        (["expire", "--retention-days", "0"], "--retention-days"),
    ],
)
def test_a_value_the_model_refuses_is_a_usage_error_naming_the_option(
    arguments: list[str], named: str | None, tmp_path: Path
) -> None:
    done = CliRunner().invoke(cli, [*arguments, "--data-dir", str(tmp_path)])
    assert done.exit_code == 2, done.output
    assert (named or "--max-quarantined") in done.output and "^" not in done.output
    # refused before anything was written
    assert list(tmp_path.iterdir()) == []
