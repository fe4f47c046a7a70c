"""The BM25 index against the textbook formula computed term by term in plain Python: the same hits, the same
scores and the same order (ties in the order the query's terms first reached each chunk), through additions,
replacements, removals and slot compaction, with and without a set of allowed chunks."""
from __future__ import annotations

import math
import random
from collections import Counter

from knowledge.lexical import BM25Index


def reference(docs: dict[str, list[str]], query: list[str], k: int, allowed: set[str] | None = None, k1: float = 0.7, b: float = 0.5):
    postings: dict[str, dict[str, int]] = {}
    for cid, tokens in docs.items():
        for term, tf in Counter(tokens).items():
            postings.setdefault(term, {})[cid] = tf
    n, avg = len(docs), (sum(len(t) for t in docs.values()) / len(docs) or 1.0) if docs else 1.0
    scores: dict[str, float] = {}
    for term, qtf in Counter(query).items():
        posting = postings.get(term, {})
        idf = max(math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5)), 0.01)
        for cid, tf in posting.items():
            if allowed is not None and cid not in allowed:
                continue
            norm = tf + k1 * (1 - b + b * len(docs[cid]) / avg)
            scores[cid] = scores.get(cid, 0.0) + qtf * idf * tf * (k1 + 1) / norm
    return sorted(scores.items(), key=lambda kv: -kv[1])[:k]


def test_scores_and_order_match_the_formula_through_changes():
    rng = random.Random(3)
    vocab = [f"t{i}" for i in range(40)]
    index, docs = BM25Index(), {}
    for step in range(3000):
        cid = f"c{rng.randrange(400)}"
        if rng.random() < 0.2 and cid in docs:
            index.remove(cid)
            del docs[cid]
        else:
            tokens = [rng.choice(vocab[: rng.choice([3, 40])]) for _ in range(rng.randrange(1, 12))]
            if rng.random() < 0.1:
                tokens = ["t1", "t2"]  # identical chunks: equal scores
            index.add(cid, tokens)
            docs.pop(cid, None)  # a replaced chunk comes last in its terms' postings, as a new one
            docs[cid] = tokens
        if step % 150 == 0:
            query = [rng.choice(vocab) for _ in range(rng.randrange(1, 6))] + ["absent"]
            allowed = set(rng.sample(sorted(docs), min(len(docs), 25))) | {"unknown"} if step % 300 == 0 else None
            for k in (1, 5, 50, 1000):
                assert index.search(query, k, allowed) == reference(docs, query, k, allowed)
    assert len(index) == len(docs) and len(index._ids) < 2 * len(docs) + 1100  # replaced chunks' slots were reclaimed
    assert index.search(["t1", "t2"], 3) == reference(docs, ["t1", "t2"], 3)
    assert index.search(["nothing"], 5) == [] and BM25Index().search(["t1"], 5) == []
