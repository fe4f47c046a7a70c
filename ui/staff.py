"""The staff desk (/staff): draft formal replies from a client's question and facts, edit, save and export them;
knowledge gaps; conversation exports."""
from __future__ import annotations

import gradio as gr

from bot.answering import BotError, InvalidQuestion
from bot.office import Draft, Services, citation_label, draft_docx, draft_markdown

from .common import export_file, require, who_markdown
from .gaps_view import build_gaps
from .render import esc, md_text, table_html

STAGES = ["", "初创期 start-up", "成长期 growing", "成熟期 established"]


def bases_markdown(draft: Draft | None) -> str:
    """The draft's numbered legal bases (numbers shown as text, matching the [n] markers)."""
    if draft is None or not draft.citations:
        return "### 法律依据 Legal bases\n*生成草稿后显示。Shown once a draft is generated.*"
    return "### 法律依据 Legal bases\n" + "\n".join(f"{c['n']}\\. {md_text(citation_label(c, draft.language))}  " for c in draft.citations)


def build_staff(services: Services) -> gr.Blocks:
    """The Gradio Blocks of the staff desk."""
    with gr.Blocks(title="ipbot · 工作台 Staff desk", analytics_enabled=False) as demo:
        with gr.Row():
            gr.Markdown("# ipbot 工作人员工作台 · Staff desk")
            who = gr.HTML(elem_id="who-bar")
        current = gr.State(None)
        with gr.Tabs():
            with gr.Tab("起草答复 Draft reply", id="draft"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        question = gr.Textbox(label="企业咨询 Client's question", lines=3, elem_id="draft-question")
                        earlier = gr.Textbox(label="此前问过的问题（可选，每行一个）Client's earlier questions (optional, one per line)", lines=2,
                                             elem_id="draft-history")
                        with gr.Row():
                            industry = gr.Textbox(label="行业 Industry（可选）", elem_id="draft-industry")
                            region = gr.Textbox(label="地区 Region（可选）", elem_id="draft-region")
                            stage = gr.Dropdown(STAGES, value="", label="阶段 Stage（可选）", allow_custom_value=True, elem_id="draft-stage")
                        generate = gr.Button("生成草稿 Generate draft", variant="primary", elem_id="draft-generate")
                        body = gr.Textbox(label="草稿（可直接修改）Draft — edit in place", lines=22, max_lines=60, elem_id="draft-body")
                        with gr.Row():
                            regenerate = gr.Button("重新生成 Regenerate", elem_id="draft-regenerate")
                            save = gr.Button("保存 Save", elem_id="draft-save")
                            to_docx = gr.Button("导出 DOCX", elem_id="draft-docx")
                            to_md = gr.Button("导出 Markdown", elem_id="draft-md")
                        status = gr.Markdown(elem_id="draft-status")
                        exported = gr.File(label="导出文件 Exported file", interactive=False, elem_id="draft-file")
                    with gr.Column(scale=2):
                        bases = gr.Markdown(bases_markdown(None), elem_id="draft-bases")
            with gr.Tab("已存草稿 Saved drafts", id="saved"):
                refresh_saved = gr.Button("刷新 Refresh", size="sm", elem_id="drafts-refresh")
                saved = gr.HTML(elem_id="drafts-list")
                pick = gr.Dropdown(label="打开草稿 Open a draft", choices=[], elem_id="draft-pick")
            with gr.Tab("知识缺口 Knowledge gaps", id="gaps"):
                build_gaps(services, demo)
            with gr.Tab("对话记录 Conversations", id="conversations"):
                gr.Markdown("导出公众咨询的全部问答及访客评价。Export every public question, answer and rating.")
                with gr.Row():
                    conv_json = gr.Button("导出 JSON", elem_id="conv-json")
                    conv_csv = gr.Button("导出 CSV", elem_id="conv-csv")
                conv_file = gr.File(label="导出文件 Exported file", interactive=False, elem_id="conv-file")

        def make(q, hist, ind, reg, stg, request: gr.Request):
            require(services, request, "staff")
            try:
                draft = services.draft(q or "", {"industry": ind, "region": reg, "stage": stg}, (hist or "").splitlines())
            except InvalidQuestion:
                return gr.skip(), gr.skip(), gr.skip(), "请先输入企业的问题。Type the client's question first."
            except BotError as exc:
                return gr.skip(), gr.skip(), gr.skip(), f"✗ {esc(exc)}"
            return draft.to_dict(), draft.body, bases_markdown(draft), "已生成草稿，请审核修改后保存。Draft ready: review, edit, save."

        def edited(state, text) -> Draft:
            if not state:
                raise gr.Error("请先生成草稿。Generate a draft first.")
            draft = Draft.from_dict(state)
            draft.body = text or ""
            return draft

        def store(state, text, request: gr.Request):
            user = require(services, request, "staff")
            try:
                draft = services.drafts.save(edited(state, text), user.name)
            except BotError as exc:
                return gr.skip(), f"✗ {esc(exc)}"
            return draft.to_dict(), f"✓ 已保存为草稿 #{draft.id}。Saved as draft #{draft.id}."

        def export(kind, state, text, request: gr.Request):
            require(services, request, "staff")
            draft = edited(state, text)
            if len(draft.body) > services.settings.max_text_chars:
                return gr.skip(), f"✗ 草稿太长 The draft is too long ({len(draft.body)} > {services.settings.max_text_chars})."
            stem = f"draft-{draft.id}" if draft.id else "draft"
            data = draft_docx(draft) if kind == "docx" else draft_markdown(draft).encode("utf-8")
            return export_file(data, stem, kind), f"已导出 {kind.upper()}。Exported."

        def list_saved(request: gr.Request):
            require(services, request, "staff")
            drafts = services.drafts.list()
            rows = [[d.id, d.question, d.author, d.updated_at[:16].replace("T", " ")] for d in drafts]
            table = table_html(["#", "问题 Question", "作者 Author", "更新 Updated"], rows) if rows else '<p class="muted">还没有保存的草稿。No saved drafts yet.</p>'
            return table, gr.update(choices=[(f"#{d.id} {d.question[:40]}", d.id) for d in drafts], value=None)

        def open_saved(draft_id, request: gr.Request):
            require(services, request, "staff")
            if draft_id is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            draft = services.drafts.get(int(draft_id))
            return (draft.to_dict(), draft.body, bases_markdown(draft), draft.question,
                    f"已打开草稿 #{draft.id}（{esc(draft.author)}）。Opened draft #{draft.id}.")

        def export_conversations(fmt, request: gr.Request):
            user = require(services, request, "staff")
            services.audit.record(user.name, "conversations.export", fmt)
            return export_file(services.conversations.export(fmt), "conversations", fmt)

        def who_is(request: gr.Request):
            return who_markdown(services, request)

        def export_docx(state, text, request: gr.Request):
            return export("docx", state, text, request)

        def export_md(state, text, request: gr.Request):
            return export("md", state, text, request)

        def export_json(request: gr.Request):
            return export_conversations("json", request)

        def export_csv(request: gr.Request):
            return export_conversations("csv", request)

        demo.load(who_is, None, who)
        demo.load(list_saved, None, [saved, pick])
        draft_outputs = [current, body, bases, status]
        generate.click(make, [question, earlier, industry, region, stage], draft_outputs)
        regenerate.click(make, [question, earlier, industry, region, stage], draft_outputs)
        save.click(store, [current, body], [current, status]).then(list_saved, None, [saved, pick])
        to_docx.click(export_docx, [current, body], [exported, status])
        to_md.click(export_md, [current, body], [exported, status])
        refresh_saved.click(list_saved, None, [saved, pick])
        pick.change(open_saved, pick, [current, body, bases, question, status])
        conv_json.click(export_json, None, conv_file)
        conv_csv.click(export_csv, None, conv_file)
    return demo
