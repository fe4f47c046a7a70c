"""What an answer is: text with [n] markers, the citations behind them, and how it was made."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


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


@dataclass
class Answer:
    """An answer ready to show; ``abstained`` when the knowledge base did not cover the question."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    abstained: bool = False
    language: str = "zh"
    notice: str = ""
    support: float = 0.0

    def to_dict(self) -> dict:
        """The ``ipbot ask --json`` shape."""
        return {
            "answer": self.answer,
            "citations": [{k: v for k, v in asdict(c).items()} for c in self.citations],
            "mode": self.mode,
            "abstained": self.abstained,
            "language": self.language,
            "notice": self.notice,
        }


DISCLAIMER = {
    "zh": "以上为一般性信息，不构成法律意见；具体事项请咨询专业人士或主管部门。",
    "en": "This is general information, not legal advice; for your specific case consult a professional or the competent authority.",
}
ABSTAIN = {
    "zh": "知识库中没有找到能回答这个问题的内容，我不作猜测。",
    "en": "The knowledge base does not cover this question, so I will not guess.",
}
