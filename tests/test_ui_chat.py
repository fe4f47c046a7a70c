"""The public chat in a real browser: a cited answer streams in; markup in questions stays text."""
from __future__ import annotations

import pytest

from browser import browser_page, screenshot, served_app
from conftest import run_cli


@pytest.fixture
def app_url(tmp_path, docs_dir):
    data = tmp_path / "ui-var"
    assert run_cli("ingest", str(docs_dir), "--data-dir", str(data)).returncode == 0
    with served_app(data) as url:
        yield url


def test_chat_answers_with_citations(app_url):
    with browser_page() as page:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        page.locator("#question textarea").fill("小型企业的示例权年费可以减缴多少？")
        page.locator("#send").click()
        chat = page.locator("#chat")
        chat.get_by_text("百分之八十五", exact=False).first.wait_for(timeout=60_000)
        page.get_by_text("以上为一般性信息", exact=False).first.wait_for(timeout=60_000)
        assert "[1]" in chat.inner_text()
        sources = page.locator("#sources")
        sources.get_by_text("示例", exact=False).first.wait_for(timeout=30_000)
        assert "[1]" in sources.inner_text()
        screenshot(page, "chat")

        page.locator("#question textarea").fill('<script>alert("x")</script><img src=x onerror=alert(2)> 示例权期限')
        page.locator("#send").click()
        chat.get_by_text("<script>", exact=False).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        assert dialogs == []
        assert page.locator("#chat img[src='x']").count() == 0
