"""``ipbot bench scale``: search at 100,000 passages. The passages are synthetic — sentences put together from the
real corpus's own sentences (so BM25 sees realistic postings) with random unit vectors for the passages and their
sentences (embedding 100,000 passages on 2 cores would take hours; the search's cost does not depend on what the
vectors say) — written straight into a knowledge base beside the real laws of a source knowledge base, which keep
their real embeddings. Measures, for the development questions: search p50 / p95 with the embedded store (exact
embedding search in memory, and Chroma's index) and with a Chroma server; the share of the time spent in BM25; the
process's memory.

    python benchmarks/scale_check.py --data-dir var/facts --passages 100000
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipbot.compose import build_assistant, open_knowledge_base  # noqa: E402
from ipbot.settings import Settings  # noqa: E402
from knowledge import ChunkRecord, DocumentRecord, tokenize  # noqa: E402

PER_DOC = 200


def rss_mb() -> float:
    m = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(m.group(1)) / 1024 if m else 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    m = rng.standard_normal((n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def fill(kb, passages: int, seed: int = 7) -> float:
    """Add ``passages`` synthetic passages in documents of PER_DOC; returns seconds."""
    rng, pick = np.random.default_rng(seed), random.Random(seed)
    sentences = [s for c in kb.registry.chunks(None) for s in re.split(r"(?<=[。；])", c.text) if len(s) > 8]
    dim, t = kb.embedder.dim, time.perf_counter()
    for d in range(0, passages, PER_DOC):
        doc_id = f"synthetic-{d // PER_DOC:05d}"
        n = min(PER_DOC, passages - d)
        texts = ["".join(pick.sample(sentences, 3)) for _ in range(n)]
        meta = {"title": f"合成文件{d // PER_DOC}", "doc_type": "guide", "status": "in_force", "jurisdiction": "national"}
        chunks = [ChunkRecord(f"{doc_id}#{i}", doc_id, i, text, dict(meta)) for i, text in enumerate(texts)]
        doc = DocumentRecord(doc_id, f"synthetic/{doc_id}.md", doc_id, meta["title"], "md", chunk_count=n, metadata=meta)
        kb.vectors.add([c.chunk_id for c in chunks], unit(rng, n, dim), texts, [c.metadata for c in chunks])
        kb.registry.replace_document(doc, chunks, [tokenize(x) for x in texts], [unit(rng, 3, dim) for _ in chunks])
    return time.perf_counter() - t


def measure(settings: Settings, questions: list[str], label: str) -> dict:
    """Search every question twice (the first pass warms caches and loads indexes); times of the second pass."""
    assistant = build_assistant(settings)
    kb = assistant.kb
    lexical_seconds = [0.0]
    real = kb.lexical_search

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            lexical_seconds[0] += time.perf_counter() - t

    kb.lexical_search = timed
    t = time.perf_counter()
    assistant.search(questions[0], 10)
    first = time.perf_counter() - t
    for q in questions:
        assistant.search(q, 10)
    lexical_seconds[0], times = 0.0, []
    for q in questions:
        t = time.perf_counter()
        assistant.search(q, 10)
        times.append(time.perf_counter() - t)
    out = {"setup": label, "passages": len(kb.registry.chunk_ids()), "first_search_s": round(first, 1),
           "p50_ms": round(1000 * statistics.median(times), 1), "p95_ms": round(1000 * percentile(times, 0.95), 1),
           "bm25_share": round(lexical_seconds[0] / sum(times), 3), "rss_mb": round(rss_mb())}
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "facts", help="A built knowledge base (copied, never changed).")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--setups", nargs="+", default=["exact", "index", "server"], choices=["exact", "index", "server"])
    parser.add_argument("--report", type=Path, default=ROOT / "benchmarks" / "out" / "scale.json")
    args = parser.parse_args()
    qs = [json.loads(line)["query"] for name in ("zh_dev2", "en_dev2") for line in
          (ROOT / "benchmarks" / "facts" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()][: args.questions]
    report = []
    with tempfile.TemporaryDirectory(prefix="ipbot-scale-") as tmp:
        data = Path(tmp) / "var"
        shutil.copytree(args.data_dir, data, ignore=shutil.ignore_patterns("app.sqlite3*", "tmp", "write.lock"))
        base = Settings(data_dir=data, _env_file=None, question_links=False)
        kb = open_knowledge_base(base)
        seconds = fill(kb, args.passages)
        print(f"{args.passages} synthetic passages written in {seconds:.0f} s", flush=True)
        if "exact" in args.setups:
            exact = base.model_copy(update={"exact_dense_max": len(kb.registry.chunk_ids())})
            report.append(measure(exact, qs, "embedded, exact embedding search in memory"))
        if "index" in args.setups:
            report.append(measure(base.model_copy(update={"exact_dense_max": 0}), qs, "embedded, Chroma's HNSW index"))
        if "server" in args.setups:
            report.append(server_setup(base, kb, Path(tmp), qs))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"report written to {args.report}")


def server_setup(base: Settings, kb, tmp: Path, qs: list[str]) -> dict:
    """The same knowledge base with its vectors in a Chroma server (``chroma run``), searched by the index."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        server = base.model_copy(update={"chroma_url": f"http://127.0.0.1:{port}", "exact_dense_max": 0})
        remote = open_knowledge_base(server)
        ids = sorted(kb.registry.chunk_ids())
        t = time.perf_counter()
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            vectors = kb.vectors.get_embeddings(part)
            chunks = kb.registry.chunks_by_id(part)
            remote.vectors.add(part, np.stack([vectors[c] for c in part]), [chunks[c].text for c in part], [chunks[c].metadata for c in part])
        print(f"copied {len(ids)} vectors to the Chroma server in {time.perf_counter() - t:.0f} s", flush=True)
        return measure(server, qs, "Chroma server (HNSW index)")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
