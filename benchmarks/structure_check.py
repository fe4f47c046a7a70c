"""Check the structure parser and chunker against the ground-truth article split of the corpus.

Usage: python benchmarks/structure_check.py [--corpus DIR] [--articles FILE] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.chunking import chunk_document  # noqa: E402
from ingest.loaders import load  # noqa: E402
from ingest.model import ParsedDocument  # noqa: E402
from ingest.structure import parse_structure  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_ARTICLES = ROOT.parent / "shared" / "eval" / "articles.jsonl"
_ARTICLE_LINE = re.compile(r"^第[零〇一二两三四五六七八九十百千\d]+条(之[一二三四五六七八九十]+)?[\s\u3000]")
_WS = re.compile(r"[\s\u3000]+")


def _nows(text: str | None) -> str:
    return _WS.sub("", text or "")


def _body(text: str) -> str:
    return _nows(re.sub(r"^第[^条\s]{1,8}条(之[一二三四五六七八九十]+)?", "", text.strip(), count=1))


def _spanning(chunks) -> int:
    bad = 0
    for c in chunks:
        heads = [ln for ln in c.text.split("\n")[1:] if _ARTICLE_LINE.match(ln)]
        if len(heads) > 1 or (heads and c.kind == "article" and not heads[0].startswith(c.article_label or "")):
            bad += 1
    return bad


def _check_file(doc: ParsedDocument, expected: list[dict]) -> dict:
    sections = parse_structure(doc)
    chunks = chunk_document(doc)
    articles = [s for s in sections if s.kind == "article"]
    guide = [s for s in sections if s.kind == "section" and s.article_label]
    found = defaultdict(list)
    for s in articles:
        found[s.article_label].append(s)
    for s in guide:
        found[_nows(s.article_label)].append(s)
    row = {"expected": len(expected), "found": 0, "number_ok": 0, "chapter_ok": 0, "text_ok": 0,
           "spanning_chunks": _spanning(chunks), "references_as_headings": 0, "chunks": len(chunks),
           "warnings": list(doc.warnings), "mismatches": []}
    expected_keys = set()
    for index, exp in enumerate(expected, 1):
        is_article = exp["unit"] == "article"
        key = exp["article_cn"] if is_article else _nows(exp["section"])
        expected_keys.add(key)
        hits = found.get(key, [])
        if not hits:
            row["mismatches"].append(f"missing {key}")
            continue
        s = hits[0]
        row["found"] += 1
        number = s.article if is_article else guide.index(s) + 1
        want_chapter = " ".join(p for p in (exp["chapter"], exp["section"] if is_article else None) if p)
        checks = {
            "number_ok": number == exp["article"],
            "chapter_ok": _nows(s.chapter) == _nows(want_chapter),
            "text_ok": (_body(s.text) == _body(exp["text"])) if is_article else _nows(s.text) == _nows(exp["text"]),
        }
        for name, ok in checks.items():
            row[name] += ok
            if not ok:
                row["mismatches"].append(f"{key}: wrong {name[:-3]}")
    extra = [k for k, v in found.items() if k not in expected_keys] + [k for k, v in found.items() if len(v) > 1]
    row["references_as_headings"] = len(extra)
    row["mismatches"] += [f"unexpected heading {k}" for k in extra]
    return row


def run(corpus: str | Path = DEFAULT_CORPUS, articles: str | Path = DEFAULT_ARTICLES) -> dict:
    """Parse and chunk every ``*.md`` in ``corpus``; compare with ``articles`` (JSONL); return per-file rows and totals."""
    expected = defaultdict(list)
    with open(articles, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                expected[rec["file"]].append(rec)
    files, started = {}, time.perf_counter()
    for path in sorted(Path(corpus).glob("*.md")):
        files[path.name] = _check_file(load(path), expected.get(path.name, []))
    elapsed = time.perf_counter() - started
    keys = ("expected", "found", "number_ok", "chapter_ok", "text_ok", "spanning_chunks", "references_as_headings", "chunks")
    totals = {k: sum(r[k] for r in files.values()) for k in keys}
    totals["seconds"] = round(elapsed, 3)
    totals["all_ok"] = (
        all(totals[k] == totals["expected"] for k in ("found", "number_ok", "chapter_ok", "text_ok"))
        and totals["spanning_chunks"] == 0 and totals["references_as_headings"] == 0
    )
    return {"files": files, "totals": totals}


def _print(result: dict) -> None:
    cols = ("expected", "found", "number_ok", "chapter_ok", "text_ok", "spanning_chunks", "references_as_headings", "chunks")
    short = ("exp", "found", "num", "chap", "text", "span", "refs", "chunks")
    print(f"{'file':<72}" + "".join(f"{c:>7}" for c in short))
    for name, row in result["files"].items():
        print(f"{name[:71]:<72}" + "".join(f"{row[c]:>7}" for c in cols))
        for m in row["mismatches"][:10]:
            print(f"    ! {m}")
    t = result["totals"]
    print(f"{'TOTAL':<72}" + "".join(f"{t[c]:>7}" for c in cols))
    print(f"parse+chunk time: {t['seconds']} s; all matched: {t['all_ok']}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print the comparison table, optionally write it as JSON; always exits 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--articles", default=str(DEFAULT_ARTICLES))
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    result = run(args.corpus, args.articles)
    _print(result)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
