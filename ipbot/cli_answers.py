"""``ipbot eval answers``: gold articles cited, citations that pass the check, abstention in and out of scope,
and the latency of the answer step after retrieval — extractively, and with the LLM when one is configured."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import DataDir, console, eval_app, eval_inputs, fail, index_corpus, open_assistant, out, read_jsonl
from .evaluation import summarize_latency, write_report
from .scoring import first_hit_rank


def _retrieve(assistant, questions: list[dict]) -> list[tuple[str, list]]:
    from bot.answering import InvalidQuestion, normalize_question

    done = []
    for q in questions:
        try:
            text = normalize_question(q["query"])
        except InvalidQuestion:
            continue
        done.append((text, assistant.retriever.search(text, assistant.settings.top_k)))
    return done


def _run(assistant, retrieved: list[tuple[str, list]], use_llm: bool) -> tuple[list, list[float]]:
    answers, latencies = [], []
    for text, hits in retrieved:
        t = time.perf_counter()
        answers.append(assistant.answer(text, hits, use_llm=use_llm))
        latencies.append((time.perf_counter() - t) * 1000)
    return answers, latencies


def _citation_figures(assistant, answers: list) -> tuple[int, int]:
    from bot.answering import answer_body, verify_citations

    passed = shown = 0
    for a in answers:
        if a.abstained or not a.citations:
            continue
        chunks = assistant.kb.get_chunks([c.chunk_id for c in a.citations])
        texts = {c.n: chunks[c.chunk_id].text if c.chunk_id in chunks else "" for c in a.citations}
        p, s = verify_citations(answer_body(a), texts, assistant.settings.citation_min_overlap)
        passed, shown = passed + p, shown + s
    return passed, shown


def _gold(questions: list[dict], gold: dict) -> list[list]:
    return [[gold[(g["file"], int(g["article"]))] for g in q.get("gold", []) if (g["file"], int(g["article"])) in gold] for q in questions]


def _gold_cited(assistant, golds: list[list], answers: list) -> int:
    hits = 0
    for articles, a in zip(golds, answers):
        chunks = assistant.kb.get_chunks([c.chunk_id for c in a.citations])
        if articles and first_hit_rank([chunks[c.chunk_id].text for c in a.citations if c.chunk_id in chunks], articles):
            hits += 1
    return hits


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


@eval_app.command("answers")
def eval_answers(
    qa: Annotated[Optional[list[Path]], typer.Option(help="JSONL in-scope questions with gold articles (e.g. ../shared/eval/dev_retrieval.jsonl); repeatable.")] = None,
    facts: Annotated[Optional[list[Path]], typer.Option(help="JSONL key-fact set ({id, query, facts: [regex…], history?, gold?}); repeatable. "
                                                             "Scores whether each answer states the facts, and first; over the corpus plus the starter guides.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="With --facts: the root of another ipbot checkout (e.g. a git worktree of the "
                                                          "baseline commit) whose answers are scored in the same run.")] = None,
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of corpus documents.")] = None,
    out_of_scope: Annotated[Path, typer.Option(help="JSONL questions the knowledge base does not cover.")] = Path("benchmarks/out_of_scope.jsonl"),
    articles: Annotated[Optional[Path], typer.Option(help="articles.jsonl used for scoring.")] = None,
    reindex: Annotated[bool, typer.Option(help="Index new or changed corpus files first (--no-reindex: use the index as it is).")] = True,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path("benchmarks/out/answers.json"),
    data_dir: DataDir = None,
) -> None:
    """Answers over the corpus: share citing a gold article, citations passing the check, abstention, answer latency;
    with --facts, whether answers state the asked facts (found) and state them first (lead)."""
    if facts:
        from .cli_facts import eval_facts

        return eval_facts(facts, corpus, articles, out_of_scope, reindex, report, data_dir, baseline)
    if not qa:
        fail("give --qa FILE (questions with gold articles) or --facts FILE (a key-fact set)")
    corpus, gold, settings = eval_inputs(corpus, articles, data_dir)
    in_scope, outside = [q for path in qa for q in read_jsonl(path, "query")], read_jsonl(out_of_scope, "query")
    assistant = index_corpus(settings, corpus) if reindex else open_assistant(settings)
    assistant.hold_out_linked_questions()
    console.print(f"retrieving for {len(in_scope)} in-scope and {len(outside)} out-of-scope questions", highlight=False)
    retrieved_in, retrieved_out = _retrieve(assistant, in_scope), _retrieve(assistant, outside)
    golds = _gold(in_scope, gold)
    found = [bool(arts and first_hit_rank([h.chunk.text for h in hits], arts)) for arts, (_, hits) in zip(golds, retrieved_in)]
    modes = [("extractive", False)] + ([("llm", True)] if assistant.llm is not None else [])
    payload: dict = {"in_scope": len(retrieved_in), "out_of_scope": len(retrieved_out), "top_k": settings.top_k,
                     "gold_retrieved": _share(sum(found), len(found))}
    out.print(f"gold article among the {settings.top_k} passages given to the answer step: {payload['gold_retrieved']:.3f}", markup=False)
    for mode, use_llm in modes:
        answers, latency = _run(assistant, retrieved_in, use_llm)
        outside_answers, _ = _run(assistant, retrieved_out, use_llm)
        passed, shown = _citation_figures(assistant, answers + outside_answers)
        answered = [a for a in answers if not a.abstained]
        cited = _gold_cited(assistant, golds, answers)
        cited_found = _gold_cited(assistant, [g for g, f in zip(golds, found) if f], [a for a, f in zip(answers, found) if f])
        payload[mode] = {
            "gold_cited": _share(cited, len(answers)), "gold_cited_when_answered": _share(cited, len(answered)),
            "gold_cited_when_retrieved": _share(cited_found, sum(found)),
            "citations_pass": _share(passed, shown), "citations_shown": shown,
            "abstain_in_scope": _share(len(answers) - len(answered), len(answers)),
            "abstain_out_of_scope": _share(sum(a.abstained for a in outside_answers), len(outside_answers)),
            "fallbacks": sum(bool(a.fallback) for a in answers + outside_answers),
            "dropped_sentences": sum(a.dropped for a in answers + outside_answers),
            "answer_latency": summarize_latency(latency),
            "prompt": next((a.prompt for a in answers if a.mode == "llm"), ""),
        }
        m = payload[mode]
        out.print(f"== {mode} == gold article cited {m['gold_cited']:.3f} (when retrieved {m['gold_cited_when_retrieved']:.3f}); "
                  f"citations passing the check {m['citations_pass']:.3f} of {shown}; abstention in scope {m['abstain_in_scope']:.3f}, "
                  f"out of scope {m['abstain_out_of_scope']:.3f}; answer step p50 {m['answer_latency']['p50_ms']} ms, "
                  f"p95 {m['answer_latency']['p95_ms']} ms; fallbacks {m['fallbacks']}", markup=False)
    write_report(report, payload)
    console.print(f"report written to {report}", highlight=False)
