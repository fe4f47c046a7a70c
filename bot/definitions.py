"""Terms an article defines ("实用新型，是指……", "本法所称的发明创造是指……"), so that a question using a
term can be matched with the article that says what the term means: exam questions about what counts as a
utility model, or which grounds count as 无效宣告请求的理由, turn on such definitions."""
from __future__ import annotations

import functools
import re

_DEFINITION = re.compile(r"([\u4e00-\u9fff“”‘’]{2,24})，?(?:是指|指的是)")
_LEAD = re.compile(r"^.*?所称的?|^(?:的|其|该|本)")


@functools.lru_cache(maxsize=8192)
def defined_terms(text: str) -> frozenset[str]:
    """The terms a passage defines with 是指 / 指的是, without their lead-in (本法所称的, 前款所称)."""
    terms = set()
    for match in _DEFINITION.finditer(text):
        term = _LEAD.sub("", match.group(1).strip("“”‘’")).strip("“”‘’")
        if len(term) >= 2:
            terms.add(term)
    return frozenset(terms)


def defines_asked_term(question: str, passage: str) -> bool:
    """Whether the passage defines a term that the question uses."""
    return any(term in question for term in defined_terms(passage))
