"""Answering: retrieval, answer composition and citation checks. The only API the UI uses."""
from .answer import DISCLAIMER, Answer, Citation, answer_body
from .assistant import Assistant, open_knowledge_base
from .citecheck import CitationChecker, verify_citations
from .errors import BotError, InvalidQuestion
from .llm import LLM_BACKENDS, LLMConfigError, LLMError, backend_of, make_llm
from .query import language_of, normalize_question
from .retrieval import SearchFilters

__all__ = ["Answer", "Assistant", "BotError", "Citation", "CitationChecker", "DISCLAIMER", "InvalidQuestion", "LLMConfigError",
           "LLMError", "LLM_BACKENDS", "SearchFilters", "answer_body", "backend_of", "language_of", "make_llm", "normalize_question",
           "open_knowledge_base", "verify_citations"]
