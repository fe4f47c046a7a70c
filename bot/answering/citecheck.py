"""Checks generated text sentence by sentence against the sources each sentence cites.

A sentence is kept only when it cites at least one existing source, every figure in it
(第N条, percentages, durations, fees, dates — Chinese numerals normalised) appears in the
cited sources, and enough of its key terms appear there too. Markers that point to no
source are removed; the surviving citations are renumbered 1..n in order of first use.
Works on a stream: ``feed`` returns checked text as soon as a sentence is complete.
Markers small models write in other forms ([1][2], [来源1], [Source 1], [^1], 【来源1】, "[1]、[2]", and (1) at the end
of a sentence) are read as [n], and markdown emphasis and headings are removed before the check.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from knowledge import en_to_zh, tokenize
from knowledge.chinese import CJK as _CJK

from .numerals import Figures, figures_of, normalize_figures

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*\]|【\s*(\d{1,3})\s*】")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_TERMINATORS = "。！？!?；;"
_TRAILING = re.compile(r"^(?P<core>.*?)(?P<punct>[。！？!?；;.:：,，、]*)(?P<space>\s*)$", re.S)
_OPEN_MARKER = re.compile(r"(?:[、,，][ \t]*)?(?:[\[【][^\]】\n]{0,16}|(?:[(（][ \t]*\d{0,3}[ \t]*[)）]?)+)")
_NAME = r"(?:来源|资料|出处|source|src|ref)?[ \t]*[:：]?"
_NUMBERS = rf"\d{{1,3}}(?:[ \t]*[,，、][ \t]*{_NAME}[ \t]*\d{{1,3}})*"
_VARIANT = re.compile(rf"\[[ \t]*\^?[ \t]*{_NAME}[ \t]*(?P<a>{_NUMBERS})[ \t]*\]|【[ \t]*{_NAME}[ \t]*(?P<b>{_NUMBERS})[ \t]*】", re.I)
_JOINED = re.compile(r"(\[\d{1,3}\])[ \t]*[、,，][ \t]*(?=\[\d{1,3}\])")
_PAREN_RUN = re.compile(r"(?:[(（][ \t]*\d{1,3}[ \t]*[)）])+")
_BEFORE_PUNCT = re.compile(r"[ \t]*(?:\[\d{1,3}\][ \t]*)*[。！？!?；;.]")
_AFTER_END = re.compile(r"[ \t]*(?:\n|\[\d{1,3}\])")
_SENTENCE_ENDS = "。！？!?."
_EMPHASIS = re.compile(r"\*+")
_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]*(?=[^\s#])")
_LIST_ITEM = re.compile(r"^\s*(?:[-•+][ \t]+|\d{1,2}[.、)）](?!\d)[ \t]*)")
_ABBREVIATION = re.compile(r"(?:^|\W)(?:art|arts|no|nos|para|paras|e\.g|i\.e|etc|cf|vs|p|pp|\d)$", re.I)


def _canonical(m: re.Match) -> str:
    return "".join(f"[{n}]" for n in re.findall(r"\d{1,3}", m.group("a") or m.group("b")))


def _paren_markers(text: str, final: bool) -> str:
    """(1) / （1） as [1] where it ends a sentence: before the sentence's punctuation, or right after it at a line's or the text's end."""
    out, last = [], 0
    for m in _PAREN_RUN.finditer(text):
        after = text[m.end():]
        if not final and not after.strip(" \t"):
            continue
        ends = _BEFORE_PUNCT.match(after) or (final and not after.strip())
        follows = text[: m.start()].rstrip(" \t")[-1:] in tuple(_SENTENCE_ENDS) and (_AFTER_END.match(after) or not after.strip())
        if ends or follows:
            out += [text[last: m.start()], "".join(f"[{n}]" for n in re.findall(r"\d{1,3}", m.group()))]
            last = m.end()
    return "".join(out) + text[last:]


def normalize_markers(text: str, final: bool = True) -> str:
    """Text with every accepted marker form written [n] ([1, 2] as [1][2]) and markdown emphasis and heading marks removed.
    With ``final=False`` (a stream's unfinished text) a (1) whose end of sentence is not known yet is left as it is."""
    text = _HEADING.sub("", _EMPHASIS.sub("", text))
    text = _VARIANT.sub(_canonical, text)
    return _JOINED.sub(r"\1", _paren_markers(text, final))


def plain_sentence(sentence: str) -> str:
    """A sentence without its markers and without a leading list mark ("- ", "1. ", "2、")."""
    return _LIST_ITEM.sub("", strip_markers(sentence)).strip()


def markers_in(sentence: str) -> list[int]:
    """The source numbers a sentence cites, in order, each once."""
    out: list[int] = []
    for m in MARKER.finditer(sentence):
        for n in re.split(r"\s*[,，、]\s*", m.group(1) or m.group(2)):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(text: str) -> str:
    """Text without its [n] markers."""
    return re.sub(r"[ \t]+(?=[。！？!?；;.,，:：])", "", MARKER.sub("", text))


def _sentence_end(buffer: str, i: int, final: bool) -> int | None:
    """Index just past the sentence ending at buffer[i] (with its markers and whitespace); None: not an end; -1: wait for more."""
    if buffer[i] == ".":
        nxt = buffer[i + 1] if i + 1 < len(buffer) else ""
        if (nxt and not nxt.isspace() and nxt not in "[【") or _ABBREVIATION.search(buffer[:i]):
            return None
        if not nxt and not final:
            return -1
    j = i + 1
    while j < len(buffer):
        m = MARKER.match(buffer, j)
        if m:
            j = m.end()
        elif buffer[j] in " \t":
            j += 1
        elif buffer[j] in "[【(（、,，" and not final and _OPEN_MARKER.fullmatch(buffer[j:]):
            return -1
        else:
            break
    while j < len(buffer) and buffer[j] in " \t\r\n":
        j += 1
    return -1 if j == len(buffer) and not final else j


def cut_sentences(buffer: str, final: bool = False) -> tuple[list[str], str]:
    """Complete sentences at the start of ``buffer`` (each with its markers and following whitespace) and the rest."""
    out: list[str] = []
    start = i = 0
    while i < len(buffer):
        if buffer[i] in _TERMINATORS or buffer[i] in ".\n":
            end = _sentence_end(buffer, i, final)
            if end == -1:
                break
            if end is not None:
                out.append(buffer[start:end])
                start = i = end
                continue
        i += 1
    if final and buffer[start:].strip():
        out.append(buffer[start:])
        start = len(buffer)
    return out, buffer[start:]


@dataclass
class Source:
    """One numbered source as the model saw it, prepared for checking."""

    text: str

    @functools.cached_property
    def normalized(self) -> str:
        return normalize_figures(self.text)

    @functools.cached_property
    def tokens(self) -> frozenset[str]:
        return frozenset(tokenize(self.normalized))

    @functools.cached_property
    def figures(self) -> Figures:
        return figures_of(self.text)

    @functools.cached_property
    def chinese(self) -> bool:
        return bool(_CJK.search(self.text))


def _units(sentence: str, chinese_source: bool) -> list[str]:
    """What must be found in a source: the sentence's tokens, or for an English sentence over Chinese text
    its glossary terms (and any Chinese it quotes)."""
    tokens = list(dict.fromkeys(tokenize(normalize_figures(sentence))))
    if chinese_source and _LATIN.search(sentence) and not _CJK.search(re.sub(r"[（(][^）)]*[）)]", "", sentence)):
        return en_to_zh(sentence) + [t for t in tokens if _CJK.search(t)]
    return tokens


def overlap(sentence: str, sources: list[Source]) -> float:
    """Share of the sentence's key terms found in the given sources (0 when it has none)."""
    if not sources:
        return 0.0
    units = _units(sentence, any(s.chinese for s in sources))
    if not units:
        return 0.0
    tokens = frozenset().union(*(s.tokens for s in sources))
    text = "".join(s.normalized for s in sources)
    return sum(1 for u in units if u in tokens or (_CJK.search(u) and u in text)) / len(units)


@dataclass
class Verdict:
    """The outcome for one sentence: kept with the sources that support it, or dropped with the reason."""

    text: str
    cites: list[int]
    kept: bool
    reason: str = ""
    moved_from: tuple[int, ...] = ()


def _merge(sources: list[Source]) -> Figures:
    return Figures(frozenset().union(*(s.figures.articles for s in sources)), frozenset().union(*(s.figures.percents for s in sources)),
                   frozenset().union(*(s.figures.numbers for s in sources)))


QUESTION = "a question, not an answer"
_CLAUSE = re.compile(r"[，,；;：:。！？!?\n]|\.(?=\s|$)")
_BEFORE_EXPIRY = re.compile(r"(?:届满|期满|到期|失效)(?:之日)?前")
_SAID_BEFORE = re.compile(r"前|\bbefore\b|\bprior\b|\bahead\b|\bearlier\b", re.I)
_SENTENCE_PARTS = re.compile(r"[。！？!?\n]|\.(?=\s|$)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?\s*%?")
_NOT_WORD = re.compile(r"[\s\W_]+")


def clauses(text: str) -> list[str]:
    """The clauses of a text (split at commas, semicolons, colons and sentence ends), figures normalised."""
    return [c for c in _CLAUSE.split(normalize_figures(text)) if c.strip()]


def clause_pairs(clause: str) -> frozenset[str]:
    """Adjacent character pairs of a clause's words, its figures left out: what a figure is said of."""
    t = _NOT_WORD.sub("", _DIGITS.sub("", clause.lower()))
    return frozenset(t[i:i + 2] for i in range(len(t) - 1))


def amounts_of(text: str) -> frozenset[str]:
    """The numbers and percentages a text states (article numbers aside)."""
    f = figures_of(text)
    return f.numbers | {p + "%" for p in f.percents}


def _figure_clauses(text: str) -> list[tuple[frozenset[str], frozenset[str], bool, bool]]:
    """(pairs, figures, Chinese?, a window before expiry?) of each clause of a source text, and of each clause without
    a figure read together with the next clause of its sentence when that one has figures: the statute often names what
    it speaks of in one clause and the figure in the next ("法人或者其他组织的软件著作权，保护期为50年")."""
    out = []
    for sentence in _SENTENCE_PARTS.split(text):
        parts = [(c, amounts_of(c)) for c in clauses(sentence)]
        for (c, amounts), (nxt, following) in zip(parts, parts[1:] + [("", frozenset())]):
            out.append((clause_pairs(c), amounts, bool(_CJK.search(c)), bool(_BEFORE_EXPIRY.search(c))))
            if not amounts and following:
                out.append((clause_pairs(c + nxt), following, bool(_CJK.search(c)), bool(_BEFORE_EXPIRY.search(nxt))))
    return out


def unbound_figures(sentence: str, sources: list[Source]) -> list[str]:
    """Figures of a sentence that its sources state of something else: for each clause of the sentence carrying a
    number or percentage, the source clauses closest to it in words must carry that figure ("外观设计专利权的期限为二十年"
    against "发明专利权的期限为二十年，…外观设计专利权的期限为十五年" is unbound: 二十年 is said of 发明). An English
    clause is compared with Chinese source clauses by the statute's words for its terms (knowledge.en_to_zh); one without
    such words cannot be placed in Chinese text and is not held against it there (its figures are in the sources). A
    figure the source gives as a window before something expires ("有效期届满前6个月内") is unbound in a clause that
    does not say "before" (前, before, prior): "the recordal is valid for six months" is not what it says."""
    found = [entry for s in sources for entry in _figure_clauses(s.text)]
    english = not _CJK.search(plain_sentence(sentence))
    out: list[str] = []
    for clause in clauses(plain_sentence(sentence)):
        amounts, own = amounts_of(clause), clause_pairs(clause)
        if not amounts or len(own) < 2:
            continue
        zh = clause_pairs("".join(en_to_zh(clause))) if english else own
        scored = [(len((zh if cjk else own) & theirs), said, before) for theirs, said, cjk, before in found if not (cjk and len(zh) < 2)]
        if not scored:
            continue
        best = max(n for n, _, _ in scored)
        closest = [(said, before) for n, said, before in scored if n == best] if best else []
        said_before = bool(_SAID_BEFORE.search(clause))
        for a in sorted(amounts):
            windows = [before for said, before in closest if a in said]
            if (not windows or (all(windows) and not said_before)) and a not in out:
                out.append(a)
    return out


def reattributed(sentence: str, sources: list[Source], min_overlap: float, failed: Verdict, unmarked: bool = False) -> Verdict:
    """For a sentence that cites a source but fails its check (or, with ``unmarked``, cites none): the verdict when it
    cites instead the one source that supports it best (every figure present, most key terms shared); ``failed`` when
    none does. Small models often write a supported sentence with the wrong number, or lose the number rewriting it."""
    cited = tuple(markers_in(sentence))
    if (not cited and not unmarked) or failed.kept or failed.reason in ("empty", QUESTION):
        return failed
    body = plain_sentence(sentence)
    best: tuple[float, int] | None = None
    for n, source in enumerate(sources, 1):
        if n in cited or figures_of(body).missing_from(source.figures) or unbound_figures(body, [source]):
            continue
        share = overlap(body, [source])
        if share >= min_overlap and (best is None or share > best[0]):
            best = (share, n)
    return Verdict(body, [best[1]], True, moved_from=cited) if best else failed


def check_sentence(sentence: str, sources: list[Source], min_overlap: float, bind_figures: bool = False) -> Verdict:
    """Whether the sources a sentence cites support it (figures present, key terms shared; with ``bind_figures`` each
    figure said of what the sources say it of — ``unbound_figures``). A question (a model restating the one asked)
    answers nothing and is dropped."""
    body = plain_sentence(sentence)
    cited = [n for n in markers_in(sentence) if 1 <= n <= len(sources)]
    if not body or not re.search(r"[\w\u3400-\u9fff]", body):
        return Verdict(body, [], False, "empty")
    if body.rstrip().endswith(("？", "?")):
        return Verdict(body, [], False, QUESTION)
    if not cited:
        return Verdict(body, [], False, "cites no existing source")
    backing = [n for n in cited if overlap(body, [sources[n - 1]]) >= min_overlap / 2]
    if not backing:
        return Verdict(body, [], False, "the cited sources do not share its terms")
    missing = figures_of(body).missing_from(_merge([sources[n - 1] for n in backing]))
    if missing:
        return Verdict(body, [], False, f"figures not in the cited sources: {', '.join(missing)}")
    if overlap(body, [sources[n - 1] for n in backing]) < min_overlap:
        return Verdict(body, [], False, "too little of it is in the cited sources")
    if bind_figures:
        unbound = unbound_figures(body, [sources[n - 1] for n in backing])
        if unbound:
            return Verdict(body, [], False, f"figures the cited sources state of something else: {', '.join(unbound)}")
    return Verdict(body, backing, True)


@dataclass
class CitationChecker:
    """Checks text (whole or streamed) against numbered sources and renders it with citations renumbered."""

    sources: list[Source]
    min_overlap: float = 0.5
    reattribute: Literal["none", "marked", "any"] = "none"
    bind_figures: bool = False
    order: list[int] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    raw: str = ""
    _buffer: str = ""
    _shown: str = ""
    _pending: str = ""

    @classmethod
    def over(cls, texts: list[str], min_overlap: float = 0.5,
             reattribute: Literal["none", "marked", "any"] = "none", bind_figures: bool = False) -> "CitationChecker":
        """A checker over source texts numbered 1..n in the given order. With ``reattribute`` 'marked' a sentence whose
        cited sources do not support it cites instead the one source that does (``reattributed``), if any; with 'any'
        a sentence that cites nothing is tied to its source that way too. With ``bind_figures`` a figure the sources state
        of something else than the sentence does is a reason to drop it (``unbound_figures``)."""
        return cls([Source(t) for t in texts], min_overlap, reattribute, bind_figures)

    @property
    def text(self) -> str:
        """The checked text shown so far."""
        return self._shown

    @property
    def kept(self) -> list[Verdict]:
        """Sentences that passed."""
        return [v for v in self.verdicts if v.kept]

    @property
    def dropped(self) -> list[Verdict]:
        """Sentences that were removed, with the reason."""
        return [v for v in self.verdicts if not v.kept]

    def _render(self, piece: str, verdict: Verdict) -> str:
        numbers = []
        for n in verdict.cites:
            if n not in self.order:
                self.order.append(n)
            numbers.append(self.order.index(n) + 1)
        m = _TRAILING.match(strip_markers(piece))
        lead = self._pending if self._shown else ""
        self._pending = _separator(m.group("space"))
        core = m.group("core").rstrip()
        gap = " " if core[-1:].isalnum() and not _CJK.search(core) else ""
        return lead + core + gap + "".join(f"[{k}]" for k in numbers) + m.group("punct")

    def _take(self, pieces: list[str]) -> str:
        out = ""
        for piece in pieces:
            verdict = check_sentence(piece, self.sources, self.min_overlap, self.bind_figures)
            if self.reattribute != "none" and not verdict.kept:
                verdict = reattributed(piece, self.sources, self.min_overlap, verdict, self.reattribute == "any")
            self.verdicts.append(verdict)
            if verdict.kept:
                rendered = self._render(piece, verdict)
                self._shown += rendered
                out += rendered
            else:
                gap = _separator(piece[len(piece.rstrip()):])
                self._pending = max(self._pending, gap, key=lambda s: (s.count("\n"), len(s)))
        return out

    def feed(self, delta: str) -> str:
        """Add generated text; returns the checked text of the sentences it completed."""
        self.raw += delta
        self._buffer = normalize_markers(self._buffer + delta, final=False)
        pieces, self._buffer = cut_sentences(self._buffer)
        return self._take(pieces)

    def finish(self) -> str:
        """Check whatever is left; returns its checked text."""
        pieces, self._buffer = cut_sentences(normalize_markers(self._buffer), final=True)
        return self._take(pieces)

    def check_all(self, text: str) -> str:
        """Check a whole text at once; returns the checked text."""
        self.feed(text)
        self.finish()
        return self._shown


def _separator(space: str) -> str:
    newlines = space.count("\n")
    return "\n\n" if newlines >= 2 else "\n" if newlines else " " if space else ""


def verify_citations(body: str, passages: dict[int, str], min_overlap: float = 0.5) -> tuple[int, int]:
    """(citations that pass, citations shown) when every [n] of an answer body is checked against passage n."""
    sources = [Source(passages.get(n, "")) for n in range(1, max(passages, default=0) + 1)]
    passed = shown = 0
    for piece in cut_sentences(body, final=True)[0]:
        cited = markers_in(piece)
        if not cited:
            continue
        verdict = check_sentence(piece, sources, min_overlap)
        shown += len(cited)
        passed += sum(1 for n in cited if n in verdict.cites)
    return passed, shown
