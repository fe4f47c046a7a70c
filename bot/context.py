"""Numbered sources for the LLM: each framed as quoted data with its breadcrumb, all fitted into a token budget."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge import ScoredChunk, count_tokens

_TAG = re.compile(r"<\s*(/?)\s*source\b", re.I)
_FIELDS = {
    "zh": {"from": "出处", "page": "页码", "effective": "施行日期", "status": "状态"},
    "en": {"from": "From", "page": "Page", "effective": "In force from", "status": "Status"},
}
MIN_SOURCE_TOKENS = 80


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


def build_context(hits: list[ScoredChunk], budget_tokens: int, language: str) -> Context:
    """The best hits that fit in ``budget_tokens``; the last one is cut short rather than left out when enough room is left."""
    ctx = Context()
    for hit in hits:
        n = len(ctx.hits) + 1
        block = source_block(n, hit, language)
        size = count_tokens(block)
        if ctx.tokens + size > budget_tokens:
            room = budget_tokens - ctx.tokens
            block = _shorten(n, hit, language, room) if room >= MIN_SOURCE_TOKENS else None
            if block is None:
                break
            size = count_tokens(block)
        ctx.hits.append(hit)
        ctx.blocks.append(block)
        ctx.tokens += size + 2
    return ctx
