"""Answers written by an LLM from numbered sources, checked sentence by sentence before anything is shown.

The model is asked for JSON (``ANSWER_SCHEMA``: sentences with their source numbers) when the endpoint does structured
output, else for plain text with [n] markers; either way the text goes through the same CitationChecker. A checked
answer that only restates the question, or lacks the kind of fact the question asks for, is not used.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Iterator

from knowledge import ScoredChunk, count_tokens, tokenize
from knowledge import split_sentences
from knowledge.chinese import CJK as _CJK
from prompts import Prompt

from .answer import DISCLAIMER, Answer, Citation, answer_body, make_citation, source_label, sources_footer
from .answertype import asked_types, type_match
from .citecheck import MARKER, CitationChecker, clauses, cut_sentences, markers_in, normalize_markers, strip_markers
from .conflicts import figure_conflicts, without_overruled
from .context import MIN_SOURCE_TOKENS, Context, build_context
from .links import DEFAULT_LINK_DOMAINS, safe_links
from .llm import ChatModel, LLMBadResponse, LLMConfigError, LLMNotJSON, LLMUnverifiable, check_output
from .numerals import figures_of, normalize_figures

NO_ANSWER = "NO_ANSWER"
MESSAGE_OVERHEAD_TOKENS = 8
SAFETY_TOKENS = 64
RESTATED_SHARE = 0.8
REWRITE_LINES = 2
_ECHO_LABEL = re.compile(r"(?:Rewritten|改写)\s*[:：]", re.I)
_ECHO = re.compile(r"摘录|quoted (?:sentence|answer|text)", re.I)
_TITLE = r"《(?:[^《》]|《[^《》]*》)*》"  # a law's title, which may quote another (《…关于适用《…》…的解释》)
BASIS_REFS = re.compile(rf"{_TITLE}|第\d+(?:条|款|项)(?:之[一二三四五六七八九十])?|[（(][^（）()]*[）)]")
_BASIS_WORDS = re.compile(r"^(?:[\s\W_\d]|依据|根据|法律依据|见|参见|和|及|以及|与|是|为|\b(?:the|legal|basis|under|see|this|that|these|"
                          r"is|are|in|article|art|and|of|on|for|chinese|china|prc|people's|republic|patent|trademark|copyright|law|"
                          r"regulations?|rules|implementing|interpretation|provisions?|code)\b)*$", re.I)
_QUOTING_BASIS = re.compile(rf"^(?:依据|Legal basis)[:：]?\s*{_TITLE}[^：:\n]*[:：]\s*\S")
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "answerable": {"type": "boolean"},
        "sentences": {"type": "array", "items": {
            "type": "object",
            "properties": {"text": {"type": "string"}, "sources": {"type": "array", "items": {"type": "integer"}}},
            "required": ["text", "sources"], "additionalProperties": False}},
    },
    "required": ["answerable", "sentences"],
    "additionalProperties": False,
}
JSON_HINT = {
    "zh": '输出 JSON，每句一项，资料编号写在 sources 里，不写进 text。上面的示例应输出：{"answerable": true, "sentences": '
          '[{"text": "蓝鸟证书的有效期为五年。", "sources": [1]}, {"text": "有效期自发证之日起计算。", "sources": [1]}]}。'
          '不要照抄问题。只有所有资料都不能回答时，才输出 {"answerable": false, "sentences": []}。',
    "en": 'Reply in JSON, one item per sentence, the source numbers in "sources", not in "text". For the example above: '
          '{"answerable": true, "sentences": [{"text": "A bluebird certificate is valid for five years.", "sources": [1]}, '
          '{"text": "The period runs from the date of issue.", "sources": [1]}]}. Do not repeat the question. Only when no '
          'source answers, reply {"answerable": false, "sentences": []}.',
}
_YES_NO = re.compile(r"[吗么否][？?]?\s*$|是否|能否|可否|能不能|可不可以|是不是|有没有|"
                     r"^\s*(?:can|may|is|are|does|do|should|must|will|could)\b", re.I)
CHECKED_KINDS = frozenset({"duration", "amount"})  # kinds whose absence is plain to see: a duration or an amount has a figure
_YES_NO_WORDS = re.compile(r"^(?:不|没|没有|无|可以|可|以|能|能够|是|算|会|要|需要|需|须|应当|应|当|必须|必|否|非|未|有|行|得|的|了|yes|no|not|can|cannot|may|is|does|do)+$", re.I)
_PARTICLES = set("的了吗呢吧啊是在有和与及或也都就还又被把")


def fill(prompt: Prompt, **values: object) -> list[dict[str, str]]:
    """The prompt's messages from those of ``values`` it declares (prompts take different subsets)."""
    return prompt.messages(**{k: v for k, v in values.items() if k in prompt.variables})


def with_json_hint(messages: list[dict[str, str]], language: str) -> list[dict[str, str]]:
    """The messages with the JSON format (JSON_HINT) added to the system message (or a first one)."""
    hint = JSON_HINT["zh" if language == "zh" else "en"]
    if messages and messages[0]["role"] == "system":
        return [{**messages[0], "content": messages[0]["content"] + "\n\n" + hint}, *messages[1:]]
    return [{"role": "system", "content": hint}, *messages]


def source_budget(llm: ChatModel, prompt: Prompt, question: str, extra: dict | None = None, structured: bool = False) -> int:
    """Tokens left for the sources once the prompt (with the JSON hint when ``structured``), the question and the answer are accounted for."""
    empty = fill(prompt, question=question, sources="", count=0, no_answer=NO_ANSWER, **(extra or {}))
    if structured:
        empty = with_json_hint(empty, prompt.language)
    used = sum(count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in empty)
    return llm.config.context_tokens - llm.config.max_answer_tokens - used - SAFETY_TOKENS


def check_budget(llm: ChatModel, prompt: Prompt) -> None:
    """LLMConfigError when the context size leaves no room for even one source."""
    room = source_budget(llm, prompt, "", structured=output_for(llm, prompt) != "none")
    if room < MIN_SOURCE_TOKENS:
        c = llm.config
        raise LLMConfigError(f"llm_context_tokens={c.context_tokens} leaves {room} tokens for sources after the prompt and "
                             f"llm_max_answer_tokens={c.max_answer_tokens}; raise the first or lower the second")


def output_for(llm: ChatModel, prompt: Prompt, output: str | None = None) -> str:
    """How generate asks for the answer: ``output`` when given, else the model's current structured-output mode for the
    answer prompt and 'none' for the others (their replies are formatted drafts)."""
    if output is not None:
        return check_output(output)
    if prompt.name != "answer":
        return "none"
    return getattr(llm, "output_mode", None) or check_output(llm.config.output)


def build_messages(llm: ChatModel, prompt: Prompt, question: str, language: str, hits: list[ScoredChunk], extra: dict | None = None,
                   structured: bool = False) -> tuple[Context, list[dict[str, str]]]:
    """The numbered sources fitted into the model's context (trimmed to the sentences closest to the question when
    needed) and the messages that carry them (with JSON_HINT when ``structured``)."""
    ctx = build_context(authoritative_sources(hits), source_budget(llm, prompt, question, extra, structured), language, question)
    messages = fill(prompt, question=question, sources=ctx.text, count=len(ctx.hits), no_answer=NO_ANSWER, **(extra or {}))
    return ctx, with_json_hint(messages, language) if structured else messages


def _numbers(value: object) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [int(n) for n in items if (isinstance(n, int) and not isinstance(n, bool)) or (isinstance(n, str) and n.strip().isdigit())]


def _sentence_text(text: str, cited: list[int], language: str) -> str:
    """One reply sentence (split further where it holds several) with ``cited`` as markers before each one's closing punctuation."""
    marks = "".join(f"[{n}]" for n in cited)
    out = []
    for piece in cut_sentences(text, final=True)[0]:
        m = re.match(r"^(?P<core>.*?)(?P<punct>[。！？!?；;.]*)\s*$", piece, re.S)
        core = m.group("core").strip()
        if core:
            punct = m.group("punct") or ("。" if _CJK.search(core) else ".")
            out.append(core + (" " if core[-1:].isalnum() and not _CJK.search(core[-1:]) else "") + marks + punct)
    return ("" if language == "zh" else " ").join(out)


def answer_text(data: dict, language: str) -> str:
    """The sentences of a JSON reply (ANSWER_SCHEMA) as text, each followed by its source markers [n]
    (numbers the model put in the sentence's text count too); LLMBadResponse when it has no sentence list."""
    sentences = data.get("sentences")
    if not isinstance(sentences, list):
        raise LLMBadResponse(f"the JSON reply has no 'sentences' list (keys: {', '.join(map(str, data)) or 'none'})")
    out = []
    for item in sentences:
        item = item if isinstance(item, dict) else {"text": str(item), "sources": []}
        text = normalize_markers(str(item.get("text") or ""))
        cited = list(dict.fromkeys(markers_in(text) + _numbers(item.get("sources"))))
        out.append(_sentence_text(strip_markers(text), cited, language))
    return ("" if language == "zh" else " ").join(s for s in out if s)


def units_of(text: str) -> set[str]:
    """What a text says, coarsely: its Chinese characters but particles, and its other search tokens."""
    text = normalize_figures(strip_markers(text))
    return {c for c in text if _CJK.match(c) and c not in _PARTICLES} | {t for t in tokenize(text) if not _CJK.search(t)}


def not_an_answer(question: str, text: str) -> str | None:
    """Why checked answer ``text`` does not answer ``question`` — it only restates the question (no new figure, at least
    RESTATED_SHARE of it in the question; for a yes/no question, nothing but a yes or a no added to it), or the question asks for a duration or an amount
    (bot.answering.answertype) and the text carries none — else None."""
    asked = asked_types(question) & CHECKED_KINDS
    if asked and type_match(asked, strip_markers(text)) == 0:
        return f"the answer gives no {' or '.join(sorted(asked))}, which the question asks for"
    units, known = units_of(text), units_of(question)
    new_figures = figures_of(strip_markers(text)).missing_from(figures_of(question))
    restated = units and not new_figures and len(units & known) >= RESTATED_SHARE * len(units)
    if restated and (not _YES_NO.search(question) or all(_YES_NO_WORDS.search(u) for u in units - known)):
        return "the answer only restates the question" + (" with a yes or no" if _YES_NO.search(question) else "")
    return None


def _quote(hit: ScoredChunk, claims: list[str]) -> str:
    """The passage sentences closest to the answer sentences that cite it (at most two, in passage order)."""
    wanted = set(t for c in claims for t in tokenize(c))
    sentences = split_sentences(hit.chunk.text)
    scored = sorted(range(len(sentences)), key=lambda i: (-len(wanted & set(tokenize(sentences[i]))), i))
    return " ".join(sentences[i] for i in sorted(scored[:2]))


def _citations(hits: list[ScoredChunk], checker: CitationChecker) -> list[Citation]:
    claims: dict[int, list[str]] = {}
    for v in checker.kept:
        for n in v.cites:
            claims.setdefault(n, []).append(v.text)
    return [make_citation(k, hits[n - 1], _quote(hits[n - 1], claims.get(n, []))) for k, n in enumerate(checker.order, 1)]


def authoritative_sources(hits: list[ScoredChunk]) -> list[ScoredChunk]:
    """The passages the model may see: without those whose figures a passage of higher authority among them contradicts
    (a guide, FAQ or upload saying 一百年 where the statute says 二十年), so that the statute is what it reads."""
    conflicts = figure_conflicts(hits)
    return without_overruled(hits, conflicts) if conflicts else hits


def _structured_reply(llm: ChatModel, messages: list[dict], output: str | None) -> dict | str | None:
    """The JSON reply; the text of a reply that is not JSON (checked as plain text then); None: ask for plain text."""
    try:
        return llm.complete_json(messages, ANSWER_SCHEMA, output)
    except LLMNotJSON as exc:
        return exc.text


def _checked(checker: CitationChecker, deltas: Iterable[str], domains: tuple[str, ...]) -> Iterator[str]:
    for delta in deltas:
        shown = checker.feed(delta)
        if shown:
            yield safe_links(shown, domains)
    shown = checker.finish()
    if shown:
        yield safe_links(shown, domains)


def generate(llm: ChatModel, question: str, language: str, hits: list[ScoredChunk], *, prompt: Prompt, min_overlap: float,
             stream: bool = True, extra: dict | None = None, link_domains: Iterable[str] | None = None,
             output: str | None = None) -> Iterator[str | Answer | None]:
    """Checked text deltas of the model's answer, then the Answer — or None when the model says the sources do not answer.

    Raises LLMError (the model failed, nothing it wrote is supported, or what is left does not answer the question) for
    the caller to fall back on. ``extra`` fills further variables of prompts that take them (the staff prompt's human_channel).
    ``output`` (see ``output_for``; default llm_output for the answer prompt) asks for JSON: then one call is made and
    its checked text yielded at once, even when ``stream``. Passages contradicted by one of higher authority are not
    given to the model; links in what it writes that do not point to ``link_domains`` (default: ``DEFAULT_LINK_DOMAINS``)
    are made plain text (bot.answering.links.safe_links).
    """
    domains = tuple(DEFAULT_LINK_DOMAINS if link_domains is None else link_domains)
    structured = output_for(llm, prompt, output) != "none"
    ctx, messages = build_messages(llm, prompt, question, language, hits, extra, structured)
    checker = CitationChecker.over(ctx.source_texts, min_overlap, reattribute="marked", bind_figures=True)
    reply = _structured_reply(llm, messages, output) if structured else None
    if isinstance(reply, dict):
        declined = reply.get("answerable") is False
        if not declined and not reply.get("sentences"):
            raise LLMBadResponse("the JSON reply says answerable but has no sentences")
        yield from _checked(checker, [answer_text(reply, language)], domains)
    else:
        if reply is None:
            plain = fill(prompt, question=question, sources=ctx.text, count=len(ctx.hits), no_answer=NO_ANSWER, **(extra or {}))
            deltas = llm.stream(plain) if stream else iter([llm.complete(plain)])
        else:
            deltas = [reply]
        yield from _checked(checker, deltas, domains)
        declined = NO_ANSWER in checker.raw.upper()
    if declined and not checker.kept:
        yield None
        return
    yield from _finish(checker, ctx.hits, question, language, prompt, domains)


def _finish(checker: CitationChecker, hits: list[ScoredChunk], question: str, language: str, prompt: Prompt,
            domains: tuple[str, ...]) -> Iterator[str | Answer]:
    """The sources footer and the Answer of a checked reply; LLMUnverifiable when nothing of it passed the check or what
    is left does not answer."""
    if not checker.kept:
        raise LLMUnverifiable(f"none of the {len(checker.verdicts)} sentences is supported by its sources: "
                              + "; ".join(sorted({v.reason for v in checker.verdicts})), checker.raw)
    reason = not_an_answer(question, checker.text)
    if reason:
        raise LLMUnverifiable(f"{reason}: {checker.text!r}", checker.raw)
    footer = "\n\n" + sources_footer([source_label(hits[n - 1].chunk.metadata) for n in checker.order], language)
    yield safe_links(footer, domains)
    dropped = [v for v in checker.dropped if v.reason != "empty"]
    citations = _citations(hits, checker)
    for c in citations:
        c.quote = safe_links(c.quote, domains)
    yield Answer(safe_links(checker.text + footer, domains), citations, "llm", False, language, DISCLAIMER[language], prompt=prompt.ref,
                 dropped=len(dropped))


def names_only_the_basis(text: str) -> bool:
    """Whether a text names a legal basis (《…》第N条) and says nothing else."""
    return not any(_BASIS_WORDS.sub("", BASIS_REFS.sub("", c)).strip() for c in clauses(strip_markers(text)))


def with_quoted_rest(model: Answer, quoted: Answer) -> Answer:
    """The model's rewrite of the quoted answer's first REWRITE_LINES lines, followed by the rest of the quoted answer
    word for word (its supporting quotes, next steps, sources and terms), every [n] numbered as the quoted answer numbers
    its sources. A legal-basis line that quotes the article is kept too (and the model's sentences that only name the
    basis are left out then). The model's answer as it is when it cites a passage the quoted answer does not."""
    numbers = {c.chunk_id: c.n for c in quoted.citations}
    to_quoted = {c.n: numbers.get(c.chunk_id) for c in model.citations}
    if None in to_quoted.values():
        return model
    text = MARKER.sub(lambda m: "".join(f"[{to_quoted[n]}]" for n in markers_in(m.group(0)) if n in to_quoted),
                      answer_body(model)).rstrip()
    body = answer_body(quoted)
    lines = body.split("\n")
    keep = 1 if len(lines) > 1 and _QUOTING_BASIS.match(lines[1]) else REWRITE_LINES
    if keep < REWRITE_LINES:
        sentences = cut_sentences(text, final=True)[0]
        text = "".join(x for x in sentences if not names_only_the_basis(x)).rstrip() or text
    rest = "\n".join(lines[keep:]).rstrip()
    return replace(model, answer=text + ("\n" + rest if rest.strip() else "") + quoted.answer[len(body):],
                   citations=list(quoted.citations))


def rewrite(llm: ChatModel, question: str, language: str, quoted: Answer, sources: list[ScoredChunk], *, prompt: Prompt,
            min_overlap: float, stream: bool = True, link_domains: Iterable[str] | None = None,
            again: list[dict[str, str]] | None = None) -> Iterator[str | Answer]:
    """Checked deltas of the model's plain-words rewrite of an extractive answer, then the Answer.

    ``sources`` are the passages the quoted answer cites, ``sources[n-1]`` for its [n] (each cut to what it quoted). The model
    reads the answer's first REWRITE_LINES lines (its sources list left out) and keeps their [n]; every sentence it writes is
    checked against the source it cites, or, when it lost its number, against the one source that supports it. ``again``:
    the messages that follow the rewrite conversation when the model is asked once more (its earlier reply, and what it
    must say — ``again_messages``). Raises LLMError as ``generate`` does."""
    domains = tuple(DEFAULT_LINK_DOMAINS if link_domains is None else link_domains)
    if len(sources) != len(quoted.citations) or not sources:
        raise LLMBadResponse("the quoted answer's sources are not all at hand")
    body = "\n".join(answer_body(quoted).strip().split("\n")[:REWRITE_LINES])
    checker = CitationChecker.over([f"{source_label(h.chunk.metadata)}\n{h.chunk.text}" for h in sources], min_overlap,
                                   reattribute="any", bind_figures=True)
    messages = fill(prompt, question=question, answer=body) + (again or [])
    deltas = llm.stream(messages) if stream else iter([without_echo(llm.complete(messages))])
    yield from _checked(checker, deltas, domains)
    yield from _finish(checker, sources, question, language, prompt, domains)


def without_echo(reply: str) -> str:
    """A whole rewrite reply without what it echoes of its prompt: the text after its last "改写：" / "Rewritten:"
    label, and none of its sentences that speak of the excerpt ("摘录", "quoted sentence") rather than answer."""
    text = _ECHO_LABEL.split(reply)[-1]
    return "".join(x for x in cut_sentences(text, final=True)[0] if not _ECHO.search(x))


def again_messages(prompt: Prompt, reply: str, quoted: Answer) -> list[dict[str, str]]:
    """What follows a rewrite the checks turned down when the model is asked once more: its reply, then ``prompt``
    (rewrite_again) with the quoted answer's opening line, which its first sentence must say."""
    opening = answer_body(quoted).strip().split("\n", 1)[0]
    return [{"role": "assistant", "content": reply.strip() or "-"}, *fill(prompt, opening=opening)]

