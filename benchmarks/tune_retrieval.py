"""Sweep fusion settings on evaluation sets, reusing one corpus index and caching each sub-query's hits.

    .venv/bin/python benchmarks/tune_retrieval.py --data-dir var/eval --qa ../shared/eval/dev_retrieval.jsonl benchmarks/qa_*.jsonl

Prints hit@1/hit@5/MRR@10 per file for each (dense_weight, lexical_weight, rrf_k) combination, for the fused
order alone (IPBOT_RANKER=rrf); the second-stage ranker is fitted by benchmarks/train_ranker.py.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipbot.offline import go_offline  # noqa: E402

go_offline()

from bot.answering import SearchFilters  # noqa: E402
from ipbot.compose import build_assistant  # noqa: E402
from bot.answering.query import normalize_question  # noqa: E402
from bot.answering.retrieval import RetrievalParams  # noqa: E402
from ipbot.evaluation import metrics  # noqa: E402
from ipbot.scoring import first_hit_rank, load_articles  # noqa: E402
from ipbot.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="var/eval")
    ap.add_argument("--articles", default=str(ROOT.parent / "shared/eval/articles.jsonl"))
    ap.add_argument("--qa", nargs="+", required=True)
    ap.add_argument("--dense", default="0.5,1.0,1.5")
    ap.add_argument("--lexical", default="0.5,1.0,1.5")
    ap.add_argument("--rrf", default="20,60")
    ap.add_argument("--topic", default="0")
    args = ap.parse_args()
    assistant = build_assistant(Settings(data_dir=Path(args.data_dir), ranker="rrf"))
    articles = load_articles(Path(args.articles))
    sets = {Path(f).name: [json.loads(x) for x in Path(f).read_text(encoding="utf-8").splitlines() if x.strip()] for f in args.qa}
    retriever = assistant.retriever
    cache: dict = {}
    original = retriever.ranked_lists

    def cached(plan, n):
        key = (tuple(plan.dense), tuple(plan.lexical), n)
        if key not in cache:
            retriever.params = RetrievalParams(60, 1.0, 1.0, retriever.params.candidates)
            cache[key] = original(plan, n)
        base, vectors = cache[key]
        weight = {"dense": current.dense_weight, "sentence": current.sentence_weight, "lexical": current.lexical_weight}
        return [(side, w * weight[side], hits) for side, w, hits in base if weight[side]], vectors

    retriever.ranked_lists = cached
    for dw, lw, rk, tw in itertools.product(*(list(map(float, s.split(","))) for s in (args.dense, args.lexical, args.rrf, args.topic))):
        current = RetrievalParams(int(rk), dw, lw, topic_weight=tw)
        row = []
        for name, qs in sets.items():
            ranks = []
            for q in qs:
                retriever.params = current
                hits = retriever.search(normalize_question(q["query"]), 10, SearchFilters())
                gold = [articles[(g["file"], int(g["article"]))] for g in q["gold"] if (g["file"], int(g["article"])) in articles]
                ranks.append(first_hit_rank([h.chunk.text for h in hits], gold))
            m = metrics(ranks)
            row.append(f"{name[:18]}: {m['hit@1']:.3f}/{m['hit@5']:.3f}/{m['mrr@10']:.3f}")
        print(f"dense={dw} lexical={lw} rrf_k={int(rk)} topic={tw} | " + " | ".join(row), flush=True)


if __name__ == "__main__":
    main()
