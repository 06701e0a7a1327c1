"""The vendored browser libraries (``src/mlkg/web/static/vendor/``) are the files the manifest records, each
package with its license, and the pages load nothing from another host."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources

from mlkg.web import Pages

VENDOR = resources.files("mlkg.web").joinpath("static", "vendor")
TEMPLATES = resources.files("mlkg.web").joinpath("templates")


def test_every_vendored_file_matches_the_manifest_and_has_a_license() -> None:
    manifest = json.loads(VENDOR.joinpath("manifest.json").read_text(encoding="utf-8"))
    names = {p["name"] for p in manifest["packages"]}
    assert {"cytoscape", "cytoscape-dagre", "@zazuko/yasgui", "swagger-ui-dist"} <= names
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package  # pinned, not a range
        assert package["integrity"].startswith("sha512-"), package
        folder = VENDOR.joinpath(package["directory"])
        assert "LICENSE" in package["files"], package["name"]
        listed = set(package["files"])
        present = {entry.name for entry in folder.iterdir()}
        assert present == listed, f"{package['name']}: files not in the manifest: {present ^ listed}"
        for name, digest in package["files"].items():
            data = folder.joinpath(name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{package['name']}/{name} changed"


def test_templates_name_no_other_host() -> None:
    """Every ``src``/``href`` in the templates is a path on this server (or a Jinja expression)."""
    for template in TEMPLATES.iterdir():
        text = template.read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', text):
            assert not re.match(r"(?i)^(?:[a-z][a-z0-9+.-]*:|//)", url), f"{template.name}: {url}"


def test_templates_have_no_inline_script_or_style() -> None:
    """The Content-Security-Policy allows no inline script: scripts are files, data goes in attributes or
    a JSON data block (``type="application/json"``, never run)."""
    for template in TEMPLATES.iterdir():
        text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.DOTALL)  # comments
        for opening in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in opening or 'type="application/json"' in opening, f"{template.name}: {opening}"
        assert "<style" not in text and " style=" not in text, template.name
        assert not re.search(r"\son[a-z]+=", text), f"{template.name}: an inline event handler"


def test_pages_escape_by_default() -> None:
    pages = Pages()
    html = pages.render(
        "error.html",
        code=404,
        title="<b>x</b>",
        message='"><script>alert(1)</script>',
        where=None,
        search_text="'",
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
