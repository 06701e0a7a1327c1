"""The web interface in a real headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; no
browser download), against a real ``mlkg serve --demo`` (issue 17, point 6).

One server and one browser for the module. Every page must load only from the server's own host, log no
console error (a Content-Security-Policy violation is one) and raise no script error; a dialog (an injected
``alert``) fails the test. Skipped when Chromium or Playwright is absent, unless ``MLKG_REQUIRE_BROWSER`` is
set (``.ci/run`` sets it), then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.serving import Launched, LiveServer, launch

CHROMIUM = "/usr/bin/chromium"
TOKEN = "browser-test-token"
MODEL = "http://localhost:8000/id/model/mlflow_prod.fraud_detection"
MODEL_PATH = "/id/model/mlflow_prod.fraud_detection"
RAW_TABLE = "http://localhost:8000/id/table/snowflake.prod.transactions"

try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]


def _missing() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


_REASON = _missing()
if _REASON is not None and os.environ.get("MLKG_REQUIRE_BROWSER"):
    pytest.fail(f"MLKG_REQUIRE_BROWSER is set but {_REASON}", pytrace=False)
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    started: Launched = launch(log=tmp_path_factory.mktemp("browser") / "serve.log", demo=True, token=TOKEN)
    try:
        yield started.ready()
    finally:
        started.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page with what went wrong on it: requests to other hosts (refused), console errors, script errors
    and dialogs."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.problems: list[str] = []
        own = urlsplit(origin).netloc

        def route(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.problems.append(f"request to another host: {url}")
                route.abort()

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.problems.append(f"console error: {message.text}")

        page.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on(
            "dialog", lambda dialog: (self.problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
        )

    def check(self, *, expected: str | None = None) -> None:
        """Fail on any problem but the ``expected`` console error (the 404 of a page asked for on purpose)."""
        problems = [p for p in self.problems if expected is None or expected not in p]
        assert not problems, "\n".join(problems)


@pytest.fixture
def watched(browser: Browser, server: LiveServer) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield Watched(page, server.url)
    finally:
        context.close()


def _wait_until(page: Page, expression: str, *, seconds: float = 15.0) -> None:
    """Poll ``expression`` in the page until it is true (``Page.wait_for_function`` compiles its predicate
    with ``new Function``, which the pages' Content-Security-Policy rightly refuses)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds:g} s: {expression}"
        page.wait_for_timeout(100)


def _graph_nodes(page: Page) -> list[dict[str, str]]:
    _wait_until(page, "!!window.mlkgLineage && document.getElementById('lineage').dataset.state === 'drawn'")
    nodes: list[dict[str, str]] = page.evaluate(
        "window.mlkgLineage.nodes().map(n => ({id: n.id(), kind: n.data('kind'), colour: n.data('colour')}))"
    )
    return nodes


def test_landing_to_model_page_graph_and_a_raw_table(watched: Watched) -> None:
    page = watched.page
    page.goto("/")
    assert page.locator("form.hero-search input[name=q]").is_visible()
    assert page.locator(".stat").count() >= 5
    # search for the model from the landing page, narrow to models, open it
    page.fill("form.hero-search input[name=q]", "fraud detection")
    page.press("form.hero-search input[name=q]", "Enter")
    page.wait_for_selector("ol.hits")
    page.click(".facets a:text-is('model')")
    page.wait_for_url("**type=model**")
    page.click(f"ol.hits a[href='{MODEL_PATH}']")
    page.wait_for_url(f"**{MODEL_PATH}")
    assert page.locator(".kind").first.inner_text().lower() == "model"

    nodes = _graph_nodes(page)
    ids = {n["id"] for n in nodes}
    assert MODEL in ids
    assert RAW_TABLE in ids  # two hops upstream: transactions -> fraud_features -> the model
    assert "http://localhost:8000/id/deployment/sagemaker_prod.fraud-detection-endpoint" in ids
    assert len({n["colour"] for n in nodes}) >= 4, "nodes are coloured by kind"

    page.select_option("select[name=depth]", "1")
    _wait_until(page, f"window.mlkgLineage.nodes().length < {len(nodes)}")
    assert RAW_TABLE not in {n["id"] for n in _graph_nodes(page)}
    page.select_option("select[name=depth]", "2")
    _wait_until(page, f"window.mlkgLineage.nodes().length === {len(nodes)}")

    # hover: the asserted path to the node; click: its page
    box = page.locator("#lineage").bounding_box()
    assert box is not None
    position = page.evaluate(f"window.mlkgLineage.getElementById('{RAW_TABLE}').renderedPosition()")
    page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])
    tip = page.locator(".graph-tip")
    tip.wait_for(state="visible")
    assert "snowflake.prod.transactions" in tip.inner_text()
    assert tip.locator("li").count() == 2  # transactions -> fraud_features -> the model
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.wait_for_url("**/id/table/snowflake.prod.transactions")
    assert page.locator(".kind").first.inner_text().lower() == "table"
    _graph_nodes(page)
    page.click("text=Impact of a change")
    page.wait_for_selector("text=Owners to notify")
    watched.check()


def test_a_named_question_as_a_table_links_to_entities(watched: Watched) -> None:
    page = watched.page
    page.goto("/")
    page.click("text=Questions")
    page.click("a[href='/queries/models-using-sensitive-data']")
    page.wait_for_selector("table.results")
    page.click(f"table.results a[href='{MODEL_PATH}']")
    page.wait_for_url(f"**{MODEL_PATH}")
    watched.check()


def test_sparql_editor_runs_a_query(watched: Watched) -> None:
    page = watched.page
    page.goto("/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    cells = page.locator(".yasr table tbody").inner_text()
    assert "mlflow_prod.customer_churn_predictor" in cells
    # a named question as the example, run as it is
    page.select_option("#examples", "sensitive-assets")
    assert "sensitive-assets" in page.evaluate("window.mlkgYasgui.getTab().getYasqe().getValue()")
    watched.check()


def test_api_docs_render_from_vendored_assets(watched: Watched) -> None:
    page = watched.page
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(p.strip() == "/lineage" for p in paths)
    watched.check()


def test_unknown_entity_is_a_page_with_a_search_box(watched: Watched) -> None:
    page = watched.page
    response = page.goto("/id/model/nope.nothing")
    assert response is not None and response.status == 404
    assert page.locator("form.hero-search input[name=q]").input_value() == "nope.nothing"
    watched.check(expected="the server responded with a status of 404")


def test_hostile_text_and_iris_stay_text_in_the_dom(watched: Watched, server: LiveServer) -> None:
    """IRIs and literals holding script, markup, quotes and ``javascript:`` are shown as text: nothing runs
    (no dialog, no global set) and no link has a scheme other than http(s)."""
    import urllib.request

    evil = "http://localhost:8000/id/team/evil"
    turtle = (
        f"<{evil}> a <https://w3id.org/mlkg#Team> ;\n"
        '  <https://w3id.org/mlkg#name> "<script>window.__xss=1;alert(1)</script>" ;\n'
        '  <https://w3id.org/mlkg#displayName> "\\"><img src=x onerror=\'alert(2)\'>" ;\n'
        "  <https://w3id.org/mlkg#homepage> <javascript:alert(3)> .\n"
    )
    request = urllib.request.Request(
        f"{server.url}store?graph={evil}",
        data=turtle.encode(),
        method="PUT",
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201
    page = watched.page
    page.goto("/id/team/evil")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None
    assert page.locator("h1").inner_text() == "\"><img src=x onerror='alert(2)'>"
    body = page.locator("main").inner_text()
    assert "<script>window.__xss=1;alert(1)</script>" in body and "javascript:alert(3)" in body
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert all(re.match(r"https?://", href) for href in hrefs), hrefs
    watched.check()
