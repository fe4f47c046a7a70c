"""Read a file of a supported format into a ParsedDocument (blocks in reading order)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .errors import CorruptFile, EmptyDocument, TooLarge, UnsupportedFormat
from .model import Block, ParsedDocument
from .textdecode import decode_text

SUPPORTED = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DOCX_MAX_UNZIPPED = 200 * 1024 * 1024
_DOCX_MAX_RATIO = 200


def load(path: Path, *, ocr: bool = True, max_pages: int = 2000) -> ParsedDocument:
    """Load ``path`` by its extension; raises an IngestError subclass with a clear reason."""
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

            doc = load_pdf(path, ocr=ocr, max_pages=max_pages)
        case "docx":
            doc = load_docx(path)
        case "html":
            doc = load_html(path)
    if not any(b.text.strip() for b in doc.blocks):
        raise EmptyDocument("no text found in the file")
    return doc


def markdown_blocks(text: str) -> tuple[list[Block], str | None, dict]:
    """Blocks of a markdown text, its first ``#`` title, and ``> key：value | …`` metadata lines."""
    blocks: list[Block] = []
    title = None
    meta: dict = {}
    table: list[str] = []
    for raw in _COMMENT.sub("", text).splitlines():
        line = raw.strip()
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            blocks.append(Block("\n".join(table), is_table=True))
            table = []
        if not line:
            continue
        m = _HEADING.match(line)
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
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


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptFile(f"not a valid DOCX (not a zip archive: {exc})") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > _DOCX_MAX_UNZIPPED or total / packed > _DOCX_MAX_RATIO:
        raise TooLarge(f"DOCX unpacks to {total / 2**20:.0f} MiB ({total / packed:.0f}x its size): refused as a possible zip bomb")
    if "word/document.xml" not in {i.filename for i in infos}:
        raise CorruptFile("not a valid DOCX (no word/document.xml inside)")


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


def load_docx(path: Path) -> ParsedDocument:
    """DOCX: paragraphs with heading levels, list items, and tables as markdown, in body order."""
    _check_zip(path)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise CorruptFile(f"cannot read DOCX: {exc}") from exc
    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
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


def load_html(path: Path) -> ParsedDocument:
    """HTML: the main content only (no navigation, scripts or styles); headings, paragraphs, lists and tables."""
    from bs4 import BeautifulSoup

    text, enc = decode_text(path.read_bytes())
    soup = BeautifulSoup(text, "lxml")
    title = (soup.title.get_text(strip=True) if soup.title else "") or ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.select('[role="navigation"], [role="banner"], [role="contentinfo"], .nav, .navbar, .menu, .breadcrumb, .sidebar, .footer, .header'):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup
    blocks: list[Block] = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote", "dd", "dt"]):
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
