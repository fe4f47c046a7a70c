"""Chat models behind an OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama, llama.cpp), with retries.

Failures become LLMError subclasses whose ``notice`` is one line a person can read; the API key
is never put in a message or a log line.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Protocol

from prompts import worded

from .errors import BotError

if TYPE_CHECKING:
    from ipbot.settings import Settings

log = logging.getLogger("ipbot.llm")
LLM_BACKENDS = ("none", "openai")
OUTPUT_MODES = ("auto", "json_schema", "json_object", "ollama", "none")
PROBE_ORDER = ("json_schema", "json_object", "none")
REFUSED_FORMAT_STATUS = (400, 422)
_FORMAT_ERROR = re.compile(r"response_format|json_schema|json_object|\bformat\b", re.I)
NOTICES = {kind: worded("notices", kind) for kind in ("unavailable", "rejected", "bad_response", "unsupported")}


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

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class LLMBadResponse(LLMError):
    """A reply that is not valid JSON, a broken stream, or an empty answer."""

    kind = "bad_response"


class LLMNotJSON(LLMBadResponse):
    """A request for structured output was answered with text that is not a JSON object; ``text`` is that reply."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


class LLMUnverifiable(LLMError):
    """The model answered, but no sentence of it is supported by the sources it cites; ``reply`` is what it wrote."""

    kind = "unsupported"

    def __init__(self, message: str, reply: str = "") -> None:
        super().__init__(message)
        self.reply = reply


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
    max_answer_tokens: int = 800
    context_tokens: int = 8192
    output: str = "auto"


class ChatModel(Protocol):
    """A chat model the assistant can ask."""

    config: LLMConfig

    def complete(self, messages: list[dict]) -> str: ...

    def stream(self, messages: list[dict]) -> Iterator[str]: ...

    def complete_json(self, messages: list[dict], schema: dict, mode: str | None = None) -> dict | None: ...


def config_from(settings: "Settings") -> LLMConfig:
    """The LLMConfig of the settings."""
    return LLMConfig(settings.llm_model, settings.llm_base_url, settings.llm_api_key.get_secret_value(), settings.llm_temperature,
                     settings.llm_timeout_s, settings.llm_max_retries, settings.llm_max_answer_tokens,
                     settings.llm_context_tokens, settings.llm_output)


def check_output(mode: str) -> str:
    """``mode`` when it is one of OUTPUT_MODES; LLMConfigError naming it and the valid ones otherwise."""
    if mode not in OUTPUT_MODES:
        raise LLMConfigError(f"unknown llm_output {mode!r}; valid values: {', '.join(OUTPUT_MODES)}")
    return mode


def format_request(mode: str, schema: dict) -> dict:
    """The extra ``chat.completions.create`` arguments that ask an endpoint for JSON following ``schema``."""
    match check_output(mode):
        case "json_schema":
            return {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}}
        case "json_object":
            return {"response_format": {"type": "json_object", "schema": schema}}
        case "ollama":
            return {"extra_body": {"format": schema}}
        case "none":
            return {}
    raise LLMConfigError("llm_output 'auto' is not a request format; resolve it with OpenAIChat.output_mode first")


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S | re.I)


def refuses_format(err: LLMError) -> bool:
    """Whether an error answers a structured-output request by refusing the format: HTTP 400/422, or an error that names it
    (llama-cpp-python's server answers an unknown response_format type with HTTP 500 and a validation message)."""
    return getattr(err, "status_code", None) in REFUSED_FORMAT_STATUS or bool(_FORMAT_ERROR.search(str(err)))


def parse_json_object(text: str) -> dict | None:
    """The JSON object a reply holds (also inside a ```json fence or surrounded by other text); None when it holds none."""
    text = text.strip()
    fenced = _FENCE.match(text)
    candidates = [fenced.group(1) if fenced else text]
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{"): text.rindex("}") + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


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
        if exc.status_code >= 500 or exc.status_code in TRANSIENT_STATUS:
            return LLMUnavailable(text)
        return LLMRejected(f"HTTP {exc.status_code}: {text}", exc.status_code)
    return LLMBadResponse(f"{type(exc).__name__}: {text}")


TRANSIENT_STATUS = (408, 409, 429)  # with 5xx: retried by the SDK, then "unavailable" (not a refusal)


class OpenAIChat:
    """Chat completions through the ``openai`` SDK, which retries connection errors, timeouts, HTTP 408/409/429 and 5xx
    ``max_retries`` times with its exponential backoff, honouring Retry-After.

    With ``output='auto'`` the first structured request asks for a json_schema; an endpoint that refuses it (``refuses_format``)
    or answers with text that is not JSON is asked for a json_object next, then for plain text — remembered for this instance
    until one mode has given a JSON reply.
    """

    def __init__(self, config: LLMConfig) -> None:
        try:
            import openai
        except ImportError:
            raise LLMConfigError("llm_backend 'openai' needs the openai package: pip install 'openai>=3,<4'") from None
        check_output(config.output)
        self.config = config
        self._client = openai.OpenAI(api_key=config.api_key or "not-needed", base_url=config.base_url,
                                     timeout=config.timeout_s, max_retries=config.max_retries)
        self._modes = PROBE_ORDER if config.output == "auto" else (config.output,)
        self._settled = config.output != "auto"
        self._lock = threading.Lock()

    @property
    def output_mode(self) -> str:
        """The structured-output request made now: llm_output, or with 'auto' the first of PROBE_ORDER not yet refused."""
        return self._modes[0]

    def _demote(self, mode: str, why: str) -> None:
        with self._lock:
            if self._settled or self._modes[0] != mode:
                return
            self._modes = self._modes[1:]
        log.warning("LLM endpoint does not do llm_output %r (%s); using %r from now on", mode, why, self._modes[0])

    def _request(self, messages: list[dict], stream: bool, retries: int | None = None, **extra):
        c = self.config
        client = self._client if retries is None else self._client.with_options(max_retries=retries)
        return client.chat.completions.create(model=c.model, messages=messages, temperature=c.temperature,
                                                    max_tokens=c.max_answer_tokens, stream=stream, **extra)

    def _call(self, call):
        """``call()``, its errors (after the SDK's retries) as an LLMError."""
        try:
            return call()
        except Exception as exc:
            raise _classify(exc, self.config.api_key) from None

    def _reply(self, messages: list[dict], retries: int | None = None, **extra) -> tuple[str, str | None]:
        """The reply text and its finish reason; LLMError when none could be had (``retries``: other than the config's)."""

        def call() -> tuple[str, str | None]:
            choice = self._request(messages, stream=False, retries=retries, **extra).choices[0]
            text = choice.message.content
            if not isinstance(text, str):
                raise LLMBadResponse(f"the reply has no text content ({type(text).__name__})")
            return text, choice.finish_reason

        text, finish = self._call(call)
        if not text.strip():
            raise LLMBadResponse("the reply is empty")
        return text, finish

    def complete(self, messages: list[dict]) -> str:
        """The whole reply text; LLMError when none could be had."""
        return self._reply(messages)[0]

    def complete_json(self, messages: list[dict], schema: dict, mode: str | None = None) -> dict | None:
        """The reply as a JSON object, asked for in ``mode`` (default: ``output_mode``, probing with 'auto');
        None when the mode is 'none' (ask for plain text then). LLMNotJSON carries a reply that is not JSON."""
        explicit = mode is not None and mode != "auto"
        while (current := check_output(mode) if explicit else self.output_mode) != "none":
            probing = not explicit and not self._settled
            try:
                # a probe is not retried: an endpoint that refuses a format (llama-cpp-python answers 500) refuses it again
                text, finish = self._reply(messages, retries=0 if probing else None, **format_request(current, schema))
            except (LLMRejected, LLMUnavailable) as exc:
                if probing and refuses_format(exc):
                    self._demote(current, str(exc).splitlines()[0][:160])
                    continue
                if not (probing and isinstance(exc, LLMUnavailable) and self.config.max_retries):
                    raise
                text, finish = self._reply(messages, **format_request(current, schema))  # transient, not a refusal: retried
            data = parse_json_object(text)
            if data is not None:
                self._settled = self._settled or not explicit
                return data
            if not explicit and finish != "length":
                self._demote(current, "the reply is not JSON")
            raise LLMNotJSON(f"llm_output {current!r}: the reply is not a JSON object (finish reason {finish})", text)
        return None

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """Text deltas as they arrive; opening the stream is retried (by the SDK), a stream that breaks raises LLMError."""
        response = self._call(lambda: self._request(messages, stream=True))
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
