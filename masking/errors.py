"""Exceptions of the masking library. Messages never carry document text or detected values."""


class MaskingError(Exception):
    """Base class: anything the masking library raises on purpose."""


class PolicyError(MaskingError):
    """A policy file or preset is invalid; the message names the bad key."""


class ModelNotInstalledError(MaskingError):
    """The configured spaCy model is not installed (we never download at run time)."""


class KeyConfigError(MaskingError):
    """The masking secret is missing, too short, or its key file is unsafe."""


class DetectorError(MaskingError):
    """Detection failed for a document; carries the exception type only, never text."""
