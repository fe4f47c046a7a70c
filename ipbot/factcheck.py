"""Scoring answers against key-fact sets: does the answer state the asked fact, and does it state it first?

A key-fact item is ``{"id", "query", "facts": ["regex", …], "history"?: [earlier questions], "gold"?: [{file, article}]}``.
``found``: every fact's regular expression matches the answer's body (the text before its list of sources);
``lead``: every fact matches within the first ``LEAD_CHARS`` characters of the body.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

LEAD_CHARS = 160
BODY_KEPT = 600
_SOURCES = re.compile(r"\n\n(?:出处：|Sources:)")


def body_of(answer_text: str) -> str:
    """An answer's text before its list of sources."""
    return _SOURCES.split(answer_text, 1)[0]


def compile_facts(item: dict, where: str) -> list[re.Pattern]:
    """The item's fact patterns, compiled; ValueError naming the item and the pattern when one is not a valid regex."""
    facts = item.get("facts")
    if not isinstance(facts, list) or not facts or not all(isinstance(f, str) for f in facts):
        raise ValueError(f"{where}: 'facts' must be a non-empty list of regular expressions")
    try:
        return [re.compile(f, re.I) for f in facts]
    except re.error as exc:
        raise ValueError(f"{where}: bad fact pattern {exc.pattern!r}: {exc}") from None


@dataclass
class Scored:
    """One answer scored against its facts."""

    id: str
    found: bool
    lead: bool
    abstained: bool
    chars: int
    mode: str = ""
    gold_cited: bool | None = None
    seconds: float = 0.0
    missing: list[str] = field(default_factory=list)
    body: str = ""


def score(item: dict, patterns: list[re.Pattern], answer: dict) -> Scored:
    """An answer (``Answer.to_dict()`` shape) scored against an item's fact patterns."""
    body = body_of(answer.get("answer", ""))
    missing = [p.pattern for p in patterns if not p.search(body)]
    lead = all(p.search(body[:LEAD_CHARS]) for p in patterns)
    mode = "declined" if answer.get("model_declined") else ("fallback" if answer.get("fallback") else answer.get("mode", ""))
    return Scored(str(item.get("id")), not missing, lead, bool(answer.get("abstained")), len(body), mode, missing=missing,
                  body=body[:BODY_KEPT])


def summary(scored: list[Scored]) -> dict:
    """found, lead, abstained (shares), median answer length, and for LLM runs the share shown from the model."""
    n = len(scored)
    share = lambda k: round(sum(k(s) for s in scored) / n, 3) if n else 0.0  # noqa: E731
    out = {"questions": n, "found": share(lambda s: s.found), "lead": share(lambda s: s.lead), "abstained": share(lambda s: s.abstained),
           "median_chars": int(statistics.median([s.chars for s in scored])) if n else 0}
    if any(s.mode in ("llm", "fallback", "declined") for s in scored):
        out["shown_from_model"] = share(lambda s: s.mode == "llm")
        out["model_declined"] = share(lambda s: s.mode == "declined")
        out["fell_back"] = share(lambda s: s.mode == "fallback")
    golds = [s.gold_cited for s in scored if s.gold_cited is not None]
    if golds:
        out["gold_cited"] = round(sum(golds) / len(golds), 3)
    if any(s.seconds for s in scored):
        out["seconds_per_answer"] = round(statistics.mean(s.seconds for s in scored), 2)
    return out


def ask_all(assistant, items: list[dict], history_of) -> list[tuple[dict, float]]:
    """Each item answered by ``assistant`` in the context of its history: (Answer.to_dict(), seconds)."""
    from bot.answering import BotError

    out = []
    for item in items:
        t = time.perf_counter()
        try:
            answer = assistant.ask(item["query"], history=history_of(item.get("history"))).to_dict()
        except BotError as exc:
            answer = {"answer": "", "abstained": True, "error": str(exc)}
        out.append((answer, time.perf_counter() - t))
    return out


def baseline_answers(source: Path, items: list[dict], data_dir: Path) -> dict[str, dict]:
    """Answers of another checkout of ipbot (``source``: its root, e.g. a git worktree of the baseline commit) to the
    same items over the same knowledge base, extractive (no LLM), through its own ``ipbot ask --questions``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPBOT_LLM")}
    env["PYTHONPATH"] = str(source.resolve())
    lines = "\n".join(json.dumps({"id": str(i.get("id")), "query": i["query"], "history": i.get("history", [])}, ensure_ascii=False)
                      for i in items)
    path = data_dir / "baseline-questions.jsonl"
    path.write_text(lines + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", "from ipbot.cli import app; app()", "ask", "--questions", str(path.resolve()),
                          "--data-dir", str(data_dir.resolve())], cwd=source, env=env, capture_output=True, text=True, timeout=3600)
    if run.returncode != 0:
        raise RuntimeError(f"the baseline in {source} failed: {run.stderr.strip()[-500:]}")
    answers = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            answers[str(d.get("id"))] = d
    return answers
