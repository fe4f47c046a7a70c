"""Links in answers: only those to the allowed domains (and their subdomains, http or https) stay clickable; every
other link a document carries becomes plain text that neither Markdown nor a linkifier turns back into a link."""
from __future__ import annotations

import re

import pytest

ALLOWED = ["gov.cn", "cnipa.gov.cn", "court.gov.cn", "12330.cn"]


def safe(text: str) -> str:
    from bot.answering import safe_links

    return safe_links(text, ALLOWED)


def _rendered_links(text: str) -> list[str]:
    """The href of every link a Markdown renderer with GFM autolinks would make of ``text`` (markdown-it-py, linkify)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("gfm-like") if _has_linkify() else MarkdownIt("commonmark")
    return re.findall(r'<a href="([^"]*)"', md.render(text))


def _has_linkify() -> bool:
    try:
        import linkify_it  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("url", ["https://cnipa.gov.cn/x", "http://www.cnipa.gov.cn/col/col1/index.html", "https://gov.cn",
                                 "https://ipc.court.gov.cn/zh-cn/index.html", "HTTPS://WWW.12330.CN/a?b=1#c", "https://gov.cn:8443/x"])
def test_links_to_allowed_domains_and_their_subdomains_stay(url):
    for text in (f"详见[国家知识产权局]({url})。", f"访问 {url} 查询。", f"见<{url}>。"):
        assert safe(text) == text


@pytest.mark.parametrize("url,host", [("http://gov.cn.evil.com/login", "gov[.]cn[.]evil[.]com"), ("https://evilgov.cn/a", "evilgov[.]cn"),
                                      ("http://cnipa.gov.cn@evil.com/", "evil[.]com"), ("http://evil.example/login", "evil[.]example"),
                                      ("https://cnipa.gov.cn.attacker.net", "cnipa[.]gov[.]cn[.]attacker[.]net"),
                                      ("http://gov.cn%2F@evil.com", "evil[.]com"), ("http://1.2.3.4/x", "1[.]2[.]3[.]4")])
def test_lookalike_domains_are_refused(url, host):
    out = safe(f"请[点此办理]({url})。")
    assert out == f"请点此办理（{host}）。"
    assert "](" not in out and "http" not in out


def test_markdown_link_becomes_its_label_with_the_defanged_host():
    assert safe("请先[点此办理](http://evil.example/login)示例权。") == "请先点此办理（evil[.]example）示例权。"
    assert safe('[办理](http://evil.example/a "标题")') == "办理（evil[.]example）"
    assert safe("[办理](<http://evil.example/a b>)") == "办理（evil[.]example）"
    assert safe("![图](http://evil.example/pixel.png)") == "图（evil[.]example）"
    assert safe("[a [b] c](http://evil.example/(x))") == "a [b] c（evil[.]example）"
    assert safe("[http://evil.example/a](http://evil.example/a)") == "hxxp://evil[.]example/a（evil[.]example）"
    assert safe("[[x](http://evil.example)](https://cnipa.gov.cn)") == "[x（evil[.]example）](https://cnipa.gov.cn)"
    assert safe("[![图](http://evil.example/p.png)](https://gov.cn)") == "[图（evil[.]example）](https://gov.cn)"


@pytest.mark.parametrize("target", ["javascript:alert(1)", "JavaScript:alert(document.cookie)", "data:text/html;base64,PHNjcmlwdD4=",
                                    "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/x", "/relative/path"])
def test_other_schemes_are_never_links(target):
    out = safe(f"[点我]({target})")
    assert out.startswith("点我") and "](" not in out and "javascript:" not in out.lower() and "data:" not in out


def test_javascript_url_to_an_allowed_looking_host_is_refused():
    from bot.answering.links import link_allowed

    assert not link_allowed("javascript://gov.cn/%0Aalert(1)", ALLOWED)
    assert not link_allowed("ftp://gov.cn/x", ALLOWED)
    assert link_allowed("https://sub.cnipa.gov.cn/", ALLOWED) and not link_allowed("https://cnipa.gov.cn.evil.com/", ALLOWED)


def test_autolinks_and_bare_urls_are_defanged():
    assert safe("见<http://evil.example/x>。") == "见hxxp://evil[.]example/x。"
    assert safe("访问 http://evil.example/form 填表") == "访问 hxxp://evil[.]example/form 填表"
    assert safe("访问https://evil.example/form。") == "访问hxxps://evil[.]example/form。"
    assert safe("或者 www.evil.example/login 也行") == "或者 www[.]evil[.]example/login 也行"
    assert safe("写信到 admin@evil.example 或 help@cnipa.gov.cn") == "写信到 admin@evil[.]example 或 help@cnipa.gov.cn"
    assert safe("<mailto:admin@evil.example>") == "mailto[:]admin@evil[.]example"
    assert safe('<a href="http://evil.example/x">点我</a>') == "点我（evil[.]example）"
    assert safe("[官网][1]\n\n[1]: http://evil.example/x") == "[官网][1]\n\n[1]： hxxp://evil[.]example/x"
    assert safe("https://cnipa.gov.cn/a@b.example") == "https://cnipa.gov.cn/a@b.example"


def test_text_without_links_is_unchanged():
    for text in ["发明专利权的期限为20年[1]。", "Art. 42: 20 years, e.g. 3.5% No.1 [2].", "依据：《专利法》第四十二条[1]。\n\n出处：\n[1] 《专利法》 第四十二条",
                 "费用减缴比例为85%，即1,000元。", ""]:
        assert safe(text) == text


def test_defanged_text_renders_without_any_link():
    pytest.importorskip("markdown_it")
    planted = ("请[点此办理](http://evil.example/login)，或访问 http://evil.example/form、<https://evil.example/x>、www.evil.example、"
               "admin@evil.example，[[这里](http://evil.example/y)](https://gov.cn)，官网 https://www.cnipa.gov.cn/ 。")
    assert any("evil" in href for href in _rendered_links(planted))
    out = safe(planted)
    assert safe(out) == out
    hrefs = _rendered_links(out)
    assert hrefs and all(re.match(r"https://(www\.cnipa\.)?gov\.cn", h) for h in hrefs), hrefs


def test_assistant_makes_every_answer_text_safe(settings, kb):
    from bot.answering import Answer, Assistant, Citation

    assistant = Assistant(settings.model_copy(update={"link_domains": ["example.org"]}), kb)
    answer = Answer("见[这里](http://evil.example/x)和[官网](https://www.example.org/a)[1]。",
                    [Citation(1, "s.md", "标题", None, None, "原文 http://evil.example/x 与 https://docs.example.org/b")])
    out = assistant.safe(answer)
    assert out.answer == "见这里（evil[.]example）和[官网](https://www.example.org/a)[1]。"
    assert out.citations[0].quote == "原文 hxxp://evil[.]example/x 与 https://docs.example.org/b"
    assert assistant.safe("[x](http://evil.example)") == "x（evil[.]example）"
