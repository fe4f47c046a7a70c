"""Answering: retrieval, answer composition and citation checks. The only API the UI uses."""
from .answer import DISCLAIMER, Answer, Citation, answer_body
from .assistant import Assistant, open_knowledge_base
from .citecheck import CitationChecker, verify_citations
from .conflicts import AUTHORITY, Conflict, document_conflicts, figure_conflicts
from .errors import BotError, InvalidQuestion, TooLong
from .links import DEFAULT_LINK_DOMAINS, safe_links
from .llm import LLM_BACKENDS, LLMConfigError, LLMError, backend_of, make_llm
from .query import language_of, normalize_question
from .retrieval import SearchFilters

__all__ = ["Answer", "Assistant", "BotError", "Citation", "CitationChecker", "DISCLAIMER", "InvalidQuestion", "LLMConfigError",
           "LLMError", "LLM_BACKENDS", "SearchFilters", "TooLong", "answer_body", "backend_of", "language_of", "make_llm", "normalize_question",
           "open_knowledge_base", "verify_citations"]

# The web app's services (accounts, chat log, drafts, gaps, knowledge console, exports).
from .accounts import ROLES, AccountError, Accounts, User, hash_password, verify_password
from .appdb import AppDB, local_time, open_app_db
from .audit import AuditEntry, AuditLog
from .console import CONSOLE_CHOICES, METADATA_FIELDS, ConsoleError, DocumentRow, KnowledgeConsole, check_metadata, needs_effective_date
from .conversations import EXPORT_FORMATS, Conversations, Exchange
from .drafts import FACT_KEYS, Draft, DraftStore, citation_label, citation_note, compose_draft, draft_from_answer, legal_bases
from .export import docx_footnotes, draft_docx, draft_markdown
from .gaps import GapError, GapGroup, GapQuestion, Gaps, faq_markdown, group_questions, jaccard
from .services import Services, open_services

__all__ += ["AccountError", "Accounts", "AppDB", "AuditEntry", "AuditLog", "CONSOLE_CHOICES", "ConsoleError", "DocumentRow", "Conversations",
            "Draft", "DraftStore", "EXPORT_FORMATS", "Exchange", "FACT_KEYS", "GapError", "GapGroup", "GapQuestion", "Gaps", "KnowledgeConsole",
            "METADATA_FIELDS", "ROLES", "Services", "User", "check_metadata", "needs_effective_date", "local_time", "citation_label", "citation_note", "compose_draft", "docx_footnotes",
            "draft_docx", "draft_from_answer", "draft_markdown", "faq_markdown", "group_questions", "hash_password", "jaccard", "legal_bases",
            "open_app_db", "open_services", "verify_password"]
