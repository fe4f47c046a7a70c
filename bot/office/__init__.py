"""The back office of the web app: accounts, chat log, drafts, knowledge gaps, the knowledge console, exports, audit. Its public surface."""
from .accounts import ROLES, AccountError, Accounts, User, hash_password, verify_password
from .apikeys import KEY_ROLES, ApiKey, ApiKeyError, ApiKeys
from .appdb import AppDB, local_time, open_app_db
from .audit import AuditEntry, AuditLog
from .console import CONSOLE_CHOICES, METADATA_FIELDS, ConsoleError, DocumentRow, KnowledgeConsole, check_metadata, needs_effective_date
from .conversations import EXPORT_FORMATS, Conversations, Exchange
from .drafts import FACT_KEYS, Draft, DraftStore, citation_label, citation_note, compose_draft, draft_from_answer, legal_bases
from .export import docx_footnotes, draft_docx, draft_markdown
from .jobs import FINISHED, JOB_KINDS, Job, JobQueue
from .gaps import GapError, GapGroup, GapQuestion, Gaps, faq_markdown, group_questions, jaccard
from .services import Services, open_services
from .worker import work

__all__ = ['AccountError', 'Accounts', 'ApiKey', 'ApiKeyError', 'ApiKeys', 'AppDB', 'AuditEntry', 'AuditLog', 'CONSOLE_CHOICES', 'ConsoleError', 'Conversations', 'DocumentRow', 'Draft', 'DraftStore', 'EXPORT_FORMATS', 'Exchange', 'FINISHED', 'FACT_KEYS', 'KEY_ROLES', 'GapError', 'GapGroup', 'GapQuestion', 'Gaps', 'JOB_KINDS', 'Job', 'JobQueue', 'KnowledgeConsole', 'METADATA_FIELDS', 'ROLES', 'Services', 'User', 'check_metadata', 'citation_label', 'citation_note', 'compose_draft', 'docx_footnotes', 'draft_docx', 'draft_from_answer', 'draft_markdown', 'faq_markdown', 'group_questions', 'hash_password', 'jaccard', 'legal_bases', 'local_time', 'needs_effective_date', 'open_app_db', 'open_services', 'verify_password', 'work']
