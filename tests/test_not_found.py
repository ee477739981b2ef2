"""An unknown path under an API answers in that API's error format (``backend.not_found``),
in production and in DEBUG (the quick start) alike; elsewhere Django's page stays."""

import json

import pytest
from django.test import Client


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def production(request, settings):
    settings.DEBUG = request.param
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.parametrize("path", ["/graphql/nope", "/graphql/"])
def test_unknown_graphql_path_is_a_graphql_error(client, production, path):
    response = client.post(path, "{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND"}
    assert error["message"] == (
        f"No GraphQL endpoint at {path}; the endpoints are /graphql, /graphql/location, "
        "/graphql/payer."
    )


@pytest.mark.parametrize("path", ["/api/", "/api/foo", "/api/locations/"])
def test_unknown_jsonapi_path_is_a_jsonapi_error_document(client, production, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/vnd.api+json"
    (error,) = response.json()["errors"]
    assert (error["status"], error["code"]) == ("404", "not_found")
    assert error["detail"].startswith(f"No JSON:API resource at {path}; the resource types are ")
    assert "locations, payers" in error["detail"]


@pytest.mark.parametrize(
    "path", ["/api/locations/not-a-uuid", "/api/payers/NOPE/location", "/api/locations/x/y"]
)
def test_an_id_no_resource_can_have_is_named_without_logging_in(client, production, path):
    """An id that is no uuid in canonical form names no resource (backend/ids.py): the
    404 names the type and the id, before authentication (it depends on no row)."""
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/vnd.api+json"
    type_, key = path.split("/")[2:4]
    assert response.json()["errors"] == [
        {"detail": f"No {type_} resource has id {key!r}.", "status": "404", "code": "not_found"}
    ]


@pytest.mark.parametrize("path", ["/fhir", "/fhir/", "/fhir/Location/1/_history/2/extra"])
def test_unknown_fhir_path_is_an_operation_outcome(client, production, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert (issue["severity"], issue["code"]) == ("error", "not-found")
    assert issue["diagnostics"] == (
        f"No FHIR interaction at {path}; the resource types are Location, Organization "
        "(/fhir/<type>, /fhir/<type>/<id>; the CapabilityStatement at /fhir/metadata)."
    )


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/fhir", "resourceType"), ("/fhir/Location/x/y/z", "resourceType"), ("/api/foo", "errors")],
)
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_unsafe_methods_get_the_same_404(path, kind, method):
    """A bearer client's POST (no CSRF cookie) to an unknown API path: the API's 404,
    not Django's HTML CSRF page (POST /fhir is FHIR's batch endpoint, which clients try)."""
    response = getattr(Client(enforce_csrf_checks=True), method)(
        path, "{}", content_type="application/json", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 404
    assert kind in response.json()


def test_other_paths_keep_the_html_page(client, settings):
    settings.DEBUG = False
    response = client.get("/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# -- a server error (Django's handler500) answers in the API's format too ------------------


@pytest.mark.parametrize(
    ("path", "fault"),
    [(p, f) for p in ("/fhir/Location", "/api/locations", "/graphql") for f in (False, True)],
)
def test_a_server_error_answers_in_the_format_of_the_api(path, fault):
    from django.db import OperationalError
    from django.test import RequestFactory

    from backend.views import server_error

    # given an exception escaping a view under the path (a database fault or a defect)
    try:
        raise OperationalError("server closed the connection") if fault else RuntimeError("bug")
    except Exception:
        response = server_error(RequestFactory().get(path))
    # then the answer is the API's error document, 503 with Retry-After for a fault
    status = 503 if fault else 500
    assert response.status_code == status
    assert (response.get("Retry-After") is not None) == fault
    body = json.loads(response.content)
    if path.startswith("/fhir"):
        assert response["Content-Type"].startswith("application/fhir+json")
        (issue,) = body["issue"]
        assert (body["resourceType"], issue["code"]) == (
            "OperationOutcome",
            "transient" if fault else "exception",
        )
    elif path.startswith("/api"):
        assert response["Content-Type"] == "application/vnd.api+json"
        (error,) = body["errors"]
        assert error["status"] == str(status)
    else:
        (error,) = body["errors"]
        code = "SERVICE_UNAVAILABLE" if fault else "INTERNAL_SERVER_ERROR"
        assert (body["data"], error["extensions"]["code"]) == (None, code)
