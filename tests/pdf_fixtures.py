"""Builders for the PDFs the PDF-loader tests need, made at test time (no binary fixtures).

A minimal PDF writer: Chinese text uses the standard CID font STSong-Light with the
UniGB-UCS2-H encoding (no font file needed), Latin text uses Helvetica. All content is
invented for the tests.
"""
from __future__ import annotations

import io
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAGE_W, PAGE_H = 595, 842


def _latin(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


class PdfBuilder:
    """Collects pages (content streams plus optional images) and writes a PDF file."""

    def __init__(self) -> None:
        self._objects: dict[int, bytes] = {}
        self._next = 1
        self._catalog = self._reserve()
        self._pages_id = self._reserve()
        self._page_ids: list[int] = []
        self._cjk_font = self._add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
            b"/DescendantFonts [" + str(self._next + 1).encode() + b" 0 R] >>")
        descriptor = self._next + 1
        self._add(
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
            b"/FontDescriptor " + str(descriptor).encode() + b" 0 R /DW 1000 /W [1 95 500] >>")
        self._add(
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
        self._latin_font = self._add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")

    def _reserve(self) -> int:
        n = self._next
        self._next += 1
        return n

    def _add(self, body: bytes) -> int:
        n = self._reserve()
        self._objects[n] = body
        return n

    def _stream(self, data: bytes, extra: bytes = b"") -> int:
        packed = zlib.compress(data)
        return self._add(b"<< /Length " + str(len(packed)).encode() + b" /Filter /FlateDecode " + extra
                         + b" >>\nstream\n" + packed + b"\nendstream")

    def page(self, content: str, image: Image.Image | None = None) -> None:
        """Add a page drawing ``content`` (PDF operators); ``image`` (if any) covers the page as ``/Im1``."""
        xobjects = b""
        if image is not None:
            buf = io.BytesIO()
            image.convert("L").save(buf, "JPEG", quality=90)
            w, h = image.size
            data = buf.getvalue()
            img = self._add(
                b"<< /Type /XObject /Subtype /Image /Width " + str(w).encode() + b" /Height " + str(h).encode()
                + b" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length "
                + str(len(data)).encode() + b" >>\nstream\n" + data + b"\nendstream")
            xobjects = b" /XObject << /Im1 " + str(img).encode() + b" 0 R >>"
            content = f"q {PAGE_W} 0 0 {PAGE_H} 0 0 cm /Im1 Do Q\n" + content
        stream = self._stream(content.encode("latin-1"))
        resources = (b"<< /Font << /F1 " + str(self._cjk_font).encode() + b" 0 R /F2 "
                     + str(self._latin_font).encode() + b" 0 R >>" + xobjects + b" >>")
        self._page_ids.append(self._add(
            b"<< /Type /Page /Parent " + str(self._pages_id).encode() + b" 0 R /MediaBox [0 0 "
            + f"{PAGE_W} {PAGE_H}".encode() + b"] /Resources " + resources
            + b" /Contents " + str(stream).encode() + b" 0 R >>"))

    def save(self, path: Path, title: str | None = None) -> Path:
        """Write the PDF to ``path`` (with an Info /Title when given) and return the path."""
        kids = b" ".join(str(p).encode() + b" 0 R" for p in self._page_ids)
        self._objects[self._pages_id] = (b"<< /Type /Pages /Kids [" + kids + b"] /Count "
                                         + str(len(self._page_ids)).encode() + b" >>")
        self._objects[self._catalog] = b"<< /Type /Catalog /Pages " + str(self._pages_id).encode() + b" 0 R >>"
        info = None
        if title is not None:
            info = self._add(b"<< /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode() + b"> >>")
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = {}
        for n in range(1, self._next):
            offsets[n] = len(out)
            out += str(n).encode() + b" 0 obj\n" + self._objects[n] + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 " + str(self._next).encode() + b"\n0000000000 65535 f \n"
        for n in range(1, self._next):
            out += f"{offsets[n]:010d} 00000 n \n".encode()
        out += b"trailer\n<< /Size " + str(self._next).encode() + b" /Root " + str(self._catalog).encode() + b" 0 R"
        if info:
            out += b" /Info " + str(info).encode() + b" 0 R"
        out += b" >>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n"
        path.write_bytes(bytes(out))
        return path


def text(x: float, y: float, s: str, size: float = 12, latin: bool = False, gap_em: float = 0,
         matrix: bool = False) -> str:
    """Operators drawing ``s`` with its baseline starting at (x, y), spaced out by ``gap_em`` ems;
    with ``matrix`` the size comes from the text matrix (``1 Tf`` + ``Tm``), as some producers write."""
    if latin and matrix:
        return f"BT /F2 1 Tf {size} 0 0 {size} {x} {y} Tm {_latin(s)} Tj ET\n"
    if latin:
        return f"BT /F2 {size} Tf {x} {y} Td {_latin(s)} Tj ET\n"
    glyphs = f" {-1000 * gap_em:g} ".join(f"<{ch.encode('utf-16-be').hex().upper()}>" for ch in s)
    return f"BT /F1 {size} Tf {x} {y} Td [{glyphs}] TJ ET\n"


def hline(x0: float, x1: float, y: float, width: float = 0.6) -> str:
    return f"{width} w {x0} {y} m {x1} {y} l S\n"


def vline(x: float, y0: float, y1: float, width: float = 0.6) -> str:
    return f"{width} w {x} {y0} m {x} {y1} l S\n"


def wrap(s: str, per_line: int) -> list[str]:
    """Split ``s`` into lines of ``per_line`` full-width characters (the last line may be shorter)."""
    return [s[i:i + per_line] for i in range(0, len(s), per_line)]


HEADER = "示例市创意成果保护办法（征求意见稿）"
ARTICLES = [
    "第一条 为了鼓励发明创造和文艺创作，规范本市创意成果的登记、使用和保护活动，维护创作者与使用者双方的合法权益，结合本市实际情况，制定本办法。",
    "第二条 本办法所称创意成果，是指自然人、法人或者其他组织在本市范围内独立完成，并能够以有形形式加以复制的设计方案、图样、程序和文字作品。",
    "第三条 市创意成果管理中心负责登记簿的建立和维护，定期公布登记目录，并为申请人提供免费的查询服务；区级服务站应当配合做好材料受理和初步核对工作。",
    "第四条 申请登记的，应当提交申请表、成果样本和身份证明。材料齐全的，管理中心应当在十个工作日内完成登记；材料不齐全的，应当一次性告知需要补正的全部内容。",
    "第五条 任何单位和个人未经登记人许可，不得以营利为目的复制、改编或者展示已登记的创意成果，但为个人学习、课堂教学或者新闻报道适当引用的除外。",
    "第六条 违反本办法第五条规定的，由管理中心责令停止使用，并可以处以五千元以下的罚款；情节严重的，处以五千元以上二万元以下的罚款，同时记入信用档案。",
]
CHARS_PER_LINE = 30
LEFT = 72
SIZE = 12
LEADING = 20


def chinese_document(path: Path, title: str | None = None) -> Path:
    """Three pages of invented articles with a running header, a page-number footer and a
    "第 N 页 共 3 页" line on every page; the title is letter-spaced and article 四 is split
    across pages 1 and 2."""
    lines: list[str] = ["示例市创意成果保护办法", "第一章 总则"]
    for art in ARTICLES[:3]:
        lines += wrap(art, CHARS_PER_LINE)
    lines.append("第二章 登记与使用")
    for art in ARTICLES[3:]:
        lines += wrap(art, CHARS_PER_LINE)
    per_page = [lines[:14], lines[14:18], lines[18:]]
    pdf = PdfBuilder()
    for number, page_lines in enumerate(per_page, 1):
        ops = text(LEFT, 800, HEADER, 9) + hline(LEFT, 523, 792, 0.5)
        y = 760
        for line in page_lines:
            if line == "示例市创意成果保护办法":
                ops += text(120, y, line, 16, gap_em=1)
                y -= 30
                continue
            heading = line.startswith(("第一章", "第二章"))
            ops += text((PAGE_W - SIZE * len(line)) / 2 if heading else LEFT, y, line, SIZE)
            y -= LEADING
        ops += text(282, 40, f"— {number} —", 10)
        ops += text(250, 24, f"第 {number} 页 共 {len(per_page)} 页", 9)
        pdf.page(ops)
    return pdf.save(path, title)


LATIN_PARAGRAPH = [
    "Creative works registered under this scheme remain the prop-",
    "erty of their authors, who may license them to third parties",
    "on terms they choose.",
]


def latin_document(path: Path) -> Path:
    """One page with a hyphenated English paragraph (sized by its text matrix) and a "Page 1 of 1" footer."""
    ops = text(LEFT, 760, "Scheme for Creative Works", 16, latin=True)
    y = 730
    for line in LATIN_PARAGRAPH:
        ops += text(LEFT, y, line, 11, latin=True, matrix=True)
        y -= 15
    ops += text(LEFT, y - 10, "A second paragraph starts here after a blank line.", 11, latin=True)
    ops += text(270, 30, "Page 1 of 1", 9, latin=True)
    pdf = PdfBuilder()
    pdf.page(ops)
    return pdf.save(path)


TABLE_ROWS = [
    ["项目", "费用（元）", "备注"],
    ["登记申请", "100", "每件"],
    ["加急办理", "300", "五个工作日内"],
    ["证书补发", "50", "需提交声明"],
]
COLUMN_X = [LEFT, 230, 360]


def table_document(path: Path, grid: bool = False) -> Path:
    """Two pages; page 2 holds a paragraph, a fee table (three rules, or a full grid) and a note."""
    pdf = PdfBuilder()
    ops = text(LEFT, 760, "示例收费说明", 16)
    for i, line in enumerate(wrap(ARTICLES[0], CHARS_PER_LINE)):
        ops += text(LEFT, 730 - i * LEADING, line)
    pdf.page(ops)
    ops = text(LEFT, 760, "下表列出各项服务的收费标准。", SIZE)
    top, row_h = 740, 22
    bottom = top - row_h * len(TABLE_ROWS)
    if grid:
        for r in range(len(TABLE_ROWS) + 1):
            ops += hline(LEFT - 6, 500, top - r * row_h)
        for x in [LEFT - 6, COLUMN_X[1] - 6, COLUMN_X[2] - 6, 500]:
            ops += vline(x, bottom, top)
    else:
        ops += hline(LEFT - 6, 500, top, 1.0) + hline(LEFT - 6, 500, top - row_h) + hline(LEFT - 6, 500, bottom, 1.0)
    for r, row in enumerate(TABLE_ROWS):
        for x, cell in zip(COLUMN_X, row):
            ops += text(x, top - r * row_h - 15, cell)
    ops += text(LEFT, bottom - 30, "以上收费标准自公布之日起施行。", SIZE)
    pdf.page(ops)
    return pdf.save(path)


OCR_LINES = ["PATENT OFFICE NOTICE", "Renewal fees are due", "before the deadline"]


def scan_image(lines: list[str] = OCR_LINES) -> Image.Image:
    """A white A4 page image (150 dpi) with large black text that OCR should read back."""
    img = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=44)
    for i, line in enumerate(lines):
        draw.text((150, 200 + i * 90), line, fill=0, font=font)
    return img


def scanned_document(path: Path) -> Path:
    """A one-page image-only PDF, saved by Pillow."""
    scan_image().convert("RGB").save(path, "PDF", resolution=150)
    return path


def mixed_document(path: Path) -> Path:
    """Page 1 has a text layer; page 2 is only a scanned image."""
    pdf = PdfBuilder()
    ops = text(LEFT, 760, "示例扫描件说明", 16)
    for i, line in enumerate(wrap(ARTICLES[1], CHARS_PER_LINE)):
        ops += text(LEFT, 730 - i * LEADING, line)
    pdf.page(ops)
    pdf.page("", image=scan_image())
    return pdf.save(path)


def outline_document(path: Path) -> Path:
    """One page whose only text is drawn as filled rectangles (text converted to outlines)."""
    img = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(img).text((10, 20), "TRADEMARK RENEWAL FORM", fill=0, font=ImageFont.load_default(size=56))
    unit = 0.5  # points per pixel
    ops = []
    px = img.load()
    for row in range(img.height):
        col = 0
        while col < img.width:
            if px[col, row] < 128:
                start = col
                while col < img.width and px[col, row] < 128:
                    col += 1
                ops.append(f"{LEFT + start * unit:.1f} {700 - row * unit:.1f} {(col - start) * unit:.1f} {unit} re f")
            col += 1
    pdf = PdfBuilder()
    pdf.page("0 g\n" + "\n".join(ops) + "\n")
    return pdf.save(path)


def encrypt(src: Path, dst: Path, user_password: str, owner_password: str = "owner-secret") -> Path:
    """``src`` re-written with RC4-128 encryption (needs no extra crypto package)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    with dst.open("wb") as fh:
        writer.write(fh)
    return dst
