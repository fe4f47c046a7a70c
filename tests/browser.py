"""Debian's chromium driven by Playwright (never a downloaded browser), and a served ipbot app."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import free_port, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE_JS = Path(os.environ.get("IPBOT_AXE_JS") or next(iter(sorted((Path(__file__).resolve().parents[1] / ".venv").glob("axe-core-*/axe.min.js"))), ""))
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def require_chromium() -> str:
    """Path of Debian's chromium; fail (in CI) or skip (elsewhere) when it is missing."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: make test installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    return path


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the page's current state at the given impacts, one line each (rule, impact, where, why).
    Fails in CI, skips elsewhere, when make has not fetched axe.min.js."""
    if not AXE_JS.is_file():
        if os.environ.get("CI"):
            pytest.fail("axe-core's axe.min.js is missing: make test fetches it (npm pack axe-core)")
        pytest.skip("axe-core's axe.min.js is missing (make browser fetches it)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    found = page.evaluate("""async (impacts) => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => impacts.includes(v.impact))
          .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + n.failureSummary.split('\\n').slice(1, 2).join('')).join(' | ')); }""",
        list(impacts))
    return found


@contextmanager
def browser_page(viewport: dict | None = None):
    """A fresh page in headless Debian chromium (1280×900 unless ``viewport`` says otherwise, e.g. a 390×844 phone)."""
    from playwright.sync_api import sync_playwright

    exe = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})
            yield page
        finally:
            browser.close()


@contextmanager
def serving(data_dir: Path, env: dict | None = None):
    """``ipbot serve`` on a free loopback port; yields (base URL, process) and stops it gracefully afterwards."""
    port = free_port()
    exe = Path(sys.executable).with_name("ipbot")
    log = open(data_dir.parent / f"serve-{port}.log", "w")
    proc = subprocess.Popen([str(exe), "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        wait_for_port(port, 120, proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def served_app(data_dir: Path, env: dict | None = None):
    """``ipbot serve`` on a free loopback port; yields its base URL."""
    with serving(data_dir, env) as (url, _):
        yield url


def screenshot(page, name: str, publish: bool = False) -> Path:
    """Save a full-page screenshot under tests/artifacts/; ``publish`` also copies it, palette-compressed, to docs/screenshots/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if publish:
        from PIL import Image

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:
            image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(SCREENSHOTS / f"{name}.png", optimize=True)
    return path


def add_user(data_dir: Path, name: str, role: str, password: str) -> None:
    """Create an account with ``ipbot users add`` (password on stdin)."""
    exe = Path(sys.executable).with_name("ipbot")
    done = subprocess.run([str(exe), "users", "add", name, "--role", role, "--password-stdin", "--data-dir", str(data_dir)],
                          input=password + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def log_in(page, base_url: str, name: str, password: str, next_path: str = "") -> None:
    """Fill the /login form and wait for the page it leads to."""
    page.goto(f"{base_url}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login")
