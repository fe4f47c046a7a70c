"""Second-stage ranking of the fused candidates by a linear model over a few signals per passage.

Reciprocal-rank fusion only sees ranks; the ranker also sees how close the scores are (of the whole passage
and of its closest sentence), how much of the question a passage covers, whether its chapter heading names the
question's subject, whether it holds the kind of answer asked for or defines a term the question uses, whether
it cites or is cited by another candidate (an implementing rule and the law article it applies), which chapter
the other candidates come from, what kind of document it is, and whether it answers one of our linked questions
that is close to this one (knowledge/links.py). Multiple-choice questions are scored by weights
fitted on such questions alone, for getting one of their several relevant articles into the top five. The
weights are fitted on the development sets by ``benchmarks/train_ranker.py`` and stored in ``ranker.json``
beside this module.
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge import ChunkRecord, tokenize
from knowledge.lexical import BM25Index

from .answertype import asked_types, type_match
from .definitions import defines_asked_term
from .expansion import title_topics
from .relevance import weighted_coverage

WEIGHTS_FILE = Path(__file__).with_name("ranker.json")
DOC_TYPES = ("law", "administrative_regulation", "judicial_interpretation", "guideline")
FEATURES = (
    "rrf", "dense", "dense_gap", "dense_rr", "sentence", "sentence_gap", "bm25", "bm25_rr", "options", "coverage", "heading",
    "topic", "off_topic", "chapter_share", "neighbours", "cross_refs", "answer_type", "defines", "length", *(f"type_{t}" for t in DOC_TYPES),
    "link", "link_votes",
)
# Copies of the main signals that are non-zero only for a multiple-choice question (and an indicator of one), so
# that fitting on all questions leaves the free questions' weights to the free questions.
CHOICE_FEATURES = ("bm25", "sentence", "sentence_gap", "rrf", "dense", "answer_type", "defines", "coverage", "heading")
FEATURES = (*FEATURES, "choice", *(f"choice_{f}" for f in CHOICE_FEATURES))
_CHOICE = FEATURES.index("choice")
_CHOICE_COLUMNS = [FEATURES.index(f) for f in CHOICE_FEATURES]


@dataclass
class SearchSignals:
    """What one search produced, for computing the features of its candidates."""

    question_terms: list[list[str]]
    dense_vectors: list[np.ndarray]
    dense_ranks: dict[str, int]
    lexical_tokens: list[str]
    lexical_ranks: dict[str, int]
    option_tokens: list[list[str]]
    topics: set[str]
    question: str = ""
    links: dict[str, tuple[float, ...]] = field(default_factory=dict)


def _coverage(groups: list[list[str]], tokens: frozenset[str] | set[str], index: BM25Index) -> float:
    """Best share of idf mass of one term group found in ``tokens``."""
    return max((weighted_coverage(terms, tokens, index) for terms in groups), default=0.0)


def _normalised_bm25(tokens: list[str], pool: list[str], index: BM25Index) -> dict[str, float]:
    """BM25 scores of the pool for ``tokens``, divided by the pool's best."""
    if not tokens:
        return {}
    scores = dict(index.search(tokens, len(pool), allowed=set(pool)))
    top = max(scores.values(), default=0.0)
    return {cid: s / top for cid, s in scores.items()} if top > 0 else {}


def feature_matrix(pool: list[ChunkRecord], fused: dict[str, float], signals: SearchSignals, index: BM25Index,
                   embeddings: dict[str, np.ndarray], sentences: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """One row of ``FEATURES`` per pooled chunk (each feature computed by name, laid out in ``FEATURES`` order);
    ``sentences`` holds each chunk's sentence embeddings
    (a chunk without them counts with its own embedding)."""
    ids = [c.chunk_id for c in pool]
    top_fused = max((fused.get(i, 0.0) for i in ids), default=0.0) or 1.0
    dense = {}
    for cid in ids:
        vec = embeddings.get(cid)
        dense[cid] = max((float(vec @ q) for q in signals.dense_vectors), default=0.0) if vec is not None else 0.0
    best_dense = max(dense.values(), default=0.0)
    queries = np.stack(signals.dense_vectors) if signals.dense_vectors else None
    sentence = {cid: float((sentences[cid] @ queries.T).max()) if queries is not None and sentences and len(sentences.get(cid, ())) else dense[cid]
                for cid in ids}
    best_sentence = max(sentence.values(), default=0.0)
    bm25 = _normalised_bm25(signals.lexical_tokens, ids, index)
    options = [_normalised_bm25(toks, ids, index) for toks in signals.option_tokens]
    chapter_mass: dict[tuple, float] = {}
    by_article: dict[tuple, float] = {}
    for c in pool:
        f = fused.get(c.chunk_id, 0.0)
        chapter_mass[(c.doc_id, c.metadata.get("chapter"))] = chapter_mass.get((c.doc_id, c.metadata.get("chapter")), 0.0) + f
        if c.metadata.get("article"):
            key = (c.doc_id, c.metadata["article"])
            by_article[key] = max(by_article.get(key, 0.0), f)
    total_mass = sum(chapter_mass.values()) or 1.0
    cites, cited_by = _cross_references(pool, fused)
    asked = asked_types(signals.question)
    rows = []
    for c in pool:
        meta = c.metadata
        terms = index.terms_of(c.chunk_id) or frozenset(tokenize(c.text))
        heading = _heading_terms(" ".join(str(meta.get(k) or "") for k in ("title", "chapter", "section")))
        chunk_topics = title_topics(meta.get("title", ""))
        link, link_votes = signals.links.get(c.chunk_id, (0.0, 0.0))[:2]
        row = {
            "rrf": fused.get(c.chunk_id, 0.0) / top_fused,
            "dense": dense[c.chunk_id],
            "dense_gap": dense[c.chunk_id] - best_dense,
            "dense_rr": 1.0 / signals.dense_ranks[c.chunk_id] if c.chunk_id in signals.dense_ranks else 0.0,
            "sentence": sentence[c.chunk_id],
            "sentence_gap": sentence[c.chunk_id] - best_sentence,
            "bm25": bm25.get(c.chunk_id, 0.0),
            "bm25_rr": 1.0 / signals.lexical_ranks[c.chunk_id] if c.chunk_id in signals.lexical_ranks else 0.0,
            "options": max((o.get(c.chunk_id, 0.0) for o in options), default=0.0),
            "coverage": _coverage(signals.question_terms, terms, index),
            "heading": _coverage(signals.question_terms, heading, index),
            "topic": 1.0 if signals.topics & chunk_topics else 0.0,
            "off_topic": 1.0 if signals.topics and chunk_topics and not signals.topics & chunk_topics else 0.0,
            "chapter_share": chapter_mass[(c.doc_id, meta.get("chapter"))] / total_mass,
            "neighbours": _neighbours(c, by_article) / top_fused,
            "cross_refs": max(cites.get(c.chunk_id, 0.0), cited_by.get(c.chunk_id, 0.0)) / top_fused,
            "answer_type": type_match(asked, c.text),
            "defines": 1.0 if defines_asked_term(signals.question, c.text) else 0.0,
            "length": math.log1p(len(c.text)) / 7.0,
            **{f"type_{t}": 1.0 if meta.get("doc_type") == t else 0.0 for t in DOC_TYPES},
            "link": link,
            "link_votes": link_votes,
        }
        rows.append([row[name] for name in FEATURES[:_CHOICE]])
    base = np.asarray(rows, dtype=np.float64).reshape(len(pool), _CHOICE)
    choice = 1.0 if signals.option_tokens else 0.0
    return np.hstack([base, np.full((len(pool), 1), choice), base[:, _CHOICE_COLUMNS] * choice])


def _neighbours(chunk: ChunkRecord, by_article: dict[tuple, float]) -> float:
    """The best fused score of the articles just before and after this one."""
    n = chunk.metadata.get("article")
    if not n:
        return 0.0
    return max(by_article.get((chunk.doc_id, n - 1), 0.0), by_article.get((chunk.doc_id, n + 1), 0.0))


def _short_title(title: str) -> str:
    return title.replace("中华人民共和国", "").strip("《》 ")


@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> str:
    return re.sub(r"[《》\s]", "", text)


def _cross_references(pool: list[ChunkRecord], fused: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """For each pooled chunk, the best fused score of the pooled articles of other documents that it cites
    (an implementing rule's "依照专利法第四十五条"), and of those that cite it. Citations within one document
    ("本法第十条") are left out: on the development sets they added noise, not signal."""
    labels: dict[str, str] = {}
    for c in pool:
        label = c.metadata.get("article_label")
        if label:
            labels[c.chunk_id] = _short_title(c.metadata.get("title", "")) + label
    cites: dict[str, float] = {}
    cited_by: dict[str, float] = {}
    for c in pool:
        name = labels.get(c.chunk_id)
        if not name:
            continue
        for other in pool:
            if other.doc_id != c.doc_id and name in _plain(other.text):
                cited_by[c.chunk_id] = max(cited_by.get(c.chunk_id, 0.0), fused.get(other.chunk_id, 0.0))
                cites[other.chunk_id] = max(cites.get(other.chunk_id, 0.0), fused.get(c.chunk_id, 0.0))
    return cites, cited_by


@functools.lru_cache(maxsize=512)
def _heading_terms(heading: str) -> frozenset[str]:
    return frozenset(tokenize(heading))


class LinearRanker:
    """Scores feature rows with fitted weights (features standardised by the training mean and spread); the rows of
    a multiple-choice question are scored by ``choice`` when it is given (a ranker fitted on those questions)."""

    def __init__(self, weights: dict[str, float], mean: dict[str, float] | None = None, scale: dict[str, float] | None = None,
                 choice: "LinearRanker | None" = None) -> None:
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"ranker weights name unknown features {sorted(unknown)}; valid features: {', '.join(FEATURES)}")
        self.w = np.array([weights.get(f, 0.0) for f in FEATURES])
        self.mean = np.array([(mean or {}).get(f, 0.0) for f in FEATURES])
        self.scale = np.array([(scale or {}).get(f, 1.0) or 1.0 for f in FEATURES])
        self.choice = choice

    def score(self, rows: np.ndarray) -> np.ndarray:
        """One score per row (the candidates of one search); higher is better."""
        if not len(rows):
            return np.zeros(0)
        if self.choice is not None and rows[0, _CHOICE] > 0:
            return self.choice.score(rows)
        return ((rows - self.mean) / self.scale) @ self.w

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "LinearRanker":
        """The ranker stored in ``path`` (the fitted default beside this module)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        part = data.get("choice")
        choice = cls(part["weights"], part.get("mean"), part.get("scale")) if part else None
        return cls(data["weights"], data.get("mean"), data.get("scale"), choice)


RANKERS = ("linear", "rrf")


def make_ranker(name: str) -> LinearRanker | None:
    """The second-stage ranker named by the ``ranker`` setting (None: fused order only); the error lists the valid names."""
    match name:
        case "linear":
            return LinearRanker.load()
        case "rrf":
            return None
        case _:
            raise ValueError(f"unknown ranker {name!r}; valid rankers: {', '.join(RANKERS)}")
