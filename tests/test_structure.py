"""Tests for ingest.structure.parse_structure, on invented law, guide and FAQ texts."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.model import Block, ParsedDocument  # noqa: E402
from ingest.structure import cn_to_int, parse_structure  # noqa: E402


def make_doc(*blocks, title: str = "测试法") -> ParsedDocument:
    """A document from strings (plain lines), (text, level) pairs or ready Blocks."""
    out = []
    for b in blocks:
        if isinstance(b, Block):
            out.append(b)
        elif isinstance(b, tuple):
            out.append(Block(b[0], level=b[1]))
        else:
            out.append(Block(b))
    return ParsedDocument(source="x.md", title=title, blocks=out, fmt="md")


def articles(sections):
    return [s for s in sections if s.kind == "article"]


def test_cn_numerals():
    assert [cn_to_int(n) for n in ("一", "十", "十二", "二十", "四十二", "一百零五", "一百四十九", "八百八十七", "42", "４２")] == [
        1, 10, 12, 20, 42, 105, 149, 887, 42, 42]


def test_chapters_sections_and_articles():
    doc = make_doc(
        ("测试法", 1),
        "2001年1月1日 某某会议通过",
        ("第一章 总 则", 2),
        "第一条 为了规范小熊饼干的生产，制定本法。",
        "第二条 本法所称饼干，是指烘焙食品。",
        "饼干分为甜饼干和咸饼干。",
        ("第二章 生产", 2),
        ("第一节  一般规定", 3),
        "第三条 生产者应当登记。",
        ("第二节 特别规定", 3),
        "第四条 夜间生产应当报告。",
        ("第三章 附则", 2),
        "第五条 本法自2001年1月1日起施行。",
    )
    secs = parse_structure(doc)
    assert secs[0].kind == "preamble" and "某某会议通过" in secs[0].text
    arts = articles(secs)
    assert [a.article for a in arts] == [1, 2, 3, 4, 5]
    assert [a.article_label for a in arts][:2] == ["第一条", "第二条"]
    assert arts[0].chapter == "第一章 总 则"
    assert arts[1].text == "第二条 本法所称饼干，是指烘焙食品。\n饼干分为甜饼干和咸饼干。"
    assert arts[2].chapter == "第二章 生产 第一节 一般规定"
    assert arts[3].chapter == "第二章 生产 第二节 特别规定"
    assert arts[3].heading_path == ["第二章 生产", "第二节 特别规定", "第四条"]
    assert arts[4].chapter == "第三章 附则"
    assert not doc.warnings


def test_plain_line_headings_with_parts_and_odd_spacing():
    doc = make_doc(
        "第二编 饼干",
        "第十八章　烘焙",
        "第二节 甜饼干",
        "第四百四十条 甜饼干应当含糖。",
        "第四百四十一条 甜饼干应当包装。",
        "第四百四十二条 甜饼干应当标注日期。",
        "附 则",
        "第四百四十三条 本编自公布之日起施行。",
    )
    arts = articles(parse_structure(doc))
    assert [a.article for a in arts] == [440, 441, 442, 443]
    assert arts[0].chapter == "第二编 饼干 第十八章 烘焙 第二节 甜饼干"
    assert arts[3].chapter == "第二编 饼干 附 则"


def test_arabic_numerals_and_article_suffix():
    doc = make_doc(
        "第1条 为了测试，制定本规定。",
        "第2条 甲应当通知乙。",
        "第2条之一 乙收到通知后应当答复。",
        "第3条 本规定自发布之日起施行。",
    )
    arts = articles(parse_structure(doc))
    assert [(a.article, a.article_label) for a in arts] == [
        (1, "第1条"), (2, "第2条"), (2, "第2条之一"), (3, "第3条")]
    assert not doc.warnings

    doc = make_doc("第十九条 甲。", "第二十条 乙。", "第二十条之一 丙。", "第二十一条 丁。")
    arts = articles(parse_structure(doc))
    assert [a.article_label for a in arts] == ["第十九条", "第二十条", "第二十条之一", "第二十一条"]
    assert arts[2].article == 20


def test_in_text_references_are_not_headings():
    doc = make_doc(
        "第一条 为了测试，制定本法。",
        "第二条 申请人可以依照本法第六十条的规定申请复议。",
        "前款规定的期限届满的，视为放弃。",
        "本条第二款所称期限，自通知之日起计算。",
        "第三条 有下列情形之一的，依照",
        "第十条第二款规定的程序处理：",
        "（一）未登记的；",
        "第六十条规定的其他情形。",
        "第四条 根据专利法第二十条处理。",
        "第五条 申请人应当依照",
        "第九十条 办理。",
        "第六条 本法自公布之日起施行。",
    )
    secs = parse_structure(doc)
    arts = articles(secs)
    assert [a.article for a in arts] == [1, 2, 3, 4, 5, 6]
    assert arts[1].text.endswith("自通知之日起计算。")
    assert arts[2].text.splitlines() == ["第三条 有下列情形之一的，依照", "第十条第二款规定的程序处理：",
                                        "（一）未登记的；", "第六十条规定的其他情形。"]
    assert arts[4].text.endswith("第九十条 办理。")
    assert not doc.warnings


def test_article_broken_across_pages():
    doc = make_doc(
        Block("第一条 为了测试，制定本法。", page=1),
        Block("第二条 生产者应当在每年三月前向主管部门报送", page=1),
        Block("上一年度的生产记录。", page=2),
        Block("第三条 主管部门应当依照", page=2),
        Block("第二条规定的记录进行核查。", page=3),
        Block("第四条 本法自公布之日起施行。", page=3),
    )
    arts = articles(parse_structure(doc))
    assert [a.article for a in arts] == [1, 2, 3, 4]
    assert (arts[1].page, arts[1].page_end) == (1, 2)
    assert arts[1].text.endswith("上一年度的生产记录。")
    assert (arts[2].page, arts[2].page_end) == (2, 3)
    assert arts[2].text.endswith("第二条规定的记录进行核查。")


def test_headings_without_spaces_as_pdf_text_gives_them():
    doc = make_doc(
        Block("某饼干条例", page=1),
        Block("（2001年某令第1号公布）", page=1),
        Block("第一章总则", page=1),
        Block("第一条为了测试，制定本条例。", page=1),
        Block("第二条本条例所称饼干，是指", page=1),
        Block("第三条规定的烘焙食品。", page=2),
        Block("第三条依照第二条的规定处理。", page=2),
        Block("第二章 附则", page=2),
        Block("第四条本条例自公布之日起施行。", page=2),
        title="某饼干条例",
    )
    secs = parse_structure(doc)
    assert secs[0].kind == "preamble"
    arts = articles(secs)
    assert [a.article for a in arts] == [1, 2, 3, 4]
    assert [a.chapter for a in arts] == ["第一章 总则"] * 3 + ["第二章 附则"]
    assert arts[1].text == "第二条本条例所称饼干，是指\n第三条规定的烘焙食品。"
    assert not doc.warnings


def test_multiline_block_split_into_lines():
    doc = make_doc(Block("第一条 甲。\n第二条 乙。\n乙的补充。\n第三条 丙。", page=4))
    arts = articles(parse_structure(doc))
    assert [a.text for a in arts] == ["第一条 甲。", "第二条 乙。\n乙的补充。", "第三条 丙。"]
    assert arts[0].page == 4


def test_table_of_contents_does_not_duplicate_chapters():
    doc = make_doc(
        ("测试法", 1),
        "目录",
        "第一章 总则",
        "第二章 生产",
        "第一节 一般规定",
        "第三章 附则",
        ("第一章 总则", 2),
        "第一条 为了测试，制定本法。",
        ("第二章 生产", 2),
        ("第一节 一般规定", 3),
        "第二条 生产者应当登记。",
        ("第三章 附则", 2),
        "第三条 本法自公布之日起施行。",
    )
    secs = parse_structure(doc)
    assert secs[0].kind == "preamble" and "目录" in secs[0].text and "第三章 附则" in secs[0].text
    assert [s.kind for s in secs] == ["preamble", "article", "article", "article"]
    assert [s.chapter for s in secs[1:]] == ["第一章 总则", "第二章 生产 第一节 一般规定", "第三章 附则"]


def test_missing_first_chapter_heading_is_assumed():
    doc = make_doc("第一条 甲。", "第二条 乙。", ("第二章 生产", 2), "第三条 丙。")
    arts = articles(parse_structure(doc))
    assert [a.chapter for a in arts] == ["第一章 总则", "第一章 总则", "第二章 生产"]
    assert any("第一章" in w for w in doc.warnings)


def test_skipped_and_duplicated_article_numbers_warn_and_keep_both():
    doc = make_doc(
        "第三条 甲。", "第四条 甲。", "第五条 乙。", "第七条 丙。", "第八条 丁。", "第八条 戊。", "第九条 己。",
    )
    arts = articles(parse_structure(doc))
    assert [a.article for a in arts] == [3, 4, 5, 7, 8, 8, 9]
    assert "article numbers skip from 5 to 7" in doc.warnings
    assert "article 8 appears twice" in doc.warnings
    parse_structure(doc)
    assert len(doc.warnings) == 2


def test_headings_between_articles_keep_intro_text_and_preamble_without_title_only():
    doc = make_doc(
        ("测试解释", 1),
        ("一、一般规定", 2),
        "第一条 甲。",
        "第二条 乙。",
        ("二、其他", 2),
        "本部分适用于饼干。",
        "第三条 丙。",
        title="测试解释",
    )
    secs = parse_structure(doc)
    assert [s.kind for s in secs] == ["article", "article", "section", "article"]
    assert secs[2].chapter == "二、其他" and secs[2].text == "本部分适用于饼干。"
    assert secs[3].chapter == "二、其他"


def test_guideline_sections_under_chapters():
    doc = make_doc(
        ("饼干审查指南（节选）", 1),
        ("第二章 饼干费用", 2),
        ("1. 费用缴纳的期限", 3),
        "（1）申请费应当在两个月内缴纳。",
        "未缴纳的，视为撤回。",
        ("2. 费用支付方式 〔细则 9〕", 3),
        "费用可以通过银行汇付。",
        ("2.1 汇付", 4),
        "汇付的应当写明申请号。",
        ("第五章 开放许可", 2),
        ("1. 引言", 3),
        "根据专利法第五十条的规定制定本章。",
        title="饼干审查指南（节选）",
    )
    secs = parse_structure(doc)
    assert all(s.kind == "section" and s.article is None for s in secs)
    assert [s.article_label for s in secs] == [
        "第二章 1. 费用缴纳的期限", "第二章 2. 费用支付方式 〔细则 9〕", "第二章 2.1 汇付", "第五章 1. 引言"]
    assert [s.chapter for s in secs] == ["第二章 饼干费用"] * 3 + ["第五章 开放许可"]
    assert secs[0].text == "1. 费用缴纳的期限\n（1）申请费应当在两个月内缴纳。\n未缴纳的，视为撤回。"
    assert secs[2].heading_path == ["第二章 饼干费用", "2. 费用支付方式 〔细则 9〕", "2.1 汇付"]


def test_guide_with_numbered_plain_headings():
    doc = make_doc(
        "饼干申请指南",
        "本指南介绍申请流程。",
        "一、申请条件",
        "申请人应当具备资格。",
        "（一）个人申请",
        "个人应当提交下列材料：",
        "1. 身份证明",
        "2. 住址证明",
        "（二）单位申请",
        "1. 材料要求",
        "单位应当提交营业执照。",
        "（1）原件",
        "原件应当清晰。",
        "二、办理流程",
        "在线提交即可。",
        title="饼干申请指南",
    )
    secs = parse_structure(doc)
    assert all(s.kind == "section" for s in secs)
    paths = [s.heading_path for s in secs]
    assert paths == [
        [],
        ["一、申请条件"],
        ["一、申请条件", "（一）个人申请"],
        ["一、申请条件", "（二）单位申请", "1. 材料要求"],
        ["一、申请条件", "（二）单位申请", "1. 材料要求", "（1）原件"],
        ["二、办理流程"],
    ]
    assert secs[0].text == "本指南介绍申请流程。"
    assert secs[2].text.endswith("1. 身份证明\n2. 住址证明")


def test_guide_with_markdown_headings():
    doc = make_doc(
        ("饼干指南", 1),
        ("申请流程", 2),
        "先登记再申请。",
        ("材料", 3),
        "（1）申请表",
        "（2）说明书",
        ("费用", 2),
        "按规定缴费。",
        title="饼干指南",
    )
    secs = parse_structure(doc)
    assert [s.heading_path for s in secs] == [["申请流程"], ["申请流程", "材料"], ["费用"]]
    assert secs[1].text == "材料\n（1）申请表\n（2）说明书"
    assert all(s.chapter is None for s in secs)


def test_faq_pairs():
    doc = make_doc(
        ("常见问题", 1),
        ("缴费", 2),
        "问：饼干专利年费什么时候缴纳？",
        "答：应当在上一年度期满前缴纳。",
        "逾期可以补缴。",
        "Q: 可以网上缴费吗？",
        "A: 可以。",
        title="常见问题",
    )
    secs = parse_structure(doc)
    faqs = [s for s in secs if s.kind == "faq"]
    assert len(faqs) == 2
    assert faqs[0].text == "问：饼干专利年费什么时候缴纳？\n答：应当在上一年度期满前缴纳。\n逾期可以补缴。"
    assert faqs[0].heading_path == ["缴费"]
    assert faqs[1].text.startswith("Q: 可以网上缴费吗？")


def test_faq_question_headings():
    doc = make_doc(
        ("问答", 1),
        ("如何申请饼干专利？", 2),
        "向主管部门提交申请。",
        ("申请要多久?", 2),
        "一般六个月。",
        title="问答",
    )
    secs = parse_structure(doc)
    assert [s.kind for s in secs] == ["faq", "faq"]
    assert secs[0].text == "如何申请饼干专利？\n向主管部门提交申请。"


def test_few_article_mentions_do_not_make_a_document_legal():
    doc = make_doc(("说明", 1), "第一条 甲。", "其他内容。", "第五条 乙。", title="说明")
    secs = parse_structure(doc)
    assert not articles(secs)


def test_empty_document():
    assert parse_structure(make_doc()) == []


def _load_check():
    spec = importlib.util.spec_from_file_location("structure_check", ROOT / "benchmarks" / "structure_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_articles_all_match():
    check = _load_check()
    if not Path(check.DEFAULT_CORPUS).is_dir() or not Path(check.DEFAULT_ARTICLES).is_file():
        pytest.skip("shared corpus not present")
    totals = check.run()["totals"]
    assert totals["expected"] == 1248
    for key in ("found", "number_ok", "chapter_ok", "text_ok"):
        assert totals[key] == totals["expected"], key
    assert totals["spanning_chunks"] == 0
    assert totals["references_as_headings"] == 0
