"""Authentication and permissions cached for a bounded time (issue 15: the fixed cost).

Without a cache every request with a bearer token costs a SQL query for the token (and
its user), and every permission check of a user who is not a superuser two more (the
user's own and their groups' permissions). Both answers are kept in Django's cache
``auth`` (``CACHES["auth"]``; by default each process's memory) for at most
``AUTH_CACHE_SECONDS`` (default 10; 0 turns the cache off):

- a bearer token's key is the SHA-256 of the token; the entry holds the user it acts for,
  its scopes, and lives no longer than the token itself (its ``expires``);
- a user's permissions (``app_label.codename`` set) are kept by user id.

Revocation takes effect within ``AUTH_CACHE_SECONDS``: a token revoked or expired, a
permission removed, a user deactivated, wherever it happens (another process, SQL). In
the process that makes the change through Django's models (the admin, the token
revocation endpoint, ``manage.py`` commands) it takes effect at once: saving or deleting
a user, group, permission assignment, access token or OAuth2 application empties the cache
(:func:`forget_all`). With a shared cache (``CACHES["auth"]`` on Redis or Memcached) that
holds for every process.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.http import HttpRequest

#: The clock of the cache's deadlines (seconds since the epoch); tests move it.
clock: Callable[[], float] = time.time

_TOKEN, _PERMISSIONS = "token:", "perms:"


def _store():
    return caches["auth"]


def _get(key: str) -> Any:
    """The value cached under ``key`` while its deadline has not passed, else None."""
    if settings.AUTH_CACHE_SECONDS <= 0:
        return None
    entry = _store().get(key)
    if entry is None or clock() >= entry[0]:
        return None
    return entry[1]


def _put(key: str, value: Any, deadline: float | None = None) -> None:
    """Cache ``value`` until ``deadline`` (epoch seconds), at most ``AUTH_CACHE_SECONDS``."""
    seconds = settings.AUTH_CACHE_SECONDS
    if seconds <= 0:
        return
    now = clock()
    until = now + seconds if deadline is None else min(now + seconds, deadline)
    if until > now:
        _store().set(key, (until, value), timeout=seconds)


def forget_all(*args: Any, **kwargs: Any) -> None:
    """Empty the cache (a signal receiver: a user, group, permission or token changed)."""
    _store().clear()


def _token_key(token: str) -> str:
    return _TOKEN + hashlib.sha256(token.encode()).hexdigest()


def cached_token_user(
    request: HttpRequest, token: str, verify: Callable[[HttpRequest], tuple[Any, Any]]
) -> Any:
    """The user the bearer ``token`` acts for, or None; sets ``request.oauth_scopes``.

    ``verify(request)`` checks the token against the database (django-oauth-toolkit):
    it returns ``(user, access_token)`` or ``(None, None)``. Its answer for a valid token
    is kept (see the module doc); a refused token is not cached, so it is checked again
    each time. The user returned is a fresh copy for this request.
    """
    key = _token_key(token)
    cached = _get(key)
    if cached is not None:
        user, scopes = cached
        request.oauth_scopes = scopes
        return user
    user, access_token = verify(request)
    if user is None:
        return None
    scopes = frozenset(access_token.scope.split())
    request.oauth_scopes = scopes
    _put(key, (user, scopes), access_token.expires.timestamp())
    return user


class CachedModelBackend(ModelBackend):
    """Django's ``ModelBackend`` whose permission sets are cached per user for
    ``AUTH_CACHE_SECONDS`` (see the module doc), instead of two SQL queries per user
    object (the admin, every surface and the services ask through ``has_perm``).

    Inactive and anonymous users have no permissions, as in ``ModelBackend``; object
    permissions (``obj`` given) are not handled, as in ``ModelBackend``.
    """

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if (
            obj is None
            and user_obj.is_active
            and not user_obj.is_anonymous
            and not hasattr(user_obj, "_perm_cache")
        ):
            key = f"{_PERMISSIONS}{user_obj.pk}"
            cached = _get(key)
            if cached is None:
                cached = super().get_all_permissions(user_obj)
                _put(key, cached)
            user_obj._perm_cache = cached
        return super().get_all_permissions(user_obj, obj)


def forget_cached_auth_on_changes() -> None:
    """Connect :func:`forget_all` to the changes that can revoke access: a user, group,
    access token or OAuth2 application saved or deleted, a permission or group given or
    taken (called once, by the core's ``AppConfig.ready``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from oauth2_provider.models import get_access_token_model, get_application_model

    user = get_user_model()
    for model in (user, Group, get_access_token_model(), get_application_model()):
        post_save.connect(forget_all, sender=model, dispatch_uid=f"auth-cache-save-{model}")
        post_delete.connect(forget_all, sender=model, dispatch_uid=f"auth-cache-del-{model}")
    for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget_all, sender=through, dispatch_uid=f"auth-cache-m2m-{through}")
