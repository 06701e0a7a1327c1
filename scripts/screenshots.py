#!/usr/bin/env python3
"""Regenerate the web interface's screenshots in ``docs/screenshots/`` (README, section "Web interface").

Starts ``mlkg serve --demo`` on a free loopback port with an in-memory store, opens the landing page, a
model's page (its lineage graph drawn) and the SPARQL editor (a query run) in headless Chromium (Debian's
``/usr/bin/chromium`` through Playwright, the test extra), saves each as a PNG and stops the server by its
process id. Run from the repository root with the development venv:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
LIMIT = 150_000  # bytes: the README's images stay small


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mlkg", "serve", "--host", "127.0.0.1", "--port", str(port)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    process = subprocess.Popen([*command, "--store", "memory:", "--demo"], env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("mlkg serve did not start")


def _wait(page: Page, expression: str) -> None:
    """Poll ``expression`` (the pages' CSP refuses the ``new Function`` of ``wait_for_function``)."""
    for _ in range(150):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise SystemExit(f"never true: {expression}")


def _save(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {size // 1000} KB")
    if size > LIMIT:
        raise SystemExit(f"{path} is {size} bytes, over {LIMIT}: use a smaller viewport")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = _serve(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(
                viewport={"width": 1200, "height": 860}, base_url=f"http://127.0.0.1:{port}"
            )
            page.goto("/")
            _save(page, "landing")
            page.goto("/id/model/mlflow_prod.customer_churn_predictor")
            _wait(page, "document.getElementById('lineage').dataset.state === 'drawn'")
            page.wait_for_timeout(300)
            _save(page, "model")
            page.goto("/sparql")
            page.wait_for_selector(".yasqe .CodeMirror")
            page.click(".yasqe_queryButton")
            page.wait_for_selector(".yasr table tbody tr")
            _save(page, "sparql-editor")
            browser.close()
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
