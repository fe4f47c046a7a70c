"""The bilingual IP glossary (``glossary.tsv``): Chinese terms and their English equivalents.

A Chinese term may appear on several lines with different English variants; its first line gives
the gloss shown to readers.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from .wordlists import read_table

GLOSSARY_FILE = Path(__file__).with_name("glossary.tsv")
LAW_ALIASES_FILE = Path(__file__).with_name("law_aliases.tsv")


def read_pairs(path: Path, shape: str) -> tuple[tuple[str, str], ...]:
    """The two-column lines of a TSV data file (``#`` comments and blank lines skipped); ValueError naming the file, the
    line and the expected ``shape`` ('zh<TAB>en') for a line that is not two non-empty fields."""
    return tuple(read_table(path, 2, shape))


@functools.lru_cache(maxsize=1)
def _pairs() -> tuple[tuple[str, str], ...]:
    return read_pairs(GLOSSARY_FILE, "zh<TAB>en")


def load_glossary() -> list[tuple[str, str]]:
    """Every (Chinese, English) pair of the glossary, in file order."""
    return list(_pairs())


@functools.lru_cache(maxsize=1)
def _english_index() -> tuple[re.Pattern, dict[str, list[str]]]:
    by_phrase: dict[str, list[str]] = {}
    for zh, en in _pairs():
        key = _phrase_key(en)
        if zh not in by_phrase.setdefault(key, []):
            by_phrase[key].append(zh)
    alternatives = sorted(by_phrase, key=len, reverse=True)
    body = "|".join(r"[\s\-]+".join(re.escape(w) for w in p.split(" ")) for p in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?:s|es)?(?![\w-])", re.IGNORECASE), by_phrase


@functools.lru_cache(maxsize=1)
def _chinese_index() -> tuple[re.Pattern, dict[str, str]]:
    gloss: dict[str, str] = {}
    for zh, en in _pairs():
        gloss.setdefault(zh, en)
    return re.compile("|".join(re.escape(z) for z in sorted(gloss, key=len, reverse=True))), gloss


def _phrase_key(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.lower()).strip()


def _strip_plural(found: str, known: dict[str, list[str]]) -> str:
    key = _phrase_key(found)
    for cut in (0, 1, 2):
        candidate = key[: len(key) - cut] if cut else key
        if candidate in known:
            return candidate
    return key


def en_to_zh(text: str) -> list[str]:
    """Chinese terms for the English IP phrases in ``text``.

    Longer phrases win over the shorter ones inside them ("design patent" before "patent");
    terms come in the order their phrases appear, each once, every Chinese variant of a phrase included.
    """
    pattern, known = _english_index()
    out: list[str] = []
    for m in pattern.finditer(text):
        for zh in known.get(_strip_plural(m.group(0), known), []):
            if zh not in out:
                out.append(zh)
    return out


def zh_terms_in(text: str) -> list[tuple[str, str]]:
    """(Chinese term, English gloss) for the glossary terms in Chinese ``text``, longest match first, each once, in order."""
    pattern, gloss = _chinese_index()
    out: list[tuple[str, str]] = []
    for m in pattern.finditer(text):
        pair = (m.group(0), gloss[m.group(0)])
        if pair not in out:
            out.append(pair)
    return out


@functools.lru_cache(maxsize=1)
def law_aliases() -> tuple[tuple[str, str], ...]:
    """(alias, name in the law's title) pairs of ``law_aliases.tsv``: 版权法 → 著作权法, 专利细则 → 专利法实施细则."""
    return read_pairs(LAW_ALIASES_FILE, "alias<TAB>name")
