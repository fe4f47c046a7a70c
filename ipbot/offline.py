"""Switch off every library's network habit before anything else is imported."""
from __future__ import annotations

import os

_ENV = {
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "LANGCHAIN_TRACING_V2": "false",
}


def go_offline() -> None:
    """Set the environment so Chroma, Gradio and Hugging Face stay off the network."""
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
