"""Command-line options generated from the settings models' fields: the option's name, type, default, help,
choices, bounds and RAGMASK_* variable all come from the one declaration of the setting.

Example::

    @cli.command("ingest")
    @settings_options(IngestSettings)
    def ingest_command(**options): settings = settings_from(IngestSettings, options)
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
import click
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from flows.settings.stores import DEFAULT_COLLECTION, DEFAULT_DATA_DIR, ENV_PREFIX, StoreSettings

Model = TypeVar("Model", bound=BaseModel)
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
# what the command line shows for a store field left empty (the models resolve it when the run starts)
STORE_DEFAULTS = {"collection": DEFAULT_COLLECTION, "data_dir": str(DEFAULT_DATA_DIR)}
# the command line's --policy takes a preset or a file: the policy_file field has no option of its own
FOLDED = {"policy_file"}


def option_name(field: str, names: Mapping[str, str]) -> str:
    return names.get(field, "--" + field.replace("_", "-"))


def _bounds(info: FieldInfo) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["min"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            bounds |= {"min": item.gt, "min_open": True}
        elif isinstance(item, annotated_types.Le):
            bounds["max"] = item.le
    return bounds


def _optional_of(annotation: Any) -> Any:
    """``X`` for ``X | None``, else the annotation as it is."""
    if isinstance(annotation, types.UnionType) or get_origin(annotation) is Union:
        members = [member for member in get_args(annotation) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _click_type(field: str, info: FieldInfo) -> Any:
    annotation = _optional_of(info.annotation)
    if get_origin(annotation) is Literal:
        # --policy: a preset name, or a policy file
        return None if field == "policy" else click.Choice([str(choice) for choice in get_args(annotation)])
    if annotation is int:
        return click.IntRange(**_bounds(info))
    if annotation is float:
        return click.FloatRange(**_bounds(info))
    return None


def field_option(field: str, info: FieldInfo, names: Mapping[str, str] = {}) -> Decorator:
    """One field as one option: ``--field-name`` (or its name in ``names``), from RAGMASK_FIELD_NAME too."""
    kwargs: dict[str, Any] = {
        "envvar": ENV_PREFIX + field.upper(),
        "show_envvar": True,
        "help": info.description,
    }
    if info.annotation is bool:
        kwargs |= {"is_flag": True, "default": False}
    elif get_origin(info.annotation) is tuple:
        # a repeatable option
        kwargs |= {"multiple": True, "default": ()}
    elif info.is_required():
        kwargs |= {"required": True, "type": _click_type(field, info)}
    else:
        default = info.get_default(call_default_factory=True)
        kwargs |= {"type": _click_type(field, info), "default": default}
        if field in STORE_DEFAULTS:
            kwargs |= {"show_default": STORE_DEFAULTS[field]}
        elif default not in ("", None):
            kwargs |= {"show_default": True}
    return click.option(option_name(field, names), field, **kwargs)


def _fields(model: type[BaseModel], skip: Sequence[str]) -> Iterator[tuple[str, FieldInfo]]:
    for field, info in model.model_fields.items():
        if field in skip or field in FOLDED:
            continue
        if _is_model(info.annotation, StoreSettings):
            # the stores' fields are options of their own, as on every command that touches the stores
            yield from (
                (name, store) for name, store in StoreSettings.model_fields.items() if name not in skip
            )
        else:
            yield field, info


def _is_model(annotation: Any, model: type[BaseModel]) -> bool:
    if isinstance(annotation, types.UnionType) or get_origin(annotation) is Union:
        return any(_is_model(member, model) for member in get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, model)


def settings_options(
    model: type[BaseModel], *, skip: Sequence[str] = (), names: Mapping[str, str] = {}
) -> Decorator:
    """Every field of ``model`` (the stores' fields included) as an option of the decorated command."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for field, info in reversed(list(_fields(model, skip))):
            command = field_option(field, info, names)(command)
        return command

    return decorate


def settings_from(
    model: type[Model], options: Mapping[str, Any], names: Mapping[str, str] = {}, **fixed: Any
) -> Model:
    """The settings object the options describe (unknown keys, such as --json's, left out); a value the
    model refuses is a usage error that names the option."""
    store_fields = StoreSettings.model_fields
    values: dict[str, Any] = {name: options[name] for name in model.model_fields if name in options}
    if "stores" in model.model_fields:
        values["stores"] = {name: options[name] for name in store_fields if name in options}
    try:
        return model.model_validate(values | fixed)
    except ValidationError as error:
        problem = error.errors()[0]
        where = [str(part) for part in problem["loc"] if part != "stores"]
        field = where[-1] if where else ""
        named = option_name(field, names) if field else model.__name__
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "string_pattern_mismatch":
            # the regex says nothing to a reader: the setting's description does
            info = (StoreSettings.model_fields | model.model_fields).get(field)
            message = (
                f"{problem['input']!r} is not of the expected form ({info.description if info else field})"
            )
        raise click.BadParameter(message, param_hint=named) from None
