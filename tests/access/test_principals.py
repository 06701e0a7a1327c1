"""Principals in the store (docs/architecture.md, section 10): only a salted hash of each token is stored, a
token works for its own principal only, and a registry sees what another process changed within a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlkg.access import PrincipalRegistry, Role
from mlkg.access.principals import RECHECK_SECONDS
from mlkg.access.tokens import TOKEN_PREFIX
from mlkg.errors import ConflictError, InputError, NotFoundError
from mlkg.store.base import Store
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import MLKG, PRINCIPALS_GRAPH


@pytest.fixture
def store() -> Iterator[Store]:
    with OxigraphStore(path=None) as opened:
        yield opened


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_only_a_salted_hash_of_each_token_is_stored(store: Store) -> None:
    registry = PrincipalRegistry(store=store)
    alice, bob = registry.add(name="alice", role="viewer"), registry.add(name="bob", role=Role.ADMIN)
    assert alice.startswith(TOKEN_PREFIX) and len(alice) > 40 and alice != bob
    stored = " ".join(str(term) for quad in store.quads(graph=PRINCIPALS_GRAPH) for term in quad)
    assert alice not in stored and bob not in stored
    salts = {str(o) for _, _, o, _ in store.quads(predicate=MLKG.tokenSalt)}
    assert len(salts) == 2  # one salt per principal
    assert registry.authenticate(token=alice) == registry.authenticate(token=alice, name="alice")
    assert registry.authenticate(token=alice).name == "alice"  # type: ignore[union-attr]
    assert registry.authenticate(token=alice, name="bob") is None  # Basic: the name must match
    assert registry.authenticate(token=alice + "x") is None
    assert [(p.name, p.role) for p in registry.principals()] == [("alice", Role.VIEWER), ("bob", Role.ADMIN)]


def test_changes_are_checked_and_refused_with_what_is_wrong(store: Store) -> None:
    registry = PrincipalRegistry(store=store)
    token = registry.add(name="carol", role="data_scientist")
    with pytest.raises(ConflictError):
        registry.add(name="carol", role="viewer")
    for bad in ("", "a:b", "-x", "x" * 65, "a b"):
        with pytest.raises(InputError, match="invalid principal name"):
            registry.add(name=bad, role="viewer")
    with pytest.raises(InputError, match="unknown role 'root'"):
        registry.add(name="dave", role="root")
    with pytest.raises(NotFoundError):
        registry.set_role(name="nobody", role="viewer")
    assert registry.set_role(name="carol", role="ml_engineer").role is Role.ML_ENGINEER
    assert registry.authenticate(token=token).role is Role.ML_ENGINEER  # type: ignore[union-attr]
    registry.remove(name="carol")
    assert registry.authenticate(token=token) is None
    assert registry.empty()


def test_a_registry_sees_another_processs_changes_within_a_second(store: Store) -> None:
    clock = Clock()
    server = PrincipalRegistry(store=store, clock=clock)  # as mlkg serve holds it
    assert server.empty()
    token = PrincipalRegistry(store=store).add(name="erin", role="admin")  # as mlkg principal add
    assert server.authenticate(token=token) is None  # cached: not re-read at every request
    clock.now += RECHECK_SECONDS
    assert server.authenticate(token=token) is not None
    PrincipalRegistry(store=store).remove(name="erin")
    clock.now += RECHECK_SECONDS
    assert server.authenticate(token=token) is None  # a removed principal's token stops working
