"""Loaders, law-aware parsing and chunking, and indexing into the knowledge base."""
from .errors import Cancelled, IngestError, TimeLimitExceeded, TooManyChunks
from .loaders import SUPPORTED, load
from .pipeline import FileOutcome, IngestOptions, collect_files, ingest_file, ingest_paths

__all__ = ["Cancelled", "FileOutcome", "IngestError", "IngestOptions", "SUPPORTED", "TimeLimitExceeded", "TooManyChunks",
           "collect_files", "ingest_file", "ingest_paths", "load"]
