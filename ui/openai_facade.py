"""An OpenAI-compatible facade (``GET /v1/models``, ``POST /v1/chat/completions``, streaming too), so that chat front
ends and bot frameworks that speak the OpenAI API connect with an ipbot key and no code. The model is ``ipbot``; the
answer's text carries its numbered sources, and an extra ``citations`` field lists them."""
from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from typing import Iterator, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.answering import Answer
from bot.office import ApiKey, Services

from .api import ApiProblem, answer_stream, checked_question, citation_out, record

log = logging.getLogger("ipbot.api")
MODEL = "ipbot"
CREATED = 1_767_225_600  # 2026-01-01, the model's "created" time in /v1/models


class OpenAIProblem:
    """Errors in the shape OpenAI clients read: ``{"error": {"message", "type", "code"}}``."""

    TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 413: "invalid_request_error",
             422: "invalid_request_error", 429: "rate_limit_error"}

    @classmethod
    def response(cls, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
        """The error response."""
        kind = cls.TYPES.get(status, "api_error")
        return JSONResponse({"error": {"message": detail, "type": kind, "code": code, "param": None}}, status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    """What went wrong."""

    message: str
    type: str
    code: str
    param: str | None = None


class ErrorBody(BaseModel):
    """An error, as OpenAI clients read it."""

    error: ErrorDetail


ERRORS = {status: {"model": ErrorBody, "description": OpenAIProblem.TYPES[status]} for status in (401, 403, 404, 413, 422, 429)}


class ContentPart(BaseModel):
    """A part of a message's content (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatRequest(BaseModel):
    """An OpenAI chat-completion request; sampling options are accepted and ignored (answers are checked, not sampled)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(MODEL, max_length=200)
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=64)
    stream: bool = False


class ModelCard(BaseModel):
    """A model served."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    """The models served: only ``ipbot``."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


def citations_of(answer: Answer) -> list[dict]:
    """The answer's sources, for the extra ``citations`` field."""
    return [citation_out(c).model_dump() for c in answer.citations]


def build_openai_router(services: Services, gate) -> APIRouter:
    """The /v1 routes."""
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERRORS)

    @router.get("/models", response_model=ModelList)
    def models(key: ApiKey = Depends(gate("public"))):
        """The one model, ``ipbot``."""
        return ModelList(data=[ModelCard(id=MODEL, created=CREATED, owned_by="ipbot")])

    @router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}},
                                                        "description": "A chat.completion, or with stream=true chat.completion.chunk events"}})
    def chat_completions(body: ChatRequest, key: ApiKey = Depends(gate("public"))):
        """The answer to the last user message, the earlier user messages being the conversation so far."""
        if body.model != MODEL:
            raise ApiProblem(404, "model_not_found", f"no model {body.model!r}; this server has one model: {MODEL!r}")
        asked = [m.text() for m in body.messages if m.role == "user" and m.text().strip()]
        if not asked:
            raise ApiProblem(422, "invalid_question", "no user message with text")
        question, earlier = checked_question(services, asked[-1], asked[:-1])
        items = answer_stream(services, key, question, earlier, services.public_filters(), None)
        completion = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.stream:
            final = [i for i in items if isinstance(i, Answer)][-1]
            exchange = record(services, key, question, final)
            return {"id": completion, "object": "chat.completion", "created": created, "model": MODEL,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": final.answer}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    "citations": citations_of(final), "exchange_id": exchange}

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            payload = {"id": completion, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        first = next(items)  # a bad question fails here, before the stream starts

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            sent = ""
            try:
                for item in itertools.chain([first], items):
                    if isinstance(item, Answer):
                        rest = item.answer[len(sent):] if item.answer.startswith(sent) else "\n\n---\n" + item.answer
                        if rest:
                            yield chunk({"content": rest})
                        exchange = record(services, key, question, item)
                        yield chunk({}, "stop", citations=citations_of(item), exchange_id=exchange)
                    else:
                        sent += item
                        yield chunk({"content": item})
            except Exception:
                log.exception("an OpenAI-compatible answer broke off")
                yield chunk({"content": "\n\n(the answer could not be completed; try again)"}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    return router
