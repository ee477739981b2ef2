"""What a production server (``DEBUG=false``) refuses to run with.

:func:`production_problems` lists them: the public development ``SECRET_KEY``, the
demo superuser ``demo`` with its public password, the demo OAuth2 client. The WSGI
entry point (gunicorn) refuses to start while any is there, and ``manage.py check
--deploy --database default`` reports them (``core.E001``).

That start-up check needs the database; so that the demo credentials are useless in
production whenever they reach the database (down at the start, restored from a
development copy later), authentication refuses them too while ``DEBUG`` is false
(:func:`demo_refused`): the login of ``demo`` with its public password
(:class:`RefuseDemoLogin`, login page, admin), the demo client's authentication at the
token endpoint and its bearer tokens (``backend.oauth.Validator``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import DatabaseError
from oauth2_provider.models import get_application_model

logger = logging.getLogger("backend")

#: The development key settings fall back on (public: it is in the repository).
INSECURE_SECRET_KEY = "insecure-local-only-key-do-not-use-in-production"
#: The demo credentials ``manage.py create_demo_user`` makes (public: in the README).
DEMO_USERNAME, DEMO_PASSWORD = "demo", "demo"
DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-client", "demo-secret"
REMOVE_HINT = "remove them with `manage.py create_demo_user --remove`"


def demo_refused(
    *, username: str | None = None, password: str | None = None, client_id: str | None = None
) -> bool:
    """Whether authentication refuses these credentials: with ``DEBUG=false``, the demo
    user's name with its public password, or the demo client's id."""
    if settings.DEBUG:
        return False
    return (username, password) == (DEMO_USERNAME, DEMO_PASSWORD) or client_id == DEMO_CLIENT_ID


class RefuseDemoLogin:
    """Authentication backend, before Django's (``AUTHENTICATION_BACKENDS``): raises
    PermissionDenied for the demo user's public credentials (:func:`demo_refused`), which
    stops Django's ``authenticate`` (no later backend is asked; a failed login, counted
    by the lockouts); otherwise None, leaving the decision to the next backends. It has
    no ``get_user`` or permission methods: sessions and permissions stay with the backends
    that give them."""

    def authenticate(self, request, username=None, password=None, **kwargs) -> None:
        if demo_refused(username=username, password=password):
            raise PermissionDenied("The demo credentials are refused with DEBUG=false.")


def demo_credentials() -> list[str]:
    """The public demo credentials present in the database, described for people."""
    found = []
    user = get_user_model().objects.filter(username=DEMO_USERNAME).first()
    if user is not None and user.check_password(DEMO_PASSWORD):
        found.append(f"the user {DEMO_USERNAME!r} with its public password")
    if get_application_model().objects.filter(client_id=DEMO_CLIENT_ID).exists():
        found.append(f"the OAuth2 client {DEMO_CLIENT_ID!r}")
    return found


def production_problems() -> list[str]:
    """Why this process must not serve with ``DEBUG=false`` (empty when it may).

    Reads the database for the demo credentials; when the database cannot be reached
    or is not migrated yet, that part is skipped (and logged): the server then answers
    503 (or its health check "not ready") until it is, and authentication refuses the
    demo credentials once it does (:func:`demo_refused`).
    """
    problems = []
    if settings.SECRET_KEY == INSECURE_SECRET_KEY:
        problems.append("SECRET_KEY is not set (the development key is public)")
    try:
        demo = demo_credentials()
    except DatabaseError as error:
        logger.warning(
            "Could not look for the demo credentials (authentication refuses them anyway): %s",
            error,
        )
        demo = []
    if demo:
        problems.append(f"the database holds {' and '.join(demo)}: {REMOVE_HINT}")
    return problems


def refuse_unsafe_production() -> None:
    """Raise ImproperlyConfigured naming every production problem (``DEBUG=false``)."""
    if settings.DEBUG:
        return
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured(
            "Refusing to serve with DEBUG=false: " + "; ".join(problems) + "."
        )


@checks.register(checks.Tags.security, checks.Tags.database, deploy=True)
def check_demo_credentials(app_configs=None, databases=None, **kwargs) -> list:
    """``check --deploy --database default``: the demo credentials must be gone."""
    if not databases:
        return []
    return [
        checks.Error(f"The database holds {found}.", hint=REMOVE_HINT, id="core.E001")
        for found in demo_credentials()
    ]
