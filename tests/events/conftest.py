from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.events.receiver import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback webhook receiver (a real HTTP server in a thread), stopped after the test."""
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()
