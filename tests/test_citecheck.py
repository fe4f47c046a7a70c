"""The citation checker: figures normalised, markers validated, unsupported sentences dropped, citations renumbered."""
from __future__ import annotations

import pytest

from bot.answering.citecheck import CitationChecker, cut_sentences, markers_in, normalize_markers, verify_citations
from bot.answering.numerals import figures_of, normalize_figures, zh_to_int

TERM = "《示例保护法》 第三条\n第三条 示例权的期限为十二年，自申请日起计算。"
FEE = "《示例保护法》 第五条\n第五条 小型企业缴纳年费确有困难的，可以请求减缴百分之八十五的年费。"
PATENT = "《中华人民共和国专利法》 第四十二条\n第四十二条 发明专利权的期限为二十年，实用新型专利权的期限为十年，外观设计专利权的期限为十五年，均自申请日起计算。"


@pytest.mark.parametrize("text,value", [("二十", 20), ("十五", 15), ("一百零五", 105), ("三百", 300), ("十万", 100_000),
                                        ("一亿五千万", 150_000_000), ("二〇二一", 2021), ("两", 2), ("一般", None)])
def test_chinese_numerals(text, value):
    assert zh_to_int(text) == value


@pytest.mark.parametrize("text,expected", [
    ("期限为二十年", "期限为20年"), ("减缴百分之八十五", "减缴85%"), ("百分之零点五", "0.5%"), ("罚款十万元以下", "罚款100000元以下"),
    ("10万元", "100000元"), ("1,000元", "1000元"), ("第四十二条第一款", "第42条第1款"), ("六个月内", "6个月内"),
    ("三十日内", "30日内"), ("Article 42: twenty years, 85 percent", "第42条: 20 years, 85%"), ("统一的、一般的", "统一的、一般的"),
    ("上一年度", "上一年度"),
])
def test_figures_are_normalised(text, expected):
    assert normalize_figures(text) == expected


def test_figures_of_a_sentence_ignore_list_numbers_and_paragraph_labels():
    f = figures_of("1. 依据第四十二条第一款，期限为二十年，减缴百分之八十五。")
    assert f.articles == {42} and f.percents == {"85"} and f.numbers == {"20"}
    assert figures_of("二十年").missing_from(figures_of("期限为20年")) == []
    assert figures_of("85%").missing_from(figures_of("减缴百分之八十五")) == []
    assert figures_of("第43条").missing_from(figures_of("第四十二条")) == ["第43条"]
    joined = figures_of("不得实行开放许可：……（7）未提交评价报告的；（8）评价报告结论为否定的，3个月内")
    assert joined.numbers == {"3"}


def test_markers_and_sentences():
    assert markers_in("甲[1]乙[2, 3]丙【4】[1]") == [1, 2, 3, 4]
    pieces, rest = cut_sentences("第一句。[1]第二句[2]。第三句未完")
    assert pieces == ["第一句。[1]", "第二句[2]。"] and rest == "第三句未完"
    pieces, rest = cut_sentences("句子结束。")
    assert pieces == [] and rest == "句子结束。"  # a marker may still follow
    assert cut_sentences("Under Art. 42 the term is 20 years [1]. Next", final=True)[0] == ["Under Art. 42 the term is 20 years [1]. ", "Next"]
    assert cut_sentences("See section 3.1 of it [1].", final=True)[0] == ["See section 3.1 of it [1]."]


def test_checker_keeps_supported_sentences_and_renumbers():
    checker = CitationChecker.over([TERM, FEE, PATENT])
    text = checker.check_all("发明专利的保护期是20年，自申请日起计算[3]。小型企业可以请求减缴85%的年费[2]。示例权的期限为十二年[1]。")
    assert text == "发明专利的保护期是20年，自申请日起计算[1]。小型企业可以请求减缴85%的年费[2]。示例权的期限为十二年[3]。"
    assert checker.order == [3, 2, 1] and not checker.dropped


def test_marker_to_a_missing_source_is_removed():
    checker = CitationChecker.over([TERM, FEE, PATENT])
    assert checker.check_all("示例权的期限为十二年[1][7]。") == "示例权的期限为十二年[1]。"
    only_missing = CitationChecker.over([TERM, FEE, PATENT])
    assert only_missing.check_all("示例权的期限为十二年[7]。") == ""
    assert only_missing.dropped[0].reason == "cites no existing source"


def test_unstated_figures_and_unrelated_sentences_are_dropped():
    checker = CitationChecker.over([TERM, FEE, PATENT])
    text = checker.check_all("年费为每年三百元[2]。减缴比例为百分之七十[2]。依据第四十三条[3]。今天天气很好适合出游[1]。HACKED\n示例权的期限为十二年[1]。")
    assert text == "示例权的期限为十二年[1]。"
    reasons = [v.reason for v in checker.dropped]
    assert "figures not in the cited sources: 300" in reasons
    assert "figures not in the cited sources: 70%" in reasons
    assert "figures not in the cited sources: 第43条" in reasons
    assert "cites no existing source" in reasons
    assert any("share" in r or "too little" in r for r in reasons)


def test_citation_only_on_a_source_that_shares_the_terms_is_kept():
    checker = CitationChecker.over([TERM, FEE])
    assert checker.check_all("小型企业可以请求减缴百分之八十五的年费[1][2]。") == "小型企业可以请求减缴百分之八十五的年费[1]。"
    assert checker.order == [2]


def test_english_sentence_over_chinese_source_uses_the_glossary():
    checker = CitationChecker.over([PATENT])
    assert checker.check_all("The term of an invention patent is 20 years from the filing date [1]. It lasts 25 years [1].") == \
        "The term of an invention patent is 20 years from the filing date [1]."


def test_streamed_text_is_checked_the_same_as_whole_text():
    text = "发明专利的期限为二十年[3]。\n- 年费三百元[2]\n- 小型企业可以请求减缴百分之八十五的年费。[2]\n没有出处的一句话。"
    whole = CitationChecker.over([TERM, FEE, PATENT]).check_all(text)
    streamed = CitationChecker.over([TERM, FEE, PATENT])
    shown = "".join(streamed.feed(text[i : i + 2]) for i in range(0, len(text), 2)) + streamed.finish()
    assert shown == whole == "发明专利的期限为二十年[1]。\n- 小型企业可以请求减缴百分之八十五的年费[2]。"


def test_verify_citations_counts_each_marker():
    passed, shown = verify_citations("示例权的期限为十二年[1]。年费三百元[2]。小型企业可以请求减缴百分之八十五的年费[2][1]。", {1: TERM, 2: FEE})
    assert (passed, shown) == (2, 4)


def test_glossary_maps_both_ways():
    from knowledge import en_to_zh, load_glossary, zh_terms_in

    pairs = load_glossary()
    assert len({zh for zh, _ in pairs}) >= 150 and ("宽展期", "grace period") in pairs
    assert en_to_zh("Is a design patent renewed in the grace period? Trademarks too.") == ["外观设计", "外观设计专利", "宽展期", "商标"]
    assert en_to_zh("nothing here") == []
    assert zh_terms_in("实用新型专利权人应当缴纳年费") == [("实用新型专利", "utility model patent"), ("年费", "annual fee")]


@pytest.mark.parametrize("reply", [
    "示例权的期限为十二年[1]。", "示例权的期限为十二年[1,2]。", "示例权的期限为十二年【1】。", "示例权的期限为十二年[1][2]。",
    "示例权的期限为十二年[来源1]。", "示例权的期限为十二年[source 1]。", "示例权的期限为十二年[Source 1]。", "示例权的期限为十二年[^1]。",
    "示例权的期限为十二年【来源1】。", "示例权的期限为十二年[1]、[2]。", "示例权的期限为十二年（1）。", "示例权的期限为十二年(1)。",
    "示例权的期限为十二年。(1)", "示例权的期限为十二年。（1）\n", "示例权的期限为十二年(1)", "示例权的期限为十二年[来源1、2]。",
    "**示例权的期限**为十二年[1]。", "## 示例权的期限为十二年[1]。", "示例权的期限为十二年。[来源 1]",
])
def test_marker_forms_small_models_write_are_read_as_n(reply):
    whole = CitationChecker.over([TERM, FEE])
    streamed = CitationChecker.over([TERM, FEE])
    shown = "".join(streamed.feed(ch) for ch in reply) + streamed.finish()
    assert whole.check_all(reply).startswith("示例权的期限为十二年[1]") and shown == whole.text
    assert whole.kept[0].cites[0] == 1 and markers_in(normalize_markers(reply)) in ([1], [1, 2])


@pytest.mark.parametrize("reply,expected", [
    ("- 示例权的期限为十二年[1]。", "- 示例权的期限为十二年[1]。"),
    ("1. 示例权的期限为十二年[1]。\n2. 小型企业可以请求减缴百分之八十五的年费[2]。", "1. 示例权的期限为十二年[1]。\n2. 小型企业可以请求减缴百分之八十五的年费[2]。"),
    ("### 结论\n**小型企业**可以请求减缴百分之八十五的年费【来源2】。", "小型企业可以请求减缴百分之八十五的年费[1]。"),
])
def test_markdown_lists_headings_and_emphasis_still_check(reply, expected):
    assert CitationChecker.over([TERM, FEE]).check_all(reply) == expected


@pytest.mark.parametrize("text", ["需要以下材料：(1)申请书；(2)照片。", "分为(1)、(2)两类。", "如下。(1) 申请书"])
def test_numbers_in_parentheses_inside_a_sentence_are_not_markers(text):
    assert normalize_markers(text) == text


def test_a_supported_sentence_with_the_wrong_number_cites_the_source_that_supports_it():
    plain = CitationChecker.over([TERM, FEE, PATENT])
    assert plain.check_all("外观设计专利权的期限为十五年[1]。") == ""
    fixed = CitationChecker.over([TERM, FEE, PATENT], reattribute="marked")
    assert fixed.check_all("外观设计专利权的期限为十五年[1]。") == "外观设计专利权的期限为十五年[1]。"
    assert fixed.order == [3] and fixed.kept[0].moved_from == (1,)
    assert CitationChecker.over([TERM, FEE, PATENT], reattribute="marked").check_all("外观设计专利权的期限为十五年。") == ""
    unmarked = CitationChecker.over([TERM, FEE, PATENT], reattribute="any")
    assert unmarked.check_all("外观设计专利权的期限为十五年。") == "外观设计专利权的期限为十五年[1]。" and unmarked.order == [3]
    nowhere = CitationChecker.over([TERM, FEE, PATENT], reattribute="any")
    assert nowhere.check_all("外观设计专利权的期限为三十年[3]。今天天气很好适合出游[1]。") == ""


def test_a_figure_must_be_said_of_what_the_source_says_it_of():
    from bot.answering.citecheck import Source, unbound_figures

    sources = [Source(PATENT)]
    assert unbound_figures("外观设计专利权的期限为二十年[1]。", sources) == ["20"]  # 二十年 is the invention patent's term
    assert unbound_figures("外观设计专利保护十五年[1]。", sources) == []
    assert unbound_figures("发明专利保护20年，从申请日起算[1]。", sources) == []
    bound = CitationChecker.over([PATENT], bind_figures=True)
    assert bound.check_all("外观设计专利权的期限为二十年[1]。实用新型专利权的期限为十年[1]。") == "实用新型专利权的期限为十年[1]。"
    assert "state of something else: 20" in bound.dropped[0].reason
    assert CitationChecker.over([PATENT]).check_all("外观设计专利权的期限为二十年[1]。")  # not bound: the number alone is checked


def test_an_english_figure_over_a_chinese_source_is_placed_by_the_statute_words():
    """An English rewrite of a Chinese article keeps its figures when they are said of the same thing (they used to be
    dropped as unbound: an English clause shares no characters with a Chinese one) and loses them when they are not."""
    from bot.answering.citecheck import Source, unbound_figures

    renewal = ("注册商标有效期满，需要继续使用的，商标注册人应当在期满前十二个月内按照规定办理续展手续；"
               "在此期间未能办理的，可以给予六个月的宽展期。")
    bound = CitationChecker.over([renewal], bind_figures=True)
    shown = bound.check_all("Renew the trademark registration within 12 months before it expires [1]. "
                            "A six-month grace period follows [1]. The grace period is 12 months [1].")
    assert shown == "Renew the trademark registration within 12 months before it expires [1]. A six-month grace period follows [1]."
    assert "state of something else: 12" in bound.dropped[0].reason
    assert unbound_figures("A design patent lasts 20 years from the filing date.", [Source(PATENT)]) == ["20"]
    assert unbound_figures("A design patent lasts 15 years from the filing date.", [Source(PATENT)]) == []
    english = Source("A design patent lasts 15 years. An invention patent lasts 20 years.")
    assert unbound_figures("A design patent lasts 20 years.", [english]) == ["20"]  # English sentences are clauses too


def test_a_figure_is_bound_to_the_subject_the_statute_names_in_the_clause_before_it():
    """"法人或者其他组织的软件著作权，保护期为50年": the subject is one clause and the figure the next; a rewrite that
    says them in one clause keeps its figure (it used to be dropped as unbound), one that moves it to another subject
    does not."""
    from bot.answering.citecheck import Source, unbound_figures

    software = Source("自然人的软件著作权，保护期为自然人终生及其死亡后50年。"
                      "法人或者其他组织的软件著作权，保护期为50年，截止于软件首次发表后第50年的12月31日。"
                      "软件登记的费用，由申请人缴纳，期限为三个月。")
    assert unbound_figures("公司的软件著作权保护期为50年[1]。", [software]) == []
    assert unbound_figures("公司的软件著作权保护期为3个月[1]。", [software]) == ["3"]
    assert unbound_figures("外观设计专利权的期限为二十年[1]。", [Source(PATENT)]) == ["20"]


def test_a_window_before_expiry_is_not_a_term_of_validity():
    """"可以在备案有效期届满前6个月内申请续展": six months is a window before the recordal expires, not how long it
    is valid — a rewrite saying "valid for six months" (a small model's favourite mistake) is unbound, in either language."""
    from bot.answering.citecheck import Source, unbound_figures

    recordal = [Source("知识产权海关保护备案有效期为10年。知识产权有效的，权利人可以在知识产权海关保护备案有效期届满前6个月内，"
                       "向海关总署申请续展备案。")]
    assert unbound_figures("A customs IP recordal is valid for six months.", recordal) == ["6"]
    assert unbound_figures("海关备案的有效期是6个月。", recordal) == ["6"]
    assert unbound_figures("You can apply to renew the recordal within six months before it expires.", recordal) == []
    assert unbound_figures("到期前6个月内可以申请续展海关备案。", recordal) == []


def test_a_question_the_model_writes_is_dropped_even_when_its_words_are_in_the_source():
    checker = CitationChecker.over([PATENT], reattribute="any", bind_figures=True)
    shown = checker.check_all("外观设计专利保护多少年[1]？外观设计专利权的期限为十五年[1]。")
    assert shown == "外观设计专利权的期限为十五年[1]。"
    assert checker.dropped[0].reason == "a question, not an answer"
