"""The knowledge console (/admin, editors): upload documents with their metadata, inspect, replace, retire and delete
them, hit-test questions, answer knowledge gaps, read the audit log."""
from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import gradio as gr

from bot.answering import BotError, InvalidQuestion
from bot.office import CONSOLE_CHOICES, FINISHED, JobQueue, Services, local_time, needs_effective_date

from .common import require, who_markdown
from .gaps_view import build_gaps
from .hardening import issued_here, upload_folder
from .render import esc, table_html

ROLE = "editor"
TYPE_WORDS = {"law": "法律 Law", "administrative_regulation": "行政法规 Administrative regulation",
              "department_rule": "部门规章 Department rule", "judicial_interpretation": "司法解释 Judicial interpretation",
              "normative_document": "规范性文件 Normative document", "guideline": "指南 Guideline", "faq": "问答 FAQ", "guide": "办事指南 Guide"}
STATUS_WORDS = {"in_force": "现行有效 In force", "amended": "已修改 Amended", "repealed": "已废止 Repealed", "draft": "草稿 Draft",
                "superseded": "旧版本 Superseded"}
MISSING_DATE = "⚠ 缺施行日期 missing"


def word(code: object, words: dict[str, str]) -> str:
    """A type or status code as the words people read (the code itself when it has none)."""
    return words.get(str(code or ""), str(code or ""))


STAGE_WORDS = {"reading": "读取 reading", "reading page": "读取页面 reading page", "OCR page": "识别扫描页 OCR page",
               "chunking": "切分 chunking", "embedding passages": "向量化段落 embedding passages",
               "embedding sentences": "向量化句子 embedding sentences", "writing": "写入 writing"}


def _warnings(console, doc_id: str) -> list[str]:
    """The log lines under an indexed file: its conflicts with other documents, and a missing effective date."""
    lines = [f"    ⚠ {c}" for c in console.conflicts(doc_id)]
    if needs_effective_date(console.document(doc_id).metadata):
        lines.append("    ⚠ 文中没有施行日期，请在“文档”页填写。No effective date in the text: set it on the Documents tab.")
    return lines


def indexing_log(console, paths: list[Path], metadata: dict, actor: str, cancel: threading.Event):
    """Index uploaded files in a worker thread and yield (log text, stage or None) as it goes: a line per file, with its
    conflicts and a missing effective date, and below them the stage the current file is at ("[2/3] 识别扫描页 OCR page 3/6");
    the stage is (description, done, total) for a progress bar."""
    events: queue.Queue = queue.Queue()
    n = len(paths)

    def work() -> None:
        try:
            for outcome in console.ingest_uploads(paths, metadata, actor, cancel=cancel,
                                                  on_progress=lambda name, done, total: events.put(("stage", name, done, total))):
                events.put(("outcome", outcome))
        except BotError as exc:
            events.put(("error", exc))
        except Exception as exc:  # noqa: BLE001 - shown in the log, never a traceback in the page
            events.put(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            events.put(("end",))

    lines = [f"开始索引 {n} 个文件 indexing {n} file(s)…"]
    yield "\n".join(lines), None
    threading.Thread(target=work, daemon=True, name="ipbot-upload").start()
    finished = 0
    while True:
        event = events.get()
        if event[0] == "stage":
            _, name, done, total = event
            desc = f"[{finished + 1}/{n}] {STAGE_WORDS.get(name, name)}" + (f" {done}/{total}" if total else "")
            yield "\n".join(lines + [f"    … {desc}"]), (desc, done, total)
        elif event[0] == "outcome":
            outcome = event[1]
            finished += 1
            lines.append(f"[{finished}/{n}] {outcome.line().replace(str(Path(outcome.path).parent) + '/', '')}")
            if outcome.status != "failed":
                lines += _warnings(console, outcome.doc_id)
            yield "\n".join(lines), None
        elif event[0] == "error":
            lines.append(f"✗ {event[1]}")
            yield "\n".join(lines), None
        else:
            break
    lines.append("已取消 cancelled." if cancel.is_set() else "完成 done. 新文档为草稿，请在“文档”页核对后发布。New documents are drafts: check and publish them.")
    yield "\n".join(lines), None


def queued_log(services: Services, paths: list[Path], metadata: dict, actor: str, cancel: threading.Event, poll: float = 0.5):
    """With IPBOT_INDEX_IN_WORKER: queue the uploaded files for `ipbot worker` and yield (log text, stage or None) as the
    jobs go — a line per file (queued, its stage while a worker indexes it, then its outcome with the same warnings as
    ``indexing_log``). Setting ``cancel`` cancels the jobs not yet done; the jobs go on if the page is closed."""
    queue, console = JobQueue(services.db), services.console
    try:
        jobs = queue.enqueue_files(services.settings.data_dir / "queue", paths, metadata, actor)
    except BotError as exc:
        yield f"✗ {exc}", None
        return
    n, asked_to_stop = len(jobs), False
    head = f"已排队 {n} 个文件，由索引进程处理 queued {n} file(s) for the indexing worker (jobs {', '.join(f'#{j.id}' for j in jobs)})"
    warned: dict[int, list[str]] = {}
    while True:
        if cancel.is_set() and not asked_to_stop:
            queue.cancel([j.id for j in jobs])
            asked_to_stop = True
        current = [queue.get(j.id) or j for j in jobs]
        lines, stage = [head], None
        for i, (job, path) in enumerate(zip(current, paths), 1):
            r = job.result or {}
            if job.status in FINISHED:
                said = r.get("line") or f"{job.status}: {path.name}: {r.get('reason', '')}"
                lines.append(f"[{i}/{n}] {said}")
                if job.status == "done" and r.get("doc_id"):
                    if job.id not in warned:
                        warned[job.id] = _warnings(console, r["doc_id"])
                    lines += warned[job.id]
            elif job.status in ("running", "cancelling") and r.get("stage"):
                desc = f"[{i}/{n}] {STAGE_WORDS.get(r['stage'], r['stage'])}" + (f" {r['done']}/{r['total']}" if r.get("total") else "")
                lines.append(f"    … {desc}")
                stage = (desc, r.get("done", 0), r.get("total", 0))
            else:
                lines.append(f"[{i}/{n}] {path.name}: " + ("索引中 indexing…" if job.status == "running" else "排队中 waiting for a worker…"))
        if all(job.status in FINISHED for job in current):
            break
        yield "\n".join(lines), stage
        time.sleep(poll)
    lines.append("已取消 cancelled." if asked_to_stop else "完成 done. 新文档为草稿，请在“文档”页核对后发布。New documents are drafts: check and publish them.")
    yield "\n".join(lines), None


DOC_HEADERS = ["ID", "标题 Title", "类型 Type", "地域 Jurisdiction", "施行 Effective", "状态 Status", "段落 Chunks", "版本 Version", "入库 Ingested"]


def _files(value) -> list[Path]:
    """The uploaded files of a File component's value: only files the browser sent into this server's upload folder."""
    items = value if isinstance(value, list) else [value] if value else []
    paths = [Path(getattr(f, "name", f)) for f in items]
    folder = upload_folder()
    if any(not issued_here(str(p), folder) for p in paths):
        raise gr.Error("只接受通过浏览器上传的文件。Only files uploaded through this page are accepted.")
    return paths


class Uploads:
    """Uploads in progress, one per browser session, so the person who started one can cancel it."""

    def __init__(self) -> None:
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def start(self, session: str) -> threading.Event:
        """A fresh cancel flag for this session's new upload."""
        with self._lock:
            self._running[session] = event = threading.Event()
            return event

    def cancel(self, session: str) -> bool:
        """Ask this session's running upload to stop; False when none is running."""
        with self._lock:
            event = self._running.get(session)
        if event is None or event.is_set():
            return False
        event.set()
        return True

    def finish(self, session: str, event: threading.Event) -> None:
        """Forget a finished upload."""
        with self._lock:
            if self._running.get(session) is event:
                del self._running[session]


def build_admin(services: Services) -> gr.Blocks:
    """The Gradio Blocks of the knowledge console."""
    console = services.console
    uploads = Uploads()
    types = [("", "")] + [(word(t, TYPE_WORDS), t) for t in CONSOLE_CHOICES["doc_type"]]
    statuses = [("", "")] + [(word(t, STATUS_WORDS), t) for t in CONSOLE_CHOICES["status"]]
    with gr.Blocks(title="ipbot · 知识库控制台 Knowledge console", analytics_enabled=False) as demo:
        with gr.Row():
            gr.Markdown("# ipbot 知识库控制台 · Knowledge console")
            who = gr.HTML(elem_id="who-bar")
        with gr.Tabs():
            with gr.Tab("文档 Documents", id="documents"):
                with gr.Row():
                    search = gr.Textbox(label="搜索 Search", placeholder="标题、ID 或文件名 title, id or file name", elem_id="doc-search", scale=3)
                    f_type = gr.Dropdown(types, value="", label="类型 Type", elem_id="doc-type-filter")
                    f_jur = gr.Dropdown([""], value="", label="地域 Jurisdiction", allow_custom_value=True, elem_id="doc-jurisdiction-filter")
                    f_status = gr.Dropdown(statuses, value="", label="状态 Status", elem_id="doc-status-filter")
                    refresh = gr.Button("刷新 Refresh", size="sm", elem_id="doc-refresh", scale=0)
                doc_list = gr.HTML(elem_id="doc-list")
                doc = gr.Dropdown(label="查看文档 Open a document", choices=[], elem_id="doc-select")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        with gr.Row():
                            e_title = gr.Textbox(label="标题 Title", elem_id="edit-title", scale=3)
                            e_date = gr.Textbox(label="施行日期 Effective date", placeholder="YYYY-MM-DD", elem_id="edit-effective", scale=1)
                        save = gr.Button("保存 Save title and date", size="sm", elem_id="doc-save")
                        new_version = gr.File(label="新版本文件 New version", file_count="single", type="filepath", elem_id="doc-replace-file")
                    with gr.Column(scale=1):
                        publish = gr.Button("发布草稿 Publish draft", variant="primary", elem_id="doc-publish")
                        replace = gr.Button("替换为新版本 Replace with new version", elem_id="doc-replace")
                        retire = gr.Button("标记废止 Retire (mark repealed)", elem_id="doc-retire")
                        confirm = gr.Checkbox(label="确认删除 Confirm delete", elem_id="doc-delete-confirm")
                        delete = gr.Button("删除 Delete", variant="stop", elem_id="doc-delete")
                doc_status = gr.Markdown(elem_id="doc-status")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1):
                        info = gr.HTML(elem_id="doc-info")
                        outline = gr.HTML(elem_id="doc-outline")
                    with gr.Column(scale=2):
                        chunks = gr.HTML(elem_id="doc-chunks")
            with gr.Tab("上传 Upload", id="upload"):
                files = gr.File(label="文件 Files (md, txt, pdf, docx, html)", file_count="multiple", type="filepath", elem_id="upload-files")
                gr.Markdown("元数据已按文件内容预填；留空的项保留各文件自己的值。Metadata is pre-filled from the file; blank fields keep each file's own value.")
                with gr.Row():
                    m_type = gr.Dropdown(types, value="", label="类型 Type", elem_id="meta-type")
                    m_jur = gr.Textbox(label="地域 Jurisdiction", placeholder="national / 省市", elem_id="meta-jurisdiction")
                    m_date = gr.Textbox(label="施行日期 Effective date", placeholder="YYYY-MM-DD", elem_id="meta-effective")
                    m_status = gr.Dropdown(statuses, value="", label="状态 Status", elem_id="meta-status")
                gr.Markdown("上传的文件先作为草稿，在“文档”页发布后才会被公众咨询引用。Uploads start as drafts: publish them on the "
                            "Documents tab before the public chat cites them.")
                with gr.Row():
                    start = gr.Button("开始索引 Index", variant="primary", elem_id="upload-start")
                    stop = gr.Button("取消 Cancel", elem_id="upload-cancel", scale=0)
                log = gr.Textbox(label="进度 Progress", lines=8, interactive=False, elem_id="upload-log")
            with gr.Tab("命中测试 Hit test", id="hits"):
                with gr.Row():
                    hit_q = gr.Textbox(label="问题 Question", elem_id="hit-question", scale=4)
                    hit_k = gr.Slider(1, 30, value=8, step=1, label="段落数 Passages", scale=1)
                    hit_all = gr.Checkbox(label="含已废止 Include repealed", scale=1)
                hit_run = gr.Button("检索 Search", variant="primary", elem_id="hit-run")
                hit_out = gr.HTML(elem_id="hit-results")
            with gr.Tab("知识缺口 Knowledge gaps", id="gaps"):
                build_gaps(services, demo)
            with gr.Tab("审计日志 Audit log", id="audit"):
                audit_refresh = gr.Button("刷新 Refresh", size="sm", elem_id="audit-refresh")
                audit = gr.HTML(elem_id="audit-log")

        def who_is(request: gr.Request):
            return who_markdown(services, request)

        def listing(q, t, j, s, current, request: gr.Request):
            require(services, request, ROLE)
            rows = console.documents(q or "", t or "", j or "", s or "")
            table = table_html(DOC_HEADERS, [[r.doc_id, r.title, word(r.doc_type, TYPE_WORDS), r.jurisdiction,
                                              r.effective_date or (MISSING_DATE if needs_effective_date({"doc_type": r.doc_type, "status": r.status}) else ""),
                                              word(r.status, STATUS_WORDS), r.chunks, r.version,
                                              local_time(r.ingested_at, services.settings.timezone)] for r in rows])
            every = console.documents()
            jurisdictions = [""] + sorted({r.jurisdiction for r in every if r.jurisdiction})
            ids = {r.doc_id for r in every}
            choices = [(f"{r.title}（{r.doc_id}）", r.doc_id) for r in every]
            return (f"<p>{len(rows)} / {len(every)} 个文档 documents</p>{table}", gr.update(choices=jurisdictions),
                    gr.update(choices=choices, value=current if current in ids else None))

        def show(doc_id, request: gr.Request):
            require(services, request, ROLE)
            if not doc_id:
                return "", "", "", "", ""
            try:
                d = console.document(doc_id)
                items = console.outline(doc_id)
                passages = console.chunks(doc_id)
            except BotError as exc:
                return f'<p class="error">{esc(exc)}</p>', "", "", "", ""
            m = d.metadata
            facts = [("ID", d.doc_id), ("标题 Title", d.title), ("文件 File", Path(d.source.split("#")[0]).name),
                     ("类型 Type", word(m.get("doc_type"), TYPE_WORDS)), ("地域 Jurisdiction", m.get("jurisdiction")),
                     ("施行 Effective", m.get("effective_date") or (MISSING_DATE if needs_effective_date(m) else "")),
                     ("状态 Status", word(m.get("status"), STATUS_WORDS)),
                     ("版本 Version", d.version), ("入库 Ingested", local_time(d.ingested_at, services.settings.timezone))]
            if m.get("version_of"):
                facts.append(("旧版本 Earlier version of", f"{m['version_of']}（{m.get('superseded_on') or '?'} 起被取代 superseded）"))
            facts += [("旧版本 Earlier version", f"{v.doc_id}（v{v.version}）") for v in console.versions(d.doc_id)] if not m.get("version_of") else []
            if m.get("status") == "draft":
                facts += [("冲突 Conflicts", line) for line in console.conflicts(d.doc_id)]
            info_html = table_html(["项 Field", "值 Value"], [[k, v] for k, v in facts if v not in (None, "")])
            tree = "".join(f'<li style="margin-left:{depth * 1.2}em">{esc(label)}</li>' for depth, label in items)
            rows = [[c.ordinal, c.metadata.get("article_label") or c.metadata.get("breadcrumb", ""), c.text] for c in passages]
            return (info_html, f"<h4>目录 Outline</h4><ul class=\"outline\">{tree}</ul>",
                    f"<h4>段落 Chunks（{len(rows)}）</h4>" + table_html(["#", "位置 Where", "文本 Text"], rows),
                    d.title, str(m.get("effective_date") or ""))

        def prefill(value, request: gr.Request):
            require(services, request, ROLE)
            paths = _files(value)
            if not paths:
                return "", "", "", "", ""
            previews = [(p, console.preview_metadata(p)) for p in paths]
            lines = [f"{p.name}: {'✗ ' + m['error'] if 'error' in m else m['title']} "
                     f"({', '.join(str(m.get(k) or '-') for k in ('doc_type', 'jurisdiction', 'effective_date', 'status'))})"
                     for p, m in previews]
            good = [m for _, m in previews if "error" not in m]

            def common(key):
                values = {m.get(key) or "" for m in good}
                return values.pop() if len(values) == 1 else ""

            return common("doc_type"), common("jurisdiction"), common("effective_date"), common("status"), \
                f"待索引 {len(paths)} 个文件 files to index:\n" + "\n".join(lines)

        def index(value, t, j, d, s, request: gr.Request, progress=gr.Progress()):
            user = require(services, request, ROLE)
            paths = _files(value)
            if not paths:
                yield "请先选择文件。Choose files first."
                return
            session = request.session_hash or ""
            cancel = uploads.start(session)
            log = queued_log if services.settings.index_in_worker else indexing_log
            source = services if services.settings.index_in_worker else console
            try:
                for text, step in log(source, paths, {"doc_type": t, "jurisdiction": j, "effective_date": d, "status": s},
                                      user.name, cancel):
                    if step:
                        progress((step[1], step[2]) if step[2] else None, desc=step[0])
                    yield text
            finally:
                uploads.finish(session, cancel)

        def cancel_upload(request: gr.Request):
            require(services, request, ROLE)
            if uploads.cancel(request.session_hash or ""):
                return gr.Info("正在取消… Cancelling…")
            return gr.Info("没有进行中的上传。No upload is running.")

        def publish_doc(doc_id, request: gr.Request):
            user = require(services, request, ROLE)
            if not doc_id:
                return "请先选择文档。Pick a document first."
            try:
                status = console.publish(doc_id, user.name)
            except BotError as exc:
                return f"✗ {esc(exc)}"
            return f"✓ 已发布 {esc(doc_id)}（{esc(status)}），公众咨询可以引用。Published; the public chat may cite it."

        def save_doc(doc_id, title, effective, request: gr.Request):
            user = require(services, request, ROLE)
            if not doc_id:
                return "请先选择文档。Pick a document first."
            try:
                done = console.edit(doc_id, {"title": title, "effective_date": effective}, user.name)
            except BotError as exc:
                return f"✗ {esc(exc)}"
            if not done:
                return "没有改动。Nothing changed."
            return "✓ " + "；".join(f"{esc(k)}: {esc(old or '-')} → {esc(new)}" for k, (old, new) in done.items())

        def replace_doc(doc_id, value, request: gr.Request):
            user = require(services, request, ROLE)
            paths = _files(value)
            if not doc_id or not paths:
                return "请先选择文档并上传新版本文件。Pick a document and a new file first."
            try:
                outcome = console.replace(doc_id, paths[0], user.name)
            except BotError as exc:
                return f"✗ {esc(exc)}"
            return f"✓ {esc(outcome.status)}: {esc(outcome.doc_id)}（{outcome.chunks} 段 chunks）"

        def retire_doc(doc_id, request: gr.Request):
            user = require(services, request, ROLE)
            if not doc_id:
                return "请先选择文档。Pick a document first."
            try:
                console.retire(doc_id, user.name)
            except BotError as exc:
                return f"✗ {esc(exc)}"
            return f"✓ 已标记为废止 {esc(doc_id)}，公众咨询不再引用。Marked repealed; the public chat no longer cites it."

        def delete_doc(doc_id, sure, request: gr.Request):
            user = require(services, request, ROLE)
            if not doc_id:
                return "请先选择文档。Pick a document first.", sure
            if not sure:
                return "请先勾选“确认删除”。Tick “Confirm delete” first.", sure
            try:
                console.delete(doc_id, user.name)
            except BotError as exc:
                return f"✗ {esc(exc)}", False
            return f"✓ 已删除 {esc(doc_id)}。Deleted.", False

        def hit_test(q, k, everything, request: gr.Request):
            require(services, request, ROLE)
            try:
                hits = console.hit_test(services.question(q or ""), max(1, min(int(k), 30)), bool(everything))
            except InvalidQuestion:
                return '<p class="muted">请输入问题。Type a question.</p>'
            except BotError as exc:
                return f'<p class="error">{esc(exc)}</p>'
            rows = [[i, f"{h.score:.4f}", h.chunk.metadata.get("title", ""), h.chunk.metadata.get("article_label") or "",
                     h.chunk.metadata.get("status", ""), h.chunk.text[:400]] for i, h in enumerate(hits, 1)]
            return table_html(["#", "分数 Score", "文档 Document", "位置 Where", "状态 Status", "文本 Text"], rows) if rows else \
                '<p class="muted">没有检索到段落。No passages found.</p>'

        def audit_log(request: gr.Request):
            require(services, request, ROLE)
            rows = [[local_time(e.at, services.settings.timezone), e.actor, e.action, e.target, e.detail] for e in services.audit.entries()]
            return table_html(["时间 When", "用户 Who", "操作 What", "对象 Target", "详情 Detail"], rows)

        filters = [search, f_type, f_jur, f_status, doc]
        list_out = [doc_list, f_jur, doc]
        demo.load(who_is, None, who)
        demo.load(listing, filters, list_out)
        demo.load(audit_log, None, audit)
        refresh.click(listing, filters, list_out)
        search.submit(listing, filters, list_out)
        for f in (f_type, f_jur, f_status):
            f.input(listing, filters, list_out)
        shown = [info, outline, chunks, e_title, e_date]
        after_change = dict(fn=listing, inputs=filters, outputs=list_out)
        doc.change(show, doc, shown)
        save.click(save_doc, [doc, e_title, e_date], doc_status).then(**after_change).then(show, doc, shown).then(audit_log, None, audit)
        files.upload(prefill, files, [m_type, m_jur, m_date, m_status, log])
        start.click(index, [files, m_type, m_jur, m_date, m_status], log).then(listing, filters, list_out).then(audit_log, None, audit)
        stop.click(cancel_upload, None, None)
        publish.click(publish_doc, doc, doc_status).then(**after_change).then(show, doc, shown).then(audit_log, None, audit)
        replace.click(replace_doc, [doc, new_version], doc_status).then(**after_change) \
            .then(show, doc, shown).then(audit_log, None, audit)
        retire.click(retire_doc, doc, doc_status).then(**after_change).then(show, doc, shown).then(audit_log, None, audit)
        delete.click(delete_doc, [doc, confirm], [doc_status, confirm]).then(**after_change).then(audit_log, None, audit)
        hit_q.submit(hit_test, [hit_q, hit_k, hit_all], hit_out)
        hit_run.click(hit_test, [hit_q, hit_k, hit_all], hit_out)
        audit_refresh.click(audit_log, None, audit)
    return demo
