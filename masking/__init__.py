"""Pure masking library: detection, normalisation, tokens, policy, leak check, report, fingerprints.

Imports nothing else of ragmask, so it can be used (and audited) on its own. The masker
(Presidio, spaCy and, through Presidio, torch: seconds to import) loads on first use, so a run
that finds nothing to mask never imports them.
"""

import importlib
from typing import TYPE_CHECKING, Any

from masking.entities import DetectedSpan, MaskedEntity
from masking.errors import (
    KeyConfigError,
    MaskingError,
    ModelNotInstalledError,
    PolicyError,
    RagmaskError,
    SettingsError,
)
from masking.keys import MaskingKeys, load_keys
from masking.leak_check import LeakFinding, leak_check
from masking.policy import Policy, load_policy
from masking.report import MaskingReport

if TYPE_CHECKING:
    from masking.masker import MaskedDocument, Masker, TextDocument

# Not names of submodules: an imported submodule would shadow its namesake here.
_ON_FIRST_USE = {
    "MaskedDocument": "masking.masker",
    "Masker": "masking.masker",
    "TextDocument": "masking.masker",
}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        return getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    raise AttributeError(f"module 'masking' has no attribute {name!r}")


__all__ = [
    "DetectedSpan",
    "KeyConfigError",
    "LeakFinding",
    "MaskedDocument",
    "MaskedEntity",
    "Masker",
    "MaskingError",
    "MaskingKeys",
    "MaskingReport",
    "ModelNotInstalledError",
    "Policy",
    "PolicyError",
    "RagmaskError",
    "SettingsError",
    "TextDocument",
    "leak_check",
    "load_keys",
    "load_policy",
]
