"""Answers without an LLM, quoted word for word from the passages and cited [n]: the sentence that states what is
asked first, then the legal basis, a few supporting sentences and, for what-to-do questions, a guide's next steps."""
from __future__ import annotations

import re
from typing import AbstractSet

from knowledge import ChunkRecord, ScoredChunk, en_to_zh, split_sentences, tokenize, zh_terms_in
from knowledge.lexical import BM25Index
from prompts import worded
from knowledge.chinese import CJK as _CJK
from knowledge.chinese import option_pieces

from .answer import DISCLAIMER, Answer, abstention, make_citation, source_label, sources_footer
from .answerfirst import ALWAYS_ELIGIBLE, core, echoes, shared, tokens_of, english_opening, faq_answer, is_english, english_supports, lead_sentence, repeats, same_text, scored_sentences, without_label
from .answertype import asked_kind, states_kind
from .citecheck import overlap
from .conflicts import authority_first, figure_conflicts, overruled
from .expansion import english_question_terms, legal_terms_for
from .followup import split_context, subject_of
from .numerals import figures_of
from .query import language_of, passage_language
from .references import chinese_number, find_references, title_matches
from .relevance import Coverage, key_terms, weighted_coverage

_WHAT_TO_DO = re.compile(r"怎么办|怎么处理|如何处理|怎么维权|如何维权|该怎么|应该怎么|能做什么|what (?:can|should) (?:i|we) do|what to do", re.I)
_GENERIC = {"怎么", "如何", "什么", "办理", "需要", "可以", "应该", "哪些", "要求"}
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.、)）]|[-*•])\s*(.+)$")
MAX_STEPS = 3
MAX_PARTS = 6
MIN_PART_CHARS = 4
SAME_SOURCE_PENALTY = 0.4
RANK_BONUS = 0.3
LEAD_PASSAGES = 2
LIST_CHARS = 300
_ITEM = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|[（(]\d{1,2}[）)]|\d{1,2}[.、])")
_QUESTION_END = re.compile(r"[^？?]+[？?]")
LABELS = worded("answer")
Overruled = AbstractSet[tuple[str, str]]
"""(chunk id, sentence) pairs that a passage of higher authority contradicts (bot.answering.conflicts.overruled)."""
SEMANTIC_WEIGHT = 0.5
LANGUAGE_MATCH = 0.5
CLOSENESS_SPAN = 0.05
SUPPORT_COVERAGE = 0.3
BASIS_CANDIDATES = 5
REPEAT_OVERLAP = 0.4
SUPPORT_CLOSENESS = 0.5


def _is_heading(sentence: str, hit: ScoredChunk) -> bool:
    label = (hit.chunk.metadata.get("article_label") or "").strip()
    return bool(label) and sentence.strip("#* ").strip() == label


def question_parts(question: str) -> list[str]:
    """The parts to answer one by one: a pasted multiple-choice question's stem joined to each option,
    or the questions of a message that asks several."""
    pieces = option_pieces(question)
    if len(pieces) >= 3:
        stem = pieces[0].strip()
        return [f"{stem} {option.strip()}" for option in pieces[1:] if option.strip()][:MAX_PARTS]
    asked = [q.strip() for q in _QUESTION_END.findall(question) if len(q.strip()) >= MIN_PART_CHARS]
    return asked[:MAX_PARTS] if len(asked) >= 2 else [question]


def _terms(text: str, index: BM25Index) -> list[str]:
    """Key terms for picking sentences: the question's own, plus the statute's words for its everyday phrasing (多久 → 期限)."""
    extra = tokenize(legal_terms_for(text) if _CJK.search(text) else " ".join(en_to_zh(text) + english_question_terms(text)))
    return list(dict.fromkeys([t for group in key_terms(text, index, hints=True) for t in group] + extra))


def sentence_closeness(hits: list[ScoredChunk]) -> dict[tuple[int, str], float]:
    """How close each (hit rank, sentence) comes to the question in embedding space, from the cosines the search
    measured (``ScoredChunk.sentence_cosines``): 1 for the closest sentence of its language (an English question comes
    closer to any English sentence than to Chinese ones), falling linearly to 0 at ``CLOSENESS_SPAN`` below it.
    Sentences past the twelfth have no embedding and are left out."""
    keys, cos = [], []
    for rank, hit in enumerate(hits):
        if hit.sentence_cosines is None:
            continue
        for sentence, c in zip(split_sentences(hit.chunk.text), hit.sentence_cosines):
            keys.append((rank, sentence))
            cos.append(c)
    top: dict[str, float] = {}
    for (_, sentence), c in zip(keys, cos):
        lang = passage_language(sentence)
        top[lang] = max(top.get(lang, c), c)
    return {k: max(0.0, 1.0 - (top[passage_language(k[1])] - c) / CLOSENESS_SPAN) for k, c in zip(keys, cos)}


def restates(sentence: str, chosen: list[str], language: str) -> bool:
    """Whether a sentence only repeats the figures (at least two: years, fees, article numbers) of a chosen sentence
    that is in the answer's language, or in the sentence's own language: the same fact from another guide, or a
    bilingual guide's English and Chinese versions of it."""
    facts = figures_of(sentence)
    if len(facts.articles) + len(facts.percents) + len(facts.numbers) < 2:
        return False
    own = passage_language(sentence)
    return any(passage_language(c) in (language, own) and not facts.missing_from(figures_of(c)) for c in chosen)


def best_sentences(question: str, hits: list[ScoredChunk], index: BM25Index, max_sentences: int, depth: int | None,
                   closeness: dict[tuple[int, str], float] | None = None, skip: Overruled = frozenset()) -> list[tuple[int, str]]:
    """(hit rank, sentence) of the sentences that answer the question best: the best sentence of each of the two
    best-ranked passages that share a term with the question, one per part of the question (a pasted
    multiple-choice question's options, or the questions of one message), then the best of the rest,
    favouring the better-ranked passages and spreading over several of them. Ties go to the better-ranked
    passage, then to the earlier sentence. A sentence that only restates the figures of a chosen one is
    skipped. ``closeness`` (from ``sentence_closeness``) adds how near each sentence's
    embedding comes to the whole question, so that a sentence that says the same thing in other words can lead.
    Sentences in ``skip`` ((chunk id, sentence): those a passage of higher authority contradicts) are never chosen."""
    parts = question_parts(question)
    part_terms = [_terms(p, index) for p in parts] + ([_terms(question, index)] if len(parts) > 1 else [])
    sentences: list[tuple[int, str, set[str], float]] = []
    language = language_of(question)
    for rank, hit in enumerate(hits[:depth]):
        for sentence in split_sentences(hit.chunk.text):
            if skip and (hit.chunk.chunk_id, sentence) in skip:
                continue
            if not (_is_heading(sentence, hit) or sentence.endswith(("？", "?")) or sentence.startswith(("问：", "Q:"))):
                own = LANGUAGE_MATCH if passage_language(sentence) == language else 0.0
                sentences.append((rank, sentence, tokens_of(sentence), own))

    def scored_for(terms: list[str]) -> list[tuple[float, int, int, str]]:
        out = []
        near = (closeness or {}) if terms is part_terms[-1] else {}
        for position, (r, s, toks, own) in enumerate(sentences):
            cov = weighted_coverage(terms, toks, index)
            if cov > 0 or r < ALWAYS_ELIGIBLE:
                out.append((cov + own + SEMANTIC_WEIGHT * near.get((r, s), 0.0) + (1.0 if hits[r].signals.article_ref else 0.0)
                            + RANK_BONUS / (r + 1), r, position, s))
        return out

    def best_of(candidates) -> tuple[float, int, int, str] | None:
        return max(candidates, key=lambda c: (c[0], -c[1], -c[2]), default=None)

    chosen: list[tuple[int, str]] = []
    whole = scored_for(part_terms[-1])
    for lead in range(min(LEAD_PASSAGES, len(hits))):
        best = best_of(c for c in whole if c[1] == lead and c[0] - RANK_BONUS / (lead + 1) - sentences[c[2]][3] > 0
                       and not restates(c[3], [q for _, q in chosen], language))
        if best is not None:
            chosen.append((best[1], best[3]))
    limit = max(max_sentences, min(len(parts), MAX_PARTS) + len(chosen))
    for terms in part_terms:
        scored = whole if terms is part_terms[-1] else scored_for(terms)
        want = 1 if len(parts) > 1 and terms is not part_terms[-1] else limit - len(chosen)
        for _ in range(want):
            used = [r for r, _ in chosen]
            best = best_of((score - SAME_SOURCE_PENALTY * used.count(r), r, pos, s) for score, r, pos, s in scored
                           if all(s != c for _, c in chosen) and not restates(s, [c for _, c in chosen], language))
            if best is None:
                break
            chosen.append((best[1], best[3]))
        if len(chosen) >= limit:
            break
    chosen = [(r, c) for r, c in chosen if not restates(c, [o for _, o in chosen if o != c], language)]
    return chosen[:limit]


def with_list_context(sentence: str, hit: ScoredChunk, skip: Overruled = frozenset()) -> str:
    """A list's lead-in ("有下列情形之一的，不视为侵犯专利权：") with the items that follow it, or a list item with
    its lead-in, so that neither is quoted alone; items are added while the quote stays under ``LIST_CHARS``
    (items in ``skip``, contradicted by a passage of higher authority, are left out)."""
    sentences = split_sentences(hit.chunk.text)
    if sentence not in sentences:
        return sentence
    i = sentences.index(sentence)
    if sentence.endswith(("：", ":")):
        quote = sentence
        for item in sentences[i + 1:]:
            if not _ITEM.match(item) or len(quote) + len(item) > LIST_CHARS:
                break
            if skip and (hit.chunk.chunk_id, item) in skip:
                continue
            quote += item
        return quote
    if _ITEM.match(sentence):
        j = next((j for j in range(i - 1, -1, -1) if not _ITEM.match(sentences[j])), -1)
        lead = sentences[j] if j >= 0 else ""
        if lead.endswith(("：", ":")) and len(lead) + len(sentence) <= LIST_CHARS:
            return lead + ("" if j == i - 1 else "……") + sentence
    return sentence


def _cited(sentence: str, n: int) -> str:
    """A sentence with its marker before the closing punctuation."""
    m = re.match(r"^(.*?)([。！？!?；;.]*)$", sentence.strip(), re.S)
    return f"{m.group(1)}[{n}]{m.group(2)}"


def basis_quote(question: str, hit: ScoredChunk, index: BM25Index, limit: int = 2, skip: Overruled = frozenset()) -> list[str]:
    """The article's sentences that cover the question best (at most ``limit``, in article order; none of ``skip``)."""
    sentences = [s for s in split_sentences(hit.chunk.text) if not (skip and (hit.chunk.chunk_id, s) in skip)]
    terms = _terms(question, index)
    ranked = sorted(range(len(sentences)), key=lambda i: (-weighted_coverage(terms, tokens_of(sentences[i]), index), i))
    return [sentences[i] for i in sorted(ranked[:limit])]


def next_steps(chunk: ChunkRecord) -> list[str]:
    """The first items of a guide's next-steps section."""
    items = [m.group(1).strip() for line in chunk.text.split("\n") if (m := _LIST_ITEM.match(line))]
    return [i for i in items if len(i) >= 4][:MAX_STEPS]


def _steps_chunk(hits: list[ScoredChunk], overruled_docs: AbstractSet[str] = frozenset()) -> ChunkRecord | None:
    """The next-steps section of the best-ranked guide among the top three passages (not of a document that a passage
    of higher authority contradicts: ``overruled_docs``)."""
    return next((h.steps for h in hits[:3] if h.steps is not None and h.chunk.metadata.get("kind") != "article"
                 and h.chunk.doc_id not in overruled_docs), None)


def _uncontradicted(items: list[str], steps: ScoredChunk, hits: list[ScoredChunk]) -> list[str]:
    """Next-steps items without those that state a figure a passage of higher authority contradicts."""
    against = {s for chunk_id, s in overruled(figure_conflicts([steps, *hits])) if chunk_id == steps.chunk.chunk_id}
    return [i for i in items if not any(i in s or s in i for s in against)] if against else items


class _Numbering:
    """Citation numbers in order of first use, with the quotes taken from each source."""

    def __init__(self) -> None:
        self.sources: dict[str, tuple[int, ScoredChunk, list[str]]] = {}

    def cite(self, hit: ScoredChunk, quote: str) -> int:
        n, _, quotes = self.sources.setdefault(hit.chunk.chunk_id, (len(self.sources) + 1, hit, []))
        if quote and quote not in quotes:
            quotes.append(quote)
        return n

    def citations(self) -> list:
        return [make_citation(n, hit, " ".join(q)) for n, hit, q in self.sources.values()]

    def labels(self) -> list[str]:
        return [source_label(hit.chunk.metadata) for _, hit, _ in self.sources.values()]


def _closest(hit: ScoredChunk, quote: str) -> str:
    """The sentence of a passage that shares most with ``quote`` (what a second source of the same fact is quoted as)."""
    return max(split_sentences(hit.chunk.text) or [hit.chunk.text], key=lambda s: shared(quote, s))


def _basis_rank(question: str, lead: str, hits: list[ScoredChunk], index: BM25Index, depth: int | None) -> int | None:
    """Rank of the article of a law or regulation that best backs the lead sentence and the question."""
    articles = [(r, h) for r, h in enumerate(hits[:depth]) if h.chunk.metadata.get("kind") == "article" and h.chunk.metadata.get("article_label")]
    for ref in find_references(lead):
        for r, h in articles:
            if chinese_number(h.chunk.metadata["article_label"].strip("第条")) == ref.article and title_matches(ref.law, h.chunk.metadata.get("title", "")) > 0:
                return r
    terms = _terms(question, index)
    scored = [(shared(lead, h.chunk.text) + weighted_coverage(terms, tokens_of(h.chunk.text), index), -r, r)
              for r, h in articles[:BASIS_CANDIDATES]]
    return max(scored)[2] if scored else None


def _part_leads(question: str, lead: tuple[int, str], hits: list[ScoredChunk], index: BM25Index, language: str,
                depth: int | None, closeness, skip: Overruled) -> list[tuple[int, str]]:
    """For a message that asks two things ("哪些费用能减缴？年费可以减几年？"), the lead sentence of the part the first lead
    does not answer; none for a single question or a multiple-choice one."""
    parts = question_parts(question)
    if len(parts) < 2 or len(option_pieces(question)) >= 3:
        return []
    whole = _terms(question, index)
    out = []
    for i, part in enumerate(parts[:2]):
        kind = asked_kind(part)
        if i == 0 and kind and states_kind(kind, lead[1]):
            continue
        own = _terms(part, index)
        scored = scored_sentences(own, hits, index, kind=kind, subject=subject_of(question), depth=depth,
                                  closeness=closeness, skip=skip, context=whole)
        found = lead_sentence(scored, language, kind, own, index)
        if found is not None and found != lead and found[1] not in lead[1]:
            out.append(found)
    return out[:1]


def _wants_steps(question: str, kind: str | None) -> bool:
    return kind == "procedure" or bool(_WHAT_TO_DO.search(question))


def _steps_fit(question: str, steps: ChunkRecord, hits: list[ScoredChunk], index: BM25Index) -> bool:
    """Whether a guide's next steps are for the task asked about: the section was retrieved for the question, or its
    steps share a word of the question other than the subject (续展, 登记, 维权 …)."""
    if any(h.chunk.chunk_id == steps.chunk_id for h in hits):
        return True
    subject = subject_of(question) or ""
    task = [t for t in _terms(question, index) if t not in subject and t not in _GENERIC]
    return bool(set(task) & set(tokenize(" ".join(next_steps(steps)))))


class _Lines:
    """The lines of an extractive answer, every quote cited, no sentence said twice."""

    def __init__(self, hits: list[ScoredChunk], depth: int | None, min_overlap: float) -> None:
        self.hits, self.depth, self.min_overlap = hits, depth, min_overlap
        self.cites, self.said = _Numbering(), []

    def said_before(self, quote: str, language: str) -> bool:
        """Whether the quote says again what the answer already says: the same words, or the same figures (articles
        aside) in much the same words, as in a guide that restates the statute."""
        return any(same_text(quote, q) or quote in q or q in quote or repeats(quote, q, REPEAT_OVERLAP) for q in self.said) or restates(quote, self.said, language)

    def cited(self, rank: int, quote: str) -> str:
        """The quote with the marker of its passage and of one other passage that says the same."""
        quote = without_label(quote)
        marks = [self.cites.cite(self.hits[rank], quote)]
        for r in echoes(quote, rank, self.hits, self.depth, self.min_overlap):
            marks.append(self.cites.cite(self.hits[r], _closest(self.hits[r], quote)))
        self.said.append(quote)
        m = re.match(r"^(.*?)([。！？!?；;.]*)$", quote.strip(), re.S)
        return m.group(1) + "".join(f"[{n}]" for n in sorted(set(marks))) + m.group(2)


def compose_extractive(question: str, hits: list[ScoredChunk], index: BM25Index, *, language: str, human_channel: str,
                       cover: Coverage, max_sentences: int = 3, depth: int | None = None, fallback: str = "",
                       min_overlap: float = 0.5) -> Answer:
    """An answer that opens with the sentence stating what is asked (with its figure), then the legal basis, then at
    most ``max_sentences - 1`` supporting sentences and, for what-to-do questions, the next steps of the same task —
    every sentence quoted word for word with [n] markers (two markers where two sources say the same) — or an abstention."""
    if not hits or not cover.covered:
        return abstention(language, human_channel, cover.support, fallback=fallback)
    conflicts = figure_conflicts(hits[:depth])
    skip = overruled(conflicts)
    if skip:  # the statute outranks the guide, the FAQ or the upload that contradicts it: its passage goes first
        hits = authority_first(hits, conflicts)
    closeness = sentence_closeness(hits[:depth]) if any(h.sentence_cosines is not None for h in hits[:depth]) else None
    asked, context = split_context(question)
    terms, kind, subject = _terms(asked, index), asked_kind(asked) or asked_kind(context), subject_of(asked) or subject_of(context)
    context_terms = _terms(context, index) if context else []
    faq = faq_answer(asked, terms, hits, index)
    scored = scored_sentences(terms, hits, index, kind=kind, subject=subject, depth=depth, closeness=closeness, skip=skip,
                              context=context_terms or None)
    lead = faq or lead_sentence(scored, language, kind, terms + context_terms, index)
    if lead is None:
        return abstention(language, human_channel, cover.support, fallback=fallback)
    labels, out = LABELS[language], _Lines(hits, depth, min_overlap)
    leads = [lead] + ([] if faq else _part_leads(asked, lead, hits, index, language, depth, closeness, skip))
    opening = ""
    if language == "en" and not is_english(lead[1]):
        opening = english_opening(lead[1], hits[lead[0]].chunk.metadata) + " "
    said = []
    for rank, text in leads:
        quote = text if faq else with_list_context(text, hits[rank], skip)
        quote = core(quote) or quote
        if not said or not out.said_before(quote, language):
            said.append(out.cited(rank, quote))
    lines = [(opening + "".join(said)).strip()]
    lead_quote = "".join(said)
    basis = _basis_rank(question, lead_quote, hits, index, depth)
    if basis is not None:
        hit = hits[basis]
        head = f"{labels['basis']}《{hit.chunk.metadata.get('title', '')}》{hit.chunk.metadata.get('article_label', '')}"
        quote = next(iter(basis_quote(question + lead_quote, hit, index, limit=1, skip=skip)), None)
        if quote and hit.chunk.chunk_id not in out.cites.sources:
            quote = with_list_context(quote, hit, skip)
        if hit.chunk.chunk_id in out.cites.sources or quote is None or any(same_text(quote, q) or repeats(quote, q) for q in out.said):
            lines.append(_cited(head, out.cites.cite(hit, "")) + ("。" if language == "zh" else "."))
        else:
            lines.append(f"{head}：{out.cited(basis, quote)}" if language == "zh" else f"{head}: {out.cited(basis, quote)}")
    chosen = best_sentences(asked, hits, index, max_sentences + 2, depth, closeness, skip)
    relevant = {(c[1], c[3]) for c in scored if c[4] >= SUPPORT_COVERAGE or (closeness or {}).get((c[1], c[3]), 0.0) >= SUPPORT_CLOSENESS}
    if language == "en":
        anchor = lead[1] if not is_english(lead[1]) else next((c[3] for c in scored if not is_english(c[3])), "")
        relevant = {(r, s) for r, s in relevant if not is_english(s) or english_supports(s, anchor, terms + context_terms, index)}
    top_article = next((r for r, h in enumerate(hits[:depth]) if h.chunk.metadata.get("kind") == "article"), None)
    if top_article is not None and hits[top_article].chunk.chunk_id not in out.cites.sources:
        chosen = [(top_article, s) for s in basis_quote(asked, hits[top_article], index, limit=1, skip=skip)] + chosen
        relevant |= {chosen[0]} if chosen and chosen[0][0] == top_article else set()
    options = len(option_pieces(asked)) >= 3
    supporting = 0
    for r, s in chosen:
        if supporting >= max(1, max_sentences - 1, len(question_parts(asked)) if options else 0):
            break
        if (r, s) not in relevant and not options:
            continue
        quote = without_label(with_list_context(s, hits[r], skip))
        if out.said_before(quote, language) or any(quote in q or q in quote for q in out.said):
            continue
        lines.append(f"- {out.cited(r, quote)}")
        supporting += 1
    steps = _steps_chunk(hits, {c.lower_doc_id for c in conflicts if not c.same_authority}) if _wants_steps(asked, kind) else None
    if steps is not None and _steps_fit(asked, steps, hits, index):
        hit = ScoredChunk(steps, 0.0)
        items = _uncontradicted(next_steps(steps), hit, hits[:depth])
        if items:
            lines += ["", labels["steps"]]
            lines += [f"{i}. {_cited(item, out.cites.cite(hit, item))}" for i, item in enumerate(items, 1)]
    cites = out.cites
    quoted_text = " ".join(s for _, hit, q in cites.sources.values() for s in q)
    text = "\n".join(lines) + "\n\n" + sources_footer(cites.labels(), language)
    if language == "en" and _CJK.search(quoted_text):
        terms_zh = zh_terms_in(quoted_text)[:8]
        if terms_zh:
            text += f"\n\n{labels['terms']} " + "; ".join(f"{zh} = {en}" for zh, en in terms_zh)
    return Answer(text, cites.citations(), "extractive", False, language, DISCLAIMER[language], cover.support, fallback=fallback)
