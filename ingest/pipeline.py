"""Files → parsed documents → structured chunks → the knowledge base, one file at a time."""
from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from knowledge import DocumentRecord, KnowledgeBase

from .chunking import chunk_document
from .docmeta import extract_metadata, read_sidecar, validate_overrides
from .errors import IngestError, TooLarge
from .limits import Budget, watching
from .loaders import SUPPORTED, load


@dataclass
class IngestOptions:
    """How files are read and cut; ``overrides`` replace extracted document metadata.

    The work one file may cause is bounded: ``max_chunks`` passages per document (settings
    ``max_chunks_per_doc``, IPBOT_MAX_CHUNKS_PER_DOC; None: no limit) and ``max_seconds`` of wall time for reading,
    cutting and embedding it (``max_seconds_per_file``, IPBOT_MAX_SECONDS_PER_FILE; None: no limit). Setting
    ``cancel`` from another thread stops the file being indexed ("cancelled"). ``on_progress(stage, done, total)``
    hears of each stage ("reading", "reading page", "OCR page", "chunking", "embedding passages", …).
    ``doc_id`` makes the file the next version of that document (the console's replace), whatever its name.
    A file stopped by any of these fails and leaves the knowledge base exactly as it was.
    """

    max_tokens: int = 480
    max_file_mb: float = 100.0
    max_pages: int = 2000
    ocr: bool = True
    overrides: dict = field(default_factory=dict)
    max_chunks: int | None = 3000
    max_seconds: float | None = 900.0
    cancel: threading.Event | None = None
    on_progress: Callable[[str, int, int], None] | None = None
    doc_id: str | None = None


@dataclass
class FileOutcome:
    """What happened to one file: indexed, replaced, unchanged or failed (with the reason)."""

    path: str
    status: str
    doc_id: str | None = None
    chunks: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one-line report shown to the person (control characters in names and reasons escaped, so a file name
        cannot start a line of its own)."""
        path = printable(self.path)
        if self.status in ("failed", "skipped"):
            return f"{self.status}: {path}: {printable(self.reason)}"
        extra = f" ({self.chunks} chunks)" if self.status != "unchanged" else ""
        warn = f" [warning: {printable('; '.join(self.warnings))}]" if self.warnings else ""
        return f"{self.status}: {path} → {printable(self.doc_id)}{extra}{warn}"


def printable(text: object) -> str:
    """Text with control characters (newlines, carriage returns, escapes …) written as \\n, \\r, \\x1b."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in str(text or ""))


_DOCUMENTATION = re.compile(r"^(?:README|LICEN[CS]E|CHANGELOG|CONTRIBUTING)(?:\.[\w.]+)?$", re.IGNORECASE)


def collect_files(paths: list[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Expand directories (recursively, sorted). Missing paths are failures; files of unsupported
    types and a folder's own documentation (README, LICENSE, CHANGELOG …) found inside a directory are reported as
    skipped (named explicitly, they are indexed or fail at load)."""
    files: list[Path] = []
    notes: list[FileOutcome] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts) or f.name.endswith(".meta.toml"):
                    continue
                if _DOCUMENTATION.match(f.name):
                    notes.append(FileOutcome(str(f), "skipped", reason="the folder's own documentation, not knowledge (name the file to index it)"))
                elif f.suffix.lower() in SUPPORTED:
                    files.append(f)
                else:
                    notes.append(FileOutcome(str(f), "skipped", reason=f"unsupported file type {f.suffix or '(none)'!r}"))
        elif p.is_file():
            files.append(p)
        else:
            notes.append(FileOutcome(str(p), "failed", reason="no such file or directory"))
    return files, notes


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    h = hashlib.sha1()
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()


def pipeline_fingerprint(options: IngestOptions) -> str:
    """Changes whenever the code or options that turn a file into chunks change, so such files are re-indexed."""
    return hashlib.sha1(f"{_code_hash()}|{options.max_tokens}|{options.ocr}".encode()).hexdigest()[:16]


def _slug(path: Path) -> str:
    name = path.name.split(".")[0] if path.suffix.lower() in SUPPORTED else path.name
    return re.sub(r"[^\w\-]+", "-", name, flags=re.UNICODE).strip("-").lower() or "doc"


def _doc_id(kb: KnowledgeBase, path: Path, source: str) -> str:
    existing = kb.registry.document_by_source(source)
    if existing:
        return existing.doc_id
    base = _slug(path)
    candidate, n = base, 2
    while kb.registry.document(candidate) is not None:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _citation_meta(doc_id: str, source: Path, title: str, docmeta: dict, chunk) -> dict:
    keep = ("doc_type", "jurisdiction", "status", "effective_date", "promulgation_date", "authority")
    return {
        "doc_id": doc_id, "source": source.name, "path": str(source), "title": title, "kind": chunk.kind,
        "article": chunk.article, "article_label": chunk.article_label, "chapter": chunk.chapter,
        "breadcrumb": chunk.breadcrumb, "page": chunk.page, "page_end": chunk.page_end,
        **{k: docmeta[k] for k in keep if docmeta.get(k) is not None},
    }


def ingest_file(kb: KnowledgeBase, path: Path, options: IngestOptions) -> FileOutcome:
    """Index one file; any failure leaves the knowledge base exactly as it was.

    The file fails, before anything is written, when it would become more than ``options.max_chunks`` passages,
    takes longer than ``options.max_seconds`` or ``options.cancel`` is set (checked between stages, inside the
    loaders' and the chunker's long loops, and between embedding batches)."""
    source = str(path.resolve())
    budget = Budget(options.max_seconds, options.cancel, options.on_progress)
    try:
        with watching(budget.check):
            return _ingest(kb, path, source, options, budget)
    except IngestError as exc:
        return FileOutcome(str(path), "failed", reason=str(exc))
    except MemoryError:
        return FileOutcome(str(path), "failed", reason="ran out of memory reading the file")
    except Exception as exc:  # one bad file never stops a batch
        return FileOutcome(str(path), "failed", reason=f"unexpected error ({type(exc).__name__}: {exc})")


def _ingest(kb: KnowledgeBase, path: Path, source: str, options: IngestOptions, budget: Budget) -> FileOutcome:
    budget("reading", 0, 1)
    size = path.stat().st_size
    if size > options.max_file_mb * 2**20:
        raise TooLarge(f"file is {size / 2**20:.1f} MiB, over the {options.max_file_mb:g} MiB limit")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    doc_id = options.doc_id or _doc_id(kb, path, source)
    previous = kb.registry.document(doc_id)
    fingerprint = pipeline_fingerprint(options)
    if previous and previous.sha256 == sha and previous.metadata.get("pipeline") == fingerprint and not options.overrides:
        kb.ensure_sentence_vectors(doc_id)
        return FileOutcome(str(path), "unchanged", doc_id, previous.chunk_count)
    parsed = load(path, ocr=options.ocr, max_pages=options.max_pages, progress=budget)
    budget("reading", 1, 1)
    docmeta = {**extract_metadata(parsed), **read_sidecar(path), **validate_overrides(dict(options.overrides))}
    title = str(docmeta.pop("title", parsed.title))
    parsed.title = title
    drafts = chunk_document(parsed, max_tokens=options.max_tokens, max_chunks=options.max_chunks, progress=budget)
    if not drafts:
        raise IngestError("no indexable text after parsing")
    metas = [_citation_meta(doc_id, path, title, docmeta, d) for d in drafts]
    record = DocumentRecord(doc_id, source, sha, title, parsed.fmt, "indexed",
                            metadata={**docmeta, **{k: v for k, v in parsed.metadata.items() if k != "header"}, "pipeline": fingerprint},
                            warnings=list(parsed.warnings))
    # put_document calls budget between embedding batches (and once more after the last, before it writes):
    # a deadline or cancel raised there leaves the knowledge base untouched.
    kb.put_document(record, [d.text for d in drafts], metas, progress=budget)
    return FileOutcome(str(path), "replaced" if previous else "indexed", doc_id, len(drafts), warnings=list(parsed.warnings))


def ingest_paths(kb: KnowledgeBase, paths: list[Path], options: IngestOptions | None = None) -> Iterator[FileOutcome]:
    """Index every file under ``paths``, yielding one outcome per file as it finishes."""
    options = options or IngestOptions()
    files, missing = collect_files(paths)
    yield from missing
    for f in files:
        yield ingest_file(kb, f, options)
