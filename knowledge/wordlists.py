"""Word lists kept as data in ``knowledge/words/``: UTF-8 text, ``#`` comment lines and blank lines skipped, one entry a
line, the columns of a table separated by TABs, each field stripped of surrounding spaces."""
from __future__ import annotations

import functools
from pathlib import Path

WORDS_DIR = Path(__file__).with_name("words")


def words_file(name: str | Path) -> Path:
    """The path of the word file ``name`` in ``knowledge/words/`` (an absolute path is taken as it is)."""
    return WORDS_DIR / name


@functools.lru_cache(maxsize=None)
def _rows(path: Path, columns: int, shape: str = "") -> tuple[tuple[int, tuple[str, ...]], ...]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = tuple(f.strip() for f in line.split("\t"))
        if shape and (len(fields) != columns or not all(fields)):
            raise ValueError(f"{path.name}:{n}: expected '{shape}', got {line!r}")
        if len(fields) != columns:
            raise ValueError(f"{path.name}:{n}: expected {columns} TAB-separated field(s), got {len(fields)}: {line!r}")
        if not all(fields):
            raise ValueError(f"{path.name}:{n}: empty field in {line!r}")
        rows.append((n, fields))
    return tuple(rows)


def read_words(name: str | Path) -> list[str]:
    """The entries of a one-word-a-line file, in file order; ValueError naming the file and line of a line with a TAB."""
    return [fields[0] for _, fields in _rows(words_file(name), 1)]


def read_table(name: str | Path, columns: int, shape: str = "") -> list[tuple[str, ...]]:
    """The rows of a TAB-separated file, in file order; ValueError naming the file and line of a row that has not
    exactly ``columns`` fields or has an empty one (and the expected ``shape``, e.g. 'zh<TAB>en', when given)."""
    return [fields for _, fields in _rows(words_file(name), columns, shape)]


def read_mapping(name: str | Path) -> dict[str, str]:
    """A key<TAB>value file as a dict, in file order; ValueError naming the file and line of a malformed row or of a
    key given twice."""
    path = words_file(name)
    mapping: dict[str, str] = {}
    for n, (key, value) in _rows(path, 2):
        if key in mapping:
            raise ValueError(f"{path.name}:{n}: key {key!r} given twice")
        mapping[key] = value
    return mapping
