"""Drafts exported as Markdown (``[^n]`` footnotes) and as Word documents with real footnotes."""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from .drafts import Draft, citation_note

_MARKER = re.compile(r"\[(\d{1,3})\]")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_PART = "/word/footnotes.xml"


def draft_markdown(draft: Draft) -> str:
    """The draft as Markdown: [n] markers become [^n] footnote references, defined at the end."""
    known = {int(c["n"]): c for c in draft.citations}
    body = _MARKER.sub(lambda m: f"[^{m.group(1)}]" if int(m.group(1)) in known else m.group(0), draft.body)
    notes = [f"[^{n}]: {citation_note(c, draft.language)}" for n, c in sorted(known.items())]
    return f"# {draft.title}\n\n" + body.rstrip() + "\n" + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _footnotes_xml(notes: list[str]) -> bytes:
    sep = ('<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>')
    items = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
        for i, text in enumerate(notes, 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes xmlns:w="{_W}">{sep}{items}</w:footnotes>').encode("utf-8")


def _footnote_run(number: int):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run, props, align, ref = OxmlElement("w:r"), OxmlElement("w:rPr"), OxmlElement("w:vertAlign"), OxmlElement("w:footnoteReference")
    align.set(qn("w:val"), "superscript")
    ref.set(qn("w:id"), str(number))
    props.append(align)
    run.append(props)
    run.append(ref)
    return run


def draft_docx(draft: Draft) -> bytes:
    """The draft as a .docx: each [n] marker becomes a reference to a Word footnote quoting source n (one footnote per source,
    however often it is cited)."""
    from docx import Document
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml.ns import qn
    from docx.shared import Pt

    known = {int(c["n"]): c for c in draft.citations}
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    doc.add_heading(draft.title, level=1)
    notes: list[str] = []
    note_of: dict[int, int] = {}  # source n → its footnote: a source cited twice is one footnote, referenced again
    for line in draft.body.split("\n"):
        paragraph = doc.add_paragraph()
        position = 0
        for m in _MARKER.finditer(line):
            n = int(m.group(1))
            if n not in known:
                continue
            if m.start() > position:
                paragraph.add_run(line[position:m.start()])
            if n not in note_of:
                notes.append(citation_note(known[n], draft.language))
                note_of[n] = len(notes)
            paragraph._p.append(_footnote_run(note_of[n]))
            position = m.end()
        if position < len(line):
            paragraph.add_run(line[position:])
    if notes:
        part = Part(PackURI(FOOTNOTES_PART), CONTENT_TYPE.WML_FOOTNOTES, _footnotes_xml(notes), doc.part.package)
        doc.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx_footnotes(data: bytes) -> list[str]:
    """The footnote texts of a .docx (separators excluded), in order; for checks and tests."""
    import zipfile
    from xml.etree import ElementTree

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if FOOTNOTES_PART.lstrip("/") not in z.namelist():
            return []
        root = ElementTree.fromstring(z.read(FOOTNOTES_PART.lstrip("/")))
    out = []
    for note in root.findall(f"{{{_W}}}footnote"):
        if note.get(f"{{{_W}}}type") in ("separator", "continuationSeparator"):
            continue
        out.append("".join(t.text or "" for t in note.iter(f"{{{_W}}}t")).strip())
    return out
