"""The pieces of an answer that states the asked fact first: the lead sentence (the one that states what is asked, with
its figure), sources that say the same thing (cited together instead of quoted twice), FAQ labels taken off, and the
English opening of an answer quoted from Chinese law."""
from __future__ import annotations

import functools
import re
from typing import AbstractSet

from knowledge import ScoredChunk, en_to_zh, split_sentences, tokenize, zh_terms_in
from knowledge.chinese import CJK as _CJK
from knowledge.chinese import article_number
from knowledge.lexical import BM25Index

from .answertype import states_kind
from .citecheck import Source, amounts_of, overlap
from .numerals import normalize_figures
from .query import passage_language
from .relevance import weighted_coverage

KIND_WEIGHT = 0.5
SUBJECT_WEIGHT = 0.3
LANGUAGE_WEIGHT = 0.6
RANK_WEIGHT = 0.5
SEMANTIC_WEIGHT = 0.5
REFERENCE_WEIGHT = 1.0
ALWAYS_ELIGIBLE = 2
CONTEXT_WEIGHT = 0.5
AUTHORITY_WEIGHT = 0.15
MIN_LEAD_CHARS = 8
ECHO_OVERLAP = 0.6
FAQ_MATCH = 0.75
PAIR_SCREEN = 0.5
FOCUS_KEPT = 0.5
ENGLISH_SUPPORT = 0.2
_FAQ_LABEL = re.compile(r"^\s*(?:答|回答|A)\s*[:：]\s*")
_FAQ_QUESTION = re.compile(r"^\s*(?:问|Q)\s*[:：]")
_BASIS_NOTE = re.compile(r"\s*[（(](?:依据|法律依据|Legal basis)[:：][^（）()]*(?:[（(][^（）()]*[）)][^（）()]*)*[）)]", re.I)
_PUNCT = re.compile(r"[\s\W_]+")
_EN_UNITS = {"年": "years", "个月": "months", "月": "months", "日": "days", "天": "days", "工作日": "working days", "个工作日": "working days",
             "元": "yuan", "倍": "times"}
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(个工作日|工作日|个月|年(?!度)|月|日|天|元|倍|%)")


@functools.lru_cache(maxsize=16384)
def tokens_of(text: str) -> frozenset[str]:
    """The search tokens of a sentence (cached: the same sentences are scored for every part of a question)."""
    return frozenset(tokenize(text))


@functools.lru_cache(maxsize=16384)
def shared(sentence: str, other: str) -> float:
    """How much of ``sentence`` is in ``other`` (bot.answering.citecheck.overlap, cached)."""
    return overlap(sentence, [Source(other)])


@functools.lru_cache(maxsize=16384)
def _pairs(text: str) -> frozenset[str]:
    """Adjacent character pairs of a text's words (a cheap screen before the word overlap)."""
    t = _PUNCT.sub("", text.lower())
    return frozenset(t[i:i + 2] for i in range(len(t) - 1))


def core(text: str) -> str:
    """A sentence without the legal basis a guide names in brackets ("（依据：《专利法》第四十二条）")."""
    return _BASIS_NOTE.sub("", text).strip()


def without_label(sentence: str) -> str:
    """A FAQ answer's sentence without its "答：" label."""
    return _FAQ_LABEL.sub("", sentence, count=1)


def same_text(a: str, b: str) -> bool:
    """Whether two sentences are the same words (punctuation, spaces and markers aside)."""
    return _PUNCT.sub("", a) == _PUNCT.sub("", b)


def _quotable(sentence: str, hit: ScoredChunk) -> bool:
    label = (hit.chunk.metadata.get("article_label") or "").strip()
    s = sentence.strip("#* ").strip()
    return (len(s) >= MIN_LEAD_CHARS and s != label and not s.endswith(("？", "?")) and not _FAQ_QUESTION.match(s))


def scored_sentences(terms: list[str], hits: list[ScoredChunk], index: BM25Index, *, kind: str | None, subject: str | None,
                     depth: int | None, closeness: dict[tuple[int, str], float] | None = None,
                     skip: AbstractSet[tuple[str, str]] = frozenset(), context: list[str] | None = None) -> list[tuple[float, int, int, str, float]]:
    """(score, hit rank, position, sentence, coverage) of every quotable sentence of the first ``depth`` passages: how
    well it covers the question's terms, states the asked kind of fact (with its figure for duration, amount and
    deadline questions), names the asked subject, comes close to the question in meaning, comes from a well-ranked
    passage, and is the statute's own wording rather than a guide's. ``context`` (the whole message's terms, when ``terms`` are one part's) counts half."""
    out = []
    by_script = _terms_by_script(terms)
    context_by_script = _terms_by_script(context) if context else None
    for rank, hit in enumerate(hits[:depth]):
        for position, sentence in enumerate(split_sentences(hit.chunk.text)):
            if (skip and (hit.chunk.chunk_id, sentence) in skip) or not _quotable(sentence, hit):
                continue
            tokens = tokens_of(sentence)
            script = "en" if is_english(sentence) else "zh"
            cov = weighted_coverage(by_script[script], tokens, index) + (
                CONTEXT_WEIGHT * weighted_coverage(context_by_script[script], tokens, index) if context_by_script else 0.0)
            near = (closeness or {}).get((rank, sentence), 0.0)
            if cov <= 0 and near <= 0 and rank >= ALWAYS_ELIGIBLE:
                continue
            score = (cov + RANK_WEIGHT / (rank + 1) + SEMANTIC_WEIGHT * near
                     + (REFERENCE_WEIGHT if hit.signals.article_ref else 0.0)
                     + (AUTHORITY_WEIGHT if hit.chunk.metadata.get("kind") == "article" else 0.0)
                     + (KIND_WEIGHT if states_kind(kind, sentence) else 0.0)
                     + (SUBJECT_WEIGHT if subject and subject.lower() in sentence.lower() else 0.0))
            out.append((score, rank, position, sentence, cov))
    return sorted(out, key=lambda c: (-c[0], c[1], c[2]))


def _terms_by_script(terms: list[str]) -> dict[str, list[str]]:
    """The terms a sentence of each language is measured by: for an English question (most of its terms Latin) that
    also carries the statute's Chinese terms, a Chinese sentence by the Chinese terms and an English one by the English
    ones (neither can hold the other's words); otherwise all terms for both."""
    cjk = [t for t in terms if _CJK.search(t)]
    latin = [t for t in terms if not _CJK.search(t)]
    if cjk and len(latin) > len(cjk):
        return {"zh": cjk, "en": latin}
    return {"zh": terms, "en": terms}


def lead_sentence(scored: list[tuple[float, int, int, str, float]], language: str, kind: str | None,
                  terms: list[str] | None = None, index: BM25Index | None = None) -> tuple[int, str] | None:
    """(hit rank, sentence) of the best-scored sentence. For an English question the best Chinese sentence (the law's
    own words) leads unless an English sentence says the same — states its figures, or it has none and the best English
    one that speaks of what it speaks of (``speaks_of``) scores at least as well — and scores within ``LANGUAGE_WEIGHT``
    of it."""
    if not scored:
        return None
    best = scored[0]
    if language == "en":
        chinese = next((c for c in scored if not is_english(c[3])), None)
        figures = amounts_of(core(chinese[3])) if chinese is not None else frozenset()
        english = next((c for c in scored if is_english(c[3]) and (
            figures or chinese is None or index is None or speaks_of(c[3], chinese[3], terms or [], index))), None)
        if chinese is None or english is None:
            only = chinese or english or best
            return only[1], only[3]
        same = figures <= amounts_of(english[3]) if figures else english[0] >= chinese[0]
        wants_kind = states_kind(kind, chinese[3])
        best = english if same and english[0] >= chinese[0] - LANGUAGE_WEIGHT and (not wants_kind or states_kind(kind, english[3])) else chinese
    return best[1], best[3]


@functools.lru_cache(maxsize=16384)
def mapped_tokens(sentence: str) -> frozenset[str]:
    """An English sentence's search tokens with those of the statute's words for its terms (knowledge.en_to_zh)."""
    return tokens_of(sentence) | frozenset(tokenize(" ".join(en_to_zh(sentence))))


def speaks_of(english: str, chinese: str, terms: list[str], index: BM25Index) -> bool:
    """Whether an English sentence speaks of what a Chinese one does: of the question's Chinese terms the Chinese
    sentence holds, those the English one holds too (by the statute's words for its terms) carry at least
    ``FOCUS_KEPT`` of their idf — so that an English guide's sentence that shares only "patent" with the question
    (an English passage is retrieved for an English question whatever it is about) does not lead."""
    focus = [t for t in dict.fromkeys(terms) if _CJK.search(t) and t in tokens_of(chinese)]
    return not focus or weighted_coverage(focus, mapped_tokens(english), index) >= FOCUS_KEPT


def english_supports(english: str, anchor: str, terms: list[str], index: BM25Index) -> bool:
    """Whether an English guide's sentence may support an answer: it speaks of what the law quoted (``anchor``) speaks
    of, or holds, by the statute's words for its terms, ``ENGLISH_SUPPORT`` of the idf of the question's Chinese terms."""
    asked = [t for t in dict.fromkeys(terms) if _CJK.search(t)]
    return speaks_of(english, anchor, terms, index) or bool(asked and weighted_coverage(asked, mapped_tokens(english), index) >= ENGLISH_SUPPORT)


def faq_answer(question: str, terms: list[str], hits: list[ScoredChunk], index: BM25Index, depth: int = 3,
               max_chars: int = 200) -> tuple[int, str] | None:
    """(hit rank, answer) of a FAQ entry among the first passages whose question is the one asked (its terms cover
    ``FAQ_MATCH`` of the asked question's): its answer's first sentences, without the "答：" label, up to ``max_chars``."""
    for rank, hit in enumerate(hits[:depth]):
        label = hit.chunk.metadata.get("article_label") or ""
        if not (_FAQ_QUESTION.match(label) or label.rstrip().endswith(("？", "?"))):
            continue
        if weighted_coverage(terms, tokens_of(label), index) < FAQ_MATCH:
            continue
        answer = ""
        for sentence in split_sentences(hit.chunk.text):
            if not _quotable(sentence, hit) or same_text(sentence, label):
                continue
            if answer and len(answer) + len(sentence) > max_chars:
                break
            answer += sentence
        if answer:
            return rank, answer
    return None


def repeats(quote: str, other: str, min_overlap: float = ECHO_OVERLAP) -> bool:
    """Whether ``quote`` says what ``other`` says: every figure of it (article numbers aside) is in ``other``, and
    ``min_overlap`` of its words."""
    quote, other = core(quote), core(other)
    mine = amounts_of(quote)
    if not mine <= amounts_of(other) or not (mine or min_overlap >= ECHO_OVERLAP):
        return False
    pairs = _pairs(quote)
    if pairs and len(pairs & _pairs(other)) < PAIR_SCREEN * min_overlap * len(pairs):
        return False
    return shared(quote, other) >= min_overlap


def echoes(quote: str, rank: int, hits: list[ScoredChunk], depth: int | None, min_overlap: float) -> list[int]:
    """Ranks of other passages (of other documents) with a sentence that says what ``quote`` says (``repeats``),
    statutes first; at most one. The quote then cites both instead of quoting the same fact twice."""
    own_doc = hits[rank].chunk.doc_id
    found: list[tuple[bool, int]] = []
    for r, hit in enumerate(hits[:depth]):
        if r == rank or hit.chunk.doc_id == own_doc:
            continue
        if any(repeats(quote, s, max(ECHO_OVERLAP, min_overlap)) for s in split_sentences(hit.chunk.text)):
            found.append((hit.chunk.metadata.get("kind") != "article", r))
    return [r for _, r in sorted(found)[:1]]


def _english_figures(sentence: str) -> list[str]:
    out: list[str] = []
    for number, unit in _FIGURE.findall(normalize_figures(sentence)):
        if unit == "年" and len(number) == 4:  # a year of the calendar (2020年修正), not a duration
            continue
        gloss = f"{number}%" if unit == "%" else f"{number} {_EN_UNITS[unit]}"
        if gloss not in out:
            out.append(gloss)
    return out[:3]


def english_opening(sentence: str, meta: dict) -> str:
    """An English line to open an answer whose lead is quoted from a Chinese passage: the law and article in English
    (from the glossary) and the figures it states ("Trademark Law, Art. 39 — 10 years:")."""
    title = meta.get("title") or ""
    law = next((en for _, en in zh_terms_in(title)), "")
    label = meta.get("article_label") or ""
    number = article_number(label)
    name = law or (f"《{title}》" if title and number else "")
    where = f"{name}, Art. {number}" if name and number else name
    figures = _english_figures(sentence)
    said = " — " + ", ".join(figures) if figures else ""
    return f"{where}{said}:" if where else (f"{', '.join(figures)}:" if figures else "")


def is_english(sentence: str) -> bool:
    """Whether a sentence is written in English."""
    return passage_language(sentence) == "en"
