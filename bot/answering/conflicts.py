"""Figure conflicts between passages: two sentences that say the same thing with different figures (一百年 where the
statute says 二十年), and which of them to believe — the one from the document of higher authority.

A planted or outdated document must not become cited fact over the statute. ``figure_conflicts`` finds, among the
passages of different documents, pairs of sentences — compared whole and clause by clause — that

* are about the same thing: with their figures masked, the whole words of their jieba tokens overlap (Jaccard ≥
  ``SAME_THING`` = 0.6: 发明专利权的期限 is not 实用新型专利权的期限, 2 shared words of 4), and every word one of them
  has that the other lacks is at least mentioned in the other's passage (在备案期满前6个月内办理续展, customs recordal,
  is not 期满前12个月内办理续展 in a passage on trademarks that never speaks of 备案); a clause with fewer than three
  words of its own also carries the words of its sentence's first clause, which names its subject;
* state figures of one kind — years, months, days, working days, hours, percentages, money, multiples, counts of
  one unit — whose values differ, neither side's values containing the other's (a sentence that lists the figures
  of three kinds of patent does not contradict one that gives one of them).

Figures are compared after the normalisation of ``bot.answering.numerals`` (二十年 = 20年, 百分之八十五 = 85%,
十万元 = 10万元 = 100000元); dates (2021年3月1日), article numbers (第三项) and asides in brackets are not figures here.
On the starter knowledge base, and on it together with 28 statutes, regulations and judicial interpretations, no
pair of passages is reported; a statute sentence with one figure changed is reported in 274 of 280 cases.

Authority follows the document type (``AUTHORITY``): law > administrative regulation > judicial interpretation >
department rule > normative document > examination guideline > our guides > FAQ > anything else; a passage of a
document that is not in force (amended, repealed, draft) outranks nothing. The answer builders leave out the
lower-authority sentence of each conflict (bot.answering.extractive, bot.answering.generate); ``document_conflicts`` lists the conflicts
of one document with the rest of the knowledge base (what the knowledge console shows after an upload).
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Union

from knowledge import ChunkRecord, KnowledgeBase, ScoredChunk, split_sentences, tokenize

from .errors import BotError
from .numerals import normalize_figures, zh_to_int

AUTHORITY = ("law", "administrative_regulation", "judicial_interpretation", "department_rule", "normative_document",
             "guideline", "guide", "faq")
SAME_THING = 0.6
MIN_TERMS = 2
SUBJECT_WORDS = 3
NOT_IN_FORCE = ("amended", "repealed", "draft")

Passage = Union[ChunkRecord, ScoredChunk]
Search = Callable[[str], list[ScoredChunk]]

_FULLWIDTH = str.maketrans("０１２３４５６７８９％", "0123456789%")
_ZH_NUM = "[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*"
_AR_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = "个工作日|工作日|个小时|小时|个月|周年|年(?!度)|日|天|周(?!年)|万元|亿元|元|倍|项|件|次|名|人|岁|页"
_NUMERAL_BEFORE = r"(?<![第\d零〇一二两三四五六七八九十百千万亿.,])"
_NOT_A_COUNT = r"(?<![同统唯单逐划专任某另])"  # 同一日, 统一年费: "one" as a word, not a figure
_SCAN = re.compile(
    # dates and years are not figures: 2021年3月1日, 二〇二一年, 3月1日, 三月一日
    r"(?P<date>(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年(?:\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月(?:\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日)?)?"
    r"|(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号])"
    r"|(?P<ref>第\s*(?:\d+|[零〇一二两三四五六七八九十百千]+)\s*(?:条|款|项|章|节|编|部分|目|次|届))"
    r"|(?P<percent>百分之(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?)"
    rf"|{_NUMERAL_BEFORE}(?:\d+(?:\.\d+)?)\s*[%％])"
    rf"|{_NUMERAL_BEFORE}(?P<num>{_AR_NUM}(?:\s*[万亿])?|{_NOT_A_COUNT}{_ZH_NUM})\s*(?P<unit>{_UNIT})"
)
_BASIS = re.compile(r"[（(][^（）()]*(?:依据|参见|见《|根据《)[^（）()]*[）)]")
_ASIDE = re.compile(r"[（(][^（）()]*[）)]")
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
_UNIT_KIND = {
    "年": ("years", 1), "周年": ("years", 1), "个月": ("months", 1),
    "日": ("days", 1), "天": ("days", 1), "周": ("days", 7),
    "工作日": ("workdays", 1), "个工作日": ("workdays", 1), "小时": ("hours", 1), "个小时": ("hours", 1),
    "元": ("money", 1), "万元": ("money", 10_000), "亿元": ("money", 100_000_000), "倍": ("times", 1),
}
# Words that say how a figure is counted, or how any deadline runs (收到通知之日起…内办理), not what it is about.
_FILLER = frozenset("自 起 日起 之日 之日起 以内 内 以上 以下 超过 不超过 少于 不少于 至少 最长 最短 计算 起算 均 每 满 前 后 从 到 "
                    "共 约 即 已 还 再 则 时 可 须 应 需 要 在 年 月 日 天 元 倍 个 为 分别 一般 通常 大约 左右 收到 通知 办理 提出".split())


@dataclass(frozen=True)
class Figure:
    """One figure of a sentence: its kind (``years``, ``months``, ``days``, ``workdays``, ``hours``, ``percent``,
    ``money`` in yuan, ``times``, ``count:件`` …), its value in that kind's unit, and the text as written."""

    kind: str
    value: float
    text: str


@dataclass(frozen=True)
class _Unit:
    """A sentence or one of its clauses: the key terms with figures masked (search tokens, and the whole words
    among them), and the figures it states."""

    terms: frozenset[str]
    figures: tuple[Figure, ...]
    words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, terms: frozenset[str], figures: tuple[Figure, ...]) -> "_Unit":
        return cls(terms, figures, words_of(terms))


@dataclass(frozen=True)
class _Statement:
    sentence: str
    units: tuple[_Unit, ...]


@dataclass(frozen=True)
class Conflict:
    """Two sentences that state different figures for the same thing: the one of lower authority (to be left out
    of answers) and the one of higher authority, each with its chunk, document and where it stands
    (《title》 article), and the two figures as written (``一百年`` against ``二十年``).

    ``same_authority`` is True when neither document outranks the other (only ``document_conflicts`` reports those;
    ``lower`` is then the document that was checked)."""

    lower_chunk_id: str
    lower_sentence: str
    lower_figure: str
    higher_chunk_id: str
    higher_sentence: str
    higher_figure: str
    lower_doc_id: str = ""
    higher_doc_id: str = ""
    lower_source: str = ""
    higher_source: str = ""
    lower_doc_type: str = ""
    higher_doc_type: str = ""
    same_authority: bool = False
    similarity: float = 0.0

    def describe(self, language: str = "zh") -> str:
        """One line for people: ``与《中华人民共和国专利法》第四十二条不一致（二十年 vs 一百年）``."""
        if language == "zh":
            return f"与{self.higher_source}不一致（{self.higher_figure} vs {self.lower_figure}）"
        return f"contradicts {self.higher_source} ({self.higher_figure} vs {self.lower_figure})"

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def authority(meta: dict) -> int:
    """How much a passage's document weighs: ``len(AUTHORITY)`` for a law down to 1 for a FAQ; 0 for an unknown type."""
    doc_type = meta.get("doc_type")
    return len(AUTHORITY) - AUTHORITY.index(doc_type) if doc_type in AUTHORITY else 0


def _outranks(meta: dict) -> int:
    """Authority as the higher side of a conflict: a document not in force outranks nothing."""
    return 0 if meta.get("status") in NOT_IN_FORCE else authority(meta)


def _chunk(p: Passage) -> ChunkRecord:
    return p.chunk if isinstance(p, ScoredChunk) else p


def _number(text: str) -> float | None:
    text = text.replace(",", "").replace(" ", "")
    scale = 1
    if text[-1:] in "万亿" and text[:-1] and text[0].isdigit():
        scale, text = (10_000 if text[-1] == "万" else 100_000_000), text[:-1]
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) * scale
    value = zh_to_int(text)
    return float(value) * scale if value is not None else None


def figures_in(text: str) -> list[Figure]:
    """The figures a text states, in order (dates and article numbers left out): ``二十年`` → Figure('years', 20, '二十年'),
    ``十万元`` → Figure('money', 100000, '十万元'), ``百分之八十五`` → Figure('percent', 85, '百分之八十五')."""
    out = []
    for m in _SCAN.finditer(text.translate(_FULLWIDTH)):
        if m.group("percent"):
            found = re.search(r"\d+(?:\.\d+)?", normalize_figures(m.group("percent")))
            if found:
                out.append(Figure("percent", float(found.group(0)), text[m.start():m.end()]))
        elif m.group("num"):
            value, unit = _number(m.group("num")), m.group("unit")
            if value is None or (unit in ("年", "周年") and value >= 1000):
                continue
            kind, scale = _UNIT_KIND.get(unit, (f"count:{unit}", 1))
            out.append(Figure(kind, value * scale, text[m.start():m.end()]))
    return out


_REF_KIND = {"条": "a", "款": "p", "项": "i", "章": "c", "节": "s", "编": "b", "部分": "b", "目": "m", "次": "n", "届": "n"}


def _reference(m: re.Match) -> str:
    """第四十三条 → ``ref43a``: a word of its own (违反本法第六条 is not 违反商标法第四十三条), no figure."""
    found = re.fullmatch(r"第\s*(\d+|[零〇一二两三四五六七八九十百千]+)\s*(\S+)", m.group("ref"))
    number = found.group(1) if found.group(1).isdigit() else zh_to_int(found.group(1))
    return f" ref{number}{_REF_KIND.get(found.group(2), 'x')} "


def _masked(text: str) -> str:
    """Text without its figures, dates and "(依据：《…》第N条)" notes; article numbers become words of their own."""
    return _SCAN.sub(lambda m: _reference(m) if m.group("ref") else " ", _BASIS.sub(" ", text.translate(_FULLWIDTH)))


def key_terms(text: str) -> frozenset[str]:
    """What a text is about, figures masked: its jieba search tokens without stopwords, counting words and numbers."""
    return frozenset(t for t in tokenize(_masked(text)) if t not in _FILLER and not re.fullmatch(r"[\d.]+|[a-z]", t))


def words_of(terms: frozenset[str]) -> frozenset[str]:
    """The whole words among search tokens: those not part of a longer one (有效期, not 有效 and 效期)."""
    return frozenset(t for t in terms if not any(t != o and t in o for o in terms))


def _enough(terms: frozenset[str]) -> bool:
    """At least ``MIN_TERMS`` whole words: 期限 alone is too little to say what a figure is about."""
    return len(words_of(terms)) >= MIN_TERMS


@functools.lru_cache(maxsize=4096)
def statements(text: str) -> tuple[_Statement, ...]:
    """The sentences of a passage that state figures, each as its clauses that state a figure (with the words of the
    sentence's first clause, which names what the later ones speak of: 专利代理机构有下列行为之一的，……，可以处10万元以下的罚款)
    and — when it states a single figure, so that there is no telling which clause it belongs to — as a whole."""
    out = []
    for sentence in split_sentences(text):
        if not figures_in(sentence):
            continue
        clean = _ASIDE.sub(" ", _BASIS.sub(" ", sentence))
        units: list[_Unit] = []
        clauses = [c for c in _CLAUSE.findall(clean) if c.strip()]
        subject = key_terms(clauses[0]) if clauses else frozenset()
        for clause in clauses:
            own = tuple(figures_in(clause))
            terms = key_terms(clause)
            if own and _enough(terms):
                units.append(_Unit.of(terms if len(words_of(terms)) >= SUBJECT_WORDS else terms | subject, own))
        whole, figures = key_terms(clean), tuple(figures_in(clean))
        if len(clauses) > 1 and len(figures) == 1 and _enough(whole):
            units.append(_Unit.of(whole, figures))
        if units:
            out.append(_Statement(sentence, tuple(units)))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def context_terms(text: str) -> frozenset[str]:
    """Every key term of a passage: the words a sentence of it may leave unsaid."""
    return key_terms(text)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _disagree(lower: tuple[Figure, ...], higher: tuple[Figure, ...]) -> tuple[Figure, Figure] | None:
    """The first pair of figures of one kind that differ, when for that kind neither side's values contain the other's."""
    for kind in dict.fromkeys(f.kind for f in lower):
        mine = {f.value for f in lower if f.kind == kind}
        theirs = {f.value for f in higher if f.kind == kind}
        if theirs and not mine <= theirs and not theirs <= mine:
            return (next(f for f in lower if f.kind == kind and f.value not in theirs),
                    next(f for f in higher if f.kind == kind and f.value not in mine))
    return None


def sentence_conflict(lower: str, higher: str, min_similarity: float = SAME_THING) -> tuple[Figure, Figure, float] | None:
    """Whether two sentences state different figures for the same thing: (lower's figure, higher's figure, similarity)."""
    return _statement_conflict(_statement_of(lower), _statement_of(higher), min_similarity, context_terms(lower), context_terms(higher))


def _statement_of(sentence: str) -> _Statement:
    found = statements(sentence)
    return found[0] if found else _Statement(sentence, ())


def _statement_conflict(lower: _Statement, higher: _Statement, min_similarity: float, lower_context: frozenset[str],
                        higher_context: frozenset[str]) -> tuple[Figure, Figure, float] | None:
    """The figures on which two statements disagree about the same thing. The same thing: their key words overlap
    (Jaccard of whole words ≥ ``min_similarity``) and every term one of them has that the other lacks is at least mentioned in
    the other's passage — 在备案期满前6个月内办理续展 (customs recordal) is not 期满前12个月内办理续展 of a passage
    on trademarks that never speaks of 备案."""
    best = None
    for u in lower.units:
        for v in higher.units:
            similarity = _jaccard(u.words, v.words)
            if similarity < min_similarity or (best is not None and similarity <= best[2]):
                continue
            if not (u.terms - v.terms) <= higher_context or not (v.terms - u.terms) <= lower_context:
                continue
            pair = _disagree(u.figures, v.figures)
            if pair is not None:
                best = (pair[0], pair[1], similarity)
    return best


def _source(chunk: ChunkRecord) -> str:
    """《title》article (or heading, or page) of a passage: 《中华人民共和国专利法》第四十二条."""
    m = chunk.metadata
    where = m.get("article_label") or (f"p.{m['page']}" if m.get("page") else "")
    return f"《{m.get('title', '')}》{where}"


def _conflicts_between(low: ChunkRecord, high: ChunkRecord, min_similarity: float, same: bool) -> list[Conflict]:
    out = []
    low_context, high_context = context_terms(low.text), context_terms(high.text)
    for s in statements(low.text):
        for t in statements(high.text):
            found = _statement_conflict(s, t, min_similarity, low_context, high_context)
            if found is None:
                continue
            lf, hf, similarity = found
            out.append(Conflict(low.chunk_id, s.sentence, lf.text, high.chunk_id, t.sentence, hf.text, low.doc_id, high.doc_id,
                                _source(low), _source(high), low.metadata.get("doc_type", ""), high.metadata.get("doc_type", ""),
                                same, round(similarity, 3)))
    return out


def figure_conflicts(passages: Iterable[Passage], *, min_similarity: float = SAME_THING, include_equal: bool = False) -> list[Conflict]:
    """Pairs of sentences of different documents among ``passages`` that state different figures for the same thing,
    each with the side of lower authority first (pairs of equal authority only with ``include_equal``; then the
    passage given first is the lower side). Passages of one document are never compared with each other."""
    unique: dict[str, ChunkRecord] = {}
    for p in passages:
        unique.setdefault(_chunk(p).chunk_id, _chunk(p))
    chunks = [c for c in unique.values() if statements(c.text)]
    out: list[Conflict] = []
    for i, a in enumerate(chunks):
        for b in chunks[i + 1:]:
            _add(out, _pair_conflicts(a, b, min_similarity, include_equal))
    return out


def _pair_conflicts(a: ChunkRecord, b: ChunkRecord, min_similarity: float, include_equal: bool) -> list[Conflict]:
    """The conflicts between two passages of different documents, the one of lower authority as the lower side
    (``a`` when neither outranks the other, and then only with ``include_equal``)."""
    if a.doc_id == b.doc_id:
        return []
    ra, rb = authority(a.metadata), authority(b.metadata)
    if ra == rb or (ra > rb and not _outranks(a.metadata)) or (rb > ra and not _outranks(b.metadata)):
        return _conflicts_between(a, b, min_similarity, True) if include_equal else []
    low, high = (a, b) if ra < rb else (b, a)
    return _conflicts_between(low, high, min_similarity, False)


def _add(out: list[Conflict], found: list[Conflict]) -> None:
    """Append the conflicts not already listed (one per pair of sentences)."""
    seen = {(c.lower_chunk_id, c.lower_sentence, c.higher_chunk_id, c.higher_sentence) for c in out}
    for c in found:
        key = (c.lower_chunk_id, c.lower_sentence, c.higher_chunk_id, c.higher_sentence)
        if key not in seen:
            seen.add(key)
            out.append(c)


def overruled(conflicts: Iterable[Conflict]) -> set[tuple[str, str]]:
    """(chunk id, sentence) of the lower-authority side of each conflict (equal-authority pairs are not decided)."""
    return {(c.lower_chunk_id, c.lower_sentence) for c in conflicts if not c.same_authority}


def authority_first(hits: list[ScoredChunk], conflicts: Iterable[Conflict]) -> list[ScoredChunk]:
    """``hits`` with each passage that lost a conflict moved just below the best-ranked passage that overruled it
    (when it stood above it); the rest keep their order."""
    decided = [c for c in conflicts if not c.same_authority]
    if not decided:
        return list(hits)
    order = list(hits)
    for loser in dict.fromkeys(c.lower_chunk_id for c in decided):
        ids = [h.chunk.chunk_id for h in order]
        winners = [ids.index(c.higher_chunk_id) for c in decided if c.lower_chunk_id == loser and c.higher_chunk_id in ids]
        if loser not in ids or not winners:
            continue
        at, below = ids.index(loser), max(winners)
        if at < below:
            hit = order.pop(at)
            order.insert(below, hit)
    return order


def without_overruled(hits: list[ScoredChunk], conflicts: Iterable[Conflict]) -> list[ScoredChunk]:
    """``hits`` without the passages that lost a conflict to another of them."""
    losers = {c.lower_chunk_id for c in conflicts if not c.same_authority}
    return [h for h in hits if h.chunk.chunk_id not in losers]


QUERY_CHARS = 400


def document_conflicts(kb: KnowledgeBase, doc_id: str, search: Search, *, min_similarity: float = SAME_THING) -> list[Conflict]:
    """The figure conflicts between one document and the rest of the knowledge base: for each of its passages that
    states figures, ``search`` (text → ranked passages, e.g. ``lambda text: assistant.search(text, k=5)``) finds the
    closest passages; those of other documents are compared with it. Conflicts of equal authority are reported too
    (``same_authority``, with this document's sentence as the lower side); otherwise the lower side is whichever
    document weighs less — this one, when it is an upload contradicting the statute."""
    doc_id = kb.document(doc_id).doc_id
    out: list[Conflict] = []
    for chunk in kb.chunks(doc_id):
        found = statements(chunk.text)
        if not found:
            continue
        query = " ".join(s.sentence for s in found)[:QUERY_CHARS]
        try:
            hits = search(query)
        except BotError:  # a query the search refuses has nothing to compare
            continue
        others: dict[str, ChunkRecord] = {}
        for h in hits:
            if _chunk(h).doc_id != doc_id:
                others.setdefault(_chunk(h).chunk_id, _chunk(h))
        for other in others.values():
            _add(out, _pair_conflicts(chunk, other, min_similarity, include_equal=True))
    return out
