"""Tests for ingest.chunking.chunk_document, on invented law, guide and table texts."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.chunking import chunk_document  # noqa: E402
from ingest.model import Block, ParsedDocument  # noqa: E402
from knowledge.tokens import count_tokens  # noqa: E402

ARTICLE_LINE = re.compile(r"^第[一二三四五六七八九十百]+条\s")
CN = "一二三四五六七八九十"


def cn(n: int) -> str:
    """Chinese numeral for 1..99."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else CN[tens - 1]) + "十" if tens else "") + (CN[ones - 1] if ones else "")


def make_doc(blocks, title="《测试法》") -> ParsedDocument:
    out = [b if isinstance(b, Block) else Block(b[0], level=b[1]) if isinstance(b, tuple) else Block(b) for b in blocks]
    return ParsedDocument(source="x.md", title=title, blocks=out, fmt="md")


def body(chunk) -> str:
    return chunk.text.split("\n", 1)[1]


def long_law() -> ParsedDocument:
    items = [f"（{cn(i)}）第{cn(i)}类饼干的生产者应当在每个季度结束后十五日内向所在地主管部门报送产量、销量和库存情况；" for i in range(1, 31)]
    sentences = "".join(f"第{cn(i)}项检查应当由两名以上检查人员共同进行，并制作书面记录。" for i in range(1, 26))
    return make_doc([
        ("测试法", 1),
        ("第一章 总则", 2),
        "第一条 为了测试，制定本法。",
        "第二条 生产者应当遵守下列规定：",
        *items,
        "生产者违反前款规定的，由主管部门责令改正。",
        sentences,
        "第三条 本法自公布之日起施行。",
    ])


def test_one_article_per_chunk_with_breadcrumb():
    doc = make_doc([
        ("测试法", 1),
        ("第五章 期限、终止", 2),
        Block("第四十一条 甲应当通知乙。", page=3),
        Block("第四十二条 饼干的保质期为十年。", page=3),
        Block("保质期自生产之日起计算。", page=4),
        Block("第四十三条 乙应当答复。", page=4),
    ])
    chunks = chunk_document(doc)
    assert [c.ordinal for c in chunks] == [0, 1, 2]
    c = chunks[1]
    assert c.breadcrumb == "《测试法》 第五章 期限、终止 第四十二条"
    assert c.text == "《测试法》 第五章 期限、终止 第四十二条\n第四十二条 饼干的保质期为十年。\n保质期自生产之日起计算。"
    assert (c.kind, c.article, c.article_label, c.chapter) == ("article", 42, "第四十二条", "第五章 期限、终止")
    assert (c.page, c.page_end) == (3, 4)
    assert all(ch.tokens == count_tokens(ch.text) for ch in chunks)


def test_long_article_split_by_paragraph_item_and_sentence():
    doc = long_law()
    max_tokens = 200
    chunks = chunk_document(doc, max_tokens=max_tokens)
    pieces = [c for c in chunks if c.article == 2]
    assert len(pieces) > 3
    crumb = "《测试法》 第一章 总则 第二条"
    for c in pieces:
        assert c.breadcrumb == crumb and c.text.startswith(crumb + "\n")
        assert c.tokens <= max_tokens
        assert not any(ARTICLE_LINE.match(line) for line in body(c).split("\n")[1 if c is pieces[0] else 0:])
        first = body(c).split("\n")[0]
        assert first.startswith(("第二条", "（", "生产者违反", "第")), first
        assert body(c).endswith(("；", "：", "。")), body(c)[-20:]
    original = [s for s in doc.blocks[3:-1]]
    assert "".join(body(c).replace("\n", "") for c in pieces) == "".join(b.text for b in original)
    assert body(pieces[0]).startswith("第二条 生产者应当遵守下列规定：\n（一）")


def test_chunks_never_span_two_articles():
    doc = make_doc([("测试法", 1)] + [f"第{cn(i)}条 第{cn(i)}种饼干应当密封保存。" for i in range(1, 21)])
    chunks = chunk_document(doc, max_tokens=480)
    assert [c.article for c in chunks] == list(range(1, 21))
    for c in chunks:
        assert sum(bool(ARTICLE_LINE.match(line)) for line in c.text.split("\n")) == 1


def test_token_bound_respected_for_every_chunk():
    chunks = chunk_document(long_law(), max_tokens=120)
    assert chunks and all(c.tokens <= 120 and c.text.strip() for c in chunks)


def test_overlap_repeats_previous_sentence_within_article_only():
    chunks = chunk_document(long_law(), max_tokens=200, overlap_tokens=60)
    pieces = [c for c in chunks if c.article == 2]
    assert all(c.tokens <= 200 for c in chunks)
    overlapped = [b for a, b in zip(pieces, pieces[1:]) if body(b).split("\n")[0] in body(a)]
    assert overlapped
    assert not body(chunks[-1]).startswith(("（", "第二项"))


def test_guide_sections_use_heading_breadcrumb():
    doc = make_doc([
        ("饼干指南", 1),
        ("申请流程", 2),
        "先登记再申请。",
        ("材料", 3),
        "提交申请表。",
    ], title="饼干指南")
    chunks = chunk_document(doc)
    assert [c.breadcrumb for c in chunks] == ["《饼干指南》 申请流程", "《饼干指南》 申请流程 材料"]
    assert chunks[1].text == "《饼干指南》 申请流程 材料\n材料\n提交申请表。"
    assert chunks[1].kind == "section" and chunks[1].article is None


def test_tables_split_between_rows_with_header_repeated():
    header = "| 费用名称 | 金额（元） | 缴纳期限 |\n| --- | --- | --- |"
    rows = [f"| 第{i}类饼干检验费 | {i * 100} | 申请之日起{i}个月内 |" for i in range(1, 41)]
    table = Block(header + "\n" + "\n".join(rows), is_table=True)
    doc = make_doc([("收费指南", 1), ("收费标准", 2), "下表列出各项费用。", table, "以上费用可以减缴。"],
                   title="收费指南")
    chunks = chunk_document(doc, max_tokens=150)
    assert len(chunks) > 2
    seen = []
    for c in chunks:
        assert c.tokens <= 150
        lines = body(c).split("\n")
        table_lines = [ln for ln in lines if ln.startswith("|")]
        if table_lines:
            assert table_lines[:2] == header.split("\n")
            for ln in table_lines[2:]:
                assert ln in rows
                seen.append(ln)
    assert seen == rows
    assert body(chunks[-1]).endswith("以上费用可以减缴。")


def test_small_table_kept_whole():
    table = Block("| 项目 | 金额 |\n| --- | --- |\n| 申请费 | 900 |\n| 年费 | 600 |", is_table=True)
    chunks = chunk_document(make_doc([("指南", 1), ("收费", 2), table], title="指南"))
    assert len(chunks) == 1 and chunks[0].text.endswith("| 年费 | 600 |")


def test_preamble_and_faq_chunks():
    law = make_doc([("测试法", 1), "2001年1月1日通过", "第一条 甲。", "第二条 乙。", "第三条 丙。"])
    chunks = chunk_document(law)
    assert chunks[0].kind == "preamble" and chunks[0].breadcrumb == "《测试法》"
    faq = make_doc([("问答", 1), "问：饼干能申请专利吗？", "答：可以。"], title="问答")
    chunks = chunk_document(faq)
    assert [c.kind for c in chunks] == ["faq"]
    assert chunks[0].text == "《问答》\n问：饼干能申请专利吗？\n答：可以。"


def test_no_empty_chunks_and_empty_document():
    assert chunk_document(make_doc([])) == []
    doc = make_doc([("指南", 1), ("空章节", 2), ("有内容", 2), "内容。"], title="指南")
    chunks = chunk_document(doc)
    assert len(chunks) == 1 and chunks[0].breadcrumb == "《指南》 有内容"
