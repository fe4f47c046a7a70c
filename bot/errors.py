"""Errors the bot raises to its callers; each message says what to do."""
from __future__ import annotations


class BotError(Exception):
    """Base class of the bot's errors."""


class InvalidQuestion(BotError):
    """The question is empty or cannot be searched."""
