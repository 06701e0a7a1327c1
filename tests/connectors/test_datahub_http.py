"""DataHub's own ``DatahubRestEmitter`` sending to a real ``mlkg serve``.

acryl-datahub is not a dependency of mlkg (nor of its tests): the emitter runs in a Python that has it, named
by ``MLKG_TEST_DATAHUB_PYTHON`` (e.g. ``python3 -m venv /tmp/dh-venv && /tmp/dh-venv/bin/pip install
acryl-datahub``), through tests/fixtures/datahub/generate.py; without it the test is skipped, and
tests/api/test_routes_datahub.py replays the requests this emitter made, captured once.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.serving import Launched, LiveServer, launch

GENERATOR = Path(__file__).resolve().parents[1] / "fixtures" / "datahub" / "generate.py"
PYTHON = os.environ.get("MLKG_TEST_DATAHUB_PYTHON")
ID = "http://localhost:8000/id/"

pytestmark = pytest.mark.skipif(
    not PYTHON, reason="MLKG_TEST_DATAHUB_PYTHON names no Python with acryl-datahub"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    started: Launched = launch(
        log=tmp_path_factory.mktemp("dh") / "serve.log",
        demo=False,
        token="datahub-token",
        options=["--datahub-platform", "snowflake=snowflake_prod"],
    )
    try:
        yield started.ready()
    finally:
        started.stop()


def test_datahubs_rest_emitter_writes_the_estate_with_its_lineage(server: LiveServer, tmp_path: Path) -> None:
    assert PYTHON is not None
    record = tmp_path / "requests.json"
    base = server.url.rstrip("/")
    command = [PYTHON, str(GENERATOR), "--rest", base, "--record", str(record)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    sent = json.loads(record.read_text(encoding="utf-8"))
    assert [r["status"] for r in sent] == [200] + [201] * (len(sent) - 1)
    lineage = httpx.get(
        f"{base}/lineage",
        params={"entity": f"{ID}column/snowflake_prod.shop.public.orders.amount", "direction": "downstream"},
    ).json()
    assert f"{ID}column/snowflake_prod.shop.public.customer_spend.spend_30d" in {
        n["id"] for n in lineage["nodes"]
    }
    model = httpx.get(
        f"{base}/lineage", params={"entity": f"{ID}model/mlflow.churn_v3", "direction": "upstream"}
    ).json()
    assert {f"{ID}run/datahub.churn-train-2024-05-01", f"{ID}model/mlflow.churn"} <= {
        n["id"] for n in model["nodes"]
    }
