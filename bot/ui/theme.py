"""Look and feel: system fonts only (nothing fetched from a font service), readable contrast."""
from __future__ import annotations

from pathlib import Path

import gradio as gr

CSS_FILE = Path(__file__).resolve().parent / "style.css"
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace")


def theme() -> gr.themes.Base:
    """gr.themes.Base with plain font names: Gradio emits no stylesheet link for them."""
    return gr.themes.Base(
        primary_hue="blue", secondary_hue="blue", neutral_hue="slate",
        font=list(SYSTEM_FONTS), font_mono=list(MONO_FONTS),
    ).set(
        body_text_color="*neutral_900",
        body_text_color_subdued="*neutral_600",
        block_label_text_color="*neutral_700",
        block_title_text_color="*neutral_800",
        input_placeholder_color="*neutral_500",
        link_text_color="*primary_700",
        link_text_color_visited="*primary_800",
        link_text_color_hover="*primary_900",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        body_text_color_dark="*neutral_50",
        body_text_color_subdued_dark="*neutral_300",
        link_text_color_dark="*primary_300",
        link_text_color_visited_dark="*primary_200",
    )


def css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")
