"""The OAuth2 endpoints of django-oauth-toolkit (mounted at ``/o/``), hardened: the token
endpoint throttled by django-axes like the login page, the application management
pages for staff only."""

from __future__ import annotations

import base64
import json
from urllib.parse import unquote

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern
from oauth2_provider import urls as oauth2_urls
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import TokenView
from oauthlib.oauth2 import Server as OAuthlibServer

from backend.deployment import demo_refused


class OfferedGrantsServer(OAuthlibServer):
    """oauthlib's all-grants server (the toolkit's default ``OAUTH2_SERVER_CLASS``) with
    only the grants this project offers: ``authorization_code`` (PKCE required),
    ``client_credentials`` and ``refresh_token`` at the token endpoint, the ``code``
    response type at the authorization endpoint.

    RFC 9700 §2.4 and §2.1.2 forbid the password and implicit grants; the toolkit's
    ``COMPLIANT_BCP_RFC9700_*`` flags refuse them only in ``validate_grant_type``, which
    oauthlib's password grant calls *after* checking the user's password, so the answer
    told a right password (``unauthorized_client``) from a wrong one (``invalid_grant``)
    and a wrong one counted as a failed login. Left out of the server, any other grant
    type (``password``, the device code, an unknown one) is ``unsupported_grant_type``
    (RFC 6749 §5.2) before any credential is read, and counts as no failure.
    """

    #: The grant types of the token endpoint (RFC 6749 §4.1.3, §4.4.2, §6).
    TOKEN_GRANTS = ("authorization_code", "client_credentials", "refresh_token")

    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self._grant_types = {
            name: grant for name, grant in self._grant_types.items() if name in self.TOKEN_GRANTS
        }
        self._response_types = {
            name: grant for name, grant in self._response_types.items() if name != "token"
        }


class Validator(OAuth2Validator):
    """The toolkit's validator (``OAUTH2_VALIDATOR_CLASS``), refusing the public demo
    client (:func:`backend.deployment.demo_refused`: ``DEBUG=false``): its client
    authentication fails (``invalid_client``, counted by the lockouts) and its tokens are
    invalid (401), whenever the database got it, as the toolkit's ``is_usable`` would.
    """

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        return super().authenticate_client(request, *args, **kwargs) and not _demo(request)

    def authenticate_client_id(self, client_id, request, *args, **kwargs) -> bool:
        authenticated = super().authenticate_client_id(client_id, request, *args, **kwargs)
        return authenticated and not _demo(request)

    def validate_bearer_token(self, token, scopes, request) -> bool:
        return super().validate_bearer_token(token, scopes, request) and not _demo(request)


def _demo(request) -> bool:
    """Whether the OAuth2 client of ``request`` (oauthlib's) is the refused demo client."""
    client = getattr(request, "client", None)
    return demo_refused(client_id=getattr(client, "client_id", None))


def _client_id(request: HttpRequest) -> str:
    """The OAuth2 client id of a token request (HTTP Basic or the ``client_id`` field)."""
    kind, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "basic":
        try:
            return unquote(base64.b64decode(encoded).decode().partition(":")[0])
        except (ValueError, UnicodeDecodeError):
            return ""
    return request.POST.get("client_id", "")


class ThrottledTokenView(TokenView):
    """The toolkit's token endpoint, throttled by django-axes like the login page.

    A request naming a client id (or user name, for grants that carry one) that failed
    ``AXES_FAILURE_LIMIT`` times from the caller's address is refused with 429 and an
    RFC 6749 error body until the cool-off ends; each refused client authentication or
    grant counts as a failure. A grant type the server does not offer
    (:class:`OfferedGrantsServer`) is ``unsupported_grant_type`` and counts as none.
    """

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        credentials = {"username": request.POST.get("username") or _client_id(request)}
        if AxesProxyHandler.is_locked(request, credentials):
            return _locked_out()
        if request.POST.get("grant_type") == DEVICE_CODE:
            # to the server, which does not offer it (OfferedGrantsServer); the toolkit's
            # TokenView would look the device code up first (a 404, a 500 without one)
            response = self.authorization_flow_token_response(request)
        else:
            response = super().post(request, *args, **kwargs)
        if response.status_code == 401:
            response["WWW-Authenticate"] = TOKEN_CHALLENGE
        if response.status_code in (400, 401) and _oauth_error(response) in _CREDENTIAL_ERRORS:
            user_login_failed.send(sender=type(self), credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                # this failure reached the limit: answer as the endpoint does, not with
                # the HTML page AxesMiddleware would put in its place
                request.axes_locked_out = False
                return _locked_out()
        return response

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        """405 with an RFC 6749 error body (the endpoint takes POST only, RFC 6749 §3.2)."""
        response = JsonResponse(
            {"error": "invalid_request", "error_description": f"Use POST, not {request.method}."},
            status=405,
        )
        response["Allow"] = "POST"
        return response


def _locked_out() -> JsonResponse:
    """429 with an RFC 6749 error body and ``Retry-After`` (seconds of the cool-off)."""
    response = JsonResponse(
        {
            "error": "invalid_client",
            "error_description": "Too many failed attempts: try again later.",
        },
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


#: The device authorization grant's type (RFC 8628 §3.4), not offered here.
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

#: The challenge of a 401 of the token endpoint (RFC 6749 §5.2, RFC 7617 §2).
TOKEN_CHALLENGE = 'Basic realm="openIMIS token endpoint", charset="UTF-8"'

#: RFC 6749 errors of wrong credentials (client secret, password, code).
_CREDENTIAL_ERRORS = {"invalid_client", "invalid_grant"}


def _oauth_error(response: HttpResponse) -> str | None:
    try:
        return json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        return None


def oauth2_urlpatterns() -> list:
    """django-oauth-toolkit's URLs (mount at ``o/``), hardened: the token endpoint is
    :class:`ThrottledTokenView`; registering, listing or changing OAuth2 applications
    (``applications/…``, dynamic registration ``register/…``) and authorized tokens
    is for staff users only (others are sent to the admin login)."""
    staff_only = {
        id(p) for p in (*oauth2_urls.management_urlpatterns, *oauth2_urls.dcr_urlpatterns)
    }
    patterns = []
    for pattern in oauth2_urls.urlpatterns:
        if pattern.name == "token":
            callback = ThrottledTokenView.as_view()
        elif id(pattern) in staff_only:
            callback = staff_member_required(pattern.callback)
        else:
            patterns.append(pattern)
            continue
        patterns.append(URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name))
    return patterns
