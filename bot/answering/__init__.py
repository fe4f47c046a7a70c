"""The answer engine: retrieval, ranking, answer composition, LLM access and citation checks. Its public surface."""
from .answer import DISCLAIMER, Answer, Citation, answer_body
from .assistant import Assistant
from .citecheck import CitationChecker, verify_citations
from .conflicts import AUTHORITY, Conflict, document_conflicts, figure_conflicts
from .errors import BotError, InvalidQuestion, TooLong, bounded
from .generate import generate as generate_answer
from .links import DEFAULT_LINK_DOMAINS, safe_links
from .llm import LLM_BACKENDS, LLMConfigError, LLMError, backend_of, make_llm
from .query import language_of, normalize_question
from .retrieval import SearchFilters, in_force_today

__all__ = ['AUTHORITY', 'Answer', 'Assistant', 'BotError', 'Citation', 'CitationChecker', 'Conflict', 'DEFAULT_LINK_DOMAINS', 'DISCLAIMER', 'InvalidQuestion', 'LLMConfigError', 'LLMError', 'LLM_BACKENDS', 'SearchFilters', 'TooLong', 'answer_body', 'backend_of', 'bounded', 'document_conflicts', 'figure_conflicts', 'generate_answer', 'in_force_today', 'language_of', 'make_llm', 'normalize_question', 'safe_links', 'verify_citations']
