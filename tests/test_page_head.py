"""The page head rewrite over Gradio's real page template: our title and previews, nonced scripts."""
from __future__ import annotations

import re
from pathlib import Path

import gradio

from bot.ui.page_head import PageMeta, rewrite

TEMPLATE = Path(gradio.__file__).parent / "templates" / "frontend" / "index.html"
META = PageMeta(title="Calm Clinic: Questions", description="Answers, quoted.", image="kap-static/preview.png",
                icon="kap-static/favicon.png", scripts=("kap-static/visitor.js",))


def gradio_page() -> str:
    """Gradio's template with its placeholders filled roughly as its server would."""
    page = TEMPLATE.read_text()
    page = re.sub(r"\{\{[^}]*toorjson[^}]*\}\}", "{}", page)
    return re.sub(r"\{\{.*?\}\}", "", page, flags=re.S)


def test_gradio_previews_manifest_and_title_are_replaced() -> None:
    page = rewrite(gradio_page(), META, "n0nce", "https://clinic.example/faq")
    assert 'content="Gradio"' not in page and "Click to try out the app!" not in page
    assert "githubusercontent" not in page and "@Gradio" not in page and 'rel="manifest"' not in page
    assert page.count("<title>") == 1 and "<title>Calm Clinic: Questions</title>" in page
    assert page.count('property="og:title"') == 1 and page.count('name="twitter:image"') == 1
    assert '<meta property="og:image" content="https://clinic.example/faq/kap-static/preview.png">' in page
    assert '<link rel="icon" href="kap-static/favicon.png">' in page


def test_every_script_gets_the_nonce() -> None:
    page = rewrite(gradio_page(), META, "n0nce", "http://x")
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all('nonce="n0nce"' in s for s in scripts)
    assert '<script nonce="n0nce" src="kap-static/visitor.js" defer>' in page


def test_noindex_page_has_no_previews() -> None:
    page = rewrite(gradio_page(), PageMeta(title="Staff console", index=False), "n", "http://x")
    assert '<meta name="robots" content="noindex, nofollow">' in page and "og:" not in page


def test_our_own_pages_only_get_nonces() -> None:
    own = "<html><head><title>Sign in</title><script>1</script></head></html>"
    assert rewrite(own, META, "n", "http://x") == own.replace("<script>", '<script nonce="n">')


def test_text_is_escaped() -> None:
    page = rewrite(gradio_page(), PageMeta(title='<b>"x"</b>'), "n", "http://x")
    assert "<title>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>" in page
