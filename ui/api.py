"""The HTTP API for other systems (``/api/v1``, OpenAPI at ``/api/docs``): ask, search, documents, feedback, with API keys
(``Authorization: Bearer ipb_…``; roles public ⊂ staff ⊂ editor), a rate limit per key, and errors as problem details
(RFC 9457, ``application/problem+json``) with a stable ``code``."""
from __future__ import annotations

import html
import itertools
import json
import logging
import shutil
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Iterator, Literal, get_type_hints

from fastapi import APIRouter, Depends, FastAPI, File, Form, Path as PathParam, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from bot.answering import Answer, BotError, InvalidQuestion, SearchFilters, TooLong, answer_body
from bot.office import CONSOLE_CHOICES, ApiKey, DocumentRow, JobQueue, Services

from .ratelimit import RateLimiter

log = logging.getLogger("ipbot.api")
PROBLEM = "application/problem+json"
MAX_HISTORY = 8
DOC_ID = r"^[\w\-@][\w.\-@]{0,199}$"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict", 413: "Content too large",
          415: "Unsupported media type", 422: "Unprocessable content", 429: "Too many requests", 500: "Internal error",
          503: "Service unavailable"}
DocType = Literal[tuple(CONSOLE_CHOICES["doc_type"])]  # type: ignore[valid-type]


class ApiProblem(Exception):
    """An API error: HTTP ``status``, a stable ``code`` (``missing_key``, ``bad_key``, ``forbidden``, ``rate_limited``,
    ``invalid_question``, ``too_long``, ``not_found``, ``invalid_request``, ``failed``) and a sentence for people."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    """A problem-details response."""
    body = {"type": f"/api/problems/{code}", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str
    title: str
    status: int
    detail: str
    code: str


ERRORS = {status: {"model": Problem, "description": TITLES[status], "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
          for status in (401, 403, 404, 413, 422, 429)}


class Filters(BaseModel):
    """Which documents an answer or a search may use (documents in force today are always required)."""

    model_config = ConfigDict(extra="forbid")
    doc_types: list[DocType] = Field(default_factory=list, max_length=8, description="Only these document types.")
    jurisdiction: str | None = Field(None, max_length=64, description="A region (e.g. 上海市); national documents always count.")


class AskRequest(BaseModel):
    """A question, with the person's earlier questions when it follows up on them."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, max_length=100_000, description="The question (the server's IPBOT_MAX_QUESTION_CHARS applies).")
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY, description="Earlier questions of the conversation, oldest first.")
    language: Literal["zh", "en"] | None = Field(None, description="Language of the answer; default: the question's.")
    filters: Filters | None = None
    stream: bool = Field(False, description="Reply as text/event-stream: `delta` events, then one `answer` event.")


class CitationOut(BaseModel):
    """One numbered source of an answer."""

    n: int
    title: str
    article_label: str | None = None
    page: int | None = None
    quote: str
    doc_id: str
    chunk_id: str
    file: str = Field("", description="The document's file name.")
    effective_date: str | None = None
    status: str | None = None


class AskResponse(BaseModel):
    """A cited answer, or an abstention that points to a human service channel."""

    answer: str = Field(..., description="The whole answer: body, numbered sources, disclaimer.")
    body: str = Field(..., description="The answer without its list of sources.")
    citations: list[CitationOut]
    abstained: bool
    mode: str = Field(..., description="'llm' or 'extractive'.")
    language: str
    notice: str
    fallback: str = Field("", description="Why a configured language model's answer was not used (the quoted one is shown).")
    exchange_id: int = Field(..., description="Rate it with POST /api/v1/feedback.")


class SearchRequest(BaseModel):
    """A search of the knowledge base."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(..., min_length=1, max_length=100_000)
    k: int = Field(5, ge=1, le=20)
    filters: Filters | None = None


class SearchHit(BaseModel):
    """One passage found."""

    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    article_label: str | None = None
    page: int | None = None
    text: str


class SearchResponse(BaseModel):
    """The passages found, best first."""

    results: list[SearchHit]


DocumentOut = create_model("DocumentOut", __doc__="A document of the knowledge base: a line of the console's list, its file by name.",
                           **{("file" if name == "source" else name): (hint, ...) for name, hint in get_type_hints(DocumentRow).items()})


class ChunkOut(BaseModel):
    """A passage of a document, in reading order."""

    chunk_id: str
    ordinal: int
    article_label: str | None = None
    page: int | None = None
    text: str


class FileOutcomeOut(BaseModel):
    """What happened to an uploaded file."""

    file: str
    status: str = Field(..., description="indexed, replaced, unchanged or failed")
    doc_id: str | None = None
    chunks: int = 0
    reason: str = ""


class JobProgress(BaseModel):
    """The stage a running job is at (e.g. 'reading page' 40 of 300)."""

    stage: str
    done: int = 0
    total: int = 0


class JobOut(BaseModel):
    """An indexing job (with IPBOT_INDEX_IN_WORKER): queued, running, cancelling, done, failed or cancelled, how far it
    got while it runs, and what came of it."""

    job_id: int
    kind: str
    status: str
    created_at: str
    finished_at: str = ""
    progress: JobProgress | None = None
    result: FileOutcomeOut | None = None
    reason: str = ""


class StatusOut(BaseModel):
    """A document's status after an action."""

    doc_id: str
    status: str


class FeedbackRequest(BaseModel):
    """A rating of an answer this key asked for."""

    model_config = ConfigDict(extra="forbid")
    exchange_id: int = Field(..., ge=1, le=2**62)
    rating: Literal[-1, 1]
    comment: str = Field("", max_length=100_000)


class Recorded(BaseModel):
    """Done."""

    ok: bool = True


def bearer_key(request: Request) -> str | None:
    """The API key a request presents: ``Authorization: Bearer …`` or ``X-API-Key``."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


class KeyGate:
    """The dependency that admits a request with a valid key of at least ``role``, within the key's rate limit."""

    def __init__(self, services: Services, limiter: RateLimiter) -> None:
        self.services, self.limiter = services, limiter

    def __call__(self, role: str):
        def admit(request: Request) -> ApiKey:
            presented = bearer_key(request)
            if not presented:
                raise ApiProblem(401, "missing_key", "an API key is required: Authorization: Bearer ipb_…", {"WWW-Authenticate": "Bearer"})
            key = self.services.keys.verify(presented)
            if key is None:
                raise ApiProblem(401, "bad_key", "the API key is not valid (unknown, mistyped or revoked)", {"WWW-Authenticate": "Bearer"})
            if not key.can(role):
                raise ApiProblem(403, "forbidden", f"this needs a key with the {role} role; this key's role is {key.role}")
            if not self.limiter.allow(key.id):
                wait = self.limiter.retry_after(key.id)
                raise ApiProblem(429, "rate_limited", f"at most {self.limiter.limit} requests a minute per key; try again in {wait} s",
                                 {"Retry-After": str(wait)})
            request.state.api_key = key
            return key
        return admit


def file_name(source: str) -> str:
    """The file name of a document's source (never the server's path to it)."""
    return Path(str(source).split("#")[0]).name


def citation_out(c) -> CitationOut:
    """A citation as the API shows it."""
    return CitationOut(n=c.n, title=c.title, article_label=c.article_label, page=c.page, quote=c.quote, doc_id=c.doc_id,
                       chunk_id=c.chunk_id, file=file_name(c.source), effective_date=c.effective_date, status=c.status)


def answer_out(answer: Answer, exchange_id: int) -> AskResponse:
    """An Answer as the API shows it."""
    return AskResponse(answer=answer.answer, body=answer_body(answer), citations=[citation_out(c) for c in answer.citations],
                       abstained=answer.abstained, mode=answer.mode, language=answer.language, notice=answer.notice,
                       fallback=answer.fallback, exchange_id=exchange_id)


def search_filters(services: Services, filters: Filters | None) -> SearchFilters:
    """What a request may search: documents in force today, narrowed by its filters."""
    base = services.public_filters()
    if filters is None:
        return base
    return SearchFilters(doc_types=tuple(filters.doc_types), jurisdiction=filters.jurisdiction or None, in_force_on=base.in_force_on)


def checked_question(services: Services, text: str, history: list[str]) -> tuple[str, list[str]]:
    """The question and history as the server accepts them (bounded; each earlier question too)."""
    try:
        question = services.question(text)
        earlier = [services.question(h) for h in history if h.strip()][-MAX_HISTORY:]
    except TooLong as exc:
        raise ApiProblem(413, "too_long", str(exc)) from None
    if not question.strip():
        raise ApiProblem(422, "invalid_question", "the question is empty")
    return question, earlier


def answer_stream(services: Services, key: ApiKey, question: str, earlier: list[str], filters: SearchFilters,
                  language: str | None) -> Iterator[Answer | str]:
    """The assistant's deltas and final Answer for an API question (InvalidQuestion becomes a problem)."""
    try:
        yield from services.assistant.ask_stream(question, filters, earlier, interface_language=language)
    except InvalidQuestion as exc:
        raise ApiProblem(422, "invalid_question", str(exc)) from None


def record(services: Services, key: ApiKey, question: str, answer: Answer) -> int:
    """Keep an API exchange in the chat log (so it shows in the knowledge-gaps view); returns its id."""
    return services.conversations.record(f"api:{key.id}", question, answer)


def sse(event: str, data) -> bytes:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def build_api_router(services: Services, limiter: RateLimiter) -> APIRouter:
    """The /api/v1 routes."""
    gate = KeyGate(services, limiter)
    router = APIRouter(prefix="/api/v1", responses=ERRORS)
    console = services.console

    @router.post("/ask", response_model=AskResponse, tags=["answers"],
                 responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or with stream=true server-sent events"}})
    def ask(body: AskRequest, key: ApiKey = Depends(gate("public"))):
        """Answer a question from the knowledge base, citing the articles it rests on."""
        question, earlier = checked_question(services, body.question, body.history)
        filters = search_filters(services, body.filters)
        items = answer_stream(services, key, question, earlier, filters, body.language)
        if not body.stream:
            final = [i for i in items if isinstance(i, Answer)][-1]
            return answer_out(final, record(services, key, question, final))
        first = next(items)  # a bad question fails here, before the stream starts

        def events() -> Iterator[bytes]:
            try:
                for item in itertools.chain([first], items):
                    if isinstance(item, Answer):
                        yield sse("answer", answer_out(item, record(services, key, question, item)).model_dump())
                    else:
                        yield sse("delta", {"text": item})
            except Exception:
                log.exception("an API answer broke off")
                yield sse("error", {"code": "failed", "detail": "the answer could not be completed; try again"})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @router.post("/search", response_model=SearchResponse, tags=["answers"])
    def search(body: SearchRequest, key: ApiKey = Depends(gate("public"))):
        """The passages the assistant would read for a query, best first."""
        query, _ = checked_question(services, body.query, [])
        try:
            hits = services.assistant.search(query, body.k, search_filters(services, body.filters))
        except InvalidQuestion as exc:
            raise ApiProblem(422, "invalid_question", str(exc)) from None
        return SearchResponse(results=[SearchHit(rank=i, score=round(float(h.score), 6), chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id,
                                                 title=h.chunk.metadata.get("title", ""), article_label=h.chunk.metadata.get("article_label"),
                                                 page=h.chunk.metadata.get("page"), text=h.chunk.text)
                                       for i, h in enumerate(hits, 1)])

    def visible(doc_id: str, key: ApiKey):
        try:
            doc = console.document(doc_id)
        except BotError:
            raise ApiProblem(404, "not_found", f"no document {doc_id!r}") from None
        if doc.metadata.get("status") == "draft" and not key.can("editor"):
            raise ApiProblem(404, "not_found", f"no document {doc_id!r}")
        return doc

    def document_out(row: DocumentRow) -> DocumentOut:
        values = asdict(row)
        return DocumentOut(file=values.pop("source"), **values)

    doc_id_param = PathParam(..., pattern=DOC_ID, description="A document id, as listed by GET /api/v1/documents.")

    @router.get("/documents", response_model=list[DocumentOut], tags=["documents"])
    def documents(key: ApiKey = Depends(gate("public"))):
        """The documents of the knowledge base (drafts only for editor keys)."""
        return [document_out(r) for r in console.documents() if r.status != "draft" or key.can("editor")]

    @router.get("/documents/{doc_id}", response_model=DocumentOut, tags=["documents"])
    def document(doc_id: str = doc_id_param, key: ApiKey = Depends(gate("public"))):
        """One document."""
        doc = visible(doc_id, key)
        return document_out(console.row(doc.doc_id))

    @router.get("/documents/{doc_id}/chunks", response_model=list[ChunkOut], tags=["documents"])
    def chunks(doc_id: str = doc_id_param, key: ApiKey = Depends(gate("public"))):
        """A document's passages in reading order."""
        doc = visible(doc_id, key)
        return [ChunkOut(chunk_id=c.chunk_id, ordinal=c.ordinal, article_label=c.metadata.get("article_label"),
                         page=c.metadata.get("page"), text=c.text) for c in console.chunks(doc.doc_id)]

    def stored_upload(upload: UploadFile, root: Path | None = None) -> Path:
        root = root or services.settings.data_dir / "tmp"
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="api-upload-", dir=root))
        name = Path(upload.filename or "upload").name or "upload"
        target = folder / name
        limit = int(services.settings.max_file_mb * 1024 * 1024)
        size = 0
        with target.open("wb") as out:
            while chunk := upload.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    shutil.rmtree(folder, ignore_errors=True)
                    raise ApiProblem(413, "too_large", f"the file is over {services.settings.max_file_mb:g} MB")
                out.write(chunk)
        return target

    jobs = JobQueue(services.db)

    def job_out(job) -> JobOut:
        r = job.result or {}
        outcome = FileOutcomeOut(file=r.get("file", ""), status=r["status"], doc_id=r.get("doc_id"), chunks=r.get("chunks", 0),
                                 reason=r.get("reason", "")) if "status" in r else None
        progress = JobProgress(stage=str(r["stage"]), done=int(r.get("done") or 0), total=int(r.get("total") or 0)) if "stage" in r else None
        return JobOut(job_id=job.id, kind=job.kind, status=job.status, created_at=job.created_at, finished_at=job.finished_at,
                      progress=progress, result=outcome, reason=r.get("reason", "") if outcome is None else "")

    def queued(kind: str, upload: UploadFile, key: ApiKey, **payload) -> JSONResponse:
        staged = stored_upload(upload, services.settings.data_dir / "queue")
        job = jobs.enqueue(kind, {"path": str(staged), "actor": f"key:{key.name}", **payload})
        return JSONResponse(job_out(job).model_dump(), status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"})

    def metadata_of(doc_type: str | None, jurisdiction: str | None, effective_date: date | None) -> dict:
        meta = {"doc_type": doc_type, "jurisdiction": jurisdiction, "effective_date": effective_date.isoformat() if effective_date else None}
        return {k: v for k, v in meta.items() if v}

    def outcome_out(o) -> FileOutcomeOut:
        return FileOutcomeOut(file=Path(o.path).name, status=o.status, doc_id=o.doc_id, chunks=o.chunks, reason=o.reason)

    @router.post("/documents", response_model=FileOutcomeOut, status_code=201, tags=["documents"],
                 responses={202: {"model": JobOut, "description": "Queued for a worker (IPBOT_INDEX_IN_WORKER)"}})
    def upload(file: UploadFile = File(..., description="md, txt, pdf, docx or html"),
               doc_type: DocType | None = Form(None), jurisdiction: str | None = Form(None, max_length=64),
               effective_date: date | None = Form(None), key: ApiKey = Depends(gate("editor"))):
        """Add a document (a file of the same name becomes its next version); it starts as a draft until published.
        With IPBOT_INDEX_IN_WORKER the upload is queued for `ipbot worker`: 202 and a job to follow at /api/v1/jobs/{id}."""
        if services.settings.index_in_worker:
            return queued("upload", file, key, metadata=metadata_of(doc_type, jurisdiction, effective_date))
        path = stored_upload(file)
        try:
            outcome = next(console.ingest_uploads([path], metadata_of(doc_type, jurisdiction, effective_date), f"key:{key.name}"))
        except BotError as exc:
            raise ApiProblem(422, "invalid_request", str(exc)) from None
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        if outcome.status == "failed":
            raise ApiProblem(422, "failed", f"{Path(outcome.path).name}: {outcome.reason}")
        return outcome_out(outcome)

    @router.put("/documents/{doc_id}", response_model=FileOutcomeOut, tags=["documents"],
                responses={202: {"model": JobOut, "description": "Queued for a worker (IPBOT_INDEX_IN_WORKER)"}})
    def replace(doc_id: str = doc_id_param, file: UploadFile = File(...), key: ApiKey = Depends(gate("editor"))):
        """The next version of a document from a file (the earlier one is kept as superseded); queued like an upload
        with IPBOT_INDEX_IN_WORKER."""
        doc = visible(doc_id, key)
        if services.settings.index_in_worker:
            return queued("replace", file, key, doc_id=doc.doc_id)
        path = stored_upload(file)
        try:
            outcome = console.replace(doc.doc_id, path, f"key:{key.name}")
        except BotError as exc:
            raise ApiProblem(422, "invalid_request", str(exc)) from None
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        if outcome.status == "failed":
            raise ApiProblem(422, "failed", outcome.reason)
        return outcome_out(outcome)

    @router.get("/jobs/{job_id}", response_model=JobOut, tags=["documents"])
    def job(job_id: int = PathParam(..., ge=1, le=2**62), key: ApiKey = Depends(gate("editor"))):
        """An indexing job queued by an upload (with IPBOT_INDEX_IN_WORKER)."""
        found = jobs.get(job_id)
        if found is None or found.payload.get("actor") != f"key:{key.name}":
            raise ApiProblem(404, "not_found", f"no job {job_id} of this key")
        return job_out(found)

    @router.post("/documents/{doc_id}/publish", response_model=StatusOut, tags=["documents"])
    def publish(doc_id: str = doc_id_param, key: ApiKey = Depends(gate("editor"))):
        """Make a draft public."""
        doc = visible(doc_id, key)
        try:
            return StatusOut(doc_id=doc.doc_id, status=console.publish(doc.doc_id, f"key:{key.name}"))
        except BotError as exc:
            raise ApiProblem(409, "conflict", str(exc)) from None

    @router.post("/documents/{doc_id}/retire", response_model=StatusOut, tags=["documents"])
    def retire(doc_id: str = doc_id_param, key: ApiKey = Depends(gate("editor"))):
        """Mark a document repealed: listed, never cited for the law in force."""
        doc = visible(doc_id, key)
        console.retire(doc.doc_id, f"key:{key.name}")
        return StatusOut(doc_id=doc.doc_id, status="repealed")

    @router.delete("/documents/{doc_id}", response_model=StatusOut, tags=["documents"])
    def delete(doc_id: str = doc_id_param, key: ApiKey = Depends(gate("editor"))):
        """Remove a document and its passages."""
        doc = visible(doc_id, key)
        console.delete(doc.doc_id, f"key:{key.name}")
        return StatusOut(doc_id=doc.doc_id, status="deleted")

    @router.post("/feedback", response_model=Recorded, tags=["answers"])
    def feedback(body: FeedbackRequest, key: ApiKey = Depends(gate("public"))):
        """Rate an answer that this key asked for (1 or -1, with an optional comment)."""
        exchange = services.conversations.exchange(body.exchange_id)
        if exchange is None or exchange.session != f"api:{key.id}":
            raise ApiProblem(404, "not_found", f"no answer {body.exchange_id} asked with this key")
        try:
            services.conversations.rate(body.exchange_id, body.rating, body.comment)
        except TooLong as exc:
            raise ApiProblem(413, "too_long", str(exc)) from None
        return Recorded()

    return router


def is_api(path: str) -> bool:
    """Whether a path belongs to the HTTP API or the OpenAI-compatible facade."""
    return path.startswith(("/api/", "/v1/"))


def add_api(app: FastAPI, services: Services) -> None:
    """Mount the HTTP API, the OpenAI-compatible facade and their OpenAPI page (/api/docs) on the app."""
    from .openai_facade import OpenAIProblem, build_openai_router

    limiter = RateLimiter(services.settings.api_rate_limit)
    app.include_router(build_api_router(services, limiter))
    app.include_router(build_openai_router(services, KeyGate(services, limiter)))

    def spec() -> dict:
        if app.openapi_schema is None:
            full = get_openapi(title="ipbot API", version="1", routes=app.routes, description=__doc__.replace("\n", " "))
            full["paths"] = {path: ops for path, ops in full.get("paths", {}).items() if is_api(path)}
            app.openapi_schema = full
        return app.openapi_schema

    app.openapi = spec

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_json() -> JSONResponse:
        return JSONResponse(spec())

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(reference_page(spec()))

    def no_route(rest: str) -> None:
        raise ApiProblem(404, "not_found", "no such route; see /api/docs")

    for prefix in ("/api/", "/v1/"):
        app.add_api_route(prefix + "{rest:path}", no_route, methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        if request.url.path.startswith("/v1/"):
            return OpenAIProblem.response(exc.status, exc.code, exc.detail, exc.headers)
        return problem(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors)[:500]
        if request.url.path.startswith("/v1/"):
            return OpenAIProblem.response(422, "invalid_request", detail)
        return problem(422, "invalid_request", detail, errors=errors)


def reference_page(spec: dict) -> str:
    """The API reference as one self-contained HTML page (nothing fetched from elsewhere): every route with its summary,
    request body and responses, and a link to the OpenAPI document."""
    esc = html.escape
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            schema = next((c.get("schema", {}) for c in body.values()), {})
            takes = schema.get("$ref", "").rsplit("/", 1)[-1] or ", ".join(body)
            answers = ", ".join(f"{code} {r.get('description', '')}" for code, r in op.get("responses", {}).items())
            rows.append(f"<tr><td><code>{esc(method.upper())} {esc(path)}</code></td><td>{esc(op.get('summary', ''))}<br>"
                        f"<small>{esc(op.get('description', ''))}</small></td><td>{esc(takes)}</td><td><small>{esc(answers)}</small></td></tr>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(spec.get('info', {}).get('title', 'API'))}</title>"
            "<style>body{font-family:sans-serif;margin:2rem}td{border-top:1px solid #ccc;padding:.4rem;vertical-align:top}</style></head><body>"
            f"<h1>{esc(spec.get('info', {}).get('title', 'API'))}</h1><p>OpenAPI document: <a href=\"/api/openapi.json\">/api/openapi.json</a>. "
            "Send the key as <code>Authorization: Bearer ipb_…</code>; errors are <code>application/problem+json</code>.</p>"
            "<table><tr><th>route</th><th>what it does</th><th>takes</th><th>answers</th></tr>" + "".join(rows) + "</table></body></html>")
