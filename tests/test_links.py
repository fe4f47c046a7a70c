"""Question links: our questions linked to the articles that answer them, found by a new question close to one."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bot.answering import Assistant
from bot.answering.ranking import FEATURES
from ingest import ingest_paths
from knowledge.links import LINKS_FILE, LinkIndex, QuestionLink, default_link_index, load_links

LAW = "中华人民共和国示例保护法"


class CountingEmbedder:
    """The real embedder, counting how many questions it embedded."""

    def __init__(self, inner):
        self.inner, self.dim, self.name, self.calls = inner, inner.dim, inner.name, 0

    def embed_query(self, text):
        self.calls += 1
        return self.inner.embed_query(text)


def test_the_bundled_links_load_and_their_shipped_embeddings_match_the_default_model(embedder, tmp_path):
    links = load_links()
    assert len(links) > 200 and all(link.articles for link in links)
    counting = CountingEmbedder(embedder)
    index = default_link_index(counting, tmp_path)
    assert counting.calls == 0 and index.vectors.shape == (len(links), embedder.dim)
    question = links[0].question
    assert index.nearest(embedder.embed_query(question), 1)[0][0] == links[0]


def test_a_malformed_links_file_is_named_with_its_line(tmp_path):
    path = tmp_path / "links.jsonl"
    path.write_text(json.dumps({"question": "专利保护多久？", "links": [{"law": LAW, "article": 3}]}, ensure_ascii=False)
                    + "\n" + json.dumps({"question": "没有条文"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: not a question link"):
        load_links(path)


def test_embeddings_are_cached_once_per_model_and_own_questions_can_be_skipped(embedder, tmp_path):
    links = [QuestionLink("风车外形的保护能管几年？", ((LAW, 3),)), QuestionLink("年费太贵交不起怎么办？", ((LAW, 5),))]
    counting = CountingEmbedder(embedder)
    LinkIndex(links, counting, tmp_path)
    assert counting.calls == 2 and len(list(tmp_path.glob("question_links-*.npz"))) == 1
    again = LinkIndex(links, counting, tmp_path)
    assert counting.calls == 2
    vector = embedder.embed_query("年费太贵交不起怎么办？")
    assert again.nearest(vector, 1)[0][0] == links[1]
    assert again.nearest(vector, 1, skip_question="年费太贵交不起怎么办？")[0][0] == links[0]
    assert LinkIndex([], counting).nearest(vector) == []


def test_a_question_close_to_a_linked_one_brings_its_article_into_the_results(settings, kb, docs_dir, embedder):
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    assistant = Assistant(settings, kb)
    links = [QuestionLink("公司资金紧张，风车这块的钱能不能少给点？", ((LAW, 5),)),
             QuestionLink("风车图案能用多少年？", ((LAW, 3),))]
    assistant.retriever.links = LinkIndex(links, embedder)
    question = "公司资金紧张，风车这块的钱能不能少付一些？"
    hits = assistant.search(question, k=6)
    linked = [h for h in hits if h.signals.link]
    assert any(h.chunk.metadata.get("article") == 5 for h in linked)
    best = max(linked, key=lambda h: h.signals.link)
    assert best.chunk.metadata.get("article") == 5 and best.signals.link == 1.0

    assistant.retriever.links = LinkIndex(links[:1], embedder)
    assistant.hold_out_linked_questions()
    assert not [h for h in assistant.search(links[0].question, k=6) if h.signals.link]


def test_links_can_be_switched_off_and_then_add_no_signal(settings, kb, docs_dir):
    list(ingest_paths(kb, [docs_dir / "example-law.md"]))
    off = Assistant(settings.model_copy(update={"question_links": False}), kb)
    assert off.retriever.links is None
    hits = off.search("年费能不能少交？", k=5)
    assert hits and not any(h.signals.link for h in hits)
    assert {"link", "link_votes"} <= set(FEATURES)


def test_the_links_name_only_articles_our_question_sets_gold_and_no_development_question():
    dev = LINKS_FILE.parents[1].parent / "shared" / "eval" / "dev_retrieval.jsonl"
    if not dev.exists():
        pytest.skip("../shared is not here")
    exam = {json.loads(line)["query"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = [json.loads(line) for line in LINKS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not exam & {r["question"] for r in rows}
    assert all(not r["from"].startswith(("hz-c", "hz-d", "he-g", "hm-h")) for r in rows)
    assert np.all([isinstance(link["article"], int) for r in rows for link in r["links"]])


def test_a_top_passage_answering_a_close_linked_question_counts_as_coverage():
    from bot.answering.relevance import coverage
    from knowledge import ChunkRecord, HitSignals, ScoredChunk
    from knowledge.lexical import BM25Index

    index = BM25Index()
    chunk = ChunkRecord("c1", "d", 0, "示例权人应当自授权当年起缴纳年费。")
    index.add("c1", ["示例", "权人", "年费"])

    def cover(ranks):
        return coverage("老板说那个钱今年能不能缓一缓？", [ScoredChunk(chunk, 1.0, HitSignals(**ranks))], index, 0.34, 0.89, 0.90, 0.93)

    assert not cover({}).covered
    assert cover({"link": 1.0, "link_cosine": 0.95}).covered
    assert cover({"link": 1.0, "link_cosine": 0.95}).linked == 0.95
    assert not cover({"link": 1.0, "link_cosine": 0.92}).covered
    assert not cover({"link": 0.6, "link_cosine": 0.95}).covered


def test_a_broken_own_links_file_is_reported_and_the_bundled_links_still_serve(embedder, tmp_path, caplog):
    (tmp_path / "question_links.jsonl").write_text('{"question": "专利多久"}\n', encoding="utf-8")
    index = default_link_index(embedder, tmp_path)
    assert len(index.links) == len(load_links()) and "own question links are not used" in caplog.text
    (tmp_path / "question_links.jsonl").write_text(
        json.dumps({"question": "风车图案能用多少年？", "links": [{"law": LAW, "article": 3}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    merged = default_link_index(embedder, tmp_path)
    assert len(merged.links) == len(load_links()) + 1 and merged.vectors.shape[0] == len(merged.links)
    assert merged.nearest(embedder.embed_query("风车图案能用多少年？"), 1)[0][0].articles == ((LAW, 3),)
