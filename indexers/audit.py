"""Audit: scan every payload of a collection for personal data that is not masked.

Every value a payload holds is checked, nested ones included: strings, strings that are themselves JSON
(LlamaIndex's ``_node_content``) opened and walked, numbers long enough to be a phone or a card (read
after their field's name), dict keys that may be values, and integer point ids of a card's shape. Two detectors look: the masker's (Presidio and
the policy's recognizers; it keeps existing tokens whole, so only values outside them count) and the independent
leak check (validated e-mail, phone, card, SSN, IBAN, IP and secret formats). NER needs context: on an id,
a version or a type name alone ("ragmask 0.1.0", "PHONE_NUMBER") spaCy says PERSON, so the masker reads
only strings of two words or more (split at white space); the leak check reads every string. The report holds entity
types, payload paths and point ids, never a value; a path segment that does not look like a field name
is shown as ``?`` (a hand-rolled payload could use a value as a key).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from indexers.payload_formats import PayloadFormat, labelled, typed_leaves
from indexers.qdrant_store import VectorStore

if TYPE_CHECKING:
    from masking import Masker
    from masking.masker import MaskMany

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
WORD = re.compile(r"[^\W\d_]{2,}")
# listed in the report; the counts cover all
MAX_POINT_IDS = 1000
# points read and checked at a time
PAGE_POINTS = 256
# The NER model reads at most this much of one string (about ten seconds on a core); the leak check reads all
# of it. A longer string is reported as NOT_FULLY_SCANNED, a finding: a scrub's gate fails closed on it.
MAX_DETECT_CHARS = 200_000
NOT_FULLY_SCANNED = "NOT_FULLY_SCANNED"
POINT_ID_PATH = "(point id)"
# points scanned so far
Progress = Callable[[int], None]


def shown_key(key: str) -> str:
    return key if FIELD_NAME.match(key) else "?"


def payload_strings(payload: Any) -> Iterator[tuple[str, str]]:
    """(path, text) for every value of a payload a person could be in (payload_formats.typed_leaves):
    non-blank strings, JSON held in a string walked as ``path#json``, long numbers read after their field's
    name ("customer phone: 4155550123"), and keys that may be values (``path(key)``); keys that do not look
    like field names are shown as ``?``."""
    for path, text, kind in typed_leaves(payload, key_name=shown_key):
        if text.strip():
            yield path, labelled(path, text) if kind == "number" else text


def card_like_id(point_id: Any) -> bool:
    """An integer point id with a card's length and first digit: read by the leak check (Luhn). A uuid
    cannot hold a value; shorter integers and snowflake-like ids are not read, or every collection of
    sequential ids would audit dirty."""
    text = str(point_id)
    return isinstance(point_id, int) and 13 <= len(text) <= 16 and text[0] in "3456"


@dataclass(frozen=True)
class Review:
    """Reviewed findings: the key a finding's fingerprint is made with (the masking keys' fingerprint key;
    None: no key here, findings are listed without one and none can be accepted) and the fingerprints an
    operator accepted as false positives (``ragmask audit accept``), each with its record."""

    key: bytes | None = None
    accepted: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One suspected value: where it is and a keyed fingerprint of it, never the value."""

    point_id: str
    path: str
    entity_type: str
    fingerprint: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "point_id": self.point_id,
            "path": self.path,
            "type": self.entity_type,
            "fingerprint": self.fingerprint,
        }


@dataclass
class AuditReport:
    """What ``ragmask audit --json`` prints: counts by type and by payload path, the points, each finding
    (point id, path, type, fingerprint), and the findings passed over because they were accepted."""

    collection: str
    # the format whose bookkeeping strings were passed over
    payload_format: str | None = None
    points_scanned: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_path: Counter[str] = field(default_factory=Counter)
    point_ids: set[str] = field(default_factory=set)
    # the suspected points' types
    by_point: dict[str, Counter[str]] = field(default_factory=dict)
    # the first MAX_POINT_IDS
    findings: list[Finding] = field(default_factory=list)
    # reviewed false positives met, the first MAX_POINT_IDS
    accepted: list[Finding] = field(default_factory=list)
    accepted_count: int = 0
    review: Review = field(default_factory=Review, repr=False)

    @property
    def suspected(self) -> int:
        return sum(self.by_type.values())

    def add(self, finding: Finding) -> None:
        if finding.fingerprint is not None and finding.fingerprint in self.review.accepted:
            self.accepted_count += 1
            if len(self.accepted) < MAX_POINT_IDS:
                self.accepted.append(finding)
            return
        self.by_type[finding.entity_type] += 1
        self.by_path[finding.path] += 1
        self.point_ids.add(finding.point_id)
        self.by_point.setdefault(finding.point_id, Counter())[finding.entity_type] += 1
        if len(self.findings) < MAX_POINT_IDS:
            self.findings.append(finding)

    def to_dict(self) -> dict[str, Any]:
        accepted = [
            f.to_dict()
            | {
                key: self.review.accepted[str(f.fingerprint)].get(key)
                for key in ("reason", "accepted_by", "accepted_at")
            }
            for f in self.accepted
        ]
        return {
            "collection": self.collection,
            "format": self.payload_format,
            "points_scanned": self.points_scanned,
            "suspected": self.suspected,
            "by_type": dict(sorted(self.by_type.items())),
            "by_path": dict(sorted(self.by_path.items())),
            "point_ids": sorted(self.point_ids)[:MAX_POINT_IDS],
            "findings": [f.to_dict() for f in self.findings],
            "accepted_findings": self.accepted_count,
            "accepted": accepted,
        }


def _is_prose(text: str) -> bool:
    """Two words or more (of letters): what the NER model is given; read in a bounded prefix only."""
    words = 0
    for word in islice(text.split(maxsplit=64), 64):
        words += bool(WORD.search(word))
        if words >= 2:
            return True
    return False


class Auditor:
    """Scans a collection page by page (memory bounded by a page) with a masker built for the purpose.
    Given the collection's payload format, its bookkeeping strings (type names, templates, and ids and
    hashes that look like ids) are passed over; everything else is read."""

    def __init__(
        self, masker: Masker, payload_format: PayloadFormat | None = None, mask_many: MaskMany | None = None
    ) -> None:
        """``mask_many``: how a page's strings are masked, told whether more pages follow (default:
        ``masker`` here; the flows pass masking split over worker processes, MaskingWorkers.masked)."""
        self.masker = masker
        self.payload_format = payload_format
        self.mask_many: MaskMany = mask_many or masker.masked

    def findings(self, texts: list[str], more_after: bool = False) -> list[list[tuple[str, str]]]:
        """(entity type, value) of what is found in each text outside tokens: the masker's spans, and the leak
        check's findings that no span covers; one detection pass for the whole list. ``more_after``: more
        lists follow (worth starting workers). Values stay in memory only, for fingerprints."""
        # with the masker: Presidio, imported when first used
        from masking import TextDocument, leak_check

        prose = [i for i, text in enumerate(texts) if _is_prose(texts[i])]
        detected = self.mask_many(
            [TextDocument("audit", texts[i][:MAX_DETECT_CHARS]) for i in prose], more_after
        )
        masked = dict(zip(prose, detected, strict=True))
        found = []
        for i, text in enumerate(texts):
            values: list[tuple[str, str]] = []
            spans: list[tuple[int, int]] = []
            # the masker leaves existing tokens whole: its spans are values outside them
            if i in masked:
                spans = [(span.start, span.end) for span in masked[i].spans]
                values += [(span.entity_type, text[span.start : span.end]) for span in masked[i].spans]
                values += [("DETECTOR_ERROR", "")] * masked[i].quarantined
                values += [(NOT_FULLY_SCANNED, "")] * (len(text) > MAX_DETECT_CHARS)
            values += [
                (f.entity_type, text[f.start : f.end])
                for f in leak_check(text)
                if not any(f.start < end and start < f.end for start, end in spans)
            ]
            found.append(values)
        return found

    def audit(
        self, store: VectorStore, progress: Progress | None = None, review: Review | None = None
    ) -> AuditReport:
        """``review``: the key findings are fingerprinted with and the accepted ones, passed over (listed)."""
        fmt = self.payload_format
        report = AuditReport(store.collection, fmt.name if fmt else None, review=review or Review())
        records = store.scroll()
        following = list(islice(records, PAGE_POINTS))
        while page := following:
            # read ahead: is this page the last?
            following = list(islice(records, PAGE_POINTS))
            strings = [
                (str(r.id), path, text)
                for r in page
                for path, text in payload_strings(r.payload or {})
                if not (fmt and fmt.is_bookkeeping(path, text))
            ]
            strings += [(str(r.id), POINT_ID_PATH, str(r.id)) for r in page if card_like_id(r.id)]
            for (point, path, _), values in zip(
                strings, self.findings([t for _, _, t in strings], bool(following)), strict=True
            ):
                for entity_type, value in values:
                    report.add(
                        Finding(
                            point,
                            path,
                            entity_type,
                            _fingerprint(report.review, entity_type, value, point, path),
                        )
                    )
            report.points_scanned += len(page)
            if progress:
                progress(report.points_scanned)
        return report


def _fingerprint(review: Review, entity_type: str, value: str, point: str, path: str) -> str | None:
    """A finding's keyed fingerprint: of its normalised value (the same value anywhere is one finding to
    review), or of its place for a finding with no value (a string not fully scanned)."""
    if review.key is None:
        return None
    from masking.fingerprints import finding_fingerprint

    return finding_fingerprint(review.key, entity_type, value or f"{point}|{path}")
