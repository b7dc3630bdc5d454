"""Small builders shared by the portfolio's service, selector and timeline tests."""

from datetime import date

from django.utils import timezone

from communes.models import Agent, Collectivite, JournalEntry, Territoire
from reseaux import services
from reseaux.models import Projet

EPCI = "CC du Pays de Mortagne"


def today() -> date:
    return timezone.localdate()


def coll(territoire: Territoire, name: str) -> Collectivite:
    return Collectivite.objects.get(territoire=territoire, name=name)


def can_edit(agent: Agent, projet: Projet) -> bool:
    """Read the agent afresh: guardian answers from the database, not from a cached object."""
    return Agent.objects.get(pk=agent.pk).has_perm(services.PILOT_PERMISSION, projet)


def epci_projet(territoire: Territoire, by: Agent, title: str = "Service commun ADS", **fields) -> Projet:
    """A project piloted by the EPCI since `start` (a date) or 1 January 2026."""
    start = fields.pop("start", date(2026, 1, 1))
    return services.projet_create(
        territoire=territoire,
        by=by,
        title=title,
        pilotage=Projet.Pilotage.EPCI,
        rotation=[(territoire.collectivites.get(kind="epci"), start)],
        **fields,
    )


def commune_projet(territoire: Territoire, by: Agent, name: str, title: str, **fields) -> Projet:
    start = fields.pop("start", date(2026, 1, 1))
    return services.projet_create(
        territoire=territoire,
        by=by,
        title=title,
        pilotage=Projet.Pilotage.COMMUNE,
        rotation=[(coll(territoire, name), start)],
        **fields,
    )


def last_journal(action: str) -> JournalEntry:
    return JournalEntry.objects.filter(action=action).latest("pk")
