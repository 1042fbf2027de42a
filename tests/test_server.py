"""Serving a page: CORS options, a taken port reported, a clean stop."""
from __future__ import annotations

import re
import socket

import gradio as gr
import httpx
import pytest

from bot.ui.security import staff_policy
from bot.ui.server import cors_middleware_options, listening_socket, mount, page_app, start


def test_cors_allows_only_the_given_origins_without_credentials() -> None:
    options = cors_middleware_options(["https://a.example", "https://*.b.example"])
    pattern = re.compile(options["allow_origin_regex"])
    assert pattern.match("https://a.example") and pattern.match("https://www.b.example")
    assert not pattern.match("https://a.example.evil.com") and not pattern.match("https://b.example")
    assert options["allow_credentials"] is False and options["allow_origins"] == []
    assert cors_middleware_options([])["allow_origin_regex"] is None


def test_a_taken_port_is_an_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            listening_socket("127.0.0.1", port)


def test_a_mounted_page_serves_and_stops() -> None:
    with gr.Blocks() as blocks:
        gr.Textbox()
    app = page_app(staff_policy())
    gradio_app = mount(app, blocks.queue(), 10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = start(app, blocks, "127.0.0.1", port, gradio_app)
    try:
        reply = httpx.get(served.url + "config")
        assert reply.status_code == 200 and reply.headers["x-frame-options"] == "DENY"
        assert "server" not in reply.headers  # no server banner
    finally:
        served.close()
    assert not served.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url)
