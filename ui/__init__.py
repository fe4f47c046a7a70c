"""The web app (Gradio on FastAPI): public chat, staff desk, knowledge console. Talks only to ``bot``'s public API."""
from .chat import build_chat
from .server import build_server

__all__ = ["build_chat", "build_server"]
