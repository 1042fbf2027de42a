"""Small Gradio pieces both pages use.

gr.HTML compiles its template with `new Function` in the browser, which the pages' Content-Security-
Policy refuses (no 'unsafe-eval'); gr.Markdown passes an HTML block through its sanitizer instead.
"""
from __future__ import annotations

from typing import Any

import gradio as gr


def html_block(value: str = "", **options: Any) -> gr.Markdown:
    """Trusted, already-escaped HTML (one block, no blank lines), shown without evaluating anything."""
    options.setdefault("padding", False)
    return gr.Markdown(value, sanitize_html=True, latex_delimiters=[], **options)
