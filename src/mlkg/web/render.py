"""The one Jinja2 environment of an app: templates from ``mlkg/web/templates/`` with autoescaping on for
every template (docs/architecture.md, section 11).

Everything a template prints is escaped unless it is :class:`markupsafe.Markup`, which mlkg never builds from
stored text: links come as :class:`~mlkg.web.terms.Shown` values whose ``href`` is set only for http(s) IRIs.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from mlkg import __version__

__all__ = ["STATIC_PACKAGE", "Pages"]

#: The package and folder mlkg serves under ``/static/`` (its own scripts and styles, and ``vendor/``).
STATIC_PACKAGE = ("mlkg.web", "static")


class Pages:
    """The templates of one app (no module-level environment: each app makes its own)."""

    def __init__(self) -> None:
        self._environment = Environment(
            loader=PackageLoader("mlkg.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._environment.globals["version"] = __version__

    def render(self, template: str, /, **context: Any) -> str:
        """The page ``template`` (a file name under ``templates/``) with ``context``.

        :raises jinja2.TemplateError: if the template is missing or uses a name the context lacks (a bug).
        """
        return self._environment.get_template(template).render(**context)
