"""HTML and Markdown shown by the app; every piece of text from questions, documents or answers is escaped."""
from __future__ import annotations

import html
import re

from bot.answering import Answer, answer_body

from .labels import LABELS

_MARKER = re.compile(r"\[(\d{1,3})\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def esc(text: object) -> str:
    """HTML-escaped text (quotes included)."""
    return html.escape("" if text is None else str(text), quote=True)


def md_text(text: object) -> str:
    """Text shown literally inside Markdown: HTML escaped and Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", esc(text))


_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.、)])\s")


def _end_lists(text: str) -> str:
    """A blank line between a list item and a following line that is not one ("依据：", "下一步："), so Markdown ends the
    list there instead of folding the line into the last item."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1].strip() and _BULLET.match(out[-1]) and line.strip() and not _BULLET.match(line) and not line.startswith((" ", "\t")):
            out.append("")
        out.append(line)
    return "\n".join(out)


def answer_markdown(answer: Answer, language: str, key: str = "", passages: dict[str, str] | None = None) -> str:
    """An answer for the chat: escaped, its [n] markers linked to its own sources (``#src-{key}-{n}``), the notices below,
    and, with ``passages``, those sources right under it as collapsible passages."""
    prefix = f"src-{key}-" if key else "src-"

    def link(m: re.Match) -> str:
        return f"[\\[{m.group(1)}\\]](#{prefix}{m.group(1)})" if any(c.n == int(m.group(1)) for c in answer.citations) else m.group(0)

    text = answer_body(answer) if passages is not None and answer.citations else answer.answer  # sources shown below instead
    body = _MARKER.sub(link, esc(_end_lists(text)))
    parts = [f"*{esc(answer.fallback)}*"] if answer.fallback else []
    parts.append(body)
    if answer.notice:
        parts.append(f"*{esc(answer.notice)}*")
    if passages is not None and answer.citations:
        parts.append(sources_html(answer, passages, language, key))
    return "\n\n".join(parts)


def sources_html(answer: Answer | None, passages: dict[str, str], language: str, key: str = "") -> str:
    """The citations of an answer as collapsible passages (``#src-{key}-{n}``, or ``#src-n`` without a key, the first
    open): breadcrumb, document, page, effective date, status, text. One line of HTML, so Markdown keeps it whole."""
    t = LABELS[language]
    if answer is None or not answer.citations:
        return f'<div class="ipbot-sources"><p class="muted">{esc(t["no_sources"])}</p></div>'
    prefix = f"src-{key}-" if key else "src-"
    items = []
    for c in answer.citations:
        rows = [(t["where"], c.breadcrumb or c.title), (t["document"], f"《{c.title}》 {c.source}"), (t["page"], c.page),
                (t["effective"], c.effective_date), (t["status"], t["statuses"].get(c.status or "", c.status)),
                (t["also_in"], "；".join(c.also_in))]
        facts = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
        text = passages.get(c.chunk_id) or c.quote
        summary = f"[{c.n}] 《{c.title}》 {c.article_label or (f'p.{c.page}' if c.page else '')}"
        opened = " open" if c.n == 1 and not key else ""
        items.append(f'<details class="src" id="{prefix}{c.n}"{opened}><summary>{esc(summary)}</summary>'
                     f'<dl>{facts}</dl><blockquote>{esc(text).replace(chr(10), "<br>")}</blockquote></details>')
    return f'<div class="ipbot-sources"><h4>{esc(t["sources"])}</h4>{"".join(items)}</div>'


def table_html(headers: list[str], rows: list[list[object]], elem_class: str = "ipbot-table") -> str:
    """A plain HTML table with every cell escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{elem_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


CSS = """
.ipbot-sources details { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.ipbot-sources details[open] { background: var(--background-fill-secondary); }
.ipbot-sources summary { cursor: pointer; font-weight: 600; }
.ipbot-sources dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0; font-size: 0.9em; }
.ipbot-sources dt, #chat .ipbot-sources dt { color: #374151 !important; }
.ipbot-sources dd { margin: 0; }
.ipbot-sources blockquote { margin: 6px 0; padding-left: 8px; border-left: 3px solid var(--color-accent); white-space: normal; }
.ipbot-sources .flash { outline: 2px solid var(--color-accent); }
.ipbot-table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.ipbot-table th, .ipbot-table td { border: 1px solid var(--border-color-primary); padding: 4px 6px; text-align: left; vertical-align: top; white-space: pre-wrap; }
.muted { color: #4b5563; }
.ipbot-bar { text-align: right; font-size: 0.9em; line-height: 1.8; }
.ipbot-logout { display: inline; margin: 0; }
.ipbot-logout button { background: none; border: 0; padding: 0; color: var(--link-text-color); text-decoration: underline; cursor: pointer; font: inherit; }
footer { display: none !important; }
button.primary, .primary { background: #c2410c !important; border-color: #c2410c !important; color: #fff !important; }
button.primary:hover, .primary:hover { background: #9a3412 !important; border-color: #9a3412 !important; }
button.selected, [role="tab"].selected { color: #c2410c !important; }
button.stop, .stop { background: #b91c1c !important; border-color: #b91c1c !important; color: #fff !important; }
.upload-container .or, [data-testid="upload-text"] { color: var(--body-text-color) !important; }
#header h1 { font-size: 1.5rem; }
.ipbot-add-files { width: 1.6em; height: 1.6em; padding: 2px; background: none; border: 0; color: var(--block-label-text-color); cursor: pointer; }
#top-bar { align-items: center; flex-wrap: nowrap; gap: 8px; }
#header h1, #header h2, #header h3 { margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#chat .ipbot-sources h4 { margin: 8px 0 2px; font-size: 0.95em; }
@media (max-width: 640px) {
  #header h1, #header h2, #header h3 { font-size: 1.05rem; }
  #chat { height: 32vh !important; min-height: 200px; }
  .starter { font-size: 0.85em; padding: 4px 8px; }
  #top-bar { flex-wrap: wrap; }
  #lang { flex-basis: 100%; }
}
#thumbs-up::before, #thumbs-down::before { content: ""; display: inline-block; width: 1.1em; height: 1.1em; margin-right: 0.3em;
  background: no-repeat center/contain url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Cpath fill='%234b5563' d='M2 10h4v11H2zM8 10l4-8c1.5 0 2.6 1.1 2.6 2.5L14 9h6c1.1 0 2 .9 2 2l-2 8c-.3 1.2-1.2 2-2.4 2H8z'/%3E%3C/svg%3E"); }
#thumbs-down::before { transform: rotate(180deg); }
"""

HEAD = """<script>
document.addEventListener('click', function (e) {
  var a = e.target.closest ? e.target.closest('a[href*="#src-"]') : null;
  if (!a) return;
  e.preventDefault(); e.stopPropagation();
  var d = document.getElementById(a.getAttribute('href').split('#').pop());
  if (!d) return;
  var group = d.closest('.ipbot-sources') || document;
  group.querySelectorAll('details').forEach(function (x) { x.open = (x === d); x.classList.remove('flash'); });
  d.classList.add('flash');
  d.scrollIntoView({block: 'nearest'});
}, true);
// A new answer is shown from its start (not scrolled to its sources and notice): when the chat gains a bot message,
// scroll that message's top into view once.
(function () {
  var seen = 0;
  function check() {
    var bots = document.querySelectorAll('#chat .message-row.bot-row, #chat [data-testid="bot"]');
    if (bots.length > seen) {
      var last = bots[bots.length - 1];
      seen = bots.length;
      setTimeout(function () { last.scrollIntoView({block: 'start'}); }, 50);
    } else if (bots.length < seen) { seen = bots.length; }
  }
  // Gradio's upload area is a button with a file input inside it (a focusable control inside another) and an untranslated
  // label: the input is moved out beside the button (which still opens the file picker) and the button gets a readable name.
  function tidy() {
    document.querySelectorAll('button input[type=file]').forEach(function (x) {
      var b = x.closest('button');
      x.hidden = true;
      b.parentNode.insertBefore(x, b.nextSibling);
    });
    // its "add more files" icon is a button inside a button: the inner one (which opens the picker) takes the outer's
    // place and icon, and the outer is hidden.
    document.querySelectorAll('button button.upload-container').forEach(function (inner) {
      var outer = inner.parentNode.closest('button');
      var icon = outer.querySelector('svg');
      if (icon && !inner.querySelector('svg')) inner.appendChild(icon.cloneNode(true));
      inner.setAttribute('aria-label', '继续添加文件 Add files');
      inner.classList.add('ipbot-add-files');
      outer.parentNode.insertBefore(inner, outer);
      outer.style.display = 'none';
    });
    // the drop area's name is its visible text ("Drop File Here - or - Click to Upload"), not a different label
    document.querySelectorAll('button.upload-container[aria-label]:not(.ipbot-add-files)').forEach(function (b) {
      if (b.textContent.trim()) b.removeAttribute('aria-label');
    });
  }
  var pending = false;  // one pass per frame, however many nodes a streamed answer changes
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; check(); tidy(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>"""
