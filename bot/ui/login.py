"""The staff console's sign-in: its page, the password check (throttled per client, hashed off the event
loop, one at a time), the session cookie, and logging out. Gradio's own login is not used: it sets a
SameSite=None cookie plus an insecure copy, keeps sessions forever, and cannot be throttled.

Every failure, lockout and refused attempt is logged with the client's address, never the password
(and never a user name that is not the configured one: it may be a password typed in the wrong box).
"""
from __future__ import annotations

import hmac
import logging
from typing import Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.ui.content import UIText
from bot.ui.render import esc
from bot.ui.sessions import COOKIE, Sessions, cookie_header
from bot.ui.throttle import LoginThrottle

log = logging.getLogger(__name__)

MAX_FIELD_CHARS = 1024  # longer user names or passwords are refused before hashing
PAGE_FIELD = "page"  # sent by our sign-in form: answer with a page, not JSON


def client_of(request: Request) -> str:
    """The client's address (uvicorn puts the X-Forwarded-For address here when a trusted proxy sent it)."""
    return request.client.host if request.client else "unknown"


def login_page(text: UIText, message: str = "") -> str:
    """A plain, accessible sign-in form: a title, one H1, a main landmark, labelled fields, errors announced."""
    alert = f'<p class="error" role="alert">{esc(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>{esc(text['staff_title'])}: sign in</title>
<link rel="icon" href="kap-static/favicon.png"><link rel="stylesheet" href="kap-static/login.css"></head>
<body><main><h1>{esc(text['staff_title'])}</h1><p>{esc(text['staff_login_intro'])}</p>{alert}
<form method="post" action="login"><input type="hidden" name="{PAGE_FIELD}" value="1">
<label for="username">{esc(text['staff_login_user'])}</label>
<input id="username" name="username" autocomplete="username" required maxlength="{MAX_FIELD_CHARS}">
<label for="password">{esc(text['staff_login_password'])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="{MAX_FIELD_CHARS}">
<button type="submit">{esc(text['staff_login_submit'])}</button></form></main></body></html>"""


class StaffLogin:
    """check(user, password) -> bool is the configured credential check (bot.ui.auth.staff_auth)."""

    def __init__(self, check: Callable[[str, str], bool], user: str, sessions: Sessions,
                 throttle: LoginThrottle, text: UIText) -> None:
        self.check, self.user, self.sessions, self.throttle, self.text = check, user, sessions, throttle, text
        self._one_at_a_time = anyio.CapacityLimiter(1)  # hashing never takes more than one core

    def current_user(self, request: Request) -> str | None:
        """For Gradio's auth_dependency: who is signed in, or None."""
        return self.sessions.user(request.cookies.get(COOKIE))

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/login", self.login, methods=["POST"], include_in_schema=False)
        router.add_api_route("/logout", self.logout, methods=["GET", "POST"], include_in_schema=False)
        return router

    async def login(self, request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        as_page, client = PAGE_FIELD in form, client_of(request)
        if wait := self.throttle.wait(client):  # refused at once, without queueing for a check
            return self._locked(client, wait, as_page)
        async with self._one_at_a_time:
            if wait := self.throttle.wait(client):  # failures may have been counted while this one queued
                return self._locked(client, wait, as_page)
            ok = (len(username) <= MAX_FIELD_CHARS and len(password) <= MAX_FIELD_CHARS
                  and await anyio.to_thread.run_sync(self.check, username.strip(), password))
            if not ok:
                return self._failed(client, username.strip(), as_page)
        self.throttle.succeeded(client)
        log.info("staff login for %r from %s", self.user, client)
        token = self.sessions.create(self.user)
        response: Response = RedirectResponse("./", status_code=303) if as_page else JSONResponse({"success": True})
        response.headers.append("set-cookie", cookie_header(token, secure=request.url.scheme == "https"))
        return response

    async def logout(self, request: Request) -> Response:
        self.sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("./", status_code=303)
        response.headers.append("set-cookie", cookie_header("", secure=request.url.scheme == "https", max_age_s=0))
        return response

    def _failed(self, client: str, username: str, as_page: bool) -> Response:
        wait = self.throttle.failed(client)
        known = hmac.compare_digest(username.encode(), self.user.encode())
        log.warning("staff login failed from %s (%s; %d in a row)", client,
                    f"user {self.user!r}" if known else "an unknown user name", self.throttle.failures(client))
        if wait:
            log.warning("staff login from %s locked for %.0f s after %d failures", client, wait,
                        self.throttle.failures(client))
        if as_page:
            return HTMLResponse(login_page(self.text, self.text["staff_login_wrong"]), status_code=400)
        return JSONResponse({"detail": "Incorrect credentials."}, status_code=400)

    def _locked(self, client: str, wait: float, as_page: bool) -> Response:
        seconds = max(1, round(wait))
        log.warning("staff login attempt from %s refused unchecked: locked for %d s more", client, seconds)
        headers = {"Retry-After": str(seconds)}
        message = self.text["staff_login_wait"].replace("{seconds}", str(seconds))
        if as_page:
            return HTMLResponse(login_page(self.text, message), status_code=429, headers=headers)
        return JSONResponse({"detail": message}, status_code=429, headers=headers)


class SignInFirst:
    """ASGI middleware: the console's page, asked for without a session, is the sign-in page.
    (Everything else Gradio serves answers 401 without one, through its auth_dependency.)"""

    def __init__(self, app: ASGIApp, login: StaffLogin) -> None:
        self.app, self.login = app, login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] in ("", "/"):
            cookies = Request(scope).cookies
            if self.login.sessions.user(cookies.get(COOKIE)) is None:
                await HTMLResponse(login_page(self.login.text))(scope, receive, send)
                return
        await self.app(scope, receive, send)

