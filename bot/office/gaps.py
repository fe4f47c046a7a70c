"""Knowledge gaps: questions the bot could not answer well, grouped by similarity, closed by writing an FAQ entry."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from ingest import IngestOptions, ingest_file
from knowledge import KnowledgeBase, tokenize

from .appdb import AppDB, utc_now
from .audit import AuditLog
from .conversations import Conversations
from ..answering import BotError, bounded, language_of

GAP_REASONS = ("abstained", "declined", "weak", "disliked")
MAX_CANDIDATES = 1000


class GapError(BotError):
    """A gap could not be closed; the message says why."""


@dataclass
class GapQuestion:
    """One unanswered, weakly supported or disliked question."""

    exchange_id: int
    question: str
    created_at: str
    reasons: list[str] = field(default_factory=list)
    comment: str = ""


@dataclass
class GapGroup:
    """Similar gap questions; ``id`` is the smallest exchange id in it, stable while the group is open."""

    id: int
    question: str
    count: int
    first_at: str
    last_at: str
    reasons: list[str]
    questions: list[str]
    exchange_ids: list[int]
    comments: list[str]


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def _key(text: str) -> set[str]:
    tokens = set(tokenize(text))
    return tokens or {re.sub(r"\W+", "", text.lower())}


def group_questions(items: list[GapQuestion], threshold: float = 0.5) -> list[GapGroup]:
    """Single-link groups of questions whose jieba-token Jaccard similarity reaches ``threshold``; largest, then latest first."""
    keys = [_key(i.question) for i in items]
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if root(i) != root(j) and jaccard(keys[i], keys[j]) >= threshold:
                parent[root(j)] = root(i)
    members: dict[int, list[GapQuestion]] = {}
    for i, item in enumerate(items):
        members.setdefault(root(i), []).append(item)
    groups = []
    for qs in members.values():
        counts: dict[str, int] = {}
        for q in qs:
            counts[q.question] = counts.get(q.question, 0) + 1
        ordered = sorted(counts, key=lambda t: -counts[t])
        groups.append(GapGroup(
            id=min(q.exchange_id for q in qs), question=ordered[0], count=len(qs),
            first_at=min(q.created_at for q in qs), last_at=max(q.created_at for q in qs),
            reasons=[r for r in GAP_REASONS if any(r in q.reasons for q in qs)], questions=ordered,
            exchange_ids=sorted(q.exchange_id for q in qs), comments=[q.comment for q in qs if q.comment]))
    groups.sort(key=lambda g: g.last_at, reverse=True)
    return sorted(groups, key=lambda g: -g.count)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def faq_markdown(question: str, answer: str, when: date | None = None) -> str:
    """An FAQ document in the knowledge base's Markdown format: ``## 问：…`` then ``答：…``."""
    q = _one_line(question).lstrip("#＃ ")
    zh = language_of(q) == "zh"
    body = "\n".join(re.sub(r"^\s*#", "＃", line) for line in answer.strip().splitlines())
    day = (when or date.today()).isoformat()
    title = f"常见问题：{q[:40]}" if zh else f"FAQ: {q[:60]}"
    head = f"> 类型：问答 | 适用范围：全国 | 状态：现行 | 更新日期：{day}" if zh else f"> type: faq | jurisdiction: national | status: current | updated: {day}"
    qa = f"## 问：{q}\n\n答：{body}" if zh else f"## Q: {q}\n\nA: {body}"
    return f"# {title}\n\n{head}\n\n{qa}\n"


class Gaps:
    """Finds gap questions in the chat log and turns a staff member's answer into an indexed FAQ entry."""

    def __init__(self, db: AppDB, conversations: Conversations, kb: KnowledgeBase, faq_dir: Path, options: IngestOptions,
                 audit: AuditLog, weak_support: float = 0.5, similarity: float = 0.5, max_chars: int = 20_000) -> None:
        self.db, self.conversations, self.kb, self.faq_dir = db, conversations, kb, Path(faq_dir)
        self.options, self.audit, self.weak_support, self.similarity = options, audit, weak_support, similarity
        self.max_chars = max_chars

    def candidates(self) -> list[GapQuestion]:
        """Open gap questions, oldest first: abstained, declined by the model though covered, supported below
        ``weak_support``, or rated 👎."""
        found = self.conversations.exchanges(MAX_CANDIDATES, "e.gap_group IS NULL AND (e.abstained = 1 OR e.mode = 'llm-declined' OR e.support < ? OR f.rating < 0)",
                                             (self.weak_support,))
        out = []
        for e in reversed(found):
            reasons = [r for r, hit in (("abstained", e.abstained), ("declined", e.mode == "llm-declined"), ("weak", not e.abstained and e.support < self.weak_support),
                                        ("disliked", e.rating < 0)) if hit]
            out.append(GapQuestion(e.id, e.question, e.created_at, reasons, e.comment))
        return out

    def open_groups(self) -> list[GapGroup]:
        """Open gap questions grouped by similarity."""
        return group_questions(self.candidates(), self.similarity)

    def group(self, group_id: int) -> GapGroup:
        """The open group with this id; GapError when it is unknown or already resolved."""
        for g in self.open_groups():
            if g.id == group_id:
                return g
        raise GapError(f"no open gap group {group_id}: it was resolved or its questions changed; refresh the list")

    def resolve(self, group_id: int, answer: str, actor: str, question: str | None = None) -> str:
        """Write the answer as an FAQ file under ``faq_dir``, index it, mark the group resolved; returns the FAQ's doc id."""
        if len(answer.strip()) < 4:
            raise GapError("write the answer first (at least a sentence)")
        bounded(answer, self.max_chars, "the answer")
        bounded(question or "", self.max_chars, "the question")
        group = self.group(group_id)
        question = _one_line(question or group.question)
        with self.db.tx() as db:
            gid = db.insert("INSERT INTO gap_groups(question, answer, resolved_by, resolved_at) VALUES (?,?,?,?)",
                            (question, answer.strip(), actor, utc_now()))
        self.faq_dir.mkdir(parents=True, exist_ok=True)
        path = self.faq_dir / f"faq-{gid}.md"
        path.write_text(faq_markdown(question, answer), encoding="utf-8")
        outcome = ingest_file(self.kb, path, replace(self.options, ocr=False, overrides={}))
        if outcome.status == "failed":
            path.unlink(missing_ok=True)
            with self.db.tx() as db:
                db.execute("DELETE FROM gap_groups WHERE id=?", (gid,))
            raise GapError(f"the FAQ entry could not be indexed: {outcome.reason}")
        marks = ",".join("?" * len(group.exchange_ids))
        with self.db.tx() as db:
            db.execute("UPDATE gap_groups SET faq_doc_id=? WHERE id=?", (outcome.doc_id, gid))
            db.execute(f"UPDATE exchanges SET gap_group=? WHERE id IN ({marks})", (gid, *group.exchange_ids))
        self.audit.record(actor, "gap.resolve", outcome.doc_id, f"{group.count} question(s): {question[:80]}")
        return outcome.doc_id

    def resolved(self, limit: int = 200) -> list[dict]:
        """Resolved groups, newest first: question, answer, FAQ doc id, who and when, number of questions."""
        rows = self.db.query("SELECT g.id, g.question, g.answer, g.faq_doc_id, g.resolved_by, g.resolved_at, COUNT(e.id) AS count "
                             "FROM gap_groups g LEFT JOIN exchanges e ON e.gap_group = g.id GROUP BY g.id ORDER BY g.id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]
