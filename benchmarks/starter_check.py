"""Retrieval over the bundled starter knowledge base, in both languages.

    python benchmarks/starter_check.py [--qa benchmarks/qa_starter.jsonl] [--data-dir var/starter-check] [--json OUT]

The starter guides (knowledge/starter) are what a fresh `make run` serves. Each question of
qa_starter.jsonl names the guide sections (document id + section heading) that answer it, in the
language of the question: an English question should be answered from the English guides, a Chinese
one from the Chinese guides. Prints hit@1 and hit@3 by language and the share of questions whose first
passage is in the question's language.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ipbot.offline import go_offline  # noqa: E402

go_offline()

from ipbot.compose import build_assistant  # noqa: E402
from bot.answering.query import passage_language  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from ipbot.settings import Settings  # noqa: E402

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", type=Path, default=ROOT / "benchmarks" / "qa_starter.jsonl")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "var" / "starter-check")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not args.qa.is_file():
        sys.exit(f"no question file at {args.qa}")
    assistant = build_assistant(Settings(data_dir=args.data_dir))
    for outcome in ingest_paths(assistant.kb, [ROOT / "knowledge" / "starter"]):
        if getattr(outcome, "error", None):
            print(f"not indexed: {outcome}", file=sys.stderr)
    questions = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, misses = {}, []
    for q in questions:
        hits = assistant.retriever.search(q["query"], 3)
        gold = {(g["doc"], g["section"]) for g in q["gold"]}
        found = [(h.chunk.doc_id, h.chunk.metadata.get("article_label")) for h in hits]
        rank = next((i for i, f in enumerate(found, 1) if f in gold), None)
        same = bool(hits) and passage_language(hits[0].chunk.text) == q["lang"]
        rows.setdefault(q["lang"], []).append((rank, same))
        if rank != 1:
            misses.append((q["id"], rank, q["query"], found[:1]))
    report = {}
    print(f"{'lang':6} {'n':>4} {'hit@1':>7} {'hit@3':>7} {'first passage in the question language':>40}")
    for lang, got in sorted(rows.items()):
        n = len(got)
        figures = {"n": n, "hit@1": round(sum(r == 1 for r, _ in got) / n, 3),
                   "hit@3": round(sum(bool(r) for r, _ in got) / n, 3), "same_language_first": round(sum(s for _, s in got) / n, 3)}
        report[lang] = figures
        print(f"{lang:6} {n:>4} {figures['hit@1']:>7.3f} {figures['hit@3']:>7.3f} {figures['same_language_first']:>40.3f}")
    for qid, rank, query, first in misses:
        print(f"  miss {qid}: rank={rank or '>3'} {query[:60]!r} first={first}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
