"""The web interface over HTTP (issue 17): pages for browsers, the same URLs' data for every other client,
Content-Security-Policy on every page, HTML error pages, ``/static`` and links that are safe to follow."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, ClientFactory

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER = {"Accept": CHROME}
JAVA = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"
CHURN_PAGE = "/id/model/mlflow_prod.customer_churn_predictor"


class Links(HTMLParser):
    """Every URL a page refers to (``href``, ``src``, ``action``), and the text of its anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.urls.append((tag, value))
        if tag == "script":
            self.scripts.append(dict(attrs))


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def assert_page(response: object, *, status: int = 200) -> str:
    """A page: its status, HTML, a CSP with default-src 'self', nothing from another host, no inline
    script."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"].startswith("text/html")
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html: str = response.text  # type: ignore[attr-defined]
    found = links_of(html)
    for tag, url in found.urls:
        if tag in ("script", "link", "img", "form"):
            assert not urlsplit(url).netloc, f"{tag} loads {url} from another host"
    for script in found.scripts:
        assert script.get("src") or script.get("type") == "application/json", script
    return html


@pytest.mark.parametrize("accept", [CHROME, FIREFOX])
def test_landing_page_for_browsers_summary_for_others(demo_client: TestClient, accept: str) -> None:
    html = assert_page(demo_client.get("/", headers={"Accept": accept}))
    assert 'action="/search"' in html and 'name="q"' in html
    assert 'href="/queries"' in html and 'href="/sparql"' in html
    assert "Recent changes" in html
    summary = demo_client.get("/").json()
    assert summary["entities"]["model"] == 4 and summary["entities"]["dashboard"] == 3
    assert len(summary["recentChanges"]) == 12
    assert {c["changeType"] for c in summary["recentChanges"]} == {"created"}
    assert summary["links"]["sparql"].endswith("/sparql")
    assert '<span class="number">4</span>' not in html  # counts are shown by the template's own markup
    assert ">4<" in html.replace(" ", "")


def test_landing_page_counts_and_lists_changes_as_they_happen(client: TestClient) -> None:
    empty = client.get("/").json()
    assert empty["entities"] == {} and empty["recentChanges"] == []
    document = {"type": "mlmodel", "name": "m1", "fullyQualifiedName": "svc.m1", "algorithm": "XGBoost"}
    assert client.post("/entities", json=document, headers=AUTH).status_code == 201
    summary = client.get("/").json()
    assert summary["entities"] == {"model": 1}
    assert summary["recentChanges"][0]["name"] == "svc.m1"
    html = client.get("/", headers=BROWSER).text
    assert 'href="/id/model/svc.m1"' in html


def test_entity_page_has_summary_graph_hooks_and_no_inline_script(demo_client: TestClient) -> None:
    html = assert_page(demo_client.get(CHURN_PAGE, headers=BROWSER))
    assert "Customer Churn Predictor" in html and "Data Science Team" in html and "Tier.Tier1" in html
    assert 'data-entity="http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"' in html
    assert 'src="/static/vendor/cytoscape/cytoscape.min.js"' in html
    assert 'src="/static/lineage.js"' in html
    assert "/impact?entity=" in html


def test_protocol_clients_keep_their_answers(demo_client: TestClient) -> None:
    """Only a browser's page load gets HTML: Java's default Accept, SPARQL clients and no Accept at all get
    what they got before the web pages existed."""
    described = demo_client.get("/sparql", headers={"Accept": JAVA})
    assert described.headers["content-type"].startswith("text/turtle")
    jena = "application/sparql-results+json, application/sparql-results+xml;q=0.9, */*;q=0.1"
    assert demo_client.get("/sparql", headers={"Accept": jena}).headers["content-type"].startswith("text/")
    for accept in (JAVA, "application/sparql-results+json", "*/*"):
        answer = demo_client.get(
            "/queries/downstream", params={"entity": CUSTOMERS}, headers={"Accept": accept}
        )
        assert answer.status_code == 200
        assert not answer.headers["content-type"].startswith("text/html"), accept
    only_html = demo_client.get(
        "/queries/downstream", params={"entity": CUSTOMERS}, headers={"Accept": "text/html"}
    )
    assert only_html.status_code == 406  # as before: HTML alone is not a browser's page load
    assert demo_client.get("/", headers={"Accept": JAVA}).headers["content-type"] == "application/json"
    html_only = demo_client.get("/sparql", headers={"Accept": "text/html"})
    assert not html_only.headers["content-type"].startswith("text/html")  # not a browser's page load


def test_sparql_editor_for_browsers(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", headers=BROWSER)
    html = assert_page(response)
    assert "'sha256-" in response.headers["content-security-policy"]  # YASGUI's one style, by its hash
    assert 'src="/static/vendor/yasgui/yasgui.min.js"' in html
    assert 'data-endpoint="http://testserver/sparql"' in html
    assert 'id="example-queries"' in html and "owners-to-notify" in html
    # a query is still answered as the protocol says, whoever asks
    answer = demo_client.get("/sparql", params={"query": "ASK {}"}, headers=BROWSER)
    assert not answer.headers["content-type"].startswith("text/html")


def test_named_query_results_as_a_table_for_browsers(demo_client: TestClient) -> None:
    html = assert_page(demo_client.get("/queries/downstream", params={"entity": CUSTOMERS}, headers=BROWSER))
    assert '<table class="results">' in html
    assert 'href="/id/model/mlflow_prod.customer_churn_predictor"' in html
    assert 'aria-label="Search the catalog" value="">' in html  # the header's search box starts empty
    form = assert_page(demo_client.get("/queries/downstream", headers=BROWSER))
    assert '<form class="query-form"' in form and "<table" not in form
    listing = assert_page(demo_client.get("/queries", headers=BROWSER))
    assert 'href="/queries/owners-to-notify"' in listing
    assert demo_client.get("/queries").json()["queries"]


def test_named_query_page_reports_bad_parameters_as_a_page(demo_client: TestClient) -> None:
    missing = demo_client.get("/queries/downstream", params={"entity": "nope.nothing"}, headers=BROWSER)
    assert_page(missing, status=404)
    unknown = demo_client.get("/queries/downstream", params={"entity": CUSTOMERS, "x": "1"}, headers=BROWSER)
    assert "has no parameter" in assert_page(unknown, status=400)


def test_impact_page_groups_by_kind_and_names_owners(demo_client: TestClient) -> None:
    html = assert_page(demo_client.get("/impact", params={"entity": CUSTOMERS}, headers=BROWSER))
    assert "Owners to notify" in html and "Data Science Team" in html
    assert 'class="kind kind-model"' in html and 'class="kind kind-dashboard"' in html
    data = demo_client.get("/impact", params={"entity": CUSTOMERS}).json()
    assert data["count"] == sum(len(v) for v in data["byKind"].values()) > 0
    owners = {o["name"] for o in data["owners"]}
    assert "Data Science Team" in owners
    upstream = demo_client.get("/impact", params={"entity": CUSTOMERS, "direction": "upstream"}).json()
    assert upstream["owners"] == []


def test_errors_are_pages_for_browsers_and_json_for_others(demo_client: TestClient) -> None:
    page = demo_client.get("/id/model/nope.nothing", headers=BROWSER)
    html = assert_page(page, status=404)
    assert 'action="/search"' in html and 'value="nope.nothing"' in html
    assert demo_client.get("/id/model/nope.nothing").json()["error"] == "notfound"
    assert_page(demo_client.get("/no/such/route", headers=BROWSER), status=404)
    assert demo_client.get("/no/such/route").json()["error"] == "http"
    bad = demo_client.get("/lineage", params={"entity": CUSTOMERS, "depth": "x"}, headers=BROWSER)
    assert_page(bad, status=400)


def test_docs_from_vendored_swagger_ui(demo_client: TestClient) -> None:
    html = assert_page(demo_client.get("/docs"))
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in html
    assert 'href="/static/vendor/swagger-ui/swagger-ui.css"' in html
    assert demo_client.get("/redoc").status_code == 404
    assert "/docs" not in demo_client.get("/openapi.json").json()["paths"]


def test_static_assets_are_cached_and_confined(demo_client: TestClient) -> None:
    css = demo_client.get("/static/mlkg.css")
    assert css.status_code == 200 and css.headers["cache-control"] == "public, max-age=86400"
    assert css.headers["content-type"].startswith("text/css")
    again = demo_client.get("/static/mlkg.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304
    script = demo_client.get("/static/vendor/yasgui/yasgui.min.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for path in ("/static/../__init__.py", "/static/%2e%2e/render.py", "/static/templates/base.html"):
        assert demo_client.get(path).status_code == 404, path


HOSTILE = """
<http://localhost:8000/id/team/evil> a <https://w3id.org/mlkg#Team> ;
    <https://w3id.org/mlkg#name> "<script>window.__xss=1</script>" ;
    <https://w3id.org/mlkg#displayName> "\\"><img src=x onerror=\\"window.__xss=1\\">" ;
    <https://w3id.org/mlkg#description> "it's <b>bold</b> & 'quoted'" ;
    <https://w3id.org/mlkg#homepage> <javascript:window.__xss=1> ;
    <https://w3id.org/mlkg#member> <data:text/html;base64,PGI+eDwvYj4=> ;
    <https://w3id.org/mlkg#owner> <http://localhost:8000/id/team/evil'onmouseover='x> .
"""


def test_hostile_iris_and_literals_are_shown_as_text(make_client: ClientFactory) -> None:
    client = make_client()
    stored = client.put(
        "/store",
        params={"graph": "http://localhost:8000/id/team/evil"},
        content=HOSTILE.encode(),
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert stored.status_code == 201, stored.text
    html = assert_page(client.get("/id/team/evil", headers=BROWSER))
    assert "<script>window.__xss" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "javascript:window.__xss=1" in html  # shown, as text
    for tag, url in links_of(html).urls:
        if tag == "a":
            assert urlsplit(url).scheme in ("", "http", "https"), url
            assert '"' not in url and "<" not in url, url


def test_history_is_a_table_for_browsers(client: TestClient) -> None:
    document = {"type": "mlmodel", "name": "m1", "fullyQualifiedName": "svc.m1", "algorithm": "XGBoost"}
    assert client.post("/entities", json=document, headers=AUTH).status_code == 201
    changed = {**document, "algorithm": "<b>LightGBM</b>"}
    assert client.post("/entities", json=changed, headers=AUTH).status_code == 201
    html = assert_page(client.get("/id/model/svc.m1/versions", headers=BROWSER))
    assert "algorithm: XGBoost → &lt;b&gt;LightGBM&lt;/b&gt;" in html
    assert 'href="/id/model/svc.m1/versions/1.1?format=ttl"' in html and 'href="/id/model/svc.m1"' in html
    listed = client.get("/id/model/svc.m1/versions").json()["versions"]
    assert [v["version"] for v in listed] == ["1.1", "0.1"]


def test_search_results_page_for_browsers_json_for_others(demo_client: TestClient) -> None:
    html = assert_page(demo_client.get("/search", params={"q": "fraud <b>"}, headers=BROWSER))
    assert 'value="fraud &lt;b&gt;"' in html and "<b>" not in html.split("<main>", 1)[1]
    found = assert_page(demo_client.get("/search", params={"q": "fraud", "type": "model"}, headers=BROWSER))
    assert 'href="/id/model/mlflow_prod.fraud_detection"' in found
    assert 'href="/search?q=fraud"' in found  # drop the kind filter
    answer = demo_client.get("/search", params={"q": "fraud"})
    assert answer.headers["content-type"] == "application/json" and answer.json()["total"] > 0
