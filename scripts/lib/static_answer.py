"""A WSGI callable that answers every request with the bytes of the file named by
``STATIC_ANSWER_FILE`` as ``application/json``, after reading the request body: bench only
(``scripts/bench_fixed_cost.py``), the HTTP server's and the client's share of a request
with no Python web framework behind it."""

import os
from pathlib import Path

ANSWER = Path(os.environ["STATIC_ANSWER_FILE"]).read_bytes()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))]


def application(environ: dict, start_response) -> list[bytes]:
    """Read the body (``CONTENT_LENGTH`` bytes), answer 200 with :data:`ANSWER`."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", HEADERS)
    return [ANSWER]
