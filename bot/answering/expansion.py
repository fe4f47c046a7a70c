"""Colloquial phrasing expanded with the legal terms a statute uses (抢注 → 恶意注册, 在先使用; "pay late" → 滞纳金),
from the tables knowledge/colloquial.tsv and knowledge/colloquial_en.tsv."""
from __future__ import annotations

import functools
import re

from knowledge import COLLOQUIAL_EN_FILE, COLLOQUIAL_FILE
from knowledge.wordlists import read_mapping


def _phrase_rows(path) -> list[tuple[str, str]]:
    """(phrase, terms) rows of a phrase<TAB>terms table, comments and blank lines left out."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            phrase, terms = line.split("\t", 1)
            rows.append((phrase.strip(), terms.strip()))
    return rows


@functools.lru_cache(maxsize=1)
def _table() -> list[tuple[str, str]]:
    return sorted(_phrase_rows(COLLOQUIAL_FILE), key=lambda r: -len(r[0]))


def legal_terms_for(question: str) -> str:
    """Space-separated legal terms for the colloquial phrases found in the question ('' when none)."""
    lowered = question.lower()
    seen: list[str] = []
    for phrase, terms in _table():
        if phrase.lower() in lowered:
            seen.extend(t for t in terms.split() if t not in seen and t not in question)
    return " ".join(seen)


@functools.lru_cache(maxsize=1)
def _english_table() -> dict[str, str]:
    return {phrase.lower(): terms for phrase, terms in _phrase_rows(COLLOQUIAL_EN_FILE)}


def english_question_terms(question: str) -> list[str]:
    """Chinese statute words for the everyday English words of a question (how long → 期限)."""
    lowered = question.lower()
    out: list[str] = []
    table = _english_table()
    for phrase in sorted(table, key=len, reverse=True):
        pattern = rf"\b{re.escape(phrase)}"
        if re.search(pattern, lowered):
            lowered = re.sub(pattern, " ", lowered)
            out.extend(t for t in table[phrase].split() if t not in out)
    return out


_TOPIC_WORDS = read_mapping("topic_words.tsv")
_TITLE_TOPICS = read_mapping("title_topics.tsv")


def question_topics(question: str) -> set[str]:
    """The IP fields a question is about (patent, trademark, copyright …), from its words."""
    lowered = question.lower()
    return {topic for topic, words in _TOPIC_WORDS.items()
            if any((re.search(rf"(?<![a-z]){re.escape(w)}(?:s|es)?(?![a-z])", lowered) if w.isascii() else w in lowered) for w in words.split())}


@functools.lru_cache(maxsize=256)
def title_topics(title: str) -> frozenset[str]:
    """The IP fields a document covers, from its title."""
    lowered = title.lower()
    return frozenset(t for key, topics in _TITLE_TOPICS.items() if key in lowered for t in topics.split())
