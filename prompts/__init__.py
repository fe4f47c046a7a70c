"""Prompt templates kept as files (``zh/*.txt``, ``en/*.txt``), checked when they are loaded.

A template file starts with ``#`` header lines, one of which declares its variables
(``# variables: question, sources``); the body holds ``{name}`` placeholders (``{{``/``}}`` for
literal braces) and may be split into chat messages by ``[system]`` / ``[user]`` / ``[assistant]``
lines. Loading fails with a message naming the template and the variable when the declared
variables and the placeholders differ, or differ from what the code passes (``CONTRACT``).
Each prompt has a version: the first 12 hex digits of the file's sha256.

This package imports nothing else of ipbot.
"""
from __future__ import annotations

import functools
import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent
LANGUAGES = ("zh", "en")
CONTRACT: dict[str, frozenset[str]] = {
    "answer": frozenset({"question", "sources", "count", "no_answer"}),
    "followup": frozenset({"history", "question"}),
    "staff_reply": frozenset({"question", "sources", "count", "human_channel"}),
    "translate": frozenset({"question", "glossary"}),
    "abstain": frozenset({"human_channel"}),
    "no_article": frozenset({"law", "article", "articles", "human_channel"}),
    "rewrite": frozenset({"question", "answer"}),
    "rewrite_again": frozenset({"opening"}),
}
ROLES = ("system", "user", "assistant")
_ROLE_LINE = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)
_VARIABLES = re.compile(r"^#\s*variables\s*:(.*)$", re.IGNORECASE)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class PromptError(Exception):
    """A prompt template is missing, malformed, or rendered with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    """One checked template: its name, language, message parts and version."""

    name: str
    language: str
    parts: tuple[tuple[str, str], ...]
    variables: frozenset[str]
    version: str

    @property
    def ref(self) -> str:
        """Which prompt produced an answer, e.g. ``answer.zh@1a2b3c4d5e6f``."""
        return f"{self.name}.{self.language}@{self.version}"

    def _check(self, values: dict) -> None:
        missing, extra = self.variables - values.keys(), values.keys() - self.variables
        if missing or extra:
            detail = "; ".join(x for x in (missing and f"missing {', '.join(sorted(missing))}",
                                           extra and f"unexpected {', '.join(sorted(extra))}") if x)
            raise PromptError(f"prompt {self.language}/{self.name}.txt rendered with the wrong variables: {detail} "
                              f"(it takes: {', '.join(sorted(self.variables)) or 'none'})")

    def messages(self, **values: object) -> list[dict[str, str]]:
        """The chat messages of the template with ``values`` filled in."""
        self._check(values)
        return [{"role": role, "content": body.format_map(values).strip()} for role, body in self.parts]

    def render(self, **values: object) -> str:
        """The whole template as one text with ``values`` filled in."""
        return "\n\n".join(m["content"] for m in self.messages(**values))


def _placeholders(body: str, where: str) -> set[str]:
    found = set()
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise PromptError(f"{where}: malformed placeholder ({exc}); write literal braces as {{{{ and }}}}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise PromptError(f"{where}: placeholder {{{field}}} must be a plain lower-case name like {{question}}")
        found.add(field)
    return found


def parse_template(path: Path, name: str, language: str) -> Prompt:
    """Read and check one template file; PromptError names the file and the bad variable."""
    where = f"prompt {language}/{path.name}"
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PromptError(f"{where}: not UTF-8 text") from None
    lines = text.splitlines()
    header = [line for line in lines[: next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))]]
    declared_lines = [m.group(1) for line in header if (m := _VARIABLES.match(line))]
    if len(declared_lines) != 1:
        raise PromptError(f"{where}: needs exactly one header line '# variables: a, b' (an empty list is '# variables:')")
    declared = {v.strip() for v in declared_lines[0].split(",") if v.strip()}
    body = "\n".join(lines[len(header):])
    used = _placeholders(body, where)
    if used - declared:
        raise PromptError(f"{where}: placeholder {{{', '.join(sorted(used - declared))}}} is not declared "
                          f"(declared: {', '.join(sorted(declared)) or 'none'})")
    if declared - used:
        raise PromptError(f"{where}: declared variable {', '.join(sorted(declared - used))} is never used in the template")
    expected = CONTRACT.get(name)
    if expected is not None and declared != expected:
        diff = "; ".join(x for x in (expected - declared and f"missing {', '.join(sorted(expected - declared))}",
                                     declared - expected and f"unknown {', '.join(sorted(declared - expected))}") if x)
        raise PromptError(f"{where}: variables do not match what the code passes: {diff} (expected: {', '.join(sorted(expected))})")
    pieces = _ROLE_LINE.split(body)
    if len(pieces) == 1:
        parts = (("user", body),)
    else:
        if pieces[0].strip():
            raise PromptError(f"{where}: text before the first [system]/[user] line")
        parts = tuple((pieces[i], pieces[i + 1]) for i in range(1, len(pieces), 2))
    if not any(b.strip() for _, b in parts):
        raise PromptError(f"{where}: the template is empty")
    return Prompt(name, language, parts, frozenset(declared), hashlib.sha256(raw).hexdigest()[:12])


class PromptBook:
    """Every template of every language, checked at load time."""

    def __init__(self, prompts: dict[tuple[str, str], Prompt]) -> None:
        self._prompts = prompts

    def get(self, name: str, language: str) -> Prompt:
        """The template ``name`` in ``language``; PromptError lists the known ones otherwise."""
        try:
            return self._prompts[(name, language)]
        except KeyError:
            known = ", ".join(f"{lang}/{n}" for n, lang in sorted(self._prompts))
            raise PromptError(f"no prompt {name!r} in language {language!r}; known: {known}") from None

    def refs(self) -> list[str]:
        """``name.lang@version`` of every template."""
        return sorted(p.ref for p in self._prompts.values())


def load_prompts(directory: Path | None = None, required: dict[str, frozenset[str]] | None = None) -> PromptBook:
    """Load and check ``directory/{zh,en}/*.txt``; every template of ``required`` (default CONTRACT) must exist in every language."""
    directory = Path(directory or PROMPTS_DIR)
    required = CONTRACT if required is None else required
    prompts: dict[tuple[str, str], Prompt] = {}
    for language in LANGUAGES:
        for path in sorted((directory / language).glob("*.txt")):
            prompts[(path.stem, language)] = parse_template(path, path.stem, language)
        missing = [n for n in required if (n, language) not in prompts]
        if missing:
            raise PromptError(f"prompt directory {directory / language} lacks {', '.join(f'{n}.txt' for n in missing)}")
    return PromptBook(prompts)


@functools.lru_cache(maxsize=1)
def default_prompts() -> PromptBook:
    """The bundled templates, loaded and checked once per process."""
    return load_prompts()


__all__ = ["CONTRACT", "LANGUAGES", "PROMPTS_DIR", "Prompt", "PromptBook", "PromptError", "default_prompts", "load_prompts",
           "parse_template", "load_wording", "wording", "worded"]


def _keys(table: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in table.items():
        out |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return out


def load_wording(directory: Path | None = None) -> dict[str, dict]:
    """The wording shown to people, per language (``zh/wording.toml``, ``en/wording.toml``): the answer's labels and
    disclaimer, the notices when a model's answer is not used, the source fields given to the model, the staff draft's
    frame. Fails naming the file and the keys when a file is missing, malformed, or has keys the other lacks."""
    import tomllib

    directory = directory or PROMPTS_DIR
    out = {}
    for language in LANGUAGES:
        path = directory / language / "wording.toml"
        try:
            out[language] = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PromptError(f"wording file missing: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise PromptError(f"{path}: {exc}") from None
    first, *rest = LANGUAGES
    for language in rest:
        missing, extra = _keys(out[first]) - _keys(out[language]), _keys(out[language]) - _keys(out[first])
        if missing or extra:
            detail = "; ".join(x for x in (missing and f"missing {', '.join(sorted(missing))}",
                                           extra and f"not in {first}: {', '.join(sorted(extra))}") if x)
            raise PromptError(f"{directory / language / 'wording.toml'} does not match {first}/wording.toml: {detail}")
    return out


@functools.lru_cache(maxsize=1)
def wording() -> dict[str, dict]:
    """The bundled wording (see ``load_wording``), read once."""
    return load_wording()


def worded(section: str, key: str | None = None) -> dict[str, object]:
    """One section (or one key of it) of the wording, by language: ``worded("answer", "disclaimer")["en"]``."""
    return {language: (table[section] if key is None else table[section][key]) for language, table in wording().items()}
