"""Tests for ingest.pdf.load_pdf on PDFs built at test time (tests/pdf_fixtures.py)."""
from __future__ import annotations

import re
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest.errors import CorruptFile, EmptyDocument, EncryptedFile, TooLarge
from ingest.pdf import load_pdf

try:
    from tests import pdf_fixtures as fx
except ImportError:  # pytest run without the repository root on sys.path
    import pdf_fixtures as fx

SHARED_PDF = Path(__file__).resolve().parents[1].parent / "shared" / "pdf"


def squash(text: str) -> str:
    """Lower-cased text without whitespace (OCR often drops the spaces between words)."""
    return re.sub(r"\s+", "", text).lower()


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def chinese(tmp):
    return load_pdf(fx.chinese_document(tmp / "chinese.pdf"))


@pytest.fixture(scope="module")
def scanned(tmp):
    return load_pdf(fx.scanned_document(tmp / "scan.pdf"))


def _refuse(*args, **kwargs):
    raise AssertionError("network access while loading a PDF")


@pytest.fixture(scope="module")
def mixed(tmp):
    """The text-plus-scan document, loaded (and so OCR'd) with every socket connection refused."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "create_connection", _refuse)
        return load_pdf(fx.mixed_document(tmp / "mixed.pdf"))


# --- text layer -----------------------------------------------------------------------------


def test_chinese_document_shape(chinese):
    assert chinese.fmt == "pdf"
    assert chinese.metadata["pages"] == 3
    assert chinese.metadata["ocr"] is False and chinese.metadata["ocr_pages"] == []
    assert chinese.title == "示例市创意成果保护办法"
    assert chinese.warnings == []
    assert all(b.page in (1, 2, 3) and not b.is_table and b.level is None for b in chinese.blocks)


def test_wrapped_paragraph_joins_without_spaces(chinese):
    texts = [b.text for b in chinese.blocks]
    for article in (fx.ARTICLES[0], fx.ARTICLES[1], fx.ARTICLES[2], fx.ARTICLES[4], fx.ARTICLES[5]):
        assert article in texts
    for text in texts:
        assert not re.search(r"[\u4e00-\u9fff，。；、] [\u4e00-\u9fff，。；、]", text.split(" ", 1)[-1]), text


def test_every_article_and_heading_is_its_own_block(chinese):
    starts = [b.text.split(" ")[0] for b in chinese.blocks if b.text.startswith("第")]
    assert starts == ["第一章", "第一条", "第二条", "第三条", "第二章", "第四条", "第五条", "第六条"]


def test_running_header_footer_and_page_numbers_removed(chinese):
    for block in chinese.blocks:
        assert "征求意见稿" not in block.text
        assert "—" not in block.text
        assert not re.search(r"第\s*\d+\s*页", block.text)


def test_article_split_across_pages_keeps_order_and_pages(chinese):
    blocks = chinese.blocks
    head = next(i for i, b in enumerate(blocks) if b.text.startswith("第四条"))
    assert blocks[head].page == 1 and blocks[head + 1].page == 2
    assert blocks[head].text + blocks[head + 1].text == fx.ARTICLES[3]
    assert next(b for b in blocks if b.text.startswith("第六条")).page == 3


def test_meaningful_metadata_title_wins_and_tool_default_is_ignored(tmp):
    doc = load_pdf(fx.chinese_document(tmp / "titled.pdf", title="示例办法（元数据标题）"))
    assert doc.title == "示例办法（元数据标题）"
    doc = load_pdf(fx.chinese_document(tmp / "word.pdf", title="Microsoft Word - draft3.docx"))
    assert doc.title == "示例市创意成果保护办法"


def test_latin_lines_join_with_spaces_and_hyphens_rejoin(tmp):
    doc = load_pdf(fx.latin_document(tmp / "latin.pdf"))
    texts = [b.text for b in doc.blocks]
    assert texts[0] == "Scheme for Creative Works"
    assert ("Creative works registered under this scheme remain the property of their authors, "
            "who may license them to third parties on terms they choose.") in texts
    assert "A second paragraph starts here after a blank line." in texts
    assert not any("Page 1" in t for t in texts)


def test_pypdf_reads_what_pdfium_cannot_open(tmp, monkeypatch):
    def broken(*args, **kwargs):
        raise pdfium.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pdfium, "PdfDocument", broken)
    doc = load_pdf(fx.chinese_document(tmp / "fallback.pdf"))
    assert any("pdfium could not open" in w for w in doc.warnings)
    texts = [b.text for b in doc.blocks]
    assert doc.title == "示例市创意成果保护办法"
    assert fx.ARTICLES[0] in texts and fx.ARTICLES[5] in texts
    assert not any("征求意见稿" in t or "—" in t for t in texts)


def test_concurrent_loads_match_sequential_ones(tmp):
    paths = [fx.chinese_document(tmp / "c1.pdf"), fx.table_document(tmp / "c2.pdf", grid=True),
             fx.latin_document(tmp / "c3.pdf")] * 3
    expected = [[b.text for b in load_pdf(p).blocks] for p in paths]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: [b.text for b in load_pdf(p).blocks], paths))
    assert got == expected


# --- tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", [False, True], ids=["rules", "grid"])
def test_table_is_one_markdown_block_on_its_page(tmp, grid):
    doc = load_pdf(fx.table_document(tmp / f"table-{grid}.pdf", grid=grid))
    tables = [b for b in doc.blocks if b.is_table]
    assert len(tables) == 1 and doc.metadata["tables"] == 1
    table = tables[0]
    assert table.page == 2
    expected = ["| " + " | ".join(row) + " |" for row in fx.TABLE_ROWS]
    assert table.text.splitlines() == [expected[0], "| --- | --- | --- |", *expected[1:]]
    texts = [b.text for b in doc.blocks]
    i = texts.index(table.text)
    assert texts[i - 1] == "下表列出各项服务的收费标准。"
    assert texts[i + 1] == "以上收费标准自公布之日起施行。"
    assert not any("加急办理" in b.text for b in doc.blocks if not b.is_table)


# --- OCR ------------------------------------------------------------------------------------


def test_image_only_page_is_ocrd(scanned):
    assert scanned.metadata["ocr"] is True
    assert scanned.metadata["ocr_pages"] == [1]
    text = squash(" ".join(b.text for b in scanned.blocks))
    for words in ("PATENT OFFICE NOTICE", "Renewal fees", "deadline"):
        assert squash(words) in text
    assert all(b.page == 1 for b in scanned.blocks)


def test_mixed_document_ocrs_only_the_scanned_page_offline(mixed):
    assert mixed.metadata["ocr_pages"] == [2]
    assert mixed.blocks[0].page == 1 and mixed.blocks[0].text == "示例扫描件说明"
    assert squash("Renewal fees") in squash(" ".join(b.text for b in mixed.blocks if b.page == 2))


def test_text_drawn_as_outlines_is_ocrd(tmp):
    doc = load_pdf(fx.outline_document(tmp / "outline.pdf"))
    assert doc.metadata["ocr_pages"] == [1]
    assert squash("TRADEMARK RENEWAL") in squash(" ".join(b.text for b in doc.blocks))


def test_ocr_disabled_warns_and_names_the_page(tmp):
    doc = load_pdf(fx.mixed_document(tmp / "mixed-noocr.pdf"), ocr=False)
    assert doc.metadata["ocr"] is False and doc.metadata["ocr_pages"] == []
    assert any("page 2" in w and "OCR" in w for w in doc.warnings)
    assert {b.page for b in doc.blocks} == {1}


def test_image_only_pdf_without_ocr_is_empty(tmp):
    with pytest.raises(EmptyDocument, match="image-only"):
        load_pdf(fx.scanned_document(tmp / "scan-noocr.pdf"), ocr=False)


def test_ocr_time_limit_skips_pages(tmp):
    doc = load_pdf(fx.mixed_document(tmp / "mixed-late.pdf"), ocr_timeout_s=0)
    assert doc.metadata["ocr_pages"] == []
    assert any("page 2" in w and "time limit" in w for w in doc.warnings)
    with pytest.raises(EmptyDocument, match="time limit"):
        load_pdf(fx.scanned_document(tmp / "scan-late.pdf"), ocr_timeout_s=0)


# --- broken, locked and oversized files -----------------------------------------------------


def test_password_protected_pdf(tmp):
    locked = fx.encrypt(fx.chinese_document(tmp / "plain.pdf"), tmp / "locked.pdf", "s3cret")
    with pytest.raises(EncryptedFile, match="password"):
        load_pdf(locked)
    with pytest.raises(EncryptedFile, match="password"):
        load_pdf(locked, password="wrong")
    doc = load_pdf(locked, password="s3cret")
    assert fx.ARTICLES[0] in [b.text for b in doc.blocks]
    assert doc.metadata["encrypted"] is True


def test_empty_user_password_opens_without_one(tmp):
    doc = load_pdf(fx.encrypt(fx.chinese_document(tmp / "plain2.pdf"), tmp / "owner-only.pdf", ""))
    assert fx.ARTICLES[1] in [b.text for b in doc.blocks]
    assert doc.metadata["encrypted"] is True


def test_zero_byte_file_is_empty(tmp):
    path = tmp / "zero.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocument, match="0 bytes"):
        load_pdf(path)


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n" + b"\x00this is not really a pdf " * 40,
    "这不是 PDF 文件，只是一段文字。".encode("utf-8"),
], ids=["damaged", "not-a-pdf"])
def test_corrupt_file(tmp, content):
    path = tmp / "corrupt.pdf"
    path.write_bytes(content)
    with pytest.raises(CorruptFile) as err:
        load_pdf(path)
    assert str(err.value) and "\n" not in str(err.value)


def test_truncated_file_is_corrupt(tmp):
    data = fx.chinese_document(tmp / "whole.pdf").read_bytes()
    path = tmp / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptFile):
        load_pdf(path)


def test_too_many_pages(tmp):
    with pytest.raises(TooLarge, match="3 pages"):
        load_pdf(fx.chinese_document(tmp / "long.pdf"), max_pages=2)


# --- the real PDFs in shared/pdf (skipped where shared/ is absent) ---------------------------


@pytest.mark.skipif(not SHARED_PDF.is_dir(), reason="shared/pdf is not present")
def test_real_pdfs():
    results = {}
    for path in sorted(SHARED_PDF.glob("*.pdf")):
        doc = load_pdf(path)
        pages = doc.metadata["pages"]
        assert doc.blocks, path.name
        assert all(1 <= b.page <= pages for b in doc.blocks), path.name
        results[path.name] = doc
    for name, doc in results.items():
        if name.startswith("scanned-image-only"):
            assert doc.metadata["ocr"] is True and doc.metadata["ocr_pages"] == [1], name
    epson = squash(" ".join(b.text for b in results[
        "scanned-image-only-ocrmypdf-epson-wikipedia-ocr-article.pdf"].blocks))
    assert "opticalcharacterrecognition" in epson and "wikipedia" in epson
    linn = squash(" ".join(b.text for b in results[
        "scanned-image-only-ocrmypdf-linn-sequencer-brochure.pdf"].blocks))
    assert "linnsequencer" in linn and "sequence" in linn
    report = results["lawyer-llama-technical-report-2023.pdf"]
    tables = [b for b in report.blocks if b.is_table]
    assert len(tables) >= 5
    assert all(b.text.startswith("| ") and "\n| --- |" in b.text for b in tables)
    assert report.title.startswith("Lawyer LLaMA")
    xiezhi = results["xiezhi-lawgpt-zh-technical-report.pdf"]
    assert "獬豸" in xiezhi.title
    assert not any(b.text.startswith("Chinese Law Large Language Model - XieZhi") for b in xiezhi.blocks)


def _scanned_law() -> str:
    from bot.answering.numerals import int_to_zh

    lines = ["# 示例灯塔保护条例", "", "2031年5月6日 示例委员会第九号令公布", ""]
    for n in range(1, 17):
        if n in (1, 7, 13):
            lines += [f"## 第{int_to_zh(n // 6 + 1)}章 {('总则', '登记', '附则')[n // 6]}", ""]
        thing, act = "灯塔码头航标浮标雷达信号旗杆海图"[n % 8], "核对登记检查备案审核公示归档复核"[n % 8 * 2: n % 8 * 2 + 2]
        lines += [f"第{int_to_zh(n)}条 第{n}号{thing}的管理人应当在{n + 10}日内向{'东西南北'[n % 4]}区管理部门提交照片和位置说明，"
                  f"管理部门收到后{n % 5 + 2}日内{act}，费用为每座{n * 10}元，{'小型企业' if n % 2 else '个体经营者'}可以请求减缴。", ""]
    return "\n".join(lines)


def test_a_scanned_law_keeps_every_article_its_page_and_its_title(tmp):
    """A law rendered to page images here (fonts-noto-cjk, 200 dpi, skewed, blurred): every article its own passage with
    its number and page, headings split from the article after them, the page footers gone, the law's name as title."""
    import importlib.util
    import random

    from ingest.chunking import chunk_document

    spec = importlib.util.spec_from_file_location("ocr_check", Path(__file__).resolve().parents[1] / "benchmarks" / "ocr_check.py")
    ocr_check = importlib.util.module_from_spec(spec)
    sys.modules["ocr_check"] = ocr_check
    spec.loader.exec_module(ocr_check)
    law = tmp / "lighthouse-law.md"
    law.write_text(_scanned_law(), encoding="utf-8")
    cond = ocr_check.Condition(200, 0.8, 0.6, 0.02)
    row = ocr_check.check(law, cond, tmp)
    assert row["pages"] >= 2 and row["articles"] == 16 and row["own_passage_right_number"] == 16 and row["right_page"] == 16, row
    assert row["char_recall"] >= 0.97 and row["footer_blocks_left"] == 0
    assert row["title_found"] == "示例灯塔保护条例"
    doc = load_pdf(tmp / "lighthouse-law-200.pdf")
    chapters = {c.article: c.chapter for c in chunk_document(doc) if c.kind == "article"}
    assert chapters[7] == "第二章 登记" and chapters[16] == "第三章 附则"
