"""The public chat in a real browser: a cited answer streams in and its citations open the passages;
the interface switches to English; feedback is recorded; markup in questions stays text."""
from __future__ import annotations

import pytest

from browser import axe_violations, browser_page, screenshot, served_app
from conftest import FAKE_LAW, GUIDE, run_cli
from test_answer_first import PATENT_TERMS

pytestmark = pytest.mark.slow

ENGLISH_GUIDE = """# Blue Windmill Right Guide

> type: guide | jurisdiction: national | status: current

## How long the right lasts

The blue windmill right lasts twelve years, counted from the filing date (basis: Example Protection Law, Article 3).
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-chat")
    docs = root / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    (docs / "windmill-guide.md").write_text(GUIDE, encoding="utf-8")
    (docs / "windmill-guide.en.md").write_text(ENGLISH_GUIDE, encoding="utf-8")
    (docs / "patent-terms.md").write_text(PATENT_TERMS, encoding="utf-8")
    data = root / "var"
    assert run_cli("ingest", str(docs), "--data-dir", str(data)).returncode == 0
    with served_app(data, {"IPBOT_CHAT_RATE_LIMIT": "60"}) as url:
        yield url


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_chat_answers_with_citations(app_url):
    with browser_page() as page:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        ask(page, "小型企业的示例权年费可以减缴多少？")
        chat = page.locator("#chat")
        chat.get_by_text("百分之八十五", exact=False).first.wait_for(timeout=60_000)
        page.get_by_text("以上为一般性信息", exact=False).first.wait_for(timeout=60_000)
        assert "[1]" in chat.inner_text()
        sources = chat.locator(".ipbot-sources").last
        sources.get_by_text("示例", exact=False).first.wait_for(timeout=30_000)
        assert "[1]" in sources.inner_text() and page.locator("#src-1-1").count() == 1
        chat.locator("a[href$='#src-1-1']").first.click()
        page.wait_for_function("document.getElementById('src-1-1').open")
        text = page.locator("#src-1-1").inner_text()
        assert "施行日期" in text and "2021-03-01" in text and "现行有效" in text

        ask(page, "示例权的期限是多久？")
        page.wait_for_function("document.getElementById('src-2-1') !== null", timeout=60_000)
        chat.locator("a[href$='#src-1-2'], a[href$='#src-1-1']").first.click()  # a citation of the earlier answer
        page.wait_for_function("document.getElementById('src-1-1').open || (document.getElementById('src-1-2') || {}).open")
        assert not page.evaluate("document.getElementById('src-2-1').open")  # opens the earlier answer's own source
        assert "《" in page.locator("#src-1-1 blockquote").inner_text()
        assert page.url.rstrip("/") == app_url
        page.get_by_text("人工服务", exact=False).first.wait_for()
        assert "12330" in page.locator("#notice").inner_text()
        screenshot(page, "chat", publish=True)
        assert axe_violations(page) == []
        assert dialogs == []


def test_feedback_is_recorded(app_url):
    with browser_page() as page:
        page.goto(app_url)
        page.locator("#thumbs-up").click()
        page.locator("#feedback-status").get_by_text("请先提问", exact=False).wait_for(timeout=30_000)
        ask(page, "示例权的期限是多少年？")
        page.locator("#chat").get_by_text("十二年", exact=False).first.wait_for(timeout=60_000)
        page.locator("#chat .ipbot-sources details").first.wait_for(timeout=30_000)
        page.locator("#feedback-comment textarea").fill("想知道怎么续期")
        page.locator("#thumbs-down").click()
        page.locator("#feedback-status").get_by_text("谢谢您的反馈", exact=False).wait_for(timeout=30_000)
        assert page.locator("#feedback-comment textarea").input_value() == ""


def test_a_followup_in_the_chat_keeps_the_asked_attribute(app_url):
    with browser_page() as page:
        page.goto(app_url)
        ask(page, "外观设计专利保护多少年？")
        chat = page.locator("#chat")
        chat.get_by_text("十五年", exact=False).first.wait_for(timeout=60_000)
        page.get_by_text("以上为一般性信息", exact=False).first.wait_for(timeout=60_000)
        ask(page, "那实用新型呢？")
        page.wait_for_function("""() => { const bots = document.querySelectorAll('#chat .message.bot, #chat [data-testid="bot"]');
            return bots.length >= 2 && bots[bots.length - 1].innerText.includes('实用新型专利权的期限为十年'); }""", timeout=60_000)
        last = chat.locator('.message.bot, [data-testid="bot"]').last.inner_text()
        assert last.strip().startswith("实用新型专利权的期限为十年") and "技术方案" not in last.split("\n")[0]
        screenshot(page, "chat-followup")


def test_interface_switches_to_english(app_url):
    with browser_page() as page:
        page.goto(app_url)
        assert page.locator("#send").inner_text().strip() == "发送"
        page.locator("#lang").get_by_text("English").click()
        page.locator("#send").get_by_text("Send").wait_for(timeout=30_000)
        assert page.locator("#question textarea").get_attribute("placeholder").startswith("Type your question")
        assert "not legal advice" in page.locator("#notice").inner_text()
        page.get_by_text("Commercialization", exact=True).wait_for()
        page.get_by_role("button", name="How long does a Chinese invention patent last?").wait_for()
        ask(page, "How long does the blue windmill right last?")
        page.locator("#chat").get_by_text("twelve years", exact=False).first.wait_for(timeout=60_000)
        page.locator("#chat .ipbot-sources").get_by_text("Sources", exact=False).first.wait_for(timeout=60_000)
        page.locator("#src-1-1").get_by_text("Where", exact=True, ).wait_for(state="attached", timeout=30_000)
        assert "in force" in page.locator("#src-1-1").text_content()
        screenshot(page, "chat-english", publish=True)
        page.locator("#lang").get_by_text("中文").click()
        page.locator("#send").get_by_text("发送").wait_for(timeout=30_000)
        ask(page, "示例权的期限是多少年？")
        page.wait_for_function("document.getElementById('src-2-1') !== null", timeout=60_000)
        assert "位置" in page.locator("#src-2-1").text_content() and "现行有效" in page.locator("#src-2-1").text_content()
        top = page.evaluate("document.getElementById('src-2-1').closest('[data-testid=\"bot\"], .message-row').getBoundingClientRect().top")
        assert top >= -5  # the new answer is shown from its start


def test_the_chat_fits_a_phone(app_url):
    with browser_page(viewport={"width": 390, "height": 844}) as page:
        page.goto(app_url)
        page.locator("#question textarea").wait_for()
        for selector in ("#question textarea", "#send"):
            box = page.locator(selector).bounding_box()
            assert box and box["y"] + box["height"] <= 844, selector
        starter = page.locator(".starter").first.bounding_box()
        assert starter and starter["y"] < 844  # the first starter question on the first screen
        header = page.locator("#header h1").bounding_box()
        assert header and header["height"] < 60  # the title on one line
        lang = page.locator("#lang").bounding_box()
        assert lang and lang["width"] > 100 and lang["x"] + lang["width"] <= 390  # the language switch on screen
        ask(page, "示例权的期限是多少年？")
        page.wait_for_function("document.getElementById('src-1-1') !== null", timeout=60_000)
        page.wait_for_timeout(300)
        top = page.evaluate("document.getElementById('src-1-1').closest('[data-testid=\"bot\"], .message-row').getBoundingClientRect().top")
        assert -5 <= top < 844  # the answer is shown from its start
        page.locator("#chat a[href$='#src-1-1']").first.click()  # its own source, right under it
        page.wait_for_function("document.getElementById('src-1-1').open")
        screenshot(page, "chat-phone", publish=True)
        assert axe_violations(page) == []


def test_markup_in_questions_stays_text(app_url):
    with browser_page() as page:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        ask(page, '<script>alert("x")</script><img src=x onerror=alert(2)> 示例权期限')
        chat = page.locator("#chat")
        chat.get_by_text("<script>", exact=False).first.wait_for(timeout=60_000)
        chat.get_by_text("<img src=x onerror=alert(2)>", exact=False).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        assert dialogs == []
        assert page.locator("#chat img[src='x']").count() == 0
        assert page.locator("#chat script").count() == 0


def tab_to(page, reached: str, presses: int, what: str) -> None:
    """Press Tab until the JavaScript condition ``reached`` holds; fail naming ``what`` when it never does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(reached):
            return
    pytest.fail(f"{what} cannot be reached with Tab")


def test_the_chat_works_with_the_keyboard_alone(app_url):
    with browser_page() as page:
        page.goto(app_url)
        page.locator("#question textarea").wait_for()
        tab_to(page, "document.activeElement && document.activeElement.closest('#question') !== null", 40, "the question box")
        page.keyboard.type("示例权的期限是多少年？")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('src-1-1') !== null", timeout=60_000)
        tab_to(page, "document.activeElement && document.activeElement.closest('#src-1-1') !== null", 60, "the answer's sources")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('src-1-1').open")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_answers_follow_the_question_language_and_end_their_lists(app_url, viewport):
    with browser_page(viewport=viewport) as page:
        page.goto(app_url)
        bots = '#chat [data-testid="bot"], #chat .message-row.bot-row'
        before = page.locator(bots).count()
        ask(page, "<b></b><i>123</i>")  # no words of its own: answered in the interface's language (Chinese)
        page.wait_for_function("""([selector, before]) => { const bots = document.querySelectorAll(selector);
            return bots.length > before && !bots[bots.length - 1].innerText.includes('…'); }""", arg=[bots, before], timeout=60_000)
        last = page.locator(bots).last.inner_text()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in last) and "Please" not in last
        page.wait_for_function("() => !document.querySelector('#question textarea')?.disabled", timeout=30_000)
        ask(page, "示例权的期限是多少年？")
        page.wait_for_function("document.getElementById('src-2-1') !== null", timeout=60_000)
        basis_in_list = page.evaluate("""() => Array.from(document.querySelectorAll('#chat li')).some(li => li.innerText.includes('依据：'))""")
        assert not basis_in_list  # "依据：" is its own paragraph, never folded into the last bullet
        screenshot(page, f"chat-lists-{viewport['width']}")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_a_slow_model_answer_shows_its_progress(tmp_path_factory, viewport):
    """With a model that takes two seconds to start: "searching…" first, then the answer growing as it streams, then the
    checked answer with its sources — never a frozen page."""
    from fake_openai import Behaviour, FakeOpenAI, parrot

    root = tmp_path_factory.mktemp("ui-slow-llm")
    docs = root / "docs"
    docs.mkdir()
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    data = root / "var"
    assert run_cli("ingest", str(docs), "--data-dir", str(data)).returncode == 0
    with FakeOpenAI(default=Behaviour(text=parrot, delay=2.0, chunk_chars=4, chunk_delay=0.05)) as fake:
        env = {"IPBOT_LLM_BASE_URL": fake.url, "IPBOT_LLM_OUTPUT": "none", "IPBOT_LLM_TIMEOUT_S": "30", "IPBOT_CHAT_RATE_LIMIT": "60"}
        with served_app(data, env) as url, browser_page(viewport=viewport) as page:
            page.goto(url)
            ask(page, "示例权的期限是多久？")
            seen: list[str] = []
            for _ in range(300):
                text = page.evaluate("""() => { const bots = document.querySelectorAll('#chat [data-testid="bot"], #chat .message-row.bot-row');
                    return bots.length ? bots[bots.length - 1].innerText : ''; }""")
                if text and (not seen or seen[-1] != text):
                    seen.append(text)
                if page.evaluate("document.getElementById('src-1-1') !== null"):
                    break
                page.wait_for_timeout(50)
            assert any("正在检索" in t for t in seen), seen[:3]
            assert len(seen) >= 3 and fake.calls and fake.calls[0]["stream"] is True
            assert page.evaluate("document.getElementById('src-1-1') !== null")
            text = page.locator("body").inner_text()
            assert not any(0x1F300 <= ord(ch) <= 0x1FAFF or ch in "\u2705\u274c" for ch in text)  # no emoji needing a font
