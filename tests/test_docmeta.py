"""Document metadata extracted from the text, and the sidecar override."""
from __future__ import annotations

from ingest.docmeta import classify_title, extract_metadata
from ingest.model import Block, ParsedDocument


def _doc(title: str, lines: list[str]) -> ParsedDocument:
    return ParsedDocument("x.md", title, [Block(title, level=1), *(Block(t) for t in lines)], "markdown", {})


def test_types_from_titles():
    assert classify_title("中华人民共和国示例法") == "law"
    assert classify_title("示例保护条例") == "administrative_regulation"
    assert classify_title("最高人民法院关于审理示例纠纷案件适用法律若干问题的解释") == "judicial_interpretation"
    assert classify_title("示例审查指南（2030）") == "guideline"
    assert classify_title("示例登记办法") == "department_rule"


def test_dates_of_an_amended_law():
    doc = _doc("中华人民共和国示例法", ["2001年1月2日 第九届全国人民代表大会常务委员会第一次会议通过", "2019年4月23日 第三次会议《关于修改的决定》第二次修正",
                                      "第一条 为了示例，制定本法。", "第九条 本法自2001年7月1日起施行。"])
    meta = extract_metadata(doc)
    assert meta["promulgation_date"] == "2019-04-23"
    assert "effective_date" not in meta and meta["original_effective_date"] == "2001-07-01"
    assert meta["authority"] == "全国人民代表大会常务委员会"


def test_the_issuing_body_is_the_one_that_adopted_the_text_not_one_an_article_mentions():
    doc = _doc("关于审理示例纠纷案件应用法律若干问题的解释（二）", [
        "2016年1月25日 最高人民法院审判委员会第1676次会议通过",
        "第一条 依照国务院有关规定办理的，人民法院应予支持。"])
    assert extract_metadata(doc)["authority"] == "最高人民法院"
    doc = _doc("示例保护条例", ["第一条 本条例由国家知识产权局负责解释。", "2021年3月2日 国务院令第1号公布"])
    assert extract_metadata(doc)["authority"] == "国务院"


def test_dates_of_a_new_rule():
    doc = _doc("示例保护条例", ["2021年3月2日 国务院令第1号公布", "第一条 为了示例，制定本条例。", "第二条 本条例自2021年6月1日起施行。"])
    meta = extract_metadata(doc)
    assert meta["promulgation_date"] == "2021-03-02" and meta["effective_date"] == "2021-06-01"
