"""The indexers layer's subtrees of ``RagmaskError``: one per store or job, each message one line with
no document text, detected value or file name in it."""

from masking.errors import RagmaskError


class StoreError(RagmaskError):
    """The vector store, a collection's payloads or the data directory cannot be opened or used."""


class LineageError(RagmaskError):
    """The lineage store cannot be opened or disagrees with this run's settings."""


class ErasureError(RagmaskError):
    """An erasure request cannot be carried out; no values in the message."""


class SourceError(RagmaskError):
    """A file that cannot be read; the message quotes neither content nor the file name."""


class EmbedderError(RagmaskError):
    """The embedding model cannot be loaded or run."""
