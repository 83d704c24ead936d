"""How an operation's settings read in a Prefect form: the essentials first, everything else (store
overrides, models, performance knobs, bounds) in one "Advanced" group.

The model stays flat: the command line's options, the code and ``--json`` see one level. Only the form's
JSON schema is grouped: the fields a model names in ``FORM_ESSENTIALS`` stay at the top, the collection
is lifted out of the stores to the top (for the operations that write one collection; scrub's own fields
name its collections, so its form has none), and the rest, the stores' other fields included, go under
``advanced``. ``flat_form_values`` takes the form's shape
back to the model's (both shapes validate), and ``form_values`` gives a settings object in the form's
shape, as a deployment's defaults must be.

Example::

    IngestSettings.model_json_schema()["properties"]  # {"collection", "policy", "advanced"}
    IngestSettings.model_validate({"collection": "hr", "advanced": {"batch_documents": 64}})
"""

from __future__ import annotations

from typing import Any

from flows.settings.stores import StoreSettings

ADVANCED = "advanced"
ADVANCED_TITLE = "Advanced"
ADVANCED_DESCRIPTION = (
    "Store overrides, models, performance knobs and bounds: the defaults suit most runs, and empty store "
    "fields come from the worker's RAGMASK_* variables."
)


def grouped_schema(schema: dict[str, Any], essentials: tuple[str, ...], lift_collection: bool) -> None:
    """Regroup a settings model's object schema in place: essentials (and the collection) on top, the
    rest under an "Advanced" object."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    top: dict[str, Any] = {}
    if lift_collection:
        top["collection"] = StoreSettings.model_json_schema()["properties"]["collection"]
    top |= {name: properties[name] for name in essentials if name in properties}
    # the stores last: overrides most runs leave empty
    advanced = {name: value for name, value in properties.items() if name not in top and name != "stores"}
    # the collection is on top, or (scrub) the operation's own fields name its collections
    if "stores" in properties:
        advanced["stores"] = _stores_without_collection()
    schema["properties"] = top | {
        ADVANCED: {
            "type": "object",
            "title": ADVANCED_TITLE,
            "description": ADVANCED_DESCRIPTION,
            "properties": advanced,
            "additionalProperties": False,
            **({"required": sorted(required & set(advanced))} if required & set(advanced) else {}),
        }
    }
    on_top = sorted(required & set(top))
    if on_top:
        schema["required"] = on_top
    else:
        schema.pop("required", None)


def _stores_without_collection() -> dict[str, Any]:
    """The stores' fields as one inline object, the collection (lifted to the top) left out."""
    schema = StoreSettings.model_json_schema()
    properties = {name: value for name, value in schema["properties"].items() if name != "collection"}
    return {
        "type": "object",
        "title": "Stores",
        "description": schema.get("description", ""),
        "properties": properties,
        "additionalProperties": False,
    }


def flat_form_values(data: dict[str, Any]) -> dict[str, Any]:
    """A form's values (``advanced`` nested, the collection on top) as the model's flat fields; values
    already flat are returned as they are."""
    if ADVANCED not in data and "collection" not in data:
        return data
    flat = {name: value for name, value in data.items() if name not in (ADVANCED, "collection")}
    advanced = data.get(ADVANCED) or {}
    flat |= advanced if isinstance(advanced, dict) else {}
    if "collection" in data:
        stores = flat.get("stores") or {}
        if isinstance(stores, StoreSettings):
            stores = stores.model_dump()
        flat["stores"] = dict(stores) | {"collection": data["collection"]}
    return flat


def form_values(values: dict[str, Any], essentials: tuple[str, ...], lift_collection: bool) -> dict[str, Any]:
    """A settings object's JSON values in the form's shape (a deployment's default parameters)."""
    stores = dict(values.get("stores") or {})
    collection = stores.pop("collection", "")
    top: dict[str, Any] = {"collection": collection} if lift_collection else {}
    top |= {name: values[name] for name in essentials if name in values}
    advanced = {name: value for name, value in values.items() if name not in top and name != "stores"}
    if "stores" in values:
        advanced["stores"] = stores
    return top | {ADVANCED: advanced}
