"""Figures in legal text written one way: 二十年 → 20年, 百分之八十五 → 85%, 10万元 → 100000元, 第四十二条 → 第42条."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from knowledge.chinese import _BIG, _DIGITS, int_to_zh, zh_to_int  # noqa: F401  (re-exported: one home for numerals)

_ZH = "[零〇一二两三四五六七八九十百千万亿]+"
_ZH_START = "[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*"
_UNITS = "个工作日|工作日|个月|小时|分钟|周年|年(?!度)|月|日|天|周|元|倍|项|页|岁"
_EN_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                                        "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100})
_EN_UNITS = r"(?:years?|months?|days?|weeks?|hours?|working days?|times|percent|per cent|yuan|items?|pages?)"
_FULLWIDTH = str.maketrans("０１２３４５６７８９％．，", "0123456789%.,")


def normalize_figures(text: str) -> str:
    """Text with Chinese and English figures rewritten as Arabic numerals (only where they are figures)."""
    t = text.translate(_FULLWIDTH)
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)
    t = re.sub(r"(\d+(?:\.\d+)?)\s*(万|亿)", lambda m: _scaled(m.group(1), m.group(2)), t)
    t = re.sub(rf"百分之(?:(\d+(?:\.\d+)?)|({_ZH})(?:点([零〇一二三四五六七八九]+))?)", _percent, t)
    t = re.sub(rf"第({_ZH})(?=[条款项章节编部])", lambda m: f"第{zh_to_int(m.group(1))}", t)
    t = re.sub(rf"(?<![\d.])({_ZH_START})(?={_UNITS})", lambda m: str(v) if (v := zh_to_int(m.group(1))) is not None else m.group(1), t)
    t = re.sub(rf"\b({'|'.join(_EN_WORDS)})(?=[\s-]+{_EN_UNITS}\b)", lambda m: str(_EN_WORDS[m.group(1).lower()]), t, flags=re.I)
    t = re.sub(r"(\d+(?:\.\d+)?)\s*(?:percent|per cent)\b", r"\1%", t, flags=re.I)
    return re.sub(r"\b(?:art\.?|article)\s*(\d+)", r"第\1条", t, flags=re.I)


def _percent(m: re.Match) -> str:
    if m.group(1):
        return f"{m.group(1)}%"
    whole = zh_to_int(m.group(2))
    fraction = "".join(str(_DIGITS[ch]) for ch in m.group(3)) if m.group(3) else ""
    return f"{whole}.{fraction}%" if fraction else f"{whole}%"


def _scaled(number: str, unit: str) -> str:
    value = float(number) * _BIG[unit]
    return str(int(value)) if value == int(value) else str(value)


@dataclass(frozen=True)
class Figures:
    """The checkable facts of a text: article numbers (第N条), percentages and other numbers."""

    articles: frozenset[int]
    percents: frozenset[str]
    numbers: frozenset[str]

    def missing_from(self, other: "Figures") -> list[str]:
        """The facts of this text that ``other`` does not state (a number may appear in ``other`` in any role)."""
        every = other.numbers | other.percents | {str(a) for a in other.articles}
        out = [f"第{a}条" for a in sorted(self.articles) if a not in other.articles]
        out += [f"{p}%" for p in sorted(self.percents) if p not in other.percents]
        out += [n for n in sorted(self.numbers) if n not in every]
        return out


_LIST_PREFIX = re.compile(r"^\s*(?:[-*•·]\s*)?(?:\d{1,2}[.、)）]\s+|\d{1,2}、|[（(]\d{1,2}[)）])|(?<=[：:；;…])\s*[（(]\d{1,2}[)）]", re.MULTILINE)


def _canon(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number.lstrip("0") or "0"


@functools.lru_cache(maxsize=8192)
def figures_of(text: str) -> Figures:
    """Facts a sentence asserts: 第N条 labels, N% and bare numbers (paragraph/item labels and list numbering ignored)."""
    t = _LIST_PREFIX.sub(" ", normalize_figures(text))
    articles = {int(n) for n in re.findall(r"第(\d+)条", t)}
    t = re.sub(r"第\d+(?:条|款|项|章|节|编|部分)(?:之[一二三四五六七八九十])?", " ", t)
    percents = {_canon(p) for p in re.findall(r"(\d+(?:\.\d+)?)\s*%", t)}
    t = re.sub(r"\d+(?:\.\d+)?\s*%", " ", t)
    numbers = {_canon(n) for n in re.findall(r"\d+(?:\.\d+)?", t)}
    return Figures(frozenset(articles), frozenset(percents), frozenset(numbers))
