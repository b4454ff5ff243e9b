"""The OpenAPI schema, readable without signing in at /api/schema/ and /api/v1/schema/: every
operation described with its bodies and error shapes (Swagger UI: tests/browser/test_api_docs.py)."""

import pytest
from django.test import Client

METHODS = ("get", "post", "put", "patch", "delete")


def _schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_the_schema_is_readable_without_signing_in_at_both_addresses():
    schema = _schema()
    assert Client().get("/api/v1/schema/", {"format": "json"}).json()["paths"] == schema["paths"]
    for path in ("/api/v1/desks/", "/api/v1/desks/{key}/request-types/", "/api/v1/request-types/{request_type_id}/",
                 "/api/v1/auth/token/", "/api/v1/attachments/{attachment_id}/",
                 "/api/v1/requests/{reference}/approval/", "/api/v1/requests/{reference}/notifications/"):  # fmt: skip
        assert path in schema["paths"], path


@pytest.mark.django_db
def test_every_operation_documents_its_bodies_and_error_shapes():
    schema = _schema()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
                  if method in METHODS]  # fmt: skip
    assert len(operations) >= 25
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("description"), f"{where}: no description"
        responses = op["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, where
        for code in ("400", "401", "403", "404", "429"):
            assert code in responses, f"{where}: {code} undocumented"
        assert "Retry-After" in responses["429"]["headers"], where
        assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
        if method in ("post", "put", "delete"):
            assert "409" in responses, where
        if method in ("post", "put") and not path.endswith("/reveal/"):
            assert "requestBody" in op, f"{where}: no request body"
    for path in ("/api/v1/requests/", "/api/v1/requests/{reference}/comments/",
                 "/api/v1/requests/{reference}/transitions/", "/api/v1/auth/token/"):  # fmt: skip
        assert schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"], path
    assert schema["paths"]["/api/v1/desks/"]["get"]["responses"]["404"]["content"]["application/json"]["examples"]


@pytest.mark.django_db
def test_the_schema_never_offers_status_as_an_input():
    components = _schema()["components"]["schemas"]
    inputs = {name: c for name, c in components.items() if name.endswith("In") or name.endswith("Request")}
    assert len(inputs) >= 15
    for name, component in inputs.items():
        # A work item's status is its own (PUT /work-items/{id}/status/); a request's never is input.
        if name != "WorkItemStatusIn":
            assert "status" not in component.get("properties", {}), name
        assert "TicketStatusEnum" not in str(component), name


@pytest.mark.django_db
def test_every_api_address_is_in_the_schema():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the site's URLs first: they register the reference converter
    from tickets.api.urls import urlpatterns

    paths = set(_schema()["paths"])
    routes = [str(p.pattern) for p in urlpatterns if p.name not in ("schema", "not_found")]
    assert len(routes) >= 30
    for route in routes:
        documented = "/api/v1/" + route.replace("<reference:reference>", "{reference}").replace("<str:", "{").replace(
            "<int:", "{"
        ).replace("<slug:", "{").replace(">", "}")
        assert documented in paths, route


@pytest.mark.django_db
def test_the_schema_is_built_once_per_language(monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from tickets.api.views.docs import CachedSchemaView

    monkeypatch.setattr(CachedSchemaView, "_built", {})
    built = []
    original = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: built.append(1) or original(self, **kw))
    for _ in range(3):
        assert Client().get("/api/schema/", {"format": "json"}).status_code == 200
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get("/api/schema/", {"format": "json"}).json()
    assert len(built) == 2
    assert spanish["paths"]["/api/v1/desks/"]["get"]["responses"]["404"]
