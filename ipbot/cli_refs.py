"""``ipbot bench refs``: how well written article references resolve (generated from every indexed article)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import bench_app, console, default_shared, index_corpus, out, settings_for
from .evaluation import write_report


@bench_app.command("refs")
def bench_refs(
    corpus: Annotated[Optional[Path], typer.Option(help="Directory of law documents to index (default: ../shared/corpus).")] = None,
    per_article: Annotated[int, typer.Option(min=1, max=7, help="References generated per article (each another numeral form).")] = 3,
    search: Annotated[bool, typer.Option(help="Also run the full search and score hit@1 (slower).")] = True,
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path("benchmarks/out/refs.json"),
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory of the index (default: var/eval).")] = None,
) -> None:
    """Resolution accuracy and search hit@1 on generated references (我国专利法22条, 版权法第十条, 专利细则 第 6 条…),
    and whether an article past a law's last one is answered as not existing."""
    from .refvariants import generated_set, score_references

    assistant = index_corpus(settings_for(data_dir or Path("var/eval")), corpus or default_shared("corpus"))
    items = generated_set(assistant, per_article)
    result = score_references(assistant, items, search)
    out.print(f"{result['references']} generated references: resolved {result['resolved']:.4f}, "
              f"search hit@1 {result['hit@1']:.4f}" if search else f"{result['references']} generated references: resolved {result['resolved']:.4f}")
    out.print("by form: " + ", ".join(f"{k} {v:.3f}" for k, v in result["by_kind"].items()))
    out.print(f"articles past a law's end answered as absent: {result['absent_said_absent']}/{result['absent_articles']}")
    for m in result["misses"][:15]:
        out.print(f"  miss: {m['query']!r} → {m['resolved']}")
    write_report(report, result)
    console.print(f"report written to {report}", highlight=False)
