"""The page's <head>: our title, description and preview image instead of Gradio's, and a nonce on
every script so the Content-Security-Policy can refuse any script the page did not ship.

Gradio's page template hard-codes link previews that say "Gradio" (with an image fetched from GitHub)
and a manifest link; they are removed, and ours are added. Pure string work, no Gradio here.

>>> meta = PageMeta(title="Q & A", description="Answers.", image="kap-static/preview.png")
>>> gradio = '<head><meta property="og:title" content="Gradio" /><script>window.gradio_config = {}</script></head>'
>>> page = rewrite(gradio, meta, "n1", "https://c.example/faq")
>>> "Gradio" in page, '<title>Q &amp; A</title>' in page, '<script nonce="n1">window' in page
(False, True, True)
>>> '<meta property="og:image" content="https://c.example/faq/kap-static/preview.png">' in page
True
"""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

GRADIO_HEAD = re.compile(
    r"\s*<meta\s[^>]*?(?:property=\"og:|name=\"twitter:)[^>]*>"  # link previews ("Gradio", GitHub image)
    r"|\s*<link\s[^>]*?rel=\"manifest\"[^>]*>"  # Gradio's web-app manifest, at an absolute path
    r"|\s*<title>.*?</title>", re.S | re.I)
SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.I)
HEAD_OPEN = re.compile(r"<head[^>]*>", re.I)
GRADIO_MARK = "window.gradio_config"


@dataclass(frozen=True)
class PageMeta:
    """title and description as shown; image, icon, scripts and styles are paths relative to the app's root
    URL. index False adds noindex (the staff console)."""

    title: str
    description: str = ""
    image: str = ""
    icon: str = ""
    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    index: bool = True


def head_tags(meta: PageMeta, base_url: str) -> str:
    e = lambda s: html_lib.escape(s, quote=True)  # noqa: E731
    tags = [f"<title>{e(meta.title)}</title>"]
    if meta.description:
        tags.append(f'<meta name="description" content="{e(meta.description)}">')
    if meta.icon:
        tags.append(f'<link rel="icon" href="{e(meta.icon)}">')
    if not meta.index:
        tags.append('<meta name="robots" content="noindex, nofollow">')
    else:  # link previews, as a chat app or social site shows them
        image = f"{base_url}/{meta.image}" if meta.image else ""
        tags += ['<meta property="og:type" content="website">', '<meta name="twitter:card" content="summary_large_image">']
        for attr, prefix in (("property", "og"), ("name", "twitter")):
            tags += [f'<meta {attr}="{prefix}:{key}" content="{e(value)}">'
                     for key, value in (("title", meta.title), ("description", meta.description), ("image", image)) if value]
    tags += [f'<link rel="stylesheet" href="{e(href)}">' for href in meta.styles]
    tags += [f'<script src="{e(src)}" defer></script>' for src in meta.scripts]
    return "".join(tags)


def rewrite(page: str, meta: PageMeta, nonce: str, base_url: str) -> str:
    """Gradio's page with its preview tags, manifest and title replaced by ours, every script nonced.
    A page of our own (no Gradio config in it) only gets the nonces."""
    if GRADIO_MARK not in page:
        return SCRIPT_TAG.sub(f'<script nonce="{nonce}"', page)
    page = GRADIO_HEAD.sub("", page)
    opened = HEAD_OPEN.search(page)
    at = opened.end() if opened else 0
    page = page[:at] + head_tags(meta, base_url) + page[at:]
    return SCRIPT_TAG.sub(f'<script nonce="{nonce}"', page)


def rewriter(meta: PageMeta):
    """rewrite() for one page, in the shape security.Policy takes: (html, nonce, base_url) -> html."""
    return lambda page, nonce, base_url: rewrite(page, meta, nonce, base_url)
