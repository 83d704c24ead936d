"""Where a run reads and writes: the collection, Qdrant (a server URL or a local folder) and the lineage store.

A field left empty is the worker's ``RAGMASK_<FIELD>`` variable (resolved by pydantic-settings when the run
starts), else its default. Prefect stores a flow's parameters verbatim, so a URL with a password is refused
unless it is the worker's own variable, and the Qdrant API key is never part of what crosses.

Example::

    stores = StoreSettings(collection="hr").resolved()
    VectorStore(stores.qdrant, stores.collection)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.settings.source_roots import stores_locked
from flows.settings.values import absolute_path, holds_password, redacted_url
from indexers.files import private_directory
from indexers.qdrant_store import QdrantLocation
from masking.errors import SettingsError

DEFAULT_DATA_DIR = Path(".ragmask")
DEFAULT_COLLECTION = "ragmask"
# empty: from the environment
COLLECTION_NAME = r"^([A-Za-z0-9][A-Za-z0-9_.-]*)?$"
SECRET_URLS = ("qdrant_url", "lineage_url")
LOCAL_PATHS = ("data_dir", "qdrant_path")
ENV_PREFIX = "RAGMASK_"


class StoreSettings(BaseModel):
    """Where a run reads and writes. Every field left empty comes from the worker's RAGMASK_* variable,
    else its default; server URLs with passwords belong there, never here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    collection: Annotated[
        str,
        Field(
            title="Collection",
            max_length=200,
            pattern=COLLECTION_NAME,
            description=f"Qdrant collection (its logical name). Empty: RAGMASK_COLLECTION, else {DEFAULT_COLLECTION!r}.",
        ),
    ] = ""
    data_dir: Annotated[
        str,
        Field(
            title="Data directory",
            description="Where keys, the local lineage store and local Qdrant live. Empty: RAGMASK_DATA_DIR, "
            f"else {str(DEFAULT_DATA_DIR)!r} in the worker's directory.",
        ),
    ] = ""
    qdrant_url: Annotated[
        str,
        Field(
            title="Qdrant URL",
            description="Qdrant server URL, without credentials. Empty: RAGMASK_QDRANT_URL, else local mode.",
        ),
    ] = ""
    qdrant_path: Annotated[
        str,
        Field(
            title="Qdrant local folder",
            description="Local-mode folder. Empty: RAGMASK_QDRANT_PATH, else qdrant/ in the data directory.",
        ),
    ] = ""
    lineage_url: Annotated[
        str,
        Field(
            title="Lineage store URL",
            description="SQLAlchemy URL without a password. Empty: RAGMASK_LINEAGE_URL, else SQLite in the "
            "data directory.",
        ),
    ] = ""
    # never in a form nor in what Prefect stores: given on the command line or by the worker's variable
    qdrant_api_key: Annotated[
        SkipJsonSchema[str],
        Field(exclude=True, repr=False, description="Qdrant server API key (RAGMASK_QDRANT_API_KEY)."),
    ] = ""

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else str(value) if isinstance(value, Path) else value

    @field_validator(*LOCAL_PATHS)
    @classmethod
    def _absolute(cls, value: str) -> str:
        # a relative path would be read from the worker's directory
        return absolute_path(value)

    def resolved(self) -> StoreSettings:
        """The stores a run uses: these fields, the empty ones from RAGMASK_* variables, else defaults."""
        environment = StoreEnvironment()
        values = {name: getattr(self, name) or getattr(environment, name) for name in type(self).model_fields}
        values["collection"] = values["collection"] or DEFAULT_COLLECTION
        values["data_dir"] = values["data_dir"] or DEFAULT_DATA_DIR
        return StoreSettings(**values)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir or self.resolved().data_dir)

    @property
    def qdrant(self) -> QdrantLocation:
        stores = self.resolved()
        if stores.qdrant_url:
            return QdrantLocation(url=stores.qdrant_url, api_key=stores.qdrant_api_key or None)
        return QdrantLocation(
            path=Path(stores.qdrant_path) if stores.qdrant_path else stores.data_path / "qdrant"
        )

    @property
    def lineage(self) -> str:
        """The lineage store's URL, its data directory made ready to write (indexers/files.py)."""
        stores = self.resolved()
        if stores.lineage_url:
            return stores.lineage_url
        private_directory(stores.data_path)
        return stores.lineage_location

    @property
    def lineage_location(self) -> str:
        """The lineage store's URL, touching nothing: for reads that must not create a store."""
        stores = self.resolved()
        return stores.lineage_url or f"sqlite:///{(stores.data_path / 'lineage.db').resolve()}"

    def effective(self) -> dict[str, Any]:
        """What a run uses, as it may be shown: resolved, passwords redacted."""
        stores = self.resolved()
        return {
            "collection": stores.collection,
            "data_dir": stores.data_dir,
            "qdrant_url": redacted_url(stores.qdrant_url or None),
            "qdrant_path": stores.qdrant_path or None,
            "lineage_url": redacted_url(stores.lineage_url or None),
        }

    def for_flow_run(self) -> StoreSettings:
        """These settings as Prefect may store them: a URL with a password is left out when it is the
        worker's own RAGMASK_* variable (the run reads it there) and refused otherwise; so is an API key
        given other than by RAGMASK_QDRANT_API_KEY."""
        if self.qdrant_api_key and self.qdrant_api_key != os.environ.get("RAGMASK_QDRANT_API_KEY"):
            raise SettingsError(
                "--qdrant-api-key cannot go to a flow run (Prefect stores parameters verbatim): "
                "set RAGMASK_QDRANT_API_KEY in the environment instead"
            )
        if stores_locked():
            self._check_unchanged()
        cleared: dict[str, str] = {"qdrant_api_key": ""}
        for name in SECRET_URLS:
            url = getattr(self, name)
            if url and holds_password(url):
                variable = f"{ENV_PREFIX}{name.upper()}"
                if os.environ.get(variable) != url:
                    raise SettingsError(
                        f"--{name.replace('_', '-')} holds a password, and Prefect stores flow "
                        f"parameters verbatim: set {variable} in the environment instead"
                    )
                cleared[name] = ""
        return self.model_copy(update=cleared)

    def _check_unchanged(self) -> None:
        """Under ``ragmask serve`` (flows/settings/source_roots.py): a store field is empty or the one serve uses."""
        for name in ("data_dir", "qdrant_path", "qdrant_url", "lineage_url"):
            value, served = getattr(self, name), os.environ.get(f"{ENV_PREFIX}{name.upper()}", "")
            if name in LOCAL_PATHS:
                served = absolute_path(served)
            if value and value != served:
                raise SettingsError(
                    f"{name} {getattr(self, name)!r} cannot be set from a form: this deployment "
                    "uses the stores `ragmask serve` was started with (serve "
                    "--allow-form-stores lets a form choose them)"
                )


class _Environment(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")


# the store fields as RAGMASK_* variables: derived from StoreSettings, not declared again
StoreEnvironment = create_model(
    "StoreEnvironment",
    __base__=_Environment,
    **{name: (str, "") for name in StoreSettings.model_fields},  # type: ignore[call-overload]
)
