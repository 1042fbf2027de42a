"""Pure rendering: a Turn becomes the HTML of one chat message. No Gradio here.

Every string that reaches HTML is escaped: the visitor's own text, and corpus and template text
alike. A message is one HTML block without blank lines, so the chat's Markdown renderer passes it
through untouched (no emphasis, no autolinks, no LaTeX).
"""
from __future__ import annotations

import html
import re
from typing import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from bot.config import Clinic
from bot.models import Citation, Turn
from bot.ui.content import LIFELINE, Resource, UIText
from bot.ui.passage import Blocked, never, segments

MAX_LINK_CHARS = 60  # longer link texts are shortened; the href stays whole
CITED_LINE = re.compile(r"^- (?P<quote>.*) \[(?P<n>\d+)\]$")
CONTACT_KINDS = frozenset({"no_answer", "needs_clinician", "crisis"})
CLINIC_ARTICLE = "clinic article"  # its front matter names the article's original publisher, not this clinic
END_PUNCTUATION = (".", "?", "!", "…", ":")


def esc(text: object) -> str:
    """HTML-escape, and break anything a Markdown autolinker could turn into a link.

    >>> esc("<b>x</b> http://a.io")
    '&lt;b&gt;x&lt;/b&gt; http&#58;//a&#46;io'
    """
    out = html.escape(str(text), quote=True)
    return out.replace(":", "&#58;").replace("@", "&#64;").replace(".", "&#46;")


def esc_block(text: str) -> str:
    """`esc`, with line breaks kept as <br> so the HTML block has no blank line."""
    return "<br>".join(esc(line) for line in text.strip().splitlines())


def visitor_message(text: str) -> str:
    """The visitor's message as shown in the chat: literal text, never markup.

    >>> visitor_message("**hi** <img src=x>")
    '<div class="kap-q">**hi** &lt;img src=x&gt;</div>'
    """
    return f'<div class="kap-q">{esc_block(text)}</div>'


def tel_href(number: str) -> str:
    """`tel:` link target: digits and a leading plus only.

    >>> tel_href("(555) 010-0199")
    'tel:5550100199'
    """
    return "tel:" + re.sub(r"[^\d+]", "", number)


def link(url: str, text: str | None = None) -> str:
    """An outbound link; anything but http(s) is shown as text, never as a link."""
    shown = text or _short(url)
    if urlsplit(url).scheme not in ("http", "https"):
        return esc(shown)
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{esc(shown)}</a>'


def _short(url: str) -> str:
    parts = urlsplit(url)
    shown = (parts.netloc + parts.path).rstrip("/") or url
    return shown if len(shown) <= MAX_LINK_CHARS else shown[: MAX_LINK_CHARS - 1] + "…"


def body(answer: str) -> str:
    """Answer lines as HTML: `- quote [n]` lines become list items with a footnote mark.

    >>> body("Lead:\\n- A fact. [1]")
    '<p>Lead&#58;</p><ul><li>A fact&#46; <sup class="kap-ref">[1]</sup></li></ul>'
    """
    parts: list[str] = []
    items: list[str] = []
    for line in (raw.strip() for raw in answer.splitlines()):
        if not line:
            continue
        cited = CITED_LINE.match(line)
        if cited:
            items.append(f'<li>{esc(cited["quote"])} <sup class="kap-ref">[{cited["n"]}]</sup></li>')
            continue
        if line.startswith("- "):
            items.append(f"<li>{esc(line[2:])}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        parts.append(f"<p>{esc(line)}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "".join(parts)


def highlight(passage: str, quote: str, blocked: Blocked = never, withheld: str = "[…]") -> str:
    """The passage with the quote marked and blocked sentences left out (bot.ui.passage); escaped.

    >>> highlight("One.  Two\\nthree. Four.", "Two three.")
    'One&#46; <mark>Two three&#46;</mark> Four&#46;'
    """
    out = ""
    for kind, part in segments(passage, quote, blocked):
        if kind == "withheld":
            shown = f'<span class="kap-withheld">{esc(withheld)}</span>'
        else:
            shown = f"<mark>{esc(part)}</mark>" if kind in ("quote", "unplaced") else esc(part)
        out += ("<br>" if kind == "unplaced" else " ") + shown if out else shown
    return out


def source_label(c: Citation, clinic: Clinic) -> str:
    """`Title. Publisher, year`: the clinic article under the configured clinic's name; no doubled stops.

    >>> c = Citation(n=1, source="a", title="What Is KAP?", quote="q", publisher="Old Clinic (NC)", evidence_type="clinic article")
    >>> source_label(c, Clinic(name="Calm Clinic"))
    '<cite>What Is KAP?</cite> Calm Clinic'
    """
    title = c.title.strip()
    publisher = (clinic.name[:1].upper() + clinic.name[1:]) if c.evidence_type == CLINIC_ARTICLE else c.publisher
    source = ", ".join(esc(p) for p in (publisher, c.year) if p)
    stop = " " if title.endswith(END_PUNCTUATION) else ". "
    return f"<cite>{esc(title)}</cite>" + (f"{stop}{source}" if source else "")


def footnote(c: Citation, passage: str | None, text: UIText, clinic: Clinic, blocked: Blocked = never) -> str:
    """`[n] Title. Publisher, year` as a summary; opening it shows the passage in context, then the link
    (a link inside the summary would nest one control in another)."""
    kind = f' <span class="kap-fn-type">{esc(c.evidence_type)}</span>' if c.evidence_type else ""
    url = f'<p class="kap-fn-link">{esc(text["source_link_label"])}&#58; {link(c.url)}</p>' if c.url else ""
    quote = highlight(passage or "", c.quote, blocked, text["passage_withheld"])
    return (f'<li class="kap-fn"><details><summary><span class="kap-fn-n">[{c.n}]</span> {source_label(c, clinic)}{kind}</summary>'
            f'<blockquote class="kap-passage"><span class="kap-passage-label">{esc(text["passage_label"])}&#58;</span> '
            f"{quote}</blockquote>{url}</details></li>")


def footnotes(citations: Sequence[Citation], passages: Mapping[int, str], text: UIText, clinic: Clinic,
              blocked: Blocked = never) -> str:
    if not citations:
        return ""
    items = "".join(footnote(c, passages.get(c.n), text, clinic, blocked) for c in citations)
    return f'<div class="kap-sources"><p class="kap-sources-title">{esc(text["sources_heading"])}</p><ol class="kap-footnotes">{items}</ol></div>'


def contact_card(clinic: Clinic, text: UIText) -> str:
    """Clinic name, phone and address, when at least one way to reach the clinic is configured."""
    if not (clinic.phone or clinic.address or clinic.url):
        return ""
    rows = [f"<strong>{esc(text['contact_heading'])}</strong>"]
    if clinic.phone:
        rows.append(f'<a href="{tel_href(clinic.phone)}">{esc(clinic.phone)}</a>')
    if clinic.address:
        rows.append(esc(clinic.address))
    if clinic.url:
        rows.append(link(clinic.url))
    return '<p class="kap-contact">' + "<br>".join(rows) + "</p>"


def answer_html(turn: Turn, passages: Mapping[int, str], clinic: Clinic, text: UIText,
                resources: Sequence[Resource] = (LIFELINE,), blocked: Blocked = never) -> str:
    """One bot message. A crisis reply opens with its buttons (Call 988, Text 988, Call 911 …), before any
    text, and is styled apart from ordinary bubbles; the page's script moves focus to them."""
    first = crisis_actions(resources, text) if turn.kind == "crisis" else ""
    contact = contact_card(clinic, text) if turn.kind in CONTACT_KINDS else ""
    return (f'<div class="kap-answer kap-{turn.kind}">{first}'
            f"{body(turn.answer)}{contact}{footnotes(turn.citations, passages, text, clinic, blocked)}</div>")


def passages_for(turn: Turn, chunk_text: Callable[[str], str]) -> dict[int, str]:
    """Citation number -> text of the chunk its quote was selected from (absent when unknown)."""
    out: dict[int, str] = {}
    for c in turn.citations:
        chunk_id = next((e.chunk_id for e in turn.evidence if e.doc_id == c.source and e.text == c.quote), None)
        if chunk_id is None:
            continue
        try:
            out[c.n] = chunk_text(chunk_id)
        except (KeyError, LookupError):
            continue
    return out


def resource_actions(r: Resource) -> list[str]:
    """Big tap targets to call or text one resource.

    >>> resource_actions(Resource(name="CTL", text="741741", text_body="HOME"))
    ['<a class="kap-action" href="sms:741741?&amp;body=HOME">Text HOME to 741741</a>']
    """
    actions = []
    if r.call:
        actions.append(f'<a class="kap-action" href="{tel_href(r.call)}">Call {esc(r.call)}</a>')
    if r.text:
        body_param = f"?&amp;body={esc(r.text_body)}" if r.text_body else ""
        word = f"{esc(r.text_body)} to " if r.text_body else ""
        actions.append(f'<a class="kap-action" href="sms:{re.sub(r"[^0-9+]", "", r.text)}{body_param}">Text {word}{esc(r.text)}</a>')
    return actions


def crisis_actions(resources: Sequence[Resource], text: UIText) -> str:
    """The first thing in a crisis reply: every way to reach help now, in the reviewed order (988 first)."""
    links = "".join(a for r in resources for a in resource_actions(r))
    # The chat's sanitizer drops aria-label, so the group's name is hidden text screen readers read first.
    return (f'<div class="kap-crisis-actions" role="group"><span class="kap-sr-only">{esc(text["crisis_actions_label"])}</span>'
            f"{links}</div>")


def notice_bar(text: UIText) -> str:
    """The always-visible line: educational, not medical advice; in crisis, call or text 988. On a phone
    the short notice replaces the long one, so the header stays one line. After a crisis reply the page
    keeps it in red with 911 added, for the rest of the visit (bot/ui/static/visitor.js)."""
    return (f'<p class="kap-notice" role="note"><span class="kap-notice-long">{esc(text["notice"])}</span>'
            f'<span class="kap-notice-short">{esc(text["notice_short"])}</span> '
            f'<strong>{esc(text["crisis_prompt"])} <a href="tel:988">Call</a> or <a href="sms:988">text 988</a>'
            f'<span class="kap-notice-911">; {esc(text["emergency_prompt"])} <a href="tel:911">call 911</a></span></strong></p>')
