"""Terms an article defines ("实用新型，是指……", "本法所称的发明创造是指……"), so that a question using a
term can be matched with the article that says what the term means: exam questions about what counts as a
utility model, or which grounds count as 无效宣告请求的理由, turn on such definitions."""
from __future__ import annotations

import functools
import re

_DEFINITION = re.compile(r"所称的?([^，。；：\n]{2,30}?)(?:，?是指|，?指的是|，指)|([\u4e00-\u9fff“”‘’]{2,24})，?(?:是指|指的是)")
_LEAD = re.compile(r"^.*?所称的?|^(?:的|其|该|本)")
_ALIAS = re.compile(r"[（(]以下简称(?:为)?“?([^）)”]{1,12})”?[）)]")


@functools.lru_cache(maxsize=8192)
def defined_terms(text: str) -> frozenset[str]:
    """The terms a passage defines with 是指 / 指的是 (or 所称…，指), without their lead-in (本法所称的, 前款所称),
    and the short name a definition introduces (以下简称软件)."""
    terms = set()
    for match in _DEFINITION.finditer(text):
        phrase = match.group(1) or match.group(2)
        terms.update(alias.strip() for alias in _ALIAS.findall(phrase))
        term = _LEAD.sub("", _ALIAS.sub("", phrase).strip("“”‘’ ")).strip("“”‘’ ")
        if len(term) >= 2:
            terms.add(term)
    return frozenset(t for t in terms if len(t) >= 2)


def defines_asked_term(question: str, passage: str) -> bool:
    """Whether the passage defines a term that the question uses."""
    return any(term in question for term in defined_terms(passage))
