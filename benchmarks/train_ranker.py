"""Fit the second-stage linear ranker (bot/answering/ranker.json) on evaluation sets, with cross-validation.

    .venv/bin/python benchmarks/train_ranker.py --data-dir var/eval --l2 0.03 \
        --qa ../shared/eval/dev_retrieval.jsonl benchmarks/qa_plain_zh.jsonl benchmarks/qa_english.jsonl \
             benchmarks/qa_mixed_topics.jsonl benchmarks/qa_plain_zh_situations.jsonl \
             benchmarks/qa_english_everyday.jsonl [--write bot/answering/ranker.json]

(never the sets under benchmarks/heldout/; rebuild the question links first when a fitted set changed:
benchmarks/build_links.py)

For every question it takes the fused candidate pool the retriever builds, computes the ranker's features
(bot/answering/ranking.py) and labels each candidate by the scoring rule of ../shared/eval/README.md. The model is a
linear softmax over each question's pool (listwise cross-entropy, L2-regularised), fitted by gradient
descent in numpy. Multiple-choice questions get a second set of weights, fitted on them alone with the softmax
loss plus a pairwise loss weighted by how much swapping two passages changes the top-5 gain (LambdaRank): an
exam question usually rests on several articles, so getting one of them into the top five matters more than
which comes first. It prints hit@1/hit@5 per set for fused ranks alone and for the ranker in k-fold
cross-validation (each question scored by models that did not see it), then fits on everything and, with
--write, stores the weights.
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipbot.offline import go_offline  # noqa: E402

go_offline()

from bot.answering import Assistant  # noqa: E402
from ipbot.compose import build_assistant  # noqa: E402
from bot.answering.query import normalize_question  # noqa: E402
from bot.answering.ranking import FEATURES, feature_matrix  # noqa: E402
from bot.answering.retrieval import plan_query  # noqa: E402
from ipbot.scoring import first_hit_rank, load_articles  # noqa: E402
from ipbot.settings import Settings  # noqa: E402


def collect(assistant: Assistant, questions: list[dict], articles: dict, pool_size: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(features, labels, fused order) per question; the pool is what the retriever would rerank, with the
    articles of the nearest linked questions, a question's own link left out."""
    assistant.hold_out_linked_questions()
    retriever = assistant.retriever
    kb = retriever.kb
    p = retriever.params
    out = []
    for q in questions:
        question = normalize_question(q["query"])
        plan = plan_query(question)
        lists, vectors = retriever.ranked_lists(plan, max(p.candidates, 30))
        fused, _ = retriever.fuse(lists)
        signals = retriever.signals(question, plan, lists, vectors)
        signals.links = retriever.linked(question, vectors)
        order = sorted(fused, key=lambda c: -fused[c])[:pool_size]
        order += [c for c in signals.links if c not in order]
        chunks = kb.get_chunks(order)
        order = [c for c in order if c in chunks]
        rows = feature_matrix([chunks[c] for c in order], fused, signals, kb.bm25(), kb.embeddings(order), kb.sentence_vectors(order))
        gold = [articles[(g["file"], int(g["article"]))] for g in q["gold"] if (g["file"], int(g["article"])) in articles]
        labels = np.array([1.0 if first_hit_rank([chunks[c].text], gold) else 0.0 for c in order])
        out.append((rows, labels, np.arange(len(order))))
    return out


def fit(data, l2: float = 1e-2, steps: int = 600, lr: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, mean and scale of a listwise softmax model over the questions that have a positive."""
    usable = [(x, y) for x, y, _ in data if y.any() and len(y) > 1]
    stacked = np.vstack([x for x, _ in usable])
    mean, scale = stacked.mean(0), stacked.std(0)
    scale[scale == 0] = 1.0
    x = (stacked - mean) / scale
    y = np.concatenate([y / y.sum() for _, y in usable])
    starts = np.cumsum([0] + [len(yy) for _, yy in usable])[:-1]
    group = np.repeat(np.arange(len(usable)), [len(yy) for _, yy in usable])
    w = np.zeros(x.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        s = x @ w
        s = s - np.maximum.reduceat(s, starts)[group]
        e = np.exp(s)
        prob = e / np.add.reduceat(e, starts)[group]
        grad = l2 * w + x.T @ (prob - y) / len(usable)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w, mean, scale


CHOICE = FEATURES.index("choice")


def is_choice(x: np.ndarray) -> bool:
    """Whether a question's feature rows are those of a multiple-choice question."""
    return bool(len(x)) and x[0, CHOICE] > 0


def fit_choice(data, l2: float = 1e-2, steps: int = 120, lr: float = 0.05, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights for multiple-choice questions: started from the softmax fit on them, then fitted to the softmax loss
    plus the top-``k`` LambdaRank loss (pairs of a gold and a non-gold passage, weighted by the change in
    1/log2(1 + rank) gain within the top ``k`` if the two swapped places)."""
    usable = [(x, y) for x, y, _ in data if y.any() and len(y) > 1]
    w, mean, scale = fit(data, l2)
    xs = [(x - mean) / scale for x, _ in usable]
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        grad = l2 * w
        for x, (_, y) in zip(xs, usable):
            s = x @ w
            p = np.exp(s - s.max())
            grad += x.T @ (p / p.sum() - y / y.sum()) / len(xs)
            rank = np.empty(len(s), dtype=int)
            rank[np.argsort(-s)] = np.arange(1, len(s) + 1)
            gain = np.where(rank <= k, 1.0 / np.log2(1 + rank), 0.0)
            pos, neg = np.flatnonzero(y > 0), np.flatnonzero(y == 0)
            lam = -np.abs(gain[pos][:, None] - gain[neg][None, :]) / (1 + np.exp(s[pos][:, None] - s[neg][None, :]))
            grad += (x[pos].T @ lam.sum(1) - x[neg].T @ lam.sum(0)) / len(xs)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w, mean, scale


def fit_both(data, l2: float) -> tuple[tuple, tuple]:
    """(model for free questions, fitted on all; model for multiple-choice questions, fitted on those)."""
    return fit(data, l2), fit_choice([d for d in data if is_choice(d[0])], l2)


def ranks_of(data, models=None) -> list[int | None]:
    """1-based rank of the first positive, by the (free, multiple-choice) models or by fused order."""
    out = []
    for x, y, order in data:
        if models is None:
            idx = order
        else:
            w, mean, scale = models[1] if is_choice(x) else models[0]
            idx = np.argsort(-(((x - mean) / scale) @ w), kind="stable")
        hit = [r for r, i in enumerate(idx, 1) if y[i]]
        out.append(hit[0] if hit else None)
    return out


def summary(ranks: list[int | None]) -> str:
    n = len(ranks) or 1
    h1 = sum(1 for r in ranks if r == 1) / n
    h5 = sum(1 for r in ranks if r and r <= 5) / n
    mrr = sum(1 / r for r in ranks if r and r <= 10) / n
    return f"{h1:.3f}/{h5:.3f}/{mrr:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="var/eval")
    ap.add_argument("--articles", default=str(ROOT.parent / "shared/eval/articles.jsonl"))
    ap.add_argument("--qa", nargs="+", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--pool", type=int, default=30)
    ap.add_argument("--l2", type=float, default=1e-2)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--drop", default="", help="comma-separated features to leave out (weight fixed at 0)")
    ap.add_argument("--write", type=Path)
    ap.add_argument("--dump", type=Path, help="also pickle the collected features and labels here")
    args = ap.parse_args()
    assistant = build_assistant(Settings(data_dir=Path(args.data_dir), ranker="rrf"))
    articles = load_articles(Path(args.articles))
    sets = {Path(f).name: [json.loads(x) for x in Path(f).read_text(encoding="utf-8").splitlines() if x.strip()] for f in args.qa}
    data = {name: collect(assistant, qs, articles, args.pool) for name, qs in sets.items()}
    if args.dump:
        with open(args.dump, "wb") as fh:
            pickle.dump(data, fh)
    for name in args.drop.split(","):
        if name:
            col = FEATURES.index(name)
            for x, _, _ in (d for ds in data.values() for d in ds):
                x[:, col] = 0.0
    everything = [(name, i) for name, d in data.items() for i in range(len(d))]
    cv: dict[str, list] = {name: [] for name in data}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        fold_of = {everything[j]: pos % args.folds for pos, j in enumerate(rng.permutation(len(everything)))}
        for f in range(args.folds):
            model = fit_both([data[n][i] for n, i in everything if fold_of[(n, i)] != f], args.l2)
            for n, i in everything:
                if fold_of[(n, i)] == f:
                    cv[n].append(ranks_of([data[n][i]], model)[0])
    print(f"{'set':28} {'fused h1/h5/mrr':>20} {'ranker (cv)':>20}   ({args.folds}-fold cross-validation, {args.seeds} shuffles)")
    for name in data:
        print(f"{name[:28]:28} {summary(ranks_of(data[name])):>20} {summary(cv[name]):>20}")
    allranks = [r for n in data for r in ranks_of(data[n])]
    print(f"{'all':28} {summary(allranks):>20} {summary([r for n in data for r in cv[n]]):>20}")
    (w, mean, scale), (cw, cmean, cscale) = fit_both([d for n in data for d in data[n]], args.l2)
    for f, x, c in sorted(zip(FEATURES, w, cw), key=lambda fx: -abs(fx[1])):
        print(f"  {f:28} {x:+.3f}   multiple-choice {c:+.3f}")
    if args.write:
        def named(values) -> dict[str, float]:
            return dict(zip(FEATURES, map(float, values)))

        payload = {"features": list(FEATURES), "weights": named(w), "mean": named(mean), "scale": named(scale),
                   "choice": {"weights": named(cw), "mean": named(cmean), "scale": named(cscale)},
                   "trained_on": [Path(f).name for f in args.qa], "pool": args.pool, "l2": args.l2}
        args.write.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"written {args.write}")


if __name__ == "__main__":
    main()
