"""The Gradio web app. Talks only to ``bot``'s public API."""
from .app import build_app

__all__ = ["build_app"]
