"""Demo content of the annual review: last year's review of the Pays de Mortagne, closed after its
séminaire (with the year of CoDir meetings it looks back on), and this year's campaign for both demo
territories, the questionnaire open in Mortagne with a few answers already in.

Past meetings are written as history (rows with their dates): the services only accept the future.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from codir.dispatch import LATE_TOLERANCE, dispatch_deadline
from codir.models import AgendaVersion, Envoi, PointOdj, Presence, Reunion, RevueAnnuelle
from codir.revue import services
from communes.models import Agent, Collectivite, Membership, Territoire

MORTAGNE_SIREN = "248500662"
ACHARDS_SIREN = "248500530"

# Last year's answers (dimension key → levels given by each respondent, in turn).
_PAST_ANSWERS = {
    "dgs.epci@paysdemortagne.test": {"se_connaitre": 4, "legitimer": 3, "formaliser": 4, "decider": 4, "agir": 3, "relier": 3, "reflexivite": 3, "confiance": 4, "contraintes": 3, "rythme": 4},
    "dgs@mortagne-sur-sevre.test": {"se_connaitre": 4, "legitimer": 3, "formaliser": 3, "decider": 3, "agir": 3, "relier": 2, "reflexivite": 2, "confiance": 3, "contraintes": 2, "rythme": 3},
    "dgs@chanverrie.test": {"se_connaitre": 5, "legitimer": 2, "formaliser": 4, "decider": 4, "agir": 2, "relier": 3, "reflexivite": 3, "confiance": 4, "contraintes": 3, "rythme": 3},
    "sg@tiffauges.test": {"se_connaitre": 3, "legitimer": 2, "formaliser": 3, "decider": 3, "agir": 2, "relier": 2, "reflexivite": 2, "confiance": 2, "contraintes": 2, "rythme": 2},
    "sg@mallievre.test": {"se_connaitre": 3, "legitimer": 2, "formaliser": 3, "decider": 4, "agir": 2, "relier": 1, "reflexivite": 3, "confiance": 3, "contraintes": 1, "rythme": 2},
}  # fmt: skip
_PAST_FREE = {
    "se_connaitre_libre": [
        "Des visites de services d'une commune à l'autre.",
        "Un annuaire à jour des secrétaires de mairie et de leurs jours de présence.",
        "Un déjeuner informel après chaque CoDir.",
    ],
    "confiance_libre": [
        "La répartition des charges du service commun ADS.",
        "Le poids de la ville-centre dans les arbitrages.",
        "On évite de parler des transferts de compétences.",
    ],
    "rythme_libre": [
        "Des réunions plus courtes, avec un ordre du jour tenu.",
        "Tourner davantage dans les petites communes.",
        "Moins de réunions, mieux préparées.",
    ],
}
_NOW_ANSWERS = {
    "dgs.epci@paysdemortagne.test": {"se_connaitre": 5, "legitimer": 4, "formaliser": 4, "decider": 4, "agir": 4, "relier": 4, "reflexivite": 4, "confiance": 4, "contraintes": 3, "rythme": 4},
    "dgs@saint-laurent-sur-sevre.test": {"se_connaitre": 4, "legitimer": 3, "formaliser": 4, "decider": 3, "agir": 3, "relier": 3, "reflexivite": 3, "confiance": 3, "contraintes": 3, "rythme": 3},
    "sg@la-gaubretiere.test": {"se_connaitre": 4, "legitimer": 3, "formaliser": 4, "decider": 4, "agir": 3, "relier": 4, "reflexivite": 3, "confiance": 4, "contraintes": 2, "rythme": 3},
}  # fmt: skip

BILAN = """Le CoDir s'est réuni **neuf fois** cette année, toujours en amont du bureau communautaire, et
l'ordre du jour est parti dans le délai de 48 heures dans la grande majorité des cas.

Ce qui a marché :

- la rotation de l'accueil entre les communes, appréciée des plus petites ;
- l'avis technique rendu sur le projet de PLUi, travaillé par consentement ;
- le réseau des secrétaires de mairie, devenu un vrai lieu d'entraide.

Ce qui reste difficile :

- le temps de préparation, surtout pour les communes sans DGS ;
- la participation des communes de moins de 1 000 habitants aux projets communs ;
- des sujets sensibles (charges du service commun ADS) abordés hors séance plutôt qu'en CoDir."""

PERSPECTIVES = """Pour l'année qui vient, le collectif se donne trois priorités :

1. **préparer** : les documents joints à l'ordre du jour, pas déposés en séance ;
2. **partager le pilotage** : au moins un projet du portefeuille piloté par une commune de moins de 1 000 habitants ;
3. **oser les sujets difficiles** : un temps réservé aux « points de tension » à chaque réunion trimestrielle."""


def ensure_demo_revues(facilitator: Agent, say: Callable[[str], None]) -> None:
    """Create the review content once (later runs leave it as it is)."""
    mortagne = Territoire.objects.get(siren=MORTAGNE_SIREN)
    achards = Territoire.objects.get(siren=ACHARDS_SIREN)
    if RevueAnnuelle.objects.filter(territoire=mortagne).exists():
        return
    this_year = timezone.localdate().year
    say(f"  revue annuelle {this_year - 1} (séminaire tenu, revue clôturée)")
    with transaction.atomic():
        _past_meetings(mortagne, this_year - 1)
        _closed_review(mortagne, achards, facilitator, this_year - 1)
    say(f"  campagne {this_year} : questionnaire ouvert dans le Pays de Mortagne")
    with transaction.atomic():
        campagne = services.campagne_create(
            facilitator=facilitator,
            year=this_year,
            title=f"Revues annuelles {this_year} — Nord-Est Vendée",
            territoires=[mortagne, achards],
        )
        revue = campagne.revues.get(territoire=mortagne)
        services.revue_open_questionnaire(revue=revue, by=facilitator)
        for email, levels in _NOW_ANSWERS.items():
            services.reponse_submit(revue=revue, agent=Agent.objects.get(email=email), answers=_answers(revue, levels))
        dgs_epci = Agent.objects.get(email="dgs.epci@paysdemortagne.test")
        services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions", "parite", "questionnaire"])


def _answers(revue: RevueAnnuelle, levels: dict[str, int], free: dict[str, str] | None = None) -> dict:
    answers: dict[str, object] = {}
    for dimension in revue.questionnaire["dimensions"]:
        for n, item in enumerate(dimension["items"]):
            if item["type"] == "likert" and dimension["key"] in levels:
                # Vary a little around the respondent's level, within the scale.
                answers[item["key"]] = max(1, min(5, levels[dimension["key"]] + (n % 3) - 1))
    answers.update(free or {})
    return answers


def _closed_review(mortagne: Territoire, achards: Territoire, facilitator: Agent, year: int) -> None:
    campagne = services.campagne_create(
        facilitator=facilitator, year=year, title=f"Revues annuelles {year} — Nord-Est Vendée", territoires=[mortagne]
    )
    revue = campagne.revues.get()
    services.revue_open_questionnaire(revue=revue, by=facilitator)
    for index, (email, levels) in enumerate(_PAST_ANSWERS.items()):
        free = {key: texts[index] for key, texts in _PAST_FREE.items() if index < len(texts)}
        services.reponse_submit(
            revue=revue, agent=Agent.objects.get(email=email), answers=_answers(revue, levels, free)
        )
    services.revue_start_seminar(revue=revue, by=facilitator, seminar_on=date(year, 12, 4), place="Mairie de Tiffauges")
    services.seminaire_save(
        revue=revue,
        by=facilitator,
        bilan=BILAN,
        perspectives=PERSPECTIVES,
        seminar_on=date(year, 12, 4),
        place="Mairie de Tiffauges, salle du conseil",
    )

    def place(name: str) -> Collectivite:
        return Collectivite.objects.get(territoire=mortagne, name=name)

    today = timezone.localdate()
    for title, owner, months in [
        ("Joindre tous les documents à l'ordre du jour 48 h avant chaque CoDir", "CC du Pays de Mortagne", 3),
        ("Confier le pilotage du groupement de commandes à une commune de moins de 1 000 habitants", "Mallièvre", 6),
        ("Réserver un temps « points de tension » à chaque CoDir trimestriel", "Chanverrie", 4),
    ]:
        services.engagement_add(
            revue=revue,
            by=facilitator,
            title=title,
            owner_collectivite=place(owner),
            due_date=today + timedelta(days=30 * months),
        )
    closing = timezone.make_aware(datetime.combine(date(year, 12, 4), time(17, 0)), timezone.get_default_timezone())
    services.revue_close(revue=revue, by=facilitator, now=closing)


def _past_meetings(territoire: Territoire, year: int) -> None:
    """Nine CoDir meetings of last year with their agendas (one sent late, after a server outage),
    items from the EPCI and the communes, and attendance."""
    zone = timezone.get_default_timezone()
    dgs_epci = Agent.objects.get(email="dgs.epci@paysdemortagne.test")
    collectivites = list(Collectivite.objects.for_territoire(territoire).order_by("kind", "name"))
    epci = next(c for c in collectivites if c.kind == Collectivite.Kind.EPCI)
    communes = [c for c in collectivites if c.kind != Collectivite.Kind.EPCI]
    topics = [
        "Pacte financier et fiscal : hypothèses de travail",
        "Service commun ADS : bilan du premier semestre",
        "Plan de formation mutualisé",
        "Groupement de commandes : assurances",
        "Schéma de mutualisation : état d'avancement",
        "Voirie : programme de travaux",
        "Ressources humaines : remplacements des secrétaires de mairie",
        "Transition énergétique : diagnostic des bâtiments",
        "Budget : préparation des orientations budgétaires",
    ]
    members = [
        m.agent
        for m in Membership.objects.active()
        .filter(territoire=territoire, agent__is_active=True)
        .select_related("agent")
        .order_by("agent__email")
    ]
    for month, topic in zip([1, 2, 3, 4, 6, 7, 9, 10, 11], topics, strict=True):
        starts_at = timezone.make_aware(datetime.combine(date(year, month, 14), time(9, 0)), zone)
        host = communes[month % len(communes)]
        reunion = Reunion.objects.create(
            territoire=territoire,
            title="CoDir préparatoire au bureau communautaire",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            place=f"Mairie de {host.name}",
            host=host,
            created_by=dgs_epci,
            created_at=starts_at - timedelta(days=20),
        )
        deadline = dispatch_deadline(reunion, now=starts_at - timedelta(days=20))
        # June's agenda left six hours late: the worker had been stopped during an update.
        sent = deadline + (timedelta(hours=6) if month == 6 else timedelta(minutes=1))
        reunion.dispatched_at = sent
        reunion.save(update_fields=["dispatched_at"])
        version = AgendaVersion.objects.create(
            reunion=reunion, number=1, kind=AgendaVersion.Kind.INITIAL, sequence=0, due_at=deadline, created_at=sent
        )
        # Its outbox, as the sweep leaves it: one row per member, sent, most of them read within days.
        late_by = sent - deadline if sent - deadline > LATE_TOLERANCE else None
        Envoi.objects.bulk_create(
            Envoi(
                version=version, recipient=member, email=member.email, sent_at=sent, late_by=late_by, attempts=1,
                read_at=None if (index + month) % 4 == 0 else sent + timedelta(hours=3 + 5 * index),
            )
            for index, member in enumerate(members)
        )  # fmt: skip
        for position, presenter in enumerate([epci, communes[(month * 3) % len(communes)]], start=1):
            PointOdj.objects.create(
                reunion=reunion,
                position=position,
                title=topic if position == 1 else f"Tour de table : actualité de {presenter.name}",
                presenter=presenter,
                added_by=dgs_epci,
                added_at=starts_at - timedelta(days=10),
            )
        for index, collectivite in enumerate(collectivites):
            # Small communes come less often, and not at all to the summer meeting.
            absent = collectivite.population < 1000 and (month in (6, 7) or index % 3 == month % 3)
            Presence.objects.create(
                reunion=reunion,
                collectivite=collectivite,
                status=Presence.Status.EXCUSE if absent else Presence.Status.PRESENT,
                recorded_by=dgs_epci,
                recorded_at=starts_at + timedelta(hours=2),
            )
