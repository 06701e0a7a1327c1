#!/usr/bin/env python3
"""Fetch the browser libraries the web pages use from the npm registry, at pinned versions, into
``src/mlkg/web/static/vendor/`` (docs/architecture.md, section 11: every asset is served by mlkg itself).

Each package is fetched with ``npm pack NAME@VERSION`` (the registry's own client), unpacked, and only the
files the pages load are copied, with the package's license files. ``manifest.json`` records each package's
version, the tarball's integrity as npm reports it, and the sha256 of every copied file
(``tests/web/test_assets.py`` checks the files against it). Run it again after changing a pin:

    python3 scripts/vendor_assets.py

Needs ``npm`` on the PATH and the npm registry reachable; nothing else is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "mlkg" / "web" / "static" / "vendor"

#: package, pinned version, directory under vendor/, files to copy (paths in the package tarball).
PACKAGES: list[tuple[str, str, str, list[str]]] = [
    ("cytoscape", "3.35.0", "cytoscape", ["dist/cytoscape.min.js", "LICENSE"]),
    # cytoscape-dagre 4 bundles its layout engine (@dagrejs/dagre, MIT) in this one file: no separate dagre.
    ("cytoscape-dagre", "4.0.1", "cytoscape-dagre", ["dist/cytoscape-dagre.js", "LICENSE"]),
    ("@zazuko/yasgui", "4.6.2", "yasgui", ["build/yasgui.min.js", "build/yasgui.min.css"]),
    (
        "swagger-ui-dist",
        "5.36.0",
        "swagger-ui",
        [
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js.LICENSE.txt",
        ],
    ),
]

#: Packages whose tarball holds no license file: the license their package.json declares, written out.
_MIT = """MIT License

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pack(name: str, version: str, workdir: Path) -> tuple[Path, dict[str, object]]:
    """``npm pack`` one package into ``workdir``; the tarball and what npm reports of it."""
    done = subprocess.run(
        ["npm", "pack", "--json", f"{name}@{version}"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)[0]
    return workdir / report["filename"], report


def main() -> int:
    entries = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name, version, target, files in PACKAGES:
            tarball, report = _pack(name, version, work)
            unpacked = work / target
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
            package = unpacked / "package"
            declared = json.loads((package / "package.json").read_text(encoding="utf-8"))
            out = VENDOR / target
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            copied: dict[str, str] = {}
            for member in files:
                destination = out / Path(member).name
                shutil.copyfile(package / member, destination)
                copied[destination.name] = _sha256(destination)
            if not any(n.upper().startswith(("LICENSE", "LICENCE")) for n in copied):
                license_name = declared.get("license")
                if license_name != "MIT":
                    sys.exit(f"{name}@{version} ships no license file and declares {license_name!r}")
                repository = declared.get("repository")
                source = repository.get("url") if isinstance(repository, dict) else repository
                header = (
                    f"The npm package {name}@{version} ships no license file; its package.json declares the "
                    f"MIT license{f' (source: {source})' if source else ''}, whose text follows.\n\n"
                )
                (out / "LICENSE").write_text(header + _MIT, encoding="utf-8")
                copied["LICENSE"] = _sha256(out / "LICENSE")
            entries.append(
                {
                    "name": name,
                    "version": version,
                    "license": declared.get("license"),
                    "integrity": report.get("integrity"),
                    "directory": target,
                    "files": dict(sorted(copied.items())),
                }
            )
            print(f"{name}@{version}: {', '.join(sorted(copied))}")
    manifest = {"generated_by": "scripts/vendor_assets.py", "packages": entries}
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
