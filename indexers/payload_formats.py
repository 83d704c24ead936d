"""Payload formats of the RAG frameworks' Qdrant integrations, as data: where the chunk text is, what names
the document, which values are ids or raw-content hashes, which strings are structure, what to drop.

Measured by writing through each framework's own API (tests/test_scrub.py builds its sources that way):
- langchain (langchain-qdrant): ``page_content`` + nested ``metadata``; random uuid4 point ids.
- llamaindex (llama-index-vector-stores-qdrant): the node as JSON in ``_node_content`` (its ``text``,
  metadata copies, relationships with SHA-256 ``hash`` of raw text), metadata also at the top level;
  the point id is the node id.
- haystack (qdrant-haystack): ``content`` + ``meta``; ``id``, ``meta.source_id`` and ``_split_overlap``'s
  ``doc_id`` are hashes of raw content, the point id is uuid5 of ``id``; ``blob`` holds raw bytes.
- raw: any keys; the text field and the document key are given (``--text-field``, ``--doc-key``).

Paths are dotted, ``#json`` opens a string holding JSON, ``[]`` a list's items, ``*`` any key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from masking.errors import MaskingError

HAYSTACK_NAMESPACE = uuid.UUID("3896d314-1e95-4a3a-b45a-945f9f0b541d")  # qdrant-haystack's convert_id
TEXT_FIELDS = ("text", "content", "chunk_text", "page_content", "chunk", "body")


class PayloadFormatError(MaskingError):
    """A collection's payloads cannot be read in the format asked for; one line, no values."""


@dataclass(frozen=True)
class PayloadFormat:
    name: str
    text_path: str  # the chunk text: what is embedded
    doc_keys: tuple[str, ...] = ()  # paths tried in order for the document a point belongs to
    ids: tuple[str, ...] = ()  # ids (a hash of raw content in some formats): re-keyed, consistently
    hashes: tuple[str, ...] = ()  # raw-content hashes: re-keyed
    structure: tuple[str, ...] = ()  # strings that are structure, not content: kept as they are
    dropped: tuple[str, ...] = ()  # set to None (raw bytes)
    point_id_from: str | None = None  # the point id is derived from this (re-keyed) payload id

    def matches(self, payload: dict[str, Any]) -> bool:
        return value_at(payload, self.text_path) is not None

    def point_id(self, payload: dict[str, Any], rekeyed_point_id: str) -> str:
        if self.point_id_from == "haystack":
            return str(uuid.uuid5(HAYSTACK_NAMESPACE, str(payload["id"])))
        return rekeyed_point_id


LLAMA_NODE = "_node_content#json"
FORMATS: dict[str, PayloadFormat] = {
    "langchain": PayloadFormat(
        "langchain", "page_content", doc_keys=("metadata.source", "metadata.file_path", "metadata.doc_id"),
    ),
    "llamaindex": PayloadFormat(
        "llamaindex", f"{LLAMA_NODE}.text", doc_keys=("file_path", "ref_doc_id", "doc_id", "document_id"),
        ids=(f"{LLAMA_NODE}.id_", f"{LLAMA_NODE}.relationships.*.node_id", "ref_doc_id", "doc_id", "document_id"),
        hashes=(f"{LLAMA_NODE}.relationships.*.hash",),
        structure=("_node_type", f"{LLAMA_NODE}.class_name", f"{LLAMA_NODE}.mimetype",
                   f"{LLAMA_NODE}.metadata_template", f"{LLAMA_NODE}.metadata_separator",
                   f"{LLAMA_NODE}.text_template", f"{LLAMA_NODE}.relationships.*.node_type",
                   f"{LLAMA_NODE}.relationships.*.class_name", f"{LLAMA_NODE}.excluded_*"),
    ),
    "llamaindex-legacy": PayloadFormat(
        "llamaindex-legacy", "text", doc_keys=("file_path", "ref_doc_id", "doc_id", "document_id"),
        ids=("ref_doc_id", "doc_id", "document_id"), structure=("_node_type",),
    ),
    "haystack": PayloadFormat(
        "haystack", "content", doc_keys=("meta.file_path", "meta.source_id", "id"),
        ids=("id", "meta.source_id", "meta._split_overlap[].doc_id"), dropped=("blob", "sparse_embedding"),
        point_id_from="haystack",
    ),
}  # fmt: skip
DETECTION_ORDER = ("llamaindex", "haystack", "langchain", "llamaindex-legacy")
CHOICES = ("auto", "langchain", "llamaindex", "haystack", "raw")  # what --format takes


def raw_format(text_field: str | None, doc_key: str | None, sample: dict[str, Any]) -> PayloadFormat:
    """A hand-rolled payload: the text field given, or the one common name the sample holds."""
    field = text_field or next((name for name in TEXT_FIELDS if isinstance(sample.get(name), str)), None)
    if field is None:
        raise PayloadFormatError(f"no text field found (tried {', '.join(TEXT_FIELDS)}); give --text-field")
    return PayloadFormat("raw", field, doc_keys=(doc_key,) if doc_key else ())


def detect_format(sample: dict[str, Any]) -> str:
    for name in DETECTION_ORDER:
        if FORMATS[name].matches(sample):
            return name
    raise PayloadFormatError("unknown payload format (no page_content, _node_content, content or text): "
                             "give --format raw --text-field F")  # fmt: skip


def value_at(payload: Any, path: str) -> Any:
    """The value at a dotted path (``#json`` opens a JSON string); None where the path is missing."""
    value = payload
    for part in path.split("."):
        key, opens_json = part.removesuffix("#json"), part.endswith("#json")
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
        if opens_json:
            try:
                value = json.loads(value) if isinstance(value, str) else None
            except ValueError:
                return None
    return value


def leaves(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string of a payload, JSON held in strings opened (``#json``)."""
    if isinstance(payload, dict):
        for key, item in payload.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(payload, list):
        for item in payload:
            yield from leaves(item, f"{path}[]")
    elif isinstance(payload, str):
        parsed = _json_container(payload)
        if parsed is not None:
            yield from leaves(parsed, f"{path}#json")
        else:
            yield path, payload


def rewrite(payload: Any, change: Callable[[str, str], str], path: str = "") -> Any:
    """A copy of ``payload`` with every string leaf replaced by ``change(path, value)``, called in the
    order of ``leaves``; JSON strings are opened, rewritten and serialised again."""
    if isinstance(payload, dict):
        return {
            key: rewrite(item, change, f"{path}.{key}" if path else str(key)) for key, item in payload.items()
        }
    if isinstance(payload, list):
        return [rewrite(item, change, f"{path}[]") for item in payload]
    if isinstance(payload, str):
        parsed = _json_container(payload)
        if parsed is not None:
            return json.dumps(rewrite(parsed, change, f"{path}#json"))
        return change(path, payload)
    return payload


def _json_container(value: str) -> dict[str, Any] | list[Any] | None:
    if value[:1] not in "{[":
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def path_matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in patterns)
