"""Errors raised while loading and indexing one file; each carries a reason a person can act on."""
from __future__ import annotations


class IngestError(Exception):
    """A file could not be indexed; ``str(err)`` is the one-line reason shown to the person."""


class UnsupportedFormat(IngestError):
    """The file's extension is not one we can read."""


class EmptyDocument(IngestError):
    """The file has no text to index (zero bytes, or nothing extractable)."""


class CorruptFile(IngestError):
    """The file is damaged or is not what its extension says."""


class EncryptedFile(IngestError):
    """The file is password-protected and cannot be opened without the password."""


class UndecodableText(IngestError):
    """A text file whose encoding could not be determined."""


class TooLarge(IngestError):
    """The file exceeds a configured size or page limit."""


class TooManyChunks(TooLarge):
    """The file would become more passages than the per-document limit (``IPBOT_MAX_CHUNKS_PER_DOC``)."""


class TimeLimitExceeded(IngestError):
    """Reading, cutting and embedding the file took longer than the per-file limit (``IPBOT_MAX_SECONDS_PER_FILE``)."""


class Cancelled(IngestError):
    """Indexing of the file was cancelled from outside (its ``cancel`` event was set)."""
