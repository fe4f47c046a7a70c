"""Offline OCR of image-only PDF pages: pypdfium2 renders, RapidOCR (bundled PP-OCR models) reads.

The OCR engine is created once, lazily, from the models inside the rapidocr_onnxruntime
wheel; it never downloads anything. Text boxes are put in reading order with a simple
XY-cut (bands split at blank rows, then columns split at blank gutters).
"""
from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium

from ingest.pdf_tables import is_cjk

MAX_SIDE_PX = 2000  # RapidOCR shrinks anything larger; rendering to it gives ~170-180 dpi on A4/Letter
MAX_SCALE = 3.0
# Lines are read as they are: the page is rendered upright, and RapidOCR's per-line angle classifier turned some upright
# lines upside down, which then read as nothing (benchmarks/RESULTS.md).
USE_ANGLE_CLASSIFIER = False

_engine = None
_engine_lock = threading.Lock()


@dataclass
class OcrBox:
    """One recognised text line in PDF points, measured from the page's top-left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def engine():
    """The shared RapidOCR engine (created on first use; models load from the installed package)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR()
        return _engine


def render(page: pdfium.PdfPage) -> tuple[np.ndarray, float]:
    """The page as a BGR (OpenCV-order) array sized for the OCR models, and its pixels per point.

    Call it while holding :data:`ingest.pdf_tables.PDFIUM_LOCK`.
    """
    w, h = page.get_size()
    scale = min(MAX_SCALE, MAX_SIDE_PX / max(w, h, 1))
    bitmap = page.render(scale=scale)
    try:
        return bitmap.to_numpy()[:, :, :3].copy(), scale
    finally:
        bitmap.close()


def read(image: np.ndarray, scale: float) -> list[list[OcrBox]]:
    """OCR a rendered page; its text lines in reading order, each a left-to-right list of boxes."""
    result, _ = engine()(image, use_cls=USE_ANGLE_CLASSIFIER)
    boxes = []
    for points, text, _score in result or []:
        text = " ".join(str(text).split())
        if not text:
            continue
        xs = [p[0] / scale for p in points]
        ys = [p[1] / scale for p in points]
        boxes.append(OcrBox(text, min(xs), max(xs), min(ys), max(ys)))
    return [line for region in _xy_cut(boxes) for line in _lines(region)]


def _xy_cut(boxes: list[OcrBox]) -> list[list[OcrBox]]:
    """Boxes split into regions in reading order: blank rows cut bands, blank gutters cut columns."""
    if len(boxes) < 2:
        return [boxes] if boxes else []
    unit = statistics.median(b.height for b in boxes)
    bands = _split(boxes, lambda b: (b.top, b.bottom), 0.5 * unit, 0)
    if len(bands) == 1:
        allow = 1 if len(boxes) >= 8 else 0
        columns = _split(boxes, lambda b: (b.x0, b.x1), 0.6 * unit, allow)
        if len(columns) == 1 or min(len(c) for c in columns) < 2:
            return [boxes]
        return [r for c in columns for r in _xy_cut(c)]
    return [r for band in bands for r in _xy_cut(band)]


def _split(boxes: list[OcrBox], span, min_gap: float, allow: int) -> list[list[OcrBox]]:
    """Split boxes where the projection on one axis has a gap of ``min_gap`` crossed by at most ``allow`` boxes."""
    lo = min(span(b)[0] for b in boxes)
    hi = max(span(b)[1] for b in boxes)
    n = int(hi - lo) + 2
    cover = [0] * n
    for b in boxes:
        a, z = span(b)
        for i in range(int(a - lo), int(z - lo) + 1):
            cover[i] += 1
    cuts, start = [], None
    for i, count in enumerate(cover):
        if count <= allow and 0 < i < n - 1:
            start = i if start is None else start
        else:
            if start is not None and i - start >= min_gap and i < n - 1:
                cuts.append(lo + (start + i) / 2)
            start = None
    groups: list[list[OcrBox]] = [[] for _ in range(len(cuts) + 1)]
    for b in boxes:
        a, z = span(b)
        groups[sum(1 for c in cuts if (a + z) / 2 > c)].append(b)
    return [g for g in groups if g]


def _lines(boxes: list[OcrBox]) -> list[list[OcrBox]]:
    """Boxes of one region grouped into lines by vertical overlap, top to bottom."""
    lines: list[list[OcrBox]] = []
    for b in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        if lines:
            last = lines[-1]
            centre = statistics.mean((x.top + x.bottom) / 2 for x in last)
            if abs((b.top + b.bottom) / 2 - centre) < 0.5 * min(b.height, last[0].height):
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def line_text(line: list[OcrBox]) -> str:
    """The text of one OCR line, its boxes joined with a space except between CJK characters."""
    out = ""
    for b in line:
        if out and not (is_cjk(out[-1]) and is_cjk(b.text[0])):
            out += " "
        out += b.text
    return out
