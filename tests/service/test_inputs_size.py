"""Request bodies limited before they are parsed, lists and items bounded (issue 11, item 10)."""

from __future__ import annotations

import select
import socket
import threading
import time

import uvicorn
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.service.conftest import World, _free_port

C = "/api/v1/compounds/tiny"
MB = 1024 * 1024


def _locations(reply) -> list[list]:
    return [problem["loc"] for problem in reply.json()["detail"]]


def test_a_body_over_its_limit_is_refused_with_413_and_lists_and_items_are_bounded(world):
    """Guards against unlimited bodies (eight anonymous 100 MB posts took the server to 1.86 GB)
    and unbounded lists (a car's needs took 10 items of 1 MB): 413 with a sentence, for the API
    and the pages, the CSV import taking more; every list and every item has a bound."""
    big = world.client.post(
        "/api/v1/auth/login",
        content=b'{"username": "' + b"x" * (2 * MB) + b'", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["detail"] == (
        "the request body is larger than 1,048,576 bytes, the most this address takes"
    )
    page = TestClient(world.app, follow_redirects=False)
    page.cookies.set("parking_lang", "en")
    form = page.post("/signin", data={"username": "x" * (2 * MB), "password": "x"})
    assert form.status_code == 413 and "What was sent is too large (1 MB at most)." in form.text
    # 2 MB passes the import's limit and reaches its rules (here: the header is wrong).
    files = {"file": ("households.csv", "name\n" + "x\n" * MB, "text/csv")}
    imported = world.call("staff", "POST", f"{C}/households/import", files=files)
    assert imported.status_code == 422 and _locations(imported) == [["file", "header"]]
    files = {"file": ("households.csv", "code,x,y\n" + "h,1,2\n" * MB, "text/csv")}  # 6 MB
    assert world.call("staff", "POST", f"{C}/households/import", files=files).status_code == 413

    needs = world.call(
        "1-101", "POST", "/api/v1/me/cars", json={"plate": "沪A12399", "needs": ["x" * 41]}
    )
    assert needs.status_code == 422 and _locations(needs) == [["body", "needs", 0]]
    many = world.call(
        "1-101", "POST", "/api/v1/me/cars", json={"plate": "沪A12399", "needs": ["x"] * 11}
    )
    assert many.status_code == 422
    tags = world.call("staff", "PATCH", f"{C}/households/1-101", json={"tags": ["t" * 41]})
    assert tags.status_code == 422 and _locations(tags) == [["body", "tags", 0]]
    features = world.call(
        "staff",
        "POST",
        f"{C}/spaces",
        json={"code": "S-9", "kind": "street", "x": 0, "y": 0, "features": ["f" * 41]},
    )
    assert features.status_code == 422
    renter = world.call("staff", "PATCH", f"{C}/spaces/A-1", json={"renter": "r" * 41})
    assert renter.status_code == 422 and _locations(renter) == [["body", "renter"]]


def test_the_limits_are_settings(tmp_path):
    """Guards against limits fixed in the code: PARKING_MAX_BODY_BYTES and
    PARKING_MAX_UPLOAD_BYTES set them."""
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    app = create_app(Settings(database_url=url, max_body_bytes=2048, max_upload_bytes=4096))
    with TestClient(app) as client:
        reply = client.post("/api/v1/auth/login", json={"username": "x" * 3000, "password": "x"})
        assert reply.status_code == 413 and "2,048 bytes" in reply.json()["detail"]
    app.state.engine.dispose()


def test_a_chunked_body_is_cut_off_at_the_limit_over_real_http(database_url):
    """Guards against bodies sent without a Content-Length (chunked), which no header check
    stops: the server answers 413 once 1 MB has arrived, while the client is still sending, and
    never reads the rest of the 100 MB it was about to get."""
    world = World(database_url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    sent, answer = 0, b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
            while sent < 100 * MB:
                readable, _, _ = select.select([connection], [], [], 0)
                if readable:
                    break
                try:
                    connection.sendall(chunk)
                except OSError:  # the server closed the connection after its answer
                    break
                sent += 64 * 1024
            connection.settimeout(10)
            while not answer.endswith(b"}") and (part := connection.recv(65536)):
                answer += part
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.client.close()
        world.app.state.engine.dispose()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"larger than 1,048,576 bytes" in answer
    assert sent < 20 * MB, sent
