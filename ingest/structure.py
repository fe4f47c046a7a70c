"""Structure parser: split a ParsedDocument into articles (laws), sections (guides) or Q&A pairs (FAQs).

A document is *legal* when it holds at least three article headings ("第X条") in sequence; its
articles become ``kind="article"`` sections under their 编/章/节 path. Other documents are split
by headings (markdown levels, else numbered lines 一、（一）1. 1.1 （1）) and by 问/答 pairs.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from knowledge.chinese import ARTICLE_HEAD, numeral_value

from .limits import poll
from .model import ParsedDocument, Section

_NUM = r"[零〇一二两三四五六七八九十百千\d０-９]+"

_ARTICLE = ARTICLE_HEAD
_PART = re.compile(rf"^第\s*({_NUM})\s*([编章节])")
_PART_RANK = {"编": 1, "章": 2, "节": 3}
_REFERENCE_TAIL = re.compile(
    rf"^\s*(?:第\s*{_NUM}\s*(?:[款项目条章节]|分编)|规定|的|之|所称|所列|所述|中的|中规定|[和与及或至到]第|或者|以及|"
    r"[、，,。；;：:）)”’」』])"
)
_SENTENCE_END = tuple("。；：！？;:!?")
MAX_GAP = 3  # an unspaced article head after a finished sentence is taken up to this many numbers ahead
_CN_ORDINAL = r"[一二三四五六七八九十百]+"
_NUMBERED = [
    (re.compile(rf"^{_CN_ORDINAL}\s*[、．.]\s*"), 1),
    (re.compile(rf"^[（(]\s*{_CN_ORDINAL}\s*[）)]\s*"), 2),
    (re.compile(r"^(\d+(?:\.\d+)*)(?:\s*[、.．](?!\d)|\s+)\s*"), 3),
    (re.compile(r"^[（(]\s*\d+\s*[）)]\s*"), 9),
]
_ANNEX = re.compile(r"^附\s*则$")
# possessive quantifiers: the same matches as with greedy ones (the classes are disjoint), without the
# quadratic backtracking over a long run of spaces after "Q"
_QUESTION = re.compile(r"^(?:问题?|Q)\s*+\d*+\s*+[：:．.、]\s*+(?=\S)", re.IGNORECASE)
_ANSWER = re.compile(r"^(?:答|A)\s*[：:．.、]", re.IGNORECASE)
_INLINE_ANSWER = re.compile(r"[？?]\s*(?:答|A)\s*[：:]")
_HEADING_PUNCT = re.compile(r"[。；;，,：:]|[、]$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_LEADING_BOLD = re.compile(r"^(\*\*|__)(.+?)\1")
_SPACES = re.compile(r"[\s\u3000]+")


def cn_to_int(numeral: str) -> int:
    """Value of a Chinese ("一百四十九", "二十") or Arabic ("149", full-width too) numeral; 0 when it is none."""
    return numeral_value(numeral) or 0


@dataclass
class _Unit:
    text: str
    page: int | None
    level: int | None = None
    is_table: bool = False
    opens_block: bool = False  # the first line of a paragraph as the loader found it


@dataclass
class _Draft:
    kind: str
    lines: list[str] = field(default_factory=list)
    pages: list[int | None] = field(default_factory=list)
    article: int | None = None
    label: str | None = None
    chapter: str | None = None
    path: list[str] = field(default_factory=list)
    heading_only: bool = False

    def add(self, unit: _Unit) -> None:
        self.lines.append(unit.text)
        self.pages.append(unit.page)

    def section(self) -> Section:
        pages = [p for p in self.pages if p is not None]
        return Section(
            text="\n".join(self.lines), kind=self.kind, article=self.article, article_label=self.label,
            chapter=self.chapter, heading_path=list(self.path),
            page=pages[0] if pages else None, page_end=pages[-1] if pages else None,
        )


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _units(doc: ParsedDocument) -> list[_Unit]:
    units: list[_Unit] = []
    for block in doc.blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.is_table:
            units.append(_Unit(text, block.page, None, True))
            continue
        level = block.level
        md = _MD_HEADING.match(text)
        if md:
            level = level or len(md.group(1))
            text = text[md.end():].strip()
        if level:
            units.append(_Unit(_squash(_LEADING_BOLD.sub(r"\2", text)), block.page, level))
            continue
        lines = (_LEADING_BOLD.sub(r"\2", line.strip()) for line in text.splitlines())
        parts = [part for line in lines if line for part in _heading_then_article(line)]
        units.extend(_Unit(part, block.page, opens_block=(i == 0)) for i, part in enumerate(parts))
    return units


_HEADING_THEN_ARTICLE = re.compile(rf"^(第\s*{_NUM}\s*[编章节][^第。；;，,：:]{{0,24}}?)\s*(第\s*{_NUM}\s*条.*)$", re.DOTALL)


def _heading_then_article(line: str) -> list[str]:
    """A 编/章/节 heading and the article after it, when a scan or a text layer put them on one line
    ("第二章软件著作权第八条软件著作权人享有…" → "第二章软件著作权", "第八条软件著作权人享有…")."""
    m = _HEADING_THEN_ARTICLE.match(line)
    if not m:
        return [line]
    article = _ARTICLE.match(m.group(2))
    if article is None or _REFERENCE_TAIL.match(m.group(2)[article.end():]):
        return [line]
    return [m.group(1).strip(), m.group(2).strip()]


@functools.lru_cache(maxsize=4)
def _title_key(title: str) -> str:
    return _SPACES.sub("", title).strip("《》")


def _is_title(units: list[_Unit], i: int, title: str) -> bool:
    unit = units[i]
    if unit.is_table:
        return False
    norm = _SPACES.sub("", unit.text).strip("《》")
    if norm and norm == _title_key(title):
        return i == 0 or unit.level is not None
    return i == 0 and unit.level == 1


def _ended(unit: _Unit | None) -> bool:
    return unit is None or unit.level is not None or unit.is_table or unit.text.endswith(_SENTENCE_END)


def _article_head(text: str) -> tuple[int, str, bool] | None:
    """(number, label, followed-by-space) of an article heading at the start of ``text``, else None."""
    m = _ARTICLE.match(text)
    if not m:
        return None
    rest = text[m.end():]
    if _REFERENCE_TAIL.match(rest):
        return None
    label = _SPACES.sub("", m.group(0))
    return cn_to_int(m.group(1)), label, bool(rest.strip()) and rest[0].isspace()


def _part_head(unit: _Unit, ended: bool) -> tuple[int, str, str] | None:
    """(rank, kind char, title) of a 编/章/节 heading, else None."""
    m = _PART.match(unit.text)
    if not m or unit.is_table:
        return None
    rest = unit.text[m.end():]
    if unit.level is None:
        if _REFERENCE_TAIL.match(rest) or len(unit.text) > 40 or _HEADING_PUNCT.search(unit.text) or not ended:
            return None
    title = _squash(rest)
    return _PART_RANK[m.group(2)], m.group(2), _SPACES.sub("", m.group(0)) + (f" {title}" if title else "")


def _numbered_rank(text: str) -> int | None:
    for pattern, rank in _NUMBERED:
        m = pattern.match(text)
        if m:
            if rank == 3:
                return rank + m.group(1).count(".")
            return rank
    return None


def _heading_like(text: str) -> bool:
    return len(text) <= 40 and not _HEADING_PUNCT.search(text.rstrip("？?"))


class _LegalScan:
    """Classifies each unit of a legal document: article heading, structural heading or body."""

    def __init__(self, units: list[_Unit], title: str):
        self.units = units
        self.title = title
        self.kinds: list[tuple] = []
        self.warnings: list[str] = []
        self.chain = 0
        self._scan()

    def _scan(self) -> None:
        last: tuple[int, str] | None = None
        seen: set[str] = set()
        run = 0
        for i, unit in enumerate(self.units):
            if not i % 256:
                poll()
            prev = self.units[i - 1] if i else None
            ended = _ended(prev) or self.kinds[-1][0] == "heading" or _is_title(self.units, i - 1, self.title)
            kind: tuple = ("body",)
            head = None if unit.is_table else _article_head(unit.text)
            if head:
                num, label, spaced = head
                base = last[0] if last else None
                sequential = last is None or num == base + 1 or (num == base and label != last[1] and "之" in label)
                near = base is not None and base < num <= base + MAX_GAP  # a scan lost an article head just before
                if (sequential and (spaced or ended or unit.opens_block or (last is None and num == 1))) or ((spaced or near) and ended):
                    if not sequential:
                        self._warn_jump(base, num, label, seen)
                        run = 1
                    else:
                        run = run + 1 if last is not None else 1
                    self.chain = max(self.chain, run)
                    seen.add(label)
                    last = (num, label)
                    kind = ("article", num, label)
            if kind[0] == "body" and not _is_title(self.units, i, self.title):
                kind = self._structural(i, ended, last[0] + 1 if last else None) or kind
            self.kinds.append(kind)

    def _warn_jump(self, base: int | None, num: int, label: str, seen: set[str]) -> None:
        if label in seen:
            self.warnings.append(f"article {num} appears twice")
        elif base is not None and num > base:
            self.warnings.append(f"article numbers skip from {base} to {num}")
        elif base is not None:
            self.warnings.append(f"article numbers go back from {base} to {num}")

    def _structural(self, i: int, ended: bool, expected: int | None) -> tuple | None:
        unit = self.units[i]
        nxt = self.units[i + 1] if i + 1 < len(self.units) else None
        nxt_head = _article_head(nxt.text) if nxt is not None and not nxt.is_table else None
        starts_article = nxt_head is not None and expected in (None, nxt_head[0])
        part = _part_head(unit, ended or starts_article or (nxt is not None and bool(_part_head(nxt, True))))
        if part:
            return ("heading", part[0], part[2], part[1], cn_to_int(_PART.match(unit.text).group(1)))
        if unit.is_table:
            return None
        if _ANNEX.match(unit.text):
            return ("heading", 2, _squash(unit.text), "", 0)
        rank = _numbered_rank(unit.text)
        if unit.level is not None:
            return ("heading", 2 if rank == 1 else 3 if rank == 2 else unit.level, unit.text, "", 0)
        if rank in (1, 2) and _heading_like(unit.text) and ended and starts_article:
            return ("heading", rank + 1, unit.text, "", 0)
        return None

    def preamble_end(self) -> int:
        """Index of the first structural unit, skipping a table of contents that lists the chapters."""
        first_article = next((i for i, k in enumerate(self.kinds) if k[0] == "article"), len(self.kinds))
        heads = [i for i in range(first_article) if self.kinds[i][0] == "heading" and self.kinds[i][3]]
        if heads:
            key = self.kinds[heads[0]][3:]
            repeat = next((i for i in heads[1:] if self.kinds[i][3:] == key), None)
            if repeat is not None:
                return repeat
        return next((i for i, k in enumerate(self.kinds) if k[0] != "body"), len(self.kinds))


def _legal_sections(units: list[_Unit], scan: _LegalScan) -> tuple[list[Section], list[str]]:
    sections: list[Section] = []
    warnings: list[str] = []
    stack: list[tuple[int, str]] = []
    start = scan.preamble_end()
    draft = _Draft("preamble")
    orphans: list[Section] = []
    first_chapter_num: int | None = None

    def flush() -> None:
        if draft.lines and not (draft.kind == "preamble" and len(draft.lines) == 1 and _is_title(units, 0, scan.title)):
            sections.append(draft.section())

    for i, unit in enumerate(units):
        if not i % 256:
            poll()
        kind = scan.kinds[i] if i >= start else ("body",)
        if kind[0] == "heading":
            flush()
            if kind[3] == "章" and first_chapter_num is None:
                first_chapter_num = kind[4]
                orphans = [s for s in sections if s.kind == "article" and not s.chapter]
            stack = [s for s in stack if s[0] < kind[1]] + [(kind[1], kind[2])]
            titles = [t for _, t in stack]
            draft = _Draft("section", chapter=" ".join(titles), path=titles)
        elif kind[0] == "article":
            flush()
            titles = [t for _, t in stack]
            draft = _Draft("article", article=kind[1], label=kind[2], chapter=" ".join(titles) or None,
                           path=titles + [kind[2]])
            draft.add(unit)
        else:
            draft.add(unit)
    flush()
    if orphans and first_chapter_num == 2:
        for s in orphans:
            s.chapter = "第一章 总则"
            s.heading_path.insert(0, s.chapter)
        warnings.append(f"no heading for 第一章 before 第二章; {len(orphans)} articles assigned to 第一章 总则")
    return sections, warnings


def _other_sections(units: list[_Unit], title: str) -> list[Section]:
    sections: list[Section] = []
    has_levels = any(u.level for i, u in enumerate(units) if not _is_title(units, i, title))
    stack: list[tuple[int, str]] = []
    draft = _Draft("section")

    def flush() -> None:
        if draft.lines and not draft.heading_only:
            sections.append(draft.section())

    def open_draft(kind: str, label: str | None) -> _Draft:
        titles = [t for _, t in stack]
        parts = [t for t in titles if _PART.match(t)]
        return _Draft(kind, label=label, chapter=" ".join(parts) or None, path=titles)

    for i, unit in enumerate(units):
        if not i % 256:
            poll()
        if _is_title(units, i, title):
            continue
        rank = _other_heading_rank(units, i, has_levels)
        if rank is not None:
            flush()
            stack = [s for s in stack if s[0] < rank] + [(rank, unit.text)]
            draft = open_draft("faq" if unit.text.endswith(("？", "?")) else "section", _citable(stack))
            draft.add(unit)
            draft.heading_only = True
        elif not unit.is_table and _QUESTION.match(unit.text) and _is_question(units, i):
            flush()
            draft = open_draft("faq", _QUESTION.sub("", unit.text).split("答：")[0].strip())
            draft.add(unit)
        else:
            draft.add(unit)
            draft.heading_only = False
    flush()
    return sections


def _other_heading_rank(units: list[_Unit], i: int, has_levels: bool) -> int | None:
    unit = units[i]
    if unit.is_table:
        return None
    if has_levels:
        return unit.level
    rank = _numbered_rank(unit.text)
    if rank is None or not _heading_like(unit.text) or _QUESTION.match(unit.text):
        return None
    prev = units[i - 1] if i else None
    nxt = units[i + 1] if i + 1 < len(units) else None
    if prev is not None and (prev.text.endswith(("：", ":")) or _numbered_rank(prev.text) == rank):
        return None
    if nxt is not None and not nxt.is_table and _numbered_rank(nxt.text) == rank:
        return None
    return rank


def _is_question(units: list[_Unit], i: int) -> bool:
    if _INLINE_ANSWER.search(units[i].text):
        return True
    nxt = units[i + 1] if i + 1 < len(units) else None
    return nxt is not None and bool(_ANSWER.match(nxt.text))


def _citable(stack: list[tuple[int, str]]) -> str:
    titles = [t for _, t in stack]
    last = titles[-1]
    if _PART.match(last):
        return last
    prefix = [_PART.match(t).group(0).replace(" ", "") for t in titles[:-1] if _PART.match(t)]
    return " ".join(prefix + [last])


def _add_warnings(doc: ParsedDocument, warnings: list[str]) -> None:
    for w in warnings:
        if w not in doc.warnings:
            doc.warnings.append(w)


def parse_structure(doc: ParsedDocument) -> list[Section]:
    """Split ``doc`` into citable sections: articles for legal texts, headed sections or Q&A pairs otherwise.

    Oddities (skipped or repeated article numbers, an assumed missing chapter heading) are
    appended to ``doc.warnings``; both copies of a repeated article are kept.
    """
    units = _units(doc)
    if not units:
        return []
    try:
        scan = _LegalScan(units, doc.title)
        if scan.chain >= 2:
            sections, warnings = _legal_sections(units, scan)
            _add_warnings(doc, scan.warnings + warnings)
            return sections
        return _other_sections(units, doc.title)
    finally:
        _title_key.cache_clear()  # holds no title (which may be long) after the parse
