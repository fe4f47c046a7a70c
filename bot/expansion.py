"""Colloquial phrasing expanded with the legal terms a statute uses (抢注 → 恶意注册, 在先使用; "pay late" → 滞纳金),
from the tables knowledge/colloquial.tsv and knowledge/colloquial_en.tsv."""
from __future__ import annotations

import functools
import re

from knowledge import COLLOQUIAL_EN_FILE, COLLOQUIAL_FILE


def _phrase_rows(path) -> list[tuple[str, str]]:
    """(phrase, terms) rows of a phrase<TAB>terms table, comments and blank lines left out."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            phrase, terms = line.split("\t", 1)
            rows.append((phrase.strip(), terms.strip()))
    return rows


@functools.lru_cache(maxsize=1)
def _table() -> list[tuple[str, str]]:
    return sorted(_phrase_rows(COLLOQUIAL_FILE), key=lambda r: -len(r[0]))


def legal_terms_for(question: str) -> str:
    """Space-separated legal terms for the colloquial phrases found in the question ('' when none)."""
    lowered = question.lower()
    seen: list[str] = []
    for phrase, terms in _table():
        if phrase.lower() in lowered:
            seen.extend(t for t in terms.split() if t not in seen and t not in question)
    return " ".join(seen)


@functools.lru_cache(maxsize=1)
def _english_table() -> dict[str, str]:
    return {phrase.lower(): terms for phrase, terms in _phrase_rows(COLLOQUIAL_EN_FILE)}


def english_question_terms(question: str) -> list[str]:
    """Chinese statute words for the everyday English words of a question (how long → 期限)."""
    lowered = question.lower()
    out: list[str] = []
    table = _english_table()
    for phrase in sorted(table, key=len, reverse=True):
        pattern = rf"\b{re.escape(phrase)}"
        if re.search(pattern, lowered):
            lowered = re.sub(pattern, " ", lowered)
            out.extend(t for t in table[phrase].split() if t not in out)
    return out


_TOPIC_WORDS = {
    "patent": "专利 发明 实用新型 外观设计 patent invention utility",
    "trademark": "商标 品牌 logo 商品名称 trademark brand",
    "copyright": "著作权 版权 作品 盗版 转载 抄袭 copyright work author",
    "software": "软件 程序 源代码 app software",
    "competition": "商业秘密 不正当竞争 仿冒 包装 装潢 虚假宣传 诋毁 刷单 客户名单 配方 secret unfair packaging",
    "ecommerce": "网店 电商 电子商务 平台 淘宝 下架 链接 online platform marketplace e-commerce",
    "customs": "海关 出口 进口 扣货 customs export import",
    "pledge": "质押 贷款 融资 出质 pledge loan collateral",
    "contract": "技术合同 技术转让 技术开发 委托开发 合作开发 技术秘密 licence license",
    "plant": "植物新品种 品种 种子 plant variety seed",
    "ic": "集成电路 布图设计 芯片 layout integrated",
    "sme": "中小企业 小微 sme",
}
_TITLE_TOPICS = {"专利": "patent", "商标": "trademark", "著作权": "copyright", "软件": "software copyright",
                 "反不正当竞争": "competition", "电子商务": "ecommerce", "海关": "customs", "质权": "pledge",
                 "技术合同": "contract", "科技成果转化": "contract", "植物新品种": "plant", "集成电路": "ic", "中小企业": "sme",
                 "patent": "patent", "trademark": "trademark", "copyright": "copyright", "software": "software copyright",
                 "unfair competition": "competition", "e-commerce": "ecommerce", "customs": "customs", "pledge": "pledge"}


def question_topics(question: str) -> set[str]:
    """The IP fields a question is about (patent, trademark, copyright …), from its words."""
    lowered = question.lower()
    return {topic for topic, words in _TOPIC_WORDS.items()
            if any((re.search(rf"(?<![a-z]){re.escape(w)}(?:s|es)?(?![a-z])", lowered) if w.isascii() else w in lowered) for w in words.split())}


@functools.lru_cache(maxsize=256)
def title_topics(title: str) -> frozenset[str]:
    """The IP fields a document covers, from its title."""
    lowered = title.lower()
    return frozenset(t for key, topics in _TITLE_TOPICS.items() if key in lowered for t in topics.split())
