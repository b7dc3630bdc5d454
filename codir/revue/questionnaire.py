"""The maturity questionnaire: our French template, and how a campaign adapts it.

A questionnaire is plain data (stored as JSON on the campaign and copied on each review):

    {"dimensions": [{"key": "se_connaitre", "title": "Se connaître", "kind": "etape",
                     "items": [{"key": "se_connaitre_1", "text": "…", "type": "likert"}, …]}, …]}

Keys stay the same from year to year, so this year's results sit beside last year's. Every Likert
statement is worded so that agreeing is the healthy answer: a dimension's mean then reads the same way
for the stages of the process and for the points of vigilance.
"""

import copy

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LIKERT = "likert"
TEXTE = "texte"
LIKERT_SCALE = {
    1: gettext_lazy("Pas du tout d'accord"),
    2: gettext_lazy("Plutôt pas d'accord"),
    3: gettext_lazy("Ni d'accord ni pas d'accord"),
    4: gettext_lazy("Plutôt d'accord"),
    5: gettext_lazy("Tout à fait d'accord"),
}
MAX_TEXT_ANSWER = 2000
MAX_ITEMS = 80

# The stages of a cooperative process, then the points of vigilance that the field reports.
_TEMPLATE = [
    (
        "se_connaitre",
        "Se connaître",
        "etape",
        [
            "Je connais les DGS et secrétaires de mairie des autres collectivités du territoire.",
            "Je sais sur quels sujets chaque collectivité est en difficulté ou en avance.",
            "Je peux appeler un·e collègue d'une autre commune sans passer par la voie hiérarchique.",
        ],
        "Qu'est-ce qui vous aiderait à mieux connaître vos collègues des autres collectivités ?",
    ),
    (
        "legitimer",
        "Légitimer le collectif",
        "etape",
        [
            "Les élus de ma collectivité connaissent l'existence et le rôle du CoDir de territoire.",
            "Le temps que je passe au CoDir est reconnu par mon employeur.",
            "Les avis techniques du CoDir sont pris en compte par le bureau ou le conseil communautaire.",
        ],
        None,
    ),
    (
        "formaliser",
        "Formaliser — la charte",
        "etape",
        [
            "La charte de fonctionnement décrit bien la façon dont nous travaillons réellement.",
            "Les règles de la charte (délai de prévenance, mode de décision, rotation) sont respectées.",
            "Chaque collectivité a pu contribuer à l'écriture de la charte.",
        ],
        "Quelle règle de la charte faudrait-il revoir, et pourquoi ?",
    ),
    (
        "decider",
        "Décider ensemble",
        "etape",
        [
            "Chaque collectivité, quelle que soit sa taille, a le même poids dans nos décisions.",
            "Les objections sont travaillées jusqu'à une solution acceptable par tous.",
            "Je sais ce qui a été décidé et qui en assure le suivi.",
        ],
        None,
    ),
    (
        "agir",
        "Agir ensemble — le portefeuille de projets",
        "etape",
        [
            "Les projets communs avancent au rythme prévu.",
            "Le pilotage des projets est partagé entre l'EPCI et les communes.",
            "Les revues de projet nous permettent d'ajuster le cap à temps.",
        ],
        "Quel projet commun vous semble le plus utile pour l'année à venir ?",
    ),
    (
        "relier",
        "Relier aux réseaux",
        "etape",
        [
            "Les réseaux métiers du territoire sont utiles à mes agents.",
            "Je sais à qui m'adresser dans une autre collectivité sur une question technique.",
            "Les travaux des réseaux remontent au CoDir quand c'est nécessaire.",
        ],
        None,
    ),
    (
        "reflexivite",
        "Réflexivité",
        "etape",
        [
            "Nous prenons le temps de regarder comment nous fonctionnons, pas seulement ce que nous faisons.",
            "Nous tirons les enseignements de ce qui n'a pas marché.",
        ],
        None,
    ),
    (
        "confiance",
        "Vigilance — confiance et non-dits",
        "vigilance",
        [
            "Je peux exprimer un désaccord en CoDir sans crainte.",
            "Les sujets difficiles sont abordés en séance plutôt qu'en dehors.",
            "La relation entre l'EPCI et les communes est équilibrée.",
        ],
        "Y a-t-il un sujet que le collectif n'arrive pas à aborder ?",
    ),
    (
        "contraintes",
        "Vigilance — difficultés pratiques",
        "vigilance",
        [
            "Je dispose du temps nécessaire pour préparer les réunions du CoDir.",
            "Les lieux et horaires des réunions me permettent d'y venir sans difficulté.",
            "Les documents arrivent assez tôt pour que je puisse les lire.",
        ],
        None,
    ),
    (
        "rythme",
        "Vigilance — rythme",
        "vigilance",
        [
            "Le rythme des réunions du CoDir me convient.",
            "La charge de travail liée aux projets communs est soutenable pour ma collectivité.",
        ],
        "Qu'aimeriez-vous changer en priorité l'année prochaine ?",
    ),
]


def default_questionnaire() -> dict:
    """Our template, ready to be adapted by a campaign (a fresh copy each time)."""
    dimensions = []
    for key, title, kind, statements, question in _TEMPLATE:
        items = [{"key": f"{key}_{n}", "text": text, "type": LIKERT} for n, text in enumerate(statements, start=1)]
        if question:
            items.append({"key": f"{key}_libre", "text": question, "type": TEXTE})
        dimensions.append({"key": key, "title": title, "kind": kind, "items": items})
    return {"dimensions": dimensions}


def items_of(questionnaire: dict):
    """(dimension, item) pairs in order."""
    for dimension in questionnaire.get("dimensions", []):
        for item in dimension.get("items", []):
            yield dimension, item


def _plain(value: object) -> str:
    """A one-piece text: NUL characters (refused by PostgreSQL) removed, spaces trimmed."""
    return str(value).replace("\x00", "").strip()


def validate_questionnaire(questionnaire: dict) -> dict:
    """Check a questionnaire's shape and return a clean copy; raise ValidationError in French."""
    if not isinstance(questionnaire, dict) or not isinstance(questionnaire.get("dimensions"), list):
        raise ValidationError(_("Le questionnaire doit contenir une liste de dimensions."))
    clean = {"dimensions": []}
    seen: set[str] = set()
    count = 0
    for dimension in questionnaire["dimensions"]:
        if not isinstance(dimension, dict):
            raise ValidationError(_("Chaque dimension doit avoir une clé, un titre et des questions."))
        key = slugify(str(dimension.get("key", ""))).replace("-", "_")
        title = _plain(dimension.get("title", ""))[:200]
        if not key or not title or key in seen:
            raise ValidationError(_("Chaque dimension doit avoir une clé unique et un titre."))
        seen.add(key)
        items = []
        given = dimension.get("items") or []
        if not isinstance(given, list):
            raise ValidationError(_("Chaque dimension doit avoir une liste de questions."))
        for item in given:
            if not isinstance(item, dict):
                raise ValidationError(_("Chaque question doit avoir une clé, un texte et un type."))
            item_key = slugify(str(item.get("key", ""))).replace("-", "_")
            text = _plain(item.get("text", ""))
            kind = item.get("type")
            if not item_key or item_key in seen:
                raise ValidationError(_("Chaque question doit avoir une clé unique."))
            if not text or len(text) > 500:
                raise ValidationError(_("Chaque question doit avoir un texte de 500 caractères au plus."))
            if kind not in (LIKERT, TEXTE):
                raise ValidationError(_("Une question est soit une échelle d'accord, soit une réponse libre."))
            seen.add(item_key)
            items.append({"key": item_key, "text": text, "type": kind})
        if items:
            count += len(items)
            clean["dimensions"].append(
                {
                    "key": key,
                    "title": title,
                    "kind": "vigilance" if dimension.get("kind") == "vigilance" else "etape",
                    "items": items,
                }
            )
    if not any(item["type"] == LIKERT for _dimension, item in items_of(clean)):
        raise ValidationError(_("Le questionnaire doit garder au moins une question à échelle d'accord."))
    if count > MAX_ITEMS:
        raise ValidationError(_("Le questionnaire ne peut pas dépasser %(max)s questions.") % {"max": MAX_ITEMS})
    return clean


def adapted(base: dict, *, texts: dict[str, str], removed: set[str], added: dict[str, list[tuple[str, str]]]) -> dict:
    """A copy of `base` with items reworded, removed, or added to dimensions (new keys derived from the
    dimension's), validated. `added` maps a dimension key to (text, type) pairs."""
    result = copy.deepcopy(base)
    for dimension in result["dimensions"]:
        kept = []
        for item in dimension["items"]:
            if item["key"] in removed:
                continue
            if item["key"] in texts and texts[item["key"]].strip():
                item["text"] = texts[item["key"]].strip()
            kept.append(item)
        existing = {item["key"] for _dimension, item in items_of(base)}
        for text, kind in added.get(dimension["key"], []):
            if not text.strip():
                continue
            n = 1
            while f"{dimension['key']}_ajout_{n}" in existing:
                n += 1
            key = f"{dimension['key']}_ajout_{n}"
            existing.add(key)
            kept.append({"key": key, "text": text.strip(), "type": kind})
        dimension["items"] = kept
    return validate_questionnaire(result)
