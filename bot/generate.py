"""Answers written by an LLM from numbered sources, checked sentence by sentence before anything is shown."""
from __future__ import annotations

from typing import Iterable, Iterator

from knowledge import ScoredChunk, count_tokens, tokenize
from knowledge import split_sentences
from prompts import Prompt

from .answer import DISCLAIMER, Answer, Citation, make_citation, source_label, sources_footer
from .citecheck import CitationChecker
from .conflicts import figure_conflicts, without_overruled
from .context import MIN_SOURCE_TOKENS, Context, build_context
from .links import DEFAULT_LINK_DOMAINS, safe_links
from .llm import ChatModel, LLMConfigError, LLMUnverifiable

NO_ANSWER = "NO_ANSWER"
MESSAGE_OVERHEAD_TOKENS = 8
SAFETY_TOKENS = 64


def fill(prompt: Prompt, **values: object) -> list[dict[str, str]]:
    """The prompt's messages from those of ``values`` it declares (prompts take different subsets)."""
    return prompt.messages(**{k: v for k, v in values.items() if k in prompt.variables})


def source_budget(llm: ChatModel, prompt: Prompt, question: str, extra: dict | None = None) -> int:
    """Tokens left for the sources once the prompt, the question and the answer are accounted for."""
    empty = fill(prompt, question=question, sources="", count=0, no_answer=NO_ANSWER, **(extra or {}))
    used = sum(count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in empty)
    return llm.config.context_tokens - llm.config.max_answer_tokens - used - SAFETY_TOKENS


def check_budget(llm: ChatModel, prompt: Prompt) -> None:
    """LLMConfigError when the context size leaves no room for even one source."""
    room = source_budget(llm, prompt, "")
    if room < MIN_SOURCE_TOKENS:
        c = llm.config
        raise LLMConfigError(f"llm_context_tokens={c.context_tokens} leaves {room} tokens for sources after the prompt and "
                             f"llm_max_answer_tokens={c.max_answer_tokens}; raise the first or lower the second")


def _quote(hit: ScoredChunk, claims: list[str]) -> str:
    """The passage sentences closest to the answer sentences that cite it (at most two, in passage order)."""
    wanted = set(t for c in claims for t in tokenize(c))
    sentences = split_sentences(hit.chunk.text)
    scored = sorted(range(len(sentences)), key=lambda i: (-len(wanted & set(tokenize(sentences[i]))), i))
    return " ".join(sentences[i] for i in sorted(scored[:2]))


def _citations(ctx: Context, checker: CitationChecker) -> list[Citation]:
    claims: dict[int, list[str]] = {}
    for v in checker.kept:
        for n in v.cites:
            claims.setdefault(n, []).append(v.text)
    return [make_citation(k, ctx.hits[n - 1], _quote(ctx.hits[n - 1], claims.get(n, []))) for k, n in enumerate(checker.order, 1)]


def authoritative_sources(hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """The passages the model may see: without those whose figures a passage of higher authority among them contradicts
    (a guide, FAQ or upload saying 一百年 where the statute says 二十年), so that the statute is what it reads."""
    conflicts = figure_conflicts(hits)
    return without_overruled(hits, conflicts) if conflicts else hits


def generate(llm: ChatModel, question: str, language: str, hits: list[ScoredChunk], *, prompt: Prompt, min_overlap: float,
             stream: bool = True, extra: dict | None = None, link_domains: Iterable[str] | None = None) -> Iterator[str | Answer | None]:
    """Checked text deltas of the model's answer, then the Answer — or None when the model says the sources do not answer.

    Raises LLMError (the model failed or nothing it wrote is supported) for the caller to fall back on.
    ``extra`` fills further variables of prompts that take them (the staff prompt's human_channel).
    Passages contradicted by one of higher authority are not given to the model; links in what it writes that do not
    point to ``link_domains`` (default: ``DEFAULT_LINK_DOMAINS``) are made plain text (bot.links.safe_links).
    """
    domains = tuple(DEFAULT_LINK_DOMAINS if link_domains is None else link_domains)
    ctx = build_context(authoritative_sources(hits), source_budget(llm, prompt, question, extra), language)
    messages = fill(prompt, question=question, sources=ctx.text, count=len(ctx.hits), no_answer=NO_ANSWER, **(extra or {}))
    checker = CitationChecker.over(ctx.source_texts, min_overlap)
    for delta in llm.stream(messages) if stream else iter([llm.complete(messages)]):
        shown = checker.feed(delta)
        if shown:
            yield safe_links(shown, domains)
    shown = checker.finish()
    if shown:
        yield safe_links(shown, domains)
    if not checker.kept:
        if checker.raw.strip().strip("。.").upper() == NO_ANSWER:
            yield None
            return
        raise LLMUnverifiable(f"none of the {len(checker.verdicts)} sentences is supported by its sources: "
                              + "; ".join(sorted({v.reason for v in checker.verdicts})))
    footer = "\n\n" + sources_footer([source_label(ctx.hits[n - 1].chunk.metadata) for n in checker.order], language)
    yield safe_links(footer, domains)
    dropped = [v for v in checker.dropped if v.reason != "empty"]
    citations = _citations(ctx, checker)
    for c in citations:
        c.quote = safe_links(c.quote, domains)
    yield Answer(safe_links(checker.text + footer, domains), citations, "llm", False, language, DISCLAIMER[language], prompt=prompt.ref,
                 dropped=len(dropped))

