"""Ruled-table detection on one PDF page with pypdfium2, plus the line-joining rules shared by the PDF loader.

A table is a stack of roughly equal-width horizontal rules (three or more, as in booktabs
or a full grid; two when they enclose a short block) whose text falls into two or more
columns. Columns come from vertical rules when the table has them, else from x-ranges
that no text line crosses. Rows are the bands between rules when the table rules every
row, else the text lines (wrapped cells joined).
"""
from __future__ import annotations

import ctypes
import math
import re
import statistics
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

PDFIUM_LOCK = threading.RLock()  # PDFium is not thread-safe: every pdfium call in the process goes through it
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\U00020000-\U0002fa1f]")


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph or full-width punctuation (no spaces around it)."""
    return bool(ch) and bool(_CJK.match(ch))


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines of one paragraph: no space at a CJK edge, hyphenated words rejoined."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            out = (out[:-1] if part[0].islower() else out) + part
        elif is_cjk(out[-1]) or is_cjk(part[0]):
            out += part
        else:
            out += " " + part
    return out


class Char(NamedTuple):
    """One character of the text layer in PDF user space (y grows upwards); pdfium's soft
    hyphen (code 2) is stored as "-"."""

    ch: str
    x0: float
    x1: float
    bottom: float
    top: float
    baseline: float
    size: float
    generated: bool


@dataclass
class Table:
    """A detected table: its box in PDF user space and its cell texts, row by row."""

    bbox: tuple[float, float, float, float]
    rows: list[list[str]] = field(default_factory=list)

    def contains(self, x: float, y: float, pad: float = 2.0) -> bool:
        """Whether the point (PDF user space) lies inside the table box."""
        x0, y0, x1, y1 = self.bbox
        return x0 - pad <= x <= x1 + pad and y0 - pad <= y <= y1 + pad

    def markdown(self) -> str:
        """The table as a markdown table; the first row is the header."""
        width = max(len(r) for r in self.rows)
        lines = []
        for i, row in enumerate(self.rows):
            cells = [c.replace("|", "\\|") for c in row] + [""] * (width - len(row))
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                lines.append("|" + " --- |" * width)
        return "\n".join(lines)


def read_chars(textpage: pdfium.PdfTextPage) -> list[Char]:
    """All characters of a text page with loose boxes and baselines; ``size`` is the loose box
    height, which (unlike pdfium's font size) includes any text-matrix scaling."""
    rect = pdfium_c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    out = []
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect)
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
        height = rect.top - rect.bottom
        out.append(Char(
            "-" if code == 2 else chr(code) if code else "",
            rect.left, rect.right, rect.bottom, rect.top, oy.value,
            height if height > 0 else pdfium_c.FPDFText_GetFontSize(textpage, i),
            bool(pdfium_c.FPDFText_IsGenerated(textpage, i)),
        ))
    return out


def _segments(page: pdfium.PdfPage) -> tuple[list[tuple], list[tuple]]:
    """Thin path objects as horizontal (x0, x1, y) and vertical (y0, y1, x) rules."""
    page_w, page_h = page.get_size()
    hs, vs = [], []
    matrices: dict[int, pdfium.PdfMatrix] = {}
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM]):
        x0, y0, x1, y1 = obj.get_bounds()
        if obj.level:
            m = matrices.get(obj.level - 1)
            if m is not None:
                xs, ys = zip(*(m.on_point(x, y) for x in (x0, x1) for y in (y0, y1)))
                x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            m = obj.get_matrix()
            parent = matrices.get(obj.level - 1)
            matrices[obj.level] = m.multiply(parent) if parent is not None else m
            continue
        w, h = x1 - x0, y1 - y0
        if w >= 8 and h <= 2.5:
            hs.append((x0, x1, (y0 + y1) / 2))
        elif h >= 6 and w <= 2.5:
            vs.append((y0, y1, (x0 + x1) / 2))
        elif 8 <= w <= 0.95 * page_w and 6 <= h <= 0.3 * page_h and _stroked_box(obj):
            hs += [(x0, x1, y0), (x0, x1, y1)]
            vs += [(y0, y1, x0), (y0, y1, x1)]
    return _merge(hs), _merge(vs)


def _stroked_box(obj) -> bool:
    """Whether a path object is an outlined rectangle (a cell border, not a highlight)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
    return bool(stroke.value) and pdfium_c.FPDFPath_CountSegments(obj) <= 5


def _merge(segs: list[tuple]) -> list[tuple]:
    """Join collinear, touching segments (a grid drawn cell by cell) into whole rules."""
    rows: list[list[tuple]] = []
    for seg in sorted(segs, key=lambda s: s[2]):
        if rows and seg[2] - rows[-1][0][2] <= 1.5:
            rows[-1].append(seg)
        else:
            rows.append([seg])
    out: list[tuple] = []
    for row in rows:
        pos = sum(s[2] for s in row) / len(row)
        start, end = None, None
        for a, b, _ in sorted(row):
            if start is not None and a <= end + 3:
                end = max(end, b)
                continue
            if start is not None:
                out.append((start, end, pos))
            start, end = a, b
        out.append((start, end, pos))
    return out


def _rule_groups(hs: list[tuple], page_h: float) -> list[list[tuple]]:
    """Stacks of horizontal rules of about the same extent, top to bottom."""
    groups: list[list[tuple]] = []
    for rule in sorted(hs, key=lambda s: -s[2]):
        for g in groups:
            gx0, gx1 = min(r[0] for r in g), max(r[1] for r in g)
            overlap = min(gx1, rule[1]) - max(gx0, rule[0])
            if overlap >= 0.6 * max(gx1 - gx0, rule[1] - rule[0]) and g[-1][2] - rule[2] <= 0.5 * page_h:
                if g[-1][2] - rule[2] > 1.5:
                    g.append(rule)
                break
        else:
            groups.append([rule])
    return [g for g in groups if len(g) >= 3 or (len(g) == 2 and g[0][2] - g[1][2] <= 0.45 * page_h)]


def _text_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines by baseline, top to bottom, each sorted left to right."""
    lines: list[list[Char]] = []
    for c in sorted(chars, key=lambda c: -c.baseline):
        if lines and abs(lines[-1][0].baseline - c.baseline) <= 0.4 * max(c.size, 1):
            lines[-1].append(c)
        else:
            lines.append([c])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _pieces(line: list[Char], gap: float) -> list[tuple[float, float, list[Char]]]:
    """Runs of characters in a line separated by gaps wider than ``gap``."""
    out: list[tuple[float, float, list[Char]]] = []
    for c in line:
        if out and c.x0 - out[-1][1] < gap:
            x0, x1, cs = out[-1]
            out[-1] = (x0, max(x1, c.x1), cs + [c])
        else:
            out.append((c.x0, c.x1, [c]))
    return out


def _gutters(pieces: list[list[tuple]], x0: float, x1: float, min_w: float) -> list[float]:
    """Column boundaries: x-ranges crossed by no text run (by one, when there are many rows)."""
    allow = 1 if len(pieces) >= 4 else 0
    n = max(1, int(x1 - x0) + 1)
    cover = [0] * n
    for line in pieces:
        for a, b, _ in line:
            for i in range(max(0, int(a - x0)), min(n, int(b - x0) + 1)):
                cover[i] += 1
    bounds, start, seen = [], None, False
    for i, count in enumerate(cover):
        if count > allow:
            if seen and start is not None and i - start >= min_w:
                bounds.append(x0 + (start + i) / 2)
            seen, start = True, None
        elif start is None:
            start = i
    return bounds


def _text(chars: list[Char]) -> str:
    """Characters of one line as text, with spaces where the gaps are word-sized."""
    out = ""
    prev = None
    for c in chars:
        wide = prev is not None and c.x0 - prev.x1 > 0.15 * max(c.size, 1)
        if wide and out and not out.endswith(" ") and not (is_cjk(prev.ch) and is_cjk(c.ch)):
            out += " "
        out += c.ch
        prev = c
    return out.strip()


def find_tables(page: pdfium.PdfPage, chars: list[Char]) -> list[Table]:
    """Tables on a page, top to bottom, given the page's characters from :func:`read_chars`.

    Like every pdfium call, use it while holding :data:`PDFIUM_LOCK`.
    """
    hs, vs = _segments(page)
    if len(hs) < 2:
        return []
    visible = [c for c in chars if c.ch.strip() and not c.generated]
    tables = []
    for group in _rule_groups(hs, page.get_size()[1]):
        table = _build(group, vs, visible)
        if table:
            tables.append(table)
    return tables


def _build(group: list[tuple], vs: list[tuple], chars: list[Char]) -> Table | None:
    gx0, gx1 = min(r[0] for r in group), max(r[1] for r in group)
    top, bottom = group[0][2], group[-1][2]
    inside = [c for c in chars if gx0 - 1 <= (c.x0 + c.x1) / 2 <= gx1 + 1 and bottom < c.baseline < top]
    if len(inside) < 4:
        return None
    size = statistics.median(c.size for c in inside) or 8.0
    lines = _text_lines(inside)
    spill = sum(1 for line in lines if any(
        abs(c.baseline - line[0].baseline) < 0.4 * size
        and (gx0 - 1.5 * size < c.x1 <= gx0 - 1 or gx1 + 1 <= c.x0 < gx1 + 1.5 * size)
        for c in chars))
    if spill > 0.3 * len(lines):
        return None
    pieces = [_pieces(line, 0.5 * size) for line in lines]
    inner_v = sorted({round(x) for y0, y1, x in vs
                      if gx0 + 3 < x < gx1 - 3 and y0 < top + 2 and y1 > bottom - 2
                      and (y1 - y0) >= 0.3 * (top - bottom)})
    bounds = [float(x) for x in inner_v] if inner_v else _gutters(pieces, gx0, gx1, 0.5 * size)
    bounds = [b for i, b in enumerate(bounds) if i == 0 or b - bounds[i - 1] > size]
    if not bounds:
        return None
    ncols = len(bounds) + 1

    def col(x: float) -> int:
        return sum(1 for b in bounds if x > b)

    def cells(line_pieces: list[tuple]) -> list[list[Char]]:
        row: list[list[Char]] = [[] for _ in range(ncols)]
        for a, b, cs in line_pieces:
            if inner_v:
                for c in cs:
                    row[col((c.x0 + c.x1) / 2)].append(c)
            else:
                row[col((a + b) / 2)] += cs
        return row

    ys = sorted({top, bottom} | {r[2] for r in group if r[1] - r[0] >= 0.9 * (gx1 - gx0)}, reverse=True)
    bands: list[list[tuple[float, list[list[Char]]]]] = [[] for _ in range(len(ys) - 1)]
    for line, lp in zip(lines, pieces):
        k = next((i for i in range(len(ys) - 1) if ys[i + 1] < line[0].baseline <= ys[i]), None)
        if k is not None:
            bands[k].append((line[0].baseline, cells(lp)))
    bands = [b for b in bands if b]
    if len(bands) >= 3:
        rows = [[join_lines([_text(line[i]) for _, line in band if line[i]]) for i in range(ncols)] for band in bands]
    else:
        edges = [gx0] + bounds + [gx1]
        rights = [b - 2 * size if b - a >= 10 * size else math.inf for a, b in zip(edges, edges[1:])]
        rows = _line_rows(bands, rights)
    multi = sum(1 for r in rows if sum(1 for c in r if c) >= 2)
    if len(rows) < 2 or multi < max(2, 0.5 * len(rows)) or (len(group) == 2 and len(rows) < 3):
        return None
    return Table((gx0, bottom, gx1, top), rows)


def _line_rows(bands: list[list[tuple[float, list[list[Char]]]]], rights: list[float]) -> list[list[str]]:
    """Rows of a table without rules between rows: one per text line, wrapped cells joined.

    A line continues the row above when its first cell is empty, or when most cells of the
    line above run up to the right edge of a wide column (wrapped text) and no blank row
    separates them.
    """
    steps = sorted(a[0] - b[0] for band in bands for a, b in zip(band, band[1:]))
    pitch = steps[len(steps) // 2] if steps else 0.0
    rows: list[list[str]] = []
    for band in bands:
        first, wrapped, prev_base = len(rows), False, None
        for base, line in band:
            texts = [_text(cell) for cell in line]
            near = prev_base is not None and prev_base - base <= 1.3 * pitch
            if len(rows) > first and (not texts[0] or (wrapped and near)):
                rows[-1] = [join_lines([a, b]) for a, b in zip(rows[-1], texts)]
            else:
                rows.append(texts)
            full = [bool(cell) and max(c.x1 for c in cell) >= right for cell, right in zip(line, rights)]
            filled = sum(1 for cell in line if cell)
            wrapped = any(full) and 2 * sum(full) >= filled
            prev_base = base
    return rows
