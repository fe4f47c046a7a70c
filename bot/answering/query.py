"""Clean a raw question before it is searched."""
from __future__ import annotations

import functools
import html
import re

from knowledge.chinese import CJK as _CJK
from knowledge.chinese import split_options

from .errors import InvalidQuestion

MAX_QUERY_CHARS = 2000
_TAG = re.compile(r"<[^>]{0,200}>")


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
        raise InvalidQuestion("the question is empty or has no words to search: type a question about patents, trademarks, copyright or other IP matters")
    converter = _t2s()
    return converter.convert(cleaned) if converter and _CJK.search(cleaned) else cleaned


def language_of(text: str) -> str:
    """'zh' when the text has Chinese characters, else 'en'."""
    return "zh" if _CJK.search(text) else "en"


_MARKUP = re.compile(r"<[^>]{0,200}>|&\w+;|https?://\S+")
_WORD = re.compile(r"\b[A-Za-z]{2,}\b(?![(=])")


def question_language(text: str, default: str) -> str:
    """The language of a question ('zh' with Chinese characters, 'en' with English words once markup and links are
    left out), else ``default`` (the interface's): a question of only markup or digits is answered in the interface's."""
    words = _MARKUP.sub(" ", text)
    if _CJK.search(words):
        return "zh"
    return "en" if len(_WORD.findall(words)) >= 2 else default


@functools.lru_cache(maxsize=8192)
def passage_language(text: str) -> str:
    """'zh' when a passage has at least as many Chinese words as English ones (about two characters against five
    letters a word), else 'en': an English guide that names a law in Chinese stays English."""
    chinese = len(_CJK.findall(text))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if chinese and chinese * 5 >= latin * 2 else "en"




_ASKS = re.compile(r"(?:问题?|请回答|请分析|请问|试问|试分析|回答下列问题|请说明)[：:]")
_NUMBERED = re.compile(r"(?:^|(?<=[\s：:？?。；;！!]))(?:[（(](?:[1-9]|[一二三四五六七八九])[)）]|(?:[1-9]|[一二三四五六七八九])[.、．](?!\d))\s*")
_QUESTION_END = re.compile(r"(?<=[？?])")


def split_issues(question: str) -> tuple[str, list[str]]:
    """A long case's facts and its separate questions: numbered ones ((1)…(2)…, 1.…2.…), those after 问：/请回答：,
    or several sentences ending in ？. Fewer than two questions, or a short text → (question, [])."""
    if len(question) < 60 or split_options(question)[1]:
        return question, []
    asks = list(_ASKS.finditer(question))
    facts, tail = (question[: asks[-1].start()], question[asks[-1].end():]) if asks else ("", question)
    marks = list(_NUMBERED.finditer(tail))
    if len(marks) >= 2:
        issues = [tail[m.end(): (marks[i + 1].start() if i + 1 < len(marks) else len(tail))] for i, m in enumerate(marks)]
        facts = facts + tail[: marks[0].start()]
    else:
        parts = [p for p in re.split(r"(?<=[。！!；;])|(?<=[？?])", tail) if p.strip()]
        issues = [p for p in parts if re.search(r"[？?]", p)]
        facts = facts + "".join(p for p in parts if p not in issues)
    issues = [i.strip(" \n；;。") for i in issues if len(i.strip()) >= 4]
    return (facts.strip(), issues) if len(issues) >= 2 else (question, [])


_HISTORY = re.compile(r"修订|修正|修改|历史|沿革|施行|生效|通过|公布|颁布|发布|哪一?年|何时|什么时候|哪天|日期|版本|"
                      r"effective|amend|revis|history|when|enact|promulgat", re.I)


def asks_history(question: str) -> bool:
    """Whether a question is about a law's history or dates (when it was passed, amended, took effect)."""
    return bool(_HISTORY.search(question))


_EXAM_STYLE = re.compile(r"[甲乙丙丁戊](?:公司|厂|企业|某|方|的|将|与|向|在|于|认为|委托|开发|发现|从|把|是|和|、|，)|下列|说法|表述")


def exam_style(question: str) -> bool:
    """Whether a Chinese question is written like an exam item: a fact pattern with parties 甲, 乙 … or a question
    about which statements (下列说法) hold."""
    return bool(_EXAM_STYLE.search(question))
