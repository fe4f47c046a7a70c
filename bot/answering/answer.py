"""What an answer is: text with [n] markers, the citations behind them, and how it was made."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from knowledge import ScoredChunk
from prompts import default_prompts, worded


@dataclass
class Citation:
    """One numbered source shown under an answer."""

    n: int
    source: str
    title: str
    article_label: str | None
    page: int | None
    quote: str
    doc_id: str = ""
    chunk_id: str = ""
    breadcrumb: str = ""
    chapter: str | None = None
    effective_date: str | None = None
    status: str | None = None
    also_in: list[str] = field(default_factory=list)


@dataclass
class Answer:
    """An answer ready to show; ``abstained`` when the knowledge base did not cover the question.

    ``mode`` is 'llm' or 'extractive'; ``fallback`` is a one-line notice when an LLM was configured
    but its answer could not be used (the extractive answer is shown instead); ``prompt`` names the
    prompt template and version that produced the answer; ``dropped`` counts generated sentences
    removed by the citation check; ``declined`` when the model said the passages do not answer a question that
    retrieval found covered (the extractive answer is shown, and the question is listed as a knowledge gap);
    ``passages`` holds the whole text of each cited passage by chunk id, for showing the sources under the answer.
    """

    answer: str
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    abstained: bool = False
    language: str = "zh"
    notice: str = ""
    support: float = 0.0
    prompt: str = ""
    fallback: str = ""
    dropped: int = 0
    declined: bool = False
    passages: dict[str, str] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        """The ``ipbot ask --json`` shape."""
        return {
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "abstained": self.abstained,
            "language": self.language,
            "notice": self.notice,
            "fallback": self.fallback,
            "prompt": self.prompt,
            "dropped_sentences": self.dropped,
            "model_declined": self.declined,
        }


DISCLAIMER = worded("answer", "disclaimer")
SOURCES_HEADING = worded("answer", "sources_heading")


def answer_body(answer: Answer) -> str:
    """The answer's text without the closing list of sources (and anything after it)."""
    return answer.answer.split("\n\n" + SOURCES_HEADING[answer.language], 1)[0]


def source_label(meta: dict) -> str:
    """《title》 article (or page) of a chunk, for the list of sources."""
    parts = [f"《{meta.get('title', '')}》"]
    if meta.get("article_label"):
        parts.append(meta["article_label"])
    elif meta.get("page"):
        parts.append(f"p.{meta['page']}")
    label = " ".join(parts)
    also = [a["source"] for a in meta.get("also_in", [])]
    return f"{label}（same text: {'; '.join(also)}）" if also else label


def make_citation(n: int, hit: ScoredChunk, quote: str) -> Citation:
    """A numbered citation of one retrieved chunk."""
    m = hit.chunk.metadata
    return Citation(n=n, source=m.get("source", ""), title=m.get("title", ""), article_label=m.get("article_label"),
                    page=m.get("page"), quote=quote, doc_id=hit.chunk.doc_id, chunk_id=hit.chunk.chunk_id,
                    breadcrumb=m.get("breadcrumb", ""), chapter=m.get("chapter"), effective_date=m.get("effective_date"),
                    status=m.get("status"), also_in=[a["source"] for a in m.get("also_in", [])])


def sources_footer(labels: list[str], language: str) -> str:
    """The numbered list of sources closing an answer."""
    return SOURCES_HEADING[language] + "\n" + "\n".join(f"[{n}] {label}" for n, label in enumerate(labels, 1))


def no_such_article(language: str, law: str, article: int, articles: tuple[int, int] | None, human_channel: str) -> Answer:
    """The answer to a question naming an article that the law, as indexed, does not have (never another article)."""
    prompt = default_prompts().get("no_article", language)
    if language == "zh":
        held = f"第{articles[0]}条至第{articles[1]}条" if articles else "（无编号条文）"
    else:
        held = f"Articles {articles[0]}–{articles[1]}" if articles else "no numbered articles"
    text = prompt.render(law=law, article=article, articles=held, human_channel=human_channel)
    return Answer(text, [], "extractive", True, language, DISCLAIMER[language], 0.0, prompt.ref)


def abstention(language: str, human_channel: str, support: float = 0.0, mode: str = "extractive", fallback: str = "") -> Answer:
    """The answer given when the knowledge base does not cover the question."""
    prompt = default_prompts().get("abstain", language)
    return Answer(prompt.render(human_channel=human_channel), [], mode, True, language, DISCLAIMER[language], support,
                  prompt.ref, fallback)
