"""Everything the web app needs, opened once from Settings: the assistant, accounts, chat log, drafts, gaps, console, audit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .accounts import Accounts
from .apikeys import ApiKeys
from .appdb import AppDB, open_app_db
from ..answering import Assistant, SearchFilters, bounded
from .audit import AuditLog
from .console import KnowledgeConsole
from .conversations import Conversations
from .drafts import Draft, DraftStore, compose_draft
from .gaps import Gaps

if TYPE_CHECKING:
    from ipbot.settings import Settings


@dataclass
class Services:
    """The app's services over one data dir."""

    settings: "Settings"
    assistant: Assistant
    db: AppDB
    accounts: Accounts
    audit: AuditLog
    conversations: Conversations
    drafts: DraftStore
    gaps: Gaps
    console: KnowledgeConsole
    keys: ApiKeys

    def public_filters(self) -> SearchFilters:
        """What the public chat searches: documents in force today (retired ones are not cited)."""
        return SearchFilters(in_force_on=date.today())

    def question(self, text: str) -> str:
        """A question as the server accepts it: TooLong when it is over ``max_question_chars``."""
        return bounded(text, self.settings.max_question_chars, "the question")

    def draft(self, question: str, facts: dict | None = None, history: list[str] | None = None) -> Draft:
        """A formal draft reply to a client's question, a follow-up of ``history`` (the client's earlier questions;
        facts and earlier questions bounded like questions)."""
        facts = {k: bounded(str(v or ""), self.settings.max_question_chars, k) for k, v in (facts or {}).items()}
        earlier = [self.question(h) for h in (history or []) if h.strip()][-MAX_HISTORY:]
        return compose_draft(self.assistant, self.question(question), facts, self.public_filters(), earlier)


MAX_HISTORY = 4


def open_services(settings: "Settings", assistant: Assistant) -> Services:
    """The services of the data dir the settings point to, around ``assistant`` (the app database is created when
    missing)."""
    db = open_app_db(settings.data_dir, settings.database_url)
    audit = AuditLog(db)
    conversations = Conversations(db, settings.max_text_chars)
    options = settings.ingest_options()
    gaps = Gaps(db, conversations, assistant.kb, settings.data_dir / "faq", options, audit,
                settings.gap_weak_support, settings.gap_similarity, settings.max_text_chars)
    return Services(settings, assistant, db, Accounts(db, settings.session_hours), audit, conversations, DraftStore(db, settings.max_text_chars), gaps,
                    KnowledgeConsole(assistant, audit, settings.data_dir / "uploads", options), ApiKeys(db))
