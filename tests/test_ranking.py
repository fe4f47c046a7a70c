"""The second-stage linear ranker: its weights file, its features and its effect on real searches."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bot.answering import Assistant
from bot.answering.answertype import asked_types, type_match
from bot.answering.definitions import defined_terms, defines_asked_term
from bot.answering.ranking import CHOICE_FEATURES, FEATURES, WEIGHTS_FILE, LinearRanker, SearchSignals, _cross_references, feature_matrix, make_ranker
from ingest import ingest_paths
from knowledge import ChunkRecord, tokenize
from knowledge.lexical import BM25Index


def test_shipped_weights_name_every_feature_and_nothing_else():
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES)
    assert set(data["weights"]) == set(FEATURES)
    assert all(data["scale"][f] > 0 for f in FEATURES)
    assert set(data["choice"]["weights"]) == set(FEATURES) and all(data["choice"]["scale"][f] > 0 for f in FEATURES)
    assert LinearRanker.load().choice is not None


def test_multiple_choice_rows_are_scored_by_the_multiple_choice_weights():
    ranker = LinearRanker({"dense": 1.0}, choice=LinearRanker({"bm25": 1.0}))
    rows = np.zeros((2, len(FEATURES)))
    rows[0, FEATURES.index("dense")] = 1.0
    rows[1, FEATURES.index("bm25")] = 1.0
    assert ranker.score(rows).tolist() == [1.0, 0.0]
    rows[:, FEATURES.index("choice")] = 1.0
    assert ranker.score(rows).tolist() == [0.0, 1.0]
    assert LinearRanker({"dense": 1.0}).score(rows).tolist() == [1.0, 0.0]


def test_bad_ranker_names_and_weights_are_named_with_the_valid_ones():
    with pytest.raises(ValueError, match="valid rankers: linear, rrf"):
        make_ranker("neural")
    with pytest.raises(ValueError, match="unknown features \\['bogus'\\].*valid features: rrf"):
        LinearRanker({"bogus": 1.0})
    assert make_ranker("rrf") is None
    assert isinstance(make_ranker("linear"), LinearRanker)


def test_linear_ranker_standardises_then_weighs():
    ranker = LinearRanker({"dense": 2.0, "bm25": -1.0}, mean={"dense": 0.5}, scale={"dense": 0.25})
    rows = np.zeros((2, len(FEATURES)))
    rows[0, FEATURES.index("dense")] = 1.0
    rows[1, FEATURES.index("bm25")] = 1.0
    assert ranker.score(rows).tolist() == pytest.approx([4.0, -4.0 - 1.0])


@pytest.mark.parametrize("question, kinds", [
    ("发明专利能用多少年？", {"duration"}),
    ("How long does a trademark last?", {"duration"}),
    ("这个logo的版权归谁？", {"owner"}),
    ("商标质押要到哪里登记？", {"office"}),
    ("被告了要赔多少钱？", {"amount", "liability"}),
    ("专利法的立法目的", set()),
    ("收到了侵权警告函，我们能主动做点什么？", {"remedy"}),
    ("偷偷拍的照片能当证据吗？", {"evidence"}),
])
def test_questions_name_the_kind_of_answer_they_need(question, kinds):
    assert asked_types(question) == kinds


def test_passages_are_matched_to_the_kind_of_answer():
    assert type_match({"duration"}, "发明专利权的期限为二十年，自申请日起计算。") == 1.0
    assert type_match({"duration"}, "发明专利申请应当限于一项发明。") == 0.0
    assert type_match({"duration", "amount"}, "年费为每年三百元。") == 0.5
    assert type_match(set(), "任何文字") == 0.0
    assert type_match({"remedy"}, "被警告人可以向人民法院提起确认不侵权之诉。") == 1.0
    assert type_match({"evidence"}, "当事人可以申请证据保全。") == 1.0


@pytest.mark.parametrize("passage, terms", [
    ("第二条 本法所称的发明创造是指发明、实用新型和外观设计。\n发明，是指对产品、方法或者其改进所提出的新的技术方案。\n"
     "实用新型，是指对产品的形状、构造或者其结合所提出的适于实用的新的技术方案。", {"发明创造", "发明", "实用新型"}),
    ("前款所称无效宣告请求的理由，是指被授予专利的发明创造不符合专利法第二条规定的。", {"无效宣告请求的理由"}),
    ("本条例所称“中小企业”，是指在境内依法设立的企业。", {"中小企业"}),
    ("本条例所称计算机软件(以下简称软件)，是指计算机程序及其有关文档。", {"计算机软件", "软件"}),
    ("本法所称的出版，指作品的复制、发行。", {"出版"}),
    ("本法所称的商标指导意见由国务院制定。", set()),
    ("发明专利权的期限为二十年，自申请日起计算。", set()),
])
def test_definitions_are_read_from_the_article_text(passage, terms):
    assert defined_terms(passage) == frozenset(terms)


def test_a_definition_counts_only_for_a_term_the_question_uses():
    article = "实用新型，是指对产品的形状、构造或者其结合所提出的适于实用的新的技术方案。"
    assert defines_asked_term("下列哪个属于实用新型专利保护的客体？", article)
    assert not defines_asked_term("外观设计专利权的期限是多久？", article)
    assert not defines_asked_term("实用新型的期限是多久？", "实用新型专利权的期限为十年。")


def _article(cid: str, doc: str, title: str, n: int, label: str, text: str) -> ChunkRecord:
    return ChunkRecord(cid, doc, n, text, {"title": title, "article": n, "article_label": label})


def test_an_article_cited_by_a_strong_candidate_of_another_document_is_linked_to_it():
    law = _article("law45", "patent-law", "中华人民共和国专利法", 45, "第四十五条", "第四十五条 任何单位或者个人认为该专利权的授予不符合本法有关规定的，可以请求宣告该专利权无效。")
    rule = _article("rule69", "patent-rules", "中华人民共和国专利法实施细则", 69, "第六十九条",
                    "第六十九条 依照《专利法》第四十五条的规定，请求宣告专利权无效的，应当提交无效宣告请求书。")
    same_doc = _article("law46", "patent-law", "中华人民共和国专利法", 46, "第四十六条", "第四十六条 对依照本法第四十五条提出的请求，应当及时审查。")
    unrelated = _article("law14", "patent-law", "中华人民共和国专利法", 14, "第十四条", "第十四条 依照专利法第四条的规定……")
    cites, cited_by = _cross_references([law, rule, same_doc, unrelated], {"law45": 0.9, "rule69": 0.2, "law46": 0.5, "law14": 0.4})
    assert cites == {"rule69": 0.9}
    assert cited_by == {"law45": 0.2}


def test_multiple_choice_questions_get_their_own_copy_of_the_main_signals():
    chunks = [_article("a", "law", "示例法", 1, "第一条", "第一条 实用新型，是指对产品的形状所提出的技术方案。"),
              _article("b", "law", "示例法", 2, "第二条", "第二条 专利权的期限为十年。")]
    index = BM25Index()
    for c in chunks:
        index.add(c.chunk_id, tokenize(c.text))
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.6, 0.8])}

    def rows(options: list[list[str]]) -> np.ndarray:
        signals = SearchSignals([["实用新型"]], [np.array([1.0, 0.0])], {"a": 1, "b": 2}, ["实用新型"], {"a": 1}, options, set(),
                          "下列哪个属于实用新型？")
        return feature_matrix(chunks, {"a": 0.2, "b": 0.1}, signals, index, vectors)

    free, choice = rows([]), rows([["产品"], ["期限"]])
    assert free.shape == choice.shape == (2, len(FEATURES))
    copies = [FEATURES.index(f"choice_{f}") for f in CHOICE_FEATURES]
    originals = [FEATURES.index(f) for f in CHOICE_FEATURES]
    assert not free[:, copies].any() and not free[:, FEATURES.index("choice")].any()
    assert (choice[:, FEATURES.index("choice")] == 1.0).all()
    assert np.array_equal(choice[:, copies], choice[:, originals])
    assert choice[0, FEATURES.index("defines")] == 1.0 and choice[1, FEATURES.index("defines")] == 0.0


def test_bm25_keeps_each_chunks_terms_until_it_is_removed():
    index = BM25Index()
    index.add("a", ["专利", "期限", "期限"])
    index.add("b", ["商标"])
    assert index.terms_of("a") == {"专利", "期限"}
    index.remove("a")
    assert index.terms_of("a") == frozenset() and index.search(["期限"]) == []
    assert index.search(["商标"])[0][0] == "b"


def test_ranker_reorders_real_results_and_keeps_the_same_candidates(settings, kb, docs_dir):
    list(ingest_paths(kb, [docs_dir]))
    linear = Assistant(settings, kb)
    fused = Assistant(settings.model_copy(update={"ranker": "rrf"}), kb)
    assert linear.retriever.ranker is not None and fused.retriever.ranker is None
    question = "示例权保护多少年？"
    ours, theirs = linear.search(question, k=20), fused.search(question, k=20)
    assert {h.chunk.chunk_id for h in ours} == {h.chunk.chunk_id for h in theirs}
    assert "十二年" in ours[0].chunk.text
    assert [h.score for h in ours] == sorted((h.score for h in ours), reverse=True)


def test_named_articles_stay_first_under_the_ranker(settings, kb, docs_dir):
    list(ingest_paths(kb, [docs_dir]))
    hits = Assistant(settings, kb).search("示例保护法第五条", k=5)
    assert hits[0].chunk.metadata.get("article") == 5 and hits[0].signals.article_ref
