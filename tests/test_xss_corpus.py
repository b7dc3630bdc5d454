"""Hostile Markdown, issue #10: a corpus of XSS payloads through every Markdown field of the application.

Every Markdown text goes the same way: its service renders it once with `communes.text.render_markdown`
and stores the HTML beside the source; templates show that HTML with `|safe` inside a div.prose. So:

1. the whole corpus (tests/data/xss_payloads.txt, built by scripts/build_xss_corpus.py) goes through
   `render_markdown`, and the output is checked by two independent readings (tests/xss_checks.py);
2. for each Markdown field, a hostile text saved through the field's own service must be stored as exactly
   `render_markdown` of it (the field takes no other way), and the pages showing it, fetched with the test
   client, must hold nothing executable;
3. guards fail when a new Markdown field, a new call of the renderer or a new `|safe` in a template appears
   without being covered here.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from communes.text import clean_text, render_markdown
from tests.xss_checks import (
    CORPUS,
    NASTIEST,
    fragment_problems,
    load_corpus,
    page_problems,
)

ROOT = Path(settings.BASE_DIR)
MARKER = "Marqueur-XSS-visible"


def test_the_corpus_is_built_by_its_script_and_large_enough():
    import subprocess
    import sys

    corpus = load_corpus()
    assert len(corpus) >= 500 and len(set(corpus)) == len(corpus)
    assert set(NASTIEST) <= set(corpus), set(NASTIEST) - set(corpus)
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_xss_corpus.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr or f"{CORPUS} n'est pas celui que produit le script"


def _report(failures: list[tuple[str, list[str]]]) -> str:
    return f"{len(failures)} charge(s) passent :\n" + "\n".join(
        f"{payload!r}\n    -> {problems[:3]}" for payload, problems in failures[:20]
    )


def test_no_payload_of_the_corpus_survives_the_renderer():
    failures = []
    for payload in load_corpus():
        problems = fragment_problems(render_markdown(clean_text(payload)))
        if problems:
            failures.append((payload, problems))
    assert not failures, _report(failures)


def test_the_checks_catch_what_they_are_for():
    """The checks themselves: each of these must be caught, or a green corpus proves nothing."""
    for unsafe in [
        "<script>alert(1)</script>",
        '<p onclick="alert(1)">x</p>',
        '<a href="javascript:alert(1)" rel="noopener noreferrer nofollow">x</a>',
        '<a href="jav&#x09;ascript:alert(1)" rel="noopener noreferrer nofollow">x</a>',
        '<a href=" &#14; javascript:alert(1)" rel="noopener noreferrer nofollow">x</a>',
        '<a href="data:text/html,x" rel="noopener noreferrer nofollow">x</a>',
        '<a href="https://x.fr">pas de rel</a>',
        '<h3 id="contenu">collision</h3>',
        "<svg><a>x</a></svg>",
        '<p style="color:red">x</p>',
        '<iframe srcdoc="x"></iframe>',
        '<abbr title="javascript:alert(1)">x</abbr>',
        "<p>x</p><img src=x onerror=alert(1)",
    ]:
        assert fragment_problems(unsafe), unsafe
    assert fragment_problems(render_markdown("[x](https://x.fr) *a* `b`\n\n# T\n\n[t](#t)")) == []
    page = (
        '<html><head><meta charset="utf-8"><script src="/static/vendor/htmx.js" defer></script></head>'
        '<body><main id="contenu"><div class="prose"><p>texte</p></div></main></body></html>'
    )
    assert page_problems(page) == []
    for injected in [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="color:red">x</p>',
        '<div hx-get="/x">x</div>',
        "<base href=https://evil.example/>",
    ]:
        assert page_problems(page.replace("<p>texte</p>", injected)), injected
    assert page_problems(page.replace("<main", '<main onclick="alert(1)"'))


def test_the_charter_diff_escapes_every_payload():
    """The charter's comparison of versions shows Markdown sources word by word: escaped, never rendered."""
    from charte.diff import word_diff_html

    allowed = re.compile(r'<(?:/?(?:del|ins)|span class="visually-hidden"|/span)>')
    failures = []
    for payload in load_corpus():
        html = str(word_diff_html("Texte d'origine de la section", payload))
        stray = [m.group(0) for m in re.finditer(r"<[^>]*>", html) if not allowed.fullmatch(m.group(0))]
        if stray:
            failures.append((payload, stray))
    assert not failures, _report(failures)


# Every Markdown field, its service and the pages that show it ------------------------------------------------

HOSTILE_TEXT = f"{MARKER}\n\n" + "\n\n".join(NASTIEST)


def _soon(**delta):
    return timezone.now() + timedelta(**delta)


def _proposition(world, text):
    from decisions import services

    proposition = services.proposition_create(
        territoire=world.territoire, author=world.dgs_commune, title="Proposition hostile", body=text
    )
    return proposition, [reverse("decisions:proposition", args=[world.territoire.slug, proposition.pk])]


def _round(world, text):
    from decisions import services

    proposition = services.proposition_create(
        territoire=world.territoire, author=world.dgs_commune, title="Tour hostile", body=text
    )
    services.proposition_open(proposition=proposition, by=world.dgs_commune, closes_at=_soon(days=3))
    return proposition.rounds.get(), [reverse("decisions:proposition", args=[world.territoire.slug, proposition.pk])]


def _section(world, text):
    from charte import services

    version = services.charte_start(territoire=world.territoire, by=world.dgs_epci)
    section = version.sections.order_by("position").first()
    section = services.section_save(
        section=section, by=world.dgs_epci, title=section.title, body=text, based_on_revision=section.revision
    )
    return section, [reverse("charte:version", args=[world.territoire.slug, version.number])]


def _instance(world, text):
    from codir import services

    instance = services.instance_create(
        territoire=world.territoire, by=world.dgs_epci, kind="bureau", starts_at=_soon(days=20), agenda=text
    )
    return instance, [reverse("codir:instance", args=[world.territoire.slug, instance.pk])]


def _reunion(world):
    from codir import services
    from communes.models import Collectivite

    # Starting within the hour: its minutes can already be written.
    return services.reunion_create(
        territoire=world.territoire,
        by=world.dgs_epci,
        title="CoDir hostile",
        starts_at=_soon(minutes=30),
        ends_at=_soon(hours=2),
        host=Collectivite.objects.get(territoire=world.territoire, name="Mortagne-sur-Sèvre"),
        animateur=world.dgs_commune,
    )


def _minutes(world, text):
    from codir import services

    reunion = services.minutes_save(reunion=_reunion(world), by=world.dgs_commune, text=text)
    return reunion, [reverse("codir:reunion", args=[world.territoire.slug, reunion.pk])]


def _point(world, text):
    from codir import services

    reunion = _reunion(world)
    point = services.point_add(reunion=reunion, by=world.dgs_commune, title="Point hostile", description=text)
    return point, [reverse("codir:reunion", args=[world.territoire.slug, reunion.pk])]


def _projet(field):
    def build(world, text):
        from tests.reseaux.builders import epci_projet

        projet = epci_projet(world.territoire, world.dgs_epci, title=f"Projet hostile ({field})", **{field: text})
        pages = ["reseaux:projet", "reseaux:fiche"] if field == "description" else ["reseaux:fiche"]
        return projet, [reverse(name, args=[world.territoire.slug, projet.pk]) for name in pages]

    return build


def _reseau(world, text):
    from reseaux.services import networks

    reseau = networks.reseau_create(
        territoire=world.territoire, by=world.dgs_commune, name="Réseau hostile", kind="metier", description=text
    )
    return reseau, [reverse("reseaux_net:reseau", args=[world.territoire.slug, reseau.pk])]


def _revue(field):
    def build(world, text):
        from codir.revue import services

        year = timezone.localdate().year
        revue = services.revue_create(territoire=world.territoire, year=year, by=world.facilitateur)
        revue = services.revue_open_questionnaire(revue=revue, by=world.facilitateur)
        revue = services.revue_start_seminar(revue=revue, by=world.facilitateur)
        texts = {"bilan": "", "perspectives": "", field: text}
        revue = services.seminaire_save(revue=revue, by=world.facilitateur, **texts)
        return revue, [
            reverse(f"revue:{name}", args=[world.territoire.slug, year]) for name in ("seminaire", "rapport")
        ]

    return build


# (app_label.Model, source field, stored HTML field) -> how the field's own service saves a text, and its pages.
FIELDS = {
    ("decisions.Proposition", "body", "body_html"): _proposition,
    ("decisions.Round", "body", "body_html"): _round,
    ("charte.Section", "body", "body_html"): _section,
    ("codir.Instance", "agenda", "agenda_html"): _instance,
    ("codir.Reunion", "minutes", "minutes_html"): _minutes,
    ("codir.PointOdj", "description", "description_html"): _point,
    ("reseaux.Projet", "description", "description_html"): _projet("description"),
    ("reseaux.Projet", "objectives", "objectives_html"): _projet("objectives"),
    ("reseaux.Projet", "expected_effects", "expected_effects_html"): _projet("expected_effects"),
    ("reseaux.Projet", "resources", "resources_html"): _projet("resources"),
    ("reseaux.Reseau", "description", "description_html"): _reseau,
    ("codir.RevueAnnuelle", "bilan", "bilan_html"): _revue("bilan"),
    ("codir.RevueAnnuelle", "perspectives", "perspectives_html"): _revue("perspectives"),
}


class World:
    def __init__(self, request):
        self.territoire = request.getfixturevalue("mortagne")
        self.dgs_epci = request.getfixturevalue("dgs_epci")
        self.dgs_commune = request.getfixturevalue("dgs_commune")
        self.facilitateur = request.getfixturevalue("facilitateur")


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(FIELDS), ids=lambda key: f"{key[0]}.{key[1]}")
def test_every_markdown_field_stores_the_sanitised_html_and_its_pages_hold_nothing_executable(
    field, request, client_for
):
    world = World(request)
    instance, urls = FIELDS[field](world, HOSTILE_TEXT)
    instance.refresh_from_db()
    _model, source, target = field
    assert getattr(instance, source) == clean_text(HOSTILE_TEXT)
    # Exactly the renderer's output: the field takes no other way, so the whole corpus above covers it.
    assert getattr(instance, target) == render_markdown(clean_text(HOSTILE_TEXT))
    assert fragment_problems(getattr(instance, target)) == []
    # A draft proposition is its author's; the facilitator sees the séminaire's form, the members its texts.
    viewer = world.dgs_commune if field[0] == "decisions.Proposition" else world.dgs_epci
    client = client_for(viewer)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert MARKER in page, f"{url} ne montre pas le champ {field}"
        assert page_problems(page) == [], url


# Guards: nothing new escapes the above ------------------------------------------------------------------------


def test_every_stored_markdown_field_is_covered():
    from django.apps import apps

    from codir.management.commands.rerender_markdown import RENDERED

    rendered = {(model._meta.label, source, target) for model, source, target in RENDERED}
    stored = {
        (model._meta.label, field.name.removesuffix("_html"), field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith("_html")
    }
    assert set(FIELDS) == rendered == stored


# The modules that may turn text into markup, and why each is covered.
RENDERING_MODULES = {
    "communes/text.py": "the renderer itself",
    "codir/management/commands/rerender_markdown.py": "re-renders the fields of RENDERED",
    "communes/personal_data.py": "re-renders a Markdown field from its source once a name is scrubbed from it",
    "codir/national.py": "renders the generated charter sections with communes.text.render_markdown",
    "codir/services.py": "Instance.agenda, Reunion.minutes, PointOdj.description",
    "codir/revue/services.py": "RevueAnnuelle.bilan, perspectives",
    "charte/services.py": "Section.body (and amendments copied into sections)",
    "decisions/services.py": "Proposition.body, Round.body",
    "reseaux/services/projets.py": "Projet's four texts",
    "reseaux/services/networks.py": "Reseau.description",
    "charte/diff.py": "escaped word diff of sources (test_the_charter_diff_escapes_every_payload)",
    "comptes/second_factor/provisioning.py": "QR code SVG drawn by segno from the TOTP secret, no user text",
}
_RENDERING = re.compile(r"render_markdown\(|markdown\.markdown\(|nh3\.clean\(|mark_safe\(|SafeString\(|format_html\(")


def _project_files(pattern: str):
    """The project's own files: its packages and templates, not the virtualenv, the tests or collected files."""
    skipped = {".venv", ".git", "tests", "node_modules", "var", "media", "staticfiles", "static", "locale"}
    for folder in sorted(p for p in ROOT.iterdir() if p.is_dir() and p.name not in skipped):
        for path in sorted(folder.glob(pattern)):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, path


def test_no_new_code_renders_markdown_or_marks_markup_safe_unnoticed():
    found = {relative for relative, path in _project_files("**/*.py") if _RENDERING.search(path.read_text())}
    assert found == set(RENDERING_MODULES), (
        "Un module rend du Markdown ou marque du HTML comme sûr : couvrez-le dans tests/test_xss_corpus.py "
        f"(nouveaux : {sorted(found - set(RENDERING_MODULES))}, disparus : {sorted(set(RENDERING_MODULES) - found)})"
    )


# Every `|safe` (or autoescape off) of the templates: the stored HTML of a covered field, or known markup.
SAFE_IN_TEMPLATES = {
    ("_field.html", "field.help_text"): "help texts written in the code",
    ("codir/revue/rapport.html", "network_svg"): "the map drawn by the server from names it escapes",
    ("registration/password_reset_email.html", "autoescape off"): "plain-text e-mail",
}
_SAFE = re.compile(r"\{\{\s*([\w.]+)\s*\|\s*safe\s*\}\}")
_UNESCAPED = re.compile(r"\{%\s*autoescape\s+off|\|\s*safeseq")
_TEMPLATE_FIELD = re.compile(r"^(?:\w+\.)*(?P<target>\w+_html)$")


def test_every_safe_in_the_templates_is_a_covered_field_or_known():
    targets = {target for _model, _source, target in FIELDS}
    unknown = []
    # Only HTML templates: the .txt and .md ones are plain text (e-mail text parts, the charter's Markdown).
    for relative, path in _project_files("**/*.html"):
        name = relative.removeprefix("templates/")
        text = path.read_text()
        for expression in _SAFE.findall(text):
            match = _TEMPLATE_FIELD.match(expression)
            if not (match and match.group("target") in targets) and (name, expression) not in SAFE_IN_TEMPLATES:
                unknown.append((name, expression))
        if _UNESCAPED.search(text) and (name, "autoescape off") not in SAFE_IN_TEMPLATES:
            unknown.append((name, "autoescape off"))
    assert not unknown, f"HTML non échappé hors des champs Markdown couverts : {unknown}"
