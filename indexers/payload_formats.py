"""Payload formats of the RAG frameworks' Qdrant integrations, as data: where the chunk text is, what names
the document, which values are ids or raw-content hashes, which strings are structure, what to drop; and,
for the three frameworks, how ragmask lays out a chunk it writes (``compose``), so ``ragmask ingest
--payload-format`` serves each framework's own readers and scrub keeps a source's format.

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
import math
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, get_args

from indexers.errors import StoreError

# qdrant-haystack's convert_id
HAYSTACK_NAMESPACE = uuid.UUID("3896d314-1e95-4a3a-b45a-945f9f0b541d")
# a uuid, a hex digest, a ragmask doc id
ID_LIKE = re.compile(r"^(doc_)?[0-9a-fA-F-]{16,}$")
TEXT_FIELDS = ("text", "content", "chunk_text", "page_content", "chunk", "body")


class PayloadFormatError(StoreError):
    """A collection's payloads cannot be read in the format asked for; one line, no values."""


@dataclass(frozen=True)
class ChunkPayload:
    """One masked chunk as ragmask writes it, before a format lays it out; nothing here is raw text."""

    # qdrant_store.point_id: deterministic, never derived from content
    point_id: str
    doc_id: str
    text: str = field(repr=False)
    # character offsets in the masked document
    start: int
    end: int
    # ragmask's: doc_id, chunk_index, tokens, masked fields...
    metadata: dict[str, Any] = field(repr=False)
    # the document's keyed content hash
    content_hash: str
    # the neighbouring chunks' point ids
    previous_id: str | None = None
    next_id: str | None = None


# -> (Qdrant point id, payload)
Composer = Callable[[ChunkPayload], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class PayloadFormat:
    name: str
    # the chunk text: what is embedded
    text_path: str
    # where ragmask keeps its metadata in points it writes ("": top level)
    metadata_path: str = "metadata"
    # paths tried in order for the document a point belongs to
    doc_keys: tuple[str, ...] = ()
    # ids (a hash of raw content in some formats): re-keyed, consistently
    ids: tuple[str, ...] = ()
    # raw-content hashes: re-keyed
    hashes: tuple[str, ...] = ()
    # strings that are structure, not content: kept as they are
    structure: tuple[str, ...] = ()
    # set to None (raw bytes)
    dropped: tuple[str, ...] = ()
    # the point id is derived from this (re-keyed) payload id
    point_id_from: str | None = None
    # how ragmask writes a chunk in this format (None: it does not)
    compose: Composer | None = None
    # the chunk's [start, end) in its source document, if recorded
    offsets: tuple[str, str] | None = None

    def matches(self, payload: dict[str, Any]) -> bool:
        return value_at(payload, self.text_path) is not None

    @property
    def doc_id_path(self) -> str:
        """Where points ragmask wrote in this format hold their doc id."""
        return f"{self.metadata_path}.doc_id" if self.metadata_path else "doc_id"

    def is_bookkeeping(self, path: str, value: str) -> bool:
        """A structure string (a type name, a template), or an id or hash that looks like one: not content."""
        if path_matches(path, self.structure):
            return True
        return path_matches(path, self.ids + self.hashes) and bool(ID_LIKE.match(value))

    def metadata(self, payload: dict[str, Any]) -> dict[str, Any]:
        """ragmask's metadata of a point it wrote (empty for anything else)."""
        found = value_at(payload, self.metadata_path) if self.metadata_path else payload
        return found if isinstance(found, dict) else {}

    def point_id(self, payload: dict[str, Any], rekeyed_point_id: str) -> str:
        if self.point_id_from == "haystack":
            return str(uuid.uuid5(HAYSTACK_NAMESPACE, str(payload["id"])))
        return rekeyed_point_id


def langchain_point(chunk: ChunkPayload) -> tuple[str, dict[str, Any]]:
    """langchain-qdrant's layout: ``page_content`` and ``metadata``."""
    return chunk.point_id, {"page_content": chunk.text, "metadata": chunk.metadata}


# metadata shown to a LlamaIndex app's LLM; the rest is bookkeeping
LLAMA_SHOWN = ("source", "title")


def llamaindex_point(chunk: ChunkPayload) -> tuple[str, dict[str, Any]]:
    """llama-index-vector-stores-qdrant's layout (``node_to_metadata_dict``): the TextNode as JSON in
    ``_node_content``, flat metadata at the top level, the document as the node's source relationship
    (``ref_doc_id`` = ragmask's doc id) and the neighbouring chunks as previous/next."""
    hidden = sorted(key for key in chunk.metadata if key not in LLAMA_SHOWN)
    relationships: dict[str, Any] = {
        "1": {
            "node_id": chunk.doc_id,
            "node_type": "4",
            "metadata": {},
            "hash": chunk.content_hash,
            "class_name": "RelatedNodeInfo",
        }
    }
    for key, neighbour in (("2", chunk.previous_id), ("3", chunk.next_id)):
        if neighbour:
            relationships[key] = {
                "node_id": neighbour,
                "node_type": "1",
                "metadata": {},
                "hash": None,
                "class_name": "RelatedNodeInfo",
            }
    node = {
        "id_": chunk.point_id,
        "embedding": None,
        "metadata": chunk.metadata,
        "excluded_embed_metadata_keys": hidden,
        "excluded_llm_metadata_keys": hidden,
        "relationships": relationships,
        "metadata_template": "{key}: {value}",
        "metadata_separator": "\n",
        "text": chunk.text,
        "mimetype": "text/plain",
        "start_char_idx": chunk.start,
        "end_char_idx": chunk.end,
        "text_template": "{metadata_str}\n\n{content}",
        "class_name": "TextNode",
    }
    ids = dict.fromkeys(("document_id", "doc_id", "ref_doc_id"), chunk.doc_id)
    node_fields = {"_node_content": json.dumps(node), "_node_type": "TextNode"}
    return chunk.point_id, chunk.metadata | node_fields | ids


def haystack_point(chunk: ChunkPayload) -> tuple[str, dict[str, Any]]:
    """qdrant-haystack's layout (``Document.to_dict(flatten=False)`` less the embedding): the point id is
    uuid5 of the document id, as its ``convert_id`` makes it; the split fields order the chunks."""
    document_id = uuid.UUID(chunk.point_id).hex
    meta = chunk.metadata | {
        "source_id": chunk.doc_id,
        "split_id": chunk.metadata.get("chunk_index"),
        "split_idx_start": chunk.start,
    }
    payload = {
        "id": document_id,
        "content": chunk.text,
        "blob": None,
        "meta": meta,
        "score": None,
        "sparse_embedding": None,
    }
    return str(uuid.uuid5(HAYSTACK_NAMESPACE, document_id)), payload


LLAMA_NODE = "_node_content#json"
FORMATS: dict[str, PayloadFormat] = {
    "langchain": PayloadFormat(
        "langchain", "page_content", doc_keys=("metadata.source", "metadata.file_path", "metadata.doc_id"),
        compose=langchain_point,
    ),
    "llamaindex": PayloadFormat(
        "llamaindex", f"{LLAMA_NODE}.text", "", doc_keys=("file_path", "ref_doc_id", "doc_id", "document_id"),
        ids=(f"{LLAMA_NODE}.id_", f"{LLAMA_NODE}.relationships.*.node_id", "ref_doc_id", "doc_id", "document_id"),
        hashes=(f"{LLAMA_NODE}.relationships.*.hash",),
        structure=("_node_type", f"{LLAMA_NODE}.class_name", f"{LLAMA_NODE}.mimetype",
                   f"{LLAMA_NODE}.metadata_template", f"{LLAMA_NODE}.metadata_separator",
                   f"{LLAMA_NODE}.text_template", f"{LLAMA_NODE}.relationships.*.node_type",
                   f"{LLAMA_NODE}.relationships.*.class_name", f"{LLAMA_NODE}.excluded_*"),
        compose=llamaindex_point, offsets=(f"{LLAMA_NODE}.start_char_idx", f"{LLAMA_NODE}.end_char_idx"),
    ),
    "llamaindex-legacy": PayloadFormat(
        "llamaindex-legacy", "text", "", doc_keys=("file_path", "ref_doc_id", "doc_id", "document_id"),
        ids=("ref_doc_id", "doc_id", "document_id"), structure=("_node_type",),
    ),
    "haystack": PayloadFormat(
        "haystack", "content", "meta", doc_keys=("meta.file_path", "meta.source_id", "id"),
        ids=("id", "meta.source_id", "meta._split_overlap[].doc_id"), dropped=("blob", "sparse_embedding"),
        point_id_from="haystack", compose=haystack_point,
    ),
}  # fmt: skip
# what ingest --payload-format takes
WritableFormat = Literal["langchain", "llamaindex", "haystack"]
WRITABLE: tuple[WritableFormat, ...] = get_args(WritableFormat)
DOC_ID_PATHS = tuple(dict.fromkeys(FORMATS[name].doc_id_path for name in WRITABLE))
DETECTION_ORDER = ("llamaindex", "haystack", "langchain", "llamaindex-legacy")
# what --format takes
FormatChoice = Literal["auto", "langchain", "llamaindex", "haystack", "raw"]
CHOICES: tuple[FormatChoice, ...] = get_args(FormatChoice)


def writable_format(name: str) -> PayloadFormat:
    """The format ragmask writes under ``name`` (ingest's --payload-format)."""
    if name not in WRITABLE:
        raise PayloadFormatError(f"unknown payload format {name!r}: choose one of {', '.join(WRITABLE)}")
    return FORMATS[name]


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
    raise PayloadFormatError(
        "unknown payload format (no page_content, _node_content, content or text): "
        "give --format raw --text-field F"
    )


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


# the path of a dict key itself: "approvals.?(key)"
KEY_MARK = "(key)"
# keys a program chose ("page_content", "doc_id", "start-date"): no person's name or address among them
PROGRAM_KEY = re.compile(r"[a-z_][a-z0-9_\-]{0,63}")
# shorter numbers (counts, offsets, years, prices) cannot be a phone, card or SSN
MIN_NUMBER_DIGITS = 7
# (path, text, kind): kind is "string", "number" or "key"
Leaf = tuple[str, str, str]


def number_text(value: Any) -> str | None:
    """The digits a reader sees of a number long enough to be a phone, card or SSN; None for the rest."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value)
    return text if sum(c.isdigit() for c in text) >= MIN_NUMBER_DIGITS else None


def is_value_key(key: str) -> bool:
    """A dict key that may itself be a value ("jane@example.com", "Jane Doe", "+1 415 555 0123"), not a
    field name a program chose; only these are read and masked."""
    return not PROGRAM_KEY.fullmatch(key) and not (key.isdigit() and len(key) < MIN_NUMBER_DIGITS)


def field_label(path: str) -> str:
    """The words of a leaf's field name ("customer_phone", "cardNumber": "customer phone", "card number"),
    the context a bare number needs to be read as a phone or a card; "" where the name is no word."""
    name = path.rsplit(".", 1)[-1].replace("[]", "").replace("#json", "").replace(KEY_MARK, "")
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ").split()
    return " ".join(words).lower() if words and all(w.isalpha() for w in words) else ""


def labelled(path: str, digits: str) -> str:
    """A number as masking reads it: after its field's name ("customer phone: 4155550123")."""
    label = field_label(path)
    return f"{label}: {digits}" if label else digits


def unlabelled(path: str, masked: str) -> str:
    """A labelled number's masked form without the label; whole where masking changed the label too."""
    label = field_label(path)
    return masked.removeprefix(f"{label}: ") if label else masked


def typed_leaves(payload: Any, path: str = "", key_name: Callable[[str], str] = str) -> Iterator[Leaf]:
    """(path, text, kind) for every value of a payload a person could be in: strings (JSON held in a string
    opened, ``#json``), numbers long enough to be a phone or a card (``number_text``), and dict keys that
    may be values (``is_value_key``; path ``...(key)``, before the key's value). ``key_name`` shows a key
    in the path (the audit hides keys that are not field names)."""
    if isinstance(payload, dict):
        for key, item in payload.items():
            child = f"{path}.{key_name(key)}" if path else key_name(key)
            if isinstance(key, str) and is_value_key(key):
                yield f"{child}{KEY_MARK}", key, "key"
            yield from typed_leaves(item, child, key_name)
    elif isinstance(payload, list):
        for item in payload:
            yield from typed_leaves(item, f"{path}[]", key_name)
    elif isinstance(payload, str):
        parsed = _json_container(payload)
        if parsed is not None:
            yield from typed_leaves(parsed, f"{path}#json", key_name)
        else:
            yield path, payload, "string"
    elif (digits := number_text(payload)) is not None:
        yield path, digits, "number"


def leaves(payload: Any, path: str = "", key_name: Callable[[str], str] = str) -> Iterator[tuple[str, str]]:
    """(path, text) of ``typed_leaves``."""
    return ((leaf_path, text) for leaf_path, text, _kind in typed_leaves(payload, path, key_name))


def rewrite(payload: Any, change: Callable[[str, str], str], path: str = "") -> Any:
    """A copy of ``payload`` with every leaf of ``leaves`` replaced by ``change(path, text)``, called in
    their order; JSON strings are opened, rewritten and serialised again. A number that ``change`` leaves
    as it was stays a number; one it changes becomes the string it returns (a token). A key it changes is
    renamed (kept apart from a key of the same name)."""
    if isinstance(payload, dict):
        out: dict[str, Any] = {}
        for key, item in payload.items():
            child = f"{path}.{key}" if path else str(key)
            name = change(f"{child}{KEY_MARK}", key) if isinstance(key, str) and is_value_key(key) else key
            while name in out:
                name = f"{name}~"
            out[name] = rewrite(item, change, child)
        return out
    if isinstance(payload, list):
        return [rewrite(item, change, f"{path}[]") for item in payload]
    if isinstance(payload, str):
        parsed = _json_container(payload)
        if parsed is not None:
            return json.dumps(rewrite(parsed, change, f"{path}#json"))
        return change(path, payload)
    digits = number_text(payload)
    if digits is not None:
        changed = change(path, digits)
        return payload if changed == digits else changed
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
