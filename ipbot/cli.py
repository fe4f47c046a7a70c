"""The ``ipbot`` command line: ingest, search, ask, chat, serve and kb here; eval, bench and users in their modules."""
from __future__ import annotations

from .offline import go_offline

go_offline()

import json  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402
from rich.markup import escape  # noqa: E402

from .cli_common import (DataDir, Json, app, bench_app, console, default_shared, earlier_questions, eval_app,  # noqa: E402,F401
                         eval_inputs, fail, index_corpus, index_starter, kb_app, open_assistant, out, read_jsonl,
                         run_benchmark_script, settings_for)
from .settings import Settings  # noqa: E402


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to index.")],
    data_dir: DataDir = None,
    doc_type: Annotated[Optional[str], typer.Option(help="Override the document type of every file.")] = None,
    jurisdiction: Annotated[Optional[str], typer.Option(help="Override the jurisdiction (national, or a province/city).")] = None,
    status: Annotated[Optional[str], typer.Option(help="Override the status: in_force, amended or repealed.")] = None,
    effective_date: Annotated[Optional[str], typer.Option(help="Override the effective date (YYYY-MM-DD).")] = None,
    ocr: Annotated[bool, typer.Option(help="OCR image-only PDF pages.")] = True,
) -> None:
    """Index documents (md, txt, pdf, docx, html); one line per file; exit 1 if any file failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest import collect_files, ingest_file

    settings = settings_for(data_dir)
    overrides = {k: v for k, v in {"doc_type": doc_type, "jurisdiction": jurisdiction, "status": status, "effective_date": effective_date}.items() if v}
    assistant = open_assistant(settings, must_exist=False)
    options = settings.ingest_options(ocr=ocr and settings.ocr, overrides=overrides)
    files, outcomes = collect_files(paths)
    for o in outcomes:
        out.print(o.line())
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("indexing", total=len(files))
        for f in files:
            progress.update(task, description=f"indexing {f.name}")
            outcome = ingest_file(assistant.kb, f, options)
            outcomes.append(outcome)
            out.print(outcome.line())
            progress.advance(task)
    failed = sum(o.status == "failed" for o in outcomes)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("indexed", "replaced", "unchanged", "skipped", "failed")}
    console.print(", ".join(f"{v} {k}" for k, v in counts.items()), highlight=False)
    raise typer.Exit(1 if failed else 0)


def _filters(doc_type: list[str] | None, jurisdiction: str | None, in_force_on: str | None, all_versions: bool):
    from bot.answering import SearchFilters

    when = None
    if not all_versions:
        try:
            when = date.fromisoformat(in_force_on) if in_force_on else date.today()
        except ValueError:
            fail(f"--in-force-on {in_force_on!r} is not a date like 2024-01-31")
    return SearchFilters(tuple(doc_type or ()), jurisdiction, when)


def hit_json(hit) -> dict:
    """One search hit in the CLI's JSON contract."""
    m = hit.chunk.metadata
    return {"text": hit.chunk.text, "source": m.get("source"), "title": m.get("title"), "article": m.get("article"),
            "article_label": m.get("article_label"), "chapter": m.get("chapter"), "page": m.get("page"),
            "score": round(hit.score, 6), "doc_id": hit.chunk.doc_id, "chunk_id": hit.chunk.chunk_id,
            **({"link": hit.signals.link} if hit.signals.link else {})}


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(help="The question to search for.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Passages to return.")] = 10,
    as_json: Json = False,
    queries: Annotated[Optional[Path], typer.Option(help="JSONL file of {id, query} lines, answered in one process.")] = None,
    doc_type: Annotated[Optional[list[str]], typer.Option(help="Only these document types (repeatable).")] = None,
    jurisdiction: Annotated[Optional[str], typer.Option(help="Only national documents and those of this jurisdiction.")] = None,
    in_force_on: Annotated[Optional[str], typer.Option(help="Only documents in force on this date (default: today).")] = None,
    all_versions: Annotated[bool, typer.Option(help="Include repealed and not-yet-effective documents.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Show the passages retrieved for a question (or for every line of --queries)."""
    from bot.answering import InvalidQuestion

    if (query is None) == (queries is None):
        fail("give a QUERY or --queries FILE.jsonl (one of them)")
    assistant = open_assistant(settings_for(data_dir))
    filters = _filters(doc_type, jurisdiction, in_force_on, all_versions)
    items = read_jsonl(queries, "query") if queries else [{"id": None, "query": query}]
    for item in items:
        try:
            hits = assistant.search(item["query"], k, filters)
        except InvalidQuestion as exc:
            if not queries:
                fail(str(exc))
            out.print(json.dumps({"id": item.get("id"), "hits": [], "error": str(exc)}, ensure_ascii=False))
            continue
        if as_json or queries:
            resolved = assistant.resolve(item["query"])
            if queries:
                out.print(json.dumps({"id": item.get("id"), "resolved": resolved, "hits": [hit_json(h) for h in hits]}, ensure_ascii=False))
            else:
                for h in hits:
                    out.print(json.dumps({**hit_json(h), "resolved": resolved}, ensure_ascii=False))
                if not hits and resolved:
                    out.print(json.dumps({"resolved": resolved}, ensure_ascii=False))
        else:
            for i, h in enumerate(hits, 1):
                m = h.chunk.metadata
                where = m.get("article_label") or (f"p.{m['page']}" if m.get("page") else "")
                out.print(f"{i}. 《{m.get('title')}》 {where}  score={h.score:.4f}", style="bold")
                out.print("   " + h.chunk.text.replace("\n", "\n   ")[:600])


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question to answer.")] = None,
    as_json: Json = False,
    questions: Annotated[Optional[Path], typer.Option(help="JSONL file of {id, query[, history]} lines, answered in one process; "
                                                            "history lists the earlier questions of the conversation (strings, or {question, answer} objects).")] = None,
    history: Annotated[Optional[list[str]], typer.Option("--history", help="An earlier question of the conversation (repeat in order); "
                                                                           "QUESTION is answered as its follow-up.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print the answer as the LLM writes it (checked sentence by sentence).")] = False,
    data_dir: DataDir = None,
) -> None:
    """Answer a question with cited sources (or every line of --questions), in the context of the earlier questions of
    the conversation; uses the LLM when one is configured."""
    from bot.answering import BotError, InvalidQuestion

    if (question is None) == (questions is None):
        fail("give a QUESTION or --questions FILE.jsonl (one of them)")
    if stream and (as_json or questions):
        fail("--stream prints text for one QUESTION; it cannot be combined with --json or --questions")
    if history and questions:
        fail("--history goes with one QUESTION; in --questions FILE.jsonl give each line its own \"history\"")
    try:
        assistant = open_assistant(settings_for(data_dir))
    except BotError as exc:
        fail(str(exc))
    if stream:
        try:
            _print_stream(assistant.ask_stream(question, history=list(history or [])))
        except InvalidQuestion as exc:
            fail(str(exc))
        return
    items = read_jsonl(questions, "query") if questions else [{"id": None, "query": question, "history": list(history or [])}]
    for item in items:
        try:
            answer = assistant.ask(item["query"], history=earlier_questions(item.get("history")))
        except InvalidQuestion as exc:
            if not questions:
                fail(str(exc))
            out.print(json.dumps({"id": item.get("id"), "error": str(exc)}, ensure_ascii=False), markup=False)
            continue
        if questions:
            out.print(json.dumps({"id": item.get("id"), **answer.to_dict()}, ensure_ascii=False), markup=False)
        elif as_json:
            out.print(json.dumps(answer.to_dict(), ensure_ascii=False), markup=False)
        else:
            if answer.fallback:
                out.print(answer.fallback, style="yellow")
            out.print(answer.answer, markup=False)
            out.print(f"\n{answer.notice}", style="dim")


@app.command()
def chat(data_dir: DataDir = None) -> None:
    """An interactive conversation: each question is answered in the context of the earlier ones (/new starts over,
    an empty line or /quit ends)."""
    from bot.answering import InvalidQuestion

    assistant = open_assistant(settings_for(data_dir))
    earlier: list[str] = []
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("问 > " if interactive else "")
        except EOFError:
            break
        question = line.strip()
        if question in ("", "/quit", "/exit"):
            break
        if question == "/new":
            earlier = []
            console.print("new conversation", highlight=False)
            continue
        try:
            _print_stream(assistant.ask_stream(question, history=earlier[-4:]))
        except InvalidQuestion as exc:
            console.print(f"{exc}", highlight=False)
            continue
        earlier.append(question)
        out.print()


def _print_stream(items) -> None:
    """Write deltas as they arrive; when the final answer is not their continuation (the LLM failed midway), print it whole."""
    printed = ""
    final = None
    for item in items:
        if isinstance(item, str):
            sys.stdout.write(item)
            sys.stdout.flush()
            printed += item
        else:
            final = item
    if final.fallback or not final.answer.startswith(printed):
        sys.stdout.write(("\n\n" if printed else "") + (f"{final.fallback}\n" if final.fallback else "") + final.answer)
    else:
        sys.stdout.write(final.answer[len(printed):])
    sys.stdout.write(f"\n\n{final.notice}\n")
    sys.stdout.flush()


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
    init: Annotated[bool, typer.Option(help="Build the starter knowledge base first when the knowledge base is empty.")] = True,
) -> None:
    """Serve the web app: public chat at /, staff desk at /staff, knowledge console at /admin (accounts: ipbot users)."""
    import uvicorn

    from .compose import build_services

    settings = settings_for(data_dir)
    assistant = open_assistant(settings, must_exist=False)
    if init and not assistant.kb.documents():
        index_starter(settings, assistant)
    from ui import build_server

    services = build_services(settings, assistant)
    swept = assistant.kb.sweep_stray_vectors()
    if swept:
        console.print(f"removed {swept} vectors that no registered passage owned (left by an interrupted write)", highlight=False)
    if not services.accounts.users():
        console.print("no staff accounts yet: add one with  ipbot users add NAME --role editor", highlight=False)
    host, port = host or settings.host, port or settings.port
    console.print(f"serving on http://{host}:{port}  (staff desk /staff, knowledge console /admin)", highlight=False)
    proxies = settings.trusted_proxies
    uvicorn.run(build_server(services), host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


@app.command()
def worker(
    data_dir: DataDir = None,
    once: Annotated[bool, typer.Option(help="Run the queued jobs, then stop (instead of waiting for more).")] = False,
    nice: Annotated[int, typer.Option(help="Lower this process's CPU priority by this much (0–19), so indexing yields to the chat.")] = 10,
) -> None:
    """Index the uploads queued through the HTTP API (IPBOT_INDEX_IN_WORKER), one at a time; several workers may run."""
    import os
    import signal
    import socket
    import threading

    from .compose import build_services

    settings = settings_for(data_dir)
    if nice:
        os.nice(max(0, min(19, nice)))
    services = build_services(settings, open_assistant(settings, must_exist=False))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    name = f"{socket.gethostname()}:{os.getpid()}"
    console.print(f"worker {name} taking indexing jobs from {services.db.backend}", highlight=False)
    from bot.office import work

    try:
        ran = work(services, name, stop, once=once)
    except KeyboardInterrupt:
        ran = 0
    console.print(f"worker {name} stopped after {ran} job(s)", highlight=False)


@app.command()
def backup(archive: Annotated[Path, typer.Argument(help="The archive to write (.tar.gz).")], data_dir: DataDir = None) -> None:
    """Back up the knowledge base (registry and embeddings, taken consistently while the app serves), the app database
    (SQLite or PostgreSQL) and the uploaded and FAQ files into one archive."""
    from knowledge import KnowledgeError

    from .backup import BackupError, make_backup

    try:
        manifest = make_backup(settings_for(data_dir), archive)
    except (BackupError, KnowledgeError) as exc:
        fail(str(exc))
    rows = sum(manifest["app_rows"].values())
    out.print(f"backed up {manifest['documents']} documents, {manifest['passages']} passages and {rows} app-database rows "
                  f"to {archive}", highlight=False)


@app.command()
def restore(archive: Annotated[Path, typer.Argument(help="An archive written by ipbot backup.")], data_dir: DataDir = None) -> None:
    """Restore a backup into an empty data dir (and into the empty database IPBOT_DATABASE_URL names, if set)."""
    from knowledge import KnowledgeError

    from .backup import BackupError, restore_backup

    try:
        done = restore_backup(settings_for(data_dir), archive)
    except (BackupError, KnowledgeError) as exc:
        fail(str(exc))
    out.print(f"restored {done['documents']} documents, {done['restored_passages']} passages and "
                  f"{sum(done['restored_rows'].values())} app-database rows (backup of {done['created_at']})", highlight=False)


@kb_app.command("init")
def kb_init(data_dir: DataDir = None) -> None:
    """Index the bundled starter knowledge base (unchanged files are skipped)."""
    settings = settings_for(data_dir)
    index_starter(settings)
    console.print(f"starter knowledge base ready in {settings.data_dir}", highlight=False)


@kb_app.command("set")
def kb_set(doc: Annotated[str, typer.Argument(help="Document id (see kb list).")],
           title: Annotated[Optional[str], typer.Option(help="A new title.")] = None,
           effective_date: Annotated[Optional[str], typer.Option(help="The effective date, YYYY-MM-DD.")] = None,
           doc_type: Annotated[Optional[str], typer.Option(help="The document type.")] = None,
           jurisdiction: Annotated[Optional[str], typer.Option(help="national, or a province or city.")] = None,
           data_dir: DataDir = None) -> None:
    """Change a document's title, effective date, type or jurisdiction (recorded in the audit log)."""
    from bot.answering import BotError
    from .compose import build_services

    settings = settings_for(data_dir)
    services = build_services(settings, open_assistant(settings))
    try:
        done = services.console.edit(doc, {"title": title, "effective_date": effective_date, "doc_type": doc_type,
                                           "jurisdiction": jurisdiction}, "cli")
    except BotError as exc:
        fail(str(exc))
    out.print("; ".join(f"{k}: {old or '-'} → {new}" for k, (old, new) in done.items()) or "nothing changed")


@kb_app.command("list")
def kb_list(as_json: Json = False, data_dir: DataDir = None) -> None:
    """List the indexed documents (laws in force without an effective date flagged)."""
    from rich.table import Table

    from bot.office import needs_effective_date

    docs = open_assistant(settings_for(data_dir)).kb.documents()
    if as_json:
        for d in docs:
            out.print(json.dumps(d.to_dict(), ensure_ascii=False))
        return
    table = Table("doc_id", "title", "type", "status", "effective", "chunks", "version", "ingested at")
    undated = 0
    for d in docs:
        m = d.metadata
        effective = str(m.get("effective_date") or "")
        if needs_effective_date(m):
            effective, undated = "⚠ missing", undated + 1
        table.add_row(d.doc_id, d.title, m.get("doc_type", ""), m.get("status", ""), effective, str(d.chunk_count),
                      str(m.get("archived_version") or d.version), d.ingested_at)
    out.print(table)
    if undated:
        console.print(f"{undated} law(s) in force have no effective date, so 'in force on a date' cannot tell their versions apart: "
                      "set one with `ipbot ingest FILE --effective-date YYYY-MM-DD` or in the knowledge console", highlight=False)


@kb_app.command("show")
def kb_show(doc: Annotated[str, typer.Argument(help="Document id (see kb list) or source path.")],
            as_json: Json = False, data_dir: DataDir = None) -> None:
    """A document's outline: metadata, chapters with their article ranges, pages, earlier versions, warnings."""
    from bot.office import needs_effective_date
    from knowledge import KnowledgeError

    kb = open_assistant(settings_for(data_dir)).kb
    try:
        record = kb.document(doc)
    except KnowledgeError as exc:
        fail(str(exc))
    chunks = kb.chunks(record.doc_id)
    outline: dict[str, list] = {}
    for c in chunks:
        m = c.metadata
        key = m.get("chapter") or " / ".join(x for x in [m.get("breadcrumb", "").split(" ", 1)[-1]] if x) or "(no chapter)"
        label = m.get("article_label")
        if label and label not in outline.setdefault(key, []):
            outline[key].append(label)
        outline.setdefault(key, [])
    pages = sorted({c.metadata["page"] for c in chunks if c.metadata.get("page")})
    articles = sorted({c.metadata["article_label"] for c in chunks if c.metadata.get("kind") == "article" and c.metadata.get("article_label")})
    versions = sorted((d for d in kb.documents() if d.metadata.get("version_of") == record.doc_id),
                      key=lambda d: -int(d.metadata.get("archived_version") or 0))
    if as_json:
        earlier = [{"doc_id": d.doc_id, "version": d.metadata.get("archived_version"), "superseded_on": d.metadata.get("superseded_on")}
                   for d in versions]
        out.print(json.dumps({**record.to_dict(), "outline": outline, "articles": len(articles), "pages": pages,
                              "earlier_versions": earlier}, ensure_ascii=False))
        return
    out.print(f"{record.title}  ({record.doc_id}, version {record.version}, {record.chunk_count} chunks, {len(articles)} articles)", style="bold")
    out.print(f"source: {record.source}")
    for key in ("doc_type", "authority", "jurisdiction", "status", "promulgation_date", "effective_date", "pages", "ocr", "encoding"):
        if record.metadata.get(key) not in (None, "", []):
            out.print(f"{key}: {record.metadata[key]}")
    if pages:
        out.print(f"pages with text: {pages[0]}–{pages[-1]} ({len(pages)})")
    for chapter, labels in outline.items():
        span = f"{labels[0]}–{labels[-1]} ({len(labels)})" if len(labels) > 1 else (labels[0] if labels else "")
        out.print(f"  {chapter}  {span}")
    for d in versions:
        out.print(f"earlier version {d.metadata.get('archived_version')}: {d.doc_id} (superseded on {d.metadata.get('superseded_on') or '?'}, "
                  f"{d.chunk_count} chunks)")
    if record.metadata.get("version_of"):
        out.print(f"this is version {record.metadata.get('archived_version')} of {record.metadata['version_of']}, "
                  f"superseded on {record.metadata.get('superseded_on') or '?'}")
    if needs_effective_date(record.metadata):
        out.print("warning: no effective date (in force on a date cannot tell this law's versions apart)", style="yellow")
    for w in record.warnings:
        out.print(f"warning: {w}", style="yellow")


@kb_app.command("link")
def kb_link(question: Annotated[str, typer.Argument(help="A question as people ask it.")],
            law: Annotated[str, typer.Option(help="Title of the indexed document that answers it (see kb list).")],
            article: Annotated[int, typer.Option(help="Number of the article that answers it (第四十二条 → 42).")],
            data_dir: DataDir = None) -> None:
    """Link a question to the article that answers it: later questions close to it find that article and count as
    covered (used from the next start of ipbot)."""
    from bot.answering import InvalidQuestion, normalize_question
    from knowledge.links import add_link

    settings = settings_for(data_dir)
    kb = open_assistant(settings).kb
    docs = kb.documents()
    titles = {d.title for d in docs}
    if law not in titles:
        near = sorted(t for t in titles if law.replace("中华人民共和国", "") in t or t.replace("中华人民共和国", "") in law)
        fail(f"no document titled {law!r} in the knowledge base; " + (f"did you mean: {', '.join(near)}" if near else f"titles: {', '.join(sorted(titles)[:20])}"))
    if not any(c.metadata.get("article") == article for d in docs if d.title == law for c in kb.chunks(d.doc_id)):
        fail(f"{law} has no article {article} in the knowledge base (see: ipbot kb show)")
    try:
        text = normalize_question(question)
    except InvalidQuestion as exc:
        fail(str(exc))
    added = add_link(Path(settings.data_dir), text, law, article)
    out.print(("linked: " if added else "already linked: ") + f"{text} → {law} 第{article}条", highlight=False)


@kb_app.command("links")
def kb_links(as_json: Json = False, data_dir: DataDir = None) -> None:
    """The links added to this knowledge base with kb link (the bundled ones are in knowledge/question_links.jsonl)."""
    from knowledge.links import local_links

    settings = settings_for(data_dir)
    try:
        links = local_links(Path(settings.data_dir))
    except ValueError as exc:
        fail(str(exc))
    for link in links:
        refs = [{"law": law, "article": n} for law, n in link.articles]
        out.print(json.dumps({"question": link.question, "links": refs}, ensure_ascii=False) if as_json
                  else f"{link.question} → " + "; ".join(f"{law} 第{n}条" for law, n in link.articles), highlight=False)
    if not links and not as_json:
        out.print(f"no links added in {settings.data_dir} (ipbot kb link QUESTION --law TITLE --article N)", highlight=False)


@kb_app.command("remove")
def kb_remove(doc: Annotated[str, typer.Argument(help="Document id (see kb list) or source path.")], data_dir: DataDir = None) -> None:
    """Remove a document and all its chunks."""
    from knowledge import KnowledgeError

    try:
        removed = open_assistant(settings_for(data_dir)).kb.remove_document(doc)
    except KnowledgeError as exc:
        fail(str(exc))
    out.print(f"removed: {removed.doc_id} ({removed.chunk_count} chunks)")


@kb_app.command("chunks")
def kb_chunks(doc: Annotated[Optional[str], typer.Argument(help="Document id; all documents when omitted.")] = None,
              as_json: Json = False, data_dir: DataDir = None) -> None:
    """Print the chunks of a document (or of all), with their citation metadata."""
    from knowledge import KnowledgeError

    try:
        chunks = open_assistant(settings_for(data_dir)).kb.chunks(doc)
    except KnowledgeError as exc:
        fail(str(exc))
    for c in chunks:
        if as_json:
            out.print(json.dumps(c.to_dict(), ensure_ascii=False))
        else:
            label = c.metadata.get("article_label") or c.metadata.get("breadcrumb", "")
            out.print(f"[bold]{c.chunk_id}[/] {label}\n{c.text}\n")


def main() -> None:
    """Entry point of the ``ipbot`` script."""
    import os

    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("IPBOT_DEBUG"):
            raise
        console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))} (set IPBOT_DEBUG=1 for the traceback)", highlight=False)
        sys.exit(2)


from . import cli_answers, cli_eval, cli_refs, cli_users  # noqa: E402,F401  (they register `ipbot eval …`, `ipbot bench …` and `ipbot users`)
