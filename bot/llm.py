"""Chat models behind an OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama, llama.cpp), with retries.

Failures become LLMError subclasses whose ``notice`` is one line a person can read; the API key
is never put in a message or a log line.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Protocol

from .errors import BotError

if TYPE_CHECKING:
    from ipbot.settings import Settings

log = logging.getLogger("ipbot.llm")
LLM_BACKENDS = ("none", "openai")
NOTICES = {
    "unavailable": {"zh": "大模型服务暂时无法连接或响应超时，以下为知识库原文摘录。",
                    "en": "The language model could not be reached or timed out; below are passages quoted from the knowledge base."},
    "rejected": {"zh": "大模型服务拒绝了请求（请检查模型名称和密钥配置），以下为知识库原文摘录。",
                 "en": "The language model refused the request (check the model name and key); below are passages quoted from the knowledge base."},
    "bad_response": {"zh": "大模型返回的内容无法解析，以下为知识库原文摘录。",
                     "en": "The language model's reply could not be read; below are passages quoted from the knowledge base."},
    "unsupported": {"zh": "大模型的回答无法与知识库原文核对，已改为直接摘录原文。",
                    "en": "The language model's answer could not be checked against the sources, so the passages are quoted instead."},
}


class LLMError(BotError):
    """The language model gave no usable reply; ``kind`` selects the notice shown to the person."""

    kind = "unavailable"

    def notice(self, language: str) -> str:
        """The one-line notice for this failure."""
        return NOTICES[self.kind][language]


class LLMUnavailable(LLMError):
    """Connection refused, HTTP 5xx/429, or a timeout, after the retries."""


class LLMRejected(LLMError):
    """HTTP 4xx: wrong key, unknown model, bad request — retrying will not help."""

    kind = "rejected"


class LLMBadResponse(LLMError):
    """A reply that is not valid JSON, a broken stream, or an empty answer."""

    kind = "bad_response"


class LLMUnverifiable(LLMError):
    """The model answered, but no sentence of it is supported by the sources it cites."""

    kind = "unsupported"


class LLMConfigError(BotError):
    """The LLM settings name an unknown backend or a backend whose package is missing."""


@dataclass(frozen=True)
class LLMConfig:
    """What a chat model needs; built from Settings by ``config_from``."""

    model: str
    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    temperature: float = 0.1
    timeout_s: float = 60.0
    max_retries: int = 2
    retry_backoff_s: float = 0.5
    max_answer_tokens: int = 800
    context_tokens: int = 8192


class ChatModel(Protocol):
    """A chat model the assistant can ask."""

    config: LLMConfig

    def complete(self, messages: list[dict]) -> str: ...

    def stream(self, messages: list[dict]) -> Iterator[str]: ...


def config_from(settings: "Settings") -> LLMConfig:
    """The LLMConfig of the settings."""
    return LLMConfig(settings.llm_model, settings.llm_base_url, settings.llm_api_key.get_secret_value(), settings.llm_temperature,
                     settings.llm_timeout_s, settings.llm_max_retries, settings.llm_retry_backoff_s, settings.llm_max_answer_tokens,
                     settings.llm_context_tokens)


def backend_of(settings: "Settings") -> str:
    """The backend in use: ``llm_backend`` when set, else 'openai' when ``llm_base_url`` is set, else 'none'."""
    return settings.llm_backend or ("openai" if settings.llm_base_url else "none")


def make_llm(settings: "Settings") -> ChatModel | None:
    """The configured chat model, or None for extractive answers only."""
    match backend := backend_of(settings):
        case "none":
            return None
        case "openai":
            return OpenAIChat(config_from(settings))
        case _:
            raise LLMConfigError(f"unknown llm_backend {backend!r}; valid values: {', '.join(LLM_BACKENDS)}")


def _classify(exc: Exception, secret: str) -> LLMError:
    import openai

    if isinstance(exc, LLMError):
        return exc
    text = str(exc).replace(secret, "***") if secret else str(exc)
    if isinstance(exc, (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)):
        return LLMUnavailable(text)
    if isinstance(exc, openai.APIStatusError):
        return LLMUnavailable(text) if exc.status_code >= 500 else LLMRejected(f"HTTP {exc.status_code}: {text}")
    return LLMBadResponse(f"{type(exc).__name__}: {text}")


class OpenAIChat:
    """Chat completions through the ``openai`` SDK; our own retry loop with exponential backoff."""

    def __init__(self, config: LLMConfig) -> None:
        try:
            import openai
        except ImportError:
            raise LLMConfigError("llm_backend 'openai' needs the openai package: pip install 'openai>=3,<4'") from None
        self.config = config
        self._client = openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url,
                                     timeout=config.timeout_s, max_retries=0)

    def _request(self, messages: list[dict], stream: bool):
        c = self.config
        return self._client.chat.completions.create(model=c.model, messages=messages, temperature=c.temperature,
                                                    max_tokens=c.max_answer_tokens, stream=stream)

    def _with_retries(self, call):
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except Exception as exc:
                err = _classify(exc, self.config.api_key)
                if not isinstance(err, LLMUnavailable) or attempt == attempts:
                    raise err from None
                delay = self.config.retry_backoff_s * 2 ** (attempt - 1)
                log.warning("LLM request failed (%s); retry %d/%d in %.1fs", type(err).__name__, attempt, attempts - 1, delay)
                time.sleep(delay)

    def complete(self, messages: list[dict]) -> str:
        """The whole reply text; LLMError when none could be had."""

        def call() -> str:
            response = self._request(messages, stream=False)
            text = response.choices[0].message.content
            if not isinstance(text, str):
                raise LLMBadResponse(f"the reply has no text content ({type(text).__name__})")
            return text

        text = self._with_retries(call)
        if not text.strip():
            raise LLMBadResponse("the reply is empty")
        return text

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """Text deltas as they arrive; opening the stream is retried, a stream that breaks raises LLMError."""
        response = self._with_retries(lambda: self._request(messages, stream=True))
        produced = False
        try:
            for chunk in response:
                choices = getattr(chunk, "choices", None) or []
                delta = getattr(choices[0].delta, "content", None) if choices else None
                if delta:
                    produced = True
                    yield delta
        except LLMError:
            raise
        except Exception as exc:
            raise _classify(exc, self.config.api_key) from None
        finally:
            response.close()
        if not produced:
            raise LLMBadResponse("the stream carried no text")
