"""Chinese text, one home for ingest and bot: numerals (一百零五 → 105, 42 → 四十二, an article number however it is
written), the CJK range, the article head 第N条(之N) and multiple-choice options (A. … / (B) … / Ｃ、…)."""
from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
CJK_CHARS = "\u3400-\u9fff"  # CJK unified ideographs and extension A, as a character-class range
CJK = re.compile(f"[{CJK_CHARS}]")
NUMERAL_CHARS = "零〇一二两三四五六七八九十百千"  # the characters of an article number written in Chinese
ARTICLE_NUMBER = f"[{NUMERAL_CHARS}0-9０-９]+"
ARTICLE_HEAD = re.compile(rf"^第\s*({ARTICLE_NUMBER})\s*条(之[一二三四五六七八九十]+)?")
"""第四十二条 / 第42条 / 第 42 条 / 第二十条之一 at the start of a text: group 1 the number, group 2 the 之 suffix."""
OPTION_MARK = re.compile(r"(?:^|\s)[（(]?([A-HＡ-Ｈ])[)）]?\s*[.．、:：)）]\s*")
"""A multiple-choice option's letter and its mark: "A." "(B)" "Ｃ、" "D：" after a space or at the start; group 1 the letter."""
_FULLWIDTH_LETTERS = str.maketrans("ＡＢＣＤＥＦＧＨ", "ABCDEFGH")


def zh_to_int(text: str) -> int | None:
    """一百零五 → 105, 二十 → 20, 十五万 → 150000, 二〇二一 → 2021; None when the text is not a Chinese numeral."""
    if not text or any(ch not in _DIGITS and ch not in _SMALL and ch not in _BIG for ch in text):
        return None
    if all(ch in _DIGITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = section = current = 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _SMALL:
            section += (current or 1) * _SMALL[ch]
            current = 0
        else:
            section += current
            total = (total + section) * _BIG[ch] if ch == "亿" else total + section * _BIG[ch]
            section = current = 0
    return total + section + current


def int_to_zh(n: int) -> str:
    """42 → 四十二, 105 → 一百零五, 10 → 十, 110 → 一百一十 (1 ≤ n ≤ 9999): how article numbers are written in Chinese law."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    parts, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and parts:
                parts.append("零")
            parts.append(("" if (unit == "十" and n < 20) else digits[d]) + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def numeral_value(text: str) -> int | None:
    """第四十二 → 42 (without 第), '57' → 57, '５７' → 57, 一百零五 → 105; None when the text is not a number."""
    text = text.strip().translate(_FULLWIDTH_DIGITS)
    return int(text) if text.isdigit() else zh_to_int(text)


def article_number(label: str) -> int | None:
    """The number of an article label (第四十二条 → 42, 第42条之一 → 42); None when the text is not one."""
    m = ARTICLE_HEAD.fullmatch(label.strip()) if label else None
    return numeral_value(m.group(1)) if m else None


def option_pieces(question: str) -> list[str]:
    """The question cut at its option marks: [stem, option, option, …]; [question] when it has fewer than two."""
    marks = list(OPTION_MARK.finditer(question))
    if len(marks) < 2:
        return [question]
    ends = [m.start() for m in marks[1:]] + [len(question)]
    return [question[: marks[0].start()]] + [question[m.end() : end] for m, end in zip(marks, ends)]


def split_options(question: str) -> tuple[str, list[str]]:
    """A multiple-choice question's stem and its options, when they are lettered A, B, C … in order (full-width
    letters count); no such options → (question, [])."""
    marks = list(OPTION_MARK.finditer(question))
    letters = [m.group(1).translate(_FULLWIDTH_LETTERS) for m in marks]
    if len(marks) < 2 or letters != [chr(ord("A") + i) for i in range(len(letters))]:
        return question, []
    pieces = option_pieces(question)
    return pieces[0].strip(), [o.strip() for o in pieces[1:] if o.strip()]
