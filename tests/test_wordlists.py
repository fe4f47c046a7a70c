"""Word lists kept as data (knowledge/words/): the loader, the shape of each table, and the behaviour built on them."""
from __future__ import annotations

import re

import pytest

from knowledge.wordlists import WORDS_DIR, read_mapping, read_table, read_words


def test_comments_blank_lines_and_order(tmp_path):
    path = tmp_path / "sample.tsv"
    path.write_text("# what this is\n\nb\t2\n a \t 1 \n", encoding="utf-8")
    assert read_table(path, 2) == [("b", "2"), ("a", "1")]
    assert list(read_mapping(path).items()) == [("b", "2"), ("a", "1")]


@pytest.mark.parametrize("text, line", [("# header\nkey\tvalue\nlonely\n", 3), ("# header\n\n\tvalue\n", 3),
                                        ("a\tb\tc\n", 1), ("a\t \n", 1)])
def test_a_malformed_row_names_the_file_and_line(tmp_path, text, line):
    path = tmp_path / "bad_table.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad_table\.tsv:{line}:"):
        read_table(path, 2)


def test_a_tab_in_a_word_list_and_a_repeated_key_are_refused(tmp_path):
    words = tmp_path / "bad_words.txt"
    words.write_text("# header\none\ntwo\tthree\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad_words\.txt:3:"):
        read_words(words)
    table = tmp_path / "twice.tsv"
    table.write_text("# header\nk\t1\nk\t2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"twice\.tsv:3: key 'k' given twice"):
        read_mapping(table)


def test_every_word_file_has_a_header_and_loads():
    files = sorted(WORDS_DIR.iterdir())
    assert files
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("# "), path.name
        assert read_words(path) if path.suffix == ".txt" else read_mapping(path), path.name


def test_the_moved_tables_have_their_shape():
    from bot.answering import expansion, followup, relevance
    from ingest import docmeta

    assert isinstance(followup.SUBJECTS_ZH, list) and followup.SUBJECTS_ZH[:2] == ["软件著作权", "计算机软件著作权"]
    assert isinstance(followup.SUBJECTS_EN, list) and followup.SUBJECTS_EN[-1] == "inventions?"
    assert all(re.compile(p) for p in followup.SUBJECTS_EN)
    assert isinstance(followup._QUESTION_WORDS, set) and {"多久", "how", "long"} <= followup._QUESTION_WORDS
    assert len(expansion._TOPIC_WORDS) == 12 and expansion._TOPIC_WORDS["sme"] == "中小企业 小微 sme"
    assert expansion._TITLE_TOPICS["软件"] == "software copyright"
    assert {t for topics in expansion._TITLE_TOPICS.values() for t in topics.split()} <= set(expansion._TOPIC_WORDS)
    assert list(relevance._EN_HINTS)[:2] == ["how long", "how many years"] and relevance._EN_HINTS["fine"] == "罚款"
    assert set(docmeta._HEADER_KEYS.values()) == {"doc_type", "jurisdiction", "updated", "status", "authority", "effective_date"}
    assert set(docmeta._TYPE_WORDS.values()) <= set(docmeta.DOC_TYPES)
    assert set(docmeta._STATUS_WORDS.values()) <= set(docmeta.STATUSES) and docmeta._STATUS_WORDS["in force"] == "in_force"
    assert isinstance(docmeta._AUTHORITIES, tuple) and docmeta._AUTHORITIES[:2] == ("全国人民代表大会常务委员会", "全国人民代表大会")


def test_behaviour_built_on_the_tables():
    from bot.answering.expansion import question_topics, title_topics
    from bot.answering.followup import rewrite_followup, subject_of
    from ingest.docmeta import extract_metadata
    from ingest.model import Block, ParsedDocument

    assert subject_of("外观设计专利保护多少年？") == "外观设计专利"
    assert subject_of("How long does a design patent last?") == "design patent"
    assert rewrite_followup("那实用新型呢？", ["外观设计专利保护多少年？"]) == "实用新型保护多少年？"
    assert question_topics("网店被投诉商标侵权") == {"trademark", "ecommerce"}
    assert title_topics("计算机软件保护条例") == frozenset({"software", "copyright"})
    doc = ParsedDocument("x.md", "示例指引", [Block("示例指引", level=1), Block("国家知识产权局 发布")], "markdown",
                         {"header": {"类型": "问答", "Status": "Repealed"}})
    meta = extract_metadata(doc)
    assert (meta["doc_type"], meta["status"], meta["authority"]) == ("faq", "repealed", "国家知识产权局")
