"""The bot's front door: search and ask over one knowledge base, configured by Settings."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from knowledge import ChunkRecord, KnowledgeBase, ScoredChunk, en_to_zh
from knowledge.chinese import CJK_CHARS
from knowledge.links import default_link_index
from prompts import LANGUAGES, default_prompts, worded

from .answer import Answer, abstention, answer_body, no_such_article
from .answerfirst import core
from .numerals import normalize_figures
from .citecheck import amounts_of, clause_pairs, clauses, markers_in, strip_markers
from .conflicts import Conflict, document_conflicts
from .extractive import compose_extractive
from .generate import BASIS_REFS as _BASIS_REFS, again_messages, check_budget, generate, names_only_the_basis, rewrite, units_of, with_quoted_rest
from .links import DEFAULT_LINK_DOMAINS, safe_links
from .llm import NOTICES, ChatModel, LLMError, LLMUnverifiable, make_llm
from .followup import rewrite_followup, subject_of
from .query import language_of, normalize_question, question_language
from .relevance import coverage
from .ranking import make_ranker
from .rerank import rerank
from .retrieval import RetrievalParams, Retriever, SearchFilters, in_force_today

if TYPE_CHECKING:
    from ipbot.settings import Settings

log = logging.getLogger("ipbot.assistant")


CONFLICT_NEIGHBOURS = 5
LEAD_KEPT = 0.3
LEAD_NEWS_KEPT = 0.3
MIN_NEWS = 4
NEGATION_SHARED = 2
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")
_NEGATION = re.compile(r"不得|不能|不可以|不可|不予|不视为|不构成|不属于|不包括|不计入|不影响|无权|禁止|无需|不需要|不必|只能|仅限|仅能|"
                       r"\bnot\b|\bcannot\b|\bno\b|n't\b|\bonly\b|\bnever\b", re.I)
_CHOICE = re.compile(f"([{CJK_CHARS}]{{1,4}})还是([{CJK_CHARS}]{{1,4}})")
_CHOICE_LEAD = re.compile(r"^.*(?:归|属于|是|给|由|的)")
DECLINED = worded("notices", "declined")


@dataclass
class _OtherDocuments(SearchFilters):
    """The default filters (in force on a date), and not the passages of one document."""

    exclude_doc: str = ""

    def accepts(self, meta: dict) -> bool:
        return meta.get("doc_id") != self.exclude_doc and super().accepts(meta)


def quoted_sources(answer: Answer, hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """The passages an extractive answer cites, in its order, each cut to the sentences it quoted (the whole passage
    when it was cited for its article number alone): what the model reads when ``llm_sources`` is 'quotes'."""
    by_id = {h.chunk.chunk_id: h for h in hits}
    out = []
    for c in answer.citations:
        hit = by_id.get(c.chunk_id)
        if hit is not None:
            out.append(ScoredChunk(replace(hit.chunk, text=c.quote.strip() or hit.chunk.text), hit.score, hit.signals))
    return out


def asked_figures(question: str, lead: str) -> frozenset[str]:
    """The figures of an answer's opening sentence that answer the question: those of its clauses closest to the
    question in words (all of its figures when no clause shares a word with it)."""
    asked = clause_pairs(normalize_figures(question))
    scored = [(len(asked & clause_pairs(c)), c) for c in clauses(core(strip_markers(lead))) if amounts_of(c)]
    best = max((n for n, _ in scored), default=0)
    return frozenset().union(*(amounts_of(c) for n, c in scored if n == best))


def _lead_sentences(lead: str) -> list[str]:
    """The sentences of an answer's opening line (a message's two questions get one each), markers left out."""
    return [x for x in _SENTENCE_END.split(strip_markers(lead)) if x.strip()]


def _said(text: str) -> set[str]:
    """What a text says (``units_of``: its Chinese characters but particles, its other words), its legal references
    (《…》, 第N条) and the basis a guide names in brackets left out."""
    return units_of(_BASIS_REFS.sub("", normalize_figures(core(strip_markers(text)))))


def choices_of(question: str) -> list[str]:
    """The two options of an either-or question ("归员工还是归公司" → 员工, 公司), else []."""
    m = _CHOICE.search(question)
    if not m:
        return []
    return [_CHOICE_LEAD.sub("", m.group(1)), _CHOICE_LEAD.sub("", m.group(2))]


def misses_the_fact(model: Answer, quoted: Answer, question: str = "") -> str | None:
    """Why a checked model answer is worse than the extractive one for the same question — it names only the legal
    basis, keeps less than ``LEAD_NEWS_KEPT`` of the words the quoted answer's opening sentence adds to the question
    (or of those of one of its sentences, when it opens with two), drops the negation of a clause of the opening that
    shares words with the question (a "可以" where the law says "不得"),
    leaves out the figure of that sentence that answers the question (``asked_figures``) or says it of something else,
    picks an option of an either-or question that the opening does not name, or cites none of the opening's sources —
    else None."""
    if quoted.abstained or not quoted.citations:
        return None
    lead = answer_body(quoted).split("\n", 1)[0]
    body = strip_markers(answer_body(model))
    if names_only_the_basis(body):
        return "it names the legal basis and nothing else"
    news = _said(lead) - units_of(question)
    kept = _said(body) | (units_of(" ".join(en_to_zh(body))) if model.language == "en" else set())
    if news and len(news & kept) < LEAD_NEWS_KEPT * len(news):
        return "it keeps too little of what the quoted answer's opening sentence says beyond the question"
    sentences = [_said(x) - units_of(question) for x in _lead_sentences(lead)]
    if len(sentences) > 1 and any(len(n & kept) < LEAD_NEWS_KEPT * len(n) for n in sentences if len(n) >= MIN_NEWS):
        return "it leaves out what one of the quoted answer's opening sentences says"
    asked = clause_pairs(normalize_figures(question))
    negated = [c for c in clauses(core(strip_markers(lead))) if _NEGATION.search(c) and len(asked & clause_pairs(c)) >= NEGATION_SHARED]
    if negated and not _NEGATION.search(body):
        return "it leaves out the negation (不得, not …) of what the quoted answer's opening sentence says"
    asked = asked_figures(question, lead)
    missing = sorted(asked - amounts_of(body))
    if missing:
        return f"it leaves out {', '.join(missing)}, which the quoted answer opens with"
    lead_clauses, body_clauses = clauses(core(strip_markers(lead))), clauses(body)
    for figure in sorted(asked):
        said = [clause_pairs(c) for c in lead_clauses if figure in amounts_of(c)]
        mine = [clause_pairs(c) for c in body_clauses if figure in amounts_of(c)]
        if said and not any(len(m & p) >= LEAD_KEPT * len(p) for m in mine for p in said):
            return f"it says {figure} of something else than the quoted answer's opening sentence does"
    picked = [c for c in choices_of(question) if c and c in body and c not in lead]
    if picked:
        return f"it answers {picked[0]}, which the quoted answer's opening sentence does not say"
    lead_sources = {c.chunk_id for c in quoted.citations if c.n in markers_in(lead)}
    if lead_sources and not lead_sources & {c.chunk_id for c in model.citations}:
        return "it cites none of the sources of the quoted answer's opening sentence"
    return None


def quotes_article(text: str, ref) -> bool:
    """Whether a passage names the article a reference asks for (第42条 / 第四十二条 / Article 42, with the law's name)."""
    flat = normalize_figures(text)
    core = ref.law.replace("中华人民共和国", "")[:4]
    return f"第{ref.article}条" in flat and (core in flat or not core)


class Assistant:
    """Answers questions from the knowledge base, citing what it retrieved.

    With an LLM configured (``llm_base_url`` or ``llm_backend``) answers are written by the model and
    checked against their sources; without one, or when the model fails, they are quoted extractively.
    The knowledge base is opened by the caller (``ipbot.compose`` in the app and the CLI); the chat model and the
    retrieval parameters are made from ``settings`` unless given.
    """

    def __init__(self, settings: "Settings", kb: KnowledgeBase, llm: ChatModel | None = None,
                 params: RetrievalParams | None = None) -> None:
        self.settings = settings
        self.prompts = default_prompts()
        self.llm = llm if llm is not None else make_llm(settings)
        if self.llm is not None:
            for language in LANGUAGES:
                check_budget(self.llm, self.prompts.get("answer", language))
        self.kb = kb
        params = params or RetrievalParams.from_settings(settings)
        links = default_link_index(self.kb.embedder, Path(settings.data_dir)) if settings.question_links else None
        self.retriever = Retriever(self.kb, params, make_ranker(settings.ranker), links)

    def hold_out_linked_questions(self) -> None:
        """For evaluation: a question that is itself one of the linked questions does not find its own link (the
        other linked questions still count), so figures on our own question sets are not inflated by it."""
        self.retriever.params.link_self = False

    def search(self, question: str, k: int = 10, filters: SearchFilters | None = None) -> list[ScoredChunk]:
        """Ranked passages for a question; raises InvalidQuestion for an empty one."""
        return self.retrieve(normalize_question(question), filters, k)

    def resolve(self, question: str) -> list[dict]:
        """The articles a question names explicitly, as resolved against the knowledge base:
        [{"law": title, "article": n, "found": bool, "doc_id": …}] (paragraph, item and 之一 when given)."""
        return [r.to_dict() for r in self.retriever.resolve(normalize_question(question))]

    def conflicts_of(self, doc_id: str, k: int = CONFLICT_NEIGHBOURS) -> list[Conflict]:
        """Where a document states other figures than the passages of other documents closest to it (in force today):
        what the knowledge console flags after an upload ("与《中华人民共和国专利法》第四十二条不一致（二十年 vs 一百年）").
        Raises UnknownDocument for an unknown id."""
        doc = self.kb.document(doc_id)
        others = _OtherDocuments(in_force_on=date.today(), exclude_doc=doc.doc_id)
        return document_conflicts(self.kb, doc.doc_id, lambda text: self.search(text, k=k, filters=others))

    @property
    def link_domains(self) -> list[str]:
        """Domains (and their subdomains) that links in answers may point to."""
        return list(getattr(self.settings, "link_domains", DEFAULT_LINK_DOMAINS))

    def safe(self, item):
        """An answer, or a delta of one, with every link that does not point to ``settings.link_domains`` made plain text."""
        domains = self.link_domains
        if isinstance(item, str):
            return safe_links(item, domains)
        if isinstance(item, Answer):
            item.answer = safe_links(item.answer, domains)
            for c in item.citations:
                c.quote = safe_links(c.quote, domains)
        return item

    def human_channel(self, language: str) -> str:
        """Where to get help from a person, in the given language."""
        return self.settings.human_channel_zh if language == "zh" else self.settings.human_channel_en

    def standalone_question(self, question: str, history: list[str] | None = None) -> str:
        """The normalised question, made to stand alone from earlier questions of the conversation:
        by the rule that carries the earlier question's subject, attribute and context (bot.answering.followup), or by the LLM's
        follow-up prompt when one is configured and ``llm_followup`` is on."""
        q = normalize_question(question)
        if not history:
            return q
        heuristic = rewrite_followup(q, history)
        if self.llm is None or heuristic == q or not getattr(self.settings, "llm_followup", False):
            return heuristic
        language = language_of(q)
        try:
            rewritten = self.llm.complete(self.prompts.get("followup", language).messages(
                history="\n".join(history[-4:]), question=q)).strip()
        except LLMError:
            return heuristic
        subject = subject_of(heuristic)
        kept = 0 < len(rewritten) <= 4 * len(heuristic) + 40 and (subject is None or subject.lower() in rewritten.lower())
        return normalize_question(rewritten) if kept else heuristic

    def retrieve(self, question: str, filters: SearchFilters | None, k: int | None = None) -> list[ScoredChunk]:
        """The passages an answer is built from: fused retrieval, reordered by the LLM when llm_rerank is on."""
        k = k or self.settings.top_k
        if not (self.settings.llm_rerank and self.llm is not None):
            return self.retriever.search(question, k, filters)
        candidates = self.retriever.search(question, max(k, self.settings.llm_rerank_candidates), filters)
        return rerank(self.llm, question, candidates, language_of(question))[:k]

    def ask(self, question: str, filters: SearchFilters | None = None, history: list[str] | None = None) -> Answer:
        """A cited answer, or an abstention pointing to a human service channel.

        Without ``filters`` only documents in force today are cited; ``history`` holds the person's
        earlier questions, so that a follow-up ("那商标呢？") is understood."""
        q = self.standalone_question(question, history)
        return self.answer(q, self.retrieve(q, filters or in_force_today()))

    def ask_stream(self, question: str, filters: SearchFilters | None = None, history: list[str] | None = None,
                   interface_language: str | None = None) -> Iterator[str | Answer]:
        """Text deltas of the answer as it is written and checked, then the final Answer.

        Show the deltas as they come, then replace them with the final ``Answer.answer``: it differs from
        the deltas when the model failed midway and the extractive answer is shown instead.
        Raises InvalidQuestion (before yielding anything) for an empty question.
        """
        q = self.standalone_question(question, history)
        language = question_language(q, interface_language) if interface_language else None
        yield from self.answer_stream(q, self.retrieve(q, filters or in_force_today()), language=language)

    def answer(self, question: str, hits: list[ScoredChunk], use_llm: bool = True) -> Answer:
        """The answer to a normalised question from already retrieved passages."""
        final = None
        for item in self.answer_stream(question, hits, use_llm, stream=False):
            final = item
        return final

    def answer_stream(self, question: str, hits: list[ScoredChunk], use_llm: bool = True, stream: bool = True,
                      language: str | None = None) -> Iterator[str | Answer]:
        """Deltas then the Answer for a normalised question and its passages (the LLM is not called when they do not cover it);
        links in them that do not point to ``settings.link_domains`` are plain text (bot.answering.links.safe_links). The answer is in
        ``language`` when given, else in the question's."""
        for item in self._answer_stream(question, hits, use_llm, stream, language):
            if isinstance(item, Answer):
                self._attach_passages(item, hits)
            yield self.safe(item)

    def _attach_passages(self, answer: Answer, hits: list[ScoredChunk]) -> None:
        """The whole text of each cited passage: from the retrieved hits and their guides' next steps, the knowledge
        base only for a passage cited from elsewhere."""
        texts = {h.steps.chunk_id: h.steps.text for h in hits if h.steps is not None}
        texts.update({h.chunk.chunk_id: h.chunk.text for h in hits})
        missing = [c.chunk_id for c in answer.citations if c.chunk_id and c.chunk_id not in texts]
        if missing:
            texts.update({cid: c.text for cid, c in self.kb.get_chunks(missing).items()})
        answer.passages = {c.chunk_id: texts[c.chunk_id] for c in answer.citations if c.chunk_id in texts}

    def _answer_stream(self, question: str, hits: list[ScoredChunk], use_llm: bool, stream: bool,
                       language: str | None = None) -> Iterator[str | Answer]:
        language = language or language_of(question)
        resolved = self.retriever.resolve(question)
        lookup = (resolved or self.retriever.unindexed_references(question)) and self.retriever.is_lookup(question)
        if lookup and resolved and not any(r.found for r in resolved):
            r = resolved[0]
            yield no_such_article(language, r.title, r.ref.article, r.articles, self.human_channel(language))
            return
        unindexed = self.retriever.unindexed_references(question) if lookup and not resolved else []
        if unindexed and not any(quotes_article(h.chunk.text, r) for h in hits[:5] for r in unindexed):
            yield abstention(language, self.human_channel(language))  # never another article in place of the one asked for
            return
        cover = coverage(question, hits, self.kb.bm25(), self.settings.min_support, self.settings.min_dense_support,
                         self.settings.min_sentence_support, self.settings.min_link_support)
        if not cover.covered:
            yield abstention(language, self.human_channel(language), cover.support)
            return
        if self.llm is None or not use_llm:
            yield self._extractive(question, hits, language, cover)
            return
        quoted = self._extractive(question, hits, language, cover)
        reads = getattr(self.settings, "llm_sources", "passages")
        try:
            if reads == "answer" and quoted.citations:
                yield from self._rewritten(question, language, quoted, hits, cover, stream)
                return
            prompt = self.prompts.get("answer", language)
            sources = quoted_sources(quoted, hits) or hits if reads in ("quotes", "answer") else hits
            for item in generate(self.llm, question, language, sources, prompt=prompt, min_overlap=self.settings.citation_min_overlap,
                                 stream=stream, link_domains=self.link_domains):
                if item is None:  # retrieval says the passages cover the question: quote them rather than abstain
                    log.info("the model declined a covered question; answered extractively")
                    answer = self._extractive(question, hits, language, cover, DECLINED[language])
                    answer.declined, answer.prompt = True, prompt.ref
                    yield answer
                elif isinstance(item, Answer):
                    why = misses_the_fact(item, quoted, question)
                    if why:  # never worse than the quoted answer: the model's must state its fact, from its source
                        log.warning("LLM answer not used: %s: %r", why, answer_body(item)[:300])
                        quoted.fallback, quoted.prompt = NOTICES["unsupported"][language], prompt.ref
                        yield quoted
                        return
                    item.support = cover.support
                    yield item
                else:
                    yield item
        except LLMError as exc:
            log.warning("LLM answer not used (%s): %s", type(exc).__name__, exc)
            yield self._extractive(question, hits, language, cover, exc.notice(language))
        except Exception as exc:  # a reply we did not foresee must not reach the person as a traceback
            log.error("LLM answer failed unexpectedly (%s)", type(exc).__name__, exc_info=True)
            yield self._extractive(question, hits, language, cover, NOTICES["bad_response"][language])

    def _rewritten(self, question: str, language: str, quoted: Answer, hits: list[ScoredChunk], cover,
                   stream: bool) -> Iterator[str | Answer]:
        """The model's checked rewrite of the quoted answer (``rewrite``), its deltas as they come, then the Answer: the
        rewrite followed by the rest of the quoted answer. A rewrite the checks turn down (``misses_the_fact``, or no
        sentence of it supported) is asked for again with what its first sentence must say (the rewrite_again prompt),
        up to ``llm_rewrite_attempts`` in all, those later replies whole rather than streamed; the quoted answer with
        the notice when none passes."""
        prompt, again_prompt = self.prompts.get("rewrite", language), self.prompts.get("rewrite_again", language)
        sources, again = quoted_sources(quoted, hits), None
        for _ in range(self.settings.llm_rewrite_attempts):
            answer = None
            try:
                for item in rewrite(self.llm, question, language, quoted, sources, prompt=prompt, again=again,
                                    min_overlap=self.settings.citation_min_overlap, stream=stream and again is None,
                                    link_domains=self.link_domains):
                    if isinstance(item, Answer):
                        answer = item
                    elif again is None:
                        yield item
                why, reply = misses_the_fact(answer, quoted, question), answer_body(answer)
            except LLMUnverifiable as exc:
                why, reply = str(exc), exc.reply
            if not why:  # never worse than the quoted answer: the model's must state its fact, from its source
                answer.support = cover.support
                yield with_quoted_rest(answer, quoted)
                return
            log.warning("LLM answer not used: %s: %r", why, reply[:300])
            again = again_messages(again_prompt, reply, quoted)
        quoted.fallback, quoted.prompt = NOTICES["unsupported"][language], prompt.ref
        yield quoted

    def _extractive(self, question: str, hits: list[ScoredChunk], language: str, cover, fallback: str = "") -> Answer:
        return compose_extractive(question, hits, self.kb.bm25(), language=language, human_channel=self.human_channel(language),
                                  cover=cover, max_sentences=self.settings.answer_sentences,
                                  min_overlap=self.settings.citation_min_overlap, fallback=fallback)
