"""Answers that state the asked fact first, in a conversation: follow-ups that keep the attribute or the subject,
one sentence for one fact however many sources say it, FAQ answers without their labels, next steps only for
what-to-do questions, an English opening over Chinese law, and a model's NO_ANSWER on a covered question."""
from __future__ import annotations

import re

import pytest

from conftest import FAKE_LAW, GUIDE
from fake_openai import FakeOpenAI, reply

PATENT_TERMS = """# 专利的期限与类型（测试指南）

> 类型：指南 | 适用范围：全国 | 更新日期：2030-05-01 | 状态：现行

## 各类专利的定义

实用新型，是指对产品的形状、构造或者其结合所提出的适于实用的新的技术方案。外观设计，是指对产品的形状、图案所作出的富有美感的新设计。

## 保护期

外观设计专利权的期限为十五年，自申请日起计算。实用新型专利权的期限为十年，自申请日起计算。发明专利权的期限为二十年，自申请日起计算。

## 续展

注册商标有效期满需要继续使用的，应当在期满前十二个月内办理续展手续。
"""
FAQ = """# 常见问题：示例权年费减缴

> 类型：问答 | 适用范围：全国 | 状态：现行 | 更新日期：2030-05-01

## 问：小型企业的示例权年费能减多少？

答：小型企业可以请求减缴百分之八十五的年费。减缴后每年只需缴纳四十五元。
"""
STEPS = """# 示例权申请手册

> 类型：指南 | 适用范围：全国 | 更新日期：2030-05-01 | 状态：现行

## 申请材料

申请示例权要向示例管理局提交申请书和风车照片。

## 下一步怎么做

1. 准备申请书和三张风车照片。
2. 向示例管理局提交申请示例权的材料。
"""


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory, embedder):
    from ingest import IngestOptions, collect_files, ingest_file
    from knowledge import KnowledgeBase

    docs = tmp_path_factory.mktemp("answer-first-docs")
    (docs / "example-law.md").write_text(FAKE_LAW, encoding="utf-8")
    (docs / "example-law-copy.md").write_text(FAKE_LAW, encoding="utf-8")  # the same law indexed twice
    (docs / "windmill-guide.md").write_text(GUIDE, encoding="utf-8")
    (docs / "patent-terms.md").write_text(PATENT_TERMS, encoding="utf-8")
    (docs / "faq.md").write_text(FAQ, encoding="utf-8")
    (docs / "steps.md").write_text(STEPS, encoding="utf-8")
    data = tmp_path_factory.mktemp("answer-first-kb")
    kb = KnowledgeBase(data, embedder)
    files, _ = collect_files([docs])
    assert all(ingest_file(kb, f, IngestOptions()).status == "indexed" for f in files)
    return data, kb


def assistant(kb_dir, **overrides):
    from bot.answering import Assistant
    from ipbot.settings import Settings

    data, kb = kb_dir
    return Assistant(Settings(**{"data_dir": data, "llm_backend": "none", "_env_file": None, **overrides}), kb)


def body(answer) -> str:
    from bot.answering import answer_body

    return answer_body(answer)


def test_followups_keep_the_attribute_or_the_subject():
    from bot.answering.followup import rewrite_followup, split_context

    assert rewrite_followup("那实用新型呢？", ["外观设计专利保护多少年？"]) == "实用新型保护多少年？"
    assert rewrite_followup("发明呢？", ["外观设计专利保护多少年？", "那实用新型呢？"]) == "发明专利保护多少年？"
    assert rewrite_followup("如果是软件呢？", ["作品的著作权保护多少年？"]) == "软件著作权保护多少年？"
    assert rewrite_followup("And a utility model?", ["How long does a Chinese invention patent last?"]) == "How long does a Chinese utility model last?"
    assert rewrite_followup("到期了怎么续？要在什么时候办？", ["注册商标的有效期是多久？"]) == "注册商标到期了怎么续？要在什么时候办？（接上文：注册商标的有效期）"
    assert rewrite_followup("它要多久？", ["商标注册怎么申请？"]) == "商标要多久？（接上文：商标注册申请）"
    # what the earlier question was about travels with a follow-up that asks only a new attribute of it
    assert rewrite_followup("这三年是从哪天开始算？", ["别人侵犯我的专利，起诉有没有时间限制？"]) == "专利这三年是从哪天开始算？（接上文：别人侵犯我的专利，起诉有没有时间限制）"
    assert rewrite_followup("What if we miss that deadline?", ["When do we have to pay the patent annual fee each year?"]) == (
        "What if we miss that deadline (patent)? (following: do we have to pay the patent annual fee each year)")
    assert rewrite_followup("发明专利的话是多久？", ["外观设计在国外首次申请后多久内来中国申请能享有优先权？"]).startswith("发明专利在国外首次申请后")
    assert rewrite_followup("商标注册要多久？", ["发明专利保护多久？"]) == "商标注册要多久？"  # its own subject and attribute
    assert rewrite_followup("赔偿能有多少？", ["海关备案有效期几年？"]) == "赔偿能有多少？（接上文：海关备案有效期）"
    assert rewrite_followup("那商标呢？", []) == "那商标呢？"
    # one that only names something new (not a subject of the word lists) asks what was asked before: "how long" stays
    assert rewrite_followup("And for a new fruit tree variety?", ["How long is a plant variety right protected for a new rice variety?"]) == (
        "And for a new fruit tree variety (plant variety)? (following: How long is a plant variety right protected for a new rice variety)")
    assert split_context("赔偿能有多少？（接上文：海关备案有效期几年？）") == ("赔偿能有多少？", "海关备案有效期几年？")
    assert split_context("How long? (following: Is it registered?)") == ("How long?", "Is it registered?")


def test_a_followup_that_changes_the_subject_is_answered_with_the_asked_attribute(kb_dir):
    a = assistant(kb_dir)
    first = a.ask("外观设计专利保护多少年？")
    assert "十五年" in body(first).splitlines()[0]
    follow = a.ask("那实用新型呢？", history=["外观设计专利保护多少年？"])
    lead = body(follow).splitlines()[0]
    assert "实用新型专利权的期限为十年" in lead and "技术方案" not in lead


def test_the_answer_opens_with_the_fact_then_the_legal_basis_with_no_sentence_twice(kb_dir):
    answer = assistant(kb_dir).ask("示例权保护多少年？")
    lines = body(answer).splitlines()
    assert "十二年" in lines[0] and re.search(r"\[1\]", lines[0])
    assert "example-law" in " ".join(answer.citations[0].also_in)  # the same law indexed twice: one source naming both files
    assert lines[1].startswith("依据：《中华人民共和国示例保护法》第三条")
    sentences = [re.sub(r"\[\d+\]", "", s) for line in lines for s in re.split(r"(?<=[。；])", line.lstrip("- ")) if len(s) > 6]
    assert len(sentences) == len(set(sentences))
    assert "下一步" not in answer.answer  # not a what-to-do question


def test_a_faq_re_asked_is_answered_with_its_figures_and_without_its_labels(kb_dir):
    answer = assistant(kb_dir).ask("小型企业的示例权年费能减多少？")
    lead = body(answer).splitlines()[0]
    assert lead.startswith("小型企业可以请求减缴百分之八十五的年费") and "四十五元" in lead
    assert "答：" not in answer.answer and "问：" not in body(answer)


def test_next_steps_only_for_what_to_do_questions_and_of_the_same_task(kb_dir):
    how = assistant(kb_dir).ask("怎么申请示例权？")
    assert "\n\n下一步：\n1. 准备申请书和三张风车照片[" in how.answer
    fee = assistant(kb_dir).ask("示例权的年费是多少钱？")
    assert "下一步" not in fee.answer and "三百元" in body(fee).splitlines()[0]


def test_the_answer_is_composed_from_what_the_search_read_without_going_back_to_the_knowledge_base(kb_dir):
    a = assistant(kb_dir)
    steps = {h.steps.chunk_id for h in a.retrieve("怎么申请示例权？", None) if h.steps is not None}
    hits = [h for h in a.retrieve("怎么申请示例权？", None) if h.chunk.chunk_id not in steps]  # the steps are read with their guide
    assert any(h.steps is not None for h in hits[:3]) and all(h.sentence_cosines for h in hits)
    reads = []
    for name in ("chunks", "get_chunks", "sentence_vectors", "embed_queries", "embeddings", "document"):
        real = getattr(a.kb, name)
        setattr(a.kb, name, lambda *args, _real=real, _name=name, **kw: reads.append(_name) or _real(*args, **kw))
    try:
        how = a.answer("怎么申请示例权？", hits)
    finally:
        for name in ("chunks", "get_chunks", "sentence_vectors", "embed_queries", "embeddings", "document"):
            delattr(a.kb, name)
    assert "\n\n下一步：\n1. 准备申请书和三张风车照片[" in how.answer and set(how.passages) == {c.chunk_id for c in how.citations}
    assert reads == []


def test_an_english_question_over_chinese_law_opens_in_english(kb_dir):
    answer = assistant(kb_dir).ask("How long does a utility model patent last?")
    first = body(answer).splitlines()[0]
    assert re.match(r"^[A-Za-z][^。]*10 years", first) and "实用新型专利权的期限为十年" in first


def test_a_model_that_declines_a_covered_question_gives_the_extractive_answer_and_a_gap(kb_dir, tmp_path):
    from bot.office import Conversations, Gaps, open_app_db

    with FakeOpenAI() as fake:
        fake.push(reply("NO_ANSWER"))
        a = assistant(kb_dir, llm_backend=None, llm_base_url=fake.url, llm_model="m", llm_output="none", llm_max_retries=0)
        answer = a.ask("示例权保护多少年？")
    assert not answer.abstained and answer.declined and answer.fallback and "十二年" in body(answer)
    db = open_app_db(tmp_path)
    conversations = Conversations(db)
    conversations.record("s", "示例权保护多少年？", answer)
    gaps = Gaps(db, conversations, kb_dir[1], tmp_path / "faq", None, None)
    assert [q.reasons[0] for q in gaps.candidates()] == ["declined"]


def test_a_followup_read_with_its_context_is_answered_for_what_it_asks(kb_dir):
    answer = assistant(kb_dir).ask("那年费要交多少钱？", history=["示例权保护多少年？"])
    lead = body(answer).splitlines()[0]
    assert "三百元" in lead and "十二年" not in lead


def test_a_staff_draft_answers_the_clients_followup_first(kb_dir):
    from bot.office import compose_draft

    draft = compose_draft(assistant(kb_dir), "那实用新型呢？", {"industry": "制造业"}, history=["外观设计专利保护多少年？"])
    points = draft.body.split("一、答复要点\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert points[0].startswith("1. 实用新型专利权的期限为十年") and "“那实用新型呢？”" in draft.body
    assert not any(p.lstrip("0123456789. ").startswith("依据") for p in points)


def test_a_model_answer_without_the_quoted_fact_is_not_shown(kb_dir):
    question = "小型企业可以请求减缴示例权年费吗？"
    quoted = assistant(kb_dir).ask(question)
    assert "百分之八十五" in body(quoted).splitlines()[0]
    with FakeOpenAI() as fake:
        fake.push(reply("小型企业缴纳年费确有困难的，可以请求减缴年费[1]。"), reply("小型企业缴纳年费确有困难的，可以请求减缴百分之八十五的年费[1]。"))
        a = assistant(kb_dir, llm_backend=None, llm_base_url=fake.url, llm_model="m", llm_output="none", llm_max_retries=0, llm_sources="quotes")
        vague, full = a.ask(question), a.ask(question)
        user = fake.calls[0]["messages"][-1]["content"]
    assert vague.mode == "extractive" and vague.fallback and "百分之八十五" in body(vague)
    assert full.mode == "llm" and not full.fallback and "百分之八十五" in body(full)
    assert "<source id=1>" in user and "第四条" not in user.split("<source id=2>")[0]  # the quotes, not whole passages


def test_a_small_model_rewrites_the_quoted_answer_and_is_shown_only_when_it_keeps_the_fact(kb_dir):
    question = "外观设计专利保护多少年？"
    quoted = assistant(kb_dir).ask(question)
    assert "十五年" in body(quoted).splitlines()[0]
    with FakeOpenAI() as fake:
        fake.push(reply("外观设计专利保护十五年，从申请日算起。"),  # the number lost: tied to the source that says it
                  reply("外观设计专利保护二十年[1]。"),  # 二十年 is said of the invention patent
                  reply("依据是《专利的期限与类型（测试指南）》[1]。"),  # the legal basis and nothing else
                  reply("外观设计专利保护多少年？"))  # the question again
        a = assistant(kb_dir, llm_backend=None, llm_base_url=fake.url, llm_model="m", llm_output="none", llm_max_retries=0,
                      llm_sources="answer", llm_rewrite_attempts=1)
        answers = [a.ask(question) for _ in range(4)]
        user = fake.calls[0]["messages"][-1]["content"]
    plain, wrong, basis, echo = answers
    assert plain.mode == "llm" and body(plain).startswith("外观设计专利保护十五年，从申请日算起[1]。")
    assert plain.citations[0].quote and "十五年" in plain.citations[0].quote
    # the rewrite replaces the opening lines the model read; the quoted supporting lines and sources follow unchanged
    assert [c.chunk_id for c in plain.citations] == [c.chunk_id for c in quoted.citations]
    lines = body(quoted).split("\n")
    rest = lines[1:] if re.match(r"依据：《[^》]*》[^：]*：", lines[1]) else lines[2:]  # a basis line quoting the article is kept
    assert body(plain).split("\n")[1:] == rest and plain.answer.endswith(quoted.answer[len(body(quoted)):])
    assert body(quoted).splitlines()[0] in user and "<source id=" not in user  # the model reads the quoted answer
    for fallen in (wrong, basis, echo):
        assert fallen.mode == "extractive" and fallen.fallback and "十五年" in body(fallen).splitlines()[0]


def test_a_rewrite_the_checks_turn_down_is_asked_for_again_with_what_its_first_sentence_must_say(kb_dir):
    """A small model's rewrite that loses the fact is not the end of it: the model is asked once more, reading its own
    reply and the quoted opening it must state; the second reply is shown when it passes, the quoted answer when not."""
    question = "外观设计专利保护多少年？"
    opening = body(assistant(kb_dir).ask(question)).splitlines()[0]
    with FakeOpenAI() as fake:
        fake.push(reply("依据是《专利的期限与类型（测试指南）》[1]。"), reply("外观设计专利保护十五年，从申请日算起[1]。"),
                  reply("外观设计专利保护二十年[1]。"), reply("外观设计专利保护多少年？"))
        a = assistant(kb_dir, llm_backend=None, llm_base_url=fake.url, llm_model="m", llm_output="none", llm_max_retries=0,
                      llm_sources="answer")
        again, neither = a.ask(question), a.ask(question)
        calls = [c["messages"] for c in fake.calls]
    assert again.mode == "llm" and not again.fallback and body(again).startswith("外观设计专利保护十五年，从申请日算起[1]。")
    retry = calls[1]
    assert retry[:len(calls[0])] == calls[0]  # the same conversation, then the model's reply and what it must say
    assert retry[len(calls[0])] == {"role": "assistant", "content": "依据是《专利的期限与类型（测试指南）》[1]。"}
    assert retry[-1]["role"] == "user" and opening in retry[-1]["content"]
    assert neither.mode == "extractive" and neither.fallback and "十五年" in body(neither).splitlines()[0]
    assert len(calls) == 4  # two asks per question at most (llm_rewrite_attempts)


def test_a_second_rewrite_is_read_without_what_it_echoes_of_its_prompt():
    from bot.answering.generate import without_echo

    echoed = "摘录第一句：外观设计专利权的期限为十五年[1]。\n改写：外观设计专利保护十五年[1]。摘录说的是期限[1]。"
    assert without_echo(echoed) == "外观设计专利保护十五年[1]。"
    assert without_echo("First quoted sentence: 期限为十五年[1]。\nRewritten: A design patent lasts 15 years [1]. "
                        "The quoted sentence says so [1].") == " A design patent lasts 15 years [1]. "


def test_the_guard_reads_the_asked_figure_and_the_options_of_an_either_or_question():
    from bot.answering.assistant import asked_figures, choices_of

    lead = "发明专利权的期限为二十年，实用新型专利权的期限为十年，外观设计专利权的期限为十五年，均自申请日起计算[1]。"
    assert asked_figures("我设计了一款水杯的新外形，申请外观设计专利能保护几年？", lead) == {"15"}
    assert asked_figures("保护期多长？", "期限为二十年[1]。") == {"20"}
    assert choices_of("申请专利的权利归员工还是归公司？") == ["员工", "公司"]
    assert choices_of("申请专利的权利归谁？") == []


def test_an_english_guide_sentence_leads_only_when_it_speaks_of_what_the_law_quoted_does():
    """An English question gets an English guide passage whatever the guide is about; its best sentence leads (or
    supports) only when it holds the question's Chinese terms that the law's sentence holds, not just "patent"."""
    from bot.answering.answerfirst import lead_sentence, speaks_of
    from knowledge import tokenize
    from knowledge.lexical import BM25Index

    index = BM25Index()
    chinese = "拿专利权做质押，要到国家知识产权局办出质登记。"
    for i, text in enumerate([chinese, "专利申请要交申请费。", "专利权的期限为二十年。", "专利年费按年缴纳。"]):
        index.add(f"c{i}", tokenize(text))
    terms = ["pledge", "patent", "专利", "质押", "出质"]
    off_topic, on_topic = "Search the patent databases before filing.", "A patent pledge must be registered with CNIPA."
    assert not speaks_of(off_topic, chinese, terms, index) and speaks_of(on_topic, chinese, terms, index)
    scored = [(1.6, 1, 0, off_topic, 0.1), (1.5, 0, 0, on_topic, 0.3), (1.0, 2, 0, chinese, 0.5)]
    assert lead_sentence(scored, "en", None, terms, index) == (0, on_topic)
    assert lead_sentence(scored[:1] + scored[2:], "en", None, terms, index) == (2, chinese)
    assert lead_sentence(scored[:1] + scored[2:], "en", None) == (1, off_topic)  # without the terms: the score decides


def test_the_guard_turns_down_a_model_answer_that_drops_a_negation_or_one_of_two_opening_sentences():
    """A small model answering "可以" where the law says "不得", or keeping only the first of the two sentences an answer
    to a two-part message opens with, is worse than the quoted answer and is not shown."""
    from bot.answering import Answer, Citation
    from bot.answering.assistant import misses_the_fact

    def answer(text, mode="llm"):
        return Answer(text, [Citation(1, "s", "示例法", "第五条", None, "q", chunk_id="c1")], mode)

    question = "示例权开放许可以后，还能给一家公司独占许可吗？"
    quoted = answer("开放许可的示例权人可以给予普通许可，但不得就该示例权给予独占许可[1]。", "extractive")
    assert misses_the_fact(answer("可以，示例权人可以给予普通许可，也可以就该示例权给予独占许可[1]。"), quoted, question).startswith(
        "it leaves out the negation")
    assert misses_the_fact(answer("开放许可以后只能给普通许可，不能再给独占许可[1]。"), quoted, question) is None
    two = "示例权的保护期为十年，自登记之日起计算，期满可以续展，每次续展十年，续展要在期满前六个月内办理[1]。示例权人死亡后由继承人继承[1]。"
    asked = "示例权保护多久？我去世以后谁来继承？"
    first = "示例权的保护期是十年，从登记之日起计算，期满可以续展，每次十年，要在期满前六个月内办理[1]。"
    assert misses_the_fact(answer(first), answer(two, "extractive"), asked) == "it leaves out what one of the quoted answer's opening sentences says"
    assert misses_the_fact(answer(first + "示例权人死亡后由继承人继承[1]。"), answer(two, "extractive"), asked) is None
