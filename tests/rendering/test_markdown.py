"""The one Markdown renderer: Markdown in, sanitised HTML out, whatever a customer or a model writes."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from support_project.rendering import render_markdown


def test_it_renders_markdown() -> None:
    assert render_markdown("**bold** and `code`") == "<p><strong>bold</strong> and <code>code</code></p>"


def test_it_keeps_a_fenced_code_block_whole() -> None:
    html = render_markdown("Try:\n\n```sh\ncurl -X POST $API/x\n```\n")
    assert html == '<p>Try:</p>\n<pre><code class="language-sh">curl -X POST $API/x\n</code></pre>'


def test_it_makes_bare_urls_clickable_and_safe() -> None:
    html = render_markdown("See https://example.com/docs, then reply.")
    assert html == (
        '<p>See <a href="https://example.com/docs" rel="nofollow noopener noreferrer">https://example.com/docs</a>'
        ", then reply.</p>"
    )


def test_it_keeps_markdown_links_and_relative_paths() -> None:
    html = render_markdown("Open [the thread](/demo?session=abc).")
    assert html == '<p>Open <a href="/demo?session=abc" rel="nofollow noopener noreferrer">the thread</a>.</p>'


def test_it_leaves_urls_in_code_alone() -> None:
    assert render_markdown("`https://x.test/a`") == "<p><code>https://x.test/a</code></p>"


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="https://x.test" onclick="alert(1)">x</a>', "onclick"),
        ("<iframe src=https://x.test></iframe>", "<iframe"),
        ('<p style="color:red">x</p>', "style="),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ],
)
def test_it_strips_what_could_run(source: str, forbidden: str) -> None:
    assert forbidden not in render_markdown(source).lower()


def test_the_template_filter_is_available_everywhere() -> None:
    out = Template("{{ text|markdown }}").render(Context({"text": "*hi* <b onclick=x>there</b>"}))
    assert out == "<p><em>hi</em> <b>there</b></p>"
