"""Hybrid retrieval: dense (passage embeddings in Chroma), sentence embeddings and BM25 (jieba), fused by
weighted reciprocal rank and reordered by the linear ranker, with exact article references resolved first
multiple-choice options searched one by one on the keyword side, and the articles that answer the closest of
our linked questions (knowledge/links.py) added to the candidates."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from ingest.docmeta import LAW_TYPES
from knowledge import ChunkRecord, HitSignals, KnowledgeBase, ScoredChunk, en_to_zh, tokenize
from knowledge.chinese import split_options
from knowledge.links import LinkIndex

from .expansion import english_question_terms, legal_terms_for, question_topics, title_topics
from .query import asks_history, exam_style, language_of, passage_language, split_issues
from .ranking import LinearRanker, SearchSignals, feature_matrix
from .references import ArticleRef, Gazetteer, find_references, gazetteer, lookup_only, title_matches
from .relevance import key_terms

LANGUAGE_BONUS = 3.0
# The n questions of a long case are searched beside the whole text (weight 1), each with weight ISSUE_WEIGHT/sqrt(n).
ISSUE_WEIGHT = 1.0
LINK_SCALE = 0.01
LINK_VOTERS = 8


@dataclass
class SearchFilters:
    """Restrict results by document type, jurisdiction, or to documents in force on a date. Drafts that an editor has
    not published yet are not in force, unless ``drafts`` lets them in (the console's hit test)."""

    doc_types: tuple[str, ...] = ()
    jurisdiction: str | None = None
    in_force_on: date | None = None
    drafts: bool = False

    def accepts(self, meta: dict) -> bool:
        """Whether a chunk's metadata passes every filter."""
        if self.doc_types and meta.get("doc_type") not in self.doc_types:
            return False
        if self.jurisdiction and meta.get("jurisdiction", "national") not in (self.jurisdiction, "national"):
            return False
        if self.in_force_on is not None:
            if meta.get("status") == "repealed" or (meta.get("status") == "draft" and not self.drafts):
                return False
            if meta.get("status") == "superseded" and not str(meta.get("superseded_on") or "") > self.in_force_on.isoformat():
                return False
            eff = meta.get("effective_date")
            if eff and str(eff) > self.in_force_on.isoformat():
                return False
        return True


@dataclass
class Resolved:
    """An article reference of a question resolved against the knowledge base: the document it names and the passages
    of the article (none when the document has no such article; ``articles`` then gives the numbers it does have)."""

    title: str
    doc_id: str
    ref: ArticleRef
    chunks: list[ChunkRecord]
    articles: tuple[int, int] | None = None

    @property
    def found(self) -> bool:
        """Whether the article exists in the document."""
        return bool(self.chunks)

    def to_dict(self) -> dict:
        """The ``ipbot search --json`` shape: {"law", "article", …}."""
        out = {"law": self.title, "article": self.ref.article, "found": self.found, "doc_id": self.doc_id}
        out.update({k: v for k, v in (("suffix", self.ref.suffix), ("paragraph", self.ref.paragraph), ("item", self.ref.item)) if v})
        return out


_EXCERPT = re.compile(r"节选|摘录|excerpt", re.I)


def _article_range(chunks: list[ChunkRecord]) -> tuple[int, int] | None:
    numbers = [c.metadata["article"] for c in chunks if isinstance(c.metadata.get("article"), int)]
    return (min(numbers), max(numbers)) if numbers else None


@dataclass
class RetrievalParams:
    """Fusion settings (see Settings for their meaning); dense queries are cut to ``dense_query_chars`` (why 96:
    benchmarks/RESULTS.md, "Why the constants are what they are")."""

    rrf_k: int = 30
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    candidates: int = 50
    topic_weight: float = 0.5
    dense_query_chars: int = 96
    rerank_pool: int = 30
    sentence_weight: float = 1.0
    link_neighbours: int = 3
    link_self: bool = True

    @classmethod
    def from_settings(cls, settings) -> "RetrievalParams":
        """The parameters the settings choose (IPBOT_RRF_K, IPBOT_DENSE_WEIGHT, … IPBOT_DENSE_QUERY_CHARS)."""
        return cls(settings.rrf_k, settings.dense_weight, settings.lexical_weight, topic_weight=settings.topic_weight,
                   rerank_pool=settings.rerank_pool, sentence_weight=settings.sentence_weight,
                   dense_query_chars=settings.dense_query_chars)


@dataclass
class QueryPlan:
    """The sub-queries one question is searched with."""

    dense: list[str] = field(default_factory=list)
    lexical: list[str] = field(default_factory=list)
    issue_weight: float = 0.0  # a case's questions: the weight of each, beside the whole text's 1 (0: all alike)

    @functools.cached_property
    def lexical_tokens(self) -> list[list[str]]:
        """The keyword sub-queries as search tokens (tokenised once per search)."""
        return [tokenize(q) for q in self.lexical]


def plan_query(question: str) -> QueryPlan:
    """Sub-queries for both sides: English is translated term by term (the translation is also a second dense
    query), colloquial phrasing gets the statute's terms on the keyword side, and a multiple-choice question is also
    searched option by option on the keyword side (on the dense side the whole question did better on the
    development set). A case with several questions is also searched question by question on both sides."""
    if language_of(question) == "en":
        zh = " ".join(en_to_zh(question) + [t for t in english_question_terms(question)])
        return QueryPlan([question, zh] if zh else [question], [f"{question} {zh}".strip()])
    extra = legal_terms_for(question)
    stem, options = split_options(question)
    if not options:
        _, issues = split_issues(question)
        if issues:  # a case with several questions: each is also searched on its own, on both sides
            return QueryPlan([question, *issues], [f"{question} {extra}".strip(), *(f"{i} {legal_terms_for(i)}".strip() for i in issues)],
                             ISSUE_WEIGHT)
        return QueryPlan([question], [f"{question} {extra}".strip()])
    return QueryPlan([question], [f"{question} {extra}".strip(), *(f"{stem} {opt}" for opt in options)])


class Retriever:
    """Searches one knowledge base."""

    def __init__(self, kb: KnowledgeBase, params: RetrievalParams | None = None, ranker: LinearRanker | None = None,
                 links: LinkIndex | None = None) -> None:
        self.kb = kb
        self.params = params or RetrievalParams()
        self.ranker = ranker
        self.links = links
        self._layout: tuple[int, dict[tuple[str, int], list[str]], dict[str, ChunkRecord]] | None = None
        self._resolved: dict[tuple[str, int], tuple[list[ArticleRef], list[Resolved]]] = {}

    def _documents_layout(self) -> tuple[dict[tuple[str, int], list[str]], dict[str, ChunkRecord]]:
        """Chunk ids by (document title, article number), and each guide's next-steps section by document id,
        rebuilt when the knowledge base changed."""
        gen = self.kb.registry.generation()
        if self._layout is None or self._layout[0] != gen:
            found: dict[tuple[str, int], list[str]] = {}
            steps: dict[str, ChunkRecord] = {}
            for c in self.kb.chunks():
                if c.metadata.get("article") and c.metadata.get("title"):
                    found.setdefault((c.metadata["title"], int(c.metadata["article"])), []).append(c.chunk_id)
                if c.doc_id not in steps and is_steps_section(c):
                    steps[c.doc_id] = c
            self._layout = (gen, found, steps)
        return self._layout[1], self._layout[2]

    def _article_chunks(self) -> dict[tuple[str, int], list[str]]:
        return self._documents_layout()[0]

    def linked(self, question: str, vectors: list[np.ndarray]) -> dict[str, tuple[float, float, float]]:
        """For the chunks of the articles linked to the question's ``link_neighbours`` nearest linked questions:
        (closeness of the closest of them that links the chunk, relative to the nearest one: 1 for the nearest itself;
        the chunk's share of the votes of the ``LINK_VOTERS`` nearest, each weighted by its closeness; the cosine of
        the question with that closest linked question). The linked
        questions are everyday ones, so exam-style questions (甲公司……乙……, 下列说法) get none: on our scenario
        sets the links lowered their hit@1 (benchmarks/RESULTS.md)."""
        p = self.params
        if self.links is None or not vectors or not p.link_neighbours or exam_style(question):
            return {}
        near = self.links.nearest(vectors[0], LINK_VOTERS, None if p.link_self else question)
        if not near:
            return {}
        best = near[0][1]
        by_article = self._article_chunks()
        weights = [float(np.exp((cosine - best) / LINK_SCALE)) for _, cosine in near]
        total = sum(weights)
        closeness: dict[str, tuple[float, float]] = {}
        votes: dict[str, float] = {}
        for i, ((link, cosine), w) in enumerate(zip(near, weights)):
            for article in set(link.articles):
                for cid in by_article.get(article, ()):
                    votes[cid] = votes.get(cid, 0.0) + w / total
                    if i < p.link_neighbours and w > closeness.get(cid, (0.0, 0.0))[0]:
                        closeness[cid] = (w, cosine)
        out = {cid: (closeness[cid][0], v, closeness[cid][1]) for cid, v in votes.items() if cid in closeness}
        return out

    def law_names(self) -> Gazetteer:
        """The gazetteer of the indexed titles and the alias file."""
        return gazetteer(tuple(sorted({d.title for d in self.kb.documents() if d.title})))

    def resolve(self, question: str) -> list[Resolved]:
        """The articles a question names explicitly (专利法第四十二条, 我国专利法22条, 版权法第十条), each with the
        document it was found in and its passages; ``chunks`` is empty when the law is indexed but has no such article."""
        return self._references(question)[1]

    def _references(self, question: str) -> tuple[list[ArticleRef], list[Resolved]]:
        """The references a question makes and those resolved to an indexed document (cached per question and index)."""
        key = (question, self.kb.registry.generation())
        if key in self._resolved:
            return self._resolved[key]
        refs = find_references(question, self.law_names())
        docs = self.kb.documents() if refs else []
        out: list[Resolved] = []
        for ref in refs:
            exact = [d for d in docs if d.title.replace("中华人民共和国", "").strip() == ref.law.replace("中华人民共和国", "")]
            scored = sorted(((title_matches(ref.law, d.title), d) for d in docs), key=lambda sd: -sd[0])
            best = scored[0][0] if scored else 0.0
            named = exact or [d for s, d in scored if s and s >= 0.9 * best]
            if not named:
                continue
            for d in named:
                found = [c for c in self.kb.chunks(d.doc_id)
                         if c.metadata.get("article") == ref.article and ref.suffix in (c.metadata.get("article_label") or "")]
                if found:
                    out.append(Resolved(d.title, d.doc_id, ref, found))
                    break
            else:
                if all(_EXCERPT.search(d.title) for d in named):
                    continue  # an excerpt: the law may well have the article
                out.append(Resolved(named[0].title, named[0].doc_id, ref, [], _article_range(self.kb.chunks(named[0].doc_id))))
        if len(self._resolved) > 256:
            self._resolved.clear()
        self._resolved[key] = (refs, out)
        return refs, out

    def is_lookup(self, question: str) -> bool:
        """Whether the question only looks an article up (bot.answering.references.lookup_only over the indexed titles)."""
        return lookup_only(question, self.law_names())

    def unindexed_references(self, question: str) -> list[ArticleRef]:
        """The article references of a question whose law no indexed document is (a guide may still quote the article)."""
        refs, resolved = self._references(question)
        named = {(r.ref.law, r.ref.article) for r in resolved}
        return [r for r in refs if (r.law, r.article) not in named]

    def article_hits(self, question: str) -> list[ChunkRecord]:
        """Chunks of articles the question names explicitly (专利法第四十二条)."""
        return [c for r in self.resolve(question) for c in r.chunks]

    def ranked_lists(self, plan: QueryPlan, n: int) -> tuple[list[tuple[str, float, list[tuple[str, float]]]], list[np.ndarray]]:
        """(side, weight, hits) for every sub-query of the plan, and the dense query vectors."""
        p = self.params
        lists, vectors = [], []
        if p.dense_weight or p.sentence_weight:
            vectors = self.kb.embed_queries([q[: p.dense_query_chars] for q in plan.dense])
        def share(count: int, i: int) -> float:
            if not plan.issue_weight:
                return 1 / count ** 0.5
            return 1.0 if i == 0 else plan.issue_weight / (count - 1) ** 0.5

        if p.dense_weight and vectors:
            lists += [("dense", p.dense_weight * share(len(vectors), i), hits) for i, hits in enumerate(self.kb.dense_search_vectors(vectors, n))]
        if p.sentence_weight and vectors:
            lists += [("sentence", p.sentence_weight * share(len(vectors), i), hits) for i, hits in enumerate(self.kb.sentence_search(vectors, n))]
        if p.lexical_weight:
            lists += [("lexical", p.lexical_weight * share(len(plan.lexical), i), self.kb.lexical_search(toks, n))
                      for i, toks in enumerate(plan.lexical_tokens)]
        return lists, vectors

    def fuse(self, lists: list[tuple[str, float, list[tuple[str, float]]]]) -> tuple[dict[str, float], dict[str, HitSignals]]:
        """Weighted reciprocal-rank fusion of the ranked lists: fused score per chunk, and each chunk's best rank
        and score on every side."""
        fused: dict[str, float] = {}
        signals: dict[str, HitSignals] = {}
        for side, weight, hits in lists:
            for rank, (cid, score) in enumerate(hits):
                fused[cid] = fused.get(cid, 0.0) + weight / (self.params.rrf_k + rank + 1)
                signals.setdefault(cid, HitSignals()).record(side, rank + 1, score)
        return fused, signals

    def search(self, question: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for a (normalised) question, best first."""
        p = self.params
        n = max(p.candidates, k * 3)
        plan = plan_query(question)
        lists, vectors = self.ranked_lists(plan, n)
        fused, measured = self.fuse(lists)
        if len(vectors) > 1:
            _keep_own_scores(lists, measured)
        direct = self.article_hits(question)
        chunks = self.kb.get_chunks(list(fused) + [c.chunk_id for c in direct if c.chunk_id not in fused])
        if self.ranker is None and p.topic_weight:
            wanted = question_topics(question)
            for cid, chunk in chunks.items():
                if wanted & title_topics(chunk.metadata.get("title", "")):
                    fused[cid] = fused.get(cid, 0.0) + p.topic_weight / (p.rrf_k + 1)
        order = sorted((cid for cid in fused if cid in chunks and (filters is None or filters.accepts(chunks[cid].metadata))),
                       key=lambda cid: -fused[cid])
        scores = {cid: fused[cid] for cid in order}
        sentences: dict[str, np.ndarray] = {}
        if self.ranker is not None and order:
            pool = order[: p.rerank_pool]
            signals = self.signals(question, plan, lists, vectors)
            signals.links = self.linked(question, vectors)
            extra = [cid for cid in signals.links if cid not in chunks]
            if extra:
                chunks.update(self.kb.get_chunks(extra))
            added = [cid for cid in signals.links if cid in chunks and cid not in pool
                     and (filters is None or filters.accepts(chunks[cid].metadata))]
            pool += added
            order += [cid for cid in added if cid not in fused]
            for cid, (closeness, _, cosine) in signals.links.items():
                hit = measured.setdefault(cid, HitSignals())
                hit.link, hit.link_cosine = round(closeness, 3), round(cosine, 4)
            embeddings, sentences = self.kb.embeddings(pool), self.kb.sentence_vectors(pool)
            rows = feature_matrix([chunks[c] for c in pool], fused, signals, self.kb.bm25(), embeddings, sentences)
            learned = self.ranker.score(rows)
            if vectors:
                for cid in pool:
                    hit = measured.setdefault(cid, HitSignals())
                    hit.cosine, hit.sentence_cosine = _own_cosines(vectors[0], embeddings.get(cid), sentences.get(cid))
            pool_scores = {cid: float(s) for cid, s in zip(pool, learned)}
            floor = min(pool_scores.values())
            scores = {cid: pool_scores.get(cid, floor - 1.0 - i * 1e-6) for i, cid in enumerate(order)}
            self._prefer_question_language(question, lists, chunks, scores)
            order.sort(key=lambda cid: -scores[cid])
        self._demote_preambles(question, chunks, scores)
        top = max(scores.values(), default=0.0) + 1.0
        for i, c in enumerate(direct):
            if filters is None or filters.accepts(c.metadata):
                scores[c.chunk_id] = top - i * 1e-3
                measured.setdefault(c.chunk_id, HitSignals()).article_ref = True
                chunks.setdefault(c.chunk_id, c)
        results = [ScoredChunk(chunks[cid], score, measured.get(cid) or HitSignals()) for cid, score in scores.items()]
        results.sort(key=lambda r: -r.score)
        found = collapse_duplicates(results[: 3 * k])[:k]
        self._for_the_answer(found, vectors[0] if vectors else None, sentences)
        return found

    def _for_the_answer(self, hits: list[ScoredChunk], question: np.ndarray | None, sentences: dict[str, np.ndarray]) -> None:
        """What the answer step needs of the found passages, read here so that it never goes back to the knowledge
        base: the question's cosine with each embedded sentence (``sentences`` holds those already read for the
        ranking) and the next-steps section of each one's document."""
        steps = self._documents_layout()[1]
        for hit in hits:
            hit.steps = steps.get(hit.chunk.doc_id)
        if question is None:
            return
        missing = [h.chunk.chunk_id for h in hits if h.chunk.chunk_id not in sentences]
        if missing:
            sentences = {**sentences, **self.kb.sentence_vectors(missing)}
        measured = [h for h in hits if h.chunk.chunk_id in sentences and len(sentences[h.chunk.chunk_id])]
        if measured:
            cosines = (np.concatenate([sentences[h.chunk.chunk_id] for h in measured]) @ question).tolist()
            at = 0
            for hit in measured:
                n = len(sentences[hit.chunk.chunk_id])
                hit.sentence_cosines, at = tuple(cosines[at : at + n]), at + n

    def _demote_preambles(self, question: str, chunks: dict[str, ChunkRecord], scores: dict[str, float]) -> None:
        """A law's preamble (its title, revision history and table of contents, no article) goes below every other
        candidate unless the question asks about the law's history or dates."""
        if asks_history(question):
            return
        preambles = [cid for cid in scores if cid in chunks and _is_law_preamble(chunks[cid])]
        if not preambles or len(preambles) == len(scores):
            return
        floor = min(scores.values())
        for i, cid in enumerate(sorted(preambles, key=lambda c: -scores[c])):
            scores[cid] = floor - 1.0 - i * 1e-3

    def _prefer_question_language(self, question: str, lists, chunks: dict[str, ChunkRecord], scores: dict[str, float]) -> None:
        """When the candidates come in more than one language, raise the passage that the question's own embedding
        ranks first by ``LANGUAGE_BONUS`` if it is written in the question's language: the ranker's features favour
        the Chinese text an English question is translated into, and were fitted on a Chinese-only corpus. The bonus is
        chosen again with benchmarks/starter_check.py whenever the ranker is refitted (benchmarks/RESULTS.md)."""
        language = language_of(question)
        languages = {passage_language(chunks[cid].text) for cid in scores if cid in chunks}
        if len(languages) < 2:
            return
        own = next((hits for side, _, hits in lists if side == "dense"), [])
        if own and own[0][0] in scores and own[0][0] in chunks and passage_language(chunks[own[0][0]].text) == language:
            scores[own[0][0]] += LANGUAGE_BONUS

    def signals(self, question: str, plan: QueryPlan, lists, vectors) -> SearchSignals:
        """Per-search inputs of the ranker's features."""
        dense_ranks: dict[str, int] = {}
        lexical = [hits for side, _, hits in lists if side == "lexical"]
        for side, _, hits in lists:
            if side == "dense":
                for rank, (cid, _) in enumerate(hits, 1):
                    dense_ranks[cid] = min(rank, dense_ranks.get(cid, rank))
        index = self.kb.bm25()
        return SearchSignals(
            question_terms=key_terms(question, index),
            dense_vectors=vectors,
            dense_ranks=dense_ranks,
            lexical_tokens=plan.lexical_tokens[0] if plan.lexical else [],
            lexical_ranks={cid: r for r, (cid, _) in enumerate(lexical[0], 1)} if lexical else {},
            option_tokens=[] if plan.issue_weight else plan.lexical_tokens[1:],  # a case's questions are not options
            topics=question_topics(question),
            question=question,
        )


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _shingles(text: str) -> frozenset[str]:
    body = text.split("\n", 1)[1] if text.startswith("《") and "\n" in text else text  # without the breadcrumb line
    flat = _PUNCT.sub("", body)
    return frozenset(flat[i: i + 3] for i in range(max(len(flat) - 2, 1)))


_STEPS_HEADING = re.compile(r"下一步|怎么做|next steps?", re.I)


def is_steps_section(chunk: ChunkRecord) -> bool:
    """Whether a chunk is a guide's next-steps section (下一步 / 怎么做 / Next steps)."""
    return chunk.metadata.get("kind") != "article" and bool(_STEPS_HEADING.search(chunk.metadata.get("article_label") or ""))


def collapse_duplicates(results: list[ScoredChunk], threshold: float = 0.9) -> list[ScoredChunk]:
    """One hit for passages of different documents that say the same (the same law indexed from a PDF and from a
    markdown file): the best-ranked one stays, its metadata naming the others under ``also_in``."""
    kept: list[tuple[ScoredChunk, frozenset[str]]] = []
    for hit in results:
        grams = _shingles(hit.chunk.text)
        twin = next((k for k, g in kept if k.chunk.doc_id != hit.chunk.doc_id and grams and g
                     and min(len(g), len(grams)) >= threshold * max(len(g), len(grams))
                     and len(grams & g) / len(grams | g) >= threshold), None)
        if twin is None:
            kept.append((hit, grams))
            continue
        m = hit.chunk.metadata
        label = f"《{m.get('title', '')}》" + (f" {m['article_label']}" if m.get("article_label") else "") + f" ({m.get('source') or hit.chunk.doc_id})"
        twin.chunk = replace(twin.chunk, metadata={**twin.chunk.metadata, "also_in": [
            *twin.chunk.metadata.get("also_in", []), {"doc_id": hit.chunk.doc_id, "chunk_id": hit.chunk.chunk_id, "source": label}]})
    return [hit for hit, _ in kept]


_REVISION_HISTORY = re.compile(r"通过|修正|修订|公布|施行|目\s*录|Adopted|amended", re.I)


def _is_law_preamble(chunk: ChunkRecord) -> bool:
    """A passage before a law's first article: no article number, the document has articles, and it holds the
    title, the revision history or the table of contents."""
    meta = chunk.metadata
    return (meta.get("kind") == "preamble" and not meta.get("article")
            and meta.get("doc_type") in LAW_TYPES
            and bool(_REVISION_HISTORY.search(chunk.text[:400])))


def _keep_own_scores(lists, measured: dict[str, HitSignals]) -> None:
    """Keep in ``measured`` only the dense and sentence ranks of the question's own embedding (the first list of each
    side). The second query (an English question's glossary translation, a colloquial question with the statute's
    terms added) serves the search, but its cosines do not say that a passage is close to what was asked, and
    abstention reads these."""
    own: dict[str, dict[str, tuple[int, float]]] = {}
    for side, _, hits in lists:
        if side in ("dense", "sentence") and side not in own:
            own[side] = {cid: (rank, score) for rank, (cid, score) in enumerate(hits, 1)}
    for cid, hit in measured.items():
        for side, found in own.items():
            hit.forget(side)
            if cid in found:
                hit.record(side, *found[cid])


def _own_cosines(question: np.ndarray, passage: np.ndarray | None, sentences: np.ndarray | None) -> tuple[float, float]:
    """Cosine of the question's own embedding with the passage and with its closest sentence."""
    cosine = float(passage @ question) if passage is not None else 0.0
    sentence = float((sentences @ question).max()) if sentences is not None and len(sentences) else cosine
    return round(cosine, 4), round(sentence, 4)


def in_force_today() -> SearchFilters:
    """The default filter for answers: documents in force today (not repealed, already effective)."""
    return SearchFilters(in_force_on=date.today())
