"""Colloquial phrasing expanded with the legal terms a statute uses (抢注 → 恶意注册, 在先使用)."""
from __future__ import annotations

import functools

from knowledge import COLLOQUIAL_FILE


@functools.lru_cache(maxsize=1)
def _table() -> list[tuple[str, str]]:
    rows = []
    for line in COLLOQUIAL_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            phrase, terms = line.split("\t", 1)
            rows.append((phrase.strip(), terms.strip()))
    return sorted(rows, key=lambda r: -len(r[0]))


def legal_terms_for(question: str) -> str:
    """Space-separated legal terms for the colloquial phrases found in the question ('' when none)."""
    lowered = question.lower()
    seen: list[str] = []
    for phrase, terms in _table():
        if phrase.lower() in lowered:
            seen.extend(t for t in terms.split() if t not in seen and t not in question)
    return " ".join(seen)


_EN_QUESTION_TERMS = {
    "how long": "期限", "last": "期限", "duration": "期限", "term": "期限", "expire": "届满", "deadline": "期限 期间",
    "how much": "费用 数额", "fee": "费用", "cost": "费用", "damages": "赔偿 数额", "compensation": "赔偿",
    "who owns": "归属 属于", "belong": "归属 属于", "employee": "职务 单位", "employer": "单位",
    "register": "注册 登记", "apply": "申请", "renew": "续展", "transfer": "转让", "license": "许可", "licence": "许可",
    "infringe": "侵犯 侵权", "copy": "复制", "fake": "假冒", "counterfeit": "假冒", "export": "出口 海关", "import": "进口 海关",
    "customs": "海关", "online": "网络 电子商务", "platform": "平台", "evidence": "证据", "injunction": "行为保全 停止",
    "secret": "商业秘密", "software": "软件", "pledge": "质押 出质", "loan": "质押 融资", "court": "人民法院 诉讼",
    "punitive": "惩罚性赔偿", "well-known": "驰名商标", "opposition": "异议", "invalid": "无效宣告",
}


def english_question_terms(question: str) -> list[str]:
    """Chinese statute words for the everyday English words of a question (how long → 期限)."""
    lowered = question.lower()
    out: list[str] = []
    for phrase, terms in _EN_QUESTION_TERMS.items():
        if phrase in lowered:
            out.extend(t for t in terms.split() if t not in out)
    return out
