"""The abstention signal: word overlap counts only for questions in the IP domain; embeddings count for all."""
from __future__ import annotations

from bot.relevance import coverage, in_domain
from knowledge import ChunkRecord, ScoredChunk, tokenize
from knowledge.lexical import BM25Index

PASSAGES = {
    "agency": "设立专利代理机构应当符合下列条件：有限责任公司应当有五名以上合伙人或者股东，并提交材料。",
    "term": "发明专利权的期限为二十年，实用新型专利权的期限为十年，均自申请日起计算。",
    "other": "注册商标的有效期为十年，自核准注册之日起计算。",
}


def _hits(ranks: dict | None = None) -> tuple[list[ScoredChunk], BM25Index]:
    index = BM25Index()
    for cid, text in PASSAGES.items():
        index.add(cid, tokenize(text))
    return [ScoredChunk(ChunkRecord(cid, "d", 0, text), 1.0, dict(ranks or {})) for cid, text in PASSAGES.items()], index


def test_questions_are_in_the_domain_when_they_use_a_glossary_term():
    assert in_domain("发明专利保护多久？") and in_domain("How long does a trademark last?")
    assert not in_domain("在深圳注册一家有限责任公司需要哪些材料？")


def test_word_overlap_alone_does_not_cover_an_out_of_domain_question():
    hits, index = _hits()
    outside = coverage("注册一家有限责任公司需要哪些材料？", hits, index, min_support=0.34, min_dense=0.89, min_sentence=0.90)
    assert outside.support >= 0.34 and not outside.domain and not outside.covered
    inside = coverage("发明专利权的期限是多少年？", hits, index, min_support=0.34, min_dense=0.89, min_sentence=0.90)
    assert inside.domain and inside.covered


def test_a_close_embedding_covers_any_question():
    hits, index = _hits({"sentence_cosine": 0.93})
    assert coverage("注册一家有限责任公司需要哪些材料？", hits, index, 0.34, 0.89, 0.90).covered
    hits, index = _hits({"cosine": 0.80, "sentence_score": 0.85})
    assert not coverage("注册一家有限责任公司需要哪些材料？", hits, index, 0.34, 0.89, 0.90).covered


def test_extractive_answer_leads_with_the_sentence_that_answers_the_everyday_question():
    from bot.extractive import best_sentences

    hits, index = _hits()
    hits = [hits[1], hits[0], hits[2]]
    hits[0] = ScoredChunk(ChunkRecord("term", "d", 0, "发明专利自申请日起满四年才授权的，可以请求补偿。\n" + PASSAGES["term"]), 1.0, {})
    chosen = best_sentences("发明专利保护多久？", hits, index, max_sentences=2, depth=None)
    assert chosen[0] == (0, "发明专利权的期限为二十年，实用新型专利权的期限为十年，均自申请日起计算。")
