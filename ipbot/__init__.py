"""ipbot: the SME intellectual-property service assistant (composition root: settings and CLI)."""

__version__ = "0.1.0"
