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


SIDES = ("dense", "sentence", "lexical")


@dataclass
class HitSignals:
    """What a search measured of one hit: its best rank (1 = first) and score on each side of the search (passage
    embedding, closest sentence's embedding, BM25), the cosines of the question's own embedding with the passage and
    its closest sentence, how close a linked question came (``link`` 1.0 = the closest), whether the question named
    its article, and its place in an LLM re-ranking. ``None``: not measured for this hit."""

    dense: int | None = None
    dense_score: float | None = None
    sentence: int | None = None
    sentence_score: float | None = None
    lexical: int | None = None
    lexical_score: float | None = None
    cosine: float | None = None
    sentence_cosine: float | None = None
    link: float | None = None
    link_cosine: float | None = None
    article_ref: bool = False
    llm_rerank: int | None = None

    def rank_on(self, side: str) -> int | None:
        """The hit's best rank on one side of the search ('dense', 'sentence' or 'lexical')."""
        return getattr(self, _side(side))

    def record(self, side: str, rank: int, score: float) -> None:
        """Keep ``rank`` and ``score`` on one side when the rank is better than the one held."""
        held = self.rank_on(side)
        if held is None or rank < held:
            setattr(self, side, rank)
            setattr(self, f"{side}_score", round(score, 4))

    def forget(self, side: str) -> None:
        """Drop what one side measured."""
        setattr(self, _side(side), None)
        setattr(self, f"{side}_score", None)

    def to_dict(self) -> dict:
        """The measured signals only (JSON-ready)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}


def _side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"unknown search side {side!r}; the sides are {', '.join(SIDES)}")
    return side


@dataclass
class ScoredChunk:
    """A chunk returned by a search, with its fused score and the signals that produced it; what the search also
    read for the answer step: the question's cosine with each of the passage's embedded sentences, in order
    (``None``: not measured), and the next-steps section of the passage's document (a guide's 下一步), if it has one."""

    chunk: ChunkRecord
    score: float
    signals: HitSignals = field(default_factory=HitSignals)
    sentence_cosines: tuple[float, ...] | None = field(default=None, repr=False, compare=False)
    steps: ChunkRecord | None = field(default=None, repr=False, compare=False)
