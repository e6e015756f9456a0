"""The OpenAPI document and the Allow headers as the app behaves (issue 11, item 16), and the
documentation pages without a CDN (item 17)."""

from __future__ import annotations

import re

import pytest

from tests.service.conftest import EVENING


def test_the_openapi_document_says_what_the_app_does(world):
    """Guards against a document that hid the evenings' bounds and the 400 for malformed JSON
    (and the 413 for a large body): both are in it, and the 400 is what the app answers."""
    document = world.client.get("/openapi.json").json()
    evening = next(
        p
        for p in document["paths"]["/api/v1/me/nights/{evening}/requests"]["get"]["parameters"]
        if p["name"] == "evening"
    )["schema"]
    assert "2000-01-01 to 2099-12-31" in evening["description"]
    assert re.fullmatch(evening["pattern"], "2099-12-31")
    assert not re.fullmatch(evening["pattern"], "2100-01-01")
    assert not re.fullmatch(evening["pattern"], "2026-12-09T00:00:00+14:00")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)
    broken = world.client.post(
        "/api/v1/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("the body is not valid JSON")


def test_every_405_names_every_method_of_its_path(world):
    """Guards against wrong Allow headers: Starlette's 405 named only the first route's methods
    (DELETE on a night's requests said "Allow: GET", not "GET, POST"), and the pages' 405 none.
    Every path of the document answers a method it does not have with 405 and exactly the
    methods the document gives it."""
    document = world.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        documented = {method.upper() for method in operations}
        concrete = re.sub(r"\{compound_id\}", "tiny", path)
        concrete = re.sub(r"\{evening\}", str(EVENING), concrete)
        concrete = re.sub(r"\{[a-z_]*id\}", "1", concrete)
        concrete = re.sub(r"\{[a-z_]+\}", "A-1", concrete)
        unused = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in documented)
        reply = world.call("staff", unused, concrete)
        assert reply.status_code == 405, (unused, concrete, reply.status_code)
        assert set(reply.headers["allow"].split(", ")) == documented, (path, reply.headers)
    page = world.client.put("/cars")
    assert page.status_code == 405 and page.headers["allow"] == "GET, POST"
    assert world.client.get("/signout").headers["allow"] == "POST"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_nothing_from_another_host(world, page):
    """Guards against /docs loading Swagger UI from a CDN (blank offline, unreliable in mainland
    China): the page names no other host, its scripts and styles come from this server, and its
    Content-Security-Policy lets the browser load nothing from elsewhere."""
    reply = world.client.get(page)
    assert reply.status_code == 200
    html = reply.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert world.client.get(asset).status_code == 200, asset
    policy = reply.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "http" not in policy
