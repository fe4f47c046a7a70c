"""Question links: everyday questions that we wrote, each linked to the articles that answer it.

A new question close to a linked one (by embedding) is likely answered by the same article: the ranker reads
that as one of its signals. The bundled file is built by ``benchmarks/build_links.py`` from our own question
sets; its embeddings ship beside it (``question_links.npz``) for the default embedding model, and are computed
once and cached in the data directory for any other model. A policy team adds its own links to the data
directory's ``question_links.jsonl`` (``ipbot kb link``); they are used beside the bundled ones.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embeddings import Embedder

LINKS_FILE = Path(__file__).with_name("question_links.jsonl")
LOCAL_LINKS = "question_links.jsonl"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionLink:
    """One question and the (law title, article number) pairs that answer it."""

    question: str
    articles: tuple[tuple[str, int], ...]


def load_links(path: Path = LINKS_FILE) -> list[QuestionLink]:
    """The links in a JSONL file (``{"question": …, "links": [{"law": title, "article": n}]}`` per line);
    a malformed line raises ValueError naming the file and line."""
    links = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            articles = tuple((str(a["law"]), int(a["article"])) for a in row["links"])
            question = str(row["question"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {n}: not a question link ({exc}); expected "
                             '{"question": "...", "links": [{"law": "...", "article": 1}]}') from exc
        if question and articles:
            links.append(QuestionLink(question, articles))
    return links


def _digest(links: list[QuestionLink], model: str) -> str:
    text = model + "\n" + "\n".join(link.question for link in links)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_vectors(path: Path, links: list[QuestionLink], vectors: np.ndarray, model: str) -> None:
    """Store the links' question embeddings with the model name and a digest of the questions."""
    np.savez_compressed(path, vectors=vectors.astype(np.float16), digest=np.array(_digest(links, model)))


def _load_vectors(path: Path, links: list[QuestionLink], model: str) -> np.ndarray | None:
    try:
        with np.load(path) as data:
            if str(data["digest"]) == _digest(links, model) and data["vectors"].shape[0] == len(links):
                return data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        return None
    return None


class LinkIndex:
    """The linked questions' embeddings, searched for the nearest neighbours of an asked question."""

    def __init__(self, links: list[QuestionLink], embedder: Embedder, cache_dir: Path | None = None,
                 shipped: Path | None = None) -> None:
        self.links = links
        self.vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        if not links:
            return
        cached = cache_dir / f"question_links-{_digest(links, embedder.name)}.npz" if cache_dir else None
        for path in (shipped, cached):
            if path is not None and path.exists():
                found = _load_vectors(path, links, embedder.name)
                if found is not None:
                    self.vectors = found
                    return
        log.info("embedding %d linked questions (once per embedding model)", len(links))
        self.vectors = np.stack([embedder.embed_query(link.question) for link in links]).astype(np.float32)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                save_vectors(cached, links, self.vectors, embedder.name)
            except OSError as exc:
                log.warning("could not cache the linked questions' embeddings in %s: %s", cached, exc)

    def merged(self, other: "LinkIndex") -> "LinkIndex":
        """One index over the links of both."""
        both = object.__new__(LinkIndex)
        both.links = self.links + other.links
        both.vectors = np.vstack([self.vectors, other.vectors]) if len(other.vectors) else self.vectors
        return both

    def nearest(self, vector: np.ndarray, k: int = 5, skip_question: str | None = None) -> list[tuple[QuestionLink, float]]:
        """The ``k`` linked questions closest to a question's embedding, with their cosines, closest first;
        ``skip_question`` leaves out a linked question of exactly that text (for evaluating on the questions
        the links were made from)."""
        if not len(self.vectors):
            return []
        scores = self.vectors @ np.asarray(vector, dtype=np.float32)
        out = []
        for i in np.argsort(-scores):
            if skip_question is not None and self.links[i].question == skip_question:
                continue
            out.append((self.links[i], float(scores[i])))
            if len(out) == k:
                break
        return out


def add_link(data_dir: Path, question: str, law: str, article: int) -> bool:
    """Append a link to the data directory's own links file; False when that exact link is there already."""
    path = Path(data_dir) / LOCAL_LINKS
    existing = load_links(path) if path.exists() else []
    if any(link.question == question and (law, article) in link.articles for link in existing):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"question": question, "links": [{"law": law, "article": int(article)}]}, ensure_ascii=False) + "\n")
    return True


def local_links(data_dir: Path) -> list[QuestionLink]:
    """The links a policy team added to this data directory (none when it has no links file)."""
    path = Path(data_dir) / LOCAL_LINKS
    return load_links(path) if path.exists() else []


def default_link_index(embedder: Embedder, data_dir: Path | None) -> LinkIndex:
    """The bundled links (with their shipped embeddings when they were made by this embedding model) and the data
    directory's own links, embedded once and cached there; a malformed own-links file is logged and left out, so
    the service keeps answering."""
    bundled = LinkIndex(load_links(LINKS_FILE), embedder, data_dir, LINKS_FILE.with_suffix(".npz"))
    try:
        own = local_links(data_dir) if data_dir is not None else []
    except ValueError as exc:
        log.warning("the knowledge base's own question links are not used: %s", exc)
        own = []
    return bundled.merged(LinkIndex(own, embedder, data_dir)) if own else bundled
