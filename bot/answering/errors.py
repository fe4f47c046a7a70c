"""Errors the bot raises to its callers; each message says what to do."""
from __future__ import annotations


class BotError(Exception):
    """Base class of the bot's errors."""


class InvalidQuestion(BotError):
    """The question is empty or cannot be searched."""


class TooLong(BotError):
    """A text is longer than the server accepts; the message names its length and the limit."""


def bounded(text: str, limit: int, what: str) -> str:
    """``text`` when it has at most ``limit`` characters; TooLong otherwise."""
    if len(text or "") > limit:
        raise TooLong(f"{what} has {len(text)} characters; at most {limit} are accepted")
    return text or ""
