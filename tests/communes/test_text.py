"""Markdown typed by agents is rendered once and sanitised: nothing executable survives."""

import pytest

from communes.text import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<svg onload=alert(1)><circle /></svg>",
    "<iframe src=https://exemple.fr></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<details open ontoggle=alert(1)>x</details>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<object data=javascript:alert(1)></object>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<div onclick="alert(1)">x</div>',
    "<style>body{display:none}</style>",
    "<base href=https://mechant.example/>",
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]

FORBIDDEN = ["<script", "onerror", "onload", "ontoggle", "onclick", "javascript:", "vbscript:", "data:", "<iframe",
             "<svg", "<object", "<form", "<style", "<base", "<img", "style="]  # fmt: skip


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_xss_payload_survives(payload):
    html = render_markdown(payload).lower()
    for forbidden in FORBIDDEN:
        assert forbidden not in html, (payload, html)


def test_ordinary_markdown_is_kept():
    html = render_markdown("# Objet\n\nUn **texte** avec [un lien](https://www.cnfpt.fr) et `du code`.\n\n- un\n- deux")
    assert '<h3 id="md-objet">Objet</h3>' in html
    assert '<a href="https://www.cnfpt.fr" rel="noopener noreferrer nofollow">un lien</a>' in html
    assert "<strong>texte</strong>" in html and "<code>du code</code>" in html and "<li>un</li>" in html


def test_mailto_links_are_kept():
    assert 'href="mailto:dgs@mairie.fr"' in render_markdown("[écrire](mailto:dgs@mairie.fr)")


def test_the_highest_heading_becomes_h3_whatever_its_level():
    assert render_markdown("## Décisions\n\n### Détail").startswith('<h3 id="md-decisions">Décisions</h3>')
    assert '<h4 id="md-detail">Détail</h4>' in render_markdown("## Décisions\n\n### Détail")
    assert render_markdown("# Objet").startswith("<h3")
    assert "<h6" in render_markdown("# Un\n\n###### Six") and "<h8" not in render_markdown("# Un\n\n###### Six")
