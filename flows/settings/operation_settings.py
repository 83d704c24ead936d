"""One settings type per operation, the only declaration of every setting: the CLI's options are generated
from these fields (flows/settings/cli_options.py), the Prefect forms are these models, and the operation
bodies run with them. So the command line, a form and a Python caller cannot drift apart.

Prefect stores parameters verbatim, so nothing here is a secret or a document's content (see
flows/settings/stores.py for the store fields). Example::

    settings = IngestSettings(stores=StoreSettings(collection="hr"), policy="strict")
    run_ingest([Path("/sources/hr")], settings)                  # here
    ingest_flow(paths=["/sources/hr"], settings=settings)        # through Prefect: the same settings
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from flows.settings.fields import (
    PRESET_NAMES,
    Stores,
)
from flows.settings.form_groups import flat_form_values, form_values, grouped_schema
from flows.settings.stores import StoreSettings
from flows.settings.values import absolute_path

# fields that hold a path on the worker: made absolute where they are given
POLICY_FILE_SUFFIXES = (".yaml", ".yml", ".toml")
PATH_FIELDS = ("key_file", "vault_key_file", "policy_file", "public_key", "receipt_log")


def _is_policy_file(policy: str) -> bool:
    """A policy given where a preset goes names a file by its folder or its format; any other word is a
    preset name, refused unless it is one."""
    return policy not in PRESET_NAMES and ("/" in policy or Path(policy).suffix in POLICY_FILE_SUFFIXES)


class OperationSettings(BaseModel):
    """The base of every operation's settings: frozen, no unknown fields (a typo is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # what a Prefect form shows first; the rest goes under "Advanced" (flows/settings/form_groups.py)
    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = ()
    # the form shows the stores' collection on top
    FORM_COLLECTION: ClassVar[bool] = True

    stores: Stores = StoreSettings()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The form's schema: essentials on top, the rest in an "Advanced" group."""
        schema = handler(core_schema)
        grouped_schema(handler.resolve_ref_schema(schema), cls.FORM_ESSENTIALS, cls.FORM_COLLECTION)
        return schema

    def form_values(self) -> dict[str, Any]:
        """These settings in the form's shape: a deployment's default parameters."""
        return form_values(self.model_dump(mode="json"), self.FORM_ESSENTIALS, self.FORM_COLLECTION)

    @classmethod
    def form_defaults(cls, **given: Any) -> dict[str, Any]:
        """The form's defaults where a required field has none yet (the retention, scrub's collections):
        every field's default, ``given`` over them, in the form's shape."""
        values = {
            name: info.get_default(call_default_factory=True)
            for name, info in cls.model_fields.items()
            if not info.is_required()
        }
        dumped = {
            name: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            for name, value in (values | given).items()
        }
        return form_values(dumped, cls.FORM_ESSENTIALS, cls.FORM_COLLECTION)

    @model_validator(mode="before")
    @classmethod
    def _given(cls, data: Any) -> Any:
        """What Python callers and the command line give: None for empty, paths as Path, and a policy file
        where a preset name goes (``--policy strict`` or ``--policy ./policy.yaml``)."""
        if not isinstance(data, dict):
            return data
        # a form's values: "advanced" nested, the collection on top
        data = flat_form_values(data)
        given = {name: "" if value is None else value for name, value in data.items()}
        given = {name: str(value) if isinstance(value, Path) else value for name, value in given.items()}
        policy = given.get("policy")
        if "policy_file" in cls.model_fields and isinstance(policy, str) and _is_policy_file(policy):
            given["policy"], given["policy_file"] = "default", policy
        if given.get("policy") == "":
            given["policy"] = "default"
        return given

    @field_validator(*PATH_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _absolute(cls, value: str) -> str:
        return absolute_path(value)

    def resolved(self) -> Self:
        """These settings with the stores a run uses (RAGMASK_* variables for the empty store fields)."""
        return self.model_copy(update={"stores": self.stores.resolved()})

    def changed(self, **updates: Any) -> Self:
        """A copy with some fields changed, validated as given."""
        return type(self).model_validate(
            {name: getattr(self, name) for name in type(self).model_fields} | updates
        )

    def effective(self) -> dict[str, Any]:
        """What a run really uses, as JSON (store fields resolved, passwords redacted): the same on both
        paths, printed as ``settings`` in the command's ``--json``."""
        return self.model_dump(mode="json") | {"stores": self.stores.effective()}

    def for_flow_run(self) -> Self:
        """These settings as Prefect may store them (see ``StoreSettings.for_flow_run``): the CLI calls it
        before it starts a flow run, and every flow again on what it was given."""
        return self.model_copy(update={"stores": self.stores.for_flow_run()})

    @property
    def key_path(self) -> Path | None:
        key_file = getattr(self, "key_file", "")
        return Path(key_file) if key_file else None

    @property
    def policy_spec(self) -> str:
        """The policy to load: the file where one is given, else the preset."""
        return getattr(self, "policy_file", "") or getattr(self, "policy", "default")
