"""The one home for Chinese numerals (knowledge/chinese.py) that ingest and bot share."""
from __future__ import annotations

import pytest

from bot.answering.numerals import zh_to_int as bot_zh_to_int
from bot.answering.references import chinese_number
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
    import bot.answering.citecheck, bot.answering.extractive, bot.answering.generate, bot.answering.query, bot.answering.relevance, knowledge.lexical
    from knowledge.chinese import CJK

    assert CJK.search("专利") and CJK.search("㐀") and not CJK.search("patent 42 ，")
    for module in (bot.answering.citecheck, bot.answering.extractive, bot.answering.generate, bot.answering.query, bot.answering.relevance, knowledge.lexical):
        assert module._CJK is CJK, module.__name__


def test_article_numbers_however_written():
    from knowledge.chinese import ARTICLE_HEAD, article_number

    assert [article_number(x) for x in ("第四十二条", "第42条", "第 ４２ 条", "第二十条之一", "第四十二", "四十二条", "")] == [42, 42, 42, 20, None, None, None]
    assert ARTICLE_HEAD.match("第六十三条 侵犯专利权的赔偿数额").group(1) == "六十三"


def test_one_article_head_pattern_for_ingest_bot_and_scoring():
    import bot.answering.context, ingest.structure, ipbot.scoring, knowledge.sentences
    from knowledge.chinese import ARTICLE_HEAD

    assert ingest.structure._ARTICLE is ARTICLE_HEAD
    for module in (bot.answering.context, ipbot.scoring, knowledge.sentences):
        assert module.ARTICLE_HEAD is ARTICLE_HEAD, module.__name__
    assert knowledge.sentences.split_sentences("第五条 示例权的期限为十二年。")[0] == "示例权的期限为十二年。"


def test_one_option_splitter_takes_every_way_of_lettering():
    from bot.answering.extractive import question_parts
    from knowledge.chinese import option_pieces, split_options

    for question in ("哪项正确？ A. 十年 B. 二十年", "哪项正确？ (A) 十年 (B) 二十年", "哪项正确？ Ａ、十年 Ｂ、二十年", "哪项正确？\nA：十年\nB：二十年"):
        assert split_options(question) == ("哪项正确？", ["十年", "二十年"]), question
        assert question_parts(question) == ["哪项正确？ 十年", "哪项正确？ 二十年"], question
    assert split_options("哪项正确？ B. 十年 A. 二十年") == ("哪项正确？ B. 十年 A. 二十年", []), "letters out of order are not options"
    assert option_pieces("只有 A. 一个选项") == ["只有 A. 一个选项"]
