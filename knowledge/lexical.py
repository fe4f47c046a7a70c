"""Keyword side of retrieval: jieba tokens (with an IP-term dictionary) and an in-memory BM25 index."""
from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from pathlib import Path
from .chinese import CJK as _CJK

IP_TERMS_FILE = Path(__file__).with_name("ip_terms.txt")
_WORD = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)
STOPWORDS = frozenset(
    "的 了 和 与 或 及 以及 是 在 对 为 被 由 把 将 其 该 此 这 那 之 者 等 中 上 下 有 无 不 也 就 都 而 并 "
    "应当 可以 或者 按照 依照 根据 规定 本法 本条 前款 什么 怎么 怎么办 如何 哪些 多少 多久 吗 呢 吧 啊 我 我们 你 你们 他 她 它 "
    "请问 一下 能 会 要 需要 是否 没有 一个 个 下列 说法 正确 错误 哪项 选项 the a an of to in on for and or is are be by "
    "what how which who when does do can my our i we you it with from as at that this".split()
)


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(IP_TERMS_FILE))
    return jieba


def tokenize(text: str) -> list[str]:
    """Search tokens of ``text``: jieba search-mode words for Chinese, lower-cased words for Latin, stopwords dropped."""
    jieba = _jieba()
    out: list[str] = []
    for piece in _WORD.findall(text.lower()):
        if _CJK.search(piece):
            out.extend(w for w in jieba.lcut_for_search(piece) if w.strip() and w not in STOPWORDS)
        elif piece not in STOPWORDS and (len(piece) > 1 or piece.isdigit()):
            out.append(piece)
    return out


class BM25Index:
    """Okapi BM25 over pre-tokenised chunks, updated incrementally as chunks come and go.

    k1 = 0.7 and b = 0.5 were chosen on the development sets (benchmarks/RESULTS.md): article-sized
    passages need less term-frequency saturation and length normalisation than the textbook 1.2/0.75.
    """

    def __init__(self, k1: float = 0.7, b: float = 0.5) -> None:
        self.k1, self.b = k1, b
        self._postings: dict[str, dict[str, int]] = {}
        self._lengths: dict[str, int] = {}
        self._terms: dict[str, frozenset[str]] = {}
        self._total = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, chunk_id: str, tokens: list[str]) -> None:
        """Index one chunk (replacing it if present)."""
        if chunk_id in self._lengths:
            self.remove(chunk_id)
        for term, tf in Counter(tokens).items():
            self._postings.setdefault(term, {})[chunk_id] = tf
        self._lengths[chunk_id] = len(tokens)
        self._terms[chunk_id] = frozenset(tokens)
        self._total += len(tokens)

    def remove(self, chunk_id: str) -> None:
        """Drop one chunk."""
        if chunk_id not in self._lengths:
            return
        terms = self._terms.pop(chunk_id)
        for term in terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(chunk_id, None)
                if not posting:
                    del self._postings[term]
        self._total -= self._lengths.pop(chunk_id)

    def terms_of(self, chunk_id: str) -> frozenset[str]:
        """The distinct tokens of one indexed chunk (empty when unknown)."""
        return self._terms.get(chunk_id, frozenset())

    def idf(self, term: str) -> float:
        """Robertson–Spärck Jones idf, floored at a small positive value."""
        n = len(self._lengths)
        df = len(self._postings.get(term, ()))
        return max(math.log(1 + (n - df + 0.5) / (df + 0.5)), 0.01)

    def search(self, query_tokens: list[str], k: int = 10, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk_id, score) for the query tokens, optionally restricted to ``allowed`` ids."""
        if not self._lengths:
            return []
        avg = self._total / len(self._lengths) or 1.0
        scores: dict[str, float] = {}
        for term, qtf in Counter(query_tokens).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = self.idf(term)
            for cid, tf in posting.items():
                if allowed is not None and cid not in allowed:
                    continue
                norm = tf + self.k1 * (1 - self.b + self.b * self._lengths[cid] / avg)
                scores[cid] = scores.get(cid, 0.0) + qtf * idf * tf * (self.k1 + 1) / norm
        return sorted(scores.items(), key=lambda kv: -kv[1])[:k]
