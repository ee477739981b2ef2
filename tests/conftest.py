"""Shared fixtures: a GraphQL client over HTTP, query counting, and the demo data path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

#: The openIMIS demo exports, read from the shared folder beside the repository.
DEMO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "openimis-demo"


class QueryCountMismatch(AssertionError):
    pass


class GraphQLClient:
    """Posts GraphQL documents to ``/graphql`` through Django's test client."""

    def __init__(self, client):
        self.client = client

    def post(self, query: str, variables: dict | None = None) -> dict:
        """Return the decoded JSON response (``data`` and maybe ``errors``)."""
        response = self.client.post(
            "/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
        )
        assert response["Content-Type"].startswith("application/json"), response.content[:500]
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        """Return ``data`` of a response that must have no errors."""
        result = self.post(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]

    def errors(self, query: str, variables: dict | None = None) -> list[str]:
        """Return the error messages of a response that must have errors."""
        result = self.post(query, variables)
        assert result.get("errors"), f"expected errors, got {result}"
        return [e["message"] for e in result["errors"]]


@pytest.fixture
def gql(client) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
def count_queries():
    """Run a callable and return (its result, the number of SQL queries it made)."""

    def run(func, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = func(*args, **kwargs)
        return result, captured

    return run


@pytest.fixture
def demo_dir() -> Path:
    if not (DEMO_DIR / "tblLocations.csv").is_file():
        pytest.skip(f"openIMIS demo exports not found at {DEMO_DIR} (../shared is absent)")
    return DEMO_DIR
