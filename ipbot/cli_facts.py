"""``ipbot eval answers --facts``: whether answers state the asked facts, and state them first — extractively, with
the LLM when one is configured, and for a baseline checkout in the same run."""
from __future__ import annotations

from pathlib import Path

from .cli_common import console, earlier_questions, eval_inputs, fail, index_corpus, index_starter, open_assistant, out, read_jsonl
from .evaluation import write_report
from .factcheck import Scored, ask_all, baseline_answers, compile_facts, score, summary
from .scoring import first_hit_rank

FACTS_DATA_DIR = Path("var/facts")


def _gold_cited(kb, item: dict, answer: dict, gold: dict) -> bool | None:
    articles = [gold[(g["file"], int(g["article"]))] for g in item.get("gold", []) if (g.get("file"), int(g.get("article", 0))) in gold]
    if not articles:
        return None
    chunks = kb.get_chunks([c["chunk_id"] for c in answer.get("citations", []) if c.get("chunk_id")])
    return bool(first_hit_rank([chunks[c["chunk_id"]].text for c in answer.get("citations", []) if c.get("chunk_id") in chunks], articles))


def _scored(kb, items, patterns, answers, gold) -> list[Scored]:
    out = []
    for item, pats, (answer, seconds) in zip(items, patterns, answers):
        s = score(item, pats, answer)
        s.gold_cited, s.seconds = _gold_cited(kb, item, answer, gold), seconds
        out.append(s)
    return out


def _line(name: str, mode: str, m: dict) -> str:
    extra = "".join(f", {k.replace('_', ' ')} {m[k]}" for k in ("gold_cited", "shown_from_model", "model_declined", "fell_back", "seconds_per_answer") if k in m)
    return (f"{name:<22} {mode:<10} found {m['found']:.3f}  lead {m['lead']:.3f}  abstained {m['abstained']:.3f}  "
            f"median {m['median_chars']} chars  (n={m['questions']}{extra})")


def eval_facts(paths: list[Path], corpus, articles, out_of_scope: Path, reindex: bool, report: Path, data_dir, baseline: Path | None) -> None:
    """Score the answers to each key-fact set (see ipbot.factcheck) and print one line per set and mode."""
    from bot.answering import Assistant

    corpus, gold, settings = eval_inputs(corpus, articles, data_dir or FACTS_DATA_DIR)
    if reindex:
        assistant = index_corpus(settings, corpus)
        index_starter(settings, assistant)
    else:
        assistant = open_assistant(settings)
    assistant.hold_out_linked_questions()
    modes = {"extractive": assistant}
    if assistant.llm is not None:
        plain = Assistant(settings.model_copy(update={"llm_base_url": None, "llm_backend": None}), kb=assistant.kb)
        plain.hold_out_linked_questions()
        modes = {"extractive": plain, "llm": assistant}
    sets = {}
    for path in paths:
        items = read_jsonl(path, "query")
        try:
            sets[path.stem] = (items, [compile_facts(i, f"{path}: item {i.get('id')}") for i in items])
        except ValueError as exc:
            fail(str(exc))
    outside = read_jsonl(out_of_scope, "query") if out_of_scope and out_of_scope.exists() else []
    payload: dict = {"sets": {}, "out_of_scope": {}}
    for name, (items, patterns) in sets.items():
        payload["sets"][name] = {}
        runs = {mode: ask_all(a, items, earlier_questions) for mode, a in modes.items()}
        if baseline is not None:
            answers = baseline_answers(baseline, items, Path(settings.data_dir))
            runs = {"baseline": [(answers.get(str(i.get("id")), {"answer": "", "abstained": True}), 0.0) for i in items], **runs}
        for mode, answers in runs.items():
            scored = _scored(assistant.kb, items, patterns, answers, gold)
            payload["sets"][name][mode] = {"summary": summary(scored), "items": [vars(s) for s in scored]}
            out.print(_line(name, mode, payload["sets"][name][mode]["summary"]), markup=False)
    if outside:
        for mode, a in modes.items():
            answers = ask_all(a, outside, earlier_questions)
            payload["out_of_scope"][mode] = round(sum(bool(x.get("abstained")) for x, _ in answers) / len(answers), 3)
        if baseline is not None:
            answers = baseline_answers(baseline, outside, Path(settings.data_dir))
            payload["out_of_scope"]["baseline"] = round(sum(bool(answers.get(str(i.get("id")), {}).get("abstained", True)) for i in outside) / len(outside), 3)
        out.print("abstained out of scope (" + out_of_scope.name + "): "
                  + ", ".join(f"{m} {v:.3f}" for m, v in payload["out_of_scope"].items()), markup=False)
    write_report(report, payload)
    console.print(f"report written to {report}", highlight=False)
