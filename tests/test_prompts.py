"""Prompt templates: checked at load time, versioned by content, rendered with exactly their variables."""
from __future__ import annotations

import hashlib
import shutil

import pytest

from prompts import CONTRACT, PROMPTS_DIR, PromptError, default_prompts, load_prompts


def test_bundled_prompts_load_in_both_languages_with_versions():
    book = default_prompts()
    for name in CONTRACT:
        for language in ("zh", "en"):
            p = book.get(name, language)
            raw = (PROMPTS_DIR / language / f"{name}.txt").read_bytes()
            assert p.ref == f"{name}.{language}@{hashlib.sha256(raw).hexdigest()[:12]}"
            assert p.variables == CONTRACT[name]
    messages = book.get("answer", "zh").messages(question="问题", sources="<source id=1>\n资料\n</source>", count=1, no_answer="NO_ANSWER")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "数据" in messages[0]["content"] and "<source id=1>" in messages[1]["content"]
    assert book.get("abstain", "en").render(human_channel="call 12330").endswith("call 12330")


@pytest.fixture
def prompt_dir(tmp_path):
    d = tmp_path / "prompts"
    for language in ("zh", "en"):
        shutil.copytree(PROMPTS_DIR / language, d / language)
    return d


def test_a_placeholder_that_is_not_declared_is_named(prompt_dir):
    path = prompt_dir / "zh" / "abstain.txt"
    path.write_text("# variables: human_channel\n请联系 {human_channel}，或拨打 {hotline}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"zh/abstain\.txt: placeholder \{hotline\} is not declared"):
        load_prompts(prompt_dir)


def test_a_declared_variable_missing_from_the_template_is_named(prompt_dir):
    path = prompt_dir / "en" / "answer.txt"
    text = path.read_text(encoding="utf-8").replace("{sources}", "(none)")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError, match=r"en/answer\.txt: declared variable sources is never used"):
        load_prompts(prompt_dir)


def test_a_template_that_drops_a_variable_the_code_passes_is_refused(prompt_dir):
    path = prompt_dir / "zh" / "followup.txt"
    path.write_text("# variables: question\n改写：{question}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"zh/followup\.txt: variables do not match what the code passes: missing history"):
        load_prompts(prompt_dir)


def test_missing_template_and_bad_placeholders_are_refused(prompt_dir):
    (prompt_dir / "en" / "translate.txt").unlink()
    with pytest.raises(PromptError, match=r"lacks translate\.txt"):
        load_prompts(prompt_dir)
    extra = prompt_dir / "zh" / "extra.txt"
    extra.write_text("# variables: a\n{a.b}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"zh/extra\.txt: placeholder \{a\.b\} must be a plain lower-case name"):
        load_prompts(prompt_dir, required={})
    extra.write_text("no header {a}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"zh/extra\.txt: needs exactly one header line"):
        load_prompts(prompt_dir, required={})


def test_rendering_with_wrong_variables_names_them():
    p = default_prompts().get("abstain", "zh")
    with pytest.raises(PromptError, match=r"missing human_channel; unexpected phone"):
        p.render(phone="12330")


def _long_article(i: int, relevant: str = "") -> "object":
    from knowledge.records import ChunkRecord, ScoredChunk

    filler = [f"第{i}条第{k}款规定蓝色风车的造型、颜色、叶片数量和安装位置，由示例管理局登记并公告。" for k in range(40)]
    if relevant:
        filler[25] = relevant
    return ScoredChunk(ChunkRecord(f"c{i}", "law", i, f"第{i}条 " + "".join(filler),
                                   {"title": "示例保护法", "article_label": f"第{i}条"}), 1.0 / i)


@pytest.mark.parametrize("language,structured", [("zh", False), ("zh", True), ("en", False), ("en", True)])
def test_a_4k_model_still_gets_four_sources_trimmed_to_what_the_question_asks(language, structured):
    from types import SimpleNamespace

    from bot.answering.generate import MESSAGE_OVERHEAD_TOKENS, build_messages
    from bot.answering.llm import LLMConfig
    from knowledge import count_tokens

    llm = SimpleNamespace(config=LLMConfig(model="local", context_tokens=4096, max_answer_tokens=800))
    hits = [_long_article(i, "示例权的期限为十二年，自申请日起计算。" if i == 3 else "") for i in range(1, 11)]
    assert all(count_tokens(h.chunk.text) > 1500 for h in hits)
    question = "示例权的期限是多久？"
    ctx, messages = build_messages(llm, default_prompts().get("answer", language), question, language, hits, structured=structured)
    used = sum(count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in messages)
    assert len(ctx.hits) >= 4 and used + 800 <= 4096
    assert all(f"《示例保护法》 第{n}条" in block.split("\n")[1] for n, block in enumerate(ctx.blocks, 1))
    assert "示例权的期限为十二年，自申请日起计算。" in ctx.blocks[2] and ctx.blocks[2].split("\n")[2].startswith("第3条 ")


def test_wording_is_read_from_files_with_the_same_keys_in_both_languages(tmp_path):
    from prompts import PromptError, load_wording, wording

    bundled = wording()
    assert bundled["zh"]["answer"]["basis"] == "依据：" and bundled["en"]["draft"]["fact_names"]["stage"] == "stage"
    for language in ("zh", "en"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "wording.toml").write_text('[answer]\nbasis = "x"\n', encoding="utf-8")
    assert load_wording(tmp_path)["en"] == {"answer": {"basis": "x"}}
    (tmp_path / "en" / "wording.toml").write_text('[answer]\nbasis = "x"\nsteps = "y"\n', encoding="utf-8")
    with pytest.raises(PromptError, match="answer.steps"):
        load_wording(tmp_path)
    (tmp_path / "en" / "wording.toml").write_text('[answer\n', encoding="utf-8")
    with pytest.raises(PromptError, match="en/wording.toml"):
        load_wording(tmp_path)
