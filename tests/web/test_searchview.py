"""The search results page's view (mlkg.web.searchview) and template, from the JSON shape of a search's
answer: links only where safe, matched words marked, text escaped, facet and page links keep the search."""

from __future__ import annotations

from mlkg.web import Pages
from mlkg.web.searchview import search_view

BASE = "http://localhost:8000/id/"
ANSWER = {
    "query": "churn <b>",
    "total": 45,
    "limit": 20,
    "offset": 20,
    "results": [
        {
            "iri": f"{BASE}model/mlflow_prod.customer_churn_predictor",
            "type": "model",
            "name": "customer_churn_predictor",
            "fullyQualifiedName": "mlflow_prod.customer_churn_predictor",
            "displayName": "Customer Churn Predictor",
            "description": "Predicts churn",
            "tags": ["Tier.Tier1"],
            "owners": ["data-science"],
            "score": 3.2,
            "highlights": {
                "description": [{"text": "Predicts ", "match": False}, {"text": "churn", "match": True}]
            },
        },
        {
            "iri": "javascript:alert(1)",
            "type": "featureTable",
            "name": "<script>alert(2)</script>",
            "score": 1.0,
        },
    ],
    "facets": {"type": {"model": 4, "featureTable": 2}, "tag": {"Tier.Tier1": 3}, "owner": {}},
}


def test_hits_links_and_facets() -> None:
    view = search_view(ANSWER, base=BASE, filters={"type": "model"})
    first, second = view["hits"]
    assert first.link.href == "/id/model/mlflow_prod.customer_churn_predictor"
    assert first.link.text == "Customer Churn Predictor" and first.kind == "model"
    assert second.link.href is None and second.kind == "feature_table"
    links = view["links"]
    assert links["facet"]["tag"]["Tier.Tier1"] == "/search?q=churn+%3Cb%3E&type=model&tag=Tier.Tier1"
    assert links["without"]["type"] == "/search?q=churn+%3Cb%3E"
    assert links["previous"] == "/search?q=churn+%3Cb%3E&type=model&offset=0"
    assert links["next"] == "/search?q=churn+%3Cb%3E&type=model&offset=40"


def test_page_marks_matches_and_escapes_text() -> None:
    html = Pages().render("search.html", **search_view(ANSWER, base=BASE, filters={}))
    assert "Predicts <mark>churn</mark>" in html
    assert "<script>alert(2)" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert 'value="churn &lt;b&gt;"' in html and "45 results" in html
    assert 'href="/id/model/mlflow_prod.customer_churn_predictor"' in html
