"""PDF loader: text with page numbers, running headers/footers removed, tables as markdown, OCR for scans.

Text and its geometry come from pypdfium2 (correct Unicode for CJK fonts, true positions
inside form XObjects); pypdf reads what pdfium cannot open or parse. Tables are found by
:mod:`ingest.pdf_tables`, image-only pages are OCR'd offline by :mod:`ingest.pdf_ocr`.
Pages are processed one at a time; only their lines are kept until the document is assembled.
"""
from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from ingest import pdf_ocr
from ingest.errors import CorruptFile, EmptyDocument, EncryptedFile, TooLarge
from ingest.limits import Progress
from ingest.model import Block, ParsedDocument
from ingest.pdf_tables import PDFIUM_LOCK, Char, Table, find_tables, is_cjk, join_lines, read_chars

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair chatter on broken files; our warnings say what matters

MIN_TEXT_CHARS = 25  # a page with images and fewer characters than this in its text layer is OCR'd
OUTLINE_PATHS = 200  # a textless page with this many vector paths probably shows text converted to outlines
ZONE_LINES = 3  # lines at the top and at the bottom of a page that may be running headers/footers

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—~·•\s一－_=]*\d{1,4}[-–—~·•\s一－_=]*"  # a scan may read the dashes of "—2—" as 一 or －
    r"|第\s*[\d一二三四五六七八九十百零〇]+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|(?:page|p\.)?\s*\d+\s*(?:(?:of|/)\s*\d+)?"
    r"|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))$",
    re.IGNORECASE,
)
_NUM = r"[一二三四五六七八九十百千零〇两\d]+"
_MARKER = re.compile(
    rf"^(?:第{_NUM}(?:[条章节编篇款]|部分)"
    r"|[一二三四五六七八九十]+[、．.]"
    r"|[（(][一二三四五六七八九十\d]+[）)]"
    r"|\d+(?:\.\d+)*[.．、](?!\d)"
    r"|\d+(?:\.\d+)+\s"
    r"|[•·●▪■◆]"
    r"|附件|附录)"
)
_SENTENCE_END = tuple("。！？；：.!?;:")
_BAD_TITLE = re.compile(
    r"^(?:untitled|无标题|microsoft\s+(?:word|powerpoint|excel)|document\d*|doc\d*|slide\s*\d+|title)\b"
    r"|\.(?:docx?|pdf|tex|dvi|wps|rtf|xlsx?|pptx?|txt|indd|html?)$",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^(?:fig(?:ure)?\.?|table|图|表)\s*\d", re.IGNORECASE)
_OCR_OFF = "image-only page; OCR is disabled"
_OCR_LATE = "image-only page; OCR skipped, time limit reached"
_OCR_FAILED = "image-only page; OCR failed"


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float  # distance from the top of the page, in points
    size: float


def load_pdf(
    path: Path,
    *,
    ocr: bool = True,
    max_pages: int = 2000,
    password: str = "",
    ocr_timeout_s: float = 120.0,
    progress: Progress | None = None,
) -> ParsedDocument:
    """Load a PDF into paragraph blocks that keep their 1-based page numbers.

    Running headers, footers and page numbers are dropped; ruled tables become one markdown
    block each (``is_table=True``); pages without a text layer are OCR'd offline when ``ocr``
    is true, within ``ocr_timeout_s`` seconds for the whole document (a page already being
    read is finished). Raises :class:`EmptyDocument`, :class:`CorruptFile`,
    :class:`EncryptedFile` or :class:`TooLarge` with a one-line reason. ``progress``, when given, is
    called as ("reading page", pages done, pages) before each page and ("OCR page", pages done, pages)
    before a page is OCR'd; it may raise to stop the loading.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyDocument("file is empty (0 bytes)")
    with path.open("rb") as fh:
        if b"%PDF-" not in fh.read(1024):
            raise CorruptFile("not a PDF file (no %PDF- header)")

    notes: dict[str, list[int]] = {}
    source = _Source(path, password)
    try:
        n_pages = source.page_count()
        if n_pages == 0:
            raise EmptyDocument("PDF has no pages")
        if n_pages > max_pages:
            raise TooLarge(f"PDF has {n_pages} pages, more than the limit of {max_pages}")
        pages: list[list] = []
        ocr_pages: list[int] = []
        deadline = time.monotonic() + ocr_timeout_s
        for index in range(n_pages):
            if progress is not None:
                progress("reading page", index, n_pages)
            items, used_ocr = _read_page(source, index, ocr, deadline, notes, progress, n_pages)
            pages.append(items)
            if used_ocr:
                ocr_pages.append(index + 1)
        title = source.title()
        encrypted = source.encrypted()
    finally:
        source.close()

    unreadable = sum(1 for items in pages if items is None)
    pages = [items or [] for items in pages]
    _drop_running_lines(pages)
    blocks = [block for number, items in enumerate(pages, 1) for block in _blocks(items, number)]
    warnings = [f"pdfium could not open the file ({source.doc_error}); text from pypdf, no tables or OCR"
                ] if source.doc_error else []
    warnings += [f"{_page_list(numbers)}: {reason}" for reason, numbers in notes.items()]
    if not blocks:
        if unreadable == n_pages:
            raise CorruptFile("no page of the PDF could be read")
        raise EmptyDocument(_empty_reason(notes, ocr_timeout_s))
    first_lines = [i.text for i in pages[0] if isinstance(i, _Line) and _substantial(i.text)]
    if not title or (first_lines and not re.search(r"[\u4e00-\u9fff]", title) and _mostly_cjk(" ".join(first_lines[:5]))):
        title = _title_from_text(first_lines) or path.stem
    metadata = {
        "pages": n_pages,
        "ocr_pages": ocr_pages,
        "ocr": bool(ocr_pages),
        "tables": sum(b.is_table for b in blocks),
        "encrypted": encrypted,
    }
    return ParsedDocument(str(path), title, blocks, "pdf", metadata, warnings)


def _empty_reason(notes: dict[str, list[int]], ocr_timeout_s: float) -> str:
    if _OCR_OFF in notes:
        return "no extractable text (image-only PDF and OCR is disabled)"
    if _OCR_LATE in notes:
        return f"no extractable text (image-only PDF; OCR time limit of {ocr_timeout_s:g} s reached)"
    failure = next((reason for reason in notes if reason.startswith(_OCR_FAILED)), None)
    if failure:
        return f"no extractable text ({failure})"
    return "no extractable text (image-only PDF and OCR found nothing)"


class _Source:
    """The open PDF: pypdfium2 first; pypdf, opened only when needed, for what pdfium cannot read."""

    def __init__(self, path: Path, password: str):
        self.path, self.password = path, password
        self.doc: pdfium.PdfDocument | None = None
        self.doc_error = ""
        self._reader: PdfReader | None = None
        self._reader_error = ""
        try:
            with PDFIUM_LOCK:
                self.doc = pdfium.PdfDocument(str(path), password=password or None)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise EncryptedFile(_locked_reason(password)) from None
            self.doc_error = _short(exc)
            if self.reader() is None:
                raise CorruptFile(f"damaged PDF, cannot be opened ({self._reader_error})") from None

    def reader(self) -> PdfReader | None:
        """The pypdf reader, opened on first use; None when pypdf cannot read the file."""
        if self._reader is None and not self._reader_error:
            try:
                reader = PdfReader(str(self.path), strict=False)
                if reader.is_encrypted and not reader.decrypt(self.password):
                    raise EncryptedFile(_locked_reason(self.password))
                len(reader.pages)
                self._reader = reader
            except FileNotDecryptedError:
                raise EncryptedFile(_locked_reason(self.password)) from None
            except DependencyError as exc:
                self._reader_error = f"cannot decrypt: {_short(exc)}"
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
                self._reader_error = _short(exc)
        return self._reader

    def page_count(self) -> int:
        if self.doc is not None:
            with PDFIUM_LOCK:
                return len(self.doc)
        return len(self._reader.pages)

    def encrypted(self) -> bool:
        if self.doc is not None:
            with PDFIUM_LOCK:
                return pdfium_c.FPDF_GetSecurityHandlerRevision(self.doc) != -1
        return bool(self._reader.is_encrypted)

    def title(self) -> str:
        """The document-information title when it looks like a real title, else ''."""
        try:
            if self.doc is not None:
                with PDFIUM_LOCK:
                    raw = self.doc.get_metadata_value("Title")
            else:
                meta = self._reader.metadata
                raw = str(meta.title or "") if meta is not None else ""
        except Exception:  # noqa: BLE001 - broken metadata only costs the title
            return ""
        return _meaningful_title(raw)

    def close(self) -> None:
        if self.doc is not None:
            with PDFIUM_LOCK:
                self.doc.close()


def _locked_reason(password: str) -> str:
    if password:
        return "PDF is password-protected and the given password is wrong"
    return "PDF is password-protected; supply its password to index it"


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _read_page(source: _Source, index: int, ocr: bool, deadline: float, notes: dict,
               progress: Progress | None = None, n_pages: int = 0) -> tuple[list | None, bool]:
    """One page's lines and tables in reading order (None if unreadable), and whether OCR made them."""
    items, scan = _page_layers(source, index, ocr, deadline, notes)
    if scan is None:
        return items, False
    if progress is not None:
        progress("OCR page", index, n_pages)
    try:
        lines = _ocr_lines(*scan)
    except Exception as exc:  # noqa: BLE001 - OCR failure degrades to a warning
        _note(notes, f"{_OCR_FAILED} ({_short(exc)})", index)
        return items, False
    if not lines:
        _note(notes, "image-only page; OCR found no text", index)
        return items, False
    return lines, True


def _page_layers(source: _Source, index: int, ocr: bool, deadline: float, notes: dict):
    """The page's text-layer items, and its rendered image when it is a scan to OCR (else None)."""
    if source.doc is None:
        return _pypdf_page(source, index, notes), None
    with PDFIUM_LOCK:
        try:
            page = source.doc[index]
        except pdfium.PdfiumError as exc:
            _note(notes, f"pdfium could not read the page ({_short(exc)}); used pypdf", index)
            return _pypdf_page(source, index, notes), None
        try:
            try:
                items = _pdfium_page(page, notes, index)
            except pdfium.PdfiumError as exc:
                _note(notes, f"pdfium could not read the page ({_short(exc)}); used pypdf", index)
                items = _pypdf_page(source, index, notes)
            if items is None:
                return None, None
            text_chars = sum(len(i.text.replace(" ", "")) for i in items if isinstance(i, _Line))
            if any(isinstance(i, Table) for i in items) or not _needs_ocr(page, text_chars):
                return items, None
            if not ocr:
                _note(notes, _OCR_OFF, index)
                return items, None
            if time.monotonic() > deadline:
                _note(notes, _OCR_LATE, index)
                return items, None
            try:
                return items, pdf_ocr.render(page)
            except Exception as exc:  # noqa: BLE001 - a page that cannot be rendered is reported, not fatal
                _note(notes, f"{_OCR_FAILED} ({_short(exc)})", index)
                return items, None
        finally:
            page.close()


def _pdfium_page(page: pdfium.PdfPage, notes: dict, index: int) -> list:
    textpage = page.get_textpage()
    try:
        chars = read_chars(textpage)
    finally:
        textpage.close()
    try:
        tables = find_tables(page, chars)
    except Exception as exc:  # noqa: BLE001 - a table bug must not lose the page's text
        _note(notes, f"table detection failed ({_short(exc)})", index)
        tables = []
    return _char_lines(chars, page.get_mediabox()[3], tables)


def _pypdf_page(source: _Source, index: int, notes: dict) -> list | None:
    reader = source.reader()
    if reader is None:
        _note(notes, "page could not be read", index)
        return None
    try:
        return _fragment_lines(reader.pages[index])
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of errors on broken pages
        _note(notes, f"page could not be read ({_short(exc)})", index)
        return None


def _note(notes: dict, reason: str, index: int) -> None:
    notes.setdefault(reason, []).append(index + 1)


def _page_list(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    return ("page " if len(numbers) == 1 else "pages ") + text


def _needs_ocr(page: pdfium.PdfPage, text_chars: int) -> bool:
    """Whether the page looks like a scan: (almost) no text layer, and images, or text drawn as outlines."""
    if text_chars >= 100:
        return False
    w, h = page.get_size()
    area, paths = 0.0, 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=3):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
            continue
        x0, y0, x1, y1 = obj.get_bounds()
        area += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    coverage = area / max(w * h, 1.0)
    if text_chars < MIN_TEXT_CHARS:
        return coverage >= 0.05 or paths >= OUTLINE_PATHS
    return coverage >= 0.6


def _clean(text: str) -> str:
    """Collapse whitespace; drop spaces between CJK characters (kept after a leading 第X条-style marker)."""
    text = " ".join(text.replace("\u3000", " ").split())
    head = re.match(rf"第{_NUM}[条章节编篇]\s", text)
    keep = head.end() if head else 0
    chars = text[keep:]
    body = "".join(ch for i, ch in enumerate(chars)
                   if not (ch == " " and 0 < i < len(chars) - 1 and is_cjk(chars[i - 1]) and is_cjk(chars[i + 1])))
    return text[:keep] + body


def _char_lines(chars: list[Char], top: float, tables: list[Table]) -> list:
    """Lines from pdfium characters, with each table put in place of the lines inside it."""
    items: list = []
    placed: set[int] = set()
    run: list[Char] = []

    def flush() -> None:
        visible = [c for c in run if c.ch.strip() and not c.generated]
        text = _clean("".join(c.ch for c in run))
        run.clear()
        if not visible or not text:
            return
        hit = next((k for k, t in enumerate(tables) if t.contains(visible[0].x0, visible[0].baseline)), None)
        if hit is None:
            size = sorted(c.size for c in visible)[len(visible) // 2] or 10.0
            items.append(_Line(text, min(c.x0 for c in visible), max(c.x1 for c in visible),
                               top - max(c.top for c in visible), size))
        elif hit not in placed:
            placed.add(hit)
            items.append(tables[hit])

    soft = False
    last: Char | None = None
    for c in chars:
        if c.ch in "\r\n":
            soft = soft or c.ch == "\n"
            continue
        if c.generated or not c.ch.strip():
            run.append(c)
            continue
        if last is not None:
            gap = c.x0 - last.x1
            beside = -0.5 * c.size <= gap < max(c.size, last.size) and c.bottom < last.top and c.top > last.bottom
            if soft and not beside:
                flush()
            elif not soft and c.x0 < last.x0 and abs(c.baseline - last.baseline) > 0.5 * c.size:
                flush()
            elif soft and gap > 0.15 * c.size and not (is_cjk(last.ch) and is_cjk(c.ch)):
                run.append(c._replace(ch=" ", generated=True))
        soft = False
        run.append(c)
        last = c
    flush()
    return items + [t for k, t in enumerate(tables) if k not in placed]


def _estimate_width(text: str) -> float:
    """Rough width of ``text`` in ems, where the real glyph widths are unknown."""
    return sum(1.0 if is_cjk(c) else 0.3 if c == " " else 0.65 if c.isupper() else 0.5 for c in text)


def _fragment_lines(page) -> list[_Line]:
    """Lines of one page from pypdf, placed by its text operators, with estimated widths."""
    fragments = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: fragments.append((text, cm, tm, size)))
    top = float(page.mediabox.top)
    lines: list[_Line] = []
    cur: _Line | None = None
    for text, cm, tm, font_size in fragments + [("\n", [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0], 0)]:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.sqrt(abs((tm[0] * cm[0] + tm[1] * cm[2]) * (tm[2] * cm[1] + tm[3] * cm[3])
                              - (tm[0] * cm[1] + tm[1] * cm[3]) * (tm[2] * cm[0] + tm[3] * cm[2])))
        size = font_size * scale if 1 <= font_size * scale <= 300 else (font_size or 10.0)
        for j, piece in enumerate(text.split("\n")):
            if j and cur is not None:
                cur.text = _clean(cur.text)
                if cur.text:
                    lines.append(cur)
                cur = None
            if not piece:
                continue
            end = x + _estimate_width(piece) * size
            if cur is None:
                cur = _Line(piece, x, end, top - y, size)
            else:
                cur.text += piece
                cur.x1 = max(cur.x1, end)
    return lines


def _ocr_lines(image, scale: float) -> list[_Line]:
    lines = []
    for boxes in pdf_ocr.read(image, scale):
        text = _LINE_START_PUNCT.sub("", _clean(pdf_ocr.line_text(boxes)))  # no line starts with these; a speck read as one
        if text:
            height = sorted(b.height for b in boxes)[len(boxes) // 2]
            lines.append(_Line(text, boxes[0].x0, max(b.x1 for b in boxes), min(b.top for b in boxes), 0.8 * height))
    return lines


def _drop_running_lines(pages: list[list]) -> None:
    """Remove page numbers and lines repeated (digits ignored) at the top or bottom of many pages."""
    zones: list[list[_Line]] = []
    counts: Counter[str] = Counter()
    for items in pages:
        lines = sorted((i for i in items if isinstance(i, _Line)), key=lambda l: l.top)
        zone = lines if len(lines) <= 2 * ZONE_LINES else lines[:ZONE_LINES] + lines[-ZONE_LINES:]
        zones.append(zone)
        counts.update({_digitless(l.text) for l in zone})
    with_text = sum(1 for z in zones if z)
    threshold = max(2, math.ceil((0.5 if with_text < 10 else 0.4) * with_text))
    for items, zone in zip(pages, zones):
        drop = {id(l) for l in zone
                if _PAGE_NUMBER.match(l.text)
                or (with_text >= 2 and counts[_digitless(l.text)] >= threshold and not _CAPTION.match(l.text))}
        items[:] = [i for i in items if id(i) not in drop]


def _digitless(text: str) -> str:
    return re.sub(r"[\d一二三四五六七八九十百零〇]+", "#", re.sub(r"\s+", "", text)).lower()


def _blocks(items: list, page: int) -> list[Block]:
    """Paragraph and table blocks of one page."""
    lines = [i for i in items if isinstance(i, _Line)]
    edges = _right_edges(lines)
    pitch = _pitch(lines)
    blocks: list[Block] = []
    para: list[str] = []
    prev: _Line | None = None

    def close() -> None:
        text = join_lines(para)
        if text:
            blocks.append(Block(text, page=page))
        para.clear()

    for item in items:
        if isinstance(item, Table):
            close()
            blocks.append(Block(item.markdown(), page=page, is_table=True))
            prev = None
            continue
        if prev is not None and _breaks(prev, item, edges[id(prev)], pitch):
            close()
        para.append(item.text)
        prev = item
    close()
    return blocks


def _right_edges(lines: list[_Line]) -> dict[int, tuple[float, bool]]:
    """For each line, its column's usual right edge (from nearby lines starting where it starts)
    and whether that column is justified (most lines end at that edge) rather than ragged."""
    out = {}
    for line in lines:
        ends = sorted(o.x1 for o in lines
                      if abs(o.x0 - line.x0) <= 3 * line.size and abs(o.top - line.top) <= 12 * line.size)
        right = ends[int(0.75 * (len(ends) - 1))] if ends else line.x1
        flush = sum(1 for e in ends if e >= right - line.size)
        out[id(line)] = (right, flush >= 0.7 * len(ends))
    return out


def _pitch(lines: list[_Line]) -> float | None:
    """The page's usual line spacing, in units of the line's size."""
    ratios = sorted((b.top - a.top) / a.size for a, b in zip(lines, lines[1:])
                    if 0.8 * a.size < b.top - a.top < 3 * a.size)
    return ratios[len(ratios) // 2] if ratios else None


def _breaks(prev: _Line, line: _Line, edge: tuple[float, bool], pitch: float | None) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev``.

    ``prev`` is short when it stops clearly before its column's right edge and, in ragged-right
    text, the first word of ``line`` would have fitted after it: the author broke the line.
    """
    right, justified = edge
    first_word = re.match(r"\S[^\s\u2e80-\u9fff]*", line.text).group()[:20]
    short = prev.x1 < right - 1.5 * prev.size and (
        justified or prev.x1 + (_estimate_width(first_word) + 0.5) * line.size < right)
    last = prev.text[-1]
    if _HEAD_OF_PART.match(line.text) and not prev.text.endswith(("第", "依照", "依据", "根据", "按照", "本法", "本条例", "前款", "和", "及", "或者")):
        return True  # an article or a chapter starts on its own line, whatever a scan lost at the end of the one before
    marker = _MARKER.match(line.text)
    if marker:
        glued = not line.text[marker.end():marker.end() + 1].isspace() and not marker.group().endswith(
            tuple("、．.)）•·●▪■◆"))
        if not (glued and not short and (is_cjk(last) or last.isalnum()) and not last.endswith(_SENTENCE_END)):
            return True
    if abs(line.size - prev.size) > 0.2 * max(line.size, prev.size):
        return True
    if pitch and line.top - prev.top > 1.6 * pitch * prev.size:
        return True
    if prev.text.endswith(_SENTENCE_END) and (short or line.x0 > prev.x0 + 0.8 * line.size):
        return True
    return short and (is_cjk(last) or last.isalnum())


_NAMED_TITLE = re.compile(r"^(?:中华人民共和国)?[\u4e00-\u9fff（）()《》、]{2,60}?(?:条例|法|办法|规定|细则|解释|决定|规则|指南|意见|通知|公告)"
                          r"(?:（[^）]{1,20}）)?(?=$|\s|\d|[（(]|\d{4}年|[一二〇零]{4}年)")
_HEAD_OF_PART = re.compile(r"^第[零〇一二两三四五六七八九十百千\d]+(?:条|[编章节])(?!(?:第|规定|的|之|所|中|[和与及或至到]|[、，,。；;：:）)]))")


_LINE_START_PUNCT = re.compile(r"^[：:，,。、；;．.·!！?？\s]+(?=\S)")


def _mostly_cjk(text: str) -> bool:
    return len(re.findall(r"[\u4e00-\u9fff]", text)) > len(re.findall(r"[A-Za-z]", text))


def _title_from_text(lines: list[str]) -> str:
    """The title of a document from its first lines: the name of a law (up to 条例/法/办法/规定…) at the start of one of
    the first three, cut before a date that a scan put on the same line; else the first line."""
    for line in lines[:3]:
        m = _NAMED_TITLE.match(line.replace(" ", ""))
        if m:
            return m.group(0)
    return lines[0][:200] if lines else ""


def _substantial(text: str) -> bool:
    return len(re.findall(r"[A-Za-z\u4e00-\u9fff]", text)) >= 4 and not _PAGE_NUMBER.match(text)


def _meaningful_title(raw: str) -> str:
    """``raw`` tidied when it looks like a real title (not a file name or a tool's default), else ''."""
    title = " ".join((raw or "").replace("\x00", "").split())
    if len(title) < 3 or "\ufffd" in title or _BAD_TITLE.search(title):
        return ""
    if not re.search(r"[A-Za-z]{2}|[\u4e00-\u9fff]", title) or re.fullmatch(r"[\w.\-]*\d{4,}[\w.\-]*", title):
        return ""
    return title[:200]
