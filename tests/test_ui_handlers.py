"""The web app's logic without a browser: rate limits, escaping, the role gate's rules, the chat handler."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.answering import Answer, Citation
from ui.auth import _safe_next, required_role
from ui.chat import ChatHandlers
from ui.ratelimit import RateLimiter
from ui.render import answer_markdown, sources_html, table_html


class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_rate_limiter_slides_per_key():
    clock = Tick()
    limiter = RateLimiter(2, 60, clock)
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    assert limiter.retry_after("a") == 60
    clock.t += 30
    assert not limiter.allow("a") and limiter.retry_after("a") == 30
    clock.t += 30.5
    assert limiter.allow("a") and limiter.retry_after("b") == 0


def test_a_zero_limit_allows_everything():
    limiter = RateLimiter(0)
    assert all(limiter.allow("x") for _ in range(100))


def test_role_rules_cover_pages_and_their_api():
    assert required_role("/admin") == required_role("/admin/") == required_role("/admin/gradio_api/queue/join") == "editor"
    assert required_role("/staff/gradio_api/file=/tmp/x.docx") == "staff"
    assert required_role("/") is None and required_role("/administrator") is None and required_role("/login") is None


def test_login_redirects_stay_on_this_site():
    assert _safe_next("/admin/") == "/admin/"
    assert _safe_next("//evil.example/") == "" and _safe_next("https://evil.example/") == "" and _safe_next("") == ""


EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def test_markup_from_documents_and_answers_is_escaped():
    answer = Answer(f"答案{EVIL}[1]", [Citation(1, "evil.md", f"标题{EVIL}", "第一条", 2, EVIL, chunk_id="c1", breadcrumb=EVIL,
                                              effective_date="2030-01-01", status="repealed")], notice=EVIL)
    for rendered in (answer_markdown(answer, "zh"), sources_html(answer, {"c1": f"全文{EVIL}"}, "zh"), table_html([EVIL], [[EVIL]])):
        assert "<script>" not in rendered and "<img" not in rendered
        assert "&lt;script&gt;" in rendered
    assert "](#src-1)" in answer_markdown(answer, "zh")
    panel = sources_html(answer, {"c1": "全文"}, "en")
    assert 'id="src-1"' in panel and "<dd>repealed</dd>" in panel and "<dd>2</dd>" in panel


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    from conftest import FAKE_LAW, GUIDE
    from bot.answering import Assistant
    from bot.office import open_services
    from ingest import ingest_paths
    from ipbot.settings import Settings
    from knowledge import KnowledgeBase

    root = tmp_path_factory.mktemp("handlers")
    (root / "docs").mkdir()
    (root / "docs" / "law.md").write_text(FAKE_LAW, encoding="utf-8")
    (root / "docs" / "guide.md").write_text(GUIDE, encoding="utf-8")
    settings = Settings(data_dir=root / "var", chat_rate_limit=3, _env_file=None)
    kb = KnowledgeBase(settings.data_dir, embedder)
    list(ingest_paths(kb, [root / "docs"]))
    return open_services(settings, Assistant(settings, kb=kb))


def _last(gen):
    items = list(gen)
    return items[-1]


def test_chat_streams_records_and_rates(services):
    handlers = ChatHandlers(services)
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.1"), session_hash="abc")
    shown = []
    for step in handlers.respond("小型企业的示例权年费可以减缴多少？", [], "zh", request):
        shown.append(step[0][-1]["content"])
        history, box, exchange_id, status = step
    assert len(shown) >= 3 and "正在检索" in shown[0]  # a "searching…" state before the first words
    answer = history[-1]["content"]
    assert "百分之八十五" in answer and "(#src-1-1)" in answer and 'id="src-1-1"' in answer  # its own sources, under it
    assert box == "" and exchange_id
    second = list(handlers.respond("示例权的期限是多久？", history, "zh", request))[-1][0]
    assert 'id="src-2-1"' in second[-1]["content"] and 'id="src-1-1"' in second[1]["content"]
    assert services.conversations.exchange(exchange_id).session == "abc"
    assert handlers.rate(-1, exchange_id, "不够具体", "zh") == ("谢谢您的反馈！", "")
    assert services.conversations.exchange(exchange_id).rating == -1
    assert handlers.rate(1, None, "", "en")[0] == "Ask a question first, then rate the answer."


def test_chat_refuses_a_visitor_over_the_limit(services):
    handlers = ChatHandlers(services)
    me = SimpleNamespace(client=SimpleNamespace(host="10.0.0.2"), session_hash="me")
    other = SimpleNamespace(client=SimpleNamespace(host="10.0.0.3"), session_hash="other")
    for _ in range(3):
        _last(handlers.respond("示例权期限多长？", [], "en", me))
    history = _last(handlers.respond("示例权期限多长？", [], "en", me))[0]
    assert history[-1]["content"].startswith("⚠ Too many questions: at most 3 per minute.")
    assert "百分之" not in history[-1]["content"]
    assert "十二年" in _last(handlers.respond("示例权期限多长？", [], "en", other))[0][-1]["content"]


def test_chat_answers_an_empty_question_with_a_hint(services):
    handlers = ChatHandlers(services)
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.4"), session_hash="x")
    assert _last(handlers.respond("   ", [], "zh", request))[3] == "请输入一个关于专利、商标、版权等知识产权的问题。"
    history = _last(handlers.respond("<b></b>", [], "en", request))[0]
    assert history[-1]["content"].startswith("Please type a question")
    markup = _last(handlers.respond('<script>alert("x")</script> 12', [], "zh", request))[0][-1]["content"]
    assert "知识库" in markup and "knowledge base" not in markup  # no words of its own: the interface's language


def test_a_list_ends_before_the_legal_basis():
    answer = Answer("要点：\n- 第一点[1]\n- 第二点[1]\n依据：《示例保护法》第三条[1]", [Citation(1, "a.md", "示例保护法", "第三条", None, "q")])
    rendered = answer_markdown(answer, "zh")
    assert "- 第二点[\\[1\\]](#src-1)\n\n依据" in rendered


LIGHTHOUSE = "# 紫色灯塔管理办法\n\n> 类型：部门规章 | 适用范围：海州市 | 施行日期：2024-05-01 | 状态：现行\n\n第一条 紫色灯塔夜航费每次八十元。\n"


@pytest.fixture
def console_services(settings, docs_dir, embedder):
    from bot.answering import Assistant
    from bot.office import open_services
    from ingest import ingest_paths
    from knowledge import KnowledgeBase

    kb = KnowledgeBase(settings.data_dir, embedder)
    list(ingest_paths(kb, [docs_dir]))
    return open_services(settings, Assistant(settings, kb=kb))


def test_console_uploads_replaces_retires_and_deletes(console_services, tmp_path):
    from bot.office import ConsoleError

    s, console = console_services, console_services.console
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (incoming / "notes.exe").write_text("x", encoding="utf-8")
    assert console.preview_metadata(incoming / "lighthouse.md") == {
        "title": "紫色灯塔管理办法", "doc_type": "department_rule", "jurisdiction": "海州市", "effective_date": "2024-05-01", "status": "in_force"}
    outcomes = list(console.ingest_uploads([incoming / "lighthouse.md", incoming / "notes.exe"], {"jurisdiction": "海州市"}, "ed"))
    assert [o.status for o in outcomes] == ["indexed", "failed"] and "unsupported file type '.exe'" in outcomes[1].reason
    assert (s.settings.data_dir / "uploads" / "lighthouse.md").exists()
    rows = console.documents("灯塔")
    assert [(r.doc_id, r.jurisdiction, r.effective_date, r.version) for r in rows] == [("lighthouse", "海州市", "2024-05-01", 1)]
    assert console.documents(status="repealed") == [] and len(console.documents(doc_type="law")) == 1
    assert console.outline("example-law")[:3] == [(0, "（序言）"), (0, "第一章 总则"), (1, "第一条")]
    assert console.hit_test("紫色灯塔夜航费多少钱？", 3)[0].chunk.doc_id == "lighthouse"
    assert console.document("lighthouse").metadata["status"] == "draft"
    assert all(h.chunk.doc_id != "lighthouse" for h in s.assistant.search("紫色灯塔夜航费多少钱？", 5, s.public_filters()))
    assert console.publish("lighthouse", "ed") == "in_force"
    assert s.assistant.search("紫色灯塔夜航费多少钱？", 3, s.public_filters())[0].chunk.doc_id == "lighthouse"
    with pytest.raises(ConsoleError, match="not a draft"):
        console.publish("lighthouse", "ed")

    (incoming / "broken.md").write_bytes(b"")
    with pytest.raises(ConsoleError, match="the old one is unchanged"):
        console.replace("lighthouse", incoming / "broken.md", "ed")
    assert "八十元" in (s.settings.data_dir / "uploads" / "lighthouse.md").read_text(encoding="utf-8")
    assert sorted(f.name for f in (s.settings.data_dir / "uploads").iterdir()) == ["lighthouse.md"]

    (incoming / "v2.md").write_text(LIGHTHOUSE.replace("八十元", "九十元"), encoding="utf-8")
    replaced = console.replace("lighthouse", incoming / "v2.md", "ed")
    assert replaced.doc_id == "lighthouse" and console.document("lighthouse").version == 2
    assert "九十元" in console.chunks("lighthouse")[0].text
    (incoming / "lighthouse-2025.txt").write_text("紫色灯塔管理办法（2025）\n\n第一条 紫色灯塔夜航费每次一百元。\n", encoding="utf-8")
    moved = console.replace("lighthouse", incoming / "lighthouse-2025.txt", "ed")
    assert moved.doc_id == "lighthouse" and console.document("lighthouse").version == 3
    current = console.document("lighthouse").metadata
    assert current["jurisdiction"] == "海州市" and current["doc_type"] == "department_rule" and not current.get("effective_date")
    assert [(r.doc_id, r.version, r.status) for r in console.versions("lighthouse")] == [
        ("lighthouse.v2", 2, "superseded"), ("lighthouse.v1", 1, "superseded")]
    assert "九十元" in console.chunks("lighthouse.v2")[0].text and "八十元" in console.chunks("lighthouse.v1")[0].text
    assert {r.doc_id for r in console.documents("灯塔")} == {"lighthouse", "lighthouse.v1", "lighthouse.v2"}
    assert {h.chunk.doc_id for h in console.hit_test("紫色灯塔夜航费多少钱？", 5)} & {"lighthouse.v1", "lighthouse.v2"} == set()
    assert {h.chunk.doc_id for h in console.hit_test("紫色灯塔夜航费多少钱？", 5, include_retired=True)} >= {"lighthouse", "lighthouse.v1", "lighthouse.v2"}
    with pytest.raises(ConsoleError, match="earlier version of lighthouse"):
        console.replace("lighthouse.v1", incoming / "v2.md", "ed")
    assert (s.settings.data_dir / "uploads" / ".lighthouse.v1.md").exists()
    console.delete("lighthouse.v1", "ed")
    console.delete("lighthouse.v2", "ed")

    console.retire("lighthouse", "ed")
    assert console.document("lighthouse").metadata["status"] == "repealed"
    assert all(h.chunk.doc_id != "lighthouse" for h in console.hit_test("紫色灯塔夜航费多少钱？", 5))
    assert console.hit_test("紫色灯塔夜航费多少钱？", 5, include_retired=True)[0].chunk.doc_id == "lighthouse"
    console.delete("lighthouse", "ed")
    with pytest.raises(ConsoleError, match="no document 'lighthouse'"):
        console.retire("lighthouse", "ed")
    actions = [e.action for e in s.audit.entries()]
    assert actions == ["document.delete", "document.retire", "document.delete", "document.delete", "document.replace", "document.replace",
                       "document.publish", "document.upload"]
    assert "version 2 → 3 from lighthouse-2025.txt; version 2 kept as lighthouse.v2" in s.audit.entries()[4].detail
    assert all(e.actor == "ed" for e in s.audit.entries())


def test_console_checks_metadata():
    from bot.office import ConsoleError, check_metadata

    assert check_metadata({"doc_type": "law", "jurisdiction": " ", "effective_date": "2024-02-29"}) == {"doc_type": "law", "effective_date": "2024-02-29"}
    with pytest.raises(ConsoleError, match="not a date like"):
        check_metadata({"effective_date": "2024/01/01"})
    with pytest.raises(ConsoleError, match="day is out of range"):
        check_metadata({"effective_date": "2023-02-30"})
    with pytest.raises(ConsoleError, match="status 'gone' is not one of"):
        check_metadata({"status": "gone"})


def test_the_interface_needs_no_emoji_font():
    """Status marks are symbols every system font has (✓ ✗ ⚠), not emoji that render as boxes without an emoji font."""
    import re
    from pathlib import Path

    emoji = re.compile("[\U0001F300-\U0001FAFF\u2705\u274C\u274E\uFE0F]")
    for path in sorted((Path(__file__).resolve().parents[1] / "ui").glob("*.py")):
        found = emoji.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"


def test_console_edits_title_and_effective_date_and_the_cli_too(console_services):
    from bot.office import ConsoleError
    from conftest import run_cli

    s, console = console_services, console_services.console
    done = console.edit("example-law", {"title": "示例保护法（2020）", "effective_date": "2021-03-01", "jurisdiction": ""}, "ed")
    assert done == {"title": ("中华人民共和国示例保护法", "示例保护法（2020）")}  # the date was already 2021-03-01
    assert console.document("example-law").title == "示例保护法（2020）"
    assert all(c.metadata["title"] == "示例保护法（2020）" for c in console.chunks("example-law"))
    with pytest.raises(ConsoleError, match="not a date like"):
        console.edit("example-law", {"effective_date": "2021/03/01"}, "ed")
    assert s.audit.entries()[0].action == "document.edit" and "title: 中华人民共和国示例保护法 → 示例保护法（2020）" in s.audit.entries()[0].detail
    res = run_cli("kb", "set", "example-law", "--effective-date", "2021-04-01", "--data-dir", str(s.settings.data_dir))
    assert res.returncode == 0 and "effective_date: 2021-03-01 → 2021-04-01" in res.stdout
    bad = run_cli("kb", "set", "example-law", "--effective-date", "soon", "--data-dir", str(s.settings.data_dir))
    assert bad.returncode != 0 and "not a date like" in bad.stderr


def test_times_are_shown_in_the_servers_zone():
    from bot.office import local_time

    assert local_time("2026-12-04T17:30:00+00:00", "Asia/Shanghai") == "2026-12-05 01:30"
    assert local_time("2026-12-04T17:30:00+00:00", "UTC") == "2026-12-04 17:30"
    assert local_time("not a time", "Asia/Shanghai") == "not a time"


def test_an_upload_log_shows_each_files_stages_then_its_outcome(console_services, tmp_path):
    import threading

    from ui.admin import indexing_log

    incoming = tmp_path / "batch"
    incoming.mkdir()
    (incoming / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (incoming / "undated.md").write_text("# 紫色码头管理办法\n\n第一条 紫色码头停泊费每次六十元。\n\n第二条 夜间停泊加收二十元。\n\n第三条 本办法由海州市负责解释。\n",
                                         encoding="utf-8")
    steps = list(indexing_log(console_services.console, [incoming / "lighthouse.md", incoming / "undated.md"], {}, "ed", threading.Event()))
    texts = [text for text, _ in steps]
    stages = [step for _, step in steps if step]
    assert any("向量化段落 embedding passages" in desc for desc, _, _ in stages) and any(desc.startswith("[2/2]") for desc, _, _ in stages)
    final = texts[-1]
    assert "[1/2] indexed: lighthouse.md" in final and "[2/2] indexed: undated.md" in final and final.rstrip().endswith("check and publish them.")
    assert final.count("No effective date in the text") == 1  # the 2024-05-01 of lighthouse.md was read; undated.md has none
    assert "    … " not in final  # the stage line goes once its file is done


def test_a_store_that_drops_mid_session_gives_the_friendly_error_and_logs_its_cause(services, monkeypatch, caplog):
    from knowledge.errors import StoreUnavailable

    def broken(*args, **kwargs):
        raise StoreUnavailable("Chroma server at http://127.0.0.1:1 is not reachable")
        yield  # a generator, like ask_stream

    handlers = ChatHandlers(services)
    monkeypatch.setattr(services.assistant, "ask_stream", broken)
    request = SimpleNamespace(client=SimpleNamespace(host="10.0.0.9"), session_hash="drop")
    with caplog.at_level("ERROR", logger="ipbot.chat"):
        history = _last(handlers.respond("示例权期限多长？", [], "zh", request))[0]
    assert history[-1]["content"] == "⚠ 抱歉，服务暂时出现问题，请稍后再试。"
    assert "not reachable" in caplog.text and "StoreUnavailable" in caplog.text


def test_a_version_that_cannot_be_kept_changes_nothing(console_services, tmp_path, monkeypatch):
    from bot.office import ConsoleError
    from knowledge import KnowledgeError

    console = console_services.console
    incoming = tmp_path / "in"
    incoming.mkdir()
    (incoming / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    list(console.ingest_uploads([incoming / "lighthouse.md"], {}, "ed"))
    (incoming / "v2.md").write_text(LIGHTHOUSE.replace("八十元", "九十元"), encoding="utf-8")

    def broken(*args, **kwargs):
        raise KnowledgeError("the vector store dropped")

    monkeypatch.setattr(console.kb, "archive_version", broken)
    with pytest.raises(ConsoleError, match="nothing was changed: the vector store dropped"):
        console.replace("lighthouse", incoming / "v2.md", "ed")
    assert console.document("lighthouse").version == 1 and "八十元" in console.chunks("lighthouse")[0].text
    assert sorted(f.name for f in console.uploads_dir.iterdir()) == ["lighthouse.md"]


def test_with_a_worker_the_console_queues_uploads_and_its_log_follows_the_jobs(console_services, tmp_path, monkeypatch):
    import threading
    import time

    from bot.office import JobQueue, work
    from ui.admin import queued_log

    incoming = tmp_path / "for-the-worker"
    incoming.mkdir()
    (incoming / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (incoming / "undated.md").write_text("# 紫色码头管理办法\n\n第一条 紫色码头停泊费每次六十元。\n\n第二条 夜间停泊加收二十元。\n", encoding="utf-8")
    log = queued_log(console_services, [incoming / "lighthouse.md", incoming / "undated.md"], {"jurisdiction": "海州市"}, "ed",
                     threading.Event(), poll=0.05)
    first, _ = next(log)
    assert "queued 2 file(s)" in first and first.count("waiting for a worker") == 2, "nothing is indexed by the server itself"
    assert console_services.assistant.kb.registry.document_by_source(str(incoming / "lighthouse.md")) is None
    embedder = console_services.assistant.kb.embedder
    embed = embedder.embed_passages

    def slow(texts):  # a stage that lasts several polls of the log, as a real upload's does, so that the test sees it
        time.sleep(0.4)
        return embed(texts)

    monkeypatch.setattr(embedder, "embed_passages", slow)
    stop = threading.Event()
    worker = threading.Thread(target=work, args=(console_services, "test-worker", stop, 0.05))
    worker.start()
    try:
        steps = list(log)
    finally:
        stop.set()
        worker.join(60)
    stages = [step for _, step in steps if step]
    assert any("向量化段落 embedding passages" in desc for desc, _, _ in stages), "the stage the worker is at is shown"
    final = steps[-1][0]
    assert "[1/2] indexed: lighthouse.md →" in final and "[2/2] indexed: undated.md →" in final, final
    assert final.count("No effective date in the text") == 1 and final.rstrip().endswith("check and publish them.")
    assert JobQueue(console_services.db).pending() == 0
    doc = console_services.console.document(next(line.split("→ ")[1].split(" ")[0] for line in final.splitlines() if "lighthouse.md" in line))
    assert doc.metadata["jurisdiction"] == "海州市" and doc.metadata["status"] == "draft"
    audit = console_services.db.query("SELECT actor, action FROM audit WHERE target=?", (doc.doc_id,))
    assert ("ed", "document.upload") in [tuple(r) for r in audit]
    assert not list((console_services.settings.data_dir / "queue").glob("*/*")), "the staged files are removed"


def test_cancelling_a_queued_console_upload_cancels_its_jobs_and_bad_metadata_queues_nothing(console_services, tmp_path):
    import threading

    from bot.office import JobQueue
    from ui.admin import queued_log

    (tmp_path / "a.md").write_text(LIGHTHOUSE, encoding="utf-8")
    queue = JobQueue(console_services.db)
    refused = list(queued_log(console_services, [tmp_path / "a.md"], {"effective_date": "2024-13-45"}, "ed", threading.Event()))
    assert refused[-1][0].startswith("✗") and "2024-13-45" in refused[-1][0] and queue.pending() == 0
    cancel = threading.Event()
    log = queued_log(console_services, [tmp_path / "a.md"], {}, "ed", cancel, poll=0.05)
    next(log)
    cancel.set()
    final = list(log)[-1][0]
    assert "cancelled" in final and queue.pending() == 0
    job = queue.get(max(r["id"] for r in console_services.db.query("SELECT id FROM jobs")))
    assert job.status == "cancelled"


def test_a_stopping_worker_gives_its_job_back_at_once_and_the_next_worker_indexes_it(console_services, tmp_path):
    import threading
    import time

    from bot.office import JobQueue, work

    long_doc = tmp_path / "long-guide.md"
    long_doc.write_text("# 长篇示例指南\n\n" + "\n\n".join(f"## 第{i}节\n\n示例事项{i}的办理时限为{i}个工作日，费用为每件{i}元。" for i in range(1, 400)),
                        encoding="utf-8")
    queue = JobQueue(console_services.db)
    (job,) = queue.enqueue_files(console_services.settings.data_dir / "queue", [long_doc], {}, "ed")
    stop = threading.Event()
    worker = threading.Thread(target=work, args=(console_services, "w-stopping", stop, 0.05))
    worker.start()
    deadline = time.time() + 60
    while time.time() < deadline and not (queue.get(job.id).result or {}).get("stage"):
        time.sleep(0.05)
    assert queue.get(job.id).status == "running", "the worker took the job and reports its stage"
    stopped_at = time.time()
    stop.set()
    worker.join(60)
    assert not worker.is_alive() and time.time() - stopped_at < 20, "the worker stops at the job's next stage, not at its end"
    back = queue.get(job.id)
    assert back.status == "queued" and back.attempts == 0 and back.worker == "" and Path(back.payload["path"]).is_file()
    assert console_services.assistant.kb.registry.document_by_source(str(long_doc)) is None
    assert not [d for d in console_services.console.documents() if "长篇示例指南" in d.title], "nothing of the stopped job was written"
    assert work(console_services, "w-next", threading.Event(), once=True) == 1
    assert queue.get(job.id).status == "done" and queue.get(job.id).result["status"] == "indexed"
