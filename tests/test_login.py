"""The staff sign-in: page, checks off the event loop, throttle, cookie, logout, and what is logged."""
from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from bot.config import Clinic
from bot.ui.content import ui_text
from bot.ui.login import MAX_FIELD_CHARS, SignInFirst, StaffLogin, login_page
from bot.ui.sessions import COOKIE, Sessions
from bot.ui.throttle import LoginThrottle

TEXT = ui_text(Clinic(name="Calm Clinic"))
PASSWORD = "correct horse battery"


class Checker:
    """Records the thread each check runs on."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def __call__(self, user: str, password: str) -> bool:
        self.threads.append(threading.current_thread().name)
        return user == "staff" and password == PASSWORD


@pytest.fixture
def parts() -> tuple[TestClient, Checker, StaffLogin]:
    check = Checker()
    login = StaffLogin(check, "staff", Sessions(idle_s=60, lifetime_s=600), LoginThrottle(), TEXT)
    app = FastAPI()
    app.include_router(login.router())

    @app.get("/")
    def console(request: Request) -> dict[str, str | None]:  # stands in for Gradio's page
        return {"user": login.current_user(request)}

    app.add_middleware(SignInFirst, login=login)
    return TestClient(app), check, login


def test_sign_in_page_is_accessible() -> None:
    page = login_page(TEXT, "Wrong user name or password.")
    assert "<title>" in page and page.count("<h1>") == 1 and "<main>" in page and '<html lang="en">' in page
    assert '<label for="username">' in page and '<input id="username"' in page and 'autocomplete="current-password"' in page
    assert '<p class="error" role="alert">' in page and "<script" not in page


def test_without_a_session_the_page_is_the_sign_in(parts) -> None:
    client, _, _ = parts
    reply = client.get("/")
    assert reply.status_code == 200 and 'action="login"' in reply.text


def test_sign_in_by_form_then_log_out(parts) -> None:
    client, check, _ = parts
    wrong = client.post("/login", data={"username": "staff", "password": "nope", "page": "1"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text and "nope" not in wrong.text
    right = client.post("/login", data={"username": "staff", "password": PASSWORD, "page": "1"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "./"
    assert client.get("/").json() == {"user": "staff"}
    assert all(name != threading.main_thread().name for name in check.threads)  # hashed off the event loop
    assert client.get("/logout", follow_redirects=False).status_code == 303
    assert 'action="login"' in client.get("/").text
    assert client.cookies.get(COOKIE) in (None, "")


def test_scripts_get_json(parts) -> None:
    client, _, _ = parts
    assert client.post("/login", data={"username": "staff", "password": "x"}).json() == {"detail": "Incorrect credentials."}
    ok = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert ok.json() == {"success": True} and ok.headers["set-cookie"].startswith(f"{COOKIE}=")


def test_oversized_fields_are_refused_unchecked(parts) -> None:
    client, check, _ = parts
    reply = client.post("/login", data={"username": "staff", "password": "x" * (MAX_FIELD_CHARS + 1)})
    assert reply.status_code == 400 and check.threads == []


def test_failures_and_lockouts_are_logged_without_passwords(parts, caplog: pytest.LogCaptureFixture) -> None:
    client, _, login = parts
    with caplog.at_level("INFO", logger="bot.ui.login"):
        for i in range(7):
            client.post("/login", data={"username": "staff" if i % 2 else "secret-typed-as-user", "password": f"pw-{i}"})
    text = caplog.text
    assert "staff login failed from testclient (user 'staff'" in text and "an unknown user name" in text
    assert "locked for 1 s after 6 failures" in text and "refused unchecked" in text
    assert "pw-" not in text and "secret-typed-as-user" not in text
    assert login.throttle.failures("testclient") == 6  # the seventh was refused, not checked
