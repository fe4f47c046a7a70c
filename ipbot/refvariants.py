"""Generated article references for the reference-parser benchmark and its test: for each article of the indexed laws,
the ways people write "that article" — law name with words before it (我国, 现行, a subject label) or as an alias,
the number in Chinese, Arabic or full-width digits, with or without 第 and spaces, and a question after it."""
from __future__ import annotations

import random
from dataclasses import dataclass

from bot.answering.numerals import int_to_zh
from knowledge import law_aliases

PREFIXES = ("", "", "我国", "中国", "现行", "请问", "根据", "商标问题：", "专利咨询", "想问一下", "关于")
SUFFIXES = ("", "", "的内容是什么？", "怎么规定的", "讲了什么", "是怎么说的？", " 原文", "规定了什么内容", "第一款")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Variant:
    """One generated reference and the article it names."""

    query: str
    title: str
    article: int
    kind: str


def law_names(title: str) -> list[str]:
    """The names a person may use for the law of ``title``: the title, without 中华人民共和国, in 《》, and its aliases."""
    core = title.replace("中华人民共和国", "").strip()
    names = [title, core, f"《{core}》", f"《{title}》"]
    names += [alias for alias, name in law_aliases() if name == core and alias != core]
    return list(dict.fromkeys(names))


def numbers(article: int) -> list[tuple[str, str]]:
    """(kind, text) of the ways to write article ``article``."""
    zh, arabic = int_to_zh(article), str(article)
    return [("zh", f"第{zh}条"), ("arabic", f"第{arabic}条"), ("fullwidth", f"第{arabic.translate(_FULLWIDTH)}条"),
            ("no-di", f"{arabic}条"), ("no-di-zh", f"{zh}条"), ("spaced", f" 第 {arabic} 条"), ("bare", arabic)]


def variants(title: str, article: int, rng: random.Random, per_article: int = 4) -> list[Variant]:
    """``per_article`` references to one article, each a different numeral form, names and noise drawn by ``rng``."""
    names, forms = law_names(title), numbers(article)
    picked = rng.sample(forms, min(per_article, len(forms)))
    out = []
    for kind, number in picked:
        name = rng.choice(names)
        suffix = rng.choice(SUFFIXES)
        if kind == "bare" and suffix[:1] not in ("", " ", "的"):
            suffix = " " + suffix
        alias = "alias" if name.strip("《》") not in (title, title.replace("中华人民共和国", "")) else "title"
        out.append(Variant(f"{rng.choice(PREFIXES)}{name}{number}{suffix}", title, article, f"{kind}/{alias}"))
    return out


def articles_of(assistant) -> list[tuple[str, int]]:
    """(title, article) of every numbered article indexed, 之一 articles left out (they share their number)."""
    seen: dict[tuple[str, int], None] = {}
    for doc in assistant.kb.documents():
        for chunk in assistant.kb.chunks(doc.doc_id):
            number, label = chunk.metadata.get("article"), chunk.metadata.get("article_label") or ""
            if isinstance(number, int) and "之" not in label:
                seen[(doc.title, number)] = None
    return list(seen)


def generated_set(assistant, per_article: int = 4, seed: int = 15) -> list[Variant]:
    """The generated references to every article of the knowledge base (the same set for the same index and seed)."""
    rng = random.Random(seed)
    return [v for title, article in articles_of(assistant) for v in variants(title, article, rng, per_article)]


def score_references(assistant, items: list[Variant], search: bool = True) -> dict:
    """Resolution accuracy and (``search``) hit@1 of the search on generated references, by numeral form and name kind,
    with the misses; and, per law, whether a reference past its last article is answered as not existing."""
    from bot.answering import SearchFilters

    everything = SearchFilters()
    by_kind: dict[str, list[int]] = {}
    resolved_ok = hits = 0
    misses = []
    for v in items:
        resolved = assistant.resolve(v.query)
        good = bool(resolved) and resolved[0]["law"] == v.title and resolved[0]["article"] == v.article
        resolved_ok += good
        hit = good
        if search:
            top = assistant.search(v.query, 1, everything)
            hit = bool(top) and top[0].chunk.metadata.get("title") == v.title and top[0].chunk.metadata.get("article") == v.article
        hits += hit
        for key in (v.kind.split("/")[0], v.kind.split("/")[1]):
            by_kind.setdefault(key, [0, 0])
            by_kind[key][0] += hit
            by_kind[key][1] += 1
        if not hit:
            misses.append({"query": v.query, "title": v.title, "article": v.article, "resolved": resolved[:1]})
    laws: dict[str, int] = {}
    for title, article in articles_of(assistant):
        laws[title] = max(article, laws.get(title, 0))
    absent = [assistant.resolve(f"{title}第{last + 100}条") for title, last in laws.items()]
    said_absent = sum(bool(r) and not r[0]["found"] for r in absent)
    n = max(len(items), 1)
    return {"references": len(items), "resolved": round(resolved_ok / n, 4), "hit@1": round(hits / n, 4),
            "by_kind": {k: round(a / b, 4) for k, (a, b) in sorted(by_kind.items())},
            "absent_articles": len(absent), "absent_said_absent": said_absent, "misses": misses}
