"""Article references as people write them, resolved against laws the test writes (never the shared corpus):
every article of each law, referenced in generated variants, is found first; an article that does not exist is
answered as such, never with another article."""
from __future__ import annotations

import json

import pytest

from bot.answering import Assistant
from bot.answering.numerals import int_to_zh, zh_to_int
from bot.answering.references import find_references
from ingest import ingest_paths
from ipbot.refvariants import generated_set, score_references
from tests.conftest import run_cli

TOPICS = {"中华人民共和国专利法": ("发明创造", 45), "中华人民共和国专利法实施细则": ("申请文件", 30),
          "中华人民共和国著作权法": ("作品登记", 25), "中华人民共和国反不正当竞争法": ("经营行为", 20),
          "计算机软件保护条例": ("软件开发", 15)}
FILES = {"中华人民共和国专利法": "patent.md", "中华人民共和国专利法实施细则": "patent-rules.md",
         "中华人民共和国著作权法": "copyright.md", "中华人民共和国反不正当竞争法": "competition.md", "计算机软件保护条例": "software.md"}
COLOURS = "红橙黄绿青蓝紫黑白灰"


def _law(title: str, topic: str, count: int) -> str:
    lines = [f"# {title}", ""]
    for n in range(1, count + 1):
        if n % 10 == 1:
            lines += [f"## 第{int_to_zh(n // 10 + 1)}章 {topic}第{n // 10 + 1}部分", ""]
        colour = COLOURS[n % 10] + COLOURS[n // 10 % 10]
        lines += [f"第{int_to_zh(n)}条 {topic}的第{n}项要求：{colour}色标记的{topic}材料应当在{n + 3}日内提交，逾期视为放弃。", ""]
        if title.endswith("反不正当竞争法") and n == 20:
            lines += [f"第二十条之一 {topic}的补充要求：紫金色标记的材料另行处理。", ""]
    return "\n".join(lines)


@pytest.fixture
def laws(tmp_path, settings, kb):
    d = tmp_path / "laws"
    d.mkdir()
    for title, (topic, count) in TOPICS.items():
        (d / FILES[title]).write_text(_law(title, topic, count), encoding="utf-8")
    list(ingest_paths(kb, [d]))
    return Assistant(settings, kb)


@pytest.mark.parametrize("text, law, article, extra", [
    ("我国专利法22条", "专利法", 22, {}),
    ("现行版权法第十条讲什么", "著作权法", 10, {}),
    ("实施细则（专利）第六条", "专利法实施细则", 6, {}),
    ("专利细则 第 6 条", "专利法实施细则", 6, {}),
    ("商标问题商标法第三十条", "商标法", 30, {}),
    ("专利法第２２条第三款第二项", "专利法", 22, {"paragraph": 3, "item": 2}),
    ("反法第二十条之一", "反不正当竞争法", 20, {"suffix": "之一"}),
    ("电商法 第9条", "电子商务法", 9, {}),
    ("第22条在专利法里说了什么", "专利法", 22, {}),
    ("张某依据专利法第9条及实施细则第41条", "专利法实施细则", 41, {"index": 1}),
    ("商标法第3条和实施条例第5条", "商标法实施条例", 5, {"index": 1}),
])
def test_references_are_parsed_through_noise_numerals_and_aliases(text, law, article, extra):
    ref = find_references(text)[extra.pop("index", 0)]
    assert (ref.law, ref.article) == (law, article)
    for key, value in extra.items():
        assert getattr(ref, key) == value


def test_numbers_that_are_not_articles_are_not_read_as_references():
    for text in ("专利法十分重要", "专利法20年保护期", "专利法第二章讲什么", "商标注册要3个月", "第三款怎么理解"):
        assert find_references(text) == [], text
    assert [r.article for r in find_references("商标法第三十、三十一条和第32条")] == [30, 31, 32]


def test_chinese_numerals_round_trip():
    assert all(zh_to_int(int_to_zh(n)) == n for n in range(1, 1200))


def test_every_generated_reference_finds_its_article_first(laws):
    items = generated_set(laws, per_article=3)
    assert len(items) >= 3 * 130 and {v.kind.split("/")[1] for v in items} == {"title", "alias"}
    result = score_references(laws, items, search=True)
    assert result["hit@1"] >= 0.99, result["misses"][:10]
    assert result["absent_said_absent"] == result["absent_articles"] == len(TOPICS)


def test_an_article_that_does_not_exist_is_answered_as_such(laws):
    answer = laws.ask("专利法第二百条规定了什么？")
    assert answer.abstained and not answer.citations
    assert "没有第200条" in answer.answer and "第1条至第45条" in answer.answer
    english = laws.ask("What does Article 300 of the Patent Law say?")
    assert english.abstained and "has no Article 300" in english.answer
    found = laws.ask("专利法第二十二条规定了什么？")
    assert not found.abstained and found.citations[0].article_label == "第二十二条"


def test_search_json_says_what_it_resolved(laws, settings):
    res = run_cli("search", "我国专利法22条", "--json", "--k", "2", "--data-dir", str(settings.data_dir))
    assert res.returncode == 0, res.stderr
    first = json.loads(res.stdout.splitlines()[0])
    assert first["resolved"][0]["law"] == "中华人民共和国专利法" and first["resolved"][0]["article"] == 22
    assert first["resolved"][0]["found"] is True and first["article_label"] == "第二十二条"
    missing = run_cli("search", "专利法第二百条", "--json", "--data-dir", str(settings.data_dir))
    lines = [json.loads(x) for x in missing.stdout.splitlines()]
    assert lines and all(line["resolved"] == [{"law": "中华人民共和国专利法", "article": 200, "found": False,
                                                "doc_id": lines[0]["resolved"][0]["doc_id"]}] for line in lines)


def test_the_same_law_indexed_twice_is_one_hit_naming_both_sources(tmp_path, settings, kb):
    d = tmp_path / "twice"
    d.mkdir()
    text = _law("中华人民共和国专利法", "发明创造", 12)
    (d / "patent.md").write_text(text, encoding="utf-8")
    (d / "patent-copy.txt").write_text(text.replace("# ", "").replace("## ", ""), encoding="utf-8")
    list(ingest_paths(kb, [d]))
    assistant = Assistant(settings, kb)
    hits = assistant.search("发明创造的第7项要求是什么", 5)
    texts = [h.chunk.text for h in hits]
    assert len(texts) == len(set(texts)) and hits[0].chunk.metadata["article"] == 7
    assert [a["doc_id"] for a in hits[0].chunk.metadata["also_in"]] != [] and hits[0].chunk.metadata["also_in"][0]["doc_id"] != hits[0].chunk.doc_id
    answer = assistant.ask("发明创造的第7项要求是什么")
    assert answer.citations and answer.citations[0].also_in and "same text" in answer.answer


def test_a_case_with_several_questions_is_split_into_them():
    from bot.answering.query import split_issues
    from bot.answering.retrieval import plan_query

    case = ("甲公司于2019年研发出一种新型节能灯，并于2020年3月提交了发明专利申请。乙公司在2020年1月的展会上展出了相同技术的产品。"
            "丙是甲公司的员工，离职后将该技术泄露给丁公司。问：(1)甲公司的申请是否具备新颖性？(2)丙的行为是否构成侵犯商业秘密？(3)该专利权的期限是多久？")
    facts, issues = split_issues(case)
    assert issues == ["甲公司的申请是否具备新颖性？", "丙的行为是否构成侵犯商业秘密？", "该专利权的期限是多久？"] and facts.startswith("甲公司于2019年")
    running = "甲公司的商标于2010年核准注册，到2020年底才想起来续展。同时乙公司在同类商品上使用了近似标志，销量很大。请问甲公司还能续展吗？乙公司的行为是否侵权？"
    assert split_issues(running)[1] == ["请问甲公司还能续展吗？", "乙公司的行为是否侵权？"]
    assert split_issues("专利保护多少年？发明呢？")[1] == []
    assert split_issues("下列说法正确的是？\nA. 甲可以申请专利，因为他是发明人，依法享有申请权利\nB. 乙不得申请专利，因为他不是发明人，依法不享有申请权利")[1] == []
    assert plan_query(case).dense[1:] == issues


def test_a_law_preamble_does_not_outrank_its_articles(settings, kb, docs_dir):
    list(ingest_paths(kb, [docs_dir]))
    assistant = Assistant(settings, kb)
    hits = assistant.search("中华人民共和国示例保护法第一届示例代表大会", 20)
    kinds = [h.chunk.metadata.get("kind") for h in hits]
    assert "preamble" in kinds and "article" not in kinds[kinds.index("preamble"):]
    history = assistant.search("中华人民共和国示例保护法是哪一年通过的", 3)
    assert history[0].chunk.metadata.get("kind") == "preamble"


def test_kb_list_flags_laws_without_an_effective_date(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "dated.md").write_text(_law("中华人民共和国专利法", "发明创造", 3) + "\n第四条 本法自2021年6月1日起施行。\n", encoding="utf-8")
    (d / "undated.md").write_text(_law("中华人民共和国著作权法", "作品登记", 3), encoding="utf-8")
    data = tmp_path / "var"
    assert run_cli("ingest", str(d), "--data-dir", str(data)).returncode == 0
    res = run_cli("kb", "list", "--data-dir", str(data))
    assert res.returncode == 0, res.stderr
    assert "2021-06-01" in res.stdout and "⚠ missing" in res.stdout and "1 law(s) in force have no effective date" in res.stderr


def test_an_article_of_a_law_that_is_not_indexed_is_never_answered_with_another(settings, kb, docs_dir):
    list(ingest_paths(kb, [docs_dir]))  # the example law and a guide, no 商标法
    assistant = Assistant(settings, kb)
    answer = assistant.ask("商标法第二百条规定了什么？")
    assert answer.abstained and not answer.citations
    quoted = assistant.ask("示例保护法第三条")  # indexed: answered from the article
    assert not quoted.abstained and quoted.citations[0].article_label == "第三条"


def test_only_a_look_up_is_answered_with_no_such_article(laws):
    from bot.answering.references import lookup_only

    assert lookup_only("专利法第二百条规定了什么？") and lookup_only("我国专利法22条")
    assert not lookup_only("根据专利法第二百条，甲公司在展会上展出产品后申请专利，是否影响新颖性？")
    answer = laws.ask("根据专利法第二百条，发明创造的第3项要求是什么？")
    assert "没有第200条" not in answer.answer  # a case that mentions an article on the way is answered as a question
