"""Read a file of a supported format into a ParsedDocument (blocks in reading order)."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

from .errors import CorruptFile, EmptyDocument, EncryptedFile, TooLarge, UnsupportedFormat
from .limits import Progress
from .model import Block, ParsedDocument
from .textdecode import decode_text

SUPPORTED = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
_DOCX_MAX_UNZIPPED = 200 * 1024 * 1024  # bytes actually inflated from one DOCX, all members together
_DOCX_MAX_RATIO = 200  # inflated / compressed bytes of one member, on the real bytes once past _DOCX_RATIO_FLOOR
_DOCX_RATIO_FLOOR = 1024 * 1024
_DOCX_MAX_MEMBERS = 10_000
_INFLATE_CHUNK = 1024 * 1024  # most bytes inflated at a time
_READ_CHUNK = 64 * 1024  # compressed bytes read at a time
_REPORT_EVERY = 256  # blocks between progress reports in the DOCX and HTML loops


def load(path: Path, *, ocr: bool = True, max_pages: int = 2000, progress: Progress | None = None) -> ParsedDocument:
    """Load ``path`` by its extension; raises an IngestError subclass with a clear reason.

    ``progress(stage, done, total)``, when given, hears of the loader's progress ("reading page", "OCR page",
    "unpacking DOCX", "parsing HTML", "reading" for blocks) and may raise to stop it."""
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(SUPPORTED))}")
    if path.stat().st_size == 0:
        raise EmptyDocument("the file is empty (0 bytes)")
    match fmt:
        case "markdown":
            doc = load_markdown(path)
        case "text":
            doc = load_text(path)
        case "pdf":
            from .pdf import load_pdf

            doc = load_pdf(path, ocr=ocr, max_pages=max_pages, progress=progress)
        case "docx":
            doc = load_docx(path, progress=progress)
        case "html":
            doc = load_html(path, progress=progress)
    if not any(b.text.strip() for b in doc.blocks):
        raise EmptyDocument("no text found in the file")
    return doc


def markdown_blocks(text: str) -> tuple[list[Block], str | None, dict]:
    """Blocks of a markdown text, its first ``#`` title, and ``> key：value | …`` metadata lines."""
    blocks: list[Block] = []
    title = None
    meta: dict = {}
    table: list[str] = []
    for raw in _strip_comments(text).splitlines():
        line = raw.strip()
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            blocks.append(Block("\n".join(table), is_table=True))
            table = []
        if not line:
            continue
        m = _atx_heading(line)
        if m:
            level, heading = m
            if level == 1 and title is None:
                title = heading
            blocks.append(Block(heading, level=level))
        elif line.startswith(">") and ("|" in line or "：" in line or ":" in line) and not meta and len(blocks) <= 2:
            meta = parse_meta_line(line.lstrip("> ").strip())
            if not meta:
                blocks.append(Block(line.lstrip("> ").strip()))
        else:
            blocks.append(Block(line))
    if table:
        blocks.append(Block("\n".join(table), is_table=True))
    return blocks, title, meta


def _strip_comments(text: str) -> str:
    """``text`` without its HTML comments: what ``re.sub(r"<!--.*?-->", "", text, flags=re.S)`` returns, in linear
    time (that regex rescans to the end from every unclosed ``<!--``)."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1 and (end := text.find("-->", start + 4)) != -1:
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)


def _atx_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a markdown ``#`` heading line, closing ``#``s dropped, else None.

    What ``^(#{1,6})\\s+(.*?)\\s*#*\\s*$`` matches (for a line without a newline, as from splitlines), done
    with string methods: that regex backtracks cubically on a heading with a long run of spaces inside."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or not line[level:level + 1].isspace():
        return None
    return level, line[level:].strip().rstrip("#").strip()


def parse_meta_line(line: str) -> dict:
    """``类型：指南 | 适用范围：全国`` → {"类型": "指南", "适用范围": "全国"} (empty if not of that form)."""
    out = {}
    for part in filter(None, (p.strip() for p in line.split("|"))):
        key, sep, value = re.split(r"([：:])", part, maxsplit=1) if re.search(r"[：:]", part) else (part, "", "")
        if not sep or not key.strip() or len(key.strip()) > 20:
            return {}
        out[key.strip()] = value.strip()
    return out


def load_markdown(path: Path) -> ParsedDocument:
    """Markdown: headings keep their level, tables stay whole, HTML comments are dropped."""
    text, enc = decode_text(path.read_bytes())
    blocks, title, meta = markdown_blocks(text)
    return ParsedDocument(str(path), title or path.stem, blocks, "markdown", {"encoding": enc, "header": meta})


def load_text(path: Path) -> ParsedDocument:
    """Plain text in UTF-8, UTF-16 or GB18030/GBK: one block per non-empty line."""
    text, enc = decode_text(path.read_bytes())
    blocks = [Block(line.strip()) for line in text.splitlines() if line.strip()]
    title = blocks[0].text[:80] if blocks and len(blocks[0].text) <= 80 else path.stem
    return ParsedDocument(str(path), title, blocks, "text", {"encoding": enc})


def _bomb(reason: str) -> TooLarge:
    return TooLarge(f"DOCX {reason}: refused as a possible zip bomb")


def _check_zip(path: Path, progress: Progress | None = None) -> io.BytesIO:
    """The DOCX's members inflated under hard limits and re-zipped, uncompressed, in memory.

    The sizes a zip declares are only used to refuse early; every member is inflated here a chunk at a time
    while its real bytes are counted, stopping with TooLarge once they pass ``_DOCX_MAX_UNZIPPED`` in all, or
    ``_DOCX_MAX_RATIO`` times the member's compressed bytes read so far. A member whose real size or CRC differs
    from what it declares is refused as damaged. python-docx then reads only this checked copy, never the original.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFile(f"not a valid DOCX (not a zip archive: {exc})") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > _DOCX_MAX_UNZIPPED or total / packed > _DOCX_MAX_RATIO:
        raise _bomb(f"unpacks to {total / 2**20:.0f} MiB ({total / packed:.0f}x its size)")
    if len(infos) > _DOCX_MAX_MEMBERS:
        raise TooLarge(f"DOCX holds {len(infos):,} files, more than the limit of {_DOCX_MAX_MEMBERS:,}")
    names = [i.filename for i in infos]
    if "word/document.xml" not in names:
        raise CorruptFile("not a valid DOCX (no word/document.xml inside)")
    if len(set(names)) != len(names):
        raise CorruptFile("not a valid DOCX (the same file appears twice inside)")
    copy = io.BytesIO()
    inflated = 0
    with path.open("rb") as raw, zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as out:
        for n, info in enumerate(infos):
            if progress is not None:
                progress("unpacking DOCX", n, len(infos))
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise EncryptedFile("the DOCX is password-protected; remove the password and upload it again")
            real = crc = 0
            with out.open(zipfile.ZipInfo(info.filename), "w") as sink:
                for piece, consumed in _inflate(raw, info):
                    real += len(piece)
                    inflated += len(piece)
                    if inflated > _DOCX_MAX_UNZIPPED:
                        raise _bomb(f"unpacks to more than {_DOCX_MAX_UNZIPPED / 2**20:.0f} MiB")
                    if real > _DOCX_RATIO_FLOOR and real > _DOCX_MAX_RATIO * max(consumed, 1):
                        raise _bomb(f"member {info.filename} unpacks to more than {_DOCX_MAX_RATIO}x its compressed size")
                    crc = zlib.crc32(piece, crc)
                    sink.write(piece)
            if real != info.file_size or crc != info.CRC:
                raise CorruptFile(f"not a valid DOCX ({info.filename} inside is damaged: its size or checksum is wrong)")
    copy.seek(0)
    return copy


def _inflate(raw, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
    """The real bytes of one zip member, at most ``_INFLATE_CHUNK`` at a time, whatever its header declares,
    each with the number of compressed bytes consumed so far."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise CorruptFile(f"not a valid DOCX (bad zip entry for {info.filename})")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            data = raw.read(min(_INFLATE_CHUNK, left))
            if not data:
                raise CorruptFile(f"not a valid DOCX ({info.filename} inside is truncated)")
            left -= len(data)
            yield data, info.compress_size - left
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise CorruptFile(f"not a valid DOCX ({info.filename} inside uses unsupported compression method {info.compress_type})")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = raw.read(min(_READ_CHUNK, left)) if left > 0 else b""
                if not data:
                    raise CorruptFile(f"not a valid DOCX ({info.filename} inside is truncated)")
                left -= len(data)
            piece = inflater.decompress(data, _INFLATE_CHUNK)
            if piece:
                yield piece, info.compress_size - left - len(inflater.unconsumed_tail)
    except zlib.error as exc:
        raise CorruptFile(f"not a valid DOCX ({info.filename} inside is damaged: {exc})") from exc


def table_markdown(rows: list[list[str]]) -> str:
    """Rows of cell texts as a markdown table, the first row as header."""
    rows = [[c.replace("|", "\\|").replace("\n", " ").strip() for c in r] for r in rows if any(c.strip() for c in r)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def load_docx(path: Path, progress: Progress | None = None) -> ParsedDocument:
    """DOCX: paragraphs with heading levels, list items, and tables as markdown, in body order.

    python-docx reads a copy of the package inflated under hard size limits (see :func:`_check_zip`)."""
    package = _check_zip(path, progress)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(package)
    except Exception as exc:
        raise CorruptFile(f"cannot read DOCX: {exc}") from exc
    finally:
        package.close()
    blocks: list[Block] = []
    children = list(document.element.body.iterchildren())
    for n, child in enumerate(children):
        if progress is not None and not n % _REPORT_EVERY:
            progress("reading", n, len(children))
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            level = int(m.group(1)) if m else (1 if style == "Title" else None)
            blocks.append(Block(text, level=level))
        elif tag == "tbl":
            table = Table(child, document)
            md = table_markdown([[cell.text for cell in row.cells] for row in table.rows])
            if md:
                blocks.append(Block(md, is_table=True))
    title = (document.core_properties.title or "").strip() or next((b.text for b in blocks if b.level), None) or path.stem
    return ParsedDocument(str(path), title, blocks, "docx", {})


_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "template", "button")


def load_html(path: Path, progress: Progress | None = None) -> ParsedDocument:
    """HTML: the main content only (no navigation, scripts or styles); headings, paragraphs, lists and tables."""
    from bs4 import BeautifulSoup

    report = progress or (lambda stage, done, total: None)
    text, enc = decode_text(path.read_bytes())
    report("parsing HTML", 0, 1)
    soup = BeautifulSoup(text, "lxml")
    del text
    report("parsing HTML", 1, 1)
    title = (soup.title.get_text(strip=True) if soup.title else "") or ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.select('[role="navigation"], [role="banner"], [role="contentinfo"], .nav, .navbar, .menu, .breadcrumb, .sidebar, .footer, .header'):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup
    blocks: list[Block] = []
    elements = root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote", "dd", "dt"])
    for n, el in enumerate(elements):
        if not n % _REPORT_EVERY:
            report("reading", n, len(elements))
        if el.name != "table" and el.find_parent("table") is not None:
            continue
        if el.name in ("p", "li") and el.find_parent(["li", "blockquote"]) is not None and el.find(["p", "li"]) is None and el.name == "p":
            continue
        if el.name == "table":
            md = table_markdown([[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in el.find_all("tr")])
            if md:
                blocks.append(Block(md, is_table=True))
            continue
        txt = el.get_text(" ", strip=True)
        txt = re.sub(r"(?<=[\u3400-\u9fff，。；：、）（])\s+(?=[\u3400-\u9fff，。；：、（）])", "", txt)
        if txt:
            blocks.append(Block(txt, level=int(el.name[1]) if el.name[0] == "h" and el.name[1:].isdigit() else None))
    if not blocks:
        raw = re.sub(r"\s+", " ", root.get_text(" ", strip=True)).strip()
        if raw:
            blocks = [Block(raw)]
    if not blocks:
        raise EmptyDocument("the HTML page has no main content (only navigation, scripts or styles)")
    title = title or next((b.text for b in blocks if b.level), path.stem)
    return ParsedDocument(str(path), title, blocks, "html", {"encoding": enc})
