"""The container's health check (``docker-compose.yml``): ``python -m backend.healthcheck``
asks this container's server for ``/health/ready`` the way a client the settings accept
would, and exits 0 when it answers 200, else 1 with one line saying why.

A request naming ``localhost`` is refused (400, "Invalid HTTP_HOST header") as soon as
``ALLOWED_HOSTS`` names only the server's public name (``ALLOWED_HOSTS=api.example.org``,
as the README's production example sets it), and behind a TLS proxy
(``BEHIND_TLS_PROXY``) a plain-HTTP request is redirected to HTTPS. So the check sends:

- ``Host``: the first entry of ``ALLOWED_HOSTS`` read as the settings read it
  (:mod:`backend.environment`, ``ALLOWED_HOSTS_FILE`` included; default ``localhost``),
  a subdomain wildcard ``.example.org`` as ``example.org``, ``*`` as ``localhost``
  (Django's ``ALLOWED_HOSTS`` patterns);
- ``X-Forwarded-Proto: https`` when ``BEHIND_TLS_PROXY`` is true, as the proxy does.

Imports nothing of Django (it runs every few seconds beside the server).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from django.core.exceptions import ImproperlyConfigured

from backend.environment import env

#: Where the server listens in the container (docker/entrypoint.sh binds 0.0.0.0:8000).
DEFAULT_URL = "http://127.0.0.1:8000/health/ready?format=json"


def probe_headers() -> dict[str, str]:
    """The headers of the check: ``Host`` (see the module docstring) and, behind a TLS
    proxy, ``X-Forwarded-Proto``. Raises ``ImproperlyConfigured`` for a variable the
    settings would refuse too."""
    hosts = [h.strip() for h in env.list("ALLOWED_HOSTS", default=["localhost"]) if h.strip()]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    headers = {"Host": "localhost" if host == "*" else host}
    if env.bool("BEHIND_TLS_PROXY", default=False):
        headers["X-Forwarded-Proto"] = "https"
    return headers


def check(url: str = DEFAULT_URL, timeout: float = 5) -> str | None:
    """None when ``url`` answers 200 to a request with :func:`probe_headers`, else why
    not, on one line (the status and the start of the answer, or the connection error)."""
    request = urllib.request.Request(url, headers=probe_headers())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return None if response.status == 200 else f"{url} answered {response.status}"
    except urllib.error.HTTPError as error:
        body = " ".join(error.read(300).decode("utf-8", "replace").split())
        return f"{url} answered {error.code}: {body}"
    except OSError as error:
        return f"{url} did not answer: {error}"


def main(argv: list[str]) -> int:
    """``python -m backend.healthcheck [URL]``: 0 when ready, else 1 (why, on stderr,
    one line: also for a setting it cannot read, such as ``BEHIND_TLS_PROXY=maybe``)."""
    try:
        problem = check(argv[0] if argv else DEFAULT_URL)
    except ImproperlyConfigured as error:
        problem = f"a setting cannot be read: {error}"
    if problem is not None:
        print(f"not ready: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
