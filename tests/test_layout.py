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


def test_ui_uses_only_bots_public_api():
    import bot

    public = set(bot.__all__)
    bad = []
    for path in (ROOT / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bot":
                if node.module != "bot":
                    bad.append(f"{path.name}:{node.lineno} imports the private module {node.module}")
                bad += [f"{path.name}:{node.lineno} imports {a.name}, not in bot.__all__" for a in node.names if a.name not in public]
            elif isinstance(node, ast.Import):
                bad += [f"{path.name}:{node.lineno} imports {a.name}" for a in node.names if a.name.startswith("bot.")]
    assert not bad, "\n".join(bad)


def test_the_import_checker_catches_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from typing import TYPE_CHECKING\nimport knowledge.base\nif TYPE_CHECKING:\n    from ui import app\nfrom bot.query import normalize_question\n")
    assert [t for t, _, _ in _imports(sample) if t in OURS] == ["knowledge", "bot"]


def test_every_setting_is_documented():
    from ipbot.settings import Settings

    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not undocumented
