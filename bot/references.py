"""Exact article references in a question: 专利法第四十二条, 商标法第57条, "patent law article 42"."""
from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[0-9零〇一二两三四五六七八九十百千]+"
_ZH_REF = re.compile(rf"《?(?P<law>[\u3400-\u9fff（）()]{{2,40}}?)》?\s*第\s*(?P<num>{_NUM})\s*条(?P<sub>之[一二三四五六七八九十])?")
_EN_REF = re.compile(r"(?P<law>[A-Za-z][A-Za-z \-]{2,60}?)[,\s]+(?:art\.?|article)\s*(?P<num>\d+)", re.I)
_EN_REF2 = re.compile(r"(?:art\.?|article)\s*(?P<num>\d+)\s+of\s+(?:the\s+)?(?P<law>[A-Za-z][A-Za-z \-]{2,60})", re.I)
EN_LAW_NAMES = {
    "patent law": "专利法", "patent law implementing rules": "专利法实施细则", "patent rules": "专利法实施细则",
    "implementing rules of the patent law": "专利法实施细则", "trademark law": "商标法",
    "trademark law implementing regulations": "商标法实施条例", "implementing regulations of the trademark law": "商标法实施条例",
    "copyright law": "著作权法", "anti-unfair competition law": "反不正当竞争法", "anti unfair competition law": "反不正当竞争法",
    "unfair competition law": "反不正当竞争法", "e-commerce law": "电子商务法", "ecommerce law": "电子商务法",
    "computer software protection regulations": "计算机软件保护条例", "software regulations": "计算机软件保护条例",
    "customs ip protection regulations": "知识产权海关保护条例", "sme promotion law": "中小企业促进法", "civil code": "民法典",
}


def chinese_number(text: str) -> int | None:
    """第四十二 → 42, 一百零五 → 105, '57' → 57; None when it is not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return None
    return total + current


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
    for pattern in (_EN_REF, _EN_REF2):
        for m in pattern.finditer(question):
            law = m.group("law").lower().strip()
            law = re.sub(r"^(what does|what is|show me|the|of|china'?s|chinese|prc)\s+", "", law).strip()
            law = re.sub(r"^(the|prc|china'?s|chinese)\s+", "", law).strip()
            zh = next((v for k, v in sorted(EN_LAW_NAMES.items(), key=lambda kv: -len(kv[0])) if law.endswith(k)), None)
            if zh:
                refs.append(ArticleRef(zh, int(m.group("num"))))
    return refs


def title_matches(alias: str, title: str) -> int:
    """How well a law alias names a document title: 2 exact, 1 contained, 0 not at all."""
    core = title.replace("中华人民共和国", "").strip("《》 ")
    if alias == core:
        return 2
    return 1 if alias and alias in core and len(alias) >= 2 else 0
