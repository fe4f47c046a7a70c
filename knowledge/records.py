"""Plain records stored in and returned by the knowledge base."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class DocumentRecord:
    """One registered document (a file that was indexed)."""

    doc_id: str
    source: str
    sha256: str
    title: str
    fmt: str = ""
    status: str = "indexed"
    chunk_count: int = 0
    version: int = 1
    ingested_at: str = ""
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class ChunkRecord:
    """One stored passage with everything needed to cite it."""

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ids, text and the citation metadata flattened."""
        return {"chunk_id": self.chunk_id, "doc_id": self.doc_id, "ordinal": self.ordinal, **self.metadata, "text": self.text}


@dataclass
class ScoredChunk:
    """A chunk returned by a search, with its fused score and the ranks that produced it."""

    chunk: ChunkRecord
    score: float
    ranks: dict = field(default_factory=dict)
