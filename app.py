"""The web pages: the visitor chat on KAP_PORT (7860) and the staff console on KAP_STAFF_PORT (7861).

    python app.py        # or `make run`

The console starts only when KAP_STAFF_USER and KAP_STAFF_PASSWORD are set; without them it
refuses to start, says why, and the visitor chat runs alone. Nothing heavy happens at import:
`demo` is the visitor chat, and the bot loads on the first question (main() loads it up front).
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable, Sequence

from bot.ui.tuning import tune_process

tune_process()  # before gradio and torch are imported: offline, analytics off, measured process settings

import gradio as gr  # noqa: E402

from bot.config import Settings, load_settings  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.ui import theme  # noqa: E402
from bot.ui.auth import staff_auth  # noqa: E402
from bot.ui.feedback import FeedbackStore  # noqa: E402
from bot.ui.service import BotLike, LazyBot, real_bot_loader  # noqa: E402
from bot.ui.staff import build_staff, export_dir  # noqa: E402
from bot.ui.visitor import build_visitor  # noqa: E402

log = logging.getLogger("app")

MAX_UPLOAD = "10kb"  # the pages take no files; this bounds Gradio's upload route
# Gradio keeps each browser session's state (its own copy of the page config, ~80 KB with a short chat)
# until 10,000 sessions exist, so memory climbs with every new visitor. Past MAX_SESSIONS the least
# recently active session is dropped; a visitor idle that long who returns starts a fresh transcript.
MAX_SESSIONS = 300


def launch_options(settings: Settings, port: int) -> dict[str, Any]:
    """What both pages share: loopback by default, system fonts, no footer links, nothing phoned home."""
    return dict(
        server_name=settings.host, server_port=port, prevent_thread_lock=True, quiet=True,
        theme=theme.theme(), css=theme.css(), footer_links=[], run_history=False, show_error=False,
        ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False, max_file_size=MAX_UPLOAD,
        state_session_capacity=MAX_SESSIONS,
    )


def build_demo(settings: Settings | None = None, get_bot: Callable[[], BotLike] | None = None,
               store: FeedbackStore | None = None) -> gr.Blocks:
    """The visitor chat. Cheap: the bot is loaded by get_bot on first use."""
    settings = settings or load_settings()
    get_bot = get_bot or LazyBot(real_bot_loader(settings))
    demo = build_visitor(get_bot, settings, store or FeedbackStore(settings.data_dir))
    return demo.queue(default_concurrency_limit=settings.concurrency)


def serve(settings: Settings, get_bot: Callable[[], BotLike],
          block: bool = True) -> tuple[gr.Blocks, gr.Blocks | None]:
    """Launch the visitor chat, and the staff console when credentials allow; optionally block."""
    store = FeedbackStore(settings.data_dir)
    visitor = build_demo(settings, get_bot, store)
    visitor.launch(**launch_options(settings, settings.port))
    log.info("visitor chat on http://%s:%d/", settings.host, settings.port)
    staff = start_console(settings, get_bot, store)
    if block:
        visitor.block_thread()
    return visitor, staff


def start_console(settings: Settings, get_bot: Callable[[], BotLike], store: FeedbackStore) -> gr.Blocks | None:
    auth, reason = staff_auth(settings)
    if auth is not None and settings.staff_port == settings.port:
        auth, reason = None, "staff console not started: KAP_STAFF_PORT must differ from KAP_PORT"
    if auth is None:
        log.warning(reason)
        return None
    staff = build_staff(get_bot, settings, store).queue(default_concurrency_limit=settings.concurrency)
    staff.launch(auth=auth, auth_message="Staff console: sign in with the staff credentials.",
                 allowed_paths=[str(export_dir(settings))], **launch_options(settings, settings.staff_port))
    log.info("%s; staff console on http://%s:%d/", reason, settings.host, settings.staff_port)
    return staff


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python app.py", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    bot = LazyBot(real_bot_loader(settings))
    try:
        bot()  # fail now, with a clear message, rather than on the first visitor's question
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)  # says how to build the index
        return 2
    try:
        serve(settings, bot)
    except OSError as exc:
        print(f"error: cannot listen on {settings.host}: {exc}", file=sys.stderr)
        return 2
    return 0


demo = build_demo()

if __name__ == "__main__":
    sys.exit(main())
