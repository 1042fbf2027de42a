"""Staff login: credentials from the environment, compared in constant time.

KAP_STAFF_PASSWORD holds either the password itself or a PBKDF2 hash made with
`python -m bot.ui.auth` (format `pbkdf2_sha256$<iterations>$<salt>$<hex digest>`).
"""
from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import secrets
import sys
from typing import Callable

from bot.config import Settings

SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP 2023 guidance for PBKDF2-HMAC-SHA256
MIN_ITERATIONS = 100_000
MIN_PASSWORD_CHARS = 8

Checker = Callable[[str, str], bool]


def hash_password(password: str, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    """A storable hash of the password.

    >>> hash_password("pw", iterations=1, salt="s")[:24]
    'pbkdf2_sha256$1$s$488915'
    """
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"{SCHEME}${iterations}${salt}${digest}"


def is_hash(stored: str) -> bool:
    return stored.startswith(SCHEME + "$")


def verify_password(supplied: str, stored: str) -> bool:
    """Constant-time comparison against a plain password or a pbkdf2 hash."""
    if is_hash(stored):
        try:
            _, iterations, salt, expected = stored.split("$", 3)
            candidate = hashlib.pbkdf2_hmac("sha256", supplied.encode(), salt.encode(), int(iterations)).hex()
        except ValueError:
            return False
        return hmac.compare_digest(candidate.encode(), expected.encode())
    return hmac.compare_digest(supplied.encode(), stored.encode())


def staff_auth(settings: Settings) -> tuple[Checker | None, str]:
    """The login check for the console, or None and the reason the console must not start."""
    user, stored = (settings.staff_user or "").strip(), settings.staff_password or ""
    if not user or not stored:
        return None, ("staff console not started: set KAP_STAFF_USER and KAP_STAFF_PASSWORD "
                      "(a password, or a hash from `python -m bot.ui.auth`) to enable it")
    problem = _weakness(stored)
    if problem:
        return None, f"staff console not started: KAP_STAFF_PASSWORD {problem}"

    def check(username: str, password: str) -> bool:
        user_ok = hmac.compare_digest((username or "").encode(), user.encode())
        password_ok = verify_password(password or "", stored)  # always computed: no timing shortcut
        return user_ok and password_ok

    return check, f"staff console login enabled for user {user!r}"


def _weakness(stored: str) -> str:
    if is_hash(stored):
        parts = stored.split("$")
        if len(parts) != 4 or not parts[1].isdigit() or not parts[2] or not parts[3]:
            return "looks like a pbkdf2 hash but is malformed"
        if int(parts[1]) < MIN_ITERATIONS:
            return f"hash uses fewer than {MIN_ITERATIONS} iterations"
        return ""
    if len(stored) < MIN_PASSWORD_CHARS:
        return f"is shorter than {MIN_PASSWORD_CHARS} characters"
    return ""


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.ui.auth`: read a password twice, print its hash for KAP_STAFF_PASSWORD."""
    argparse.ArgumentParser(prog="python -m bot.ui.auth", description=main.__doc__).parse_args(argv)
    try:
        first = getpass.getpass("Staff password: ")
        again = getpass.getpass("Again: ") if len(first) >= MIN_PASSWORD_CHARS else ""
    except (EOFError, KeyboardInterrupt):
        print("\nerror: no password read (run it in a terminal)", file=sys.stderr)
        return 2
    if len(first) < MIN_PASSWORD_CHARS:
        print(f"error: use at least {MIN_PASSWORD_CHARS} characters", file=sys.stderr)
        return 2
    if again != first:
        print("error: the passwords differ", file=sys.stderr)
        return 2
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
