"""Loaders, law-aware parsing and chunking, and indexing into the knowledge base."""
from .errors import IngestError
from .loaders import SUPPORTED, load
from .pipeline import FileOutcome, IngestOptions, collect_files, ingest_file, ingest_paths

__all__ = ["FileOutcome", "IngestError", "IngestOptions", "SUPPORTED", "collect_files", "ingest_file", "ingest_paths", "load"]
