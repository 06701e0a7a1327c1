"""Access control against a real ``mlkg serve`` (docs/architecture.md, section 10): principals made by the
command before the server starts (shared through the store), a SPARQL client that only does HTTP Basic
writing through ``/update`` (SPARQLWrapper; rdflib's ``SPARQLUpdateStore``; urllib's challenge-driven
``HTTPBasicAuthHandler``, which sends credentials only after a 401 names Basic, as Jena's rupdate does), the
attempts read back with ``mlkg audit`` while the server holds the store, and no token in the server's log."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from SPARQLWrapper import BASIC, JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized
from tests.serving import LiveServer, launch

import mlkg
from mlkg.access.audit import os_user

ROLES = {"alice": "data_scientist", "val": "viewer", "ada": "admin"}


def _mlkg(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    return subprocess.run(
        [sys.executable, "-m", "mlkg", *args], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str], Path, Path]]:
    folder = tmp_path_factory.mktemp("access")
    store = folder / "store"
    done = _mlkg("principal", "add", "alice", "--role", ROLES["alice"], "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert "shown this once" in done.stderr and done.stdout.strip() not in done.stderr
    tokens = {"alice": done.stdout.strip()}
    with mlkg.open(store=str(store)) as catalog:  # the others in-process: one command start is enough
        tokens.update({n: catalog.principals.add(name=n, role=r) for n, r in ROLES.items() if n != "alice"})
    log = folder / "serve.log"
    started = launch(log=log, demo=False, token=None, store=str(store))
    try:
        yield started.ready(), tokens, log, store
    finally:
        started.stop()


def _ask(server: LiveServer, query: str) -> bool:
    reader = SPARQLWrapper(server.sparql)
    reader.setQuery(query)
    reader.setReturnFormat(JSON)
    answer: dict[str, Any] = reader.queryAndConvert()  # type: ignore[assignment]
    return bool(answer["boolean"])


def _close(error: BaseException) -> None:
    """Close the HTTP response SPARQLWrapper's error was made from (it leaves it open)."""
    cause = error.__context__
    if isinstance(cause, urllib.error.HTTPError):
        cause.close()


def _basic_client(server: LiveServer, name: str, token: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql, updateEndpoint=server.update)
    client.setHTTPAuth(BASIC)
    client.setCredentials(name, token)
    client.setMethod(POST)
    return client


def test_basic_only_clients_write_through_update(live: tuple[LiveServer, dict[str, str], Path, Path]) -> None:
    server, tokens, _, _ = live
    client = _basic_client(server, "alice", tokens["alice"])
    client.setQuery('INSERT DATA { GRAPH <urn:live:g1> { <urn:live:a> <urn:live:b> "sparqlwrapper" } }')
    assert client.query().response.status == 204
    assert _ask(server, 'ASK { <urn:live:a> <urn:live:b> "sparqlwrapper" }')

    rdflib_store = SPARQLUpdateStore(server.sparql, server.update, auth=("alice", tokens["alice"]))
    rdflib_store.update('INSERT DATA { GRAPH <urn:live:g2> { <urn:live:a> <urn:live:b> "rdflib" } }')
    assert _ask(server, 'ASK { <urn:live:a> <urn:live:b> "rdflib" }')

    # a client that sends credentials only once a 401 asks for Basic (as Jena's rupdate)
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, server.url, "alice", tokens["alice"])
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
    body = urllib.parse.urlencode(
        {"update": "INSERT DATA { GRAPH <urn:live:g3> { <urn:live:a> <urn:live:b> 3 } }"}
    )
    sent = urllib.request.Request(server.update, data=body.encode(), method="POST")
    with opener.open(sent, timeout=30) as answer:
        assert answer.status == 204
    assert _ask(server, "ASK { <urn:live:a> <urn:live:b> 3 }")


def test_refused_writes_challenge_and_change_nothing(
    live: tuple[LiveServer, dict[str, str], Path, Path],
) -> None:
    server, tokens, _, _ = live
    update = 'INSERT DATA { GRAPH <urn:live:refused> { <urn:live:r> <urn:live:b> "no" } }'
    anonymous = SPARQLWrapper(server.sparql, updateEndpoint=server.update)
    anonymous.setMethod(POST)
    anonymous.setQuery(update)
    with pytest.raises(Unauthorized) as unauthorized:
        anonymous.query()
    _close(unauthorized.value)
    wrong = _basic_client(server, "alice", tokens["val"])  # another principal's token
    wrong.setQuery(update)
    with pytest.raises(Unauthorized) as unauthorized:
        wrong.query()
    _close(unauthorized.value)
    viewer = _basic_client(server, "val", tokens["val"])
    viewer.setQuery(update)
    with pytest.raises(urllib.error.HTTPError) as refused:
        viewer.query()
    assert refused.value.code == 403
    refused.value.close()
    request = urllib.request.Request(server.update, data=b"update=CLEAR+ALL", method="POST")
    with pytest.raises(urllib.error.HTTPError) as challenged:
        urllib.request.urlopen(request, timeout=30)
    assert challenged.value.code == 401
    assert challenged.value.headers.get_all("WWW-Authenticate") == [
        'Basic realm="mlkg"',
        'Bearer realm="mlkg"',
    ]
    challenged.value.close()
    assert not _ask(server, "ASK { <urn:live:r> ?p ?o }")


def test_the_audit_is_read_by_the_command_while_served_and_no_token_is_logged(
    live: tuple[LiveServer, dict[str, str], Path, Path],
) -> None:
    server, tokens, log, store = live
    denied = _basic_client(server, "val", tokens["val"])
    denied.setQuery("DROP SILENT GRAPH <urn:live:g1>")
    with pytest.raises(urllib.error.HTTPError) as refused:
        denied.query()
    refused.value.close()
    allowed = _basic_client(server, "alice", tokens["alice"])
    allowed.setQuery('INSERT DATA { GRAPH <urn:live:g4> { <urn:live:a> <urn:live:b> "audited" } }')
    allowed.query()
    done = _mlkg("audit", "--store", str(store), "--format", "json")
    assert done.returncode == 0, done.stderr
    attempts = json.loads(done.stdout)["attempts"]
    found = {(a["principal"], a["action"], a["outcome"]) for a in attempts}
    assert ("alice", "POST /update", "granted") in found
    assert ("val", "POST /update", "denied") in found
    assert (os_user(), "mlkg principal add", "granted") in found  # the command: the OS user
    latest = attempts[0]
    assert (latest["principal"], latest["entities"]) == ("alice", ["urn:live:g4"])
    assert "anonymous" in {a["principal"] for a in attempts}
    only = _mlkg("audit", "--store", str(store), "--principal", "val", "--format", "json")
    assert {a["principal"] for a in json.loads(only.stdout)["attempts"]} == {"val"}
    printed = log.read_text(errors="replace")
    for name, token in tokens.items():
        assert token not in printed
        assert base64.b64encode(f"{name}:{token}".encode()).decode() not in printed
