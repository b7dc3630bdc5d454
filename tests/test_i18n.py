"""Our messages are written in French: Django's own catalogs must not translate them into something else."""

import gettext
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def test_no_french_message_of_ours_is_changed_by_another_catalog():
    with open(ROOT / "locale/en/LC_MESSAGES/django.mo", "rb") as catalog:
        english = gettext.GNUTranslations(catalog)
    msgids = [key for key in english._catalog if isinstance(key, str) and key and "\x04" not in key]
    assert len(msgids) > 200
    with translation.override("fr"):
        changed = {m: translation.gettext(m) for m in msgids if translation.gettext(m) != m}
    assert changed == {}


def test_every_message_has_an_english_translation():
    catalog = (ROOT / "locale/en/LC_MESSAGES/django.po").read_text()
    entries = catalog.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and 'msgstr ""\n"' not in e and "#~" not in e]
    assert untranslated == [], untranslated[:5]
    assert "#, fuzzy" not in catalog.split("\n\n", 1)[1]


def test_french_plurals_follow_french_rules():
    """Untranslated plural entries would fall back to the English rule, where 0 is plural."""
    from django.utils.translation import ngettext

    catalog = (ROOT / "locale/fr/LC_MESSAGES/django.po").read_text()
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in catalog
    # Every plural entry must repeat its own msgids: makemessages may fill them with a near match.
    for entry in catalog.split("\n\n"):
        if "msgid_plural" not in entry or entry.startswith("#~"):
            continue
        lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in entry.splitlines() if line.startswith("msg")}
        assert lines.get("msgstr[0]") == lines["msgid"] and lines.get("msgstr[1]") == lines["msgid_plural"], entry
    with translation.override("fr"):
        assert ngettext(
            "%(counter)s collectivité sur %(electorat)s s'est exprimée.",
            "%(counter)s collectivités sur %(electorat)s se sont exprimées.",
            0,
        ).startswith("%(counter)s collectivité ")
