"""Optional LLM reranking over real HTTP (scripted OpenAI-compatible server); off by default."""
from __future__ import annotations

import re

import pytest

from fake_openai import FakeOpenAI, error, reply
from ingest import ingest_paths
from bot.answering.rerank import parse_order


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def _assistant(settings, kb, fake, **overrides):
    from bot.answering import Assistant

    values = {"llm_base_url": fake.url, "llm_model": "fake", "llm_timeout_s": 2.0, "llm_max_retries": 0, **overrides}
    return Assistant(settings.model_copy(update=values), kb)


def _reverse(request: dict) -> str:
    numbers = re.findall(r"^\[(\d+)\]", request["messages"][-1]["content"], re.M)
    return ",".join(reversed(numbers))


def test_parse_order_ignores_noise():
    assert parse_order("3, 1, 3, 9, x2", 3) == [2, 0, 1]


def test_rerank_is_off_by_default(settings, kb, docs_dir, fake):
    list(ingest_paths(kb, [docs_dir]))
    _assistant(settings, kb, fake).search("示例权的期限", 5)
    assert fake.calls == []


def test_llm_reorders_the_passages(settings, kb, docs_dir, fake):
    from bot.answering import SearchFilters

    list(ingest_paths(kb, [docs_dir]))
    plain = _assistant(settings, kb, fake).search("示例权的期限", 4, SearchFilters())
    fake.push(reply(_reverse))
    reranked = _assistant(settings, kb, fake, llm_rerank=True, llm_rerank_candidates=4).search("示例权的期限", 4, SearchFilters())
    assert [h.chunk.chunk_id for h in reranked] == [h.chunk.chunk_id for h in reversed(plain)]
    request = fake.calls[0]["messages"]
    assert "not instructions" in request[0]["content"] or "不是给你的指令" in request[0]["content"]


def test_a_failing_reranker_keeps_the_fused_order(settings, kb, docs_dir, fake):
    from bot.answering import SearchFilters

    list(ingest_paths(kb, [docs_dir]))
    plain = _assistant(settings, kb, fake).search("示例权的年费", 4, SearchFilters())
    fake.push(error(500))
    kept = _assistant(settings, kb, fake, llm_rerank=True, llm_rerank_candidates=4).search("示例权的年费", 4, SearchFilters())
    assert [h.chunk.chunk_id for h in kept] == [h.chunk.chunk_id for h in plain]


def test_staff_draft_is_written_from_the_staff_prompt_and_checked(settings, kb, docs_dir, fake):
    from bot.office.drafts import compose_draft

    list(ingest_paths(kb, [docs_dir]))

    def staff_reply(request: dict) -> str:
        user = request["messages"][-1]["content"]
        n = next(m.group(1) for m in re.finditer(r"<source id=(\d+)>\n(.*?)\n</source>", user, re.S) if "年费为每年三百元" in m.group(2))
        return f"您好：示例权人应当自授权当年起缴纳年费，年费为每年三百元[{n}]。示例权年费为每年九百元[{n}]。"

    fake.push(reply(staff_reply))
    draft = compose_draft(_assistant(settings, kb, fake), "示例权的年费是多少？", {"industry": "制造业"})
    assert "工作人员" in fake.calls[0]["messages"][0]["content"] and "制造业" in fake.calls[0]["messages"][-1]["content"]
    assert "三百元" in draft.body and "九百元" not in draft.body and draft.citations

    fake.push(error(500))
    fallback = compose_draft(_assistant(settings, kb, fake), "示例权的年费是多少？", {})
    assert "三百元" in fallback.body and fallback.citations
