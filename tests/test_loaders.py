"""Loaders for each format, and a clear error for each kind of bad file."""
from __future__ import annotations

import zipfile

import pytest

from ingest import load
from ingest.errors import CorruptFile, EmptyDocument, TooLarge, UndecodableText, UnsupportedFormat
from ingest.textdecode import decode_text

TEXT = "第一条 示例权的期限为十二年。\n第二条 年费为每年三百元。\n"


def test_markdown_keeps_headings_tables_and_header_metadata(docs_dir, tmp_path):
    doc = load(docs_dir / "windmill-guide.md")
    assert doc.title == "蓝色风车示例权办理指南"
    assert doc.metadata["header"]["类型"] == "指南"
    assert [b.level for b in doc.blocks if b.level] == [1, 2, 2]
    md = tmp_path / "t.md"
    md.write_text("# 表\n\n| 费用 | 金额 |\n|---|---|\n| 年费 | 300 |\n\n<!-- 注释不入库 -->\n正文。\n", encoding="utf-8")
    doc = load(md)
    assert [b.is_table for b in doc.blocks] == [False, True, False]
    assert "注释" not in " ".join(b.text for b in doc.blocks)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-8-sig"])
def test_text_in_every_common_chinese_encoding(tmp_path, encoding):
    path = tmp_path / f"law-{encoding}.txt"
    path.write_bytes(TEXT.encode(encoding))
    doc = load(path)
    assert [b.text for b in doc.blocks] == TEXT.strip().split("\n")


def test_undecodable_text_is_refused_with_a_reason():
    with pytest.raises(UndecodableText, match="encoding"):
        decode_text(bytes(range(0, 32)) * 20)


def test_docx_headings_lists_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("示例办理须知", level=1)
    d.add_heading("一、申请材料", level=2)
    d.add_paragraph("提交申请书一份。", style="List Number")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "费用", "金额"
    table.cell(1, 0).text, table.cell(1, 1).text = "年费", "300元"
    path = tmp_path / "guide.docx"
    d.save(path)
    doc = load(path)
    assert doc.title == "示例办理须知"
    assert [(b.text, b.level) for b in doc.blocks[:3]] == [("示例办理须知", 1), ("一、申请材料", 2), ("提交申请书一份。", None)]
    assert doc.blocks[3].is_table and "| 年费 | 300元 |" in doc.blocks[3].text


def test_html_keeps_main_content_only(tmp_path):
    page = tmp_path / "notice.html"
    page.write_text("""<html><head><title>示例通知</title><style>.x{color:red}</style><script>alert('x')</script></head>
    <body><nav>首页 | 导航栏</nav><header>网站页眉</header>
    <main><h1>关于示例权的通知</h1><p>示例权的期限为十二年。</p><ul><li>年费三百元</li></ul>
    <table><tr><th>费用</th><th>金额</th></tr><tr><td>年费</td><td>300</td></tr></table></main>
    <footer>版权所有 网站页脚</footer></body></html>""", encoding="utf-8")
    doc = load(page)
    text = "\n".join(b.text for b in doc.blocks)
    assert "示例权的期限为十二年。" in text and "年费三百元" in text and "| 年费 | 300 |" in text
    for noise in ("导航栏", "页眉", "页脚", "alert", "color"):
        assert noise not in text
    assert doc.title == "示例通知"


def test_html_without_main_content_is_refused(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<html><head><script>var a=1;</script></head><body><nav>只有导航</nav></body></html>", encoding="utf-8")
    with pytest.raises(EmptyDocument):
        load(page)


def test_bad_files_each_get_one_clear_error(tmp_path):
    (tmp_path / "a.xyz").write_text("x")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "fake.docx").write_text("not a zip")
    with pytest.raises(UnsupportedFormat, match=r"\.xyz.*supported"):
        load(tmp_path / "a.xyz")
    with pytest.raises(EmptyDocument, match="0 bytes"):
        load(tmp_path / "empty.md")
    with pytest.raises(CorruptFile, match="not a zip"):
        load(tmp_path / "fake.docx")


def test_docx_zip_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<a>" + b"0" * (300 * 2**20) + b"</a>")
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(TooLarge, match="zip bomb"):
        load(bomb)
