"""The evaluation sets' scoring rule: a passage hits a gold article when it shares 30 consecutive
characters (whitespace removed) with the article body, or contains the whole body when shorter."""
from __future__ import annotations

import json
import re

from knowledge.chinese import ARTICLE_HEAD
from dataclasses import dataclass
from pathlib import Path

_WS = re.compile(r"\s+")
WINDOW = 30


def squash(text: str) -> str:
    """Text with all whitespace removed."""
    return _WS.sub("", text)


@dataclass
class GoldArticle:
    """One unit of articles.jsonl, ready for matching."""

    file: str
    article: int
    body: str

    def hit_by(self, passage_grams: set[str], passage: str) -> bool:
        """Whether a passage (squashed, with its 30-grams) hits this article."""
        if len(self.body) < WINDOW:
            return self.body in passage
        return any(self.body[i : i + WINDOW] in passage_grams for i in range(len(self.body) - WINDOW + 1))


def load_articles(path: Path) -> dict[tuple[str, int], GoldArticle]:
    """articles.jsonl keyed by (file, article number)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            a = json.loads(line)
            body = squash(a["text"])
            body = ARTICLE_HEAD.sub("", body) if a.get("unit", "article") == "article" else body
            out[(a["file"], int(a["article"]))] = GoldArticle(a["file"], int(a["article"]), body)
    return out


def grams(passage: str) -> set[str]:
    """All 30-character windows of a squashed passage."""
    return {passage[i : i + WINDOW] for i in range(max(len(passage) - WINDOW + 1, 1))}


def first_hit_rank(passages: list[str], gold: list[GoldArticle]) -> int | None:
    """1-based rank of the first passage that hits any gold article, or None."""
    for rank, text in enumerate(passages, 1):
        p = squash(text)
        g = grams(p)
        if any(a.hit_by(g, p) for a in gold):
            return rank
    return None
