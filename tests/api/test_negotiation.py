"""Which ``Accept`` headers are a browser's page load (``mlkg.api.negotiation.prefers_html``): real
clients' headers, as they send them."""

from __future__ import annotations

import pytest

from mlkg.api.negotiation import prefers_html
from mlkg.api.webpage import DATA_TYPES

BROWSERS = {
    "chromium": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "firefox": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "safari": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
CLIENTS = {
    "java URLConnection": "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2",
    "jena select": "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.7, text/csv;q=0.5, application/json;q=0.2, application/xml;q=0.2, "
    "*/*;q=0.1",
    "sparqlwrapper json": "application/sparql-results+json,application/json,text/javascript,"
    "application/javascript",
    "curl": "*/*",
    "none": None,
    "html only": "text/html",
    "xhtml but turtle first": "text/turtle, text/html;q=0.9, application/xhtml+xml;q=0.9",
    "xhtml refused": "text/html, application/xhtml+xml;q=0",
}


@pytest.mark.parametrize("name", sorted(BROWSERS))
def test_browsers_loading_a_page_get_html(name: str) -> None:
    assert prefers_html(BROWSERS[name], data_types=DATA_TYPES)


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_protocol_clients_and_scripts_get_data(name: str) -> None:
    assert not prefers_html(CLIENTS[name], data_types=DATA_TYPES)
