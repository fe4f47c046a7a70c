"""Chunker: one passage per article (or guide section / Q&A pair), each prefixed by a citation breadcrumb.

Sections longer than the token budget are split by paragraph (款), then list item (项),
then sentence, then clause; markdown tables are split only between rows, header repeated.
No chunk ever holds text of two sections.
"""
from __future__ import annotations

import contextlib
import itertools
import re
import time
from typing import Callable

from knowledge.tokens import count_tokens

from .errors import TooManyChunks
from .limits import Progress, poll, watching
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


_PROBE_MARGIN = 64  # tokens: a prefix this far over budget stays over it however much text follows


def _over_window(text: str, start: int, budget: int) -> int:
    """A length ``w`` such that every prefix of ``text[start:]`` longer than ``w`` is over ``budget`` tokens
    (the whole rest when it is short): the first doubling of ``budget`` characters whose prefix already holds
    more than ``budget + _PROBE_MARGIN`` tokens."""
    rest = len(text) - start
    width = max(budget, 1)
    while width < rest and count_tokens(text[start : start + width]) <= budget + _PROBE_MARGIN:
        width *= 2
    return min(width, rest)


def _hard_split(text: str, budget: int) -> list[str]:
    """Cut ``text`` into the longest pieces of at most ``budget`` tokens, by binary search on the piece length.

    Probes longer than :func:`_over_window` are known to be over budget and are not tokenized, so each
    piece costs O(piece length · log) instead of O(rest of the text · log): linear overall, the same pieces.
    """
    pieces = []
    start, end = 0, len(text)
    while start < end:
        poll()
        window = _over_window(text, start, budget)
        lo, hi = 1, end - start
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if mid <= window and count_tokens(text[start : start + mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(text[start : start + lo])
        start += lo
    return pieces


def _pack(parts: list[tuple[str, Splitter]], sep: str, budget: int) -> list[str]:
    """Greedily join part texts with ``sep`` up to ``budget`` tokens; a part over budget goes to its splitter."""
    out: list[str] = []
    current: list[str] = []
    for part, split_part in parts:
        poll()
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
    """Cut ``crumb`` (by fifths) until it holds at most half of ``max_tokens``.

    A crumb whose first ``8 * max_tokens`` characters are already well over that is cut without tokenizing it
    whole, so a huge title costs each section O(max_tokens), not O(title)."""
    half, probe = max_tokens // 2, 8 * max(max_tokens, 1)
    while len(crumb) > 8 and (
        (len(crumb) > probe and count_tokens(crumb[:probe]) > half + _PROBE_MARGIN) or count_tokens(crumb) > half
    ):
        crumb = crumb[: int(len(crumb) * 0.8)]
    return crumb


_ESTIMATE_SLACK = 1.25  # text with this many times the tokens max_chunks passages can hold is refused before chunking
_ESTIMATE_SLICE = 1 << 16  # characters tokenized at a time while estimating
_REPORT_EVERY_S = 0.2  # chunking reports progress (and so checks the deadline) this often


def _too_many(count: int, limit: int, approx: bool) -> TooManyChunks:
    return TooManyChunks(
        f"the file would become {'about ' if approx else ''}{count:,} passages, more than the limit of {limit:,} "
        f"per document (set IPBOT_MAX_CHUNKS_PER_DOC to raise it)")


def estimate_too_many(doc: ParsedDocument, max_tokens: int, max_chunks: int) -> int | None:
    """Without chunking: about how many passages ``doc`` would become, when its text alone clearly cannot fit in
    ``max_chunks`` passages of ``max_tokens`` tokens (it holds over ``_ESTIMATE_SLACK`` times as many tokens); else None.

    Tables are left out (an oversized table row may exceed a passage). The text is tokenized a slice at a time
    and only until the answer is clear, so a huge file costs no more than one that just fits.
    """
    per_chunk = max(max_tokens, 1)
    limit = max_chunks * per_chunk * _ESTIMATE_SLACK
    texts = [b.text for b in doc.blocks if not b.is_table]
    total = sum(len(t) + 1 for t in texts)
    tokens = seen = size = 0
    buffer: list[str] = []
    slices = (text[i : i + _ESTIMATE_SLICE] for text in texts for i in range(0, len(text), _ESTIMATE_SLICE))
    for piece in itertools.chain(slices, [None]):
        if piece is not None:
            buffer.append(piece)
            size += len(piece) + 1
        if buffer and (size >= _ESTIMATE_SLICE or piece is None):
            poll()
            tokens += count_tokens("\n".join(buffer))
            seen += size
            buffer, size = [], 0
            if tokens > limit:
                return round(tokens / seen * total / per_chunk)
    return None


class _Reporter:
    """Calls ``progress("chunking", done, total)`` at most every ``_REPORT_EVERY_S`` seconds when polled."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.done = self.total = 0
        self.last = time.monotonic()

    def poll(self) -> None:
        if time.monotonic() - self.last >= _REPORT_EVERY_S:
            self.last = time.monotonic()
            self.progress("chunking", self.done, self.total)


def chunk_document(doc: ParsedDocument, max_tokens: int = 480, overlap_tokens: int = 0, *,
                   max_chunks: int | None = None, progress: Progress | None = None) -> list[ChunkDraft]:
    """Chunks of ``doc``: one per article/section/Q&A pair, longer ones split, each prefixed by its breadcrumb.

    The breadcrumb (e.g. "《中华人民共和国专利法》 第五章 … 第四十二条") is the first line of every
    chunk's text and is also stored in ``ChunkDraft.breadcrumb``; ``tokens`` counts the whole text.
    ``overlap_tokens`` > 0 repeats the last sentences of a piece at the start of the next one, within a section only.

    ``max_chunks``: raise :class:`TooManyChunks`, naming the (estimated) count, as soon as the document is known to
    become more passages than this: before chunking when its text is clearly too long, else once the limit is passed.
    ``progress("chunking", sections done, sections)`` is called at the start, the end and every few tenths of a
    second in between (from inside long loops too); it may raise to stop the work.
    """
    if max_chunks is not None:
        estimate = estimate_too_many(doc, max_tokens, max_chunks)
        if estimate is not None:
            raise _too_many(max(estimate, max_chunks + 1), max_chunks, approx=True)
    reporter = _Reporter(progress) if progress is not None else None
    with watching(reporter.poll) if reporter is not None else contextlib.nullcontext():
        chunks = _chunk_sections(doc, max_tokens, overlap_tokens, max_chunks, reporter)
    if reporter is not None:
        progress("chunking", reporter.total, reporter.total)
    return chunks


def _chunk_sections(doc: ParsedDocument, max_tokens: int, overlap_tokens: int, max_chunks: int | None,
                    reporter: _Reporter | None) -> list[ChunkDraft]:
    sections = parse_structure(doc)
    if reporter is not None:
        reporter.total = len(sections)
        reporter.progress("chunking", 0, len(sections))
    title = doc.title.strip().strip("《》").strip()
    chunks: list[ChunkDraft] = []
    total_chars = sum(len(s.text) for s in sections)
    seen_chars = 0
    for n, section in enumerate(sections):
        if reporter is not None:
            reporter.done = n
            reporter.poll()
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
        seen_chars += len(section.text)
        if max_chunks is not None and len(chunks) > max_chunks:
            approx = n + 1 < len(sections)
            count = round(len(chunks) * total_chars / max(seen_chars, 1)) if approx else len(chunks)
            raise _too_many(max(count, len(chunks)), max_chunks, approx)
    return chunks
