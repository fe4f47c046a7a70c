"""The layout and the one-way data flow: ingest → knowledge → bot → ui."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"bot", "knowledge", "ingest", "prompts", "ui", "ipbot"}
ALLOWED = {
    "prompts": set(),
    "knowledge": set(),
    "ingest": {"knowledge"},
    "bot": {"knowledge", "ingest", "prompts"},
    "ui": {"bot"},
}


def _imports(path: Path) -> list[tuple[str, int, str]]:
    """(top-level package, line, full module) of every runtime import in a file (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno, node.module))
    return found


def test_required_layout_exists():
    for name in ("bot", "knowledge", "ingest", "prompts", "ui", "tests", "benchmarks", "pyproject.toml", "README.md", "Makefile", ".ci/run"):
        assert (ROOT / name).exists(), name


def test_packages_import_only_what_the_data_flow_allows():
    bad = []
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            for top, line, module in _imports(path):
                if top in OURS and top != package and top not in allowed:
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "\n".join(bad)


SURFACES = ("bot.answering", "bot.office")


def _bot_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a ``bot`` module in a file (relative ones resolved inside bot/)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join(parts[: len(parts) - node.level] + ([module] if module else []))
            if module.split(".")[0] == "bot":
                found.append((node.lineno, module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.split(".")[0] == "bot"]
    return found


def test_ui_uses_only_the_two_public_surfaces():
    import importlib

    public = {name: set(importlib.import_module(name).__all__) for name in SURFACES}
    bad = []
    for path in (ROOT / "ui").rglob("*.py"):
        for line, module, names in _bot_imports(path):
            if module not in public:
                bad.append(f"{path.name}:{line} imports {module}, not one of {', '.join(SURFACES)}")
                continue
            bad += [f"{path.name}:{line} imports {n}, not in {module}.__all__" for n in names if n not in public[module]]
    assert not bad, "\n".join(bad)


def test_bot_is_two_packages_and_answering_does_not_know_the_back_office():
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules directly under bot/: {loose}"
    bad = [f"{path.relative_to(ROOT)}:{line} imports {module}"
           for path in (ROOT / "bot" / "answering").rglob("*.py")
           for line, module, _ in _bot_imports(path) if module.startswith("bot.office")]
    bad += [f"{path.relative_to(ROOT)}:{line} imports the private module {module}"
            for path in (ROOT / "bot" / "office").rglob("*.py")
            for line, module, _ in _bot_imports(path)
            if module.startswith("bot.answering") and module != "bot.answering"]
    assert not bad, "\n".join(bad)


def test_the_import_checker_catches_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from typing import TYPE_CHECKING\nimport knowledge.base\nif TYPE_CHECKING:\n    from ui import app\nfrom bot.answering.query import normalize_question\n")
    assert [t for t, _, _ in _imports(sample) if t in OURS] == ["knowledge", "bot"]


def test_every_setting_is_documented():
    from ipbot.settings import Settings

    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not undocumented


def test_one_composition_root():
    """The knowledge base, the ingest options and the app's services are built in ipbot/ only."""
    built = {"KnowledgeBase(": [], "IngestOptions(": [], "open_services(": []}
    for package in ("bot", "ui", "ipbot"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for call in built:
                if call in text.replace(f"def {call}", ""):
                    built[call].append(str(path.relative_to(ROOT)))
    assert built == {"KnowledgeBase(": ["ipbot/compose.py"], "IngestOptions(": ["ipbot/settings.py"], "open_services(": ["ipbot/compose.py"]}
