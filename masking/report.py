"""The masking report: what was found and done in one document, as counts and versions only.

It is stored and shown (lineage store, CLI, Prefect artifacts), so it never holds a raw value, a
surface form or a token: types, counts, scores, actions, offsets and versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def detector_versions(model: str) -> dict[str, str]:
    return {
        "ragmask": package_version("ragmask"),
        "presidio_analyzer": package_version("presidio-analyzer"),
        "spacy": package_version("spacy"),
        "spacy_model": model,
    }


@dataclass(frozen=True)
class ScoreSummary:
    min: float
    mean: float
    max: float


@dataclass(frozen=True)
class RedactionMiss:
    """A value the leak check found after masking: its type and offset in the masked text."""

    entity_type: str
    offset: int


@dataclass
class MaskingReport:
    doc_id: str
    run_id: str
    # "masked" or "quarantined"
    status: str
    started_at: str
    elapsed_ms: float = 0.0
    text_chars: int = 0
    windows: int = 0
    quarantine_reason: str | None = None
    entity_counts: dict[str, int] = field(default_factory=dict)
    scores: dict[str, ScoreSummary] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    propagated: int = 0
    distinct_values: int = 0
    redaction_misses: list[RedactionMiss] = field(default_factory=list)
    policy: dict[str, str] = field(default_factory=dict)
    detector: dict[str, str] = field(default_factory=dict)
    key_id: str = ""
    scope: str = "document"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
