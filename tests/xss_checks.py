"""Static checks of sanitised Markdown and of the pages that show it, shared by the XSS corpus tests.

Two independent readings of the same HTML, so that a quirk of one parser does not hide a payload:
Python's html.parser (tags and decoded attributes), and a strict tokenizer of the exact form nh3 serialises
(every "<" opens an allowed tag whose attributes are double-quoted), which a stray tag or an attribute a
browser would read differently cannot pass.
"""

import html
import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from communes.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, ID_PREFIX

CORPUS = Path(__file__).resolve().parent / "data" / "xss_payloads.txt"
# A sample of the corpus for the slower paths (real pages, the browser): one of each way a payload runs
# (script, handler, URL scheme in each Markdown form, frames, plugins, meta, SVG/MathML, parser confusion,
# Python-Markdown's extensions, htmx attributes, id clobbering).
NASTIEST = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=eval(atob('d2luZG93Ll9feHNzPTE='))>",
    "<svg/onload=window.__xss=1>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "[x](javascript:window.__xss=1)",
    "[x](javascript&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[clic](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][1]\n\n[1]: javascript:alert(1)",
    '<a href="jav&#x09;ascript:alert(1)">clic</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=https://evil.example/>",
    "<form><button formaction=javascript:alert(1)>envoyer</button></form>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--><img src=x onerror=alert(1)>-->",
    '"><script>window.__xss=1</script>',
    '# Titre {: onclick="alert(1)" }',
    '<div markdown="1">[x](javascript:alert(1))</div>',
    "[x](https://exemple.fr \"a' onclick='alert(1)\")",
    '![x](x" onerror="alert(1))',
    '<div hx-on:load="window.__xss=1">htmx</div>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<h3 id="decompte-contenu">hijack the live tally</h3>',
    "<style>*{x:expression(alert(1))}</style>",
]

# Elements that must never come out of a Markdown text, whatever the allowlist says one day.
FORBIDDEN_ELEMENTS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link", "img", "frame",
    "frameset", "applet", "template", "noscript", "textarea", "input", "button", "select", "isindex", "image",
    "video", "audio", "source", "portal", "dialog", "details", "marquee", "body", "html", "head", "title",
}  # fmt: skip
# Attributes that take a URL (or markup, or CSS that may load one): only safe schemes there.
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "srcdoc", "style", "data", "poster", "background", "cite", "xlink:href",
    "srcset", "ping", "codebase", "lowsrc", "dynsrc", "content", "manifest", "icon", "longdesc", "usemap",
}  # fmt: skip
EXTRA_ATTRIBUTES = {"a": {"rel"}}  # nh3 adds rel to every link


def allowed_attributes(tag: str) -> set[str]:
    return ALLOWED_ATTRIBUTES.get("*", set()) | ALLOWED_ATTRIBUTES.get(tag, set()) | EXTRA_ATTRIBUTES.get(tag, set())


LINK_REL = "noopener noreferrer nofollow"
_SCRIPTY = re.compile(r"(?:java|vb|live)script:|mocha:|expression\(")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# nh3's serialisation: <tag attr="value" ...> or </tag>, values double-quoted with " escaped.
_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9:_-]*="[^"]*")*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([a-z][a-z0-9:_-]*)="([^"]*)"')


def load_corpus() -> list[str]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="ascii").splitlines() if line]


def squeezed(value: str) -> str:
    """An attribute value as a browser reads a URL: entities decoded (again, for double encodings), then
    without the spaces, controls and invisible characters it skips, lower-cased."""
    for _ in range(3):
        value = html.unescape(value)
    return "".join(c for c in value if not unicodedata.category(c).startswith(("C", "Z"))).lower()


def url_problem(value: str) -> str | None:
    value = squeezed(value)
    match = _SCHEME.match(value)
    if match and match.group(1) not in ALLOWED_URL_SCHEMES:
        return f"schéma {match.group(1)}:"
    return None


def attribute_problems(tag: str, name: str, value: str | None) -> list[str]:
    value = value or ""
    problems = []
    if name.startswith("on"):
        problems.append(f"<{tag} {name}> : gestionnaire d'événement")
    if name in URL_ATTRIBUTES and (problem := url_problem(value)):
        problems.append(f"<{tag} {name}={value!r}> : {problem}")
    if _SCRIPTY.search(squeezed(value)):
        problems.append(f"<{tag} {name}={value!r}> : script dans un attribut")
    return problems


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def fragment_problems(fragment: str) -> list[str]:
    """Everything wrong with the HTML of one rendered text (empty: it is safe)."""
    problems = []
    collector = _Collector()
    collector.feed(fragment)
    collector.close()
    for tag, attrs in collector.elements:
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"élément <{tag}> interdit")
        elif tag not in ALLOWED_TAGS:
            problems.append(f"élément <{tag}> hors liste")
        allowed = allowed_attributes(tag)
        for name, value in attrs:
            problems += attribute_problems(tag, name, value)
            if name not in allowed:
                problems.append(f"attribut {name} sur <{tag}> hors liste")
            elif name == "id" and not (value or "").startswith(ID_PREFIX):
                problems.append(f"id {value!r} hors de l'espace {ID_PREFIX}")
            elif name == "href" and (value or "").startswith("#") and value != "#":
                if not value.startswith("#" + ID_PREFIX):
                    problems.append(f"ancre {value!r} hors de l'espace {ID_PREFIX}")
            elif name == "rel" and value != LINK_REL:
                problems.append(f"rel={value!r}")
        if tag == "a" and dict(attrs).get("rel") != LINK_REL:
            problems.append("lien sans rel noopener noreferrer nofollow")
    # The second reading: walk every "<" of the text as the strict tokenizer sees it.
    position = 0
    while (start := fragment.find("<", position)) != -1:
        match = _TAG.match(fragment, start)
        if match is None:
            problems.append(f"« < » hors d'une balise attendue : {fragment[start : start + 40]!r}")
            position = start + 1
            continue
        tag = match.group(2)
        if tag not in ALLOWED_TAGS:
            problems.append(f"balise <{tag}> hors liste (lecture stricte)")
        for name, value in _ATTRIBUTE.findall(match.group(3)):
            problems += attribute_problems(tag, name, html.unescape(value))
        position = match.end()
    return problems


class _PageReader(HTMLParser):
    """Splits a page into what its Markdown containers (div.prose) hold and the rest."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.div_depth = 0
        self.prose_depth: int | None = None
        self.proses = 0
        self.inside: list[tuple[str, list]] = []
        self.outside: list[tuple[str, list]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.div_depth += 1
            classes = (dict(attrs).get("class") or "").split()
            if self.prose_depth is None and "prose" in classes:
                self.prose_depth = self.div_depth
                self.proses += 1
                return
        (self.inside if self.prose_depth is not None else self.outside).append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        (self.inside if self.prose_depth is not None else self.outside).append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "div":
            if self.prose_depth == self.div_depth:
                self.prose_depth = None
            self.div_depth -= 1
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


# The page's own head: what base.html puts there, nothing more.
PAGE_META_NAMES = {"viewport", "htmx-config"}


def page_problems(page: str) -> list[str]:
    """Everything wrong with a whole page that shows hostile texts: strict inside its div.prose, and
    page-wide no event handler, no script scheme, no script but our own static files, no base, no frames."""
    reader = _PageReader()
    reader.feed(page)
    reader.close()
    problems = []
    if not reader.proses:
        problems.append("aucun conteneur div.prose sur la page")
    for tag, attrs in reader.inside:
        if tag not in ALLOWED_TAGS:
            problems.append(f"élément <{tag}> dans un texte")
        allowed = allowed_attributes(tag)
        problems += [f"attribut {name} sur <{tag}> dans un texte" for name, _value in attrs if name not in allowed]
    for tag, attrs in reader.inside + reader.outside:
        for name, value in attrs:
            problems += attribute_problems(tag, name, value)
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            problems.append(f"<script> qui n'est pas un fichier statique : {attrs}")
        if tag in {"base", "iframe", "frame", "frameset", "object", "embed", "applet", "portal"}:
            problems.append(f"élément <{tag}> sur la page")
        if tag == "meta" and values.get("charset") != "utf-8" and values.get("name") not in PAGE_META_NAMES:
            problems.append(f"<meta> inattendu : {attrs}")
    if reader.script_text:
        problems.append(f"script en ligne : {reader.script_text[:2]}")
    return problems
