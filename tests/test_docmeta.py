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


def test_dates_of_a_new_rule():
    doc = _doc("示例保护条例", ["2021年3月2日 国务院令第1号公布", "第一条 为了示例，制定本条例。", "第二条 本条例自2021年6月1日起施行。"])
    meta = extract_metadata(doc)
    assert meta["promulgation_date"] == "2021-03-02" and meta["effective_date"] == "2021-06-01"
