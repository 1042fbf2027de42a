"""The web pages: the visitor chat a clinic embeds, and the staff console (see docs/app.md).

Rendering (render, trace) is pure and tested without a browser; Gradio appears only in visitor, staff
and theme; the bot is reached through service.
"""
