"""The HTTP service (docs/architecture.md, section 1, HTTP): ``create_app(settings)`` makes the FastAPI app
``mlkg serve`` runs."""

from __future__ import annotations

from mlkg.api.app import create_app

__all__ = ["create_app"]
