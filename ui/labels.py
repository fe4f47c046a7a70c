"""The interface's words in Chinese and English (the public chat's 中文/English switch), and the starter questions."""
from __future__ import annotations

LANGUAGES = [("中文", "zh"), ("English", "en")]

LABELS = {
    "zh": {
        "title": "# ipbot · 中小微企业知识产权公共服务助手\n申请 · 保护 · 运用 — 每个回答都注明出处，点击 [1] 等编号查看原文。",
        "chat": "对话", "question": "问题", "placeholder": "输入您的问题，例如：小微企业申请专利能减免哪些费用？", "send": "发送",
        "sources": "出处", "no_sources": "回答引用的条文和段落会显示在这里。", "starters": "常见问题",
        "groups": {"apply": "申请", "protect": "保护", "use": "运用"},
        "up": "有帮助", "down": "没帮助", "comment": "意见（可选）", "comment_placeholder": "告诉我们哪里不对或缺了什么",
        "thanks": "谢谢您的反馈！", "rate_first": "请先提问，再评价回答。",
        "rate_limited": "您提问太频繁了：每分钟最多 {limit} 个问题，请 {wait} 秒后再试。",
        "empty": "请输入一个关于专利、商标、版权等知识产权的问题。",
        "too_long": "问题太长了（{length} 字），请精简到 {limit} 字以内再问。",
        "unavailable": "抱歉，服务暂时出现问题，请稍后再试。",
        "notice": "<strong>提示：</strong>以上内容为一般性信息，不构成法律意见；具体事项请咨询专业人士或主管部门。",
        "human": "<strong>人工服务：</strong>{channel}", "staff_link": "工作人员入口",
        "searching": "正在检索知识库…", "where": "位置", "document": "文件", "page": "页码", "effective": "施行日期", "status": "状态", "also_in": "相同内容亦见",
        "statuses": {"in_force": "现行有效", "amended": "已修改", "repealed": "已废止", "draft": "草稿（未发布）", "superseded": "已被新版本取代"},
    },
    "en": {
        "title": "# ipbot · IP public service assistant for small businesses\nFiling · Protection · Commercialization — every answer cites its sources; click [1] etc. to read them.",
        "chat": "Chat", "question": "Question", "placeholder": "Type your question, e.g. How long does a Chinese invention patent last?",
        "send": "Send", "sources": "Sources", "no_sources": "The articles and passages an answer cites appear here.",
        "starters": "Starter questions", "groups": {"apply": "Filing", "protect": "Protection", "use": "Commercialization"},
        "up": "Helpful", "down": "Not helpful", "comment": "Comment (optional)", "comment_placeholder": "Tell us what was wrong or missing",
        "thanks": "Thank you for your feedback!", "rate_first": "Ask a question first, then rate the answer.",
        "rate_limited": "Too many questions: at most {limit} per minute. Please try again in {wait} seconds.",
        "empty": "Please type a question about patents, trademarks, copyright or other IP matters.",
        "too_long": "Your question is too long ({length} characters); please shorten it to at most {limit}.",
        "unavailable": "Sorry, the service ran into a problem. Please try again in a moment.",
        "notice": "<strong>Note:</strong> this is general information, not legal advice; for your specific case consult a professional or the competent authority.",
        "human": "<strong>Talk to a person:</strong> {channel}", "staff_link": "Staff login",
        "searching": "Searching the knowledge base…", "where": "Where", "document": "Document", "page": "Page", "effective": "Effective", "status": "Status", "also_in": "Same text in",
        "statuses": {"in_force": "in force", "amended": "amended", "repealed": "repealed", "draft": "draft (not published)", "superseded": "superseded by a newer version"},
    },
}

STARTERS = {
    "apply": {"zh": ["小微企业申请专利能减免哪些费用？", "商标注册到期了怎么续展？", "软件著作权怎么登记？"],
              "en": ["How do I register a trademark in China?", "What fee reductions can a small company get for a patent?",
                     "How long does a Chinese invention patent last?"]},
    "protect": {"zh": ["我们的商标被抢注了怎么办？", "发现别人仿冒我们的产品，怎么保存侵权证据？", "怎样申请知识产权海关保护备案？"],
                "en": ["Someone copies our product: how do we keep evidence?", "Should we go to the administrative authority or to court?",
                       "How do we record our trademark with customs?"]},
    "use": {"zh": ["专利可以质押贷款吗？", "什么是专利开放许可？", "专利转让需要办理什么手续？"],
            "en": ["Can a patent be pledged for a loan?", "What is a patent open license?", "How is a patent transfer registered?"]},
}


def label(language: str, key: str) -> str:
    """A label of the interface in ``language`` ('zh' or 'en'; anything else is treated as 'zh')."""
    return LABELS.get(language, LABELS["zh"])[key]
