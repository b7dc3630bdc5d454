"""The form that adapts a questionnaire (a campaign's or, later, one review's): reading it from a POST and
laying it out again, with what was typed, when the adapted questionnaire is refused.

Field names carry the item or dimension key (`texte-<item>`, `retirer-<item>`, `ajout-<dimension>`,
`ajout_type-<dimension>`): keys are slugs with underscores, so they are safe in a name and an id, and a
posted key that is not in the questionnaire is simply never read.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from codir.revue import questionnaire
from codir.revue.questionnaire import LIKERT, TEXTE


def type_choices() -> list[tuple[str, str]]:
    return [(LIKERT, _("Échelle d'accord (1 à 5)")), (TEXTE, _("Réponse libre"))]


def type_label(kind: str) -> str:
    return dict(type_choices()).get(kind, kind)


@dataclass
class ItemRow:
    key: str
    number: int  # position in the whole questionnaire, as respondents see it
    type: str
    type_label: str
    text: str
    removed: bool = False


@dataclass
class DimensionRow:
    key: str
    title: str
    kind: str
    items: list[ItemRow] = field(default_factory=list)
    new_text: str = ""
    new_type: str = LIKERT


def dimensions_for_form(data: dict, posted=None) -> list[DimensionRow]:
    """The questionnaire's dimensions and items to show in the form; with `posted` (a QueryDict), what the
    facilitator typed replaces the stored wording, so a refused form loses nothing."""
    rows = []
    number = 0
    for dimension in data.get("dimensions", []):
        row = DimensionRow(key=dimension["key"], title=dimension["title"], kind=dimension.get("kind", "etape"))
        for item in dimension.get("items", []):
            number += 1
            text = item["text"]
            removed = False
            if posted is not None:
                text = posted.get(f"texte-{item['key']}", text)
                removed = bool(posted.get(f"retirer-{item['key']}"))
            row.items.append(
                ItemRow(
                    key=item["key"],
                    number=number,
                    type=item["type"],
                    type_label=type_label(item["type"]),
                    text=text,
                    removed=removed,
                )
            )
        if posted is not None:
            row.new_text = posted.get(f"ajout-{dimension['key']}", "")
            row.new_type = posted.get(f"ajout_type-{dimension['key']}", LIKERT)
        rows.append(row)
    return rows


def adapted_from_post(base: dict, posted) -> dict:
    """The questionnaire `base` adapted as the POST asks (reworded, removed, added items), validated by
    `questionnaire.adapted`; raises its ValidationError (in French) when the result is not acceptable."""
    texts: dict[str, str] = {}
    removed: set[str] = set()
    for _dimension, item in questionnaire.items_of(base):
        texts[item["key"]] = posted.get(f"texte-{item['key']}", "")
        if posted.get(f"retirer-{item['key']}"):
            removed.add(item["key"])
    added: dict[str, list[tuple[str, str]]] = {}
    for dimension in base.get("dimensions", []):
        text = posted.get(f"ajout-{dimension['key']}", "")
        if text.strip():
            # An unknown type is passed on as typed: the questionnaire's validation refuses it in French.
            added[dimension["key"]] = [(text, posted.get(f"ajout_type-{dimension['key']}", LIKERT))]
    return questionnaire.adapted(base, texts=texts, removed=removed, added=added)
