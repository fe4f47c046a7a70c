"""Exports: draft replies as Markdown footnotes and as Word footnotes; the chat log as JSON and CSV."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

import docx
import pytest

from bot.answering import Answer, BotError, Citation
from bot.office import Conversations, Draft, DraftStore, docx_footnotes, draft_docx, draft_from_answer, draft_markdown, legal_bases, open_app_db

ANSWER = Answer(
    "根据知识库中的规定：\n- 小型企业可以请求减缴百分之八十五的年费[1]。\n- 年费为每年三百元[2]。\n依据：《示例保护法》第五条[1]。\n"
    "下一步：\n1. 向示例管理局提交减缴请求[3]。\n\n出处：\n[1] 《示例保护法》 第五条",
    [Citation(1, "law.md", "示例保护法", "第五条", None, "小型企业……可以请求减缴百分之八十五的年费。", effective_date="2021-03-01", status="in_force"),
     Citation(2, "law.md", "示例保护法", "第四条", None, "年费为每年三百元。"),
     Citation(3, "guide.md", "蓝色风车指南<b>", "怎么申请", 3, "向示例管理局提交申请书 & 照片。")],
    language="zh", support=0.8)


@pytest.fixture
def draft() -> Draft:
    return draft_from_answer("小型企业的示例权年费可以减缴多少？", ANSWER, {"industry": "制造业", "region": "", "stage": "初创期"},
                             "请拨打 12330。", "海州市知识产权公共服务中心", date(2030, 5, 1))


def test_draft_has_greeting_points_numbered_bases_steps_and_disclaimer(draft):
    body = draft.body
    assert body.startswith("您好！")
    assert "（行业：制造业；发展阶段：初创期）" in body and "地区" not in body
    assert "1. 小型企业可以请求减缴百分之八十五的年费[1]。" in body
    assert "二、法律依据与出处\n1. 《示例保护法》第五条（施行日期 2021-03-01）\n2. 《示例保护法》第四条\n3. 《蓝色风车指南<b>》怎么申请" in body
    assert "三、建议办理步骤\n1. 向示例管理局提交减缴请求[3]。" in body
    assert "不构成法律意见" in body and "请拨打 12330。" in body and body.endswith("海州市知识产权公共服务中心\n2030-05-01")
    assert "出处：" not in body
    assert legal_bases(draft)[0] == "1. 《示例保护法》第五条（施行日期 2021-03-01）"


def test_an_abstained_answer_leaves_places_for_staff():
    d = draft_from_answer("绿色风筝？", Answer("知识库没有覆盖", abstained=True), {}, "12330", "中心")
    assert d.body.count("【待工作人员补充】") == 3 and d.citations == []


def test_markdown_export_uses_footnotes(draft):
    text = draft_markdown(draft)
    assert text.startswith("# 答复意见（草稿）\n")
    assert "减缴百分之八十五的年费[^1]。" in text and "[1]" not in text
    assert "[^1]: 《示例保护法》第五条（施行日期 2021-03-01）：“小型企业……可以请求减缴百分之八十五的年费。”" in text
    assert "[^3]: 《蓝色风车指南<b>》怎么申请：“向示例管理局提交申请书 & 照片。”" in text


def test_docx_export_has_real_word_footnotes(draft):
    data = draft_docx(draft)
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "答复意见（草稿）" in text and "减缴百分之八十五的年费。" in text and "[1]" not in text
    notes = docx_footnotes(data)
    assert len(notes) == 3  # the basis line is listed under the legal bases, not repeated as a key point
    assert notes[0].startswith("《示例保护法》第五条") and notes[2] == "《蓝色风车指南<b>》怎么申请：“向示例管理局提交申请书 & 照片。”"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        assert body.count("<w:footnoteReference") == 3
        assert "footnotes+xml" in z.read("[Content_Types].xml").decode()
        assert "relationships/footnotes" in z.read("word/_rels/document.xml.rels").decode()


def test_edited_markers_without_a_source_stay_text(draft):
    draft.body += "\n另见[9]。"
    assert "另见[9]。" in draft_markdown(draft)
    assert len(docx_footnotes(draft_docx(draft))) == 3


def test_drafts_are_saved_updated_and_listed(tmp_path, draft):
    store = DraftStore(open_app_db(tmp_path))
    saved = store.save(draft, "li.wei")
    assert saved.id and saved.author == "li.wei" and saved.citations == draft.citations
    saved.body += "\n（已审核）"
    again = store.save(saved, "someone-else")
    assert again.id == saved.id and again.author == "li.wei" and again.body.endswith("（已审核）")
    assert [d.id for d in store.list()] == [saved.id]
    with pytest.raises(BotError, match="no saved draft 42"):
        store.get(42)
    with pytest.raises(BotError, match="empty"):
        store.save(Draft("q", "  "), "x")


def test_conversations_export_json_and_csv(tmp_path):
    log = Conversations(open_app_db(tmp_path))
    first = log.record("s1", "年费减缴多少？", ANSWER)
    log.record("s2", "绿色风筝？", Answer("不知道", abstained=True))
    log.rate(first, -1, "太长了, \"引号\"")
    rows = json.loads(log.export("json"))
    assert [r["question"] for r in rows] == ["年费减缴多少？", "绿色风筝？"]
    assert rows[0]["rating"] == -1 and rows[0]["comment"] == "太长了, \"引号\"" and rows[0]["citations"][0]["title"] == "示例保护法"
    text = log.export("csv").decode("utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0]["comment"] == "太长了, \"引号\"" and parsed[0]["citations"].startswith("[1] 《示例保护法》第五条")
    assert parsed[1]["abstained"] == "True"
    with pytest.raises(BotError, match="xml"):
        log.export("xml")


def test_a_source_cited_twice_is_one_footnote_referenced_twice(draft):
    draft.body += "\n再次说明：小型企业可以请求减缴[1]。"
    data = draft_docx(draft)
    notes = docx_footnotes(data)
    assert len(notes) == 3 and len(set(notes)) == 3
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
    assert body.count("<w:footnoteReference") == 4 and body.count('w:footnoteReference w:id="1"') == 2
