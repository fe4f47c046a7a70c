"""Whether the retrieved passages cover a question at all: the signal behind abstention."""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from knowledge import IP_CORE_FILE, IP_TERMS_FILE, ScoredChunk, en_to_zh, tokenize, zh_terms_in
from knowledge.lexical import BM25Index
from knowledge.wordlists import read_mapping
from knowledge.chinese import CJK as _CJK

from .expansion import english_question_terms, legal_terms_for

_EN_HINTS = read_mapping("en_hints.tsv")


def key_terms(question: str, index: BM25Index, hints: bool = False) -> list[list[str]]:
    """The question's search terms, as alternative groups: an English question's words that some passage contains,
    and the Chinese glossary terms of its IP phrases (its other English words say nothing about a Chinese corpus).
    ``hints`` adds what English question words ask for (how long → 期限) — for picking sentences, not for abstaining."""
    terms = list(dict.fromkeys(tokenize(question)))
    if _CJK.search(question):
        return [terms]
    asked = [zh for phrase, zh in _EN_HINTS.items() if phrase in question.lower()] if hints else []
    chinese = list(dict.fromkeys(t for zh in en_to_zh(question) + asked for t in tokenize(zh)))
    return [g for g in ([t for t in terms if not _unseen(t, index)], chinese) if g]


def _unseen(term: str, index: BM25Index) -> bool:
    """No passage contains the term (its idf is the largest possible)."""
    return index.idf(term) >= math.log(2 * len(index) + 2) - 1e-9


def weighted_coverage(terms: list[str], tokens: set[str], index: BM25Index) -> float:
    """Share of the terms' idf mass present in ``tokens``."""
    uniq = list(dict.fromkeys(terms))
    total = sum(index.idf(t) for t in uniq)
    return sum(index.idf(t) for t in uniq if t in tokens) / total if total else 0.0


def support_of(question: str, hits: list[ScoredChunk], index: BM25Index, depth: int = 3) -> float:
    """How well the best of the top passages covers the question's key terms, or the statute's terms for its
    everyday phrasing (辞职 + 保密协议 → 商业秘密, 保密义务 …; taken down → 删除, 屏蔽 …) (0–1)."""
    groups = key_terms(question, index)
    statute = legal_terms_for(question) if _CJK.search(question) else " ".join(english_question_terms(question))
    legal = [t for t in dict.fromkeys(tokenize(statute)) if not _unseen(t, index)]
    if legal:
        groups.append(legal)
    if not groups or not hits:
        return 0.0
    passages = [set(tokenize(h.chunk.text)) for h in hits[:depth]]
    return max(weighted_coverage(terms, tokens, index) for terms in groups for tokens in passages)


@dataclass(frozen=True)
class Coverage:
    """The abstention decision and the figures behind it."""

    support: float
    dense: float
    direct: bool
    covered: bool
    sentence: float = 0.0
    domain: bool = True
    linked: float = 0.0


# How much closer than usual a passage must be to a question that uses no IP word (company, tax, visa, lease
# questions share words such as 注册, 许可, 证据 with the statutes): chosen on 80 such questions against our
# in-scope sets (benchmarks/RESULTS.md, session 5).
GENERAL_MARGIN = 0.01


@functools.lru_cache(maxsize=1)
def _ip_words() -> tuple[tuple[str, ...], re.Pattern]:
    def lines(path):
        return [w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")]

    words = lines(IP_CORE_FILE) + [w.split()[0] for w in lines(IP_TERMS_FILE)]  # ip_terms.txt: word, frequency, tag
    english = sorted({w.lower() for w in words if not _CJK.search(w)}, key=len, reverse=True)
    return tuple(w for w in words if _CJK.search(w)), re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, english)) + ")")


def about_ip(question: str) -> bool:
    """Whether the question uses a word that makes it an IP question (专利, 商标, 盗版, logo, infringe …;
    knowledge/ip_core.txt and ip_terms.txt)."""
    chinese, english = _ip_words()
    return any(w in question for w in chinese) or bool(english.search(question.lower()))


def in_domain(question: str) -> bool:
    """Whether the question uses a term of our bilingual IP glossary (专利, trademark, 营业执照 …)."""
    return bool(zh_terms_in(question) or en_to_zh(question))


def coverage(question: str, hits: list[ScoredChunk], index: BM25Index, min_support: float, min_dense: float = 1.0,
             min_sentence: float = 1.0, min_link: float = 1.0) -> Coverage:
    """Whether the hits cover the question: an article named in it was found, a top passage is semantically close
    to it (cosine ≥ ``min_dense``) or one of a top passage's sentences is (cosine ≥ ``min_sentence``), a top passage
    answers the linked question nearest to it and that question is close (cosine ≥ ``min_link``), or — for an IP
    question (``about_ip``) that uses a term of the glossary — a top passage holds enough of its key terms
    (``min_support``). A question that uses no IP word needs cosines ``GENERAL_MARGIN`` higher and no word overlap.
    Word overlap alone does not count for questions outside the domain: company registration shares words
    (注册, 公司, 材料) with the statutes without being about them."""
    support = support_of(question, hits, index)
    top = hits[:3]
    dense = max((max(h.signals.dense_score or 0.0, h.signals.cosine or 0.0) for h in top), default=0.0)
    sentence = max((max(h.signals.sentence_score or 0.0, h.signals.sentence_cosine or 0.0) for h in top), default=0.0)
    direct = any(h.signals.article_ref for h in hits)
    domain = in_domain(question)
    linked = max((h.signals.link_cosine or 0.0 for h in top if h.signals.link == 1.0), default=0.0)
    margin = 0.0 if about_ip(question) else GENERAL_MARGIN
    covered = bool(hits) and (direct or (domain and not margin and support >= min_support) or dense >= min_dense + margin
                              or sentence >= min_sentence + margin or linked >= min_link)
    return Coverage(support, dense, direct, covered, sentence, domain, linked)
