"""Chunker: one passage per article (or guide section / Q&A pair), each prefixed by a citation breadcrumb.

Sections longer than the token budget are split by paragraph (款), then list item (项),
then sentence, then clause; markdown tables are split only between rows, header repeated.
No chunk ever holds text of two sections.
"""
from __future__ import annotations

import re
from typing import Callable

from knowledge.tokens import count_tokens

from .model import ChunkDraft, ParsedDocument, Section
from .structure import parse_structure

_ITEM = re.compile(r"^[（(]\s*[一二三四五六七八九十百\d]+\s*[）)]")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")
_SENTENCE = re.compile(r"(?<=[。；！？;!?])")
_CLAUSE = re.compile(r"(?<=[，,、：:])")
Splitter = Callable[[str, int], "list[str]"]


def _breadcrumb(title: str, section: Section) -> str:
    parts = [f"《{title}》"] if title else []
    if section.kind == "article":
        parts += [section.chapter or "", section.article_label or ""]
    elif section.kind != "preamble":
        parts += section.heading_path
    return " ".join(p for p in parts if p)


def _groups(text: str) -> list[tuple[str, list[str]]]:
    """Split section text into ("table", rows) and ("para", lines) groups; a paragraph keeps its 项 lines."""
    groups: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        kind = "table" if line.lstrip().startswith("|") else "para"
        if groups and groups[-1][0] == kind and (kind == "table" or _ITEM.match(line.strip())):
            groups[-1][1].append(line)
        else:
            groups.append((kind, [line]))
    return groups


def _hard_split(text: str, budget: int) -> list[str]:
    pieces = []
    while text:
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(text[:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(text[:lo])
        text = text[lo:]
    return pieces


def _pack(parts: list[tuple[str, Splitter]], sep: str, budget: int) -> list[str]:
    """Greedily join part texts with ``sep`` up to ``budget`` tokens; a part over budget goes to its splitter."""
    out: list[str] = []
    current: list[str] = []
    for part, split_part in parts:
        if not part.strip():
            continue
        if count_tokens(part) > budget:
            subs = split_part(part, budget)
            if current and subs and count_tokens(sep.join(current + subs[:1])) <= budget:
                current.append(subs.pop(0))
            if current and subs:
                out.append(sep.join(current))
                current = []
            if subs:
                out.extend(subs[:-1])
                current = [subs[-1]]
        elif current and count_tokens(sep.join(current + [part])) > budget:
            out.append(sep.join(current))
            current = [part]
        else:
            current.append(part)
    if current:
        out.append(sep.join(current))
    return out


def _split_sentence(sentence: str, budget: int) -> list[str]:
    return _pack([(c, _hard_split) for c in _CLAUSE.split(sentence)], "", budget)


def _split_line(line: str, budget: int) -> list[str]:
    return _pack([(s, _split_sentence) for s in _SENTENCE.split(line)], "", budget)


def _split_paragraph(text: str, budget: int) -> list[str]:
    return _pack([(line, _split_line) for line in text.split("\n")], "\n", budget)


def _split_table(text: str, budget: int) -> list[str]:
    rows = text.split("\n")
    header = rows[:2] if len(rows) > 1 and _TABLE_RULE.match(rows[1].strip()) else rows[:1]
    pieces: list[str] = []
    current: list[str] = []
    for row in rows[len(header):]:
        if current and count_tokens("\n".join(header + current + [row])) > budget:
            pieces.append("\n".join(header + current))
            current = []
        current.append(row)
    if current or not pieces:
        pieces.append("\n".join(header + current))
    return pieces


def split_text(text: str, budget: int) -> list[str]:
    """Pieces of ``text`` of at most ``budget`` tokens each (only a single oversized table row may exceed it)."""
    if count_tokens(text) <= budget:
        return [text] if text.strip() else []
    parts = [("\n".join(lines), _split_table if kind == "table" else _split_paragraph) for kind, lines in _groups(text)]
    return _pack(parts, "\n", budget)


def _has_table(text: str) -> bool:
    return any(line.lstrip().startswith("|") for line in text.split("\n"))


def _with_overlap(pieces: list[str], overlap: int) -> list[str]:
    out = pieces[:1]
    for prev, piece in zip(pieces, pieces[1:]):
        tail = ""
        last_line = prev.split("\n")[-1]
        if not _has_table(last_line) and not piece.lstrip().startswith("|"):
            for sentence in reversed([s for s in _SENTENCE.split(last_line) if s]):
                if count_tokens(sentence + tail) > overlap:
                    break
                tail = sentence + tail
        out.append(f"{tail}\n{piece}" if tail else piece)
    return out


def _section_pieces(section: Section, crumb: str, max_tokens: int, overlap: int) -> list[str]:
    budget = max_tokens - count_tokens(crumb + "\n") - overlap
    while True:
        pieces = split_text(section.text.strip(), max(budget, 16))
        if overlap > 0:
            pieces = _with_overlap(pieces, overlap)
        over = [p for p in pieces if count_tokens(f"{crumb}\n{p}") > max_tokens and not _has_table(p)]
        if budget <= 16 or not over:
            return pieces
        budget -= 8


def _fit_crumb(crumb: str, max_tokens: int) -> str:
    while len(crumb) > 8 and count_tokens(crumb) > max_tokens // 2:
        crumb = crumb[: int(len(crumb) * 0.8)]
    return crumb


def chunk_document(doc: ParsedDocument, max_tokens: int = 480, overlap_tokens: int = 0) -> list[ChunkDraft]:
    """Chunks of ``doc``: one per article/section/Q&A pair, longer ones split, each prefixed by its breadcrumb.

    The breadcrumb (e.g. "《中华人民共和国专利法》 第五章 … 第四十二条") is the first line of every
    chunk's text and is also stored in ``ChunkDraft.breadcrumb``; ``tokens`` counts the whole text.
    ``overlap_tokens`` > 0 repeats the last sentences of a piece at the start of the next one, within a section only.
    """
    title = doc.title.strip().strip("《》").strip()
    chunks: list[ChunkDraft] = []
    for section in parse_structure(doc):
        crumb = _fit_crumb(_breadcrumb(title, section), max_tokens)
        for piece in _section_pieces(section, crumb, max_tokens, max(overlap_tokens, 0)):
            if not piece.strip():
                continue
            text = f"{crumb}\n{piece}" if crumb else piece
            chunks.append(ChunkDraft(
                text=text, ordinal=len(chunks), kind=section.kind, article=section.article,
                article_label=section.article_label, chapter=section.chapter, breadcrumb=crumb,
                page=section.page, page_end=section.page_end, tokens=count_tokens(text),
            ))
    return chunks
