"""Clean a raw question before it is searched."""
from __future__ import annotations

import functools
import html
import re

from .errors import InvalidQuestion

MAX_QUERY_CHARS = 2000
_TAG = re.compile(r"<[^>]{0,200}>")
_CJK = re.compile(r"[\u3400-\u9fff]")


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError:
        return None
    for config in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(config)
        except Exception:
            continue
    return None


def normalize_question(text: object) -> str:
    """Strip markup, convert traditional to simplified Chinese, bound the length; InvalidQuestion if nothing is left."""
    if not isinstance(text, str):
        raise InvalidQuestion("the question must be text")
    cleaned = _TAG.sub(" ", html.unescape(text))
    cleaned = re.sub(r"\s+", " ", cleaned).strip()[:MAX_QUERY_CHARS]
    if not re.search(r"[\w\u3400-\u9fff]", cleaned):
        raise InvalidQuestion("the question is empty: type a question about patents, trademarks, copyright or other IP matters")
    converter = _t2s()
    return converter.convert(cleaned) if converter and _CJK.search(cleaned) else cleaned


def language_of(text: str) -> str:
    """'zh' when the text has Chinese characters, else 'en'."""
    return "zh" if _CJK.search(text) else "en"
