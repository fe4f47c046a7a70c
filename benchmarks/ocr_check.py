"""Scan benchmark: corpus laws rendered to page images (fonts-noto-cjk, 150–300 dpi, skew, blur, noise), saved as
image-only PDFs, read back by the PDF loader's OCR and cut by the law-aware chunker. Prints character recall against
the source text and the articles found as their own passage with the right number and the right page.

Usage: python benchmarks/ocr_check.py [--corpus DIR] [--law FILE.md ...] [--dpi 150 200 300] [--json OUT]
The scans are made here, each run, in a temporary directory: no page image is kept in the project.
"""
from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.chunking import chunk_document  # noqa: E402
from ingest.pdf import load_pdf  # noqa: E402
from bot.answering.numerals import zh_to_int as parse_number  # noqa: E402

FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
DEFAULT_LAWS = ("cn-computer-software-protection-regulations-2013.md", "cn-ic-layout-design-regulations-2001.md")
_ARTICLE = re.compile(r"^第([零〇一二两三四五六七八九十百千]+)条")
_KEEP = re.compile(r"[\u3400-\u9fff0-9A-Za-z]")


@dataclass
class Condition:
    """How one scan is made."""

    dpi: int
    skew: float
    blur: float
    noise: float

    @property
    def name(self) -> str:
        return f"{self.dpi}dpi skew{self.skew:+.1f} blur{self.blur:.1f} noise{self.noise:.2f}"


CONDITIONS = [Condition(300, 0.0, 0.0, 0.0), Condition(200, 0.8, 0.6, 0.02), Condition(150, -1.2, 0.9, 0.04)]


def source_lines(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """The law's title and its lines as (kind, text): 'title', 'meta' (promulgation lines), 'heading', 'text'."""
    title, lines, body = "", [], False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("<!--"):
            body = body or line.startswith("<!--")
            continue
        if line.startswith("# ") and not title:
            title = line[2:].strip()
            lines.append(("title", title))
        elif line.startswith("#"):
            body = True
            lines.append(("heading", line.lstrip("# ").strip()))
        else:
            lines.append(("text" if body or _ARTICLE.match(line) else "meta", line))
    return title, lines


def render(lines: list[tuple[str, str]], cond: Condition, rng: random.Random):
    """Page images (PIL) of the law and, per page, the lines drawn on it; a footer '—N—' on every page."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    px = cond.dpi / 72
    width, height, margin = int(595 * px), int(842 * px), int(64 * px)
    font, head = ImageFont.truetype(FONT, int(12 * px)), ImageFont.truetype(BOLD, int(14 * px))
    step = int(12 * px * 1.7)
    pages, drawn = [], []

    def new_page():
        img = Image.new("L", (width, height), 255)
        pages.append(img)
        drawn.append([])
        return ImageDraw.Draw(img)

    draw, y = new_page(), margin
    for kind, text in lines:
        f = head if kind in ("title", "heading") else font
        wrapped, current = [], ""
        indent = "" if kind in ("title", "heading") else "　　"
        for ch in indent + text:
            if f.getlength(current + ch) > width - 2 * margin:
                wrapped.append(current)
                current = ""
            current += ch
        wrapped.append(current)
        for i, part in enumerate(wrapped):
            if y + step > height - margin - step:
                draw, y = new_page(), margin
            x = (width - f.getlength(part)) / 2 if kind in ("title", "heading") else margin
            draw.text((x, y), part, font=f, fill=0)
            drawn[-1].append(part.strip("　"))
            y += step
        y += step // 3
    out = []
    for n, img in enumerate(pages, 1):
        footer = f"—{n}—"
        ImageDraw.Draw(img).text(((width - font.getlength(footer)) / 2, height - margin + step // 2), footer, font=font, fill=0)
        if cond.skew:
            img = img.rotate(cond.skew, resample=Image.BICUBIC, fillcolor=255, expand=False)
        if cond.blur:
            img = img.filter(ImageFilter.GaussianBlur(cond.blur))
        if cond.noise:
            pixels = img.load()
            for _ in range(int(width * height * cond.noise / 10)):
                pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
        out.append(img.convert("RGB"))
    return out, drawn


def char_recall(expected: str, got: str) -> float:
    """Share of the source's letters, digits and CJK characters that the OCR text gives back in order."""
    a, b = "".join(_KEEP.findall(expected)), "".join(_KEEP.findall(got))
    if not a:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a)


def check(path: Path, cond: Condition, workdir: Path) -> dict:
    """Scan one law under one condition and score what the OCR pipeline makes of it."""
    rng = random.Random(f"{path.name}{cond.name}")
    title, lines = source_lines(path)
    images, drawn = render(lines, cond, rng)
    pdf = workdir / f"{path.stem}-{cond.dpi}.pdf"
    images[0].save(pdf, save_all=True, append_images=images[1:], resolution=cond.dpi)
    expected_pages = {}
    for page, page_lines in enumerate(drawn, 1):
        for line in page_lines:
            m = _ARTICLE.match(line)
            if m:
                expected_pages.setdefault(parse_number(m.group(1)), page)
    started = time.perf_counter()
    doc = load_pdf(pdf, ocr_timeout_s=1800)
    seconds = time.perf_counter() - started
    got_pages: dict[int, list[str]] = {}
    for block in doc.blocks:
        got_pages.setdefault(block.page or 0, []).append(block.text)
    recalls = [char_recall("".join(page_lines), "".join(got_pages.get(n, []))) for n, page_lines in enumerate(drawn, 1)]
    total = sum(len("".join(_KEEP.findall("".join(p)))) for p in drawn)
    recall = sum(r * len("".join(_KEEP.findall("".join(p)))) for r, p in zip(recalls, drawn)) / max(total, 1)
    chunks = chunk_document(doc)
    found = {}
    for c in chunks:
        if c.kind == "article" and c.article and c.article not in found:
            found[c.article] = c.page
    right_number = sum(1 for n in expected_pages if n in found)
    right_page = sum(1 for n, p in expected_pages.items() if found.get(n) == p)
    footers = sum(1 for b in doc.blocks if re.fullmatch(r"[—\-－一_]*\s*\d+\s*[—\-－一_]*", b.text.strip()))
    return {"law": path.name, "condition": cond.name, "pages": len(images), "ocr_seconds": round(seconds, 1),
            "char_recall": round(recall, 4), "worst_page_recall": round(min(recalls), 4),
            "articles": len(expected_pages), "own_passage_right_number": right_number, "right_page": right_page,
            "extra_articles": sorted(set(found) - set(expected_pages))[:10],
            "missing_articles": sorted(set(expected_pages) - set(found))[:20],
            "title_expected": title, "title_found": doc.title, "footer_blocks_left": footers}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--law", nargs="*", default=list(DEFAULT_LAWS))
    parser.add_argument("--dpi", nargs="*", type=int, default=None, help="Only the conditions at these resolutions.")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    conditions = [c for c in CONDITIONS if not args.dpi or c.dpi in args.dpi]
    missing = [law for law in args.law if not (args.corpus / law).is_file()]
    if missing:
        sys.exit(f"not in {args.corpus}: {', '.join(missing)}")
    if not conditions:
        sys.exit(f"no scan at {args.dpi} dpi; the scans are at {', '.join(str(c.dpi) for c in CONDITIONS)} dpi")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for law in args.law:
            for cond in conditions:
                row = check(args.corpus / law, cond, Path(tmp))
                rows.append(row)
                print(f"{row['law'][:40]:<40} {row['condition']:<32} pages {row['pages']:>2}  recall {row['char_recall']:.4f} "
                      f"(worst page {row['worst_page_recall']:.3f})  articles {row['own_passage_right_number']}/{row['articles']} "
                      f"right page {row['right_page']}  footers left {row['footer_blocks_left']}  title {row['title_found']!r}  "
                      f"{row['ocr_seconds']} s", flush=True)
                if row["missing_articles"] or row["extra_articles"]:
                    print(f"    missing {row['missing_articles']}  extra {row['extra_articles']}", flush=True)
    total_articles = sum(r["articles"] for r in rows) or 1
    print(f"overall: char recall {sum(r['char_recall'] for r in rows) / max(len(rows), 1):.4f}, articles as their own passage with the "
          f"right number {sum(r['own_passage_right_number'] for r in rows) / total_articles:.3f}, right page "
          f"{sum(r['right_page'] for r in rows) / total_articles:.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
