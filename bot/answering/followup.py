"""Follow-up questions made to stand alone from the conversation, by rule: a follow-up that names only a new subject
("那实用新型呢？", "And a trademark?") keeps the attribute asked before (term, fee, deadline …); one that asks only a new
attribute ("到期了怎么续？", "How do I renew it?") keeps the subject talked about before."""
from __future__ import annotations

import re

from knowledge import tokenize
from knowledge.wordlists import read_words

from .answertype import asked_kind
from .query import language_of

SUBJECTS_ZH = read_words("subjects_zh.txt")
SUBJECTS_EN = read_words("subjects_en.txt")
MAX_FOLLOWUP_CHARS = {"zh": 40, "en": 90}
_ELLIPTIC_ZH = re.compile(r"^(?:那如果是|那如果|那么|如果是|换成|要是|那|还有)?\s*(?P<subject>.{1,14}?)\s*(?:呢|又如何|怎么样|也一样吗|也是吗|也这样吗)?[？?。！!]*$")
_ELLIPTIC_EN = re.compile(r"^(?:and\s+)?(?:(?:what|how)\s+about\s+|for\s+|and\s+)?(?:an?\s+|the\s+)?(?P<subject>[\w\s-]{2,40}?)[\s?.!]*$", re.I)
_ASKING = re.compile(r"(?:能保护|保护)?(?:多长时间|多少年|多少钱|多少|多久|几年|几个月|几天|什么时候|怎么办|怎么|如何)"
                     r"|(?:是|有)?(?:吗|呢|么)(?=[？?]|$)|^(?:how long|how much|how many|when|what|which|who)\b", re.I)
_TRAILING_PARTICLES = re.compile(r"(?:的|是|为|有|能|要)+$")
_CONTEXT_ZH = "（接上文：{}）"
_CONTEXT_EN = " (following: {})"
_CONTEXT = re.compile(r"\s*(?:（接上文：|\(following: )(?P<context>.*)[）)]\s*$", re.S)
_FULLER = {("软件", True): "软件著作权", ("计算机软件", True): "计算机软件著作权", ("发明", False): "发明专利"}
_CONNECTIVE_ZH = re.compile(r"^(?:那么|那如果|那|如果|还有|另外)\s*")
_MARKER_ZH = re.compile(r"^(?:那么|那如果|那|如果是|如果|要是|换成|换作|还有)")
_MARKER_EN = re.compile(r"^(?:and|what about|how about|what if|for)\b", re.I)
_QUESTION_WORDS = set(read_words("question_words.txt"))
_PRONOUN_ZH = re.compile(r"它们|它|这个|该权利|这种|那个")
_PRONOUN_EN = re.compile(r"\b(?:it|its|this one|that one|them|they)\b", re.I)


def _subjects(language: str) -> list[str]:
    return SUBJECTS_ZH if language == "zh" else SUBJECTS_EN


def subject_of(text: str) -> str | None:
    """The IP subject a question talks about (the most specific one named first), or None."""
    language = language_of(text)
    for pattern in _subjects(language):
        m = re.search(pattern if language == "en" else re.escape(pattern), text, re.I)
        if m:
            return m.group(0)
    return None


def _only_subject(question: str) -> str | None:
    """The new subject of an elliptical follow-up ("那实用新型呢？", "And a utility model?"), else None."""
    q = question.strip()
    language = language_of(q)
    m = (_ELLIPTIC_ZH if language == "zh" else _ELLIPTIC_EN).match(q)
    if m is None:
        return None
    named = subject_of(m.group("subject"))
    if named is None:
        return None
    rest = m.group("subject").lower().replace(named.lower(), "", 1)
    leftover = re.sub(r"[\s的呢吗啊呀吧,，、]|\b(?:a|an|the|one|ones|for|of|in|china|chinese)\b", "", rest, flags=re.I)
    return named if len(leftover) <= 2 else None


def _subject_span(text: str) -> tuple[int, int] | None:
    """Where the subjects of a question start and end ("作品的著作权" in "作品的著作权保护多少年？")."""
    language = language_of(text)
    spans = [m.span() for p in _subjects(language) for m in re.finditer(p if language == "en" else re.escape(p), text, re.I)]
    if not spans:
        return None
    start = min(a for a, _ in spans)
    first = [b for a, b in spans if a == start]
    near = [b for a, b in spans if a <= max(first) + 2]
    return start, max(near)


def _swap_subject(previous: str, new: str) -> str:
    span = _subject_span(previous)
    if span is None:
        return f"{new} {previous}"
    old = previous[span[0]:span[1]]
    if language_of(new) == "zh":
        new = _FULLER.get((new, bool(re.search("著作权|版权|作品", old))), new)
    if language_of(new) == "en" and not old.lower().endswith("s") and new.lower().endswith("s"):
        new = re.sub(r"ies$", "y", new[:-1] if not new.lower().endswith("ies") else new)
    return previous[:span[0]] + new + previous[span[1]:]


def _with_subject(question: str, subject: str) -> str:
    language = language_of(question)
    pronoun = _PRONOUN_ZH if language == "zh" else _PRONOUN_EN
    if pronoun.search(question):
        return pronoun.sub(subject, question, count=1)
    return f"{subject}{_CONNECTIVE_ZH.sub('', question)}" if language == "zh" else f"{question.rstrip('?. ')} ({subject})?"


def _content(question: str, subject: str) -> set[str]:
    """The question's own words besides its subject and the words every question has."""
    words = set(tokenize(question.lower().replace(subject.lower(), " ")))
    return {w for w in words if w not in _QUESTION_WORDS and not re.fullmatch(r"\W+", w)}


def _elliptic(question: str) -> bool:
    """Whether a follow-up only names something, after "and", "what about", "那" …, asking nothing of its own."""
    language = language_of(question)
    marked = (_MARKER_ZH if language == "zh" else _MARKER_EN).match(question.strip())
    return bool(marked and (_ELLIPTIC_ZH if language == "zh" else _ELLIPTIC_EN).match(question.strip()))


def _resolve(question: str, earlier: list[str]) -> str:
    if not earlier:
        return question
    previous = earlier[-1]
    language = language_of(question)
    new_subject = _only_subject(question)
    if new_subject is not None:
        return _swap_subject(previous, new_subject)
    named = subject_of(question)
    marked = bool((_MARKER_ZH if language == "zh" else _MARKER_EN).match(question))
    if named and len(question) <= MAX_FOLLOWUP_CHARS[language] and (marked or not _content(question, named)):
        return f"{_swap_subject(previous, named)} {question}"
    if (_PRONOUN_ZH if language == "zh" else _PRONOUN_EN).search(question) and (named or not subject_of(previous)):
        return with_context(question, previous, _elliptic(question))
    if named or len(question) > MAX_FOLLOWUP_CHARS[language]:
        return question
    subject = next((s for s in map(subject_of, reversed(earlier)) if s), None)
    return with_context(_with_subject(question, subject) if subject else question, previous, _elliptic(question))


def with_context(question: str, previous: str, elliptic: bool = False) -> str:
    """A follow-up with the question it follows appended as context: searched together, while what is asked (the kind
    of fact, the parts of the question) is read from the follow-up (``split_context``) — and from the context, whose
    asking words ("多久", "how long") are kept for that, when the follow-up only names something new (``elliptic``: "And
    for a fruit tree variety?", "那果树呢？")."""
    if elliptic and not asked_kind(question):  # only names something new: asks what was asked before
        previous = split_context(previous)[0].strip(" ，,？?") or previous
    else:
        previous = _TRAILING_PARTICLES.sub("", _ASKING.sub("", split_context(previous)[0]).strip(" ，,？?")) or previous
    return f"{question}{_CONTEXT_ZH.format(previous)}" if language_of(question) == "zh" else f"{question}{_CONTEXT_EN.format(previous)}"


def split_context(question: str) -> tuple[str, str]:
    """(what is asked, the earlier question appended as its context by ``with_context``, or "")."""
    m = _CONTEXT.search(question)
    return (question[:m.start()].strip(), m.group("context").strip()) if m else (question, "")


def rewrite_followup(question: str, history: list[str]) -> str:
    """The question made to stand alone from the earlier questions of the conversation (oldest first, each itself
    resolved against those before it). After "外观设计专利保护多少年？", "那实用新型呢？" becomes "实用新型保护多少年？";
    after "注册商标的有效期是多久？", "到期了怎么续？" becomes "注册商标到期了怎么续？". A question that names its own subject,
    or is long, stands alone and is returned unchanged."""
    resolved: list[str] = []
    for earlier in history:
        resolved.append(_resolve(earlier.strip(), resolved))
    return _resolve(question.strip(), resolved)
