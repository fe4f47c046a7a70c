"""Answering (``bot.answering``: the answer engine) and the back office (``bot.office``: accounts, drafts, gaps,
console, exports). Each subpackage's ``__init__`` is its public surface; import from those."""
