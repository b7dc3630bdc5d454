"""Markdown as typed by agents, rendered once when saved and sanitised with an allowlist.

Texts keep their Markdown source; the HTML stored beside it is what pages show. When this
policy changes, stored HTML is re-rendered by a command, never per request.
"""

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def clean_text(text: str) -> str:
    """Line breaks as typed in a browser's text area (CRLF) become plain LF, so texts compare equal."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


FIRST_HEADING_LEVEL = 3  # below the page's h1 and the h2 of the section that shows the text
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _rebase_headings(html: str) -> str:
    """The text's highest heading becomes h3 whatever its own level ("#" or "##"), keeping the outline."""
    levels = [int(level) for _slash, level in _HEADING.findall(html)]
    if not levels:
        return html
    shift = FIRST_HEADING_LEVEL - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)


def render_markdown(source: str) -> str:
    """Safe HTML for a Markdown text; its headings start at h3 so they sit below the page's own."""
    html = _rebase_headings(markdown.markdown(source, extensions=["extra", "sane_lists", "toc"], output_format="html"))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
