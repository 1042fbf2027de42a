"""Headers and request checks: the policy as data, and the Secured middleware over a small app."""
from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.config import Clinic, load_settings
from bot.ui.security import (EmbedOriginError, Policy, Secured, content_security_policy, embed_origins, refusal,
                             same_origin, staff_policy, visitor_policy)

PAGE = "<html><head><script>window.gradio_config = {}</script></head><body>chat</body></html>"


def settings(**over: object):
    return dataclasses.replace(load_settings({}), **over)


@pytest.mark.parametrize("frame_ancestors, clinic_url, expected", [
    ("", None, ()),
    ("", "https://Calm.example/contact", ("https://calm.example",)),
    ("https://a.example https://b.example:8443", "https://ignored.example", ("https://a.example", "https://b.example:8443")),
    ("https://a.example/, https://*.b.example", None, ("https://a.example", "https://*.b.example")),
])
def test_embed_origins(frame_ancestors: str, clinic_url: str | None, expected: tuple[str, ...]) -> None:
    assert embed_origins(settings(frame_ancestors=frame_ancestors, clinic=Clinic(url=clinic_url))) == expected


@pytest.mark.parametrize("bad", ["clinic.example", "https://a.example/faq", "javascript:alert(1)", "'none'", "*",
                                 "https://a.example;script-src *"])
def test_embed_origins_refuse_anything_but_origins(bad: str) -> None:
    with pytest.raises(EmbedOriginError, match="KAP_FRAME_ANCESTORS"):
        embed_origins(settings(frame_ancestors=bad))


def test_csp_allows_only_the_page_itself_and_its_nonce() -> None:
    csp = content_security_policy("abc", ("https://clinic.example",))
    assert "script-src 'self' 'nonce-abc'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "'unsafe-eval'" not in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert csp.endswith("frame-ancestors 'self' https://clinic.example")
    assert content_security_policy(None, None).endswith("frame-ancestors 'none'")


@pytest.mark.parametrize("origin, host, same", [
    ("http://127.0.0.1:7861", "127.0.0.1:7861", True), ("http://127.0.0.1:7861", "127.0.0.1:7862", False),
    ("https://staff.lan", "staff.lan", True), ("https://staff.lan:443", "staff.lan", True),
    ("https://evil.example", "staff.lan", False), ("null", "staff.lan", False), ("", "staff.lan", False),
    ("http://STAFF.lan", "staff.LAN", True),
])
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


def test_refusal() -> None:
    own = {"host": "127.0.0.1:7861", "origin": "http://127.0.0.1:7861"}
    assert refusal("POST", own) is None and refusal("GET", {"host": "x"}) is None  # scripts send no Origin
    assert "evil" in refusal("GET", {**own, "origin": "https://evil.example"})
    assert refusal("POST", {"host": "x", "sec-fetch-site": "cross-site"}) and refusal("POST", {"host": "x", "sec-fetch-site": "same-site"})
    assert refusal("GET", {"host": "x", "sec-fetch-site": "cross-site"}) is None  # a link followed from elsewhere
    assert refusal("POST", {"host": "x", "sec-fetch-site": "same-origin"}) is None


def app(policy: Policy) -> TestClient:
    big = "x" * 3_000_000

    routes = [Route("/", lambda r: HTMLResponse(PAGE)), Route("/api", lambda r: JSONResponse({"ok": 1}), methods=["GET", "POST"]),
              Route("/leaky", lambda r: Response("x", headers={"Access-Control-Allow-Origin": "*",
                                                               "Access-Control-Allow-Credentials": "true"})),
              Route("/big", lambda r: HTMLResponse(big))]
    inner = Starlette(routes=routes)
    return TestClient(Secured(inner, policy), base_url="http://127.0.0.1:7861")


def test_staff_policy_refuses_other_sites_and_strips_cors() -> None:
    client = app(staff_policy(lambda page, nonce, base: page))
    assert client.get("/api", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api", headers={"Origin": "http://127.0.0.1:7861"}).status_code == 200
    leaky = client.get("/leaky")
    assert not [h for h in leaky.headers if h.startswith("access-control-")]
    refused = client.get("/api", headers={"Origin": "https://evil.example"})
    assert refused.headers["x-frame-options"] == "DENY" and refused.headers["cache-control"] == "no-store"


def test_pages_are_rewritten_with_a_fresh_nonce_each_time() -> None:
    client = app(visitor_policy(settings(frame_ancestors="https://clinic.example", root_path="/faq/"),
                                lambda page, nonce, base: page.replace("chat", f"chat {nonce} {base}")))
    first, second = client.get("/"), client.get("/")
    nonce = first.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f"chat {nonce} http://127.0.0.1:7861/faq<" in first.text  # the public address, with the sub-path
    assert first.headers["content-length"] == str(len(first.content))
    assert second.headers["content-security-policy"] != first.headers["content-security-policy"]
    api = client.get("/api")
    assert "'nonce-" not in api.headers["content-security-policy"] and api.json() == {"ok": 1}
    assert client.get("/big").headers["content-length"] == str(3_000_000)  # too big to be the page: untouched


def test_refused_websocket() -> None:
    from starlette.websockets import WebSocketDisconnect

    client = app(staff_policy())
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"Origin": "https://evil.example"}):
            pass
