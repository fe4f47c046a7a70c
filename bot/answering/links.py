"""Links in answer text: those to allowed domains stay, every other one becomes plain text that no Markdown
renderer or linkifier turns back into a link.

A document can say anything, including ``[点此办理](http://evil.example/login)``; quoted into an answer, that would
become a clickable phishing link in the chat. ``safe_links`` keeps links whose host is an allowed domain (the domain
itself or a subdomain, http or https only) and defangs the rest:

* Markdown links and images ``[label](url)`` / ``![alt](url)`` and HTML anchors ``<a href=url>label</a>`` become
  ``label（evil[.]example）`` (just ``label`` when the URL has no host, e.g. ``javascript:`` or ``data:``);
* autolinks ``<http://…>``, bare URLs ``http://…``, ``www.`` hosts and e-mail addresses become
  ``hxxp://evil[.]example/x``, ``www[.]evil[.]example``, ``name@evil[.]example``.

Hosts are compared exactly (lower case, trailing dot ignored): ``gov.cn.evil.com`` and ``evilgov.cn`` are not
``gov.cn``; an authority with user info (``http://gov.cn@evil.com``), percent escapes or non-ASCII characters is
never allowed.
"""
from __future__ import annotations

import re
from typing import Iterable

DEFAULT_LINK_DOMAINS = ("gov.cn", "cnipa.gov.cn", "court.gov.cn", "12330.cn")
"""The allowed domains when none are configured (the default of ``Settings.link_domains``)."""

# A Markdown link or image: [label](destination "optional title"); one level of nested brackets in the label and
# of parentheses in the destination, as CommonMark allows.
_MD_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<label>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(?P<dest><[^<>\n]*>|(?:[^\s()<>]|\([^\s()<>]*\))*)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_HTML_ANCHOR = re.compile(r"<a\b[^>]*?\bhref\s*=\s*(?P<q>[\"']?)(?P<dest>[^\"'\s>]*)(?P=q)[^>]*>(?P<label>.*?)</a\s*>", re.I | re.S)
_URL_CHARS = r"[^\s<>\"'`（）()\[\]{}【】「」『』《》，。；：！？、…\u3000]"
# Everything a linkifier turns into a link, in one left-to-right pass (so a kept link is never rewritten by a later
# rule): autolinks <scheme:…>, scheme URLs, protocol-relative //host, www. hosts, e-mail addresses.
_PLAIN_LINK = re.compile(
    r"<(?P<auto>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>"
    rf"|(?<![A-Za-z0-9+.\-])(?P<url>(?:https?|ftp)://{_URL_CHARS}*)"
    r"|(?<![\w:/])//(?P<relhost>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})(?![A-Za-z0-9\-])"
    rf"|(?<![A-Za-z0-9.\-/@])(?P<www>www\.[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)(?P<wwwrest>[/?#:]{_URL_CHARS}*)?"
    r"|(?<![A-Za-z0-9._%+\-])(?P<user>[A-Za-z0-9._%+\-]+)@(?P<mailhost>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})(?![A-Za-z0-9\-])",
    re.I,
)
# A Markdown link reference definition ("[ref]: http://…"), which would make "[label][ref]" a link.
_REF_DEFINITION = re.compile(r"^(?P<lead> {0,3}\[[^\[\]\n]+\]):(?P<dest>[ \t]*\S+)", re.M)
_AUTHORITY_END = re.compile(r"[/?#\\]")
_HOST = re.compile(r"^(?P<host>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*)\.?(?::\d{1,5})?$")


def _domains(allowed: Iterable[str]) -> tuple[str, ...]:
    return tuple(d.strip().lower().strip(".") for d in allowed if d and d.strip().strip("."))


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """Whether ``host`` is one of the allowed domains or a subdomain of one (exact label match, no lookalikes)."""
    host = host.lower().rstrip(".")
    return bool(host) and any(host == d or host.endswith("." + d) for d in _domains(allowed_domains))


def url_host(url: str) -> str | None:
    """The host of an http(s) URL written in plain ASCII, or None: another scheme, no host, user info
    (``http://gov.cn@evil.com``), percent escapes, non-ASCII characters or anything else unusual in the authority."""
    m = re.match(r"^\s*(https?)://", url, re.I)
    if not m:
        return None
    rest = url[m.end():]
    authority = _AUTHORITY_END.split(rest, 1)[0].lower()
    found = _HOST.match(authority)
    return found.group("host") if found else None


def link_allowed(url: str, allowed_domains: Iterable[str]) -> bool:
    """Whether a link may stay clickable: http or https to an allowed domain (or a subdomain of one)."""
    host = url_host(url)
    return host is not None and host_allowed(host, allowed_domains)


def defang_host(host: str) -> str:
    """``evil.example`` → ``evil[.]example``: no longer a host name to a linkifier."""
    return host.replace(".", "[.]")


def _shown_host(url: str) -> str:
    """The host a refused link pointed to, defanged, for the reader to see where it went (empty when it has none)."""
    m = re.match(r"^\s*[A-Za-z][A-Za-z0-9+.\-]*://([^/?#\\\s]*)", url)
    if not m:
        return ""
    authority = m.group(1).rsplit("@", 1)[-1]
    host = re.sub(r":\d*$", "", authority)
    return defang_host(re.sub(r"[^\w.\-\[\]]", "", host))


def defang_url(url: str) -> str:
    """``http://evil.example/x`` → ``hxxp://evil[.]example/x`` (https → hxxps, ftp → fxp); any other scheme loses its
    colon and dots (``mailto[:]a@evil[.]example``): plain text to Markdown and to linkifiers alike."""
    m = re.match(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?P<slashes>//)?(?P<rest>.*)$", url, re.S)
    if not m:
        return url.replace(".", "[.]")
    scheme = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}.get(m.group("scheme").lower())
    rest = m.group("rest")
    if scheme is None:
        return f"{m.group('scheme')}[:]{m.group('slashes') or ''}{rest.replace('.', '[.]')}"
    if m.group("slashes"):
        cut = re.search(r"[/?#\\]", rest)
        authority, tail = (rest[: cut.start()], rest[cut.start():]) if cut else (rest, "")
        return f"{scheme}://{defang_host(authority)}{tail}"
    return f"{scheme}[:]{rest.replace('.', '[.]')}"


def _label_with_host(label: str, url: str) -> str:
    host = _shown_host(url)
    label = label.strip()
    if not label:
        return host
    return f"{label}（{host}）" if host else label


def safe_links(text: str, allowed_domains: Iterable[str]) -> str:
    """``text`` with every link that does not point to an allowed domain made plain, non-clickable text
    (see the module docstring); links to allowed domains, and text without links, are returned unchanged."""
    if not text or (not any(c in text for c in ":@[<") and "//" not in text and "www." not in text.lower()):
        return text
    allowed = _domains(allowed_domains)

    def kept(m: re.Match) -> str:
        """An allowed link as it was, with any link inside its label made safe ([[x](http://evil)](https://gov.cn))."""
        start, end = m.start("label") - m.start(0), m.end("label") - m.start(0)
        whole = m.group(0)
        return whole[:start] + safe_links(m.group("label"), allowed) + whole[end:]

    def markdown(m: re.Match) -> str:
        dest = m.group("dest").strip()
        if dest.startswith("<") and dest.endswith(">"):
            dest = dest[1:-1].strip()
        return kept(m) if link_allowed(dest, allowed) else _label_with_host(m.group("label"), dest)

    def anchor(m: re.Match) -> str:
        dest = m.group("dest").strip()
        return kept(m) if link_allowed(dest, allowed) else _label_with_host(re.sub(r"<[^>]*>", "", m.group("label")), dest)

    def definition(m: re.Match) -> str:
        dest = m.group("dest").strip().strip("<>")
        return m.group(0) if link_allowed(dest, allowed) else f"{m.group('lead')}：{m.group('dest')}"

    def plain(m: re.Match) -> str:
        if m.group("auto") is not None:
            url = m.group("auto")
            return m.group(0) if link_allowed(url, allowed) else defang_url(url)
        if m.group("url") is not None:
            url = m.group("url")
            return url if link_allowed(url, allowed) else defang_url(url)
        if m.group("relhost") is not None:
            host = m.group("relhost")
            return m.group(0) if host_allowed(host, allowed) else "//" + defang_host(host)
        if m.group("www") is not None:
            host = m.group("www")
            return m.group(0) if host_allowed(host, allowed) else defang_host(host) + (m.group("wwwrest") or "")
        host = m.group("mailhost")
        return m.group(0) if host_allowed(host, allowed) else f"{m.group('user')}@{defang_host(host)}"

    out = text
    for _ in range(4):  # a refused link's label may itself be a link
        before = out
        out = _HTML_ANCHOR.sub(anchor, _MD_LINK.sub(markdown, out))
        if out == before:
            break
    out = _REF_DEFINITION.sub(definition, out)
    return _PLAIN_LINK.sub(plain, out)
