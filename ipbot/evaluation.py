"""``ipbot eval retrieval``: our pipeline and the LangChain-tutorial baseline on the same corpus and questions."""
from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from .scoring import first_hit_rank

KS = (1, 3, 5, 10)


def metrics(ranks: list[int | None]) -> dict:
    """hit@k and MRR@10 of a list of first-hit ranks."""
    n = len(ranks) or 1
    out = {f"hit@{k}": round(sum(1 for r in ranks if r and r <= k) / n, 3) for k in KS}
    out["mrr@10"] = round(sum(1 / r for r in ranks if r and r <= 10) / n, 3)
    out["n"] = len(ranks)
    return out


def breakdown(questions: list[dict], ranks: list[int | None]) -> dict:
    """Metrics overall and by task, topic and language."""
    report = {"all": metrics(ranks)}
    for key in ("task", "topic", "lang"):
        groups: dict[str, list] = defaultdict(list)
        for q, r in zip(questions, ranks):
            groups[str(q.get(key, "?"))].append(r)
        report[key] = {g: metrics(rs) for g, rs in sorted(groups.items())}
    return report


def run_questions(search, questions: list[dict], articles: dict, k: int = 10) -> tuple[list, list[float], list[int]]:
    """Ranks of the first hit, latencies (ms) and passage lengths for every question."""
    ranks, latencies, lengths = [], [], []
    for q in questions:
        t = time.perf_counter()
        passages = search(q["query"], k)
        latencies.append((time.perf_counter() - t) * 1000)
        lengths.extend(len(p) for p in passages)
        gold = [articles[(g["file"], int(g["article"]))] for g in q.get("gold", []) if (g["file"], int(g["article"])) in articles]
        ranks.append(first_hit_rank(passages, gold))
    return ranks, latencies, lengths


def issue_coverage(search, questions: list[dict], articles: dict, k: int = 10) -> dict | None:
    """For long cases with several questions (items with "issues"): the share of their questions whose own gold
    article is in the first 5 and the first ``k`` passages (a case can hit@1 on one question and miss the others)."""
    cases = [q for q in questions if q.get("issues")]
    if not cases:
        return None
    at5 = atk = total = 0
    for q in cases:
        passages = search(q["query"], k)
        for issue in q["issues"]:
            gold = [articles[(g["file"], int(g["article"]))] for g in issue.get("gold", []) if (g["file"], int(g["article"])) in articles]
            rank = first_hit_rank(passages, gold)
            total += 1
            at5 += bool(rank and rank <= 5)
            atk += bool(rank)
    return {"cases": len(cases), "issues": total, "issues@5": round(at5 / total, 3), f"issues@{k}": round(atk / total, 3)}


def tutorial_baseline(corpus: Path, data_dir: Path, embedder):
    """RecursiveCharacterTextSplitter(1000, 200) + Chroma + similarity top-k, with the same embeddings: a LangChain
    retriever, searched as ``search(query, k)`` like ours."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from knowledge.embeddings import langchain_embeddings

    store = Chroma("baseline", embedding_function=langchain_embeddings(embedder), persist_directory=str(data_dir / "baseline-chroma"),
                   client_settings=ChromaSettings(anonymized_telemetry=False), collection_metadata={"hnsw:space": "cosine"})
    if store._collection.count() == 0:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metas = [], []
        for f in sorted(corpus.glob("*.md")):
            for piece in splitter.split_text(f.read_text(encoding="utf-8")):
                texts.append(piece)
                metas.append({"source": f.name})
        for i in range(0, len(texts), 128):
            store.add_texts(texts[i : i + 128], metas[i : i + 128])
    return lambda query, k: [d.page_content for d in store.as_retriever(search_kwargs={"k": k}).invoke(query)]


def retriever_search(retriever_for):
    """``search(query, k)`` over LangChain retrievers: ``retriever_for(k)`` makes the retriever of k passages."""
    made: dict[int, object] = {}

    def search(query: str, k: int) -> list[str]:
        retriever = made.setdefault(k, retriever_for(k))
        return [d.page_content for d in retriever.invoke(query)]

    return search


def format_table(name: str, report: dict) -> list[str]:
    """Readable lines of one system's report."""
    lines = [f"== {name} ==", f"{'group':<28}{'n':>5}{'hit@1':>8}{'hit@3':>8}{'hit@5':>8}{'hit@10':>8}{'mrr@10':>8}"]

    def row(label, m):
        lines.append(f"{label:<28}{m['n']:>5}{m['hit@1']:>8.3f}{m['hit@3']:>8.3f}{m['hit@5']:>8.3f}{m['hit@10']:>8.3f}{m['mrr@10']:>8.3f}")

    row("all", report["all"])
    for key in ("task", "topic", "lang"):
        for g, m in report[key].items():
            row(f"{key}={g}", m)
    return lines


def summarize_latency(latencies: list[float]) -> dict:
    """p50/p95 of latencies in ms."""
    s = sorted(latencies)
    if not s:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    return {"p50_ms": round(statistics.median(s), 1), "p95_ms": round(s[min(len(s) - 1, int(0.95 * len(s)))], 1)}


def write_report(path: Path, payload: dict) -> None:
    """Write the JSON report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
