"""Authentication and permissions of the REST surfaces (FHIR at ``/fhir/``, JSON:API at
``/api/``), the same as GraphQL's (:mod:`backend.views`, :mod:`backend.graphql.permissions`):

- ``Authorization: Bearer <token>``: an OAuth2 access token of django-oauth-toolkit; a
  client-credentials token acts for the application's owner; its scopes bound it
  (``read`` for reading, ``write`` for any change); an invalid token is a 401;
- otherwise the Django session, whose unsafe requests (POST, PUT, DELETE) need the CSRF
  token (``X-CSRFToken``), checked by Django REST framework's ``SessionAuthentication``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from oauth2_provider.models import get_application_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from backend.permissions import NOT_AUTHENTICATED, denied, required_scope
from backend.views import _bearer_token, _token_user


class BearerTokenAuthentication(BaseAuthentication):
    """A bearer token as the GraphQL endpoint reads it (``backend.views._token_user``)."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        if _bearer_token(request._request) is None:
            return None
        user = _token_user(request._request)  # sets request.oauth_scopes
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or expired bearer token.")
        return user, None

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="openimis"'


#: DRF ``authentication_classes`` of both surfaces.
AUTHENTICATION = (BearerTokenAuthentication, SessionAuthentication)


def authorize(request: Any, permission: str, action: str | None = None) -> None:
    """Raise unless the request may use the Django ``permission`` (``action``: what it
    is needed for, in the message, :func:`backend.permissions.denied`).

    Raises DRF's ``NotAuthenticated`` (401) for an anonymous request, and Django's
    ``PermissionDenied`` (403) when the user lacks the permission or a bearer token
    lacks the scope (:func:`backend.graphql.permissions.required_scope`).
    """
    user = request.user
    if not user or not user.is_authenticated:
        raise exceptions.NotAuthenticated(NOT_AUTHENTICATED)
    if not user.has_perm(permission):
        raise PermissionDenied(denied(permission, action))
    require_scope(request, required_scope(permission))


def require_scope(request: Any, scope: str) -> None:
    """Raise ``PermissionDenied`` when the request's bearer token lacks ``scope`` (a
    session has no scopes and is not limited by them); 401 when anonymous."""
    if not request.user or not request.user.is_authenticated:
        raise exceptions.NotAuthenticated(NOT_AUTHENTICATED)
    scopes = getattr(request._request, "oauth_scopes", None)
    if scopes is not None and scope not in scopes:
        raise PermissionDenied(
            f"The bearer token's scope does not include {scope!r} "
            f"(it has: {' '.join(sorted(scopes)) or 'none'})."
        )


def save_client_application(client_id: str, secret: str, owner: Any, name: str) -> Any:
    """Create or reset the OAuth2 application ``client_id``: confidential, the
    client-credentials grant, acting for ``owner`` (a user), its secret ``secret``
    (stored hashed). Returns the saved application."""
    application_model = get_application_model()
    application = application_model.objects.filter(client_id=client_id).first()
    application = application or application_model(client_id=client_id)
    application.name = name
    application.user = owner
    application.client_type = application_model.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = application_model.GRANT_CLIENT_CREDENTIALS
    application.client_secret = secret  # hashed on save
    application.save()
    return application
