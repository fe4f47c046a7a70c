"""Article references in a question, read by a small parser rather than one pattern: a law name found in a gazetteer
(the indexed titles and the aliases of knowledge/law_aliases.tsv, whatever words come before it), an article number
in Chinese, Arabic or full-width digits with 第 and 条 optional where the law name makes it unambiguous, 之一, 款 and
项; "patent law article 42" in English. 我国专利法22条, 版权法第十条, 实施细则（专利）第六条, 专利法第二十二条第三款."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from knowledge import law_aliases
from knowledge.chinese import numeral_value

_NUM = r"[0-9]{1,4}|[零〇一二两三四五六七八九十百千]{1,8}"
_CANDIDATE = re.compile(rf"(?P<di>第)?[ \t]*(?P<num>{_NUM})[ \t]*(?P<tiao>条)?(?P<sub>之[一二三四五六七八九十])?")
_PARAGRAPH = re.compile(rf"[ \t]*第?[ \t]*(?P<num>{_NUM})[ \t]*款")
_ITEM = re.compile(rf"[ \t]*第?[ \t]*(?P<num>{_NUM})[ \t]*项")
_NOT_ARTICLE_AFTER = set("年月日天周个元倍%项款章节编部分万亿号届次位件种类批名家岁小时期")
_TRAILING = re.compile(r"(?:中规定的|规定的|所规定|中的|里的|的|中|里|之|上|所)$")
_FALLBACK_LAW = re.compile(r"《?(?P<law>[\u3400-\u9fff（）()]{2,40}?)》?[ \t]*$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９　", "0123456789 ")
_NOISE = re.compile(r"^(?:请问|我想知道|想问一下|想问|查询|查一下|关于|根据|依照|按照|依据|按|看看|看下|我国|中国|现行|最新|新|旧)+")

_EN_ARTICLE = re.compile(r"\b(?:art(?:icle)?s?\.?|rule|§)\s*(?P<num>\d+)", re.I)
_EN_LAWS = [  # (all words present, Chinese alias), most specific first
    (("patent", "agency"), "专利代理条例"),
    (("patent", "implement"), "专利法实施细则"),
    (("patent", "rules"), "专利法实施细则"),
    (("patent", "regulation"), "专利法实施细则"),
    (("trademark", "implement"), "商标法实施条例"),
    (("trademark", "regulation"), "商标法实施条例"),
    (("copyright", "implement"), "著作权法实施条例"),
    (("copyright", "regulation"), "著作权法实施条例"),
    (("software",), "计算机软件保护条例"),
    (("customs",), "知识产权海关保护条例"),
    (("plant", "variet"), "植物新品种保护条例"),
    (("layout", "design"), "集成电路布图设计保护条例"),
    (("integrated circuit",), "集成电路布图设计保护条例"),
    (("punitive",), "惩罚性赔偿"),
    (("evidence",), "知识产权民事诉讼证据"),
    (("unfair competition",), "反不正当竞争法"),
    (("unfair-competition",), "反不正当竞争法"),
    (("e-commerce",), "电子商务法"),
    (("ecommerce",), "电子商务法"),
    (("electronic commerce",), "电子商务法"),
    (("transformation",), "促进科技成果转化法"),
    (("small and medium",), "中小企业促进法"),
    (("sme promotion",), "中小企业促进法"),
    (("civil code",), "民法典"),
    (("patent",), "专利法"),
    (("trademark",), "商标法"),
    (("copyright",), "著作权法"),
]
_GENERIC = re.compile(r"中华人民共和国|最高人民法院|关于|审理|适用|法律|若干问题|司法解释|的|规定|解释|案件|纠纷|《|》|\s")


def chinese_number(text: str) -> int | None:
    """第四十二 → 42, 一百零五 → 105, '57' → 57; None when it is not a number."""
    return numeral_value(text)


@dataclass
class ArticleRef:
    """A law named by the person and an article number in it (with 之一 as ``suffix``, 款 and 项 when given)."""

    law: str
    article: int
    suffix: str = ""
    paragraph: int | None = None
    item: int | None = None


@dataclass(frozen=True)
class Gazetteer:
    """Every way of naming a law that the parser recognises, each with the name its title contains."""

    names: tuple[tuple[str, str], ...]  # (surface form, law name), longest surface form first

    def name_ending(self, text: str) -> str | None:
        """The law whose name ``text`` ends with (the longest such name), or None."""
        flat = text.replace("中华人民共和国", "")
        return next((law for form, law in self.names if flat.endswith(form)), None)

    def mentioned(self, text: str) -> list[str]:
        """The different laws named anywhere in ``text`` (longer names first hide the shorter ones inside them)."""
        flat, found = text.replace("中华人民共和国", ""), []
        for form, law in self.names:
            if form in flat:
                flat = flat.replace(form, "\0")
                if law not in found:
                    found.append(law)
        return found


def _title_forms(title: str) -> list[str]:
    core = title.replace("中华人民共和国", "").strip()
    forms = [core, re.sub(r"[（(]节选[)）]$", "", core).strip(), core.split(" ")[0]]
    if core.startswith("最高人民法院关于"):
        forms.append(core[len("最高人民法院关于"):])
    return [f for f in forms if len(f) >= 2]


@functools.lru_cache(maxsize=16)
def gazetteer(titles: tuple[str, ...] = ()) -> Gazetteer:
    """The gazetteer of ``titles`` (indexed documents) and of the alias file."""
    names: dict[str, str] = {}
    for title in titles:
        core = title.replace("中华人民共和国", "").strip()
        for form in _title_forms(title):
            names.setdefault(form, core)
    for alias, name in law_aliases():
        names.setdefault(name, name)
        names.setdefault(alias, names.get(name, name))
    return Gazetteer(tuple(sorted(names.items(), key=lambda kv: -len(kv[0]))))


def _law_before(before: str, names: Gazetteer) -> tuple[str | None, bool]:
    """The law named just before a number, and whether its name touches the number (only spaces or 》 between)."""
    tight = before.rstrip(" \t").rstrip("》」\"”'").rstrip(" \t")
    law = names.name_ending(tight)
    if law:
        return law, True
    loose = _TRAILING.sub("", tight).rstrip(" \t").rstrip("》」\"”'").rstrip(" \t")
    return names.name_ending(loose), False


def _clean_law(name: str) -> str:
    return _NOISE.sub("", name.strip().strip("《》 ")).replace("中华人民共和国", "")


def find_references(question: str, names: Gazetteer | None = None) -> list[ArticleRef]:
    """Article references the question makes explicitly, in order. ``names`` is the gazetteer of the indexed titles
    (without it, the alias file's names and, for a law it does not know, the words before 第…条)."""
    names = names or gazetteer()
    text = question.translate(_FULLWIDTH)
    refs: list[ArticleRef] = []
    prev_end = 0
    for m in _CANDIDATE.finditer(text):
        number = chinese_number(m.group("num"))
        explicit = bool(m.group("di") or m.group("tiao"))
        after = text[m.end(): m.end() + 1]
        if not number or (not m.group("tiao") and after in _NOT_ARTICLE_AFTER and after):
            continue
        before = text[prev_end: m.start()]
        law, touching = _law_before(before, names)
        if law is None and explicit:
            law = _rules_of_named_law(before, text[: m.start()], names)
        if law is None and explicit:
            law = _law_of_context(before, text, refs, names, bool(m.group("di") and m.group("tiao")))
        if law is None or not (explicit or touching):
            continue
        ref = ArticleRef(law, number, m.group("sub") or "")
        end = m.end()
        if m.group("tiao") and (p := _PARAGRAPH.match(text, end)):
            ref.paragraph, end = chinese_number(p.group("num")), p.end()
            if (i := _ITEM.match(text, end)):
                ref.item, end = chinese_number(i.group("num")), i.end()
        refs.append(ref)
        prev_end = end
    if refs or not _EN_ARTICLE.search(question):
        return refs
    lowered = question.lower()
    law = next((zh for words, zh in _EN_LAWS if all(w in lowered for w in words)), None)
    return [ArticleRef(law, int(m.group("num"))) for m in _EN_ARTICLE.finditer(question)] if law else []


_RULES = re.compile(r"(?:其|该法|本法|和|及|与|、)?(实施细则|实施条例|细则)[的中里]?[ \t]*$")


def _rules_of_named_law(before: str, text: str, names: Gazetteer) -> str | None:
    """专利法第9条及实施细则第41条: bare 实施细则/实施条例 after a law is that law's implementing rules."""
    if not _RULES.search(before):
        return None
    mentioned = [law for law in names.mentioned(text) if not law.endswith(("细则", "条例"))]
    if not mentioned:
        return None
    base = mentioned[-1] if len(mentioned) == 1 else next((law for form, law in names.names if law in mentioned and form in text[-80:]), mentioned[-1])
    known = {law for _, law in names.names}
    return next((f"{base}{suffix}" for suffix in ("实施细则", "实施条例") if f"{base}{suffix}" in known), f"{base}实施条例")


def _law_of_context(before: str, text: str, refs: list[ArticleRef], names: Gazetteer, full: bool) -> str | None:
    """The law of a number that has none right before it: the previous reference's (第22条和第23条), the one law
    the question names elsewhere, or (第…条 only) the words before it when the gazetteer does not know them."""
    if refs and re.fullmatch(r"[\s、，,和及与或以及至到-]*", before):
        return refs[-1].law
    mentioned = names.mentioned(text)
    if len(mentioned) == 1:
        return mentioned[0]
    if full and (m := _FALLBACK_LAW.search(before)):
        law = _clean_law(m.group("law"))
        return law if len(law) >= 2 else None
    return None


_FILLER = re.compile(r"规定了?什么|是什么|讲了?什么|说了?什么|怎么规定|如何规定|内容|原文|全文|条文|具体|请问|请|查询|查一下|看看|"
                     r"中华人民共和国|的|是|了|吗|呢|什么|what|does|say|says|of|the|is|article|art|law", re.I)


def lookup_only(question: str, names: Gazetteer | None = None) -> bool:
    """Whether a question does nothing but look an article up ("专利法第二百条规定了什么？"), as against a case or an
    exam item that mentions one on the way."""
    names = names or gazetteer()
    text = question.translate(_FULLWIDTH).replace("中华人民共和国", "")
    for form, _ in names.names:
        text = text.replace(form, "")
    text = _FILLER.sub("", _CANDIDATE.sub("", text))
    return len(re.findall(r"[\u4e00-\u9fffA-Za-z]", text)) <= 6


def _lcs(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b):
            cur.append(prev[j] + 1 if ch == other else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def title_matches(alias: str, title: str) -> float:
    """How well a law alias names a document title: 0 (not at all) … 1 (exactly); prefers the shortest title."""
    core_alias, core_title = _GENERIC.sub("", alias), _GENERIC.sub("", title)
    if not core_alias or not core_title:
        return 0.0
    if core_alias == core_title:
        return 1.0
    coverage = _lcs(core_alias, core_title) / len(core_alias)
    if coverage < 0.75 or (coverage < 1 and len(core_alias) < 4):
        return 0.0
    return 0.9 * coverage * (0.9 + 0.1 * len(core_alias) / len(core_title))
