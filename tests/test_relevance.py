"""The abstention signal: word overlap counts only for questions in the IP domain; embeddings count for all."""
from __future__ import annotations

import numpy as np

from bot.answering.relevance import coverage, in_domain, support_of
from knowledge import ChunkRecord, HitSignals, ScoredChunk, tokenize
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
    return [ScoredChunk(ChunkRecord(cid, "d", 0, text), 1.0, HitSignals(**(ranks or {}))) for cid, text in PASSAGES.items()], index


def test_questions_are_in_the_domain_when_they_use_a_glossary_term():
    assert in_domain("发明专利保护多久？") and in_domain("How long does a trademark last?")
    assert not in_domain("在深圳注册一家有限责任公司需要哪些材料？")


def test_word_overlap_alone_does_not_cover_an_out_of_domain_question():
    hits, index = _hits()
    outside = coverage("注册一家有限责任公司需要哪些材料？", hits, index, min_support=0.34, min_dense=0.89, min_sentence=0.90)
    assert outside.support >= 0.34 and not outside.domain and not outside.covered
    inside = coverage("发明专利权的期限是多少年？", hits, index, min_support=0.34, min_dense=0.89, min_sentence=0.90)
    assert inside.domain and inside.covered


def test_everyday_phrasing_is_supported_by_the_statute_terms_it_stands_for():
    index = BM25Index()
    texts = {"secret": "经营者不得以盗窃、贿赂、欺诈或者其他不正当手段获取权利人的商业秘密；违反保密义务披露商业秘密。",
             "term": "发明专利权的期限为二十年，自申请日起计算。"}
    for cid, text in texts.items():
        index.add(cid, tokenize(text))
    hits = [ScoredChunk(ChunkRecord("secret", "d", 0, texts["secret"]), 1.0)]
    question = "工程师辞职后把工艺图纸交给了别家公司，违反了保密协议，怎么办？"
    literal = coverage("工程师把生产流程交给了别家公司，怎么办？", hits, index, 0.34, 0.89, 0.90)
    assert support_of(question, hits, index) >= 0.34 > literal.support
    assert coverage(question, hits, index, 0.34, 0.89, 0.90).covered


def test_a_close_embedding_covers_any_question():
    hits, index = _hits({"sentence_cosine": 0.93})
    assert coverage("注册一家有限责任公司需要哪些材料？", hits, index, 0.34, 0.89, 0.90).covered
    hits, index = _hits({"cosine": 0.80, "sentence_score": 0.85})
    assert not coverage("注册一家有限责任公司需要哪些材料？", hits, index, 0.34, 0.89, 0.90).covered


def test_extractive_answer_leads_with_the_sentence_that_answers_the_everyday_question():
    from bot.answering.extractive import best_sentences

    hits, index = _hits()
    hits = [hits[1], hits[0], hits[2]]
    hits[0] = ScoredChunk(ChunkRecord("term", "d", 0, "发明专利自申请日起满四年才授权的，可以请求补偿。\n" + PASSAGES["term"]), 1.0)
    chosen = best_sentences("发明专利保护多久？", hits, index, max_sentences=2, depth=None)
    assert chosen[0] == (0, "发明专利权的期限为二十年，实用新型专利权的期限为十年，均自申请日起计算。")


def test_sentences_are_ranked_by_how_close_their_embedding_comes_to_the_question():
    from bot.answering.extractive import CLOSENESS_SPAN, best_sentences, sentence_closeness

    hits, index = _hits()
    axis = {"agency": [1.0, 0.0], "term": [0.6, 0.8], "other": [0.0, 1.0]}
    for hit in hits:
        hit.sentence_cosines = (float(np.array(axis[hit.chunk.chunk_id]) @ np.array([0.0, 1.0])),)
    near = sentence_closeness(hits)
    assert near[(2, PASSAGES["other"])] == 1.0
    assert near[(1, PASSAGES["term"])] == 0.0 and 1 - 0.8 > CLOSENESS_SPAN
    # two sentences with the same word overlap: the earlier leads, unless the other is closer in meaning
    two = "发明专利权的期限为二十年。实用新型专利权的期限为十年。"
    index.add("two", tokenize(two))
    hit = [ScoredChunk(ChunkRecord("two", "d", 0, two), 1.0)]
    assert best_sentences("期限是几年？", hit, index, 1, None)[0] == (0, "发明专利权的期限为二十年。")
    chosen = best_sentences("期限是几年？", hit, index, 1, None, closeness={(0, "实用新型专利权的期限为十年。"): 1.0})
    assert chosen[0] == (0, "实用新型专利权的期限为十年。")


def test_the_answer_step_reuses_the_embedding_its_search_made(kb):
    calls = []
    real = kb.embedder.embed_query
    kb.embedder.embed_query = lambda text: calls.append(text) or real(text)
    first = kb.embed_queries(["发明专利保护多久？"])[0]
    again = kb.embed_queries(["发明专利保护多久？", "   "])
    assert calls == ["发明专利保护多久？"] and len(again) == 1 and again[0] is first
    assert not first.flags.writeable


def test_a_list_is_quoted_with_its_lead_in_and_an_item_with_its_list():
    from bot.answering.extractive import with_list_context

    text = ("第七十五条 有下列情形之一的，不视为侵犯专利权：\n（一）专利产品售出后，使用、销售该产品的；\n"
            "（二）在专利申请日前已经制造相同产品的；\n（三）专为科学研究和实验而使用有关专利的。\n前款规定以外的，依法处理。")
    hit = ScoredChunk(ChunkRecord("c", "d", 0, text), 1.0)
    lead = "有下列情形之一的，不视为侵犯专利权："
    assert with_list_context(lead, hit) == lead + "（一）专利产品售出后，使用、销售该产品的；（二）在专利申请日前已经制造相同产品的；（三）专为科学研究和实验而使用有关专利的。"
    assert with_list_context("（一）专利产品售出后，使用、销售该产品的；", hit) == lead + "（一）专利产品售出后，使用、销售该产品的；"
    assert with_list_context("（三）专为科学研究和实验而使用有关专利的。", hit) == lead + "……（三）专为科学研究和实验而使用有关专利的。"
    assert with_list_context("前款规定以外的，依法处理。", hit) == "前款规定以外的，依法处理。"
    long_list = "下列费用可以减缴：\n" + "\n".join(f"（{n}）{'某项费用' * 20}；" for n in "一二三四五")
    quoted = with_list_context("下列费用可以减缴：", ScoredChunk(ChunkRecord("l", "d", 0, long_list), 1.0))
    assert quoted.startswith("下列费用可以减缴：（一）") and "（四）" not in quoted


def test_sentences_in_the_question_language_are_preferred_when_the_passages_offer_both():
    from bot.answering.extractive import best_sentences

    zh = "注册商标的有效期为十年，自核准注册之日起计算。注册商标有效期满需要继续使用的，应当办理续展手续。"
    en = "A registered trademark is valid for ten years from registration. Each renewal adds another ten years."
    index = BM25Index()
    for cid, text in (("zh", zh), ("en", en)):
        index.add(cid, tokenize(text))
    hits = [ScoredChunk(ChunkRecord("zh", "d1", 0, zh), 2.0), ScoredChunk(ChunkRecord("en", "d2", 0, en), 1.0)]
    chosen = best_sentences("How long is a registered trademark valid, and how is it renewed?", hits, index, 3, None)
    english = [s for _, s in chosen if s.isascii()]
    assert len(english) == 2
    chosen = best_sentences("注册商标的有效期是多久？", hits, index, 2, None)
    assert not any(s.isascii() for _, s in chosen)


def test_the_same_fact_is_quoted_once_whatever_the_language_of_its_guides():
    from bot.answering.extractive import best_sentences, restates

    en = "An invention patent lasts 20 years, a utility model 10 years and a design 15 years (Patent Law, Article 42)."
    zh_same = "发明专利权的期限为20年，实用新型为10年，外观设计为15年（依据：《专利法》第四十二条）。"
    zh_more = "请求发明专利权期限补偿，要在授权公告之日起3个月内提出（依据：《专利法实施细则》第七十七条）。"
    assert restates(zh_same, [en], "en") and not restates(zh_same, [en], "zh")
    assert not restates(zh_more, [en], "en") and not restates(en, [zh_more], "en")
    assert not restates("发明专利期限20年。", [en], "en")
    index = BM25Index()
    texts = {"en": en, "zh": zh_same + zh_more}
    for cid, text in texts.items():
        index.add(cid, tokenize(text))
    hits = [ScoredChunk(ChunkRecord("zh", "d1", 0, texts["zh"]), 2.0), ScoredChunk(ChunkRecord("en", "d2", 0, en), 1.0)]
    chosen = [s for _, s in best_sentences("How long does an invention patent last?", hits, index, 3, None)]
    assert en in chosen and zh_same not in chosen and zh_more in chosen


def test_an_english_question_is_supported_by_the_statute_words_of_its_everyday_words():
    text = "平台内经营者接到转送的通知后，可以提交不存在侵权行为的声明；平台在转送声明到达权利人后十五日内未收到起诉通知的，应当及时终止所采取的删除、屏蔽、断开链接等措施。"
    index = BM25Index()
    index.add("p", tokenize(text))
    index.add("q", tokenize("注册商标的有效期为十年。"))
    hits = [ScoredChunk(ChunkRecord("p", "d", 0, text), 1.0, HitSignals(cosine=0.80, sentence_cosine=0.83))]
    question = "After my listing was taken down on a Chinese platform, how do I get it restored?"
    cover = coverage(question, hits, index, 0.34, 0.89, 0.90)
    assert cover.domain and cover.support >= 0.34 and cover.covered
    assert not coverage("What are the opening hours of the museum?", hits, index, 0.34, 0.89, 0.90).covered


def test_questions_without_an_ip_word_need_closer_passages_and_no_word_overlap():
    from bot.answering.relevance import GENERAL_MARGIN, about_ip

    assert about_ip("别人抢注了我们的商标怎么办？") and about_ip("Can I patent an app idea?") and about_ip("隔壁卖的包装和我们一模一样，顾客都买错了")
    assert not about_ip("办理个体工商户营业执照需要哪些材料？") and not about_ip("How do I open a corporate bank account?")
    assert about_ip("Can we get a fee reduction on the annual fee?") and not about_ip("What is the annual business licence fee?")
    index = BM25Index()
    chunk = ChunkRecord("c", "d", 0, "申请登记应当提交申请书和有关材料。")
    index.add("c", tokenize(chunk.text))

    def cover(question, dense):
        hit = ScoredChunk(chunk, 1.0, HitSignals(dense_score=dense, sentence_score=dense))
        return coverage(question, [hit], index, 0.34, 0.89, 0.90)

    assert cover("商标注册申请要提交哪些材料？", 0.895).covered
    assert not cover("营业执照登记申请要提交哪些材料？", 0.895).covered
    assert cover("营业执照登记申请要提交哪些材料？", 0.91 + GENERAL_MARGIN).covered


def test_an_english_question_measures_each_sentence_by_the_terms_of_its_own_language():
    from bot.answering.answerfirst import scored_sentences
    from bot.answering.extractive import _terms

    law = "许可他人使用其注册商标的，许可人应当将其商标使用许可报商标局备案。商标使用许可未经备案不得对抗善意第三人。"
    guide = "The licensee must show its name on the goods. A licensor should keep the licence contract."
    index = BM25Index()
    index.add("law", tokenize(law))
    index.add("guide", tokenize(guide))
    terms = _terms("Do we need to record the trademark license with the office?", index)
    assert "备案" in terms and "商标" in terms, "the statute's words for the everyday English ones"
    hits = [ScoredChunk(ChunkRecord("guide", "g", 0, guide), 1.0), ScoredChunk(ChunkRecord("law", "l", 0, law), 0.9)]
    scored = scored_sentences(terms, hits, index, kind=None, subject=None, depth=None)
    coverage = {s: cov for _, _, _, s, cov in scored}
    assert coverage["许可他人使用其注册商标的，许可人应当将其商标使用许可报商标局备案。"] > 0.5 > coverage["The licensee must show its name on the goods."]
    assert scored[0][3].endswith("报商标局备案。"), "the Chinese sentence is not held back by English words it cannot hold"
