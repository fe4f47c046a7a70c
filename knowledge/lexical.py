"""Keyword side of retrieval: jieba tokens (with an IP-term dictionary) and an in-memory BM25 index."""
from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from pathlib import Path

import numpy as np

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

    Postings are kept per term in the order chunks were added; a term's postings are turned into arrays (chunk slots
    and term frequencies) when a query first needs them after a change, and a query is scored with numpy over those
    arrays. Equal scores keep the order in which the query's terms first reached each chunk.
    k1 = 0.7 and b = 0.5 were chosen on the development sets (benchmarks/RESULTS.md).
    """

    def __init__(self, k1: float = 0.7, b: float = 0.5) -> None:
        self.k1, self.b = k1, b
        self._postings: dict[str, dict[str, int]] = {}
        self._terms: dict[str, frozenset[str]] = {}
        self._slot: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._length = np.zeros(64, dtype=np.float64)
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()
        self._total = 0

    def __len__(self) -> int:
        return len(self._slot)

    def add(self, chunk_id: str, tokens: list[str]) -> None:
        """Index one chunk (replacing it if present)."""
        if chunk_id in self._slot:
            self.remove(chunk_id)
        if len(self._ids) > 2 * len(self._slot) + 1024:
            self._compact()
        slot = len(self._ids)
        if slot >= len(self._length):
            self._length = np.concatenate([self._length, np.zeros(len(self._length), dtype=np.float64)])
        self._ids.append(chunk_id)
        self._slot[chunk_id] = slot
        self._length[slot] = len(tokens)
        for term, tf in Counter(tokens).items():
            self._postings.setdefault(term, {})[chunk_id] = tf
            self._arrays.pop(term, None)
        self._terms[chunk_id] = frozenset(tokens)
        self._total += len(tokens)

    def remove(self, chunk_id: str) -> None:
        """Drop one chunk."""
        slot = self._slot.pop(chunk_id, None)
        if slot is None:
            return
        for term in self._terms.pop(chunk_id):
            self._arrays.pop(term, None)
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(chunk_id, None)
                if not posting:
                    del self._postings[term]
        self._ids[slot] = None
        self._total -= int(self._length[slot])
        self._length[slot] = 0.0

    def _compact(self) -> None:
        """Give the live chunks consecutive slots again (after many replacements)."""
        live = [cid for cid in self._ids if cid is not None]
        length = np.zeros(max(64, 2 * len(live)), dtype=np.float64)
        length[: len(live)] = [self._length[self._slot[cid]] for cid in live]
        self._ids, self._slot, self._length = list(live), {cid: i for i, cid in enumerate(live)}, length
        self._arrays.clear()

    def terms_of(self, chunk_id: str) -> frozenset[str]:
        """The distinct tokens of one indexed chunk (empty when unknown)."""
        return self._terms.get(chunk_id, frozenset())

    def idf(self, term: str) -> float:
        """Robertson–Spärck Jones idf, floored at a small positive value."""
        n = len(self._slot)
        df = len(self._postings.get(term, ()))
        return max(math.log(1 + (n - df + 0.5) / (df + 0.5)), 0.01)

    def _posting_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        arrays = self._arrays.get(term)
        if arrays is None:
            posting = self._postings.get(term)
            if not posting:
                return None
            arrays = (np.fromiter((self._slot[c] for c in posting), dtype=np.int64, count=len(posting)),
                      np.fromiter(posting.values(), dtype=np.float64, count=len(posting)))
            self._arrays[term] = arrays
        return arrays

    def search(self, query_tokens: list[str], k: int = 10, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk_id, score) for the query tokens, optionally restricted to ``allowed`` ids."""
        with self._lock:
            return self._search(query_tokens, k, allowed)

    def _search(self, query_tokens: list[str], k: int, allowed: set[str] | None) -> list[tuple[str, float]]:
        if not self._slot or k <= 0:
            return []
        avg = self._total / len(self._slot) or 1.0
        n = len(self._ids)
        scores = np.zeros(n, dtype=np.float64)
        first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        mask = None
        if allowed is not None:
            mask = np.zeros(n, dtype=bool)
            mask[[self._slot[c] for c in allowed if c in self._slot]] = True
        for i, (term, qtf) in enumerate(Counter(query_tokens).items()):
            arrays = self._posting_arrays(term)
            if arrays is None:
                continue
            slots, tf = arrays
            if mask is not None:
                keep = mask[slots]
                order = np.flatnonzero(keep)
                slots, tf = slots[keep], tf[keep]
            else:
                order = np.arange(len(slots))
            if not len(slots):
                continue
            norm = tf + self.k1 * (1 - self.b + self.b * self._length[slots] / avg)
            scores[slots] += qtf * self.idf(term) * tf * (self.k1 + 1) / norm
            first[slots] = np.minimum(first[slots], i * (n + 1) + order)
        hit = np.flatnonzero(first != np.iinfo(np.int64).max)
        if len(hit) > k:
            kth = np.partition(scores[hit], len(hit) - k)[len(hit) - k]
            hit = hit[scores[hit] >= kth]
        ranked = hit[np.lexsort((first[hit], -scores[hit]))][:k]
        return [(self._ids[s], float(scores[s])) for s in ranked]
