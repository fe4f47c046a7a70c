"""What every part of the ``ipbot`` command line shares: the Typer apps, the consoles, one clear error line, the Settings
of the process, opening the knowledge base, reading JSONL inputs and indexing a folder. The commands live in ``cli``
(ingest, search, ask, chat, serve, kb), ``cli_eval`` … modules that import this one, never each other."""
from __future__ import annotations

from .offline import go_offline

go_offline()

import json  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402

from .settings import Settings  # noqa: E402

app = typer.Typer(help="ipbot — the SME intellectual-property service assistant.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
kb_app = typer.Typer(help="Inspect and change the knowledge base.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
bench_app = typer.Typer(help="Speed benchmarks.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True, markup=False)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Knowledge-base directory (default: IPBOT_DATA_DIR or ./var).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable JSON lines.")]


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit."""
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def settings_for(data_dir: Path | None) -> Settings:
    """The one Settings object of this process, with command-line overrides applied."""
    settings = Settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def open_assistant(settings: Settings, must_exist: bool = True):
    """An Assistant over the configured knowledge base, with errors turned into one message."""
    from knowledge import KnowledgeError

    from .compose import build_assistant

    if must_exist and not settings.chroma_url and not settings.registry_url and not settings.registry_path.exists():
        fail(f"no knowledge base in {settings.data_dir}/ — build one first: ipbot ingest PATH... --data-dir {settings.data_dir}  (or ipbot kb init)")
    try:
        return build_assistant(settings)
    except KnowledgeError as exc:
        fail(str(exc))


def read_jsonl(path: Path, key: str) -> list[dict]:
    """The JSON objects of a JSONL file, each with ``key``; one clear error naming the file and line otherwise."""
    if not path.exists():
        fail(f"no such file: {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{n}: not valid JSON ({exc.msg})")
        if not isinstance(item, dict) or key not in item:
            fail(f"{path}:{n}: each line needs an {key!r} field (and an 'id')")
        items.append(item)
    return items


def earlier_questions(history) -> list[str]:
    """The earlier questions of a conversation given as strings or as {question|query, answer} objects; InvalidQuestion
    names a malformed item."""
    from bot.answering import InvalidQuestion

    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion(f"history must be a list of earlier questions, not {type(history).__name__}")
    out_: list[str] = []
    for turn in history:
        text = turn.get("question") or turn.get("query") if isinstance(turn, dict) else turn
        if not isinstance(text, str) or not text.strip():
            raise InvalidQuestion(f"each history item is a question or a {{question, answer}} object, not {turn!r}")
        out_.append(text.strip())
    return out_


def index_folder(settings: Settings, folder: Path, label: str, assistant=None):
    """An Assistant (``assistant``, else one opened on settings.data_dir) with every file of ``folder`` indexed (unchanged
    files are reused; failures printed, never fatal), under a progress bar labelled ``label``."""
    from rich.progress import Progress

    from ingest import collect_files, ingest_file

    if not folder.is_dir():
        fail(f"directory not found: {folder}")
    assistant = assistant or open_assistant(settings, must_exist=False)
    files, _ = collect_files([folder])
    options = settings.ingest_options()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=len(files))
        for f in files:
            outcome = ingest_file(assistant.kb, f, options)
            if outcome.status == "failed":
                console.print(outcome.line(), highlight=False)
            progress.advance(task)
    return assistant


def index_starter(settings: Settings, assistant=None):
    """``index_folder`` of the bundled starter knowledge base."""
    from knowledge import STARTER_DIR

    return index_folder(settings, STARTER_DIR, "building the starter knowledge base", assistant)


def index_corpus(settings: Settings, corpus: Path):
    """``index_folder`` of a corpus directory (the eval and bench commands)."""
    return index_folder(settings, corpus, f"indexing {corpus.name}")


def default_shared(name: str) -> Path:
    """A path under ../shared beside the project (the real corpus and evaluation sets; benchmarks only)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / name


def eval_inputs(corpus: Path | None, articles: Path | None, data_dir: Path | None) -> tuple[Path, dict, Settings]:
    """The corpus directory, the scoring articles and the settings shared by the ``eval`` commands."""
    from .scoring import load_articles

    articles = articles or default_shared("eval/articles.jsonl")
    if not articles.exists():
        fail(f"articles file not found: {articles}")
    return corpus or default_shared("corpus"), load_articles(articles), settings_for(data_dir or Path("var/eval"))


def run_benchmark_script(name: str, args: list[str]) -> None:
    """Run a script of benchmarks/ with ``args``; one clear line when the source tree (not a wheel) is not here."""
    import runpy

    script = Path(__file__).resolve().parents[1] / "benchmarks" / name
    if not script.exists():
        fail(f"benchmark script not found: {script} — `ipbot bench` needs the source tree (benchmarks/ is not in the installed wheel)")
    saved = sys.argv
    sys.argv = [str(script), *args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        if isinstance(exc.code, str):
            fail(exc.code)
        if exc.code not in (0, None):
            raise typer.Exit(int(exc.code))
    finally:
        sys.argv = saved
