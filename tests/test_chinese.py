"""The one home for Chinese numerals (knowledge/chinese.py) that ingest and bot share."""
from __future__ import annotations

import pytest

from bot.numerals import zh_to_int as bot_zh_to_int
from bot.references import chinese_number
from ingest.structure import cn_to_int
from knowledge.chinese import int_to_zh, numeral_value, zh_to_int

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_every_way_of_writing_an_article_number_reads_the_same_everywhere():
    for n in range(1, 3000):
        for text in (int_to_zh(n), str(n), str(n).translate(FULLWIDTH)):
            assert numeral_value(text) == chinese_number(text) == cn_to_int(text) == n, text
    assert bot_zh_to_int is zh_to_int


@pytest.mark.parametrize("text, value", [("两", 2), ("二〇二一", 2021), ("十五万", 150000), ("一百零五", 105), (" 四十二 ", 42)])
def test_chinese_numerals(text, value):
    assert numeral_value(text) == value


def test_what_is_not_a_number():
    assert numeral_value("条") is None and numeral_value("") is None and cn_to_int("条") == 0


def test_one_cjk_range_for_every_module():
    import bot.citecheck, bot.extractive, bot.generate, bot.query, bot.relevance, knowledge.lexical
    from knowledge.chinese import CJK

    assert CJK.search("专利") and CJK.search("㐀") and not CJK.search("patent 42 ，")
    for module in (bot.citecheck, bot.extractive, bot.generate, bot.query, bot.relevance, knowledge.lexical):
        assert module._CJK is CJK, module.__name__
