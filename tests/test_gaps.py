"""Knowledge gaps: grouping similar questions, and closing a gap with an FAQ entry that is cited at once."""
from __future__ import annotations

import pytest

from bot.answering import Answer
from bot.office import GapError, GapQuestion, faq_markdown, group_questions, jaccard, open_services


def q(i: int, text: str, when: str = "2030-01-01T00:00:00+00:00") -> GapQuestion:
    return GapQuestion(i, text, when, ["abstained"])


def test_jaccard():
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 0.0
    assert jaccard({"x"}, {"x"}) == 1.0


def test_similar_questions_are_grouped_with_counts_and_dates():
    items = [q(1, "紫色灯塔的夜航费怎么退还？", "2030-01-01T08:00:00+00:00"),
             q(2, "商标被抢注了怎么办？", "2030-01-02T08:00:00+00:00"),
             q(3, "紫色灯塔夜航费如何退还", "2030-01-03T08:00:00+00:00"),
             q(4, "紫色灯塔的夜航费怎么退还？", "2030-01-04T08:00:00+00:00")]
    groups = group_questions(items, 0.5)
    assert [g.count for g in groups] == [3, 1]
    lighthouse = groups[0]
    assert lighthouse.id == 1 and lighthouse.exchange_ids == [1, 3, 4]
    assert lighthouse.question == "紫色灯塔的夜航费怎么退还？"
    assert (lighthouse.first_at, lighthouse.last_at) == ("2030-01-01T08:00:00+00:00", "2030-01-04T08:00:00+00:00")
    assert groups[1].questions == ["商标被抢注了怎么办？"]


def test_unrelated_questions_stay_apart_and_a_high_threshold_splits():
    items = [q(1, "How long does a patent last?"), q(2, "How long does a trademark last?"), q(3, "蓝色风车年费多少")]
    assert len(group_questions(items, 0.9)) == 3
    assert group_questions([], 0.5) == []


def test_faq_markdown_is_in_the_knowledge_base_format():
    text = faq_markdown("#  小微企业\n可以减免吗？", "## 可以\n减免百分之八十五。")
    assert text.startswith("# 常见问题：小微企业 可以减免吗？")
    assert "> 类型：问答 | 适用范围：全国 | 状态：现行" in text
    assert "## 问：小微企业 可以减免吗？\n\n答：＃# 可以\n减免百分之八十五。" in text
    assert faq_markdown("Can I?", "Yes.").count("## Q: Can I?") == 1


@pytest.fixture
def services(settings, docs_dir, embedder):
    from ingest import ingest_paths
    from knowledge import KnowledgeBase
    from bot.answering import Assistant

    kb = KnowledgeBase(settings.data_dir, embedder)
    assert all(o.status == "indexed" for o in ingest_paths(kb, [docs_dir]))
    return open_services(settings, Assistant(settings, kb=kb))


def test_gap_candidates_and_resolution_become_a_cited_faq(services):
    s = services
    question = "绿色风筝比赛的报名截止日期是哪天？"
    unanswered = s.assistant.ask(question, s.public_filters())
    assert unanswered.abstained
    first = s.conversations.record("visitor-1", question, unanswered)
    second = s.conversations.record("visitor-2", "绿色风筝比赛报名截止日期", s.assistant.ask("绿色风筝比赛报名截止日期"))
    answered = s.assistant.ask("小型企业的示例权年费可以减缴多少？")
    liked = s.conversations.record("visitor-3", "小型企业的示例权年费可以减缴多少？", answered)
    disliked = s.conversations.record("visitor-4", "示例权年费怎么交？", answered)
    s.conversations.rate(disliked, -1, "没说在哪里交")
    s.conversations.rate(liked, 1)

    groups = s.gaps.open_groups()
    kite = next(g for g in groups if first in g.exchange_ids)
    assert kite.count == 2 and second in kite.exchange_ids and "abstained" in kite.reasons
    fee = next(g for g in groups if disliked in g.exchange_ids)
    assert fee.reasons == ["disliked"] and fee.comments == ["没说在哪里交"]
    assert not any(liked in g.exchange_ids for g in groups)

    with pytest.raises(GapError, match="write the answer"):
        s.gaps.resolve(kite.id, " ", "staffer")
    doc_id = s.gaps.resolve(kite.id, "绿色风筝比赛的报名截止日期是每年六月三十日（依据：《示例保护法》第二条）。", "staffer")
    assert (s.settings.data_dir / "faq" / f"{doc_id}.md").exists()
    assert all(kite.id != g.id for g in s.gaps.open_groups())
    with pytest.raises(GapError, match="no open gap group"):
        s.gaps.resolve(kite.id, "again", "staffer")
    assert s.gaps.resolved()[0]["count"] == 2 and s.gaps.resolved()[0]["faq_doc_id"] == doc_id
    assert s.audit.entries()[0].action == "gap.resolve"

    now = s.assistant.ask(question, s.public_filters())
    assert not now.abstained and "六月三十日" in now.answer
    assert any(c.doc_id == doc_id for c in now.citations)


def test_rating_an_unknown_answer_is_refused(services):
    from bot.answering import BotError

    with pytest.raises(BotError, match="no answer 999"):
        services.conversations.rate(999, -1)
    eid = services.conversations.record("s", "问题", Answer("答", abstained=True))
    with pytest.raises(BotError, match="1 or -1"):
        services.conversations.rate(eid, 5)
