"""A bare Python SPARQL server over pyoxigraph: the yardstick `bench/server.py` puts beside mlkg.

A bare Starlette app under uvicorn (uvloop, httptools, no access log), one route, ``GET /sparql?query=``:
the query runs in a pool of worker threads on pyoxigraph (the on-disk store mlkg serves, opened read-only) and
pyoxigraph serialises the results as SPARQL Results JSON. No negotiation, no dataset parameters, no time
limit, no CORS, no error bodies: nothing mlkg does beyond running the query off the event loop. So its rate is
about the most a Python server on this engine can answer on this machine, and mlkg's rate over it says how
much mlkg's own work costs.

    .venv/bin/python bench/bare_app.py --store bench/out/mlkg-store-100k-seed1 --port 8802 --threads 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def make_app(store: ox.Store, *, threads: int) -> Starlette:
    pool = ThreadPoolExecutor(max_workers=threads)

    def run(query: str) -> bytes:
        result = store.query(query, use_default_graph_as_union=True)
        body: bytes = result.serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
        return body

    async def answer(request: Request) -> Response:
        query = request.query_params.get("query")
        if query is None:
            return Response(b"no query", status_code=400)
        try:
            body = await asyncio.get_running_loop().run_in_executor(pool, run, query)
        except (SyntaxError, RuntimeError) as error:
            return Response(str(error).encode(), status_code=400)
        return Response(body, media_type="application/sparql-results+json")

    return Starlette(routes=[Route("/sparql", answer)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", required=True, help="an mlkg on-disk store directory (opened read-only)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2, help="query threads (default 2, the cores here)")
    args = parser.parse_args(argv)
    app = make_app(ox.Store.read_only(args.store), threads=args.threads)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
