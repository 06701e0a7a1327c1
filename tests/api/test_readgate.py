"""The read gate: at most ``slots`` quick reads in the engine at once; slow reads give their place up."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mlkg.api.readgate import ReadGate


def test_reads_past_the_slots_wait_and_are_admitted_in_order() -> None:
    async def scenario() -> list[str]:
        gate = ReadGate(slots=2, slow_after=60.0)
        first, second = gate.try_enter(), gate.try_enter()
        assert first is not None and second is not None
        assert gate.try_enter() is None
        admitted: list[str] = []

        async def wait(name: str) -> None:
            slot = await gate.enter()
            admitted.append(name)
            slot.leave()

        waiting = [asyncio.create_task(wait("a")), asyncio.create_task(wait("b"))]
        await asyncio.sleep(0.01)
        assert admitted == []  # both places are taken
        first.leave()
        first.leave()  # a second leave gives nothing back twice
        await asyncio.gather(*waiting)
        second.leave()
        assert gate.free == 2
        return admitted

    assert asyncio.run(scenario()) == ["a", "b"]


def test_a_slow_read_gives_its_place_up() -> None:
    async def scenario() -> None:
        gate = ReadGate(slots=1, slow_after=0.05)
        slow = gate.try_enter()
        assert slow is not None
        quick = await asyncio.wait_for(gate.enter(), timeout=5)  # admitted once the first read counts as slow
        quick.leave()
        slow.leave()  # the slow read ending later does not add a place
        assert gate.free == 1

    asyncio.run(scenario())


def test_a_cancelled_wait_does_not_lose_a_place() -> None:
    async def scenario() -> None:
        gate = ReadGate(slots=1, slow_after=60.0)
        held = gate.try_enter()
        assert held is not None
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(gate.enter(), timeout=0.01)
        held.leave()
        assert gate.free == 1
        again = gate.try_enter()
        assert again is not None
        again.leave()

    asyncio.run(scenario())


def test_a_gate_needs_a_place() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        ReadGate(slots=0, slow_after=1.0)


def test_a_slow_query_does_not_hold_back_a_quick_one(make_client) -> None:
    """With one place, a query streaming millions of rows still lets a quick query through."""
    client = make_client(demo=True, query_concurrency=1)
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    finished: list[str] = []

    def run_heavy() -> None:
        response = client.get("/sparql", params={"query": heavy, "timeout": "3"})
        finished.append(f"heavy {response.status_code}")

    worker = threading.Thread(target=run_heavy)
    worker.start()
    time.sleep(0.3)
    quick = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    finished.append(f"quick {quick.status_code}")
    worker.join()
    assert finished == ["quick 200", "heavy 503"]


def test_a_query_waiting_for_a_place_past_its_time_limit_is_503(make_client) -> None:
    client = make_client(demo=True, query_concurrency=1)
    state = client.app.state.mlkg  # type: ignore[attr-defined]
    state.read_gate.slow_after = 60.0  # the heavy query keeps its place
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    worker = threading.Thread(target=lambda: client.get("/sparql", params={"query": heavy, "timeout": "2"}))
    worker.start()
    time.sleep(0.3)
    waited = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "timeout": "0.2"})
    worker.join()
    assert waited.status_code == 503
    assert waited.json()["error"] == "querytimeout"
