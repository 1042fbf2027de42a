"""Response headers and request checks for both pages, as one ASGI middleware in front of Gradio.

The policy is pure data built from settings (`embed_origins`, `content_security_policy`, `refusal`);
`Secured` applies it: the headers on every response, our own title and preview on the page, a nonce
on the page's scripts, and (for the staff console) a refusal of any request another site sends.

>>> content_security_policy("n0nce", ("https://clinic.example",)).split("; ")[-1]
"frame-ancestors 'self' https://clinic.example"
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings

log = logging.getLogger(__name__)

ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
PAGE_PATHS = frozenset({"", "/"})
MAX_PAGE_BYTES = 2_000_000  # Gradio's page with its config is ~100 KB; larger is passed on untouched

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # A health site: links out say nothing about where the reader was. (Not no-referrer: with it, browsers
    # send "Origin: null" on the page's own POSTs, and the console could no longer tell them from others.)
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STAFF_HEADERS = {"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


class EmbedOriginError(ValueError):
    """KAP_FRAME_ANCESTORS names something that is not an origin."""


def embed_origins(settings: Settings) -> tuple[str, ...]:
    """Origins that may frame the visitor chat: KAP_FRAME_ANCESTORS, else the clinic URL's origin, else none.

    >>> from bot.config import Clinic, load_settings
    >>> import dataclasses
    >>> s = dataclasses.replace(load_settings({}), clinic=Clinic(url="https://calm.example/contact"))
    >>> embed_origins(s), embed_origins(dataclasses.replace(s, frame_ancestors="https://a.example, https://*.b.example"))
    (('https://calm.example',), ('https://a.example', 'https://*.b.example'))
    """
    raw = settings.frame_ancestors.replace(",", " ").split()
    if not raw:
        url = urlsplit(settings.clinic.url or "")
        return (f"{url.scheme}://{url.netloc}".lower(),) if url.scheme in ("http", "https") and url.netloc else ()
    origins = tuple(o.rstrip("/").lower() for o in raw)
    bad = [o for o in origins if not ORIGIN.match(o)]
    if bad:
        raise EmbedOriginError(f"KAP_FRAME_ANCESTORS: {', '.join(bad)} is not an origin like https://clinic.example "
                               "(scheme and host, optionally a port; no path)")
    return origins


def content_security_policy(nonce: str | None, frame_ancestors: Sequence[str] | None) -> str:
    """The page may load only from itself; scripts need the page's nonce (or come from the app itself).
    frame_ancestors None means no framing at all (the staff console)."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    ancestors = "'none'" if frame_ancestors is None else " ".join(("'self'", *frame_ancestors))
    return "; ".join((
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "media-src 'self' data: blob:",
        "connect-src 'self'", "worker-src 'self' blob:", "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", f"frame-ancestors {ancestors}",
    ))


def _netloc(url_or_host: str, scheme: str) -> str:
    """host[:port] in lower case, the scheme's default port left out."""
    host = url_or_host.strip().lower()
    if host.endswith(":" + DEFAULT_PORTS.get(scheme, "")):
        host = host.rsplit(":", 1)[0]
    return host


def same_origin(origin: str, host: str) -> bool:
    """Does an Origin header name the site the request was sent to (its Host header)?

    >>> same_origin("http://127.0.0.1:7861", "127.0.0.1:7861"), same_origin("https://evil.example", "127.0.0.1:7861")
    (True, False)
    >>> same_origin("https://staff.lan", "staff.lan:443")
    True
    """
    parts = urlsplit(origin)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc or not host:
        return False
    return _netloc(parts.netloc, parts.scheme) == _netloc(host, parts.scheme)


def refusal(method: str, headers: Mapping[str, str]) -> str | None:
    """Why the staff console refuses a request another site made, or None.

    Browsers name the page that sent a request in Origin (every cross-origin request, every POST) and
    say where it came from in Sec-Fetch-Site; scripts and the console's own page pass, other sites don't.
    """
    origin, site = headers.get("origin"), headers.get("sec-fetch-site")
    if origin is not None and not same_origin(origin, headers.get("host", "")):
        return f"Origin {origin[:100]!r} is not this console"
    if method not in SAFE_METHODS and site in ("cross-site", "same-site"):
        return f"a {site} {method}"
    return None


@dataclass(frozen=True)
class Policy:
    """What one page sends: fixed headers, the frame ancestors (None: never framed), whether requests from
    other sites are refused, and how the page's HTML is rewritten (a function of html, nonce and base URL)."""

    headers: Mapping[str, str]
    frame_ancestors: Sequence[str] | None
    refuse_other_sites: bool = False
    rewrite_page: Callable[[str, str, str], str] | None = None
    root_path: str = ""  # the public sub-path behind a proxy (KAP_ROOT_PATH)


def visitor_policy(settings: Settings, rewrite_page: Callable[[str, str, str], str] | None = None) -> Policy:
    return Policy(COMMON_HEADERS, embed_origins(settings), False, rewrite_page, settings.root_path.rstrip("/"))


def staff_policy(rewrite_page: Callable[[str, str, str], str] | None = None) -> Policy:
    return Policy({**COMMON_HEADERS, **STAFF_HEADERS}, None, True, rewrite_page)


def base_url(scope: Scope, root_path: str = "") -> str:
    """The page's public address: scheme and host as the proxy forwarded them (uvicorn applies
    X-Forwarded-Proto from a trusted proxy; nginx passes the Host), then the sub-path.

    >>> base_url({"type": "http", "scheme": "https", "headers": [(b"host", b"clinic.example")]}, "/faq")
    'https://clinic.example/faq'
    """
    host = Headers(scope=scope).get("host", "localhost")
    return f"{scope.get('scheme', 'http')}://{host}{root_path}".rstrip("/")


class Secured:
    """ASGI middleware applying a Policy. Outermost, so nothing behind it can leave a header out."""

    def __init__(self, app: ASGIApp, policy: Policy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.policy.refuse_other_sites:
            reason = refusal(scope.get("method", "GET"), Headers(scope=scope))
            if reason:
                client = (scope.get("client") or ("?",))[0]
                log.warning("refused %s %s from %s: %s", scope.get("method", "WEBSOCKET"), scope["path"][:100], client, reason)
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await PlainTextResponse("Forbidden: this console accepts requests from its own pages only.",
                                            status_code=403)(scope, receive, self._with_headers(send, None))
                return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if self.policy.rewrite_page is not None and scope["method"] == "GET" and scope["path"] in PAGE_PATHS:
            del MutableHeaders(scope=scope)["accept-encoding"]  # the page is rewritten, so it must come uncompressed
            await self.app(scope, receive, self._rewriting(scope, send))
        else:
            await self.app(scope, receive, self._with_headers(send, None))

    def _headers(self, message: Message, nonce: str | None) -> None:
        headers = MutableHeaders(scope=message)
        if self.policy.refuse_other_sites:  # the console never shares a response with another site
            for name in [k for k in headers.keys() if k.startswith("access-control-")]:
                del headers[name]
        for name, value in self.policy.headers.items():
            headers[name] = value
        headers["Content-Security-Policy"] = content_security_policy(nonce, self.policy.frame_ancestors)

    def _with_headers(self, send: Send, nonce: str | None) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._headers(message, nonce)
            await send(message)
        return wrapped

    def _rewriting(self, scope: Scope, send: Send) -> Send:
        """Hold an HTML page until it is complete, rewrite it, then send it with its new length."""
        nonce, start, chunks = secrets.token_urlsafe(16), {}, []
        rewrite = self.policy.rewrite_page
        assert rewrite is not None

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if not content_type.startswith("text/html"):
                    self._headers(message, None)
                    await send(message)
                    start["passed"] = True
                    return
                start["message"] = message
                return
            if start.get("passed") or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body") and sum(map(len, chunks)) < MAX_PAGE_BYTES:
                return
            body, head, complete = b"".join(chunks), start.pop("message"), not message.get("more_body")
            if complete:  # else too large to be the page: passed on as it is
                body = rewrite(body.decode("utf-8", "replace"), nonce, base_url(scope, self.policy.root_path)).encode("utf-8")
                MutableHeaders(scope=head)["content-length"] = str(len(body))
            self._headers(head, nonce if complete else None)
            start["passed"] = True
            await send(head)
            await send({"type": "http.response.body", "body": body, "more_body": bool(message.get("more_body"))})
        return wrapped
