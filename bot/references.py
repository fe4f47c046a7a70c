"""Exact article references in a question: 专利法第四十二条, 商标法第57条, "patent law article 42"."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import zh_to_int

_NUM = r"[0-9零〇一二两三四五六七八九十百千]+"
_ZH_REF = re.compile(rf"《?(?P<law>[\u3400-\u9fff（）()]{{2,40}}?)》?\s*第\s*(?P<num>{_NUM})\s*条(?P<sub>之[一二三四五六七八九十])?")
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
    return int(text) if text.isdigit() else zh_to_int(text)


@dataclass
class ArticleRef:
    """A law named by the person and an article number in it."""

    law: str
    article: int
    suffix: str = ""


def _clean_law(name: str) -> str:
    name = re.sub(r"^(请问|我想知道|查询|关于|根据|依照|按照|依据|按|看看|看下)", "", name.strip())
    return name.strip("《》 ").replace("中华人民共和国", "")


def find_references(question: str) -> list[ArticleRef]:
    """Article references the question makes explicitly, in order."""
    refs = [ArticleRef(_clean_law(m.group("law")), n, m.group("sub") or "")
            for m in _ZH_REF.finditer(question) if (n := chinese_number(m.group("num")))]
    if refs or not _EN_ARTICLE.search(question):
        return refs
    lowered = question.lower()
    law = next((zh for words, zh in _EN_LAWS if all(w in lowered for w in words)), None)
    return [ArticleRef(law, int(m.group("num"))) for m in _EN_ARTICLE.finditer(question)] if law else []


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
