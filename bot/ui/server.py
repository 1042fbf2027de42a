"""Serving one page: our FastAPI app in front, the Gradio Blocks mounted inside it, uvicorn in a thread.

Gradio's launch() owns its web app, so the headers, the CORS policy and the staff sign-in could not be
set there. Mounting the Blocks in our own app (gr.mount_gradio_app) lets our middleware see every
request first and our routes (sign-in, export, static files) come before Gradio's. A parent app that
configures Starlette's CORSMiddleware also switches off Gradio's own, which echoes any origin back with
credentials allowed when the host is not localhost.
"""
from __future__ import annotations

import logging
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import gradio as gr
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from gradio.route_utils import FnIndexInferError
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from bot.ui.security import Policy, Secured

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/kap-static"
STOP_TIMEOUT_S = 5.0
GRACEFUL_SHUTDOWN_S = 2  # open event streams do not hold a stopping server longer than this
JOIN_PATHS = ("/queue/join",)  # where an unknown function index surfaces as a KeyError


@dataclass
class Served:
    """A running page: its Blocks, its address, and close()."""

    blocks: gr.Blocks
    url: str
    server: uvicorn.Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    gradio_app: Any = field(default=None, repr=False)  # the mounted Gradio app

    def close(self) -> None:
        """As Blocks.close() does for a launched app: stop the queue and end the open event streams, then
        the server."""
        self.blocks._queue.close()
        if self.gradio_app is not None:
            self.gradio_app.stop_event.set()
        self.server.should_exit = True
        self.thread.join(timeout=STOP_TIMEOUT_S)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=STOP_TIMEOUT_S)


def cors_middleware_options(origins: Sequence[str]) -> dict[str, Any]:
    """Starlette CORSMiddleware options: these origins (a leading *. allowed) may read, without credentials.

    >>> cors_middleware_options(["https://a.example", "https://*.b.example"])["allow_origin_regex"]
    '^(?:https://a\\\\.example|https://[a-z0-9-]+\\\\.b\\\\.example)$'
    """
    patterns = [re.escape(o).replace(r"\*", "[a-z0-9-]+") for o in origins]
    return dict(allow_origins=[], allow_origin_regex=f"^(?:{'|'.join(patterns)})$" if patterns else None,
                allow_credentials=False, allow_methods=["GET", "POST"], allow_headers=["content-type"])


def page_app(policy: Policy, cors_origins: Sequence[str] = (), routers: Sequence[APIRouter] = (),
             inner: Sequence[tuple[type, dict[str, Any]]] = ()) -> FastAPI:
    """Our app: routers and static files first, then (once mounted) Gradio; Secured outermost, then the
    `inner` middleware, then CORS."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    for router in routers:
        app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="kap-static")
    app.add_middleware(CORSMiddleware, **cors_middleware_options(cors_origins))
    for cls, options in inner:
        app.add_middleware(cls, **options)
    app.add_middleware(Secured, policy=policy)  # added last: runs first
    return app


def mount(app: FastAPI, blocks: gr.Blocks, session_capacity: int, **options: Any) -> Any:
    """Mount the Blocks at the root; unknown API names become a clean 404 instead of a traceback."""
    blocks.state_session_capacity = session_capacity  # launch() would set it; mounting does not
    gr.mount_gradio_app(app, blocks, path="/", footer_links=[], run_history=False, show_error=False,
                        ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False, **options)
    gradio_app = app.routes[-1].app  # the Mount just added
    gradio_app.add_exception_handler(FnIndexInferError, _no_such_function)
    gradio_app.add_exception_handler(KeyError, _no_such_function)
    return gradio_app


async def _no_such_function(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, KeyError) and not request.url.path.endswith(JOIN_PATHS):
        raise exc  # a KeyError anywhere else is a bug: keep its traceback
    log.info("no such API function: %s %s", request.method, request.url.path[:100])
    return JSONResponse({"error": "No such API function."}, status_code=404)


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound here, in the caller's thread, so a taken port is an OSError the caller sees."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def start(app: FastAPI, blocks: gr.Blocks, host: str, port: int, gradio_app: Any = None) -> Served:
    """Serve the app on host:port from a daemon thread; returns once it accepts connections."""
    sock = listening_socket(host, port)
    config = uvicorn.Config(app, log_level="warning", server_header=False, proxy_headers=True,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"serve-{port}")
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise OSError(f"the server on {host}:{port} stopped while starting (see the log above)")
        thread.join(timeout=0.01)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return Served(blocks, f"http://{shown}:{port}/", server, thread, gradio_app)
