"""The knowledge console's operations: list, inspect, upload, replace, retire and delete documents, hit-test questions.
Every change is written to the audit log."""
from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterator

from ingest import SUPPORTED, FileOutcome, IngestError, IngestOptions, ingest_file, load
from ingest.docmeta import DOC_TYPES, LAW_TYPES, STATUSES, extract_metadata, read_sidecar, validate_overrides
from ingest.limits import Budget, watching
from knowledge import ChunkRecord, KnowledgeError, ScoredChunk

from .audit import AuditLog
from ..answering import BotError, SearchFilters

METADATA_FIELDS = ("doc_type", "jurisdiction", "effective_date", "status")
CARRIED_METADATA = ("doc_type", "jurisdiction", "authority", "status")


def needs_effective_date(meta: dict) -> bool:
    """Whether a document is a law in force that should carry an effective date (and has none)."""
    return not meta.get("effective_date") and meta.get("doc_type") in LAW_TYPES and meta.get("status") in (None, "", "in_force", "amended", "draft")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PREVIEW_SECONDS = 60.0


class ConsoleError(BotError):
    """A knowledge-console operation was refused; the message says why."""


@dataclass
class DocumentRow:
    """One line of the console's document list."""

    doc_id: str
    title: str
    doc_type: str
    jurisdiction: str
    effective_date: str
    status: str
    chunks: int
    version: int
    ingested_at: str
    source: str


def check_metadata(meta: dict) -> dict:
    """The non-empty metadata fields, checked (type, status, YYYY-MM-DD date); ConsoleError names a bad value."""
    clean = {k: str(v).strip() for k, v in meta.items() if k in METADATA_FIELDS and v is not None and str(v).strip()}
    if "effective_date" in clean:
        if not _DATE.match(clean["effective_date"]):
            raise ConsoleError(f"effective date {clean['effective_date']!r} is not a date like 2024-01-31")
        try:
            date.fromisoformat(clean["effective_date"])
        except ValueError as exc:
            raise ConsoleError(f"effective date {clean['effective_date']!r}: {exc}") from exc
    try:
        return validate_overrides(clean, "metadata")
    except IngestError as exc:
        raise ConsoleError(str(exc)) from exc


def readable(meta: dict) -> str:
    """Metadata as 'field: value' pairs for the audit log (not a raw dict)."""
    return ", ".join(f"{k}: {v}" for k, v in meta.items() if v not in (None, ""))


def safe_filename(name: str) -> str:
    """A file name without directories or characters that are unsafe on disk (letters of any script kept)."""
    base = Path(name).name
    stem, dot, ext = base.rpartition(".")
    stem = re.sub(r"[^\w\-. ]+", "_", stem if dot else base, flags=re.UNICODE).strip(" ._") or "document"
    return f"{stem}.{ext.lower()}" if dot else stem


def _row(d) -> DocumentRow:
    """A registry record as a line of the document list (an earlier version shows its own version number and file)."""
    m = d.metadata
    return DocumentRow(d.doc_id, d.title, m.get("doc_type", ""), m.get("jurisdiction", ""), str(m.get("effective_date") or ""),
                       m.get("status", ""), d.chunk_count, int(m.get("archived_version") or d.version), d.ingested_at,
                       Path(d.source.split("#")[0]).name)


class KnowledgeConsole:
    """What editors do to the knowledge base; uploads are kept under ``uploads_dir`` so they can be re-indexed."""

    def __init__(self, assistant, audit: AuditLog, uploads_dir: Path, options: IngestOptions) -> None:
        self.assistant, self.kb, self.audit = assistant, assistant.kb, audit
        self.uploads_dir, self.options = Path(uploads_dir), options

    def documents(self, query: str = "", doc_type: str = "", jurisdiction: str = "", status: str = "") -> list[DocumentRow]:
        """Documents matching a text in title/id/source and the given type, jurisdiction and status."""
        q = (query or "").strip().lower()
        rows = []
        for d in self.kb.documents():
            row = _row(d)
            if q and q not in f"{row.title} {row.doc_id} {row.source}".lower():
                continue
            if (doc_type and row.doc_type != doc_type) or (jurisdiction and row.jurisdiction != jurisdiction) or (status and row.status != status):
                continue
            rows.append(row)
        return rows

    def document(self, doc_id: str):
        """The registry record of a document; ConsoleError when unknown."""
        try:
            return self.kb.document(doc_id)
        except Exception as exc:
            raise ConsoleError(str(exc)) from exc

    def row(self, doc_id: str) -> DocumentRow:
        """One document as a line of the document list."""
        return _row(self.document(doc_id))

    def chunks(self, doc_id: str) -> list[ChunkRecord]:
        """A document's passages in reading order."""
        return self.kb.chunks(self.document(doc_id).doc_id)

    def outline(self, doc_id: str) -> list[tuple[int, str]]:
        """(depth, heading) of a document's chapters and articles or sections, in reading order."""
        out: list[tuple[int, str]] = []
        chapter = None
        for c in self.chunks(doc_id):
            m = c.metadata
            if m.get("chapter") and m.get("chapter") != chapter:
                chapter = m["chapter"]
                out.append((0, chapter))
            label = m.get("article_label") or (f"p.{m['page']}" if m.get("page") else "") or ("（序言）" if m.get("kind") == "preamble" else "")
            if label and (not out or out[-1][1] != label):
                out.append((1 if chapter else 0, label))
        return out

    def preview_metadata(self, path: Path) -> dict:
        """Title and the metadata ingest would extract from a file (its own text, then a sidecar), read within a minute at
        most; errors give {'error': reason}."""
        path = Path(path)
        budget = Budget(min(self.options.max_seconds or PREVIEW_SECONDS, PREVIEW_SECONDS))
        try:
            with watching(budget.check):
                parsed = load(path, ocr=False, max_pages=self.options.max_pages, progress=budget)
            meta = {**extract_metadata(parsed), **read_sidecar(path)}
        except IngestError as exc:
            return {"error": str(exc)}
        return {"title": str(meta.get("title") or parsed.title), **{k: str(meta.get(k) or "") for k in METADATA_FIELDS}}

    @contextmanager
    def _stored(self, path: Path, name: str | None = None):
        """Copy an uploaded file into the uploads dir for indexing; yields (stored path, keep), where the caller sets
        ``keep[0] = True`` once the file was indexed. Otherwise the copy is removed and a file it overwrote (an earlier
        version of the same name) is put back, so nothing of a failed upload is left behind."""
        name = safe_filename(name or Path(path).name)
        if Path(name).suffix.lower() not in SUPPORTED:
            raise ConsoleError(f"unsupported file type {Path(name).suffix or '(none)'!r}; supported: {', '.join(sorted(SUPPORTED))}")
        if not Path(path).is_file():
            raise ConsoleError(f"{Path(path).name!r} is not an uploaded file")
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        target = self.uploads_dir / name
        if Path(path).resolve() == target.resolve():
            yield target, [True]
            return
        backup = target.with_name(f".{name}.previous")
        had_previous = target.exists()
        if had_previous:
            os.replace(target, backup)
        keep = [False]
        try:
            shutil.copyfile(path, target)
            yield target, keep
        finally:
            if keep[0]:
                backup.unlink(missing_ok=True)
            else:
                target.unlink(missing_ok=True)
                if had_previous:
                    os.replace(backup, target)

    def _options(self, overrides: dict, cancel: threading.Event | None = None, on_progress=None) -> IngestOptions:
        return replace(self.options, overrides=check_metadata(overrides), cancel=cancel, on_progress=on_progress)

    def ingest_uploads(self, paths: list[Path], metadata: dict, actor: str, cancel: threading.Event | None = None,
                       on_progress=None) -> Iterator[FileOutcome]:
        """Copy uploaded files into the uploads dir and index them one by one (same file name = new version). Every
        upload starts as a draft (never cited by the public chat or the staff desk) until an editor publishes it; the
        status chosen or found in the file is what publishing gives it. Setting ``cancel`` stops the file being indexed
        (the knowledge base keeps what it had) and the rest of the batch."""
        options = self._options(metadata, cancel, on_progress)
        for path in paths:
            if cancel is not None and cancel.is_set():
                yield FileOutcome(Path(path).name, "failed", reason="cancelled")
                continue
            try:
                with self._stored(path) as (stored, keep):
                    requested = options.overrides.get("status") or self._own_status(stored)
                    outcome = ingest_file(self.kb, stored, replace(options, overrides={**options.overrides, "status": "draft"}))
                    if outcome.status != "failed":
                        keep[0] = True
                        self.kb.registry.update_metadata(outcome.doc_id, {"publish_status": requested})
            except (ConsoleError, OSError) as exc:
                yield FileOutcome(Path(path).name, "failed", reason=str(exc))
                continue
            if outcome.status != "failed":
                self.audit.record(actor, f"document.{'replace' if outcome.status == 'replaced' else 'upload'}", outcome.doc_id or "",
                                  f"{stored.name}: {outcome.status} as a draft, {outcome.chunks} chunks"
                                  + (f"; {readable(options.overrides)}" if options.overrides else ""))
            yield outcome

    @staticmethod
    def _own_status(path: Path) -> str:
        try:
            return str(read_sidecar(path).get("status") or "")
        except IngestError:
            return ""

    def conflicts(self, doc_id: str) -> list[str]:
        """One line per figure of the document that differs from what the closest passage of another document in force
        says about the same thing (the higher authority named first), for the editor to check before publishing."""
        try:
            found = self.assistant.conflicts_of(doc_id)
        except KnowledgeError as exc:
            return [f"conflict check failed: {exc}"]
        return [f"{c.describe()}：{c.lower_sentence[:120]}" for c in found]

    def publish(self, doc_id: str, actor: str) -> str:
        """Make a draft public with the status it was uploaded for (in force unless the file or the form said otherwise);
        returns that status."""
        doc = self.document(doc_id)
        if doc.metadata.get("status") != "draft":
            raise ConsoleError(f"{doc.doc_id} is not a draft (status {doc.metadata.get('status') or 'unset'})")
        status = doc.metadata.get("publish_status") or "in_force"
        self.kb.registry.update_metadata(doc.doc_id, {"status": status})
        self.audit.record(actor, "document.publish", doc.doc_id, f"status draft → {status}")
        return status

    def replace(self, doc_id: str, path: Path, actor: str, metadata: dict | None = None) -> FileOutcome:
        """The next version of a document from a file: the document keeps its id and becomes version N+1; version N is
        kept as a superseded document (``{doc_id}.vN``: listed, never cited for the law in force after the new version
        takes effect). Document type, jurisdiction, authority and status carry over unless ``metadata`` changes them;
        the effective date is the new file's own or the one given (``kb list`` flags a law without one). When the new
        file cannot be indexed, the document, its file and its versions stay as they were."""
        old = self.document(doc_id)
        if old.metadata.get("version_of"):
            raise ConsoleError(f"{old.doc_id} is an earlier version of {old.metadata['version_of']}; replace that document instead")
        carried = {k: old.metadata[k] for k in CARRIED_METADATA if old.metadata.get(k)}
        options = replace(self._options({**carried, **(metadata or {})}), doc_id=old.doc_id)
        source = Path(old.source)
        in_place = source.parent.resolve() == self.uploads_dir.resolve() and source.suffix.lower() == Path(path).suffix.lower()
        name = source.name if in_place else safe_filename(Path(path).name)
        other = self.kb.registry.document_by_source(str((self.uploads_dir / name).resolve()))
        if other is not None and other.doc_id != old.doc_id:
            raise ConsoleError(f"another document ({other.doc_id}) was uploaded as {name}; rename the new file and try again")
        effective = str((metadata or {}).get("effective_date") or "") or date.today().isoformat()
        kept = self.uploads_dir / f".{source.stem}.v{old.version}{source.suffix}"
        if in_place and source.is_file():  # the old file is overwritten: keep a copy for the superseded version
            shutil.copyfile(source, kept)
        try:
            archived = self.kb.archive_version(old.doc_id, effective)
        except KnowledgeError as exc:
            if in_place:
                kept.unlink(missing_ok=True)
            raise ConsoleError(f"version {old.version} could not be kept, nothing was changed: {exc}") from exc
        self.kb.registry.update_metadata(archived.doc_id, {"file": str(kept if in_place else source)})
        try:
            with self._stored(path, name) as (target, keep):
                outcome = ingest_file(self.kb, target, options)
                if outcome.status == "failed":
                    raise ConsoleError(f"the new version was not indexed, the old one is unchanged: {outcome.reason}")
                keep[0] = True
        except BaseException:
            self.kb.remove_document(archived.doc_id)
            if in_place:
                kept.unlink(missing_ok=True)
            raise
        if outcome.status == "unchanged":
            self.kb.remove_document(archived.doc_id)
            if in_place:
                kept.unlink(missing_ok=True)
            return outcome
        new = self.kb.document(old.doc_id)
        if not (metadata or {}).get("effective_date") and new.metadata.get("effective_date"):
            self.kb.registry.update_metadata(archived.doc_id, {"superseded_on": new.metadata["effective_date"]})
        self.audit.record(actor, "document.replace", old.doc_id,
                          f"version {old.version} → {new.version} from {target.name}; version {old.version} kept as {archived.doc_id}"
                          + (f"; {readable(metadata)}" if metadata else ""))
        return outcome

    def edit(self, doc_id: str, changes: dict, actor: str) -> dict:
        """Change a document's title, type, jurisdiction or effective date (checked as on upload; blank fields are left
        as they are); returns what changed, {field: (old, new)}, which the audit log records field by field."""
        doc = self.document(doc_id)
        title = str(changes.get("title") or "").strip()
        if len(title) > 200:
            raise ConsoleError(f"title is {len(title)} characters; at most 200")
        clean = check_metadata({k: v for k, v in changes.items() if k in ("doc_type", "jurisdiction", "effective_date")})
        done = {k: (doc.metadata.get(k) or "", v) for k, v in clean.items() if doc.metadata.get(k) != v}
        if title and title != doc.title:
            done["title"] = (doc.title, title)
            self.kb.registry.rename(doc.doc_id, title)
        if clean:
            self.kb.registry.update_metadata(doc.doc_id, clean)
        if done:
            self.audit.record(actor, "document.edit", doc.doc_id, "; ".join(f"{k}: {old or '-'} → {new}" for k, (old, new) in done.items()))
        return done

    def versions(self, doc_id: str) -> list[DocumentRow]:
        """The earlier versions kept of a document, newest first."""
        doc = self.document(doc_id)
        rows = [_row(d) for d in self.kb.documents() if d.metadata.get("version_of") == doc.doc_id]
        return sorted(rows, key=lambda r: -r.version)

    def retire(self, doc_id: str, actor: str) -> None:
        """Mark a document repealed: it stays listed but is no longer cited for questions about the law in force."""
        doc = self.document(doc_id)
        self.kb.registry.update_metadata(doc.doc_id, {"status": "repealed"})
        self.audit.record(actor, "document.retire", doc.doc_id, f"status {doc.metadata.get('status', '')} → repealed")

    def delete(self, doc_id: str, actor: str) -> None:
        """Remove a document and its passages from the knowledge base."""
        doc = self.kb.remove_document(self.document(doc_id).doc_id)
        self.audit.record(actor, "document.delete", doc.doc_id, f"{doc.title} ({doc.chunk_count} chunks)")

    def hit_test(self, question: str, k: int = 10, include_retired: bool = False) -> list[ScoredChunk]:
        """The ranked passages the assistant would use for a question, drafts included (so an editor can try one before
        publishing it)."""
        return self.assistant.search(question, k, SearchFilters() if include_retired else SearchFilters(in_force_on=date.today(), drafts=True))


CONSOLE_CHOICES = {"doc_type": DOC_TYPES, "status": STATUSES}
