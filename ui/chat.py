"""The public chat (no login): streamed cited answers, the passages beside them, starter questions, 中文/English,
feedback, the not-legal-advice notice and the human service channel, and a per-visitor rate limit."""
from __future__ import annotations

import html
import logging
from itertools import chain

import gradio as gr

from bot.answering import Answer, BotError, InvalidQuestion
from bot.office import Services

from .labels import LABELS, LANGUAGES, STARTERS
from .ratelimit import RateLimiter
from .render import answer_markdown, esc

log = logging.getLogger("ipbot.chat")


def client_key(request: gr.Request | None) -> str:
    """The visitor a request comes from (its IP address as seen by the server)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def notice_markdown(services: Services, language: str) -> str:
    """The not-legal-advice notice, the human service channel and the staff entrance."""
    t = LABELS[language]
    channel = services.assistant.human_channel(language)
    return f"{t['notice']}  \n{t['human'].format(channel=esc(channel))}  \n<small><a href=\"/login\">{t['staff_link']}</a></small>"


class ChatHandlers:
    """The chat's event handlers (kept apart from the layout so they can be tested without a browser)."""

    def __init__(self, services: Services, limiter: RateLimiter | None = None) -> None:
        self.services = services
        self.limiter = limiter or RateLimiter(services.settings.chat_rate_limit)

    def respond(self, message: str, history: list | None, language: str, request: gr.Request | None = None):
        """Yield (history, question box, exchange id, feedback status) as the answer streams in; the answer comes with its own
        sources under it, in the question's language (the interface's when the question has none)."""
        t = LABELS.get(language, LABELS["zh"])
        history = list(history or [])
        earlier = [html.unescape(m["content"]) for m in history if m.get("role") == "user" and isinstance(m.get("content"), str)]
        text = (message or "").strip()
        if not text:
            yield history, "", gr.skip(), t["empty"]
            return
        limit = self.services.settings.max_question_chars
        if len(text) > limit:
            history.append({"role": "user", "content": html.escape(text[:200]) + "…"})
            history.append({"role": "assistant", "content": f"⚠ {esc(t['too_long'].format(length=len(text), limit=limit))}"})
            yield history, gr.skip(), gr.skip(), ""
            return
        history.append({"role": "user", "content": html.escape(text)})
        key = client_key(request)
        if not self.limiter.allow(key):
            notice = t["rate_limited"].format(limit=self.limiter.limit, wait=self.limiter.retry_after(key))
            history.append({"role": "assistant", "content": f"⚠ {esc(notice)}"})
            yield history, message, gr.skip(), ""
            return
        history.append({"role": "assistant", "content": f"*{esc(t['searching'])}*"})
        yield history, "", None, ""
        try:
            stream = self.services.assistant.ask_stream(text, self.services.public_filters(), history=earlier[-4:],
                                                        interface_language=language if language in LABELS else "zh")
            first = next(stream)
        except InvalidQuestion:
            history[-1] = {"role": "assistant", "content": esc(t["empty"])}
            yield history, "", gr.skip(), ""
            return
        except Exception:
            log.exception("the public chat could not answer %r", text[:200])
            history[-1] = {"role": "assistant", "content": f"⚠ {esc(t['unavailable'])}"}
            yield history, message, gr.skip(), ""
            return
        shown, final = "", None
        try:
            for item in chain([first], stream):
                if isinstance(item, Answer):
                    final = item
                else:
                    shown += item
                    history[-1] = {"role": "assistant", "content": esc(shown)}
                    yield history, "", None, ""
        except Exception:
            log.exception("the public chat's answer to %r broke off", text[:200])
            history[-1] = {"role": "assistant", "content": f"⚠ {esc(t['unavailable'])}"}
            yield history, message, None, ""
            return
        if not shown:
            partial = ""
            for line in final.answer.split("\n")[:-1]:
                partial += line + "\n"
                history[-1] = {"role": "assistant", "content": esc(partial)}
                yield history, "", None, ""
        exchange_id = self.services.conversations.record((getattr(request, "session_hash", "") or "")[:64], text, final)
        passages = final.passages
        key = str(sum(1 for m in history if m.get("role") == "assistant"))
        shown_language = final.language if final.language in LABELS else language
        history[-1] = {"role": "assistant", "content": answer_markdown(final, shown_language, key, passages)}
        yield history, "", exchange_id, ""

    def rate(self, rating: int, exchange_id: int | None, comment: str, language: str):
        """Record a thumbs up (1) or down (-1) for the latest answer; returns (status, comment box)."""
        t = LABELS.get(language, LABELS["zh"])
        if not exchange_id:
            return t["rate_first"], comment
        try:
            self.services.conversations.rate(int(exchange_id), rating, comment or "")
        except (BotError, ValueError, TypeError) as exc:
            return esc(str(exc)), comment
        return t["thanks"], ""


def build_chat(services: Services, limiter: RateLimiter | None = None) -> gr.Blocks:
    """The Gradio Blocks of the public chat."""
    h = ChatHandlers(services, limiter)
    zh = LABELS["zh"]
    with gr.Blocks(title="ipbot 知识产权公共服务助手", analytics_enabled=False) as demo:
        with gr.Row(equal_height=False, elem_id="top-bar"):
            header = gr.Markdown(zh["title"], elem_id="header")
            lang = gr.Radio(LANGUAGES, value="zh", show_label=False, container=False, elem_id="lang", scale=0, min_width=160)
        chat = gr.Chatbot(label=zh["chat"], height="60vh", min_height=240, sanitize_html=True, elem_id="chat", feedback_options=None,
                          buttons=["copy"], autoscroll=False)
        box = gr.Textbox(placeholder=zh["placeholder"], label=zh["question"], elem_id="question", max_length=2000)
        send = gr.Button(zh["send"], variant="primary", elem_id="send")
        with gr.Row():
            up = gr.Button(zh["up"], size="sm", elem_id="thumbs-up", scale=0, min_width=120)
            down = gr.Button(zh["down"], size="sm", elem_id="thumbs-down", scale=0, min_width=120)
            comment = gr.Textbox(show_label=False, placeholder=zh["comment_placeholder"], elem_id="feedback-comment", container=False, scale=3)
        rated = gr.Markdown("", elem_id="feedback-status")
        starters_title = gr.Markdown(f"### {zh['starters']}")
        group_titles, buttons = [], []
        with gr.Row():
            for group, questions in STARTERS.items():
                with gr.Column(min_width=220):
                    group_titles.append(gr.Markdown(f"**{zh['groups'][group]}**", elem_classes=["starter-group"]))
                    for q in questions["zh"]:
                        buttons.append(gr.Button(q, size="sm", elem_classes=["starter"]))
        notice = gr.Markdown(notice_markdown(services, "zh"), elem_id="notice")
        last, talk = gr.State(None), gr.State([])

        def respond(message: str, history: list, language: str, request: gr.Request):
            for shown_history, *rest in h.respond(message, history, language, request):
                yield shown_history, shown_history, *rest

        inputs, outputs = [box, talk, lang], [chat, talk, box, last, rated]
        send.click(respond, inputs, outputs)
        box.submit(respond, inputs, outputs)
        for b in buttons:
            b.click(lambda q: q, b, box).then(respond, inputs, outputs)

        def thumbs_up(exchange_id, text, language):
            return h.rate(1, exchange_id, text, language)

        def thumbs_down(exchange_id, text, language):
            return h.rate(-1, exchange_id, text, language)

        up.click(thumbs_up, [last, comment, lang], [rated, comment])
        down.click(thumbs_down, [last, comment, lang], [rated, comment])

        def switch(language: str):
            t = LABELS.get(language, LABELS["zh"])
            starter_values = [q for questions in STARTERS.values() for q in questions[language]]
            return [gr.update(value=t["title"]), gr.update(label=t["chat"]), gr.update(label=t["question"], placeholder=t["placeholder"]),
                    gr.update(value=t["send"]), gr.update(value=t["up"]), gr.update(value=t["down"]),
                    gr.update(placeholder=t["comment_placeholder"]), gr.update(value=f"### {t['starters']}"),
                    gr.update(value=notice_markdown(services, language)),
                    *[gr.update(value=f"**{t['groups'][g]}**") for g in STARTERS], *[gr.update(value=q) for q in starter_values]]

        lang.change(switch, [lang], [header, chat, box, send, up, down, comment, starters_title, notice, *group_titles, *buttons])
    return demo
