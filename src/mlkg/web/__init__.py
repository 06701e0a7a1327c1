"""The web interface's pages: Jinja2 templates (autoescaped), the view of RDF terms they show, the landing
page's overview and the assets mlkg serves under ``/static/`` (docs/architecture.md, section 11).

The HTTP routes (:mod:`mlkg.api.routers.web` and the routes that answer browsers) gather what a page shows
through the store and catalog API only, so the pages are the same on every backend.
"""

from __future__ import annotations

from mlkg.web.render import STATIC_PACKAGE, Pages
from mlkg.web.terms import Shown, safe_href, show_term

__all__ = ["STATIC_PACKAGE", "Pages", "Shown", "safe_href", "show_term"]
