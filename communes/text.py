"""Markdown as typed by agents, rendered once when saved and sanitised with an allowlist.

Texts keep their Markdown source; the HTML stored beside it is what pages show. When this
policy changes, stored HTML is re-rendered by a command, never per request.
"""

import re
import unicodedata

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
# "*": on every allowed tag. nh3 keeps lang and title everywhere unless told otherwise: stated here, so that
# this list is the whole truth (the XSS corpus test reads it).
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title"}, "a": {"href", "title"}, "abbr": {"title"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"},
    "h6": {"id"},
    # Footnotes: the call (sup) and the note (li) are each other's link targets.
    "li": {"id"}, "sup": {"id"},
}  # fmt: skip
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Every id of a text lives in its own namespace, as GitHub's "user-content-": a heading "Contenu" or a typed
# <h3 id="decompte-contenu"> would otherwise take the id of the page's own elements (the skip link's target,
# the live tally htmx refreshes, the label of a charter section). Links inside the text follow the prefix.
ID_PREFIX = "md-"
# Script schemes have no business in any attribute, even where they would not run (a title, a mailto: or
# https: address that carries one): an attribute holding one is dropped, in case a consumer of the API
# decodes or unwraps it.
_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script:|mocha:")


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


def _squeezed(value: str) -> str:
    """The value as a browser reads a URL's scheme: without the spaces, controls and invisible characters
    it skips (tabs and line breaks inside "java\tscript:", a soft hyphen, a zero-width space)."""
    return "".join(c for c in value if not unicodedata.category(c).startswith(("C", "Z"))).lower()


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3 calls this on every allowed attribute, its entities already decoded."""
    if _SCRIPT_SCHEME.search(_squeezed(value)):
        return None
    if name == "id" and not value.startswith(ID_PREFIX):
        return ID_PREFIX + value
    if name == "href" and value.startswith("#") and len(value) > 1 and not value.startswith("#" + ID_PREFIX):
        return "#" + ID_PREFIX + value[1:]
    return value


def render_markdown(source: str) -> str:
    """Safe HTML for a Markdown text; its headings start at h3 so they sit below the page's own."""
    html = _rebase_headings(
        markdown.markdown(
            source,
            extensions=["extra", "sane_lists", "toc"],
            # The HTML is stored once for every reader, and the territory's texts are French.
            extension_configs={"extra": {"footnotes": {"BACKLINK_TITLE": "Revenir à l'appel de note %d"}}},
            output_format="html",
        )
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
