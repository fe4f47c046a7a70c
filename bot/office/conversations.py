"""Questions asked in the public chat, the answers given, visitors' ratings; exported as JSON or CSV."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

from ..answering import Answer, BotError, bounded
from .appdb import AppDB, utc_now

EXPORT_FORMATS = ("json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: one starting with = + - @, a tab or a carriage return gets a
    leading apostrophe, so it is never run as a formula (numbers are left as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass
class Exchange:
    """One question and the answer it got, with the visitor's rating (1, -1 or 0 for none)."""

    id: int
    created_at: str
    session: str
    language: str
    question: str
    answer: str
    abstained: bool
    support: float
    mode: str
    citations: list[dict] = field(default_factory=list)
    rating: int = 0
    comment: str = ""
    gap_group: int | None = None


_SELECT = ("SELECT e.id, e.created_at, e.session, e.language, e.question, e.answer, e.abstained, e.support, e.mode, e.citations, "
           "COALESCE(f.rating, 0) AS rating, COALESCE(f.comment, '') AS comment, e.gap_group "
           "FROM exchanges e LEFT JOIN feedback f ON f.exchange_id = e.id")


def _exchange(r) -> Exchange:
    return Exchange(r["id"], r["created_at"], r["session"], r["language"], r["question"], r["answer"], bool(r["abstained"]),
                    r["support"], r["mode"], json.loads(r["citations"]), r["rating"], r["comment"], r["gap_group"])


class Conversations:
    """The chat log and its feedback in the app database."""

    def __init__(self, db: AppDB, max_chars: int = 20_000) -> None:
        self.db, self.max_chars = db, max_chars

    def record(self, session: str, question: str, answer: Answer) -> int:
        """Store an answered question; returns its id (used to rate it). TooLong when the question is over the limit."""
        bounded(question, self.max_chars, "the question")
        cites = [{"n": c.n, "title": c.title, "article_label": c.article_label, "doc_id": c.doc_id, "chunk_id": c.chunk_id}
                 for c in answer.citations]
        with self.db.tx() as db:
            return db.insert("INSERT INTO exchanges(session, question, answer, citations, abstained, support, mode, language, created_at) "
                             "VALUES (?,?,?,?,?,?,?,?,?)",
                             (session or "", question, answer.answer, json.dumps(cites, ensure_ascii=False), int(answer.abstained),
                              float(answer.support), "llm-declined" if answer.declined else answer.mode, answer.language, utc_now()))

    def rate(self, exchange_id: int, rating: int, comment: str = "") -> None:
        """Record 👍 (1) or 👎 (-1) with an optional comment; a later rating of the same answer replaces it."""
        if rating not in (1, -1):
            raise BotError(f"a rating is 1 or -1, not {rating!r}")
        comment = bounded((comment or "").strip(), self.max_chars, "the comment")
        if self.db.one("SELECT 1 FROM exchanges WHERE id=?", (exchange_id,)) is None:
            raise BotError(f"no answer {exchange_id} to rate")
        with self.db.tx() as db:
            db.execute("INSERT INTO feedback(exchange_id, rating, comment, created_at) VALUES (?,?,?,?) ON CONFLICT(exchange_id) DO UPDATE "
                       "SET rating=excluded.rating, comment=CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END, "
                       "created_at=excluded.created_at", (exchange_id, rating, comment, utc_now()))

    def exchange(self, exchange_id: int) -> Exchange | None:
        """One exchange, or None."""
        row = self.db.one(_SELECT + " WHERE e.id=?", (exchange_id,))
        return _exchange(row) if row else None

    def exchanges(self, limit: int = 10_000, where: str = "", params: tuple = ()) -> list[Exchange]:
        """Exchanges, newest first (``where`` is an SQL condition over ``e`` and ``f``)."""
        sql = _SELECT + (f" WHERE {where}" if where else "") + " ORDER BY e.id DESC LIMIT ?"
        return [_exchange(r) for r in self.db.query(sql, (*params, limit))]

    def export(self, fmt: str) -> bytes:
        """Every exchange with its rating as UTF-8 JSON (a list) or CSV (with a BOM, so Excel reads the Chinese)."""
        if fmt not in EXPORT_FORMATS:
            raise BotError(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
        rows = [asdict(e) for e in reversed(self.exchanges())]
        if fmt == "json":
            return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")
        buf = io.StringIO()
        columns = ["id", "created_at", "session", "language", "question", "answer", "abstained", "support", "mode", "citations", "rating", "comment"]
        writer = csv.DictWriter(buf, columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            row["citations"] = "; ".join(f"[{c['n']}] 《{c['title']}》{c.get('article_label') or ''}" for c in row["citations"])
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
