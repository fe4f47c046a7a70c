"""Run the PDF loader over a folder of PDFs and report what it found, file by file.

Usage: python benchmarks/pdf_check.py [PDF_DIR] [--json OUT]   (default PDF_DIR: ../shared/pdf)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.errors import IngestError  # noqa: E402
from ingest.pdf import load_pdf  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "pdf"


def run(pdf_dir: Path | str = DEFAULT_DIR) -> list[dict]:
    """Load every ``*.pdf`` in ``pdf_dir``; one dict of counts and timing per file, in name order."""
    results = []
    for path in sorted(Path(pdf_dir).glob("*.pdf")):
        start = time.perf_counter()
        row: dict = {"file": path.name}
        try:
            doc = load_pdf(path)
        except IngestError as exc:
            row.update(error=f"{type(exc).__name__}: {exc}")
        else:
            row.update(
                title=doc.title,
                pages=doc.metadata["pages"],
                blocks=len(doc.blocks),
                tables=sum(b.is_table for b in doc.blocks),
                ocr_pages=doc.metadata["ocr_pages"],
                chars=sum(len(b.text) for b in doc.blocks),
                warnings=doc.warnings,
            )
        row["seconds"] = round(time.perf_counter() - start, 2)
        results.append(row)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf_dir", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not Path(args.pdf_dir).is_dir():
        print(f"no such folder: {args.pdf_dir}", file=sys.stderr)
        return 2
    rows = run(args.pdf_dir)
    print(f"{'file':<62} {'pages':>5} {'blocks':>6} {'tables':>6} {'ocr pages':>10} {'chars':>7} {'seconds':>7}")
    for r in rows:
        if "error" in r:
            print(f"{r['file']:<62} {r['error']}  ({r['seconds']} s)")
            continue
        ocr = ",".join(map(str, r["ocr_pages"])) or "-"
        print(f"{r['file']:<62} {r['pages']:>5} {r['blocks']:>6} {r['tables']:>6} {ocr:>10} {r['chars']:>7} "
              f"{r['seconds']:>7}")
        for w in r["warnings"]:
            print(f"    warning: {w}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
