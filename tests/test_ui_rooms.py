"""The staff desk and the knowledge console in a real browser, and the role gate over HTTP: an editor uploads a
document and sees it hit and cited; staff drafts and exports a reply; a disliked answer becomes a cited FAQ."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager

import docx
import httpx
import pytest
from playwright.sync_api import expect

from bot.office import Accounts, docx_footnotes, open_app_db
from browser import axe_violations, browser_page, log_in, screenshot, served_app
from conftest import FAKE_LAW, GUIDE, run_cli

pytestmark = pytest.mark.slow

EDITOR, STAFF = ("editor1", "editor-pass-1"), ("staff1", "staff-pass-1")
EVIL_DOC = """# 紫色灯塔管理办法<script>alert(1)</script>

> 类型：部门规章 | 适用范围：海州市 | 施行日期：2024-05-01 | 状态：现行

## 第一章 总则

第一条 为了规范紫色灯塔的夜间航标服务，制定本办法。<img src=x onerror=alert(2)>

第二条 紫色灯塔夜航费每次八十元，由海州灯塔管理处收取。
"""
OLD_NOTICE = """# 关于灯塔旧收费标准的通知

> 类型：规范性文件 | 适用范围：海州市 | 状态：现行

灯塔夜航费原为每次五十元。
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-rooms")
    docs = root / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    (docs / "windmill-guide.md").write_text(GUIDE, encoding="utf-8")
    uploads = root / "to-upload"
    uploads.mkdir()
    (uploads / "lighthouse-rules.md").write_text(EVIL_DOC, encoding="utf-8")
    (uploads / "old-lighthouse-fees.md").write_text(OLD_NOTICE, encoding="utf-8")
    data = root / "var"
    assert run_cli("ingest", str(docs), "--data-dir", str(data)).returncode == 0
    accounts = Accounts(open_app_db(data))
    accounts.add_user(EDITOR[0], EDITOR[1], "editor")
    accounts.add_user(STAFF[0], STAFF[1], "staff")
    with served_app(data, {"IPBOT_CHAT_RATE_LIMIT": "60"}) as url:
        yield {"url": url, "uploads": uploads, "data": data}


@contextmanager
def _client(url: str, user: tuple[str, str] | None = None):
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
        if user:
            response = client.post("/login", data={"username": user[0], "password": user[1]})
            assert response.status_code == 303, response.text
        yield client


def test_protected_pages_refuse_anonymous_and_wrong_roles_over_http(site):
    url = site["url"]
    with _client(url) as anonymous:
        for path in ("/admin", "/admin/", "/staff/"):
            response = anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
        for path in ("/admin/config", "/admin/gradio_api/info", "/staff/gradio_api/info"):
            assert anonymous.get(path).status_code == 401
        assert anonymous.post("/admin/gradio_api/queue/join", json={}).status_code == 401
        assert anonymous.post("/gradio_api/upload").status_code == 404
        assert anonymous.get("/").status_code == 200
        bad = anonymous.post("/login", data={"username": EDITOR[0], "password": "wrong-password"})
        assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    with _client(url, STAFF) as staff:
        assert staff.get("/staff/").status_code == 200
        for path in ("/admin/", "/admin/config", "/admin/gradio_api/info"):
            assert staff.get(path).status_code == 403
        assert staff.post("/admin/gradio_api/queue/join", json={}).status_code == 403
        assert staff.get("/logout").status_code == 200 and staff.get("/staff/").status_code == 200
        assert staff.post("/logout").status_code == 303
        assert staff.get("/staff/").status_code == 303
    with _client(url, EDITOR) as editor:
        assert editor.get("/admin/").status_code == 200 and editor.get("/staff/").status_code == 200
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/admin/gradio_api/info")
    assert refused.value.code == 401


def test_browsers_are_sent_to_login_or_refused(site):
    url = site["url"]
    with browser_page() as page:
        page.goto(f"{url}/admin")
        assert "/login?next=" in page.url
        page.locator("#username").wait_for()
        screenshot(page, "login", publish=True)
        page.fill("#username", STAFF[0])
        page.fill("#password", STAFF[1])
        with page.expect_navigation():
            page.click("#login")
        assert page.url.endswith("/staff/")
        response = page.goto(f"{url}/admin/")
        assert response.status == 403 and "不能打开此页面" in page.locator("#forbidden").inner_text()
        screenshot(page, "forbidden")


def test_editor_uploads_a_document_and_sees_it_hit_and_cited(site):
    url, uploads = site["url"], site["uploads"]
    with browser_page() as page:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        log_in(page, url, *EDITOR)
        assert page.url.endswith("/admin/")
        page.locator("#doc-list table").get_by_text("中华人民共和国示例保护法").wait_for(timeout=30_000)

        page.get_by_role("tab", name="上传 Upload").click()
        page.locator("#upload-files input[type=file]").set_input_files([str(uploads / "lighthouse-rules.md"), str(uploads / "old-lighthouse-fees.md")])
        page.wait_for_function("document.querySelector('#upload-log textarea').value.includes('old-lighthouse-fees.md')", timeout=30_000)
        assert page.locator("#meta-jurisdiction textarea").input_value() == "海州市"
        assert page.locator("#meta-effective textarea").input_value() == ""
        page.locator("#upload-start").click()
        page.wait_for_function("document.querySelector('#upload-log textarea').value.includes('完成')", timeout=90_000)
        log = page.locator("#upload-log textarea").input_value()
        assert "indexed: lighthouse-rules.md" in log and "indexed: old-lighthouse-fees.md" in log
        screenshot(page, "console-upload", publish=True)
        assert axe_violations(page) == []

        page.get_by_role("tab", name="命中测试 Hit test").click()
        page.locator("#hit-question textarea").fill("紫色灯塔夜航费多少钱？")
        page.locator("#hit-run").click()
        first = page.locator("#hit-results tbody tr").first
        first.wait_for(timeout=30_000)
        assert "紫色灯塔管理办法<script>alert(1)</script>" in first.inner_text()
        screenshot(page, "console-hit-test", publish=True)

        page.get_by_role("tab", name="文档 Documents").click()
        page.locator("#doc-list").get_by_text("关于灯塔旧收费标准的通知").wait_for(timeout=30_000)
        page.locator("#doc-select input").click()
        page.get_by_role("option", name="紫色灯塔管理办法", exact=False).first.click()
        page.locator("#doc-chunks").get_by_text("八十元", exact=False).first.wait_for(timeout=30_000)
        assert "<img src=x onerror=alert(2)>" in page.locator("#doc-chunks").inner_text()
        assert "海州市" in page.locator("#doc-info").inner_text() and "2024-05-01" in page.locator("#doc-info").inner_text()
        page.locator("#doc-info").get_by_text("草稿 Draft").wait_for(timeout=30_000)
        page.locator("#doc-publish").click()
        page.locator("#doc-status").get_by_text("已发布", exact=False).wait_for(timeout=30_000)
        page.locator("#doc-info").get_by_text("现行有效 In force").wait_for(timeout=30_000)
        assert "部门规章 Department rule" in page.locator("#doc-info").inner_text()
        title = page.locator("#edit-title textarea").input_value()
        assert title.startswith("紫色灯塔管理办法")
        page.locator("#edit-title textarea").fill(title + "（海州）")
        page.locator("#edit-effective textarea").fill("2024-06-01")
        page.locator("#doc-save").click()
        page.locator("#doc-status").get_by_text("effective_date: 2024-05-01 → 2024-06-01", exact=False).wait_for(timeout=30_000)
        page.locator("#doc-list").get_by_text("（海州）", exact=False).first.wait_for(timeout=30_000)
        box = page.locator("#doc-publish").bounding_box()
        assert box and box["y"] < page.locator("#doc-chunks").bounding_box()["y"]  # the actions above the chunk list
        screenshot(page, "console-documents", publish=True)
        assert axe_violations(page) == []

        page.locator("#doc-select input").click()
        page.get_by_role("option", name="关于灯塔旧收费标准的通知", exact=False).first.click()
        page.locator("#doc-info").get_by_text("old-lighthouse-fees.md").wait_for(timeout=30_000)
        page.locator("#doc-retire").click()
        page.locator("#doc-status").get_by_text("已标记为废止", exact=False).wait_for(timeout=30_000)
        page.locator("#doc-info").get_by_text("已废止 Repealed").wait_for(timeout=30_000)
        page.locator("#doc-delete").click()
        page.locator("#doc-status").get_by_text("确认删除", exact=False).wait_for(timeout=30_000)
        page.locator("#doc-delete-confirm input").check()
        page.locator("#doc-delete").click()
        page.locator("#doc-status").get_by_text("已删除", exact=False).wait_for(timeout=30_000)
        expect(page.locator("#doc-list")).not_to_contain_text("关于灯塔旧收费标准的通知", timeout=30_000)

        page.get_by_role("tab", name="审计日志 Audit log").click()
        audit = page.locator("#audit-log")
        audit.get_by_text("document.delete").wait_for(timeout=30_000)
        for action in ("document.upload", "document.publish", "document.edit", "document.retire", "login"):
            assert action in audit.inner_text()
        assert EDITOR[0] in audit.inner_text()

        page.goto(url)
        page.locator("#question textarea").fill("紫色灯塔夜航费每次多少钱？")
        page.locator("#send").click()
        page.locator("#chat").get_by_text("八十元", exact=False).first.wait_for(timeout=60_000)
        sources = page.locator("#chat .ipbot-sources").last
        sources.get_by_text("紫色灯塔管理办法", exact=False).first.wait_for(timeout=30_000)
        assert "<script>alert(1)</script>" in sources.text_content()
        page.wait_for_timeout(500)
        assert dialogs == []
        assert page.locator("img[src='x']").count() == 0


def test_staff_drafts_saves_and_exports_a_reply(site):
    url = site["url"]
    asked = "示例权的保护期限是多少年？"
    with browser_page() as page:
        page.goto(url)
        page.locator("#question textarea").fill(asked)
        page.locator("#send").click()
        page.locator("#chat").get_by_text("十二年", exact=False).first.wait_for(timeout=60_000)
        page.locator("#chat .ipbot-sources details").first.wait_for(timeout=60_000)
        log_in(page, url, *STAFF)
        page.locator("#draft-question textarea").fill("小型企业的示例权年费可以减缴多少？")
        page.locator("#draft-industry textarea").fill("文创")
        page.locator("#draft-generate").click()
        page.wait_for_function("document.querySelector('#draft-body textarea').value.includes('二、法律依据与出处')", timeout=60_000)
        bases = page.locator("#draft-bases").inner_text()
        assert "\n1. 《" in bases and "《中华人民共和国示例保护法》第五条" in bases
        body = page.locator("#draft-body textarea")
        body.fill(body.input_value().replace("您好！", "海州文创有限公司：\n您好！"))
        page.locator("#draft-save").click()
        page.locator("#draft-status").get_by_text("已保存为草稿", exact=False).wait_for(timeout=30_000)

        page.locator("#draft-docx").click()
        link = page.locator("#draft-file a[download]").first
        link.wait_for(timeout=30_000)
        with page.expect_download() as download:
            link.click()
        data = open(download.value.path(), "rb").read()
        document = docx.Document(io.BytesIO(data))
        assert document.paragraphs[1].text == "海州文创有限公司："
        notes = docx_footnotes(data)
        assert notes and any("示例保护法" in n and "百分之八十五" in n for n in notes)
        assert len(notes) == len(set(notes))  # a source cited twice is one footnote
        screenshot(page, "staff-draft", publish=True)
        assert axe_violations(page) == []

        page.locator("#draft-md").click()
        page.locator("#draft-file").get_by_text(".md", exact=False).first.wait_for(timeout=30_000)
        md_link = page.locator("#draft-file a[download]").first
        with page.expect_download() as download:
            md_link.click()
        markdown = open(download.value.path(), encoding="utf-8").read()
        assert "[^1]" in markdown and "\n[^1]: 《" in markdown

        page.get_by_role("tab", name="已存草稿 Saved drafts").click()
        page.locator("#drafts-list").get_by_text("小型企业的示例权年费可以减缴多少？").wait_for(timeout=30_000)
        assert STAFF[0] in page.locator("#drafts-list").inner_text()

        page.get_by_role("tab", name="对话记录 Conversations").click()
        page.locator("#conv-csv").click()
        conv = page.locator("#conv-file a[download]").first
        conv.wait_for(timeout=30_000)
        with page.expect_download() as download:
            conv.click()
        reader = csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read()))
        assert {"question", "answer", "rating", "comment", "citations"} <= set(reader.fieldnames)
        assert asked in [row["question"] for row in reader]


def test_a_disliked_answer_is_answered_in_gaps_and_then_cited(site):
    url = site["url"]
    question = "绿色风筝比赛的报名截止日期是哪天？"
    with browser_page() as page:
        page.goto(url)
        page.locator("#question textarea").fill(question)
        page.locator("#send").click()
        page.locator("#chat").get_by_text("12330", exact=False).first.wait_for(timeout=60_000)
        page.locator("#feedback-comment textarea").fill("没有回答截止日期")
        page.locator("#thumbs-down").click()
        page.locator("#feedback-status").get_by_text("谢谢", exact=False).wait_for(timeout=30_000)

        log_in(page, url, *STAFF)
        page.get_by_role("tab", name="知识缺口 Knowledge gaps").click()
        page.locator("#gap-refresh").click()
        page.locator("#gap-groups").get_by_text(question).wait_for(timeout=30_000)
        assert "差评 disliked" in page.locator("#gap-groups").inner_text()
        page.locator("#gap-select input").click()
        page.get_by_role("option", name=question[:10], exact=False).first.click()
        page.locator("#gap-detail").get_by_text("没有回答截止日期").wait_for(timeout=30_000)
        assert page.locator("#gap-question textarea").input_value() == question
        page.locator("#gap-answer textarea").fill("绿色风筝比赛的报名截止日期是每年六月三十日，逾期不再受理。")
        screenshot(page, "gaps", publish=True)
        page.locator("#gap-publish").click()
        page.locator("#gap-status").get_by_text("已发布为 FAQ", exact=False).wait_for(timeout=60_000)
        page.locator("#gap-groups").get_by_text("暂无未解决的问题", exact=False).wait_for(timeout=30_000)

        page.goto(url)
        page.locator("#question textarea").fill(question)
        page.locator("#send").click()
        page.locator("#chat").get_by_text("六月三十日", exact=False).first.wait_for(timeout=60_000)
        page.locator("#chat .ipbot-sources").last.get_by_text("常见问题", exact=False).first.wait_for(timeout=30_000)


def test_the_staff_desk_on_a_phone(site):
    """A staff member on a 390×844 phone drafts a reply and exports it: one footnote per source, no serious accessibility
    problem, no emoji that needs a font."""
    with browser_page(viewport={"width": 390, "height": 844}) as page:
        log_in(page, site["url"], *STAFF)
        page.locator("#draft-question textarea").fill("示例权的期限是多少年？年费可以减缴多少？")
        page.locator("#draft-generate").click()
        page.wait_for_function("document.querySelector('#draft-body textarea').value.includes('二、法律依据与出处')", timeout=60_000)
        page.locator("#draft-docx").click()
        link = page.locator("#draft-file a[download]").first
        link.wait_for(timeout=30_000)
        with page.expect_download() as download:
            link.click()
        notes = docx_footnotes(open(download.value.path(), "rb").read())
        assert notes and len(notes) == len(set(notes))
        text = page.locator("body").inner_text()
        assert not any(0x1F300 <= ord(ch) <= 0x1FAFF or ch in "\u2705\u274c" for ch in text)
        screenshot(page, "staff-phone")
        assert axe_violations(page) == []
