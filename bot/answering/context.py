"""Numbered sources for the LLM: each framed as quoted data with its breadcrumb, all fitted into a token budget.

When the best sources do not all fit whole (a 4k-token model), the first ``MIN_SOURCES`` share the budget and a source
longer than its share keeps its header, its article label and the sentences closest to the question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge import ScoredChunk, count_tokens, split_sentences, tokenize
from knowledge.chinese import ARTICLE_HEAD
from prompts import worded

_TAG = re.compile(r"<\s*(/?)\s*source\b", re.I)
_FIELDS = worded("source_fields")
MIN_SOURCE_TOKENS = 80
MIN_SOURCES = 4
SEPARATOR_TOKENS = 2


@dataclass
class Context:
    """The sources given to the model, numbered 1..n in ``hits`` order; ``blocks`` are their texts as sent."""

    hits: list[ScoredChunk] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    tokens: int = 0

    @property
    def source_texts(self) -> list[str]:
        """Each source's header line and text without the framing tags: what its citations are checked against."""
        return [b.split("\n", 1)[1].rsplit("\n", 1)[0] for b in self.blocks]

    @property
    def text(self) -> str:
        """All source blocks, separated by blank lines."""
        return "\n\n".join(self.blocks)


def _body(hit: ScoredChunk) -> str:
    lines = hit.chunk.text.split("\n")
    if len(lines) > 1 and lines[0].startswith("《") and lines[0].strip() == (hit.chunk.metadata.get("breadcrumb") or "").strip():
        lines = lines[1:]
    return "\n".join(lines).strip()


def header_of(hit: ScoredChunk, language: str) -> str:
    """One line locating a source: document, chapter, article, page, effective date, status."""
    m, f = hit.chunk.metadata, _FIELDS[language]
    where = m.get("breadcrumb") or " ".join(x for x in (f"《{m.get('title', '')}》", m.get("chapter"), m.get("article_label")) if x)
    parts = [f"{f['from']}: {where}"]
    if m.get("page"):
        parts.append(f"{f['page']}: {m['page']}")
    if m.get("effective_date"):
        parts.append(f"{f['effective']}: {m['effective_date']}")
    if m.get("status") and m["status"] != "in_force":
        parts.append(f"{f['status']}: {m['status']}")
    return " | ".join(parts)


def quoted(text: str) -> str:
    """Text that cannot open or close a source block (``<source`` and ``</source`` are defused)."""
    return _TAG.sub(lambda m: f"‹{m.group(1)}source", text)


def source_block(n: int, hit: ScoredChunk, language: str, body: str | None = None) -> str:
    """``<source id=n>`` header, quoted text, ``</source>``."""
    return f"<source id={n}>\n{quoted(header_of(hit, language))}\n{quoted(_body(hit) if body is None else body)}\n</source>"


def _shorten(n: int, hit: ScoredChunk, language: str, budget: int) -> str | None:
    body = _body(hit)
    for _ in range(6):
        keep = int(len(body) * 0.9 * budget / max(count_tokens(source_block(n, hit, language, body)), 1))
        body = body[: max(keep, 0)].rstrip() + "…"
        block = source_block(n, hit, language, body)
        if count_tokens(block) <= budget:
            return block
    return None


def _excerpt(label: str, sentences: tuple[str, ...], chosen: list[int], language: str) -> str:
    """The chosen sentences in passage order after the article label, with "……" where sentences are left out."""
    gap, join = ("……", "") if language == "zh" else (" … ", " ")
    pieces = [gap.strip()] if chosen and chosen[0] > 0 else []
    for k, i in enumerate(chosen):
        if k:
            pieces.append(gap if i > chosen[k - 1] + 1 else join)
        pieces.append(sentences[i])
    if chosen and chosen[-1] < len(sentences) - 1:
        pieces.append(gap.strip())
    return (label + " " if label else "") + "".join(pieces)


def trim_source(n: int, hit: ScoredChunk, language: str, budget: int, question: str = "") -> str | None:
    """Source block n cut to fit ``budget`` tokens: header, article label and the sentences sharing most terms with
    ``question`` (ties: earlier first), in passage order; a cut prefix when not even one sentence fits; None when nothing does."""
    body = _body(hit)
    sentences = split_sentences(body)
    label = m.group() if (m := ARTICLE_HEAD.match(body)) else ""
    wanted = set(tokenize(question))
    ranked = sorted(range(len(sentences)), key=lambda i: (-len(wanted & set(tokenize(sentences[i]))), i))
    chosen: list[int] = []
    for i in ranked:
        trial = sorted(chosen + [i])
        if count_tokens(source_block(n, hit, language, _excerpt(label, sentences, trial, language))) <= budget:
            chosen = trial
    if chosen:
        return source_block(n, hit, language, _excerpt(label, sentences, chosen, language))
    return _shorten(n, hit, language, budget) if budget >= MIN_SOURCE_TOKENS else None


def _share(sizes: list[int], budget: int) -> int:
    """The largest per-source allowance c with sum(min(size, c)) <= budget (water filling)."""
    remaining, left = budget, len(sizes)
    for size in sorted(sizes):
        if size * left > remaining:
            return remaining // left
        remaining -= size
        left -= 1
    return max(sizes, default=0)


def _add(ctx: Context, hit: ScoredChunk, block: str) -> None:
    ctx.hits.append(hit)
    ctx.blocks.append(block)
    ctx.tokens += count_tokens(block) + SEPARATOR_TOKENS


def build_context(hits: list[ScoredChunk], budget_tokens: int, language: str, question: str = "") -> Context:
    """The best hits that fit in ``budget_tokens``. When they do not all fit whole, the first MIN_SOURCES (fewer when each
    could not get MIN_SOURCE_TOKENS) share the budget, each longer than its share trimmed to the sentences closest to
    ``question``; the hits after them follow whole, or trimmed while MIN_SOURCE_TOKENS are left."""
    ctx = Context()
    sizes = [count_tokens(source_block(i, h, language)) + SEPARATOR_TOKENS for i, h in enumerate(hits, 1)]
    first = min(len(hits), MIN_SOURCES)
    while first > 1 and budget_tokens // first < MIN_SOURCE_TOKENS + SEPARATOR_TOKENS:
        first -= 1
    share = _share(sizes[:first], budget_tokens)
    for i, hit in enumerate(hits):
        n, room = i + 1, budget_tokens - ctx.tokens
        allowance = min(share, room) if i < first else room
        block = source_block(n, hit, language) if sizes[i] <= allowance else None
        if block is None and allowance - SEPARATOR_TOKENS >= (1 if i < first else MIN_SOURCE_TOKENS):
            block = trim_source(n, hit, language, allowance - SEPARATOR_TOKENS, question)
        if block is None:
            break
        _add(ctx, hit, block)
    return ctx
