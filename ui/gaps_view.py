"""The knowledge-gaps tab (staff desk and knowledge console): grouped questions the bot could not answer well,
answered by staff as FAQ entries that are indexed at once."""
from __future__ import annotations

import gradio as gr

from bot.answering import BotError
from bot.office import Services

from .common import require
from .render import esc, table_html

REASONS = {"abstained": "未能回答 abstained", "declined": "模型拒答 model declined", "weak": "依据不足 weak support", "disliked": "差评 disliked"}


def build_gaps(services: Services, demo: gr.Blocks) -> None:
    """Add the gaps view to the Blocks being built."""
    gr.Markdown("被拒答、依据不足或被评为“没帮助”的问题按相似度分组。写下答案并发布，它会成为知识库中的常见问题（FAQ），之后的回答会引用它。  \n"
                "Questions that were abstained, weakly supported or rated “not helpful”, grouped by similarity. Publish an answer and it becomes an FAQ entry that is cited from then on.")
    refresh = gr.Button("刷新 Refresh", size="sm", elem_id="gap-refresh")
    table = gr.HTML(elem_id="gap-groups")
    pick = gr.Dropdown(label="选择问题组 Pick a group", choices=[], elem_id="gap-select", interactive=True)
    detail = gr.HTML(elem_id="gap-detail")
    question = gr.Textbox(label="FAQ 问题 Question", elem_id="gap-question")
    answer = gr.Textbox(label="答案 Answer", lines=6, elem_id="gap-answer", placeholder="写出答案，并注明法律依据，如：（依据：《专利法》第四十二条）")
    publish = gr.Button("发布为 FAQ 并标记已解决 Publish as FAQ and resolve", variant="primary", elem_id="gap-publish")
    status = gr.Markdown(elem_id="gap-status")
    with gr.Accordion("已解决 Resolved", open=False):
        resolved = gr.HTML(elem_id="gap-resolved")

    def load(request: gr.Request):
        require(services, request, "staff")
        groups = services.gaps.open_groups()
        rows = [[g.id, g.question, g.count, ", ".join(REASONS[r] for r in g.reasons), g.first_at[:16].replace("T", " "),
                 g.last_at[:16].replace("T", " ")] for g in groups]
        done = [[r["id"], r["question"], r["count"], r["faq_doc_id"], r["resolved_by"], r["resolved_at"][:16].replace("T", " ")]
                for r in services.gaps.resolved()]
        choices = [(f"#{g.id} {g.question[:40]}（{g.count}）", g.id) for g in groups]
        return (table_html(["编号 #", "问题 Question", "次数 Count", "原因 Why", "首次 First", "最近 Last"], rows) if rows
                else '<p class="muted">暂无未解决的问题。No open gaps.</p>',
                gr.update(choices=choices, value=None),
                table_html(["编号 #", "问题 Question", "次数 Count", "FAQ", "解决人 By", "时间 When"], done))

    def show(group_id, request: gr.Request):
        require(services, request, "staff")
        if group_id is None:
            return "", ""
        try:
            g = services.gaps.group(int(group_id))
        except BotError as exc:
            return f'<p class="error">{esc(exc)}</p>', ""
        items = "".join(f"<li>{esc(q)}</li>" for q in g.questions)
        notes = "".join(f"<li>{esc(c)}</li>" for c in g.comments)
        return (f"<p>{g.count} 次提问 asked · {esc(', '.join(REASONS[r] for r in g.reasons))}</p><ul>{items}</ul>"
                + (f"<p>访客意见 Comments:</p><ul>{notes}</ul>" if notes else ""), g.question)

    def resolve(group_id, q, a, request: gr.Request):
        user = require(services, request, "staff")
        if group_id is None:
            return "请先选择一个问题组。Pick a group first.", a
        try:
            doc_id = services.gaps.resolve(int(group_id), a or "", user.name, q)
        except BotError as exc:
            return f"✗ {esc(exc)}", a
        return f"✓ 已发布为 FAQ（{esc(doc_id)}），已进入知识库。Published as {esc(doc_id)} and indexed.", ""

    outputs = [table, pick, resolved]
    demo.load(load, None, outputs)
    refresh.click(load, None, outputs)
    pick.change(show, pick, [detail, question])
    publish.click(resolve, [pick, question, answer], [status, answer]).then(load, None, outputs)
