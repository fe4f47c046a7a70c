"""Data passed between loaders, the structure parser and the chunker."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    """One paragraph-like unit of a loaded document.

    ``level`` is the heading level (1 = top) when the source marks the block as a
    heading (markdown ``#``, DOCX "Heading N", HTML ``<hN>``), else ``None``.
    ``page`` is the 1-based page number for paged formats (PDF), else ``None``.
    ``is_table`` marks a block holding a whole markdown table (rows kept together).
    """

    text: str
    page: int | None = None
    level: int | None = None
    is_table: bool = False


@dataclass
class ParsedDocument:
    """A loaded document: its blocks in reading order plus what the loader learnt."""

    source: str
    title: str
    blocks: list[Block]
    fmt: str
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A structural unit found by the structure parser (an article, a guide section, a FAQ pair)."""

    text: str
    kind: str = "section"  # "article" | "section" | "preamble" | "faq"
    article: int | None = None
    article_label: str | None = None
    chapter: str | None = None
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    page_end: int | None = None


@dataclass
class ChunkDraft:
    """A passage ready to be embedded and stored, with its citation metadata."""

    text: str
    ordinal: int
    kind: str = "section"
    article: int | None = None
    article_label: str | None = None
    chapter: str | None = None
    breadcrumb: str = ""
    page: int | None = None
    page_end: int | None = None
    tokens: int = 0
