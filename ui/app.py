"""The public chat: ask a question, see the cited answer stream in and the sources beside it."""
from __future__ import annotations

import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from bot import DISCLAIMER, Answer, Assistant, InvalidQuestion  # noqa: E402

STARTERS = {
    "申请 Filing": ["小微企业申请专利能减免哪些费用？", "商标注册到期了怎么续展？", "软件著作权怎么登记？"],
    "保护 Protection": ["我们的商标被抢注了怎么办？", "发现别人仿冒我们的产品，怎么保存侵权证据？", "怎样申请知识产权海关保护备案？"],
    "运用 Commercialization": ["专利可以质押贷款吗？", "什么是专利开放许可？", "How long does a Chinese invention patent last?"],
}


def sources_markdown(answer: Answer) -> str:
    """The citations of an answer as escaped markdown: breadcrumb, document, page, effective date, status, quote."""
    if not answer.citations:
        return ""
    parts = []
    for c in answer.citations:
        where = " · ".join(x for x in (c.article_label, f"p.{c.page}" if c.page else "", c.effective_date and f"施行 {c.effective_date}", c.status) if x)
        parts.append(f"**[{c.n}] {html.escape(c.breadcrumb or c.title)}**  \n{html.escape(where)}  \n> {html.escape(c.quote)}")
    return "\n\n".join(parts)


def build_app(assistant: Assistant) -> gr.Blocks:
    """The Gradio app serving the public chat."""

    def respond(message: str, history: list[dict]):
        history = list(history or [])
        history.append({"role": "user", "content": html.escape(message or "")})
        try:
            answer = assistant.ask(message or "")
        except InvalidQuestion as exc:
            history.append({"role": "assistant", "content": str(exc)})
            yield history, "", ""
            return
        history.append({"role": "assistant", "content": ""})
        shown = ""
        for line in html.escape(answer.answer).split("\n"):
            shown += line + "\n"
            history[-1] = {"role": "assistant", "content": shown}
            yield history, "", ""
        history[-1] = {"role": "assistant", "content": shown + f"\n*{html.escape(answer.notice)}*"}
        yield history, "", sources_markdown(answer)

    with gr.Blocks(title="ipbot 知识产权公共服务助手", analytics_enabled=False) as demo:
        gr.Markdown("## ipbot · 中小微企业知识产权公共服务助手\n申请 · 保护 · 运用 — 每个回答都注明出处。")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="对话 Chat", height=460, sanitize_html=True, elem_id="chat")
                box = gr.Textbox(placeholder="输入您的问题，例如：小微企业申请专利能减免哪些费用？", label="问题 Question", elem_id="question")
                send = gr.Button("发送 Send", variant="primary", elem_id="send")
            with gr.Column(scale=2):
                sources = gr.Markdown(label="出处 Sources", elem_id="sources")
        for group, questions in STARTERS.items():
            gr.Examples(questions, inputs=box, label=group)
        gr.Markdown(f"<small>{DISCLAIMER['zh']}<br>{DISCLAIMER['en']}<br>{html.escape(assistant.human_channel('zh'))}</small>")
        send.click(respond, [box, chat], [chat, box, sources])
        box.submit(respond, [box, chat], [chat, box, sources])
    return demo
