"""The root of ragmask's errors and the masking library's subtree.

A message is built only from safe fields: what the operator gave (parameters, the paths they typed,
collection names), counts, types, opaque ids and ragmask's own words. It never carries document text, a
detected value, or the name of a file found inside a tree. That is why a flow hands it to Prefect as the
run's state message and log line, where any other exception leaves as its type only.

Every error ragmask raises on purpose is a ``RagmaskError``; each layer adds its subtree:
``MaskingError`` here, ``StoreError``, ``LineageError``, ``ErasureError`` and ``SourceError`` in
indexers/, ``OperationFailed`` in flows/. ``SettingsError`` sits beside the root, because every layer
refuses settings.
"""


class RagmaskError(Exception):
    """Anything ragmask raises on purpose: one line in words, safe to show and to hand to Prefect."""


class SettingsError(RagmaskError):
    """A setting that cannot be used as given; one line, no secret in it."""


class MaskingError(RagmaskError):
    """Anything the masking library raises on purpose."""


class PolicyError(MaskingError, SettingsError):
    """A policy file or preset is invalid; the message names the bad key."""


class ModelNotInstalledError(MaskingError, SettingsError):
    """The configured spaCy model is not installed (we never download at run time)."""


class KeyConfigError(MaskingError, SettingsError):
    """The masking secret is missing, too short, or its key file is unsafe."""


class DetectorError(MaskingError):
    """Detection failed for a document; carries the exception type only, never text."""
