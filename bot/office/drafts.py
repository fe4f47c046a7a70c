"""Formal draft replies for service-center staff: composed from a cited answer, edited, saved and listed."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date

from prompts import worded

from ..answering import Answer, BotError, Citation, DISCLAIMER, LLMError, answer_body, bounded, generate_answer, in_force_today, language_of, normalize_question
from .appdb import AppDB, utc_now

FACT_KEYS = ("industry", "region", "stage")
TO_COMPLETE = worded("draft", "to_complete")
_TEXT = worded("draft")
_BASIS_LINE = re.compile(r"^(依据|Legal basis)")
_STEPS_LINE = re.compile(r"^(下一步|Next steps?)\s*[:：]?\s*$", re.I)
_INTRO_LINE = re.compile(r"^(根据知识库中的规定|From the knowledge base)")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.、)）])\s*")


@dataclass
class Draft:
    """A reply being drafted: the editable ``body`` carries [n] markers that refer to ``citations``."""

    question: str
    body: str
    citations: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    language: str = "zh"
    id: int | None = None
    author: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def title(self) -> str:
        """The heading of the exported document."""
        return _TEXT[self.language]["title"]

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Draft":
        """The draft stored by ``to_dict``."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def citation_label(c: dict | Citation, language: str = "zh") -> str:
    """《title》 article (or page), with the effective date when known."""
    c = asdict(c) if isinstance(c, Citation) else c
    where = c.get("article_label") or (f"p.{c['page']}" if c.get("page") else "")
    label = f"《{c.get('title', '')}》{where}"
    if c.get("effective_date"):
        label += f"（{_TEXT[language]['effective']} {c['effective_date']}）" if language == "zh" else f" ({_TEXT[language]['effective']} {c['effective_date']})"
    return label


def citation_note(c: dict, language: str = "zh") -> str:
    """The full text of a footnote: the source and the quoted passage."""
    quote = (c.get("quote") or "").strip()
    return citation_label(c, language) + (f"：“{quote}”" if language == "zh" else f': "{quote}"') if quote else citation_label(c, language)


def legal_bases(draft: Draft) -> list[str]:
    """The numbered legal bases of a draft, one line each."""
    return [f"{c['n']}. {citation_label(c, draft.language)}" for c in draft.citations]


def _split_answer(answer: Answer) -> tuple[list[str], list[str]]:
    points, steps, in_steps = [], [], False
    for line in answer_body(answer).split("\n"):
        line = line.strip()
        if not line or _INTRO_LINE.match(line):
            continue
        if _STEPS_LINE.match(line):
            in_steps = True
            continue
        text = _LIST_MARK.sub("", line)
        if _BASIS_LINE.match(line) and not in_steps:
            continue
        (steps if in_steps else points).append(text)
    return points, steps


def draft_from_answer(question: str, answer: Answer, facts: dict, human_channel: str, center: str, when: date | None = None) -> Draft:
    """A formal reply: greeting, summary points, numbered legal bases, next steps, disclaimer, signature."""
    language = answer.language if answer.language in _TEXT else "zh"
    t = _TEXT[language]
    facts = {k: (facts.get(k) or "").strip() for k in FACT_KEYS if (facts.get(k) or "").strip()}
    points, steps = ([], []) if answer.abstained else _split_answer(answer)
    citations = [asdict(c) for c in answer.citations]
    fact_text = t["sep"].join(f"{t['fact_names'][k]}：{v}" if language == "zh" else f"{t['fact_names'][k]}: {v}" for k, v in facts.items())
    lines = [t["greeting"], "", t["thanks"].format(q=question) + (t["facts"].format(facts=fact_text) if facts else "") + t["reply"], "", t["points"]]
    lines += [f"{i}. {p}" for i, p in enumerate(points or [TO_COMPLETE[language]], 1)]
    lines += ["", t["bases"]]
    lines += [f"{c['n']}. {citation_label(c, language)}" for c in citations] or [f"1. {TO_COMPLETE[language]}"]
    lines += ["", t["steps"]]
    lines += [f"{i}. {s}" for i, s in enumerate(steps or [TO_COMPLETE[language]], 1)]
    lines += ["", t["note"], DISCLAIMER[language] + ("" if language == "zh" else " ") + t["help"] + human_channel, "", center,
              (when or date.today()).isoformat()]
    return Draft(question, "\n".join(lines), citations, facts, language)


def llm_draft(assistant, question: str, facts: dict, filters=None) -> Draft | None:
    """A draft written by the LLM from the staff prompt, every sentence citation-checked; None when no LLM
    is configured, the sources do not cover the question, or the model fails (the template is used then)."""
    if assistant.llm is None:
        return None
    language = language_of(question)
    hits = assistant.retrieve(question, filters)
    facts_text = "；".join(f"{k}：{v}" for k, v in facts.items() if v)
    try:
        final = None
        for item in generate_answer(assistant.llm, f"{question}（{facts_text}）" if facts_text else question, language, hits,
                             prompt=assistant.prompts.get("staff_reply", language), min_overlap=assistant.settings.citation_min_overlap,
                             stream=False, extra={"human_channel": assistant.human_channel(language)}, link_domains=assistant.link_domains):
            final = item
    except LLMError:
        return None
    if not isinstance(final, Answer) or final.abstained:
        return None
    return Draft(question, final.answer, [asdict(c) for c in final.citations], facts, language)


def compose_draft(assistant, question: str, facts: dict | None = None, filters=None, history: list[str] | None = None) -> Draft:
    """A draft reply to a client's question (a follow-up of ``history``, the client's earlier questions, is read in
    their context): written by the LLM from the staff prompt when one is configured, else (or when that fails) the
    formal template around the assistant's answer-first cited answer."""
    q = normalize_question(question)
    asked = assistant.standalone_question(q, history) if history else q
    facts = {k: (v or "").strip() for k, v in (facts or {}).items() if k in FACT_KEYS and (v or "").strip()}
    drafted = llm_draft(assistant, asked, facts, filters)
    if drafted is not None:
        drafted.question = q
        return drafted
    answer = assistant.answer(asked, assistant.retrieve(asked, filters or in_force_today()))
    language = language_of(q)
    return draft_from_answer(q, answer, facts, assistant.human_channel(language), assistant.settings.service_center_name)


class DraftStore:
    """Saved drafts in the app database."""

    def __init__(self, db: AppDB, max_chars: int = 20_000) -> None:
        self.db, self.max_chars = db, max_chars

    def save(self, draft: Draft, author: str) -> Draft:
        """Insert a new draft or update a saved one (its author stays); returns it with id and times set."""
        if not draft.body.strip():
            raise BotError("the draft is empty; generate or write it first")
        bounded(draft.body, self.max_chars, "the draft")
        bounded(draft.question, self.max_chars, "the draft's question")
        now = utc_now()
        values = (draft.question, json.dumps(draft.facts, ensure_ascii=False), draft.body, json.dumps(draft.citations, ensure_ascii=False), draft.language)
        with self.db.tx() as db:
            if draft.id is not None and db.execute("SELECT 1 FROM drafts WHERE id=?", (draft.id,)).fetchone():
                db.execute("UPDATE drafts SET question=?, facts=?, body=?, citations=?, language=?, updated_at=? WHERE id=?", (*values, now, draft.id))
            else:
                draft.id = db.insert("INSERT INTO drafts(question, facts, body, citations, language, author, created_at, updated_at) "
                                     "VALUES (?,?,?,?,?,?,?,?)", (*values, author, now, now))
                draft.author, draft.created_at = author, now
        draft.updated_at = now
        return self.get(draft.id)

    def get(self, draft_id: int) -> Draft:
        """A saved draft; BotError when there is none with this id."""
        r = self.db.one("SELECT * FROM drafts WHERE id=?", (draft_id,))
        if r is None:
            raise BotError(f"no saved draft {draft_id}")
        return Draft(r["question"], r["body"], json.loads(r["citations"]), json.loads(r["facts"]), r["language"], r["id"], r["author"],
                     r["created_at"], r["updated_at"])

    def list(self, limit: int = 500) -> list[Draft]:
        """Saved drafts, most recently changed first."""
        return [self.get(r["id"]) for r in self.db.query("SELECT id FROM drafts ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,))]
