"""Sentences of a passage: what extractive answers quote and what sentence embeddings are made of."""
from __future__ import annotations

import functools
import re

from .chinese import ARTICLE_HEAD

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?|[^\n]+")
_CLAUSE = re.compile(r"[^；;]+[；;]?")
_EN_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_BULLET = re.compile(r"^(?:[-*•]|#+)\s+")
LONG_SENTENCE = 160
EMBEDDED_SENTENCES = 12
EMBEDDED_CHARS = 200


@functools.lru_cache(maxsize=4096)
def split_sentences(text: str) -> tuple[str, ...]:
    """Sentences of a passage (Chinese and English punctuation), without the breadcrumb line; long ones also split at ；.
    Cached: an answer reads the same passages' sentences several times (closeness, choice, list context)."""
    lines = text.split("\n")
    if lines and lines[0].startswith("《"):
        lines = lines[1:]
    out: list[str] = []
    for line in lines:
        line = ARTICLE_HEAD.sub("", _BULLET.sub("", line.strip())).lstrip()
        if not line or line.startswith("|"):
            continue
        for piece in _SENTENCE.findall(line):
            parts = _CLAUSE.findall(piece) if len(piece) > LONG_SENTENCE else [piece]
            for part in parts:
                out.extend(s.strip() for s in _EN_SENTENCE.split(part) if len(s.strip()) >= 6)
    return tuple(out)


def sentences_to_embed(text: str) -> list[str]:
    """The sentences of a passage that get their own embedding (at most 12, each cut to 200 characters)."""
    return [s[:EMBEDDED_CHARS] for s in split_sentences(text)[:EMBEDDED_SENTENCES]] or [text[:EMBEDDED_CHARS]]
