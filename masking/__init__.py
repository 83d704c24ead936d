"""Pure masking library: detection, normalisation, tokens, policy, leak check, report, fingerprints.

Imports nothing else of ragmask, so it can be used (and audited) on its own.
"""

from masking.entities import DetectedSpan, MaskedEntity
from masking.errors import (
    KeyConfigError,
    MaskingError,
    ModelNotInstalledError,
    PolicyError,
)
from masking.keys import MaskingKeys, load_keys
from masking.leak_check import LeakFinding, leak_check
from masking.masker import MaskedDocument, Masker, TextDocument
from masking.policy import Policy, load_policy
from masking.report import MaskingReport

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
    "TextDocument",
    "leak_check",
    "load_keys",
    "load_policy",
]
