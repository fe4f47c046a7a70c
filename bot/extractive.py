"""Answers without an LLM: the sentences of the retrieved passages that best match the question, each cited."""
from __future__ import annotations

import re

from knowledge import ScoredChunk, tokenize
from knowledge.lexical import BM25Index

from .answer import ABSTAIN, DISCLAIMER, Answer, Citation

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?|[^\n]+")
_EN_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage (Chinese and English punctuation), without the breadcrumb line."""
    lines = text.split("\n")
    if lines and lines[0].startswith("《"):
        lines = lines[1:]
    out: list[str] = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("|"):
            continue
        for piece in _SENTENCE.findall(line):
            out.extend(s.strip() for s in _EN_SENTENCE.split(piece) if len(s.strip()) >= 6)
    return out


def weighted_coverage(terms: list[str], tokens: set[str], index: BM25Index) -> float:
    """Share of the query's idf mass present in ``tokens``."""
    uniq = list(dict.fromkeys(terms))
    total = sum(index.idf(t) for t in uniq)
    return sum(index.idf(t) for t in uniq if t in tokens) / total if total else 0.0


def support_of(question: str, hits: list[ScoredChunk], index: BM25Index, depth: int = 3) -> float:
    """How well the best of the top passages covers the question's key terms (0–1)."""
    terms = tokenize(question)
    if not terms or not hits:
        return 0.0
    return max(weighted_coverage(terms, set(tokenize(h.chunk.text)), index) for h in hits[:depth])


def _label(meta: dict) -> str:
    parts = [f"《{meta.get('title', '')}》"]
    if meta.get("article_label"):
        parts.append(meta["article_label"])
    elif meta.get("page"):
        parts.append(f"p.{meta['page']}")
    return " ".join(parts)


def make_citation(n: int, hit: ScoredChunk, quote: str) -> Citation:
    """A numbered citation of one retrieved chunk."""
    m = hit.chunk.metadata
    return Citation(n=n, source=m.get("source", ""), title=m.get("title", ""), article_label=m.get("article_label"),
                    page=m.get("page"), quote=quote, doc_id=hit.chunk.doc_id, chunk_id=hit.chunk.chunk_id,
                    breadcrumb=m.get("breadcrumb", ""), chapter=m.get("chapter"), effective_date=m.get("effective_date"),
                    status=m.get("status"))


def abstention(language: str, human_channel: str, support: float = 0.0) -> Answer:
    """The answer given when the knowledge base does not cover the question."""
    return Answer(f"{ABSTAIN[language]}\n{human_channel}", [], "extractive", True, language, DISCLAIMER[language], support)


def compose_extractive(question: str, hits: list[ScoredChunk], index: BM25Index, *, language: str, human_channel: str,
                       min_support: float, max_sentences: int = 3, depth: int = 5) -> Answer:
    """Pick the best-matching sentences of the top passages, cite each as [n], or abstain."""
    support = support_of(question, hits, index)
    direct = [h for h in hits if h.ranks.get("article_ref")]
    if not hits or (support < min_support and not direct):
        return abstention(language, human_channel, support)
    terms = tokenize(question)
    candidates: list[tuple[float, int, int, str]] = []
    for rank, hit in enumerate(hits[:depth]):
        for pos, sentence in enumerate(split_sentences(hit.chunk.text)):
            cov = weighted_coverage(terms, set(tokenize(sentence)), index)
            boost = 1.0 if hit.ranks.get("article_ref") else 0.0
            candidates.append((cov + boost + 0.15 / (rank + 1), rank, pos, sentence))
    candidates.sort(key=lambda c: -c[0])
    chosen, seen = [], set()
    for score, rank, pos, sentence in candidates:
        if score <= 0.15 or sentence in seen:
            continue
        chosen.append((rank, pos, sentence))
        seen.add(sentence)
        if len(chosen) >= max_sentences:
            break
    if not chosen:
        return abstention(language, human_channel, support)
    numbers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    lines = []
    for rank, pos, sentence in chosen:
        n = numbers.setdefault(rank, len(numbers) + 1)
        quotes.setdefault(rank, []).append(sentence)
        lines.append(f"{sentence} [{n}]")
    citations = [make_citation(n, hits[rank], " ".join(quotes[rank])) for rank, n in numbers.items()]
    intro = "根据知识库中的规定：" if language == "zh" else "From the knowledge base (quotes are the original text):"
    body = "\n".join(f"- {line}" for line in lines)
    sources = "\n".join(f"[{c.n}] {_label(hits[r].chunk.metadata)}" for r, c in zip(numbers, citations))
    text = f"{intro}\n{body}\n\n{'依据' if language == 'zh' else 'Sources'}：\n{sources}" if language == "zh" else f"{intro}\n{body}\n\nSources:\n{sources}"
    return Answer(text, citations, "extractive", False, language, DISCLAIMER[language], support)
