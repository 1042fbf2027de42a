"""The web pages: the visitor chat on KAP_HOST:KAP_PORT (127.0.0.1:7860) and the staff console on
KAP_STAFF_HOST:KAP_STAFF_PORT (127.0.0.1:7861), each our own FastAPI app with Gradio mounted inside.

    python app.py        # or `make run`

The console starts only when KAP_STAFF_USER and KAP_STAFF_PASSWORD are set; without them it
refuses to start, says why, and the visitor chat runs alone. Nothing heavy happens at import:
`demo` is the visitor chat, and the bot loads on the first question (main() loads it up front).
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from bot.ui.tuning import tune_process

tune_process()  # before gradio and torch are imported: offline, analytics off, measured process settings

import gradio as gr  # noqa: E402

from bot.config import Settings, load_settings  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.history import History  # noqa: E402
from bot.publish import Publisher  # noqa: E402
from bot.ui import theme  # noqa: E402
from bot.ui.auth import staff_auth  # noqa: E402
from bot.ui.content import ui_text  # noqa: E402
from bot.ui.exports import export_router, purge_legacy_exports  # noqa: E402
from bot.ui.feedback import FeedbackStore  # noqa: E402
from bot.ui.login import SignInFirst, StaffLogin  # noqa: E402
from bot.ui.page_head import PageMeta, rewriter  # noqa: E402
from bot.ui.security import EmbedOriginError, embed_origins, staff_policy, visitor_policy  # noqa: E402
from bot.ui.server import STATIC_DIR, Served, mount, page_app, start  # noqa: E402
from bot.ui.service import BotLike, LazyBot, real_bot_loader  # noqa: E402
from bot.ui.sessions import Sessions  # noqa: E402
from bot.ui.staff import build_staff  # noqa: E402
from bot.ui.throttle import LoginThrottle  # noqa: E402
from bot.ui.visitor import build_visitor  # noqa: E402

log = logging.getLogger("app")

MAX_UPLOAD = "10kb"  # the visitor chat takes no files; this bounds Gradio's upload route
CONSOLE_UPLOAD = "100kb"  # the console takes documents (bot.authoring.MAX_DOCUMENT_BYTES)
# Gradio keeps each browser session's state (its own copy of the page config, ~80 KB with a short chat)
# until 10,000 sessions exist, so memory climbs with every new visitor. Past MAX_SESSIONS the least
# recently active session is dropped; a visitor idle that long who returns starts a fresh transcript.
MAX_SESSIONS = 300
ICON, PREVIEW = "kap-static/favicon.png", "kap-static/preview.png"
SCRIPT, STYLE = "kap-static/visitor.js", "kap-static/page.css"


def mount_options(settings: Settings) -> dict[str, Any]:
    """What both pages share: system fonts, no footer links, no uploads, nothing under data/ served, and
    nothing from Gradio's upload folder (where a document uploaded to the console lands for a moment)."""
    from gradio.utils import get_upload_folder

    return dict(theme=theme.theme(), css=theme.css(), max_file_size=MAX_UPLOAD, favicon_path=str(STATIC_DIR / "favicon.png"),
                blocked_paths=[str(Path(settings.data_dir).resolve()), get_upload_folder()])


def build_demo(settings: Settings | None = None, get_bot: Callable[[], BotLike] | None = None,
               store: FeedbackStore | None = None) -> gr.Blocks:
    """The visitor chat. Cheap: the bot is loaded by get_bot on first use."""
    settings = settings or load_settings()
    get_bot = get_bot or LazyBot(real_bot_loader(settings))
    demo = build_visitor(get_bot, settings, store or FeedbackStore(settings.data_dir))
    return demo.queue(default_concurrency_limit=settings.concurrency)


def serve(settings: Settings, get_bot: Callable[[], BotLike], block: bool = True,
          publisher: Publisher | None = None) -> tuple[Served, Served | None]:
    """Start the visitor chat, and the staff console when credentials allow; optionally block. Publishing
    from the console needs a swappable bot (LazyBot); `publisher` replaces the default one (tests)."""
    store = FeedbackStore(settings.data_dir)
    visitor = start_visitor(settings, get_bot, store)
    log.info("visitor chat on http://%s:%d/", settings.host, settings.port)
    staff = start_console(settings, get_bot, store, publisher)
    if block:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            for served in (staff, visitor):
                if served is not None:
                    served.close()
    return visitor, staff


def start_visitor(settings: Settings, get_bot: Callable[[], BotLike], store: FeedbackStore) -> Served:
    text = ui_text(settings.clinic)
    meta = PageMeta(title=f"{settings.clinic.name}: {text['title']}", description=text["description"],
                    image=PREVIEW, icon=ICON, scripts=(SCRIPT,), styles=(STYLE,))
    app = page_app(visitor_policy(settings, rewriter(meta)), cors_origins=embed_origins(settings))
    demo = build_demo(settings, get_bot, store)
    gradio_app = mount(app, demo, MAX_SESSIONS, root_path=settings.root_path or None, **mount_options(settings))
    return start(app, demo, settings.host, settings.port, gradio_app)


def start_console(settings: Settings, get_bot: Callable[[], BotLike], store: FeedbackStore,
                  publisher: Publisher | None = None) -> Served | None:
    check, reason = staff_auth(settings)
    if check is not None and settings.staff_port == settings.port:
        check, reason = None, "staff console not started: KAP_STAFF_PORT must differ from KAP_PORT"
    if check is None:
        log.warning(reason)
        return None
    purge_legacy_exports(settings.data_dir)
    text = ui_text(settings.clinic)
    sessions = Sessions(idle_s=settings.staff_idle_minutes * 60, lifetime_s=settings.staff_session_hours * 3600)
    login = StaffLogin(check, (settings.staff_user or "").strip(), sessions, LoginThrottle(), text)
    meta = PageMeta(title=f"{text['staff_title']} · {settings.clinic.name}", icon=ICON, index=False)
    app = page_app(staff_policy(rewriter(meta)), routers=[login.router(), export_router(store, login.current_user)],
                   inner=[(SignInFirst, {"login": login})])
    if publisher is None and hasattr(get_bot, "swap"):
        publisher = Publisher(settings, get_bot, History(settings.data_dir))  # type: ignore[arg-type]
    console = build_staff(get_bot, settings, store, publisher=publisher).queue(default_concurrency_limit=settings.concurrency)
    options = mount_options(settings) | {"max_file_size": CONSOLE_UPLOAD,  # its own uploads stay readable to it
                                         "blocked_paths": [str(Path(settings.data_dir).resolve())]}
    gradio_app = mount(app, console, MAX_SESSIONS, auth_dependency=login.current_user, **options)
    served = start(app, console, settings.staff_host, settings.staff_port, gradio_app)
    log.info("%s; staff console on http://%s:%d/", reason, settings.staff_host, settings.staff_port)
    return served


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python app.py", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    try:
        embed_origins(settings)
    except EmbedOriginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bot = LazyBot(real_bot_loader(settings))
    try:
        bot()  # fail now, with a clear message, rather than on the first visitor's question
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)  # says how to build the index
        return 2
    try:
        serve(settings, bot)
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


demo = build_demo()

if __name__ == "__main__":
    sys.exit(main())
