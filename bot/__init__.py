"""Answering: retrieval, answer composition and citation checks. The only API the UI uses."""
from .answer import DISCLAIMER, Answer, Citation
from .assistant import Assistant, open_knowledge_base
from .errors import BotError, InvalidQuestion
from .query import language_of, normalize_question
from .retrieval import SearchFilters

__all__ = ["Answer", "Assistant", "BotError", "Citation", "DISCLAIMER", "InvalidQuestion", "SearchFilters",
           "language_of", "normalize_question", "open_knowledge_base"]
