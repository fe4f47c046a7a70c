"""Hybrid retrieval: dense (embeddings in Chroma) + BM25 (jieba), fused by weighted reciprocal rank,
with exact article references resolved first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from knowledge import ChunkRecord, KnowledgeBase, ScoredChunk

from .references import find_references, title_matches


@dataclass
class SearchFilters:
    """Restrict results by document type, jurisdiction, or to documents in force on a date."""

    doc_types: tuple[str, ...] = ()
    jurisdiction: str | None = None
    in_force_on: date | None = None

    def accepts(self, meta: dict) -> bool:
        """Whether a chunk's metadata passes every filter."""
        if self.doc_types and meta.get("doc_type") not in self.doc_types:
            return False
        if self.jurisdiction and meta.get("jurisdiction", "national") not in (self.jurisdiction, "national"):
            return False
        if self.in_force_on is not None:
            if meta.get("status") == "repealed":
                return False
            eff = meta.get("effective_date")
            if eff and str(eff) > self.in_force_on.isoformat():
                return False
        return True


@dataclass
class RetrievalParams:
    """Fusion settings (see Settings for their meaning)."""

    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    candidates: int = 50


class Retriever:
    """Searches one knowledge base."""

    def __init__(self, kb: KnowledgeBase, params: RetrievalParams | None = None) -> None:
        self.kb = kb
        self.params = params or RetrievalParams()

    def article_hits(self, question: str) -> list[ChunkRecord]:
        """Chunks of articles the question names explicitly (专利法第四十二条)."""
        refs = find_references(question)
        if not refs:
            return []
        docs = self.kb.documents()
        out: list[ChunkRecord] = []
        for ref in refs:
            scored = [(title_matches(ref.law, d.title), d) for d in docs]
            best = max((s for s, _ in scored), default=0)
            for s, d in scored:
                if s and s == best:
                    label_suffix = ref.suffix
                    out.extend(c for c in self.kb.chunks(d.doc_id)
                               if c.metadata.get("article") == ref.article
                               and (label_suffix in (c.metadata.get("article_label") or "")))
        return out

    def search(self, question: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for a (normalised) question, best first."""
        p = self.params
        n = max(p.candidates, k * 3)
        fused: dict[str, float] = {}
        ranks: dict[str, dict] = {}
        for name, weight, hits in (
            ("dense", p.dense_weight, self.kb.dense_search(question, n) if p.dense_weight else []),
            ("lexical", p.lexical_weight, self.kb.lexical_search(question, n) if p.lexical_weight else []),
        ):
            for rank, (cid, score) in enumerate(hits):
                fused[cid] = fused.get(cid, 0.0) + weight / (p.rrf_k + rank + 1)
                ranks.setdefault(cid, {})[name] = rank + 1
                ranks[cid][f"{name}_score"] = round(score, 4)
        direct = self.article_hits(question)
        top = max(fused.values(), default=0.0) + 1.0
        for i, c in enumerate(direct):
            fused[c.chunk_id] = top - i * 1e-3
            ranks.setdefault(c.chunk_id, {})["article_ref"] = 1
        chunks = self.kb.get_chunks(list(fused))
        results = [ScoredChunk(chunks[cid], score, ranks.get(cid, {})) for cid, score in fused.items()
                   if cid in chunks and (filters is None or filters.accepts(chunks[cid].metadata))]
        results.sort(key=lambda r: -r.score)
        return results[:k]
